// A C enum has no fixed size: the compiler picks one that holds its values
// (C11 6.7.2.2), and -fshort-enums picks another.
#include <stdint.h>

enum colour { RED, GREEN, BLUE };

// Teaches: the member is an enum (enum, error) though its 4 bytes agree
// on every ABI here.
struct pixel {
	enum colour colour;
	uint32_t value;
};
