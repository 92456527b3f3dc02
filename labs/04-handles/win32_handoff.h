// What worker 0 and the readers leave in the region for the Win32 half of
// lab 04, and the handshake they hold through it.
//
// A reader cannot be handed a HANDLE until worker 0 knows which process it
// is, so each reader writes its process id into its slot and asks; worker 0
// opens that process with PROCESS_DUP_HANDLE, makes handles in it with
// DuplicateHandle, writes their values (numbers in the READER's handle
// table) into the slot, and answers. Under `double` a reader runs once per
// view, so it asks once per view; the counters say which request is which.
// Every wait polls the region with Sleep(1) up to WAIT_MS, then gives up.
#ifndef SHMLAB_LAB04_WIN32_HANDOFF_H
#define SHMLAB_LAB04_WIN32_HANDOFF_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"           // <windows.h> first, then struct worker
#include "shmlab/shared_type.h"

#define W32_READERS 32          // slots: the harness runs at most 32 workers
#define W32_VALUES 2            // handle values worker 0 writes per request
#define WAIT_MS 3000            // the bound on every wait for a peer
#define TEXT_MAX 48

struct slot {
	volatile LONG pid;      // the reader's process id, written before it asks
	volatile LONG asked;    // requests the reader has made (one per view)
	volatile LONG served;   // requests worker 0 has answered
	volatile LONG seen;     // requests whose handles the reader has checked
	volatile LONG revoked;  // requests worker 0 has finished with
	volatile LONG done;     // requests the reader has finished with
	uint64_t value[W32_VALUES];     // handle values in the READER's table
};
SHMLAB_SHARED_TYPE(struct slot);

struct w32_handoff {
	uint64_t handle;        // 04-raw-handle-broken: worker 0's own handle value
	uint32_t pid;           // worker 0
	uint32_t pad;
	char text[TEXT_MAX];    // what worker 0 wrote at the start of its section
	struct slot slot[W32_READERS];
};

_Static_assert(sizeof(struct w32_handoff) <= 4096, "the handoff fits the region");

// The name of a Win32 error code, for messages: the ones this lab meets.
static inline const char *
error_name(DWORD e, char *buf, size_t len)
{
	switch (e) {
	case ERROR_SUCCESS: return "ERROR_SUCCESS";
	case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
	case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
	case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
	case ERROR_NOT_ENOUGH_MEMORY: return "ERROR_NOT_ENOUGH_MEMORY";
	}
	snprintf(buf, len, "error %lu", (unsigned long)e);
	return buf;
}

#define ERRNAME(e) error_name((e), (char[32]){ 0 }, 32)

// Waits until *p >= want, polling; 0, or -1 after WAIT_MS.
static inline int
wait_for(volatile LONG *p, LONG want)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		if (InterlockedCompareExchange(p, 0, 0) >= want)
			return 0;
		Sleep(1);
	}
	return InterlockedCompareExchange(p, 0, 0) >= want ? 0 : -1;
}

// A pagefile-backed section of `size` bytes with `text` at its start, and no
// name: the only way to it is a handle. Returns the handle, or NULL.
static inline HANDLE
make_section(const char *text)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0)) == NULL) {
		CloseHandle(s);
		return NULL;
	}
	snprintf(p, TEXT_MAX, "%s", text);
	UnmapViewOfFile(p);
	return s;
}

// Reads the text at the start of section s into buf. 0, or -1 with
// GetLastError() saying why.
static inline int
read_section(HANDLE s, char *buf, size_t len)
{
	const char *p = MapViewOfFile(s, FILE_MAP_READ, 0, 0, 0);

	if (p == NULL)
		return -1;
	snprintf(buf, len, "%.*s", TEXT_MAX - 1, p);
	UnmapViewOfFile(p);
	return 0;
}

// Worker 0's side: for every reader and each of its requests, open the
// reader's process, `push` handles into it (which writes their values into
// the slot), answer, let `after` continue the conversation, and wait until
// the reader is done. Returns 0, or fail()'s -1.
typedef int (*push_fn)(struct worker *, struct w32_handoff *, struct slot *, HANDLE reader, int i);

static inline int
serve(struct worker *w, struct w32_handoff *h, push_fn push, push_fn after)
{
	for (int i = 1; i < w->procs && i < W32_READERS; i++) {
		struct slot *s = &h->slot[i];
		for (LONG k = 1; k <= w->views; k++) {
			HANDLE reader;
			int rc = 0;
			if (wait_for(&s->asked, k) < 0)
				return fail(w, "worker %d did not ask for its handles within %d ms", i, WAIT_MS);
			reader = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)s->pid);
			if (reader == NULL)
				return fail(w, "OpenProcess(PROCESS_DUP_HANDLE, worker %d, pid %ld): %s",
				    i, (long)s->pid, ERRNAME(GetLastError()));
			rc = push(w, h, s, reader, i);
			InterlockedExchange(&s->served, k);     // answered, even on failure: it must not wait
			if (rc == 0 && after)
				rc = after(w, h, s, reader, i);
			if (rc == 0 && wait_for(&s->done, k) < 0)
				rc = fail(w, "worker %d did not finish with its handles within %d ms", i, WAIT_MS);
			CloseHandle(reader);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

// A reader's side: write this process's id, ask, and wait for the answer.
// Returns the request's number, or fail()'s -1.
static inline LONG
ask(struct worker *w, struct slot *s)
{
	LONG k;

	InterlockedExchange(&s->pid, (LONG)GetCurrentProcessId());
	k = InterlockedIncrement(&s->asked);
	if (wait_for(&s->served, k) < 0)
		return fail(w, "worker 0 did not answer within %d ms (see its report)", WAIT_MS);
	return k;
}

#endif
