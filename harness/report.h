// What a run prints: a page for people, JSON for programs, SVG for slides;
// the same code on both systems (report.c), in the words of each.
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
// The JSON report of run r, or, when why is not NULL, of r skipped for
// that reason, to path. Returns 0, or -1 if path cannot be written.
int report_json(const char *path, const struct run *r, const char *argv0, const char *why);

// `list --json`: every scenario of the table with its predictions.
void report_list_json(FILE *out);

// A mask of strategies or of feature sets as a JSON array of their names.
struct json;
void json_strategies(struct json *j, unsigned mask);
void json_features(struct json *j, unsigned mask);

// What the reports say in the words of one system, given by its platform
// half (posix.c, win32/win32.c).
struct report_terms {
	const char *platform;           // the JSON's "platform", or NULL for none
	const char *title;              // after the seed in the page's first line
	int posix_facts;                // memfd regions, lab 01's Windows reader and data
	                                // models: POSIX's facts, in its reports only
	const char *(*death)(int signo);        // "SIGSEGV", "EXCEPTION_ACCESS_VIOLATION"
	// path as a shell on this machine takes it, into buf, or path itself
	const char *(*shown_path)(const char *path, char *buf, size_t len);
};
extern const struct report_terms report_terms;
int report_svg(const char *path, const struct run *r);

#endif
