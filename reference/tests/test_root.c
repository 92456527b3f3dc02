// A second mapper starts from the header's named roots, and distrusts every byte of it.
// Source: shmlab/root.h (pinned header layout); shm_overview(7)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab/root.h"
#include "header.h"

// A named region, so the second view comes through open() as a peer's would.
struct fx {
	char name[SHMLAB_NAME_MAX];
	struct shmlab_region r[2];
	struct shmlab_view v[2];
	struct shmlab_header *h;        // v[0]'s header, for poking at it
};

// Raw system calls: cleanup must not depend on the code under test.
static int
teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		if (f->v[i].base)
			munmap(f->v[i].base, f->v[i].size);
		if (f->r[i].fd >= 0)
			close(f->r[i].fd);
	}
	if (f->name[0] && shm_unlink(f->name) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	f.r[0].fd = f.r[1].fd = -1;
	*state = &f;
	if (shmlab_region_random_name(f.name, sizeof f.name) < 0)
		return -1;
	if (shmlab_region_create(&f.r[0], f.name, 4 * (uint64_t)sysconf(_SC_PAGESIZE)) < 0
	    || shmlab_region_map(&f.r[0], NULL, &f.v[0]) < 0) {
		teardown(state);        // cmocka skips teardown when setup fails
		return -1;
	}
	f.h = (struct shmlab_header *)f.v[0].base;
	return 0;
}

// What another process does: open by name, map wherever it lands.
static void
open_second_view(struct fx *f)
{
	assert_int_equal(shmlab_region_open(&f->r[1], f->name), 0);
	assert_int_equal(shmlab_region_map(&f->r[1], NULL, &f->v[1]), 0);
	assert_ptr_not_equal(f->v[1].base, f->v[0].base);
}

static int
used_slots(const struct shmlab_header *h)
{
	int n = 0;

	for (int i = 0; i < SHMLAB_ROOTS; i++)
		n += h->roots[i].state != SHMLAB_ROOT_FREE;
	return n;
}

static void
format_then_check(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_int_equal(shmlab_check(&f->v[0]), 0);
	assert_int_equal(f->h->magic, SHMLAB_MAGIC);
	assert_int_equal(f->h->layout, SHMLAB_LAYOUT);
	assert_int_equal(f->h->size, f->v[0].size);
	assert_errno(shmlab_root_get(&f->v[0], "anything", &off), ENOENT);
}

// A fresh region is all zero; nothing may be read from it or written to it.
static void
unformatted_is_eproto(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_errno(shmlab_check(&f->v[0]), EPROTO);
	assert_errno(shmlab_root_get(&f->v[0], "x", &off), EPROTO);
	assert_errno(shmlab_root_set(&f->v[0], "x", SHMLAB_HEADER_SIZE), EPROTO);
	for (size_t i = 0; i < SHMLAB_HEADER_SIZE; i++)
		assert_int_equal(f->v[0].base[i], 0);
}

static void
other_layout_is_eproto(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	f->h->layout = SHMLAB_LAYOUT + 1;
	assert_errno(shmlab_check(&f->v[0]), EPROTO);
	f->h->layout = SHMLAB_LAYOUT;
	f->h->magic ^= 1;
	assert_errno(shmlab_check(&f->v[0]), EPROTO);
}

// The region grew after format: the header's size no longer matches a new view.
static void
size_mismatch_is_einval(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_int_equal(ftruncate(f->r[0].fd, (off_t)(2 * f->v[0].size)), 0);
	open_second_view(f);
	assert_int_equal(f->v[1].size, 2 * f->v[0].size);
	assert_errno(shmlab_check(&f->v[1]), EINVAL);
	assert_int_equal(shmlab_check(&f->v[0]), 0);
}

// No room for a header. memfd: r[1] carries no name of its own.
static void
too_small_for_header(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r[1], NULL, SHMLAB_HEADER_SIZE - 1), 0);
	assert_int_equal(shmlab_region_map(&f->r[1], NULL, &f->v[1]), 0);
	assert_errno(shmlab_format(&f->v[1]), EINVAL);
	assert_errno(shmlab_check(&f->v[1]), EPROTO);
}

static void
set_then_get(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_int_equal(shmlab_root_set(&f->v[0], "alpha", SHMLAB_HEADER_SIZE), 0);
	assert_int_equal(shmlab_root_set(&f->v[0], "beta", f->v[0].size - 1), 0);
	assert_int_equal(shmlab_root_get(&f->v[0], "alpha", &off), 0);
	assert_int_equal(off, SHMLAB_HEADER_SIZE);
	assert_int_equal(shmlab_root_get(&f->v[0], "beta", &off), 0);
	assert_int_equal(off, f->v[0].size - 1);
	assert_errno(shmlab_root_get(&f->v[0], "gamma", &off), ENOENT);
	assert_errno(shmlab_root_get(&f->v[0], "alph", &off), ENOENT);
}

