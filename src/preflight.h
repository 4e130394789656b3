/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Before anything is loaded: the privileges and the kernel memleakd needs;
 * the open-file limit raised to its hard limit.
 */
#ifndef MEMLEAKD_PREFLIGHT_H
#define MEMLEAKD_PREFLIGHT_H

#include "outcome.h"

/* 0, or -errno with the stage in *why and the cause and fix printed. */
int preflight__check(enum fault *why);

#endif
