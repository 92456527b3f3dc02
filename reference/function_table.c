/*
 * Functions by name (global_ids.h): the region holds which function, each
 * process holds where.
 *
 * A function's address is one program's, in one process (lab 06), so the
 * slot holds the function's name, and every process looks it up in a table
 * it passes in: its own addresses, correct where they are used. The name is
 * input from another process: the slot is copied once into a local buffer,
 * which must hold a NUL, and only a name found in the caller's table is
 * ever called. A name that the caller's table lacks (an older build, a
 * corrupted slot) is an error, never a call.
 */
#include <errno.h>
#include <string.h>

#include "shmlab/global_ids.h"

static int
fail_with(int err)
{
	errno = err;
	return -1;
}

// The slot at off, inside v; the null offset names no slot.
static int
slot_at(const struct shmlab_view *v, shmlab_off off, void **at)
{
	if (off == SHMLAB_NULL_OFF)
		return fail_with(ERANGE);
	return shmlab_off_to_ptr(v, off, SHMLAB_FUNCTION_SLOT_SIZE, at);
}

static const struct shmlab_function *
find(const struct shmlab_function *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].name && strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int
shmlab_function_store(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, const char *name)
{
	char copy[SHMLAB_FUNCTION_SLOT_SIZE] = { 0 };
	void *at;

	if (slot_at(v, slot, &at) < 0)
		return -1;
	if (strlen(name) >= sizeof copy)
		return fail_with(ENAMETOOLONG);
	if (find(table, n, name) == NULL)
		return fail_with(ENOENT);
	strcpy(copy, name);
	memcpy(at, copy, sizeof copy);          // the name and zeros: never an address
	return 0;
}

int
shmlab_function_call(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, void *arg, int *result)
{
	char name[SHMLAB_FUNCTION_SLOT_SIZE];
	const struct shmlab_function *f;
	void *at;

	if (slot_at(v, slot, &at) < 0)
		return -1;
	memcpy(name, at, sizeof name);          // read once: the peer may change it
	if (memchr(name, '\0', sizeof name) == NULL || name[0] == '\0')
		return fail_with(EINVAL);
	if ((f = find(table, n, name)) == NULL || f->call == NULL)
		return fail_with(ENOENT);
	*result = f->call(arg);
	return 0;
}
