// Mutant: a lock taken over from a dead holder is handed on as if all were well
// Replaces: reference/sync.c
// Caught by: 07-contract-sync-owner-died
// The holder was killed between its stores to the data the lock protects;
// the next locker must be told (SHMLAB_OWNER_DIED) so that it repairs it.
// Here the dead holder is noticed and the lock taken over, but acquire
// returns 0, and the half-written data passes for whole.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/sync.c as it stands (see README.md).
#include "shmlab/sync.h"

#define shmlab_lock_acquire reference_lock_acquire
#include "../../reference/sync.c"
#undef shmlab_lock_acquire

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
				// MUTANT: taken over as a plain acquire: no DIED, and 0
				if (__atomic_compare_exchange_n(&l->owner, &o, me, 0, __ATOMIC_ACQUIRE,
				    __ATOMIC_RELAXED))
					return 0;
				continue;
			}
			checked = o;
		}
		if ((left = end - now_ns()) <= 0)
			return fail_with(ETIMEDOUT);
		if (sleep_on(l, seen, left < SLICE_MS * NS_PER_MS ? left : SLICE_MS * NS_PER_MS) < 0)
			checked = 0;
	}
}
