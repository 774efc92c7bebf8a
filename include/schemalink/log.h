/*
 * log.h — leveled logging to stderr as text or JSON lines, and secret redaction.
 *
 * Owns: the process log sink and sl_redact. Depends on base (buf, clock).
 * Only cmd/ and pkg/controller log above debug (docs/internals/architecture.md); library code returns errors.
 * Every message and field passes through sl_redact before it is written, so a secret that
 * slipped into one (URL user-info, Authorization header, password=...) is masked at the last
 * step.
 * Thread-safe: one line is written with one write(2) under a lock.
 */
#ifndef SCHEMALINK_LOG_H
#define SCHEMALINK_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/error.h"

enum sl_log_level {
	SL_LOG_DEBUG,
	SL_LOG_INFO,
	SL_LOG_WARN,
	SL_LOG_ERROR,
};

enum sl_log_format {
	SL_LOG_TEXT, /* "2026-11-28T21:35:16.123Z INFO msg object=... reason=..." */
	SL_LOG_JSON, /* {"ts":"...","level":"info","msg":"...","object":"...",...} */
};

/* Optional structured fields; NULL / 0 members are left out. */
struct sl_log_fields {
	const char *object; /* e.g. "SchemaLink/src-to-tgt-link" */
	const char *reason; /* e.g. "ImportModeRequired" */
	int attempt; /* retry attempt, 0 = none */
};

/* Configures the process log. fd is the descriptor lines are written to (default 2);
 * clock (borrowed, may be NULL for the system clock) stamps lines. */
void sl_log_setup(
        enum sl_log_level min, enum sl_log_format format, int fd, const struct sl_clock *clock);

int sl_log_level_parse(const char *s, enum sl_log_level *out, struct sl_error *err);
int sl_log_format_parse(const char *s, enum sl_log_format *out, struct sl_error *err);
const char *sl_log_level_name(enum sl_log_level level);

/* True when a message at level would be written. */
int sl_log_enabled(enum sl_log_level level);

/* Writes one line when level is enabled. fields may be NULL. */
void sl_log(enum sl_log_level level, const struct sl_log_fields *fields, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void sl_vlog(enum sl_log_level level, const struct sl_log_fields *fields, const char *fmt,
        va_list ap) __attribute__((format(printf, 3, 0)));

#define sl_debug(...) sl_log(SL_LOG_DEBUG, NULL, __VA_ARGS__)
#define sl_info(...) sl_log(SL_LOG_INFO, NULL, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, NULL, __VA_ARGS__)
#define sl_errorf(...) sl_log(SL_LOG_ERROR, NULL, __VA_ARGS__)

/* Appends to out a copy of in with secrets masked as "[redacted]":
 *  - user-info in URLs: "https://alice:pw@host" -> "https://[redacted]@host";
 *  - "Authorization: Basic xxx" / "Bearer xxx" header values;
 *  - values of keys matching password|secret|token|user.info (case-insensitive) in
 *    key=value, key: value and JSON "key":"value" forms, bare or in "double" or 'single'
 *    quotes (a {...} or [...] value is a reference such as {file: ...} and is kept).
 * Returns 0 or SL_ENOMEM. */
int sl_redact(const char *in, struct sl_buf *out);

#endif
