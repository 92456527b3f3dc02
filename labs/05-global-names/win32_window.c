// Worker 0's message-only window for the Win32 half of lab 05
// (win32_names.h), on a thread that does nothing but pump its messages.
#include "win32_names.h"

#define WM_STOP (WM_APP + 1)    // "destroy yourself": DestroyWindow works on the owning thread only

struct received received;

struct start { struct names *n; int hooks; HANDLE ready; HWND hwnd; DWORD err; };

static HHOOK older, newer;      // 05-hook-shared: two low-level keyboard hooks, the newer called first

// ANCHOR: hooks
static LRESULT CALLBACK
older_hook(int code, WPARAM wp, LPARAM lp)
{
	InterlockedIncrement(&received.chained);
	return CallNextHookEx(NULL, code, wp, lp);
}

static LRESULT CALLBACK
newer_hook(int code, WPARAM wp, LPARAM lp)
{
	InterlockedIncrement(&received.keys);
	// Not the older hook's HHOOK, not any hook: CallNextHookEx ignores it.
	return CallNextHookEx((HHOOK)(intptr_t)0x1234, code, wp, lp);
}
// ANCHOR_END: hooks

static LRESULT CALLBACK
count_messages(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	const COPYDATASTRUCT *cds = (const COPYDATASTRUCT *)lp;

	switch (msg) {
	case WM_APP:
		InterlockedIncrement(&received.posted);
		return 0;
	case WM_COPYDATA:       // the data was copied into this process by the system
		if (cds->dwData != 0x05 || cds->cbData < 8 || memcmp(cds->lpData, "from wor", 8) != 0)
			return FALSE;
		InterlockedIncrement(&received.copied);
		return TRUE;
	case WM_STOP:
		if (older)
			UnhookWindowsHookEx(older);
		if (newer)
			UnhookWindowsHookEx(newer);
		older = newer = NULL;
		DestroyWindow(hwnd);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcA(hwnd, msg, wp, lp);
}

static DWORD WINAPI
pump(void *arg)
{
	struct start *s = arg;
	WNDCLASSA wc = { .lpfnWndProc = count_messages, .hInstance = GetModuleHandleA(NULL),
	    .lpszClassName = "shmlab-lab05" };
	MSG m;
	HWND hwnd;

	RegisterClassA(&wc);
	hwnd = CreateWindowExA(0, wc.lpszClassName, "shmlab lab 05", 0, 0, 0, 0, 0, HWND_MESSAGE,
	    NULL, wc.hInstance, NULL);
	if (hwnd && s->hooks) {         // hooks run on the thread that set them, in its message loop
		older = SetWindowsHookExA(WH_KEYBOARD_LL, older_hook, wc.hInstance, 0);
		newer = SetWindowsHookExA(WH_KEYBOARD_LL, newer_hook, wc.hInstance, 0);
		s->n->hook = (uint32_t)(uintptr_t)older;
		if (!older || !newer) {
			DestroyWindow(hwnd);
			hwnd = NULL;
		}
	}
	s->hwnd = hwnd;
	s->err = GetLastError();
	SetEvent(s->ready);     // s is the starter's, gone once it wakes: not used after this
	if (hwnd == NULL)
		return 1;
	while (GetMessageA(&m, NULL, 0, 0) > 0)
		DispatchMessageA(&m);
	return 0;
}

static HANDLE pump_thread;

HWND
start_window(struct names *n, int hooks, DWORD *err)
{
	struct start s = { .n = n, .hooks = hooks, .ready = CreateEventA(NULL, TRUE, FALSE, NULL) };

	pump_thread = CreateThread(NULL, 0, pump, &s, 0, NULL);
	if (pump_thread == NULL || WaitForSingleObject(s.ready, WAIT_MS) != WAIT_OBJECT_0) {
		*err = GetLastError();
		CloseHandle(s.ready);
		return NULL;
	}
	CloseHandle(s.ready);
	*err = s.err;
	return s.hwnd;
}

int
stop_window(HWND hwnd)
{
	DWORD done;

	PostMessageA(hwnd, WM_STOP, 0, 0);
	done = WaitForSingleObject(pump_thread, WAIT_MS);
	CloseHandle(pump_thread);
	pump_thread = NULL;
	return done == WAIT_OBJECT_0 ? 0 : -1;
}

int
wait_for_count(volatile LONG *counter, LONG want)
{
	for (DWORD start = GetTickCount(); *counter < want; Sleep(1))
		if (GetTickCount() - start > WAIT_MS)
			return -1;
	return 0;
}
