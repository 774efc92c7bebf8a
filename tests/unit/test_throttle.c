/* test_throttle.c — once-per-minute logging of repeating errors, driven by a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "schemalink/throttle.h"

static void test_first_then_once_per_window(void **state)
{
	struct sl_clock clk;
	struct sl_throttle *t;
	uint64_t rep;
	int64_t since;
	int i;

	(void)state;
	sl_clock_fake_init(&clk, 1000, 0);
	t = sl_throttle_new(&clk, 0, 0);
	assert_non_null(t);
	/* The first occurrence is logged, with nothing repeated. */
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	assert_int_equal(rep, 0);
	assert_int_equal(since, 0);
	/* 29 more within the minute are counted, not logged. */
	for (i = 0; i < 29; i++) {
		sl_clock_fake_advance(&clk, 2000);
		assert_false(
		        sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	}
	/* 58 s after the first: still inside the window. */
	assert_int_equal(clk.fake_mono, 1000 + 58000);
	sl_clock_fake_advance(&clk, 1999);
	assert_false(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	/* At 60 s: logged, standing for the 30 not logged. */
	sl_clock_fake_advance(&clk, 1);
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	assert_int_equal(rep, 30);
	assert_int_equal(since, 60000);
	/* The count restarts with the new window. */
	sl_clock_fake_advance(&clk, 30000);
	assert_false(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	sl_clock_fake_advance(&clk, 30000);
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	assert_int_equal(rep, 1);
	/* A sparse error (once in 5 minutes) is logged every time, with nothing repeated. */
	sl_clock_fake_advance(&clk, 300000);
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "RegistryUnreachable", &rep, &since));
	assert_int_equal(rep, 0);
	assert_int_equal(since, 300000);
	sl_throttle_free(t);
}

static void test_per_key_and_reason(void **state)
{
	struct sl_clock clk;
	struct sl_throttle *t;
	uint64_t rep;
	int64_t since;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	t = sl_throttle_new(&clk, 60000, 0);
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "X", &rep, &since));
	assert_false(sl_throttle_hit(t, "SchemaLink/a", "X", &rep, &since));
	/* Another reason of the same key, and the same reason of another key, are news. */
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "Y", &rep, &since));
	assert_true(sl_throttle_hit(t, "SchemaLink/b", "X", &rep, &since));
	/* A key that is a prefix of another is not confused with it. */
	assert_true(sl_throttle_hit(t, "SchemaLink/ab", "X", &rep, &since));
	assert_int_equal(sl_throttle_len(t), 4);
	/* Success forgets every reason of the key, and only of that key. */
	sl_throttle_forget(t, "SchemaLink/a");
	assert_int_equal(sl_throttle_len(t), 2);
	assert_true(sl_throttle_hit(t, "SchemaLink/a", "X", &rep, &since));
	assert_int_equal(rep, 0);
	assert_false(sl_throttle_hit(t, "SchemaLink/ab", "X", &rep, &since));
	assert_false(sl_throttle_hit(t, "SchemaLink/b", "X", &rep, &since));
	sl_throttle_free(t);
}

static void test_logged_elsewhere_starts_the_window(void **state)
{
	struct sl_clock clk;
	struct sl_throttle *t;
	uint64_t rep;
	int64_t since;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	t = sl_throttle_new(&clk, 60000, 0);
	/* A condition transition logged the error: repeats are counted from then. */
	sl_throttle_logged(t, "Registry/r", "RegistryUnreachable");
	sl_clock_fake_advance(&clk, 10000);
	assert_false(sl_throttle_hit(t, "Registry/r", "RegistryUnreachable", &rep, &since));
	sl_clock_fake_advance(&clk, 50000);
	assert_true(sl_throttle_hit(t, "Registry/r", "RegistryUnreachable", &rep, &since));
	assert_int_equal(rep, 1);
	sl_throttle_free(t);
}

static void test_bounded(void **state)
{
	struct sl_clock clk;
	struct sl_throttle *t;
	uint64_t rep;
	int64_t since;
	char key[32];
	int i;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	t = sl_throttle_new(&clk, 60000, 4);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "Subject/s%d", i);
		assert_true(sl_throttle_hit(t, key, "X", &rep, &since));
	}
	/* Full and nothing expired: a new pair is logged, not remembered. */
	assert_true(sl_throttle_hit(t, "Subject/new", "X", &rep, &since));
	assert_true(sl_throttle_hit(t, "Subject/new", "X", &rep, &since));
	assert_int_equal(sl_throttle_len(t), 4);
	/* Once the old windows are over, they make room. */
	sl_clock_fake_advance(&clk, 60000);
	assert_true(sl_throttle_hit(t, "Subject/new", "X", &rep, &since));
	assert_int_equal(sl_throttle_len(t), 1);
	assert_false(sl_throttle_hit(t, "Subject/new", "X", &rep, &since));
	sl_throttle_free(t);
	sl_throttle_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_first_then_once_per_window),
	        cmocka_unit_test(test_per_key_and_reason),
	        cmocka_unit_test(test_logged_elsewhere_starts_the_window),
	        cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
