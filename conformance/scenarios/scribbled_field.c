/*
 * A peer that damages one field at a time (issue: reliability).
 *
 * 03-contract-scribbled-field: scribbled-region damages everything at once,
 * so the first bad magic number makes every call refuse, and the code behind
 * it is never reached. Here worker 0, alone, damages one 8-byte word at a
 * time, with every call of the contract that reads it in between, and puts
 * it back. It knows nothing of the library's layout. The words are:
 *
 *   - every word of the first PREFIX bytes: the header (the first
 *     SHMLAB_HEADER_SIZE bytes, the library's) and the start of the heap,
 *     where an allocator keeps its description;
 *   - the first two words of every block the scenario freed, and the two
 *     words before every block it holds or freed, unless a live block has
 *     them: where an allocator keeps its links and its block headers.
 *
 * Each word in turn takes each hostile value (0, all ones, the region's size:
 * an offset just past the end, the size less 8 and less 64: an offset whose
 * table would run past the end, its own offset, an offset far away, the
 * value it had plus and minus one, and with the top bit of each 32-bit half
 * flipped: a count or an index gone huge), and then check, root_get,
 * root_set, alloc and free are called. Each may fail, with -1 and an errno
 * its header names; one that succeeds must give a result inside the region:
 * root_get an offset below its size, alloc a block inside the heap, aligned
 * as asked. alloc asks for two blocks of each size before freeing either,
 * aligned to the power of two that holds the size: the second is the block
 * a damaged link of a free list names. root_set of an offset past the end
 * and free of one must fail whatever the damage, and so must root_set of a
 * name that root_get just refused with ERANGE: found, so taken. Nothing may
 * crash or hang.
 *
 * After each value the whole region is put back as it was (a copy taken
 * before the first word), since a call that succeeded may have written
 * anywhere the library keeps its state; after each word the region must
 * work again: check, the root, an alloc and its free. So a library that
 * keeps what it read from a damaged region, outside the region, fails too.
 * Every other worker then reads the blocks through each of its views.
 *
 * The work is the same in every run (nothing depends on the seed) and
 * bounded: some 1,300 words, 10 values each, the region put back each time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define SIZE     (384u << 10)   // the region, all of it heap but the header
#define PREFIX   8192u          // every word of these first bytes is damaged in turn
#define PER_SIZE 8              // blocks allocated of each size; the odd ones are freed
#define NSIZES   3
#define MAXB     (NSIZES * PER_SIZE + 1)
#define ROOT     "scribbled-field"
#define NEW_ROOT "scribbled-new"

static const uint64_t sizes[NSIZES] = { 16, 48, 1000 };

struct block {
	shmlab_off off;
	uint64_t size;
};

// What prepare made: the live blocks (the table of them last) and the freed.
struct held {
	struct block live[MAXB], freed[MAXB];
	int nlive, nfreed;
	shmlab_off table;
};

static unsigned char
byte_of(shmlab_off off, uint64_t i)
{
	return (unsigned char)(off * 13 + i * 7);
}

static int
tagged(const struct shmlab_view *v, const struct block *b)
{
	for (uint64_t i = 0; i < b->size; i++)
		if (v->base[b->off + i] != byte_of(b->off, i))
			return 0;
	return 1;
}

// The table published under ROOT: a count, then the live blocks.
static int
publish(struct worker *w, const struct shmlab_view *v, struct held *h)
{
	uint64_t len = (uint64_t)(h->nlive + 1) * sizeof(struct block);
	struct block *table;

	if (SUCCEEDS(w, w->impl->alloc(v, len, 8, &h->table), "alloc of the table") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, h->table, len, (void **)&table), "off_to_ptr of the table") < 0)
		return -1;
	table[0] = (struct block){ .size = (uint64_t)h->nlive };
	memcpy(table + 1, h->live, (size_t)h->nlive * sizeof *table);
	h->live[h->nlive++] = (struct block){ h->table, len };
	return SUCCEEDS(w, w->impl->root_set(v, ROOT, h->table), "root_set(\"" ROOT "\")");
}

// Blocks of each size, every other one freed again; the rest tagged.
static int
build(struct worker *w, const struct shmlab_view *v, struct held *h)
{
	if (contract_heap(w, v) < 0)
		return -1;
	for (int s = 0; s < NSIZES; s++)
		for (int k = 0; k < PER_SIZE; k++) {
			struct block b = { 0, sizes[s] };
			if (SUCCEEDS(w, w->impl->alloc(v, b.size, 8, &b.off), "alloc") < 0)
				return -1;
			if (b.off < SHMLAB_HEADER_SIZE || b.off > v->size || b.size > v->size - b.off)
				return fail(w, "alloc(%llu) gave offset %#llx, outside the heap",
				    (unsigned long long)b.size, (unsigned long long)b.off);
			if (k % 2 == 0) {
				for (uint64_t i = 0; i < b.size; i++)
					v->base[b.off + i] = byte_of(b.off, i);
				h->live[h->nlive++] = b;
			} else if (SUCCEEDS(w, w->impl->free(v, b.off), "free") < 0)
				return -1;
			else
				h->freed[h->nfreed++] = b;
		}
	return publish(w, v, h);
}

static int
in_live(const struct held *h, uint64_t at)
{
	for (int i = 0; i < h->nlive; i++)
		if (at >= h->live[i].off && at - h->live[i].off < h->live[i].size)
			return 1;
	return 0;
}

static int
overlaps_live(const struct held *h, shmlab_off off, uint64_t size)
{
	for (int i = 0; i < h->nlive; i++)
		if (off < h->live[i].off + h->live[i].size && h->live[i].off < off + size)
			return 1;
	return 0;
}

// The words to damage, in order, each once: marks them in a bitmap of the
// region's words.
static void
mark(unsigned char *bits, const struct held *h, uint64_t at)
{
	if (at % 8 == 0 && at + 8 <= SIZE && !in_live(h, at) && !in_live(h, at + 7))
		bits[at / 64] |= (unsigned char)(1u << (at / 8 % 8));
}

static void
choose_words(unsigned char *bits, const struct held *h)
{
	for (uint64_t at = 0; at < PREFIX; at += 8)
		mark(bits, h, at);
	for (int i = 0; i < h->nfreed; i++)
		for (uint64_t k = 0; k < 2; k++) {
			mark(bits, h, h->freed[i].off + 8 * k);
			mark(bits, h, h->freed[i].off - 8 * (k + 1));
		}
	for (int i = 0; i < h->nlive; i++)
		for (uint64_t k = 0; k < 2; k++)
			mark(bits, h, h->live[i].off - 8 * (k + 1));
}

// ---------------------------------------------------------------- one value

// One word damaged: where, with what, and whether check then refused the
// region as not formatted (EPROTO). A region check does not recognise has
// no header, so no root and no heap: root_get, root_set, alloc and free
// must refuse it with EPROTO too (root.h, alloc.h).
struct damage {
	uint64_t at, value;
	int unformatted;
};

static const int check_errs[] = { EPROTO, EINVAL, 0 };
static const int get_errs[] = { ENOENT, EPROTO, ERANGE, 0 };
static const int set_errs[] = { ENAMETOOLONG, EEXIST, ENOSPC, ERANGE, EPROTO, 0 };
static const int alloc_errs[] = { EINVAL, ENOMEM, EPROTO, 0 };
static const int free_errs[] = { EINVAL, EPROTO, 0 };
static const int no_header[] = { EPROTO, 0 };

// Checks the result of one call of a damaged region: success (unless the
// region is unformatted, or may_succeed is 0), or -1 with an errno of
// allowed (no_header's, if unformatted).
static int
answered(struct worker *w, const struct damage *d, int rc, int err, const int *allowed, int may_succeed,
    const char *what)
{
	char names[80] = "";

	if (d->unformatted && allowed != check_errs)
		allowed = no_header, may_succeed = 0;
	if (rc == 0 && may_succeed)
		return 0;
	for (int i = 0; allowed[i]; i++)
		if (rc == -1 && err == allowed[i])
			return 0;
	for (int i = 0; allowed[i]; i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", errname(allowed[i]));
	return fail(w, "with the word at %#llx set to %#llx%s: %s returned %d%s%s; expected %s-1 with %s%s",
	    (unsigned long long)d->at, (unsigned long long)d->value, d->unformatted ? " (check: EPROTO)" : "", what,
	    rc, rc ? " with " : "", rc ? errname(err) : "", may_succeed ? "0, or " : "",
	    allowed[1] ? "one of " : "", names);
}

#define ANSWERS(w, d, errs, may, call, what) \
	(errno = 0, check_rc = (call), answered((w), (d), check_rc, errno, (errs), (may), (what)))

static int
roots_answer(struct worker *w, const struct shmlab_view *v, const struct held *h, struct damage *d)
{
	const struct impl *im = w->impl;
	shmlab_off off = 0;

	if (ANSWERS(w, d, check_errs, 1, im->check(v), "check") < 0)
		return -1;
	d->unformatted = check_rc == -1 && errno == EPROTO;
	if (ANSWERS(w, d, get_errs, 1, im->root_get(v, ROOT, &off), "root_get") < 0)
		return -1;
	if (check_rc == 0 && off >= v->size)
		return fail(w, "with the word at %#llx set to %#llx: root_get gave offset %#llx, outside the region "
		    "of %#llx bytes", (unsigned long long)d->at, (unsigned long long)d->value, (unsigned long long)off,
		    (unsigned long long)v->size);
	// A name root_get finds, with an offset it refuses, is still taken.
	if (check_rc == -1 && errno == ERANGE && ANSWERS(w, d, set_errs, 0, im->root_set(v, ROOT, h->table),
	    "root_set(\"" ROOT "\"), a name root_get refused with ERANGE") < 0)
		return -1;
	if (ANSWERS(w, d, set_errs, 1, im->root_set(v, NEW_ROOT, h->table), "root_set") < 0)
		return -1;
	return ANSWERS(w, d, set_errs, 0, im->root_set(v, "scribbled-past", v->size),
	    "root_set(the region's size: past the end)");
}

// One alloc of size, aligned to align: *off, or 0 if it failed as allowed.
static int
alloc_answers(struct worker *w, const struct shmlab_view *v, const struct damage *d, uint64_t size,
    uint64_t align, shmlab_off *off)
{
	*off = 0;
	if (ANSWERS(w, d, alloc_errs, 1, w->impl->alloc(v, size, align, off), "alloc") < 0)
		return -1;
	if (check_rc < 0) {
		*off = 0;
		return 0;
	}
	if (*off > v->size || size > v->size - *off || *off % align)
		return fail(w, "with the word at %#llx set to %#llx: alloc(%llu, align %llu) gave offset %#llx: not "
		    "inside the region, or not aligned", (unsigned long long)d->at, (unsigned long long)d->value,
		    (unsigned long long)size, (unsigned long long)align, (unsigned long long)*off);
	return 0;
}

// Two blocks of size, aligned to the power of two that holds it, both
// held before either is freed: the second is the one a damaged link
// names, when the first was taken from a free list.
static int
two_blocks_answer(struct worker *w, const struct shmlab_view *v, const struct damage *d, uint64_t size)
{
	uint64_t align = 16;
	shmlab_off off[2];

	while (align < size && align < SHMLAB_ALLOC_ALIGN)
		align *= 2;
	if (alloc_answers(w, v, d, size, align, &off[0]) < 0 || alloc_answers(w, v, d, size, align, &off[1]) < 0)
		return -1;
	for (int i = 1; i >= 0; i--)
		if (off[i] && ANSWERS(w, d, free_errs, 1, w->impl->free(v, off[i]), "free of a block alloc gave") < 0)
			return -1;
	return 0;
}

static int
heap_answers(struct worker *w, const struct shmlab_view *v, const struct held *h, const struct damage *d)
{
	static const uint64_t more[] = { 16, 48, 1000, 4000 };
	const struct impl *im = w->impl;

	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		if (two_blocks_answer(w, v, d, more[i]) < 0)
			return -1;
	if (ANSWERS(w, d, free_errs, 1, im->free(v, h->freed[0].off), "free of a block freed already") < 0
	    || ANSWERS(w, d, free_errs, 1, im->free(v, h->live[0].off), "free of a live block") < 0
	    || ANSWERS(w, d, free_errs, 0, im->free(v, v->size), "free(the region's size: past the end)") < 0
	    || ANSWERS(w, d, free_errs, 0, im->free(v, UINT64_MAX - 15), "free(2^64 - 16)") < 0)
		return -1;
	return 0;
}

// ---------------------------------------------------------------- one word

static int
works_again(struct worker *w, const struct shmlab_view *v, const struct held *h, uint64_t at)
{
	const struct impl *im = w->impl;
	shmlab_off off;

	if (SUCCEEDS(w, im->check(v), "check after the region was put back") < 0
	    || SUCCEEDS(w, im->root_get(v, ROOT, &off), "root_get after the region was put back") < 0)
		return -1;
	if (off != h->table)
		return fail(w, "once the word at %#llx was put back: root_get gave %#llx, expected %#llx",
		    (unsigned long long)at, (unsigned long long)off, (unsigned long long)h->table);
	if (SUCCEEDS(w, im->alloc(v, 48, 16, &off), "alloc after the region was put back") < 0)
		return -1;
	if (off < SHMLAB_HEADER_SIZE || off > v->size - 48 || overlaps_live(h, off, 48))
		return fail(w, "once the word at %#llx was put back: alloc gave %#llx, over a live block or outside "
		    "the heap", (unsigned long long)at, (unsigned long long)off);
	return SUCCEEDS(w, im->free(v, off), "free after the region was put back");
}

// Puts the region back as the copy has it, word by word, storing only the
// words that differ. A call on a damaged region writes a few words at most,
// so this is a read of the region, not a copy of it: the rule puts the
// region back some 13,000 times. Not instrumented by ThreadSanitizer, whose
// check of every byte of a 384 KiB memcpy was nine tenths of the rule's time
// there; only this process touches the region while it scribbles.
__attribute__((no_sanitize("thread")))
static void
put_back(const struct shmlab_view *v, const unsigned char *pristine)
{
	const word64 *from = (const word64 *)pristine;
	word64 *to = (word64 *)v->base;

	for (uint64_t i = 0; i < v->size / 8; i++)
		if (to[i] != from[i])
			to[i] = from[i];
}

static int
damage_word(struct worker *w, const struct shmlab_view *v, const struct held *h, const unsigned char *pristine,
    uint64_t at)
{
	word64 *word = (word64 *)(v->base + at);
	uint64_t old = *word;
	const uint64_t values[] = { 0, ~UINT64_C(0), v->size, at, UINT64_C(1) << 40, old + 1, old - 1,
		v->size - 8, v->size - 64, old ^ UINT64_C(0x8000000080000000) };

	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		uint64_t value = values[i];
		if (value == old)
			continue;
		struct damage d = { at, value, 0 };
		*word = value;
		if (roots_answer(w, v, h, &d) < 0 || heap_answers(w, v, h, &d) < 0)
			return -1;
		put_back(v, pristine);
	}
	return works_again(w, v, h, at);
}

static int
scribble(struct worker *w, const struct shmlab_view *v)
{
	static struct held h;
	static unsigned char bits[SIZE / 64];
	unsigned char *pristine;
	int rc = 0;

	if (build(w, v, &h) < 0)
		return -1;
	if ((pristine = malloc(v->size)) == NULL)
		return fail(w, "no memory for a copy of the region");
	memcpy(pristine, v->base, v->size);
	choose_words(bits, &h);
	for (uint64_t at = 0; at < SIZE && rc == 0; at += 8)
		if (bits[at / 64] & (1u << (at / 8 % 8)))
			rc = damage_word(w, v, &h, pristine, at);
	free(pristine);
	return rc;
}

// Every worker, through each view: the root, and every block intact.
static int
read_blocks(struct worker *w, const struct shmlab_view *v)
{
	struct block *table;
	shmlab_off at;
	uint64_t n;

	if (SUCCEEDS(w, w->impl->root_get(v, ROOT, &at), "root_get(\"" ROOT "\")") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof *table, (void **)&table), "off_to_ptr of the table") < 0)
		return -1;
	n = table[0].size;
	if (n >= MAXB || SUCCEEDS(w, w->impl->off_to_ptr(v, at, (n + 1) * sizeof *table, (void **)&table),
	    "off_to_ptr of the whole table") < 0)
		return n >= MAXB ? fail(w, "the table says %llu blocks", (unsigned long long)n) : -1;
	for (uint64_t i = 1; i <= n; i++)
		if (table[i].off > v->size || table[i].size > v->size - table[i].off || !tagged(v, &table[i]))
			return fail(w, "the block at %#llx (%llu bytes) is not as worker 0 left it", (unsigned long long)
			    table[i].off, (unsigned long long)table[i].size);
	return 0;
}

const struct scenario contract_scribbled_field = {
	.name = "03-contract-scribbled-field",
	.summary = "each word of the header and the heap's start damaged in turn: every call fails cleanly or "
	    "stays inside the region",
	.handout = "labs/03-offsets/README.md#an-offset-is-input",
	.rule = "scribbled-field",
	.region_size = SIZE,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = scribble,
	.run = read_blocks,
};
