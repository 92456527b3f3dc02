// Judging a bounded wait (wait_check.h; timeouts.c's essay says why so).
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "wait_check.h"

#define PHASE_FROM      (NS_PER_S / 20)         // a wait starts 0.05 s to 0.35 s past a whole second
#define PHASE_TO        (NS_PER_S * 7 / 20)
#define PHASE_AT        (NS_PER_S / 10)         // where to_phase sleeps to when outside
#define SPIN_ALLOWANCE  (20 * NS_PER_MS)        // processor time any call may use
#define STARVED         100                     // under 1/STARVED of the time it was runnable on a processor

const int short_timeouts[NSHORT_TIMEOUTS] = { 0, 1, SLEEP_FROM_MS };

int
long_timeout(const struct worker *w)
{
	return w->index % 2 ? 1100 : 1000;
}

int64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

// The time this thread has waited for a processor (schedstat's second
// field), or -1 where the kernel does not say.
static int64_t
queued_ns(void)
{
	char buf[128];
	long long on_cpu, queued;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld", &on_cpu, &queued) != 2)
		return -1;
	return queued;
}

void
stopwatch_start(struct stopwatch *s)
{
	s->queued = queued_ns();
	s->cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	s->wall = clock_ns(CLOCK_MONOTONIC);
}

void
stopwatch_lap(const struct stopwatch *start, struct stopwatch *lap)
{
	lap->wall = clock_ns(CLOCK_MONOTONIC) - start->wall;
	lap->cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - start->cpu;
	lap->queued = start->queued < 0 ? -1 : queued_ns();
	if (lap->queued >= 0)
		lap->queued -= start->queued;
}

// Sleeps, if need be, until CLOCK_MONOTONIC is between PHASE_FROM and
// PHASE_TO past a whole second. Late wake-ups only move the phase on.
void
to_phase(void)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC), phase = now % NS_PER_S, at;
	struct timespec ts;

	if (phase >= PHASE_FROM && phase < PHASE_TO)
		return;
	at = now - phase + (phase < PHASE_FROM ? 0 : NS_PER_S) + PHASE_AT;
	ts = (struct timespec){ .tv_sec = (time_t)(at / NS_PER_S), .tv_nsec = (long)(at % NS_PER_S) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

// The verdict on a call that timed out after `lap`, with `timeout_ms`.
int
waited_out(struct worker *w, const struct stopwatch *lap, int timeout_ms, const char *what)
{
	int64_t slept = lap->queued < 0 ? -1 : lap->wall - lap->cpu - lap->queued;

	if (lap->wall < timeout_ms * NS_PER_MS)
		return fail(w, "%s: ETIMEDOUT after %.3f ms on CLOCK_MONOTONIC: before its timeout had passed",
		    what, (double)lap->wall / 1e6);
	if (lap->cpu > SPIN_ALLOWANCE + lap->wall / 20)
		return fail(w, "%s: used %.1f ms of processor time in %.1f ms: a wait must sleep, not spin",
		    what, (double)lap->cpu / 1e6, (double)lap->wall / 1e6);
	if (timeout_ms >= SLEEP_FROM_MS && slept >= 0 && slept < timeout_ms * NS_PER_MS / 10
	    && lap->cpu * STARVED >= lap->cpu + lap->queued)
		return fail(w, "%s: slept %.1f ms of %.1f ms (%.1f ms on a processor, %.1f ms waiting for one): "
		    "a wait must sleep, not spin", what, (double)slept / 1e6, (double)lap->wall / 1e6,
		    (double)lap->cpu / 1e6, (double)lap->queued / 1e6);
	return 0;
}

// A bounded wait for *flag to reach want; 0, or fail()'s -1.
int
await_flag(struct worker *w, uint32_t *flag, uint32_t want, const char *what)
{
	struct timespec ms = { .tv_nsec = NS_PER_MS };

	for (int i = 0; i < FLAG_WAIT_MS; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) >= want)
			return 0;
		nanosleep(&ms, NULL);
	}
	return fail(w, "worker %d waited %d ms for %s", w->index, FLAG_WAIT_MS, what);
}

// Yields rather than sleeps while it waits, so that the workers leave the
// line within microseconds of each other, not a sleep's length apart.
int
line_up(struct worker *w, uint32_t *arrived)
{
	int64_t until = clock_ns(CLOCK_MONOTONIC) + FLAG_WAIT_MS * NS_PER_MS;

	__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
	for (unsigned n = 1; __atomic_load_n(arrived, __ATOMIC_ACQUIRE) < (uint32_t)w->procs; n++) {
		if (n % 1024 == 0 && clock_ns(CLOCK_MONOTONIC) > until)
			return fail(w, "worker %d waited %d ms for every worker to line up", w->index, FLAG_WAIT_MS);
		sched_yield();
	}
	return 0;
}
