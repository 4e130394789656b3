// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flamegraph.h"
#include "folded.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "metrics_server.h"
#include "outfile.h"
#include "outputs.h"
#include "pprof.h"
#include "report.h"

#ifndef MEMLEAKD_VERSION
#define MEMLEAKD_VERSION "0.1.0" /* as opts.c's --version */
#endif

typedef int (*render_fn)(FILE *out, const struct snapshot *snap);

struct outputs {
	const struct opts *opts;
	FILE *json; /* --json stream (stdout with "-"), or NULL */
	struct report_opts report;
	struct metrics_server *metrics; /* --metrics, or NULL */
	struct metrics_opts metrics_opts;
	bool metrics_warned; /* a snapshot could not be rendered: said once */
	int error;	     /* first failure writing a file */
};

static bool use_color(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

static int check_writable(const char *option, const char *path)
{
	int err;

	if (!path)
		return 0;
	err = outfile__check_writable(path);
	if (err)
		p_err("cannot write %s file '%s': %s; choose a writable path", option, path,
		      strerror(-err));
	return err;
}

/*
 * Why an opened --json file must not be used, or NULL. memleakd runs as root
 * and the path may be in a directory others write to (/tmp): a file another
 * user owns (they could have forged earlier lines, and root must not append
 * to it), a second hard link to someone's file, or anything but a regular
 * file (a FIFO someone reads, a device).
 */
static const char *json_file_problem(const struct stat *st, uid_t euid, char *buf, size_t len)
{
	if (!S_ISREG(st->st_mode))
		return S_ISFIFO(st->st_mode) ? "it is a FIFO, not a regular file"
					     : "it is not a regular file";
	if (st->st_uid != euid) {
		snprintf(buf, len, "it belongs to another user (uid %u)", (unsigned int)st->st_uid);
		return buf;
	}
	if (st->st_nlink != 1) {
		snprintf(buf, len, "it has %ju hard links", (uintmax_t)st->st_nlink);
		return buf;
	}
	return NULL;
}

/* The cause of a failed open, for the one-line error. */
static const char *json_open_problem(int err)
{
	if (err == ELOOP)
		return "it is a symlink";
	if (err == ENXIO)
		return "it is a FIFO nobody reads (or a device that is not there)";
	return strerror(err);
}

/*
 * Appended to, never truncated. A planted symlink is refused (O_NOFOLLOW),
 * a FIFO cannot block start-up (O_NONBLOCK, cleared once the file is
 * checked), and the file must pass json_file_problem. 0 or -errno, the
 * cause and the fix printed.
 */
static int open_json(const char *path, FILE **out)
{
	char why_buf[64];
	const char *why;
	struct stat st;
	int fd, flags, err;

	if (!strcmp(path, "-")) {
		*out = stdout;
		return 0;
	}
	fd = open(path,
		  O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK,
		  0666);
	if (fd < 0) {
		err = errno;
		p_err("cannot open --json file '%s': %s; choose another path", path,
		      json_open_problem(err));
		return -err;
	}
	if (fstat(fd, &st)) {
		why = strerror(errno);
	} else {
		why = json_file_problem(&st, geteuid(), why_buf, sizeof(why_buf));
		flags = fcntl(fd, F_GETFL);
		if (!why && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)))
			why = strerror(errno);
	}
	if (!why && !(*out = fdopen(fd, "a")))
		why = strerror(errno);
	if (why) {
		p_err("refusing --json file '%s': %s; remove it or choose another path (memleakd "
		      "creates the file, or appends to a regular file of your own)",
		      path, why);
		close(fd);
		return -EPERM;
	}
	return 0;
}

int outputs__check(const struct opts *opts)
{
	int err;

	err = check_writable("--folded", opts->folded_path);
	if (!err)
		err = check_writable("--pprof", opts->pprof_path);
	if (!err)
		err = check_writable("--svg", opts->svg_path);
	return err;
}

/*
 * Starts the --metrics server. Until the first snapshot it serves a valid
 * exposition holding memleakd_build_info only: a scrape in the first
 * interval succeeds (up stays 1 across restarts) and has nothing to mislead.
 */
static int open_metrics(struct outputs *outs)
{
	const struct opts *o = outs->opts;
	char *text;
	size_t len;
	int err;

	outs->metrics_opts =
	    (struct metrics_opts){.top = o->metrics_top, .version = MEMLEAKD_VERSION};
	err = metrics_server__start(o->metrics_host, o->metrics_port, &outs->metrics);
	if (err)
		return err;
	if (!metrics__render(NULL, &outs->metrics_opts, &text, &len))
		metrics_server__publish(outs->metrics, text, len);
	p_info(strchr(o->metrics_host, ':') ? "metrics: serving http://[%s]:%d/metrics"
					    : "metrics: serving http://%s:%d/metrics",
	       o->metrics_host, o->metrics_port);
	return 0;
}

