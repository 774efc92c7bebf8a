/*
 * store.c — srlite's registry state (see store.h): the store itself, its contexts, subjects,
 * versions and schemas, the errors every part reports, and the references between versions.
 *
 * Every write follows decide -> journal -> apply: the decision (and all its errors) is taken
 * under the write lock without changing anything, the outcome is written as one journal record,
 * and only then applied through the same apply_* function replay uses. So the journal never
 * holds a write the store refused, and replay reproduces the state byte for byte (ids, versions
 * and the change log included). The group fsync happens after the lock is released.
 *
 * The parts (store_int.h holds what they share):
 *   store_register.c  registering a schema version
 *   store_delete.c    deleting versions and subjects
 *   store_query.c     reading subjects and schemas: versions, lists, ids, lookups
 *   store_scope.c     the scopes modes and compatibility levels are set at
 *   store_modes.c     modes
 *   store_config.c    compatibility levels
 *   store_contexts.c  listing and deleting contexts
 *   store_changes.c   the change log exporters read
 *   store_journal.c   journal records and replay
 */
#include "schemalink/store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/qsubject.h"
#include "schemalink/strmap.h"

#include "store_int.h"

/* ---------- errors ---------- */

int sl_registry_error(struct sl_error *err, int registry_code, const char *fmt, ...)
{
	va_list ap;
	int family = registry_code / 100, code;

	va_start(ap, fmt);
	code = registry_code >= 50000 ? SL_EIO : SL_EINVAL;
	if (family == 404)
		code = SL_ENOENT;
	sl_error_vset(err, code, fmt, ap);
	va_end(ap);
	if (err != NULL) {
		err->registry_code = registry_code;
		err->http_status = registry_code >= 10000 ? registry_code / 100 : registry_code;
	}
	return code;
}

int sl_st_nomem(struct sl_error *err)
{
	return sl_registry_error(err, 50001, "Error in the backend data store: out of memory");
}

/* ---------- small helpers ---------- */

static char *xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void sl_st_refs_free(struct sl_schema_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(refs[i].name);
		free(refs[i].subject);
	}
	free(refs);
}

struct sl_schema_ref *sl_st_refs_copy(const struct sl_schema_ref *refs, size_t n)
{
	struct sl_schema_ref *out;

	if (n == 0)
		return NULL;
	out = calloc(n, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i].name = xstrdup(refs[i].name);
		out[i].subject = xstrdup(refs[i].subject);
		out[i].version = refs[i].version;
		if (out[i].name == NULL || out[i].subject == NULL) {
			sl_st_refs_free(out, n);
			return NULL;
		}
	}
	return out;
}

