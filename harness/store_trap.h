/*
 * Stopping a process just before each store it makes into a range of its
 * memory, so that another process can act in the window a race needs.
 *
 * A data race between processes is a window: one process has read a word
 * and is about to write what it computed from it, and another changes the
 * word in between. Running the two side by side finds the window only when
 * the scheduler happens to cut there. This finds it every time: while the
 * trap is armed, the range is read-only, so each store into it faults
 * before it happens; the fault calls before_store, which may let another
 * process run to completion, and then the one instruction is executed alone
 * (the range made writable, the trap flag set) and the range made read-only
 * again. Reads are never stopped, so every load that precedes a store has
 * happened when before_store runs.
 *
 * x86 Linux only (the trap flag), and not under ThreadSanitizer, which
 * performs a program's atomic operations inside its runtime, holding its
 * own locks: a fault there cannot be held while the hook waits.
 * store_trap_unsupported() says whether this build can. One trap per process, for the thread that arms it; before_store runs
 * in a signal handler, so it may use async-signal-safe calls and atomics
 * only.
 */
#ifndef SHMLAB_STORE_TRAP_H
#define SHMLAB_STORE_TRAP_H

#include <stddef.h>

// Called before the store to addr executes. Returns 1 to go on trapping,
// 0 to let this store and every later one through until the next arm.
typedef int store_hook(void *addr, void *arg);

// NULL if this build can trap stores, else why not.
const char *store_trap_unsupported(void);

// Makes [start, start + len) read-only until disarm; start and len are
// multiples of the page size. Returns 0, or -1 with errno.
int store_trap_arm(void *start, size_t len, store_hook *before_store, void *arg);

// The range writable again and the process's own fault handlers back;
// harmless when the hook has already let everything through.
void store_trap_disarm(void);

#endif
