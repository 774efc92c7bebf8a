/* test_objects.c — the four kinds: enums, keys, positions, spec hashes, snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "schemalink/objects.h"

static void enums_parse_case_insensitively_and_print_canonically(void **state)
{
	enum sl_mode m;
	enum sl_compat c;
	enum sl_link_state s;
	enum sl_dest_mode d;
	struct sl_error e = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_mode_parse("readonly_override", &m, NULL), 0);
	assert_int_equal(m, SL_MODE_READONLY_OVERRIDE);
	assert_string_equal(sl_mode_name(m), "READONLY_OVERRIDE");
	assert_int_equal(sl_mode_parse("Inherit", &m, NULL), 0);
	assert_int_equal(m, SL_MODE_INHERIT);
	assert_int_equal(sl_compat_parse("full_transitive", &c, NULL), 0);
	assert_string_equal(sl_compat_name(c), "FULL_TRANSITIVE");
	assert_int_equal(sl_link_state_parse("PAUSED", &s, NULL), 0);
	assert_string_equal(sl_link_state_name(s), "Paused");
	assert_int_equal(sl_dest_mode_parse("unmanaged", &d, NULL), 0);
	assert_string_equal(sl_dest_mode_name(d), "Unmanaged");
	assert_int_equal(sl_mode_parse("IMPROT", &m, &e), SL_EINVAL);
	assert_string_equal(e.msg, "must be one of READWRITE, READONLY, READONLY_OVERRIDE, IMPORT, "
	                           "FORWARD, INHERIT (got \"IMPROT\")");
	assert_int_equal(sl_compat_parse("", &c, &e), SL_EINVAL);
	assert_int_equal(sl_mode_parse(NULL, &m, &e), SL_EINVAL);
	assert_string_equal(sl_mode_name(SL_MODE_UNSET), "");
}

static void kinds_are_case_sensitive(void **state)
{
	enum sl_kind k;
	struct sl_error e = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_kind_parse("SchemaLink", &k, NULL), 0);
	assert_int_equal(k, SL_KIND_SCHEMALINK);
	assert_int_equal(sl_kind_parse("schemalink", &k, &e), SL_EINVAL);
	assert_string_equal(e.msg, "must be one of Registry, SchemaLink, Context, Subject (got "
	                           "\"schemalink\")");
}

static void quote_escapes_and_cuts(void **state)
{
	char out[300];
	char long_s[400];

	(void)state;
	sl_quote("a\"b\\c\n\xff", out, sizeof(out));
	assert_string_equal(out, "\"a\\\"b\\\\c\\x0A\\xFF\"");
	memset(long_s, 'x', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	sl_quote(long_s, out, sizeof(out));
	assert_true(strlen(out) < 210);
	assert_non_null(strstr(out, "...\""));
}

static void new_objects_carry_defaults_and_keys(void **state)
{
	struct sl_object *l = sl_object_new(SL_KIND_SCHEMALINK, "src-to-tgt", "a.yaml");
	struct sl_object *r = sl_object_new(SL_KIND_REGISTRY, "source", "a.yaml");

	(void)state;
	assert_string_equal(l->key, "SchemaLink/src-to-tgt");
	assert_int_equal(l->link.context_type, SL_CONTEXT_CUSTOM);
	assert_int_equal(l->link.state, SL_LINK_RUNNING);
	assert_int_equal(l->link.destination_mode, SL_DEST_IMPORT);
	assert_true(l->link.self_heal_enabled);
	assert_int_equal(l->link.max_attempts_per_hour, 6);
	assert_string_equal(r->key, "Registry/source");
	assert_int_equal(r->registry.connect_timeout_ms, 5000);
	assert_int_equal(r->registry.request_timeout_ms, 30000);
	assert_int_equal(r->registry.reads_per_s, 50);
	assert_int_equal(r->registry.writes_per_s, 20);
	assert_int_equal(r->registry.mode, SL_MODE_UNSET);
	sl_object_free(l);
	sl_object_free(r);
	sl_object_free(NULL);
}

static void positions_fall_back_to_parents(void **state)
{
	struct sl_object *o = sl_object_new(SL_KIND_SCHEMALINK, "l", "links.yaml");
	struct sl_pos p;

	(void)state;
	o->line = 1;
	o->col = 1;
	assert_int_equal(sl_object_set_pos(o, "spec", 5, 1), 0);
	assert_int_equal(sl_object_set_pos(o, "spec.context", 13, 3), 0);
	assert_int_equal(sl_object_set_pos(o, "spec.subjects[1]", 9, 7), 0);
	p = sl_object_pos(o, "spec.context.name");
	assert_string_equal(p.file, "links.yaml");
	assert_int_equal(p.line, 13);
	assert_int_equal(p.col, 3);
	p = sl_object_pos(o, "spec.subjects[1]");
	assert_int_equal(p.line, 9);
	p = sl_object_pos(o, "spec.subjects[2]");
	assert_int_equal(p.line, 5);
	p = sl_object_pos(o, "metadata.name");
	assert_int_equal(p.line, 1);
	sl_object_free(o);
}

static void hash_is_stable_and_follows_the_spec(void **state)
{
	struct sl_object *a = sl_object_new(SL_KIND_REGISTRY, "source", "a.yaml");
	struct sl_object *b = sl_object_new(SL_KIND_REGISTRY, "source", "other.yaml");
	char h1[65];

	(void)state;
	a->registry.url = strdup("http://localhost:8081");
	b->registry.url = strdup("http://localhost:8081");
	sl_secret_ref_set(&a->registry.auth.password, SL_SECRET_FILE, "/run/secrets/p");
	sl_secret_ref_set(&b->registry.auth.password, SL_SECRET_FILE, "/run/secrets/p");
	assert_int_equal(sl_object_hash(a), 0);
	assert_int_equal(sl_object_hash(b), 0);
	assert_int_equal(strlen(a->spec_hash), 64);
	/* Where it was written does not matter; what it says does. */
	assert_string_equal(a->spec_hash, b->spec_hash);
	memcpy(h1, a->spec_hash, sizeof(h1));
	sl_secret_ref_set(&b->registry.auth.password, SL_SECRET_FILE, "/run/secrets/q");
	sl_object_hash(b);
	assert_string_not_equal(h1, b->spec_hash);
	b->registry.mode = SL_MODE_IMPORT;
	sl_object_hash(b);
	assert_string_not_equal(h1, b->spec_hash);
	/* A rate limit is part of the spec: a change remakes the registry's client. */
	memcpy(h1, a->spec_hash, sizeof(h1));
	a->registry.reads_per_s = 20;
	sl_object_hash(a);
	assert_string_not_equal(h1, a->spec_hash);
	memcpy(h1, a->spec_hash, sizeof(h1));
	a->registry.writes_per_s = 0;
	sl_object_hash(a);
	assert_string_not_equal(h1, a->spec_hash);
	sl_object_free(a);
	sl_object_free(b);
}

