// Things that hold one process's state: a thread id names a thread of its
// process only; a jmp_buf holds its stack and code addresses.
#include <stdint.h>
#include <setjmp.h>
#ifndef _WIN32
#include <pthread.h>

// Teaches: process-local, once for each member; and, their sizes being the
// ABI's, abi-layout where both Linux ABIs are checked (abi-type is not also
// reported for a process-local member: it may not be shared at any size).
struct worker_slot {
	pthread_t thread;
	uint64_t pad_free_count;
	jmp_buf resume;
};
#endif
