// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flamegraph.h"
#include "folded.h"
#include "json.h"
#include "log.h"
#include "outfile.h"
#include "outputs.h"
#include "pprof.h"
#include "report.h"

typedef int (*render_fn)(FILE *out, const struct snapshot *snap);

struct outputs {
	const struct opts *opts;
	FILE *json; /* --json stream (stdout with "-"), or NULL */
	struct report_opts report;
	int error; /* first failure writing a file */
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

/* Appended to, never truncated; a symlink planted at the path is refused. */
static FILE *open_json(const char *path)
{
	int fd;
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
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

int outputs__open(const struct opts *opts, struct outputs **out)
{
	struct outputs *outs;
	int err;

	outs = calloc(1, sizeof(*outs));
	if (!outs)
		return -ENOMEM;
	outs->opts = opts;
	outs->report = (struct report_opts){.top = opts->top, .color = use_color()};
	if (opts->json_path && !(outs->json = open_json(opts->json_path))) {
		err = -errno;
		p_err("cannot open --json file '%s': %s; choose a writable path (not a symlink)",
		      opts->json_path, strerror(errno));
		free(outs);
		return err;
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
	if (outs->json)
		note_error(outs, "--json ", o->json_path, json__render(outs->json, snap));
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
	free(outs);
}
