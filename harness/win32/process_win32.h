// Starting processes on Windows, for the run (win32.c), the kill test
// (kill_procs_win32.c) and front_win32.c's question to lab 01's reader.
#ifndef SHMLAB_PROCESS_WIN32_H
#define SHMLAB_PROCESS_WIN32_H

#include <stddef.h>
#include <windows.h>

// How many bits a pointer has in the worker program exe, as it says itself
// when started with --abi, or 0 if this system cannot run it (64-bit Wine
// without its 32-bit half). Waits at most ms.
int pointer_bits_of(const char *exe, int ms);

// CreateProcessA of exe with command line cmd, suspended, detached, with
// the inheritable handles; tried again a few times, bounded, when Wine's
// server answers ERROR_INTERNAL_ERROR. Returns FALSE with GetLastError().
BOOL create_process(const char *exe, char *cmd, STARTUPINFOA *si, PROCESS_INFORMATION *pi);

// Appends one argument to the command line cmd (len bytes), quoted the way
// CommandLineToArgvW and the C runtime read it.
void append_arg(char *cmd, size_t len, const char *arg);

// path as a shell on the machine that runs Wine takes it: under Wine a path
// on the Z: drive (the root) becomes the Unix path, written into buf;
// otherwise path itself.
const char *shell_path(const char *path, char *buf, size_t len);

// A job object that ends its processes when its last handle is closed
// (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), or NULL.
HANDLE make_job(void);

#endif
