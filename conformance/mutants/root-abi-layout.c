// Mutant: one layout on every ABI: a root slot's offset is a plain uint64_t after implicit padding, at byte 32 on x86-64 and 28 on i386
// Replaces: reference/root.c
// Caught by: 03-contract-mixed-abi
// On x86-64 the slot is the reference's, byte for byte, so every 64-bit
// process agrees with every other and every other rule passes; an i386
// process aligns the plain uint64_t to 4, so it reads the offset from the
// padding and half the real offset, and its slots are 36 bytes, not 40: the
// i386 workers of that scenario cannot look up a root worker 0 published
// (ERANGE or ENOENT), nor can worker 0 look up theirs. Under fork every
// worker is 64-bit, so it passes there.
// Killed under: distinct double same kernel
//
// Everything else is reference/root.c as it stands (see README.md).
#include "shmlab/root.h"

#define shmlab_root_set reference_root_set
#define shmlab_root_get reference_root_get
#include "../../reference/root.c"
#undef shmlab_root_set
#undef shmlab_root_get

// A name that fills its 24 bytes has no NUL (gcc checks strncpy into it).
#if __has_attribute(nonstring)
#define NONSTRING __attribute__((nonstring))
#else
#define NONSTRING
#endif

// MUTANT: the slot as one would write it without the contract's rule: no
// explicit padding, a plain uint64_t that i386 aligns to 4, not 8 (and so,
// unaligned for an 8-byte atomic there, read and written plainly, ordered by
// the state's release and acquire)
struct abi_root {
	char name[SHMLAB_ROOT_NAME] NONSTRING;
	uint32_t state;                 // SHMLAB_ROOT_*; changed only atomically
	uint64_t off;                   // x86-64: 4 bytes of padding before it; i386: none
};

static struct abi_root *
slots_of(struct shmlab_header *h)
{
	return (struct abi_root *)h->roots;
}

static int
abi_name_is(const struct abi_root *root, const char *name)
{
	return strncmp(root->name, name, SHMLAB_ROOT_NAME) == 0;
}

int
shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off)
{
	struct shmlab_header *h = header_of(v);
	shmlab_off found;

	if (h == NULL)
		return -1;
	for (int i = 0; i < SHMLAB_ROOTS; i++) {
		struct abi_root *root = &slots_of(h)[i];
		if (__atomic_load_n(&root->state, __ATOMIC_ACQUIRE) != SHMLAB_ROOT_PUBLISHED
		    || !abi_name_is(root, name))
			continue;
		found = root->off;
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
		struct abi_root *root = &slots_of(h)[i];
		uint32_t expect = SHMLAB_ROOT_FREE;
		if (!__atomic_compare_exchange_n(&root->state, &expect, SHMLAB_ROOT_CLAIMED,
		    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		strncpy(root->name, name, SHMLAB_ROOT_NAME);
		root->off = off;
		__atomic_store_n(&root->state, SHMLAB_ROOT_PUBLISHED, __ATOMIC_RELEASE);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}
