/* ratelimit.c — the request budget: two GCRA buckets and a pause (see ratelimit.h). */
#include "schemalink/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

/* One bucket. Times are microseconds of the clock's monotonic reading: the clock has
 * millisecond steps, but at SL_RATELIMIT_MAX_RATE an interval is 10 us. */
struct bucket {
	int rate; /* requests per second; 0 = no limit */
	int64_t interval; /* 1 s / rate, rounded up */
	int64_t tolerance; /* (burst - 1) intervals: how far ahead of now the TAT may run */
	int64_t tat; /* the theoretical arrival time of the next request */
};

struct sl_ratelimit {
	pthread_mutex_t mu;
	const struct sl_clock *clock;
	long burst_ms;
	void (*sleep_ms)(void *arg, long ms);
	void *sleep_arg;
	struct bucket b[SL_RATELIMIT_KINDS];
	int64_t paused_until; /* no request before this */
};

static int64_t now_us(const struct sl_ratelimit *l)
{
	return sl_clock_mono_ms(l->clock) * 1000;
}

/* Sets b to rate with burst_ms of burst, its TAT untouched. */
static void bucket_set(struct bucket *b, int rate, long burst_ms)
{
	int64_t burst;

	b->rate = rate;
	if (rate == 0) {
		b->interval = b->tolerance = 0;
		return;
	}
	b->interval = (1000000 + rate - 1) / rate;
	burst = (int64_t)rate * burst_ms / 1000;
	b->tolerance = (burst > 1 ? burst - 1 : 0) * b->interval;
}

static bool rate_ok(int rate)
{
	return rate >= 0 && rate <= SL_RATELIMIT_MAX_RATE;
}

struct sl_ratelimit *sl_ratelimit_new(const struct sl_ratelimit_config *cfg, struct sl_error *err)
{
	struct sl_ratelimit *l;
	long burst_ms = cfg->burst_ms ? cfg->burst_ms : SL_RATELIMIT_BURST_MS;

