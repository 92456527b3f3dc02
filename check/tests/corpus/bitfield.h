// Bit-fields: which bits hold which field is the implementation's choice
// (C11 6.7.2.1), so two compilers may read the same word differently.
#include <stdint.h>

// Teaches: one finding per bit-field, each with its (bit offset, width);
// the three fill one 32-bit word, so there is no padding.
struct status_word {
	uint32_t ready : 1;
	uint32_t mode : 3;
	uint32_t count : 28;
};
