// The Boost side of the allocator benchmark (alloc_bench.c): the same
// batches through managed_shared_memory's default allocator, in a segment
// each process opens at its own address.
#include <cstdint>
#include <exception>

#include <boost/interprocess/managed_shared_memory.hpp>

extern "C" {
#include "bench.h"
}

namespace bip = boost::interprocess;

extern "C" int
boost_alloc_create(const char *name, std::uint64_t size)
{
	try {
		bip::managed_shared_memory segment(bip::create_only, name, size);
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}

extern "C" void
boost_alloc_remove(const char *name)
{
	bip::shared_memory_object::remove(name);
}

namespace {
bip::managed_shared_memory *segment;    // a worker's, opened at its own address
}

extern "C" int
boost_alloc_open(const char *name, void *at)
{
	try {
		segment = new bip::managed_shared_memory(bip::open_only, name, at);
		return segment->get_address() == at ? 0 : -1;
	} catch (const std::exception &) {
		return -1;
	}
}

extern "C" int
boost_alloc_pairs(std::uint64_t pairs, std::uint64_t seed)
{
	try {
		void *blocks[64];
		for (std::uint64_t done = 0; done < pairs; done += 64) {
			for (int k = 0; k < 64; k++) {
				seed = seed * 6364136223846793005u + 1442695040888963407u;
				blocks[k] = segment->allocate(16 + (seed >> 33) % 241);
			}
			for (int k = 0; k < 64; k++)
				segment->deallocate(blocks[k]);
		}
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}
