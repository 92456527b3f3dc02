/*
 * The channel on Windows (../channel.h): a named pipe in message mode, so
 * every message arrives whole and alone, as on POSIX's SOCK_SEQPACKET pair.
 *
 * The harness holds the server end; it opens the client end itself,
 * inheritable, and hands it to exactly one worker through CreateProcess,
 * closing its own copy at once. Both ends are overlapped, so every wait on
 * them has a bound.
 */
#ifndef SHMLAB_CHANNEL_WIN32_H
#define SHMLAB_CHANNEL_WIN32_H

#include "channel.h"

// Creates one channel: *server for the harness, *client (inheritable) for
// the worker. Returns 0, or -1 with GetLastError() set.
int chan_pair(HANDLE *server, HANDLE *client);

#endif
