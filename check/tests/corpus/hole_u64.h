// A uint64_t after a uint32_t: 64-bit ABIs and win32 align it to 8 and
// leave a 4-byte hole; i386 Linux aligns it to 4 inside a struct, no hole.
#include <stdint.h>
#include <shmlab/shared_type.h>

// Teaches: b at 8 on x86_64-linux, win64, win32 and at 4 on i386-linux
// (abi-layout); the hole at 4 is padding on every ABI but i386-linux.
struct stamped {
	uint32_t a;
	uint64_t b;
};
SHMLAB_SHARED_TYPE(struct stamped);
