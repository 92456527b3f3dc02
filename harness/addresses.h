// Where each worker maps the region, chosen from a seed so a run replays.
#ifndef SHMLAB_ADDRESSES_H
#define SHMLAB_ADDRESSES_H

#include <stdint.h>
#include "scenario.h"

#define MAX_PROCS 32
#define MAX_VIEWS 2

struct placement {
	int views;                              // 2 under `double`, else 1
	uintptr_t at[MAX_PROCS][MAX_VIEWS];     // 0: the kernel chooses
};

// Fills p for procs workers. low asks for addresses a 32-bit process can
// reach. Returns -1 with a reason in why when the request cannot be met.
int choose_addresses(struct placement *p, enum strategy s, uint64_t seed, int procs,
    uint64_t region_size, int low, char *why, size_t whylen);

// The same, with every base a multiple of align (a power of two, at least the
// page size): Windows maps views only at multiples of its allocation
// granularity, 64 KiB. choose_addresses() is this with the page size.
int choose_addresses_aligned(struct placement *p, enum strategy s, uint64_t seed, int procs,
    uint64_t region_size, int low, uint64_t align, char *why, size_t whylen);

// The next number of a splitmix64 sequence: small, fast, and the same on
// every machine, which is what a replayable seed needs.
uint64_t splitmix64(uint64_t *state);

#endif
