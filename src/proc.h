/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What /proc says about a process: its name, whether it is alive, whether
 * it maps files, a pidfd to watch it, and the list of processes. Every file
 * read here is the target's to shape: input is untrusted and bounded.
 */
#ifndef MEMLEAKD_PROC_H
#define MEMLEAKD_PROC_H

#include <stdbool.h>
#include <stddef.h>

/* proc__open_pidfd: alive, but pidfd_open is missing (valgrind, old kernels): poll it. */
#define PROC_NO_PIDFD (-2)

/* Reads a whole /proc file (they have no size) into a NUL-terminated buffer. 0 or -errno. */
int read_proc_file(const char *path, char **text, size_t *len);

/* pid's name from /proc/PID/comm into comm[len], "?" when it cannot be read. */
void proc__read_comm(int pid, char *comm, size_t len);
/*
 * pid's executable (the /proc/PID/exe link, " (deleted)" removed) into
 * exe[len], cut to fit; "" when it cannot be read (gone, kernel thread).
 */
void proc__read_exe(int pid, char *exe, size_t len);
/* Alive and not a zombie (from /proc/PID/stat). */
bool proc__alive(int pid);
/*
 * The state letter of a /proc/PID/stat text ("pid (comm) S ..."; comm may
 * hold spaces and parentheses), '\0' when malformed.
 */
char proc__stat_state(const char *stat_text);
/* Stopped ('T') or traced ('t'): it runs no code until someone resumes it. */
bool proc__stopped(int pid);
/* pid maps something: kernel threads have an empty maps file. */
bool proc__maps_anything(int pid);
/*
 * A pidfd that polls readable when pid exits; PROC_NO_PIDFD when the
 * process lives but pidfd_open is missing; -errno when it does not exist.
 */
int proc__open_pidfd(int pid);
/*
 * The same with at most max_tries attempts 2 ms apart (proc__open_pidfd
 * makes 5): 1 where a process gone already is common and a failure costs
 * only polling (system-wide, where a pause per process stalls the drain).
 */
int proc__open_pidfd_tries(int pid, int max_tries);
/*
 * pid has exited: its pidfd polls readable (authoritative), or without one
 * (pidfd < 0) /proc says it is gone or a zombie.
 */
bool proc__gone(int pid, int pidfd);
/*
 * Calls fn for every process in /proc (memleakd excluded) until fn returns
 * non-zero, which is then returned. 0 or -errno (/proc unreadable).
 */
int proc__for_each_pid(int (*fn)(void *ctx, int pid), void *ctx);

#endif
