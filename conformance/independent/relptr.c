/*
 * Self-relative references: a field holds target minus its own address.
 *
 * The field must lie, all 8 bytes, inside the view; the target too, or be
 * NULL, stored as 0 (so a field cannot name itself: EINVAL). A value read
 * from a field is a peer's input: it is loaded once and turned into an
 * offset from the base by arithmetic that cannot wrap (its magnitude is
 * compared with the room on that side of the field before it is added), and
 * the resulting [target, target + len) is checked like any offset.
 *
 * A field aligned to 8 is loaded and stored atomically, so a peer never
 * sees half of a value; one that is not (legal, if odd) is copied bytewise.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"

// The field's offset in v, or -1 (ERANGE) if its 8 bytes are not inside v.
static int
field_offset(const struct shmlab_view *v, const void *field, uint64_t *off)
{
	uintptr_t at = (uintptr_t)field, base = (uintptr_t)v->base;

	if (at < base || (uint64_t)(at - base) > v->size || v->size - (uint64_t)(at - base) < sizeof(shmlab_rel)) {
		errno = ERANGE;
		return -1;
	}
	*off = (uint64_t)(at - base);
	return 0;
}

// A field aligned to 8, which i386 does not give an int64_t of itself:
// atomics on it are then one instruction on both ABIs.
typedef int64_t aligned_i64 __attribute__((aligned(8)));

static int64_t
load(const shmlab_rel *field)
{
	int64_t d;

	if ((uintptr_t)field % sizeof d == 0)
		return __atomic_load_n((const aligned_i64 *)field, __ATOMIC_ACQUIRE);
	memcpy(&d, (const void *)field, sizeof d);
	return d;
}

static void
store(shmlab_rel *field, int64_t d)
{
	if ((uintptr_t)field % sizeof d == 0)
		__atomic_store_n((aligned_i64 *)field, d, __ATOMIC_RELEASE);
	else
		memcpy((void *)field, &d, sizeof d);
}

int
shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target)
{
	uint64_t from, to;

	if (field_offset(v, field, &from) < 0)
		return -1;
	if (target == NULL) {
		store(field, 0);
		return 0;
	}
	if ((uintptr_t)target < (uintptr_t)v->base || (uint64_t)((uintptr_t)target - (uintptr_t)v->base) > v->size) {
		errno = ERANGE;
		return -1;
	}
	to = (uint64_t)((uintptr_t)target - (uintptr_t)v->base);
	if (to == from) {
		errno = EINVAL;
		return -1;
	}
	// Both lie inside a view smaller than 2^63 bytes: the difference fits.
	store(field, to > from ? (int64_t)(to - from) : -(int64_t)(from - to));
	return 0;
}

int
shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out)
{
	uint64_t from, to, magnitude;
	int64_t d;

	if (field_offset(v, field, &from) < 0)
		return -1;
	if ((d = load(field)) == 0) {
		*out = NULL;
		return 0;
	}
	// |d| without overflow, INT64_MIN included.
	magnitude = d < 0 ? (uint64_t)(-(d + 1)) + 1 : (uint64_t)d;
	if (d < 0 ? magnitude > from : magnitude > v->size - from) {
		errno = ERANGE;
		return -1;
	}
	to = d < 0 ? from - magnitude : from + magnitude;
	if (len > v->size - to) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + to;
	return 0;
}
