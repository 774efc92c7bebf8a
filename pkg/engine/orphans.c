/* orphans.c — what the inventory owns that the manifests no longer declare, and the prune
 * guard that refuses to delete too much at once (docs/ownership.md). */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/json.h"
#include "schemalink/qsubject.h"

/* The normalized URL of the registry key's declared object writes what the inventory
 * recorded to: a link's source (exporters) or destination (scopes), a setting's registry.
 * Owned, or NULL when key is not declared (or out of memory). */
char *sl_eng_declared_url(const struct sl_snapshot *snap, const char *key, bool exporter)
{
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL), *r;
	const char *reg;

	if (o == NULL)
		return NULL;
	switch (o->kind) {
	case SL_KIND_SCHEMALINK: reg = exporter ? o->link.source : o->link.destination; break;
	case SL_KIND_REGISTRY: reg = o->name; break;
	case SL_KIND_CONTEXT: reg = o->context.registry; break;
	default: reg = o->subject.registry; break;
	}
	r = sl_snapshot_get(snap, SL_KIND_REGISTRY, reg);
	return r ? sl_registry_url_normalize(r->registry.url) : NULL;
}

/* Adds the orphan id of key's record at url to seen when snap no longer covers it. */
static int note_orphan(const struct sl_snapshot *snap, const char *key, const char *url,
        bool exporter, struct sl_strmap *seen)
{
	struct sl_buf b = SL_BUF_INIT;
	char *now;
	int rc = 0;

	if (!sl_strmap_get(&snap->by_key, key, NULL))
		return sl_strmap_set(seen, key, NULL, NULL);
	now = sl_eng_declared_url(snap, key, exporter);
	/* The object moved to another registry: what it made on the old one is left behind. */
	if (now != NULL && strcmp(now, url) != 0 && url[0]) {
		rc = sl_buf_addf(&b, "%s@%s", key, url);
		rc = rc ? rc : sl_strmap_set(seen, b.data, NULL, NULL);
	}
	free(now);
	sl_buf_release(&b);
	return rc;
}

static int orphans_locked(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out)
{
	struct sl_strmap seen = SL_STRMAP_INIT;
	struct sl_vec sorted = SL_VEC_INIT;
	size_t pos = 0, j;
	const char *k;
	void *v;
	int rc = 0;

	while (rc == 0 && sl_strmap_next(&e->inv->owned, &pos, &k, &v)) {
		const struct sl_inv_owned *o = v;

		rc = note_orphan(snap, o->key, o->at.url, true, &seen);
	}
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->scopes, &pos, &k, &v)) {
		const struct sl_inv_scope *s = v;

		for (j = 0; rc == 0 && j < s->needed_by.len; j++)
			rc = note_orphan(snap, s->needed_by.items[j], s->at.url, false, &seen);
	}
	/* Records that own nothing on a registry (statuses) go with their key. */
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->objects, &pos, &k, &v))
		if (!sl_strmap_get(&snap->by_key, k, NULL))
			rc = sl_strmap_set(&seen, k, NULL, NULL);
	/* Appended sorted, after whatever out holds already (the declared keys, in order). */
	rc = rc ? rc : sl_strmap_keys(&seen, &sorted);
	for (j = 0; rc == 0 && j < sorted.len; j++) {
		char *c = strdup(sorted.items[j]);

		if (c == NULL || sl_vec_push(out, c) < 0) {
			free(c);
			rc = SL_ENOMEM;
		}
	}
	sl_vec_release(&sorted, NULL);
	sl_strmap_release(&seen, NULL);
	return rc;
}

int sl_engine_orphans(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = orphans_locked(e, snap, out);
	pthread_mutex_unlock(&e->mu);
	return rc < 0 ? sl_error_set(err, rc, "out of memory") : 0;
}

