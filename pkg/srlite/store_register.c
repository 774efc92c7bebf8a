/*
 * store_register.c — registering a schema under a subject (POST /subjects/{s}/versions): the
 * checks of modes, references, ids and versions, the journal record, and applying it, which
 * replay does too (see store.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"

#include "store_int.h"

int sl_st_apply_register(struct sl_store *st, const char *cname, const char *sname, int version,
        int id, const char *type, const char *text, const struct sl_schema_ref *refs, size_t nrefs)
{
	struct context *c = sl_st_ctx_ensure(st, cname);
	struct subject *s;
	struct schema *sch;
	struct version *v;
	char *key = NULL, idbuf[16];
	size_t pos;

	if (c == NULL)
		return SL_ENOMEM;
	key = sl_st_identity_key(type, text, refs, nrefs);
	if (key == NULL)
		return SL_ENOMEM;
	sch = sl_strmap_get(&c->by_key, key, NULL);
	if (sch == NULL) {
		sch = calloc(1, sizeof(*sch));
		if (sch == NULL)
			goto nomem;
		sch->id = id;
		sch->type = strdup(type);
		sch->text = strdup(text);
		sch->refs = sl_st_refs_copy(refs, nrefs);
		sch->nrefs = nrefs;
		sch->key = key;
		key = NULL;
		if (sch->type == NULL || sch->text == NULL || (nrefs > 0 && sch->refs == NULL) ||
		        sl_strmap_set(&c->by_key, sch->key, sch, NULL) != 0) {
			sl_st_schema_free(sch);
			goto nomem;
		}
		snprintf(idbuf, sizeof(idbuf), "%d", id);
		if (sl_strmap_set(&c->by_id, idbuf, sch, NULL) != 0)
			goto nomem;
		if (id > c->max_id)
			c->max_id = id;
	}
	free(key);
	s = sl_st_subj_ensure(c, sname);
	v = calloc(1, sizeof(*v));
	if (s == NULL || v == NULL) {
		free(v);
		return SL_ENOMEM;
	}
	v->version = version;
	v->schema = sch;
	sch->uses++;
	if (sl_vec_push(&s->versions, v) != 0) {
		sch->uses--;
		free(v);
		return SL_ENOMEM;
	}
	/* Keep ascending order: imports may arrive with any version number. */
	for (pos = s->versions.len - 1; pos > 0 && ver_at(s, pos - 1)->version > version; pos--)
		s->versions.items[pos] = s->versions.items[pos - 1];
	s->versions.items[pos] = v;
	c->listed = true;
	return sl_st_log_append(st, cname, sname, version, id);
nomem:
	free(key);
	return SL_ENOMEM;
}

static int check_refs(struct sl_store *st, const char *cname, const struct sl_schema_input *in,
        struct sl_error *err)
{
	for (size_t i = 0; i < in->nrefs; i++) {
		const struct sl_schema_ref *r = &in->refs[i];
		struct subject *s = sl_st_ref_target(st, cname, r, NULL);
		struct version *v = ver_find(s, r->version);

		if (v == NULL || v->deleted)
			return sl_registry_error(err, 42201,
			        "Invalid schema: reference '%s' to subject '%s' version %d does "
			        "not "
			        "exist",
			        r->name, r->subject, r->version);
	}
	return 0;
}

/* True, with the existing id and version, when the latest live version of s holding sch is one
 * the caller may get back: its id and version match the ones asked for (< 0: any). */
static bool already_registered(const struct subject *s, const struct schema *sch, int id,
        int version, int *id_out, int *version_out)
{
	if (sch == NULL || s == NULL)
		return false;
	for (size_t i = s->versions.len; i > 0; i--) {
		struct version *v = ver_at(s, i - 1);

		if (v->deleted || v->schema != sch)
			continue;
		if ((id < 0 || id == sch->id) && (version < 0 || version == v->version)) {
			*id_out = sch->id;
			*version_out = v->version;
			return true;
		}
		break;
	}
	return false;
}

/* The mode a registration needs: never a read-only one; IMPORT or FORWARD when it gives an id,
 * READWRITE when it does not. */
static int check_mode(struct sl_store *st, const struct sl_qsubject *q, const char *qs, int id,
        struct sl_error *err)
{
	int mode = sl_st_effective_mode_of(st, q->context, q->subject);
	char cbuf[300];
	const char *cdisp = sl_st_ctx_display(q->context, cbuf, sizeof(cbuf));

	if (mode == MODE_READONLY || mode == MODE_READONLY_OVERRIDE)
		return sl_registry_error(
		        err, 42205, "Subject %s in context %s is in read-only mode", qs, cdisp);
	if (id >= 0 && mode != MODE_IMPORT && mode != MODE_FORWARD)
		return sl_registry_error(err, 42205, "Subject %s is not in import mode", qs);
	if (id < 0 && mode != MODE_READWRITE)
		return sl_registry_error(err, 42205,
		        "Subject %s in context %s is not in read-write mode", qs, cdisp);
	return 0;
}

