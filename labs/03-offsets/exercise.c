/*
 * Lab 03 exercise: offsets from the base and self-relative references.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is the first half of lab 03's part: the four functions of
 * reference/include/shmlab/offset.h and relptr.h, each a stub marked TODO
 * that fails with ENOSYS. The allocator is the second half
 * (exercise_alloc.c).
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 03
 *   build/bin/shmlab-harness run 03-contract-offset-bounds --procs 4 --strategy distinct \
 *       --impl build/lib/libshmlab-learner.so
 *
 * An offset or a self-relative value read from the region is input from
 * another process: check it against the view before it becomes a pointer,
 * and write the check so that no sum can overflow.
 */
#include <errno.h>
#include <stdint.h>

#include "learner.h"

// ANCHOR: off_to_ptr
// Turns off into a pointer to the len bytes at off in v. SHMLAB_NULL_OFF
// gives *out = NULL and 0. ERANGE unless off <= size && len <= size - off.
int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
// ANCHOR_END: off_to_ptr
{
	(void)v;
	(void)off;
	(void)len;
	(void)out;
	errno = ENOSYS;         // TODO: NULL_OFF, then the bounds check, then v->base + off
	return -1;
}

// ANCHOR: ptr_to_off
// Turns p, which must point at len bytes inside v, into an offset. NULL
// gives SHMLAB_NULL_OFF. ERANGE for a pointer outside the view.
int
shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out)
// ANCHOR_END: ptr_to_off
{
	(void)v;
	(void)p;
	(void)len;
	(void)out;
	errno = ENOSYS;         // TODO: NULL, then compare as uintptr_t with the view's bounds
	return -1;
}

// ANCHOR: rel_set
// Stores in *field the distance from field to target: target's address
// minus field's. The field's 8 bytes and the target must lie inside v
// (ERANGE). Target NULL stores 0, the NULL encoding, so target == field is
// EINVAL. Store with an atomic store: other processes may be reading it.
int
shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target)
// ANCHOR_END: rel_set
{
	(void)v;
	(void)field;
	(void)target;
	errno = ENOSYS;         // TODO: check both ends, refuse target == field, store the distance
	return -1;
}

// ANCHOR: rel_get
// Resolves *field into a pointer to len bytes inside v; 0 gives NULL. Check
// that the field lies inside v, read it once (an atomic load) into a local,
// then check that [field + value, field + value + len) lies inside v, with
// no sum that can overflow: ERANGE.
int
shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out)
// ANCHOR_END: rel_get
{
	(void)v;
	(void)field;
	(void)len;
	(void)out;
	errno = ENOSYS;         // TODO: read once, check without overflow, then resolve
	return -1;
}
