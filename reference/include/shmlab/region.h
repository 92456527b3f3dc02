/*
 * Regions and views.
 *
 * A region is one shared-memory object (a POSIX shm name or a memfd); a view
 * is one mapping of it into this process. One process may hold several views
 * of one region, each at its own address, and every other process has views
 * of its own at addresses of its own. That is the whole reason nothing stored
 * inside a region may be an address: store offsets from the view's base
 * (offset.h) or from the reference itself (relptr.h).
 *
 * Every function returns 0 on success and -1 with errno set on failure.
 * Sources: shm_overview(7), shm_open(3), mmap(2) on MAP_FIXED_NOREPLACE.
 */
#ifndef SHMLAB_REGION_H
#define SHMLAB_REGION_H

#include <stddef.h>
#include <stdint.h>

#define SHMLAB_NAME_MAX 64

struct shmlab_region {
	int fd;                         // -1 once closed
	uint64_t size;                  // bytes; fixed at creation
	char name[SHMLAB_NAME_MAX];     // "" for an anonymous (memfd) region
};

struct shmlab_view {
	unsigned char *base;            // where this process sees byte 0
	uint64_t size;                  // == the region's size
};

// Writes a fresh, unguessable name ("/shmlab-<pid>-<16 hex digits>") into
// buf, which must hold SHMLAB_NAME_MAX bytes.
int shmlab_region_random_name(char *buf, size_t len);

// Creates a region of size bytes, zero-filled, mode 0600. With a name it is a
// POSIX shm object created with O_EXCL (EEXIST if the name is taken); with
// name NULL it is an anonymous memfd that other processes reach only through
// the descriptor. Its pages are reserved before it returns (contract 1.4):
// where the system has no room for size bytes, create fails with ENOSPC and
// leaves no object, never a region whose first write past the room left is a
// SIGBUS in whichever process touches it.
int shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size);

// Opens an existing named region read-write; its size comes from fstat.
// EINVAL for name NULL: an anonymous region is reached by its descriptor.
int shmlab_region_open(struct shmlab_region *r, const char *name);

// Maps the whole region. at == NULL: the kernel chooses. Otherwise at must be
// page-aligned and free in this process; the region lands exactly there or
// the call fails (EEXIST if something is mapped there, EADDRNOTAVAIL if the
// kernel placed it elsewhere). An existing mapping is never replaced.
int shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v);

// Unmaps a view. Pointers into it are dead afterwards; offsets are not.
int shmlab_view_unmap(struct shmlab_view *v);

// Closes the descriptor. Views stay valid until unmapped.
int shmlab_region_close(struct shmlab_region *r);

// Removes the name. Processes that have it open or mapped keep the region.
int shmlab_region_unlink(const char *name);

#endif
