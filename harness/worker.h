/*
 * A worker in two halves, as the kill test's worker is. worker.c is what a
 * worker does on every system: read its orders, load the library under test,
 * map its views, say where, obey the harness's words (wire.h) and run the
 * scenario's steps with every other view fenced off. The system's half
 * (worker_posix.c, win32/worker_win32.c) is what only a system can do: reach
 * the channel, report a fault with its address, end a worker whose harness
 * has gone quiet, map a region that came as a descriptor or a file, fence a
 * view, and, on POSIX only, fork the others under `fork`.
 */
#ifndef SHMLAB_WORKER_H
#define SHMLAB_WORKER_H

#include <stdint.h>

#include "addresses.h"
#include "channel.h"
#include "impl.h"
#include "scenario.h"

// One worker's orders (its command line) and what it has made of them. The
// region comes one way: a name (region), a descriptor (w.region_fd, a POSIX
// memfd) or a file (region_file: lab 01's Windows reader, under the POSIX
// harness).
struct job {
	const struct scenario *sc;
	struct worker w;
	struct impl impl;               // CONTRACT scenarios: loaded from impl_path
	const char *impl_path;
	const char *region;
	const char *region_file;
	const char *chan_arg, *fork_chans_arg;  // --chan, --fork-chans, for the system's half
	chan_t chan;                    // where the worker speaks
	chan_t hear;                    // where it listens: chan, but for Windows' stdio
	int timeout_ms;
	int nviews;
	uintptr_t at[MAX_VIEWS];
	struct shmlab_view view[MAX_VIEWS];
};

// Runs one worker as told by argv (built by the harness). Does not return
// once the worker has started: the process exits when its part is done.
int worker_main(int argc, char **argv);

// worker.c's, for the system's half: say `error <what>: <errno's text>`
// and exit 3; say `mapped`.
_Noreturn void give_up(struct job *j, const char *what);
void announce(struct job *j);

// The system's half. Sets j->chan and j->hear from j->chan_arg (and, under
// `fork`, j->fork_chans_arg). Returns 0, or -1 when they name no channel.
int reach_harness(struct job *j);

// From here on: a fault is reported on j->chan with the address it touched,
// and ends the process as it would have; the process ends if the harness
// stays quiet past j->timeout_ms and then some; no core dump is written.
void guard(struct job *j);

// Maps every view of a region that came as a descriptor or a file, each at
// j->at[v]. Gives up on failure.
void map_given_region(struct job *j);

// Whether err means this machine ran short (no memory, no descriptor left)
// rather than anything the code under test did; if so, says in buf what ran
// short and how to get more.
int short_of(int err, char *buf, size_t len);

// Makes view v readable and writable (open), or inaccessible.
void fence(const struct shmlab_view *v, int open);

// This process's id, as the harness knows it.
unsigned long long own_pid(void);

// Where this process's heap and program lie: [0] to [1] the heap, [2] to
// [3] the program's code and data, [4] to [5] the DLL of that file name
// that the scenario loaded (a Win32 lesson's, struct scenario's `dll`);
// zeros where the system cannot say, or dll is NULL.
void own_ranges(const char *dll, unsigned long long range[6]);

// Under `fork`, in worker 0 once it has prepared: starts workers
// 1..procs-1 as copies of this process, each returning from here as itself.
void fork_the_others(struct job *j);

// Ends this process with status.
_Noreturn void leave(int status);

#endif
