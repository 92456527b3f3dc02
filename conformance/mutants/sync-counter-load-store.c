// Mutant: counter_add reads the word and writes the sum back: two atomic steps, not one
// Replaces: reference/sync.c
// Caught by: 07-contract-sync-counter-interleaved
// Each load and each store is atomic, but between them another process
// adds too, and its add is overwritten. That scenario stops worker 0 before
// the store, with worker 1 adding meanwhile, so every run comes out short.
// 07-contract-sync-counter, which only runs the workers side by side,
// catches it when they overlap: on a loaded machine it let it through.
// The same happens with an _Atomic type too large to be lock-free, whose
// lock (libatomic's) is in a table of each process.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/sync.c as it stands (see README.md).
#include "shmlab/sync.h"

#define shmlab_counter_add reference_counter_add
#include "../../reference/sync.c"
#undef shmlab_counter_add

int
shmlab_counter_add(const struct shmlab_view *v, shmlab_off counter, uint64_t delta, uint64_t *before)
{
	word *c = word_at(v, counter, sizeof(word));
	uint64_t was;

	if (c == NULL)
		return -1;
	// MUTANT: a load, then a store of the sum, instead of one fetch-and-add
	was = __atomic_load_n(c, __ATOMIC_SEQ_CST);
	__atomic_store_n(c, was + delta, __ATOMIC_SEQ_CST);
	if (before != NULL)
		*before = was;
	return 0;
}
