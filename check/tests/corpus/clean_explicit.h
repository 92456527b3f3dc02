// What lab 01 teaches: fixed-width members, padding written out, and the
// same bytes on every ABI.
#include <stdint.h>
#include <shmlab/shared_type.h>

// Teaches: no findings at all (exit 0): 24 bytes, the same offsets on every
// ABI (i386-linux aligns it to 4, which moves nothing).
struct reading {
	uint32_t id;
	uint32_t reserved;      // the hole before stamp, named
	uint64_t stamp;
	int32_t celsius;
	uint8_t pad[4];         // the tail, named
};
SHMLAB_SHARED_TYPE(struct reading);

// Teaches: a struct of bytes is aligned to 1 on every ABI, so it may sit at
// any offset in the region. Not marked: checked with --type, its alignment
// is worked out from its members' types, and must come out as 1.
struct name_tag {
	char text[12];
};
