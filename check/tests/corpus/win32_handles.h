// Win32 handles are numbers in tables, and which table decides whether the
// number means anything in another process (labs 04 and 05).
#include <stdint.h>
#include <shmlab/shared_type.h>
#ifdef _WIN32
#include <windows.h>

// Teaches: four handles, three verdicts. HANDLE indexes this process's
// handle table (handle, error); HBRUSH is a GDI object of this process
// (gdi-handle, error); HWND and HHOOK name objects of the window manager,
// good in every process of the desktop (window-handle, a note).
struct window_slot {
	HWND window;
	HANDLE event;
	HBRUSH background;
	HHOOK hook;
};
SHMLAB_SHARED_TYPE(struct window_slot);

// Teaches: a window handle alone is only a note, so the check passes
// (exit 0) unless asked to --fail-on window-handle.
struct hwnd_only {
	HWND window;
};
SHMLAB_SHARED_TYPE(struct hwnd_only);
#endif
