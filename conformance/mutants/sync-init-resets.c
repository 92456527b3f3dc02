// Mutant: init writes a fresh lock whatever is there, a held one included
// Replaces: reference/sync.c
// Caught by: 07-contract-sync-exclusion
// Two processes that each initialise the lock they share, as two
// pthread_mutex_init calls on one mutex do, reset it under its holder: here
// a second init returns 0 and frees the lock worker 0 holds, where it must
// be EEXIST and leave the lock held.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/sync.c as it stands (see README.md).
#include "shmlab/sync.h"

#define shmlab_lock_init reference_lock_init
#include "../../reference/sync.c"
#undef shmlab_lock_init

int
shmlab_lock_init(const struct shmlab_view *v, shmlab_off lock)
{
	struct lock *l = word_at(v, lock, SHMLAB_LOCK_SIZE);

	if (l == NULL)
		return -1;
	// MUTANT: no claim of the magic word: a lock initialised already is made again
	__atomic_store_n(&l->magic, LOCK_BUSY, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->wake, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 12; i++)
		l->reserved[i] = 0;
	__atomic_store_n(&l->magic, LOCK_MAGIC, __ATOMIC_RELEASE);
	return 0;
}
