// A virtual base is reached through the object's vtable pointer: where the
// base sits is looked up at run time, in a table of this program's.
#include <stdint.h>

struct Counted {
	uint32_t refs;
};

// Teaches: a virtual base is one finding (virtual-base), and it brings the
// vtable pointer that finds it (vtable, at 0).
struct Node : virtual Counted {
	uint32_t id;
};
