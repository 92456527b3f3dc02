/*
 * The lock's robustness, as lock.c and alloc.c promise it (not a contract
 * rule: the contract asks only that nobody hangs).
 *
 * A child takes the region's lock by writing its own tid into the lock
 * word, as ind_lock would, and exits holding it: the next alloc takes the
 * dead holder's lock over and succeeds. A child that dies the same way in
 * the middle of a change to the heap (busy set) leaves a heap that refuses
 * every later alloc and free with EPROTO, while the roots, which need no
 * heap, still work. A live holder that never lets go (pid 1) makes a call
 * fail with EPROTO after a second, and a lock word without lock.c's tag
 * at once: errors, never a hang. The region is a memfd: nothing is left behind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layout.h"

static int failures;

static void
expect(const char *what, int rc, int want_errno)
{
	int ok = want_errno ? rc == -1 && errno == want_errno : rc == 0;

	printf("%s %s: rc %d%s%s\n", ok ? "ok  " : "FAIL", what, rc, rc ? ", " : "", rc ? strerror(errno) : "");
	failures += !ok;
}

// A child that writes its tid into the lock word (and busy, if asked) and dies.
static void
die_holding(struct ind_header *h, int mid_change)
{
	pid_t child = fork();

	if (child == 0) {
		__atomic_store_n(&h->lock, IND_LOCK_HELD | (uint32_t)gettid(), __ATOMIC_RELEASE);
		if (mid_change)
			__atomic_store_n(&h->busy, 1, __ATOMIC_RELEASE);
		_exit(0);
	}
	waitpid(child, NULL, 0);
}

int
main(void)
{
	struct shmlab_region r;
	struct shmlab_view v;
	struct ind_header *h;
	shmlab_off off;

	if (shmlab_region_create(&r, NULL, 1 << 20) < 0 || shmlab_region_map(&r, NULL, &v) < 0
	    || shmlab_format(&v) < 0 || shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, (1 << 20) - SHMLAB_HEADER_SIZE) < 0) {
		perror("dead_holder_test: setting up a heap");
		return 1;
	}
	h = (struct ind_header *)v.base;

	die_holding(h, 0);
	expect("alloc after a holder died between changes", shmlab_alloc(&v, 100, 8, &off), 0);
	expect("free of that block", shmlab_free(&v, off), 0);

	die_holding(h, 1);
	expect("alloc after a holder died mid-change (the heap is damaged)", shmlab_alloc(&v, 100, 8, &off), EPROTO);
	expect("free in the damaged heap", shmlab_free(&v, off), EPROTO);
	expect("root_set still works", shmlab_root_set(&v, "after", 2048), 0);

	__atomic_store_n(&h->lock, IND_LOCK_HELD | 1, __ATOMIC_RELEASE);        // pid 1 lives as long as we do
	expect("root_set while a live holder never lets go", shmlab_root_set(&v, "never", 2048), EPROTO);
	__atomic_store_n(&h->lock, 16, __ATOMIC_RELEASE);
	expect("root_set with a lock word that lacks the tag", shmlab_root_set(&v, "never", 2048), EPROTO);

	shmlab_view_unmap(&v);
	shmlab_region_close(&r);
	return failures != 0;
}
