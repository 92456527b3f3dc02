/*
 * Races made on purpose (interleave.h): the hook that stops worker 0, the
 * loop worker 1 answers in, and the bounded waits between them.
 *
 * Invariant: worker 0 makes a request only when worker 1 has answered every
 * earlier one, except while a stopped call goes on past a worker 1 blocked
 * behind it; interleave_stopped then waits for that answer before it
 * returns, so every check worker 0 makes afterwards sees all that worker 1
 * did. Worker 1 never sleeps while it waits for a request: a sleeping
 * worker 1 is what worker 0 takes for one blocked in the library.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interleave.h"
#include "peer_state.h"
#include "store_trap.h"

#define WAIT_NS 2000000000LL    // for an answer, and for worker 1 to start
#define SPIN_NS 2000000u        // CPU worker 1 may use in one call before it counts as waiting

char interleave_called[120];

_Static_assert(2 * sizeof(struct interleave) <= 4096, "both views' control blocks fit the smallest page");

// What the trap's hook knows of the call in progress.
struct pause {
	struct interleave *c;
	uint32_t what, arg;
	int stores, first;      // stores so far; the window's first
	int lost;               // worker 1 neither answered nor waited in time
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t
interleave_usable(const struct shmlab_view *v)
{
	return v->size - page_size();
}

struct interleave *
interleave_of(const struct worker *w, const struct shmlab_view *v)
{
	return (struct interleave *)((char *)v->base + interleave_usable(v)) + w->view;
}

void
interleave_reset(const struct shmlab_view *v)
{
	memset((char *)v->base + interleave_usable(v), 0, page_size());
}

static void
ask(struct interleave *c, uint32_t what, uint32_t arg)
{
	c->what = what;
	c->arg = arg;
	__atomic_store_n(&c->asked, c->asked + 1, __ATOMIC_RELEASE);
}

// ---------------------------------------------------------------- worker 1

// Answers requests until worker 0 quits; fails if worker 0 asks nothing
// for too long.
static int
intrude(struct worker *w, const struct shmlab_view *v, interleave_answer *answer)
{
	struct interleave *c = interleave_of(w, v);
	int64_t idle_since = now_ns();

	__atomic_store_n(&c->intruder, (int32_t)getpid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->quit, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&c->asked, __ATOMIC_ACQUIRE) != c->answered) {
			errno = 0;
			answer(w, v, c);
			__atomic_store_n(&c->answered, c->answered + 1, __ATOMIC_RELEASE);
			idle_since = now_ns();
		} else if (now_ns() - idle_since > 2 * WAIT_NS) {
			return fail(w, "worker 0 asked nothing for %lld s and never said it was done",
			    2 * WAIT_NS / 1000000000);
		} else {
			sched_yield();
		}
	}
	return 0;
}

// ---------------------------------------------------------------- worker 0

static int
wait_for_intruder(struct worker *w, struct interleave *c)
{
	int64_t start = now_ns();

	while (__atomic_load_n(&c->intruder, __ATOMIC_ACQUIRE) == 0)
		if (now_ns() - start > WAIT_NS)
			return fail(w, "worker 1 did not start within %lld s", WAIT_NS / 1000000000);
		else
			sched_yield();
	return 0;
}

// The trap's hook, in a signal handler: worker 0 stands before a store of
// the library's; within the window, worker 1 makes its call first.
static int
before_store(void *addr, void *arg)
{
	struct pause *p = arg;
	struct interleave *c = p->c;
	long intruder = c->intruder;
	int64_t start = now_ns();
	uint64_t cpu;

	(void)addr;
	if (p->stores++ < p->first && p->stores > INTERLEAVE_EARLY)
		return 1;
	if (p->stores > p->first + INTERLEAVE_WINDOW)
		return 0;
	cpu = peer_cpu_ns(intruder);
	ask(c, p->what, p->arg);
	while (__atomic_load_n(&c->answered, __ATOMIC_ACQUIRE) != c->asked) {
		int waiting = peer_waiting(intruder, cpu, SPIN_NS);
		if (waiting != 0 || now_ns() - start > WAIT_NS) {
			p->lost = waiting <= 0;
			return 0;       // blocked behind this call: let it finish untrapped
		}
		sched_yield();
	}
	return 1;
}

// Waits until worker 1 has answered every request; says if a call failed.
static int
settled(struct worker *w, struct interleave *c, const char *during)
{
	int64_t start = now_ns();

	while (__atomic_load_n(&c->answered, __ATOMIC_ACQUIRE) != c->asked)
		if (now_ns() - start > WAIT_NS)
			return fail(w, "worker 1's call, made while worker 0 was %s, did not return within %lld s", during,
			    WAIT_NS / 1000000000);
		else
			sched_yield();
	if (c->error)
		return fail(w, "worker 1's call, made while worker 0 was %s, failed with %s", during, errname(c->error));
	return 0;
}

static void
describe(const char *name, int first)
{
	if (first == 0)
		snprintf(interleave_called, sizeof interleave_called, "%s stopped at stores 1 to %d", name,
		    INTERLEAVE_WINDOW);
	else
		snprintf(interleave_called, sizeof interleave_called, "%s stopped at stores 1 to %d and %d to %d",
		    name, INTERLEAVE_EARLY, first + 1, first + INTERLEAVE_WINDOW);
}

int
interleave_stopped(struct worker *w, const struct shmlab_view *v, int first, const char *name,
    interleave_call *call, void *call_arg, uint32_t what, uint32_t ask_arg, int *call_rc)
{
	struct pause p = { .c = interleave_of(w, v), .what = what, .arg = ask_arg, .first = first };
	char during[160];
	int err;

	describe(name, first);
	snprintf(during, sizeof during, "in %s", interleave_called);
	if (store_trap_arm(v->base, interleave_usable(v), before_store, &p) < 0)
		return fail(w, "cannot make the region read-only to stop %s: %s", name, errname(errno));
	*call_rc = call(w, v, call_arg);
	err = errno;
	store_trap_disarm();
	if (p.lost)
		return fail(w, "while worker 0 was %s, worker 1's call neither returned nor waited within %lld s",
		    during, WAIT_NS / 1000000000);
	if (settled(w, p.c, during) < 0)
		return -1;
	errno = err;
	return 0;
}

int
interleave_ask(struct worker *w, struct interleave *c, uint32_t what, uint32_t arg)
{
	ask(c, what, arg);
	return settled(w, c, "not stopped");
}

// A failed worker 0 makes no other pass under `double`, so then every
// view's worker 1 is let go, not only this one's.
static void
done(struct worker *w, struct interleave *c, int rc)
{
	for (int k = 0; k < w->views; k++)
		if (rc < 0 || k == w->view)
			__atomic_store_n(&(c - w->view + k)->quit, 1, __ATOMIC_RELEASE);
}

int
interleave_run(struct worker *w, const struct shmlab_view *v, interleave_part *part, interleave_answer *answer)
{
	struct interleave *c = interleave_of(w, v);
	int rc;

	if (w->index == 1)
		return intrude(w, v, answer);
	if (w->index != 0)
		return 0;
	rc = wait_for_intruder(w, c) < 0 ? -1 : part(w, v, c);
	done(w, c, rc);
	return rc;
}
