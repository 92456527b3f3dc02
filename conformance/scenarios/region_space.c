/*
 * Room for a region, asked for at create (region.h, contract 1.4).
 *
 * 02-contract-region-space: ftruncate gives a region its size, not its
 * memory. tmpfs hands out a page when it is first touched; when it has none
 * left then, the process touching it gets SIGBUS, whichever process that is
 * and however long after create returned 0. A library that reserves the
 * pages at create (posix_fallocate, or writing every page) turns that into
 * an error for the one caller who asked for the space.
 *
 * The rule asks /dev/shm for more than its whole size: create must fail
 * with ENOSPC, leaving no name and no descriptor. tmpfs refuses such a
 * reservation at once, before it takes a single page (mm/shmem.c,
 * shmem_fallocate: "avoid a swapstorm if len is impossible to satisfy"), so
 * the check costs no memory and gives the same answer every run; a library
 * that does not reserve gets a sparse object larger than the file system,
 * which this scenario removes itself. Then a region that fits, named and
 * anonymous, must have every page allocated when create returns (fstat's
 * st_blocks). Where /dev/shm is not a tmpfs with a size (an unlimited
 * mount), nothing is too big for it, and the harness SKIPs the rule
 * (SHM_SIZE_LIMIT).
 */
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define FITS    65536u          // a region that fits wherever the harness could make its own

// The entries of /proc/self/fd, or -1 if it cannot be read.
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

// Fails unless create(name, size) was refused with ENOSPC and left neither
// the name nor a descriptor; removes the object if the library made one.
static int
refused_for_room(struct worker *w, const char *name, uint64_t size, const struct statvfs *fs)
{
	struct shmlab_region r;
	int before = open_fds(), rc, err, after, fd;

	errno = 0;
	rc = w->impl->region_create(&r, name, size);
	err = errno;
	after = open_fds();
	fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		shm_unlink(name);
	}
	if (rc == 0) {
		close(r.fd);
		return fail(w, "region_create(%llu bytes, more than all %llu of /dev/shm) succeeded: no page "
		    "reserved, so a full /dev/shm is a SIGBUS at first touch; reserve at create "
		    "(posix_fallocate), ENOSPC if it fails", (unsigned long long)size,
		    (unsigned long long)fs->f_blocks * fs->f_frsize);
	}
	if (refused(w, rc, err, ENOSPC, "region_create(more than /dev/shm holds)") < 0)
		return -1;
	if (fd >= 0)
		return fail(w, "region_create refused with ENOSPC but left the name %s behind", name);
	if (before >= 0 && after != before)
		return fail(w, "region_create refused with ENOSPC but left %d more descriptors open than "
		    "before it", after - before);
	return 0;
}

// Fails unless region r, fresh from create, has all its pages allocated.
static int
reserved(struct worker *w, const struct shmlab_region *r, const char *what)
{
	struct stat st;

	if (fstat(r->fd, &st) < 0)
		return fail(w, "%s: fstat on the region's fd %d failed: %s", what, r->fd, errname(errno));
	if ((uint64_t)st.st_blocks * 512 < r->size)
		return fail(w, "%s: %llu of %llu bytes allocated at return (st_blocks): the rest comes at "
		    "first touch, a SIGBUS if /dev/shm is full then; reserve at create (posix_fallocate)",
		    what, (unsigned long long)st.st_blocks * 512, (unsigned long long)r->size);
	return 0;
}

// Creates a region that fits, checks its pages are there, removes it.
static int
fits_and_reserved(struct worker *w, const char *name)
{
	const char *what = name ? "region_create(named, 64 KiB)" : "region_create(NULL: anonymous, 64 KiB)";
	struct shmlab_region r;
	int rc;

	if (SUCCEEDS(w, w->impl->region_create(&r, name, FITS), what) < 0)
		return -1;
	rc = reserved(w, &r, what);
	close(r.fd);
	if (name)
		shm_unlink(name);
	return rc;
}

static int
region_space(struct worker *w, const struct shmlab_view *v)
{
	char name[SHMLAB_NAME_MAX];
	struct statvfs fs;

	(void)v;
	if (statvfs("/dev/shm", &fs) < 0 || fs.f_blocks == 0)
		return fail(w, "/dev/shm has no size to exceed (statvfs: %s); the harness should have skipped "
		    "this rule", errno ? errname(errno) : "f_blocks is 0");
	if (shmlab_region_random_name(name, sizeof name) < 0)
		return fail(w, "cannot make a region name: %s", errname(errno));
	if (refused_for_room(w, name, ((uint64_t)fs.f_blocks + 256) * fs.f_frsize, &fs) < 0)
		return -1;
	if (fits_and_reserved(w, name) < 0)
		return -1;
	return fits_and_reserved(w, NULL);
}

const struct scenario contract_region_space = {
	.name = "02-contract-region-space",
	.summary = "create reserves the region's pages: more than /dev/shm holds is ENOSPC, not a later SIGBUS",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.rule = "region-space",
	.region_size = 65536,
	.flags = CONTRACT | SHM_SIZE_LIMIT,
	.passes_under = ALL_STRATEGIES,
	.run = region_space,
};
