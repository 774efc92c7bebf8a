/* test_queue.c — work queue: dedup, exclusivity, delays, backoff, global bucket. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemalink/queue.h"

static struct sl_queue_limits no_jitter(void)
{
	struct sl_queue_limits l = SL_QUEUE_LIMITS_DEFAULT;

	l.jitter_pct = 0;
	l.seed = 42;
	return l;
}

static char *get_now(struct sl_queue *q)
{
	char *k = NULL;

	if (sl_queue_get(q, &k, 0) != 0)
		return NULL;
	return k;
}

/* next KEY: takes the next ready key, expects KEY, and marks it done. */
static void expect_next(struct sl_queue *q, const char *want)
{
	char *k = get_now(q);

	assert_non_null(k);
	assert_string_equal(k, want);
	sl_queue_done(q, k);
	free(k);
}

static void add_first_jumps_the_queue(void **state)
{
	struct sl_clock clk;
	struct sl_queue *q;
	struct sl_queue_stats st;
	char *k;

	(void)state;
	sl_clock_fake_init(&clk, 1000, 1000);
	q = sl_queue_new(&clk, NULL);
	assert_non_null(q);
	assert_int_equal(sl_queue_add(q, "a"), 0);
	assert_int_equal(sl_queue_add(q, "b"), 0);
	assert_int_equal(sl_queue_add(q, "c"), 0);
	/* New key: first. */
	assert_int_equal(sl_queue_add_first(q, "new"), 0);
	/* Already waiting: moved up, not duplicated. */
	assert_int_equal(sl_queue_add_first(q, "c"), 0);
	sl_queue_stats(q, &st);
	assert_int_equal(st.depth, 4);
	assert_int_equal(st.adds, 4);
	expect_next(q, "c");
	expect_next(q, "new");
	expect_next(q, "a");
	/* Being processed: not handed out twice, runs again after done (as with add). */
	k = get_now(q);
	assert_string_equal(k, "b");
	assert_int_equal(sl_queue_add(q, "d"), 0);
	assert_int_equal(sl_queue_add_first(q, "b"), 0);
	sl_queue_stats(q, &st);
	assert_int_equal(st.depth, 1);
	sl_queue_done(q, k);
	free(k);
	expect_next(q, "d");
	expect_next(q, "b");
	assert_null(get_now(q));
	/* A delayed key is made ready now, at the front. */
	assert_int_equal(sl_queue_add(q, "x"), 0);
	assert_int_equal(sl_queue_add_after(q, "later", 5000), 0);
	assert_int_equal(sl_queue_add_first(q, "later"), 0);
	expect_next(q, "later");
	expect_next(q, "x");
	assert_int_equal(sl_queue_next_due_ms(q), -1);
	sl_queue_free(q);
}

static void dedup_while_waiting(void **state)
{
	struct sl_clock clk;
	struct sl_queue *q;
	struct sl_queue_stats st;
	char *k;

	(void)state;
	sl_clock_fake_init(&clk, 1000, 1000);
	q = sl_queue_new(&clk, NULL);
	assert_non_null(q);
	assert_int_equal(sl_queue_add(q, "SchemaLink/a"), 0);
	assert_int_equal(sl_queue_add(q, "SchemaLink/a"), 0);
	assert_int_equal(sl_queue_add(q, "SchemaLink/b"), 0);
	sl_queue_stats(q, &st);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.adds, 2);
	k = get_now(q);
	assert_string_equal(k, "SchemaLink/a");
	sl_queue_done(q, k);
	free(k);
	k = get_now(q);
	assert_string_equal(k, "SchemaLink/b");
	sl_queue_done(q, k);
	free(k);
	assert_null(get_now(q));
	sl_queue_free(q);
}