static void snapshot_refuses_duplicates_and_sorts(void **state)
{
	struct sl_snapshot *s = sl_snapshot_new();
	struct sl_error e = SL_ERROR_INIT;
	struct sl_object *dup;

	(void)state;
	assert_int_equal(sl_snapshot_add(s, sl_object_new(SL_KIND_SCHEMALINK, "b", "f"), NULL), 0);
	assert_int_equal(sl_snapshot_add(s, sl_object_new(SL_KIND_REGISTRY, "z", "f"), NULL), 0);
	assert_int_equal(sl_snapshot_add(s, sl_object_new(SL_KIND_REGISTRY, "a", "f"), NULL), 0);
	assert_int_equal(sl_snapshot_add(s, sl_object_new(SL_KIND_CONTEXT, "a", "f"), NULL), 0);
	dup = sl_object_new(SL_KIND_REGISTRY, "a", "g");
	assert_int_equal(sl_snapshot_add(s, dup, &e), SL_EEXIST);
	assert_string_equal(e.msg, "Registry/a is declared twice");
	sl_object_free(dup);
	assert_int_equal(sl_snapshot_seal(s), 0);
	assert_int_equal(sl_snapshot_count(s), 4);
	assert_string_equal(sl_snapshot_at(s, 0)->key, "Registry/a");
	assert_string_equal(sl_snapshot_at(s, 1)->key, "Registry/z");
	assert_string_equal(sl_snapshot_at(s, 2)->key, "Context/a");
	assert_string_equal(sl_snapshot_at(s, 3)->key, "SchemaLink/b");
	assert_null(sl_snapshot_at(s, 4));
	assert_non_null(sl_snapshot_get(s, SL_KIND_CONTEXT, "a"));
	assert_null(sl_snapshot_get(s, SL_KIND_SUBJECT, "a"));
	assert_int_equal(strlen(sl_snapshot_at(s, 0)->spec_hash), 64);
	dup = sl_object_new(SL_KIND_SUBJECT, "new", "f");
	assert_int_equal(sl_snapshot_add(s, dup, &e), SL_ESTATE);
	sl_object_free(dup);
	sl_snapshot_free(s);
	sl_snapshot_free(NULL);
}

