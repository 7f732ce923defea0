// SPDX-License-Identifier: BSD-2-Clause
/*
 * Report files: atomic replacement with an exact mode, and no way to make
 * blockwatch (root) write through a symlink or into a file planted for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "safefile.h"

#define UNUSED __attribute__((unused))

struct paths {
	char dir[32];
	char file[64];
	char tmp[96]; /* file.tmp.<our pid> */
	char victim[64];
	char link[64];
};

static int setup(void **state)
{
	struct paths *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	strcpy(p->dir, "/tmp/bw_safefile_XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	snprintf(p->file, sizeof(p->file), "%s/report", p->dir);
	snprintf(p->tmp, sizeof(p->tmp), "%s.tmp.%d", p->file, (int)getpid());
	snprintf(p->victim, sizeof(p->victim), "%s/victim", p->dir);
	snprintf(p->link, sizeof(p->link), "%s/link", p->dir);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct paths *p = *state;

	unlink(p->file);
	unlink(p->tmp);
	unlink(p->victim);
	unlink(p->link);
	rmdir(p->dir);
	free(p);
	return 0;
}

static int fill_text(FILE *f, void *ctx)
{
	return fputs(ctx, f) == EOF ? -EIO : 0;
}

static int fill_fails(FILE *f, void *ctx)
{
	(void)ctx;
	fputs("half a rep", f);
	return -ENOSPC;
}

static void assert_content(const char *path, const char *want)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_safefile__replace_mode(void **state)
{
	struct paths *p = *state;
	mode_t old = umask(077); /* the mode asked for wins over the umask */
	struct stat st;
	int fd;

	assert_int_equal(bw_safefile_check(p->file), 0);
	assert_int_equal(bw_safefile_replace(p->file, BW_SAFEFILE_MODE, fill_text, "one\n"), 0);
	assert_int_equal(stat(p->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_content(p->file, "one\n");
	/* a reader of the old file keeps it whole: the new one is another inode */
	fd = open(p->file, O_RDONLY);
	assert_int_equal(bw_safefile_replace(p->file, BW_SAFEFILE_MODE_PRIVATE, fill_text, "two\n"),
			 0);
	assert_content(p->file, "two\n");
	{
		char buf[8] = { 0 };

		assert_int_equal(read(fd, buf, sizeof(buf) - 1), 4);
		assert_string_equal(buf, "one\n");
	}
	close(fd);
	assert_int_equal(stat(p->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(access(p->tmp, F_OK), -1); /* no temporary left */
	umask(old);
}

static void test_safefile__refuses_symlink(void **state)
{
	struct paths *p = *state;
	struct stat st;

	write_file(p->victim, "precious\n");
	assert_int_equal(symlink(p->victim, p->link), 0);
	assert_int_equal(bw_safefile_check(p->link), -ELOOP);
	assert_int_equal(bw_safefile_replace(p->link, BW_SAFEFILE_MODE, fill_text, "pwned\n"),
			 -ELOOP);
	assert_content(p->victim, "precious\n");
	assert_int_equal(lstat(p->link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a dangling link too: nothing may be created at its target */
	unlink(p->victim);
	assert_int_equal(bw_safefile_replace(p->link, BW_SAFEFILE_MODE, fill_text, "pwned\n"),
			 -ELOOP);
	assert_int_equal(access(p->victim, F_OK), -1);
}

static void test_safefile__planted_temporary(void **state)
{
	struct paths *p = *state;
	struct stat st;

	/* a symlink planted at our temporary's name: removed, never followed */
	write_file(p->victim, "precious\n");
	assert_int_equal(symlink(p->victim, p->tmp), 0);
	assert_int_equal(bw_safefile_replace(p->file, BW_SAFEFILE_MODE, fill_text, "ok\n"), 0);
	assert_content(p->victim, "precious\n");
	assert_content(p->file, "ok\n");
	assert_int_equal(lstat(p->file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a regular file left there by a dead run: replaced as well */
	write_file(p->tmp, "stale");
	assert_int_equal(bw_safefile_replace(p->file, BW_SAFEFILE_MODE, fill_text, "ok2\n"), 0);
	assert_content(p->file, "ok2\n");
	assert_int_equal(access(p->tmp, F_OK), -1);
}

static void test_safefile__failures_leave_old_file(void **state)
{
	struct paths *p = *state;
	char missing[96], notdir[96];

	write_file(p->file, "old\n");
	assert_int_equal(bw_safefile_replace(p->file, BW_SAFEFILE_MODE, fill_fails, NULL), -ENOSPC);
	assert_content(p->file, "old\n");
	assert_int_equal(access(p->tmp, F_OK), -1);
	/* a directory is not a report file */
	assert_int_equal(bw_safefile_check(p->dir), -EINVAL);
	assert_int_equal(bw_safefile_replace(p->dir, BW_SAFEFILE_MODE, fill_text, "x"), -EINVAL);
	snprintf(missing, sizeof(missing), "%s/no/such/dir/report", p->dir);
	assert_int_equal(bw_safefile_check(missing), -ENOENT);
	assert_int_equal(bw_safefile_replace(missing, BW_SAFEFILE_MODE, fill_text, "x"), -ENOENT);
	snprintf(notdir, sizeof(notdir), "%s/report/x", p->dir);
	assert_int_equal(bw_safefile_check(notdir), -ENOTDIR);
}

/* opts: a prefix; data: the text, NULL for a failure half-way */
static int fill_prefixed(FILE *f, const void *data, const void *opts)
{
	if (!data)
		return fill_fails(f, NULL);
	return fprintf(f, "%s%s", (const char *)opts, (const char *)data) < 0 ? -EIO : 0;
}

/* The lifecycle every file exporter shares: checked at once, replaced at each update. */
static void test_safefile__report_file(void **state)
{
	struct paths *p = *state;
	char prefix[8] = "> ";
	struct bw_report_file *rf;
	struct stat st;

	rf = bw_report_file__new(p->file, fill_prefixed, prefix, sizeof(prefix));
	assert_non_null(rf);
	strcpy(prefix, "!! ");			     /* the options were copied */
	assert_int_equal(access(p->file, F_OK), -1); /* nothing written before a report */
	assert_int_equal(bw_report_file__update(rf, "one\n"), 0);
	assert_content(p->file, "> one\n");
	assert_int_equal(bw_report_file__update(rf, "two\n"), 0);
	assert_content(p->file, "> two\n");
	assert_int_equal(stat(p->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, BW_SAFEFILE_MODE);
	/* a failed update leaves the last report */
	assert_int_equal(bw_report_file__update(rf, NULL), -ENOSPC);
	assert_content(p->file, "> two\n");
	assert_int_equal(access(p->tmp, F_OK), -1);
	bw_report_file__free(rf);
	bw_report_file__free(NULL);
	/* a symlink is refused when the output is made, before any report */
	assert_int_equal(symlink(p->file, p->link), 0);
	errno = 0;
	assert_null(bw_report_file__new(p->link, fill_prefixed, NULL, 0));
	assert_int_equal(errno, ELOOP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_safefile__replace_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safefile__refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safefile__planted_temporary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safefile__failures_leave_old_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_safefile__report_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
