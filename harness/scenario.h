/*
 * A scenario is one rule turned into code the harness can run in many
 * processes at once. It knows nothing about processes: it is handed a view of
 * the region (wherever this process mapped it) and does its part.
 *
 *   prepare  runs in worker 0 only, before any other worker runs; it writes.
 *   run      runs in every worker once prepare has finished; it reads and
 *            checks. Under `double` it runs once through each of the
 *            worker's two views, with the other view made inaccessible, so it
 *            must only read (or be safe to repeat).
 *   verify   runs in worker 0 once every worker has finished run: the place
 *            to check what they built together.
 *
 * A CONTRACT scenario tests an implementation of conformance/CONTRACT.md
 * rather than showing a lesson: it calls the library only through w->impl,
 * which the worker loaded (--impl), and the worker maps its views through
 * that library too.
 *
 * Either returns 0 for success, or calls fail() and returns its -1. A crash is
 * fine too: catching it is the harness's job.
 *
 * The expectations say what the lesson predicts: under which strategies the
 * scenario must pass and under which it must be caught (with two or more
 * workers). A strategy in neither set depends on where the kernel puts things.
 */
#ifndef SHMLAB_SCENARIO_H
#define SHMLAB_SCENARIO_H

#include <stdint.h>
#include "shmlab/region.h"

#ifdef _WIN32
// <windows.h> has a type named DOUBLE: include it first, then rename the
// enumerator below, so every file sees both whatever it includes.
#include <windows.h>
#define DOUBLE SHMLAB_DOUBLE
#endif

enum strategy { DISTINCT, DOUBLE, FORK, SAME, KERNEL, NSTRATEGIES };

#define ONLY(s)         (1u << (s))
#define ALL_STRATEGIES  ((1u << NSTRATEGIES) - 1)

enum scenario_flags {
	MIXED_ABI = 1,  // odd-numbered workers are programs of another ABI: i386, or on
	                // POSIX 64-bit Windows under Wine where i386 cannot run (other_abi.h)
	SELFTEST  = 2,  // checks the harness itself; the tour skips it
	CONTRACT  = 4,  // tests the implementation loaded with --impl
	OTHER_BUILD = 8,        // odd-numbered workers run shmlab-worker-other, another build
	                        // of the same sources, and every worker runs with address
	                        // randomization off, so both programs load at one address
	NEEDS_ASLR = 16,        // SKIP when address randomization is off: one program would
	                        // load at one address in every process
	SYSV_IPC  = 32,         // may make SysV IPC objects: the harness checks none is left
	WINDOWS   = 64,         // Win32: workers make windows or hooks, which need the desktop
	MEMFD_REGION = 128,     // the region is a memfd with no name, handed to each worker as a
	                        // descriptor (w->region_fd); POSIX only
	SEALED_REGION = 256,    // MEMFD_REGION, sealed against shrink and grow by the harness
	                        // before any worker exists (shmlab/seal.h)
	STORE_TRAP = 512,       // stops workers at their stores (store_trap.h); SKIP where this
	                        // build cannot, or with fewer than two workers
	OLD_KERNEL_MMAP = 1024, // POSIX: workers run with libshmlab-old-kernel.so preloaded,
	                        // whose mmap takes MAP_FIXED_NOREPLACE as a hint, as Linux
	                        // before 4.17 did (conformance/shims/old_kernel_mmap.c)
	SYSCALL_FAULTS = 2048,  // POSIX: workers run with libshmlab-syscall-faults.so preloaded,
	                        // which fails the n-th system call on request
	                        // (conformance/shims/syscall_faults.c)
	HARNESS_MAPS = 4096,    // CONTRACT: the worker maps the views with the reference linked
	                        // in, not the library's region functions, so a rule of the
	                        // functions that only take a view (lab 01's header and roots)
	                        // tests them before the library can map (lab 02)
	PTHREAD_SHARED = 8192,  // POSIX: pthread objects shared between processes; SKIP under
	                        // ThreadSanitizer, which keeps its own record of each mutex
	                        // in each process, so an unlock in another sees a bug
	EXERCISE  = 16384,      // the learner's exercise (lab 01's record): its outcome is the
	                        // learner's, so the lesson tests, the tour and the soak leave
	                        // it out; its predictions say what a correct answer does
	                        // (passes_under ALL_STRATEGIES, caught_under 0), and
	                        // ./tour check grades it
	SHM_SIZE_LIMIT = 32768, // POSIX: asks /dev/shm for more than it holds; SKIP where it is
	                        // not a tmpfs with a size, which nothing exceeds
};

struct impl;

struct worker {
	int index;              // 0 .. procs-1; worker 0 prepares
	int procs;
	int view;               // which of this worker's views: 0, or 1 under `double`
	int views;              // how many views each worker has: 2 under `double`, else 1
	uint64_t seed;          // the run's seed: anything a scenario varies comes from it
	const struct impl *impl;        // CONTRACT scenarios: the library under test
	int region_fd;          // MEMFD_REGION: the region's descriptor here; else -1
	char message[240];      // set by fail()
};

struct scenario {
	const char *name;       // "NN-what[-broken|-fixed]"
	const char *summary;    // one line: what it shows
	const char *handout;    // the handout section that explains it
	const char *rule;       // CONTRACT: the rule it checks, e.g. "offset-bounds"
	uint64_t region_size;
	unsigned flags;
	unsigned features;      // CONTRACT: optional feature sets it needs (SHMLAB_FEATURE_*);
	                        // an implementation without them is skipped, never passed
	unsigned passes_under;  // strategies (ONLY(x) | ...) that must pass
	unsigned caught_under;  // strategies that must fail
	unsigned tour_under;    // lessons: the strategies ./tour shows it under; 0 is
	                        // distinct alone (list --json gives them resolved)
	const char *dll;        // Win32: the DLL the scenario loads ("shapes.dll"), or NULL;
	                        // worker 0 says where its copy lies, so a fault there is named
	int (*prepare)(struct worker *, const struct shmlab_view *);
	int (*run)(struct worker *, const struct shmlab_view *);
	int (*verify)(struct worker *, const struct shmlab_view *);
};

// The printf checks for fail(): mingw-w64 reads `printf` as Microsoft's
// format language, which lacks %zu and %lld; its C99 stdio
// (__USE_MINGW_ANSI_STDIO, set by the Win32 build) is what fail() calls there.
#ifdef __MINGW32__
#define SHMLAB_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define SHMLAB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

// Records why this worker failed; returns -1 so that `return fail(...)` reads
// as what it does.
int fail(struct worker *w, const char *fmt, ...) SHMLAB_PRINTF(2, 3);

// Every scenario, in lab order, ending with NULL.
extern const struct scenario *const scenarios[];

const struct scenario *scenario_find(const char *name);

#endif
