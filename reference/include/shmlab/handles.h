/*
 * Handles: giving another process a descriptor through the region (the
 * optional feature set SHMLAB_FEATURE_HANDLES, contract 1.1; lab 04).
 *
 * A descriptor number is an index into one process's table: stored in the
 * region it names nothing, or another file, in every other process. What the
 * region can carry is a ticket: facts that let another process ask the
 * kernel for a descriptor of its own for the same open file. The giver writes
 * one (shmlab_handle_give), the taker turns it into a descriptor in its own
 * table (shmlab_handle_take), and the giver settles it (shmlab_handle_settle):
 * waits until it was taken, closes its own descriptor if it was moving it,
 * and clears the ticket.
 *
 * On Linux the taker pulls the descriptor with pidfd_open(2) and
 * pidfd_getfd(2), which needs the right to ptrace the giver
 * (PTRACE_MODE_ATTACH_REALCREDS, ptrace(2)): the same user, and under Yama's
 * ptrace_scope 1 a giver that named the taker (or an ancestor of it) with
 * prctl(PR_SET_PTRACER). The ticket names the giver by its pid and its start
 * time (proc(5), /proc/<pid>/stat), so a pid reused by another process is
 * refused, and the file by st_dev and st_ino, so a number the giver has since
 * reused for another file is refused too.
 *
 * On Windows the same three functions give and take a HANDLE (the _WIN32
 * declarations below): the taker opens the giver's process with
 * PROCESS_DUP_HANDLE and calls DuplicateHandle with it as the source and
 * itself as the target; the ticket names the giver by its process id and
 * creation time (GetProcessTimes), and a move is DUPLICATE_CLOSE_SOURCE.
 *
 * A ticket is SHMLAB_TICKET_SIZE bytes at an offset aligned to 8, anywhere in
 * the region; the caller allocates it. Its layout is the implementation's.
 *
 * Every function returns 0 on success and -1 with errno set on failure.
 * Sources: pidfd_open(2), pidfd_getfd(2), ptrace(2), proc(5), unix(7);
 * Microsoft docs, "DuplicateHandle function", "OpenProcess function",
 * "Process Security and Access Rights", "GetProcessTimes function".
 */
#ifndef SHMLAB_HANDLES_H
#define SHMLAB_HANDLES_H

#include "shmlab/offset.h"

#define SHMLAB_TICKET_SIZE 64u

enum shmlab_give_flags {
	SHMLAB_GIVE_MOVE = 1,   // the giver's descriptor is closed once the ticket is taken
};

#ifndef _WIN32

// Writes a ticket for this process's descriptor fd at ticket. flags: 0 (a
// copy: any number of processes may take it until it is settled) or
// SHMLAB_GIVE_MOVE (one process takes it; settle then closes fd). Errors:
// ERANGE (the ticket is not inside the view), EINVAL (the offset is not
// aligned to 8, or unknown flags), EBADF (fd is not open).
int shmlab_handle_give(const struct shmlab_view *v, shmlab_off ticket, int fd, unsigned flags);

// Makes a descriptor in this process for the open file of the ticket at
// ticket, with FD_CLOEXEC set, and stores it in *fd. access is O_RDONLY,
// O_WRONLY or O_RDWR: the access the caller needs, and the descriptor has no
// more. With the giver's own access mode it is the giver's open file
// description (one file offset, one set of status flags); with less, a new
// open file description of the same file, opened with that access only.
// Errors: ERANGE (the ticket is not inside the view), EINVAL (not a ticket,
// an offset not aligned to 8, or a bad access), EACCES (more access than the
// giver's descriptor has, or the file's permissions refuse this process),
// EALREADY (a moved descriptor, taken already: whatever the giver's number
// names since, contract 1.3), ESRCH (the giver is gone, or
// its pid now names another process), EBADF (the giver's number no longer
// names the file it gave), EPERM (this process may not ptrace the giver),
// ENOSYS (the kernel has no pidfd_getfd: Linux 5.6), ENXIO (less access to a
// socket, which cannot be reopened).
int shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, int access, int *fd);

// Called by the giver: waits at most timeout_ms milliseconds until the ticket
// was taken (once, for a copy), then, if it was given with SHMLAB_GIVE_MOVE,
// closes the giver's descriptor; clears the ticket either way. Errors:
// ERANGE, EINVAL (not a ticket, or not this process's; a negative timeout),
// ETIMEDOUT (nobody took it in time: the ticket is withdrawn and the
// descriptor stays open), EBADF (the giver's number no longer names the
// file it gave: nothing is closed).
int shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms);

#else   // _WIN32: HANDLEs

#include <windows.h>

// Writes a ticket for this process's handle h at ticket. access is the most
// a taker may ask for (FILE_MAP_READ, say): the giver states it, because
// Windows has no documented call that reads the access a handle was granted,
// and DuplicateHandle may grant more than the source handle has (Microsoft
// docs, "DuplicateHandle function"). flags: 0 (a copy: taken any number of
// times until it is settled) or SHMLAB_GIVE_MOVE (taken once; the taker's
// DuplicateHandle closes h). h must stay open, with the object given, until
// the ticket is settled. Errors: ERANGE (the ticket is not inside the view),
// EINVAL (not aligned to 8, unknown flags, access 0), EBADF (h is not an open
// handle of this process; a pseudo-handle included).
int shmlab_handle_give(const struct shmlab_view *v, shmlab_off ticket, HANDLE h, DWORD access,
    unsigned flags);

// Makes a handle in this process to the object of the ticket at ticket, not
// inheritable, with exactly `access`, and stores it in *out. access 0 means
// the access the giver stated. The taker duplicates it from the giver's
// process (OpenProcess with PROCESS_DUP_HANDLE), closing that process's
// handle again whatever happens. A move is taken with DUPLICATE_CLOSE_SOURCE,
// which closes the giver's handle even when the call fails, so a move is
// spent by its first take, whatever that take returns. Errors: ERANGE,
// EINVAL (not a ticket, or withdrawn or settled), EACCES (more access than
// the giver stated), EALREADY (a move, taken already), ESRCH (the giver has
// exited, or its process id now names another process), EPERM (this process
// may not open the giver with PROCESS_DUP_HANDLE), EBADF (the giver's handle
// value names no handle any more).
int shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, DWORD access, HANDLE *out);

// Called by the giver: waits at most timeout_ms milliseconds until the ticket
// was taken (once, for a copy; for a move, until its taker has closed the
// giver's handle), then clears it. The wait polls the ticket: Windows has no
// wait on an address shared between processes (WaitOnAddress is for the
// threads of one process). Errors: ERANGE, EINVAL (not a ticket, or not this
// process's; a negative timeout), ETIMEDOUT (nobody took it in time: the
// ticket is withdrawn and h stays open), EINPROGRESS (at the deadline a
// taker had claimed the move and not finished: h is the taker's to close;
// settle again).
int shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms);

#endif
#endif
