// SPDX-License-Identifier: BSD-2-Clause
/*
 * A C/pthread target that blocks in known ways, for the thread-level tests
 * and the demo:
 *
 *   blocker mutex N     one thread holds a mutex forever, N threads wait for it
 *   blocker cond        one thread waits on a condition variable never signalled
 *   blocker sleep MS    one thread sleeps MS milliseconds in a loop (nanosleep)
 *   blocker demo        all three, plus a leak: one more mutex waiter every second
 *   blocker naps K MS   single-threaded: at SIGUSR1, K naps of MS milliseconds, then
 *                       "naps K slept N" (N: the voluntary switches the scheduler counted)
 *                       and a wait for SIGTERM (exact ground truth of waits)
 *
 * It prints "ready" once every thread is in place, then its ground truth
 * every 200 ms: "waiters N naps N" (threads queued on the mutex, naps done).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RUSAGE_THREAD */
#endif
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t forever_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static volatile int waiters_started;
static volatile long naps_done;
static volatile int sink;

/* The holder never unlocks: every later locker waits forever. */
static void *hold_mutex_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&forever_lock);
	for (;;)
		pause();
	return NULL;
}

__attribute__((noinline)) static void *wait_for_mutex(void *arg)
{
	(void)arg;
	__sync_fetch_and_add(&waiters_started, 1);
	pthread_mutex_lock(&forever_lock);
	sink++; /* not reached; also keeps the call from being a tail call */
	pthread_mutex_unlock(&forever_lock);
	return NULL;
}

__attribute__((noinline)) static void *wait_on_condvar(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cond_lock);
	pthread_cond_wait(&never_signalled, &cond_lock);
	sink++;
	pthread_mutex_unlock(&cond_lock);
	return NULL;
}

__attribute__((noinline)) static void *nap_in_loop(void *arg)
{
	long ms = (long)arg;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	for (;;) {
		nanosleep(&ts, NULL);
		__sync_fetch_and_add(&naps_done, 1);
	}
	return NULL;
}

__attribute__((noinline)) static void nap_times(long k, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	for (long i = 0; i < k; i++)
		nanosleep(&ts, NULL);
}

/* The naps begin when the test says so, once blockwatch is attached: none before. */
static int naps_on_signal(long k, long ms)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	struct rusage before, after;

	if (sigwait(&set, &sig))
		return 1;
	getrusage(RUSAGE_THREAD, &before);
	nap_times(k, ms);
	getrusage(RUSAGE_THREAD, &after);
	/* what the scheduler saw: a nap it did not see go to sleep cannot be counted */
	printf("naps %ld slept %ld\n", k, after.ru_nvcsw - before.ru_nvcsw);
	fflush(stdout);
	for (;;)
		pause(); /* SIGTERM ends it */
}

static void start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg)) {
		perror("pthread_create");
		exit(1);
	}
	pthread_detach(t);
}

static void report_forever(int leak_every_second)
{
	int ticks = 0;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		usleep(200000);
		if (leak_every_second && ++ticks % 5 == 0)
			start(wait_for_mutex, NULL);
		printf("waiters %d naps %ld\n", waiters_started, naps_done);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "demo";
	long n = argc > 2 ? atol(argv[2]) : 4;

	if (!strcmp(mode, "naps"))
		return naps_on_signal(n, argc > 3 ? atol(argv[3]) : 100);

	if (!strcmp(mode, "mutex") || !strcmp(mode, "demo")) {
		start(hold_mutex_forever, NULL);
		usleep(50000);
		for (long i = 0; i < n; i++)
			start(wait_for_mutex, NULL);
	}
	if (!strcmp(mode, "cond") || !strcmp(mode, "demo"))
		start(wait_on_condvar, NULL);
	if (!strcmp(mode, "sleep") || !strcmp(mode, "demo"))
		start(nap_in_loop, (void *)(!strcmp(mode, "sleep") ? n : 100));
	if (strcmp(mode, "mutex") && strcmp(mode, "cond") && strcmp(mode, "sleep") &&
	    strcmp(mode, "demo")) {
		fprintf(stderr, "usage: blocker mutex N | cond | sleep MS | demo | naps K MS\n");
		return 2;
	}
	while (!strcmp(mode, "mutex") || !strcmp(mode, "demo") ? waiters_started < n : 0)
		usleep(10000);
	usleep(100000); /* let every waiter reach its futex */
	report_forever(!strcmp(mode, "demo"));
	return 0;
}
