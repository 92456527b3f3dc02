// An atomic is atomic between processes only if it is lock-free and aligned;
// otherwise libatomic takes a lock that each process keeps for itself.
#include <stdint.h>
#include <shmlab/shared_type.h>

struct triple {
	uint64_t a, b, c;
};

// Teaches: a 24-byte atomic is never lock-free (atomic, error).
struct big_atomic {
	_Atomic struct triple value;
};
SHMLAB_SHARED_TYPE(struct big_atomic);

// Teaches: an 8-byte atomic at offset 1 is not aligned (atomic, error);
// packed, the struct has no padding to blame.
struct __attribute__((packed)) packed_atomic {
	uint8_t tag;
	_Atomic uint64_t count;
};
SHMLAB_SHARED_TYPE(struct packed_atomic);

// Teaches: an aligned 4-byte atomic is lock-free everywhere: clean.
struct counter {
	_Atomic uint32_t hits;
};
SHMLAB_SHARED_TYPE(struct counter);
