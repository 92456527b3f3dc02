// SysV IPC objects a run leaves behind (lab 05 and the global-ids set).
#ifndef SHMLAB_SYSV_LEFTOVERS_H
#define SHMLAB_SYSV_LEFTOVERS_H

#include <stddef.h>

#define SYSV_SNAPSHOT_MAX 256

struct sysv_snapshot {
	int lock;                       // the held lock, or -1
	int n;
	struct { char kind; int id; } ids[SYSV_SNAPSHOT_MAX];
};

// Takes the machine-wide lock (waiting at most timeout_ms) and records
// every SysV message queue, shared memory segment and semaphore set this
// user owns. Returns 0, or -1 if the lock could not be had in time.
int sysv_before(struct sysv_snapshot *s, int timeout_ms);

// Removes every object this user owns that s did not record, describes them
// in why (empty if none), and releases the lock. Returns how many there were.
int sysv_after(struct sysv_snapshot *s, char *why, size_t len);

#endif
