// 07-srw-lock-broken (Win32): an SRW lock in the region. Microsoft's "Slim
// Reader/Writer (SRW) Locks": they "enable the threads of a single process
// to access shared resources"; nothing is promised for threads of others.
// The lock is one pointer-sized word, so it fits anywhere and looks
// harmless: the word is shared, but who is woken when it is released is the
// releasing process's business.
//
// Worker 0 takes it exclusively; every other worker asks for it (on a
// thread, waited for at most WAIT_MS), and worker 0 releases it once they all
// have. What Wine 8 does: it keeps an SRW lock's waiters in a table of the
// process that waits, and wakes them by the address as that process sees it;
// worker 0's release finds no waiter in its own process, the word in the
// region says "free", and the waiters in the other processes sleep on.
#include "win32_locks.h"

static int
init_and_hold(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	(void)w;
	// ANCHOR: init
	InitializeSRWLock(&l->srw);             // BROKEN: for the threads of this process only
	AcquireSRWLockExclusive(&l->srw);       // worker 0 holds it until run
	// ANCHOR_END: init
	return 0;
}

static DWORD WINAPI
acquire(LPVOID arg)
{
	struct waiter *wt = arg;

	InterlockedIncrement(&wt->l->waiting);
	AcquireSRWLockExclusive(&wt->l->srw);
	wt->entered = GetTickCount64();
	wt->left_before = wt->l->left_at;
	wt->l->left_at = (LONG64)GetTickCount64();
	ReleaseSRWLockExclusive(&wt->l->srw);
	return 0;
}

static int
wait_in_acquire(struct worker *w, struct locks *l)
{
	struct waiter wt = { .l = l };
	int stuck;

	if (run_waiter(acquire, &wt, &stuck) < 0 && stuck)
		return fail(w, "AcquireSRWLockExclusive did not return in %d ms: worker 0 released the lock, "
		    "and no wake-up reached this process (the lock word reads %#llx)", WAIT_MS,
		    (unsigned long long)(uintptr_t)l->srw.Ptr);
	if (wt.entered - (ULONGLONG)wt.left_before > WAIT_MS / 2)
		return fail(w, "AcquireSRWLockExclusive returned %llu ms after the lock was released: the "
		    "wake-up was lost", (unsigned long long)(wt.entered - (ULONGLONG)wt.left_before));
	return 0;
}

static int
run(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	if (w->view != w->views - 1)
		return 0;               // under `double`, once: through the first view
	if (w->index != 0)
		return wait_in_acquire(w, l);
	if (wait_count(&l->waiting, w->procs - 1) < 0)
		return fail(w, "only %ld of %d workers came to wait within %d ms", l->waiting, w->procs - 1, WAIT_MS);
	Sleep(SETTLE_MS);               // no handshake says a thread of another process is asleep
	l->left_at = (LONG64)GetTickCount64();
	ReleaseSRWLockExclusive(&l->srw);
	return 0;
}

const struct scenario lab07_srw_lock_broken = {
	.name = "07-srw-lock-broken",
	.summary = "an SRW lock in the region, waited on by other processes",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = init_and_hold,
	.run = run,
};
