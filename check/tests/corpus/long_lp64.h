// long is 8 bytes on 64-bit Linux (LP64) and 4 on 64-bit Windows (LLP64):
// the same source, two layouts.
#include <stdint.h>

// Teaches: abi-type names long; on x86_64-linux the struct is 8 bytes,
// on win64 (and both 32-bit ABIs) 4.
struct sample {
	long value;
};
