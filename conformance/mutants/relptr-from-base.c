// Mutant: a self-relative reference measured from the wrong address: the view's base, not the field
// Replaces: reference/relptr.c
// Caught by: 03-contract-self-relative
// That scenario links a list with rel_set and follows it with rel_get, which
// adds the stored value to the field's own address as the contract says; a
// distance measured from the base sends every hop past its node, to the
// wrong bytes or out of the view (ERANGE).
// Killed under: distinct double fork same kernel
//
// Everything else is reference/relptr.c as it stands (see README.md).
#include "shmlab/relptr.h"

#define shmlab_rel_set reference_rel_set
#include "../../reference/relptr.c"
#undef shmlab_rel_set

int
shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target)
{
	int64_t from = offset_in(v, field, sizeof *field), to;

	if (from < 0) {
		errno = ERANGE;
		return -1;
	}
	if (target == NULL) {
		__atomic_store_n(field, 0, __ATOMIC_RELAXED);
		return 0;
	}
	if ((to = offset_in(v, target, 0)) < 0) {
		errno = ERANGE;
		return -1;
	}
	if (to == from) {
		errno = EINVAL;
		return -1;
	}
	// MUTANT: target - base (an offset) where the contract stores target - field
	__atomic_store_n(field, to, __ATOMIC_RELAXED);
	return 0;
}
