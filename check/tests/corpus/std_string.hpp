// std::string looks like a value and holds a pointer: its characters are on
// the heap of the process that wrote it (or, short, inside the object, with
// the pointer pointing at them: an address again).
#include <stdint.h>
#include <string>

// Teaches: the hidden heap pointer, found inside libstdc++'s own layout
// (name._M_dataplus._M_p), and its size_t length (abi-type).
struct Person {
	uint64_t id;
	std::string name;
};
