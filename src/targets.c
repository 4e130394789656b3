// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>

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
