/*
 * One run of one scenario, on either system: what the harness planned, what
 * each worker said and how each process ended. run.c fills it in, with the
 * platform half of platform.h; report.c prints it.
 */
#ifndef SHMLAB_RUN_H
#define SHMLAB_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "addresses.h"
#include "scenario.h"

enum outcome { PENDING, PASS, FAIL, SIGNALED, HUNG };
// MIXED_ABI: what the odd-numbered workers are (other_abi.h). AUTO becomes
// the first that runs here before the run starts.
enum other_abi { OTHER_ABI_AUTO, OTHER_ABI_I386, OTHER_ABI_WIN64 };
enum result { RESULT_PASS, RESULT_FAIL, RESULT_SKIP, RESULT_ERROR };

struct worker_record {
	long pid;                       // the system's process id; 0 until known
	int abi;                        // 64 or 32 (bits), as the worker said
	int nviews;                     // views the worker reported mapped
	uintptr_t base[MAX_VIEWS];      // where the kernel put each view
	uintptr_t heap[2];              // worker 0's heap after prepare, [start, end)
	uintptr_t program[2];           // worker 0's program (code and data), [start, end)
	uintptr_t dll[2];               // worker 0's copy of the scenario's DLL, [start, end)
	int chan;                       // the harness's end (a descriptor, or on Win32 the
	                                // worker's index); -1 once closed
	int heard;                      // it said at least one word
	int nostart;                    // it said it could not be started (its message says why)
	int mapped, prepared, finished, verified, reaped, killed;
	int status;                     // once reaped: waitpid's status, or the exit code
	enum outcome outcome;
	int signo;                      // SIGNALED: the signal, or the exception code
	int has_fault;
	uintptr_t fault;                // SIGNALED: the faulting address, when there is one
	char message[320];
};

struct run {
	const struct scenario *sc;
	enum strategy strategy;
	uint64_t seed;
	int procs;
	int timeout_ms;
	const char *worker64, *worker32;   // executables to exec
	enum other_abi other_abi;       // MIXED_ABI: which worker32 or worker_win64 stands for
	const char *worker_win64;       // MIXED_ABI under win64: the Windows worker, run by
	const char *wine64;             // this 64-bit Wine loader
	const char *worker_other;       // OTHER_BUILD: the other build of the worker
	const char *old_kernel;         // OLD_KERNEL_MMAP: the library preloaded into workers
	const char *syscall_faults;     // SYSCALL_FAULTS: likewise
	const char *impl;               // CONTRACT scenarios: the library under test
	const char *impl32;             // CONTRACT under MIXED_ABI: its i386 twin, which the
	                                // i386 workers load (other_abi.h); else NULL
	int impl_version;
	struct placement plan;
	char region[64];                // its shm name, or MEMFD_NAME
	int region_fd;                  // MEMFD_REGION: the harness's descriptor until every
	                                // worker has its own; else -1
	struct worker_record w[MAX_PROCS];
	enum result result;
	int harness_fault;              // the harness, not the scenario, failed
	char problem[512];              // why the run failed beyond its workers
};

// What a run's region is called when it has no name: what /proc/PID/fd
// shows for it, less the "/" and " (deleted)".
#define MEMFD_NAME "memfd:shmlab"
#define REGION_IS_MEMFD(sc) (((sc)->flags & (MEMFD_REGION | SEALED_REGION)) != 0)

// True if worker i of r is lab 01's Windows reader (other_abi.h).
#define windows_reader(r, i) (((r)->sc->flags & MIXED_ABI) && (r)->other_abi == OTHER_ABI_WIN64 \
	&& (r)->strategy != FORK && (i) % 2 == 1)

// True if worker i of r is an i386 program (MIXED_ABI, other_abi.h).
#define i386_reader(r, i) (((r)->sc->flags & MIXED_ABI) && (r)->other_abi == OTHER_ABI_I386 \
	&& (r)->strategy != FORK && (i) % 2 == 1)

// The library worker i of r loads: a CONTRACT scenario's i386 workers load
// the i386 twin of the library under test; NULL for a lesson.
#define worker_impl(r, i) (!((r)->sc->flags & CONTRACT) ? NULL : i386_reader(r, i) ? (r)->impl32 : (r)->impl)

// Runs r->sc as planned in r; fills in the records and r->result.
void supervise(struct run *r);

const char *strategy_name(enum strategy s);

// What `run` writes besides its exit status, as its options asked.
struct outputs {
	const char *json, *svg;
	int quiet;
	int expect;             // --expect: the exit status says whether the run went as
	                        // predicted (0), not (1), skipped (77), or the harness failed (2)
	int seed_given;         // else the caller draws one
};

// Parses `run`'s options and its scenario into r and o, which hold the
// defaults (options.c, both harnesses). Returns 0, or -1 after saying why on
// stderr, with usage after an unknown option.
int parse_run(int argc, char **argv, struct run *r, struct outputs *o, const char *usage);

// Command-line words: a strategy by its name, a number from 0 to max (no
// sign, no trailing text). Each returns 0, or -1 if s is not one.
int parse_strategy(const char *s, enum strategy *out);
int parse_number(const char *s, uint64_t max, uint64_t *out);
const char *outcome_name(enum outcome o);

// The optional feature sets of contract.h, by the names reports use
// ("handles", "global-ids", "sync"), and those in mask, comma-separated, into buf.
#define NFEATURES 3
extern const struct feature_name { unsigned bit; const char *name; } feature_names[NFEATURES];
const char *feature_list(unsigned mask, char *buf, size_t len);
const char *result_name(enum result x);

#endif
