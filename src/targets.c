// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "targets.h"

static struct hmap_key pid_key(int pid)
{
	return (struct hmap_key){.a = (uint32_t)pid};
}

/* Where pid's entry is in l->list, or NULL. */
static size_t *index_of(const struct target_list *l, int pid)
{
	return l->by_pid.stride ? hmap__get(&l->by_pid, pid_key(pid)) : NULL;
}

static void free_target(struct target *t)
{
	free(t->unwind_sent);
	maps_text__forget(&t->unwind_seen);
	maps_text__forget(&t->symbols_seen);
	maps_text__forget(&t->probes_seen);
	free(t);
}

struct target *targets__find(const struct target_list *l, int pid)
{
	const size_t *i = index_of(l, pid);

	return i ? l->list[*i] : NULL;
}

struct target *targets__add(struct target_list *l, int pid, enum target_role role)
{
	struct target *t = targets__find(l, pid);
	size_t *index;
	bool fresh;

	if (t)
		return t;
	if (!l->by_pid.stride)
		hmap__init(&l->by_pid, sizeof(size_t));
	if (ARRAY_RESERVE(l->list, l->cap, l->nr + 1, 16))
		return NULL;
	t = calloc(1, sizeof(*t));
	index = t ? hmap__put(&l->by_pid, pid_key(pid), &fresh) : NULL;
	if (!index) {
		free(t);
		return NULL;
	}
	*index = l->nr;
	t->pid = pid;
	t->pidfd = -1;
	t->role = role;
	snprintf(t->comm, sizeof(t->comm), "?");
	l->list[l->nr++] = t;
	return t;
}

void targets__remove(struct target_list *l, int pid)
{
	size_t *index = index_of(l, pid), i;
	struct target *t;

	if (!index)
		return;
	i = *index;
	t = l->list[i];
	hmap__del(&l->by_pid, pid_key(pid));
	if (t->exited)
		l->nr_exited--;
	free_target(t);
	/* The last entry takes its place. */
	l->list[i] = l->list[--l->nr];
	if (i < l->nr)
		*index_of(l, l->list[i]->pid) = i;
}

int targets__rename(struct target_list *l, struct target *t, int new_pid)
{
	size_t *index = index_of(l, t->pid), i;
	bool fresh;

	if (!index || l->list[*index] != t)
		return -ENOENT;
	if (index_of(l, new_pid))
		return -EEXIST;
	i = *index;
	index = hmap__put(&l->by_pid, pid_key(new_pid), &fresh);
	if (!index)
		return -ENOMEM;
	*index = i;
	hmap__del(&l->by_pid, pid_key(t->pid));
	t->pid = new_pid;
	return 0;
}

void targets__free(struct target_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free_target(l->list[i]);
	free(l->list);
	hmap__free(&l->by_pid);
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

/* Whether the maps line of n bytes at line is one of an executable mapping, or may be. */
static bool exec_line(const char *line, size_t n)
{
	const char *space = memchr(line, ' ', n);

	/* "start-end perms ...": perms is "r-xp"; a line cut short counts as executable. */
	if (!space || (size_t)(line + n - space) < 5)
		return true;
	return space[3] == 'x';
}

/* The next line of text from *pos (its '\n' included), and its length; 0 at the end. */
static size_t next_line(const char *text, size_t len, size_t *pos, const char **line)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	n = nl ? (size_t)(nl - *line) + 1 : len - *pos;
	*pos += n;
	return n;
}

bool maps_text__same(const struct maps_text *seen, const char *text, size_t len, bool exec_only)
{
	size_t pos = 0, matched = 0, n;
	const char *line;

	if (!seen->valid)
		return false;
	if (!exec_only)
		return len == seen->len && !memcmp(text, seen->text, len);
	while ((n = next_line(text, len, &pos, &line))) {
		if (!exec_line(line, n))
			continue;
		if (n > seen->len - matched || memcmp(line, seen->text + matched, n))
			return false;
		matched += n;
	}
	return matched == seen->len;
}

void maps_text__note(struct maps_text *seen, const char *text, size_t len, bool exec_only)
{
	size_t pos = 0, n;
	const char *line;

	maps_text__forget(seen);
	seen->text = malloc(len ? len : 1);
	if (!seen->text)
		return;
	while ((n = next_line(text, len, &pos, &line)))
		if (!exec_only || exec_line(line, n)) {
			memcpy(seen->text + seen->len, line, n);
			seen->len += n;
		}
	seen->valid = true;
}

void maps_text__forget(struct maps_text *seen)
{
	free(seen->text);
	*seen = (struct maps_text){0};
}
