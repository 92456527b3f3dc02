// 07-wait-on-address-broken and 07-event-word-fixed (Win32): waiting for a
// word in the region to change.
//
// WaitOnAddress sleeps until WakeByAddressSingle/All is called on the same
// address, and Microsoft's page for it says so: it waits "for threads within
// the same process" only. The word is shared; the list of who sleeps on it
// is not. Each worker waits on a word of the region, and worker 0 calls
// WakeByAddressAll on it every millisecond until they have all returned or
// WAIT_MS has passed: whenever a waiter fell asleep, a wake-up came after.
// Under Wine 8 no waiter is woken: each WaitOnAddress returns FALSE,
// ERROR_TIMEOUT.
//
// The fix keeps the word (a lock-free one, changed with
// InterlockedCompareExchange, which is an atomic instruction on memory and
// so works between processes) and waits with a kernel object instead: an
// event that every process opens by its name. Whoever changes the word sets
// the event; a waiter checks the word, then waits on the event, bounded.
#include "win32_locks.h"

static int
name_them(struct worker *w, const struct shmlab_view *v)
{
	name_objects((struct locks *)v->base, w);
	return 0;
}

// ANCHOR: wait_on_address
static int
wait_on_word(struct worker *w, struct locks *l)
{
	LONG undesired = 0;
	BOOL woken;
	DWORD e;

	InterlockedIncrement(&l->waiting);
	woken = WaitOnAddress(&l->word, &undesired, sizeof undesired, WAIT_MS);   // BROKEN
	e = GetLastError();
	InterlockedIncrement(&l->done);
	if (!woken)
		return fail(w, "WaitOnAddress returned FALSE (%s) in its %d ms: worker 0 called "
		    "WakeByAddressAll on the word all along, from another process",
		    e == ERROR_TIMEOUT ? "ERROR_TIMEOUT" : "not a timeout", WAIT_MS);
	return 0;
}
// ANCHOR_END: wait_on_address

static int
keep_waking(struct worker *w, struct locks *l)
{
	ULONGLONG end = GetTickCount64() + WAIT_MS + WAIT_MS / 2;

	while (InterlockedCompareExchange(&l->done, 0, 0) < w->procs - 1 && GetTickCount64() < end) {
		WakeByAddressAll((PVOID)&l->word);
		Sleep(1);
	}
	return 0;       // the waiters report what reached them
}

static int
wake_or_wait(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	if (w->view != w->views - 1)
		return 0;               // under `double`, once: through the first view
	return w->index == 0 ? keep_waking(w, l) : wait_on_word(w, l);
}

const struct scenario lab07_wait_on_address_broken = {
	.name = "07-wait-on-address-broken",
	.summary = "WaitOnAddress on a word of the region, woken from another process",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = name_them,
	.run = wake_or_wait,
};

// ---------------------------------------------------------------- the fix

static HANDLE changed;          // this process's handle to the run's event

static int
open_event(struct worker *w, const struct locks *l)
{
	char name[OBJECT_NAME_MAX + 16];

	snprintf(name, sizeof name, "%s-changed", l->name);
	// Manual-reset: once set it stays set, so a waiter that comes late still sees it.
	if (changed == NULL && (changed = CreateEventA(NULL, TRUE, FALSE, name)) == NULL)
		return fail(w, "CreateEvent(%s): error %lu", name, (unsigned long)GetLastError());
	return 0;
}

static int
make_event(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	name_objects(l, w);
	return open_event(w, l);
}

// ANCHOR: event_word
static int
set_word(struct worker *w, struct locks *l)
{
	if (InterlockedCompareExchange(&l->word, 1, 0) != 0)   // FIXED: one atomic instruction
		return fail(w, "the word was set before worker 0 set it");
	if (!SetEvent(changed))                                 // FIXED: a kernel object, by name
		return fail(w, "SetEvent: error %lu", (unsigned long)GetLastError());
	return 0;
}

static int
wait_for_word(struct worker *w, struct locks *l)
{
	DWORD rc = WAIT_OBJECT_0;

	InterlockedIncrement(&l->waiting);
	if (InterlockedCompareExchange(&l->word, 0, 0) == 0)
		rc = WaitForSingleObject(changed, WAIT_MS);
	if (rc != WAIT_OBJECT_0 || InterlockedCompareExchange(&l->word, 0, 0) != 1)
		return fail(w, "the event was not set within %d ms (wait returned %lu), or the word is %ld, "
		    "not 1", WAIT_MS, (unsigned long)rc, l->word);
	return 0;
}
// ANCHOR_END: event_word

static int
close_event(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	if (!CloseHandle(changed))
		return fail(w, "CloseHandle(event): error %lu", (unsigned long)GetLastError());
	changed = NULL;
	return 0;
}

static int
set_or_wait(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	int rc;

	if (open_event(w, l) < 0)
		return -1;
	if (w->index != 0) {
		rc = wait_for_word(w, l);
		if (w->view == 0 && w->index != 0)     // its last run: every handle closed
			rc = close_event(w, v) < 0 ? -1 : rc;
		return rc;
	}
	if (w->view != w->views - 1)
		return 0;
	// Some waiters in their wait, so the event wakes a sleeper, not only a latecomer.
	if (wait_count(&l->waiting, w->procs - 1) < 0)
		return fail(w, "only %ld of %d workers came to wait within %d ms", l->waiting, w->procs - 1, WAIT_MS);
	return set_word(w, l);
}

const struct scenario lab07_event_word_fixed = {
	.name = "07-event-word-fixed",
	.summary = "a lock-free word in the region, and a named event to wait for it to change",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_event,
	.run = set_or_wait,
	.verify = close_event,
};
