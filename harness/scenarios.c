/*
 * The table of every scenario: the harness's self-tests, then the labs'
 * lessons in lab order, then the contract's rules in lab order.
 *
 * Each folder registers its own: harness/selftests.def, labs/lessons.def,
 * conformance/scenarios/rules.def hold one SCENARIO(symbol) line a
 * scenario, beside the code that defines it, with #ifdef _WIN32 where a
 * system has scenarios of its own. This file reads each list twice, with
 * two meanings of SCENARIO: once to declare the symbols, once to take
 * their addresses. So a scenario is named in one place, and both harnesses
 * (POSIX and Win32) build their table from the same lines.
 */
#include "scenario.h"

#define SCENARIO(symbol) extern const struct scenario symbol;
#include "selftests.def"
#include "lessons.def"
#include "rules.def"
#undef SCENARIO

#define SCENARIO(symbol) &symbol,
const struct scenario *const scenarios[] = {
#include "selftests.def"
#include "lessons.def"
#include "rules.def"
	NULL,
};
#undef SCENARIO
