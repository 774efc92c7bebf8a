/*
 * store_modes.c — modes (READWRITE, READONLY, READONLY_OVERRIDE, IMPORT, FORWARD): the
 * effective mode of a subject, and getting, setting and deleting the mode of a scope, with
 * what IMPORT asks before it is set (see store.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "schemalink/qsubject.h"

#include "store_int.h"

static const char *const mode_names[] = {
        NULL, "READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD"};

int sl_st_parse_mode(const char *s)
{
	for (int i = 1; i <= MODE_FORWARD; i++)
		if (strcasecmp(s, mode_names[i]) == 0)
			return i;
	return MODE_UNSET;
}

/* Hard-deletes the soft-deleted versions of s. */
static void purge_subject(struct context *c, struct subject *s)
{
	for (size_t i = s->versions.len; i > 0; i--)
		if (ver_at(s, i - 1)->deleted)
			sl_st_drop_version(c, s, i - 1);
}

static void purge_fn(struct context *c, struct subject *s, void *arg)
{
	(void)arg;
	purge_subject(c, s);
	sl_st_subj_gc(c, s);
}

static void clear_mode_fn(struct context *c, struct subject *s, void *arg)
{
	(void)arg;
	s->mode = MODE_UNSET;
	sl_st_subj_gc(c, s);
}

int sl_st_apply_mode(
        struct sl_store *st, const struct sl_scope *sc, int mode, bool purge, bool recursive)
{
	int *slot;

	if (purge)
		sl_st_for_scope(st, sc, purge_fn, NULL);
	if (recursive && sc->kind != SL_SCOPE_SUBJECT) {
		struct sl_scope sub = *sc;

		/* recursive on the top level covers the default context's subjects. */
		if (sub.kind == SL_SCOPE_TOP) {
			sub.kind = SL_SCOPE_CONTEXT;
			sub.context = (char *)(uintptr_t)SL_DEFAULT_CONTEXT;
		}
		if (sub.kind == SL_SCOPE_CONTEXT)
			sl_st_for_scope(st, &sub, clear_mode_fn, NULL);
	}
	slot = sl_st_scope_slot(st, sc, false, mode != MODE_UNSET);
	if (slot == NULL)
		return mode != MODE_UNSET ? SL_ENOMEM : 0;
	*slot = mode;
	sl_st_scope_gc(st, sc);
	return 0;
}

int sl_st_effective_mode_of(struct sl_store *st, const char *cname, const char *sname)
{
	struct context *c = ctx_get(st, cname);
	struct subject *s = sname != NULL ? subj_get(c, sname) : NULL;

	if (s != NULL && s->mode != MODE_UNSET)
		return s->mode;
	/* For "." the context-level mode is the top-level one; other contexts never fall back
	 * to it (docs/internals/registry.md §4). */
	if (c != NULL && c->mode != MODE_UNSET)
		return c->mode;
	if (st->global_mode != MODE_UNSET)
		return st->global_mode;
	return MODE_READWRITE;
}

static int scope_effective_mode(struct sl_store *st, const struct sl_scope *sc)
{
	if (sc->kind == SL_SCOPE_GLOBAL)
		return st->global_mode != MODE_UNSET ? st->global_mode : MODE_READWRITE;
	return sl_st_effective_mode_of(
	        st, sc->context, sc->kind == SL_SCOPE_SUBJECT ? sc->subject : NULL);
}

const char *sl_store_effective_mode(struct sl_store *st, const char *qs)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	const char *m = mode_names[MODE_READWRITE];

	if (sl_qsubject_parse(qs, &q, NULL) == 0 && !q.wildcard) {
		pthread_rwlock_rdlock(&st->lock);
		m = mode_names[sl_st_effective_mode_of(st, q.context, q.subject)];
		pthread_rwlock_unlock(&st->lock);
	}
	sl_qsubject_release(&q);
	return m;
}

