// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "metrics_server.h"

#define MAX_CONNECTIONS	  32
#define MAX_PER_CLIENT	  8
#define IDLE_TIMEOUT_S	  5
#define CONNECTION_MEMORY (16 * 1024) /* request line and headers: a scrape needs little */
#define LISTEN_BACKLOG	  16

static const char index_text[] = "memleakd: Prometheus metrics are at /metrics\n";
static const char not_found_text[] = "not found; the metrics are at /metrics\n";
static const char bad_method_text[] = "method not allowed; use GET /metrics\n";

struct metrics_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* guards text and len */
	char *text;
	size_t len;
};

/* A response of static text, queued; MHD_NO when out of memory. */
static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
				    const char *text, const char *allow)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The latest text, copied while the lock is held: publish never waits for a client. */
static enum MHD_Result reply_metrics(struct metrics_server *srv, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	pthread_mutex_lock(&srv->lock);
	resp = MHD_create_response_from_buffer(srv->len, srv->text ? srv->text : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&srv->lock);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct metrics_server *srv = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method_text,
				    "GET, HEAD");
	if (!strcmp(url, "/metrics"))
		return reply_metrics(srv, conn);
	if (!strcmp(url, "/"))
		return reply_static(conn, MHD_HTTP_OK, index_text, NULL);
	return reply_static(conn, MHD_HTTP_NOT_FOUND, not_found_text, NULL);
}

/* "127.0.0.1:9464" or "[::1]:9464", for messages. */
static void format_endpoint(const char *host, int port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

/* A bound, listening, non-blocking socket on host:port. fd or -errno, the cause printed. */
static int listen_on(const char *host, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	char where[96];
	socklen_t ss_len;
	int fd, one = 1, err;

	format_endpoint(host, port, where, sizeof(where));
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		ss_len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		ss_len = sizeof(*v6);
	} else {
		p_err(
		    "cannot serve metrics on %s: '%s' is not a numeric IPv4 or IPv6 address; give "
		    "one with --metrics ADDR:PORT (e.g. 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464)",
		    where, host);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		p_err("cannot serve metrics on %s: %s", where, strerror(err));
		return -err;
	}
	/* A restarted daemon rebinds at once (TIME_WAIT); never SO_REUSEPORT: no sharing. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, ss_len) || listen(fd, LISTEN_BACKLOG)) {
		err = errno;
		p_err("cannot serve metrics on %s: %s; choose another %s with --metrics", where,
		      strerror(err),
		      err == EADDRNOTAVAIL ? "address (one of this host's)" : "port");
		close(fd);
		return -err;
	}
	return fd;
}

int metrics_server__start(const char *host, int port, struct metrics_server **out)
{
	struct metrics_server *srv;
	sigset_t all, old;
	char where[96];
	int fd, err;

	*out = NULL;
	fd = listen_on(host, port);
	if (fd < 0)
		return fd;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	/* The server's thread inherits this mask: every signal stays with memleakd's own. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	srv->daemon =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, handle,
			     srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			     (unsigned int)MAX_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned int)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)CONNECTION_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE,
			     (unsigned int)LISTEN_BACKLOG, MHD_OPTION_END);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!srv->daemon) {
		format_endpoint(host, port, where, sizeof(where));
		p_err("cannot serve metrics on %s: the HTTP server did not start (%s)", where,
		      strerror(err ? err : ENOMEM));
		close(fd);
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return -(err ? err : ENOMEM);
	}
	*out = srv;
	return 0;
}

void metrics_server__publish(struct metrics_server *srv, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&srv->lock);
	old = srv->text;
	srv->text = text;
	srv->len = text ? len : 0;
	pthread_mutex_unlock(&srv->lock);
	free(old);
}

void metrics_server__stop(struct metrics_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon); /* closes the listening socket too */
	pthread_mutex_destroy(&srv->lock);
	free(srv->text);
	free(srv);
}
