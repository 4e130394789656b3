// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

struct outfile {
	char *path;
	char *tmp_path;
	FILE *stream;
};

/*
 * The mode a new file gets from open(path, O_CREAT, 0666): what the user's
 * umask allows, as for any file a tool writes. With umask 077 the outputs
 * (system-wide ones describe every user's processes) stay private; with the
 * usual 022 they are 0644, as before. memleakd is single-threaded, so
 * reading the umask (which means setting it) races with nothing.
 */
static mode_t created_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

struct outfile *outfile__begin(const char *path)
{
	struct outfile *f = calloc(1, sizeof(*f));
	int fd, saved;

	if (!f)
		return NULL;
	f->path = strdup(path);
	if (!f->path || asprintf(&f->tmp_path, "%s.XXXXXX", path) < 0) {
		f->tmp_path = NULL;
		goto fail;
	}
	/*
	 * mkstemp: O_CREAT|O_EXCL with mode 0600, so no planted file or link is
	 * used; widened to what the umask allows once it is ours.
	 */
	fd = mkostemp(f->tmp_path, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, created_file_mode()) || !(f->stream = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		unlink(f->tmp_path);
		errno = saved;
		goto fail;
	}
	return f;
fail:
	saved = errno;
	free(f->tmp_path);
	free(f->path);
	free(f);
	errno = saved;
	return NULL;
}

FILE *outfile__stream(struct outfile *f)
{
	return f->stream;
}

static void outfile_free(struct outfile *f)
{
	free(f->tmp_path);
	free(f->path);
	free(f);
}

int outfile__commit(struct outfile *f)
{
	int err = 0;

	if (fflush(f->stream) || ferror(f->stream) || fsync(fileno(f->stream)))
		err = -errno ? -errno : -EIO;
	if (fclose(f->stream) && !err)
		err = -errno;
	if (!err && rename(f->tmp_path, f->path))
		err = -errno;
	if (err)
		unlink(f->tmp_path);
	outfile_free(f);
	return err;
}

void outfile__abort(struct outfile *f)
{
	if (!f)
		return;
	fclose(f->stream);
	unlink(f->tmp_path);
	outfile_free(f);
}

int outfile__check_writable(const char *path)
{
	struct outfile *f;
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	f = outfile__begin(path);
	if (!f)
		return -errno;
	outfile__abort(f);
	return 0;
}
