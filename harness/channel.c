// Writing a message, the same on both systems (channel.h); chan_write moves it.
#include <stdarg.h>
#include <stdio.h>

#include "channel.h"

int
chan_send(chan_t c, const char *fmt, ...)
{
	char msg[CHAN_MSG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;     // a long message is cut, never split
	return chan_write(c, msg, (size_t)n);
}

int
chan_tell(chan_t c, const struct wire_msg *m)
{
	char msg[CHAN_MSG_MAX];
	int n = wire_format(msg, sizeof msg, m);

	if (n < 0) {
		struct wire_msg mistake = { .word = WIRE_ERROR, .text = "a message does not match its row in wire.h: " };
		const char *word = (unsigned)m->word < WIRE_WORDS ? wire_table[m->word].word : "(no word)";

		n = wire_format(msg, sizeof msg - 16, &mistake);
		while (*word && n < (int)sizeof msg - 1)
			msg[n++] = *word++;
	}
	return chan_write(c, msg, (size_t)n);
}
