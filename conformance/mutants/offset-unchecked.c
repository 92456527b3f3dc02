// Mutant: an offset read from the region becomes a pointer without a bounds check
// Replaces: reference/offset.c
// Caught by: 03-contract-offset-bounds
// That scenario asks off_to_ptr for offsets and lengths that run past the end
// of the view and expects ERANGE; this copy hands back a pointer past the end.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/offset.c as it stands (see README.md).
#include "shmlab/offset.h"

#define shmlab_off_to_ptr reference_off_to_ptr
#include "../../reference/offset.c"
#undef shmlab_off_to_ptr

int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	(void)len;      // MUTANT: the length is never looked at
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	// MUTANT: no in_bounds(v->size, off, len) check: the offset is trusted
	*out = v->base + off;
	return 0;
}