	if (!rate_ok(cfg->reads_per_s) || !rate_ok(cfg->writes_per_s)) {
		sl_error_set(err, SL_EINVAL,
		        "rate limit: rates must be between 0 and %d per second",
		        SL_RATELIMIT_MAX_RATE);
		return NULL;
	}
	if (burst_ms < 0 || burst_ms > SL_RATELIMIT_MAX_BURST_MS) {
		sl_error_set(err, SL_EINVAL, "rate limit: burst must be between 0 and %d ms",
		        SL_RATELIMIT_MAX_BURST_MS);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->clock = cfg->clock ? cfg->clock : sl_clock_system();
	l->burst_ms = burst_ms;
	l->sleep_ms = cfg->sleep_ms;
	l->sleep_arg = cfg->sleep_arg;
	/* TAT 0 is in the past of any clock: both bursts are there at once. */
	bucket_set(&l->b[SL_RATELIMIT_READ], cfg->reads_per_s, burst_ms);
	bucket_set(&l->b[SL_RATELIMIT_WRITE], cfg->writes_per_s, burst_ms);
	l->paused_until = INT64_MIN;
	return l;
}

void sl_ratelimit_free(struct sl_ratelimit *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int sl_ratelimit_set_rates(
        struct sl_ratelimit *l, int reads_per_s, int writes_per_s, struct sl_error *err)
{
	const int rates[SL_RATELIMIT_KINDS] = {reads_per_s, writes_per_s};
	int64_t now;
	int k;

	if (!rate_ok(reads_per_s) || !rate_ok(writes_per_s))
		return sl_error_set(err, SL_EINVAL,
		        "rate limit: rates must be between 0 and %d per second",
		        SL_RATELIMIT_MAX_RATE);
	pthread_mutex_lock(&l->mu);
	now = now_us(l);
	for (k = 0; k < SL_RATELIMIT_KINDS; k++) {
		struct bucket *b = &l->b[k];

		if (b->rate == rates[k])
			continue;
		bucket_set(b, rates[k], l->burst_ms);
		/* An empty burst: a lower rate must not begin with the burst the higher one
		 * had saved, and slots already promised keep their place. */
		if (b->tat < now + b->tolerance)
			b->tat = now + b->tolerance;
	}
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void sl_ratelimit_rates(struct sl_ratelimit *l, int *reads_per_s, int *writes_per_s)
{
	pthread_mutex_lock(&l->mu);
	*reads_per_s = l->b[SL_RATELIMIT_READ].rate;
	*writes_per_s = l->b[SL_RATELIMIT_WRITE].rate;
	pthread_mutex_unlock(&l->mu);
}

enum sl_ratelimit_kind sl_ratelimit_kind_of(const char *method)
{
	if (strcasecmp(method, "GET") == 0 || strcasecmp(method, "HEAD") == 0)
		return SL_RATELIMIT_READ;
	return SL_RATELIMIT_WRITE;
}

/* When the next request of kind may go (us), with the lock held: the TAT less the
 * tolerance, not before now, not before the end of a pause. */
static int64_t allowed_at(const struct sl_ratelimit *l, const struct bucket *b, int64_t now)
{
	int64_t at = now;

	if (b->rate > 0 && b->tat - b->tolerance > at)
		at = b->tat - b->tolerance;
	if (l->paused_until > at)
		at = l->paused_until;
	return at;
}

/* Reserves the slot at `at` (us), with the lock held. */
static void reserve(struct bucket *b, int64_t at)
{
	if (b->rate > 0)
		b->tat = (b->tat > at ? b->tat : at) + b->interval;
}

static long us_to_ms_up(int64_t us)
{
	return (long)((us + 999) / 1000);
}

static bool default_sleep(long ms, bool (*cancelled)(void *arg), void *cancel_arg)
{
	while (ms > 0) {
		long step = ms < SL_RATELIMIT_SLICE_MS ? ms : SL_RATELIMIT_SLICE_MS;
		struct timespec ts = {0, step * 1000000L};

		if (cancelled && cancelled(cancel_arg))
			return false;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return true;
}

long sl_ratelimit_take(struct sl_ratelimit *l, enum sl_ratelimit_kind kind,
        bool (*cancelled)(void *arg), void *cancel_arg)
{
	struct bucket *b = &l->b[kind];
	int64_t now, at;
	long wait;

	pthread_mutex_lock(&l->mu);
	now = now_us(l);
	at = allowed_at(l, b, now);
	reserve(b, at);
	pthread_mutex_unlock(&l->mu);
	wait = us_to_ms_up(at - now);
	if (wait == 0)
		return 0;
	if (cancelled && cancelled(cancel_arg))
		return SL_ESTATE;
	if (l->sleep_ms == NULL)
		return default_sleep(wait, cancelled, cancel_arg) ? wait : SL_ESTATE;
	l->sleep_ms(l->sleep_arg, wait);
	return cancelled && cancelled(cancel_arg) ? SL_ESTATE : wait;
}

long sl_ratelimit_try(struct sl_ratelimit *l, enum sl_ratelimit_kind kind)
{
	struct bucket *b = &l->b[kind];
	int64_t now, at;

	pthread_mutex_lock(&l->mu);
	now = now_us(l);
	at = allowed_at(l, b, now);
	if (at <= now)
		reserve(b, at);
	pthread_mutex_unlock(&l->mu);
	return at <= now ? 0 : us_to_ms_up(at - now);
}

void sl_ratelimit_pause_until(struct sl_ratelimit *l, int64_t until_ms)
{
	int64_t now, until;
	int k;

	pthread_mutex_lock(&l->mu);
	now = now_us(l);
	if (until_ms > now / 1000 + SL_RATELIMIT_MAX_PAUSE_MS)
		until_ms = now / 1000 + SL_RATELIMIT_MAX_PAUSE_MS;
	until = until_ms * 1000;
	if (until > l->paused_until) {
		l->paused_until = until;
		/* No burst when it ends: the registry that asked for the pause has no tokens
		 * saved for us either. */
		for (k = 0; k < SL_RATELIMIT_KINDS; k++)
			if (l->b[k].rate > 0 && l->b[k].tat < until + l->b[k].tolerance)
				l->b[k].tat = until + l->b[k].tolerance;
	}
	pthread_mutex_unlock(&l->mu);
}

void sl_ratelimit_pause(struct sl_ratelimit *l, long ms)
{
	sl_ratelimit_pause_until(l, sl_clock_mono_ms(l->clock) + (ms > 0 ? ms : 0));
}
