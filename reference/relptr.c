// Self-relative references: target minus the address of the field itself.
#include <errno.h>

#include "shmlab/relptr.h"

// The offset of p inside v, or -1 if [p, p+len) is not inside v.
static int64_t
offset_in(const struct shmlab_view *v, const void *p, uint64_t len)
{
	uintptr_t base = (uintptr_t)v->base, at = (uintptr_t)p;

	if (at < base || at - base > v->size || len > v->size - (at - base))
		return -1;
	return (int64_t)(at - base);
}

int
shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target)
{
	int64_t from = offset_in(v, field, sizeof *field), to;

	if (from < 0) {
		errno = ERANGE;
		return -1;
	}
	if (target == NULL) {
		__atomic_store_n(field, 0, __ATOMIC_RELAXED);
		return 0;
	}
	if ((to = offset_in(v, target, 0)) < 0) {
		errno = ERANGE;
		return -1;
	}
	if (to == from) {
		errno = EINVAL;         // 0 is NULL: a field cannot name itself
		return -1;
	}
	__atomic_store_n(field, to - from, __ATOMIC_RELAXED);
	return 0;
}

int
shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out)
{
	int64_t from = offset_in(v, field, sizeof *field);
	shmlab_rel rel;
	int64_t to;

	if (from < 0) {
		errno = ERANGE;
		return -1;
	}
	rel = __atomic_load_n(field, __ATOMIC_RELAXED);    // read once: a peer may change it
	if (rel == 0) {
		*out = NULL;
		return 0;
	}
	// from and the size are below 2^63, so only a hostile rel can leave range.
	if ((rel < 0 && -(rel + 1) >= from) || (rel > 0 && (uint64_t)rel > v->size - (uint64_t)from)) {
		errno = ERANGE;
		return -1;
	}
	to = from + rel;
	if (len > v->size - (uint64_t)to) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + to;
	return 0;
}
