// What the Win32 supervisor offers beyond ../run.h.
#ifndef SHMLAB_SUPERVISE_WIN32_H
#define SHMLAB_SUPERVISE_WIN32_H

// How many bits a pointer has in the worker program exe, as it says itself
// when started with --abi, or 0 if this system cannot run it (64-bit Wine
// without its 32-bit half). Waits at most ms.
int pointer_bits_of(const char *exe, int ms);

#endif
