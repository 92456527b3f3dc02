// What a fuzz target insists on: checked in every build (assert is not:
// RelWithDebInfo defines NDEBUG), and a failure is a crash the fuzzer keeps.
#ifndef SHMLAB_FUZZ_MUST_H
#define SHMLAB_FUZZ_MUST_H

#include <stdio.h>
#include <stdlib.h>

#define MUST(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: must hold: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
