// The reference implements version 1.0 of the contract, core only so far.
#include "shmlab/contract.h"

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
