/*
 * Lab 06 exercise: functions named, not addressed.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 06's part, the functions of the feature set global ids
 * (SHMLAB_FEATURE_GLOBAL_IDS): shmlab_function_store() and
 * shmlab_function_call(), as reference/include/shmlab/global_ids.h
 * specifies them, each a stub marked TODO that fails with ENOSYS. The
 * slot's layout is written for you. With lab 05's mailbox, this completes
 * the set.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 06            the rules of labs 01 to 06, a table of what passes
 *   ./tour check 06 --hint     and a hint for the first rule that fails
 *   ./tour watch 06            again at every save
 *
 * The rule is function-by-name.
 *
 * The rule. A function's address is one build's, in one process: another
 * process, another program or another build of this one has other code
 * there, or none. So the slot holds the function's name, and every process
 * finds the function in a table it passes in itself, whose addresses are its
 * own. The name is input from another process: copy the slot once, find a
 * NUL in the copy, and call only what the caller's table holds.
 */
#include <errno.h>
#include <string.h>

#include "learner.h"

// ANCHOR: slot
struct learner_slot {
	char name[SHMLAB_FUNCTION_SLOT_SIZE];   // the function's name, NUL-padded: never its address
};

static_assert(sizeof(struct learner_slot) == SHMLAB_FUNCTION_SLOT_SIZE, "a slot fills its 32 bytes");
static_assert(_Alignof(struct learner_slot) == 1, "a slot may sit at any offset");
// ANCHOR_END: slot

// ANCHOR: store
// Writes the name of table[i].name == name into the slot at offset slot,
// the rest of the slot zero bytes. ERANGE (slot is the null offset 0, or
// its 32 bytes are not inside the view), ENAMETOOLONG (the name and its NUL do not fit),
// ENOENT (no function of that name in table[0..n-1]).
int
shmlab_function_store(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, const char *name)
// ANCHOR_END: store
{
	(void)v;
	(void)slot;
	(void)table;
	(void)n;
	(void)name;
	errno = ENOSYS;         // TODO: check, find the name in the table, write the name
	return -1;
}

// ANCHOR: call
// Calls the function of the caller's table[0..n-1] that the slot names,
// with arg, and stores what it returns in *result. ERANGE, EINVAL (no NUL in
// the slot's 32 bytes, or an empty name), ENOENT (no such name in this
// table, or its call is NULL). Copy the slot into a local buffer once, and
// check and look up only the copy: another process may write the slot
// meanwhile.
int
shmlab_function_call(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, void *arg, int *result)
// ANCHOR_END: call
{
	(void)v;
	(void)slot;
	(void)table;
	(void)n;
	(void)arg;
	(void)result;
	errno = ENOSYS;         // TODO: copy the slot, check it, find the name, call
	return -1;
}
