/*
 * store_journal.c — the store's journal records: writing one per decided write (and waiting
 * for its group fsync once the lock is released), the records of other modules, and replaying
 * them all at start (see store.h and journal.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/journal.h"

#include "store_int.h"

/* A journal failure surfaces as a store error; the detail is kept for the operator. */
static int store_io(struct sl_error *err)
{
	char detail[SL_ERROR_MSG_MAX];

	snprintf(detail, sizeof(detail), "%s", err != NULL ? err->msg : "");
	return sl_registry_error(err, 50001, "Error in the backend data store: %s", detail);
}

/* Writes rec (taken) to the journal, under the write lock. *seq = 0 without a journal. */
int sl_st_journal_write(struct sl_store *st, json_t *rec, uint64_t *seq, struct sl_error *err)
{
	char *text = NULL;
	int rc = 0;

	*seq = 0;
	if (rec == NULL)
		return sl_st_nomem(err);
	if (st->journal != NULL) {
		text = json_dumps(rec, JSON_COMPACT);
		if (text == NULL)
			rc = sl_st_nomem(err);
		else if (sl_journal_append(st->journal, text, strlen(text), seq, err) != 0)
			rc = store_io(err);
	}
	free(text);
	json_decref(rec);
	return rc;
}

/* Waits for the group fsync of seq, after the store lock was released. */
int sl_st_journal_wait(
        struct sl_store *st, struct sl_journal *j, uint64_t seq, struct sl_error *err)
{
	(void)st;
	if (j == NULL || seq == 0)
		return 0;
	if (sl_journal_sync(j, seq, err) != 0)
		return store_io(err);
	return 0;
}

int sl_store_journal_extra(struct sl_store *st, const char *rec, size_t len, struct sl_error *err)
{
	struct sl_journal *j;
	uint64_t seq = 0;
	int rc = 0;

	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	if (j != NULL && sl_journal_append(j, rec, len, &seq, err) != 0)
		rc = store_io(err);
	pthread_rwlock_unlock(&st->lock);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}

/* ---------- journal records ---------- */

json_t *sl_st_scope_json(const struct sl_scope *sc)
{
	return json_pack("{s:i, s:s?, s:s?}", "kind", (int)sc->kind, "ctx", sc->context, "subj",
	        sc->subject);
}

json_t *sl_st_refs_json(const struct sl_schema_ref *refs, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_pack("[s, s, i]", refs[i].name, refs[i].subject,
		                                     refs[i].version)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Applies a "register" record. Caller holds st->lock for writing. */
static int replay_register(struct sl_store *st, json_t *root, struct sl_error *err)
{
	json_error_t jerr;
	json_t *refs_j = NULL;
	const char *ctx = NULL, *subj = NULL, *type = NULL, *text = NULL;
	struct sl_schema_ref *refs = NULL;
	size_t nrefs = 0;
	int version = 0, id = 0, rc = 0;

	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:s, s:i, s:i, s:s, s:s, s:o}", "ctx", &ctx,
	            "subj", &subj, "ver", &version, "id", &id, "type", &type, "schema", &text,
	            "refs", &refs_j) != 0 ||
	        !json_is_array(refs_j))
		return sl_error_set(err, SL_EINVAL, "bad register record: %s", jerr.text);
	nrefs = json_array_size(refs_j);
	refs = nrefs ? calloc(nrefs, sizeof(*refs)) : NULL;
	for (size_t i = 0; i < nrefs && rc == 0; i++) {
		const char *n = NULL, *s = NULL;

		if (refs == NULL || json_unpack(json_array_get(refs_j, i), "[s, s, i]", &n, &s,
		                            &refs[i].version) != 0)
			rc = sl_error_set(err, SL_EINVAL, "bad reference in record");
		else {
			refs[i].name = (char *)(uintptr_t)n;
			refs[i].subject = (char *)(uintptr_t)s;
		}
	}
	if (rc == 0 &&
	        sl_st_apply_register(st, ctx, subj, version, id, type, text, refs, nrefs) != 0)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	free(refs);
	return rc;
}