/* Renders snap for the endpoint and swaps it in; on failure the last one stays. */
static void publish_metrics(struct outputs *outs, const struct snapshot *snap)
{
	char *text;
	size_t len;
	int err = metrics__render(snap, &outs->metrics_opts, &text, &len);

	if (err) {
		if (!outs->metrics_warned)
			p_warn("cannot render the metrics: %s; /metrics serves the last snapshot",
			       strerror(-err));
		outs->metrics_warned = true;
		return;
	}
	metrics_server__publish(outs->metrics, text, len);
}

int outputs__open(const struct opts *opts, struct outputs **out)
{
	struct outputs *outs;
	int err;

	outs = calloc(1, sizeof(*outs));
	if (!outs)
		return -ENOMEM;
	outs->opts = opts;
	outs->report = (struct report_opts){.top = opts->top, .color = use_color()};
	if (opts->json_path) {
		err = open_json(opts->json_path, &outs->json);
		if (err) {
			free(outs);
			return err;
		}
	}
	if (opts->metrics_addr) {
		err = open_metrics(outs);
		if (err) {
			outputs__close(outs);
			return err;
		}
	}
	*out = outs;
	return 0;
}

/* Renders into a temporary file and renames it over path: readers never see half. */
static int write_atomic(const char *path, render_fn render, const struct snapshot *snap)
{
	struct outfile *f = outfile__begin(path);
	int err;

	if (!f)
		return -errno;
	err = render(outfile__stream(f), snap);
	if (err) {
		outfile__abort(f);
		return err;
	}
	return outfile__commit(f);
}

static void note_error(struct outputs *outs, const char *what, const char *path, int err)
{
	if (!err || outs->error)
		return;
	p_err("cannot write %s'%s': %s", what, path, strerror(-err));
	outs->error = err;
}

/*
 * The goroutine and Go heap profiles beside --pprof FILE, each only when the
 * snapshot has such stacks; written like FILE (outfile: a fresh temporary
 * file, renamed over the target).
 */
static void write_go_profiles(struct outputs *outs, const struct snapshot *snap)
{
	const struct {
		enum alloc_kind kind;
		render_fn render;
	} sides[] = {
	    {KIND_GOROUTINE, pprof__write_goroutines},
	    {KIND_GO_HEAP, pprof__write_go_heap},
	};
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		if (!pprof__has_kind(snap, sides[i].kind))
			continue;
		err = pprof__side_path(outs->opts->pprof_path, alloc_kind__name(sides[i].kind),
				       path, sizeof(path));
		if (!err)
			err = write_atomic(path, sides[i].render, snap);
		note_error(outs, "", err == -ENAMETOOLONG ? outs->opts->pprof_path : path, err);
	}
	/* What exited processes left: "X.exited.pb.gz", once the tally holds anything. */
	if (!snap->nr_exited)
		return;
	err = pprof__side_path(outs->opts->pprof_path, "exited", path, sizeof(path));
	if (!err)
		err = write_atomic(path, pprof__write_exited, snap);
	note_error(outs, "", err == -ENAMETOOLONG ? outs->opts->pprof_path : path, err);
}

int outputs__write(struct outputs *outs, const struct snapshot *snap)
{
	const struct opts *o = outs->opts;
	const struct {
		const char *path;
		render_fn render;
	} files[] = {
	    {o->folded_path, folded__render},
	    {o->pprof_path, pprof__write},
	    {o->svg_path, flamegraph__render},
	};
	bool stdout_gone = false;
	size_t i;

	/* With --json -, stdout carries JSON lines only. */
	if (outs->json != stdout && report__render(stdout, snap, &outs->report))
		stdout_gone = true;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].path)
			note_error(outs, "", files[i].path,
				   write_atomic(files[i].path, files[i].render, snap));
	if (o->pprof_path)
		write_go_profiles(outs, snap);
	if (outs->json)
		note_error(outs, "--json ", o->json_path, json__render(outs->json, snap));
	if (outs->metrics)
		publish_metrics(outs, snap);
	if (stdout_gone)
		return -EPIPE;
	return outs->error;
}

int outputs__error(const struct outputs *outs)
{
	return outs ? outs->error : 0;
}

void outputs__close(struct outputs *outs)
{
	if (!outs)
		return;
	if (outs->json && outs->json != stdout)
		fclose(outs->json);
	metrics_server__stop(outs->metrics);
	free(outs);
}
