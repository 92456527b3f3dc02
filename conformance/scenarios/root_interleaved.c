/*
 * Named roots (root.h), one process stopped inside root_set at every store
 * while another sets and looks up roots.
 *
 * 03-contract-root-interleaved: a table of roots is claimed slot by slot.
 * A root_set that reads a slot as free and then stores its claim in a
 * second step leaves a window: another process claims the same slot in
 * between, and the first overwrites it, so one of the two roots is lost.
 * A root published before its name or its offset is written leaves
 * another: a reader sees the name with an offset that is not yet the one
 * set. Racing processes find these windows by chance (root-race); this
 * scenario makes them (interleave.h), so that a table without
 * compare-and-swap or without release order on its publication fails every
 * run.
 *
 * For each of its roots, worker 0 formats the region afresh, then sets the
 * root stopped before each store; at each stop worker 1 looks the root up
 * (it must be absent, or have exactly worker 0's offset) and, at the first
 * SETS stops, sets a root of its own under another name. Afterwards every root either set must be
 * found with its offset, in worker 0's view. The other workers have no
 * part.
 */
#include <stdio.h>

#include "interleave.h"

#define ROOTS_PER_ROUND 6       // roots worker 0 sets in a round, each in a fresh table
#define ROUNDS          2       // round r stops at stores from r * INTERLEAVE_WINDOW on
#define ABSENT          UINT64_MAX      // what worker 1 found: nothing, or the errno below it
#define SETS            (SHMLAB_ROOTS / 2 - 1)  // roots worker 1 sets during one call: the table keeps room
#define NOT_SET         UINT64_MAX      // worker 1 only looked

enum ask { LOOK_AND_SET = 1 };

// Worker 0's root k and the offset it sets; worker 1's j-th root while
// worker 0 sets root k, and its offset.
static void
name_of(char *buf, size_t len, int worker, uint32_t k, uint32_t j)
{
	if (worker == 0)
		snprintf(buf, len, "w0-root-%u", k);
	else
		snprintf(buf, len, "w1-root-%u-%u", k, j);
}

static shmlab_off
offset_of(int worker, uint32_t k, uint32_t j)
{
	return SHMLAB_HEADER_SIZE + 8 * (worker == 0 ? k : 64 + 64 * (uint64_t)k + j);
}

static int
prepare(struct worker *w, const struct shmlab_view *v)
{
	interleave_reset(v);
	return SUCCEEDS(w, w->impl->format(v), "format");
}

// ---------------------------------------------------------------- worker 1

// In data, per stop: what root_get of worker 0's root gave (an offset, or
// ABSENT - errno), then root_set's errno (0 for success), or NOT_SET once
// worker 1 has set SETS roots: worker 0's compare-and-swap that fails
// moves on to the next slot, and a table that worker 1 filled would leave
// it none.
static void
answer(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	uint32_t k = c->arg, j = c->n / 2;
	char name[32];
	shmlab_off off;

	if (c->what != LOOK_AND_SET || c->n + 2 > INTERLEAVE_DATA)
		return;
	name_of(name, sizeof name, 0, k, 0);
	c->data[c->n++] = w->impl->root_get(v, name, &off) == 0 ? off : ABSENT - (uint64_t)errno;
	name_of(name, sizeof name, 1, k, j);
	if (j >= SETS)
		c->data[c->n++] = NOT_SET;
	else
		c->data[c->n++] = w->impl->root_set(v, name, offset_of(1, k, j)) == 0 ? 0 : (uint64_t)errno;
}

// ---------------------------------------------------------------- worker 0

static int
call_root_set(struct worker *w, const struct shmlab_view *v, void *arg)
{
	uint32_t k = *(uint32_t *)arg;
	char name[32];

	name_of(name, sizeof name, 0, k, 0);
	return w->impl->root_set(v, name, offset_of(0, k, 0));
}

static int
found(struct worker *w, const struct shmlab_view *v, const char *name, shmlab_off want, const char *whose)
{
	shmlab_off off = 0;

	if (w->impl->root_get(v, name, &off) < 0)
		return fail(w, "after worker 0's %s, %s root \"%s\" is gone (root_get: %s): two root_sets claimed "
		    "one slot, the later overwriting the earlier; claim a slot with a compare-and-swap", interleave_called,
		    whose, name, errname(errno));
	if (off != want)
		return fail(w, "after worker 0's %s, %s root \"%s\" names offset %#llx, not %#llx: two root_sets "
		    "wrote one slot", interleave_called, whose, name, (unsigned long long)off,
		    (unsigned long long)want);
	return 0;
}

// What worker 1 saw and did at each stop of worker 0's root_set of root k.
static int
check_stops(struct worker *w, const struct shmlab_view *v, const struct interleave *c, uint32_t k)
{
	char mine[32], name[32];

	name_of(mine, sizeof mine, 0, k, 0);
	for (uint32_t i = 0; i + 1 < c->n; i += 2) {
		uint64_t seen = c->data[i], set = c->data[i + 1];
		if (seen != offset_of(0, k, 0) && seen != ABSENT - ENOENT)
			return fail(w, "during worker 0's %s, worker 1's root_get(\"%s\") gave %s%#llx: a root must be "
			    "absent (ENOENT) until it is whole, then name exactly the offset set (%#llx); publish it "
			    "last, with release order", interleave_called, mine, seen > ABSENT - 4096 ? "errno " : "offset ",
			    (unsigned long long)(seen > ABSENT - 4096 ? ABSENT - seen : seen),
			    (unsigned long long)offset_of(0, k, 0));
		name_of(name, sizeof name, 1, k, i / 2);
		if (set == NOT_SET)
			continue;
		if (set != 0)
			return fail(w, "during worker 0's %s, worker 1's root_set(\"%s\") failed with %s in a table of "
			    "%u slots holding fewer roots", interleave_called, name, errname((int)set), SHMLAB_ROOTS);
		if (found(w, v, name, offset_of(1, k, i / 2), "worker 1's") < 0)
			return -1;
	}
	return found(w, v, mine, offset_of(0, k, 0), "its own");
}

static int
one_root(struct worker *w, const struct shmlab_view *v, struct interleave *c, int round, uint32_t k)
{
	char name[40];
	int rc;

	snprintf(name, sizeof name, "root_set of root %u", k);
	c->n = 0;
	if (SUCCEEDS(w, w->impl->format(v), "format, for a fresh table") < 0
	    || interleave_stopped(w, v, round * INTERLEAVE_WINDOW, name, call_root_set, &k, LOOK_AND_SET, k, &rc) < 0
	    || succeeded(w, rc, errno, interleave_called) < 0)
		return -1;
	return check_stops(w, v, c, k);
}

static int
stop_and_intrude(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	for (int round = 0; round < ROUNDS; round++)
		for (uint32_t k = 0; k < ROOTS_PER_ROUND; k++)
			if (one_root(w, v, c, round, (uint32_t)round * ROOTS_PER_ROUND + k) < 0)
				return -1;
	return 0;
}

static int
interleave_roots(struct worker *w, const struct shmlab_view *v)
{
	return interleave_run(w, v, stop_and_intrude, answer);
}

const struct scenario contract_root_interleaved = {
	.name = "03-contract-root-interleaved",
	.summary = "a process stopped at each store of its root_set while another sets and reads roots; none is lost or half seen",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.rule = "root-interleaved",
	.region_size = 1 * MiB,
	.flags = CONTRACT | STORE_TRAP,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare,
	.run = interleave_roots,
};
