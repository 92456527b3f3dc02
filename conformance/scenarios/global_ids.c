/*
 * Global ids (global_ids.h), the optional feature set of labs 05 and 06.
 * Every scenario needs SHMLAB_FEATURE_GLOBAL_IDS: a library that does not
 * declare it is skipped, never passed.
 *
 * 05-contract-mailbox-global-id: worker 0 makes a mailbox in prepare; every worker
 * sends one message through each of its views; worker 0 receives them all
 * in verify, one from each view of each worker, in any order. What the
 * region holds must name the queue in every process: a descriptor or handle
 * stored there fails in all but the process that made it. Also: a mailbox
 * outside the view is ERANGE, a zeroed one EINVAL, a message over
 * SHMLAB_MAILBOX_MSG_MAX EMSGSIZE, a buffer too small E2BIG (the message
 * stays), an empty mailbox ETIMEDOUT, and after destroy a send is EINVAL.
 * At the edges, in verify, on a mailbox of its own: a mailbox at the null
 * offset, past the end or running past it is ERANGE for every call, one
 * not aligned to 8
 * EINVAL; a message of exactly SHMLAB_MAILBOX_MSG_MAX bytes and one of 0
 * bytes are sent and received whole; a buffer one byte short is E2BIG and
 * the message stays, one of exactly its size takes it; a full mailbox is
 * EAGAIN; destroy twice, or of a zeroed or garbage mailbox, is EINVAL.
 *
 * 06-contract-function-by-name: worker 0 stores the name of one function
 * of the scenario's table; every worker calls it through its own table and
 * must get that function's answer. A function's address is not the same in
 * another process (lab 06), so a library that stores one crashes or calls
 * other code there. Also: a name the table lacks is ENOENT, a name of 32
 * bytes ENAMETOOLONG, a slot with no NUL in it EINVAL, a slot at the null
 * offset or running past the end ERANGE.
 */
#include <stdio.h>
#include <string.h>

#include "addresses.h"
#include "check.h"

#define BOX             ((shmlab_off)SHMLAB_HEADER_SIZE)
#define ZEROED_BOX      (BOX + 64)
#define EDGE_BOX        (BOX + 128)
#define GARBAGE_BOX     (BOX + 192)
#define FULL_AFTER      4096            // sends of the longest message: a mailbox is full by then
#define SLOT            ((shmlab_off)SHMLAB_HEADER_SIZE)
#define GARBAGE_SLOT    (SLOT + 64)
#define RECV_MS         500             // a bound only: every sender has finished by verify

static int
mailbox_prepare(struct worker *w, const struct shmlab_view *v)
{
	return SUCCEEDS(w, w->impl->mailbox_create(v, BOX), "mailbox_create");
}

static int
mailbox_send_one(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	char text[SHMLAB_MAILBOX_MSG_MAX + 1];

	memset(text, 'x', sizeof text);
	snprintf(text, sizeof text, "worker %d view %d", w->index, w->view);
	if (REFUSES(w, EMSGSIZE, im->mailbox_send(v, BOX, text, SHMLAB_MAILBOX_MSG_MAX + 1),
	    "mailbox_send(SHMLAB_MAILBOX_MSG_MAX + 1 bytes)") < 0
	    || REFUSES(w, ERANGE, im->mailbox_send(v, v->size, text, 1), "mailbox_send(a mailbox past the end)") < 0
	    || REFUSES(w, EINVAL, im->mailbox_send(v, ZEROED_BOX, text, 1), "mailbox_send(a zeroed mailbox)") < 0)
		return -1;
	return SUCCEEDS(w, im->mailbox_send(v, BOX, text, strlen(text) + 1), "mailbox_send");
}

// Takes every message: one from each view of each worker, each once.
static int
mailbox_receive_all(struct worker *w, const struct shmlab_view *v)
{
	char text[SHMLAB_MAILBOX_MSG_MAX];
	int seen[MAX_PROCS][2] = { { 0 } }, who, view;
	size_t len;

	for (int k = 0; k < w->procs * w->views; k++) {
		if (k == 0 && REFUSES(w, E2BIG, w->impl->mailbox_recv(v, BOX, text, 4, &len, RECV_MS),
		    "mailbox_recv(a 4-byte buffer)") < 0)
			return -1;
		if (SUCCEEDS(w, w->impl->mailbox_recv(v, BOX, text, sizeof text, &len, RECV_MS),
		    "mailbox_recv") < 0)
			return -1;
		if (len == 0 || len > sizeof text || text[len - 1] != '\0'
		    || sscanf(text, "worker %d view %d", &who, &view) != 2
		    || who < 0 || who >= w->procs || view < 0 || view >= w->views || seen[who][view]++)
			return fail(w, "mailbox_recv gave message %d of %d: %zu bytes, \"%.40s\": not one "
			    "worker's message, or one received twice", k + 1, w->procs * w->views, len, text);
	}
	return 0;
}

