// 01-layout-broken: a struct written by a 64-bit process and read by a 32-bit
// one. Every field is a plain value, yet they disagree on where each field
// is, because `long`, `size_t`, pointers, `bool` padding and the alignment
// of `long long` are chosen by each compiler's ABI, not by the C standard.
#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct reading {
	char kind;              // then padding the ABI chooses
	long count;             // BROKEN: 8 bytes on x86-64 (LP64), 4 on i386
	void *owner;            // BROKEN: 8 or 4 bytes, and an address (lab 02)
	size_t length;          // BROKEN: 8 or 4 bytes
	bool valid;             // BROKEN: its size and padding are the ABI's
	long long total;        // BROKEN: aligned to 8 on x86-64, to 4 in i386 structs
};
SHMLAB_SHARED_TYPE(struct reading);   // shmlab-check finds it (docs/shmlab-check.md)
// ANCHOR_END: layout

static int
write_reading(struct worker *w, const struct shmlab_view *v)
{
	struct reading *r = (struct reading *)v->base;

	(void)w;
	*r = (struct reading){ .kind = 'T', .count = 42, .length = 7, .valid = true, .total = 1234567890123LL };
	return 0;
}

// ANCHOR: read
static int
read_reading(struct worker *w, const struct shmlab_view *v)
{
	const struct reading *r = (const struct reading *)v->base;
	const char *abi = sizeof(long) == 8 ? "64-bit (LP64)" : sizeof(void *) == 8 ? "64-bit Windows (LLP64)"
	    : "32-bit (ILP32)";

	if (r->count != 42 || r->length != 7 || r->total != 1234567890123LL)
		return fail(w, "read count=%ld length=%zu total=%lld, expected 42, 7, 1234567890123: "
		    "this %s reader puts count at offset %zu and total at %zu in a %zu-byte struct",
		    r->count, r->length, r->total, abi, offsetof(struct reading, count),
		    offsetof(struct reading, total), sizeof *r);
	return 0;
}
// ANCHOR_END: read

const struct scenario lab01_layout_broken = {
	.name = "01-layout-broken",
	.summary = "a struct of long, size_t, bool and a pointer read by another ABI",
	.handout = "labs/01-values-and-structs/README.md#what-goes-wrong",
	.region_size = 65536,
	.flags = MIXED_ABI,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.tour_under = ONLY(DISTINCT) | ONLY(FORK),
	.prepare = write_reading,
	.run = read_reading,
};
