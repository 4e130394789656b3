/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Command mode: the command runs as memleakd's child, held before exec
 * until the probes are ready, with memleakd's stdin, stdout, stderr and
 * process group, so it behaves as if it ran alone; optionally as another
 * user (--user). memleakd is a child subreaper: the command's orphaned
 * descendants become its children, and command__end_tree ends every one
 * left when memleakd leaves, so none runs on untraced.
 */
#ifndef MEMLEAKD_COMMAND_H
#define MEMLEAKD_COMMAND_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct command;

/* Who the command runs as (--user): uid, groups, and what HOME, USER and LOGNAME say. */
struct command_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* the user's groups from the group database, gid included */
	int nr_groups;
	char *name; /* USER and LOGNAME */
	char *home; /* HOME */
};

/*
 * Looks up a user name, or a uid given in digits, in the user database.
 * 0; -ENOENT when there is no such user; -errno.
 */
int command__find_user(const char *spec, struct command_user *out);
/* Frees what command__find_user allocated. Accepts a zeroed struct. */
void command__user_free(struct command_user *user);

/*
 * Makes memleakd a child subreaper, then forks the child, which waits
 * before exec. The signals memleakd handles itself (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGPIPE) are given back to the child as memleakd found
 * them: ignored when in ignored, default otherwise. With user (not NULL)
 * the child takes that user's groups, gid and uid just before exec, and
 * HOME, USER and LOGNAME are set to the user's (like su; the rest of the
 * environment and the working directory are kept). 0 or -errno.
 */
int command__spawn(char *const argv[], const sigset_t *ignored, const struct command_user *user,
		   struct command **out);
/* The signals of that list ignored now (call before changing them). */
void command__ignored_signals(sigset_t *ignored);
int command__pid(const struct command *c);
/*
 * Lets the child exec argv. 0 once exec succeeded; -errno when it failed
 * (not found, not executable, the user could not be taken), with the
 * reason in err.
 */
int command__release(struct command *c, char *err, size_t err_len);
/*
 * Reaps without blocking: the child (1 when it exited, status set; 0 while
 * it runs) and any orphaned descendant memleakd adopted as subreaper.
 */
int command__reap(struct command *c, int *wait_status);

/* A process and its parent, as /proc/PID/stat gives them. */
struct proc_parent {
	int pid;
	int ppid;
};

/* The state and ppid fields of a /proc/PID/stat line ("pid (comm) state ppid ..."). 0 or -EINVAL.
 */
int command__parse_stat(const char *stat, char *state, int *ppid);
/*
 * The processes of all[nr] descended from root (root excluded), breadth
 * first, into out (room for nr): their count.
 */
size_t command__descendants(const struct proc_parent *all, size_t nr, int root, int *out);
/*
 * Ends every process descended from memleakd (the command and all it left,
 * adopted orphans included): SIGTERM and SIGCONT, up to grace_ms for them
 * to exit, then SIGKILL to those left; reaps them. Returns how many there
 * were; *nr_killed: how many needed SIGKILL.
 */
size_t command__end_tree(struct command *c, int grace_ms, size_t *nr_killed);
/* "exited with status 3", "killed by signal 11 (Segmentation fault)". */
const char *command__describe(int wait_status, char *buf, size_t len);
/* Frees c; a child not yet released is killed and reaped. Accepts NULL. */
void command__free(struct command *c);

#endif
