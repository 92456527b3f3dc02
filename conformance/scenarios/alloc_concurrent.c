/*
 * The allocator (alloc.h), every process at once.
 *
 * 03-contract-alloc-concurrent: worker 0 makes the region a heap and puts a
 * hash table of BUCKETS list heads in it. Then every worker, all at the same
 * time, inserts its share of entries: each entry is a node and a payload,
 * both from alloc, filled with what identifies their owner, and pushed onto
 * its bucket with a compare-and-swap on the head's offset. Every third
 * payload is freed and allocated again, and every entry comes with a burst
 * of short-lived blocks allocated, stamped, checked and freed, so allocs and
 * frees of different processes race. The entries go in ROUNDS rounds; at the
 * start of each a worker waits for the others, and keeps allocating and
 * freeing while it waits, so that whenever two workers share the processors
 * they race, even on a loaded machine. A block handed out twice is written
 * by two owners: the first to look sees the other's bytes, or the second
 * free of it is refused. At the end each worker checks all it wrote; worker
 * 0 then walks every bucket, counts each worker's entries, checks every byte
 * and that no two live blocks overlap.
 *
 * Under `double`, run is called once per view, and each pass inserts its own
 * entries (the view is part of the key). Every walk is bounded by the number
 * of entries inserted, so a corrupt list ends the check, not the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "stamp.h"

#define BUCKETS 4096
#define BUDGET  24000u          // entries over all workers and views
#define MOST    6000u           // entries of one worker through one view
#define TABLE   "contract-hash"
#define MAGIC   UINT64_C(0x68736168746e6f63)    // "conthash"
#define ROUNDS  8               // each worker inserts its entries in this many rounds
#define LINE_WAIT_NS    1000000000      // how long a worker waits for the others at a line

struct table {
	uint64_t magic;
	uint32_t per;           // entries each worker inserts through each view
	uint32_t procs;
	uint32_t views;
	uint32_t arrived[2][ROUNDS + 1];        // workers at each line, per view
	uint32_t quit;          // set by a worker that failed: nobody waits for it
	shmlab_off bucket[BUCKETS];
};

struct entry {
	shmlab_off next;
	shmlab_off payload;
	uint64_t key;           // worker << 40 | view << 32 | sequence number
	uint32_t payload_size;
	uint32_t check;         // derived from the key and the seed
};

// What this worker inserted through this view, to check it at the end.
struct mine { shmlab_off node, payload; uint32_t size; };

static uint32_t
check_of(const struct worker *w, uint64_t key)
{
	return (uint32_t)mix64(w->seed ^ key);
}

// A payload's size: 8 to 512 bytes; generation 1 is the reallocated one.
static uint32_t
size_of(const struct worker *w, uint64_t key, int generation)
{
	return 8 + (uint32_t)(mix64(~w->seed ^ key ^ (uint64_t)generation << 62) % 505);
}

// Every third entry's payload is reallocated when the next entry is made.
static uint32_t
final_size(const struct worker *w, uint64_t key, uint32_t per)
{
	uint32_t seq = (uint32_t)key;

	return size_of(w, key, seq % 3 == 1 && seq + 1 < per);
}

static const char *
who(uint64_t key)
{
	static char buf[2][48];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "worker %u view %u #%u", (unsigned)(key >> 40),
	    (unsigned)(key >> 32 & 0xff), (unsigned)key);
	return buf[k];
}

// The payload at off must still hold what its owner wrote.
static int
payload_intact(struct worker *w, const struct shmlab_view *v, shmlab_off off, uint32_t size, uint64_t key)
{
	unsigned char *p;
	uint64_t held;
	long at;

	if (w->impl->off_to_ptr(v, off, size, (void **)&p) < 0)
		return fail(w, "payload of %s: offset %#llx, %u bytes, does not resolve: %s", who(key),
		    (unsigned long long)off, size, errname(errno));
	if ((at = stamp_differs(p, size, key, &held)) == 0)
		return fail(w, "payload of %s at offset %#llx holds the data of %s: the block was handed out twice",
		    who(key), (unsigned long long)off, who(held));
	if (at > 0)
		return fail(w, "byte %ld of the payload of %s at offset %#llx is %#x, expected %#x: overwritten",
		    at, who(key), (unsigned long long)off, p[at], stamp_byte(key, (uint32_t)at));
	return 0;
}

static int
node_intact(struct worker *w, const struct entry *e, uint64_t key, shmlab_off at)
{
	if (e->key != key || e->check != check_of(w, key))
		return fail(w, "node of %s at offset %#llx holds the key of %s (check %#x): the block was handed "
		    "out twice", who(key), (unsigned long long)at, who(e->key), e->check);
	return 0;
}

static int
open_table(struct worker *w, const struct shmlab_view *v, struct table **t)
{
	shmlab_off at;

	if (SUCCEEDS(w, w->impl->root_get(v, TABLE, &at), "root_get(\"" TABLE "\")") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof **t, (void **)t), "off_to_ptr of the table") < 0)
		return -1;
	if ((*t)->magic != MAGIC || (*t)->per > MOST || (*t)->procs > 32 || (*t)->views > 2)
		return fail(w, "the table at offset %#llx is not what worker 0 wrote", (unsigned long long)at);
	return 0;
}

static int
make_table(struct worker *w, const struct shmlab_view *v)
{
	uint32_t per = BUDGET / (uint32_t)(w->procs * w->views);
	struct table *t;
	shmlab_off at;

	if (contract_heap(w, v) < 0
	    || SUCCEEDS(w, w->impl->alloc(v, sizeof *t, 64, &at), "alloc of the hash table") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof *t, (void **)&t), "off_to_ptr of the table") < 0)
		return -1;
	memset(t, 0, sizeof *t);
	t->magic = MAGIC;
	t->per = per < MOST ? per : MOST;
	t->procs = (uint32_t)w->procs;
	t->views = (uint32_t)w->views;
	return SUCCEEDS(w, w->impl->root_set(v, TABLE, at), "root_set(\"" TABLE "\")");
}

// Allocates CHURN short-lived blocks of the nodes' size, stamps each with
// key, checks them all and frees them: the lists the nodes come from are
// then popped and pushed by every worker at once, all the time.
#define CHURN 8

static int
churn(struct worker *w, const struct shmlab_view *v, uint64_t key)
{
	shmlab_off off[CHURN];
	word64 *p[CHURN];

	for (int k = 0; k < CHURN; k++) {
		if (SUCCEEDS(w, w->impl->alloc(v, sizeof(struct entry), 8, &off[k]), "alloc of a short-lived block") < 0
		    || SUCCEEDS(w, w->impl->off_to_ptr(v, off[k], 16, (void **)&p[k]), "off_to_ptr of a short-lived block") < 0)
			return -1;
		p[k][0] = key;
		p[k][1] = ~key ^ (uint64_t)k;
	}
	for (int k = 0; k < CHURN; k++) {
		if (p[k][0] != key || p[k][1] != (~key ^ (uint64_t)k))
			return fail(w, "the short-lived block of %s at offset %#llx now holds the key of %s: the block "
			    "was handed out twice", who(key), (unsigned long long)off[k], who(p[k][0]));
		if (SUCCEEDS(w, w->impl->free(v, off[k]), "free of a short-lived block") < 0)
			return -1;
	}
	return 0;
}

// Waits, bounded, until every worker has reached line k, allocating and
// freeing all the while: the workers that wait hammer the allocator together
// with those that still work, whenever they share the processors. Returns
// -1 if the churn found a block handed out twice.
static int
line_up(struct worker *w, const struct shmlab_view *v, struct table *t, int k)
{
	uint32_t *arrived = &t->arrived[w->view][k];
	uint64_t key = stamp_key(w->index, w->view, 0xfff00000u + (uint32_t)k);
	struct timespec start, now;

	__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned n = 1; __atomic_load_n(arrived, __ATOMIC_ACQUIRE) < t->procs
	    && !__atomic_load_n(&t->quit, __ATOMIC_ACQUIRE); n++) {
		if (churn(w, v, key) < 0)
			return -1;
		if (n % 16)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) > LINE_WAIT_NS) {
			__atomic_store_n(&t->quit, 1, __ATOMIC_RELEASE);       // a worker died: go on without it
			break;
		}
	}
	return 0;
}

static int
new_payload(struct worker *w, const struct shmlab_view *v, struct mine *m, uint64_t key, int generation)
{
	char what[96];

	m->size = size_of(w, key, generation);
	snprintf(what, sizeof what, "alloc(%u) for the payload of %s", m->size, who(key));
	if (SUCCEEDS(w, w->impl->alloc(v, m->size, 8, &m->payload), what) < 0)
		return -1;
	return stamp(w, v, m->payload, m->size, key);
}

static int
insert(struct worker *w, const struct shmlab_view *v, struct table *t, struct mine *m, uint64_t key)
{
	shmlab_off *head = &t->bucket[mix64(key) % BUCKETS], old;
	struct entry *e;
	char what[96];

	snprintf(what, sizeof what, "alloc(%u) for the node of %s", (unsigned)sizeof *e, who(key));
	if (SUCCEEDS(w, w->impl->alloc(v, sizeof *e, 8, &m->node), what) < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, m->node, sizeof *e, (void **)&e), "off_to_ptr of a node") < 0
	    || new_payload(w, v, m, key, 0) < 0)
		return -1;
	*e = (struct entry){ .payload = m->payload, .key = key, .payload_size = m->size, .check = check_of(w, key) };
	old = __atomic_load_n(head, __ATOMIC_RELAXED);
	do
		e->next = old;
	while (!__atomic_compare_exchange_n(head, &old, m->node, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return 0;
}

// Frees the payload of an entry already in the table and gives it another.
static int
replace_payload(struct worker *w, const struct shmlab_view *v, struct mine *m, uint64_t key)
{
	struct entry *e;
	char what[96];

	if (payload_intact(w, v, m->payload, m->size, key) < 0)
		return -1;
	snprintf(what, sizeof what, "free of the payload of %s at %#llx", who(key), (unsigned long long)m->payload);
	if (SUCCEEDS(w, w->impl->free(v, m->payload), what) < 0 || new_payload(w, v, m, key, 1) < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, m->node, sizeof *e, (void **)&e), "off_to_ptr of a node") < 0)
		return -1;
	e->payload = m->payload;
	e->payload_size = m->size;
	return 0;
}

static int
insert_round(struct worker *w, const struct shmlab_view *v, struct table *t, struct mine *mine, int round)
{
	uint32_t first = t->per * (uint32_t)round / ROUNDS, end = t->per * (uint32_t)(round + 1) / ROUNDS;

	if (line_up(w, v, t, round) < 0)
		return -1;
	for (uint32_t seq = first; seq < end; seq++) {
		if (insert(w, v, t, &mine[seq], stamp_key(w->index, w->view, seq)) < 0
		    || churn(w, v, stamp_key(w->index, w->view, seq)) < 0)
			return -1;
		if (seq % 3 == 2 && replace_payload(w, v, &mine[seq - 1], stamp_key(w->index, w->view, seq - 1)) < 0)
			return -1;
	}
	return 0;
}

static int
insert_all(struct worker *w, const struct shmlab_view *v)
{
	static struct mine mine[MOST];
	struct table *t;
	struct entry *e;

	if (open_table(w, v, &t) < 0)
		return -1;
	for (int round = 0; round <= ROUNDS; round++)
		if ((round < ROUNDS ? insert_round(w, v, t, mine, round) : line_up(w, v, t, round)) < 0) {
			__atomic_store_n(&t->quit, 1, __ATOMIC_RELEASE);
			return -1;
		}
	for (uint32_t seq = 0; seq < t->per; seq++) {
		uint64_t key = stamp_key(w->index, w->view, seq);
		if (w->impl->off_to_ptr(v, mine[seq].node, sizeof *e, (void **)&e) < 0)
			return fail(w, "the node of %s at %#llx no longer resolves", who(key),
			    (unsigned long long)mine[seq].node);
		if (node_intact(w, e, key, mine[seq].node) < 0
		    || payload_intact(w, v, mine[seq].payload, mine[seq].size, key) < 0)
			return -1;
	}
	return 0;
}

// ---------------------------------------------------------------- verify

enum { NODE, PAYLOAD, THE_TABLE };

struct span { shmlab_off off; uint64_t size; uint64_t key; int kind; };

static struct span spans[2 * BUDGET + 1];
static unsigned char seen[32][2][MOST / 8 + 1];

static int
by_offset(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

// One entry found in bucket b: its key must be one that was inserted, once,
// into this bucket, and its node and payload intact.
static int
check_entry(struct worker *w, const struct shmlab_view *v, const struct table *t, const struct entry *e,
    shmlab_off at, int b, int *n)
{
	uint64_t key = e->key;
	uint32_t worker = (uint32_t)(key >> 40), view = (uint32_t)(key >> 32 & 0xff), seq = (uint32_t)key;

	if (e->check != check_of(w, key))
		return fail(w, "bucket %d: the node at offset %#llx holds key %#llx with check %#x, expected %#x: "
		    "overwritten (a block handed out twice?)", b, (unsigned long long)at, (unsigned long long)key,
		    e->check, check_of(w, key));
	if (worker >= t->procs || view >= t->views || seq >= t->per || (key >> 48))
		return fail(w, "bucket %d: the node at offset %#llx holds key %#llx, which no worker inserted", b,
		    (unsigned long long)at, (unsigned long long)key);
	if (mix64(key) % BUCKETS != (uint64_t)b)
		return fail(w, "bucket %d: the node of %s at offset %#llx belongs in bucket %d", b, who(key),
		    (unsigned long long)at, (int)(mix64(key) % BUCKETS));
	if (seen[worker][view][seq / 8] & (1u << seq % 8))
		return fail(w, "the node of %s is in the table twice (again at offset %#llx)", who(key),
		    (unsigned long long)at);
	seen[worker][view][seq / 8] |= (unsigned char)(1u << seq % 8);
	if (e->payload_size != final_size(w, key, t->per))
		return fail(w, "the node of %s says its payload has %u bytes, expected %u", who(key),
		    e->payload_size, final_size(w, key, t->per));
	if (payload_intact(w, v, e->payload, e->payload_size, key) < 0)
		return -1;
	spans[(*n)++] = (struct span){ at, sizeof *e, key, NODE };
	spans[(*n)++] = (struct span){ e->payload, e->payload_size, key, PAYLOAD };
	return 0;
}

static int
walk_buckets(struct worker *w, const struct shmlab_view *v, const struct table *t, int *n)
{
	uint64_t total = (uint64_t)t->per * t->procs * t->views, walked = 0;
	struct entry *e;

	for (int b = 0; b < BUCKETS; b++)
		for (shmlab_off at = __atomic_load_n(&t->bucket[b], __ATOMIC_ACQUIRE); at; at = e->next) {
			if (++walked > total)
				return fail(w, "more than the %llu entries inserted along the buckets' links: a cycle "
				    "(bucket %d)", (unsigned long long)total, b);
			if (w->impl->off_to_ptr(v, at, sizeof *e, (void **)&e) < 0)
				return fail(w, "bucket %d: a link to offset %#llx does not resolve: %s", b,
				    (unsigned long long)at, errname(errno));
			if (check_entry(w, v, t, e, at, b, n) < 0)
				return -1;
		}
	return 0;
}

static int
counts_exact(struct worker *w, const struct table *t)
{
	for (uint32_t i = 0; i < t->procs; i++)
		for (uint32_t view = 0; view < t->views; view++) {
			uint32_t count = 0;
			for (uint32_t seq = 0; seq < t->per; seq++)
				count += (seen[i][view][seq / 8] >> seq % 8) & 1;
			if (count != t->per)
				return fail(w, "worker %u was to insert %u entries through view %u; the table holds %u of them",
				    i, t->per, view, count);
		}
	return 0;
}

static const char *
owner(const struct span *s)
{
	static char buf[2][64];
	static int k;

	k ^= 1;
	if (s->kind == THE_TABLE)
		return "the hash table";
	snprintf(buf[k], sizeof buf[k], "the %s of %s", s->kind == NODE ? "node" : "payload", who(s->key));
	return buf[k];
}

static int
no_overlap(struct worker *w, int n)
{
	qsort(spans, (size_t)n, sizeof spans[0], by_offset);
	for (int i = 1; i < n; i++)
		if (spans[i - 1].off + spans[i - 1].size > spans[i].off)
			return fail(w, "live blocks overlap: %s [%#llx, +%llu) and %s [%#llx, +%llu)",
			    owner(&spans[i - 1]), (unsigned long long)spans[i - 1].off,
			    (unsigned long long)spans[i - 1].size, owner(&spans[i]),
			    (unsigned long long)spans[i].off, (unsigned long long)spans[i].size);
	return 0;
}

static int
verify_table(struct worker *w, const struct shmlab_view *v)
{
	struct table *t;
	shmlab_off at;
	int n = 0;

	if (open_table(w, v, &t) < 0 || walk_buckets(w, v, t, &n) < 0 || counts_exact(w, t) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->ptr_to_off(v, t, sizeof *t, &at), "ptr_to_off of the table") < 0)
		return -1;
	spans[n++] = (struct span){ at, sizeof *t, 0, THE_TABLE };
	return no_overlap(w, n);
}

const struct scenario contract_alloc_concurrent = {
	.name = "03-contract-alloc-concurrent",
	.summary = "every worker allocates, frees and links entries at once; no block is handed out twice",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-concurrent",
	.region_size = 32 * MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_table,
	.run = insert_all,
	.verify = verify_table,
};
