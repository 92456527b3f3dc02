// 05-hook-shared (Win32): an HHOOK in the region, and what it is good for.
//
// A hook handle is a user object handle, public to the session like an
// HWND, so storing it is safe; it is also nearly useless to anyone else. Its
// one use in the hook procedure, CallNextHookEx's first argument, "is
// ignored" (Microsoft docs, "CallNextHookEx function"): the system knows the
// chain. Worker 0 sets two low-level keyboard hooks (the only global hooks a
// process can set without a DLL, and ones that need no display) on its
// window thread and stores the older one's HHOOK; the newer passes a made-up
// handle to CallNextHookEx. Every worker injects a key press with SendInput;
// worker 0 checks that both hooks saw every event: the chain did not need
// the handle.
//
// The key is F24, which no keyboard has and no program binds.
#include "win32_names.h"

static HWND window;

static int
set_hooks(struct worker *w, const struct shmlab_view *v)
{
	struct names *n = (struct names *)v->base;
	DWORD err;

	if ((window = start_window(n, 1, &err)) == NULL)
		return fail(w, "cannot set two WH_KEYBOARD_LL hooks: error %lu", (unsigned long)err);
	return 0;
}

static int
press_f24(struct worker *w, const struct shmlab_view *v)
{
	const struct names *n = (const struct names *)v->base;
	INPUT key[2] = { { .type = INPUT_KEYBOARD }, { .type = INPUT_KEYBOARD } };

	if (n->hook == 0)
		return fail(w, "no HHOOK in the region");
	key[0].ki.wVk = key[1].ki.wVk = VK_F24;
	key[1].ki.dwFlags = KEYEVENTF_KEYUP;
	if (SendInput(2, key, sizeof key[0]) != 2)
		return fail(w, "SendInput: error %lu", (unsigned long)GetLastError());
	return 0;
}

static int
count_keys(struct worker *w, const struct shmlab_view *v)
{
	LONG want = 2 * w->procs * w->views;
	int rc = 0;

	(void)v;
	if (wait_for_count(&received.keys, want) < 0 || wait_for_count(&received.chained, want) < 0)
		rc = fail(w, "the newer hook saw %ld key events and the older %ld, expected %ld each: "
		    "CallNextHookEx(a made-up HHOOK) broke the chain", received.keys, received.chained, want);
	if (stop_window(window) < 0 && rc == 0)
		rc = fail(w, "worker 0's window thread did not end");
	return rc;
}

const struct scenario lab05_hook_shared = {
	.name = "05-hook-shared",
	.summary = "an HHOOK stored in the region; CallNextHookEx ignores the handle it is given",
	.handout = "labs/05-global-names/README.md#hhook",
	.region_size = 65536,
	.flags = WINDOWS,
	.passes_under = ALL_STRATEGIES,
	.prepare = set_hooks,
	.run = press_f24,
	.verify = count_keys,
};
