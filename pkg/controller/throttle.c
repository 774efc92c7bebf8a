/* throttle.c — once-per-window logging of repeating errors, per (key, reason). */
#include "schemalink/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/strmap.h"
#include "schemalink/vec.h"

struct entry {
	int64_t logged_ms; /* mono time of the last logged occurrence */
	uint64_t repeated; /* occurrences counted since, not logged */
};

struct sl_throttle {
	const struct sl_clock *clock;
	int64_t window_ms;
	size_t max_entries;
	pthread_mutex_t lock;
	struct sl_strmap map; /* "key\x1freason" -> struct entry * */
};

struct sl_throttle *sl_throttle_new(
        const struct sl_clock *clock, int64_t window_ms, size_t max_entries)
{
	struct sl_throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->clock = clock != NULL ? clock : sl_clock_system();
	t->window_ms = window_ms > 0 ? window_ms : SL_THROTTLE_WINDOW_MS;
	t->max_entries = max_entries > 0 ? max_entries : SL_THROTTLE_MAX_ENTRIES;
	pthread_mutex_init(&t->lock, NULL);
	sl_strmap_init(&t->map);
	return t;
}

void sl_throttle_free(struct sl_throttle *t)
{
	if (t == NULL)
		return;
	sl_strmap_release(&t->map, free);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The map key of (key, reason): the unit separator cannot occur in object keys. */
static char *pair(const char *key, const char *reason)
{
	char *p = NULL;

	if (asprintf(&p, "%s\x1f%s", key, reason != NULL ? reason : "") < 0)
		return NULL;
	return p;
}

/* Removes the entries for which drop(entry key) holds; keys are copied first, as the map
 * frees its own copy on removal. Called with the lock held. */
static void remove_where(struct sl_throttle *t,
        bool (*drop)(const char *k, struct entry *e, const void *arg), const void *arg)
{
	struct sl_vec doomed = SL_VEC_INIT;
	const char *k;
	void *v;
	size_t pos = 0, i;

	while (sl_strmap_next(&t->map, &pos, &k, &v)) {
		char *copy;

		if (!drop(k, v, arg))
			continue;
		copy = strdup(k);
		if (copy == NULL || sl_vec_push(&doomed, copy) < 0) {
			free(copy);
			break;
		}
	}
	for (i = 0; i < doomed.len; i++)
		free(sl_strmap_del(&t->map, doomed.items[i], NULL));
	sl_vec_release(&doomed, free);
}

struct expiry {
	int64_t now, window_ms;
};

static bool expired(const char *k, struct entry *e, const void *arg)
{
	const struct expiry *x = arg;

	(void)k;
	return x->now - e->logged_ms >= x->window_ms;
}

static bool of_key(const char *k, struct entry *e, const void *arg)
{
	const char *key = arg;
	size_t n = strlen(key);

	(void)e;
	return strncmp(k, key, n) == 0 && k[n] == '\x1f';
}

/* Drops entries whose window is over (their next occurrence would be logged anyway; only
 * its count is lost, acceptable when the table is full). Called with the lock held. */
static void prune_expired(struct sl_throttle *t, int64_t now)
{
	struct expiry x = {now, t->window_ms};

	remove_where(t, expired, &x);
}

/* Sets the entry of p to "logged at now". Called with the lock held. */
static void mark_logged(struct sl_throttle *t, const char *p, int64_t now)
{
	struct entry *e = sl_strmap_get(&t->map, p, NULL);

	if (e == NULL) {
		if (t->map.len >= t->max_entries)
			prune_expired(t, now);
		if (t->map.len >= t->max_entries)
			return;
		e = calloc(1, sizeof(*e));
		if (e == NULL || sl_strmap_set(&t->map, p, e, NULL) < 0) {
			free(e);
			return;
		}
	}
	e->logged_ms = now;
	e->repeated = 0;
}

bool sl_throttle_hit(struct sl_throttle *t, const char *key, const char *reason, uint64_t *repeated,
        int64_t *since_ms)
{
	int64_t now = sl_clock_mono_ms(t->clock);
	char *p = pair(key, reason);
	struct entry *e;
	bool log = true;

	*repeated = 0;
	*since_ms = 0;
	if (p == NULL)
		return true;
	pthread_mutex_lock(&t->lock);
	e = sl_strmap_get(&t->map, p, NULL);
	if (e != NULL && now - e->logged_ms < t->window_ms) {
		e->repeated++;
		log = false;
	} else {
		if (e != NULL) {
			*repeated = e->repeated;
			*since_ms = now - e->logged_ms;
		}
		mark_logged(t, p, now);
	}
	pthread_mutex_unlock(&t->lock);
	free(p);
	return log;
}

void sl_throttle_logged(struct sl_throttle *t, const char *key, const char *reason)
{
	char *p = pair(key, reason);

	if (p == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	mark_logged(t, p, sl_clock_mono_ms(t->clock));
	pthread_mutex_unlock(&t->lock);
	free(p);
}

void sl_throttle_forget(struct sl_throttle *t, const char *key)
{
	pthread_mutex_lock(&t->lock);
	if (t->map.len > 0)
		remove_where(t, of_key, key);
	pthread_mutex_unlock(&t->lock);
}

size_t sl_throttle_len(struct sl_throttle *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->map.len;
	pthread_mutex_unlock(&t->lock);
	return n;
}
