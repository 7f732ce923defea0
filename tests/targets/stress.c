// SPDX-License-Identifier: BSD-2-Clause
/*
 * A C/pthread target for the safety and resilience tests: it works, checks
 * its own work, and says so.
 *
 *   stress work N        N consumers and one producer pass numbers through a
 *                        bounded queue (mutex + two condition variables); the
 *                        check: every number produced is consumed once (count
 *                        and sum)
 *   stress churn SITES   threads created and joined as fast as they go, each
 *                        sleeping briefly at one of SITES different stacks;
 *                        the check: every thread created was joined
 *   stress exec PROG...  two threads blocked in before_exec_wait(); on SIGUSR1
 *                        the process exec()s PROG with the arguments after it
 *   stress evil          names that try to drive a terminal: the process and
 *                        a waker thread named with ESC sequences, a waiter in
 *                        evil_name_placeholder_0123456789() (tests patch that
 *                        name, and this file's name, in the binary)
 *   stress exit MS       two blocked threads; the process exits 0 after MS ms
 *
 * Protocol: "ready" once set up, then "ops N" every 200 ms (work done so
 * far). On SIGTERM or SIGINT it stops, checks, prints "final ops N check ok"
 * (exit 0) or "final ops N check FAILED: why" (exit 3).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_LEN 64
#define MAX_THREADS 64
#define MAX_SITES 64

static volatile sig_atomic_t stopping;
static char failure[128];

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* Prints "ops N" every 200 ms until a stop signal, through ops(). */
static void report_until_stopped(unsigned long (*ops)(void))
{
	printf("ready\n");
	fflush(stdout);
	while (!stopping) {
		nap_us(200000);
		printf("ops %lu\n", ops());
		fflush(stdout);
	}
}

static int finish(unsigned long ops)
{
	printf("final ops %lu check %s%s\n", ops, failure[0] ? "FAILED: " : "ok", failure);
	fflush(stdout);
	return failure[0] ? 3 : 0;
}

/* ---- work: a bounded queue with a checksum ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned long v[QUEUE_LEN];
	size_t head, len;
	bool done;
	unsigned long produced, produced_sum;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER };

struct consumer {
	pthread_t thread;
	unsigned long count, sum;
};

static void *produce(void *arg)
{
	(void)arg;
	for (unsigned long i = 1;; i++) {
		pthread_mutex_lock(&q.lock);
		while (q.len == QUEUE_LEN && !q.done)
			pthread_cond_wait(&q.not_full, &q.lock);
		if (q.done) {
			pthread_mutex_unlock(&q.lock);
			return NULL;
		}
		q.v[(q.head + q.len++) % QUEUE_LEN] = i;
		q.produced++;
		q.produced_sum += i;
		pthread_cond_signal(&q.not_empty);
		pthread_mutex_unlock(&q.lock);
	}
}

static void *consume(void *arg)
{
	struct consumer *c = arg;

	for (;;) {
		unsigned long v;

		pthread_mutex_lock(&q.lock);
		while (!q.len && !q.done)
			pthread_cond_wait(&q.not_empty, &q.lock);
		if (!q.len) {
			pthread_mutex_unlock(&q.lock);
			return NULL;
		}
		v = q.v[q.head];
		q.head = (q.head + 1) % QUEUE_LEN;
		q.len--;
		pthread_cond_signal(&q.not_full);
		pthread_mutex_unlock(&q.lock);
		c->count++;
		c->sum += v;
	}
}

static unsigned long work_ops(void)
{
	unsigned long n;

	pthread_mutex_lock(&q.lock);
	n = q.produced;
	pthread_mutex_unlock(&q.lock);
	return n;
}

static int run_work(int n)
{
	static struct consumer c[MAX_THREADS];
	unsigned long count = 0, sum = 0;
	pthread_t producer;

	for (int i = 0; i < n; i++)
		start(&c[i].thread, consume, &c[i]);
	start(&producer, produce, NULL);
	report_until_stopped(work_ops);
	pthread_mutex_lock(&q.lock);
	q.done = true; /* consumers drain what is queued, then return */
	pthread_cond_broadcast(&q.not_empty);
	pthread_cond_broadcast(&q.not_full);
	pthread_mutex_unlock(&q.lock);
	pthread_join(producer, NULL);
	for (int i = 0; i < n; i++) {
		pthread_join(c[i].thread, NULL);
		count += c[i].count;
		sum += c[i].sum;
	}
	if (count != q.produced || sum != q.produced_sum)
		snprintf(failure, sizeof(failure), "consumed %lu (sum %lu), produced %lu (sum %lu)",
			 count, sum, q.produced, q.produced_sum);
	return finish(q.produced);
}

/* ---- churn: threads come and go, each asleep at one of several stacks ---- */

static unsigned long churn_created, churn_joined;
static pthread_mutex_t churn_lock = PTHREAD_MUTEX_INITIALIZER;

