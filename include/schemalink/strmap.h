/*
 * strmap.h — hash map from C strings to pointers.
 *
 * Owns: struct sl_strmap. Depends on libc only. Keys are copied and owned by the map; values
 * are not (sl_strmap_release takes an optional destructor). Iteration order is unspecified;
 * sl_strmap_keys gives a sorted key list when order matters (output, plans).
 */
#ifndef SCHEMALINK_STRMAP_H
#define SCHEMALINK_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/vec.h"

struct sl_strmap_entry {
	char *key;
	void *value;
	size_t hash;
	bool used;
	bool tomb; /* deleted: keeps probe chains intact */
};

struct sl_strmap {
	struct sl_strmap_entry *slots;
	size_t cap; /* power of two, or 0 */
	size_t len; /* live entries */
	size_t tombs; /* deleted entries still occupying slots */
};

#define SL_STRMAP_INIT \
	{ \
		NULL, 0, 0, 0 \
	}

void sl_strmap_init(struct sl_strmap *m);
/* Calls free_value (when non-NULL) on each value, frees keys and slots, re-initializes m. */
void sl_strmap_release(struct sl_strmap *m, void (*free_value)(void *));
/* Sets key to value. When the key existed, its old value is stored in *old (when old is
 * non-NULL) so the caller can free it; otherwise *old is NULL. Returns 0 or SL_ENOMEM. */
int sl_strmap_set(struct sl_strmap *m, const char *key, void *value, void **old);
/* Returns the value for key, or NULL. found (optional) tells a NULL value from a missing key. */
void *sl_strmap_get(const struct sl_strmap *m, const char *key, bool *found);
/* Removes key; returns its value (the caller frees it), or NULL when absent. */
void *sl_strmap_del(struct sl_strmap *m, const char *key, bool *found);
/* Iterates: start with *pos = 0; returns false when done. key/value are borrowed. */
bool sl_strmap_next(const struct sl_strmap *m, size_t *pos, const char **key, void **value);
/* Fills out (an initialized vector) with the borrowed keys in byte order. 0 or SL_ENOMEM. */
int sl_strmap_keys(const struct sl_strmap *m, struct sl_vec *out);

#endif
