/*
 * ratelimit.h — a request budget: one token bucket for reads and one for writes, and a pause
 * that holds both (docs/internals/operations.md "Rate limits").
 *
 * Owns: struct sl_ratelimit. Each bucket is a GCRA ("generic cell rate algorithm"): it keeps
 * the theoretical arrival time (TAT) of the next request instead of a token count, so a take
 * computes at once how long its caller must wait, reserves its slot and sleeps once; it never
 * polls, and a sleep hook that does not move the clock cannot make it loop. A bucket of rate r
 * admits one request per 1/r seconds after a burst of r * burst_ms / 1000 requests (at least
 * one); rate 0 admits everything. Intervals are whole microseconds rounded up, so a bucket is
 * never faster than its rate. A pause (a registry's 429 with Retry-After) holds every request
 * of both kinds until it ends, and the requests after it start without a burst.
 *
 * The registry client takes a token before each attempt (pkg/srclient, through its config's
 * `limit`); the engine keeps one limiter per registry URL, shared by all of that registry's
 * clients (pkg/engine/engine.c); srlite's --rate-limit answers 429 when sl_ratelimit_try says
 * no (pkg/srlite/api.c).
 *
 * Depends on base (clock, error) only. Never logs. Thread-safe: a mutex guards the buckets,
 * and waiting happens outside it.
 */
#ifndef SCHEMALINK_RATELIMIT_H
#define SCHEMALINK_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"

/* The largest rate (requests per second) of either kind. */
#define SL_RATELIMIT_MAX_RATE 100000
/* The default burst: half a second of the rate, so a client paced by it stays within a
 * server-side bucket of the same rate with a one-second burst even when its requests arrive
 * up to half a second late or early. */
#define SL_RATELIMIT_BURST_MS 500
/* The longest burst window (srlite's is 1000 ms). */
#define SL_RATELIMIT_MAX_BURST_MS 60000
/* The longest pause; a later end is cut to now plus this. */
#define SL_RATELIMIT_MAX_PAUSE_MS 60000
/* The default sleep waits in slices of this, polling the caller's cancelled hook. */
#define SL_RATELIMIT_SLICE_MS 50

enum sl_ratelimit_kind {
	SL_RATELIMIT_READ, /* GET, HEAD */
	SL_RATELIMIT_WRITE, /* every other method */
	SL_RATELIMIT_KINDS,
};

struct sl_ratelimit_config {
	int reads_per_s; /* 0 = no limit; at most SL_RATELIMIT_MAX_RATE */
	int writes_per_s; /* likewise */
	long burst_ms; /* the burst as this much of a second's rate; 0 = SL_RATELIMIT_BURST_MS */
	const struct sl_clock *clock; /* borrowed, must outlive the limiter; NULL = system */
	/* Called with the whole wait when a take must wait. NULL = nanosleep in
	 * SL_RATELIMIT_SLICE_MS slices that stop when the take's cancelled hook says so. */
	void (*sleep_ms)(void *arg, long ms);
	void *sleep_arg;
};

struct sl_ratelimit; /* opaque */

/* Returns an owned limiter for cfg (borrowed) with both bursts available, or NULL with err
 * set: SL_EINVAL for a rate or burst out of range, SL_ENOMEM. */
struct sl_ratelimit *sl_ratelimit_new(const struct sl_ratelimit_config *cfg, struct sl_error *err);
/* NULL-safe. No take may be running. */
void sl_ratelimit_free(struct sl_ratelimit *l);

/* Changes the rates in place (0 = no limit). A kind whose rate changes starts again without
 * a burst (its next request goes at once, the ones after it at the new rate) and after any
 * slot already reserved; an unchanged kind is left alone. Returns 0, or SL_EINVAL (nothing
 * changed) for a rate outside 0..SL_RATELIMIT_MAX_RATE. */
int sl_ratelimit_set_rates(
        struct sl_ratelimit *l, int reads_per_s, int writes_per_s, struct sl_error *err);
/* The current rates. */
void sl_ratelimit_rates(struct sl_ratelimit *l, int *reads_per_s, int *writes_per_s);

/* SL_RATELIMIT_READ for "GET" and "HEAD" (case-insensitive), else SL_RATELIMIT_WRITE. */
enum sl_ratelimit_kind sl_ratelimit_kind_of(const char *method);

/* Takes a token of kind, waiting first as long as the bucket and any pause say (through the
 * sleep hook). cancelled (may be NULL) is polled before waiting and, with the default sleep,
 * between slices; after the configured hook returns it is polled once more. Returns the ms
 * waited (0 when none), or SL_ESTATE when cancelled (the slot stays used). */
long sl_ratelimit_take(struct sl_ratelimit *l, enum sl_ratelimit_kind kind,
        bool (*cancelled)(void *arg), void *cancel_arg);

/* Takes a token of kind only when one is free now, for a server that refuses instead of
 * waiting. Returns 0 when taken, else the ms (at least 1) until one will be free, and takes
 * nothing. */
long sl_ratelimit_try(struct sl_ratelimit *l, enum sl_ratelimit_kind kind);

/* Holds every request of both kinds until the clock's monotonic until_ms (cut to now +
 * SL_RATELIMIT_MAX_PAUSE_MS); the requests after it go at the rate, without a burst. An
 * earlier end than a pause already set changes nothing. */
void sl_ratelimit_pause_until(struct sl_ratelimit *l, int64_t until_ms);
/* sl_ratelimit_pause_until(l, now + ms). */
void sl_ratelimit_pause(struct sl_ratelimit *l, long ms);

#endif
