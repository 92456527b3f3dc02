// Mutant: free accepts a block that is not allocated, so a double free puts it on its list twice
// Replaces: reference/alloc.c
// Caught by: 03-contract-alloc-basic
// That scenario frees every other block it holds twice and expects EINVAL
// the second time; this copy clears the block's bit without looking at it
// and pushes the block again, so two later allocations would get the same
// block.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/alloc.c as it stands (see README.md).
#include "shmlab/alloc.h"

#define shmlab_free reference_free
#include "../../reference/alloc.c"
#undef shmlab_free

int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	struct heap_view hv;
	uint64_t unit, mask;
	uint32_t owner;
	int c, s;

	if (open_heap(v, &hv) < 0)
		return -1;
	if (off < hv.pages_off || (off - hv.pages_off) % UNIT || (unit = (off - hv.pages_off) / UNIT) >= hv.units)
		goto invalid;
	owner = __atomic_load_n(&hv.owners[unit / UNITS_PER_PAGE], __ATOMIC_ACQUIRE);
	c = (int)(owner % 256) - 1;
	s = (int)(owner / 256);
	if (c < 0 || c >= CLASSES || s >= SHARDS || unit % ((uint64_t)1 << c))
		goto invalid;
	mask = (uint64_t)1 << (unit % 64);
	// MUTANT: the old value of the bit is thrown away: "it was allocated, or
	// the caller would not free it"
	__atomic_fetch_and(&hv.bits[unit / 64], ~mask, __ATOMIC_ACQ_REL);
	push(&hv, &hv.h->shards[s].head[c], unit, unit);
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}
