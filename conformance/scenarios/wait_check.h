/*
 * Judging a bounded wait (CONTRACT.md, "Time"): what timeouts.c's essay
 * explains, shared by every rule whose calls wait for another process
 * (settle-timeout, recv-timeout, sync-wakeup).
 *
 * A call that waits for nothing that comes must fail with ETIMEDOUT only
 * once timeout_ms have passed on CLOCK_MONOTONIC, and must sleep, not spin,
 * meanwhile. A stopwatch read around the call gives the wall time, the
 * processor time the thread used and the time it waited for a processor;
 * waited_out() judges them.
 */
#ifndef SHMLAB_CONTRACT_WAIT_CHECK_H
#define SHMLAB_CONTRACT_WAIT_CHECK_H

#include <stdint.h>
#include <time.h>

#include "scenario.h"

#define NS_PER_MS       INT64_C(1000000)
#define NS_PER_S        INT64_C(1000000000)
#define SLEEP_FROM_MS   150                     // a wait this long must sleep a tenth of it
#define FLAG_WAIT_MS    3000                    // a worker's bounded wait for another's flag

// The timeouts every worker waits out, one after another, through every
// view: 0, 1 and SLEEP_FROM_MS ms.
#define NSHORT_TIMEOUTS 3
extern const int short_timeouts[NSHORT_TIMEOUTS];

// Then one long wait, through the first view: over a second, and (odd
// workers) not a whole number of seconds.
int long_timeout(const struct worker *w);

int64_t clock_ns(clockid_t clock);

// What this thread did between start and lap: all in nanoseconds.
struct stopwatch {
	int64_t wall;           // CLOCK_MONOTONIC
	int64_t cpu;            // on a processor
	int64_t queued;         // waiting for one; -1 if unknown
};

void stopwatch_start(struct stopwatch *s);
void stopwatch_lap(const struct stopwatch *start, struct stopwatch *lap);

// Sleeps, if need be, until CLOCK_MONOTONIC is 0.05 to 0.35 s past a whole
// second, so that time arithmetic wrong only at some phases is wrong in
// every run.
void to_phase(void);

// The verdict on a call that timed out after `lap`, with `timeout_ms`: 0, or
// fail()'s -1 saying it gave up early or spun.
int waited_out(struct worker *w, const struct stopwatch *lap, int timeout_ms, const char *what);

// A bounded wait (FLAG_WAIT_MS) for *flag to become at least `want`; 0, or
// fail()'s -1 naming `what`.
int await_flag(struct worker *w, uint32_t *flag, uint32_t want, const char *what);

// Counts this worker in at *arrived and waits, bounded as await_flag, until
// every worker has arrived: the workers then start together, yielding the
// processor meanwhile rather than sleeping, so they leave at once.
int line_up(struct worker *w, uint32_t *arrived);

#endif
