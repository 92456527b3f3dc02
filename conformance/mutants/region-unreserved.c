// Mutant: create sizes the region with ftruncate and reserves nothing
// Replaces: reference/region.c
// Caught by: 02-contract-region-space
// That scenario asks for more than /dev/shm holds, which must be ENOSPC at
// create. Here create succeeds: ftruncate makes a sparse object of any size,
// and tmpfs gives each page at its first touch, so the write that finds
// /dev/shm full is a SIGBUS in whichever process makes it, not an error for
// the caller who asked for the space. The scenario also finds a region that
// fits with none of its pages allocated.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/region.c as it stands (see README.md).
#include "shmlab/region.h"

#define shmlab_region_create reference_region_create
#include "../../reference/region.c"
#undef shmlab_region_create

int
shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size)
{
	int fd;

	if (size == 0 || (uint64_t)(off_t)size != size) {
		errno = EINVAL;
		return -1;
	}
	if (set_name(r, name) < 0)
		return -1;
	if (name)
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	else
		fd = memfd_create("shmlab", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	// MUTANT: no posix_fallocate: a size, and no page behind it
	if ((name == NULL && fchmod(fd, 0600) < 0) || ftruncate(fd, (off_t)size) < 0) {
		int saved = errno;
		close(fd);
		if (name)
			shm_unlink(name);
		errno = saved;
		return -1;
	}
	r->fd = fd;
	r->size = size;
	return 0;
}
