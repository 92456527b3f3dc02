// 04-duplicate-close-fixed (Win32): who closes what. For each reader, worker
// 0 makes a note (a section of its own) and pushes it into the reader with
// DUPLICATE_CLOSE_SOURCE, so its own handle is closed by the same call, and
// the note lives on with the reader's handle alone. It also lends the reader
// a second handle, to its shared section, and later closes that handle IN
// THE READER: DuplicateHandle with the reader as the source process and
// DUPLICATE_CLOSE_SOURCE, moving the handle back into worker 0, which then
// closes its copy. The reader sees the lent handle valid, then no longer.
//
// The "DuplicateHandle function" page also allows no target at all (target
// process and lpTargetHandle NULL) just to close the source; Wine 8 answers
// that form with ERROR_INVALID_HANDLE and leaves the handle open, while the
// move back works on both.
#include "win32_handoff.h"

static HANDLE section;                  // worker 0's handle, made in prepare

enum { NOTE, LENT };                    // which of the slot's values

static int
make_shared_section(struct worker *w, const struct shmlab_view *v)
{
	struct w32_handoff *h = (struct w32_handoff *)v->base;

	snprintf(h->text, sizeof h->text, "worker 0's section");
	if ((section = make_section(h->text)) == NULL)
		return fail(w, "cannot make worker 0's section: %s", ERRNAME(GetLastError()));
	h->pid = (uint32_t)GetCurrentProcessId();
	return 0;
}

// ANCHOR: give
static int
give_note(struct worker *w, struct w32_handoff *h, struct slot *s, HANDLE reader, int i)
{
	char text[TEXT_MAX];
	HANDLE note, there = NULL, lent = NULL;
	DWORD flags, e;

	(void)h;
	snprintf(text, sizeof text, "a note for worker %d", i);
	if ((note = make_section(text)) == NULL)
		return fail(w, "cannot make the note for worker %d: %s", i, ERRNAME(GetLastError()));
	// FIXED: the note moves to the reader; worker 0's handle is closed by this call.
	if (!DuplicateHandle(GetCurrentProcess(), note, reader, &there, 0, FALSE,
	    DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
		return fail(w, "DuplicateHandle of the note into worker %d: %s", i, ERRNAME(GetLastError()));
	if (GetHandleInformation(note, &flags) || (e = GetLastError()) != ERROR_INVALID_HANDLE)
		return fail(w, "worker 0's handle to the note is still open after DUPLICATE_CLOSE_SOURCE");
	if (!DuplicateHandle(GetCurrentProcess(), section, reader, &lent, 0, FALSE, DUPLICATE_SAME_ACCESS))
		return fail(w, "DuplicateHandle of the section into worker %d: %s", i, ERRNAME(GetLastError()));
	s->value[NOTE] = (uint64_t)(uintptr_t)there;
	s->value[LENT] = (uint64_t)(uintptr_t)lent;
	return 0;
}
// ANCHOR_END: give

// ANCHOR: take_back
static int
take_back(struct worker *w, struct w32_handoff *h, struct slot *s, HANDLE reader, int i)
{
	HANDLE lent = (HANDLE)(uintptr_t)s->value[LENT];       // a value in the reader's table
	HANDLE back = NULL;                                     // the same object, in ours
	char text[TEXT_MAX];
	LONG k = s->served;
	int rc = 0;

	if (wait_for(&s->seen, k) < 0)
		rc = fail(w, "worker %d did not check its handles within %d ms", i, WAIT_MS);
	// FIXED: the reader is the source, so its handle is the one closed.
	else if (!DuplicateHandle(reader, lent, GetCurrentProcess(), &back, 0, FALSE,
	    DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
		rc = fail(w, "closing handle %#llx in worker %d: %s",
		    (unsigned long long)(uintptr_t)lent, i, ERRNAME(GetLastError()));
	else if (read_section(back, text, sizeof text) < 0 || strcmp(text, h->text) != 0)
		rc = fail(w, "the handle taken back from worker %d is not worker 0's section: %s",
		    i, ERRNAME(GetLastError()));
	if (back)
		CloseHandle(back);
	InterlockedExchange(&s->revoked, k);
	return rc;
}
// ANCHOR_END: take_back

// ANCHOR: check
static int
check_handles(struct worker *w, const struct w32_handoff *h, struct slot *s, LONG k)
{
	HANDLE note = (HANDLE)(uintptr_t)s->value[NOTE], lent = (HANDLE)(uintptr_t)s->value[LENT];
	char text[TEXT_MAX], want[TEXT_MAX];
	DWORD flags, e;

	snprintf(want, sizeof want, "a note for worker %d", w->index);
	// Worker 0's handle to the note is closed already: ours keeps the note alive.
	if (read_section(note, text, sizeof text) < 0 || strcmp(text, want) != 0)
		return fail(w, "the note (handle %#llx) does not read \"%s\": %s",
		    (unsigned long long)(uintptr_t)note, want, ERRNAME(GetLastError()));
	if (read_section(lent, text, sizeof text) < 0 || strcmp(text, h->text) != 0)
		return fail(w, "the lent handle %#llx does not read \"%s\": %s",
		    (unsigned long long)(uintptr_t)lent, h->text, ERRNAME(GetLastError()));
	InterlockedExchange(&s->seen, k);
	if (wait_for(&s->revoked, k) < 0)
		return fail(w, "worker 0 did not take its handle back within %d ms", WAIT_MS);
	// Worker 0 has closed it in this process; we created no handle since.
	if (GetHandleInformation(lent, &flags))
		return fail(w, "the lent handle %#llx is still open here after worker 0 closed it",
		    (unsigned long long)(uintptr_t)lent);
	if ((e = GetLastError()) != ERROR_INVALID_HANDLE)
		return fail(w, "GetHandleInformation on the closed handle %#llx: %s, expected "
		    "ERROR_INVALID_HANDLE", (unsigned long long)(uintptr_t)lent, ERRNAME(e));
	return 0;
}
// ANCHOR_END: check

static int
run(struct worker *w, const struct shmlab_view *v)
{
	struct w32_handoff *h = (struct w32_handoff *)v->base;
	struct slot *s = &h->slot[w->index];
	LONG k;
	int rc;

	if (w->index == 0)
		return w->view == 0 ? serve(w, h, give_note, take_back) : 0;
	if ((k = ask(w, s)) < 0)
		return -1;
	if (s->value[NOTE] == 0 || s->value[LENT] == 0)
		rc = fail(w, "worker 0 pushed no handles (see its report)");
	else
		rc = check_handles(w, h, s, k);
	InterlockedExchange(&s->seen, k);       // if a check failed before saying so
	if (s->value[NOTE] && !CloseHandle((HANDLE)(uintptr_t)s->value[NOTE]) && rc == 0)
		rc = fail(w, "cannot close the note: %s", ERRNAME(GetLastError()));
	InterlockedExchange(&s->done, k);
	return rc;
}

static int
close_section(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	if (!CloseHandle(section))
		return fail(w, "cannot close worker 0's section: %s", ERRNAME(GetLastError()));
	return 0;
}

const struct scenario lab04_duplicate_close_fixed = {
	.name = "04-duplicate-close-fixed",
	.summary = "DUPLICATE_CLOSE_SOURCE moves a handle; DuplicateHandle also closes one in another process",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.region_size = 4096,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_shared_section,
	.run = run,
	.verify = close_section,
};