/* Applies a "mode" or "config" record (op). Caller holds st->lock for writing. */
static int replay_setting(struct sl_store *st, json_t *root, const char *op, struct sl_error *err)
{
	struct sl_scope sc = SL_SCOPE_INIT;
	json_t *scope_j;
	const char *mode_s, *compat_s, *ctx, *subj;
	int purge, recursive, kind, rc = 0;
	bool is_mode = op[0] == 'm';

	/* Absent and null members both mean "none" (jansson's "s?s" rejects null). */
	scope_j = json_object_get(root, "scope");
	mode_s = json_string_value(json_object_get(root, "mode"));
	compat_s = json_string_value(json_object_get(root, "compat"));
	purge = json_is_true(json_object_get(root, "purge"));
	recursive = json_is_true(json_object_get(root, "recursive"));
	ctx = json_string_value(json_object_get(scope_j, "ctx"));
	subj = json_string_value(json_object_get(scope_j, "subj"));
	kind = (int)json_integer_value(json_object_get(scope_j, "kind"));
	if (!json_is_object(scope_j) || !json_is_integer(json_object_get(scope_j, "kind")) ||
	        kind < SL_SCOPE_TOP || kind > SL_SCOPE_SUBJECT)
		return sl_error_set(err, SL_EINVAL, "bad %s record", op);
	sc.kind = (enum sl_scope_kind)kind;
	sc.context = (char *)(uintptr_t)ctx;
	sc.subject = (char *)(uintptr_t)subj;
	if ((sc.kind != SL_SCOPE_GLOBAL && ctx == NULL) ||
	        (sc.kind == SL_SCOPE_SUBJECT && subj == NULL))
		rc = sl_error_set(err, SL_EINVAL, "bad %s record scope", op);
	else if (is_mode)
		rc = sl_st_apply_mode(
		        st, &sc, mode_s ? sl_st_parse_mode(mode_s) : MODE_UNSET, purge, recursive);
	else
		rc = sl_st_apply_config(st, &sc, compat_s ? sl_st_parse_compat(compat_s) : 0);
	if (rc != 0)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	return rc;
}

int sl_store_replay(struct sl_store *st, const char *rec, size_t len, struct sl_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(rec, len, 0, &jerr);
	const char *op = NULL, *ctx = NULL, *subj = NULL;
	int version = 0, perm = 0, rc = 0;

	if (root == NULL)
		return sl_error_set(err, SL_EINVAL, "record is not JSON: %s", jerr.text);
	if (json_unpack(root, "{s:s}", "op", &op) != 0) {
		rc = sl_error_set(err, SL_EINVAL, "record has no \"op\"");
		goto out;
	}
	pthread_rwlock_wrlock(&st->lock);
	if (strcmp(op, "register") == 0) {
		rc = replay_register(st, root, err);
	} else if (strcmp(op, "delete_version") == 0) {
		if (json_unpack(root, "{s:s, s:s, s:i, s:b}", "ctx", &ctx, "subj", &subj, "ver",
		            &version, "perm", &perm) != 0)
			rc = sl_error_set(err, SL_EINVAL, "bad delete_version record");
		else
			sl_st_apply_delete_version(st, ctx, subj, version, perm);
	} else if (strcmp(op, "delete_subject") == 0) {
		if (json_unpack(root, "{s:s, s:s, s:b}", "ctx", &ctx, "subj", &subj, "perm",
		            &perm) != 0)
			rc = sl_error_set(err, SL_EINVAL, "bad delete_subject record");
		else
			sl_st_apply_delete_subject(st, ctx, subj, perm);
	} else if (strcmp(op, "mode") == 0 || strcmp(op, "config") == 0) {
		rc = replay_setting(st, root, op, err);
	} else if (strcmp(op, "delete_context") == 0) {
		if (json_unpack(root, "{s:s}", "ctx", &ctx) != 0)
			rc = sl_error_set(err, SL_EINVAL, "bad delete_context record");
		else
			sl_st_apply_delete_context(st, ctx);
	} else {
		rc = sl_error_set(err, SL_EUNSUP, "unknown journal op \"%s\"", op);
	}
	pthread_rwlock_unlock(&st->lock);
out:
	json_decref(root);
	return rc;
}
