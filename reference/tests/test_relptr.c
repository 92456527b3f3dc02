// A self-relative reference survives any mapping address, and a hostile one never becomes a pointer.
// Source: Boost.Interprocess offset_ptr; MapViewOfFileEx documentation
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab/relptr.h"

// One memfd region seen through two views: no name to leak.
struct fx {
	struct shmlab_region r;
	struct shmlab_view a, b, c;
	unsigned char *after;           // a zero, read-only page right after c
	size_t afterlen;
};

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->a.base)
		munmap(f->a.base, f->a.size);
	if (f->b.base)
		munmap(f->b.base, f->b.size);
	if (f->c.base)
		munmap(f->c.base, f->c.size);
	if (f->after)
		munmap(f->after, f->afterlen);
	if (f->r.fd >= 0)
		close(f->r.fd);
	return 0;
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	f.r.fd = -1;
	*state = &f;
	if (shmlab_region_create(&f.r, NULL, 2 * (uint64_t)sysconf(_SC_PAGESIZE)) < 0
	    || shmlab_region_map(&f.r, NULL, &f.a) < 0
	    || shmlab_region_map(&f.r, NULL, &f.b) < 0) {
		teardown(state);        // cmocka skips teardown when setup fails
		return -1;
	}
	return 0;
}

static shmlab_rel *
field(const struct shmlab_view *v, uint64_t off)
{
	return (shmlab_rel *)(v->base + off);
}

static void *
at(const struct shmlab_view *v, int64_t off)
{
	return (void *)((uintptr_t)v->base + (uintptr_t)off);  // no UB for off < 0
}

// View c, followed by a zero page: a field read past c's end would pass for
// NULL, not fault or read garbage; a write past it would fault.
static void
map_c_before_zero_page(struct fx *f)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = f->r.size;
	unsigned char *x = mmap(NULL, size + page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(x != MAP_FAILED);
	f->after = x + size;
	f->afterlen = page;
	assert_int_equal(munmap(x, size), 0);
	assert_int_equal(shmlab_region_map(&f->r, x, &f->c), 0);
	assert_ptr_equal(f->c.base, x);
}

// Forward, backward, and to byte 0: the sign of the distance must not matter.
static void
round_trip(void **state)
{
	struct fx *f = *state;
	shmlab_rel *fp = field(&f->a, 64);
	uint64_t targets[] = { 1000, 8, 0, 72, f->a.size - 1 };

	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		void *out;

		assert_int_equal(shmlab_rel_set(&f->a, fp, f->a.base + targets[i]), 0);
		assert_int_equal(*fp, (int64_t)targets[i] - 64);
		assert_int_equal(shmlab_rel_get(&f->a, fp, 1, &out), 0);
		assert_ptr_equal(out, f->a.base + targets[i]);
	}
}

// Zero-filled memory must read as NULL references.
static void
null_is_zero(void **state)
{
	struct fx *f = *state;
	shmlab_rel *fp = field(&f->a, 64);
	void *out = &out;

	assert_int_equal(shmlab_rel_get(&f->a, fp, 8, &out), 0);
	assert_null(out);
	assert_int_equal(shmlab_rel_set(&f->a, fp, f->a.base + 1000), 0);
	assert_int_equal(shmlab_rel_set(&f->a, fp, NULL), 0);
	assert_int_equal(*fp, 0);
	out = &out;
	assert_int_equal(shmlab_rel_get(&f->a, fp, 8, &out), 0);
	assert_null(out);
}

// Distance 0 is NULL, so a field naming itself cannot be stored.
static void
self_is_einval(void **state)
{
	struct fx *f = *state;
	shmlab_rel *fp = field(&f->a, 64);

	assert_errno(shmlab_rel_set(&f->a, fp, fp), EINVAL);
}

static void
target_outside_view(void **state)
{
	struct fx *f = *state;
	shmlab_rel *fp = field(&f->a, 64);
	int local;

	assert_errno(shmlab_rel_set(&f->a, fp, at(&f->a, -1)), ERANGE);
	assert_errno(shmlab_rel_set(&f->a, fp, at(&f->a, (int64_t)f->a.size + 1)), ERANGE);
	assert_errno(shmlab_rel_set(&f->a, fp, &local), ERANGE);
	assert_errno(shmlab_rel_set(&f->a, fp, f->b.base + 100), ERANGE);
}

