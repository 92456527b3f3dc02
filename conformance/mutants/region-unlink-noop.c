// Mutant: leaks the shm name: region_unlink reports success and removes nothing
// Replaces: reference/region.c
// Caught by: 02-contract-region-lifecycle
// That scenario unlinks a named region and then opens the name again, which
// must fail with ENOENT; here the name is still in /dev/shm, so the open
// succeeds (and the region outlives every process that used it).
// Killed under: distinct double fork same kernel
//
// Everything else is reference/region.c as it stands (see README.md).
#include "shmlab/region.h"

#define shmlab_region_unlink reference_region_unlink
#include "../../reference/region.c"
#undef shmlab_region_unlink

int
shmlab_region_unlink(const char *name)
{
	// MUTANT: "the region goes away when the last process closes it", which is
	// true of the memory but not of the name: shm_unlink(name) never happens
	(void)name;
	return 0;
}
