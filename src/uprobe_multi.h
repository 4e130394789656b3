/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uprobe_multi links (Linux >= 6.6) through bpf(2) itself: libbpf 1.1 has
 * no API for them. One link puts one program on many offsets of one file,
 * for one process (the kernel filters by pid: no other process traps) or
 * for all (pid 0). Closing the link's fd detaches it.
 */
#ifndef MEMLEAKD_UPROBE_MULTI_H
#define MEMLEAKD_UPROBE_MULTI_H

#include <stddef.h>
#include <stdint.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (uapi 6.6; Debian 12's headers lack it). */
#define UPROBE_MULTI_ATTACH_TYPE   48
/* BPF_TRACE_UPROBE_SESSION (6.12): one program at entry and return; entry returning 1 skips the
 * return. */
#define UPROBE_SESSION_ATTACH_TYPE 57

/* What a link's program runs at. */
enum uprobe_multi_kind {
	UPROBE_MULTI_ENTRY,
	UPROBE_MULTI_RETURN,
	/* Entry and return (program loaded with UPROBE_SESSION_ATTACH_TYPE). */
	UPROBE_MULTI_SESSION,
};

/* Whether the running kernel creates uprobe_multi links. */
int uprobe_multi__supported(void);
/* Whether it creates uprobe session links (Linux >= 6.12). */
int uprobe_multi__session_supported(void);

/*
 * Attaches prog_fd (loaded with expected_attach_type UPROBE_MULTI_ATTACH_TYPE,
 * or UPROBE_SESSION_ATTACH_TYPE for a session) at offsets[0..nr) of path,
 * with cookies (NULL: 0), as kind says, for pid (0: every process). The
 * link's fd, or -errno.
 */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t nr, enum uprobe_multi_kind kind, int pid);

#endif
