/*
 * The wire between the harness and one worker: an AF_UNIX SOCK_SEQPACKET
 * socket pair, so every message arrives whole and alone. Messages are short
 * lines of text, readable in strace:
 *
 *   worker -> harness   mapped <pid> <abi bits> <base> [<base>]
 *                       ok <heap start> <heap end>   (after prepare)
 *                       pass | fail <why> | error <why>
 *                       nostart <why>   (from the harness's child when exec failed)
 *                       signal <number> <fault address>
 *   harness -> worker   prepare | run | quit
 */
#ifndef SHMLAB_CHANNEL_H
#define SHMLAB_CHANNEL_H

#include <stddef.h>

#define CHAN_MSG_MAX 512

// Sends one message; returns 0 or -1 (errno).
int chan_send(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Receives one message into buf (NUL-terminated). Returns its length, 0 when
// the other end has closed, -1 on error or when timeout_ms passed (ETIMEDOUT).
int chan_recv(int fd, char *buf, size_t len, int timeout_ms);

#endif
