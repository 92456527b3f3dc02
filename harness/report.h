// What a run prints: a page for people, JSON for programs, SVG for slides.
#ifndef SHMLAB_REPORT_H
#define SHMLAB_REPORT_H

#include <stdio.h>
#include "run.h"

extern int report_color;        // 1: ANSI colours (a terminal, not CI)

// The escape that colours `what` ("PASS", "FAIL", "SIGNALED", "HUNG",
// "SKIP", "ERROR", "dim"; "off" ends it), or "" without colours.
const char *report_paint(const char *what);

// Where a worker's fault address lies: in which view of which worker, or in
// none. Writes one sentence into buf.
void where_is(const struct run *r, int i, char *buf, size_t len);

// "pass", "caught" or "depends": what the lesson predicts for this run.
const char *expectation(const struct run *r);

// Whether run r went as predicted, decided here and nowhere else: one of
// VERDICT_AS_PREDICTED, VERDICT_NOT_AS_PREDICTED, VERDICT_ERROR (the
// harness could not do its job). A skipped run never gets this far
// ("skipped", exit status 77).
enum verdict { VERDICT_AS_PREDICTED, VERDICT_NOT_AS_PREDICTED, VERDICT_ERROR };
enum verdict verdict_of(const struct run *r);
const char *verdict_name(enum verdict v);

// The command that replays run r, into buf.
void replay_line(char *buf, size_t len, const struct run *r, const char *argv0);

void report_text(FILE *out, const struct run *r, const char *argv0);
int report_json(const char *path, const struct run *r, const char *argv0);
int report_svg(const char *path, const struct run *r);

#endif