/* The keys that own something on a registry (an exporter or a scope), into owners. */
static int owners_locked(const struct sl_engine *e, struct sl_strmap *owners)
{
	size_t pos = 0, j;
	const char *k;
	void *v;
	int rc = 0;

	while (rc == 0 && sl_strmap_next(&e->inv->owned, &pos, &k, &v))
		rc = sl_strmap_set(owners, ((const struct sl_inv_owned *)v)->key, NULL, NULL);
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->scopes, &pos, &k, &v)) {
		const struct sl_inv_scope *s = v;

		for (j = 0; rc == 0 && j < s->needed_by.len; j++)
			rc = sl_strmap_set(owners, s->needed_by.items[j], NULL, NULL);
	}
	return rc;
}

/* The prune guard for snap, computed once per snapshot: the caller holds e->mu. */
bool sl_eng_guard_locked(struct sl_engine *e, const struct sl_snapshot *snap)
{
	struct sl_strmap owners = SL_STRMAP_INIT;
	struct sl_vec orphans = SL_VEC_INIT;
	size_t i, n = 0, limit;

	if (snap->id != 0 && snap->id == e->guard_snap)
		return e->guard_ok;
	e->guard_ok = true;
	e->guard_oom = false;
	e->guard_why[0] = '\0';
	if (owners_locked(e, &owners) < 0 || orphans_locked(e, snap, &orphans) < 0) {
		e->guard_ok = false;
		e->guard_oom = true;
		sl_strlcpy_utf8(e->guard_why, sizeof(e->guard_why), "out of memory");
		goto out;
	}
	/* Only what owns something counts: a status record deletes nothing. */
	for (i = 0; i < orphans.len; i++) {
		char key[320];

		bool owns = false;

		sl_eng_split_orphan(orphans.items[i], key, sizeof(key));
		sl_strmap_get(&owners, key, &owns);
		if (owns || strchr(orphans.items[i], '@'))
			n++;
	}
	limit = e->cfg.max_prune > 0 ? (size_t)e->cfg.max_prune
	                             : (owners.len / 2 > 0 ? owners.len / 2 : 1);
	if (n == 0)
		goto out;
	if (snap->objects.len == 0) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: the manifests declare no object, and a manifest set that "
		        "loads nothing never prunes (%zu object(s) this set owns are kept)",
		        owners.len);
	} else if (e->cfg.allow_prune_all) {
		goto out;
	} else if (n >= owners.len) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: it would delete every object this set owns (%zu); pass "
		        "--allow-prune-all if that is meant",
		        n);
	} else if (n > limit) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: it would delete %zu of the %zu objects this set owns, more "
		        "than the %zu allowed at once (--max-prune); pass --max-prune %zu or "
		        "--allow-prune-all if that is meant",
		        n, owners.len, limit, n);
	}
out:
	e->guard_snap = e->guard_oom ? 0 : snap->id;
	sl_strmap_release(&owners, NULL);
	sl_vec_release(&orphans, free);
	return e->guard_ok;
}

int sl_engine_orphans_try(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err)
{
	int rc;

	if (pthread_mutex_trylock(&e->mu) != 0)
		return sl_error_set(err, SL_ESTATE, "the engine is busy");
	rc = orphans_locked(e, snap, out);
	pthread_mutex_unlock(&e->mu);
	return rc < 0 ? sl_error_set(err, rc, "out of memory") : 0;
}

int sl_engine_prune_allowed_try(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len)
{
	bool ok;

	if (pthread_mutex_trylock(&e->mu) != 0)
		return -1;
	ok = sl_eng_guard_locked(e, snap);
	if (why && len)
		sl_strlcpy_utf8(why, len, ok ? "" : e->guard_why);
	pthread_mutex_unlock(&e->mu);
	return ok ? 1 : 0;
}

bool sl_engine_prune_allowed(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len)
{
	bool ok;

	pthread_mutex_lock(&e->mu);
	ok = sl_eng_guard_locked(e, snap);
	if (why && len)
		sl_strlcpy_utf8(why, len, ok ? "" : e->guard_why);
	pthread_mutex_unlock(&e->mu);
	return ok;
}
