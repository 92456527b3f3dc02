// What worker 0 leaves in the region for lab 04: facts about the file it
// opened, never a way to reach it. The descriptor number is stored too, only
// so that the broken scenario can show that it means nothing elsewhere.
#ifndef SHMLAB_LAB04_HANDOFF_H
#define SHMLAB_LAB04_HANDOFF_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_SIZE 4096          // worker 0's file: FILE_SIZE bytes of pattern()
#define SOCKET_NAME_MAX 64

struct handoff {
	uint64_t dev;           // fstat identity of worker 0's open file
	uint64_t ino;
	int64_t offset;         // where worker 0 left its file offset
	int32_t pid;            // worker 0
	int32_t fd;             // the number in worker 0's descriptor table
	char socket[SOCKET_NAME_MAX];   // abstract socket name, without its leading NUL
};

// The byte at offset `off` of worker 0's file.
static inline char
pattern(int64_t off)
{
	return (char)('a' + off % 26);
}

// Creates an anonymous file (memfd_create(2): no name in any directory, so
// nothing is left behind) holding `len` bytes of `text`, or of pattern() when
// text is NULL; close-on-exec, like every descriptor a careful program opens.
// Returns the descriptor, or -1 with errno set.
static inline int
make_file(const char *text, size_t len)
{
	char buf[FILE_SIZE];
	int fd = memfd_create("shmlab-04", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (len > sizeof buf)
		len = sizeof buf;
	for (size_t i = 0; i < len; i++)
		buf[i] = text ? text[i] : pattern((int64_t)i);
	if (write(fd, buf, len) != (ssize_t)len) {
		int e = errno;
		close(fd);
		errno = e ? e : EIO;
		return -1;
	}
	return fd;
}

// Records what identifies fd's open file (st_dev, st_ino) and its offset.
// Returns 0, or -1 with errno set.
static inline int
describe(int fd, struct handoff *h)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	h->dev = (uint64_t)st.st_dev;
	h->ino = (uint64_t)st.st_ino;
	h->offset = (int64_t)lseek(fd, 0, SEEK_CUR);
	return h->offset < 0 ? -1 : 0;
}

// 0 when fd is worker 0's file: the same identity, and pattern() at `len`
// bytes from offset `at` (read with pread, which leaves the offset alone).
// Otherwise -1, with what went wrong in why.
static inline int
same_file(int fd, const struct handoff *h, int64_t at, size_t len, char *why, size_t whylen)
{
	struct stat st;
	char buf[64];
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return snprintf(why, whylen, "fstat: %s", strerror(errno)), -1;
	if ((uint64_t)st.st_dev != h->dev || (uint64_t)st.st_ino != h->ino)
		return snprintf(why, whylen, "another file (st_ino %llu, not worker 0's %llu)",
		    (unsigned long long)st.st_ino, (unsigned long long)h->ino), -1;
	if (len > sizeof buf)
		len = sizeof buf;
	n = pread(fd, buf, len, (off_t)at);
	if (n != (ssize_t)len)
		return snprintf(why, whylen, "a short read at offset %lld", (long long)at), -1;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(at + (int64_t)i))
			return snprintf(why, whylen, "the right file with the wrong bytes at offset %lld",
			    (long long)at + (long long)i), -1;
	return 0;
}

#endif