// The field is checked before it is touched, all eight bytes of it.
static void
field_outside_view(void **state)
{
	struct fx *f = *state;
	shmlab_rel local = 8, *straddle;
	void *out;

	assert_errno(shmlab_rel_set(&f->a, &local, f->a.base + 100), ERANGE);
	assert_errno(shmlab_rel_set(&f->a, &local, NULL), ERANGE);
	assert_errno(shmlab_rel_get(&f->a, &local, 1, &out), ERANGE);
	map_c_before_zero_page(f);
	straddle = at(&f->c, (int64_t)f->c.size - 4);
	assert_errno(shmlab_rel_get(&f->c, straddle, 1, &out), ERANGE);
	assert_errno(shmlab_rel_set(&f->c, straddle, f->c.base + 100), ERANGE);
	assert_errno(shmlab_rel_set(&f->c, straddle, NULL), ERANGE);
}

// A peer wrote these. Each must fail, never yield a pointer off the view.
static void
hostile_values(void **state)
{
	struct fx *f = *state;
	int64_t size = (int64_t)f->a.size;
	struct { uint64_t from; int64_t rel; uint64_t len; } bad[] = {
		{ 64, INT64_MIN, 1 },
		{ 64, INT64_MIN + 1, 1 },
		{ 64, INT64_MAX, 1 },
		{ 64, INT64_MAX, 0 },
		{ 64, size - 64, 1 },           // one past the end
		{ 64, size - 64 - 4, 8 },       // starts inside, ends outside
		{ 64, 8, UINT64_MAX },
		{ 64, -65, 1 },                 // one before the base
		{ 0, -1, 0 },
		{ 0, INT64_MIN, 0 },
		{ (uint64_t)size - 8, 8, 1 },
		{ (uint64_t)size - 8, -size, 1 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		shmlab_rel *fp = field(&f->a, bad[i].from);
		void *out;

		*fp = bad[i].rel;
		assert_errno(shmlab_rel_get(&f->a, fp, bad[i].len, &out), ERANGE);
	}
}

// The edges of hostile_values that are legal, so the check is exact, not merely strict.
static void
edge_values(void **state)
{
	struct fx *f = *state;
	int64_t size = (int64_t)f->a.size;
	struct { uint64_t from; int64_t rel; uint64_t len; } ok[] = {
		{ 64, -64, 1 },                 // the base
		{ 64, size - 64, 0 },           // the end, holding nothing
		{ 64, size - 65, 1 },           // the last byte
		{ (uint64_t)size - 8, 8, 0 },
		{ (uint64_t)size - 8, 8 - size, (uint64_t)size },
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		shmlab_rel *fp = field(&f->a, ok[i].from);
		void *out;

		*fp = ok[i].rel;
		assert_int_equal(shmlab_rel_get(&f->a, fp, ok[i].len, &out), 0);
		assert_ptr_equal(out, f->a.base + ok[i].from + ok[i].rel);
	}
}

// The whole point: written through one view, read through another elsewhere.
static void
survives_other_view(void **state)
{
	struct fx *f = *state;
	void *out;

	assert_ptr_not_equal(f->a.base, f->b.base);
	assert_int_equal(shmlab_rel_set(&f->a, field(&f->a, 128), f->a.base + 2048), 0);
	memcpy(f->a.base + 2048, "found", 6);
	assert_int_equal(shmlab_rel_get(&f->b, field(&f->b, 128), 6, &out), 0);
	assert_ptr_equal(out, f->b.base + 2048);
	assert_string_equal(out, "found");
	assert_errno(shmlab_rel_get(&f->b, field(&f->a, 128), 6, &out), ERANGE);
}

// Its meaning is tied to where it sits: a copy points elsewhere.
static void
copy_moves_target(void **state)
{
	struct fx *f = *state;
	void *out;

	assert_int_equal(shmlab_rel_set(&f->a, field(&f->a, 128), f->a.base + 2048), 0);
	memcpy(field(&f->a, 256), field(&f->a, 128), sizeof(shmlab_rel));
	assert_int_equal(shmlab_rel_get(&f->a, field(&f->a, 256), 1, &out), 0);
	assert_ptr_equal(out, f->a.base + 2048 + 128);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(round_trip),
		T(null_is_zero),
		T(self_is_einval),
		T(target_outside_view),
		T(field_outside_view),
		T(hostile_values),
		T(edge_values),
		T(survives_other_view),
		T(copy_moves_target),
	};

	return cmocka_run_group_tests_name("relptr", tests, NULL, NULL);
}
