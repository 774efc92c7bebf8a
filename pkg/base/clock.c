/* clock.c — system and fake clocks. */
#include "schemalink/clock.h"

#include <stdio.h>
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

char *sl_clock_format_rfc3339(int64_t wall_ms, char *out, unsigned long outlen)
{
	time_t secs = (time_t)(wall_ms / 1000);
	int ms = (int)(wall_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return out;
}
