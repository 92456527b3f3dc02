/*
 * The allocator (alloc.h), with one process stopped inside its call at
 * every store while another allocates.
 *
 * 03-contract-alloc-interleaved: a race between two processes in an
 * allocator is a window. One has read a list head (or a page counter, a
 * bitmap word) and is about to store what it computed from it; if the other
 * pops the same head in between, both hand out one block. Running processes
 * side by side (alloc-concurrent) finds such a window only when the
 * scheduler cuts there, which it may not do in a whole run. This scenario
 * cuts there on purpose, so that an allocator without cross-process
 * synchronisation fails every run, not most.
 *
 * Worker 0 (the paused one) makes a fixed sequence of alloc and free calls.
 * During each, its view of the heap is read-only (harness/store_trap.h): at
 * each of the call's stores into the region it stops, before the store,
 * and asks worker 1 (the intruder) to allocate a block of the same size and
 * keep it; the store happens once the intruder's alloc has returned. A
 * correct allocator copes: its compare-and-swap fails and retries, or the
 * intruder waits for its lock. A broken one overwrites what the intruder
 * did, and the paused call returns a block the intruder holds, or leaves
 * the block on a list from which the next alloc returns it again; worker 0
 * checks every block against all the live ones after each call.
 *
 * An intruder blocked behind the paused call (on its lock) cannot answer:
 * worker 0 sees that it sleeps, or spins (harness/peer_state.h), and lets
 * the call go on untrapped; the intruder's alloc completes when the lock
 * is released. So a locking allocator passes, slower, and a lock-free one
 * is tested at every store. Each call is stopped at the stores of one
 * window (the first WINDOW, or the next WINDOW in the next round), which
 * bounds the work an allocator that fills a whole page store by store
 * costs. The other workers have no part.
 *
 * The heap is the region but its first and last page: the first holds the
 * library's header, the last the two workers' control block, the one page
 * worker 0 never makes read-only.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "peer_state.h"
#include "store_trap.h"

#define WINDOW  16              // stores stopped at in one call, beyond the first EARLY
#define EARLY   4               // every round stops at a call's first EARLY stores
#define ROUNDS  2               // round r stops at stores r * WINDOW to (r + 1) * WINDOW - 1
#define HELD    (3 * (EARLY + WINDOW) + 8)        // blocks the intruder holds at once, at most
#define WAIT_NS 2000000000LL    // for an answer, and for the intruder to start
#define SPIN_NS 2000000u        // CPU an intruder may use in one alloc before it counts as waiting

static const uint32_t sizes[] = { 16, 40, 100, 300, 1000, 4000, 20000, 65536 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

enum ask { ALLOC = 1, RELEASE };

struct block { shmlab_off off; uint64_t size; };

// In the region's last page, one per view: worker 0 asks, worker 1 answers.
struct control {
	uint32_t asked, answered;       // how many requests; worker 1 answers each in turn
	uint32_t what, size;            // the request: ALLOC size, or RELEASE all held
	uint32_t quit;                  // worker 0 is done (or failed): worker 1 returns
	int32_t intruder;               // worker 1's pid, once it is ready
	int32_t error;                  // errno of worker 1's last call that failed, else 0
	uint32_t nheld;
	struct block held[HELD];        // what worker 1 holds
};

// What worker 0's trap knows about the call in progress.
struct pause {
	struct control *c;
	uint32_t size;
	int stores, first, asked;       // stores so far; the window's first; requests made
	int waited;                     // the intruder was seen blocked behind this call
	int lost;                       // the intruder neither answered nor waited in time
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct control *
control_of(const struct worker *w, const struct shmlab_view *v)
{
	return (struct control *)((char *)v->base + v->size - (uint64_t)sysconf(_SC_PAGESIZE)) + w->view;
}

static int
make_heap(struct worker *w, const struct shmlab_view *v)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (SUCCEEDS(w, w->impl->format(v), "format") < 0
	    || SUCCEEDS(w, w->impl->heap_init(v, page, v->size - 2 * page), "heap_init of all but the first and last page") < 0)
		return -1;
	memset((char *)v->base + v->size - page, 0, page);
	return 0;
}

// ---------------------------------------------------------------- worker 1

static void
answer(struct worker *w, const struct shmlab_view *v, struct control *c)
{
	shmlab_off off;

	errno = 0;
	if (c->what == ALLOC && c->nheld < HELD) {
		if (w->impl->alloc(v, c->size, 8, &off) == 0)
			c->held[c->nheld++] = (struct block){ off, c->size };
		else
			c->error = errno;
	}
	if (c->what == RELEASE) {
		for (uint32_t i = 0; i < c->nheld; i++)
			if (w->impl->free(v, c->held[i].off) < 0)
				c->error = errno;
		c->nheld = 0;
	}
	__atomic_store_n(&c->answered, c->answered + 1, __ATOMIC_RELEASE);
}

// Answers worker 0 until it quits. Never sleeps while it waits: worker 0
// takes a sleeping intruder for one blocked in the allocator.
static int
intrude(struct worker *w, const struct shmlab_view *v, struct control *c)
{
	int64_t idle_since = now_ns();

	__atomic_store_n(&c->intruder, (int32_t)getpid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->quit, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&c->asked, __ATOMIC_ACQUIRE) != c->answered) {
			answer(w, v, c);
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

// The trap's hook, in a signal handler: worker 0 stands before a store of
// the library's; within the window, worker 1 allocates first.
static int
before_store(void *addr, void *arg)
{
	struct pause *p = arg;
	struct control *c = p->c;
	long intruder = c->intruder;
	uint64_t cpu;
	int64_t start = now_ns();

	(void)addr;
	if (p->stores++ < p->first && p->stores > EARLY)
		return 1;
	if (p->stores > p->first + WINDOW || c->nheld == HELD)
		return 0;
	cpu = peer_cpu_ns(intruder);
	c->what = ALLOC;
	c->size = p->size;
	__atomic_store_n(&c->asked, c->asked + 1, __ATOMIC_RELEASE);
	p->asked++;
	while (__atomic_load_n(&c->answered, __ATOMIC_ACQUIRE) != c->asked) {
		int waiting = peer_waiting(intruder, cpu, SPIN_NS);
		if (waiting != 0 || now_ns() - start > WAIT_NS) {
			p->waited = waiting > 0;
			p->lost = waiting <= 0;
			return 0;
		}
		sched_yield();
	}
	return 1;
}

// Waits until worker 1 has answered every request, and says if its last
// call failed.
static int
settled(struct worker *w, struct control *c, const char *after)
{
	int64_t start = now_ns();

	while (__atomic_load_n(&c->answered, __ATOMIC_ACQUIRE) != c->asked)
		if (now_ns() - start > WAIT_NS)
			return fail(w, "worker 1's call, made while worker 0 was stopped in %s, did not return within "
			    "%lld s of that call's end", after, WAIT_NS / 1000000000);
		else
			sched_yield();
	if (c->error)
		return fail(w, "worker 1's call, made while worker 0 was stopped in %s, failed with %s", after,
		    errname(c->error));
	return 0;
}

// The heap's pages, read-only for the length of one call of worker 0's.
static int
trapped(struct worker *w, const struct shmlab_view *v, struct pause *p, const char *what)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (store_trap_arm(v->base, v->size - page, before_store, p) < 0)
		return fail(w, "cannot make the heap read-only to stop %s at its stores: %s", what, errname(errno));
	return 0;
}

static int
stopped_call(struct worker *w, struct pause *p, int rc, const char *what)
{
	int err = errno;

	store_trap_disarm();
	if (p->lost)
		return fail(w, "while worker 0 was stopped in %s, worker 1's alloc neither returned nor waited "
		    "within %lld s", what, WAIT_NS / 1000000000);
	if (settled(w, p->c, what) < 0)
		return -1;
	return succeeded(w, rc, err, what);
}

static int
overlaps(const struct block *b, const struct block *set, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (b->off < set[i].off + set[i].size && set[i].off < b->off + b->size)
			return (int)i;
	return -1;
}

// A block worker 0 was just given must lie in the heap and overlap no live
// block: neither worker 1's nor worker 0's own.
static int
fresh(struct worker *w, const struct shmlab_view *v, const struct block *b, const struct block *mine, uint32_t nmine,
    const char *how)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), end = v->size - page;
	const struct control *c = control_of(w, v);
	int k;

	if (b->off < page || b->off > end || b->size > end - b->off)
		return fail(w, "%s returned [%#llx, +%llu), outside the heap [%#llx, %#llx)", how,
		    (unsigned long long)b->off, (unsigned long long)b->size, (unsigned long long)page,
		    (unsigned long long)end);
	if ((k = overlaps(b, c->held, c->nheld)) >= 0)
		return fail(w, "%s returned [%#llx, +%llu), which worker 1 holds since an alloc it made while "
		    "worker 0 was stopped before a store: a block handed out twice, because the allocator "
		    "let a store overwrite what worker 1 did in between (no compare-and-swap, no lock)", how,
		    (unsigned long long)b->off, (unsigned long long)b->size);
	if ((k = overlaps(b, mine, nmine)) >= 0)
		return fail(w, "%s returned [%#llx, +%llu), inside worker 0's own live block [%#llx, +%llu): "
		    "a block handed out twice", how, (unsigned long long)b->off, (unsigned long long)b->size,
		    (unsigned long long)mine[k].off, (unsigned long long)mine[k].size);
	return 0;
}

// Names a stopped call: "alloc(16) stopped at stores 1 to 4 and 17 to 32".
static void
window(char *buf, size_t len, const char *call, uint32_t size, int first)
{
	if (first == 0)
		snprintf(buf, len, "%s(%u) stopped at stores 1 to %d", call, size, WINDOW);
	else
		snprintf(buf, len, "%s(%u) stopped at stores 1 to %d and %d to %d", call, size, EARLY, first + 1,
		    first + WINDOW);
}

// One alloc of worker 0's, stopped at the stores of round's window.
static int
paused_alloc(struct worker *w, const struct shmlab_view *v, uint32_t size, int round, struct block *mine,
    uint32_t *nmine)
{
	struct pause p = { .c = control_of(w, v), .size = size, .first = round * WINDOW };
	struct block b = { 0, size };
	char what[80];
	int rc;

	window(what, sizeof what, "alloc", size, p.first);
	if (trapped(w, v, &p, what) < 0)
		return -1;
	rc = w->impl->alloc(v, size, 8, &b.off);
	if (stopped_call(w, &p, rc, what) < 0 || fresh(w, v, &b, mine, *nmine, what) < 0)
		return -1;
	mine[(*nmine)++] = b;
	return 0;
}

// One free of worker 0's, stopped likewise; then two allocs of the same
// size, unstopped, which a list the free left wrong would answer with a
// block in use.
static int
paused_free(struct worker *w, const struct shmlab_view *v, int round, struct block *mine, uint32_t *nmine)
{
	struct block gone = mine[--*nmine], again[2];
	struct pause p = { .c = control_of(w, v), .size = (uint32_t)gone.size, .first = round * WINDOW };
	char what[80], next[120];
	int rc;

	window(what, sizeof what, "free of a block of alloc", p.size, p.first);
	if (trapped(w, v, &p, what) < 0)
		return -1;
	rc = w->impl->free(v, gone.off);
	if (stopped_call(w, &p, rc, what) < 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		again[k].size = gone.size;
		snprintf(next, sizeof next, "alloc(%u) #%d after a %s", p.size, k + 1, what);
		if (SUCCEEDS(w, w->impl->alloc(v, gone.size, 8, &again[k].off), next) < 0
		    || fresh(w, v, &again[k], mine, *nmine, next) < 0)
			return -1;
		mine[(*nmine)++] = again[k];
	}
	return 0;
}

// Worker 1 frees what it holds, while worker 0 waits.
static int
release(struct worker *w, struct control *c)
{
	c->what = RELEASE;
	__atomic_store_n(&c->asked, c->asked + 1, __ATOMIC_RELEASE);
	return settled(w, c, "nothing (worker 1 was freeing what it held)");
}

static int
free_mine(struct worker *w, const struct shmlab_view *v, struct block *mine, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (SUCCEEDS(w, w->impl->free(v, mine[i].off), "free of one of worker 0's blocks") < 0)
			return -1;
	return 0;
}

static int
wait_for_intruder(struct worker *w, struct control *c)
{
	int64_t start = now_ns();

	while (__atomic_load_n(&c->intruder, __ATOMIC_ACQUIRE) == 0)
		if (now_ns() - start > WAIT_NS)
			return fail(w, "worker 1 did not start within %lld s", WAIT_NS / 1000000000);
		else
			sched_yield();
	return 0;
}

// Per size, per round: two stopped allocs, a stopped free of the second
// and the two allocs after it, then worker 1 lets go of what it holds.
static int
pause_and_intrude(struct worker *w, const struct shmlab_view *v, struct control *c)
{
	struct block mine[4];
	uint32_t n;

	if (wait_for_intruder(w, c) < 0)
		return -1;
	for (int round = 0; round < ROUNDS; round++)
		for (size_t s = 0; s < NSIZES; s++) {
			n = 0;
			if (paused_alloc(w, v, sizes[s], round, mine, &n) < 0
			    || paused_alloc(w, v, sizes[s], round, mine, &n) < 0
			    || paused_free(w, v, round, mine, &n) < 0 || free_mine(w, v, mine, n) < 0
			    || release(w, c) < 0)
				return -1;
		}
	return 0;
}

static int
interleave(struct worker *w, const struct shmlab_view *v)
{
	struct control *c = control_of(w, v);
	int rc;

	if (w->index == 1)
		return intrude(w, v, c);
	if (w->index != 0)
		return 0;
	rc = pause_and_intrude(w, v, c);
	// A failed worker 0 makes no second pass under `double`: worker 1 must
	// not wait for one.
	for (int k = 0; k < w->views; k++)
		if (rc < 0 || k == w->view)
			__atomic_store_n(&(c - w->view + k)->quit, 1, __ATOMIC_RELEASE);
	return rc;
}

const struct scenario contract_alloc_interleaved = {
	.name = "03-contract-alloc-interleaved",
	.summary = "a process stopped at each store of its alloc or free while another allocates; no block handed out twice",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-interleaved",
	.region_size = 16 * MiB,
	.flags = CONTRACT | STORE_TRAP,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_heap,
	.run = interleave,
};
