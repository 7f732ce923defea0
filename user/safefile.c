// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"

/* PATH must be absent or a regular file; never a symlink. */
static int check_target(const char *path)
{
	struct stat st;
	int err;

	if (lstat(path, &st)) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		bw_err("failed to inspect report file '%s': %s", path, strerror(-err));
		return err;
	}
	if (S_ISLNK(st.st_mode)) {
		bw_err("failed to replace report file '%s': it is a symlink, refusing to write "
		       "through it",
		       path);
		return -ELOOP;
	}
	if (!S_ISREG(st.st_mode)) {
		bw_err("failed to replace report file '%s': not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

int bw_safefile_check(const char *path)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (stat(dir, &st)) {
		err = -errno;
		bw_err("failed to find the directory of report file '%s': %s", path,
		       strerror(-err));
	} else if (!S_ISDIR(st.st_mode)) {
		err = -ENOTDIR;
		bw_err("failed to find the directory of report file '%s': %s", path,
		       strerror(-err));
	}
	free(copy);
	return err ? err : check_target(path);
}

/*
 * A new file, never an existing one and never through a symlink. A
 * temporary of our pid can only be left by a run that died (pid reuse):
 * it is removed (unlink removes a link, not its target) and tried again once.
 */
static int open_tmp(const char *tmp, mode_t mode)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, mode), err;

	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, flags, mode);
	if (fd < 0) {
		err = -errno;
		bw_err("failed to create '%s': %s", tmp, strerror(-err));
		return err;
	}
	/* the mode the caller asked for, whatever the umask */
	if (fchmod(fd, mode)) {
		err = -errno;
		bw_err("failed to set the mode of '%s': %s", tmp, strerror(-err));
		close(fd);
		unlink(tmp);
		return err;
	}
	return fd;
}

/* Fill, flush and fsync the temporary file; closes fd in every case. */
static int fill_tmp(int fd, const char *tmp, bw_safefile_fill_fn fill, void *ctx)
{
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	err = fill(f, ctx);
	if (!err && fflush(f) == EOF)
		err = -errno;
	if (!err && ferror(f))
		err = -EIO;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) == EOF && !err)
		err = -errno;
	if (err)
		bw_err("failed to write '%s': %s", tmp, strerror(-err));
	return err;
}

int bw_safefile_replace(const char *path, mode_t mode, bw_safefile_fill_fn fill, void *ctx)
{
	char *tmp = NULL;
	int fd, err;

	err = check_target(path);
	if (err)
		return err;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open_tmp(tmp, mode);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = fill_tmp(fd, tmp, fill, ctx);
	if (!err && rename(tmp, path)) {
		err = -errno;
		bw_err("failed to rename '%s' to '%s': %s", tmp, path, strerror(-err));
	}
	if (err)
		unlink(tmp);
out:
	free(tmp);
	return err;
}

struct bw_report_file {
	char *path;
	bw_report_file_fill_fn fill;
	void *opts;
};

struct bw_report_file *bw_report_file__new(const char *path, bw_report_file_fill_fn fill,
					   const void *opts, size_t opts_size)
{
	struct bw_report_file *rf;
	int err = bw_safefile_check(path);

	if (err) {
		errno = -err;
		return NULL;
	}
	rf = calloc(1, sizeof(*rf));
	if (!rf)
		return NULL;
	rf->fill = fill;
	rf->path = strdup(path);
	rf->opts = calloc(1, opts_size ? opts_size : 1);
	if (!rf->path || !rf->opts) {
		bw_report_file__free(rf);
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		memcpy(rf->opts, opts, opts_size);
	return rf;
}

struct update {
	const struct bw_report_file *rf;
	const void *data;
};

static int fill_report(FILE *f, void *ctx)
{
	const struct update *u = ctx;

	return u->rf->fill(f, u->data, u->rf->opts);
}

int bw_report_file__update(struct bw_report_file *rf, const void *data)
{
	struct update u = { .rf = rf, .data = data };

	return bw_safefile_replace(rf->path, BW_SAFEFILE_MODE, fill_report, &u);
}

void bw_report_file__free(struct bw_report_file *rf)
{
	if (!rf)
		return;
	free(rf->opts);
	free(rf->path);
	free(rf);
}