// Every call refuses a mailbox that is not inside the view (ERANGE), the
// null offset included (0 names no object: offset.h), or one not aligned
// to 8 (EINVAL); nothing is made.
static int
mailbox_bad_offsets(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	const shmlab_off bad[] = { SHMLAB_NULL_OFF, v->size, v->size - SHMLAB_MAILBOX_SIZE / 2, EDGE_BOX + 4 };
	const char *name[] = { "at the null offset, 0", "at the end of the view", "running past its end",
	    "not aligned to 8" };
	char text[8] = "edge", what[80];
	size_t len;

	for (int i = 0; i < 4; i++) {
		int want = i < 3 ? ERANGE : EINVAL;

		snprintf(what, sizeof what, "mailbox_create(a mailbox %s)", name[i]);
		if (REFUSES(w, want, im->mailbox_create(v, bad[i]), what) < 0)
			return -1;
		snprintf(what, sizeof what, "mailbox_send(a mailbox %s)", name[i]);
		if (REFUSES(w, want, im->mailbox_send(v, bad[i], text, 1), what) < 0)
			return -1;
		snprintf(what, sizeof what, "mailbox_recv(a mailbox %s)", name[i]);
		if (REFUSES(w, want, im->mailbox_recv(v, bad[i], text, sizeof text, &len, 0), what) < 0)
			return -1;
		snprintf(what, sizeof what, "mailbox_destroy(a mailbox %s)", name[i]);
		if (REFUSES(w, want, im->mailbox_destroy(v, bad[i]), what) < 0)
			return -1;
	}
	return 0;
}

// Sends len bytes of pattern k and receives them whole, into a buffer one
// byte short first (E2BIG, unless len is 0), then one of exactly len bytes.
static int
mailbox_round_trip(struct worker *w, const struct shmlab_view *v, size_t len)
{
	const struct impl *im = w->impl;
	char sent[SHMLAB_MAILBOX_MSG_MAX] = { 0 }, got[SHMLAB_MAILBOX_MSG_MAX];
	size_t got_len = SIZE_MAX;

	for (size_t i = 0; i < len; i++)
		sent[i] = (char)('A' + (i + len) % 26);
	if (SUCCEEDS(w, im->mailbox_send(v, EDGE_BOX, sent, len), "mailbox_send(an edge length)") < 0)
		return -1;
	if (len > 0 && REFUSES(w, E2BIG, im->mailbox_recv(v, EDGE_BOX, got, len - 1, &got_len, RECV_MS),
	    "mailbox_recv(a buffer one byte shorter than the message)") < 0)
		return -1;
	if (SUCCEEDS(w, im->mailbox_recv(v, EDGE_BOX, got, len, &got_len, RECV_MS),
	    "mailbox_recv(a buffer of exactly the message's length)") < 0)
		return -1;
	if (got_len != len || memcmp(got, sent, len) != 0)
		return fail(w, "mailbox_recv of a %zu-byte message gave %zu bytes%s", len, got_len,
		    got_len == len ? ", not the ones sent" : "");
	return 0;
}

// Sends the longest message until the mailbox is full: EAGAIN, nothing
// else. A system whose mailboxes hold more than FULL_AFTER of them is not
// judged.
static int
mailbox_fill(struct worker *w, const struct shmlab_view *v)
{
	char text[SHMLAB_MAILBOX_MSG_MAX];
	int rc = 0;

	memset(text, 'f', sizeof text);
	for (int i = 0; i < FULL_AFTER && rc == 0; i++) {
		errno = 0;
		rc = w->impl->mailbox_send(v, EDGE_BOX, text, sizeof text);
	}
	return rc == 0 ? 0 : refused(w, rc, errno, EAGAIN, "mailbox_send(a full mailbox)");
}

// The edges on a mailbox of its own, EDGE_BOX, destroyed whatever happens.
static int
mailbox_edges(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	int rc;

	if (mailbox_bad_offsets(w, v) < 0 || SUCCEEDS(w, im->mailbox_create(v, EDGE_BOX), "mailbox_create") < 0)
		return -1;
	rc = mailbox_round_trip(w, v, SHMLAB_MAILBOX_MSG_MAX);
	if (rc == 0)
		rc = mailbox_round_trip(w, v, 0);
	if (rc == 0)
		rc = mailbox_round_trip(w, v, 1);
	if (rc == 0)
		rc = mailbox_fill(w, v);
	if (rc < 0) {
		(void)im->mailbox_destroy(v, EDGE_BOX);
		return -1;
	}
	if (SUCCEEDS(w, im->mailbox_destroy(v, EDGE_BOX), "mailbox_destroy(a full mailbox)") < 0
	    || REFUSES(w, EINVAL, im->mailbox_destroy(v, EDGE_BOX), "mailbox_destroy(a destroyed mailbox)") < 0
	    || REFUSES(w, EINVAL, im->mailbox_destroy(v, ZEROED_BOX), "mailbox_destroy(a zeroed mailbox)") < 0)
		return -1;
	memset(v->base + GARBAGE_BOX, 0xa5, SHMLAB_MAILBOX_SIZE);
	return REFUSES(w, EINVAL, im->mailbox_destroy(v, GARBAGE_BOX), "mailbox_destroy(16 bytes of 0xa5)");
}

