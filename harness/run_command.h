// The `run` command's steps that need no system (run_command.c).
#ifndef SHMLAB_RUN_COMMAND_H
#define SHMLAB_RUN_COMMAND_H

#include "run.h"

// The harness's exit statuses (main.c says what each means).
enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_SKIP = 77 };

// Reports r skipped for the reason why, on stdout and in --json. Returns
// EXIT_SKIP.
int run_skip(const struct run *r, const struct outputs *o, const char *argv0, const char *why);

// A CONTRACT scenario's library, loaded before any worker starts: one that
// cannot be tested is refused (EXIT_USAGE, said on stderr), one that does
// not declare a feature set the scenario needs is skipped (run_skip), never
// passed. Returns 0 to go on (r->impl_version set), else the exit status.
int run_check_impl(struct run *r, const struct outputs *o, const char *argv0);

// Reports the supervised run r as o asks (page, JSON, SVG). Returns the
// exit status: by the verdict under --expect, else by the result.
int run_report(const struct run *r, const struct outputs *o, const char *argv0);

#endif
