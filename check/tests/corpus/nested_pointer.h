// A pointer three levels down is still a pointer: shmlab-check walks nested
// structs and arrays of structs, and names the member by its path.
#include <stdint.h>
#include <shmlab/shared_type.h>

struct entry {
	uint32_t key;
	uint32_t flags;
	const char *label;      // the pointer: 8 into an entry
};

struct row {
	uint64_t stamp;
	struct entry entries[2];        // the array's first element stands for all
};

// Teaches: the path rows[i].entries[i].label, at 8 + 8 + 8 = 24 on every
// ABI; the pointer's size changes an entry's, so the table is 128 bytes on
// 64 bits and 104 on 32 (abi-layout).
struct table {
	uint64_t count;
	struct row rows[3];
};
SHMLAB_SHARED_TYPE(struct table);
