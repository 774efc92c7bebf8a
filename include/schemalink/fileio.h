/*
 * fileio.h — reading files with a size cap and replacing them atomically.
 *
 * Owns: the "never a torn file" rule (docs/internals/style.md rule 14): write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory. Depends on base.
 */
#ifndef SCHEMALINK_FILEIO_H
#define SCHEMALINK_FILEIO_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

/* Replaces path with len bytes of data, atomically and durably, with permissions mode.
 * On any failure the old file is untouched and the temporary file removed. Borrows all. */
int sl_file_write_atomic(
        const char *path, const void *data, size_t len, mode_t mode, struct sl_error *err);

/* A file replaced atomically but written in pieces, so a large state file never has to be
 * held in memory whole: open, add any number of times, then commit (or abort). Writes are
 * buffered here (SL_FILE_WRITER_BUF bytes); the first failure is kept and reported again by
 * every later add and by commit. Until committed, the old file is untouched. */
#define SL_FILE_WRITER_BUF 8192

struct sl_file_writer {
	int fd; /* the temporary file, or -1 */
	const char *path; /* borrowed from open until commit or abort */
	char tmp[PATH_MAX];
	char buf[SL_FILE_WRITER_BUF];
	size_t len; /* bytes in buf */
	int rc; /* first failure, or 0 */
	struct sl_error err; /* its description */
};

#define SL_FILE_WRITER_INIT \
	{ \
		.fd = -1 \
	}

/* Creates a unique temporary file next to path (borrowed until commit or abort) with
 * permissions mode. Returns 0, or a negative code with err set (nothing to abort then). */
int sl_file_writer_open(
        struct sl_file_writer *w, const char *path, mode_t mode, struct sl_error *err);

/* Appends len bytes of data (borrowed). Returns 0, or the negative code of the first failure
 * (which commit reports). */
int sl_file_writer_add(struct sl_file_writer *w, const void *data, size_t len);

/* Flushes, fsyncs and closes the temporary file, renames it over path and fsyncs the
 * directory. On any failure, including an earlier add's, removes the temporary file, leaves
 * path untouched and sets err. Either way w is finished: abort is then a no-op. */
int sl_file_writer_commit(struct sl_file_writer *w, struct sl_error *err);

/* Removes the temporary file of an open writer; a no-op for a finished or unopened one. */
void sl_file_writer_abort(struct sl_file_writer *w);

/* Appends the whole file at path to out. Fails with SL_ELIMIT, naming the file, when it is
 * larger than max bytes (checked while reading, so a growing file cannot exceed it), and with
 * SL_ENOENT when it does not exist. On failure out may hold part of the file: callers reading
 * secrets wipe it. The read buffer on the stack is wiped. */
int sl_file_read(const char *path, size_t max, struct sl_buf *out, struct sl_error *err);

/* Writes all len bytes of data to fd, retrying short writes and EINTR. Returns 0, or -1 with
 * errno set. */
int sl_write_all(int fd, const void *data, size_t len);

/* Creates dir and its missing parents with mode (like mkdir -p). */
int sl_mkdir_p(const char *dir, mode_t mode, struct sl_error *err);

#endif
