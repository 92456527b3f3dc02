/*
 * Regions and views: POSIX shared memory objects and their mappings.
 *
 * A named region is a shm_open(3) object created with O_EXCL, so that a
 * taken name is EEXIST and the harness's own objects are found by name; an
 * anonymous one is a memfd. Both are made mode 0600 (fchmod, whatever the
 * umask or memfd's default) and sized with fallocate(2), which zero-fills
 * and allocates every page now: ftruncate would leave the pages to the first
 * touch, when a full tmpfs has none and the toucher gets SIGBUS.
 *
 * A view asked for at an address is mapped with MAP_FIXED_NOREPLACE, never
 * MAP_FIXED (which would discard what is there); a kernel older than 4.17
 * takes the flag as a hint, so the result is compared with the request and
 * a view placed elsewhere is unmapped again (EADDRNOTAVAIL).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"

// Closes fd (and removes name, if any) keeping the errno of what failed.
static int
undo(int fd, const char *name)
{
	int saved = errno;

	close(fd);
	if (name)
		shm_unlink(name);
	errno = saved;
	return -1;
}

static int
name_fits(const char *name)
{
	if (name == NULL) {
		errno = EINVAL;         // an anonymous region has no name to open
		return 0;
	}
	if (strnlen(name, SHMLAB_NAME_MAX) == SHMLAB_NAME_MAX) {
		errno = ENAMETOOLONG;
		return 0;
	}
	return 1;
}

int
shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size)
{
	int fd;

	if (size == 0 || size > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (name && !name_fits(name))
		return -1;
	fd = name ? shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
	          : memfd_create("shmlab-independent", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 || fallocate(fd, 0, 0, (off_t)size) < 0)
		return undo(fd, name);
	r->fd = fd;
	r->size = size;
	strcpy(r->name, name ? name : "");
	return 0;
}

int
shmlab_region_open(struct shmlab_region *r, const char *name)
{
	struct stat st;
	int fd;

	if (!name_fits(name))
		return -1;
	if ((fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return undo(fd, NULL);
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	strcpy(r->name, name);
	return 0;
}

int
shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v)
{
	int flags = MAP_SHARED | (at ? MAP_FIXED_NOREPLACE : 0);
	void *p;

	if ((uintptr_t)at % (uintptr_t)sysconf(_SC_PAGESIZE) != 0 || r->size == 0) {
		errno = EINVAL;
		return -1;
	}
	if (r->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (r->size > SIZE_MAX) {
		errno = ENOMEM;
		return -1;
	}
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

int
shmlab_view_unmap(struct shmlab_view *v)
{
	if (v->base == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (munmap(v->base, (size_t)v->size) < 0)
		return -1;
	v->base = NULL;
	v->size = 0;
	return 0;
}

int
shmlab_region_close(struct shmlab_region *r)
{
	int fd = r->fd;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	r->fd = -1;
	return close(fd);
}

int
shmlab_region_unlink(const char *name)
{
	return shm_unlink(name);
}
