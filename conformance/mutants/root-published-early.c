// Mutant: root_set publishes a root before it writes the root's offset
// Replaces: reference/root.c
// Caught by: 03-contract-root-interleaved
// That scenario stops worker 0 before each store of its root_set while
// worker 1 looks the root up. Here the slot says "published" while its
// offset still holds what format left there (0): worker 1, stopped between
// the two stores, finds the name with offset 0, a root half written. The
// rule is the release order of root.h: fill the slot, publish it last.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/root.c as it stands (see README.md).
#include "shmlab/root.h"

#define shmlab_root_set reference_root_set
#include "../../reference/root.c"
#undef shmlab_root_set

// MUTANT: the state is stored before the offset, so a reader can find the name first
int
shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off)
{
	struct shmlab_header *h = header_of(v);
	shmlab_off unused;

	if (h == NULL)
		return -1;
	if (strlen(name) >= SHMLAB_ROOT_NAME) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (off >= v->size) {
		errno = ERANGE;
		return -1;
	}
	if (shmlab_root_get(v, name, &unused) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	for (int i = 0; i < SHMLAB_ROOTS; i++) {
		struct shmlab_root *root = &h->roots[i];
		uint32_t expect = SHMLAB_ROOT_FREE;
		if (!__atomic_compare_exchange_n(&root->state, &expect, SHMLAB_ROOT_CLAIMED,
		    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		strncpy(root->name, name, SHMLAB_ROOT_NAME);
		__atomic_store_n(&root->state, SHMLAB_ROOT_PUBLISHED, __ATOMIC_RELEASE);
		__atomic_store_n(&root->off, off, __ATOMIC_RELAXED);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}
