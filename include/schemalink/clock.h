/*
 * clock.h — injectable time sources.
 *
 * Owns: struct sl_clock. Depends on libc only. Queue, backoff, debounce and condition
 * timestamps take a clock so tests drive time instead of sleeping (docs/internals/style.md rule 9).
 */
#ifndef SCHEMALINK_CLOCK_H
#define SCHEMALINK_CLOCK_H

#include <stdint.h>

struct sl_clock {
	/* Monotonic milliseconds (arbitrary origin; never goes backwards). */
	int64_t (*mono_ms)(const struct sl_clock *c);
	/* Wall-clock milliseconds since the Unix epoch (for timestamps shown to people). */
	int64_t (*wall_ms)(const struct sl_clock *c);
	/* State of a fake clock; unused by the system clock. */
	int64_t fake_mono;
	int64_t fake_wall;
};

/* The process-wide system clock (CLOCK_MONOTONIC, CLOCK_REALTIME). Borrowed; never freed. */
const struct sl_clock *sl_clock_system(void);

/* Initializes c as a fake clock reading mono and wall until advanced. */
void sl_clock_fake_init(struct sl_clock *c, int64_t mono, int64_t wall);
/* Moves a fake clock forward by ms (both readings). */
void sl_clock_fake_advance(struct sl_clock *c, int64_t ms);

static inline int64_t sl_clock_mono_ms(const struct sl_clock *c)
{
	return c->mono_ms(c);
}

static inline int64_t sl_clock_wall_ms(const struct sl_clock *c)
{
	return c->wall_ms(c);
}

/* Formats wall-clock ms as RFC 3339 UTC with milliseconds ("2026-11-28T21:35:16.123Z")
 * into out (at least 32 bytes). Returns out. */
char *sl_clock_format_rfc3339(int64_t wall_ms, char *out, unsigned long outlen);

#endif
