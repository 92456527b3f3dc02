// A program of another project, built against an installed shmlab: it makes
// an anonymous region, maps it, sets a root and finds it again, and says so,
// so the test sees the library work, not only link. An anonymous region
// (a memfd) leaves no name behind, whatever happens.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <shmlab.h>

int
main(void)
{
	struct shmlab_region r;
	struct shmlab_view v;
	shmlab_off off = 0;

	if (shmlab_region_create(&r, NULL, 65536) != 0) {
		fprintf(stderr, "consumer: shmlab_region_create: %s\n", strerror(errno));
		return 1;
	}
	if (shmlab_region_map(&r, NULL, &v) != 0 || shmlab_format(&v) != 0
	    || shmlab_root_set(&v, "answer", 4096) != 0 || shmlab_root_get(&v, "answer", &off) != 0) {
		fprintf(stderr, "consumer: %s\n", strerror(errno));
		return 1;
	}
	printf("consumer: contract %d, root \"answer\" at offset %llu\n", shmlab_contract_version(),
	    (unsigned long long)off);
	shmlab_view_unmap(&v);
	shmlab_region_close(&r);
	return off == 4096 ? 0 : 1;
}
