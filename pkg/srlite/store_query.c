/*
 * store_query.c — reading the registry: the version of a subject holding a schema, a
 * subject's versions, the subject and schema lists, and schemas by id (see store.h). Every
 * function here takes st->lock for reading and answers with owned copies.
 */
#include "schemalink/store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"
#include "schemalink/vec.h"

#include "store_int.h"

static int fill_info(struct sl_schema_info *out, const char *cname, const struct subject *s,
        const struct version *v, const struct schema *sch)
{
	memset(out, 0, sizeof(*out));
	if (s != NULL) {
		out->subject = sl_qsubject_format(cname, s->name);
		if (out->subject == NULL)
			return SL_ENOMEM;
	}
	if (v != NULL) {
		out->version = v->version;
		out->deleted = v->deleted;
		sch = v->schema;
	}
	out->id = sch->id;
	out->type = strdup(sch->type);
	out->schema = strdup(sch->text);
	out->refs = sl_st_refs_copy(sch->refs, sch->nrefs);
	out->nrefs = sch->nrefs;
	if (out->type == NULL || out->schema == NULL || (sch->nrefs > 0 && out->refs == NULL)) {
		sl_schema_info_release(out);
		return SL_ENOMEM;
	}
	return 0;
}

static int push_info(
        struct sl_vec *out, const char *cname, const struct subject *s, const struct version *v)
{
	struct sl_schema_info *info = malloc(sizeof(*info));

	if (info == NULL)
		return SL_ENOMEM;
	if (fill_info(info, cname, s, v, NULL) != 0) {
		free(info);
		return SL_ENOMEM;
	}
	if (sl_vec_push(out, info) != 0) {
		sl_schema_info_free(info);
		return SL_ENOMEM;
	}
	return 0;
}

void sl_schema_info_release(struct sl_schema_info *info)
{
	if (info == NULL)
		return;
	free(info->subject);
	free(info->type);
	free(info->schema);
	sl_st_refs_free(info->refs, info->nrefs);
	memset(info, 0, sizeof(*info));
}

void sl_schema_info_free(void *p)
{
	sl_schema_info_release(p);
	free(p);
}

int sl_store_lookup(struct sl_store *st, const char *qs, const struct sl_schema_input *in,
        bool deleted, struct sl_schema_info *out, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct context *c;
	struct subject *s;
	struct schema *sch;
	char *key = NULL;
	int rc = sl_st_split_qs(qs, &q, err);

	if (rc != 0)
		return rc;
	key = sl_st_identity_key(in->type, in->schema, in->refs, in->nrefs);
	if (key == NULL) {
		sl_qsubject_release(&q);
		return sl_st_nomem(err);
	}
	pthread_rwlock_rdlock(&st->lock);
	c = ctx_get(st, q.context);
	s = subj_get(c, q.subject);
	if (!(deleted ? subj_exists(s) : subj_has_live(s))) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", qs);
		goto out;
	}
	sch = sl_strmap_get(&c->by_key, key, NULL);
	rc = sl_registry_error(err, 40403, "Schema not found");
	for (size_t i = s->versions.len; sch != NULL && i > 0; i--) {
		struct version *v = ver_at(s, i - 1);

		if (v->schema == sch && (deleted || !v->deleted)) {
			sl_error_clear(err);
			rc = fill_info(out, q.context, s, v, NULL) != 0 ? sl_st_nomem(err) : 0;
			break;
		}
	}
out:
	pthread_rwlock_unlock(&st->lock);
	free(key);
	sl_qsubject_release(&q);
	return rc;
}

int sl_version_parse(const char *v, int *out, struct sl_error *err)
{
	char *end = NULL;
	long n;

	if (v != NULL && strcmp(v, "latest") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	n = v != NULL && v[0] != '\0' ? strtol(v, &end, 10) : 0;
	if (v == NULL || end == NULL || *end != '\0' || errno != 0 || (n < 1 && n != -1) ||
	        n > INT_MAX)
		return sl_registry_error(err, 42202,
		        "The specified version '%s' is not a valid version id. Allowed values are "
		        "between [1, 2^31-1] and the string \"latest\"",
		        v != NULL ? v : "");
	*out = (int)n;
	return 0;
}

int sl_store_get_version(struct sl_store *st, const char *qs, int version, bool deleted,
        struct sl_schema_info *out, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct subject *s;
	struct version *v;
	int rc = sl_st_split_qs(qs, &q, err);

	if (rc != 0)
		return rc;
	pthread_rwlock_rdlock(&st->lock);
	s = subj_get(ctx_get(st, q.context), q.subject);
	if (!(deleted ? subj_exists(s) : subj_has_live(s))) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", qs);
		goto out;
	}
	v = version < 0 ? ver_latest(s, deleted) : ver_find(s, version);
	if (v == NULL || (v->deleted && !deleted)) {
		if (version < 0)
			rc = sl_registry_error(err, 40402, "Version latest not found.");
		else
			rc = sl_registry_error(err, 40402, "Version %d not found.", version);
		goto out;
	}
	rc = fill_info(out, q.context, s, v, NULL) != 0 ? sl_st_nomem(err) : 0;
out:
	pthread_rwlock_unlock(&st->lock);
	sl_qsubject_release(&q);
	return rc;
}

