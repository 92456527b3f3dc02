// Fuzz target: following self-relative fields a peer wrote (relptr.c). The
// view is the fuzzer's bytes; every field in it is tried. A dereference
// either refuses or lands wholly inside the view.
#include "must.h"
#include <stdint.h>
#include <string.h>

#include "shmlab/relptr.h"

static unsigned char bytes[512] __attribute__((aligned(8)));

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmlab_view v = { bytes, sizeof bytes };
	uint64_t len;
	void *p;

	if (size < 8)
		return 0;
	memcpy(&len, data, 8);
	len %= sizeof bytes + 16;
	memset(bytes, 0, sizeof bytes);
	memcpy(bytes, data + 8, size - 8 < sizeof bytes ? size - 8 : sizeof bytes);
	for (size_t at = 0; at + sizeof(shmlab_rel) <= sizeof bytes; at += 8) {
		if (shmlab_rel_get(&v, (const shmlab_rel *)(bytes + at), len, &p) < 0 || p == NULL)
			continue;
		MUST((unsigned char *)p >= v.base && (uint64_t)((unsigned char *)p - v.base) + len <= v.size);
	}
	return 0;
}
