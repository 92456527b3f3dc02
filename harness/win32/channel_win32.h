/*
 * The wire between the Win32 harness and one worker: a named pipe in message
 * mode, so every message arrives whole and alone, as the POSIX harness's
 * SOCK_SEQPACKET pair does. The words are those of ../channel.h (a fault is
 * "signal <exception code> <address>", the code in hex).
 *
 * The harness holds the server end; it opens the client end itself,
 * inheritable, and hands it to exactly one worker through CreateProcess,
 * closing its own copy at once. Both ends are overlapped, so every wait on
 * them has a bound.
 */
#ifndef SHMLAB_CHANNEL_WIN32_H
#define SHMLAB_CHANNEL_WIN32_H

#include <stddef.h>
#include <windows.h>

#include "scenario.h"           // SHMLAB_PRINTF

#define CHAN_MSG_MAX 512

// Creates one channel: *server for the harness, *client (inheritable) for
// the worker. Returns 0, or -1 with GetLastError() set.
int chan_pair(HANDLE *server, HANDLE *client);

// Sends one message; returns 0 or -1.
int chan_send(HANDLE h, const char *fmt, ...) SHMLAB_PRINTF(2, 3);

// Receives one message into buf (NUL-terminated). Returns its length, 0 when
// the other end has closed, -1 on error or when timeout_ms passed.
int chan_recv(HANDLE h, char *buf, size_t len, int timeout_ms);

#endif
