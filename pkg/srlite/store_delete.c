/*
 * store_delete.c — deleting subject versions and whole subjects, soft (hidden, kept) or
 * permanent (gone), with the checks of modes, references and the soft-before-permanent order,
 * and applying a deletion, which replay does too (see store.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "schemalink/qsubject.h"

#include "store_int.h"

void sl_st_apply_delete_version(
        struct sl_store *st, const char *cname, const char *sname, int version, bool permanent)
{
	struct context *c = ctx_get(st, cname);
	struct subject *s = subj_get(c, sname);

	for (size_t i = 0; s != NULL && i < s->versions.len; i++) {
		struct version *v = ver_at(s, i);

		if (v->version != version)
			continue;
		if (permanent)
			sl_st_drop_version(c, s, i);
		else
			v->deleted = true;
		break;
	}
	if (s != NULL)
		sl_st_subj_gc(c, s);
}

void sl_st_apply_delete_subject(
        struct sl_store *st, const char *cname, const char *sname, bool permanent)
{
	struct context *c = ctx_get(st, cname);
	struct subject *s = subj_get(c, sname);

	if (s == NULL)
		return;
	if (permanent) {
		while (s->versions.len > 0)
			sl_st_drop_version(c, s, s->versions.len - 1);
		/* A permanently deleted subject takes its mode and config with it. */
		s->mode = MODE_UNSET;
		s->compat = 0;
		sl_st_subj_gc(c, s);
	} else {
		for (size_t i = 0; i < s->versions.len; i++)
			ver_at(s, i)->deleted = true;
	}
}

static int check_writable(
        struct sl_store *st, const struct sl_qsubject *q, const char *qs, struct sl_error *err)
{
	int mode = sl_st_effective_mode_of(st, q->context, q->subject);
	char cbuf[300];

	if (mode == MODE_READONLY || mode == MODE_READONLY_OVERRIDE)
		return sl_registry_error(err, 42205,
		        "Subject %s in context %s is in read-only mode", qs,
		        sl_st_ctx_display(q->context, cbuf, sizeof(cbuf)));
	return 0;
}

int sl_store_delete_version(struct sl_store *st, const char *qs, int version, bool permanent,
        int *deleted_version, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sl_journal *j;
	struct context *c;
	struct subject *s;
	struct version *v;
	uint64_t seq = 0;
	int rc = sl_st_split_qs(qs, &q, err);

	if (rc != 0)
		return rc;
	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	c = ctx_get(st, q.context);
	s = subj_get(c, q.subject);
	if (!(permanent ? subj_exists(s) : subj_has_live(s))) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", qs);
		goto out;
	}
	rc = check_writable(st, &q, qs, err);
	if (rc != 0)
		goto out;
	v = version < 0 ? ver_latest(s, permanent) : ver_find(s, version);
	if (v == NULL) {
		if (version < 0)
			rc = sl_registry_error(err, 40402, "Version latest not found.");
		else
			rc = sl_registry_error(err, 40402, "Version %d not found.", version);
		goto out;
	}
	if (!permanent && v->deleted) {
		rc = sl_registry_error(err, 40406,
		        "Subject '%s' Version %d was soft deleted.Set permanent=true to delete "
		        "permanently",
		        qs, v->version);
		goto out;
	}
	if (permanent && !v->deleted) {
		rc = sl_registry_error(err, 40407,
		        "Subject '%s' Version %d was not deleted first before being permanently "
		        "deleted",
		        qs, v->version);
		goto out;
	}
	if (sl_st_is_referenced(st, c, s, v->version)) {
		rc = sl_st_referenced_error(err, qs, v->version);
		goto out;
	}
	*deleted_version = v->version;
	rc = sl_st_journal_write(st,
	        json_pack("{s:s, s:s, s:s, s:i, s:b}", "op", "delete_version", "ctx", q.context,
	                "subj", q.subject, "ver", v->version, "perm", permanent),
	        &seq, err);
	if (rc == 0)
		sl_st_apply_delete_version(st, q.context, q.subject, *deleted_version, permanent);
out:
	pthread_rwlock_unlock(&st->lock);
	sl_qsubject_release(&q);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}

int sl_store_delete_subject(struct sl_store *st, const char *qs, bool permanent, int **out,
        size_t *n, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sl_journal *j;
	struct context *c;
	struct subject *s;
	uint64_t seq = 0;
	int rc = sl_st_split_qs(qs, &q, err);

	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	c = ctx_get(st, q.context);
	s = subj_get(c, q.subject);
	if (!subj_exists(s)) {
		rc = sl_registry_error(err, 40401, "Subject '%s' not found.", qs);
		goto out;
	}
	rc = check_writable(st, &q, qs, err);
	if (rc != 0)
		goto out;
	if (!permanent && !subj_has_live(s)) {
		rc = sl_registry_error(err, 40404,
		        "Subject '%s' was soft deleted.Set permanent=true to delete permanently",
		        qs);
		goto out;
	}
	if (permanent && subj_has_live(s)) {
		rc = sl_registry_error(err, 40405,
		        "Subject '%s' was not deleted first before being permanently deleted", qs);
		goto out;
	}
	for (size_t i = 0; i < s->versions.len; i++) {
		struct version *v = ver_at(s, i);

		if (sl_st_is_referenced(st, c, s, v->version)) {
			rc = sl_st_referenced_error(err, qs, v->version);
			goto out;
		}
	}
	*out = calloc(s->versions.len, sizeof(int));
	if (*out == NULL) {
		rc = sl_st_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < s->versions.len; i++)
		if (permanent || !ver_at(s, i)->deleted)
			(*out)[(*n)++] = ver_at(s, i)->version;
	rc = sl_st_journal_write(st,
	        json_pack("{s:s, s:s, s:s, s:b}", "op", "delete_subject", "ctx", q.context, "subj",
	                q.subject, "perm", permanent),
	        &seq, err);
	if (rc == 0)
		sl_st_apply_delete_subject(st, q.context, q.subject, permanent);
out:
	pthread_rwlock_unlock(&st->lock);
	sl_qsubject_release(&q);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc;
	}
	rc = sl_st_journal_wait(st, j, seq, err);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
