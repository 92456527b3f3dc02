// A C++ class with a virtual function carries a hidden pointer to its
// program's vtable, at offset 0, before the first member the source shows.
#include <stdint.h>

// Teaches: the vtable pointer (_vptr.Shape) is a member the source never
// wrote; sides and colour sit after it, at 8 on 64 bits and 4 on 32.
class Shape {
public:
	virtual uint32_t area() const;
	uint32_t sides;
	uint32_t colour;
};
