// The region header and its table of named roots (see root.h for the layout
// and how a root is published so that readers never see half of one).
#include <errno.h>
#include <string.h>

#include "header.h"

static struct shmlab_header *
header_of(const struct shmlab_view *v)
{
	struct shmlab_header *h = (struct shmlab_header *)v->base;

	if (v->size < SHMLAB_HEADER_SIZE || h->magic != SHMLAB_MAGIC || h->layout != SHMLAB_LAYOUT) {
		errno = EPROTO;
		return NULL;
	}
	return h;
}

int
shmlab_format(const struct shmlab_view *v)
{
	struct shmlab_header *h = (struct shmlab_header *)v->base;

	if (v->size < SHMLAB_HEADER_SIZE) {
		errno = EINVAL;
		return -1;
	}
	memset(h, 0, SHMLAB_HEADER_SIZE);
	h->layout = SHMLAB_LAYOUT;
	h->size = v->size;
	__atomic_store_n(&h->magic, SHMLAB_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int
shmlab_check(const struct shmlab_view *v)
{
	struct shmlab_header *h = header_of(v);

	if (h == NULL)
		return -1;
	if (h->size != v->size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

// Compares a stored name without trusting it to be terminated.
static int
name_is(const struct shmlab_root *root, const char *name)
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
		struct shmlab_root *root = &h->roots[i];
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
		__atomic_store_n(&root->off, off, __ATOMIC_RELAXED);
		__atomic_store_n(&root->state, SHMLAB_ROOT_PUBLISHED, __ATOMIC_RELEASE);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}
