/*
 * Lab 02 exercise: regions and views.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 02's part: create, open, map, unmap, close and unlink a
 * region, as reference/include/shmlab/region.h specifies them. Each is a
 * stub marked TODO that fails with ENOSYS.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 02
 *   build/bin/shmlab-harness run 02-contract-map-at-address --procs 4 --strategy distinct \
 *       --impl build/lib/libshmlab-learner.so
 *
 * Every contract test needs shmlab_region_open() and shmlab_region_map():
 * the harness maps each worker's views through them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learner.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000    // Linux 4.17; older headers lack the name
#endif

// Creates a region of size bytes, zero-filled, mode 0600, and fills *r (its
// name is "" for an anonymous region). With a name: shm_open with O_CREAT |
// O_EXCL, mode 0600 (EEXIST if the name is taken). With name NULL: an
// anonymous memfd_create, then fchmod to 0600 (a memfd starts as 0777). Then
// ftruncate to the size, and reserve every page with posix_fallocate (which
// returns its error instead of setting errno): ftruncate alone leaves the
// pages to their first touch, a SIGBUS if /dev/shm is full by then. If
// anything fails, close the descriptor, remove the name, and return the
// first errno (ENOSPC where there is no room). EINVAL for size 0;
// ENAMETOOLONG for a name that does not fit r->name.
int
shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size)
{
	(void)r;
	(void)name;
	(void)size;
	errno = ENOSYS;         // TODO: shm_open or memfd_create, ftruncate, posix_fallocate
	return -1;
}

// Opens an existing named region read-write and fills *r; the size comes
// from fstat. EINVAL for name NULL or a region of size 0 (created, not yet
// sized); ENAMETOOLONG for a name that does not fit r->name; shm_open's
// errno otherwise (ENOENT: no such region).
int
shmlab_region_open(struct shmlab_region *r, const char *name)
{
	(void)r;
	(void)name;
	errno = ENOSYS;         // TODO: shm_open without O_CREAT, then fstat
	return -1;
}

// ANCHOR: map
// Maps the whole region read-write and shared, and fills *v. at == NULL: the
// kernel chooses. Otherwise at must be page-aligned (EINVAL) and the region
// lands exactly there or the call fails: pass MAP_FIXED_NOREPLACE, never
// MAP_FIXED, which silently replaces whatever is mapped there. EEXIST comes
// from mmap if something is; a kernel older than 4.17 ignores the flag and
// treats at as a hint, so if the mapping is elsewhere, unmap it and fail
// with EADDRNOTAVAIL.
int
shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v)
// ANCHOR_END: map
{
	(void)r;
	(void)at;
	(void)v;
	errno = ENOSYS;         // TODO: mmap at `at`, and check where it landed
	return -1;
}

// Unmaps a view and sets v->base to NULL. EINVAL if v->base is NULL already.
int
shmlab_view_unmap(struct shmlab_view *v)
{
	(void)v;
	errno = ENOSYS;         // TODO: munmap
	return -1;
}

// Closes the region's descriptor and sets r->fd to -1. Views stay valid.
int
shmlab_region_close(struct shmlab_region *r)
{
	(void)r;
	errno = ENOSYS;         // TODO: close
	return -1;
}

// Removes the name; whoever has the region open or mapped keeps it. ENOENT
// if there is no such name (shm_unlink's errno).
int
shmlab_region_unlink(const char *name)
{
	(void)name;
	errno = ENOSYS;         // TODO: shm_unlink
	return -1;
}
