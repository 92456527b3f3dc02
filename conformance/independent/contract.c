/*
 * The contract this library implements, and its optional feature sets.
 *
 * The version comes from the header's macros, so that a minor bump of the
 * contract (which never changes the core) is followed without an edit here.
 * No optional feature set is declared: this library is the core alone, and
 * the suite skips the scenarios of the sets, saying so.
 */
#include "layout.h"

int
shmlab_contract_version(void)
{
	return SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR;
}

unsigned
shmlab_features(void)
{
	return 0;
}
