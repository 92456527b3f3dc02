// Mutant: a raw pointer stored in the region: rel_set stores the target's address, not a distance
// Replaces: reference/relptr.c
// Caught by: 03-contract-self-relative
// That scenario has worker 0 link a list with shmlab_rel fields and every
// worker follow it through its own views; the address worker 0 stored is
// where the target was in worker 0's view, which lies outside every other
// view, so rel_get refuses it (ERANGE) where it should find the next node.
// Where every view is at one address (fork, same) the address would still
// resolve, but the scenario also compares each stored value with the
// distance from the field to its target, so it catches the bug there too.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/relptr.c as it stands (see README.md).
#include <stdint.h>
#include "shmlab/relptr.h"

#define shmlab_rel_set reference_rel_set
#define shmlab_rel_get reference_rel_get
#include "../../reference/relptr.c"
#undef shmlab_rel_set
#undef shmlab_rel_get

int
shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target)
{
	if (offset_in(v, field, sizeof *field) < 0) {
		errno = ERANGE;
		return -1;
	}
	if (target == NULL) {
		__atomic_store_n(field, 0, __ATOMIC_RELAXED);
		return 0;
	}
	if (offset_in(v, target, 0) < 0) {
		errno = ERANGE;
		return -1;
	}
	if (target == (const void *)field) {
		errno = EINVAL;
		return -1;
	}
	// MUTANT: the target's address in this process's view goes into shared memory
	__atomic_store_n(field, (shmlab_rel)(uintptr_t)target, __ATOMIC_RELAXED);
	return 0;
}

int
shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out)
{
	shmlab_rel rel;

	if (offset_in(v, field, sizeof *field) < 0) {
		errno = ERANGE;
		return -1;
	}
	rel = __atomic_load_n(field, __ATOMIC_RELAXED);
	if (rel == 0) {
		*out = NULL;
		return 0;
	}
	// MUTANT: the stored value is taken for an address; it is checked against
	// this view, which is as far as the bug can be hidden
	if (offset_in(v, (const void *)(uintptr_t)rel, len) < 0) {
		errno = ERANGE;
		return -1;
	}
	*out = (void *)(uintptr_t)rel;
	return 0;
}