/* A different depth of recursion is a different user stack: a different site. */
__attribute__((noinline)) static void sleep_at_depth(int depth)
{
	if (depth > 0) {
		sleep_at_depth(depth - 1);
		__asm__ volatile("" ::: "memory"); /* not a tail call */
		return;
	}
	nap_us(2000);
}

static void *churn_thread(void *arg)
{
	sleep_at_depth((int)(long)arg);
	return NULL;
}

static unsigned long churn_ops(void)
{
	unsigned long n;

	pthread_mutex_lock(&churn_lock);
	n = churn_joined;
	pthread_mutex_unlock(&churn_lock);
	return n;
}

static void *churn_driver(void *arg)
{
	long sites = (long)arg;
	pthread_t t[16];

	for (unsigned long round = 0; !stopping; round++) {
		int n = 0;

		for (; n < 16; n++) {
			start(&t[n], churn_thread, (void *)(long)((round * 16 + n) % sites));
			__atomic_fetch_add(&churn_created, 1, __ATOMIC_RELAXED);
		}
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			pthread_mutex_lock(&churn_lock);
			churn_joined++;
			pthread_mutex_unlock(&churn_lock);
		}
	}
	return NULL;
}

static int run_churn(long sites)
{
	pthread_t driver;

	start(&driver, churn_driver, (void *)(sites > 0 && sites <= MAX_SITES ? sites : 8));
	report_until_stopped(churn_ops);
	pthread_join(driver, NULL);
	if (churn_created != churn_joined)
		snprintf(failure, sizeof(failure), "created %lu threads, joined %lu", churn_created,
			 churn_joined);
	return finish(churn_joined);
}

/* ---- exec, exit: blocked threads, then the process changes or goes ---- */

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void *before_exec_wait(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return NULL;
}

static int run_exec(char **argv)
{
	pthread_t t[2];
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_mutex_lock(&held);
	start(&t[0], before_exec_wait, NULL);
	start(&t[1], before_exec_wait, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	printf("exec %s\n", argv[0]);
	fflush(stdout);
	execv(argv[0], argv);
	fprintf(stderr, "execv %s: %s\n", argv[0], strerror(errno));
	return 1;
}

static int run_exit(long ms)
{
	pthread_t t[2];

	pthread_mutex_lock(&held);
	start(&t[0], before_exec_wait, NULL);
	start(&t[1], before_exec_wait, NULL);
	printf("ready\n");
	fflush(stdout);
	nap_us(ms * 1000);
	printf("exiting\n");
	fflush(stdout);
	exit(0);
}

/* ---- evil: names made to drive a terminal ---- */

static pthread_mutex_t evil_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t evil_cond = PTHREAD_COND_INITIALIZER;
static unsigned long evil_wakes;

/* tests replace this name in the binary's symbol table and DWARF with one holding ESC */
__attribute__((noinline)) void evil_name_placeholder_0123456789(void)
{
	pthread_mutex_lock(&evil_lock);
	pthread_cond_wait(&evil_cond, &evil_lock);
	evil_wakes++;
	pthread_mutex_unlock(&evil_lock);
}

static void *evil_waiter(void *arg)
{
	(void)arg;
	for (;;)
		evil_name_placeholder_0123456789();
	return NULL;
}

static void *evil_waker(void *arg)
{
	(void)arg;
	/* 15 bytes: ESC ] 0 ; (window title), BEL, ESC [ 2 J (clear screen), a quote */
	prctl(PR_SET_NAME, "\033]0;pwn\a\033[2J\"'", 0, 0, 0);
	for (;;) {
		nap_us(20000);
		pthread_mutex_lock(&evil_lock);
		pthread_cond_broadcast(&evil_cond);
		pthread_mutex_unlock(&evil_lock);
	}
	return NULL;
}

static unsigned long evil_ops(void)
{
	return evil_wakes;
}

static int run_evil(void)
{
	pthread_t t[3];

	prctl(PR_SET_NAME, "\033[31mred\033[0m\"\\", 0, 0, 0);
	start(&t[0], evil_waiter, NULL);
	start(&t[1], evil_waiter, NULL);
	start(&t[2], evil_waker, NULL);
	report_until_stopped(evil_ops);
	return finish(evil_wakes);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "work") && argc > 2)
		return run_work(atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_THREADS ? atoi(argv[2])
										  : 4);
	if (!strcmp(mode, "churn"))
		return run_churn(argc > 2 ? atol(argv[2]) : 8);
	if (!strcmp(mode, "exec") && argc > 2)
		return run_exec(argv + 2);
	if (!strcmp(mode, "exit") && argc > 2)
		return run_exit(atol(argv[2]));
	if (!strcmp(mode, "evil"))
		return run_evil();
	fprintf(stderr,
		"usage: stress work N | churn SITES | exec PROG [ARG...] | evil | exit MS\n");
	return 2;
}
