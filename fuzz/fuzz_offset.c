// Fuzz target: turning offsets a peer wrote into pointers, and back
// (offset.c). Whatever the bytes, a conversion either refuses or yields a
// range wholly inside the view, and the inline check agrees with the call.
#include "must.h"
#include <stdint.h>
#include <string.h>

#include "shmlab/offset.h"

static unsigned char bytes[4096];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t view_size, off, len;
	struct shmlab_view v = { bytes, 0 };
	void *p;
	shmlab_off back;

	if (size < 24)
		return 0;
	memcpy(&view_size, data, 8);
	memcpy(&off, data + 8, 8);              // what a peer left in the region
	memcpy(&len, data + 16, 8);
	v.size = view_size % (sizeof bytes + 1);
	if (shmlab_off_to_ptr(&v, off, len, &p) == 0) {
		MUST(off == 0 ? p == NULL : (unsigned char *)p >= v.base);
		if (off != 0) {
			MUST(shmlab_off_fits(&v, off, len));
			MUST((uint64_t)((unsigned char *)p - v.base) + len <= v.size);
			MUST(shmlab_ptr_to_off(&v, p, len, &back) == 0 && back == off);
		}
	} else {
		MUST(off != 0 && !shmlab_off_fits(&v, off, len));
	}
	return 0;
}