static void never_twice_at_once(void **state)
{
	struct sl_clock clk;
	struct sl_queue *q;
	char *k, *k2;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, NULL);
	sl_queue_add(q, "x");
	k = get_now(q);
	assert_string_equal(k, "x");
	/* Re-added while processing: not handed out until done. */
	assert_int_equal(sl_queue_add(q, "x"), 0);
	assert_int_equal(sl_queue_add(q, "x"), 0);
	assert_null(get_now(q));
	sl_queue_done(q, k);
	free(k);
	k2 = get_now(q);
	assert_non_null(k2);
	assert_string_equal(k2, "x");
	sl_queue_done(q, k2);
	free(k2);
	/* Ran exactly once more. */
	assert_null(get_now(q));
	sl_queue_free(q);
}

static void delayed_adds(void **state)
{
	struct sl_clock clk;
	struct sl_queue *q;
	char *k;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, NULL);
	assert_int_equal(sl_queue_next_due_ms(q), -1);
	sl_queue_add_after(q, "late", 1000);
	sl_queue_add_after(q, "early", 100);
	assert_int_equal(sl_queue_next_due_ms(q), 100);
	assert_null(get_now(q));
	sl_clock_fake_advance(&clk, 99);
	assert_null(get_now(q));
	sl_clock_fake_advance(&clk, 1);
	k = get_now(q);
	assert_string_equal(k, "early");
	sl_queue_done(q, k);
	free(k);
	assert_int_equal(sl_queue_next_due_ms(q), 900);
	/* An earlier time for the same key wins; a later one does not postpone it. */
	sl_queue_add_after(q, "late", 5000);
	assert_int_equal(sl_queue_next_due_ms(q), 900);
	sl_queue_add_after(q, "late", 10);
	assert_int_equal(sl_queue_next_due_ms(q), 10);
	/* An immediate add moves a delayed key up. */
	sl_queue_add(q, "late");
	assert_int_equal(sl_queue_next_due_ms(q), -1);
	k = get_now(q);
	assert_string_equal(k, "late");
	sl_queue_done(q, k);
	free(k);
	assert_null(get_now(q));
	sl_queue_free(q);
}

static void backoff_doubles_to_cap_and_forget_resets(void **state)
{
	struct sl_queue_limits l = no_jitter();
	struct sl_clock clk;
	struct sl_queue *q;
	int64_t d, want = 5;
	int i;

	(void)state;
	l.bucket_rate = 0; /* per-key backoff alone */
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, &l);
	for (i = 0; i < 30; i++) {
		char *k;

		assert_int_equal(sl_queue_add_rate_limited(q, "k", &d), 0);
		assert_int_equal(d, want);
		want = want * 2 > 300000 ? 300000 : want * 2;
		sl_clock_fake_advance(&clk, d);
		k = get_now(q);
		assert_non_null(k);
		sl_queue_done(q, k);
		free(k);
	}
	assert_int_equal(sl_queue_failures(q, "k"), 30);
	assert_int_equal(d, 300000);
	sl_queue_forget(q, "k");
	assert_int_equal(sl_queue_failures(q, "k"), 0);
	assert_int_equal(sl_queue_add_rate_limited(q, "k", &d), 0);
	assert_int_equal(d, 5);
	sl_queue_free(q);
}

static void jitter_stays_within_twenty_percent(void **state)
{
	struct sl_queue_limits l = SL_QUEUE_LIMITS_DEFAULT;
	struct sl_clock clk;
	int64_t d, lo = INT64_MAX, hi = 0;
	int i;

	(void)state;
	l.seed = 7;
	l.bucket_rate = 0;
	sl_clock_fake_init(&clk, 0, 0);
	for (i = 0; i < 200; i++) {
		struct sl_queue *q;
		char key[16];
		int f;

		l.seed = (uint64_t)i + 1;
		q = sl_queue_new(&clk, &l);
		snprintf(key, sizeof(key), "k%d", i);
		/* 10 failures: 5 ms × 2^10 = 5120 ms nominal */
		for (f = 0; f < 11; f++)
			sl_queue_add_rate_limited(q, key, &d);
		assert_true(d >= 4096 && d <= 6144);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
		sl_queue_free(q);
	}
	/* The jitter really varies (it is not a constant offset). */
	assert_true(hi - lo > 500);
}

