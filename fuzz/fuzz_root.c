// Fuzz target: reading a region header a peer may have scribbled on
// (root.c). A formatted header is overwritten with the fuzzer's bytes at the
// place they name; check and every lookup then either refuse or return an
// offset inside the region.
#include "must.h"
#include <stdint.h>
#include <string.h>

#include "shmlab/root.h"

static unsigned char bytes[8192] __attribute__((aligned(64)));
static const char *const names[] = { "list", "heap", "a", "", "a-name-of-twenty-three-" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmlab_view v = { bytes, sizeof bytes };
	shmlab_off off;
	size_t at;

	if (size < 2)
		return 0;
	memset(bytes, 0, sizeof bytes);
	if (shmlab_format(&v) < 0 || shmlab_root_set(&v, "list", 2048) < 0)
		return 0;
	at = (size_t)data[0] * 4 % SHMLAB_HEADER_SIZE;         // where the scribble starts
	size -= 1;
	memcpy(bytes + at, data + 1, size < SHMLAB_HEADER_SIZE - at ? size : SHMLAB_HEADER_SIZE - at);
	(void)shmlab_check(&v);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (shmlab_root_get(&v, names[i], &off) == 0)
			MUST(off < v.size);
	return 0;
}
