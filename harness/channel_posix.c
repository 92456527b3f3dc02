// The channel on POSIX (channel.h): one end of a SOCK_SEQPACKET socket pair.
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "channel.h"

// send() is async-signal-safe; MSG_NOSIGNAL: a closed harness is an error
// here, not a SIGPIPE.
int
chan_write(chan_t c, const char *msg, size_t n)
{
	return send(c, msg, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

int
chan_recv(chan_t c, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = c, .events = POLLIN };
	ssize_t n;
	int r;

	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = recv(c, buf, len - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}
