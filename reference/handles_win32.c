/*
 * Handles on Windows (handles.h says what they promise; this says how).
 *
 * A HANDLE is an index into one process's handle table, as a descriptor is on
 * POSIX, so the region carries a ticket instead: what another process needs
 * to make a handle of its own to the same object. The taker pulls. It opens
 * the giver's process with PROCESS_DUP_HANDLE and calls DuplicateHandle with
 * the giver as the source and itself as the target; the new handle is in the
 * taker's table, not inheritable, with the access the taker asked for. The
 * ticket holds the giver's process id and creation time, its handle value (an
 * index into the GIVER's table: DuplicateHandle's lpSourceHandle, nothing
 * else), the access the giver allows, and the flags.
 *
 * The state word is the only word processes race on, and it changes by
 * compare-and-swap only (InterlockedCompareExchange, a full barrier). Its low
 * two bits say what the ticket is: empty, a copy, a move not yet claimed, a
 * move claimed by its one taker; the bits above count finished takes. A copy
 * is duplicated first and counted after, so a ticket withdrawn or settled
 * meanwhile makes the taker close what it got. A move is claimed first and
 * duplicated after, because DUPLICATE_CLOSE_SOURCE closes the giver's handle
 * "regardless of any error status returned" (Microsoft docs): only one taker
 * may ever make that call, and once made, the move is spent. The claimer
 * counts the take when the call has returned, so "taken" means, for a move,
 * that the giver's handle is closed.
 *
 * The giver waits in settle by polling the state word, sleeping 1 ms at first
 * and at most 16 ms, until its deadline: WaitOnAddress wakes only the threads
 * of the process that waits ("WaitOnAddress function").
 *
 * Everything else in the ticket is input from another process: the taker
 * copies each field once, checks it, and uses the copy. The giver is checked
 * through the process handle the taker opens: that handle names one process
 * object for good, whatever becomes of its id, so if that process has the
 * giver's creation time (GetProcessTimes) and has not exited, it is the
 * giver, and it stays so for every call made through the handle. The access
 * is checked against what the giver stated, never against what
 * DuplicateHandle would grant: with an explicit dwDesiredAccess it "can have
 * more access rights than the original handle" ("DuplicateHandle function";
 * Wine 8 gives a read-only section handle's duplicate FILE_MAP_WRITE when
 * asked), and Windows has no documented call that reads the access a handle
 * was granted.
 *
 * What a ticket cannot check: that the giver's value still names the object
 * it gave. A giver that closes the handle and gets the value back for another
 * object before settling gives that object; so the giver keeps the handle
 * open, untouched, until settle returns.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <windows.h>

#include "shmlab/handles.h"

#define TICKET_MAGIC    UINT32_C(0x314b5457)    // "WTK1"
#define NAP_MAX_MS      16                      // the longest sleep between two looks

enum {                          // the low two bits of the state word
	EMPTY = 0,
	COPY = 1,               // may be taken any number of times
	MOVE = 2,               // not claimed yet
	CLAIMED = 3,            // a move, claimed by exactly one taker
	KIND = 3,
	ONE_TAKE = 4,           // the count of finished takes starts at bit 2
};

struct ticket {
	uint32_t magic;
	volatile LONG state;    // kind | takes * ONE_TAKE; compare-and-swap only
	uint32_t pid;           // the giver
	uint32_t access;        // the most a taker may ask for, as the giver stated it
	uint64_t created;       // the giver's creation time (GetProcessTimes), a FILETIME
	uint64_t handle;        // the giver's value: an index into ITS handle table only
	uint32_t flags;         // SHMLAB_GIVE_*
	uint32_t reserved[7];
};

_Static_assert(sizeof(struct ticket) == SHMLAB_TICKET_SIZE, "ticket layout is pinned");
_Static_assert(offsetof(struct ticket, created) == 16 && offsetof(struct ticket, flags) == 32,
    "ticket layout is pinned");

// The ticket as this call read it, once, and checked.
struct snapshot {
	LONG state;
	uint32_t pid, access, flags;
	uint64_t created;
	HANDLE handle;          // the giver's value; never used as a handle here
};

static int
fail_with(int err)
{
	errno = err;
	return -1;
}

// Reads the state word with a full barrier, so whatever the giver wrote
// before it published the word is seen after.
static LONG
load(volatile LONG *state)
{
	return InterlockedCompareExchange(state, 0, 0);
}

// True for a value a handle can have: not 0, and not a pseudo-handle (those
// are negative, GetCurrentProcess() is -1). 64-bit Windows keeps handles to
// 32 significant bits, so that 32- and 64-bit processes can share them
// ("Interprocess Communication Between 32-bit and 64-bit Applications").
static int
is_handle_value(uint64_t value)
{
	return value != 0 && value <= INT32_MAX;
}

// The creation time of process p, as one number. 0, or -1 with errno.
static int
creation_time(HANDLE p, uint64_t *created)
{
	FILETIME c, exited, kernel, user;

	if (!GetProcessTimes(p, &c, &exited, &kernel, &user))
		return fail_with(ESRCH);
	*created = (uint64_t)c.dwHighDateTime << 32 | c.dwLowDateTime;
	return 0;
}

// The ticket at off, which must lie inside v and be aligned to 8.
static int
ticket_at(const struct shmlab_view *v, shmlab_off off, struct ticket **t)
{
	if (off > v->size || v->size - off < SHMLAB_TICKET_SIZE)
		return fail_with(ERANGE);
	if (off % 8 != 0)
		return fail_with(EINVAL);
	*t = (struct ticket *)(v->base + off);
	return 0;
}

// Copies the ticket once and checks the copy; EINVAL unless it is a ticket
// someone gave and nobody has settled.
static int
snapshot(struct ticket *t, struct snapshot *s)
{
	const volatile struct ticket *field = t;
	uint64_t handle;
	int move;

	s->state = load(&t->state);
	if (field->magic != TICKET_MAGIC || (s->state & KIND) == EMPTY)
		return fail_with(EINVAL);
	s->pid = field->pid;
	s->access = field->access;
	s->flags = field->flags;
	s->created = field->created;
	handle = field->handle;
	move = (s->flags & SHMLAB_GIVE_MOVE) != 0;
	if (s->pid == 0 || s->access == 0 || s->created == 0 || !is_handle_value(handle)
	    || (s->flags & ~(uint32_t)SHMLAB_GIVE_MOVE) || move != ((s->state & KIND) >= MOVE))
		return fail_with(EINVAL);
	s->handle = (HANDLE)(uintptr_t)handle;
	return 0;
}

// Opens the giver's process for DuplicateHandle and checks that it is the
// giver: its creation time, and not exited. The caller closes *giver.
static int
open_giver(const struct snapshot *s, HANDLE *giver)
{
	DWORD want = PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE;
	HANDLE p = OpenProcess(want, FALSE, s->pid);
	uint64_t created;

	if (p == NULL)
		return fail_with(GetLastError() == ERROR_ACCESS_DENIED ? EPERM : ESRCH);
	if (creation_time(p, &created) < 0 || created != s->created || WaitForSingleObject(p, 0) != WAIT_TIMEOUT) {
		CloseHandle(p);
		return fail_with(ESRCH);        // it has exited, or its id is another process's now
	}
	*giver = p;
	return 0;
}

// Makes the handle in this process: DuplicateHandle from the giver into this
// process, not inheritable, with `access` (which DUPLICATE_SAME_ACCESS in
// options would ignore).
static int
duplicate(HANDLE giver, const struct snapshot *s, DWORD access, DWORD options, HANDLE *got)
{
	if (DuplicateHandle(giver, s->handle, GetCurrentProcess(), got, access, FALSE, options))
		return 0;
	if (WaitForSingleObject(giver, 0) != WAIT_TIMEOUT)
		return fail_with(ESRCH);        // it exited after open_giver looked
	return fail_with(GetLastError() == ERROR_ACCESS_DENIED ? EACCES : EBADF);
}

// Counts one finished take of a copy; EINVAL if the ticket is no longer a
// copy (withdrawn or settled meanwhile).
static int
count_copy(struct ticket *t)
{
	LONG seen = load(&t->state), was;

	for (;;) {
		if ((seen & KIND) != COPY)
			return fail_with(EINVAL);
		if ((was = InterlockedCompareExchange(&t->state, seen + ONE_TAKE, seen)) == seen)
			return 0;
		seen = was;
	}
}

// A copy: duplicated first, counted after; a ticket withdrawn or settled in
// between makes this close the duplicate again.
static int
take_copy(struct ticket *t, const struct snapshot *s, HANDLE giver, DWORD access, DWORD options, HANDLE *out)
{
	HANDLE got;

	if (duplicate(giver, s, access, options, &got) < 0)
		return -1;
	if (count_copy(t) < 0) {
		CloseHandle(got);
		return -1;
	}
	*out = got;
	return 0;
}

// A move: claimed by one compare-and-swap (EALREADY if another taker has it,
// EINVAL if withdrawn), then duplicated, then counted as taken even if the
// call failed: DUPLICATE_CLOSE_SOURCE has closed the source either way.
static int
take_move(struct ticket *t, const struct snapshot *s, HANDLE giver, DWORD access, DWORD options, HANDLE *out)
{
	LONG seen = InterlockedCompareExchange(&t->state, CLAIMED, MOVE);
	int rc;

	if (seen != MOVE)
		return fail_with((seen & KIND) == CLAIMED ? EALREADY : EINVAL);
	rc = duplicate(giver, s, access, options, out);
	InterlockedCompareExchange(&t->state, CLAIMED | ONE_TAKE, CLAIMED);
	return rc;
}

int
shmlab_handle_give(const struct shmlab_view *v, shmlab_off ticket, HANDLE h, DWORD access, unsigned flags)
{
	struct ticket *t;
	uint64_t created;
	DWORD info;

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if ((flags & ~(unsigned)SHMLAB_GIVE_MOVE) || access == 0)
		return fail_with(EINVAL);
	if (!is_handle_value((uint64_t)(uintptr_t)h) || !GetHandleInformation(h, &info))
		return fail_with(EBADF);
	if (creation_time(GetCurrentProcess(), &created) < 0)
		return -1;
	InterlockedExchange(&t->state, EMPTY);
	t->magic = TICKET_MAGIC;
	t->pid = (uint32_t)GetCurrentProcessId();
	t->access = access;
	t->created = created;
	t->handle = (uint64_t)(uintptr_t)h;
	t->flags = flags;
	for (size_t i = 0; i < sizeof t->reserved / sizeof t->reserved[0]; i++)
		t->reserved[i] = 0;
	InterlockedExchange(&t->state, (flags & SHMLAB_GIVE_MOVE) ? MOVE : COPY);
	return 0;
}

int
shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, DWORD access, HANDLE *out)
{
	struct snapshot s;
	struct ticket *t;
	HANDLE giver;
	DWORD options;
	int rc;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == CLAIMED)
		return fail_with(EALREADY);
	if (access == 0)
		access = s.access;
	if (access & ~s.access)
		return fail_with(EACCES);       // never more than the giver stated
	options = (s.flags & SHMLAB_GIVE_MOVE) ? DUPLICATE_CLOSE_SOURCE : 0;
	if (open_giver(&s, &giver) < 0)
		return -1;
	if (s.flags & SHMLAB_GIVE_MOVE)
		rc = take_move(t, &s, giver, access, options, out);
	else
		rc = take_copy(t, &s, giver, access, options, out);
	CloseHandle(giver);             // whatever happened: a take makes one handle
	return rc;
}

// Waits until the ticket was taken at least once (a move: and its source
// closed), at most timeout_ms. At the deadline it withdraws the ticket,
// unless a take claims or counts it first.
static int
wait_taken(struct ticket *t, int timeout_ms)
{
	ULONGLONG end = GetTickCount64() + (ULONGLONG)timeout_ms;
	DWORD nap = 1;

	for (;;) {
		LONG seen = load(&t->state);

		if (seen >= ONE_TAKE)
			return 0;
		if (GetTickCount64() >= end) {
			if ((seen & KIND) == CLAIMED)
				return fail_with(EINPROGRESS);  // its taker is closing our handle
			if (InterlockedCompareExchange(&t->state, EMPTY, seen) == seen)
				return fail_with(ETIMEDOUT);
			continue;                       // claimed or taken just now
		}
		Sleep(nap);
		nap = nap < NAP_MAX_MS ? nap * 2 : NAP_MAX_MS;
	}
}

int
shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms)
{
	struct snapshot s;
	struct ticket *t;
	uint64_t created;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if (creation_time(GetCurrentProcess(), &created) < 0)
		return -1;
	if (s.pid != GetCurrentProcessId() || s.created != created || timeout_ms < 0)
		return fail_with(EINVAL);
	if (wait_taken(t, timeout_ms) < 0)
		return -1;
	InterlockedExchange(&t->state, EMPTY);
	((volatile struct ticket *)t)->magic = 0;
	return 0;
}
