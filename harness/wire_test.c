/*
 * shmlab-wire-test: checks that the wire is what wire.h says, by two means.
 *
 *   1. Every row of the table, read here by a reader of its own (expect()),
 *      gives the line wire_format() must write for sample numbers and text;
 *      the line is written, compared, parsed back and compared again; then
 *      each way a line can break its row (an argument missing, one too many,
 *      a number in the wrong base, the other side's word) must be refused.
 *   2. The files named on the command line, the ones that talk over the
 *      wire, must spell no message themselves: a string that starts with a
 *      word of the table, in a call that sends or reads a message, is a
 *      message that bypasses the table. The check is first run on lines that
 *      do bypass it, so it is known to catch them.
 *
 * Exit status: 0 when all hold, 1 when one does not (each is printed).
 */
#include <stdio.h>
#include <string.h>

#include "wire.h"

#define WIRE_LINE_MAX   256

static int failures;

static void
bad(const char *word, const char *what, const char *line)
{
	printf("FAIL %s: %s: %s\n", word, what, line);
	failures++;
}

// The line wire.h's rules give for row w, its numbers 1, 2, ... and its
// text "why not"; the optional arguments only when `all`. Returns the count
// of numbers in it.
static int
expect(int w, int all, char *line, size_t len)
{
	char spec[160], *tok, *save = NULL;
	int n = 0;

	snprintf(spec, sizeof spec, "%s", wire_table[w].args);
	snprintf(line, len, "%s", wire_table[w].word);
	for (tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		size_t at = strlen(line), k = strlen(tok);
		if (tok[0] == '[' && !all)
			break;
		if (strstr(tok, "...>"))
			snprintf(line + at, len - at, " why not");
		else if (strncmp(tok + (tok[0] == '['), "<0x", 3) == 0)
			snprintf(line + at, len - at, " %#x", ++n);
		else if (tok[k - 1] == '>' || tok[k - 1] == ']')
			snprintf(line + at, len - at, " %d", ++n);
	}
	return n;
}

static void
check_row(int w, int all)
{
	const char *word = wire_table[w].word;
	struct wire_msg m = { .word = (enum wire_word)w }, back;
	char want[WIRE_LINE_MAX], got[WIRE_LINE_MAX], broken[WIRE_LINE_MAX + 8];
	enum wire_from other = wire_table[w].from == WIRE_FROM_WORKER ? WIRE_FROM_HARNESS : WIRE_FROM_WORKER;

	m.nums = expect(w, all, want, sizeof want);
	for (int k = 0; k < m.nums; k++)
		m.num[k] = (unsigned long long)k + 1;
	m.text = strstr(want, " why not") ? "why not" : NULL;
	if (wire_format(got, sizeof got, &m) < 0 || strcmp(got, want) != 0)
		bad(word, "written otherwise than its row says", want);
	if (wire_parse(want, wire_table[w].from, &back) < 0 || back.word != m.word || back.nums != m.nums
	    || memcmp(back.num, m.num, sizeof m.num) != 0 || (m.text && strcmp(back.text, m.text) != 0))
		bad(word, "not read back as its row says", want);
	if (wire_parse(want, other, &back) == 0)
		bad(word, "read as sent by the other side", want);
	snprintf(broken, sizeof broken, "%s 7", want);
	if (!m.text && wire_parse(broken, wire_table[w].from, &back) == 0)
		bad(word, "read with one argument too many", broken);
	if ((m.nums > 0 || m.text) && (!all || !strchr(wire_table[w].args, '['))) {
		const char *last = m.text ? strstr(want, " why not") : strrchr(want, ' ');
		snprintf(broken, sizeof broken, "%.*s", (int)(last - want), want);
		if (wire_parse(broken, wire_table[w].from, &back) == 0)
			bad(word, "read with an argument missing", broken);
	}
	if (m.nums > 0) {
		char *hex = strstr(want, " 0x"), *dec = strchr(want, ' ');
		snprintf(broken, sizeof broken, "%s", want);
		if (hex)
			broken[hex - want + 2] = 'X';         // "0X1": not hexadecimal as the wire writes it
		else
			broken[dec - want + 1] = 'a';         // a letter where a decimal digit must be
		if (wire_parse(broken, wire_table[w].from, &back) == 0)
			bad(word, "read with a number that is not one", broken);
	}
}

static void
check_table(void)
{
	for (int w = 0; w < WIRE_WORDS; w++) {
		if (!wire_table[w].word || !*wire_table[w].word || strchr(wire_table[w].word, ' ')
		    || !wire_table[w].meaning || !*wire_table[w].meaning)
			bad("row", "has no word, or no meaning", wire_table[w].word ? wire_table[w].word : "?");
		for (int v = 0; v < w; v++)
			if (strcmp(wire_table[v].word, wire_table[w].word) == 0)
				bad(wire_table[w].word, "is in the table twice", "");
		check_row(w, 1);
		check_row(w, 0);
	}
}

// Returns the word of the table this line spells as a message in a call
// that sends or reads one, or NULL.
static const char *
bypass(const char *line)
{
	static const char *const calls[] = { "chan_send(", "dprintf(", "sscanf(", "strcmp(", "strncmp(", "write(" };
	const char *q;

	for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
		if (!(q = strstr(line, calls[c])))
			continue;
		for (q = strchr(q, '"'); q; q = strchr(q + 1, '"'))
			for (int w = 0; w < WIRE_WORDS; w++) {
				size_t n = strlen(wire_table[w].word);
				if (strncmp(q + 1, wire_table[w].word, n) == 0 && strchr(" %\"", q[1 + n]))
					return wire_table[w].word;
			}
	}
	return NULL;
}

static void
check_sources(int nfiles, char **files)
{
	static const char *const known[] = {
		"\tchan_send(j->chan, \"fail %s\", j->w.message);",
		"\t} else if (sscanf(msg, \"mapped %ld %d %lx\", &pid, &abi, &b0) == 3) {",
		"\t\tif (strcmp(cmd, \"quit\") == 0)",
	};
	char line[1024];

	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
		if (!bypass(known[k]))
			bad("the source check", "misses a message spelled out", known[k]);
	for (int f = 0; f < nfiles; f++) {
		FILE *in = fopen(files[f], "r");
		if (!in) {
			bad(files[f], "cannot be read", "");
			continue;
		}
		for (int n = 1; fgets(line, sizeof line, in); n++) {
			const char *word = bypass(line);
			if (word) {
				printf("FAIL %s:%d: spells the message `%s` instead of using wire.h: %s", files[f], n,
				    word, line);
				failures++;
			}
		}
		fclose(in);
	}
}

int
main(int argc, char **argv)
{
	check_table();
	check_sources(argc - 1, argv + 1);
	if (failures == 0)
		printf("the wire is as wire.h says: %d messages, %d files that use it\n", WIRE_WORDS, argc - 1);
	return failures ? 1 : 0;
}
