// Mutant: root_set claims a free slot with a load and a later store, not a compare-and-swap
// Replaces: reference/root.c
// Caught by: 03-contract-root-interleaved
// That scenario stops worker 0 before each store of its root_set while
// worker 1 sets a root of its own. Here worker 0 has seen slot 0 free and
// is about to mark it claimed; worker 1 claims it meanwhile and publishes
// its root there; worker 0 then claims the slot again and writes its own
// name over worker 1's, whose root is gone. Racing processes (root-race)
// meet in that window a few runs in twenty; stopped there, every run.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/root.c as it stands (see README.md).
#include "shmlab/root.h"

#define shmlab_root_set reference_root_set
#include "../../reference/root.c"
#undef shmlab_root_set

// MUTANT: the slot's state is read, then written: another claim can fall in between
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
		if (__atomic_load_n(&root->state, __ATOMIC_ACQUIRE) != SHMLAB_ROOT_FREE)
			continue;
		root->state = SHMLAB_ROOT_CLAIMED;
		strncpy(root->name, name, SHMLAB_ROOT_NAME);
		__atomic_store_n(&root->off, off, __ATOMIC_RELAXED);
		__atomic_store_n(&root->state, SHMLAB_ROOT_PUBLISHED, __ATOMIC_RELEASE);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}
