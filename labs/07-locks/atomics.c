// 07-atomic-struct-broken and 07-lock-free-word-fixed: three counters that
// must always sum to TOTAL, moved about by every worker at once.
//
// C11 lets any type be _Atomic, but only lock-free atomics work between
// processes: 7.17.5 recommends that lock-free operations be address-free,
// and promises nothing for the rest. GCC compiles an _Atomic struct of 24
// bytes, too big for one instruction, into calls to libatomic, which guards
// it with a lock from a table inside libatomic: inside each process. Worker
// 1's lock does not stop worker 2, so one's load reads half of another's
// store, and two stores interleave into a state that is neither.
//
// The fix keeps the three counters in one 64-bit word, which the processor
// updates in one instruction (lock cmpxchg on x86-64), checked lock-free at
// compile time and again at run time.
#include <assert.h>
#include <string.h>

#include "locks.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

// Clang warns that the 24-byte atomic below is not lock-free
// (-Watomic-alignment): the very fact this lesson shows. The broken version
// must build to be shown; the fixed one has no such atomic.
#ifdef __clang__
#pragma clang diagnostic ignored "-Watomic-alignment"
#endif

#define TOTAL   3000            // a + b + c, always
#define MOVE_MS 700             // how long each worker moves counters, once all have started

// ANCHOR: struct
struct counters {
	uint64_t a, b, c;       // a + b + c == TOTAL
};

struct shared_counters {
	_Atomic struct counters n;      // BROKEN: 24 bytes, not lock-free: libatomic locks it, per process
	_Atomic uint32_t started;
};
SHMLAB_SHARED_TYPE(struct shared_counters);
// ANCHOR_END: struct

// ANCHOR: word
// A 64-bit word, naturally aligned (an _Atomic one is, on every ABI), is
// always lock-free here. C11's ATOMIC_LLONG_LOCK_FREE says 2 on x86-64 but 1
// under clang for i386, where a long long may be aligned to 4 (lab 01).
static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0), "a 64-bit word is lock-free here");

struct shared_word {
	_Atomic uint64_t n;     // FIXED: a, b, c as 16 bits each, in one lock-free word
	_Atomic uint32_t started;
	uint32_t pad;           // explicit, so that no byte is the ABI's (lab 01)
};
SHMLAB_SHARED_TYPE(struct shared_word);

#define FIELD(n, i)     (((n) >> (16 * (i))) & 0xffff)
// ANCHOR_END: word

// Every worker moves counters for the same MOVE_MS, all at once: a worker
// that started late must not find the others done. Returns the end of the
// moves (now_ms), or -1.
static int64_t
start_together(struct worker *w, _Atomic uint32_t *started)
{
	if (w->view == w->views - 1) {  // the first pass (under `double`, two)
		atomic_fetch_add(started, 1);
		if (wait_word(started, (uint32_t)w->procs, HANDSHAKE_MS) < 0)
			return fail(w, "the other workers did not start");
	}
	return now_ms() + MOVE_MS;
}

// Moves one unit from one counter to another, chosen by the round; a
// counter at zero gives nothing.
static void
move(uint64_t f[3], unsigned round)
{
	unsigned from = round % 3, to = (round + 1) % 3;

	if (f[from] > 0) {
		f[from]--;
		f[to]++;
	}
}

static int
fill_struct(struct worker *w, const struct shmlab_view *v)
{
	struct shared_counters *s = (struct shared_counters *)v->base;

	(void)w;
	atomic_store(&s->n, ((struct counters){ TOTAL, 0, 0 }));
	return 0;
}

// ANCHOR: move-struct
static int
move_struct(struct worker *w, const struct shmlab_view *v)
{
	struct shared_counters *s = (struct shared_counters *)v->base;
	int64_t end = start_together(w, &s->started);

	for (unsigned i = 0; now_ms() < end; i++) {
		struct counters old = atomic_load(&s->n), new = old;   // BROKEN: not atomic between processes
		uint64_t f[3] = { old.a, old.b, old.c };

		if (old.a + old.b + old.c != TOTAL)
			return fail(w, "read a = %llu, b = %llu, c = %llu, which sum to %llu, not %d: torn, "
			    "since libatomic locks a 24-byte atomic inside each process",
			    (unsigned long long)old.a, (unsigned long long)old.b, (unsigned long long)old.c,
			    (unsigned long long)(old.a + old.b + old.c), TOTAL);
		move(f, i + (unsigned)w->index);
		new = (struct counters){ f[0], f[1], f[2] };
		atomic_compare_exchange_strong(&s->n, &old, new);
	}
	return 0;
}
// ANCHOR_END: move-struct

static int
fill_word(struct worker *w, const struct shmlab_view *v)
{
	struct shared_word *s = (struct shared_word *)v->base;

	if (!atomic_is_lock_free(&s->n))
		return fail(w, "a 64-bit atomic here is not lock-free");
	atomic_store(&s->n, TOTAL);
	return 0;
}

// ANCHOR: move-word
static int
move_word(struct worker *w, const struct shmlab_view *v)
{
	struct shared_word *s = (struct shared_word *)v->base;
	int64_t end = start_together(w, &s->started);

	if (!atomic_is_lock_free(&s->n))        // FIXED: checked where it runs, too
		return fail(w, "a 64-bit atomic here is not lock-free");
	for (unsigned i = 0; now_ms() < end; i++) {
		uint64_t old = atomic_load(&s->n);
		uint64_t f[3] = { FIELD(old, 0), FIELD(old, 1), FIELD(old, 2) };

		if (f[0] + f[1] + f[2] != TOTAL)
			return fail(w, "read counters summing to %llu, not %d",
			    (unsigned long long)(f[0] + f[1] + f[2]), TOTAL);
		move(f, i + (unsigned)w->index);
		atomic_compare_exchange_strong(&s->n, &old, f[0] | f[1] << 16 | f[2] << 32);
	}
	return 0;
}
// ANCHOR_END: move-word

static int
check_struct(struct worker *w, const struct shmlab_view *v)
{
	struct counters n = atomic_load(&((struct shared_counters *)v->base)->n);

	if (n.a + n.b + n.c != TOTAL)
		return fail(w, "after every move, a + b + c = %llu, not %d: two stores interleaved",
		    (unsigned long long)(n.a + n.b + n.c), TOTAL);
	return 0;
}

static int
check_word(struct worker *w, const struct shmlab_view *v)
{
	uint64_t n = atomic_load(&((struct shared_word *)v->base)->n);

	if (FIELD(n, 0) + FIELD(n, 1) + FIELD(n, 2) != TOTAL)
		return fail(w, "after every move, the counters sum to %llu, not %d",
		    (unsigned long long)(FIELD(n, 0) + FIELD(n, 1) + FIELD(n, 2)), TOTAL);
	return 0;
}

const struct scenario lab07_atomic_struct_broken = {
	.name = "07-atomic-struct-broken",
	.summary = "an _Atomic struct too big to be lock-free, updated by several processes",
	.handout = "labs/07-locks/README.md#atomics-that-are-not-address-free",
	.region_size = 4096,
	.caught_under = ALL_STRATEGIES,
	.prepare = fill_struct,
	.run = move_struct,
	.verify = check_struct,
};

const struct scenario lab07_lock_free_word_fixed = {
	.name = "07-lock-free-word-fixed",
	.summary = "the same counters packed into one lock-free 64-bit word",
	.handout = "labs/07-locks/README.md#the-fix-lock-free-words-only",
	.region_size = 4096,
	.passes_under = ALL_STRATEGIES,
	.prepare = fill_word,
	.run = move_word,
	.verify = check_word,
};
