/*
 * Global ids: naming, in the region, things that live outside it (the
 * optional feature set SHMLAB_FEATURE_GLOBAL_IDS, contract 1.2; labs 05 and
 * 06).
 *
 * The region can hold a name only if the name means the same thing in every
 * process that maps it. A descriptor or a HANDLE does not (lab 04), nor does
 * an address, of data or of code (labs 02 and 06). Two kinds of name do:
 *
 *   - A mailbox is a message queue named by an id the kernel gives out for
 *     the whole IPC namespace (on POSIX a SysV message queue id, msgget(2)),
 *     as an HWND names a window for the whole desktop. Any process that maps
 *     the region can send to it; nothing in the region is process-local.
 *   - A function is named by a string that each process looks up in a table
 *     of its own: the region says which function, each process knows where
 *     its own copy is.
 *
 * A mailbox is SHMLAB_MAILBOX_SIZE bytes at an offset aligned to 8, a function
 * slot SHMLAB_FUNCTION_SLOT_SIZE bytes anywhere; the caller allocates both.
 * Their layout is the implementation's. Every function returns 0 on success
 * and -1 with errno set on failure. Sources: msgget(2), msgop(2), msgctl(2),
 * sysvipc(7), ipc_namespaces(7).
 */
#ifndef SHMLAB_GLOBAL_IDS_H
#define SHMLAB_GLOBAL_IDS_H

#include <stddef.h>
#include "shmlab/offset.h"

#define SHMLAB_MAILBOX_SIZE        16u
#define SHMLAB_MAILBOX_MSG_MAX     256u   // bytes in one message, at most
#define SHMLAB_FUNCTION_SLOT_SIZE  32u    // a name of up to 31 bytes, and its NUL

// Makes a mailbox and writes its id at box. Errors: ERANGE (box is not inside
// the view), EINVAL (not aligned to 8), ENOSPC (the system's limit of queues).
int shmlab_mailbox_create(const struct shmlab_view *v, shmlab_off box);

// Sends len bytes to the mailbox at box, without waiting. Errors: ERANGE,
// EINVAL (no mailbox there, or it was destroyed), EMSGSIZE (len is more than
// SHMLAB_MAILBOX_MSG_MAX), EAGAIN (the mailbox is full).
int shmlab_mailbox_send(const struct shmlab_view *v, shmlab_off box, const void *msg, size_t len);

// Takes the oldest message from the mailbox at box, waiting at most
// timeout_ms for one; copies it to buf and its length to *len. Errors: ERANGE,
// EINVAL, ETIMEDOUT (none came), E2BIG (the message is longer than cap: it
// stays in the mailbox).
int shmlab_mailbox_recv(const struct shmlab_view *v, shmlab_off box, void *buf, size_t cap, size_t *len,
    int timeout_ms);

// Destroys the mailbox at box and clears it; messages in it are lost.
// Errors: ERANGE, EINVAL (no mailbox there).
int shmlab_mailbox_destroy(const struct shmlab_view *v, shmlab_off box);

// A function a process can be asked to call by name: each process passes its
// own table, in which `call` is its own address.
struct shmlab_function {
	const char *name;
	int (*call)(void *arg);
};

// Writes the name of the function `name` of table[0..n-1] into the slot at
// slot. Errors: ERANGE (the slot is not inside the view), ENOENT (name is not
// in the table), ENAMETOOLONG (name has more than 31 bytes).
int shmlab_function_store(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, const char *name);

// Calls, with arg, the function of this process's table[0..n-1] whose name
// is in the slot at slot, and stores what it returns in *result. Errors:
// ERANGE, EINVAL (the slot holds no name: no NUL within it, or empty),
// ENOENT (no function of that name in the table).
int shmlab_function_call(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, void *arg, int *result);

#endif
