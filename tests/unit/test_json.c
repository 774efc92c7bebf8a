/* test_json.c — a document streamed piece by piece is byte for byte what json_dumps gives;
 * strings, integers and booleans written without jansson values are valid JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/json.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes v through w, opening containers down to levels deep and adding what is below whole;
 * object members in sorted order with JSON_SORT_KEYS, else in insertion order. */
static void stream(struct sl_jsonw *w, const char *key, json_t *v, int levels)
{
	size_t i, n = 0;

	if (levels == 0 || !(json_is_object(v) || json_is_array(v))) {
		assert_int_equal(sl_jsonw_add(w, key, json_incref(v)), 0);
		return;
	}
	assert_int_equal(sl_jsonw_open(w, key, json_is_object(v) ? '{' : '['), 0);
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			stream(w, NULL, json_array_get(v, i), levels - 1);
	} else {
		const char **keys = calloc(json_object_size(v) + 1, sizeof(*keys));
		const char *k;
		json_t *m;

		assert_non_null(keys);
		json_object_foreach(v, k, m) keys[n++] = k;
		if (w->flags & JSON_SORT_KEYS)
			qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n; i++)
			stream(w, keys[i], json_object_get(v, keys[i]), levels - 1);
		free(keys);
	}
	assert_int_equal(sl_jsonw_close(w), 0);
}

static json_t *sample(void)
{
	json_t *root = json_object(), *objs = json_object(), *a = json_array();
	json_t *deep = json_pack("{s:[i,i,{s:s}],s:{},s:[],s:n,s:b,s:f}", "list", 1, 2, "x",
	        "line\nbreak \"quoted\" tab\t/slash", "emptyObj", "emptyArr", "nothing", "yes", 1,
	        "real", 0.25);

	json_object_set_new(root, "zeta", json_string("last"));
	json_object_set_new(root, "apiVersion", json_string("schemalink.io/v1alpha1"));
	json_object_set_new(objs, "SchemaLink/b", deep);
	json_object_set_new(objs, "SchemaLink/a", json_pack("{s:s,s:{}}", "r", "caf\xc3\xa9", "h"));
	json_object_set_new(objs, "Registry/\xe2\x82\xac", json_object());
	json_object_set_new(root, "objects", objs);
	json_array_append_new(a, json_pack("{s:s,s:[s,s]}", "what", "mode", "by", "k1", "k2"));
	json_array_append_new(a, json_array());
	json_array_append_new(a, json_integer(-7));
	json_object_set_new(root, "scopes", a);
	json_object_set_new(root, "empty", json_object());
	return root;
}

static void check(json_t *tree, size_t flags, int levels)
{
	struct sl_buf out = SL_BUF_INIT;
	struct sl_jsonw w;
	char *want = json_dumps(tree, flags | JSON_ENCODE_ANY);

	assert_non_null(want);
	sl_jsonw_init(&w, flags, sl_jsonw_to_buf, &out);
	stream(&w, NULL, tree, levels);
	assert_int_equal(sl_jsonw_finish(&w), 0);
	assert_string_equal(out.data, want);
	free(want);
	sl_buf_release(&out);
}

static void same_bytes_as_json_dumps(void **state)
{
	const size_t flags[] = {
	        JSON_INDENT(2) | JSON_SORT_KEYS,
	        JSON_INDENT(2) | JSON_PRESERVE_ORDER,
	        JSON_INDENT(4) | JSON_SORT_KEYS | JSON_ENSURE_ASCII,
	        JSON_INDENT(31),
	        0,
	        JSON_COMPACT | JSON_SORT_KEYS,
	        JSON_INDENT(3) | JSON_COMPACT | JSON_ESCAPE_SLASH,
	};
	json_t *tree = sample(), *empty_obj = json_object(), *empty_arr = json_array();
	size_t i;
	int levels;

	(void)state;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		for (levels = 0; levels <= 4; levels++) {
			check(tree, flags[i], levels);
			check(empty_obj, flags[i], levels);
			check(empty_arr, flags[i], levels);
		}
	}
	json_decref(tree);
	json_decref(empty_obj);
	json_decref(empty_arr);
}

/* As json_object_set_new would, a key that is not UTF-8 adds nothing (a NULL value fails the
 * document: misuse_and_sink_failures_stick). */
