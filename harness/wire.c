/*
 * The wire's messages, written and read by their rows in wire.h. Both
 * directions go through the one reader of a row's arguments (next_arg), so a
 * message is written exactly as it is read, and both as the row says.
 *
 * Formatting calls no library function: a POSIX worker reports its fault
 * from a signal handler, where only async-signal-safe code may run.
 */
#include <errno.h>

#include "wire.h"

const struct wire_row wire_table[WIRE_WORDS] = {
#define WIRE_ROW(name, word, from, args, meaning) [name] = { word, from, args, meaning },
	WIRE_MESSAGES(WIRE_ROW)
#undef WIRE_ROW
};

enum kind { DECIMAL, HEX, TEXT };

struct arg {
	enum kind kind;
	int optional;
};

// Reads the next argument of a row's arguments at *spec into *a. Returns 1,
// 0 at the end, -1 when the row breaks wire.h's rules.
static int
next_arg(const char **spec, struct arg *a)
{
	const char *s = *spec, *end;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	a->optional = *s == '[';
	s += a->optional;
	if (*s != '<')
		return -1;
	for (end = s; *end != '>'; end++)
		if (*end == '\0' || *end == ' ')
			return -1;
	a->kind = s[1] == '0' && s[2] == 'x' ? HEX : end - s > 4 && end[-1] == '.' && end[-2] == '.'
	    && end[-3] == '.' ? TEXT : DECIMAL;
	if (end == s + 1 || (a->optional && *++end != ']'))
		return -1;
	*spec = end + 1;
	return 1;
}

// Walks m's row: checks that m carries what it says, and that the row keeps
// the rules (optional arguments last, text only last). Returns 0 or -1.
static int
fits_row(const struct wire_msg *m)
{
	const char *spec = wire_table[m->word].args;
	struct arg a;
	int r, least = 0, most = 0, text = 0, optional = 0;

	while ((r = next_arg(&spec, &a)) == 1) {
		if (text || (optional && !a.optional) || (a.kind == TEXT && a.optional))
			return -1;
		optional |= a.optional;
		text = a.kind == TEXT;
		most += !text;
		least += !text && !a.optional;
	}
	if (r < 0 || m->nums < least || m->nums > most || most > WIRE_NUMS_MAX)
		return -1;
	return (m->text != NULL) == text ? 0 : -1;
}

static char *
put_text(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *
put_number(char *p, char *end, unsigned long long n, enum kind kind)
{
	char digits[24];
	unsigned base = kind == HEX ? 16 : 10;
	int k = 0;

	do
		digits[k++] = "0123456789abcdef"[n % base];
	while ((n /= base) != 0);
	if (end - p < k + 2 * (kind == HEX))
		return NULL;
	if (kind == HEX)
		p = put_text(p, end, "0x");
	while (k > 0)
		*p++ = digits[--k];
	return p;
}

int
wire_format(char *buf, size_t len, const struct wire_msg *m)
{
	char *p = buf, *end = buf + len - 1;
	const char *spec;
	struct arg a;
	int k = 0;

	if ((unsigned)m->word >= WIRE_WORDS || fits_row(m) < 0 || len < 2) {
		errno = EINVAL;
		return -1;
	}
	spec = wire_table[m->word].args;
	p = put_text(p, end, wire_table[m->word].word);
	while (next_arg(&spec, &a) == 1 && (a.kind == TEXT || k < m->nums)) {
		p = put_text(p, end, " ");
		p = a.kind == TEXT ? put_text(p, end, m->text) : put_number(p, end, m->num[k++], a.kind);
		if (p == NULL || (p == end && a.kind != TEXT)) {
			errno = ENOSPC;
			return -1;
		}
	}
	*p = '\0';
	return (int)(p - buf);
}

// Reads one number of the given kind at *s; returns 0 or -1.
static int
get_number(const char **s, enum kind kind, unsigned long long *n)
{
	unsigned base = kind == HEX ? 16 : 10;
	const char *p = *s;
	int digits = 0, d;

	if (kind == HEX && (*p++ != '0' || *p++ != 'x'))
		return -1;
	for (*n = 0;; p++, digits++) {
		d = *p >= '0' && *p <= '9' ? *p - '0' : base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			break;
		if (*n > (~0ULL - (unsigned)d) / base)
			return -1;
		*n = *n * base + (unsigned)d;
	}
	*s = p;
	return digits > 0 ? 0 : -1;
}

static int
parse_args(const char *s, struct wire_msg *m)
{
	const char *spec = wire_table[m->word].args;
	struct arg a;

	while (next_arg(&spec, &a) == 1) {
		if (*s == '\0' && a.optional)
			break;
		if (*s++ != ' ')
			return -1;
		if (a.kind == TEXT) {
			m->text = s;
			return 0;
		}
		if (m->nums == WIRE_NUMS_MAX || get_number(&s, a.kind, &m->num[m->nums++]) < 0)
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

int
wire_parse(const char *msg, enum wire_from from, struct wire_msg *m)
{
	for (int w = 0; w < WIRE_WORDS; w++) {
		const char *word = wire_table[w].word, *s = msg;

		while (*word && *s == *word)
			word++, s++;
		if (*word || (*s != ' ' && *s != '\0') || wire_table[w].from != from)
			continue;
		*m = (struct wire_msg){ .word = (enum wire_word)w };
		if (parse_args(s, m) == 0)
			return 0;
		break;
	}
	*m = (struct wire_msg){ .word = WIRE_WORDS };
	errno = EINVAL;
	return -1;
}
