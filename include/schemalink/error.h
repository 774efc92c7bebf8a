/*
 * error.h — the one error type every module reports through.
 *
 * Owns: struct sl_error and its codes. Depends on libc only.
 * Library code never logs: it fills an optional struct sl_error and returns a negative code;
 * cmd/ and the controller decide what to print.
 */
#ifndef SCHEMALINK_ERROR_H
#define SCHEMALINK_ERROR_H

#include <stdarg.h>

enum sl_code {
	SL_OK = 0,
	SL_EINVAL = -1, /* bad input: syntax, range, unknown value */
	SL_ENOMEM = -2, /* allocation failed */
	SL_EIO = -3, /* a system call failed; msg carries errno text */
	SL_ENOENT = -4, /* the named thing does not exist */
	SL_EEXIST = -5, /* it exists already */
	SL_ELIMIT = -6, /* a configured bound was exceeded */
	SL_EHTTP = -7, /* the peer answered with an error status */
	SL_ECONN = -8, /* the peer could not be reached */
	SL_ETIMEOUT = -9, /* the peer did not answer in time */
	SL_EPROTO = -10, /* the peer's answer could not be understood */
	SL_ESTATE = -11, /* the operation is not allowed in the current state */
	SL_EUNSUP = -12, /* not supported here */
};

#define SL_ERROR_MSG_MAX 512

struct sl_error {
	int code; /* one of enum sl_code; 0 when no error is set */
	int http_status; /* HTTP status of a peer's answer, or 0 */
	int registry_code; /* registry error_code (e.g. 42205), or 0 */
	char msg[SL_ERROR_MSG_MAX];
};

#define SL_ERROR_INIT \
	{ \
		0, 0, 0, \
		{ \
			0 \
		} \
	}

/* Sets err (when non-NULL) to code and a printf-formatted message, truncated to fit.
 * Returns code, so callers may write `return sl_error_set(err, SL_EINVAL, "...")`. */
int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like sl_error_set, with the message built from fmt and ap. */
int sl_error_vset(struct sl_error *err, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Sets err to SL_EIO with "<what>: <strerror(errnum)>". Returns SL_EIO. */
int sl_error_errno(struct sl_error *err, int errnum, const char *what);

/* Prepends "<prefix>: " to err's message, keeping its codes (context as errors bubble up).
 * A NULL err or one with no error set is left alone. */
void sl_error_prefix(struct sl_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Clears err (when non-NULL) to the no-error state. */
void sl_error_clear(struct sl_error *err);

/* A short fixed name for a code, e.g. "invalid argument". Never NULL. */
const char *sl_code_name(int code);

#endif
