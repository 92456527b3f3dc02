// What a Win32 run prints: the page for people and the JSON for programs,
// with the facts and field names of ../report.c.
#ifndef SHMLAB_REPORT_WIN32_H
#define SHMLAB_REPORT_WIN32_H

#include <stdio.h>
#include "report.h"

// The name of an exception code, "EXCEPTION_ACCESS_VIOLATION", else its hex.
const char *exception_name(int code);

// path as a shell on the machine that runs Wine takes it: under Wine a path
// on the Z: drive (the root) becomes the Unix path, written into buf;
// otherwise path itself.
const char *shell_path(const char *path, char *buf, size_t len);


void report_text_win32(FILE *out, const struct run *r, const char *argv0);

// Writes the JSON report of r to path; a SKIP report when why is not NULL.
// Returns 0, or -1 if the file cannot be written.
int report_json_win32(const char *path, const struct run *r, const char *argv0, const char *why);

// Writes `list --json`: every scenario of the table with its predictions.
void list_json_win32(FILE *out);

#endif