/* The highest version number s holds, soft-deleted ones included; 0 when none. */
static int latest_number(const struct subject *s)
{
	int latest = 0;

	for (size_t i = 0; s != NULL && i < s->versions.len; i++)
		if (ver_at(s, i)->version > latest)
			latest = ver_at(s, i)->version;
	return latest;
}

/* Picks *new_id and *version (in: the one asked for, < 0 = none) of a new registration of sch
 * (NULL: a schema context c does not hold yet) under subject s of context cname. An import
 * (id >= 0) keeps its id, which must be free or sch's own, and a version s does not hold; a
 * plain registration takes the next version and sch's id or the context's next one. */
static int pick_id_version(struct context *c, const struct subject *s, const struct schema *sch,
        const char *qs, const char *cname, int id, int *version, int *new_id, struct sl_error *err)
{
	int latest = latest_number(s);
	char idbuf[16];

	if (id >= 0) {
		struct schema *holder;

		if (id == 0)
			return sl_registry_error(err, 42201, "Invalid schema id 0: ids start at 1");
		snprintf(idbuf, sizeof(idbuf), "%d", id);
		holder = c != NULL ? sl_strmap_get(&c->by_id, idbuf, NULL) : NULL;
		if (holder != NULL && holder != sch)
			return sl_registry_error(err, 42205,
			        "Overwrite new schema with id %d in context %s is not permitted.",
			        id, cname);
		if (holder == NULL && sch != NULL)
			return sl_registry_error(err, 42207,
			        "Schema already registered with id %d instead of input id %d",
			        sch->id, id);
		if (*version >= 0 && ver_find(s, *version) != NULL)
			return sl_registry_error(err, 42205,
			        "Overwrite new schema with version %d of subject %s is not "
			        "permitted.",
			        *version, qs);
		if (*version < 0)
			*version = latest + 1;
		*new_id = id;
	} else {
		if (*version >= 0 && *version != latest + 1)
			return sl_registry_error(
			        err, 42201, "Version is not one more than previous version");
		*version = latest + 1;
		*new_id = sch != NULL ? sch->id : (c != NULL ? c->max_id : 0) + 1;
	}
	if (*version < 1)
		return sl_registry_error(err, 42202,
		        "The specified version '%d' is not a valid version id. Allowed values are "
		        "between [1, 2^31-1] and the string \"latest\"",
		        *version);
	return 0;
}

int sl_store_register(struct sl_store *st, const char *qs, const struct sl_schema_input *in, int id,
        int version, int *id_out, int *version_out, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sl_journal *j = NULL;
	struct context *c;
	struct subject *s;
	struct schema *sch = NULL;
	char *key = NULL;
	uint64_t seq = 0;
	int new_id = 0, rc;
	bool locked = false;

	rc = sl_st_split_qs(qs, &q, err);
	if (rc != 0)
		return rc;
	key = sl_st_identity_key(in->type, in->schema, in->refs, in->nrefs);
	if (key == NULL) {
		rc = sl_st_nomem(err);
		goto out;
	}
	pthread_rwlock_wrlock(&st->lock);
	locked = true;
	j = st->journal;
	c = ctx_get(st, q.context);
	s = subj_get(c, q.subject);
	if (c != NULL)
		sch = sl_strmap_get(&c->by_key, key, NULL);
	/* Re-registering a schema the subject already holds returns it, before any mode check. */
	if (already_registered(s, sch, id, version, id_out, version_out))
		goto out;
	rc = check_mode(st, &q, qs, id, err);
	if (rc == 0)
		rc = check_refs(st, q.context, in, err);
	if (rc == 0)
		rc = pick_id_version(c, s, sch, qs, q.context, id, &version, &new_id, err);
	if (rc != 0)
		goto out;
	rc = sl_st_journal_write(st,
	        json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:o}", "op", "register", "ctx",
	                q.context, "subj", q.subject, "ver", version, "id", new_id, "type",
	                in->type, "schema", in->schema, "refs",
	                sl_st_refs_json(in->refs, in->nrefs)),
	        &seq, err);
	if (rc != 0)
		goto out;
	if (sl_st_apply_register(st, q.context, q.subject, version, new_id, in->type, in->schema,
	            in->refs, in->nrefs) != 0) {
		rc = sl_st_nomem(err);
		goto out;
	}
	*id_out = new_id;
	*version_out = version;
out:
	if (locked)
		pthread_rwlock_unlock(&st->lock);
	free(key);
	sl_qsubject_release(&q);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}
