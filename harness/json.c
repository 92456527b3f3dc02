/*
 * The streaming JSON writer of json.h. Every value goes through begin_value(),
 * which writes the comma and the line break that separate it from the one
 * before, so no caller ever places punctuation; and every string through
 * write_string(), the one escaper.
 *
 * Strings come from anywhere: a worker's message, a path, an error text. The
 * escaper makes valid JSON of any bytes: well-formed UTF-8 is copied as it is,
 * control characters and DEL become \uXXXX (or \n, \t, ...), and a byte that
 * cannot be part of well-formed UTF-8 (a stray continuation byte, an overlong
 * form, a surrogate, beyond U+10FFFF, a truncated sequence) becomes U+FFFD,
 * the replacement character. The text stays readable, and a program reading
 * the report never meets a decoding error.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
json_begin(struct json *j, FILE *out, int pretty)
{
	memset(j, 0, sizeof *j);
	j->out = out;
	j->pretty = pretty;
}

int
json_end(struct json *j)
{
	fputc('\n', j->out);
	return j->error || j->depth != 0 || ferror(j->out) ? -1 : 0;
}

static void
newline(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int d = 0; d < j->depth; d++)
		fputs("  ", j->out);
}

// Before any value or key: the comma after the previous item of the open
// container, and, pretty, the new line. A value right after its key needs
// neither.
static void
begin_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_item[j->depth - 1])
		fputc(',', j->out);
	j->has_item[j->depth - 1] = 1;
	newline(j);
}

static void
open_container(struct json *j, char c)
{
	begin_value(j);
	fputc(c, j->out);
	if (j->depth == JSON_MAX_DEPTH) {
		j->error = 1;
		return;
	}
	j->has_item[j->depth++] = 0;
}

static void
close_container(struct json *j, char c)
{
	int had_items;

	if (j->depth == 0) {
		j->error = 1;
		return;
	}
	had_items = j->has_item[--j->depth];
	if (had_items)
		newline(j);
	fputc(c, j->out);
}

void
json_open_object(struct json *j)
{
	open_container(j, '{');
}

void
json_close_object(struct json *j)
{
	close_container(j, '}');
}

void
json_open_array(struct json *j)
{
	open_container(j, '[');
}

void
json_close_array(struct json *j)
{
	close_container(j, ']');
}

// How many bytes the well-formed UTF-8 sequence at s (n bytes available)
// takes, or 0 if s[0] does not start one (RFC 3629, section 4).
static size_t
utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;              // else overlong
	else if (s[0] == 0xED)
		hi = 0x9F;              // else a surrogate
	else if (s[0] == 0xF0)
		lo = 0x90;              // else overlong
	else if (s[0] == 0xF4)
		hi = 0x8F;              // else beyond U+10FFFF
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return len;
}

// The two-character escape of control character c ('n' for a newline), or
// 0 if it has none and takes the \u00XX form.
static char
short_escape(unsigned char c)
{
	switch (c) {
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	default: return 0;
	}
}

static void
write_string(FILE *out, const unsigned char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		size_t len;
		if (s[i] == '"' || s[i] == '\\') {
			fprintf(out, "\\%c", s[i++]);
		} else if (s[i] < 0x20 || s[i] == 0x7F) {
			if (short_escape(s[i]))
				fprintf(out, "\\%c", short_escape(s[i]));
			else
				fprintf(out, "\\u%04x", s[i]);
			i++;
		} else if (s[i] < 0x80) {
			fputc(s[i++], out);
		} else if ((len = utf8_length(s + i, n - i)) > 0) {
			fwrite(s + i, 1, len, out);
			i += len;
		} else {
			fputs("\\ufffd", out);
			i++;
		}
	}
	fputc('"', out);
}

void
json_key(struct json *j, const char *key)
{
	begin_value(j);
	write_string(j->out, (const unsigned char *)key, strlen(key));
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = 1;
}

void
json_string_n(struct json *j, const char *s, size_t n)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	begin_value(j);
	write_string(j->out, (const unsigned char *)s, n);
}

void
json_string(struct json *j, const char *s)
{
	json_string_n(j, s, s ? strlen(s) : 0);
}

void
json_stringf(struct json *j, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_string_n(j, buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void
json_int(struct json *j, long long v)
{
	begin_value(j);
	fprintf(j->out, "%lld", v);
}

void
json_uint(struct json *j, unsigned long long v)
{
	begin_value(j);
	fprintf(j->out, "%llu", v);
}

void
json_double(struct json *j, double v)
{
	char buf[32];

	if (v != v || v - v != 0) {     // NaN, or an infinity: inf - inf is NaN
		json_null(j);
		return;
	}
	begin_value(j);
	for (int digits = 15; digits <= 17; digits++)   // the fewest that read back as v
		if (snprintf(buf, sizeof buf, "%.*g", digits, v), strtod(buf, NULL) == v)
			break;
	// Stays a number with a fraction when read back, as 2.0, not 2.
	fprintf(j->out, strpbrk(buf, ".e") ? "%s" : "%s.0", buf);
}

void
json_bool(struct json *j, int v)
{
	begin_value(j);
	fputs(v ? "true" : "false", j->out);
}

void
json_null(struct json *j)
{
	begin_value(j);
	fputs("null", j->out);
}
