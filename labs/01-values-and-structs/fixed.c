// 01-layout-fixed: the same record with its layout pinned. Every field has a
// fixed width, the padding is written out, and the compiler checks the size
// and every offset, so a 32-bit and a 64-bit process read the same bytes the
// same way (C11 7.20.1.1 for the exact-width types, 6.7.10 for static_assert).
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct reading {
	uint8_t kind;
	uint8_t valid;          // FIXED: 0 or 1 in one byte, not a bool
	uint8_t pad[2];         // FIXED: padding made explicit
	int32_t count;          // FIXED: 4 bytes everywhere
	uint64_t owner_id;      // FIXED: an id, not an address
	uint64_t length;        // FIXED: 8 bytes everywhere
	int64_t total;          // FIXED: at offset 24, a multiple of 8, on every ABI
};
SHMLAB_SHARED_TYPE(struct reading);

static_assert(sizeof(struct reading) == 32, "struct reading is 32 bytes on every ABI");
static_assert(offsetof(struct reading, count) == 4, "count is at offset 4");
static_assert(offsetof(struct reading, owner_id) == 8, "owner_id is at offset 8");
static_assert(offsetof(struct reading, length) == 16, "length is at offset 16");
static_assert(offsetof(struct reading, total) == 24, "total is at offset 24");
// ANCHOR_END: layout

static int
write_reading(struct worker *w, const struct shmlab_view *v)
{
	struct reading *r = (struct reading *)v->base;

	(void)w;
	*r = (struct reading){ .kind = 'T', .count = 42, .length = 7, .valid = 1, .total = 1234567890123LL };
	return 0;
}

static int
read_reading(struct worker *w, const struct shmlab_view *v)
{
	const struct reading *r = (const struct reading *)v->base;

	if (r->count != 42 || r->length != 7 || r->total != 1234567890123LL || r->valid != 1)
		return fail(w, "read count=%d length=%llu total=%lld valid=%u", r->count,
		    (unsigned long long)r->length, (long long)r->total, r->valid);
	return 0;
}

const struct scenario lab01_layout_fixed = {
	.name = "01-layout-fixed",
	.summary = "the same record with fixed-width fields and a pinned layout",
	.handout = "labs/01-values-and-structs/README.md#the-fix",
	.region_size = 65536,
	.flags = MIXED_ABI,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_reading,
	.run = read_reading,
};
