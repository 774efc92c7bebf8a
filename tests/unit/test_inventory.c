/* test_inventory.c — records, packed statuses and the streamed inventory file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"
#include "schemalink/inventory.h"

struct fixture {
	char dir[256];
	char path[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sl-inv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/default/inventory.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char sub[300];

	unlink(f->path);
	snprintf(sub, sizeof(sub), "%s/default", f->dir);
	rmdir(sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void read_file(const char *path, struct sl_buf *out)
{
	sl_buf_reset(out);
	assert_int_equal(sl_file_read(path, 64 << 20, out, NULL), 0);
}

/* The file is exactly what json_dumps(JSON_INDENT(2) | JSON_SORT_KEYS) gives for its own
 * tree: the bytes the whole-tree save wrote before saves were streamed. */
static void assert_dumps_format(const struct sl_buf *text)
{
	json_error_t je;
	json_t *root = json_loadb(text->data, text->len, 0, &je);
	char *again;

	assert_non_null(root);
	again = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(again);
	assert_string_equal(text->data, again);
	free(again);
	json_decref(root);
}

static void link_status(struct sl_object_status *st, const char *key, int heals)
{
	int i;

	memset(st, 0, sizeof(*st));
	snprintf(st->key, sizeof(st->key), "%s", key);
	sl_status_set_condition(st, SL_COND_READY, SL_COND_FALSE, "ImportModeRequired",
	        "destination \"target\" is not in IMPORT mode", 42205, "abc123", 1700000000000);
	sl_status_set_condition(st, SL_COND_RECONCILING, SL_COND_TRUE, "ExporterStarting",
	        "waiting", 0, "abc123", 1700000000001);
	sl_status_set_condition(
	        st, SL_COND_STALLED, SL_COND_FALSE, "", "", 0, "older-gen", 1700000000002);
	snprintf(st->fix, sizeof(st->fix), "set spec.destinationMode: IMPORT");
	snprintf(st->exporter_state, sizeof(st->exporter_state), "PAUSED");
	st->exporter_offset = 41;
	st->exporter_ts = 1700000000123;
	snprintf(st->trace_first_line, sizeof(st->trace_first_line), "io.confluent: \"quoted\"\t");
	for (i = 0; i < heals; i++)
		sl_status_add_history(
		        st, 1700000000500 + i, "ExporterRecreated", "created caf\xc3\xa9");
	st->updated_ms = 1700000000999;
}

static void fill(struct sl_inventory *inv)
{
	struct sl_object_status st;
	struct sl_inv_object *o;
	char key[64];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "SchemaLink/link-%02d", (i * 17) % 40);
		o = sl_inventory_object_ensure(inv, key);
		assert_non_null(o);
		assert_int_equal(sl_inv_set_str(&o->registry, "source"), 0);
		assert_int_equal(sl_inv_set_str(&o->url, "http://127.0.0.1:8081"), 0);
		if (i % 3 != 0) {
			assert_int_equal(
			        sl_inv_set_str(&o->exporter, key + strlen("SchemaLink/")), 0);
			assert_int_equal(sl_strmap_set(&o->secret_hashes, "basic.auth.user.info",
			                         strdup("0f0e0d"), NULL),
			        0);
		}
		if (i % 4 == 1)
			assert_int_equal(sl_inv_object_add_attempt(o, 1700000000000 + i), 0);
		if (i % 5 != 0) {
			link_status(&st, key, i % SL_HEAL_HISTORY);
			assert_int_equal(sl_inv_object_set_status(o, &st), 0);
		}
	}
	o = sl_inventory_object_ensure(inv, "Registry/target");
	assert_non_null(o);
	assert_int_equal(sl_inventory_scope_need(inv, "target", "http://t", "mode",
	                         ":.source:", true, "READWRITE", "IMPORT", "SchemaLink/link-01"),
	        0);
	assert_int_equal(sl_inventory_scope_need(inv, "target", "http://t", "mode",
	                         ":.source:", true, "READWRITE", "IMPORT", "SchemaLink/link-02"),
	        0);
	assert_int_equal(sl_inventory_scope_need(inv, "source", NULL, "config", "", false, NULL,
	                         "BACKWARD", "Registry/target"),
	        0);
}