static void dropped_members_as_jansson_drops_them(void **state)
{
	struct sl_buf out = SL_BUF_INIT;
	struct sl_jsonw w;
	json_t *tree = json_object();
	char *want;

	(void)state;
	json_object_set_new(tree, "a", json_integer(1));
	json_object_set_new(tree, "bad\xff", json_integer(2));
	json_object_set_new(tree, "z", json_true());
	want = json_dumps(tree, JSON_INDENT(2));
	sl_jsonw_init(&w, JSON_INDENT(2), sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_add(&w, "a", json_integer(1)), 0);
	assert_int_equal(sl_jsonw_add(&w, "bad\xff", json_integer(2)), 0);
	assert_int_equal(sl_jsonw_add(&w, "z", json_true()), 0);
	assert_int_equal(sl_jsonw_close(&w), 0);
	assert_int_equal(sl_jsonw_finish(&w), 0);
	assert_string_equal(out.data, want);
	free(want);
	json_decref(tree);
	sl_buf_release(&out);
}

static int failing_sink(void *cls, const char *data, size_t len)
{
	int *budget = cls;

	(void)data;
	if (*budget < (int)len)
		return SL_EIO;
	*budget -= (int)len;
	return 0;
}

static void misuse_and_sink_failures_stick(void **state)
{
	struct sl_buf out = SL_BUF_INIT;
	struct sl_jsonw w;
	int budget = 10, i;

	(void)state;
	/* A key inside an array, none inside an object, an unknown container. */
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '['), 0);
	assert_int_equal(sl_jsonw_add(&w, "k", json_true()), SL_EINVAL);
	assert_int_equal(sl_jsonw_close(&w), SL_EINVAL);
	assert_int_equal(sl_jsonw_finish(&w), SL_EINVAL);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_add(&w, NULL, json_true()), SL_EINVAL);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '('), SL_EINVAL);
	/* A value that could not be built (json_string of bytes that are not UTF-8 is NULL) fails
	 * the document: a save never leaves an object out silently. */
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_add(&w, "bad", json_string("cut \xC3")), SL_ENOMEM);
	assert_int_equal(sl_jsonw_add(&w, "k", json_true()), SL_ENOMEM);
	assert_int_equal(sl_jsonw_close(&w), SL_ENOMEM);
	/* Left open; closed too often; a second document; too deep. */
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_finish(&w), SL_EINVAL);
	assert_int_equal(sl_jsonw_close(&w), 0);
	assert_int_equal(sl_jsonw_finish(&w), 0);
	assert_int_equal(sl_jsonw_close(&w), SL_EINVAL);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_add(&w, NULL, json_integer(1)), 0);
	assert_int_equal(sl_jsonw_add(&w, NULL, json_integer(2)), SL_EINVAL);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	for (i = 0; i < SL_JSONW_MAX_DEPTH; i++)
		assert_int_equal(sl_jsonw_open(&w, NULL, '['), 0);
	assert_int_equal(sl_jsonw_open(&w, NULL, '['), SL_EINVAL);
	/* The sink's failure is kept and returned by everything after it. */
	sl_jsonw_init(&w, JSON_INDENT(2), failing_sink, &budget);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_add(&w, "key", json_string("a value too long")), SL_EIO);
	assert_int_equal(sl_jsonw_add(&w, "k", json_true()), SL_EIO);
	assert_int_equal(sl_jsonw_close(&w), SL_EIO);
	assert_int_equal(sl_jsonw_finish(&w), SL_EIO);
	sl_buf_release(&out);
}

/* sl_jsonw_str/int/bool: the bytes json_dumps gives for valid text, and invalid UTF-8 or a
 * control character still yields a document jansson reads back. */
