// A function pointer hidden behind a typedef: code lives at a different
// address in every executable and every run (lab 06).
#include <stdint.h>

typedef void (*handler_fn)(uint32_t event);

// Teaches: the typedef does not hide it (function-pointer, at 8); and its
// size moves the size of the struct between 32 and 64 bits.
struct callbacks {
	uint32_t id;
	uint32_t reserved;
	handler_fn on_event;
};
