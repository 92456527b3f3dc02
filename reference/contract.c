// The reference implements version 1.4 of the contract: the core; the
// handles feature set wherever its source is built in (handles.c on POSIX,
// handles_win32.c in the Win32 builds that define SHMLAB_HANDLES_WIN32,
// cmake/win32/CMakeLists.txt); and on POSIX the global ids feature set
// (mailbox.c, function_table.c) and the sync feature set (sync.c).
#include "shmlab/contract.h"

int
shmlab_contract_version(void)
{
	return SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR;
}

unsigned
shmlab_features(void)
{
#if defined(_WIN32) && !defined(SHMLAB_HANDLES_WIN32)
	return 0;
#elif defined(_WIN32)
	return SHMLAB_FEATURE_HANDLES;
#else
	return SHMLAB_FEATURE_HANDLES | SHMLAB_FEATURE_GLOBAL_IDS | SHMLAB_FEATURE_SYNC;
#endif
}
