/*
 * Room on /dev/shm for a run's region.
 *
 * Every region's pages are reserved when it is made (region.h), and all the
 * runs of a machine share one tmpfs: `ctest -j8`, or a pool of runs, in a
 * container whose /dev/shm is 64 MiB, asks for more at a moment than there
 * is, though each run alone fits. A run that finds no room is not broken,
 * and not the machine's fault either, so it waits for another run to give
 * its region back, and is an ERROR only once that wait is up.
 *
 * A run also leaves HEADROOM free when it takes its region: the workers of
 * a contract scenario make small regions of their own through the library
 * under test, and a /dev/shm filled to the last page by the harnesses'
 * regions would make those fail with ENOSPC, blamed on the library. The
 * attempts of all harnesses are one at a time, under flock(2) on /dev/shm,
 * so that the check and the reservation are one step, and create reserves
 * every page or fails with ENOSPC, taking nothing (tmpfs undoes a
 * reservation it cannot finish). Between attempts a
 * run sleeps until a name goes from /dev/shm (inotify(7): IN_DELETE) or
 * 50 ms pass: the pages of an unlinked region return only when its last
 * view goes, which nothing announces. A region larger than all of /dev/shm
 * can never fit: ENOSPC at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "room.h"

#define SHM_DIR         "/dev/shm"
#define RECHECK_MS      50
#define HEADROOM        (UINT64_C(8) << 20)     // left free for the scenarios' own regions

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// Whether size bytes could ever fit: false only for a tmpfs with a size
// smaller than that.
static int
could_fit(uint64_t size)
{
	struct statvfs fs;

	return statvfs(SHM_DIR, &fs) < 0 || fs.f_blocks == 0 || size <= (uint64_t)fs.f_blocks * fs.f_frsize;
}

// Whether /dev/shm has size bytes free and HEADROOM beside them (or, where
// it is too small ever to hold both, size alone).
static int
room_now(uint64_t size)
{
	struct statvfs fs;
	uint64_t total, free_bytes;

	if (statvfs(SHM_DIR, &fs) < 0 || fs.f_blocks == 0)
		return 1;
	total = (uint64_t)fs.f_blocks * fs.f_frsize;
	free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
	return free_bytes >= size + (size + HEADROOM <= total ? HEADROOM : 0);
}

// One attempt, while no other harness makes one.
static int
attempt(int dir, struct shmlab_region *r, const char *name, uint64_t size)
{
	int rc, err;

	if (dir >= 0)
		flock(dir, LOCK_EX);
	if (room_now(size)) {
		rc = shmlab_region_create(r, name, size);
		err = errno;
	} else {
		rc = -1;
		err = ENOSPC;
	}
	if (dir >= 0)
		flock(dir, LOCK_UN);
	errno = err;
	return rc;
}

// Waits until a name leaves /dev/shm, RECHECK_MS pass, or the deadline.
static void
wait_for_room(int watch, long long end)
{
	char events[4096];
	long long left = end - now_ms();
	struct pollfd p = { .fd = watch, .events = POLLIN };

	poll(&p, watch >= 0 ? 1 : 0, (int)(left < RECHECK_MS ? (left > 0 ? left : 0) : RECHECK_MS));
	while (watch >= 0 && read(watch, events, sizeof events) > 0)
		;
}

int
create_with_room(struct shmlab_region *r, const char *name, uint64_t size)
{
	int dir = open(SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	long long end = now_ms() + ROOM_WAIT_MS;
	int rc, err;

	if (watch >= 0 && inotify_add_watch(watch, SHM_DIR, IN_DELETE) < 0) {
		close(watch);
		watch = -1;
	}
	while ((rc = attempt(dir, r, name, size)) < 0 && errno == ENOSPC && could_fit(size) && now_ms() < end)
		wait_for_room(watch, end);
	err = errno;
	if (watch >= 0)
		close(watch);
	if (dir >= 0)
		close(dir);
	errno = err;
	return rc;
}
