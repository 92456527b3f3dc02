/*
 * Processes racing to set one root (root.h, contract 1.3).
 *
 * 03-contract-root-race: every worker lines up with the others, then all of
 * them at once root_set the same fresh name, each with an offset of its own,
 * and then names of its own; ROUNDS times, each round in a fresh table.
 * The contract lets more than one set of the same name succeed (root.h: give
 * each root one creator), so what is checked is what it does promise:
 *
 *   - every set of the shared name returns 0 or -1 with EEXIST, and at least
 *     one returns 0; every set of a worker's own name returns 0;
 *   - once every set of the round has returned (a second line), root_get of
 *     the shared name gives, in every worker, an offset that a set which
 *     returned 0 passed, and the same one in every worker (verify);
 *   - every worker's own names are found with their offsets: a table whose
 *     slots are claimed without an atomic read-modify-write loses one of two
 *     names set at once.
 *
 * Two processes overlap in a call only now and then, and less so when they
 * share a processor: a table that loses names is caught here in some runs
 * only (3 in 20 at 1024 rounds). root-interleaved, which stops a set before
 * each store while another process sets a root, catches it in every run, so
 * the rounds here are few enough that a loaded machine running the library
 * under ThreadSanitizer still ends a run well within its deadline: at 1024,
 * under `fork`, it did not.
 *
 * Each round's table is a view of its own: SUB bytes of the region, formatted
 * by worker 0 in prepare, so that the roots of one round never fill the table
 * of the next. The suite's own bookkeeping (the lines, each set's result) is
 * in the region too, at CONTROL, out of every table. A line is waited for
 * with a bound: a worker that is not there within LINE_WAIT_NS is taken to
 * have failed (its own report says why), and the others stop racing.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define ROUNDS          128
#define SUB             4096u           // bytes of each round's table
#define CONTROL         4096u           // offset of the bookkeeping
#define TABLES          (CONTROL + 400 * 4096u)  // offset of the first table
#define SHARED          "contract-race"
#define LINE_WAIT_NS    1000000000L
#define MOST_PROCS      32              // the harness's --procs limit (MAX_PROCS)
#define MOST_OWN        3               // names of its own a worker sets in each round

struct result {
	int32_t rc, err;        // what root_set of the shared name returned
	shmlab_off set;         // the offset it passed
	shmlab_off got;         // what root_get gave once every set had returned
};

struct control {
	uint32_t arrived[2][2 * ROUNDS];        // workers at each line, per view
	uint32_t quit;                          // set when a worker gave up on a line
	struct result result[2][ROUNDS][MOST_PROCS];
};

_Static_assert(sizeof(struct control) <= TABLES - CONTROL, "the bookkeeping fits before the tables");

static struct control *
control_of(const struct shmlab_view *v)
{
	return (struct control *)(v->base + CONTROL);
}

// The table of round r for view `view`: a view of SUB bytes of the region.
static struct shmlab_view
table_of(const struct shmlab_view *v, int view, int r)
{
	return (struct shmlab_view){ v->base + TABLES + (uint64_t)(view * ROUNDS + r) * SUB, SUB };
}

// The offset worker i sets under the shared name: distinct, inside the table.
static shmlab_off
offset_of(int i)
{
	return SHMLAB_HEADER_SIZE + (shmlab_off)i * 8;
}

static int
prepare_tables(struct worker *w, const struct shmlab_view *v)
{
	struct control *c = control_of(v);

	if (w->procs > MOST_PROCS)
		return fail(w, "this scenario keeps the results of %d workers at most", MOST_PROCS);
	for (int view = 0; view < w->views; view++)
		for (int r = 0; r < ROUNDS; r++) {
			struct shmlab_view t = table_of(v, view, r);
			if (SUCCEEDS(w, w->impl->format(&t), "format of a round's table") < 0)
				return -1;
			for (int i = 0; i < w->procs; i++)
				c->result[view][r][i] = (struct result){ .rc = -2 };    // not run
		}
	return 0;
}

static long
ns_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000000000L + (now.tv_nsec - start->tv_nsec);
}

// Waits, bounded, until every worker has reached line k. Returns 0, or -1
// if someone gave up: then nobody races any more.
static int
line_up(struct worker *w, struct control *c, int k)
{
	uint32_t *arrived = &c->arrived[w->view][k];
	struct timespec start;

	__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < (uint32_t)w->procs) {
		if (__atomic_load_n(&c->quit, __ATOMIC_ACQUIRE))
			return -1;
		if (ns_since(&start) > LINE_WAIT_NS) {
			__atomic_store_n(&c->quit, 1, __ATOMIC_RELEASE);
			return -1;
		}
		sched_yield();          // the others may need this processor to get here
	}
	return 0;
}

// How many names of its own each worker sets in a round: as many as the
// table holds besides one copy of the shared name per worker, MOST_OWN at most.
static int
own_names(const struct worker *w)
{
	int n = (SHMLAB_ROOTS - w->procs) / w->procs;

	return n < MOST_OWN ? n : MOST_OWN;
}

// The offset worker i sets under its own name k.
static shmlab_off
own_offset(int i, int k)
{
	return SHMLAB_HEADER_SIZE + (shmlab_off)(MOST_PROCS + i * MOST_OWN + k) * 8;
}

// The race itself: the shared name, then this worker's own names.
static int
race(struct worker *w, const struct shmlab_view *t, struct result *mine, int r)
{
	char own[SHMLAB_ROOT_NAME], what[96];

	mine->set = offset_of(w->index);
	errno = 0;
	mine->rc = w->impl->root_set(t, SHARED, mine->set);
	mine->err = errno;
	for (int k = 0; k < own_names(w); k++) {
		snprintf(own, sizeof own, "own-%d-%d", w->index, k);
		snprintf(what, sizeof what, "round %d: root_set(\"%s\") while every worker sets its own names", r, own);
		if (SUCCEEDS(w, w->impl->root_set(t, own, own_offset(w->index, k)), what) < 0)
			return -1;
	}
	if (mine->rc != 0 && !(mine->rc == -1 && mine->err == EEXIST))
		return fail(w, "round %d: root_set(\"" SHARED "\") while every worker sets it: expected 0, or -1 "
		    "with EEXIST; got %d with %s", r, (int)mine->rc, errname(mine->err));
	return 0;
}

// Once every set of round r has returned: a winner's offset, and every own name.
static int
after_race(struct worker *w, const struct shmlab_view *t, struct result *results, int r)
{
	struct result *mine = &results[w->index];
	char own[SHMLAB_ROOT_NAME], what[96];
	shmlab_off got = 0;
	int winners = 0, got_a_winner = 0;

	for (int i = 0; i < w->procs; i++)
		winners += results[i].rc == 0;
	if (winners == 0)
		return fail(w, "round %d: %d workers set \"" SHARED "\" at once and none succeeded", r, w->procs);
	snprintf(what, sizeof what, "round %d: root_get(\"" SHARED "\") after the race", r);
	if (SUCCEEDS(w, w->impl->root_get(t, SHARED, &got), what) < 0)
		return -1;
	for (int i = 0; i < w->procs; i++)
		got_a_winner |= results[i].rc == 0 && results[i].set == got;
	if (!got_a_winner)
		return fail(w, "%s gave %#llx: no set that returned 0 passed it (%d of %d succeeded)", what,
		    (unsigned long long)got, winners, w->procs);
	mine->got = got;
	for (int i = 0; i < w->procs; i++)
		for (int k = 0; k < own_names(w); k++) {
			snprintf(own, sizeof own, "own-%d-%d", i, k);
			snprintf(what, sizeof what, "round %d: root_get(\"%s\"), set while the others set theirs", r,
			    own);
			if (SUCCEEDS(w, w->impl->root_get(t, own, &got), what) < 0)
				return -1;
			if (got != own_offset(i, k))
				return fail(w, "%s: expected %#llx, got %#llx", what,
				    (unsigned long long)own_offset(i, k), (unsigned long long)got);
		}
	return 0;
}

static int
run_races(struct worker *w, const struct shmlab_view *v)
{
	struct control *c = control_of(v);

	for (int r = 0; r < ROUNDS; r++) {
		struct shmlab_view t = table_of(v, w->view, r);
		struct result *results = c->result[w->view][r];
		if (line_up(w, c, 2 * r) < 0)
			return 0;       // a worker gave up: its own report says why
		if (race(w, &t, &results[w->index], r) < 0) {
			__atomic_store_n(&c->quit, 1, __ATOMIC_RELEASE);
			return -1;
		}
		if (line_up(w, c, 2 * r + 1) < 0)
			return 0;
		if (after_race(w, &t, results, r) < 0) {
			__atomic_store_n(&c->quit, 1, __ATOMIC_RELEASE);
			return -1;
		}
	}
	return 0;
}

// Every worker raced in every round (unless one gave up on a line), and read
// the same winner.
static int
verify_races(struct worker *w, const struct shmlab_view *v)
{
	struct control *c = control_of(v);

	for (int view = 0; view < w->views; view++)
		for (int r = 0; r < ROUNDS; r++) {
			const struct result *res = c->result[view][r];
			for (int i = 0; i < w->procs && !__atomic_load_n(&c->quit, __ATOMIC_ACQUIRE); i++)
				if (res[i].rc == -2 || res[i].got == 0)
					return fail(w, "view %d round %d: worker %d did not race, and nobody gave up", view,
					    r, i);
			for (int i = 1; i < w->procs; i++)
				if (res[i].got && res[0].got && res[i].got != res[0].got)
					return fail(w, "view %d round %d: after the race root_get(\"" SHARED "\") gave "
					    "%#llx in worker 0 and %#llx in worker %d", view, r,
					    (unsigned long long)res[0].got, (unsigned long long)res[i].got, i);
		}
	return 0;
}

const struct scenario contract_root_race = {
	.name = "03-contract-root-race",
	.summary = "every process sets one root name at once: 0 or EEXIST, a winner's offset, one answer for all",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.rule = "root-race",
	.region_size = TABLES + 2 * ROUNDS * SUB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare_tables,
	.run = run_races,
	.verify = verify_races,
};
