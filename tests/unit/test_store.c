/* test_store.c — registry state: ids, versions, deletes, modes, config, contexts, replay. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemalink/journal.h"
#include "schemalink/store.h"

static struct sl_schema_input avro(const char *text)
{
	struct sl_schema_input in = {"AVRO", text, NULL, 0};

	return in;
}

/* Registers and returns the id (asserting success); *ver (optional) gets the version. */
static int reg(struct sl_store *st, const char *qs, const char *text, int *ver)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_input in = avro(text);
	int id = 0, v = 0;

	if (sl_store_register(st, qs, &in, -1, -1, &id, &v, &err) != 0)
		fail_msg("register %s: %s", qs, err.msg);
	if (ver != NULL)
		*ver = v;
	return id;
}

/* Registers expecting a registry error; returns its code and copies the message. */
static int reg_err(
        struct sl_store *st, const char *qs, const char *text, int id, int version, char *msg)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_input in = avro(text);
	int oid = 0, ov = 0;

	if (sl_store_register(st, qs, &in, id, version, &oid, &ov, &err) == 0)
		return 0;
	if (msg != NULL)
		strcpy(msg, err.msg);
	return err.registry_code;
}

static void set_mode(struct sl_store *st, const char *s, const char *mode, bool force, int want)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_scope sc;
	const char *out = NULL;

	assert_int_equal(sl_scope_parse(s, &sc, &err), 0);
	sl_store_set_mode(st, &sc, mode, force, &out, &err);
	assert_int_equal(err.registry_code, want);
	sl_scope_release(&sc);
}

static const char *get_mode(struct sl_store *st, const char *s, bool dtg, int *code)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_scope sc;
	const char *out = NULL;

	assert_int_equal(sl_scope_parse(s, &sc, &err), 0);
	sl_store_get_mode(st, &sc, dtg, &out, &err);
	*code = err.registry_code;
	sl_scope_release(&sc);
	return out;
}

