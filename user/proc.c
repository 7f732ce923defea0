// SPDX-License-Identifier: BSD-2-Clause
/*
 * /proc readers. The parsers take FILE * or buffers so that fixtures can feed
 * them; everything they read comes from the target and is treated as hostile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proc.h"

#define PF_KTHREAD_FLAG 0x00200000 /* include/linux/sched.h */

/* Parses 1..16 hex digits at *p; advances *p. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	for (; s < end; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int parse_perms(const char **p, const char *end, unsigned int *perms)
{
	const char *s = *p;

	if (end - s < 4)
		return -EINVAL;
	*perms = 0;
	if (s[0] == 'r')
		*perms |= BW_MAP_READ;
	else if (s[0] != '-')
		return -EINVAL;
	if (s[1] == 'w')
		*perms |= BW_MAP_WRITE;
	else if (s[1] != '-')
		return -EINVAL;
	if (s[2] == 'x')
		*perms |= BW_MAP_EXEC;
	else if (s[2] != '-')
		return -EINVAL;
	if (s[3] == 'p')
		*perms |= BW_MAP_PRIVATE;
	else if (s[3] != 's')
		return -EINVAL;
	*p = s + 4;
	return 0;
}

/* "start-end perms offset major:minor inode" */
static int parse_fields(const char **p, const char *end, struct bw_mapping *m)
{
	uint64_t major, minor;

	if (parse_hex(p, end, &m->start) || expect_char(p, end, '-') ||
	    parse_hex(p, end, &m->end) || expect_char(p, end, ' ') ||
	    parse_perms(p, end, &m->perms) || expect_char(p, end, ' ') ||
	    parse_hex(p, end, &m->offset) || expect_char(p, end, ' ') ||
	    parse_hex(p, end, &major) || expect_char(p, end, ':') || parse_hex(p, end, &minor) ||
	    expect_char(p, end, ' ') || parse_dec(p, end, &m->inode))
		return -EINVAL;
	if (m->start >= m->end || major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	m->dev_major = (uint32_t)major;
	m->dev_minor = (uint32_t)minor;
	return 0;
}

/*
 * The path is everything after the padding: the kernel escapes only '\n'
 * (as "\012"), so spaces and any other byte belong to it, and a deleted
 * file keeps its " (deleted)" suffix.
 */
static int parse_line(const char *line, size_t len, struct bw_mapping *m)
{
	const char *p = line, *end = line + len;

	if (len && end[-1] == '\n')
		end--;
	if (memchr(line, '\0', (size_t)(end - line)))
		return -EINVAL;
	if (parse_fields(&p, end, m))
		return -EINVAL;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	m->path = strndup(p, (size_t)(end - p));
	return m->path ? 0 : -ENOMEM;
}

static int append(struct bw_maps *maps, size_t *cap, const struct bw_mapping *m)
{
	if (maps->n == *cap) {
		size_t new_cap = *cap ? *cap * 2 : 64;
		struct bw_mapping *v = realloc(maps->v, new_cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		maps->v = v;
		*cap = new_cap;
	}
	maps->v[maps->n++] = *m;
	return 0;
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct bw_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool is_sorted(const struct bw_maps *maps)
{
	for (size_t i = 1; i < maps->n; i++)
		if (maps->v[i].start < maps->v[i - 1].start)
			return false;
	return true;
}

int bw_maps__parse(FILE *f, struct bw_maps *out)
{
	char *line = NULL;
	size_t line_cap = 0, cap = 0;
	ssize_t len;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	while ((len = getline(&line, &line_cap, f)) >= 0) {
		struct bw_mapping m = {};

		err = parse_line(line, (size_t)len, &m);
		if (!err)
			err = append(out, &cap, &m);
		if (err) {
			free(m.path);
			goto cleanup;
		}
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	/* the kernel prints in address order; a fixture might not */
	if (!is_sorted(out))
		qsort(out->v, out->n, sizeof(*out->v), cmp_mapping);
cleanup:
	free(line);
	if (err)
		bw_maps__free(out);
	return err;
}

int bw_maps__load(const char *proc_root, pid_t pid, struct bw_maps *out)
{
	char path[PATH_MAX];
	FILE *f;
	int err;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "%s/%d/maps", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	err = bw_maps__parse(f, out);
	fclose(f);
	return err;
}

const struct bw_mapping *bw_maps__find(const struct bw_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	/* last mapping with start <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (maps->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= maps->v[lo - 1].end)
		return NULL;
	return &maps->v[lo - 1];
}

void bw_maps__free(struct bw_maps *maps)
{
	if (!maps)
		return;
	for (size_t i = 0; i < maps->n; i++)
		free(maps->v[i].path);
	free(maps->v);
	maps->v = NULL;
	maps->n = 0;
}

struct bw_mem {
	int fd; /* /proc/PID/mem, or -1: process_vm_readv */
	pid_t pid;
};

/* A read at address 0, never mapped, fails with EFAULT once the access check has passed. */
static bool vm_readv_allowed(pid_t pid)
{
	char c;
	struct iovec local = { &c, 1 }, remote = { NULL, 1 };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n == 1 || (n < 0 && errno == EFAULT);
}

struct bw_mem *bw_mem__open(pid_t pid)
{
	char path[64];
	struct bw_mem *mem = calloc(1, sizeof(*mem));
	int err;

	if (!mem)
		return NULL;
	mem->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mem->fd >= 0)
		return mem;
	err = errno;
	/*
	 * /proc/PID/mem is mode 0600, owned by the target: with CAP_SYS_PTRACE but
	 * not CAP_DAC_OVERRIDE (capabilities instead of root) its open fails, while
	 * process_vm_readv checks ptrace access only.
	 */
	if ((err == EACCES || err == EPERM) && vm_readv_allowed(pid))
		return mem;
	free(mem);
	errno = err == ENOENT ? ESRCH : err;
	return NULL;
}

static int read_vm(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec local = { (char *)buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EFAULT && errno != ENOMEM && errno != ESRCH)
			return -errno;
		if (n <= 0)
			return -EFAULT; /* unmapped, or the process is gone */
		done += (size_t)n;
	}
	return 0;
}

int bw_mem__read(struct bw_mem *mem, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	/* pread takes a signed offset; user space never lives that high */
	if (addr > INT64_MAX || len > INT64_MAX - addr)
		return -EFAULT;
	if (mem->fd < 0)
		return read_vm(mem->pid, addr, buf, len);
	while (done < len) {
		ssize_t n = pread(mem->fd, (char *)buf + done, len - done, (off_t)(addr + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EIO && errno != EFAULT)
			return -errno;
		if (n <= 0)
			return -EFAULT; /* unmapped, or the process is gone (reads return 0) */
		done += (size_t)n;
	}
	return 0;
}

void bw_mem__free(struct bw_mem *mem)
{
	if (!mem)
		return;
	if (mem->fd >= 0)
		close(mem->fd);
	free(mem);
}

/* Reads a small /proc file whole; returns its length or a negative errno. */
static ssize_t read_proc_file(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	return n;
}

int bw_proc__exists(pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st))
		return errno == ENOENT ? -ESRCH : -errno;
	return 0;
}

/* Copies the next space-separated field at *p into a number. */
static int next_field(const char **p, const char *end, uint64_t *out)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p < end && **p == '-') /* tty_nr, tpgid, nice may be negative: skipped by callers */
		(*p)++;
	return parse_dec(p, end, out);
}

