/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Can this process load BPF, attach uprobes and read other processes? */
#ifndef MEMLEAKD_PRIVS_H
#define MEMLEAKD_PRIVS_H

#include <stddef.h>

/*
 * 0 when the effective capabilities suffice, else -EPERM with the missing
 * ones named in missing (e.g. "CAP_BPF CAP_PERFMON").
 */
int privs__check(char *missing, size_t len);

#endif
