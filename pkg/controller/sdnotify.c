/* sdnotify.c — sd_notify(3)'s wire protocol: one datagram on an AF_UNIX socket. */
#include "schemalink/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sl_sd_notify(const char *state, struct sl_error *err)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t len;
	ssize_t n;
	int fd, rc = 1;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return sl_error_set(err, SL_EINVAL, "NOTIFY_SOCKET: not an absolute path or @name");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	/* An abstract socket's name starts with a NUL byte and is not NUL-terminated. */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sl_error_errno(err, errno, "notify socket");
	do
		n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = sl_error_errno(err, errno, "send to NOTIFY_SOCKET");
	close(fd);
	return rc;
}

int64_t sl_sd_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (usec == NULL || usec[0] == '\0')
		return 0;
	if (pid != NULL && pid[0] != '\0') {
		unsigned long long p = strtoull(pid, &end, 10);

		if (*end != '\0' || p != (unsigned long long)getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > (unsigned long long)INT64_MAX)
		return 0;
	return (int64_t)(v / 1000) > 0 ? (int64_t)(v / 1000) : 1;
}
