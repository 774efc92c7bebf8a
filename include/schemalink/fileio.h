/*
 * fileio.h — reading files with a size cap and replacing them atomically.
 *
 * Owns: the "never a torn file" rule (STYLE.md 14): write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory. Depends on base.
 */
#ifndef SCHEMALINK_FILEIO_H
#define SCHEMALINK_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

/* Replaces path with len bytes of data, atomically and durably, with permissions mode.
 * On any failure the old file is untouched and the temporary file removed. Borrows all. */
int sl_file_write_atomic(
        const char *path, const void *data, size_t len, mode_t mode, struct sl_error *err);

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
