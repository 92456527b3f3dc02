/*
 * The wire between the harness and one worker: every message either side
 * may send, on both systems, in one table. The table is not a comment
 * beside the code: wire.c formats and parses every message by reading its
 * row, so what a row says is what goes over the channel, and a row that
 * could not be read that way fails the wire test (wire_test.c).
 *
 * A message is one line of text, readable in strace: its word, then its
 * arguments, each after one space, as its row's arguments say:
 *
 *   <name>       a whole number in decimal
 *   <0xname>     a whole number in hexadecimal, written with 0x
 *   <name...>    text, to the end of the message (only last)
 *   [<...>]      an argument that may be left out (only after the others)
 *
 * The harness sends only words; the worker answers each with one message
 * (or with its death), and says `mapped` unasked, once it has mapped.
 */
#ifndef SHMLAB_WIRE_H
#define SHMLAB_WIRE_H

#include <stddef.h>

// X(NAME, word, from, arguments, meaning): every message, by who sends it.
#define WIRE_MESSAGES(X) \
	X(WIRE_PREPARE, "prepare", WIRE_FROM_HARNESS, "", \
	    "to worker 0: run the scenario's prepare step in view 0") \
	X(WIRE_RUN, "run", WIRE_FROM_HARNESS, "", \
	    "run the scenario's run step in every view, the last view first") \
	X(WIRE_VERIFY, "verify", WIRE_FROM_HARNESS, "", \
	    "to worker 0, once every worker passed: run the verify step in the last view") \
	X(WIRE_QUIT, "quit", WIRE_FROM_HARNESS, "", \
	    "exit now; so does closing the channel") \
	X(WIRE_MAPPED, "mapped", WIRE_FROM_WORKER, "<pid> <abi-bits> <0xbase> [<0xbase>]", \
	    "every view is mapped, at these bases; a Windows worker's pid is Windows'") \
	X(WIRE_OK, "ok", WIRE_FROM_WORKER, "<0xheap-start> <0xheap-end> <0xprogram-start> <0xprogram-end> " \
	    "[<0xlibrary-start>] [<0xlibrary-end>]", \
	    "prepared; where this process's heap, program and the scenario's library (Win32: its DLL) " \
	    "lie, 0 where its system cannot say or the scenario loads none") \
	X(WIRE_PASS, "pass", WIRE_FROM_WORKER, "", \
	    "the run step passed in every view") \
	X(WIRE_VERIFIED, "verified", WIRE_FROM_WORKER, "", \
	    "the verify step passed") \
	X(WIRE_FAIL, "fail", WIRE_FROM_WORKER, "<why...>", \
	    "a step of the scenario failed, for this reason; the worker exits 1") \
	X(WIRE_ERROR, "error", WIRE_FROM_WORKER, "<why...>", \
	    "the worker could not do its part, which is no failure of the scenario's; it exits 3") \
	X(WIRE_SIGNAL, "signal", WIRE_FROM_WORKER, "<signal> <0xaddress>", \
	    "POSIX: a fault, and the address it touched; the signal then ends the worker") \
	X(WIRE_EXCEPTION, "exception", WIRE_FROM_WORKER, "<0xcode> <0xaddress>", \
	    "Windows: an exception, and the address it touched; the worker ends with the code") \
	X(WIRE_NOSTART, "nostart", WIRE_FROM_WORKER, "<why...>", \
	    "said for the worker by the harness's own child, when the worker could not be started")

enum wire_word {
#define WIRE_ENUM(name, word, from, args, meaning) name,
	WIRE_MESSAGES(WIRE_ENUM)
#undef WIRE_ENUM
	WIRE_WORDS                      // how many; also "no message"
};

enum wire_from { WIRE_FROM_HARNESS, WIRE_FROM_WORKER };

// A row of the table, as data.
struct wire_row {
	const char *word;
	enum wire_from from;
	const char *args;
	const char *meaning;
};
extern const struct wire_row wire_table[WIRE_WORDS];

#define WIRE_NUMS_MAX   6

// One message. nums counts the numbers it carries, in the order of its
// row's arguments; text is its text argument, or NULL when it has none (a
// parsed message's text points into the line it was parsed from).
struct wire_msg {
	enum wire_word word;
	int nums;
	unsigned long long num[WIRE_NUMS_MAX];
	const char *text;
};

// Writes m into buf (size len, NUL-terminated), as its row says. Calls no
// library function, so a signal handler may use it. Returns the length; a
// text that does not fit is cut, never the numbers. Returns -1 when m does
// not carry what its row says (EINVAL) or the numbers do not fit (ENOSPC).
int wire_format(char *buf, size_t len, const struct wire_msg *m);

// Reads the line msg into *m, accepting only messages sent by `from`.
// Returns 0, or -1 when msg is not one of them as its row says (EINVAL).
int wire_parse(const char *msg, enum wire_from from, struct wire_msg *m);

#endif
