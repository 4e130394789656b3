// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "targets.h"

struct target *targets__find(const struct target_list *l, int pid)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (l->list[i]->pid == pid)
			return l->list[i];
	return NULL;
}

struct target *targets__add(struct target_list *l, int pid, enum target_role role)
{
	struct target *t = targets__find(l, pid);

	if (t)
		return t;
	if (ARRAY_RESERVE(l->list, l->cap, l->nr + 1, 16))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pid = pid;
	t->pidfd = -1;
	t->role = role;
	snprintf(t->comm, sizeof(t->comm), "?");
	l->list[l->nr++] = t;
	return t;
}

void targets__remove(struct target_list *l, int pid)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		if (l->list[i]->pid != pid)
			continue;
		if (l->list[i]->exited)
			l->nr_exited--;
		free(l->list[i]->unwind_sent);
		free(l->list[i]);
		l->list[i] = l->list[--l->nr];
		return;
	}
}

void targets__free(struct target_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		free(l->list[i]->unwind_sent);
		free(l->list[i]);
	}
	free(l->list);
	*l = (struct target_list){0};
}

int targets__parse_stat(const char *stat, char *state, uint64_t *start_time)
{
	const char *p = strrchr(stat, ')');
	unsigned long long ticks;
	char *end;
	int field;

	/* ") S ppid ...": the state is field 3, the start time field 22. */
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -EINVAL;
	*state = p[2];
	p += 3;
	for (field = 3; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	errno = 0;
	ticks = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1 || (*end != ' ' && *end != '\n' && *end))
		return -EINVAL;
	*start_time = ticks;
	return 0;
}

bool targets__gone(const struct target *t, const char *stat)
{
	uint64_t start_time;
	char state;

	if (!stat || targets__parse_stat(stat, &state, &start_time))
		return true;
	if (state == 'Z' || state == 'X')
		return true;
	return t->start_time && start_time != t->start_time;
}
