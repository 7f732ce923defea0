// SPDX-License-Identifier: BSD-2-Clause
/*
 * pthread_bench: C/pthread benchmarks that block a lot, for blockwatch's
 * `make bench` (thread level and pipeline capacity).
 *
 *   pthread_bench mutex [THREADS]  THREADS (default 4) threads take one mutex
 *                                  in turn; the holder yields inside (as one
 *                                  doing I/O under a lock would), so the next
 *                                  thread futex-waits: one sleep per op (with
 *                                  short critical sections and no yield,
 *                                  1 op in 40,000 slept). All on one CPU:
 *                                  over two, a loaded machine made it 0.3 to
 *                                  1 sleep per op
 *   pthread_bench cond [PAIRS]     PAIRS (default 1) ping-pong pairs on a
 *                                  mutex and two condition variables; one op
 *                                  is a round trip (two sleeps, two wakeups)
 *   pthread_bench sites N          2 threads sleep (10 us nanosleep) at N
 *                                  distinct call stacks in turn, to fill
 *                                  blockwatch's per-site and stack maps
 *
 * Prints "ready", then reads commands on stdin:
 *
 *   run SECS          as fast as it goes, for SECS seconds
 *   pace SECS RATE    at most RATE ops per second (batches every 10 ms)
 *
 * and answers each with "result NAME NS_PER_OP OPS SLEEPS", SLEEPS being the
 * voluntary context switches of the process during the run (all threads).
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_THREADS 64
#define BATCH 64
#define WORK 16 /* adds inside the lock, and as many outside */

struct pair {
	pthread_mutex_t mu;
	pthread_cond_t to_a, to_b;
	int turn; /* 0: A's, 1: B's */
	long ops;
};

static const char *bench;
static int nthreads;
static long nsites;
static atomic_int running;
static atomic_long generation;
static double pace_rate; /* ops per second per thread; 0: as fast as possible */
static pthread_mutex_t the_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long shared[8];
static struct pair pairs[MAX_THREADS];
static long thread_ops[MAX_THREADS];
static pthread_barrier_t start_line, finish_line;
static volatile int sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* With pacing, sleep until the batch's tick: ops so far must not exceed rate * elapsed. */
static void pace(uint64_t start, long done)
{
	struct timespec ts;
	uint64_t due;

	if (pace_rate <= 0 || done % BATCH)
		return;
	due = start + (uint64_t)(done / pace_rate * 1e9);
	if (due <= now_ns())
		return;
	ts.tv_sec = due / 1000000000ULL;
	ts.tv_nsec = due % 1000000000ULL;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static long mutex_loop(void)
{
	volatile long local[8] = { 0 };
	long n = 0;

	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		for (int i = 0; i < BATCH; i++) {
			pthread_mutex_lock(&the_lock);
			for (int k = 0; k < WORK; k++)
				shared[k & 7] += i;
			sched_yield();
			pthread_mutex_unlock(&the_lock);
			for (int k = 0; k < WORK; k++)
				local[k & 7] += i;
		}
		n += BATCH;
	}
	return n;
}

/* Side A of a pair: hand the turn to B and wait for it back. */
static long cond_loop(struct pair *p)
{
	uint64_t start = now_ns();
	long n = 0;

	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		for (int i = 0; i < BATCH; i++) {
			pthread_mutex_lock(&p->mu);
			p->turn = 1;
			pthread_cond_signal(&p->to_b);
			while (p->turn != 0)
				pthread_cond_wait(&p->to_a, &p->mu);
			pthread_mutex_unlock(&p->mu);
		}
		n += BATCH;
		pace(start, n);
	}
	return n;
}

/* Side B of a pair: answer forever (between runs it waits here). */
static void *cond_partner(void *arg)
{
	struct pair *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->turn != 1)
			pthread_cond_wait(&p->to_b, &p->mu);
		p->turn = 0;
		pthread_cond_signal(&p->to_a);
	}
	return NULL;
}

/*
 * Distinct stacks: the path to the sleep spells i in binary, one frame per
 * bit. 10 us: a sleep shorter than the syscall itself returns without ever
 * leaving the CPU (1 us: 3 context switches in 100,000 calls).
 */
static void leaf(void)
{
	struct timespec ts = { 0, 10000 };

	nanosleep(&ts, NULL);
}