char *sl_st_identity_key(
        const char *type, const char *text, const struct sl_schema_ref *refs, size_t nrefs)
{
	struct sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_adds(&b, type);

	rc = rc || sl_buf_addch(&b, '\x1f');
	for (size_t i = 0; i < nrefs && rc == 0; i++)
		rc = sl_buf_addf(
		        &b, "%s\x1e%s\x1e%d\x1f", refs[i].name, refs[i].subject, refs[i].version);
	rc = rc || sl_buf_addch(&b, '\x1d');
	rc = rc || sl_buf_adds(&b, text);
	if (rc != 0) {
		sl_buf_release(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

const char *sl_st_ctx_display(const char *ctx, char *buf, size_t len)
{
	if (sl_context_is_default(ctx))
		return "";
	snprintf(buf, len, ":%s:", ctx);
	return buf;
}

void sl_st_schema_free(void *p)
{
	struct schema *s = p;

	if (s == NULL)
		return;
	free(s->type);
	free(s->text);
	sl_st_refs_free(s->refs, s->nrefs);
	free(s->key);
	free(s);
}

static void subject_free(void *p)
{
	struct subject *s = p;

	if (s == NULL)
		return;
	sl_vec_release(&s->versions, free);
	free(s->name);
	free(s);
}

void sl_st_context_free(void *p)
{
	struct context *c = p;

	if (c == NULL)
		return;
	sl_strmap_release(&c->subjects, subject_free);
	sl_strmap_release(&c->by_id, NULL);
	sl_strmap_release(&c->by_key, sl_st_schema_free);
	free(c->name);
	free(c);
}

struct context *sl_st_ctx_ensure(struct sl_store *st, const char *name)
{
	struct context *c = ctx_get(st, name);

	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->name = strdup(name);
	if (c->name == NULL || sl_strmap_set(&st->contexts, name, c, NULL) != 0) {
		sl_st_context_free(c);
		return NULL;
	}
	return c;
}

struct subject *sl_st_subj_ensure(struct context *c, const char *name)
{
	struct subject *s = subj_get(c, name);

	if (s != NULL)
		return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->name = strdup(name);
	if (s->name == NULL || sl_strmap_set(&c->subjects, name, s, NULL) != 0) {
		subject_free(s);
		return NULL;
	}
	return s;
}

/* Drops a subject that holds nothing any more (no versions, no mode, no config). */
void sl_st_subj_gc(struct context *c, struct subject *s)
{
	if (s->versions.len == 0 && s->mode == MODE_UNSET && s->compat == 0)
		subject_free(sl_strmap_del(&c->subjects, s->name, NULL));
}

/* Parses a qualified subject into context and name; wildcard forms are invalid here. */
int sl_st_split_qs(const char *qs, struct sl_qsubject *q, struct sl_error *err)
{
	struct sl_error perr = SL_ERROR_INIT;

	if (sl_qsubject_parse(qs, q, &perr) != 0 || q->wildcard) {
		sl_qsubject_release(q);
		return sl_registry_error(err, 42208, "The specified subject '%s' is not a valid.",
		        qs != NULL ? qs : "");
	}
	return 0;
}

/* Resolves a reference's subject relative to the referring schema's context. */
struct subject *sl_st_ref_target(struct sl_store *st, const char *ctx,
        const struct sl_schema_ref *r, const char **ref_ctx_out)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct subject *s = NULL;
	struct context *c;

	if (sl_qsubject_parse(r->subject, &q, NULL) != 0 || q.wildcard)
		goto out;
	/* An unqualified reference stays in the referring context. */
	c = ctx_get(st, strncmp(r->subject, ":.", 2) == 0 ? q.context : ctx);
	s = subj_get(c, q.subject);
	if (ref_ctx_out != NULL && c != NULL)
		*ref_ctx_out = c->name;
out:
	sl_qsubject_release(&q);
	return s;
}

/* True when a live version anywhere in context ctx references (subject s, version v). */
bool sl_st_is_referenced(
        struct sl_store *st, struct context *c, const struct subject *target, int version)
{
	size_t pos = 0;
	const char *key;
	void *val;

	while (sl_strmap_next(&c->subjects, &pos, &key, &val)) {
		struct subject *s = val;

		for (size_t i = 0; i < s->versions.len; i++) {
			struct version *v = ver_at(s, i);

			if (v->deleted)
				continue;
			for (size_t k = 0; k < v->schema->nrefs; k++) {
				const struct sl_schema_ref *r = &v->schema->refs[k];

				if (r->version == version &&
				        sl_st_ref_target(st, c->name, r, NULL) == target)
					return true;
			}
		}
	}
	return false;
}

int sl_st_referenced_error(struct sl_error *err, const char *qs, int version)
{
	return sl_registry_error(err, 42206,
	        "One or more references exist to the schema {subject=%s,version=%d}.", qs, version);
}

/* ---------- lifecycle ---------- */

struct sl_store *sl_store_new(void)
{
	struct sl_store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	pthread_rwlock_init(&st->lock, NULL);
	pthread_mutex_init(&st->log_mu, NULL);
	pthread_cond_init(&st->log_cv, NULL);
	if (sl_st_ctx_ensure(st, SL_DEFAULT_CONTEXT) == NULL) {
		sl_store_free(st);
		return NULL;
	}
	return st;
}

void sl_store_free(struct sl_store *st)
{
	if (st == NULL)
		return;
	sl_strmap_release(&st->contexts, sl_st_context_free);
	sl_vec_release(&st->log, sl_change_free);
	pthread_rwlock_destroy(&st->lock);
	pthread_mutex_destroy(&st->log_mu);
	pthread_cond_destroy(&st->log_cv);
	free(st);
}

void sl_store_attach_journal(struct sl_store *st, struct sl_journal *j)
{
	pthread_rwlock_wrlock(&st->lock);
	st->journal = j;
	pthread_rwlock_unlock(&st->lock);
}

/* ---------- apply (shared by live writes and replay) ---------- */

void sl_st_drop_version(struct context *c, struct subject *s, size_t i)
{
	struct version *v = sl_vec_remove(&s->versions, i);

	if (v != NULL) {
		v->schema->uses--;
		free(v);
	}
	(void)c;
}
