/* queue.c — work queue with dedup, exclusivity, delays and a retry limiter. */
#include "schemalink/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemalink/strmap.h"
#include "schemalink/vec.h"

struct sl_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct sl_clock *clock;
	struct sl_queue_limits lim;
	struct sl_vec ready; /* owned key strings, FIFO from ready_head */
	size_t ready_head;
	struct sl_strmap
	        dirty; /* keys that must run (again): in ready, or re-added while processing */
	struct sl_strmap processing;
	struct sl_strmap delayed; /* key -> owned int64_t due time (monotonic ms) */
	int64_t min_due; /* lower bound of the delayed due times; INT64_MAX if none */
	struct sl_strmap failures; /* key -> failure count, stored in the pointer */
	double tokens;
	int64_t tokens_at;
	uint64_t rng;
	uint64_t adds, retries;
	bool shut;
};

static uint64_t next_rand(struct sl_queue *q)
{
	/* xorshift64*: enough for jitter, deterministic under a fixed seed in tests. */
	q->rng ^= q->rng >> 12;
	q->rng ^= q->rng << 25;
	q->rng ^= q->rng >> 27;
	return q->rng * 2685821657736338717ULL;
}

struct sl_queue *sl_queue_new(const struct sl_clock *clock, const struct sl_queue_limits *limits)
{
	static const struct sl_queue_limits defaults = SL_QUEUE_LIMITS_DEFAULT;
	struct sl_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->clock = clock;
	q->lim = limits ? *limits : defaults;
	sl_vec_init(&q->ready);
	sl_strmap_init(&q->dirty);
	sl_strmap_init(&q->processing);
	sl_strmap_init(&q->delayed);
	sl_strmap_init(&q->failures);
	q->min_due = INT64_MAX;
	q->tokens = q->lim.bucket_burst;
	q->tokens_at = sl_clock_mono_ms(clock);
	q->rng = q->lim.seed ? q->lim.seed : (uint64_t)sl_clock_wall_ms(clock) | 1;
	return q;
}