static void step1(long i, int depth);
__attribute__((noinline)) static void step0(long i, int depth)
{
	if (depth == 0)
		leaf();
	else if (i & 1)
		step1(i >> 1, depth - 1);
	else
		step0(i >> 1, depth - 1);
	sink++; /* no tail call: each frame keeps its return address */
}

__attribute__((noinline)) static void step1(long i, int depth)
{
	if (depth == 0)
		leaf();
	else if (i & 1)
		step1(i >> 1, depth - 1);
	else
		step0(i >> 1, depth - 1);
	sink++;
}

static long sites_loop(int self)
{
	int depth = 0;
	long n = 0, i = self;

	while ((1L << depth) < nsites)
		depth++;
	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		step0(i, depth);
		i = (i + 1) % nsites;
		n++;
	}
	return n;
}

static void *worker(void *arg)
{
	int self = (int)(long)arg;

	/* a 10 us nanosleep must sleep about 10 us, not the default 50 us slack */
	prctl(PR_SET_TIMERSLACK, 1UL);
	for (;;) {
		pthread_barrier_wait(&start_line);
		if (!strcmp(bench, "mutex"))
			thread_ops[self] = mutex_loop();
		else if (!strcmp(bench, "cond"))
			thread_ops[self] = cond_loop(&pairs[self]);
		else
			thread_ops[self] = sites_loop(self);
		pthread_barrier_wait(&finish_line);
	}
	return NULL;
}

static void run(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (long)secs) * 1e9) };
	struct rusage ru0, ru1;
	uint64_t start;
	long ops = 0;

	atomic_store(&running, 1);
	atomic_fetch_add(&generation, 1);
	pthread_barrier_wait(&start_line);
	getrusage(RUSAGE_SELF, &ru0);
	start = now_ns();
	nanosleep(&ts, NULL);
	atomic_store(&running, 0);
	pthread_barrier_wait(&finish_line);
	getrusage(RUSAGE_SELF, &ru1);
	for (int i = 0; i < nthreads; i++)
		ops += thread_ops[i];
	/* voluntary context switches: the sleeps blockwatch's sched_switch program sees */
	printf("result %s %.1f %ld %ld\n", bench, ops ? (now_ns() - start) / (double)ops : 0.0, ops,
	       ru1.ru_nvcsw - ru0.ru_nvcsw);
	fflush(stdout);
}

/* The process's first allowed CPU; threads created later inherit it. */
static void pin_to_one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

static void start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg)) {
		perror("failed to create thread");
		exit(1);
	}
}

static int setup(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	bench = argv[1];
	if (!strcmp(bench, "mutex")) {
		nthreads = n > 0 ? (int)n : 4;
		pin_to_one_cpu();
	} else if (!strcmp(bench, "cond")) {
		nthreads = n > 0 ? (int)n : 1;
	} else if (!strcmp(bench, "sites") && n > 0) {
		nthreads = 2;
		nsites = n;
	} else {
		return -1;
	}
	if (nthreads > MAX_THREADS)
		return -1;
	pthread_barrier_init(&start_line, NULL, nthreads + 1);
	pthread_barrier_init(&finish_line, NULL, nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		if (!strcmp(bench, "cond")) {
			pthread_mutex_init(&pairs[i].mu, NULL);
			pthread_cond_init(&pairs[i].to_a, NULL);
			pthread_cond_init(&pairs[i].to_b, NULL);
			start_thread(cond_partner, &pairs[i]);
		}
		start_thread(worker, (void *)(long)i);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char line[256], cmd[16];
	double secs, rate;

	if (argc < 2 || setup(argc, argv)) {
		fprintf(stderr, "usage: pthread_bench mutex [THREADS] | cond [PAIRS] | sites N\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		int n = sscanf(line, "%15s %lf %lf", cmd, &secs, &rate);

		if (n >= 2 && !strcmp(cmd, "run") && secs > 0) {
			pace_rate = 0;
			run(secs);
		} else if (n == 3 && !strcmp(cmd, "pace") && secs > 0 && rate > 0) {
			pace_rate = rate / nthreads;
			run(secs);
		} else if (n >= 1 && !strcmp(cmd, "quit")) {
			break;
		} else {
			printf("error unknown command\n");
			fflush(stdout);
		}
	}
	return 0;
}
