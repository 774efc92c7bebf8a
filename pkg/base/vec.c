/* vec.c — growable vector of pointers. */
#include "schemalink/vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/error.h"

void sl_vec_init(struct sl_vec *v)
{
	v->items = NULL;
	v->len = 0;
	v->cap = 0;
}

void sl_vec_release(struct sl_vec *v, void (*free_item)(void *))
{
	size_t i;

	if (free_item != NULL)
		for (i = 0; i < v->len; i++)
			free_item(v->items[i]);
	free(v->items);
	sl_vec_init(v);
}

int sl_vec_push(struct sl_vec *v, void *item)
{
	void **p;
	size_t cap;

	if (v->len == v->cap) {
		cap = v->cap ? v->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof(*p))
			return SL_ENOMEM;
		p = realloc(v->items, cap * sizeof(*p));
		if (p == NULL)
			return SL_ENOMEM;
		v->items = p;
		v->cap = cap;
	}
	v->items[v->len++] = item;
	return 0;
}

void *sl_vec_get(const struct sl_vec *v, size_t i)
{
	return i < v->len ? v->items[i] : NULL;
}

void *sl_vec_pop(struct sl_vec *v)
{
	return v->len ? v->items[--v->len] : NULL;
}

void *sl_vec_remove(struct sl_vec *v, size_t i)
{
	void *item;

	if (i >= v->len)
		return NULL;
	item = v->items[i];
	memmove(v->items + i, v->items + i + 1, (v->len - i - 1) * sizeof(*v->items));
	v->len--;
	return item;
}

void sl_vec_sort(struct sl_vec *v, int (*cmp)(const void *, const void *))
{
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(*v->items), cmp);
}

int sl_vec_cmp_str(const void *a, const void *b)
{
	const char *const *x = a;
	const char *const *y = b;

	return strcmp(*x, *y);
}
