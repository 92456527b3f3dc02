// Pointers to members (Itanium C++ ABI, which gcc and mingw-w64 share): to
// a member function, two words, the function's address (or its vtable
// slot) and a this-adjustment; to a data member, one ptrdiff_t, an offset.
#include <stdint.h>

struct Widget {
	uint32_t id;
	uint32_t kind;
	void draw();
};

typedef void (Widget::*draw_fn)();

// Teaches: draw holds a code address (function-pointer), 16 bytes on 64
// bits and 8 on 32; field is only an offset, but a ptrdiff_t's size
// (abi-type), 8 bytes at 16 on 64 bits and 4 at 8 on 32. No padding.
struct Dispatch {
	draw_fn draw;
	uint32_t Widget::*field;
};
