// The reference implements version 1.1 of the contract: the core, and on
// POSIX the handles feature set (handles.c). Its Win32 build has no handles
// yet, so it declares none there.
#include "shmlab/contract.h"

int
shmlab_contract_version(void)
{
	return SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR;
}

unsigned
shmlab_features(void)
{
#ifdef _WIN32
	return 0;
#else
	return SHMLAB_FEATURE_HANDLES;
#endif
}
