/*
 * Stamped blocks: a block filled with what identifies its owner, so that a
 * block handed out twice, or written over, shows it to whoever reads it.
 *
 * A key names the owner: worker << 40 | view << 32 | sequence number. A
 * stamped block holds its key in its first 8 bytes and stamp_byte(key, i)
 * at every byte i after them; a block of 8 bytes or more can be stamped.
 * The scenarios in which many processes allocate at once (alloc-concurrent,
 * mixed-abi) stamp every block they are given and check every block they
 * read.
 */
#ifndef SHMLAB_STAMP_H
#define SHMLAB_STAMP_H

#include "check.h"

uint64_t stamp_key(int worker, int view, uint32_t seq);
unsigned char stamp_byte(uint64_t key, uint32_t i);

// Stamps the size bytes at off with key; 0, or fail()'s -1.
int stamp(struct worker *w, const struct shmlab_view *v, shmlab_off off, uint32_t size, uint64_t key);

// Where the size bytes at p differ from key's stamp: -1 nowhere; 0 when
// they hold another key, which *held is then; else the first byte that
// differs.
long stamp_differs(const unsigned char *p, uint32_t size, uint64_t key, uint64_t *held);

#endif
