/*
 * A streaming JSON writer: values go straight to a FILE as they are given,
 * with no tree in memory. Both harnesses (and the kill test) write their
 * reports with it, so there is one escaper and one layout for every JSON the
 * project prints, on POSIX and under mingw-w64 alike (Debian has no json-c
 * for mingw-w64).
 *
 * The writer keeps only what it needs to place commas: per open container,
 * whether anything is in it yet. Inside an object, json_key() comes before
 * each value; inside an array, values follow each other. Containers nest at
 * most JSON_MAX_DEPTH deep; deeper, the writer records an error.
 */
#ifndef SHMLAB_JSON_H
#define SHMLAB_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *out;
	int depth;                      // open containers
	int pretty;                     // one member a line, indented by 2 a level
	int after_key;                  // a key was written; its value comes next
	int error;                      // nesting too deep, or closed more than opened
	unsigned char has_item[JSON_MAX_DEPTH];
};

// Starts a document on out: pretty (one member a line) or on one line.
void json_begin(struct json *j, FILE *out, int pretty);

// Ends the document with a newline. Returns 0, or -1 if the containers do
// not balance or out has an error.
int json_end(struct json *j);

void json_open_object(struct json *j);
void json_close_object(struct json *j);
void json_open_array(struct json *j);
void json_close_array(struct json *j);

// The name of the next member of the open object.
void json_key(struct json *j, const char *key);

// A string: s up to its NUL, or its first n bytes (json_string_n), escaped
// as RFC 8259 asks: quote, backslash and every control character, and each
// byte that is not part of well-formed UTF-8 written as U+FFFD, so the
// output is valid UTF-8 for any bytes. NULL is written as null.
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
// A string from a printf format, at most 511 bytes.
void json_stringf(struct json *j, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
// A number with a fraction (2.0, never 2), as precise as a double holds;
// NaN and the infinities, which JSON has no words for, as null.
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

#endif
