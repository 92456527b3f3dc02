// Mutant: a range that ends exactly at the end of the region is refused
// Replaces: reference/offset.c
// Caught by: 03-contract-offset-bounds
// That scenario resolves off == size with len 0 (and ranges that end on the
// last byte), which are inside the view; this copy's `<` for `<=` refuses them
// with ERANGE.
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
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	// MUTANT: off by one: `len < size - off` where the rule says `<=`
	if (!(off <= v->size && len < v->size - off)) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + off;
	return 0;
}
