// shmlab-bench built without Boost: its figures are not measured.
#include "bench.h"

double boost_chase_ns(const uint32_t *order, uint64_t nodes, int reps) { (void)order; (void)nodes; (void)reps; return -1; }
int boost_alloc_create(const char *name, uint64_t size) { (void)name; (void)size; return -1; }
void boost_alloc_remove(const char *name) { (void)name; }
int boost_alloc_open(const char *name, void *at) { (void)name; (void)at; return -1; }
int boost_alloc_pairs(uint64_t pairs, uint64_t seed) { (void)pairs; (void)seed; return -1; }
