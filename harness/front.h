/*
 * What the command line (main.c, the same on both systems) asks of the
 * system it runs on: its usage, where the programs are, what this machine
 * cannot run, and the commands only one system has. front_posix.c and
 * win32/front_win32.c answer.
 */
#ifndef SHMLAB_FRONT_H
#define SHMLAB_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"

// The text printed on bad usage.
extern const char front_usage[];

// The kill test's worker program, beside this one.
extern const char front_kill_worker[];

// Called first, with argv[0]. Returns the command that runs this program
// again from a shell on this machine, for replay lines.
const char *front_start(const char *argv0);

// A random number from the system's generator (or, should it fail, from
// something that changes from run to run).
uint64_t front_random(void);

// The worker programs of r, and its library under test unless r->impl
// names one already.
void front_find_programs(struct run *r);

// 1 if the program at path exists and can be started.
int front_can_start(const char *path);

// Why this system cannot do what r and o ask (a usage error), or NULL.
const char *front_refuses(const struct run *r, const struct outputs *o);

// 1 if this machine cannot run r (a SKIP), with the reason in why.
int front_cannot_run(struct run *r, char *why, size_t len);

// Where a view may be placed: a multiple of this many bytes.
size_t front_view_align(const struct run *r);

// After supervise(r): supervises r once more where the system, not the
// scenario, kept a worker from starting (Wine, on POSIX).
void front_after_run(struct run *r);

// A command only this system has, argv[1]: runs it, sets *status and
// returns 1; else returns 0.
int front_command(int argc, char **argv, int *status);

#endif