static void save_load_save_is_stable(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "default", &err), *back;
	struct sl_buf first = SL_BUF_INIT, second = SL_BUF_INIT;
	struct sl_object_status *want = calloc(1, sizeof(*want)), *got = calloc(1, sizeof(*got));
	struct stat sb;
	size_t i;

	assert_non_null(inv);
	assert_non_null(want);
	assert_non_null(got);
	fill(inv);
	assert_int_equal(sl_inventory_save(inv, &err), 0);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	read_file(f->path, &first);
	assert_dumps_format(&first);
	assert_non_null(strstr(first.data, "\"neededBy\": [\n"));

	back = sl_inventory_load(f->dir, "default", &err);
	assert_non_null(back);
	assert_int_equal(back->objects.len, inv->objects.len);
	assert_int_equal(back->scopes.len, 2);
	for (i = 0; i < 40; i++) {
		char key[64];
		const struct sl_inv_object *a, *b;

		snprintf(key, sizeof(key), "SchemaLink/link-%02zu", i);
		a = sl_inventory_object(inv, key);
		b = sl_inventory_object(back, key);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(a->n_attempts, b->n_attempts);
		if (a->n_attempts > 0)
			assert_memory_equal(a->attempts, b->attempts,
			        sizeof(a->attempts[0]) * (size_t)a->n_attempts);
		assert_int_equal(sl_inv_object_get_status(a, want) == 0,
		        sl_inv_object_get_status(b, got) == 0);
		if (a->status != NULL) {
			assert_memory_equal(want, got, sizeof(*want));
			assert_true(sl_inv_object_same_status(b, want));
		}
	}
	assert_int_equal(sl_inventory_save(back, &err), 0);
	read_file(f->path, &second);
	assert_string_equal(first.data, second.data);
	sl_inventory_free(inv);
	sl_inventory_free(back);
	sl_buf_release(&first);
	sl_buf_release(&second);
	free(want);
	free(got);
}

static void empty_inventory_file(void **state)
{
	struct fixture *f = *state;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "default", NULL);
	struct sl_buf text = SL_BUF_INIT;

	assert_non_null(inv);
	assert_int_equal(sl_inventory_save(inv, NULL), 0);
	read_file(f->path, &text);
	assert_string_equal(text.data, "{\n"
	                               "  \"apiVersion\": \"schemalink.io/v1alpha1\",\n"
	                               "  \"kind\": \"Inventory\",\n"
	                               "  \"objects\": {},\n"
	                               "  \"scopes\": [],\n"
	                               "  \"set\": \"default\"\n"
	                               "}");
	sl_inventory_free(inv);
	sl_buf_release(&text);
}

static void status_accessors(void **state)
{
	struct sl_inventory *inv = sl_inventory_load(NULL, NULL, NULL);
	struct sl_object_status *st = calloc(1, sizeof(*st)), *out = calloc(1, sizeof(*out));
	struct sl_inv_object *o;

	(void)state;
	assert_non_null(inv);
	assert_non_null(st);
	assert_non_null(out);
	o = sl_inventory_object_ensure(inv, "SchemaLink/x");
	assert_non_null(o);
	memset(out, 0x5a, sizeof(*out));
	assert_int_equal(sl_inv_object_get_status(o, out), SL_ENOENT);
	assert_int_equal(((unsigned char *)out)[0], 0x5a); /* untouched */
	link_status(st, "SchemaLink/x", 3);
	assert_false(sl_inv_object_same_status(o, st));
	assert_int_equal(sl_inv_object_set_status(o, st), 0);
	assert_true(sl_inv_object_same_status(o, st));
	st->updated_ms += 1000;
	assert_true(sl_inv_object_same_status(o, st));
	sl_status_add_history(st, 1, "ModeRestored", "set IMPORT");
	assert_false(sl_inv_object_same_status(o, st));
	assert_int_equal(sl_inv_object_set_status(o, st), 0);
	assert_int_equal(sl_inv_object_get_status(o, out), 0);
	assert_memory_equal(out, st, sizeof(*st));
	/* Heal attempts: the newest SL_INV_MAX_ATTEMPTS, oldest first. */
	assert_null(o->attempts);
	for (int i = 0; i < SL_INV_MAX_ATTEMPTS + 6; i++)
		assert_int_equal(sl_inv_object_add_attempt(o, 1000 + i), 0);
	assert_int_equal(o->n_attempts, SL_INV_MAX_ATTEMPTS);
	assert_int_equal(o->attempts[0], 1006);
	assert_int_equal(o->attempts[SL_INV_MAX_ATTEMPTS - 1], 1000 + SL_INV_MAX_ATTEMPTS + 5);
	/* In memory only: nothing to write. */
	assert_int_equal(sl_inventory_save(inv, NULL), 0);
	sl_inventory_object_remove(inv, "SchemaLink/x");
	sl_inventory_free(inv);
	free(st);
	free(out);
}

/* A save that cannot replace the file (a directory is in its place; root or not) fails with
 * SL_EIO and leaves no temporary file behind. */
static void failed_save_leaves_no_temp_file(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "default", NULL);
	char sub[300];
	DIR *d;
	struct dirent *e;
	int n = 0;

	assert_non_null(inv);
	fill(inv);
	assert_int_equal(sl_inventory_save(inv, NULL), 0);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(sl_inventory_save(inv, &err), SL_EIO);
	assert_non_null(strstr(err.msg, "inventory.json"));
	snprintf(sub, sizeof(sub), "%s/default", f->dir);
	d = opendir(sub);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 1);
	assert_int_equal(rmdir(f->path), 0);
	sl_inventory_free(inv);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(save_load_save_is_stable),
	        T(empty_inventory_file),
	        cmocka_unit_test(status_accessors),
	        T(failed_save_leaves_no_temp_file),
	};
#undef T
	return cmocka_run_group_tests_name("inventory", tests, NULL, NULL);
}
