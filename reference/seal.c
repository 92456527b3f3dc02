// Sealing a memfd region's size (seal.h), and checking that a region is.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "shmlab/seal.h"

#define SIZE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

// ANCHOR: seal_size
// Seals are never removed (fcntl(2)), so F_SEAL_SEAL is not what keeps the
// size fixed. It freezes the set: without it, any process holding the
// descriptor could add seals of its own, F_SEAL_FUTURE_WRITE say, and stop
// every process that maps the region later from mapping it writable. Its
// price: a region meant to end up read-only needs its write seal before
// this (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE).
int
shmlab_region_seal_size(const struct shmlab_region *r)
{
	return fcntl(r->fd, F_ADD_SEALS, SIZE_SEALS | F_SEAL_SEAL) < 0 ? -1 : 0;
}
// ANCHOR_END: seal_size

// ANCHOR: check_sealed
// The seals first, then the size: once both seals are on, the size read
// after them is the size for good. Read before them, a peer could change it
// in between (a peer may have shrunk the file before the creator sealed it).
int
shmlab_region_check_sealed(const struct shmlab_region *r)
{
	int seals = fcntl(r->fd, F_GET_SEALS);
	struct stat st;

	if (seals < 0)
		return -1;                      // EINVAL: a file that takes no seals
	if ((seals & SIZE_SEALS) != SIZE_SEALS) {
		errno = EINVAL;
		return -1;
	}
	if (fstat(r->fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size < r->size) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}
// ANCHOR_END: check_sealed
