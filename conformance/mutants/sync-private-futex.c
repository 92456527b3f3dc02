// Mutant: waiters sleep on a process-private futex (FUTEX_PRIVATE_FLAG)
// Replaces: reference/sync.c
// Caught by: 07-contract-sync-wakeup
// A private futex is keyed by the address space and the address, so a
// release in one process wakes nobody asleep in another: the waiters sleep
// until their own wait slice ends (a second), far past the bound within
// which a released lock must reach them. Exclusion still holds, so
// sync-exclusion lets it through.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/sync.c as it stands (see README.md).
#include "shmlab/sync.h"

#define shmlab_lock_acquire reference_lock_acquire
#define shmlab_lock_release reference_lock_release
#include "../../reference/sync.c"
#undef shmlab_lock_acquire
#undef shmlab_lock_release

static int
sleep_private(struct lock *l, uint32_t seen, int64_t ns)
{
	struct timespec rel = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };

	// MUTANT: FUTEX_WAIT_PRIVATE, as a process-private pthread mutex does
	if (syscall(SYS_futex, &l->wake, FUTEX_WAIT_PRIVATE, seen, &rel, NULL, 0) < 0 && errno == ETIMEDOUT)
		return -1;
	return 0;
}

int
shmlab_lock_acquire(const struct shmlab_view *v, shmlab_off lock, int timeout_ms)
{
	struct lock *l = lock_at(v, lock);
	uint64_t me, checked = 0;
	int64_t end;

	if (l == NULL)
		return -1;
	if (timeout_ms < 0)
		return fail_with(EINVAL);
	if ((me = self()) == 0)
		return -1;
	end = now_ns() + timeout_ms * NS_PER_MS;
	for (;;) {
		uint32_t seen = __atomic_load_n(&l->wake, __ATOMIC_ACQUIRE);
		uint64_t o = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
		int64_t left;

		if (o == 0) {
			if (__atomic_compare_exchange_n(&l->owner, &o, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (o == LOST)
			return fail_with(ENOTRECOVERABLE);
		if ((o & WHO) == me)
			return fail_with(EDEADLK);
		if (o != checked) {
			if (!holder_lives(o)) {
				if (__atomic_compare_exchange_n(&l->owner, &o, me | DIED, 0, __ATOMIC_ACQUIRE,
				    __ATOMIC_RELAXED))
					return SHMLAB_OWNER_DIED;
				continue;
			}
			checked = o;
		}
		if ((left = end - now_ns()) <= 0)
			return fail_with(ETIMEDOUT);
		if (sleep_private(l, seen, left < SLICE_MS * NS_PER_MS ? left : SLICE_MS * NS_PER_MS) < 0)
			checked = 0;
	}
}

int
shmlab_lock_release(const struct shmlab_view *v, shmlab_off lock)
{
	struct lock *l = lock_at(v, lock);
	uint64_t me, o;

	if (l == NULL || (me = self()) == 0)
		return -1;
	o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	if ((o & WHO) != me || !__atomic_compare_exchange_n(&l->owner, &o, (o & DIED) ? LOST : 0, 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return fail_with(EPERM);
	__atomic_fetch_add(&l->wake, 1, __ATOMIC_RELEASE);
	// MUTANT: FUTEX_WAKE_PRIVATE: wakes only this process's sleepers
	syscall(SYS_futex, &l->wake, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	return 0;
}
