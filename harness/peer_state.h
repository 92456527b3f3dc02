/*
 * Whether another process is waiting, told from outside it: asleep in the
 * kernel (a futex, a lock's sleep), or running without getting anywhere (a
 * spin lock), which shows as CPU time used.
 *
 * A scenario that stops one process in the middle of a call and asks
 * another to make a call of its own must know when the second is blocked
 * behind the first (a lock the first holds) rather than merely slow: wall
 * time cannot tell them apart on a loaded machine, the second's state and
 * its CPU time can. Linux only (/proc and the process CPU clock); elsewhere
 * a peer is never seen waiting.
 */
#ifndef SHMLAB_PEER_STATE_H
#define SHMLAB_PEER_STATE_H

#include <stdint.h>

// The CPU time process pid has used, in nanoseconds; 0 if it cannot be read.
uint64_t peer_cpu_ns(long pid);

// 1 if process pid is asleep (interruptibly: a futex, a nanosleep), or has used more than spin_ns of CPU since
// peer_cpu_ns gave cpu_then; 0 if it is running or runnable; -1 if it is gone.
int peer_waiting(long pid, uint64_t cpu_then, uint64_t spin_ns);

#endif
