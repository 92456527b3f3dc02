/*
 * The kill test's supervisor in two halves. kill_test.c decides: the rounds,
 * what every recovery must find, the verdict and its page. The half below,
 * one a system (kill_procs.c with fork/exec and SIGKILL,
 * win32/kill_procs_win32.c with CreateProcess, a job object and
 * TerminateProcess), does what needs processes: the region and its name, the
 * heap's lock where it is a kernel object, starting, hearing and ending the
 * workers, and the leftover check.
 *
 * Processes are numbered: 0 and 1 are the survivors, VICTIM is the one other
 * worker alive at a time (prepare, each victim, last).
 */
#ifndef SHMLAB_KILL_PROCS_H
#define SHMLAB_KILL_PROCS_H

#include <stdint.h>
#include "kill_test.h"
#include "shmlab/region.h"

#define SURVIVORS       2
#define VICTIM          SURVIVORS
#define SLOTS           MAX_PROCS       // address slots: survivors, prepare, then victims in turn

struct kill_test {
	const char *worker;
	const struct kill_options *o;
	char region[SHMLAB_NAME_MAX];
	struct placement plan;
	int kills, survived, rounds, leaked;
	int died_at[KILL_SITES];
	uint64_t reclaimed_blocks, reclaimed_pages;
	unsigned long long pending_blocks, pending_pages;      // recovered by survivors since the last check
	int owner_died;                         // deaths the lock told its next owner of
	long survivor_ops[SURVIVORS];
	char problem[600];
};

// What a kill point leaves, by site.
extern const struct kill_site_info { const char *name, *leaves; } kill_sites[KILL_SITES];

// The first problem is kept; returns -1.
int failed(struct kill_test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// How a worker ended: exit status 0, killed at its kill point (SIGKILL;
// exit code KILL_EXIT_CODE), anything else, or not within the step bound
// (then it was killed).
enum ending { ENDED_CLEAN, ENDED_AT_KILL_POINT, ENDED_OTHERWISE, NOT_ENDED };

// How a victim dies on this system, for the report: "SIGKILL"; and the
// system's name in the JSON report: "posix" or "win32".
extern const char kill_death[], kill_platform[];

// Chooses the addresses, creates the region of size bytes under a fresh
// name in t->region, and the heap's lock where the system has one. Returns
// 0, or -1 with the reason in why.
int procs_setup(struct kill_test *t, uint64_t size, char *why, size_t len);

// Starts ROLE as process p, the region at address slot `slot`. Returns 0,
// or -1 after failed().
int proc_start(struct kill_test *t, int p, const char *role, int slot, uint64_t seed);

// Returns 1 if process p was started and not yet ended.
int proc_started(int p);

// Process p's channel, while it runs.
kill_chan proc_chan(int p);

// Ends process p: kills it first if `now`, else closes its channel (its cue
// to exit) and waits, bounded by the step bound, after which it is killed.
// *status is the raw status, for messages.
enum ending proc_end(struct kill_test *t, int p, int now, unsigned *status);

// Removes what procs_setup made and checks that nothing is left: the
// region's name, the lock's, a process, a descriptor or handle. Problems go
// to failed().
void procs_teardown(struct kill_test *t);

#endif
