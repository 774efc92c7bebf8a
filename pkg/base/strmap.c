/* strmap.c — open-addressing hash map (linear probing, FNV-1a) from strings to pointers. */
#include "schemalink/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/error.h"

static size_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

void sl_strmap_init(struct sl_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void sl_strmap_release(struct sl_strmap *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].used)
			continue;
		free(m->slots[i].key);
		if (free_value != NULL)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	sl_strmap_init(m);
}

/* Returns the slot holding key, or NULL. */
static struct sl_strmap_entry *find(const struct sl_strmap *m, const char *key, size_t h)
{
	size_t i, mask;

	if (m->cap == 0)
		return NULL;
	mask = m->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct sl_strmap_entry *e = &m->slots[i];

		if (!e->used && !e->tomb)
			return NULL;
		if (e->used && e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
}

static int resize(struct sl_strmap *m, size_t cap)
{
	struct sl_strmap_entry *slots, *old = m->slots;
	size_t i, j, oldcap = m->cap;

	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return SL_ENOMEM;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		for (j = old[i].hash & (cap - 1); slots[j].used; j = (j + 1) & (cap - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	m->slots = slots;
	m->cap = cap;
	m->tombs = 0;
	return 0;
}

int sl_strmap_set(struct sl_strmap *m, const char *key, void *value, void **old)
{
	size_t h = hash_str(key), i, mask;
	struct sl_strmap_entry *e;
	char *k;

	if (old != NULL)
		*old = NULL;
	e = find(m, key, h);
	if (e != NULL) {
		if (old != NULL)
			*old = e->value;
		e->value = value;
		return 0;
	}
	/* Keep the load (live + tombstones) under 3/4 so probes stay short and terminate. */
	if ((m->len + m->tombs + 1) * 4 > m->cap * 3) {
		size_t cap = m->cap ? m->cap : 16;

		while ((m->len + 1) * 2 > cap)
			cap *= 2;
		if (resize(m, cap) < 0)
			return SL_ENOMEM;
	}
	k = strdup(key);
	if (k == NULL)
		return SL_ENOMEM;
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].used; i = (i + 1) & mask)
		;
	e = &m->slots[i];
	if (e->tomb)
		m->tombs--;
	e->key = k;
	e->value = value;
	e->hash = h;
	e->used = true;
	e->tomb = false;
	m->len++;
	return 0;
}

void *sl_strmap_get(const struct sl_strmap *m, const char *key, bool *found)
{
	struct sl_strmap_entry *e = find(m, key, hash_str(key));

	if (found != NULL)
		*found = e != NULL;
	return e ? e->value : NULL;
}

void *sl_strmap_del(struct sl_strmap *m, const char *key, bool *found)
{
	struct sl_strmap_entry *e = find(m, key, hash_str(key));
	void *value;

	if (found != NULL)
		*found = e != NULL;
	if (e == NULL)
		return NULL;
	value = e->value;
	free(e->key);
	e->key = NULL;
	e->value = NULL;
	e->used = false;
	e->tomb = true;
	m->len--;
	m->tombs++;
	return value;
}

bool sl_strmap_next(const struct sl_strmap *m, size_t *pos, const char **key, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->slots[*pos].used) {
			if (key != NULL)
				*key = m->slots[*pos].key;
			if (value != NULL)
				*value = m->slots[*pos].value;
			(*pos)++;
			return true;
		}
	}
	return false;
}

int sl_strmap_keys(const struct sl_strmap *m, struct sl_vec *out)
{
	size_t pos = 0;
	const char *key;

	while (sl_strmap_next(m, &pos, &key, NULL))
		if (sl_vec_push(out, (void *)(uintptr_t)key) < 0)
			return SL_ENOMEM;
	sl_vec_sort(out, sl_vec_cmp_str);
	return 0;
}
