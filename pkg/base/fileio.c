/* fileio.c — capped reads, atomic durable writes, mkdir -p. */
#include "schemalink/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sl_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static int sync_parent(const char *path, struct sl_error *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sl_error_errno(err, errno, dir);
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = sl_error_errno(err, errno, dir);
	close(fd);
	return rc;
}

int sl_file_write_atomic(
        const char *path, const void *data, size_t len, mode_t mode, struct sl_error *err)
{
	char tmp[PATH_MAX];
	int fd = -1, rc = 0, n;

	/* A unique name per call, so concurrent writers of one path never share a temp file. */
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return sl_error_set(err, SL_EINVAL, "path \"%s\" is too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sl_error_errno(err, errno, tmp);
	if (fchmod(fd, mode) < 0) {
		rc = sl_error_errno(err, errno, tmp);
		goto out;
	}
	if (sl_write_all(fd, data, len) < 0) {
		rc = sl_error_errno(err, errno, tmp);
		goto out;
	}
	if (fsync(fd) < 0) {
		rc = sl_error_errno(err, errno, tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = sl_error_errno(err, errno, tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = sl_error_errno(err, errno, path);
		goto out;
	}
	rc = sync_parent(path, err);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int sl_file_read(const char *path, size_t max, struct sl_buf *out, struct sl_error *err)
{
	char chunk[65536];
	size_t total = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return sl_error_set(err, SL_ENOENT, "%s: no such file", path);
		return sl_error_errno(err, errno, path);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sl_error_errno(err, errno, path);
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			rc = sl_error_set(
			        err, SL_ELIMIT, "%s: file is larger than %zu bytes", path, max);
			break;
		}
		if (sl_buf_add(out, chunk, (size_t)n) < 0) {
			rc = sl_error_set(err, SL_ENOMEM, "%s: out of memory", path);
			break;
		}
	}
	/* Callers read secrets and keys through here: leave no copy on the stack. */
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int sl_mkdir_p(const char *dir, mode_t mode, struct sl_error *err)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), i;

	if (len == 0 || len >= sizeof(path))
		return sl_error_set(err, SL_EINVAL, "invalid directory \"%s\"", dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) < 0) {
			struct stat st;

			if (errno != EEXIST)
				return sl_error_errno(err, errno, path);
			/* EEXIST says only that the name is taken: a file there is not a directory. */
			if (stat(path, &st) < 0)
				return sl_error_errno(err, errno, path);
			if (!S_ISDIR(st.st_mode))
				return sl_error_errno(err, ENOTDIR, path);
		}
		path[i] = dir[i];
	}
	return 0;
}
