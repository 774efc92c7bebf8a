/* clock.c — system and fake clocks. */
#include "schemalink/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t ts_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t sys_mono(const struct sl_clock *c)
{
	(void)c;
	return ts_ms(CLOCK_MONOTONIC);
}

static int64_t sys_wall(const struct sl_clock *c)
{
	(void)c;
	return ts_ms(CLOCK_REALTIME);
}

static const struct sl_clock system_clock = {sys_mono, sys_wall, 0, 0};

const struct sl_clock *sl_clock_system(void)
{
	return &system_clock;
}

static int64_t fake_mono(const struct sl_clock *c)
{
	return c->fake_mono;
}

static int64_t fake_wall(const struct sl_clock *c)
{
	return c->fake_wall;
}

void sl_clock_fake_init(struct sl_clock *c, int64_t mono, int64_t wall)
{
	c->mono_ms = fake_mono;
	c->wall_ms = fake_wall;
	c->fake_mono = mono;
	c->fake_wall = wall;
}

void sl_clock_fake_advance(struct sl_clock *c, int64_t ms)
{
	c->fake_mono += ms;
	c->fake_wall += ms;
}

/* The date of day z (days since 1970-01-01) in the proleptic Gregorian calendar: Howard
 * Hinnant's civil_from_days. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

/* v as exactly n digits at out. */
static void digits(char *out, int v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *sl_clock_format_rfc3339(int64_t wall_ms, char *out, unsigned long outlen)
{
	time_t secs = (time_t)(wall_ms / 1000);
	int ms = (int)(wall_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	/* Years 0 to 9999 by hand, without gmtime_r's locking and snprintf: GET /status writes
	 * some five times a status, 50,000 for 10,000 objects. The same text as below. */
	if (outlen >= 25 && secs >= -62167219200LL && secs <= 253402300799LL) {
		int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400, y;
		int sod = (int)(secs - days * 86400), m, d;

		civil_from_days(days, &y, &m, &d);
		memcpy(out, "0000-00-00T00:00:00.000Z", 25);
		digits(out, (int)y, 4);
		digits(out + 5, m, 2);
		digits(out + 8, d, 2);
		digits(out + 11, sod / 3600, 2);
		digits(out + 14, sod / 60 % 60, 2);
		digits(out + 17, sod % 60, 2);
		digits(out + 20, ms, 3);
		return out;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return out;
}
