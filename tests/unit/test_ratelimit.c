/* test_ratelimit.c — the request budget's arithmetic, driven by a fake clock and a sleep hook
 * that records every wait (and moves the clock by it, or not). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "schemalink/ratelimit.h"

struct world {
	struct sl_clock clock;
	bool advance; /* the sleep hook moves the clock by what it was asked to wait */
	long waits[64];
	int nwaits;
	long total;
	int polls; /* calls of cancelled() */
	int cancel_at; /* cancelled() says yes from this call on (0 = never) */
};

static void record_sleep(void *arg, long ms)
{
	struct world *w = arg;

	if (w->nwaits < 64)
		w->waits[w->nwaits] = ms;
	w->nwaits++;
	w->total += ms;
	if (w->advance)
		sl_clock_fake_advance(&w->clock, ms);
}

static bool cancelled(void *arg)
{
	struct world *w = arg;

	w->polls++;
	return w->cancel_at > 0 && w->polls >= w->cancel_at;
}

static struct sl_ratelimit *limiter(struct world *w, int reads, int writes, long burst_ms)
{
	struct sl_ratelimit_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_ratelimit *l;

	memset(&cfg, 0, sizeof(cfg));
	cfg.reads_per_s = reads;
	cfg.writes_per_s = writes;
	cfg.burst_ms = burst_ms;
	cfg.clock = &w->clock;
	cfg.sleep_ms = record_sleep;
	cfg.sleep_arg = w;
	l = sl_ratelimit_new(&cfg, &err);
	if (l == NULL)
		fail_msg("sl_ratelimit_new: %s", err.msg);
	return l;
}

static void world_init(struct world *w, bool advance)
{
	memset(w, 0, sizeof(*w));
	sl_clock_fake_init(&w->clock, 1000000, 0);
	w->advance = advance;
}

static long take(struct sl_ratelimit *l, enum sl_ratelimit_kind k)
{
	return sl_ratelimit_take(l, k, NULL, NULL);
}

/* 10/s with the default burst (half a second: 5 requests): 5 at once, then one per 100 ms,
 * so N requests wait (N - 5) * 100 ms in all. */
static void test_burst_then_paced(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, true);
	l = limiter(&w, 10, 10, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(w.nwaits, 0);
	for (i = 0; i < 15; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 100);
	assert_int_equal(w.nwaits, 15);
	assert_int_equal(w.total, 1500);
	assert_int_equal(w.clock.fake_mono, 1000000 + 1500);
	/* After a long quiet spell the burst is back, but never more than the burst. */
	sl_clock_fake_advance(&w.clock, 60000);
	w.nwaits = 0;
	w.total = 0;
	for (i = 0; i < 5; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 100);
	assert_int_equal(w.nwaits, 1);
	sl_ratelimit_free(l);
	sl_ratelimit_free(NULL);
}

/* A sleep hook that does not move the clock: every caller still gets its own slot, one
 * interval after the one before, and each take returns after one sleep. */
static void test_frozen_clock_does_not_loop(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 20, 20, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(take(l, SL_RATELIMIT_WRITE), 0);
	for (i = 1; i <= 30; i++)
		assert_int_equal(take(l, SL_RATELIMIT_WRITE), 50L * i);
	assert_int_equal(w.nwaits, 30);
	sl_ratelimit_free(l);
}

/* Reads and writes have their own buckets. */
static void test_reads_and_writes_independent(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 10, 2, 0); /* writes: a burst of 1, one per 500 ms */
	for (i = 0; i < 5; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 0);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 500);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 100);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 1000);
	assert_int_equal(sl_ratelimit_kind_of("GET"), SL_RATELIMIT_READ);
	assert_int_equal(sl_ratelimit_kind_of("head"), SL_RATELIMIT_READ);
	assert_int_equal(sl_ratelimit_kind_of("PUT"), SL_RATELIMIT_WRITE);
	assert_int_equal(sl_ratelimit_kind_of("POST"), SL_RATELIMIT_WRITE);
	assert_int_equal(sl_ratelimit_kind_of("DELETE"), SL_RATELIMIT_WRITE);
	sl_ratelimit_free(l);
}

/* The burst is burst_ms of the rate, at least one request; intervals round up, so a rate is
 * never exceeded (3/s: 333.334 ms, waited as 334 ms). */
static void test_burst_sizes(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 1, 3, 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 1000);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 0);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 334);
	sl_ratelimit_free(l);

	world_init(&w, false);
	l = limiter(&w, 100, 100, 1000); /* a one-second burst, as srlite's */
	for (i = 0; i < 100; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 10);
	sl_ratelimit_free(l);
}

/* A pause holds every request of both kinds, also with no rate at all, and what follows it
 * is paced without a burst. */
static void test_pause_holds_all_kinds(void **state)
{
	struct world w;
	struct sl_ratelimit *l;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 10, 10, 0);
	sl_ratelimit_pause(l, 2000);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 2000);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 2000);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 2100);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 2100);
	/* A shorter pause does not shorten it; a longer one is cut at the maximum. */
	sl_ratelimit_pause(l, 10);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 2200);
	sl_ratelimit_pause_until(l, w.clock.fake_mono + 3600000);
	assert_int_equal(take(l, SL_RATELIMIT_READ), SL_RATELIMIT_MAX_PAUSE_MS);
	sl_ratelimit_free(l);

	world_init(&w, true);
	l = limiter(&w, 0, 0, 0);
	sl_ratelimit_pause(l, 1500);
	assert_int_equal(take(l, SL_RATELIMIT_WRITE), 1500);
	/* The clock moved past it: over. */
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(w.nwaits, 1);
	sl_ratelimit_free(l);
}

