/*
 * Finding the SysV IPC objects a run made and did not remove.
 *
 * A SysV id names its object in every process of the IPC namespace
 * (ipc_namespaces(7)), and the object outlives every process that used it:
 * a queue nobody removes with IPC_RMID stays until reboot. So a run that
 * leaves one behind has leaked it, and the harness must say so and clean up.
 *
 * The kernel does not record which process created a queue (/proc/sysvipc/msg
 * has the last sender and receiver only), so the harness compares: the ids
 * this user owns before the run, and after it. That is only sound if no
 * other run of this user makes objects in between, so runs that may make
 * them hold a lock for their whole length: an abstract AF_UNIX socket name
 * (unix(7)), bound by one process at a time and released by the kernel when
 * the process dies, which leaves nothing behind in any file system. Such
 * runs last milliseconds; waiting for each other costs nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sysv_leftovers.h"

static const char lock_name[] = "shmlab-harness-sysv-ipc";

static int
take_lock(int timeout_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(lock_name));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(a.sun_path + 1, lock_name, strlen(lock_name));     // sun_path[0] = '\0': abstract
	for (int waited = 0; bind(fd, (struct sockaddr *)&a, len) < 0; waited += 2) {
		if (errno != EADDRINUSE || waited >= timeout_ms) {
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);     // another run holds it
	}
	return fd;
}

// True if this user owns SysV object id of kind 'q' (message queue), 'm'
// (shared memory segment) or 's' (semaphore set). IPC_STAT fails for what
// this user may not read, which is then not this user's.
static int
owned(char kind, int id)
{
	struct msqid_ds q;
	struct shmid_ds m;
	struct semid_ds s;
	union { int val; struct semid_ds *buf; } arg = { .buf = &s };

	if (kind == 'q')
		return msgctl(id, IPC_STAT, &q) == 0 && q.msg_perm.uid == getuid();
	if (kind == 'm')
		return shmctl(id, IPC_STAT, &m) == 0 && m.shm_perm.uid == getuid();
	return semctl(id, 0, IPC_STAT, arg) == 0 && s.sem_perm.uid == getuid();
}

// Calls see(kind, id, arg) for every SysV object this user owns.
static void
each_owned(void (*see)(char kind, int id, void *arg), void *arg)
{
	static const struct { const char *file; char kind; } tables[] = {
		{ "/proc/sysvipc/msg", 'q' }, { "/proc/sysvipc/shm", 'm' }, { "/proc/sysvipc/sem", 's' },
	};
	char line[512];

	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
		FILE *f = fopen(tables[t].file, "r");
		long key;
		int id;
		if (f == NULL)
			continue;
		while (fgets(line, sizeof line, f))     // the header line does not scan
			if (sscanf(line, "%ld %d", &key, &id) == 2 && owned(tables[t].kind, id))
				see(tables[t].kind, id, arg);
		fclose(f);
	}
}

static void
record(char kind, int id, void *arg)
{
	struct sysv_snapshot *s = arg;

	if (s->n < SYSV_SNAPSHOT_MAX) {
		s->ids[s->n].kind = kind;
		s->ids[s->n].id = id;
		s->n++;
	}
}

int
sysv_before(struct sysv_snapshot *s, int timeout_ms)
{
	s->n = 0;
	if ((s->lock = take_lock(timeout_ms)) < 0)
		return -1;
	each_owned(record, s);
	return 0;
}

struct sweep { const struct sysv_snapshot *before; char *why; size_t len; int found; };

static void
remove_if_new(char kind, int id, void *arg)
{
	struct sweep *sw = arg;
	size_t n = strlen(sw->why);

	for (int i = 0; i < sw->before->n; i++)
		if (sw->before->ids[i].kind == kind && sw->before->ids[i].id == id)
			return;
	snprintf(sw->why + n, sw->len - n, "%s%s %d", sw->found++ ? ", " : "",
	    kind == 'q' ? "message queue" : kind == 'm' ? "shared memory segment" : "semaphore set", id);
	if (kind == 'q')
		msgctl(id, IPC_RMID, NULL);
	else if (kind == 'm')
		shmctl(id, IPC_RMID, NULL);
	else
		semctl(id, 0, IPC_RMID);
}

int
sysv_after(struct sysv_snapshot *s, char *why, size_t len)
{
	struct sweep sw = { s, why, len, 0 };

	why[0] = '\0';
	each_owned(remove_if_new, &sw);
	if (s->lock >= 0)
		close(s->lock);
	s->lock = -1;
	return sw.found;
}
