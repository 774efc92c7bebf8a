/*
 * store_config.c — compatibility levels (BACKWARD ... NONE): the effective level of a scope,
 * and getting, setting and deleting the level of a scope (see store.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>

#include "store_int.h"

static const char *const compat_names[] = {NULL, "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
        "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"};
#define NCOMPAT ((int)(sizeof(compat_names) / sizeof(compat_names[0])))
#define COMPAT_DEFAULT 1 /* BACKWARD */

int sl_st_parse_compat(const char *s)
{
	for (int i = 1; i < NCOMPAT; i++)
		if (strcasecmp(s, compat_names[i]) == 0)
			return i;
	return 0;
}

int sl_st_apply_config(struct sl_store *st, const struct sl_scope *sc, int compat)
{
	int *slot = sl_st_scope_slot(st, sc, true, compat != 0);

	if (slot == NULL)
		return compat != 0 ? SL_ENOMEM : 0;
	*slot = compat;
	sl_st_scope_gc(st, sc);
	return 0;
}

static int effective_compat(struct sl_store *st, const struct sl_scope *sc)
{
	struct context *c;
	struct subject *s;

	if (sc->kind != SL_SCOPE_GLOBAL) {
		c = ctx_get(st, sc->context);
		s = sc->kind == SL_SCOPE_SUBJECT ? subj_get(c, sc->subject) : NULL;
		if (s != NULL && s->compat != 0)
			return s->compat;
		if (c != NULL && c->compat != 0)
			return c->compat;
	}
	return st->global_compat != 0 ? st->global_compat : COMPAT_DEFAULT;
}

int sl_store_get_config(struct sl_store *st, const struct sl_scope *sc, bool default_to_global,
        const char **level, struct sl_error *err)
{
	int *slot, v, rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	slot = sl_st_scope_slot(st, sc, true, false);
	v = slot != NULL ? *slot : 0;
	if (v == 0 && (default_to_global || sc->kind == SL_SCOPE_TOP))
		v = effective_compat(st, sc);
	if (v == 0)
		rc = sl_registry_error(err, 40408,
		        "Subject '%s' does not have subject-level compatibility configured",
		        sc->display);
	else
		*level = compat_names[v];
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int sl_store_set_config(struct sl_store *st, const struct sl_scope *sc, const char *level,
        const char **level_out, struct sl_error *err)
{
	struct sl_journal *j;
	uint64_t seq = 0;
	int v = level != NULL ? sl_st_parse_compat(level) : 0, rc;
	json_t *rec;

	if (v == 0)
		return sl_registry_error(err, 42203,
		        "Invalid compatibility level. Valid values are none, backward, forward, "
		        "full, "
		        "backward_transitive, forward_transitive, and full_transitive");
	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	rec = json_pack("{s:s, s:o, s:s}", "op", "config", "scope", sl_st_scope_json(sc), "compat",
	        compat_names[v]);
	rc = sl_st_journal_write(st, rec, &seq, err);
	if (rc == 0 && sl_st_apply_config(st, sc, v) != 0)
		rc = sl_st_nomem(err);
	if (rc == 0)
		*level_out = compat_names[v];
	pthread_rwlock_unlock(&st->lock);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}

int sl_store_delete_config(
        struct sl_store *st, const struct sl_scope *sc, const char **prev, struct sl_error *err)
{
	struct sl_journal *j;
	uint64_t seq = 0;
	int *slot, old, rc = 0;
	json_t *rec;

	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	slot = sl_st_scope_slot(st, sc, true, false);
	old = slot != NULL ? *slot : 0;
	if (old == 0) {
		if (sc->kind == SL_SCOPE_TOP || sc->kind == SL_SCOPE_GLOBAL)
			*prev = compat_names[effective_compat(st, sc)];
		else
			rc = sl_registry_error(err, 40401, "Subject '%s' not found.", sc->display);
		goto out;
	}
	*prev = compat_names[old];
	rec = json_pack("{s:s, s:o, s:n}", "op", "config", "scope", sl_st_scope_json(sc), "compat");
	rc = sl_st_journal_write(st, rec, &seq, err);
	if (rc == 0)
		sl_st_apply_config(st, sc, 0);
out:
	pthread_rwlock_unlock(&st->lock);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}