void sl_queue_free(struct sl_queue *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = q->ready_head; i < q->ready.len; i++)
		free(q->ready.items[i]);
	sl_vec_release(&q->ready, NULL);
	sl_strmap_release(&q->dirty, NULL);
	sl_strmap_release(&q->processing, NULL);
	sl_strmap_release(&q->delayed, free);
	sl_strmap_release(&q->failures, NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static size_t ready_len(const struct sl_queue *q)
{
	return q->ready.len - q->ready_head;
}

/* Appends key to the ready FIFO (caller holds the lock and has marked it dirty). */
static int push_ready(struct sl_queue *q, const char *key)
{
	char *copy = strdup(key);

	if (copy == NULL)
		return SL_ENOMEM;
	/* Compact the consumed head now and then so the array does not grow forever. */
	if (q->ready_head > 64 && q->ready_head * 2 > q->ready.len) {
		memmove(q->ready.items, q->ready.items + q->ready_head,
		        ready_len(q) * sizeof(*q->ready.items));
		q->ready.len -= q->ready_head;
		q->ready_head = 0;
	}
	if (sl_vec_push(&q->ready, copy) < 0) {
		free(copy);
		return SL_ENOMEM;
	}
	pthread_cond_signal(&q->cond);
	return 0;
}

/* Makes key ready now (lock held). */
static int add_locked(struct sl_queue *q, const char *key)
{
	bool found;
	int rc;

	if (q->shut)
		return SL_ESTATE;
	free(sl_strmap_del(&q->delayed, key, NULL));
	sl_strmap_get(&q->dirty, key, &found);
	if (found)
		return 0;
	if (q->dirty.len + q->delayed.len >= q->lim.max_len)
		return SL_ELIMIT;
	rc = sl_strmap_set(&q->dirty, key, NULL, NULL);
	if (rc < 0)
		return rc;
	q->adds++;
	sl_strmap_get(&q->processing, key, &found);
	if (found)
		return 0; /* runs again after sl_queue_done */
	rc = push_ready(q, key);
	if (rc < 0)
		sl_strmap_del(&q->dirty, key, NULL);
	return rc;
}

int sl_queue_add(struct sl_queue *q, const char *key)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = add_locked(q, key);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int sl_queue_add_first(struct sl_queue *q, const char *key)
{
	bool dirty, busy;
	size_t i, at = 0;
	char *copy = NULL;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	sl_strmap_get(&q->dirty, key, &dirty);
	sl_strmap_get(&q->processing, key, &busy);
	if (q->shut || busy || !dirty) {
		/* Not waiting in the ready list: an ordinary add (appends, or marks a key
		 * being processed to run again). */
		rc = add_locked(q, key);
		if (rc < 0 || busy || q->shut || ready_len(q) < 2) {
			pthread_mutex_unlock(&q->lock);
			return rc;
		}
		at = q->ready.len - 1; /* just appended: move it up below */
	} else {
		for (at = q->ready_head; at < q->ready.len; at++)
			if (strcmp(q->ready.items[at], key) == 0)
				break;
		if (at == q->ready.len) { /* dirty but not listed: cannot happen; stay put */
			pthread_mutex_unlock(&q->lock);
			return 0;
		}
	}
	copy = q->ready.items[at];
	for (i = at; i > q->ready_head; i--)
		q->ready.items[i] = q->ready.items[i - 1];
	q->ready.items[q->ready_head] = copy;
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int add_after_locked(struct sl_queue *q, const char *key, int64_t delay_ms)
{
	int64_t due, *slot;
	bool found;

	if (q->shut)
		return SL_ESTATE;
	if (delay_ms <= 0)
		return add_locked(q, key);
	sl_strmap_get(&q->dirty, key, &found);
	if (found)
		return 0; /* already due to run sooner */
	due = sl_clock_mono_ms(q->clock) + delay_ms;
	slot = sl_strmap_get(&q->delayed, key, NULL);
	if (slot != NULL) {
		if (due < *slot)
			*slot = due;
	} else {
		if (q->dirty.len + q->delayed.len >= q->lim.max_len)
			return SL_ELIMIT;
		slot = malloc(sizeof(*slot));
		if (slot == NULL)
			return SL_ENOMEM;
		*slot = due;
		if (sl_strmap_set(&q->delayed, key, slot, NULL) < 0) {
			free(slot);
			return SL_ENOMEM;
		}
	}
	if (*slot < q->min_due)
		q->min_due = *slot;
	/* A waiting getter may need to wake earlier than it planned. */
	pthread_cond_broadcast(&q->cond);
	return 0;
}

int sl_queue_add_after(struct sl_queue *q, const char *key, int64_t delay_ms)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = add_after_locked(q, key, delay_ms);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Per-key backoff (base × 2^failures, capped, ±jitter) and the global bucket; lock held. */
static int64_t retry_delay(struct sl_queue *q, int failures)
{
	int64_t now = sl_clock_mono_ms(q->clock), d = q->lim.base_ms, bucket_ms = 0;
	int i;

	for (i = 0; i < failures && d < q->lim.max_ms; i++)
		d *= 2;
	if (d > q->lim.max_ms)
		d = q->lim.max_ms;
	if (q->lim.jitter_pct > 0 && d > 0) {
		int64_t span = d * q->lim.jitter_pct / 100;

		if (span > 0)
			d += (int64_t)(next_rand(q) % (uint64_t)(2 * span + 1)) - span;
	}
	/* Token bucket with reservations: tokens may go negative; the debt is the wait. */
	if (q->lim.bucket_rate > 0) {
		q->tokens += (double)(now - q->tokens_at) * q->lim.bucket_rate / 1000.0;
		if (q->tokens > q->lim.bucket_burst)
			q->tokens = q->lim.bucket_burst;
		q->tokens_at = now;
		q->tokens -= 1.0;
		if (q->tokens < 0)
			bucket_ms = (int64_t)(-q->tokens * 1000.0 / q->lim.bucket_rate + 0.999);
	}
	return d > bucket_ms ? d : bucket_ms;
}

int sl_queue_add_rate_limited(struct sl_queue *q, const char *key, int64_t *delay_ms)
{
	int failures, rc;
	int64_t d;

	pthread_mutex_lock(&q->lock);
	if (q->shut) {
		rc = SL_ESTATE;
		goto out;
	}
	failures = (int)(intptr_t)sl_strmap_get(&q->failures, key, NULL);
	rc = sl_strmap_set(&q->failures, key, (void *)(intptr_t)(failures + 1), NULL);
	if (rc < 0)
		goto out;
	d = retry_delay(q, failures);
	q->retries++;
	if (delay_ms != NULL)
		*delay_ms = d;
	rc = add_after_locked(q, key, d);
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void sl_queue_forget(struct sl_queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	sl_strmap_del(&q->failures, key, NULL);
	pthread_mutex_unlock(&q->lock);
}

int sl_queue_failures(struct sl_queue *q, const char *key)
{
	int n;

	pthread_mutex_lock(&q->lock);
	n = (int)(intptr_t)sl_strmap_get(&q->failures, key, NULL);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Moves delayed keys whose time has come to ready (lock held). */
static void promote_due(struct sl_queue *q)
{
	int64_t now = sl_clock_mono_ms(q->clock), min = INT64_MAX;
	struct sl_vec due = SL_VEC_INIT;
	size_t pos = 0, i;
	const char *key;
	void *val;

	if (q->delayed.len == 0 || now < q->min_due)
		return;
	while (sl_strmap_next(&q->delayed, &pos, &key, &val)) {
		int64_t t = *(int64_t *)val;

		if (t <= now)
			sl_vec_push(&due, strdup(key));
		else if (t < min)
			min = t;
	}
	q->min_due = min;
	/* Earliest first would be nicer, but keys due in the same pass are all late already. */
	for (i = 0; i < due.len; i++) {
		if (due.items[i] == NULL)
			continue;
		if (add_locked(q, due.items[i]) < 0) {
			/* Could not make it ready (memory): leave it delayed and retry later. */
			int64_t *slot = malloc(sizeof(*slot));

			if (slot != NULL) {
				*slot = now;
				if (sl_strmap_set(&q->delayed, due.items[i], slot, NULL) < 0)
					free(slot);
				q->min_due = now;
			}
		}
	}
	sl_vec_release(&due, free);
}

static int64_t ts_ms(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

static struct timespec ms_ts(int64_t ms)
{
	struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	return t;
}

int sl_queue_get(struct sl_queue *q, char **key, int wait_ms)
{
	struct timespec now;
	int64_t deadline;
	int rc = 0;

	*key = NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = wait_ms < 0 ? INT64_MAX : ts_ms(&now) + wait_ms;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		int64_t until, real_now;

		if (q->shut) {
			rc = SL_ESTATE;
			goto out;
		}
		promote_due(q);
		if (ready_len(q) > 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		real_now = ts_ms(&now);
		if (real_now >= deadline) {
			rc = SL_ENOENT;
			goto out;
		}
		/* Wake no later than the next delayed key is due, measured on the injected clock
		 * (for the system clock the two agree; a fake clock is moved by sl_queue_kick). */
		until = deadline;
		if (q->min_due != INT64_MAX) {
			int64_t in = q->min_due - sl_clock_mono_ms(q->clock);

			if (real_now + (in > 0 ? in : 0) + 1 < until)
				until = real_now + (in > 0 ? in : 0) + 1;
		}
		if (until == INT64_MAX) {
			pthread_cond_wait(&q->cond, &q->lock);
		} else {
			struct timespec ts = ms_ts(until);

			pthread_cond_clockwait(&q->cond, &q->lock, CLOCK_MONOTONIC, &ts);
		}
	}
	*key = q->ready.items[q->ready_head];
	q->ready.items[q->ready_head++] = NULL;
	sl_strmap_del(&q->dirty, *key, NULL);
	rc = sl_strmap_set(&q->processing, *key, NULL, NULL);
	if (rc < 0) {
		free(*key);
		*key = NULL;
	}
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void sl_queue_done(struct sl_queue *q, const char *key)
{
	bool found;

	pthread_mutex_lock(&q->lock);
	sl_strmap_del(&q->processing, key, NULL);
	sl_strmap_get(&q->dirty, key, &found);
	if (found && !q->shut && push_ready(q, key) < 0)
		sl_strmap_del(&q->dirty, key, NULL);
	pthread_mutex_unlock(&q->lock);
}

int64_t sl_queue_next_due_ms(struct sl_queue *q)
{
	int64_t now, min = INT64_MAX, r;
	size_t pos = 0;
	void *val;

	pthread_mutex_lock(&q->lock);
	now = sl_clock_mono_ms(q->clock);
	while (sl_strmap_next(&q->delayed, &pos, NULL, &val))
		if (*(int64_t *)val < min)
			min = *(int64_t *)val;
	r = min == INT64_MAX ? -1 : (min <= now ? 0 : min - now);
	pthread_mutex_unlock(&q->lock);
	return r;
}

void sl_queue_shutdown(struct sl_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->shut = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void sl_queue_kick(struct sl_queue *q)
{
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void sl_queue_stats(struct sl_queue *q, struct sl_queue_stats *out)
{
	pthread_mutex_lock(&q->lock);
	out->adds = q->adds;
	out->retries = q->retries;
	out->depth = ready_len(q);
	out->delayed = q->delayed.len;
	out->processing = q->processing.len;
	pthread_mutex_unlock(&q->lock);
}
