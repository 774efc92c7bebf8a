/* test_duration.c — duration syntax: parsing, errors, overflow, formatting round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "schemalink/duration.h"

static void test_parse_valid(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} cases[] = {
	        {"0", 0},
	        {"0s", 0},
	        {"0ms", 0},
	        {"0h0m0s0ms", 0},
	        {"1ms", 1},
	        {"250ms", 250},
	        {"5s", 5000},
	        {"2m", 120000},
	        {"1h", 3600000},
	        {"1h30m", 5400000},
	        {"1m30s500ms", 90500},
	        {"90s", 90000},
	        {"1500ms", 1500},
	        {"005s", 5000},
	        {"24h", 86400000},
	        {"1s1s", 2000},
	        {"1ms1h", 3600001},
	        {"9223372036854775807ms", INT64_MAX},
	        {"2562047788015h12m55s807ms", INT64_MAX},
	};
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -12345;

		assert_int_equal(sl_duration_parse(cases[i].s, &ms, &err), 0);
		assert_int_equal(ms, cases[i].ms);
		assert_int_equal(err.code, 0);
	}
	/* err may be NULL. */
	{
		int64_t ms = 0;

		assert_int_equal(sl_duration_parse("7s", &ms, NULL), 0);
		assert_int_equal(ms, 7000);
	}
}

static void test_parse_invalid(void **state)
{
	static const char *const bad[] = {
	        "",
	        "5",
	        "s",
	        "ms",
	        "-5s",
	        "+5s",
	        "5 s",
	        " 5s",
	        "5s ",
	        "5sec",
	        "1.5s",
	        "5x",
	        "5S",
	        "5H",
	        "5d",
	        "1h30",
	        "00",
	        "0 ",
	        "-0",
	        "5m s",
	        "5mss",
	        "1h-30m",
	        "5s\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_error err = SL_ERROR_INIT;
		int64_t ms = 4242;

		assert_int_equal(sl_duration_parse(bad[i], &ms, &err), SL_EINVAL);
		assert_int_equal(err.code, SL_EINVAL);
		/* *ms is untouched on error. */
		assert_int_equal(ms, 4242);
		assert_true(strlen(err.msg) > 0);
		assert_int_equal(sl_duration_parse(bad[i], &ms, NULL), SL_EINVAL);
		assert_int_equal(ms, 4242);
	}
	assert_int_equal(sl_duration_parse(NULL, NULL, NULL), SL_EINVAL);
}

static void test_parse_error_messages_quote_input(void **state)
{
	static const char *const bad[] = {"5", "s", "-5s", "5 s", "5sec", "1.5s", "5x"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_error err = SL_ERROR_INIT;
		char quoted[32];
		int64_t ms;

		sl_duration_parse(bad[i], &ms, &err);
		strcpy(quoted, "\"");
		strcat(quoted, bad[i]);
		strcat(quoted, "\"");
		assert_non_null(strstr(err.msg, quoted));
	}
}

static void test_parse_overflow(void **state)
{
	static const char *const big[] = {
	        "9223372036854775808ms", /* INT64_MAX + 1 */
	        "9999999999999999999ms", "99999999999999999999999999999999s",
	        "9223372036854775807s", "9223372036854776s", /* 9223372036854776000 > INT64_MAX */
	        "2562047788016h", /* just over INT64_MAX in hours */
	        "2562047788015h12m55s808ms", /* INT64_MAX + 1 in parts */
	        "9223372036854775807ms1ms", /* sum overflows */
	        "153722867280913m", /* just over INT64_MAX in minutes */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		struct sl_error err = SL_ERROR_INIT;
		int64_t ms = 77;

		assert_int_equal(sl_duration_parse(big[i], &ms, &err), SL_ELIMIT);
		assert_int_equal(err.code, SL_ELIMIT);
		assert_int_equal(ms, 77);
		assert_non_null(strstr(err.msg, big[i]));
	}
}