int bw_proc__parse_stat(const char *buf, size_t len, struct bw_proc_stat *out)
{
	const char *end = buf + len, *open_paren, *close_paren, *p;
	uint64_t v;
	size_t comm_len;

	open_paren = memchr(buf, '(', len);
	close_paren = memrchr(buf, ')', len);
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EINVAL;
	comm_len = (size_t)(close_paren - open_paren - 1);
	if (comm_len >= sizeof(out->comm))
		comm_len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, comm_len);
	out->comm[comm_len] = '\0';
	p = close_paren + 1;
	if (end - p < 2 || p[0] != ' ')
		return -EINVAL;
	out->state = p[1];
	p += 2;
	/* fields 4 (ppid) to 22 (starttime), 1-based as in proc(5) */
	for (int field = 4; field <= 22; field++) {
		if (next_field(&p, end, &v))
			return -EINVAL;
		if (field == 4)
			out->ppid = (pid_t)v;
		else if (field == 9)
			out->flags = (unsigned int)v;
		else if (field == 22)
			out->start_ticks = v;
	}
	return 0;
}

static int read_stat(pid_t pid, struct bw_proc_stat *st)
{
	char buf[1024];
	ssize_t n = read_proc_file(pid, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return bw_proc__parse_stat(buf, (size_t)n, st);
}

bool bw_proc__is_kernel_thread(pid_t pid)
{
	struct bw_proc_stat st;

	if (read_stat(pid, &st))
		return false;
	return st.flags & PF_KTHREAD_FLAG;
}

int bw_proc__comm(pid_t pid, char *buf, size_t size)
{
	char tmp[64];
	ssize_t n = read_proc_file(pid, "comm", tmp, sizeof(tmp));

	if (n < 0)
		return (int)n;
	if (n && tmp[n - 1] == '\n')
		tmp[--n] = '\0';
	if ((size_t)n >= size)
		return -ERANGE;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

int bw_proc__exe(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	if (!size)
		return -ERANGE;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, size);
	if (n < 0) {
		int err = -errno;

		/* a kernel thread has no exe (ENOENT) but exists */
		return err == -ENOENT && bw_proc__exists(pid) ? -ESRCH : err;
	}
	if ((size_t)n >= size)
		return -ERANGE;
	buf[n] = '\0';
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

int bw_proc__threads(pid_t pid, pid_t **tids, size_t *count)
{
	char path[64];
	size_t n = 0, cap = 0;
	pid_t *v = NULL;
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || tid <= 0 || tid > INT_MAX)
			continue;
		if (n == cap) {
			pid_t *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n++] = (pid_t)tid;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_pid);
	*tids = v;
	*count = n;
	return 0;
}

int bw_proc__start_time(pid_t pid, uint64_t *ns)
{
	struct bw_proc_stat st;
	long hz = sysconf(_SC_CLK_TCK);
	int err = read_stat(pid, &st);

	if (err)
		return err;
	if (hz <= 0)
		hz = 100;
	*ns = st.start_ticks * (1000000000ULL / (uint64_t)hz);
	return 0;
}
