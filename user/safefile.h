/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Report files (--textfile, --pprof, --folded, --flamegraph) written safely: blockwatch
 * runs as root, often in directories others can write to, and a report is
 * read by other programs while it is being replaced.
 *
 * Each write goes to PATH.tmp.<pid> in the same directory, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC (never an existing file, never
 * through a symlink), given exactly the requested mode (umask aside),
 * filled, flushed, fsync()ed and rename()d over PATH: a reader sees the old
 * report or the new one, never half of one. PATH itself is refused when it
 * is a symlink (rename would replace the link, so nothing is written
 * through it either way, but a silently replaced link is a surprise) or
 * anything but a regular file.
 *
 * Functions return 0 or a negative errno and log what failed; on failure
 * the temporary file is removed and PATH is left as it was.
 */
#ifndef BW_SAFEFILE_H
#define BW_SAFEFILE_H

#include <stdio.h>
#include <sys/types.h>

#define BW_SAFEFILE_MODE 0644 /* readable by collectors (node_exporter runs as a user) */
#define BW_SAFEFILE_MODE_PRIVATE 0600

/* Fills f with the file's content; returns 0 or a negative errno. */
typedef int (*bw_safefile_fill_fn)(FILE *f, void *ctx);

/*
 * Can PATH be replaced? Its directory must exist and PATH must be absent or
 * a regular file. For the command line, to fail before attaching.
 */
int bw_safefile_check(const char *path);

/* Atomically replace PATH with what fill writes, mode e.g. BW_SAFEFILE_MODE. */
int bw_safefile_replace(const char *path, mode_t mode, bw_safefile_fill_fn fill, void *ctx);

/*
 * A report file: an output that is one file, PATH, replaced whole at every
 * report (--textfile, --pprof, --folded, --flamegraph). PATH is checked
 * when the object is made (bw_safefile_check), so that a bad one stops the
 * run before anything is attached; each update replaces it with
 * bw_safefile_replace (BW_SAFEFILE_MODE), which logs a failure once, and
 * the run goes on.
 */
struct bw_report_file;

/* Writes data (a report) into f, as opts (the options given to __new) say. */
typedef int (*bw_report_file_fill_fn)(FILE *f, const void *data, const void *opts);

/* opts: opts_size bytes, copied; NULL for zeroes. NULL and errno on failure (logged). */
struct bw_report_file *bw_report_file__new(const char *path, bw_report_file_fill_fn fill,
					   const void *opts, size_t opts_size);
/* Replace PATH with fill(f, data, opts). 0 or a negative errno. */
int bw_report_file__update(struct bw_report_file *rf, const void *data);
void bw_report_file__free(struct bw_report_file *rf);

#endif /* BW_SAFEFILE_H */
