/*
 * shmlab-bench: what the reference costs, measured beside a baseline in the
 * same run. These machines are noisy and absolute times drift from run to
 * run; a ratio of two figures measured minutes apart on the same machine
 * does not. So every figure here is the median of several repetitions, and
 * is printed with its ratio to a baseline measured in this run.
 */
#ifndef SHMLAB_BENCH_H
#define SHMLAB_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define REPS_MAX 15

struct bench_opts {
	int quick;              // --quick: fewer sizes and repetitions, under 30 s in all
	int reps;               // repetitions per figure; the median is reported
	const char *harness;    // shmlab-harness, for the harness's own cost
	const char *build_dir;  // for the conformance suite's wall time (not in --quick)
};

// Nanoseconds on the monotonic clock.
uint64_t now_ns(void);

// The median of n values (n >= 1); the values are sorted in place.
double median(double *v, int n);

// 1. Chasing a shuffled list of `nodes` nodes: ns per hop for each way of
// linking it. Any figure that could not be measured is negative.
struct chase_result {
	uint64_t nodes;
	double raw, offset, offset_checked, offset_checked_call, self_relative, boost_offset_ptr;
};
void bench_chase(const struct bench_opts *o, uint64_t nodes, struct chase_result *r);

// Boost.Interprocess offset_ptr (chase_boost.cpp): ns per hop over the same
// permutation, or -1 without Boost.
double boost_chase_ns(const uint32_t *order, uint64_t nodes, int reps);

// 2. Allocate and free, mixed sizes 16..256 B in batches, in `procs`
// processes each mapping the region at its own address: millions of
// alloc+free pairs per second, all processes together.
struct alloc_result {
	int procs;
	double shmlab_mops, boost_mops, malloc_mops;
};
void bench_alloc(const struct bench_opts *o, int procs, struct alloc_result *r);

// The Boost side (alloc_boost.cpp): create and remove the segment (in the
// parent); open it at address at, then do `pairs` alloc+free pairs (in a
// worker). Each returns -1 if Boost is not here or the call failed.
int boost_alloc_create(const char *name, uint64_t size);
void boost_alloc_remove(const char *name);
int boost_alloc_open(const char *name, void *at);
int boost_alloc_pairs(uint64_t pairs, uint64_t seed);

// 3 and 4. Latencies between two processes, in microseconds per round trip,
// each beside the plain round trip it adds to.
struct ipc_result {
	double pipe_rtt_us;             // baseline: one byte there and back over a socket
	double scm_rights_us;           // a descriptor sent with SCM_RIGHTS, and the answer
	double dup_us;                  // baseline for a pull: dup and close, one process
	double pidfd_getfd_us;          // a descriptor pulled with pidfd_getfd, and closed
	double sysv_rtt_us;             // a message there and back through two SysV queues
};
void bench_ipc(const struct bench_opts *o, struct ipc_result *r);

// 5. The harness: ms to start, map and end N workers (00-selftest-pass),
// beside fork+exec+wait of N trivial processes; and the conformance suite's
// wall time on the reference.
// The Win32 figures (bench_win32.c under Wine), microseconds.
struct win32_result {
	double event_rtt_us, hwnd_rtt_us, dup_local_us, dup_remote_us;
};
int bench_win32(const struct bench_opts *o, struct win32_result *r, char *why, size_t len);

struct harness_result {
	int procs;
	double harness_ms, spawn_ms;
};
void bench_harness(const struct bench_opts *o, int procs, struct harness_result *r);
double bench_suite_seconds(const struct bench_opts *o);

#endif