// The first writer wins; the second must not shadow or overwrite it.
static void
duplicate_is_eexist(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_int_equal(shmlab_root_set(&f->v[0], "x", 1024), 0);
	assert_errno(shmlab_root_set(&f->v[0], "x", 2048), EEXIST);
	assert_int_equal(shmlab_root_get(&f->v[0], "x", &off), 0);
	assert_int_equal(off, 1024);
}

// 24 bytes hold 23 characters and the NUL; a longer lookup must not match a prefix.
static void
name_too_long(void **state)
{
	struct fx *f = *state;
	char name23[] = "abcdefghijklmnopqrstuvw", name24[] = "abcdefghijklmnopqrstuvwx";
	shmlab_off off;

	assert_int_equal(strlen(name23), SHMLAB_ROOT_NAME - 1);
	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_errno(shmlab_root_set(&f->v[0], name24, 1024), ENAMETOOLONG);
	assert_int_equal(shmlab_root_set(&f->v[0], name23, 1024), 0);
	assert_int_equal(shmlab_root_get(&f->v[0], name23, &off), 0);
	assert_int_equal(off, 1024);
	assert_int_equal(shmlab_root_get(&f->v[0], name24, &off), -1);
}

static void
table_full_is_enospc(void **state)
{
	struct fx *f = *state;
	char name[SHMLAB_ROOT_NAME];
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	for (int i = 0; i < SHMLAB_ROOTS; i++) {
		snprintf(name, sizeof name, "root%d", i);
		assert_int_equal(shmlab_root_set(&f->v[0], name, SHMLAB_HEADER_SIZE + (shmlab_off)i), 0);
	}
	assert_errno(shmlab_root_set(&f->v[0], "one-too-many", 1024), ENOSPC);
	for (int i = 0; i < SHMLAB_ROOTS; i++) {
		snprintf(name, sizeof name, "root%d", i);
		assert_int_equal(shmlab_root_get(&f->v[0], name, &off), 0);
		assert_int_equal(off, SHMLAB_HEADER_SIZE + (shmlab_off)i);
	}
}

// A refused root must not take a slot either.
static void
offset_out_of_range(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_errno(shmlab_root_set(&f->v[0], "end", f->v[0].size), ERANGE);
	assert_errno(shmlab_root_set(&f->v[0], "max", UINT64_MAX), ERANGE);
	assert_errno(shmlab_root_get(&f->v[0], "end", &off), ENOENT);
	assert_int_equal(used_slots(f->h), 0);
}

// The whole point: published through one view, found through a peer's.
static void
found_through_other_view(void **state)
{
	struct fx *f = *state;
	shmlab_off off;
	void *p;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	memcpy(f->v[0].base + 2048, "payload", 8);
	assert_int_equal(shmlab_root_set(&f->v[0], "data", 2048), 0);
	open_second_view(f);
	assert_int_equal(shmlab_check(&f->v[1]), 0);
	assert_int_equal(shmlab_root_get(&f->v[1], "data", &off), 0);
	assert_int_equal(off, 2048);
	assert_int_equal(shmlab_off_to_ptr(&f->v[1], off, 8, &p), 0);
	assert_ptr_equal(p, f->v[1].base + 2048);
	assert_string_equal(p, "payload");
}

// The header is shared memory too: an offset a peer scribbled must not be handed out.
static void
corrupt_offset_is_erange(void **state)
{
	struct fx *f = *state;
	shmlab_off bad[] = { f->v[0].size, f->v[0].size + 1, UINT64_C(1) << 40, UINT64_MAX };
	struct shmlab_root *slot = NULL;
	shmlab_off off;

	assert_int_equal(shmlab_format(&f->v[0]), 0);
	assert_int_equal(shmlab_root_set(&f->v[0], "x", 1024), 0);
	for (int i = 0; i < SHMLAB_ROOTS; i++)
		if (strcmp(f->h->roots[i].name, "x") == 0)
			slot = &f->h->roots[i];
	assert_non_null(slot);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		slot->off = bad[i];
		assert_errno(shmlab_root_get(&f->v[0], "x", &off), ERANGE);
	}
	assert_int_equal(shmlab_root_set(&f->v[0], "x", 2048), -1);       // no second "x"
	assert_int_equal(used_slots(f->h), 1);
	slot->off = f->v[0].size - 1;
	assert_int_equal(shmlab_root_get(&f->v[0], "x", &off), 0);
	assert_int_equal(off, f->v[0].size - 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(format_then_check),
		T(unformatted_is_eproto),
		T(other_layout_is_eproto),
		T(size_mismatch_is_einval),
		T(too_small_for_header),
		T(set_then_get),
		T(duplicate_is_eexist),
		T(name_too_long),
		T(table_full_is_enospc),
		T(offset_out_of_range),
		T(found_through_other_view),
		T(corrupt_offset_is_erange),
	};

	return cmocka_run_group_tests_name("root", tests, NULL, NULL);
}
