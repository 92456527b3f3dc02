/*
 * Races made on purpose: worker 0 stopped before each store of one of its
 * calls into the region, worker 1 making a call of its own meanwhile.
 *
 * A race between processes is a window: one has read a word of the region
 * and is about to store what it computed from it; the other changes the
 * word in between. Running processes side by side finds the window only
 * when the scheduler cuts there. Here worker 0 makes its call with the
 * region read-only (harness/store_trap.h): before each of the call's
 * stores, in the window the round chooses, it asks worker 1 for a request
 * and waits until worker 1's call has returned; then the store happens. A
 * correct library copes, its compare-and-swap failing and retrying; a
 * library that stores what it read earlier undoes worker 1's call, and
 * the scenario finds the damage afterwards, in every run.
 *
 * A worker 1 blocked behind worker 0 (on a lock the stopped call holds)
 * cannot answer: worker 0 sees it asleep or spinning (harness/peer_state.h)
 * and lets its call go on untrapped; worker 1's call completes once the
 * lock is released. So a locking library passes too, and a lock-free one
 * is tried at every store of the window.
 *
 * The two talk through a control block in the region's last page, which
 * worker 0 never makes read-only: the scenario must leave that page alone.
 * Scenarios using this set STORE_TRAP, so that the harness skips them where
 * stores cannot be trapped or with one worker.
 */
#ifndef SHMLAB_INTERLEAVE_H
#define SHMLAB_INTERLEAVE_H

#include "check.h"

#define INTERLEAVE_EARLY        4       // every call is stopped at its first EARLY stores
#define INTERLEAVE_WINDOW       16      // and at WINDOW from store first + 1 on
#define INTERLEAVE_DATA         112     // words of the control block the scenario owns

// In the region's last page, one per view: worker 0 asks, worker 1 answers.
struct interleave {
	uint32_t asked, answered;       // requests made; worker 1 answers each in turn
	uint32_t what, arg;             // the request, which the scenario's answer reads
	uint32_t quit;                  // worker 0 is done (or failed): worker 1 returns
	int32_t intruder;               // worker 1's pid, once it is ready
	int32_t error;                  // errno of a call of worker 1's that failed, else 0
	uint32_t n;                     // the scenario's: words of data in use
	uint64_t data[INTERLEAVE_DATA]; // the scenario's: what worker 1 made
};

// Worker 1's side of a request: makes its call, records in c->data what
// worker 0 will check, and sets c->error if the call failed.
typedef void interleave_answer(struct worker *w, const struct shmlab_view *v, struct interleave *c);

// One call of worker 0's to stop at its stores: returns its result.
typedef int interleave_call(struct worker *w, const struct shmlab_view *v, void *arg);

// This view's control block, and the region's bytes the scenario may use:
// all but the last page.
struct interleave *interleave_of(const struct worker *w, const struct shmlab_view *v);
uint64_t interleave_usable(const struct shmlab_view *v);

// Prepare: zeroes the control blocks.
void interleave_reset(const struct shmlab_view *v);

// worker 0's part of a run: its stopped calls and their checks, with
// worker 1 ready; 0, or fail()'s -1.
typedef int interleave_part(struct worker *w, const struct shmlab_view *v, struct interleave *c);

// A scenario's run: worker 0 waits, bounded, for worker 1 and does part;
// worker 1 answers each request with answer until worker 0 is done; the
// other workers have no part.
int interleave_run(struct worker *w, const struct shmlab_view *v, interleave_part *part, interleave_answer *answer);

// The last call interleave_stopped made, as messages name it: "alloc(16)
// stopped at stores 1 to 16".
extern char interleave_called[120];

// Worker 0: runs call(w, v, arg) with the region read-only, stopped before
// its first INTERLEAVE_EARLY stores and stores first + 1 to first +
// INTERLEAVE_WINDOW, and at each asks worker 1 for (what, ask_arg). Returns
// 0 once worker 1 has answered every request, with call's result in
// *call_rc and its errno in errno; or fail()'s -1 if worker 1 neither
// answered nor waited, or its call failed. `name` names the call: "alloc(16)".
int interleave_stopped(struct worker *w, const struct shmlab_view *v, int first, const char *name,
    interleave_call *call, void *call_arg, uint32_t what, uint32_t ask_arg, int *call_rc);

// Worker 0: one request while worker 0 is not stopped (worker 1 lets go of
// what it made, say); 0 once answered, or fail()'s -1.
int interleave_ask(struct worker *w, struct interleave *c, uint32_t what, uint32_t arg);

#endif
