// Stamped blocks (see stamp.h).
#include <string.h>

#include "stamp.h"

uint64_t
stamp_key(int worker, int view, uint32_t seq)
{
	return (uint64_t)worker << 40 | (uint64_t)view << 32 | seq;
}

unsigned char
stamp_byte(uint64_t key, uint32_t i)
{
	return (unsigned char)(key * 131 + i * 7 + (key >> 32) * 17 + (key >> 40) * 59);
}

int
stamp(struct worker *w, const struct shmlab_view *v, shmlab_off off, uint32_t size, uint64_t key)
{
	unsigned char *p;

	if (SUCCEEDS(w, w->impl->off_to_ptr(v, off, size, (void **)&p), "off_to_ptr of a payload alloc gave") < 0)
		return -1;
	memcpy(p, &key, 8);
	for (uint32_t i = 8; i < size; i++)
		p[i] = stamp_byte(key, i);
	return 0;
}

long
stamp_differs(const unsigned char *p, uint32_t size, uint64_t key, uint64_t *held)
{
	memcpy(held, p, 8);
	if (*held != key)
		return 0;
	for (uint32_t i = 8; i < size; i++)
		if (p[i] != stamp_byte(key, i))
			return (long)i;
	return -1;
}
