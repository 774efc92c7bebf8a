/*
 * duration.h — parsing and printing durations such as "250ms", "5s", "2m", "1h30m".
 *
 * Owns: the duration syntax used by flags and manifests. Depends on base (error).
 * Syntax: one or more <digits><unit> pairs, unit one of ms, s, m, h; no sign, no spaces,
 * no fractions. "0" alone (no unit) is accepted as zero. Result in milliseconds.
 */
#ifndef SCHEMALINK_DURATION_H
#define SCHEMALINK_DURATION_H

#include <stdint.h>

#include "schemalink/error.h"

/* Parses s into *ms. Returns 0, or SL_EINVAL for junk (message quotes s and says why), or
 * SL_ELIMIT when the value does not fit in int64 milliseconds. *ms is untouched on error. */
int sl_duration_parse(const char *s, int64_t *ms, struct sl_error *err);

/* Prints ms in the same syntax, shortest form ("1m30s", "250ms", "0s") into out (>= 32 bytes).
 * Negative values print with a leading '-'. Returns out. */
char *sl_duration_format(int64_t ms, char *out, unsigned long outlen);

#endif
