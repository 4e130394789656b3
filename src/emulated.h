/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Processes whose code an emulator runs: valgrind's tools and qemu-user
 * translate the guest's instructions, so the int3 a uprobe writes into a
 * file's page is the guest's own breakpoint to them, and the process dies
 * of SIGTRAP the first time it runs a probed function. With probes on whole
 * files (-f, system-wide) any such process mapping a probed file is in
 * reach: memleakd finds them (at start and at every report) and warns once
 * for each. /proc input is the process's to shape: only its exe link's
 * base name and its comm are looked at.
 */
#ifndef MEMLEAKD_EMULATED_H
#define MEMLEAKD_EMULATED_H

#include <stddef.h>

enum emulator {
	EMULATOR_NONE,
	EMULATOR_VALGRIND,
	EMULATOR_QEMU_USER,
};

/*
 * The emulator running a process with this executable (its /proc/PID/exe
 * target, may be NULL) and comm (may be NULL): valgrind's tools are
 * executables named TOOL-ARCH-linux (under .../valgrind/), which is also
 * how their comm starts; qemu-user is an executable named qemu-ARCH
 * (qemu-system-* runs a virtual machine, not a process's code: none).
 */
enum emulator emulated__classify(const char *exe, const char *comm);
/* "valgrind", "qemu-user" or "none". */
const char *emulator__name(enum emulator e);

/* The emulated processes found so far, each warned about once. */
struct emulated_watch;

/* proc_root: "/proc", or a directory laid out like it (tests). NULL when out of memory. */
struct emulated_watch *emulated_watch__new(const char *proc_root);
void emulated_watch__free(struct emulated_watch *w);
/* pid's emulator, read from proc_root/PID/{exe,comm}; EMULATOR_NONE when unreadable. */
enum emulator emulated_watch__of(const struct emulated_watch *w, int pid);
/*
 * Looks at every process in proc_root (memleakd excluded) and warns once
 * per emulated process, naming it, what will happen and how to avoid it.
 * Returns how many were new.
 */
size_t emulated_watch__scan(struct emulated_watch *w);

#endif
