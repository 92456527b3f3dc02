// The channel on Windows: a named pipe (channel_win32.h).
#include <stdio.h>

#include "channel_win32.h"

int
chan_pair(HANDLE *server, HANDLE *client)
{
	static LONG serial;
	SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
	DWORD mode = PIPE_READMODE_MESSAGE;
	char name[96];

	snprintf(name, sizeof name, "\\\\.\\pipe\\shmlab-%lu-%ld-%llx", (unsigned long)GetCurrentProcessId(),
	    (long)InterlockedIncrement(&serial), (unsigned long long)GetTickCount64());
	*server = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
	    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
	    1, CHAN_MSG_MAX, CHAN_MSG_MAX, 0, NULL);
	if (*server == INVALID_HANDLE_VALUE)
		return -1;
	*client = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, &inherit, OPEN_EXISTING,
	    FILE_FLAG_OVERLAPPED, NULL);
	if (*client == INVALID_HANDLE_VALUE || !SetNamedPipeHandleState(*client, &mode, NULL, NULL)) {
		DWORD error = GetLastError();
		if (*client != INVALID_HANDLE_VALUE)
			CloseHandle(*client);
		CloseHandle(*server);
		SetLastError(error);
		return -1;
	}
	return 0;
}

// Waits for one overlapped operation on h, at most timeout_ms; cancels it on
// timeout. Returns the bytes moved, or -1. An operation that completes
// between the timeout and the cancel has moved its bytes: they are returned,
// never dropped (a poll with timeout 0 would otherwise lose a message).
static int
finish(HANDLE h, OVERLAPPED *ov, BOOL started, int timeout_ms)
{
	DWORD n = 0;

	if (!started && GetLastError() != ERROR_IO_PENDING)
		return -1;
	if (WaitForSingleObject(ov->hEvent, (DWORD)timeout_ms) != WAIT_OBJECT_0) {
		CancelIo(h);
		if (GetOverlappedResult(h, ov, &n, TRUE))       // the cancel completes at once
			return (int)n;
		SetLastError(ERROR_TIMEOUT);
		return -1;
	}
	return GetOverlappedResult(h, ov, &n, FALSE) ? (int)n : -1;
}

int
chan_write(chan_t h, const char *msg, size_t n)
{
	OVERLAPPED ov = { 0 };
	int sent;

	if ((ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL)
		return -1;
	sent = finish(h, &ov, WriteFile(h, msg, (DWORD)n, NULL, &ov), 5000);
	CloseHandle(ov.hEvent);
	return sent == (int)n ? 0 : -1;
}

int
chan_recv(chan_t h, char *buf, size_t len, int timeout_ms)
{
	OVERLAPPED ov = { 0 };
	int n;

	if ((ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL)
		return -1;
	n = finish(h, &ov, ReadFile(h, buf, (DWORD)len - 1, NULL, &ov), timeout_ms);
	CloseHandle(ov.hEvent);
	if (n < 0 && GetLastError() == ERROR_BROKEN_PIPE)
		n = 0;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}
