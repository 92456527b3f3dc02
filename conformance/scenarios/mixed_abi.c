/*
 * One layout on every ABI (CONTRACT.md, "One layout on every ABI").
 *
 * 03-contract-mixed-abi: the odd-numbered workers are i386 programs, which
 * load the i386 build of the library under test (harness/other_abi.h); the
 * even ones, worker 0 included, are x86-64 programs. Worker 0 makes the
 * region a heap, allocates a board and a list of NODES nodes linked by
 * offsets, each node and its payload from alloc, and publishes roots: the
 * board, and NAMED of the nodes. Then every worker, 32- and 64-bit at once,
 * finds the roots, walks the list and checks every node worker 0 made;
 * lines up with the others; and links nodes of its own onto the list's head
 * with a compare-and-swap on the board's 8-aligned head word, each followed
 * by a burst of short-lived blocks allocated, stamped, checked and freed, so
 * that allocs and frees of both ABIs race. It publishes a root naming its
 * first node. Worker 0 then walks the whole list: every node there once and
 * intact, every worker's count exact, every root found with its offset, no
 * two live blocks overlapping.
 *
 * Whatever the library keeps in the region (its header, root table and
 * heap) is written by one ABI and read by the other, so a field whose size
 * or place differs between them (a long, a size_t, a pointer, a plain
 * uint64_t, which i386 aligns to 4 in a struct, a pthread_mutex_t) breaks a
 * lookup, an alloc or a free. The scenario's own structures keep the rule:
 * fixed-width fields, the 8-byte ones word64.
 *
 * Under `fork` every worker is a copy of worker 0, so all are 64-bit and the
 * run checks no more than the other rules do. Under `double`, each pass
 * through a view links its own nodes (the view is part of the key). Every
 * walk is bounded by the number of nodes that can exist, so a corrupt list
 * ends the check, not the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "stamp.h"

#define BOARD           "mixed-abi-board"
#define NODES           48u             // worker 0's list, made in prepare
#define NAMED           6u              // of them published under a root each
#define BUDGET          8000u           // nodes linked in run, over all workers and views
#define MOST            2000u           // of one worker through one view
#define WORKERS         32u             // the most the harness runs
#define OWN_ROOTS       8               // passes (worker, view) that publish their first node
#define CHURN           4               // short-lived blocks after each node
#define MAGIC           UINT64_C(0x6962612d6465786d)     // "mxed-abi"
#define PREPARED        (UINT64_C(0xff) << 48)          // the keys of worker 0's list
#define LINE_WAIT_NS    1000000000      // how long a worker waits for the others

struct board {
	word64 magic;
	word64 head;            // shmlab_off of the list's first node; changed by compare-and-swap
	uint32_t procs;
	uint32_t views;
	uint32_t per;           // nodes each worker links through each view
	uint32_t arrived[2];    // workers at the starting line, per view
	uint32_t quit;          // set by a worker that failed: nobody waits for it
	uint32_t bits[WORKERS]; // each worker's pointer width, for the messages
};

struct node {
	word64 next;            // shmlab_off of the next node; 0 ends the list
	word64 key;             // worker << 40 | view << 32 | sequence number, or PREPARED | k
	word64 payload;         // shmlab_off of payload_size bytes, the first 8 the key
	uint32_t payload_size;
	uint32_t check;         // derived from the key and the seed
};

_Static_assert(sizeof(struct board) == 168, "the board has one layout on every ABI");
_Static_assert(sizeof(struct node) == 32, "a node has one layout on every ABI");

static uint32_t
check_of(const struct worker *w, uint64_t key)
{
	return (uint32_t)mix64(w->seed ^ key);
}

// A payload's size: 8 to 263 bytes, over six size classes.
static uint32_t
payload_size(const struct worker *w, uint64_t key)
{
	return 8 + (uint32_t)(mix64(~w->seed ^ key) % 256);
}

// A node's owner in words: "worker 1 (32-bit) view 0 #12", or "node 5 of
// worker 0's list".
static const char *
who(const struct board *b, uint64_t key)
{
	static char buf[2][64];
	static int k;
	uint32_t worker = (uint32_t)(key >> 40 & 0xff);

	k ^= 1;
	if ((key & PREPARED) == PREPARED)
		snprintf(buf[k], sizeof buf[k], "node %u of worker 0's list", (unsigned)key);
	else
		snprintf(buf[k], sizeof buf[k], "worker %u (%u-bit) view %u #%u", worker,
		    worker < WORKERS ? b->bits[worker] : 0, (unsigned)(key >> 32 & 0xff), (unsigned)key);
	return buf[k];
}

// The roots: worker 0 names NAMED nodes of its list mixed-abi-node-K, and
// the first passes name their first node mixed-abi-wI-vV.
static void
node_root(char name[SHMLAB_ROOT_NAME], unsigned k)
{
	snprintf(name, SHMLAB_ROOT_NAME, "mixed-abi-node-%02u", k % 100);
}

static void
own_root(char name[SHMLAB_ROOT_NAME], unsigned worker, unsigned view)
{
	snprintf(name, SHMLAB_ROOT_NAME, "mixed-abi-w%02u-v%u", worker % 100, view % 2);
}

// ---------------------------------------------------------------- blocks

static int
payload_intact(struct worker *w, const struct shmlab_view *v, const struct board *b, const struct node *n)
{
	unsigned char *p;
	uint64_t held;
	long at;

	if (w->impl->off_to_ptr(v, n->payload, n->payload_size, (void **)&p) < 0)
		return fail(w, "the payload of %s: offset %#llx, %u bytes, does not resolve: %s", who(b, n->key),
		    (unsigned long long)n->payload, n->payload_size, errname(errno));
	if ((at = stamp_differs(p, n->payload_size, n->key, &held)) == 0)
		return fail(w, "the payload of %s at offset %#llx holds the data of %s: the block was handed out twice",
		    who(b, n->key), (unsigned long long)n->payload, who(b, held));
	if (at > 0)
		return fail(w, "byte %ld of the payload of %s at offset %#llx is %#x, expected %#x: overwritten",
		    at, who(b, n->key), (unsigned long long)n->payload, p[at], stamp_byte(n->key, (uint32_t)at));
	return 0;
}

// Allocates a node and its payload, fills both as key says and pushes the
// node onto the board's list; *at is the node.
static int
link_node(struct worker *w, const struct shmlab_view *v, struct board *b, uint64_t key, shmlab_off *at)
{
	uint32_t size = payload_size(w, key);
	shmlab_off payload;
	uint64_t old;
	struct node *n;
	char what[120];

	snprintf(what, sizeof what, "alloc(%u) for the node of %s", (unsigned)sizeof *n, who(b, key));
	if (SUCCEEDS(w, w->impl->alloc(v, sizeof *n, 8, at), what) < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, *at, sizeof *n, (void **)&n), "off_to_ptr of a node") < 0)
		return -1;
	snprintf(what, sizeof what, "alloc(%u) for the payload of %s", size, who(b, key));
	if (SUCCEEDS(w, w->impl->alloc(v, size, 8, &payload), what) < 0 || stamp(w, v, payload, size, key) < 0)
		return -1;
	*n = (struct node){ .key = key, .payload = payload, .payload_size = size, .check = check_of(w, key) };
	old = __atomic_load_n(&b->head, __ATOMIC_RELAXED);
	do
		n->next = old;
	while (!__atomic_compare_exchange_n(&b->head, &old, *at, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return 0;
}

// Allocates CHURN short-lived blocks, stamps each with key, checks them all
// and frees them.
static int
churn(struct worker *w, const struct shmlab_view *v, const struct board *b, uint64_t key)
{
	shmlab_off off[CHURN];
	word64 *p[CHURN];

	for (int k = 0; k < CHURN; k++) {
		uint32_t size = 16u << (mix64(key + (uint64_t)k) % 5);
		if (SUCCEEDS(w, w->impl->alloc(v, size, 8, &off[k]), "alloc of a short-lived block") < 0
		    || SUCCEEDS(w, w->impl->off_to_ptr(v, off[k], 16, (void **)&p[k]), "off_to_ptr of a short-lived block") < 0)
			return -1;
		p[k][0] = key;
		p[k][1] = ~key ^ (uint64_t)k;
	}
	for (int k = 0; k < CHURN; k++) {
		if (p[k][0] != key || p[k][1] != (~key ^ (uint64_t)k))
			return fail(w, "the short-lived block of %s at offset %#llx now holds the key of %s: the block "
			    "was handed out twice", who(b, key), (unsigned long long)off[k], who(b, p[k][0]));
		if (SUCCEEDS(w, w->impl->free(v, off[k]), "free of a short-lived block") < 0)
			return -1;
	}
	return 0;
}

// ---------------------------------------------------------------- walking the list

enum { NODE, PAYLOAD, THE_BOARD };

struct span { shmlab_off off; uint64_t size; uint64_t key; int kind; };

// What one walk found: which keys, and (for verify) the blocks they hold.
static struct walk {
	unsigned char prepared[NODES];
	unsigned char seen[WORKERS][2][MOST / 8 + 1];
	struct span spans[2 * (BUDGET + NODES) + 1];
	int nspans;
} walked;

// Marks key as found; returns 0, or -1 if it was found already. A key of
// nobody's is -2.
static int
mark_once(const struct board *b, uint64_t key)
{
	uint32_t worker = (uint32_t)(key >> 40 & 0xff), view = (uint32_t)(key >> 32 & 0xff), seq = (uint32_t)key;
	unsigned char *byte, bit;

	if ((key & ~(uint64_t)0xffffffff) == PREPARED && seq < NODES)
		byte = &walked.prepared[seq], bit = 1;
	else if (!(key >> 48) && worker < b->procs && view < b->views && seq < b->per)
		byte = &walked.seen[worker][view][seq / 8], bit = (unsigned char)(1u << seq % 8);
	else
		return -2;
	if (*byte & bit)
		return -1;
	*byte |= bit;
	return 0;
}

// One node found on the list: a key that was linked, once, and intact.
static int
check_node(struct worker *w, const struct shmlab_view *v, const struct board *b, const struct node *n,
    shmlab_off at)
{
	uint64_t key = n->key;

	if (n->check != check_of(w, key))
		return fail(w, "the node at offset %#llx holds key %#llx with check %#x, expected %#x: overwritten "
		    "(a block handed out twice?)", (unsigned long long)at, (unsigned long long)key, n->check,
		    check_of(w, key));
	switch (mark_once(b, key)) {
	case -2:
		return fail(w, "the node at offset %#llx holds key %#llx, which nobody linked", (unsigned long long)at,
		    (unsigned long long)key);
	case -1:
		return fail(w, "%s is on the list twice (again at offset %#llx)", who(b, key), (unsigned long long)at);
	}
	if (n->payload_size != payload_size(w, key))
		return fail(w, "the node of %s says its payload has %u bytes, expected %u", who(b, key),
		    n->payload_size, payload_size(w, key));
	if (payload_intact(w, v, b, n) < 0)
		return -1;
	walked.spans[walked.nspans++] = (struct span){ at, sizeof *n, key, NODE };
	walked.spans[walked.nspans++] = (struct span){ n->payload, n->payload_size, key, PAYLOAD };
	return 0;
}

// Walks the list from its head as this worker sees it now; worker 0's NODES
// nodes must all be on it. Nodes other workers push meanwhile may or may not
// be seen.
static int
walk(struct worker *w, const struct shmlab_view *v, const struct board *b)
{
	uint64_t most = NODES + (uint64_t)b->per * b->procs * b->views, count = 0;
	const struct node *n;

	memset(walked.prepared, 0, sizeof walked.prepared);
	memset(walked.seen, 0, sizeof walked.seen);
	walked.nspans = 0;
	for (shmlab_off at = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE); at; at = n->next) {
		if (++count > most)
			return fail(w, "more than the %llu nodes linked along the list: a cycle", (unsigned long long)most);
		if (w->impl->off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
			return fail(w, "a link to offset %#llx does not resolve: %s", (unsigned long long)at, errname(errno));
		if (check_node(w, v, b, n, at) < 0)
			return -1;
	}
	for (uint32_t k = 0; k < NODES; k++)
		if (!walked.prepared[k])
			return fail(w, "node %u of worker 0's list is not on the list", k);
	return 0;
}

// ---------------------------------------------------------------- roots

static int
found(struct worker *w, const struct shmlab_view *v, const char *name, shmlab_off *at)
{
	char what[80];

	snprintf(what, sizeof what, "root_get(\"%s\")", name);
	return SUCCEEDS(w, w->impl->root_get(v, name, at), what);
}

// The root name must name the node whose key is key.
static int
names_node(struct worker *w, const struct shmlab_view *v, const struct board *b, const char *name, uint64_t key)
{
	const struct node *n;
	shmlab_off at;

	if (found(w, v, name, &at) < 0)
		return -1;
	if (w->impl->off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
		return fail(w, "root \"%s\" gives offset %#llx, which does not resolve: %s", name,
		    (unsigned long long)at, errname(errno));
	if (n->key != key || n->check != check_of(w, key))
		return fail(w, "root \"%s\" gives offset %#llx, which holds key %#llx, not %s", name,
		    (unsigned long long)at, (unsigned long long)n->key, who(b, key));
	return 0;
}

static int
open_board(struct worker *w, const struct shmlab_view *v, struct board **b)
{
	shmlab_off at;

	if (found(w, v, BOARD, &at) < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof **b, (void **)b), "off_to_ptr of the board") < 0)
		return -1;
	if ((*b)->magic != MAGIC || (*b)->per > MOST || (*b)->procs > WORKERS || (*b)->views > 2
	    || (*b)->per * (*b)->procs * (*b)->views > BUDGET)
		return fail(w, "the board at offset %#llx is not what worker 0 wrote", (unsigned long long)at);
	return 0;
}

static int
named_nodes_found(struct worker *w, const struct shmlab_view *v, const struct board *b)
{
	char name[SHMLAB_ROOT_NAME];

	for (unsigned k = 0; k < NAMED; k++) {
		node_root(name, k);
		if (names_node(w, v, b, name, PREPARED | k * (NODES / NAMED)) < 0)
			return -1;
	}
	return 0;
}

// ---------------------------------------------------------------- the scenario

static int
make_board(struct worker *w, const struct shmlab_view *v)
{
	uint32_t per = BUDGET / (uint32_t)(w->procs * w->views);
	char name[SHMLAB_ROOT_NAME];
	shmlab_off at, node[NODES];
	struct board *b;

	if (contract_heap(w, v) < 0
	    || SUCCEEDS(w, w->impl->alloc(v, sizeof *b, 64, &at), "alloc of the board") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof *b, (void **)&b), "off_to_ptr of the board") < 0)
		return -1;
	memset(b, 0, sizeof *b);
	b->magic = MAGIC;
	b->procs = (uint32_t)w->procs;
	b->views = (uint32_t)w->views;
	b->per = per < MOST ? per : MOST;
	b->bits[0] = (uint32_t)sizeof(void *) * 8;
	for (uint32_t k = 0; k < NODES; k++)
		if (link_node(w, v, b, PREPARED | k, &node[k]) < 0)
			return -1;
	for (unsigned k = 0; k < NAMED; k++) {
		node_root(name, k);
		if (SUCCEEDS(w, w->impl->root_set(v, name, node[k * (NODES / NAMED)]), "root_set of a node") < 0)
			return -1;
	}
	return SUCCEEDS(w, w->impl->root_set(v, BOARD, at), "root_set(\"" BOARD "\")");
}

// Waits, bounded, until every worker has reached the starting line,
// allocating and freeing all the while, so that the workers of both ABIs
// use the allocator together whenever they share the processors.
static int
line_up(struct worker *w, const struct shmlab_view *v, struct board *b)
{
	uint32_t *arrived = &b->arrived[w->view];
	uint64_t key = stamp_key(w->index, w->view, 0xfff00000u);
	struct timespec start, now;

	__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned n = 1; __atomic_load_n(arrived, __ATOMIC_ACQUIRE) < b->procs
	    && !__atomic_load_n(&b->quit, __ATOMIC_ACQUIRE); n++) {
		if (churn(w, v, b, key) < 0)
			return -1;
		if (n % 16)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) > LINE_WAIT_NS) {
			__atomic_store_n(&b->quit, 1, __ATOMIC_RELEASE);       // a worker died: go on without it
			break;
		}
	}
	return 0;
}

// Links this pass's nodes, each followed by a churn, and checks them all.
static int
link_own(struct worker *w, const struct shmlab_view *v, struct board *b)
{
	static shmlab_off mine[MOST];
	int slot = w->index * w->views + w->view;
	char name[SHMLAB_ROOT_NAME];
	const struct node *n;

	for (uint32_t seq = 0; seq < b->per; seq++)
		if (link_node(w, v, b, stamp_key(w->index, w->view, seq), &mine[seq]) < 0
		    || churn(w, v, b, stamp_key(w->index, w->view, seq)) < 0)
			return -1;
	if (slot < OWN_ROOTS && b->per > 0) {
		own_root(name, (unsigned)w->index, (unsigned)w->view);
		if (SUCCEEDS(w, w->impl->root_set(v, name, mine[0]), "root_set of this worker's first node") < 0
		    || names_node(w, v, b, name, stamp_key(w->index, w->view, 0)) < 0)
			return -1;
	}
	for (uint32_t seq = 0; seq < b->per; seq++) {
		if (w->impl->off_to_ptr(v, mine[seq], sizeof *n, (void **)&n) < 0)
			return fail(w, "the node of %s at %#llx no longer resolves", who(b, stamp_key(w->index, w->view, seq)),
			    (unsigned long long)mine[seq]);
		if (n->key != stamp_key(w->index, w->view, seq) || n->check != check_of(w, n->key))
			return fail(w, "the node of %s at offset %#llx now holds key %#llx: the block was handed out twice",
			    who(b, stamp_key(w->index, w->view, seq)), (unsigned long long)mine[seq],
			    (unsigned long long)n->key);
		if (payload_intact(w, v, b, n) < 0)
			return -1;
	}
	return 0;
}

static int
run_mixed(struct worker *w, const struct shmlab_view *v)
{
	struct board *b;
	int rc;

	if (SUCCEEDS(w, w->impl->check(v), "check") < 0 || open_board(w, v, &b) < 0)
		return -1;
	if (w->index < (int)WORKERS)
		b->bits[w->index] = (uint32_t)sizeof(void *) * 8;
	rc = named_nodes_found(w, v, b) < 0 || walk(w, v, b) < 0 || line_up(w, v, b) < 0
	    || link_own(w, v, b) < 0 ? -1 : 0;
	if (rc < 0)
		__atomic_store_n(&b->quit, 1, __ATOMIC_RELEASE);
	return rc;
}

static int
counts_exact(struct worker *w, const struct board *b)
{
	for (uint32_t i = 0; i < b->procs; i++)
		for (uint32_t view = 0; view < b->views; view++) {
			uint32_t count = 0;
			for (uint32_t seq = 0; seq < b->per; seq++)
				count += (walked.seen[i][view][seq / 8] >> seq % 8) & 1;
			if (count != b->per)
				return fail(w, "worker %u (%u-bit) was to link %u nodes through view %u; the list holds %u "
				    "of them", i, b->bits[i], b->per, view, count);
		}
	return 0;
}

static int
own_roots_found(struct worker *w, const struct shmlab_view *v, const struct board *b)
{
	char name[SHMLAB_ROOT_NAME];

	for (uint32_t i = 0; i < b->procs; i++)
		for (uint32_t view = 0; view < b->views; view++) {
			if (i * b->views + view >= OWN_ROOTS || b->per == 0)
				continue;
			own_root(name, i, view);
			if (names_node(w, v, b, name, stamp_key((int)i, (int)view, 0)) < 0)
				return -1;
		}
	return 0;
}

static int
by_offset(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static const char *
owner(const struct board *b, const struct span *s)
{
	static char buf[2][96];
	static int k;

	k ^= 1;
	if (s->kind == THE_BOARD)
		return "the board";
	snprintf(buf[k], sizeof buf[k], "the %s of %s", s->kind == NODE ? "node" : "payload", who(b, s->key));
	return buf[k];
}

static int
no_overlap(struct worker *w, const struct board *b)
{
	struct span *s = walked.spans;
	int n = walked.nspans;

	qsort(s, (size_t)n, sizeof *s, by_offset);
	for (int i = 1; i < n; i++)
		if (s[i - 1].off + s[i - 1].size > s[i].off)
			return fail(w, "live blocks overlap: %s [%#llx, +%llu) and %s [%#llx, +%llu)", owner(b, &s[i - 1]),
			    (unsigned long long)s[i - 1].off, (unsigned long long)s[i - 1].size, owner(b, &s[i]),
			    (unsigned long long)s[i].off, (unsigned long long)s[i].size);
	return 0;
}

static int
verify_mixed(struct worker *w, const struct shmlab_view *v)
{
	struct board *b;
	shmlab_off at;

	if (SUCCEEDS(w, w->impl->check(v), "check") < 0 || open_board(w, v, &b) < 0
	    || named_nodes_found(w, v, b) < 0 || own_roots_found(w, v, b) < 0
	    || walk(w, v, b) < 0 || counts_exact(w, b) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->ptr_to_off(v, b, sizeof *b, &at), "ptr_to_off of the board") < 0)
		return -1;
	walked.spans[walked.nspans++] = (struct span){ at, sizeof *b, 0, THE_BOARD };
	return no_overlap(w, b);
}

const struct scenario contract_mixed_abi = {
	.name = "03-contract-mixed-abi",
	.summary = "32- and 64-bit workers share one heap and root table: roots, a list by offsets, allocs and frees",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "mixed-abi",
	.region_size = 16 * MiB,
	.flags = CONTRACT | MIXED_ABI,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_board,
	.run = run_mixed,
	.verify = verify_mixed,
};
