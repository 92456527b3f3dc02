/*
 * The header (layout.h) and its named roots.
 *
 * format writes the header with the magic last (release), so a process that
 * sees the magic (acquire) sees the rest. A root is added under the region's
 * lock (lock.c): the name is looked for, then a free slot filled and
 * published, all in one critical section, so a name is taken at most once
 * even when two processes add it at the same moment. Lookups take no lock:
 * a slot's state is read with acquire, so a reader that sees it published
 * sees its name and offset. A process that dies while adding leaves a slot
 * either published or free (state is written last): the section is
 * crash-safe, and the next process takes the lock over (lock.c).
 *
 * A slot is input like the rest of the region: its name is compared within
 * SHMLAB_ROOT_NAME bytes, NUL or not, and its offset is checked against the
 * view before it is returned.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"

struct ind_header *
ind_header_of(const struct shmlab_view *v)
{
	struct ind_header *h = (struct ind_header *)v->base;

	if (v->size < SHMLAB_HEADER_SIZE || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != IND_MAGIC
	    || h->layout != IND_LAYOUT || __atomic_load_n(&h->size, __ATOMIC_RELAXED) != v->size) {
		errno = EPROTO;
		return NULL;
	}
	return h;
}

int
shmlab_format(const struct shmlab_view *v)
{
	struct ind_header *h = (struct ind_header *)v->base;

	if (v->size < SHMLAB_HEADER_SIZE) {
		errno = EINVAL;
		return -1;
	}
	memset(v->base, 0, SHMLAB_HEADER_SIZE);
	h->layout = IND_LAYOUT;
	h->size = v->size;
	__atomic_store_n(&h->magic, IND_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int
shmlab_check(const struct shmlab_view *v)
{
	const struct ind_header *h = (const struct ind_header *)v->base;

	if (v->size < SHMLAB_HEADER_SIZE || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != IND_MAGIC
	    || h->layout != IND_LAYOUT) {
		errno = EPROTO;
		return -1;
	}
	if (__atomic_load_n(&h->size, __ATOMIC_RELAXED) != v->size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

// The published slot named name, or NULL. len is strlen(name) < SHMLAB_ROOT_NAME.
static struct ind_root *
find(struct ind_header *h, const char *name, size_t len)
{
	for (int i = 0; i < IND_ROOTS; i++) {
		struct ind_root *s = &h->root[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == ROOT_PUBLISHED
		    && memcmp(s->name, name, len) == 0 && s->name[len] == '\0')
			return s;
	}
	return NULL;
}

// strlen(name), or -1 (ENAMETOOLONG) if it does not fit a slot with its NUL.
static int
name_length(const char *name, size_t *len)
{
	*len = strnlen(name, SHMLAB_ROOT_NAME);
	if (*len == SHMLAB_ROOT_NAME) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

// Under the lock: EEXIST, else the first free slot filled and published.
static int
add(struct ind_header *h, const char *name, size_t len, shmlab_off off)
{
	if (find(h, name, len)) {
		errno = EEXIST;
		return -1;
	}
	for (int i = 0; i < IND_ROOTS; i++) {
		struct ind_root *s = &h->root[i];
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != ROOT_FREE)
			continue;
		memset(s->name, 0, sizeof s->name);
		memcpy(s->name, name, len);
		__atomic_store_n(&s->off, off, __ATOMIC_RELAXED);
		__atomic_store_n(&s->state, ROOT_PUBLISHED, __ATOMIC_RELEASE);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}

int
shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off)
{
	struct ind_header *h;
	size_t len;
	int rc;

	if ((h = ind_header_of(v)) == NULL || name_length(name, &len) < 0)
		return -1;
	if (off >= v->size) {
		errno = ERANGE;
		return -1;
	}
	if (ind_lock(&h->lock) < 0)
		return -1;
	rc = add(h, name, len, off);
	ind_unlock(&h->lock);
	return rc;
}

int
shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off)
{
	struct ind_header *h;
	struct ind_root *s;
	shmlab_off got;
	size_t len;

	if ((h = ind_header_of(v)) == NULL)
		return -1;
	if (name_length(name, &len) < 0 || (s = find(h, name, len)) == NULL) {
		errno = ENOENT;         // a name too long for a slot is in none
		return -1;
	}
	got = __atomic_load_n(&s->off, __ATOMIC_RELAXED);
	if (got >= v->size) {
		errno = ERANGE;
		return -1;
	}
	*off = got;
	return 0;
}
