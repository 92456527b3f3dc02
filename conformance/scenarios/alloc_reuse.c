/*
 * The allocator (alloc.h): blocks one process freed, allocated by another.
 *
 * An allocator may keep free blocks near the process that freed them (a
 * list of its own, a cache), so that processes seldom touch the same words.
 * The contract does not care where a free block waits, only that none is
 * lost: once everything is freed, as many blocks fit again, whichever
 * process asks. Both rules here make a heap whose every block has been
 * handed out to one process and freed by it, so that every later request,
 * by any process, can only be answered with those blocks.
 *
 * 03-contract-alloc-refill: every worker in turn takes SHARE blocks of SIZE
 * bytes and keeps them, worker 0 then takes blocks until ENOMEM: the heap
 * is full, and the blocks were had by every worker. Each frees its own,
 * checking first that each still holds its stamp (no other worker was given
 * it). Then every worker in turn fills the heap alone until ENOMEM, checks
 * that no two of its blocks overlap, and frees them: each must get exactly
 * as many blocks as the workers held together. Turns are taken one at a
 * time (a step counter in the region's last page), so no two workers are in
 * the heap at once and the count is exact.
 *
 * 03-contract-alloc-reuse-interleaved: the same heap, with two processes in
 * it at once, their meetings made on purpose (interleave.h). Worker 0 fills
 * and empties the heap, worker 1 must then fit as many blocks; afterwards
 * every block either of them gets is one worker 0 freed. Worker 0 then
 * allocates, stopped before each store; at each stop worker 1 allocates
 * BURST blocks, frees the one it held and all but the second of them again,
 * the first last, so the block worker 0 was about to take is free once more
 * but with another block after it (the ABA case: a compare-and-swap that
 * compares only that block, or a version count that can come back to an
 * earlier value, would hand out the second, which worker 1 keeps). Then worker 0 frees,
 * stopped likewise, while worker 1 allocates and keeps a block at each stop;
 * the two allocs after each free must not return a block worker 1 holds.
 * Last, both let go of everything and worker 0 must fit as many blocks as
 * at first: none was lost, none is listed twice.
 *
 * Both heaps are the region but its first page (the library's header) and
 * its last (the turns, or interleave.h's control block).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interleave.h"

#define SIZE            1000u   // every block of both rules
#define MAXBLOCKS       8192    // more than a region of 1 MiB holds
#define WAIT_NS         2000000000LL    // for a turn that makes no progress

struct block { shmlab_off off; uint64_t size; };

static uint64_t
page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
make_heap(struct worker *w, const struct shmlab_view *v)
{
	uint64_t page = page_size();

	interleave_reset(v);            // zeroes the last page: the turns too
	if (SUCCEEDS(w, w->impl->format(v), "format") < 0
	    || SUCCEEDS(w, w->impl->heap_init(v, page, interleave_usable(v) - page),
		"heap_init of all but the first and last page") < 0)
		return -1;
	return 0;
}

static int
by_offset(const void *a, const void *b)
{
	const shmlab_off *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

// Allocates blocks of SIZE bytes into off[] until ENOMEM; their number, or
// -1 with errno: ENOSPC if more than MAXBLOCKS fit, EEXIST if two overlap
// (off[] is sorted then), or the error of an alloc that failed otherwise.
static int
fill(const struct worker *w, const struct shmlab_view *v, shmlab_off *off)
{
	int n = 0;

	for (errno = 0; w->impl->alloc(v, SIZE, 8, &off[n]) == 0; errno = 0)
		if (++n == MAXBLOCKS) {
			errno = ENOSPC;
			return -1;
		}
	if (errno != ENOMEM)
		return -1;
	qsort(off, (size_t)n, sizeof *off, by_offset);
	for (int i = 1; i < n; i++)
		if (off[i - 1] + SIZE > off[i]) {
			errno = EEXIST;
			return -1;
		}
	return n;
}

// Frees off[0 .. n); 0, or -1 with the error of the free that failed.
static int
free_all(const struct worker *w, const struct shmlab_view *v, const shmlab_off *off, int n)
{
	for (int i = 0; i < n; i++)
		if (w->impl->free(v, off[i]) < 0)
			return -1;
	return 0;
}

// Fills the heap and empties it again: how many blocks fit, or fail()'s -1.
static int
fill_and_empty(struct worker *w, const struct shmlab_view *v, const char *who)
{
	static shmlab_off off[MAXBLOCKS];
	int n = fill(w, v, off);

	if (n < 0 && errno == EEXIST)
		return fail(w, "%s filled the heap with blocks of %u bytes: two of them overlap: [%#llx, +%u) and "
		    "[%#llx, +%u)", who, SIZE, (unsigned long long)off[0], SIZE, (unsigned long long)off[1], SIZE);
	if (n < 0)
		return fail(w, "%s filled the heap with blocks of %u bytes: alloc failed with %s, not ENOMEM", who,
		    SIZE, errname(errno));
	if (free_all(w, v, off, n) < 0)
		return fail(w, "%s emptied the heap: free of a block it had filled it with failed: %s", who,
		    errname(errno));
	return n;
}

// ---------------------------------------------------------------- alloc-refill

// In the region's last page. Under `double` each worker makes a pass
// through each view, and the passes of two workers overlap: the steps of
// both passes are one sequence, so turns stay one at a time.
struct turns {
	uint32_t step;          // steps done
	uint32_t quit;          // a worker failed: the others stop
	uint32_t total;         // blocks the workers hold together once the heap is full
	uint32_t pad;
};

#define SHARE   100             // blocks each worker takes before worker 0 fills the rest

// A pass, for P workers: steps 0 .. P-1, worker s takes SHARE blocks; step
// P, worker 0 takes the rest; P+1 .. 2P, each frees what it took; 2P+1 ..
// 3P, each fills the heap and empties it again.
enum phase { TAKE_SHARE, TAKE_REST, GIVE_BACK, REFILL_ALONE };

static struct turns *
turns_of(const struct shmlab_view *v)
{
	return (struct turns *)((char *)v->base + interleave_usable(v));
}

static enum phase
phase_of(int s, int procs, int *who)
{
	*who = s < procs ? s : s == procs ? 0 : (s - procs - 1) % procs;
	return s < procs ? TAKE_SHARE : s == procs ? TAKE_REST : s <= 2 * procs ? GIVE_BACK : REFILL_ALONE;
}

// Waits, bounded, until step s is due: 1, or 0 if a worker quit, or
// fail()'s -1 if the steps stopped moving.
static int
my_turn(struct worker *w, struct turns *t, uint32_t s)
{
	uint32_t seen = __atomic_load_n(&t->step, __ATOMIC_ACQUIRE), now;
	int64_t since = now_ns();

	while ((now = __atomic_load_n(&t->step, __ATOMIC_ACQUIRE)) != s) {
		if (__atomic_load_n(&t->quit, __ATOMIC_ACQUIRE))
			return 0;
		if (now != seen) {
			seen = now;
			since = now_ns();
		} else if (now_ns() - since > WAIT_NS) {
			return fail(w, "waited %lld s at step %u for step %u: the worker of step %u made no progress",
			    WAIT_NS / 1000000000, now, s, now);
		}
		sched_yield();
	}
	return 1;
}

// What this worker holds between its steps; each block is stamped with its
// owner and number, so a block another worker was given too is seen.
static shmlab_off held[MAXBLOCKS];
static int nheld;

static uint64_t
stamp_of(const struct worker *w, int i)
{
	return mix64(w->seed ^ (uint64_t)w->index << 32 ^ (uint64_t)i);
}

// Takes up to most blocks (until ENOMEM) and stamps them.
static int
take(struct worker *w, const struct shmlab_view *v, struct turns *t, int most)
{
	int first = nheld;
	word64 *p;

	for (errno = 0; nheld < first + most && nheld < MAXBLOCKS; nheld++, errno = 0) {
		if (w->impl->alloc(v, SIZE, 8, &held[nheld]) < 0)
			break;
		if (SUCCEEDS(w, w->impl->off_to_ptr(v, held[nheld], 8, (void **)&p), "off_to_ptr of a new block") < 0)
			return -1;
		*p = stamp_of(w, nheld);
	}
	if (errno != 0 && errno != ENOMEM)
		return fail(w, "worker %d's alloc(%u) #%d failed with %s, not ENOMEM", w->index, SIZE, nheld + 1,
		    errname(errno));
	t->total += (uint32_t)(nheld - first);
	return 0;
}

static int
give_back(struct worker *w, const struct shmlab_view *v)
{
	word64 *p;

	for (int i = 0; i < nheld; i++) {
		if (SUCCEEDS(w, w->impl->off_to_ptr(v, held[i], 8, (void **)&p), "off_to_ptr of a held block") < 0)
			return -1;
		if (*p != stamp_of(w, i))
			return fail(w, "worker %d's block at %#llx no longer holds its stamp: handed out to another worker "
			    "too", w->index, (unsigned long long)held[i]);
		if (SUCCEEDS(w, w->impl->free(v, held[i]), "free of a block of a full heap") < 0)
			return -1;
	}
	nheld = 0;
	return 0;
}

static int
refill_alone(struct worker *w, const struct shmlab_view *v, const struct turns *t)
{
	char who[40];
	int n;

	snprintf(who, sizeof who, "worker %d", w->index);
	if ((n = fill_and_empty(w, v, who)) < 0)
		return -1;
	if ((uint32_t)n != t->total)
		return fail(w, "the workers together filled the heap with %u blocks of %u bytes and freed them all; "
		    "worker %d alone then fits %d: every free block must be had again, whichever process freed it",
		    t->total, SIZE, w->index, n);
	return 0;
}

static int
refill_step(struct worker *w, const struct shmlab_view *v, struct turns *t, enum phase phase, int first)
{
	if (first)
		t->total = 0;
	switch (phase) {
	case TAKE_SHARE:
		return take(w, v, t, SHARE);
	case TAKE_REST:
		return take(w, v, t, MAXBLOCKS);
	case GIVE_BACK:
		return give_back(w, v);
	case REFILL_ALONE:
		return refill_alone(w, v, t);
	}
	return 0;
}

static int
refill_turns(struct worker *w, const struct shmlab_view *v)
{
	struct turns *t = turns_of(v);
	int pass = 3 * w->procs + 1, k = w->views - 1 - w->view, rc = 0, who;
	enum phase phase;

	// The harness runs the views' passes last view first: k counts passes.
	for (int s = 0; s < pass; s++) {
		phase = phase_of(s, w->procs, &who);
		if (who != w->index)
			continue;
		if ((rc = my_turn(w, t, (uint32_t)(pass * k + s))) <= 0 || (rc = refill_step(w, v, t, phase, s == 0)) < 0)
			break;
		__atomic_store_n(&t->step, (uint32_t)(pass * k + s + 1), __ATOMIC_RELEASE);
	}
	if (rc < 0)
		__atomic_store_n(&t->quit, 1, __ATOMIC_RELEASE);
	return rc < 0 ? -1 : 0;
}

const struct scenario contract_alloc_refill = {
	.name = "03-contract-alloc-refill",
	.summary = "a heap filled by all processes and emptied fits as many blocks for each of them alone",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-refill",
	.region_size = 1 * MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_heap,
	.run = refill_turns,
};

// ---------------------------------------------------------------- alloc-reuse-interleaved

enum ask { REFILL = 1, HOLD, SWAP, TAKE, RELEASE };

#define ALLOCS  8               // worker 0's stopped allocs
#define FREES   3               // and frees; worker 1 keeps a block at each stop of these

// Worker 1's side. It holds c->data[0 .. c->n); REFILL answers with the
// count in data[0], holding nothing.
static void
hold(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	shmlab_off off;

	if (c->n == INTERLEAVE_DATA)
		c->error = ENOSPC;
	else if (w->impl->alloc(v, SIZE, 8, &off) < 0)
		c->error = errno;
	else
		c->data[c->n++] = off;
}

// Takes BURST blocks, frees the oldest held, the others but the second in
// reverse, and the first last: the block that was on top is on top again,
// with another after it, and worker 1 keeps the second. BURST is more than
// a 32-bit count has bits: a version count that these calls halve, double
// or count down instead of advancing ends at one value, whatever it started
// at, so the next stop meets that same value again.
#define BURST   33

static void
swap(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	shmlab_off got[BURST];
	int n = 0;

	for (; n < BURST; n++)
		if (w->impl->alloc(v, SIZE, 8, &got[n]) < 0) {
			c->error = errno;
			return;
		}
	if (c->n == 0 || w->impl->free(v, c->data[0]) < 0) {
		c->error = c->n ? errno : EINVAL;
		return;
	}
	c->data[0] = got[1];
	for (n = BURST - 1; n >= 0; n--)
		if (n != 1 && w->impl->free(v, got[n]) < 0) {
			c->error = errno;
			return;
		}
}

static void
answer(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	static shmlab_off off[MAXBLOCKS];
	int n;

	switch (c->what) {
	case REFILL:
		if ((n = fill(w, v, off)) < 0 || free_all(w, v, off, n) < 0)
			c->error = errno;
		c->data[0] = (uint64_t)n;
		c->n = 0;
		break;
	case HOLD:
	case TAKE:
		hold(w, v, c);
		break;
	case SWAP:
		swap(w, v, c);
		break;
	case RELEASE:
		for (uint32_t i = 0; i < c->n; i++)
			if (w->impl->free(v, c->data[i]) < 0)
				c->error = errno;
		c->n = 0;
		break;
	}
}

// ---------------------------------------------------------------- worker 0

// The block worker 0 was just given overlaps none worker 1 holds and none
// of its own.
static int
fresh(struct worker *w, const struct interleave *c, shmlab_off off, const struct block *mine, int nmine,
    const char *how)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (off < c->data[i] + SIZE && c->data[i] < off + SIZE)
			return fail(w, "%s returned the block at %#llx, and worker 1 holds the one at %#llx, got while "
			    "worker 0 was stopped: a block handed out twice (a list head compared by the block alone, "
			    "or replaced by a plain store)", how, (unsigned long long)off,
			    (unsigned long long)c->data[i]);
	for (int i = 0; i < nmine; i++)
		if (off < mine[i].off + SIZE && mine[i].off < off + SIZE)
			return fail(w, "%s returned the block at %#llx, inside worker 0's own live block at %#llx: a "
			    "block handed out twice", how, (unsigned long long)off, (unsigned long long)mine[i].off);
	return 0;
}

static int
call_allocator(struct worker *w, const struct shmlab_view *v, void *arg)
{
	struct block *b = arg;

	return b->size ? w->impl->alloc(v, SIZE, 8, &b->off) : w->impl->free(v, b->off);
}

// One alloc of worker 0's, stopped before its stores; worker 1 swaps at each.
static int
paused_alloc(struct worker *w, const struct shmlab_view *v, struct block *mine, int *nmine)
{
	struct block b = { 0, SIZE };
	int rc;

	if (interleave_stopped(w, v, 0, "alloc(1000)", call_allocator, &b, SWAP, 0, &rc) < 0
	    || succeeded(w, rc, errno, interleave_called) < 0
	    || fresh(w, interleave_of(w, v), b.off, mine, *nmine, interleave_called) < 0)
		return -1;
	mine[(*nmine)++] = b;
	return 0;
}

// One free of worker 0's, stopped likewise; worker 1 takes a block at each
// stop. The two allocs after it would be answered from a list the free
// left wrong.
static int
paused_free(struct worker *w, const struct shmlab_view *v, struct block *mine, int *nmine)
{
	struct block gone = { mine[--*nmine].off, 0 };
	char next[180];
	int rc;

	if (interleave_stopped(w, v, 0, "free of an alloc(1000)", call_allocator, &gone, TAKE, 0, &rc) < 0
	    || succeeded(w, rc, errno, interleave_called) < 0)
		return -1;
	for (int k = 1; k <= 2; k++) {
		struct block again = { 0, SIZE };
		snprintf(next, sizeof next, "alloc(1000) #%d after a %s", k, interleave_called);
		if (SUCCEEDS(w, w->impl->alloc(v, SIZE, 8, &again.off), next) < 0
		    || fresh(w, interleave_of(w, v), again.off, mine, *nmine, next) < 0)
			return -1;
		mine[(*nmine)++] = again;
	}
	return 0;
}

// Worker 1 must fit as many blocks as worker 0 did; then it holds one.
static int
handed_over(struct worker *w, struct interleave *c, int n)
{
	if (interleave_ask(w, c, REFILL, 0) < 0)
		return -1;
	if (c->data[0] != (uint64_t)n)
		return fail(w, "worker 0 filled the heap with %d blocks of %u bytes and freed them all; worker 1, "
		    "after it, fits %lld: every free block must be had again, whichever process freed it", n, SIZE,
		    (long long)c->data[0]);
	return interleave_ask(w, c, HOLD, 0);
}

static int
reuse(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	struct block mine[ALLOCS + 2 * FREES];
	int n, again, nmine = 0;

	if ((n = fill_and_empty(w, v, "worker 0")) < 0 || handed_over(w, c, n) < 0)
		return -1;
	for (int i = 0; i < ALLOCS; i++)
		if (paused_alloc(w, v, mine, &nmine) < 0)
			return -1;
	for (int i = 0; i < FREES; i++)
		if (paused_free(w, v, mine, &nmine) < 0)
			return -1;
	if (interleave_ask(w, c, RELEASE, 0) < 0)
		return -1;
	for (int i = 0; i < nmine; i++)
		if (SUCCEEDS(w, w->impl->free(v, mine[i].off), "free of one of worker 0's blocks") < 0)
			return -1;
	if ((again = fill_and_empty(w, v, "worker 0, once both had freed everything,")) < 0)
		return -1;
	if (again != n)
		return fail(w, "the heap held %d blocks of %u bytes; after the stopped calls, with everything freed, "
		    "it holds %d: blocks %s", n, SIZE, again, again < n ? "lost" : "listed twice");
	return 0;
}

static int
reuse_interleaved(struct worker *w, const struct shmlab_view *v)
{
	return interleave_run(w, v, reuse, answer);
}

const struct scenario contract_alloc_reuse_interleaved = {
	.name = "03-contract-alloc-reuse-interleaved",
	.summary = "in a heap of blocks one process freed, it is stopped at each store while another reuses them",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-reuse-interleaved",
	.region_size = 1 * MiB,
	.flags = CONTRACT | STORE_TRAP,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_heap,
	.run = reuse_interleaved,
};
