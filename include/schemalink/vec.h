/*
 * vec.h — growable vector of pointers.
 *
 * Owns: struct sl_vec. Depends on libc only. The vector owns its array, not the items:
 * sl_vec_release takes an optional destructor for them.
 */
#ifndef SCHEMALINK_VEC_H
#define SCHEMALINK_VEC_H

#include <stddef.h>

struct sl_vec {
	void **items;
	size_t len;
	size_t cap;
};

#define SL_VEC_INIT \
	{ \
		NULL, 0, 0 \
	}

void sl_vec_init(struct sl_vec *v);
/* Calls free_item (when non-NULL) on every item, frees the array, re-initializes v. */
void sl_vec_release(struct sl_vec *v, void (*free_item)(void *));
/* Appends item (ownership per the caller's convention). Returns 0 or SL_ENOMEM. */
int sl_vec_push(struct sl_vec *v, void *item);
/* Returns item i, or NULL when i is out of range. */
void *sl_vec_get(const struct sl_vec *v, size_t i);
/* Removes and returns the last item, or NULL when empty. */
void *sl_vec_pop(struct sl_vec *v);
/* Removes item i keeping order; returns it (NULL when out of range). */
void *sl_vec_remove(struct sl_vec *v, size_t i);
/* Sorts the items with cmp, which receives pointers to the item pointers (as qsort does). */
void sl_vec_sort(struct sl_vec *v, int (*cmp)(const void *, const void *));
/* qsort comparator for a vector of C strings, byte order. */
int sl_vec_cmp_str(const void *a, const void *b);

#endif
