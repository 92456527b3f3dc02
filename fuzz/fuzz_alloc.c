// Fuzz target: the allocator's metadata after a hostile peer (alloc.c). A
// heap with blocks in use is scribbled on where the fuzzer's bytes say, then
// frees of offsets the fuzzer chooses, allocations, a walk over the heap
// (shmlab_heap_check) and its repair (shmlab_heap_recover, which writes) must
// each refuse or succeed without touching memory outside the region:
// AddressSanitizer guards the bytes on both sides.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shmlab/alloc.h"
#include "shmlab/root.h"

#define REGION (512u * 1024)          // the header, the metadata, a 64 KiB page per size class

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char bytes[REGION] __attribute__((aligned(4096)));     // ASan fences a global too
	struct shmlab_view v = { bytes, REGION };
	struct shmlab_heap_stats stats;
	struct shmlab_heap_recovery rec;
	shmlab_off blocks[16], off;
	size_t i = 0;

	memset(bytes, 0, REGION);
	if (shmlab_format(&v) < 0 || shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, REGION - SHMLAB_HEADER_SIZE) < 0)
		abort();
	for (int k = 0; k < 16; k++)
		if (shmlab_alloc(&v, 16u << (k % 6), 8, &blocks[k]) < 0)
			abort();
	// Scribbles: (where, 8 bytes) pairs over the header and the heap's pages.
	while (i + 10 <= size && data[i] != 0xff) {
		uint32_t where = ((uint32_t)data[i] << 8 | data[i + 1]) * 8 % (REGION - 8);
		memcpy(bytes + where, data + i + 2, 8);
		i += 10;
	}
	// Then frees of chosen offsets, allocations, and the walk.
	for (i++; i + 8 <= size; i += 8) {
		memcpy(&off, data + i, 8);
		(void)shmlab_free(&v, off % 2 ? off : blocks[off / 2 % 16]);
		(void)shmlab_alloc(&v, 16 + off % 300, 8, &off);
	}
	(void)shmlab_heap_check(&v, &stats);
	if (shmlab_heap_recover(&v, &rec) == 0 && shmlab_heap_check(&v, &stats) < 0)
		abort();        // what recovery mends must then check clean
	return 0;
}
