/*
 * Readers of another ABI, and whether this machine can run them.
 *
 * A mixed-ABI run (MIXED_ABI) gives its odd-numbered workers a program built
 * for another ABI than the writer's, so that a struct whose layout is left
 * to the compiler is read with other offsets: lab 01's lessons, and the
 * contract's mixed-abi rule, whose i386 workers load an i386 build of the
 * library under test (other_abi_twin). Two such programs exist:
 *
 *   i386    shmlab-worker-i386, the worker built with -m32 (ILP32: long and
 *           pointers 4 bytes). It needs a kernel that runs 32-bit x86
 *           programs, which many do not (IA-32 emulation compiled out, or
 *           off with ia32_emulation=0).
 *   win64   the Win32 track's shmlab-worker.exe under 64-bit Wine (LLP64:
 *           long 4 bytes, pointers 8). It maps the region's file through
 *           Wine's Z: drive and speaks to the harness over its standard
 *           input and output. It needs the Win32 track built and Wine's
 *           64-bit loader; no 32-bit anything.
 *
 * Whether a program runs is asked of the machine, not guessed: the harness
 * starts it once with --abi and expects its pointer width as exit status.
 * SHMLAB_NO_I386 in the environment makes the i386 answer "no", so the
 * paths of a machine without IA-32 emulation are tested on one with it.
 *
 * Wine, rarely (about once in some hundreds of runs under load), ends a
 * program it is starting before the program runs a line. That is Wine's
 * failure, not the lesson's: a run in which a Windows reader ended without a
 * word is run once more, saying so on stderr, with Wine's own errors shown.
 */
#ifndef SHMLAB_OTHER_ABI_H
#define SHMLAB_OTHER_ABI_H

#include <stddef.h>

#include "run.h"

// The programs of the other ABIs in this build (bindir: the harness's own
// directory, ending in "bin/"), and Wine's 64-bit loader: $SHMLAB_WINE, else
// the one CMake found. Fills in r->worker32, r->worker_win64 and r->wine64.
void other_abi_find(struct run *r, const char *bindir);

// Can this machine run the other ABI's reader? Returns 1, or 0 with the
// cause and the way out in why. Under OTHER_ABI_AUTO it settles
// r->other_abi on the first that runs: i386, then win64. Asking about win64
// sets the environment Wine runs in (WINEPREFIX: this build's prefix, unless
// set), which the run's workers inherit.
int other_abi_ready(struct run *r, char *why, size_t len);

// A CONTRACT scenario's i386 workers cannot load the 64-bit library under
// test (r->impl, DIR/libX.so); they load its i386 twin, DIR/i386/libX.so,
// which the build makes of the project's own libraries where it builds i386
// programs (cmake/implementation.cmake). Sets r->impl32 and returns 1, or
// returns 0 with the cause and the way out in why if the twin is not there.
int other_abi_twin(struct run *r, char *why, size_t len);

// True if Wine ended one of r's Windows readers before it said a word: Wine
// failed to start the program, which it does, rarely, not the scenario.
// *which is that worker.
int wine_failed_to_start(const struct run *r, int *which);

#endif
