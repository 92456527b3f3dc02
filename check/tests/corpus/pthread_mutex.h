// A pthread mutex may be shared only if initialised PTHREAD_PROCESS_SHARED,
// and its size is the C library's: 40 bytes on x86_64 Linux, 24 on i386.
// (Windows has no pthread.h of its own; the type is Linux-only here.)
#include <stdint.h>
#ifndef _WIN32
#include <pthread.h>

// Teaches: a note (pthread-object), and an error for its ABI-chosen size
// (abi-type), which moves count (abi-layout).
struct locked_counter {
	pthread_mutex_t lock;
	uint64_t count;
};
#endif
