/*
 * Regions and views on POSIX: shm_open or memfd_create, ftruncate, mmap.
 *
 * Placement is the lesson, so map() never uses MAP_FIXED, which silently
 * replaces whatever was mapped at the address. MAP_FIXED_NOREPLACE fails with
 * EEXIST instead; kernels before 4.17 ignore the flag and treat the address
 * as a hint, so the result is compared with the request as well.
 *
 * ftruncate only sets a size: tmpfs gives a page when it is first touched,
 * and if it has none left then, the process touching it gets SIGBUS, long
 * after create returned 0. So create reserves every page with
 * posix_fallocate, and a full /dev/shm is ENOSPC here, to the caller that
 * asked for the space (posix_fallocate(3); tmpfs(5), "size").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmlab/region.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int
shmlab_region_random_name(char *buf, size_t len)
{
	uint64_t secret;

	if (getrandom(&secret, sizeof secret, 0) != sizeof secret)
		return -1;
	if ((size_t)snprintf(buf, len, "/shmlab-%ld-%016llx", (long)getpid(),
	    (unsigned long long)secret) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
set_name(struct shmlab_region *r, const char *name)
{
	if (name == NULL) {
		r->name[0] = '\0';
		return 0;
	}
	if (strlen(name) >= sizeof r->name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r->name, name);
	return 0;
}

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

int
shmlab_region_open(struct shmlab_region *r, const char *name)
{
	struct stat st;
	int fd;

	if (name == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (set_name(r, name) < 0)
		return -1;
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (st.st_size <= 0) {          // created but not yet sized
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	return 0;
}

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
	if (at)
		flags |= MAP_FIXED_NOREPLACE;
	p = mmap(at, (size_t)r->size, PROT_READ | PROT_WRITE, flags, r->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (at && p != at) {
		// An old kernel took the address as a hint and placed it elsewhere.
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
	return 0;
}

int
shmlab_region_close(struct shmlab_region *r)
{
	int fd = r->fd;

	r->fd = -1;
	return close(fd);
}

int
shmlab_region_unlink(const char *name)
{
	return shm_unlink(name);
}
