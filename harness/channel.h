/*
 * The channel between the harness and one worker, on both systems: a
 * message goes whole and alone, or not at all. On POSIX it is an AF_UNIX
 * SOCK_SEQPACKET socket pair (channel_posix.c); on Windows a named pipe in
 * message mode (win32/channel_win32.c), or, for lab 01's Windows reader
 * under the POSIX harness, the socket as Wine gives it to the worker's
 * standard handles. What goes over it is wire.h's; the kill test's own
 * words are kill_worker.c's.
 *
 * Formatting is the same on both systems (channel.c); moving the bytes is
 * each system's (chan_write, chan_recv).
 */
#ifndef SHMLAB_CHANNEL_H
#define SHMLAB_CHANNEL_H

#include <stddef.h>

#include "scenario.h"           // SHMLAB_PRINTF
#include "wire.h"

#ifdef _WIN32
#include <windows.h>
typedef HANDLE chan_t;
#else
typedef int chan_t;
#endif

#define CHAN_MSG_MAX 512

// Sends one message written as printf writes it; a long one is cut, never
// split. Returns 0 or -1.
int chan_send(chan_t c, const char *fmt, ...) SHMLAB_PRINTF(2, 3);

// Sends the wire message m. A message that does not carry what its row says
// goes as `error` naming it, so the harness reports the mistake. Calls no
// library function but chan_write. Returns 0 or -1.
int chan_tell(chan_t c, const struct wire_msg *m);

// The system's half. Sends n bytes as one message; on POSIX safe in a
// signal handler. Returns 0 or -1.
int chan_write(chan_t c, const char *msg, size_t n);

// Receives one message into buf (NUL-terminated). Returns its length, 0 when
// the other end has closed, -1 on error or when timeout_ms passed.
int chan_recv(chan_t c, char *buf, size_t len, int timeout_ms);

#endif
