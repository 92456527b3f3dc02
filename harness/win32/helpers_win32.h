/*
 * What a scenario may start the Win32 worker program as, besides a worker.
 * Windows has no fork, so a scenario that needs a process of its own, one
 * that does a part and exits while the run goes on, starts the worker program
 * again with one of these words as its first argument; the worker's main()
 * hands the rest over before it does anything else.
 */
#ifndef SHMLAB_HELPERS_WIN32_H
#define SHMLAB_HELPERS_WIN32_H

// shmlab-worker.exe --give-and-exit LIBRARY REGION TICKET: loads the
// implementation LIBRARY, maps the region named REGION through it, gives a
// section of its own at offset TICKET and exits, leaving a ticket whose giver
// is gone (conformance/scenarios/handles_win32.c). Returns the exit status:
// 0 given, 2 the library cannot be loaded or lacks handles, 3 the region
// cannot be mapped, 4 handle_give failed.
#define GIVE_AND_EXIT "--give-and-exit"
int give_and_exit(const char *library, const char *region, const char *ticket);

// shmlab-worker.exe --hold-and-die NAME: opens the mutex and section of lab
// 07's run NAME, takes the mutex, does half of an update and waits to be
// ended with TerminateProcess (labs/07-locks/win32_named_mutex.c).
#define HOLD_AND_DIE "--hold-and-die"
int hold_and_die(const char *name);

#endif