static void ids_per_context_and_reuse(void **state)
{
	struct sl_store *st = sl_store_new();
	int v;

	(void)state;
	assert_int_equal(reg(st, "a", "\"string\"", &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(reg(st, "b", "\"string\"", &v), 1); /* same schema, other subject */
	assert_int_equal(v, 1);
	assert_int_equal(reg(st, "a", "\"int\"", &v), 2);
	assert_int_equal(v, 2);
	assert_int_equal(reg(st, "a", "\"string\"", &v), 1); /* re-registration */
	assert_int_equal(v, 1);
	/* Another context counts from 1. */
	assert_int_equal(reg(st, ":.c1:a", "\"long\"", &v), 1);
	assert_int_equal(reg(st, ":.c1:b", "\"string\"", &v), 2);
	assert_int_equal(sl_store_changes_count(st), 5);
	sl_store_free(st);
}

static void versions_get_latest_and_errors(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info;
	int *vs = NULL, v;
	size_t n;

	(void)state;
	reg(st, "s", "\"int\"", NULL);
	reg(st, "s", "\"long\"", NULL);
	assert_int_equal(sl_store_get_version(st, "s", -1, false, &info, &err), 0);
	assert_int_equal(info.version, 2);
	assert_string_equal(info.schema, "\"long\"");
	assert_string_equal(info.subject, "s");
	sl_schema_info_release(&info);
	assert_int_equal(sl_store_get_version(st, "s", 3, false, &info, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40402);
	assert_string_equal(err.msg, "Version 3 not found.");
	assert_int_equal(sl_store_get_version(st, "nope", 1, false, &info, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40401);
	assert_string_equal(err.msg, "Subject 'nope' not found.");
	assert_int_equal(err.http_status, 404);
	assert_int_equal(sl_version_parse("latest", &v, &err), 0);
	assert_int_equal(v, -1);
	assert_int_equal(sl_version_parse("-1", &v, &err), 0);
	assert_int_equal(sl_version_parse("0", &v, &err), SL_EINVAL);
	assert_int_equal(err.registry_code, 42202);
	assert_int_equal(err.http_status, 422);
	assert_int_equal(sl_version_parse("x", &v, &err), SL_EINVAL);
	assert_int_equal(sl_version_parse("2147483648", &v, &err), SL_EINVAL);
	assert_int_equal(sl_store_list_versions(st, "s", 0, &vs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vs[0], 1);
	assert_int_equal(vs[1], 2);
	free(vs);
	sl_store_free(st);
}

static void soft_and_permanent_deletes(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info;
	struct sl_vec names = SL_VEC_INIT;
	int *vs = NULL, dv = 0;
	size_t n;

	(void)state;
	reg(st, "s", "\"int\"", NULL);
	reg(st, "s", "\"long\"", NULL);
	/* Permanent before soft: 40407. */
	assert_int_equal(sl_store_delete_version(st, "s", 1, true, &dv, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40407);
	assert_int_equal(sl_store_delete_version(st, "s", 1, false, &dv, &err), 0);
	assert_int_equal(dv, 1);
	assert_int_equal(sl_store_delete_version(st, "s", 1, false, &dv, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40406);
	assert_int_equal(sl_store_delete_version(st, "s", 7, false, &dv, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40402);
	/* Soft-deleted versions are visible only with deleted. */
	assert_int_equal(sl_store_get_version(st, "s", 1, false, &info, &err), SL_ENOENT);
	assert_int_equal(sl_store_get_version(st, "s", 1, true, &info, &err), 0);
	assert_true(info.deleted);
	sl_schema_info_release(&info);
	assert_int_equal(
	        sl_store_list_versions(st, "s", SL_LIST_DELETED_NEGATIVE, &vs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vs[0], -1);
	free(vs);
	/* Subject: permanent first -> 40405; soft -> [2]; soft again -> 40404. */
	assert_int_equal(sl_store_delete_subject(st, "s", true, &vs, &n, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40405);
	assert_int_equal(sl_store_delete_subject(st, "s", false, &vs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vs[0], 2);
	free(vs);
	assert_int_equal(sl_store_delete_subject(st, "s", false, &vs, &n, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40404);
	assert_int_equal(sl_store_list_subjects(st, NULL, 0, &names, &err), 0);
	assert_int_equal(names.len, 0);
	assert_int_equal(sl_store_list_subjects(st, NULL, SL_LIST_DELETED_ONLY, &names, &err), 0);
	assert_int_equal(names.len, 1);
	sl_vec_release(&names, free);
	assert_int_equal(sl_store_delete_subject(st, "s", true, &vs, &n, &err), 0);
	assert_int_equal(n, 2);
	free(vs);
	assert_int_equal(sl_store_delete_subject(st, "s", true, &vs, &n, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40401);
	/* The id is gone from lookups, but the same schema keeps its id when it comes back. */
	assert_int_equal(sl_store_get_by_id(st, 1, NULL, &info, NULL, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40403);
	assert_string_equal(err.msg, "Schema 1 not found");
	assert_int_equal(reg(st, "t", "\"int\"", NULL), 1);
	assert_int_equal(reg(st, "t", "\"bytes\"", NULL), 3);
	sl_store_free(st);
}

static void listing_rules(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec v = SL_VEC_INIT;

	(void)state;
	reg(st, "b", "\"int\"", NULL);
	reg(st, "a", "\"int\"", NULL);
	reg(st, ":.ctx1:foo", "\"int\"", NULL);
	reg(st, ":.ctx1:bar", "\"int\"", NULL);
	reg(st, ":.ctx2:foo", "\"int\"", NULL);
	assert_int_equal(sl_store_list_subjects(st, NULL, 0, &v, &err), 0);
	assert_int_equal(v.len, 5);
	assert_string_equal(v.items[0], ":.ctx1:bar");
	assert_string_equal(v.items[1], ":.ctx1:foo");
	assert_string_equal(v.items[2], ":.ctx2:foo");
	assert_string_equal(v.items[3], "a");
	assert_string_equal(v.items[4], "b");
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_subjects(st, "", 0, &v, &err), 0);
	assert_int_equal(v.len, 2);
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_subjects(st, ":.ctx1:", 0, &v, &err), 0);
	assert_int_equal(v.len, 2);
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_subjects(st, ":*:f", 0, &v, &err), 0);
	assert_int_equal(v.len, 2);
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_subjects(st, ":.ctx1:f", 0, &v, &err), 0);
	assert_int_equal(v.len, 1);
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_contexts(st, NULL, &v, &err), 0);
	assert_int_equal(v.len, 3);
	assert_string_equal(v.items[0], ".");
	assert_string_equal(v.items[2], ".ctx2");
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_list_schemas(st, NULL, 0, &v, &err), 0);
	assert_int_equal(v.len, 2); /* default context only */
	sl_vec_release(&v, sl_schema_info_free);
	sl_store_free(st);
}

static void schema_by_id_context_choice(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info;
	struct sl_vec v = SL_VEC_INIT;
	int max_id = 0;

	(void)state;
	reg(st, "x", "\"int\"", NULL);
	reg(st, ":.c:only", "\"long\"", NULL);
	reg(st, ":.c:only", "\"float\"", NULL);
	assert_int_equal(sl_store_get_by_id(st, 1, NULL, &info, &max_id, &err), 0);
	assert_string_equal(info.schema, "\"int\"");
	assert_int_equal(max_id, 1);
	sl_schema_info_release(&info);
	assert_int_equal(sl_store_get_by_id(st, 2, NULL, &info, NULL, &err), SL_ENOENT);
	assert_int_equal(sl_store_get_by_id(st, 2, ":.c:", &info, NULL, &err), 0);
	assert_string_equal(info.schema, "\"float\"");
	sl_schema_info_release(&info);
	/* Unqualified subject: default first, then contexts holding that subject. */
	assert_int_equal(sl_store_get_by_id(st, 2, "only", &info, NULL, &err), 0);
	assert_string_equal(info.schema, "\"float\"");
	sl_schema_info_release(&info);
	assert_int_equal(sl_store_get_by_id(st, 1, "only", &info, NULL, &err), 0);
	assert_string_equal(info.schema, "\"int\"");
	sl_schema_info_release(&info);
	assert_int_equal(sl_store_id_versions(st, 1, ":.c:", false, &v, &err), 0);
	assert_int_equal(v.len, 1);
	assert_string_equal(((struct sl_schema_info *)v.items[0])->subject, ":.c:only");
	sl_vec_release(&v, sl_schema_info_free);
	sl_store_free(st);
}

static void mode_precedence_and_import(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_schema_input in = avro("\"int\"");
	struct sl_error err = SL_ERROR_INIT;
	char msg[600];
	int code, id, v;

	(void)state;
	reg(st, "s", "\"string\"", NULL);
	reg(st, ":.c:s", "\"string\"", NULL);
	/* Top level READONLY blocks the default context only. */
	set_mode(st, NULL, "readonly", false, 0);
	assert_int_equal(reg_err(st, "s", "\"int\"", -1, -1, msg), 42205);
	assert_string_equal(msg, "Subject s in context  is in read-only mode");
	assert_int_equal(reg(st, ":.c:s", "\"int\"", NULL), 2);
	/* Subject beats context. */
	set_mode(st, "s", "READWRITE", false, 0);
	assert_int_equal(reg(st, "s", "\"int\"", NULL), 2);
	assert_string_equal(get_mode(st, "s", false, &code), "READWRITE");
	assert_null(get_mode(st, ":.c:", false, &code));
	assert_int_equal(code, 40409);
	assert_string_equal(get_mode(st, ":.c:", true, &code), "READWRITE");
	assert_string_equal(get_mode(st, NULL, false, &code), "READONLY");
	/* IMPORT needs an empty scope unless force; top level checks every context. */
	set_mode(st, ":.c:", "IMPORT", false, 42205);
	set_mode(st, NULL, "IMPORT", false, 42205);
	set_mode(st, ":.empty:", "IMPORT", false, 0);
	set_mode(st, ":.c:", "IMPORT", true, 0);
	set_mode(st, "x", "FORWARD", false, 42204);
	set_mode(st, "x", "bogus", false, 42204);
	/* In IMPORT: a new schema needs an id; re-registering an existing one is fine. */
	assert_int_equal(reg_err(st, ":.c:s", "\"long\"", -1, -1, msg), 42205);
	assert_string_equal(msg, "Subject :.c:s in context :.c: is not in read-write mode");
	assert_int_equal(reg(st, ":.c:s", "\"int\"", &v), 2);
	assert_int_equal(sl_store_register(st, ":.c:s",
	                         &(struct sl_schema_input){"AVRO", "\"long\"", NULL, 0}, 10, 5, &id,
	                         &v, &err),
	        0);
	assert_int_equal(id, 10);
	assert_int_equal(v, 5);
	/* Idempotent re-import; overwrite of id 10 by another schema refused. */
	assert_int_equal(sl_store_register(st, ":.c:s",
	                         &(struct sl_schema_input){"AVRO", "\"long\"", NULL, 0}, 10, 5, &id,
	                         &v, &err),
	        0);
	assert_int_equal(reg_err(st, ":.c:t", "\"double\"", 10, 1, msg), 42205);
	assert_string_equal(msg, "Overwrite new schema with id 10 in context .c is not permitted.");
	/* Ids continue after the imported one. */
	set_mode(st, ":.c:", "READWRITE", false, 0);
	assert_int_equal(reg(st, ":.c:t", "\"double\"", NULL), 11);
	/* Explicit id outside IMPORT. */
	assert_int_equal(reg_err(st, ":.c:t", "\"bytes\"", 20, -1, msg), 42205);
	assert_string_equal(msg, "Subject :.c:t is not in import mode");
	assert_int_equal(reg_err(st, ":.c:t", "\"bytes\"", -1, 5, msg), 42201);
	(void)in;
	sl_store_free(st);
}

static void import_purges_soft_deleted(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	int *vs = NULL;
	size_t n;

	(void)state;
	reg(st, "s", "\"int\"", NULL);
	assert_int_equal(sl_store_delete_subject(st, "s", false, &vs, &n, &err), 0);
	free(vs);
	set_mode(st, NULL, "IMPORT", false, 0);
	assert_int_equal(
	        sl_store_list_versions(st, "s", SL_LIST_DELETED, &vs, &n, &err), SL_ENOENT);
	sl_store_free(st);
}

static void config_levels(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_scope top, sub, ctx;
	const char *lvl = NULL;

	(void)state;
	assert_int_equal(sl_scope_parse(NULL, &top, &err), 0);
	assert_int_equal(sl_scope_parse("s", &sub, &err), 0);
	assert_int_equal(sl_scope_parse(":.c:", &ctx, &err), 0);
	assert_int_equal(ctx.kind, SL_SCOPE_CONTEXT);
	assert_int_equal(sl_store_get_config(st, &top, false, &lvl, &err), 0);
	assert_string_equal(lvl, "BACKWARD");
	assert_int_equal(sl_store_get_config(st, &sub, false, &lvl, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40408);
	assert_string_equal(
	        err.msg, "Subject 's' does not have subject-level compatibility configured");
	assert_int_equal(sl_store_set_config(st, &top, "full", &lvl, &err), 0);
	assert_string_equal(lvl, "FULL");
	assert_int_equal(sl_store_get_config(st, &sub, true, &lvl, &err), 0);
	assert_string_equal(lvl, "FULL");
	assert_int_equal(sl_store_set_config(st, &sub, "WRONG", &lvl, &err), SL_EINVAL);
	assert_int_equal(err.registry_code, 42203);
	assert_int_equal(sl_store_delete_config(st, &sub, &lvl, &err), SL_ENOENT);
	assert_int_equal(err.registry_code, 40401);
	assert_int_equal(sl_store_set_config(st, &sub, "NONE", &lvl, &err), 0);
	assert_int_equal(sl_store_delete_config(st, &sub, &lvl, &err), 0);
	assert_string_equal(lvl, "NONE");
	assert_int_equal(sl_store_delete_config(st, &top, &lvl, &err), 0);
	assert_string_equal(lvl, "FULL");
	sl_scope_release(&top);
	sl_scope_release(&sub);
	sl_scope_release(&ctx);
	assert_int_equal(sl_scope_parse("__GLOBAL", &sub, &err), SL_EINVAL);
	assert_int_equal(err.registry_code, 42208);
	sl_store_free(st);
}

static void contexts_delete(void **state)
{
	struct sl_store *st = sl_store_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec v = SL_VEC_INIT;
	int *vs = NULL;
	size_t n;

	(void)state;
	reg(st, ":.c:s", "\"int\"", NULL);
	assert_int_equal(sl_store_delete_subject(st, ":.c:s", false, &vs, &n, &err), 0);
	free(vs);
	assert_int_equal(sl_store_delete_context(st, ".c", &err), SL_EINVAL);
	assert_int_equal(err.registry_code, 42211);
	assert_string_equal(err.msg, "The specified context '.c' is not empty.");
	assert_int_equal(sl_store_delete_subject(st, ":.c:s", true, &vs, &n, &err), 0);
	free(vs);
	/* Emptied but still listed until deleted. */
	assert_int_equal(sl_store_list_contexts(st, NULL, &v, &err), 0);
	assert_int_equal(v.len, 2);
	sl_vec_release(&v, free);
	assert_int_equal(sl_store_delete_context(st, ":.c:", &err), 0);
	assert_int_equal(sl_store_list_contexts(st, NULL, &v, &err), 0);
	assert_int_equal(v.len, 1);
	sl_vec_release(&v, free);
	sl_store_free(st);
}

static int replay_cb(void *cls, const char *rec, size_t len, struct sl_error *err)
{
	return sl_store_replay(cls, rec, len, err);
}

static void journal_replay_restores_everything(void **state)
{
	char tmpl[] = "/tmp/slstore.XXXXXX", path[512];
	char *dir = mkdtemp(tmpl);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_store *st = sl_store_new();
	struct sl_journal *j = sl_journal_open(dir, replay_cb, st, NULL, &err);
	struct sl_schema_info info;
	struct sl_vec v = SL_VEC_INIT;
	int *vs = NULL, code;
	size_t n;

	(void)state;
	assert_non_null(j);
	sl_store_attach_journal(st, j);
	reg(st, "a", "\"int\"", NULL);
	reg(st, "a", "\"long\"", NULL);
	reg(st, ":.c:b", "\"int\"", NULL);
	assert_int_equal(sl_store_delete_subject(st, ":.c:b", false, &vs, &n, &err), 0);
	free(vs);
	set_mode(st, "a", "READONLY", false, 0);
	/* Scopes with NULL members (top level, global) and deletes (null mode) replay too. */
	set_mode(st, NULL, "READONLY", false, 0);
	set_mode(st, ":.__GLOBAL:", "READWRITE", false, 0);
	{
		struct sl_scope sc;
		const char *prev = NULL;

		assert_int_equal(sl_scope_parse(":.__GLOBAL:", &sc, &err), 0);
		assert_int_equal(sl_store_delete_mode(st, &sc, false, &prev, &err), 0);
		assert_string_equal(prev, "READWRITE");
		assert_int_equal(sl_store_set_config(st, &sc, "FULL", &prev, &err), 0);
		sl_scope_release(&sc);
	}
	sl_store_free(st);
	sl_journal_close(j);

	st = sl_store_new();
	j = sl_journal_open(dir, replay_cb, st, NULL, &err);
	assert_non_null(j);
	sl_store_attach_journal(st, j);
	assert_int_equal(sl_store_changes_count(st), 3);
	assert_int_equal(sl_store_get_version(st, "a", -1, false, &info, &err), 0);
	assert_int_equal(info.id, 2);
	sl_schema_info_release(&info);
	assert_string_equal(get_mode(st, "a", false, &code), "READONLY");
	assert_string_equal(get_mode(st, NULL, false, &code), "READONLY");
	assert_null(get_mode(st, ":.__GLOBAL:", false, &code));
	assert_int_equal(code, 40409);
	assert_int_equal(sl_store_list_subjects(st, NULL, SL_LIST_DELETED_ONLY, &v, &err), 0);
	assert_int_equal(v.len, 1);
	assert_string_equal(v.items[0], ":.c:b");
	sl_vec_release(&v, free);
	/* Id counters continue. */
	set_mode(st, NULL, "READWRITE", false, 0);
	assert_int_equal(reg(st, "z", "\"float\"", NULL), 3);
	sl_store_free(st);
	sl_journal_close(j);
	snprintf(path, sizeof(path), "%s/journal", dir);
	unlink(path);
	rmdir(dir);
}

struct par {
	struct sl_store *st;
	int base;
	int ids[25];
};

static void *par_reg(void *p)
{
	struct par *a = p;
	char text[64];

	for (int i = 0; i < 25; i++) {
		snprintf(text, sizeof(text), "{\"type\":\"fixed\",\"name\":\"f%d\",\"size\":1}",
		        a->base + i);
		a->ids[i] = reg(a->st, "par", text, NULL);
	}
	return NULL;
}

static void concurrent_registrations_distinct_ids(void **state)
{
	enum { NT = 8 };
	struct sl_store *st = sl_store_new();
	struct par args[NT];
	pthread_t th[NT];
	char seen[NT * 25 + 1] = {0};
	struct sl_vec changes = SL_VEC_INIT;
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	for (int i = 0; i < NT; i++) {
		args[i].st = st;
		args[i].base = i * 25;
		pthread_create(&th[i], NULL, par_reg, &args[i]);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NT; i++)
		for (int k = 0; k < 25; k++) {
			int id = args[i].ids[k];

			assert_true(id >= 1 && id <= NT * 25);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
		}
	assert_int_equal(sl_store_changes_wait(st, 0, 10), NT * 25);
	assert_int_equal(sl_store_changes_since(st, 190, 100, &changes, &err), 0);
	assert_int_equal(changes.len, 10);
	assert_int_equal(((struct sl_change *)changes.items[0])->index, 190);
	sl_vec_release(&changes, sl_change_free);
	sl_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ids_per_context_and_reuse),
	        cmocka_unit_test(versions_get_latest_and_errors),
	        cmocka_unit_test(soft_and_permanent_deletes),
	        cmocka_unit_test(listing_rules),
	        cmocka_unit_test(schema_by_id_context_choice),
	        cmocka_unit_test(mode_precedence_and_import),
	        cmocka_unit_test(import_purges_soft_deleted),
	        cmocka_unit_test(config_levels),
	        cmocka_unit_test(contexts_delete),
	        cmocka_unit_test(journal_replay_restores_everything),
	        cmocka_unit_test(concurrent_registrations_distinct_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