static void global_bucket_limits_retries_only(void **state)
{
	struct sl_queue_limits l = no_jitter();
	struct sl_clock clk;
	struct sl_queue *q;
	struct sl_queue_stats st;
	int64_t d = 0;
	char key[32];
	int i;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, &l);
	/* 100 first retries of distinct keys pass the burst at the per-key delay. */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		sl_queue_add_rate_limited(q, key, &d);
		assert_int_equal(d, 5);
	}
	/* Then 10 per second: the 101st waits 100 ms, the 110th a second. */
	sl_queue_add_rate_limited(q, "k100", &d);
	assert_int_equal(d, 100);
	for (i = 101; i < 110; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		sl_queue_add_rate_limited(q, key, &d);
	}
	assert_int_equal(d, 1000);
	/* First attempts are not limited. */
	assert_int_equal(sl_queue_add(q, "fresh"), 0);
	sl_queue_stats(q, &st);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.retries, 110);
	/* Tokens refill with time. */
	sl_clock_fake_advance(&clk, 20000);
	sl_queue_add_rate_limited(q, "later", &d);
	assert_int_equal(d, 5);
	sl_queue_free(q);
}

static void bounded_length(void **state)
{
	struct sl_queue_limits l = no_jitter();
	struct sl_clock clk;
	struct sl_queue *q;

	(void)state;
	l.max_len = 3;
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, &l);
	assert_int_equal(sl_queue_add(q, "a"), 0);
	assert_int_equal(sl_queue_add(q, "b"), 0);
	assert_int_equal(sl_queue_add_after(q, "c", 10), 0);
	assert_int_equal(sl_queue_add(q, "d"), SL_ELIMIT);
	assert_int_equal(sl_queue_add_after(q, "e", 10), SL_ELIMIT);
	/* Re-adding a present key is fine. */
	assert_int_equal(sl_queue_add(q, "a"), 0);
	sl_queue_free(q);
}

static void shutdown_wakes_and_refuses(void **state)
{
	struct sl_clock clk;
	struct sl_queue *q;
	char *k;

	(void)state;
	sl_clock_fake_init(&clk, 0, 0);
	q = sl_queue_new(&clk, NULL);
	sl_queue_add(q, "a");
	sl_queue_shutdown(q);
	assert_int_equal(sl_queue_get(q, &k, 0), SL_ESTATE);
	assert_null(k);
	assert_int_equal(sl_queue_add(q, "b"), SL_ESTATE);
	assert_int_equal(sl_queue_add_rate_limited(q, "b", NULL), SL_ESTATE);
	sl_queue_free(q);
	sl_queue_free(NULL);
}

struct worker_arg {
	struct sl_queue *q;
	int got;
	int running; /* shared count of keys being processed, to detect overlap */
	pthread_mutex_t *mu;
	int *in_flight_x;
	int *overlap;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	char *k;

	while (sl_queue_get(a->q, &k, 2000) == 0) {
		pthread_mutex_lock(a->mu);
		if (strcmp(k, "x") == 0 && (*a->in_flight_x)++ > 0)
			(*a->overlap)++;
		pthread_mutex_unlock(a->mu);
		a->got++;
		pthread_mutex_lock(a->mu);
		if (strcmp(k, "x") == 0)
			(*a->in_flight_x)--;
		pthread_mutex_unlock(a->mu);
		sl_queue_done(a->q, k);
		free(k);
	}
	return NULL;
}

