/*
 * Lab 01's record: yours to fix (README.md, section "Exercise").
 *
 * A 64-bit process writes one struct sample into a region, and a process of
 * another ABI reads it: a 32-bit one (i386), or a 64-bit Windows one (LLP64)
 * where i386 cannot run. As given, the struct is what lab 01 warns against:
 * each field's size or place is the ABI's choice. Fix it:
 *
 *   1. build/bin/shmlab-check labs/01-values-and-structs/exercise_record.h
 *      lists what is wrong. Change the struct until it says "clean".
 *   2. Keep every field's NAME and meaning (exercise_record.c writes and
 *      reads them by name), but give each a fixed-width type (uint8_t,
 *      int32_t, uint64_t, ...; double is 8 bytes on every ABI here, though
 *      i386 aligns it to 4 in a struct). Put each field at an offset that is
 *      a multiple of its size, and name the padding as a field.
 *   3. Pin the layout: static_assert the size and every offset, as
 *      fixed.c does, so a build whose ABI disagrees does not compile.
 *   4. Prove it: build, then
 *      build/bin/shmlab-harness run 01-exercise-record --procs 4 --strategy distinct
 *      (./tour check 01 runs it too, as the row exercise-record).
 */
#ifndef SHMLAB_EXERCISE_RECORD_H
#define SHMLAB_EXERCISE_RECORD_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shmlab/shared_type.h"

// ANCHOR: record
struct sample {
	char kind;              // what was measured: 'S' for a sample
	long count;             // how many readings went into it
	size_t length;          // how many bytes of raw data lie behind it
	bool valid;             // set once the writer has filled it in
	double mean;            // the readings' mean
	long long total;        // the readings' sum
};
SHMLAB_SHARED_TYPE(struct sample);   // shmlab-check finds it (docs/shmlab-check.md)

// TODO: static_assert the size and every offset, as fixed.c does
// ANCHOR_END: record

#endif