static bool version_selected(const struct version *v, unsigned flags)
{
	if (flags & SL_LIST_DELETED_ONLY)
		return v->deleted;
	return !v->deleted || (flags & (SL_LIST_DELETED | SL_LIST_DELETED_NEGATIVE));
}

int sl_store_list_versions(struct sl_store *st, const char *qs, unsigned flags, int **out,
        size_t *n, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct subject *s;
	int rc = sl_st_split_qs(qs, &q, err);

	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	pthread_rwlock_rdlock(&st->lock);
	s = subj_get(ctx_get(st, q.context), q.subject);
	for (size_t i = 0; s != NULL && i < s->versions.len; i++)
		if (version_selected(ver_at(s, i), flags))
			(*n)++;
	if (*n == 0 && !((flags & SL_LIST_DELETED_ONLY) && subj_exists(s))) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", qs);
		goto out;
	}
	*out = calloc(*n ? *n : 1, sizeof(int));
	if (*out == NULL) {
		rc = sl_st_nomem(err);
		goto out;
	}
	*n = 0;
	for (size_t i = 0; s != NULL && i < s->versions.len; i++) {
		struct version *v = ver_at(s, i);

		if (version_selected(v, flags))
			(*out)[(*n)++] = v->deleted && (flags & SL_LIST_DELETED_NEGATIVE)
			                         ? -v->version
			                         : v->version;
	}
out:
	pthread_rwlock_unlock(&st->lock);
	sl_qsubject_release(&q);
	return rc;
}

/* A parsed subjectPrefix: a context (NULL = every context) and a name prefix. */
struct prefix {
	struct sl_qsubject q;
	const char *ctx;
	const char *name;
};

static int prefix_parse(const char *p, struct prefix *pf, struct sl_error *err)
{
	memset(pf, 0, sizeof(*pf));
	if (sl_qsubject_parse(p, &pf->q, NULL) != 0) {
		sl_qsubject_release(&pf->q);
		return sl_registry_error(
		        err, 42208, "The specified subject '%s' is not a valid.", p);
	}
	pf->ctx = pf->q.wildcard ? NULL : pf->q.context;
	pf->name = pf->q.subject != NULL ? pf->q.subject : "";
	return 0;
}

static bool subject_selected(const struct subject *s, unsigned flags)
{
	bool live = subj_has_live(s);

	if (flags & SL_LIST_DELETED_ONLY)
		return subj_exists(s) && !live;
	return live || ((flags & SL_LIST_DELETED) && subj_exists(s));
}

static int cmp_info(const void *a, const void *b)
{
	const struct sl_schema_info *x = *(const struct sl_schema_info *const *)a;
	const struct sl_schema_info *y = *(const struct sl_schema_info *const *)b;
	int c = strcmp(x->subject, y->subject);

	return c != 0 ? c : (x->version > y->version) - (x->version < y->version);
}

/* Walks the subjects a prefix selects; for_subjects with schemas = false lists names. */
static int list_prefixed(struct sl_store *st, const char *prefix, unsigned flags, bool schemas,
        struct sl_vec *out, struct sl_error *err)
{
	struct prefix pf;
	size_t cpos = 0, spos;
	const char *key;
	void *cval, *sval;
	int rc = prefix_parse(prefix, &pf, err);