static void blocking_get_with_workers(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct worker_arg args[4];
	pthread_t th[4];
	struct sl_queue *q;
	struct sl_queue_stats st;
	int in_flight_x = 0, overlap = 0, i, total = 0;

	(void)state;
	q = sl_queue_new(sl_clock_system(), NULL);
	for (i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){q, 0, 0, &mu, &in_flight_x, &overlap};
		pthread_create(&th[i], NULL, worker, &args[i]);
	}
	for (i = 0; i < 2000; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i % 50);
		sl_queue_add(q, i % 3 ? key : "x");
	}
	/* A delayed key wakes a blocked worker on time. */
	sl_queue_add_after(q, "delayed", 30);
	for (i = 0; i < 200; i++) {
		sl_queue_stats(q, &st);
		if (st.depth == 0 && st.delayed == 0 && st.processing == 0)
			break;
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	sl_queue_shutdown(q);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += args[i].got;
	}
	assert_int_equal(overlap, 0);
	assert_true(total >= 51); /* every distinct key ran at least once, dedup kept it small */
	assert_true(total <= 2001);
	sl_queue_stats(q, &st);
	assert_int_equal(st.delayed, 0);
	sl_queue_free(q);
}

struct waiter {
	struct sl_queue *q;
	pthread_mutex_t mu;
	char got[4][16];
	int ngot;
	int rc; /* what ended the waits */
};

static void *wait_forever(void *p)
{
	struct waiter *w = p;
	char *k;
	int rc;

	while ((rc = sl_queue_get(w->q, &k, -1)) == 0) {
		pthread_mutex_lock(&w->mu);
		if (w->ngot < 4)
			snprintf(w->got[w->ngot++], sizeof(w->got[0]), "%s", k);
		pthread_mutex_unlock(&w->mu);
		sl_queue_done(w->q, k);
		free(k);
	}
	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits (10 ms at a time, 5 s at most) until w has taken n keys. */
static int taken(struct waiter *w, int n)
{
	int i, got = 0;

	for (i = 0; i < 500; i++) {
		struct timespec ts = {0, 10000000L};

		pthread_mutex_lock(&w->mu);
		got = w->ngot;
		pthread_mutex_unlock(&w->mu);
		if (got >= n)
			break;
		nanosleep(&ts, NULL);
	}
	return got;
}

/* A negative wait is no timeout: the idle daemon's workers take keys that way, so they sleep
 * until a key comes, a delayed one is due or the queue shuts down (once they woke every
 * second to look for a stop). */
static void get_without_timeout(void **state)
{
	struct waiter w = {.rc = 1};
	struct timespec ts = {0, 50000000L};
	pthread_t th;

	(void)state;
	w.q = sl_queue_new(sl_clock_system(), NULL);
	pthread_mutex_init(&w.mu, NULL);
	pthread_create(&th, NULL, wait_forever, &w);
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&w.mu);
	assert_int_equal(w.rc, 1); /* still waiting, not "none ready" */
	pthread_mutex_unlock(&w.mu);
	assert_int_equal(sl_queue_add(w.q, "a"), 0);
	assert_int_equal(taken(&w, 1), 1);
	assert_int_equal(sl_queue_add_after(w.q, "later", 30), 0);
	assert_int_equal(taken(&w, 2), 2);
	sl_queue_shutdown(w.q);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, SL_ESTATE);
	assert_string_equal(w.got[0], "a");
	assert_string_equal(w.got[1], "later");
	pthread_mutex_destroy(&w.mu);
	sl_queue_free(w.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(dedup_while_waiting),
	        cmocka_unit_test(add_first_jumps_the_queue),
	        cmocka_unit_test(never_twice_at_once),
	        cmocka_unit_test(delayed_adds),
	        cmocka_unit_test(backoff_doubles_to_cap_and_forget_resets),
	        cmocka_unit_test(jitter_stays_within_twenty_percent),
	        cmocka_unit_test(global_bucket_limits_retries_only),
	        cmocka_unit_test(bounded_length),
	        cmocka_unit_test(shutdown_wakes_and_refuses),
	        cmocka_unit_test(blocking_get_with_workers),
	        cmocka_unit_test(get_without_timeout),
	};
	return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
