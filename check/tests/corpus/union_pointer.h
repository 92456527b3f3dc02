// A union is as bad as its worst member: one pointer among integers makes
// the bytes meaningless in another process whenever that member was written.
#include <stdint.h>

union value {
	uint64_t u;
	double d;
	void *p;                // the pointer: tagged.v.p
};

// Teaches: a member of a union is found at the union's offset (8); the
// union stays 8 bytes on 32-bit ABIs, so nothing else moves.
struct tagged {
	uint32_t kind;
	uint32_t reserved;
	union value v;
};
