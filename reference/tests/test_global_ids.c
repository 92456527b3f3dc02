// Mailboxes and functions by name (global_ids.h), in one process: every error
// the header promises, and a mailbox that leaves no SysV queue behind.
// Source: msgget(2), msgop(2), msgctl(2)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab/global_ids.h"

#define BOX 64

static unsigned char bytes[4096] __attribute__((aligned(4096)));
static const struct shmlab_view view = { .base = bytes, .size = sizeof bytes };

static int
reset(void **state)
{
	(void)state;
	memset(bytes, 0, sizeof bytes);
	return 0;
}

static void
mailbox_round_trip(void **state)
{
	char buf[SHMLAB_MAILBOX_MSG_MAX];
	size_t len = 0;
	int32_t id;

	(void)state;
	assert_int_equal(shmlab_mailbox_create(&view, BOX), 0);
	memcpy(&id, bytes + BOX + 4, sizeof id);        // the reference's layout: magic, then the id
	assert_int_equal(shmlab_mailbox_send(&view, BOX, "hello", 6), 0);
	assert_errno(shmlab_mailbox_recv(&view, BOX, buf, 3, &len, 0), E2BIG);
	assert_int_equal(shmlab_mailbox_recv(&view, BOX, buf, sizeof buf, &len, 0), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "hello");
	assert_errno(shmlab_mailbox_recv(&view, BOX, buf, sizeof buf, &len, 5), ETIMEDOUT);
	assert_int_equal(shmlab_mailbox_destroy(&view, BOX), 0);
	assert_errno(msgctl(id, IPC_STAT, &(struct msqid_ds){ 0 }), EINVAL);   // the queue is gone
	assert_errno(shmlab_mailbox_send(&view, BOX, "late", 5), EINVAL);
	assert_errno(shmlab_mailbox_destroy(&view, BOX), EINVAL);
}

static void
mailbox_errors(void **state)
{
	char big[SHMLAB_MAILBOX_MSG_MAX + 1] = { 0 };

	(void)state;
	assert_errno(shmlab_mailbox_create(&view, BOX + 4), EINVAL);
	assert_errno(shmlab_mailbox_create(&view, sizeof bytes - 8), ERANGE);
	assert_errno(shmlab_mailbox_create(&view, SHMLAB_NULL_OFF), ERANGE);   // NULL, not the header
	assert_errno(shmlab_mailbox_send(&view, BOX, "x", 1), EINVAL);         // zeroed: no mailbox
	assert_int_equal(shmlab_mailbox_create(&view, BOX), 0);
	assert_errno(shmlab_mailbox_send(&view, BOX, big, sizeof big), EMSGSIZE);
	assert_int_equal(shmlab_mailbox_destroy(&view, BOX), 0);
}

static int twice(void *arg) { return 2 * *(int *)arg; }
static int thrice(void *arg) { return 3 * *(int *)arg; }

static const struct shmlab_function table[] = { { "twice", twice }, { "thrice", thrice } };

static void
function_by_name(void **state)
{
	int arg = 7, result = 0;

	(void)state;
	assert_int_equal(shmlab_function_store(&view, 128, table, 2, "thrice"), 0);
	assert_null(memmem(bytes, sizeof bytes, &(void *){ (void *)thrice }, sizeof(void *)));   // no address
	assert_int_equal(shmlab_function_call(&view, 128, table, 2, &arg, &result), 0);
	assert_int_equal(result, 21);
	assert_errno(shmlab_function_call(&view, 128, table, 1, &arg, &result), ENOENT);
	assert_errno(shmlab_function_store(&view, 128, table, 2, "four"), ENOENT);
	assert_errno(shmlab_function_store(&view, 128, table, 2, "a-name-that-is-thirty-two-bytes!"), ENAMETOOLONG);
	assert_errno(shmlab_function_store(&view, sizeof bytes - 16, table, 2, "twice"), ERANGE);
	assert_errno(shmlab_function_store(&view, SHMLAB_NULL_OFF, table, 2, "twice"), ERANGE);
	assert_errno(shmlab_function_call(&view, SHMLAB_NULL_OFF, table, 2, &arg, &result), ERANGE);
	memset(bytes + 256, 'z', SHMLAB_FUNCTION_SLOT_SIZE);
	assert_errno(shmlab_function_call(&view, 256, table, 2, &arg, &result), EINVAL);
	assert_errno(shmlab_function_call(&view, 512, table, 2, &arg, &result), EINVAL);  // empty
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(mailbox_round_trip, reset),
		cmocka_unit_test_setup(mailbox_errors, reset),
		cmocka_unit_test_setup(function_by_name, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
