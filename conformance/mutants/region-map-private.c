// Mutant: views are mapped MAP_PRIVATE, so each view writes to its own copy of the pages
// Replaces: reference/region.c
// Caught by: 02-contract-shared-bytes
// That scenario writes bytes through one view and reads them through the
// views of the other workers; a private mapping keeps every write in the
// writer's copy-on-write pages, so the others read zeros.
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
	int flags = MAP_PRIVATE;        // MUTANT: MAP_PRIVATE where sharing needs MAP_SHARED
	void *p;

	if ((uintptr_t)at % (uintptr_t)page != 0 || (uint64_t)(size_t)r->size != r->size) {
		errno = EINVAL;
		return -1;
	}
	if (at)
		flags |= MAP_FIXED_NOREPLACE;
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