int sl_store_get_mode(struct sl_store *st, const struct sl_scope *sc, bool default_to_global,
        const char **mode, struct sl_error *err)
{
	int *slot, m, rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	slot = sl_st_scope_slot(st, sc, false, false);
	m = slot != NULL ? *slot : MODE_UNSET;
	if (m == MODE_UNSET && (default_to_global || sc->kind == SL_SCOPE_TOP))
		m = scope_effective_mode(st, sc);
	if (m == MODE_UNSET)
		rc = sl_registry_error(err, 40409,
		        "Subject '%s' does not have subject-level mode configured", sc->display);
	else
		*mode = mode_names[m];
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

struct live_check {
	bool found;
};

static void live_fn(struct context *c, struct subject *s, void *arg)
{
	(void)c;
	if (subj_has_live(s))
		((struct live_check *)arg)->found = true;
}

struct ref_check {
	struct sl_store *st;
	const char *qs;
	int version;
	bool found;
};

static void soft_ref_fn(struct context *c, struct subject *s, void *arg)
{
	struct ref_check *rc = arg;

	for (size_t i = 0; i < s->versions.len && !rc->found; i++) {
		struct version *v = ver_at(s, i);

		if (v->deleted && sl_st_is_referenced(rc->st, c, s, v->version)) {
			rc->found = true;
			rc->version = v->version;
			rc->qs = s->name;
		}
	}
}

int sl_store_set_mode(struct sl_store *st, const struct sl_scope *sc, const char *mode, bool force,
        const char **mode_out, struct sl_error *err)
{
	struct sl_journal *j;
	uint64_t seq = 0;
	bool purge = false;
	int m = mode != NULL ? sl_st_parse_mode(mode) : MODE_UNSET, rc = 0;
	json_t *rec;

	if (m == MODE_UNSET)
		return sl_registry_error(err, 42204,
		        "Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.");
	if (m == MODE_FORWARD && sc->kind != SL_SCOPE_GLOBAL)
		return sl_registry_error(err, 42204, "Forward mode only supported on global level");
	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	if (m == MODE_IMPORT && !force && scope_effective_mode(st, sc) != MODE_IMPORT) {
		struct live_check live = {false};
		struct ref_check refs = {st, NULL, 0, false};

		sl_st_for_scope(st, sc, live_fn, &live);
		if (live.found) {
			rc = sl_registry_error(
			        err, 42205, "Cannot import since found existing subjects");
			goto out;
		}
		sl_st_for_scope(st, sc, soft_ref_fn, &refs);
		if (refs.found) {
			rc = sl_st_referenced_error(err, refs.qs, refs.version);
			goto out;
		}
		purge = true;
	}
	rec = json_pack("{s:s, s:o, s:s, s:b}", "op", "mode", "scope", sl_st_scope_json(sc), "mode",
	        mode_names[m], "purge", purge);
	rc = sl_st_journal_write(st, rec, &seq, err);
	if (rc == 0 && sl_st_apply_mode(st, sc, m, purge, false) != 0)
		rc = sl_st_nomem(err);
	if (rc == 0)
		*mode_out = mode_names[m];
out:
	pthread_rwlock_unlock(&st->lock);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}

static bool any_subject_mode(struct sl_store *st, const struct sl_scope *sc)
{
	const char *cname = sc->kind == SL_SCOPE_TOP ? SL_DEFAULT_CONTEXT : sc->context;
	struct context *c = ctx_get(st, cname);
	size_t pos = 0;
	const char *key;
	void *val;

	while (c != NULL && sl_strmap_next(&c->subjects, &pos, &key, &val))
		if (((struct subject *)val)->mode != MODE_UNSET)
			return true;
	return false;
}

int sl_store_delete_mode(struct sl_store *st, const struct sl_scope *sc, bool recursive,
        const char **prev, struct sl_error *err)
{
	struct sl_journal *j;
	uint64_t seq = 0;
	int *slot, old, rc = 0;
	json_t *rec;

	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	slot = sl_st_scope_slot(st, sc, false, false);
	old = slot != NULL ? *slot : MODE_UNSET;
	recursive = recursive && (sc->kind == SL_SCOPE_TOP || sc->kind == SL_SCOPE_CONTEXT);
	if (old == MODE_UNSET && !recursive) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", sc->display);
		goto out;
	}
	*prev = old != MODE_UNSET ? mode_names[old] : NULL;
	if (old == MODE_UNSET && !any_subject_mode(st, sc))
		goto out; /* nothing to change, nothing to journal */
	rec = json_pack("{s:s, s:o, s:n, s:b}", "op", "mode", "scope", sl_st_scope_json(sc), "mode",
	        "recursive", recursive);
	rc = sl_st_journal_write(st, rec, &seq, err);
	if (rc == 0)
		sl_st_apply_mode(st, sc, MODE_UNSET, false, recursive);
out:
	pthread_rwlock_unlock(&st->lock);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}
