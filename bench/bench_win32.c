/*
 * shmlab-bench-win32.exe: the Win32 figures of shmlab-bench (3 and 4 of
 * docs/performance.md), run under Wine by shmlab-bench when both are there.
 *
 *   event_rtt     two auto-reset events, set and waited for in turn by two
 *                 processes: the baseline round trip
 *   hwnd_rtt      WM_APP posted to the other process's message-only window
 *                 by its HWND, and an answer posted back to ours
 *   dup_local     DuplicateHandle within this process: the baseline
 *   dup_remote    DuplicateHandle into the other process
 *                 (neither closes its duplicates: each process exits with
 *                 them, so both time one call, the same call)
 *
 * The child is this program again ("child HWND-OF-PARENT EVENT-A EVENT-B",
 * inheriting the events). Prints one line: name=microseconds ..., medians of
 * 5 runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#define N 2000
#define REPS 5

static HWND peer;               // the other process's window
static volatile LONG answers;

static LRESULT CALLBACK
answer(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	if (msg == WM_APP) {            // in the child: answer; in the parent: count
		if (peer)
			PostMessageA(peer, WM_APP + 1, 0, 0);
		return 0;
	}
	if (msg == WM_APP + 1) {
		answers++;
		return 0;
	}
	return DefWindowProcA(hwnd, msg, wp, lp);
}

static HWND
message_window(void)
{
	WNDCLASSA wc = { .lpfnWndProc = answer, .hInstance = GetModuleHandleA(NULL), .lpszClassName = "shmlab-bench" };

	RegisterClassA(&wc);
	return CreateWindowExA(0, wc.lpszClassName, "", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, wc.hInstance, NULL);
}

static double
now_us(void)
{
	static LARGE_INTEGER f;
	LARGE_INTEGER t;

	if (!f.QuadPart)
		QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&t);
	return (double)t.QuadPart * 1e6 / (double)f.QuadPart;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v)
{
	qsort(v, REPS, sizeof *v, by_value);
	return v[REPS / 2];
}

static int
child(HWND parent, HANDLE ping, HANDLE pong)
{
	MSG m;

	peer = parent;
	PostMessageA(parent, WM_APP + 2, 0, (LPARAM)message_window());  // "here is my window"
	for (;;) {                      // pings by event until the parent stops, then messages
		DWORD w = MsgWaitForMultipleObjects(1, &ping, FALSE, 30000, QS_ALLINPUT);
		if (w == WAIT_OBJECT_0)
			SetEvent(pong);
		else if (w == WAIT_OBJECT_0 + 1)
			while (PeekMessageA(&m, NULL, 0, 0, PM_REMOVE)) {
				if (m.message == WM_QUIT)
					return 0;
				DispatchMessageA(&m);
			}
		else
			return 1;
	}
}

int
main(int argc, char **argv)
{
	SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
	HANDLE ping, pong, dup;
	HWND mine;
	STARTUPINFOA si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	char cmd[512], self[MAX_PATH];
	double t[REPS], event_rtt, hwnd_rtt, dup_local, dup_remote;
	MSG m;

	if (argc == 5 && strcmp(argv[1], "child") == 0)
		return child((HWND)(intptr_t)strtoll(argv[2], NULL, 0), (HANDLE)(intptr_t)strtoll(argv[3], NULL, 0),
		    (HANDLE)(intptr_t)strtoll(argv[4], NULL, 0));
	ping = CreateEventA(&inherit, FALSE, FALSE, NULL);
	pong = CreateEventA(&inherit, FALSE, FALSE, NULL);
	mine = message_window();
	GetModuleFileNameA(NULL, self, sizeof self);
	snprintf(cmd, sizeof cmd, "\"%s\" child %lld %lld %lld", self, (long long)(intptr_t)mine,
	    (long long)(intptr_t)ping, (long long)(intptr_t)pong);
	if (!CreateProcessA(self, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
		return 2;
	while (!peer && GetMessageA(&m, NULL, 0, 0) > 0)   // the child's window
		if (m.message == WM_APP + 2)
			peer = (HWND)m.lParam;
	for (int r = 0; r < REPS; r++) {
		double t0 = now_us();
		for (int k = 0; k < N; k++) {
			SetEvent(ping);
			if (WaitForSingleObject(pong, 10000) != WAIT_OBJECT_0)
				return 3;
		}
		t[r] = (now_us() - t0) / N;
	}
	event_rtt = median(t);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_us();
		for (int k = 0; k < N; k++) {
			LONG want = answers + 1;
			PostMessageA(peer, WM_APP, 0, 0);
			while (answers < want && GetMessageA(&m, NULL, 0, 0) > 0)
				DispatchMessageA(&m);
		}
		t[r] = (now_us() - t0) / N;
	}
	hwnd_rtt = median(t);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_us();
		for (int k = 0; k < N / 10; k++)
			DuplicateHandle(GetCurrentProcess(), ping, GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS);
		t[r] = (now_us() - t0) / (N / 10);
	}
	dup_local = median(t);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_us();
		for (int k = 0; k < N / 10; k++)
			DuplicateHandle(GetCurrentProcess(), ping, pi.hProcess, &dup, 0, FALSE, DUPLICATE_SAME_ACCESS);
		t[r] = (now_us() - t0) / (N / 10);
	}
	dup_remote = median(t);
	PostMessageA(peer, WM_QUIT, 0, 0);
	WaitForSingleObject(pi.hProcess, 10000);
	printf("event_rtt=%.2f hwnd_rtt=%.2f dup_local=%.3f dup_remote=%.3f\n", event_rtt, hwnd_rtt, dup_local, dup_remote);
	return 0;
}
