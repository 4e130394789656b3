/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A Go binary's .gopclntab (PIE: .data.rel.ro.gopclntab) read from its ELF
 * file, with the go:func.* area its inline trees live in, found through
 * moduledata (.noptrdata) so stripped binaries (-s -w) get inlined frames
 * too. The file is untrusted: section sizes are capped and every table
 * offset is checked by gopclntab.
 */
#ifndef MEMLEAKD_GOELF_H
#define MEMLEAKD_GOELF_H

#include <stdint.h>

#include "gopclntab.h"

/* Most bytes read for the table, for moduledata's section and for the go:func.* area. */
#define GOELF_MAX_PCLNTAB   (256u << 20)
#define GOELF_MAX_NOPTRDATA (64u << 20)
#define GOELF_MAX_GOFUNC    (256u << 20)

/*
 * The table of the ELF file behind fd (the fd stays the caller's; read with
 * pread, never mapped). 0, -ENOENT (no Go table: not a Go binary), -EINVAL
 * (a table gopclntab refuses, e.g. Go < 1.18), -EFBIG (over a cap), -EIO,
 * -ENOMEM. Without moduledata the table still resolves, without inline
 * frames.
 */
int goelf__load_fd(int fd, struct gopclntab **out);

#endif
