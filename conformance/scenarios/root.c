/*
 * The region header and its named roots (root.h).
 *
 * 03-contract-named-root: a region that was never formatted is refused (EPROTO);
 * format writes a header that check accepts, and a view whose size is not
 * the header's is refused (EINVAL). A root set by one process is found by
 * every other, through every view; a name is taken once (EEXIST), an unknown
 * name is ENOENT (a prefix of a name included), a name that does not fit 24
 * bytes with its NUL is ENAMETOOLONG, an offset outside the region ERANGE,
 * and none of these refusals uses up a slot: SHMLAB_ROOTS roots still fit,
 * some of them added by all the workers at once.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define SHARED  "contract-shared"
#define LONGEST "roots-have-23-bytes-max"   // 23 characters: the longest name that fits
#define TOO_LONG "roots-have-23-bytes-max!"  // 24 characters: one too many

static shmlab_off
offset_of(int k)
{
	return 2048 + (shmlab_off)k * 24;
}

// How many roots the workers add in run, one each; prepare adds the rest.
static int
added_in_run(const struct worker *w)
{
	int n = w->procs * w->views;

	return n < SHMLAB_ROOTS - 2 ? n : SHMLAB_ROOTS - 2;
}

// A view smaller than the header holds no header: -1 with EPROTO (none
// there) or EINVAL (a header whose size is not the view's) both say so.
int
header_fits_exactly(struct worker *w, const struct shmlab_view *exact, const char *name)
{
	const struct impl *im = w->impl;
	shmlab_off off;

	if (SUCCEEDS(w, im->format(exact), "format of a view of exactly the header's size") < 0
	    || SUCCEEDS(w, im->check(exact), "check of a view of exactly the header's size") < 0
	    || SUCCEEDS(w, im->root_set(exact, name, 512), "root_set in a view of exactly the header's size") < 0
	    || SUCCEEDS(w, im->root_get(exact, name, &off), "root_get in a view of exactly the header's size") < 0)
		return -1;
	if (off != 512)
		return fail(w, "root_get in a view of exactly the header's size gave %#llx, expected 0x200",
		    (unsigned long long)off);
	return 0;
}

static int
short_of_header_refused(struct worker *w, const struct shmlab_view *v, const char *call, int rc)
{
	if (rc == -1 && (errno == EPROTO || errno == EINVAL))
		return 0;
	return fail(w, "%s in a view of %llu bytes (one less than the header) over a formatted header: "
	    "expected -1 with EPROTO or EINVAL, got %d with %s", call, (unsigned long long)v->size, rc,
	    errname(errno));
}

static int
unformatted_refused(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	static _Alignas(64) unsigned char private[8192];
	struct shmlab_view small = { private, 512 }, four = { private, 4096 }, eight = { private, 8192 };
	struct shmlab_view exact = { private, SHMLAB_HEADER_SIZE }, short_one = { private, SHMLAB_HEADER_SIZE - 1 };
	shmlab_off off;

	if (REFUSES(w, EPROTO, im->check(v), "check of a region never formatted") < 0
	    || REFUSES(w, EPROTO, im->root_get(v, SHARED, &off), "root_get in a region never formatted") < 0
	    || REFUSES(w, EPROTO, im->root_set(v, SHARED, 1024), "root_set in a region never formatted") < 0)
		return -1;
	// Views of private memory: the header rules do not depend on sharing.
	if (REFUSES(w, EINVAL, im->format(&small), "format of a 512-byte view (less than the header)") < 0
	    || SUCCEEDS(w, im->format(&four), "format of a 4096-byte view") < 0
	    || SUCCEEDS(w, im->check(&four), "check of the view just formatted") < 0
	    || REFUSES(w, EINVAL, im->check(&eight), "check of an 8192-byte view of a 4096-byte header") < 0)
		return -1;
	// Exactly the header's size is enough, one byte less is not (root.h).
	if (REFUSES(w, EINVAL, im->format(&short_one), "format of a view one byte smaller than the header") < 0
	    || header_fits_exactly(w, &exact, SHARED) < 0)
		return -1;
	// The same bytes, a formatted header, seen through a view one byte
	// shorter: too small to hold a header, whatever its bytes say.
	if (short_of_header_refused(w, &short_one, "check", (errno = 0, im->check(&short_one))) < 0
	    || short_of_header_refused(w, &short_one, "root_get", (errno = 0, im->root_get(&short_one, SHARED, &off))) < 0)
		return -1;
	return 0;
}

static int
found(struct worker *w, const struct shmlab_view *v, const char *name, shmlab_off want)
{
	char what[80];
	shmlab_off got = 0;

	snprintf(what, sizeof what, "root_get(\"%s\")", name);
	if (SUCCEEDS(w, w->impl->root_get(v, name, &got), what) < 0)
		return -1;
	if (got != want)
		return fail(w, "%s: expected offset %#llx, got %#llx", what, (unsigned long long)want,
		    (unsigned long long)got);
	return 0;
}

// Refusals that must not use up a slot.
static int
refusals(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	shmlab_off off;

	if (REFUSES(w, EEXIST, im->root_set(v, SHARED, 4096), "root_set of a name already taken") < 0
	    || REFUSES(w, ENAMETOOLONG, im->root_set(v, TOO_LONG, 1024), "root_set of a 24-character name") < 0
	    || REFUSES(w, ERANGE, im->root_set(v, "contract-far", v->size), "root_set(off == size)") < 0
	    || REFUSES(w, ERANGE, im->root_set(v, "contract-far", UINT64_MAX), "root_set(off UINT64_MAX)") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, "contract-unknown", &off), "root_get of an unknown name") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, "contract", &off), "root_get of a prefix of a root's name") < 0
	    || REFUSES(w, ENOENT, im->root_get(v, SHARED "-and-more", &off), "root_get of a longer name") < 0)
		return -1;
	return found(w, v, SHARED, 1024);
}

static int
prepare_roots(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	char name[SHMLAB_ROOT_NAME];

	if (unformatted_refused(w, v) < 0)
		return -1;
	if (SUCCEEDS(w, im->format(v), "format") < 0 || SUCCEEDS(w, im->check(v), "check after format") < 0
	    || SUCCEEDS(w, im->root_set(v, SHARED, 1024), "root_set(\"" SHARED "\")") < 0
	    || SUCCEEDS(w, im->root_set(v, LONGEST, 1032), "root_set of a 23-character name") < 0)
		return -1;
	if (refusals(w, v) < 0)
		return -1;
	for (int k = added_in_run(w); k < SHMLAB_ROOTS - 2; k++) {
		snprintf(name, sizeof name, "root-%02d", k);
		if (SUCCEEDS(w, im->root_set(v, name, offset_of(k)), "root_set (filling the table)") < 0)
			return -1;
	}
	return 0;
}

static int
run_roots(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	int k = w->index * w->views + w->view;
	char name[SHMLAB_ROOT_NAME];

	if (SUCCEEDS(w, im->check(v), "check") < 0 || found(w, v, SHARED, 1024) < 0
	    || found(w, v, LONGEST, 1032) < 0 || refusals(w, v) < 0)
		return -1;
	if (k >= added_in_run(w))
		return 0;
	snprintf(name, sizeof name, "root-%02d", k);
	if (SUCCEEDS(w, im->root_set(v, name, offset_of(k)), "root_set of one of the first SHMLAB_ROOTS roots, while the other workers add theirs") < 0
	    || REFUSES(w, EEXIST, im->root_set(v, name, 8), "root_set of this worker's own name again") < 0)
		return -1;
	return found(w, v, name, offset_of(k));
}

static int
verify_roots(struct worker *w, const struct shmlab_view *v)
{
	char name[SHMLAB_ROOT_NAME];
	int rc;

	if (found(w, v, SHARED, 1024) < 0 || found(w, v, LONGEST, 1032) < 0)
		return -1;
	for (int k = 0; k < SHMLAB_ROOTS - 2; k++) {
		snprintf(name, sizeof name, "root-%02d", k);
		if (found(w, v, name, offset_of(k)) < 0)
			return -1;
	}
	// The table holds SHMLAB_ROOTS now; one more may fit, else -1 with ENOSPC.
	// A root set is a root found: a slot that set writes and get never reads
	// would publish a name nobody can look up.
	errno = 0;
	rc = w->impl->root_set(v, "contract-one-more", 8);
	if (rc != 0 && (rc != -1 || errno != ENOSPC))
		return fail(w, "root_set with %d roots in the table: expected 0, or -1 with ENOSPC; got %d with %s",
		    SHMLAB_ROOTS, rc, errname(errno));
	return rc == 0 ? found(w, v, "contract-one-more", 8) : 0;
}

const struct scenario contract_named_root = {
	.name = "03-contract-named-root",
	.summary = "format and check; named roots found by every process; EEXIST, ENOENT, ENAMETOOLONG, ERANGE",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.rule = "named-root",
	.region_size = 65536,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare_roots,
	.run = run_roots,
	.verify = verify_roots,
};
