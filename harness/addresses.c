/*
 * Choosing mapping addresses.
 *
 * The address space is cut into equal slots; each view gets its own slot and
 * a random page-aligned place inside it, so no two views can overlap and the
 * low bits of the bases differ too (a bug that only shows when bases differ
 * by a multiple of some power of two is still caught).
 *
 * The ranges avoid what Linux puts in a process by default: PIE executables
 * near 0x55..., shared libraries and stacks near 0x7f..., and, for the 64-bit
 * range, the shadow memory of AddressSanitizer (below 0x10007fff8000). The
 * 32-bit range sits below where i386 PIE executables load (0x56...) and above
 * the i386 AddressSanitizer shadow (0x20000000 to 0x3fffffff).
 */
#include <stdio.h>
#include <string.h>

#include "addresses.h"

#define PAGE 4096u

struct range { uintptr_t lo, slot; unsigned slots; };

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHMLAB_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SHMLAB_TSAN 1
#endif

#if UINTPTR_MAX > 0xffffffffu && defined(SHMLAB_TSAN)
// ThreadSanitizer keeps its shadow memory from 0x010000000000 to
// 0x200000000000 and its metadata above, and lets a program use only the
// low 512 GiB, the PIE range and the top: views go in the low range, from
// 64 GiB up (the tsan preset).
static const struct range wide = { (uintptr_t)0x1000000000, (uintptr_t)1 << 30, 448 };
#elif UINTPTR_MAX > 0xffffffffu
static const struct range wide = { (uintptr_t)0x200000000000, (uintptr_t)1 << 30, 49152 };
#else
static const struct range wide = { 0x40000000, (uintptr_t)1 << 24, 21 };
#endif
static const struct range low = { 0x40000000, (uintptr_t)1 << 24, 21 };   // 1 GiB .. 1.3 GiB

uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

// Picks n different slots of r and a place inside each, a multiple of align,
// for a region of size.
static int
pick(const struct range *r, uint64_t *rng, uint64_t size, uint64_t align, int n, uintptr_t *out)
{
	unsigned used[2 * MAX_PROCS];
	uint64_t pages;

	if (size > r->slot || (unsigned)n > r->slots)
		return -1;
	pages = (r->slot - ((size + align - 1) & ~(align - 1))) / align + 1;
	for (int i = 0; i < n; i++) {
		unsigned s;
		int taken;
		do {
			s = (unsigned)(splitmix64(rng) % r->slots);
			taken = 0;
			for (int j = 0; j < i; j++)
				taken |= used[j] == s;
		} while (taken);
		used[i] = s;
		out[i] = r->lo + (uintptr_t)s * r->slot + (uintptr_t)(splitmix64(rng) % pages) * (uintptr_t)align;
	}
	return 0;
}

int
choose_addresses(struct placement *p, enum strategy s, uint64_t seed, int procs,
    uint64_t region_size, int want_low, char *why, size_t whylen)
{
	return choose_addresses_aligned(p, s, seed, procs, region_size, want_low, PAGE, why, whylen);
}

int
choose_addresses_aligned(struct placement *p, enum strategy s, uint64_t seed, int procs,
    uint64_t region_size, int want_low, uint64_t align, char *why, size_t whylen)
{
	const struct range *r = want_low ? &low : &wide;
	uintptr_t chosen[2 * MAX_PROCS];
	uint64_t rng = seed;
	int n;

	memset(p, 0, sizeof *p);
	p->views = s == DOUBLE ? 2 : 1;
	if (s == FORK || s == KERNEL)
		return 0;
	n = s == SAME ? 1 : procs * p->views;
	if (align < PAGE || (align & (align - 1)) || pick(r, &rng, region_size, align, n, chosen) < 0) {
		snprintf(why, whylen, "%d views of %llu bytes do not fit the %s address range",
		    n, (unsigned long long)region_size, want_low ? "32-bit" : "64-bit");
		return -1;
	}
	for (int i = 0; i < procs; i++)
		for (int v = 0; v < p->views; v++)
			p->at[i][v] = chosen[s == SAME ? 0 : i * p->views + v];
	return 0;
}