/* Rate 0 never waits and never calls the sleep hook. */
static void test_rate_zero_never_waits(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 0, 0, 0);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
		assert_int_equal(take(l, SL_RATELIMIT_WRITE), 0);
		assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 0);
	}
	assert_int_equal(w.nwaits, 0);
	sl_ratelimit_free(l);
}

/* Rates change in place: the slots already promised keep their place, the changed kind
 * starts without a burst, the other is untouched; a bad rate changes nothing. */
static void test_rate_change_in_place(void **state)
{
	struct world w;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_ratelimit *l;
	int r, wr, i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 10, 10, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	/* The five took the TAT 500 ms ahead; at 2/s the next slot is after them. */
	assert_int_equal(sl_ratelimit_set_rates(l, 2, 10, &err), 0);
	sl_ratelimit_rates(l, &r, &wr);
	assert_int_equal(r, 2);
	assert_int_equal(wr, 10);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 500);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 1000);
	/* Writes kept their burst. */
	for (i = 0; i < 5; i++)
		assert_int_equal(take(l, SL_RATELIMIT_WRITE), 0);
	/* Off, then on again at a higher rate: no burst, paced at once. */
	assert_int_equal(sl_ratelimit_set_rates(l, 0, 10, &err), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	sl_clock_fake_advance(&w.clock, 10000);
	assert_int_equal(sl_ratelimit_set_rates(l, 100, 10, &err), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 10);
	/* The same rates again change nothing (a remade client sets them again). */
	assert_int_equal(sl_ratelimit_set_rates(l, 100, 10, &err), 0);
	assert_int_equal(take(l, SL_RATELIMIT_READ), 20);
	assert_int_equal(sl_ratelimit_set_rates(l, -1, 10, &err), SL_EINVAL);
	assert_int_equal(sl_ratelimit_set_rates(l, 1, SL_RATELIMIT_MAX_RATE + 1, NULL), SL_EINVAL);
	sl_ratelimit_rates(l, &r, &wr);
	assert_int_equal(r, 100);
	assert_int_equal(wr, 10);
	sl_ratelimit_free(l);
}

static void test_bad_config(void **state)
{
	struct sl_ratelimit_config cfg;
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.reads_per_s = -1;
	assert_null(sl_ratelimit_new(&cfg, &err));
	assert_int_equal(err.code, SL_EINVAL);
	cfg.reads_per_s = 1;
	cfg.writes_per_s = SL_RATELIMIT_MAX_RATE + 1;
	assert_null(sl_ratelimit_new(&cfg, &err));
	cfg.writes_per_s = SL_RATELIMIT_MAX_RATE;
	cfg.burst_ms = -5;
	assert_null(sl_ratelimit_new(&cfg, &err));
}

/* Cancellation: the default sleep polls between slices and stops; with a hook, a take that
 * is cancelled before waiting does not sleep at all. */
static void test_cancel_stops_wait(void **state)
{
	struct sl_ratelimit_config cfg;
	struct world w;
	struct sl_ratelimit *l;

	(void)state;
	world_init(&w, false);
	memset(&cfg, 0, sizeof(cfg));
	cfg.reads_per_s = 1;
	cfg.clock = &w.clock;
	l = sl_ratelimit_new(&cfg, NULL);
	assert_non_null(l);
	assert_int_equal(sl_ratelimit_take(l, SL_RATELIMIT_READ, cancelled, &w), 0);
	/* 1,000 ms to wait: polled before waiting and before each 50 ms slice; the third
	 * poll, after one slice, says stop. */
	w.cancel_at = 3;
	assert_int_equal(sl_ratelimit_take(l, SL_RATELIMIT_READ, cancelled, &w), SL_ESTATE);
	assert_int_equal(w.polls, 3);
	sl_ratelimit_free(l);

	world_init(&w, false);
	l = limiter(&w, 1, 1, 0);
	assert_int_equal(sl_ratelimit_take(l, SL_RATELIMIT_WRITE, cancelled, &w), 0);
	assert_int_equal(w.polls, 0); /* no wait, no poll */
	w.cancel_at = 1;
	assert_int_equal(sl_ratelimit_take(l, SL_RATELIMIT_WRITE, cancelled, &w), SL_ESTATE);
	assert_int_equal(w.nwaits, 0);
	/* Cancelled while the hook slept. */
	w.cancel_at = 2;
	w.polls = 0;
	assert_int_equal(sl_ratelimit_take(l, SL_RATELIMIT_WRITE, cancelled, &w), SL_ESTATE);
	assert_int_equal(w.nwaits, 1);
	sl_ratelimit_free(l);
}

/* A server's try: takes a free token, else says how long until one and takes nothing. */
static void test_try(void **state)
{
	struct world w;
	struct sl_ratelimit *l;
	int i;

	(void)state;
	world_init(&w, false);
	l = limiter(&w, 3, 1, 1000);
	for (i = 0; i < 3; i++)
		assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 334);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 334);
	sl_clock_fake_advance(&w.clock, 333);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 1);
	sl_clock_fake_advance(&w.clock, 1);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_READ), 0);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_WRITE), 0);
	assert_int_equal(sl_ratelimit_try(l, SL_RATELIMIT_WRITE), 1000);
	assert_int_equal(w.nwaits, 0);
	sl_ratelimit_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_burst_then_paced),
	        cmocka_unit_test(test_frozen_clock_does_not_loop),
	        cmocka_unit_test(test_reads_and_writes_independent),
	        cmocka_unit_test(test_burst_sizes),
	        cmocka_unit_test(test_pause_holds_all_kinds),
	        cmocka_unit_test(test_rate_zero_never_waits),
	        cmocka_unit_test(test_rate_change_in_place),
	        cmocka_unit_test(test_bad_config),
	        cmocka_unit_test(test_cancel_stops_wait),
	        cmocka_unit_test(test_try),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