static int
mailbox_verify(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	char text[SHMLAB_MAILBOX_MSG_MAX];
	size_t len;

	if (mailbox_receive_all(w, v) < 0
	    || REFUSES(w, ETIMEDOUT, im->mailbox_recv(v, BOX, text, sizeof text, &len, 20),
	    "mailbox_recv(an empty mailbox, 20 ms)") < 0)
		return -1;
	if (SUCCEEDS(w, im->mailbox_destroy(v, BOX), "mailbox_destroy") < 0)
		return -1;
	if (REFUSES(w, EINVAL, im->mailbox_send(v, BOX, "late", 5), "mailbox_send(a destroyed mailbox)") < 0
	    || REFUSES(w, EINVAL, im->mailbox_destroy(v, BOX), "mailbox_destroy(a destroyed mailbox)") < 0)
		return -1;
	return mailbox_edges(w, v);
}

const struct scenario contract_mailbox_global_id = {
	.name = "05-contract-mailbox-global-id",
	.summary = "a mailbox named in the region takes messages from every process",
	.handout = "labs/05-global-names/README.md#the-fix",
	.rule = "mailbox-global-id",
	.region_size = 4096,
	.flags = CONTRACT | SYSV_IPC,
	.features = SHMLAB_FEATURE_GLOBAL_IDS,
	.passes_under = ALL_STRATEGIES,
	.prepare = mailbox_prepare,
	.run = mailbox_send_one,
	.verify = mailbox_verify,
};

// Three functions, each with its own answer. A library that stores an
// address sends other processes to worker 0's copy: elsewhere in theirs.
static int answer_square(void *arg) { return 1000 + *(int *)arg; }
static int answer_circle(void *arg) { return 2000 + *(int *)arg; }
static int answer_triangle(void *arg) { return 3000 + *(int *)arg; }

static const struct shmlab_function functions[] = {
	{ "square", answer_square }, { "circle", answer_circle }, { "triangle", answer_triangle },
};
#define NFUNCTIONS (sizeof functions / sizeof functions[0])

static int
function_prepare(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;

	if (REFUSES(w, ENOENT, im->function_store(v, SLOT, functions, NFUNCTIONS, "hexagon"),
	    "function_store(\"hexagon\", not in the table)") < 0
	    || REFUSES(w, ENAMETOOLONG, im->function_store(v, SLOT, functions, NFUNCTIONS,
	    "a-name-that-is-thirty-two-bytes!"), "function_store(a 32-byte name)") < 0
	    || REFUSES(w, ERANGE, im->function_store(v, v->size - 8, functions, NFUNCTIONS, "circle"),
	    "function_store(a slot that runs past the end)") < 0
	    || REFUSES(w, ERANGE, im->function_store(v, SHMLAB_NULL_OFF, functions, NFUNCTIONS, "circle"),
	    "function_store(a slot at the null offset, 0)") < 0)
		return -1;
	memset(v->base + GARBAGE_SLOT, 'z', SHMLAB_FUNCTION_SLOT_SIZE);
	return SUCCEEDS(w, im->function_store(v, SLOT, functions, NFUNCTIONS, "circle"), "function_store(\"circle\")");
}

static int
function_run(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	int arg = w->index, result = -1;

	if (REFUSES(w, ERANGE, im->function_call(v, v->size - 8, functions, NFUNCTIONS, &arg, &result),
	    "function_call(a slot that runs past the end)") < 0
	    || REFUSES(w, ERANGE, im->function_call(v, SHMLAB_NULL_OFF, functions, NFUNCTIONS, &arg, &result),
	    "function_call(a slot at the null offset, 0)") < 0
	    || REFUSES(w, EINVAL, im->function_call(v, GARBAGE_SLOT, functions, NFUNCTIONS, &arg, &result),
	    "function_call(a slot of 32 'z' bytes, no NUL)") < 0
	    || REFUSES(w, ENOENT, im->function_call(v, SLOT, functions, 1, &arg, &result),
	    "function_call(\"circle\" through a table that has only \"square\")") < 0
	    || SUCCEEDS(w, im->function_call(v, SLOT, functions, NFUNCTIONS, &arg, &result),
	    "function_call(\"circle\")") < 0)
		return -1;
	if (result != 2000 + w->index)
		return fail(w, "function_call(\"circle\", %d) returned %d, expected %d: not this process's circle",
		    w->index, result, 2000 + w->index);
	return 0;
}

const struct scenario contract_function_by_name = {
	.name = "06-contract-function-by-name",
	.summary = "a function named in the region, called through each process's own table",
	.handout = "labs/06-functions/README.md#the-fix",
	.rule = "function-by-name",
	.region_size = 4096,
	.flags = CONTRACT | NEEDS_ASLR,
	.features = SHMLAB_FEATURE_GLOBAL_IDS,
	.passes_under = ALL_STRATEGIES,
	.prepare = function_prepare,
	.run = function_run,
};
