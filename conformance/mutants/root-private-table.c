// Mutant: points at private memory: the table of named roots lives in the process, not in the region
// Replaces: reference/root.c
// Caught by: 03-contract-named-root
// That scenario publishes roots in worker 0 and looks them up in every other
// worker, and worker 0 looks up the roots the others added; a table in each
// process's own memory is seen by nobody else, so those lookups fail with
// ENOENT (under fork too: the children get a copy of worker 0's table, but
// worker 0 never sees what they add to theirs).
// Killed under: distinct double fork same kernel
//
// Everything else is reference/root.c as it stands (see README.md).
#include "shmlab/root.h"

#define shmlab_root_set reference_root_set
#define shmlab_root_get reference_root_get
#include "../../reference/root.c"
#undef shmlab_root_set
#undef shmlab_root_get

// MUTANT: a static array of this process, where the header's table belongs
static struct shmlab_root table[SHMLAB_ROOTS];

int
shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off)
{
	shmlab_off found;

	if (header_of(v) == NULL)
		return -1;
	for (int i = 0; i < SHMLAB_ROOTS; i++) {
		struct shmlab_root *root = &table[i];
		if (__atomic_load_n(&root->state, __ATOMIC_ACQUIRE) != SHMLAB_ROOT_PUBLISHED
		    || !name_is(root, name))
			continue;
		found = __atomic_load_n(&root->off, __ATOMIC_RELAXED);
		if (found >= v->size) {
			errno = ERANGE;
			return -1;
		}
		*off = found;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

int
shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off)
{
	shmlab_off unused;

	if (header_of(v) == NULL)
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
		struct shmlab_root *root = &table[i];
		uint32_t expect = SHMLAB_ROOT_FREE;
		if (!__atomic_compare_exchange_n(&root->state, &expect, SHMLAB_ROOT_CLAIMED,
		    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		strncpy(root->name, name, SHMLAB_ROOT_NAME);
		__atomic_store_n(&root->off, off, __ATOMIC_RELAXED);
		__atomic_store_n(&root->state, SHMLAB_ROOT_PUBLISHED, __ATOMIC_RELEASE);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}
