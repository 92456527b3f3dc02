// Mutant: map at a chosen address with MAP_FIXED, which replaces whatever was mapped there
// Replaces: reference/region.c
// Caught by: 02-contract-map-at-address
// That scenario maps a view at an address that is already in use and expects
// EEXIST with the old mapping intact; MAP_FIXED silently unmaps what was
// there and succeeds.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/region.c as it stands (see README.md).
#include "shmlab/region.h"

#define shmlab_region_map reference_region_map
#include "../../reference/region.c"
#undef shmlab_region_map

int
shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v)
{
	long page = sysconf(_SC_PAGESIZE);
	int flags = MAP_SHARED;
	void *p;

	if ((uintptr_t)at % (uintptr_t)page != 0 || (uint64_t)(size_t)r->size != r->size) {
		errno = EINVAL;
		return -1;
	}
	if (at)         // MUTANT: MAP_FIXED where the contract needs MAP_FIXED_NOREPLACE
		flags |= MAP_FIXED;
	p = mmap(at, (size_t)r->size, PROT_READ | PROT_WRITE, flags, r->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (at && p != at) {
		munmap(p, (size_t)r->size);
		errno = EADDRNOTAVAIL;
		return -1;
	}
	v->base = p;
	v->size = r->size;
	return 0;
}
