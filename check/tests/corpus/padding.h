// Padding: bytes no member covers. Nobody writes them, so they carry old
// memory to the other process and make memcmp lie.
#include <stdint.h>

// Teaches: a 3-byte hole after flag, at 1, the same on every ABI.
struct gap {
	uint8_t flag;
	uint32_t value;
};

// Teaches: tail padding: 3 bytes at the end, at 5.
struct tail {
	uint32_t value;
	uint8_t flag;
};