	if (rc != 0)
		return rc;
	pthread_rwlock_rdlock(&st->lock);
	while (rc == 0 && sl_strmap_next(&st->contexts, &cpos, &key, &cval)) {
		struct context *c = cval;

		if (pf.ctx != NULL && strcmp(pf.ctx, c->name) != 0)
			continue;
		spos = 0;
		while (rc == 0 && sl_strmap_next(&c->subjects, &spos, &key, &sval)) {
			struct subject *s = sval;

			if (strncmp(s->name, pf.name, strlen(pf.name)) != 0 ||
			        !subject_selected(s, flags))
				continue;
			if (!schemas) {
				char *qn = sl_qsubject_format(c->name, s->name);

				if (qn == NULL || sl_vec_push(out, qn) != 0) {
					free(qn);
					rc = sl_st_nomem(err);
				}
				continue;
			}
			for (size_t i = s->versions.len; rc == 0 && i > 0; i--) {
				struct version *v = ver_at(s, i - 1);

				if (v->deleted && !(flags & SL_LIST_DELETED))
					continue;
				if (push_info(out, c->name, s, v) != 0)
					rc = sl_st_nomem(err);
				if (flags & SL_LIST_LATEST_ONLY)
					break;
			}
		}
	}
	pthread_rwlock_unlock(&st->lock);
	sl_qsubject_release(&pf.q);
	if (rc == 0)
		sl_vec_sort(out, schemas ? cmp_info : sl_vec_cmp_str);
	return rc;
}

int sl_store_list_subjects(struct sl_store *st, const char *prefix, unsigned flags,
        struct sl_vec *out, struct sl_error *err)
{
	return list_prefixed(st, prefix != NULL ? prefix : ":*:", flags, false, out, err);
}

int sl_store_list_schemas(struct sl_store *st, const char *prefix, unsigned flags,
        struct sl_vec *out, struct sl_error *err)
{
	return list_prefixed(st, prefix != NULL ? prefix : "", flags, true, out, err);
}

static struct schema *schema_by_id(struct context *c, int id)
{
	char idbuf[16];
	struct schema *sch;

	if (c == NULL)
		return NULL;
	snprintf(idbuf, sizeof(idbuf), "%d", id);
	sch = sl_strmap_get(&c->by_id, idbuf, NULL);
	return sch != NULL && sch->uses > 0 ? sch : NULL;
}

/* The context an id lookup uses (§2.6): none -> default; qualified -> its context;
 * unqualified -> default, then each other context holding that subject and the id. */
static struct context *id_context(struct sl_store *st, int id, const char *subject)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct context *c = NULL;
	struct sl_vec names = SL_VEC_INIT;

	if (subject == NULL || subject[0] == '\0')
		return ctx_get(st, SL_DEFAULT_CONTEXT);
	if (sl_qsubject_parse(subject, &q, NULL) != 0 || q.wildcard)
		goto out;
	if (strncmp(subject, ":.", 2) == 0) {
		c = ctx_get(st, q.context);
		goto out;
	}
	c = ctx_get(st, SL_DEFAULT_CONTEXT);
	if (schema_by_id(c, id) != NULL)
		goto out;
	c = NULL;
	if (sl_strmap_keys(&st->contexts, &names) != 0)
		goto out;
	for (size_t i = 0; i < names.len; i++) {
		struct context *o = ctx_get(st, names.items[i]);

		if (subj_get(o, q.subject) != NULL && schema_by_id(o, id) != NULL) {
			c = o;
			break;
		}
	}
out:
	sl_vec_release(&names, NULL);
	sl_qsubject_release(&q);
	return c;
}

int sl_store_get_by_id(struct sl_store *st, int id, const char *subject, struct sl_schema_info *out,
        int *max_id, struct sl_error *err)
{
	struct context *c;
	struct schema *sch;
	int rc;

	pthread_rwlock_rdlock(&st->lock);
	c = id_context(st, id, subject);
	sch = schema_by_id(c, id);
	if (sch == NULL)
		rc = sl_registry_error(err, 40403, "Schema %d not found", id);
	else
		rc = fill_info(out, c->name, NULL, NULL, sch) != 0 ? sl_st_nomem(err) : 0;
	if (rc == 0 && max_id != NULL)
		*max_id = c->max_id;
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int sl_store_id_versions(struct sl_store *st, int id, const char *subject, bool deleted,
        struct sl_vec *out, struct sl_error *err)
{
	struct context *c;
	struct schema *sch;
	size_t pos = 0;
	const char *key;
	void *val;
	int rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	c = id_context(st, id, subject);
	sch = schema_by_id(c, id);
	while (sch != NULL && rc == 0 && sl_strmap_next(&c->subjects, &pos, &key, &val)) {
		struct subject *s = val;

		for (size_t i = 0; rc == 0 && i < s->versions.len; i++) {
			struct version *v = ver_at(s, i);

			if (v->schema == sch && (deleted || !v->deleted))
				rc = push_info(out, c->name, s, v) != 0 ? sl_st_nomem(err) : 0;
		}
	}
	if (rc == 0 && out->len == 0)
		rc = sl_registry_error(err, 40403, "Schema %d not found", id);
	pthread_rwlock_unlock(&st->lock);
	if (rc == 0)
		sl_vec_sort(out, cmp_info);
	return rc;
}
