/*
 * Who a process is, for the reference's feature sets that name one in the
 * region (handles.c's giver, sync.c's lock owner). A pid alone does not
 * name a process for long: once it has exited and been reaped the kernel
 * gives its pid to another. The pid with the process's start time does:
 * two processes with one pid cannot have started in the same clock tick.
 * Internal to the library: hidden, not part of the contract.
 */
#ifndef SHMLAB_REFERENCE_PROCESS_H
#define SHMLAB_REFERENCE_PROCESS_H

#include <stdint.h>
#include <sys/types.h>

// The start time of process pid, in clock ticks since boot (proc(5),
// /proc/<pid>/stat field 22), and, if state is not NULL, its state letter
// (field 3: 'Z' a zombie, 'X' dead). Returns 0, or -1 with errno ESRCH if
// there is no such process.
__attribute__((visibility("hidden")))
int shmlab_proc_stat(pid_t pid, char *state, uint64_t *start);

#endif
