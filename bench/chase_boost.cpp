// Boost.Interprocess offset_ptr over the same cycle as chase.c: what the
// best-known self-relative pointer costs per hop, measured in the same run.
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <vector>
#include <algorithm>

#include <boost/interprocess/offset_ptr.hpp>

extern "C" {
#include "bench.h"
}

namespace {
struct node {
	boost::interprocess::offset_ptr<node> next;
	std::uint64_t payload;
};
volatile std::uintptr_t sink;
}

extern "C" double
boost_chase_ns(const std::uint32_t *order, std::uint64_t n, int reps)
{
	std::vector<node> nodes(n);
	std::uint64_t hops = std::max<std::uint64_t>(n * 4, 1u << 22);
	double t[REPS_MAX];

	for (std::uint64_t i = 0; i < n; i++)
		nodes[i].next = &nodes[order[i]];
	for (int r = 0; r < reps; r++) {
		node *p = &nodes[0];
		std::uint64_t t0 = now_ns();
		for (std::uint64_t h = 0; h < hops; h++)
			p = p->next.get();
		t[r] = double(now_ns() - t0) / double(hops);
		sink = reinterpret_cast<std::uintptr_t>(p);
	}
	return median(t, reps);
}
