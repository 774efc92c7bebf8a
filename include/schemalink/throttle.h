/*
 * throttle.h — "a repeating error is logged once per minute with a count" (docs/internals/operations.md).
 *
 * Owns: per (key, reason) memory of when an error was last logged and how many times it
 * repeated since. The first occurrence is logged; repeats within the window are counted, not
 * logged; the first repeat after the window is logged with the count of those it stood for.
 * A key that succeeds is forgotten, so its next failure is logged at once.
 * Depends on base (clock, strmap). Thread-safe (workers log their own results). Bounded: at
 * most max_entries pairs; when full, entries whose window is over are dropped first, and if
 * that frees nothing the error is logged unthrottled (losing a log line is worse than a
 * second one).
 */
#ifndef SCHEMALINK_THROTTLE_H
#define SCHEMALINK_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemalink/clock.h"

#define SL_THROTTLE_WINDOW_MS 60000
#define SL_THROTTLE_MAX_ENTRIES 20000

struct sl_throttle;

/* Returns an owned throttle or NULL on allocation failure. clock is borrowed and must
 * outlive it; window_ms <= 0 means SL_THROTTLE_WINDOW_MS, max_entries 0 the default. */
struct sl_throttle *sl_throttle_new(
        const struct sl_clock *clock, int64_t window_ms, size_t max_entries);
/* NULL-safe. */
void sl_throttle_free(struct sl_throttle *t);

/* An error with reason for key (both borrowed) happened now. Returns true when it should be
 * logged; then *repeated is the number of occurrences that were not logged since the last
 * logged one, and *since_ms how long ago that was (0 for a first occurrence). Returns false
 * when it falls inside the window of the last logged one (it is counted). */
bool sl_throttle_hit(struct sl_throttle *t, const char *key, const char *reason, uint64_t *repeated,
        int64_t *since_ms);

/* Records that an error of key with reason was just logged by other means (a condition
 * transition), so repeats are counted from now. */
void sl_throttle_logged(struct sl_throttle *t, const char *key, const char *reason);

/* Forgets every reason of key (after a success). */
void sl_throttle_forget(struct sl_throttle *t, const char *key);

/* Number of (key, reason) pairs remembered (tests). */
size_t sl_throttle_len(struct sl_throttle *t);

#endif
