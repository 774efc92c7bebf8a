/* duration.c — "250ms", "5s", "2m", "1h30m" to milliseconds and back. */
#include "schemalink/duration.h"

#include <stdio.h>
#include <string.h>

int sl_duration_parse(const char *s, int64_t *ms, struct sl_error *err)
{
	const char *p = s;
	int64_t total = 0;

	if (s == NULL || *s == '\0')
		return sl_error_set(err, SL_EINVAL, "empty duration");
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		int64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			return sl_error_set(err, SL_EINVAL,
			        "invalid duration \"%s\": expected a number at \"%s\" (use e.g. "
			        "250ms, 5s, 2m, 1h)",
			        s, p);
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > (INT64_MAX - (*p - '0')) / 10)
				return sl_error_set(
				        err, SL_ELIMIT, "duration \"%s\" is too large", s);
			n = n * 10 + (*p - '0');
		}
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60 * 1000;
			p++;
		} else if (*p == 'h') {
			unit = 3600 * 1000;
			p++;
		} else if (*p == '\0') {
			return sl_error_set(err, SL_EINVAL,
			        "invalid duration \"%s\": missing unit (ms, s, m or h)", s);
		} else {
			return sl_error_set(err, SL_EINVAL,
			        "invalid duration \"%s\": unknown unit at \"%s\" (ms, s, m or h)",
			        s, p);
		}
		if (n > INT64_MAX / unit || total > INT64_MAX - n * unit)
			return sl_error_set(err, SL_ELIMIT, "duration \"%s\" is too large", s);
		total += n * unit;
	}
	*ms = total;
	return 0;
}

char *sl_duration_format(int64_t ms, char *out, unsigned long outlen)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
	size_t used = 0, i;
	uint64_t v;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (ms == 0) {
		snprintf(out, outlen, "0s");
		return out;
	}
	/* Work in unsigned so INT64_MIN negates without overflow. */
	v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	if (ms < 0)
		used += (size_t)snprintf(out, outlen, "-");
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && used < outlen; i++) {
		uint64_t n = v / (uint64_t)units[i].ms;

		if (n == 0)
			continue;
		used += (size_t)snprintf(
		        out + used, outlen - used, "%llu%s", (unsigned long long)n, units[i].unit);
		v -= n * (uint64_t)units[i].ms;
	}
	return out;
}
