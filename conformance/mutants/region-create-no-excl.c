// Mutant: create opens a name that is already taken instead of failing with EEXIST
// Replaces: reference/region.c
// Caught by: 02-contract-region-lifecycle
// That scenario creates a named region twice and expects the second create
// to fail with EEXIST; without O_EXCL the second call opens (and truncates)
// the first region, so two creators would share and clobber one object.
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
	if (name)       // MUTANT: no O_EXCL: an existing object of that name is opened
		fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	else
		fd = memfd_create("shmlab", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if ((name == NULL && fchmod(fd, 0600) < 0) || ftruncate(fd, (off_t)size) < 0
	    || (errno = posix_fallocate(fd, 0, (off_t)size)) != 0) {
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
