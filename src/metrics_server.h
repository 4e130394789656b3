/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The --metrics HTTP endpoint (libmicrohttpd, its own thread): GET or HEAD
 * /metrics serves the last text published; / says where the metrics are;
 * any other path is 404, any other method 405. Publishing swaps the text
 * under a lock the request handler holds only to copy it: the caller never
 * waits for a client. Bounded: 32 connections, 8 per client address,
 * 5 s idle timeout, small per-connection memory.
 */
#ifndef MEMLEAKD_METRICS_SERVER_H
#define MEMLEAKD_METRICS_SERVER_H

#include <stddef.h>

struct metrics_server;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Listens on host (a numeric IPv4 or IPv6 address: "127.0.0.1", "::1",
 * "0.0.0.0", "::") and port. The server thread runs with every signal
 * blocked. 0 or -errno, the cause and the fix printed.
 */
int metrics_server__start(const char *host, int port, struct metrics_server **out);
/* Replaces what /metrics serves with text (taken over: freed by the server). */
void metrics_server__publish(struct metrics_server *srv, char *text, size_t len);
/* Stops the thread, closes the socket, frees everything. Accepts NULL. */
void metrics_server__stop(struct metrics_server *srv);

#endif
