// What the Win32 half of lab 05 keeps in the region, and the window that
// worker 0 runs for it.
//
// A window receives messages only while the thread that made it pumps them,
// and worker 0's main thread is busy with the harness. So worker 0 makes its
// window on a thread of its own (start_window) that pumps until the window
// is destroyed; the window procedure counts what arrives in `received`, in
// worker 0's own memory (under `double` either view of the region may be
// fenced while the window thread runs), where worker 0's verify reads it.
#ifndef SHMLAB_LAB05_WIN32_NAMES_H
#define SHMLAB_LAB05_WIN32_NAMES_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"           // <windows.h> first, then struct worker
#include "shmlab/shared_type.h"

#define WAIT_MS 5000            // the bound on every wait for a peer

// ANCHOR: layout
struct names {
	uint32_t hwnd;          // FIXED: an HWND; only its low 32 bits mean anything
	uint32_t brush;         // 05-gdi-handle-broken: worker 0's HBRUSH, which does not travel
	uint32_t color;         // 05-gdi-description-fixed: what the brush looks like
	uint32_t pad;
	uint32_t hook;          // 05-hook-shared: worker 0's older hook, an HHOOK
};
SHMLAB_SHARED_TYPE(struct names);
// ANCHOR_END: layout

// What worker 0's window and hooks received: worker 0's alone.
extern struct received {
	volatile LONG posted;   // WM_APP messages
	volatile LONG copied;   // WM_COPYDATA messages, each checked
	volatile LONG keys;     // key events the newer hook saw
	volatile LONG chained;  // of those, how many reached the older hook
} received;

// A 32-bit value read from the region as the HWND it names: sign-extended,
// as Microsoft's "Interprocess Communication" (64-bit Windows) allows.
static inline HWND
hwnd_from(uint32_t value)
{
	return (HWND)(intptr_t)(int32_t)value;
}

// Makes worker 0's message-only window on a thread of its own, which pumps
// its messages until the window is destroyed; the window counts into
// `received`. With hooks, that thread also sets two low-level keyboard hooks,
// which count there too, and stores the older one's HHOOK in n. Returns the
// window, or NULL with the thread's error in *err.
HWND start_window(struct names *n, int hooks, DWORD *err);

// Destroys the window from its own thread and waits for the thread to end.
int stop_window(HWND hwnd);

// Waits until *counter reaches want, at most WAIT_MS. Returns 0, or -1.
int wait_for_count(volatile LONG *counter, LONG want);

#endif
