// 05-hwnd-fixed and 05-stale-hwnd-broken (Win32): an HWND stored in the
// region. An HWND names a window, a user object, and "handles to user
// objects are public to all processes" of the session (Microsoft docs,
// "User Objects"): unlike a kernel object's HANDLE (lab 04), the value is
// the same in every process. Worker 0 makes a message-only window; every
// worker, its region at another address, posts to it and sends it data.
//
// Posting WM_COPYDATA is refused (ERROR_MESSAGE_SYNC_ONLY): the system
// copies the data into the receiver only while the sender waits in
// SendMessage, so it must be sent. The wait is bounded (SendMessageTimeout).
//
// The stale variant destroys the window in prepare: the name outlives the
// window, IsWindow says so, and a post fails with ERROR_INVALID_WINDOW_HANDLE.
#include <string.h>

#include "win32_names.h"

static HWND window;             // worker 0's

static int
make_window(struct worker *w, const struct shmlab_view *v)
{
	struct names *n = (struct names *)v->base;
	DWORD err;

	if ((window = start_window(n, 0, &err)) == NULL)
		return fail(w, "cannot make a message-only window: error %lu", (unsigned long)err);
	n->hwnd = (uint32_t)(uintptr_t)window;     // FIXED: the low 32 bits are the whole name
	return 0;
}

// ANCHOR: send
static int
post_and_send(struct worker *w, const struct shmlab_view *v)
{
	const struct names *n = (const struct names *)v->base;
	HWND hwnd = hwnd_from(n->hwnd);         // FIXED: the same window in every process
	char text[32];
	COPYDATASTRUCT cds = { .dwData = 0x05, .cbData = sizeof text, .lpData = text };
	DWORD_PTR answer = 0;

	snprintf(text, sizeof text, "from worker %d", w->index);
	if (!PostMessageA(hwnd, WM_APP, (WPARAM)w->index, 0))
		return fail(w, "PostMessage(%#x, WM_APP): error %lu", n->hwnd, (unsigned long)GetLastError());
	if (PostMessageA(hwnd, WM_COPYDATA, 0, (LPARAM)&cds) || GetLastError() != ERROR_MESSAGE_SYNC_ONLY)
		return fail(w, "PostMessage(WM_COPYDATA) did not fail with ERROR_MESSAGE_SYNC_ONLY (1159): "
		    "error %lu", (unsigned long)GetLastError());
	if (!SendMessageTimeoutA(hwnd, WM_COPYDATA, 0, (LPARAM)&cds, SMTO_ABORTIFHUNG, WAIT_MS, &answer)
	    || answer != TRUE)
		return fail(w, "SendMessage(%#x, WM_COPYDATA): error %lu, answer %lu", n->hwnd,
		    (unsigned long)GetLastError(), (unsigned long)answer);
	return 0;
}
// ANCHOR_END: send

static int
count_and_close(struct worker *w, const struct shmlab_view *v)
{
	LONG want = w->procs * w->views;

	(void)v;
	if (wait_for_count(&received.posted, want) < 0 || wait_for_count(&received.copied, want) < 0)
		return fail(w, "worker 0's window received %ld posts and %ld WM_COPYDATA, expected %ld of each",
		    received.posted, received.copied, want);
	if (stop_window(window) < 0)
		return fail(w, "worker 0's window thread did not end");
	return IsWindow(window) ? fail(w, "the window is still there after DestroyWindow") : 0;
}

const struct scenario lab05_hwnd_fixed = {
	.name = "05-hwnd-fixed",
	.summary = "an HWND stored in the region: posted and sent to from every process",
	.handout = "labs/05-global-names/README.md#on-windows-hwnd",
	.region_size = 65536,
	.flags = WINDOWS,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_window,
	.run = post_and_send,
	.verify = count_and_close,
};

static int
make_and_destroy_window(struct worker *w, const struct shmlab_view *v)
{
	struct names *n = (struct names *)v->base;

	if (make_window(w, v) < 0)
		return -1;
	if (stop_window(window) < 0)
		return fail(w, "worker 0's window thread did not end");
	n->hwnd = (uint32_t)(uintptr_t)window;  // BROKEN: the name of a window that is gone
	return 0;
}

// ANCHOR: stale
static int
post_to_stale(struct worker *w, const struct shmlab_view *v)
{
	const struct names *n = (const struct names *)v->base;
	HWND hwnd = hwnd_from(n->hwnd);

	if (!IsWindow(hwnd) && !PostMessageA(hwnd, WM_APP, 0, 0))
		return fail(w, "HWND %#x names no window (IsWindow: no; PostMessage: error %lu): it was "
		    "destroyed, and its name went stale", n->hwnd, (unsigned long)GetLastError());
	return 0;
}
// ANCHOR_END: stale

const struct scenario lab05_stale_hwnd_broken = {
	.name = "05-stale-hwnd-broken",
	.summary = "the HWND of a window that was destroyed",
	.handout = "labs/05-global-names/README.md#on-windows-hwnd",
	.region_size = 65536,
	.flags = WINDOWS,
	.caught_under = ALL_STRATEGIES,
	.prepare = make_and_destroy_window,
	.run = post_to_stale,
};
