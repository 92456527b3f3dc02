// Everything at once: one class with a vtable pointer, a window handle, a
// kernel handle, a GDI handle and a 24-byte atomic. Each is one finding of
// its own class. Windows-only (the handles are <windows.h>'s); in C++ the
// atomic is std::atomic, which is what C++23's _Atomic(T) means.
#include <stdint.h>
#include <atomic>
#include <shmlab/shared_type.h>
#ifdef _WIN32
#include <windows.h>

struct Triple {
	uint64_t a, b, c;
};

// Teaches: vtable at 0; window (HWND, a note), event (HANDLE), brush
// (HBRUSH) at 8, 16, 24 on win64; triple (24 bytes, atomic) at 32.
class Everything {
public:
	virtual ~Everything();
	HWND window;
	HANDLE event;
	HBRUSH brush;
	std::atomic<Triple> triple;
};
SHMLAB_SHARED_TYPE(Everything);
#endif
