/* test_clock.c — fake and system clocks, RFC 3339 formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schemalink/clock.h"

/* libc's gmtime_r and snprintf: an independent oracle for the formatter, which writes years
 * 0 to 9999 by hand from the day number. */
static void oracle(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		secs -= 1;
	}
	assert_non_null(gmtime_r(&secs, &tm));
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void test_fake_reads_and_advances(void **state)
{
	struct sl_clock c;

	(void)state;
	sl_clock_fake_init(&c, 1000, 1701201449055);
	assert_int_equal(sl_clock_mono_ms(&c), 1000);
	assert_int_equal(sl_clock_wall_ms(&c), 1701201449055);
	/* Reading does not move it. */
	assert_int_equal(sl_clock_mono_ms(&c), 1000);
	assert_int_equal(sl_clock_wall_ms(&c), 1701201449055);
	sl_clock_fake_advance(&c, 250);
	assert_int_equal(sl_clock_mono_ms(&c), 1250);
	assert_int_equal(sl_clock_wall_ms(&c), 1701201449305);
	sl_clock_fake_advance(&c, 0);
	assert_int_equal(sl_clock_mono_ms(&c), 1250);
	sl_clock_fake_advance(&c, 3600000);
	assert_int_equal(sl_clock_mono_ms(&c), 3601250);
	assert_int_equal(sl_clock_wall_ms(&c), 1701205049305);
}

static void test_fake_clocks_independent(void **state)
{
	struct sl_clock a, b;

	(void)state;
	sl_clock_fake_init(&a, 0, 0);
	sl_clock_fake_init(&b, 5, 10);
	sl_clock_fake_advance(&a, 100);
	assert_int_equal(sl_clock_mono_ms(&a), 100);
	assert_int_equal(sl_clock_mono_ms(&b), 5);
	assert_int_equal(sl_clock_wall_ms(&b), 10);
	/* Re-init resets. */
	sl_clock_fake_init(&a, 7, 8);
	assert_int_equal(sl_clock_mono_ms(&a), 7);
	assert_int_equal(sl_clock_wall_ms(&a), 8);
}

static void test_system_clock(void **state)
{
	const struct sl_clock *c = sl_clock_system();
	int64_t prev, now, wall;
	int i;

	(void)state;
	assert_non_null(c);
	assert_ptr_equal(c, sl_clock_system());
	prev = sl_clock_mono_ms(c);
	for (i = 0; i < 100000; i++) {
		now = sl_clock_mono_ms(c);
		assert_true(now >= prev);
		prev = now;
	}
	/* Wall clock is after 2023-11-28 and before the year 2200. */
	wall = sl_clock_wall_ms(c);
	assert_true(wall > 1701201449055);
	assert_true(wall < 7258118400000);
}

static void test_system_clock_advances(void **state)
{
	const struct sl_clock *c = sl_clock_system();
	struct timespec ts = {0, 20 * 1000 * 1000};
	int64_t a, b;

	(void)state;
	a = sl_clock_mono_ms(c);
	nanosleep(&ts, NULL);
	b = sl_clock_mono_ms(c);
	assert_true(b - a >= 19);
	assert_true(b - a < 5000);
}

static void test_rfc3339_known(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	        {0, "1970-01-01T00:00:00.000Z"},
	        {1, "1970-01-01T00:00:00.001Z"},
	        {999, "1970-01-01T00:00:00.999Z"},
	        {1000, "1970-01-01T00:00:01.000Z"},
	        {1701201449055, "2023-11-28T19:57:29.055Z"},
	        {951782400000, "2000-02-29T00:00:00.000Z"},
	        {946684799999, "1999-12-31T23:59:59.999Z"},
	        {4102444800000, "2100-01-01T00:00:00.000Z"},
	        {253402300799999, "9999-12-31T23:59:59.999Z"},
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_ptr_equal(sl_clock_format_rfc3339(cases[i].ms, out, sizeof(out)), out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_rfc3339_negative(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	        {-1, "1969-12-31T23:59:59.999Z"},
	        {-999, "1969-12-31T23:59:59.001Z"},
	        {-1000, "1969-12-31T23:59:59.000Z"},
	        {-1001, "1969-12-31T23:59:58.999Z"},
	        {-86400000, "1969-12-31T00:00:00.000Z"},
	        {-2208988800000, "1900-01-01T00:00:00.000Z"},
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_clock_format_rfc3339(cases[i].ms, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
}

static void test_rfc3339_against_oracle(void **state)
{
	char got[32], want[80];
	int64_t ms;
	uint64_t x = 88172645463325252ULL;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		/* xorshift: instants spread over years 1900..2200 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % 9467280000000ULL) - 2208988800000LL;
		sl_clock_format_rfc3339(ms, got, sizeof(got));
		oracle(ms, want, sizeof(want));
		assert_string_equal(got, want);
	}
	/* Years 0 to 9999 are written by hand; their edges and the years around them too. */
	for (i = 0; i < 20000; i++) {
		static const int64_t edges[] = {-62167219200000LL, 253402300799999LL};

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = i < 8 ? edges[i % 2] + (i / 2 - 2) * 1000 + (i % 2 ? 999 : 0)
		           : (int64_t)(x % 316000000000000ULL) - 62200000000000LL;
		sl_clock_format_rfc3339(ms, got, sizeof(got));
		oracle(ms, want, sizeof(want));
		assert_string_equal(got, want);
	}
}

static void test_rfc3339_small_buffer(void **state)
{
	char out[11];

	(void)state;
	memset(out, 'X', sizeof(out));
	sl_clock_format_rfc3339(1701201449055, out, sizeof(out));
	assert_string_equal(out, "2023-11-28");
}

static void test_rfc3339_out_of_range_is_defined(void **state)
{
	/* Instants gmtime cannot represent must still produce a terminated, bounded string
	 * (and, under valgrind/MSan, never read an unset struct tm). */
	static const int64_t cases[] = {INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 999};
	char out[32], again[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		sl_clock_format_rfc3339(cases[i], out, sizeof(out));
		assert_non_null(memchr(out, '\0', sizeof(out)));
		assert_true(strlen(out) > 0);
		sl_clock_format_rfc3339(cases[i], again, sizeof(again));
		assert_string_equal(out, again);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fake_reads_and_advances),
	        cmocka_unit_test(test_fake_clocks_independent),
	        cmocka_unit_test(test_system_clock),
	        cmocka_unit_test(test_system_clock_advances),
	        cmocka_unit_test(test_rfc3339_known),
	        cmocka_unit_test(test_rfc3339_negative),
	        cmocka_unit_test(test_rfc3339_against_oracle),
	        cmocka_unit_test(test_rfc3339_small_buffer),
	        cmocka_unit_test(test_rfc3339_out_of_range_is_defined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