static void test_parse_boundaries(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(sl_duration_parse("2562047788015h", &ms, NULL), 0);
	assert_int_equal(ms, 2562047788015LL * 3600000);
	assert_int_equal(sl_duration_parse("153722867280912m", &ms, NULL), 0);
	assert_int_equal(ms, 153722867280912LL * 60000);
	assert_int_equal(sl_duration_parse("9223372036854775s", &ms, NULL), 0);
	assert_int_equal(ms, 9223372036854775000LL);
	assert_int_equal(sl_duration_parse("9223372036854775s807ms", &ms, NULL), 0);
	assert_int_equal(ms, INT64_MAX);
	assert_int_equal(sl_duration_parse("9223372036854775s808ms", &ms, NULL), SL_ELIMIT);
	assert_int_equal(ms, INT64_MAX);
}

static void test_format_known(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	        {0, "0s"},
	        {1, "1ms"},
	        {250, "250ms"},
	        {1000, "1s"},
	        {1500, "1s500ms"},
	        {5000, "5s"},
	        {60000, "1m"},
	        {90000, "1m30s"},
	        {90500, "1m30s500ms"},
	        {120000, "2m"},
	        {3600000, "1h"},
	        {3600001, "1h1ms"},
	        {5400000, "1h30m"},
	        {86400000, "24h"},
	        {-1500, "-1s500ms"},
	        {-1, "-1ms"},
	        {INT64_MAX, "2562047788015h12m55s807ms"},
	        {INT64_MIN, "-2562047788015h12m55s808ms"},
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_ptr_equal(sl_duration_format(cases[i].ms, out, sizeof(out)), out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_format_small_buffer(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'X', sizeof(out));
	sl_duration_format(INT64_MAX, out, sizeof(out));
	assert_string_equal(out, "2562047");
	memset(out, 'X', sizeof(out));
	sl_duration_format(3723004, out, 5);
	assert_string_equal(out, "1h2m");
	assert_int_equal(out[5], 'X');
	sl_duration_format(-5, out, 1);
	assert_string_equal(out, "");
	out[0] = 'Y';
	sl_duration_format(5, out, 0);
	assert_int_equal(out[0], 'Y');
}

static void roundtrip(int64_t ms)
{
	char out[32];
	int64_t back = -1;
	struct sl_error err = SL_ERROR_INIT;

	sl_duration_format(ms, out, sizeof(out));
	assert_int_equal(sl_duration_parse(out, &back, &err), 0);
	assert_int_equal(back, ms);
}

static void test_format_roundtrip(void **state)
{
	static const int64_t fixed[] = {0, 1, 999, 1000, 1001, 59999, 60000, 60001, 3599999,
	        3600000, 3600001, 86399999, 5400000, 90500, INT64_MAX, INT64_MAX - 1, INT64_MAX / 2,
	        (int64_t)1 << 62, 2562047788015LL * 3600000};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		roundtrip(fixed[i]);
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Mix magnitudes: small, medium and full-range values. */
		switch (i % 3) {
		case 0: roundtrip((int64_t)(x % 100000)); break;
		case 1: roundtrip((int64_t)(x % 1000000000000ULL)); break;
		default: roundtrip((int64_t)(x >> 1)); break;
		}
	}
}

static void test_format_is_shortest(void **state)
{
	/* The printed form never repeats a unit and never prints a zero component. */
	static const int64_t vals[] = {1, 61000, 3660000, 3600500, 7200000, 123456789};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const char *p;

		sl_duration_format(vals[i], out, sizeof(out));
		for (p = out; *p; p++)
			if (*p == '0')
				assert_true(p > out && p[-1] >= '0' && p[-1] <= '9');
	}
	sl_duration_format(3600500, out, sizeof(out));
	assert_string_equal(out, "1h500ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_valid),
	        cmocka_unit_test(test_parse_invalid),
	        cmocka_unit_test(test_parse_error_messages_quote_input),
	        cmocka_unit_test(test_parse_overflow),
	        cmocka_unit_test(test_parse_boundaries),
	        cmocka_unit_test(test_format_known),
	        cmocka_unit_test(test_format_small_buffer),
	        cmocka_unit_test(test_format_roundtrip),
	        cmocka_unit_test(test_format_is_shortest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