/* Every sealed snapshot gets its own id, also one allocated where a freed one lived (the
 * engine keys its per-snapshot caches on it); sealing again keeps it. */
static void snapshot_ids_are_unique(void **state)
{
	struct sl_snapshot *a = sl_snapshot_new(), *b;
	uint64_t first, second;

	(void)state;
	assert_int_equal(a->id, 0);
	assert_int_equal(sl_snapshot_seal(a), 0);
	first = a->id;
	assert_true(first != 0);
	assert_int_equal(sl_snapshot_seal(a), 0);
	assert_true(a->id == first);
	sl_snapshot_free(a);
	b = sl_snapshot_new();
	assert_int_equal(sl_snapshot_seal(b), 0);
	second = b->id;
	assert_true(second != 0 && second != first);
	sl_snapshot_free(b);
}

/* The daemon drops the positions once the diagnostics are given: the hash (the generation)
 * does not change, and a position falls back to the document's start. */
static void snapshot_drop_positions(void **state)
{
	struct sl_snapshot *s = sl_snapshot_new();
	struct sl_object *o = sl_object_new(SL_KIND_SCHEMALINK, "l", "links.yaml");
	char before[65];

	(void)state;
	o->line = 3;
	o->col = 1;
	assert_int_equal(sl_object_set_pos(o, "spec.context", 13, 3), 0);
	assert_int_equal(sl_snapshot_add(s, o, NULL), 0);
	assert_int_equal(sl_snapshot_seal(s), 0);
	memcpy(before, o->spec_hash, sizeof(before));
	assert_int_equal(sl_object_pos(o, "spec.context").line, 13);
	sl_snapshot_drop_positions(s);
	assert_int_equal(o->fields.len, 0);
	assert_int_equal(sl_object_pos(o, "spec.context").line, 3);
	assert_int_equal(sl_object_hash(o), 0);
	assert_string_equal(o->spec_hash, before);
	sl_snapshot_drop_positions(s); /* twice: nothing left to free */
	sl_snapshot_drop_positions(NULL);
	sl_snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(enums_parse_case_insensitively_and_print_canonically),
	        cmocka_unit_test(kinds_are_case_sensitive),
	        cmocka_unit_test(quote_escapes_and_cuts),
	        cmocka_unit_test(new_objects_carry_defaults_and_keys),
	        cmocka_unit_test(positions_fall_back_to_parents),
	        cmocka_unit_test(hash_is_stable_and_follows_the_spec),
	        cmocka_unit_test(snapshot_refuses_duplicates_and_sorts),
	        cmocka_unit_test(snapshot_ids_are_unique),
	        cmocka_unit_test(snapshot_drop_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
