/*
 * Scenarios that test the harness itself: each produces one outcome on
 * purpose, so the suite can check that the harness reports it truthfully
 * (a test of the supervisor that cannot fail would prove nothing).
 */
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#define pause() Sleep(INFINITE)         // the Win32 track: no signals to wait for
#else
#include <unistd.h>
#endif

#include "scenario.h"

static int
pass(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	v->base[w->index] = 1;          // touch the region: it must be mapped
	return 0;
}

static int
fail_on_purpose(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	return fail(w, "worker %d fails on purpose", w->index);
}

// Reads the first byte past the end of the view: the fault address the
// harness reports must be exactly base + size.
static int
segv(struct worker *w, const struct shmlab_view *v)
{
	volatile unsigned char *past_end = v->base + v->size;
	int byte = *past_end;

	return fail(w, "read %d past the end and did not fault", byte);
}

static int
hang(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	(void)v;
	for (;;)
		pause();                // only SIGKILL from the harness ends this
	return 0;
}

static int
vanish(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	_exit(w->index == 0 ? 0 : 5);   // ends without reporting a result
}

#ifndef _WIN32
#include <sys/msg.h>

// Worker 0 makes a SysV message queue and leaves it: the harness must find
// it, remove it and fail the run.
static int
leak_queue(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	return w->index == 0 && msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0 ? fail(w, "msgget failed") : 0;
}

const struct scenario selftest_sysv_leak = {
	.name = "00-selftest-sysv-leak", .summary = "harness self-test: a SysV queue left behind",
	.region_size = 65536, .flags = SELFTEST | SYSV_IPC, .caught_under = ALL_STRATEGIES, .run = leak_queue,
};
#endif

#define SELFTEST(id, what, step, passes, caught) \
	const struct scenario id = { .name = "00-selftest-" #what, .summary = "harness self-test: " #what, \
		.region_size = 65536, .flags = SELFTEST, .passes_under = passes, .caught_under = caught, \
		.run = step }

SELFTEST(selftest_pass, pass, pass, ALL_STRATEGIES, 0);
SELFTEST(selftest_fail, fail, fail_on_purpose, 0, ALL_STRATEGIES);
SELFTEST(selftest_segv, segv, segv, 0, ALL_STRATEGIES);
SELFTEST(selftest_hang, hang, hang, 0, ALL_STRATEGIES);
SELFTEST(selftest_exit, exit, vanish, 0, ALL_STRATEGIES);
