/*
 * 2. The allocator: allocate and free, mixed sizes 16..256 bytes in batches
 * of 64, in 1, 2 and 4 processes at once, each with the region mapped at an
 * address of its own (so the allocator is measured doing what it is for:
 * sharing a heap between address spaces).
 *
 *   shmlab   the reference's lock-free allocator (shmlab_alloc/free)
 *   boost    Boost.Interprocess managed_shared_memory, its default
 *            allocator (a best-fit tree under one process-shared mutex),
 *            each process opening the segment at its own address too
 *   malloc   glibc malloc and free, each process in its own private heap:
 *            the limit, not a competitor (it shares nothing)
 *
 * Figures are millions of alloc+free pairs per second, all processes
 * together: total pairs over the time from the start signal to the last
 * process's report. The processes are forked, then each maps the region
 * afresh at its own address (not timed); they start on one signal (a byte
 * each on a pipe) and report on another.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addresses.h"
#include "bench.h"
#include "shmlab.h"

#define BATCH 64
#define HEAP_BYTES (UINT64_C(16) << 20)     // reserved at create: fits a container's /dev/shm
// Each process's base: the harness's own choice for `distinct` (addresses.c,
// which also knows where a sanitizer's shadow memory is), from a fixed seed.
static struct placement plan;
#define BASE(i) ((void *)plan.at[(i)][0])

enum kind { SHMLAB, BOOST, MALLOC };

static uint64_t
size_of_next(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return 16 + (*state >> 33) % 241;        // 16..256
}

static struct shmlab_view view;         // a worker's own view of the heap

static int
shmlab_open(const char *name, int i)
{
	struct shmlab_region r;

	if (shmlab_region_open(&r, name) < 0 || shmlab_region_map(&r, BASE(i), &view) < 0)
		return -1;
	shmlab_region_close(&r);
	return 0;
}

static int
shmlab_pairs(uint64_t pairs, uint64_t seed)
{
	shmlab_off blocks[BATCH];

	for (uint64_t done = 0; done < pairs; done += BATCH) {
		for (int k = 0; k < BATCH; k++)
			if (shmlab_alloc(&view, size_of_next(&seed), 8, &blocks[k]) < 0)
				return -1;
		for (int k = 0; k < BATCH; k++)
			if (shmlab_free(&view, blocks[k]) < 0)
				return -1;
	}
	return 0;
}

static int
malloc_pairs(uint64_t pairs, uint64_t seed)
{
	void *blocks[BATCH];

	for (uint64_t done = 0; done < pairs; done += BATCH) {
		for (int k = 0; k < BATCH; k++)
			if ((blocks[k] = malloc(size_of_next(&seed))) == NULL)
				return -1;
		for (int k = 0; k < BATCH; k++)
			free(blocks[k]);
	}
	return 0;
}

// One worker process: map (not timed), say so, wait for the start, work,
// say how it went (one byte: 'k' done, 'x' failed).
static _Noreturn void
worker(enum kind kind, const char *name, int i, uint64_t pairs, int go, int report)
{
	uint64_t seed = 0x9e3779b97f4a7c15u * (uint64_t)(i + 1);
	char byte;
	int rc;

	alarm(120);                             // a bound, should the parent be gone
	rc = kind == SHMLAB ? shmlab_open(name, i) : kind == BOOST ? boost_alloc_open(name, BASE(i)) : 0;
	if (write(report, rc < 0 ? "x" : "r", 1) != 1 || rc < 0 || read(go, &byte, 1) != 1)
		_exit(3);
	rc = kind == SHMLAB ? shmlab_pairs(pairs, seed) : kind == BOOST ? boost_alloc_pairs(pairs, seed)
	    : malloc_pairs(pairs, seed);
	_exit(write(report, rc < 0 ? "x" : "k", 1) == 1 ? 0 : 3);
}

// Reads one byte from each of n workers; returns how many said `want`.
static int
hear_all(int fd, int n, char want)
{
	int got = 0;
	char byte;

	for (int i = 0; i < n; i++)
		got += read(fd, &byte, 1) == 1 && byte == want;
	return got;
}

// One timed run of procs workers of kind: from the start signal to the last
// worker's report, timed here, so workers that do not overlap (more
// processes than cores) are not counted as if they had. Returns Mpairs/s,
// or -1.
static double
run_once(enum kind kind, const char *name, int procs, uint64_t pairs)
{
	int go[2], report[2], ok;
	uint64_t t0, ns = 0;
	pid_t pid[8];

	if (pipe(go) < 0 || pipe(report) < 0)
		return -1;
	fflush(NULL);                   // nothing buffered is written twice by the children
	for (int i = 0; i < procs; i++)
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			close(report[0]);
			worker(kind, name, i, pairs, go[0], report[1]);
		}
	close(go[0]);
	close(report[1]);
	ok = hear_all(report[0], procs, 'r') == procs;
	t0 = now_ns();
	for (int i = 0; ok && i < procs; i++)
		ok &= write(go[1], "g", 1) == 1;       // all start at once
	ok = ok && hear_all(report[0], procs, 'k') == procs;
	ns = now_ns() - t0;
	close(go[1]);
	close(report[0]);
	for (int i = 0; i < procs; i++)
		waitpid(pid[i], NULL, 0);
	return ok ? (double)pairs * procs / ((double)ns / 1e3) : -1;
}

static double
measure(const struct bench_opts *o, enum kind kind, int procs, uint64_t pairs)
{
	char name[SHMLAB_NAME_MAX];
	double mops[REPS_MAX];

	for (int r = 0; r < o->reps; r++) {
		struct shmlab_region region;
		struct shmlab_view v;
		shmlab_region_random_name(name, sizeof name);
		if (kind == SHMLAB) {
			if (shmlab_region_create(&region, name, HEAP_BYTES) < 0 || shmlab_region_map(&region, NULL, &v) < 0
			    || shmlab_format(&v) < 0
			    || shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, HEAP_BYTES - SHMLAB_HEADER_SIZE) < 0)
				return -1;
			shmlab_view_unmap(&v);
			shmlab_region_close(&region);
		} else if (kind == BOOST && boost_alloc_create(name + 1, HEAP_BYTES) < 0) {
			return -1;      // no Boost here
		}
		mops[r] = run_once(kind, kind == BOOST ? name + 1 : name, procs, pairs);
		if (kind == SHMLAB)
			shmlab_region_unlink(name);
		else if (kind == BOOST)
			boost_alloc_remove(name + 1);
		if (mops[r] < 0)
			return -1;
	}
	return median(mops, o->reps);
}

void
bench_alloc(const struct bench_opts *o, int procs, struct alloc_result *r)
{
	uint64_t pairs = o->quick ? 1000000 : 4000000;     // per process

	char why[160];

	r->procs = procs;
	if (choose_addresses_aligned(&plan, DISTINCT, 1, procs, HEAP_BYTES, 0, 65536, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-bench: %s\n", why);
		r->shmlab_mops = r->boost_mops = r->malloc_mops = -1;
		return;
	}
	r->shmlab_mops = measure(o, SHMLAB, procs, pairs);
	r->boost_mops = measure(o, BOOST, procs, pairs / 4);   // slower: fewer pairs, the same rate
	r->malloc_mops = measure(o, MALLOC, procs, pairs);
}
