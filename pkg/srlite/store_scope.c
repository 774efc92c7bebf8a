/*
 * store_scope.c — the scopes a mode or compatibility level is set at (/mode/{s}, /config/{s}):
 * parsing one, the slot it keeps its setting in, and the subjects it covers (see store.h).
 */
#include "schemalink/store.h"

#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"
#include "schemalink/vec.h"

#include "store_int.h"

int sl_scope_parse(const char *s, struct sl_scope *sc, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	int rc = 0;

	memset(sc, 0, sizeof(*sc));
	sc->display = strdup(s != NULL ? s : "");
	if (sc->display == NULL)
		return sl_st_nomem(err);
	if (s == NULL) {
		sc->kind = SL_SCOPE_TOP;
		sc->context = strdup(SL_DEFAULT_CONTEXT);
		return sc->context != NULL ? 0 : sl_st_nomem(err);
	}
	if (sl_qsubject_parse(s, &q, NULL) != 0 || q.wildcard) {
		rc = sl_registry_error(err, 42208, "The specified subject '%s' is not a valid.", s);
		goto out;
	}
	if (q.subject[0] == '\0') {
		if (strcmp(q.context, ".__GLOBAL") == 0) {
			sc->kind = SL_SCOPE_GLOBAL;
		} else {
			sc->kind =
			        sl_context_is_default(q.context) ? SL_SCOPE_TOP : SL_SCOPE_CONTEXT;
			sc->context = q.context;
			q.context = NULL;
		}
		goto out;
	}
	if (strcmp(q.context, ".__GLOBAL") == 0 || strcmp(q.subject, "__GLOBAL") == 0 ||
	        strcmp(q.subject, "__EMPTY") == 0) {
		rc = sl_registry_error(err, 42208, "The specified subject '%s' is not a valid.", s);
		goto out;
	}
	sc->kind = SL_SCOPE_SUBJECT;
	sc->context = q.context;
	sc->subject = q.subject;
	q.context = q.subject = NULL;
out:
	sl_qsubject_release(&q);
	if (rc != 0)
		sl_scope_release(sc);
	return rc;
}

void sl_scope_release(struct sl_scope *sc)
{
	if (sc == NULL)
		return;
	free(sc->context);
	free(sc->subject);
	free(sc->display);
	memset(sc, 0, sizeof(*sc));
}

/* Calls fn on every subject in scope sc (all contexts for TOP and GLOBAL). */
void sl_st_for_scope(struct sl_store *st, const struct sl_scope *sc,
        void (*fn)(struct context *, struct subject *, void *), void *arg)
{
	size_t cpos = 0;
	const char *ckey;
	void *cval;

	while (sl_strmap_next(&st->contexts, &cpos, &ckey, &cval)) {
		struct context *c = cval;
		struct sl_vec names = SL_VEC_INIT;

		if (sc->kind == SL_SCOPE_CONTEXT || sc->kind == SL_SCOPE_SUBJECT)
			if (strcmp(c->name, sc->context) != 0)
				continue;
		/* Collect first: fn may remove subjects from the map. */
		if (sl_strmap_keys(&c->subjects, &names) == 0) {
			for (size_t i = 0; i < names.len; i++) {
				struct subject *s = subj_get(c, names.items[i]);

				if (s == NULL)
					continue;
				if (sc->kind == SL_SCOPE_SUBJECT &&
				        strcmp(s->name, sc->subject) != 0)
					continue;
				fn(c, s, arg);
			}
		}
		sl_vec_release(&names, NULL);
	}
}

/* The slot a scope's mode or config lives in; NULL when the holder does not exist. With
 * create, missing contexts and subjects are made. */
int *sl_st_scope_slot(struct sl_store *st, const struct sl_scope *sc, bool config, bool create)
{
	struct context *c;
	struct subject *s;

	if (sc->kind == SL_SCOPE_GLOBAL)
		return config ? &st->global_compat : &st->global_mode;
	c = create ? sl_st_ctx_ensure(st, sc->context) : ctx_get(st, sc->context);
	if (c == NULL)
		return NULL;
	if (sc->kind != SL_SCOPE_SUBJECT)
		return config ? &c->compat : &c->mode;
	s = create ? sl_st_subj_ensure(c, sc->subject) : subj_get(c, sc->subject);
	if (s == NULL)
		return NULL;
	return config ? &s->compat : &s->mode;
}

void sl_st_scope_gc(struct sl_store *st, const struct sl_scope *sc)
{
	struct context *c;
	struct subject *s;

	if (sc->kind != SL_SCOPE_SUBJECT)
		return;
	c = ctx_get(st, sc->context);
	s = subj_get(c, sc->subject);
	if (s != NULL)
		sl_st_subj_gc(c, s);
}
