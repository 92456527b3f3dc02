#ifndef SHMLAB_SHARED_TYPE_H
#define SHMLAB_SHARED_TYPE_H
/*
 * SHMLAB_SHARED_TYPE(T): marks T as a type that lives in shared memory, so
 * that shmlab-check finds it without being told its name
 * (docs/shmlab-check.md). Write it at file scope, after T is complete:
 *
 *	struct reading { ... };
 *	SHMLAB_SHARED_TYPE(struct reading);
 *
 * It costs nothing at run time: two typedefs, which the debug information
 * keeps. The first names T; the second is an array of _Alignof(T) chars,
 * so the checker reads T's alignment as the compiler of each ABI sees it
 * (DWARF records an alignment only where the source asked for one).
 */
#if defined(__cplusplus)
#define SHMLAB_ALIGNOF_(T) alignof(T)
#else
#define SHMLAB_ALIGNOF_(T) _Alignof(T)
#endif
#define SHMLAB_SHARED_TYPE(T) SHMLAB_SHARED_TYPE_(T, __COUNTER__)
#define SHMLAB_SHARED_TYPE_(T, n) SHMLAB_SHARED_TYPE__(T, n)
#define SHMLAB_SHARED_TYPE__(T, n) \
	typedef T shmlab_shared_type_##n; \
	typedef char shmlab_shared_type_align_##n[SHMLAB_ALIGNOF_(T)]

#endif
