// Mutant: alloc checks the requested alignment but sizes the block by size alone
// Replaces: reference/alloc.c
// Caught by: 03-contract-alloc-basic
// That scenario asks for every size with every alignment up to 4096 and
// checks each offset; blocks of a class are aligned only to the class's
// size, so a small block asked for with a larger alignment is not aligned
// (alloc(1, 32) gets a block of 16 bytes, on a 16-byte boundary).
// Killed under: distinct double fork same kernel
//
// Everything else is reference/alloc.c as it stands (see README.md).
#include "shmlab/alloc.h"

#define shmlab_alloc reference_alloc
#define class_of reference_class_of
#include "../../reference/alloc.c"
#undef shmlab_alloc
#undef class_of

// The class of blocks of size bytes aligned to align, or -1 (EINVAL).
static int
class_of(uint64_t size, uint64_t align)
{
	int c = 0;

	if (size == 0 || size > PAGE || align == 0 || (align & (align - 1)) || align > SHMLAB_ALLOC_ALIGN) {
		errno = EINVAL;
		return -1;
	}
	// MUTANT: the class fits size, where it must fit max(size, align)
	while (((uint64_t)UNIT << c) < size)
		c++;
	return c;
}

int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	struct heap_view hv;
	uint64_t unit, mask, old;
	int c, got;

	if ((c = class_of(size, align)) < 0 || open_heap(v, &hv) < 0)
		return -1;
	got = take(&hv, c, &unit);
	if (got == EMPTY) {
		errno = ENOMEM;
		return -1;
	}
	mask = (uint64_t)1 << (unit % 64);
	if (got == CORRUPT || unit % ((uint64_t)1 << c)
	    || __atomic_load_n(&hv.owners[unit / UNITS_PER_PAGE], __ATOMIC_ACQUIRE) % 256 != (uint32_t)c + 1
	    || ((old = __atomic_fetch_or(&hv.bits[unit / 64], mask, __ATOMIC_ACQ_REL)) & mask)) {
		errno = EPROTO;
		return -1;
	}
	*off = hv.pages_off + unit * UNIT;
	return 0;
}