static void scalars_without_jansson_values(void **state)
{
	struct sl_buf out = SL_BUF_INIT;
	struct sl_jsonw w;
	json_t *want, *back;
	char *text;

	(void)state;
	sl_jsonw_init(&w, JSON_COMPACT, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_str(&w, "s", "a \"q\" \\ caf\xc3\xa9\n"), 0);
	assert_int_equal(sl_jsonw_int(&w, "n", -9007199254740993LL), 0);
	assert_int_equal(sl_jsonw_bool(&w, "t", true), 0);
	assert_int_equal(sl_jsonw_open(&w, "a", '['), 0);
	assert_int_equal(sl_jsonw_str(&w, NULL, NULL), 0);
	assert_int_equal(sl_jsonw_bool(&w, NULL, false), 0);
	assert_int_equal(sl_jsonw_null(&w, NULL), 0);
	assert_int_equal(sl_jsonw_str(&w, NULL, "plain / text"), 0);
	assert_int_equal(sl_jsonw_close(&w), 0);
	assert_int_equal(sl_jsonw_null(&w, "z"), 0);
	assert_int_equal(sl_jsonw_str(&w, "k\"ey", "v"), 0);
	assert_int_equal(sl_jsonw_close(&w), 0);
	assert_int_equal(sl_jsonw_finish(&w), 0);
	want = json_pack("{s:s,s:I,s:b,s:[s,b,n,s],s:n,s:s}", "s", "a \"q\" \\ caf\xc3\xa9\n", "n",
	        (json_int_t)-9007199254740993LL, "t", 1, "a", "", 0, "plain / text", "z", "k\"ey",
	        "v");
	text = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(out.data, text);
	free(text);
	/* Indented, and with '/' escaped in keys as jansson escapes it there. */
	sl_buf_reset(&out);
	sl_jsonw_init(&w, JSON_INDENT(2) | JSON_ESCAPE_SLASH, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
	assert_int_equal(sl_jsonw_str(&w, "a/b", "x"), 0);
	assert_int_equal(sl_jsonw_null(&w, "n"), 0);
	assert_int_equal(sl_jsonw_close(&w), 0);
	json_decref(want);
	want = json_pack("{s:s,s:n}", "a/b", "x", "n");
	text = json_dumps(want, JSON_INDENT(2) | JSON_ESCAPE_SLASH | JSON_PRESERVE_ORDER);
	assert_string_equal(out.data, text);
	free(text);
	json_decref(want);
	/* Keys and strings longer than one piece, deep in an indented document. */
	{
		char big[600];

		memset(big, 'k', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		sl_buf_reset(&out);
		sl_jsonw_init(&w, JSON_INDENT(4) | JSON_PRESERVE_ORDER, sl_jsonw_to_buf, &out);
		assert_int_equal(sl_jsonw_open(&w, NULL, '['), 0);
		assert_int_equal(sl_jsonw_open(&w, NULL, '{'), 0);
		assert_int_equal(sl_jsonw_open(&w, "deep", '{'), 0);
		assert_int_equal(sl_jsonw_str(&w, big, big), 0);
		assert_int_equal(sl_jsonw_int(&w, "m", INT64_MIN), 0);
		assert_int_equal(sl_jsonw_int(&w, "z", 0), 0);
		assert_int_equal(sl_jsonw_close(&w), 0);
		assert_int_equal(sl_jsonw_close(&w), 0);
		assert_int_equal(sl_jsonw_str(&w, NULL, big + 400), 0);
		assert_int_equal(sl_jsonw_close(&w), 0);
		want = json_pack("[{s:{s:s,s:I,s:I}},s]", "deep", big, big, "m",
		        (json_int_t)INT64_MIN, "z", (json_int_t)0, big + 400);
		text = json_dumps(want, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		assert_string_equal(out.data, text);
		free(text);
		json_decref(want);
	}
	/* Bytes that are not UTF-8 and a control character: still one valid string. */
	sl_buf_reset(&out);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_str(&w, NULL, "cut \xC3|\x01|\x7f"), 0);
	assert_int_equal(sl_jsonw_finish(&w), 0);
	assert_string_equal(out.data, "\"cut \\ufffd|\\u0001|\\u007f\"");
	back = json_loads(out.data, JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(back), "cut \xEF\xBF\xBD|\x01|\x7f");
	json_decref(back);
	/* A key where none belongs, and a second top-level value, fail as sl_jsonw_add does. */
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_open(&w, NULL, '['), 0);
	assert_int_equal(sl_jsonw_int(&w, "k", 1), SL_EINVAL);
	sl_jsonw_init(&w, 0, sl_jsonw_to_buf, &out);
	assert_int_equal(sl_jsonw_bool(&w, NULL, true), 0);
	assert_int_equal(sl_jsonw_str(&w, NULL, "x"), SL_EINVAL);
	sl_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(same_bytes_as_json_dumps),
	        cmocka_unit_test(dropped_members_as_jansson_drops_them),
	        cmocka_unit_test(misuse_and_sink_failures_stick),
	        cmocka_unit_test(scalars_without_jansson_values),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
