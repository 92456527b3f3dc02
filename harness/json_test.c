/*
 * The JSON writer's escaper against the cases that break hand-written ones:
 * every byte of a string must come out as valid JSON and valid UTF-8,
 * whatever it was (json.h). Each case is one string written alone; the
 * test compares the exact text.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"

// A string literal and its length, NULs inside included.
#define BYTES(literal) literal, sizeof literal - 1

static const struct { const char *in; size_t len; const char *out; } cases[] = {
	{ BYTES("plain"), "\"plain\"" },
	{ BYTES("quote \" backslash \\ slash /"), "\"quote \\\" backslash \\\\ slash /\"" },
	{ BYTES("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"" },
	{ BYTES("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"" },
	{ BYTES("nul\0inside"), "\"nul\\u0000inside\"" },
	{ BYTES("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ BYTES("\x80"), "\"\\ufffd\"" },                       // a continuation byte alone
	{ BYTES("\xc3"), "\"\\ufffd\"" },                       // a sequence cut short
	{ BYTES("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },            // an overlong '/'
	{ BYTES("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },  // a surrogate
	{ BYTES("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },  // beyond U+10FFFF
	{ BYTES("\xff" "a"), "\"\\ufffda\"" },
};

// Writes s (len bytes) alone into buf, as the writer puts it.
static void
written(const char *s, size_t len, char *buf, size_t size)
{
	FILE *f = tmpfile();
	struct json j;
	size_t n;

	json_begin(&j, f, 0);
	json_string_n(&j, s, len);
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

int
main(void)
{
	char got[256];
	int failed = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		written(cases[i].in, cases[i].len, got, sizeof got);
		if (strcmp(got, cases[i].out) != 0) {
			printf("case %zu: wrote %s, want %s\n", i, got, cases[i].out);
			failed = 1;
		}
	}
	printf("%s: %zu strings\n", failed ? "FAIL" : "PASS", sizeof cases / sizeof cases[0]);
	return failed;
}
