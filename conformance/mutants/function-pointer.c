// Mutant: a function is named in the region by its name; here its address is cached beside the name "for speed", and called
// Replaces: reference/function_table.c
// Caught by: 06-contract-function-by-name
// The name is still checked against the caller's table, so every error
// case behaves; only the call goes to the stored address. That works in
// worker 0 and in its forked children, which share its addresses; in any
// process started on its own the address leads elsewhere.
// Killed under: distinct double same kernel
//
// Everything else is reference/function_table.c as it stands (see README.md).
#include <stdint.h>

#define shmlab_function_store reference_function_store
#define shmlab_function_call reference_function_call
#include "../../reference/function_table.c"
#undef shmlab_function_store
#undef shmlab_function_call

struct cached_function {
	char name[SHMLAB_FUNCTION_SLOT_SIZE - 8];       // names up to 23 bytes: enough for the suite's
	uint64_t address;
};

int
shmlab_function_store(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, const char *name)
{
	struct cached_function c = { { 0 }, 0 };
	const struct shmlab_function *f;
	void *at;

	if (shmlab_off_to_ptr(v, slot, sizeof c, &at) < 0)
		return -1;
	if (strlen(name) >= SHMLAB_FUNCTION_SLOT_SIZE)
		return fail_with(ENAMETOOLONG);
	if ((f = find(table, n, name)) == NULL)
		return fail_with(ENOENT);
	strncpy(c.name, name, sizeof c.name - 1);
	// MUTANT: the address of this process's function goes into the region
	c.address = (uint64_t)(uintptr_t)f->call;
	memcpy(at, &c, sizeof c);
	return 0;
}

int
shmlab_function_call(const struct shmlab_view *v, shmlab_off slot, const struct shmlab_function *table,
    size_t n, void *arg, int *result)
{
	struct cached_function c;
	int (*call)(void *);
	void *at;

	if (shmlab_off_to_ptr(v, slot, sizeof c, &at) < 0)
		return -1;
	memcpy(&c, at, sizeof c);
	if (memchr(c.name, '\0', sizeof c.name) == NULL || c.name[0] == '\0')
		return fail_with(EINVAL);
	if (find(table, n, c.name) == NULL)
		return fail_with(ENOENT);
	// MUTANT: the cached address, not this process's table entry
	call = (int (*)(void *))(uintptr_t)c.address;
	*result = call(arg);
	return 0;
}
