/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The signals memleakd answers. Tracing a process: SIGINT, SIGTERM and
 * SIGHUP end the run (a second Ctrl-C kills at once). Command mode: the
 * command decides when the run ends; Ctrl-C reaches it directly (same
 * process group), SIGTERM and SIGHUP sent to memleakd are passed on to it;
 * a second SIGINT or SIGTERM ends the run anyway, a third kills at once.
 * SIGPIPE is ignored: a closed stdout is seen as a write error.
 */
#ifndef MEMLEAKD_SIGNALS_H
#define MEMLEAKD_SIGNALS_H

#include <stdbool.h>

/* 0 or -errno. */
int signals__install(bool command_mode);
/* A stop was asked for (a signal, or signals__request_stop). */
bool signals__stop_requested(void);
void signals__request_stop(void);
/* Command mode: the signal to pass on to the command, then 0 until the next one. */
int signals__take_forward(void);

#endif
