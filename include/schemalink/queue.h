/*
 * queue.h — the controller's work queue of object keys (client-go workqueue semantics).
 *
 * Owns: deduplication (a key waits in the queue at most once), exclusivity (a key being
 * processed is never handed to a second worker; re-adding it meanwhile makes it run once more
 * after sl_queue_done), delayed adds, and the retry limiter of docs/internals/operations.md: per-key
 * exponential backoff base × 2^failures up to a cap with ±jitter, combined (max) with a global
 * token bucket that only retries pass through. First attempts are never rate limited.
 * Depends on base (clock, strmap, vec). Thread-safe; time comes from the injected clock, so
 * tests drive it without sleeping; a blocking get waits on a condition variable.
 */
#ifndef SCHEMALINK_QUEUE_H
#define SCHEMALINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"

struct sl_queue_limits {
	int64_t base_ms; /* first retry delay (docs/internals/operations.md: 5 ms) */
	int64_t max_ms; /* cap (300 s) */
	int jitter_pct; /* ± percent applied to the per-key delay (20) */
	double bucket_rate; /* retries per second through the global bucket (10) */
	double bucket_burst; /* bucket size (100) */
	size_t max_len; /* bound on distinct queued + delayed keys (docs/internals/style.md rule 7) */
	uint64_t seed; /* jitter random seed; 0 picks one from the clock */
};

/* The defaults above. */
#define SL_QUEUE_LIMITS_DEFAULT \
	{ \
		5, 300000, 20, 10.0, 100.0, 100000, 0 \
	}

struct sl_queue_stats {
	uint64_t adds; /* workqueue_adds_total */
	uint64_t retries; /* workqueue_retries_total */
	size_t depth; /* workqueue_depth: keys ready to run */
	size_t delayed; /* keys waiting for their time */
	size_t processing;
};

struct sl_queue;

/* Returns an owned queue, or NULL on allocation failure. clock is borrowed and must outlive
 * the queue; limits may be NULL for the defaults. */
struct sl_queue *sl_queue_new(const struct sl_clock *clock, const struct sl_queue_limits *limits);
/* Frees the queue and every key in it. NULL-safe. Callers stop workers first. */
void sl_queue_free(struct sl_queue *q);

/* Makes key ready now (unless it is already waiting to run). A key delayed for later is
 * moved up. Returns 0, SL_ENOMEM, SL_ELIMIT (queue full) or SL_ESTATE (shut down). */
int sl_queue_add(struct sl_queue *q, const char *key);
/* As sl_queue_add, but the key goes to the front of the ready keys (moved there when it was
 * already waiting): a change somebody just made is not queued behind a resync of 1,000
 * unchanged keys. A key being processed runs again after sl_queue_done, as with add. */
int sl_queue_add_first(struct sl_queue *q, const char *key);
/* Makes key ready after delay_ms; an earlier pending time for the key wins. */
int sl_queue_add_after(struct sl_queue *q, const char *key, int64_t delay_ms);
/* Retry: counts a failure for key and adds it after the limiter's delay, which is stored in
 * *delay_ms when non-NULL. */
int sl_queue_add_rate_limited(struct sl_queue *q, const char *key, int64_t *delay_ms);
/* Forgets key's failures (after a success), so its next retry starts at base_ms. */
void sl_queue_forget(struct sl_queue *q, const char *key);
/* Number of failures counted for key since the last forget. */
int sl_queue_failures(struct sl_queue *q, const char *key);

/* Takes the next ready key (moving delayed keys whose time has come to ready first) and marks
 * it processing. With wait_ms > 0 it waits up to that long (real time) for one, with wait_ms
 * < 0 until one is ready or the queue is shut down (waking only when a delayed key is due).
 * Returns 0 and an owned *key, SL_ENOENT when none is ready, SL_ESTATE after shutdown. */
int sl_queue_get(struct sl_queue *q, char **key, int wait_ms);
/* Ends processing of key (borrowed); if it was added again meanwhile, it becomes ready. */
void sl_queue_done(struct sl_queue *q, const char *key);

/* Milliseconds until the earliest delayed key is due (0 if one is due now), or -1 if none. */
int64_t sl_queue_next_due_ms(struct sl_queue *q);
/* Wakes waiting getters; later adds fail with SL_ESTATE and gets return SL_ESTATE. */
void sl_queue_shutdown(struct sl_queue *q);
/* Wakes waiting getters without shutting down (e.g. after the clock moved). */
void sl_queue_kick(struct sl_queue *q);
void sl_queue_stats(struct sl_queue *q, struct sl_queue_stats *out);

#endif
