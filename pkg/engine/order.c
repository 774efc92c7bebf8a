/* order.c — the order a pass reconciles a snapshot's objects in (docs/internals/reconcile.md
 * "Pass order"). */
#include "schemalink/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/inventory.h"
#include "schemalink/strmap.h"

/* The registry link o reads from, as its request budget knows it (the normalized URL of its
 * source Registry; the name when that is not declared). Owned, NULL when out of memory. */
static char *source_of(const struct sl_snapshot *snap, const struct sl_object *o)
{
	const struct sl_object *r = sl_snapshot_get(snap, SL_KIND_REGISTRY, o->link.source);

	if (r != NULL && r->registry.url != NULL)
		return sl_registry_url_normalize(r->registry.url);
	return strdup(o->link.source ? o->link.source : "");
}

/* Appends the SchemaLinks snap holds from index first on (they come last, by name) taking
 * one of each source registry in turn, in name order within each: a pass that waits for one
 * registry's request budget (docs/internals/operations.md "Rate limits") then spends every
 * registry's budget at once rather than one registry's after another's. */
static int push_links_round_robin(const struct sl_snapshot *snap, size_t first, struct sl_vec *keys)
{
	struct sl_strmap group_of = SL_STRMAP_INIT; /* source -> index in groups + 1 */
	struct sl_vec groups = SL_VEC_INIT; /* struct sl_vec * of borrowed keys */
	size_t i, n = sl_snapshot_count(snap), round, pushed = 0;
	int rc = 0;

	for (i = first; rc == 0 && i < n; i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);
		char *src = source_of(snap, o);
		uintptr_t g = src ? (uintptr_t)sl_strmap_get(&group_of, src, NULL) : 0;

		if (src == NULL) {
			rc = SL_ENOMEM;
		} else if (g == 0) {
			struct sl_vec *v = calloc(1, sizeof(*v));

			if (v == NULL || sl_vec_push(&groups, v) < 0) {
				free(v);
				rc = SL_ENOMEM;
			} else {
				g = groups.len;
				rc = sl_strmap_set(&group_of, src, (void *)g, NULL);
			}
		}
		if (rc == 0 && sl_vec_push(groups.items[g - 1], o->key) < 0)
			rc = SL_ENOMEM;
		free(src);
	}
	for (round = 0; rc == 0 && pushed < n - first; round++)
		for (i = 0; rc == 0 && i < groups.len; i++) {
			const struct sl_vec *v = groups.items[i];
			char *k;

			if (round >= v->len)
				continue;
			if ((k = strdup(v->items[round])) == NULL || sl_vec_push(keys, k) < 0) {
				free(k);
				rc = SL_ENOMEM;
			}
			pushed++;
		}
	for (i = 0; i < groups.len; i++) {
		sl_vec_release(groups.items[i], NULL);
		free(groups.items[i]);
	}
	sl_vec_release(&groups, NULL);
	sl_strmap_release(&group_of, NULL);
	return rc;
}

int sl_engine_pass_order(const struct sl_snapshot *snap, struct sl_vec *keys)
{
	size_t i, n = sl_snapshot_count(snap);

	/* Registries, Contexts and Subjects in order (modes first), then the links. */
	for (i = 0; i < n && sl_snapshot_at(snap, i)->kind != SL_KIND_SCHEMALINK; i++) {
		char *k = strdup(sl_snapshot_at(snap, i)->key);

		if (k == NULL || sl_vec_push(keys, k) < 0) {
			free(k);
			return SL_ENOMEM;
		}
	}
	return push_links_round_robin(snap, i, keys);
}
