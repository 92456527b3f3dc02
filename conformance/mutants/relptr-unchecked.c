// Mutant: a self-relative value written by a peer is followed without a range check
// Replaces: reference/relptr.c
// Caught by: 03-contract-self-relative
// That scenario stores hostile values in a shmlab_rel field (distances that
// leave the view, or overflow when added to the field's address) and expects
// rel_get to refuse them with ERANGE; this copy returns the wild pointer.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/relptr.c as it stands (see README.md).
#include "shmlab/relptr.h"

#define shmlab_rel_get reference_rel_get
#include "../../reference/relptr.c"
#undef shmlab_rel_get

int
shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out)
{
	shmlab_rel rel;

	(void)len;      // MUTANT: the length is never looked at
	if (offset_in(v, field, sizeof *field) < 0) {
		errno = ERANGE;
		return -1;
	}
	rel = __atomic_load_n(field, __ATOMIC_RELAXED);
	if (rel == 0) {
		*out = NULL;
		return 0;
	}
	// MUTANT: the value is trusted: no check that field + rel, and len bytes
	// from there, lie inside the view
	*out = (unsigned char *)field + rel;
	return 0;
}
