/*
 * The two halves of a run. run.c is the portable half: the phases, their
 * order, what each message means and the judgement. The platform half,
 * posix.c or win32/win32.c, is what needs a system: the region, the
 * processes, the channels, waiting, killing and the leftover check. Each
 * half calls only what this file declares of the other.
 *
 * Every platform function that can fail says so in r->problem (run_problem)
 * and returns -1, so run.c only decides what to do next.
 */
#ifndef SHMLAB_PLATFORM_H
#define SHMLAB_PLATFORM_H

#include "run.h"
#include "wire.h"

// ---- the platform half

// Before the run's clock starts: what the system needs to watch the run's
// processes (a SIGCHLD descriptor and the subreaper; a job object), and the
// run's region under a fresh name in r->region. Returns 0, or -1 with
// r->problem set and nothing left behind.
int platform_begin(struct run *r);

// Milliseconds on a clock that only goes forward.
long long platform_clock_ms(void);

// Starts every worker (under `fork`, worker 0 only, holding every channel),
// each with its channel in r->w[i].chan and its process id in r->w[i].pid.
// Returns 0, or -1 when the machine ran short (r->problem says of what, and
// r->harness_fault is set): the workers started so far are told to quit.
int platform_start_all(struct run *r);

// Every worker has the region: its name may go, so that nothing outlives the
// run. Called again at the end; the second call does nothing.
void platform_release_region(struct run *r);

// Waits at most ms for something to happen and hands it over: each message
// to run_heard(), each ended process to run_reaped(). Returns 0 if
// something happened or the time ran out, 1 if nothing is left to wait for
// (no channel open, no process alive), -1 if waiting failed.
int platform_wait(struct run *r, int ms);

// Sends word to worker i over its channel.
void platform_send(struct run *r, int i, enum wire_word word);

// Kills every process of the run at once (its process group, its job).
void platform_kill_all(struct run *r);

// Closes every channel and checks that nothing of the run is left: its
// region's name, a process, a descriptor or handle, a SysV object.
void platform_end(struct run *r);

// The death test: 1 if status (run_reaped's) says the process died of a
// fault (a signal; an exception code), with its number in *cause.
int platform_died_of_fault(int status, int *cause);

// 1 if status says the process exited of its own accord with status 0.
int platform_exited_cleanly(int status);

// The path of the file name in this program's directory (the workers and
// the reference live beside it), into buf; name "" gives the directory with
// its separator at the end. Returns buf.
char *platform_beside(char *buf, size_t len, const char *name);

// What kills a hung worker, for its message: "its process group".
extern const char platform_killer[];

// ---- the portable half (run.c), for the platform half

// Appends what to r->problem.
void run_problem(struct run *r, const char *what);

// Worker i said msg.
void run_heard(struct run *r, int i, const char *msg);

// Process pid ended with status. A process that has not said who it is yet
// (a worker forked by worker 0) is kept aside until it does.
void run_reaped(struct run *r, long pid, int status);

#endif
