/*
 * The header and its roots, on views the harness maps (root.h): lab 01's
 * part of the contract, testable before lab 02's.
 *
 * 01-contract-header-and-roots calls format, check, root_set and root_get
 * and nothing else of the library: the worker maps its views with the
 * reference linked in (HARNESS_MAPS), so a library whose region functions
 * are not written yet is judged on these four alone. What it checks is what
 * CONTRACT.md's table of errors says of them. format: EINVAL for a view
 * smaller than the header; a header of exactly SHMLAB_HEADER_SIZE is one; a
 * second format is a fresh header (the roots are gone). check: EPROTO for
 * zeros and for garbage, EINVAL for a view of the same bytes with another
 * size. root_set: EPROTO, ENAMETOOLONG, ERANGE (off == size, not size - 1),
 * EEXIST, ENOSPC once the table is full; root_get: EPROTO, ENOENT (a prefix
 * and an extension of a name included). None of the four writes at or past
 * SHMLAB_HEADER_SIZE, where the suite keeps its data.
 *
 * Across processes: worker 0 formats the region and sets roots naming
 * stamps it wrote; every worker, through each of its views (at its own
 * address under `distinct` and `double`), finds them, reads the stamp at
 * base + offset, and sets a root of its own; worker 0 then finds every
 * worker's root and fills the table until ENOSPC.
 *
 * 03-contract-named-root checks the same functions through the library's
 * own views; this one is the part a learner can pass first.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define SHARED          "header-shared"
#define LONGEST         "roots-have-23-bytes-max"   // 23 characters: the longest that fits
#define TOO_LONG        "roots-have-23-bytes-max!"  // 24 characters: one too many
#define LAST_BYTE       "last-byte"                 // a root at size - 1, the last offset inside
#define FIRST_ADDED     3                           // roots worker 0 sets before run
#define STAMPS          (SHMLAB_HEADER_SIZE + 1024) // where the stamps start; 8 bytes each
// However a library packs its table, a root holds at least an 8-byte offset
// in the header's SHMLAB_HEADER_SIZE bytes: by this many it must be full.
#define MOST_ROOTS      ((int)(SHMLAB_HEADER_SIZE / 8))

// The stamp the k-th root names, and its offset: data of the suite's, above
// the header, that every process reads through its own view.
static uint64_t
stamp_of(int k)
{
	return mix64(UINT64_C(0x6865616465722d72) + (uint64_t)k);
}

static shmlab_off
offset_of(int k)
{
	return STAMPS + (shmlab_off)k * 8;
}

// How many roots the workers add in run, one per view; the rest of
// SHMLAB_ROOTS is left for verify to fill.
static int
added_in_run(const struct worker *w)
{
	int n = w->procs * w->views;

	return n < SHMLAB_ROOTS - FIRST_ADDED ? n : SHMLAB_ROOTS - FIRST_ADDED;
}

static void
name_of(char name[SHMLAB_ROOT_NAME], const char *what, int k)
{
	snprintf(name, SHMLAB_ROOT_NAME, "%s-%03d", what, k);
}

// root_get(name) gives want, and, when it names a stamp, this view holds the
// k-th stamp there: the offset means the same bytes at this address.
static int
found(struct worker *w, const struct shmlab_view *v, const char *name, shmlab_off want, int k)
{
	char what[80];
	shmlab_off got = 0;
	uint64_t stamp;

	snprintf(what, sizeof what, "root_get(\"%s\") in worker %d's view at %p", name, w->index, (void *)v->base);
	if (SUCCEEDS(w, w->impl->root_get(v, name, &got), what) < 0)
		return -1;
	if (got != want)
		return fail(w, "%s: expected offset %#llx, got %#llx", what, (unsigned long long)want,
		    (unsigned long long)got);
	if (k < 0)
		return 0;
	memcpy(&stamp, v->base + got, sizeof stamp);
	if (stamp != stamp_of(k))
		return fail(w, "%s gave %#llx, where this view holds %#llx, not the stamp %#llx written "
		    "there: something wrote at or past SHMLAB_HEADER_SIZE, the suite's bytes",
		    what, (unsigned long long)got, (unsigned long long)stamp, (unsigned long long)stamp_of(k));
	return 0;
}

// Headers in private memory: the rules of format and check need no sharing.
static int
private_headers(struct worker *w)
{
	const struct impl *im = w->impl;
	static _Alignas(64) unsigned char bytes[8192];
	struct shmlab_view four = { bytes, 4096 }, eight = { bytes, 8192 };
	struct shmlab_view exact = { bytes, SHMLAB_HEADER_SIZE }, short_one = { bytes, SHMLAB_HEADER_SIZE - 1 };
	shmlab_off off;

	memset(bytes, 0xa5, sizeof bytes);
	if (REFUSES(w, EPROTO, im->check(&four), "check of 4096 bytes of garbage (0xa5)") < 0
	    || REFUSES(w, EPROTO, im->root_get(&four, SHARED, &off), "root_get in garbage") < 0
	    || REFUSES(w, EPROTO, im->root_set(&four, SHARED, 1024), "root_set in garbage") < 0
	    || REFUSES(w, EINVAL, im->format(&short_one), "format of a view one byte smaller than the header") < 0
	    || SUCCEEDS(w, im->format(&four), "format of a 4096-byte view") < 0
	    || SUCCEEDS(w, im->check(&four), "check of the view just formatted") < 0
	    || REFUSES(w, EINVAL, im->check(&eight), "check of an 8192-byte view of a 4096-byte header") < 0
	    || SUCCEEDS(w, im->root_set(&four, SHARED, 2048), "root_set in a formatted 4096-byte view") < 0
	    || SUCCEEDS(w, im->format(&four), "format of that view again") < 0
	    || REFUSES(w, ENOENT, im->root_get(&four, SHARED, &off), "root_get after a second format (a fresh header has no roots)") < 0)
		return -1;
	return header_fits_exactly(w, &exact, SHARED);
}

// Refusals, in any formatted view; none of them may take a slot.
static int
refusals(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	struct shmlab_view shorter = { v->base, v->size - 4096 };
	shmlab_off off;

	if (REFUSES(w, EINVAL, im->check(&shorter), "check through a view 4096 bytes shorter than the region") < 0
	    || REFUSES(w, EEXIST, im->root_set(v, SHARED, 4096), "root_set of a name already taken") < 0
	    || REFUSES(w, ENAMETOOLONG, im->root_set(v, TOO_LONG, 1024), "root_set of a 24-character name") < 0
	    || REFUSES(w, ERANGE, im->root_set(v, "header-far", v->size), "root_set(off == size)") < 0
	    || REFUSES(w, ERANGE, im->root_set(v, "header-far", UINT64_MAX), "root_set(off UINT64_MAX)") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, "header-unknown", &off), "root_get of an unknown name") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, "header", &off), "root_get of a prefix of a root's name") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, SHARED "-and-more", &off), "root_get of a longer name") < 0)
		return -1;
	return 0;
}

static int
prepare_header(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	shmlab_off off;

	if (REFUSES(w, EPROTO, im->check(v), "check of a region never formatted (all zero)") < 0
	    || REFUSES(w, EPROTO, im->root_get(v, SHARED, &off), "root_get in a region never formatted") < 0
	    || REFUSES(w, EPROTO, im->root_set(v, SHARED, 1024), "root_set in a region never formatted") < 0
	    || private_headers(w) < 0)
		return -1;
	if (SUCCEEDS(w, im->format(v), "format") < 0 || SUCCEEDS(w, im->check(v), "check after format") < 0)
		return -1;
	for (int k = 0; k < MOST_ROOTS + SHMLAB_ROOTS; k++)
		memcpy(v->base + offset_of(k), &(uint64_t){ stamp_of(k) }, 8);
	if (SUCCEEDS(w, im->root_set(v, SHARED, offset_of(0)), "root_set(\"" SHARED "\")") < 0
	    || SUCCEEDS(w, im->root_set(v, LONGEST, offset_of(1)), "root_set of a 23-character name") < 0
	    || SUCCEEDS(w, im->root_set(v, LAST_BYTE, v->size - 1), "root_set(off == size - 1)") < 0)
		return -1;
	return refusals(w, v) < 0 ? -1 : found(w, v, SHARED, offset_of(0), 0);
}

// Worker 0's roots found through this view; then one root of this view's.
static int
run_header(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	int k = w->index * w->views + w->view;
	char name[SHMLAB_ROOT_NAME];

	if (SUCCEEDS(w, im->check(v), "check of the region worker 0 formatted") < 0
	    || found(w, v, SHARED, offset_of(0), 0) < 0 || found(w, v, LONGEST, offset_of(1), 1) < 0
	    || found(w, v, LAST_BYTE, v->size - 1, -1) < 0 || refusals(w, v) < 0)
		return -1;
	if (k >= added_in_run(w))
		return 0;
	name_of(name, "worker", k);
	if (SUCCEEDS(w, im->root_set(v, name, offset_of(FIRST_ADDED + k)), "root_set of this view's root, while the other workers set theirs") < 0
	    || REFUSES(w, EEXIST, im->root_set(v, name, 8), "root_set of this view's root again") < 0)
		return -1;
	return found(w, v, name, offset_of(FIRST_ADDED + k), FIRST_ADDED + k);
}

// Sets roots until the table says ENOSPC; n: how many it took.
static int
fill_table(struct worker *w, const struct shmlab_view *v, int *n)
{
	char name[SHMLAB_ROOT_NAME];
	int rc;

	for (*n = 0; *n <= MOST_ROOTS; ++*n) {
		name_of(name, "fill", *n);
		errno = 0;
		rc = w->impl->root_set(v, name, offset_of(MOST_ROOTS + *n % SHMLAB_ROOTS));
		if (rc == -1 && errno == ENOSPC)
			return 0;
		if (rc != 0)
			return fail(w, "root_set(\"%s\") with %d roots in the table: expected 0, or -1 with ENOSPC "
			    "once it is full; got %d with %s", name, FIRST_ADDED + added_in_run(w) + *n, rc,
			    errname(errno));
		if (found(w, v, name, offset_of(MOST_ROOTS + *n % SHMLAB_ROOTS), MOST_ROOTS + *n % SHMLAB_ROOTS) < 0)
			return -1;
	}
	return fail(w, "root_set still succeeds with %d roots in the table: roots are kept in the header's %u bytes, "
	    "so the table must fill (ENOSPC)", FIRST_ADDED + added_in_run(w) + *n, SHMLAB_HEADER_SIZE);
}

// Every worker's root found by worker 0; the table holds at least
// SHMLAB_ROOTS, then says ENOSPC, and keeps every root it took.
static int
verify_header(struct worker *w, const struct shmlab_view *v)
{
	char name[SHMLAB_ROOT_NAME];
	int have = FIRST_ADDED + added_in_run(w), more;

	for (int k = 0; k < added_in_run(w); k++) {
		name_of(name, "worker", k);
		if (found(w, v, name, offset_of(FIRST_ADDED + k), FIRST_ADDED + k) < 0)
			return -1;
	}
	if (fill_table(w, v, &more) < 0)
		return -1;
	if (have + more < SHMLAB_ROOTS)
		return fail(w, "root_set said ENOSPC with %d roots in the table: it must hold SHMLAB_ROOTS (%d)",
		    have + more, SHMLAB_ROOTS);
	if (REFUSES(w, ENOSPC, w->impl->root_set(v, "one-more", 8), "root_set once the table is full, again") < 0
	    || found(w, v, SHARED, offset_of(0), 0) < 0 || found(w, v, LAST_BYTE, v->size - 1, -1) < 0)
		return -1;
	for (int k = 0; k < more; k++) {
		name_of(name, "fill", k);
		if (found(w, v, name, offset_of(MOST_ROOTS + k % SHMLAB_ROOTS), MOST_ROOTS + k % SHMLAB_ROOTS) < 0)
			return -1;
	}
	return 0;
}

const struct scenario contract_header_and_roots = {
	.name = "01-contract-header-and-roots",
	.summary = "format, check and named roots on views the harness maps: every error of root.h, "
	    "roots found by every process at its own address",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.rule = "header-and-roots",
	.region_size = 65536,
	.flags = CONTRACT | HARNESS_MAPS,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare_header,
	.run = run_header,
	.verify = verify_header,
};
