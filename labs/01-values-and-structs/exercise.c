/*
 * Lab 01 exercise: the region header and its named roots.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 01's part: shmlab_format(), shmlab_check(), shmlab_root_set()
 * and shmlab_root_get(), as reference/include/shmlab/root.h specifies them,
 * on the pinned header of labs/learner.h. Each is a stub marked TODO that
 * fails with ENOSYS. shmlab_contract_version() and shmlab_features() are
 * written for you.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 01
 *   build/bin/shmlab-harness run 01-contract-header-and-roots --procs 4 --strategy distinct \
 *       --impl build/lib/libshmlab-learner.so
 *
 * The rule header-and-roots maps the region with the harness's own code, so
 * it tests these four functions before lab 02's region functions exist.
 */
#include <errno.h>
#include <string.h>

#include "learner.h"

// ANCHOR: format
// Writes a fresh header into v: every byte of the first SHMLAB_HEADER_SIZE
// zero but the layout, the size and, last, with a release store, the magic.
// EINVAL if the view is smaller than SHMLAB_HEADER_SIZE.
int
shmlab_format(const struct shmlab_view *v)
// ANCHOR_END: format
{
	(void)v;
	errno = ENOSYS;         // TODO: write the header (learner.h), the magic last
	return -1;
}

// Checks the header in v. EPROTO if the view is smaller than the header or
// the magic or layout is not ours; EINVAL if the size it records is not the
// view's.
int
shmlab_check(const struct shmlab_view *v)
{
	(void)v;
	errno = ENOSYS;         // TODO: check the magic, the layout and the size
	return -1;
}

// Publishes off under name. The checks come in this order: EPROTO (no valid
// header), ENAMETOOLONG (name and its NUL do not fit SHMLAB_ROOT_NAME bytes),
// ERANGE (off is not below the region's size), EEXIST (name is published
// already), ENOSPC (every slot taken). Claim a slot by compare-and-swap of its
// state from ROOT_FREE to ROOT_CLAIMED, write the name and offset, then store
// ROOT_PUBLISHED with release: a reader that sees PUBLISHED (acquire) sees
// the rest.
int
shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off)
{
	(void)v;
	(void)name;
	(void)off;
	errno = ENOSYS;         // TODO: claim a free slot, fill it, publish it
	return -1;
}

// Looks name up among the published roots. EPROTO (no valid header), ENOENT
// (no such root), ERANGE (the stored offset is not below the region's size:
// another process overwrote the header). A stored name is input too: compare
// at most SHMLAB_ROOT_NAME bytes of it.
int
shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off)
{
	(void)v;
	(void)name;
	(void)off;
	errno = ENOSYS;         // TODO: find a PUBLISHED slot with this name, check its offset
	return -1;
}

// Provided: the contract version this library implements and its optional
// feature sets. SHMLAB_CONTRACT_MAJOR and SHMLAB_CONTRACT_MINOR come from
// reference/include/shmlab/contract.h, so this is the version of the
// contract the headers describe (1.4 gives 104). The library declares every
// feature set: labs 04 (handles), 05-06 (global ids) and 07 (sync) add
// their functions, each a stub until you write it, so the suite tests them
// rather than skipping them.
int
shmlab_contract_version(void)
{
	return SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR;
}

unsigned
shmlab_features(void)
{
	return SHMLAB_FEATURE_HANDLES | SHMLAB_FEATURE_GLOBAL_IDS | SHMLAB_FEATURE_SYNC;
}
