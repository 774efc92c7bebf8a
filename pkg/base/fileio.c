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

int sl_file_writer_open(
        struct sl_file_writer *w, const char *path, mode_t mode, struct sl_error *err)
{
	int n;

	w->fd = -1;
	w->path = path;
	w->len = 0;
	w->rc = 0;
	sl_error_clear(&w->err);
	/* A unique name per call, so concurrent writers of one path never share a temp file. */
	n = snprintf(w->tmp, sizeof(w->tmp), "%s.tmp-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(w->tmp)) {
		w->tmp[0] = '\0';
		return sl_error_set(err, SL_EINVAL, "path \"%s\" is too long", path);
	}
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int rc = sl_error_errno(err, errno, w->tmp);

		w->tmp[0] = '\0'; /* not ours: abort must not remove it */
		return rc;
	}
	if (fchmod(w->fd, mode) < 0) {
		int rc = sl_error_errno(err, errno, w->tmp);

		sl_file_writer_abort(w);
		return rc;
	}
	return 0;
}

static int flush(struct sl_file_writer *w)
{
	if (w->rc == 0 && w->len > 0 && sl_write_all(w->fd, w->buf, w->len) < 0)
		w->rc = sl_error_errno(&w->err, errno, w->tmp);
	w->len = 0;
	return w->rc;
}

int sl_file_writer_add(struct sl_file_writer *w, const void *data, size_t len)
{
	const char *p = data;

	if (w->fd < 0 && w->rc == 0)
		w->rc = sl_error_set(&w->err, SL_EINVAL, "file writer is not open");
	/* What would not fit the buffer anyway goes out in one write. */
	if (w->rc == 0 && len >= sizeof(w->buf)) {
		if (flush(w) == 0 && sl_write_all(w->fd, p, len) < 0)
			w->rc = sl_error_errno(&w->err, errno, w->tmp);
		return w->rc;
	}
	while (w->rc == 0 && len > 0) {
		size_t n = sizeof(w->buf) - w->len;

		if (n > len)
			n = len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == sizeof(w->buf))
			flush(w);
	}
	return w->rc;
}

int sl_file_writer_commit(struct sl_file_writer *w, struct sl_error *err)
{
	int rc;

	if (w->fd < 0 && w->rc == 0)
		w->rc = sl_error_set(&w->err, SL_EINVAL, "file writer is not open");
	if (flush(w) < 0)
		goto fail;
	if (fsync(w->fd) < 0) {
		w->rc = sl_error_errno(&w->err, errno, w->tmp);
		goto fail;
	}
	rc = close(w->fd);
	w->fd = -1;
	if (rc < 0) {
		w->rc = sl_error_errno(&w->err, errno, w->tmp);
		goto fail;
	}
	if (rename(w->tmp, w->path) < 0) {
		w->rc = sl_error_errno(&w->err, errno, w->path);
		goto fail;
	}
	w->tmp[0] = '\0'; /* renamed: nothing left to remove */
	w->rc = sync_parent(w->path, &w->err);
	if (w->rc < 0)
		goto fail;
	return 0;
fail:
	rc = w->rc;
	if (err)
		*err = w->err;
	sl_file_writer_abort(w);
	return rc;
}

void sl_file_writer_abort(struct sl_file_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	w->tmp[0] = '\0';
	w->len = 0;
}

int sl_file_write_atomic(
        const char *path, const void *data, size_t len, mode_t mode, struct sl_error *err)
{
	struct sl_file_writer w = SL_FILE_WRITER_INIT;
	int rc;

	rc = sl_file_writer_open(&w, path, mode, err);
	if (rc == 0) {
		sl_file_writer_add(&w, data, len);
		rc = sl_file_writer_commit(&w, err);
	}
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
