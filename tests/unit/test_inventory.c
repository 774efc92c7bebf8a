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
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
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
	/* The streamed file is byte for byte what json_dumps gives for the same tree: compact,
	 * members sorted (docs/internals/architecture.md, inventory.json). */
	again = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
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

static char src_name[] = "source", src_url[] = "http://127.0.0.1:8081", src_cid[] = "kc1/srlite";
static char tgt_name[] = "target", tgt_url[] = "http://t", no_cid[] = "";
static struct sl_inv_where W_SRC = {src_name, src_url, src_cid};
static struct sl_inv_where W_TGT = {tgt_name, tgt_url, no_cid};

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
		if (i % 3 != 0) {
			assert_non_null(sl_inventory_own(inv, key, key + strlen("SchemaLink/"),
			        &W_SRC, i % 7 == 1, i % 7 == 2));
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
	assert_non_null(sl_inventory_scope_need(inv, &W_TGT, "mode", ":.source:", true, "READWRITE",
	        "IMPORT", "SchemaLink/link-01", false));
	assert_non_null(sl_inventory_scope_need(inv, &W_TGT, "mode", ":.source:", true, "READWRITE",
	        "IMPORT", "SchemaLink/link-02", false));
	assert_non_null(sl_inventory_scope_need(
	        inv, &W_SRC, "config", "", false, NULL, "BACKWARD", "Registry/target", true));
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
	assert_non_null(strstr(first.data, "\"neededBy\":[\""));

	back = sl_inventory_load(f->dir, "default", &err);
	assert_non_null(back);
	assert_int_equal(back->objects.len, inv->objects.len);
	assert_int_equal(back->owned.len, inv->owned.len);
	assert_int_equal(back->scopes.len, 2);
	{
		/* link-17 is the i = 1 of fill: owned, and its create still pending. */
		const struct sl_inv_owned *a =
		        sl_inventory_owned(back, W_SRC.url, "kc1/srlite", "link-17");
		const struct sl_inv_scope *sc =
		        sl_inventory_scope(back, "http://t", "mode", ":.source:");

		assert_non_null(a);
		assert_string_equal(a->key, "SchemaLink/link-17");
		assert_true(a->pending);
		assert_string_equal(a->at.registry, "source");
		assert_non_null(sc);
		assert_int_equal(sc->needed_by.len, 2);
		assert_string_equal(sc->previous, "READWRITE");
		assert_true(sl_inventory_scope(back, W_SRC.url, "config", "")->pending);
	}
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
	assert_string_equal(text.data,
	        "{\"apiVersion\":\"schemalink.io/v1alpha1\","
	        "\"kind\":\"Inventory\",\"objects\":{},\"owned\":{},"
	        "\"scopes\":{},\"seq\":0,\"set\":\"default\",\"version\":2}");
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

static void write_text(const char *path, const char *text)
{
	assert_int_equal(sl_file_write_atomic(path, text, strlen(text), 0600, NULL), 0);
}

/* Changes go to the journal, O(change); a reload sees the snapshot plus the journal. */
static void journal_replays_changes(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s1", &err), *back;
	struct sl_buf text = SL_BUF_INIT;
	char jpath[600];
	struct sl_inv_owned *o;

	assert_non_null(inv);
	assert_int_equal(sl_inventory_save(inv, &err), 0);
	o = sl_inventory_own(inv, "SchemaLink/a", "a", &W_SRC, true, false);
	assert_non_null(o);
	assert_non_null(sl_inventory_scope_need(
	        inv, &W_TGT, "mode", ":.a:", false, NULL, "IMPORT", "SchemaLink/a", true));
	assert_int_equal(sl_inventory_flush(inv, true, &err), 0);
	snprintf(jpath, sizeof(jpath), "%s/s1/journal.jsonl", f->dir);
	read_file(jpath, &text);
	assert_non_null(strstr(text.data, "\"op\":\"put\""));
	/* The pending create succeeded: one more line, the record confirmed. */
	o->pending = false;
	sl_inventory_owned_touch(inv, o->id);
	assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
	/* A flush with nothing changed appends nothing. */
	read_file(jpath, &text);
	{
		size_t before = text.len;

		assert_int_equal(sl_inventory_flush(inv, true, &err), 0);
		read_file(jpath, &text);
		assert_int_equal(text.len, before);
	}
	back = sl_inventory_load(f->dir, "s1", &err);
	assert_non_null(back);
	o = sl_inventory_owned(back, W_SRC.url, NULL, "a");
	assert_non_null(o);
	assert_false(o->pending);
	assert_true(sl_inventory_scope(back, "http://t", "mode", ":.a:")->pending);
	sl_inventory_free(back);
	/* Removal is journalled too. */
	sl_inventory_owned_remove(inv, sl_inventory_owned(inv, W_SRC.url, NULL, "a")->id);
	assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
	back = sl_inventory_load(f->dir, "s1", &err);
	assert_null(sl_inventory_owned(back, W_SRC.url, NULL, "a"));
	assert_non_null(sl_inventory_scope(back, "http://t", "mode", ":.a:"));
	sl_inventory_free(back);
	/* A snapshot folds the journal in and empties it. */
	assert_int_equal(sl_inventory_save(inv, &err), 0);
	read_file(jpath, &text);
	assert_int_equal(text.len, 0);
	back = sl_inventory_load(f->dir, "s1", &err);
	assert_non_null(sl_inventory_scope(back, "http://t", "mode", ":.a:"));
	sl_inventory_free(back);
	sl_inventory_free(inv);
	sl_buf_release(&text);
}

/* A crash in the middle of an append leaves a torn last line: ignored. A bad line before
 * the end is corruption: the load fails naming file and line. */
static void journal_torn_tail_and_corruption(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s2", &err);
	struct sl_buf text = SL_BUF_INIT;
	char jpath[600];

	assert_non_null(inv);
	assert_non_null(sl_inventory_own(inv, "SchemaLink/a", "a", &W_SRC, false, false));
	assert_int_equal(sl_inventory_flush(inv, true, &err), 0);
	sl_inventory_free(inv);
	snprintf(jpath, sizeof(jpath), "%s/s2/journal.jsonl", f->dir);
	read_file(jpath, &text);
	sl_buf_adds(&text, "{\"seq\":9,\"op\":\"put\",\"type\":\"o\",\"id\":\"x\",\"v\":{\"key\":");
	write_text(jpath, text.data);
	inv = sl_inventory_load(f->dir, "s2", &err);
	assert_non_null(inv);
	assert_non_null(sl_inventory_owned(inv, W_SRC.url, NULL, "a"));
	sl_inventory_free(inv);
	sl_buf_adds(&text, "\n{\"seq\":10}\n");
	write_text(jpath, text.data);
	assert_null(sl_inventory_load(f->dir, "s2", &err));
	assert_int_equal(err.code, SL_EINVAL);
	assert_non_null(strstr(err.msg, "journal.jsonl:2"));
	sl_buf_release(&text);
}

/* The journal is folded into a snapshot once it outgrows the records: n changes cost
 * O(n) bytes written in all, not O(n x records). */
static void journal_folds_when_large(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s3", &err);
	char key[64];
	int i, folds = 0;

	assert_non_null(inv);
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l%d", i % 100);
		assert_non_null(sl_inventory_own(inv, key, key + 11, &W_SRC, i % 2, false));
		assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
		folds += inv->journal_lines == 0;
		assert_true(inv->journal_lines <= 4097);
	}
	assert_true(folds >= 2);
	sl_inventory_free(inv);
	inv = sl_inventory_load(f->dir, "s3", &err);
	assert_non_null(inv);
	assert_int_equal(inv->owned.len, 100);
	sl_inventory_free(inv);
}

/* A checkpoint (the end of a pass) folds the journal once it holds more lines than there
 * are records, and leaves it alone while it does not; what it folded loads back whole. */
static void checkpoint_folds_redundant_journal(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s7", &err);
	char key[64];
	int i;

	assert_non_null(inv);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l%d", i);
		assert_non_null(sl_inventory_own(inv, key, key + 11, &W_SRC, true, false));
	}
	assert_int_equal(sl_inventory_save(inv, &err), 0);
	assert_true(inv->snap_bytes > 0);
	/* One line, under a quarter of the snapshot's bytes and fewer than its records: kept. */
	assert_non_null(sl_inventory_own(inv, "SchemaLink/l0", "l0", &W_SRC, false, false));
	assert_int_equal(sl_inventory_checkpoint(inv, &err), 0);
	assert_int_equal(inv->journal_lines, 1);
	assert_true(inv->journal_bytes > 0 && inv->journal_bytes * 4 < inv->snap_bytes);
	/* Three more: still fewer lines than records, but a quarter of the bytes: folded. */
	for (i = 1; i < 4; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l%d", i);
		assert_non_null(sl_inventory_own(inv, key, key + 11, &W_SRC, false, false));
	}
	assert_int_equal(sl_inventory_checkpoint(inv, &err), 0);
	assert_int_equal(inv->journal_lines, 0);
	assert_int_equal(inv->journal_bytes, 0);
	/* The same records twice over: more lines than records, folded. */
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l%d", i % 10);
		assert_non_null(sl_inventory_own(inv, key, key + 11, &W_SRC, i >= 10, false));
		if (i == 9)
			assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
	}
	assert_int_equal(sl_inventory_checkpoint(inv, &err), 0);
	assert_int_equal(inv->journal_lines, 0);
	sl_inventory_free(inv);
	inv = sl_inventory_load(f->dir, "s7", &err);
	assert_non_null(inv);
	assert_int_equal(inv->owned.len, 10);
	assert_int_equal(inv->journal_lines, 0);
	assert_non_null(sl_inventory_owned(inv, W_SRC.url, NULL, "l3"));
	sl_inventory_free(inv);
	/* In memory: a no-op. */
	inv = sl_inventory_load(NULL, NULL, NULL);
	assert_non_null(sl_inventory_own(inv, "SchemaLink/x", "x", &W_SRC, true, false));
	assert_int_equal(sl_inventory_checkpoint(inv, &err), 0);
	sl_inventory_free(inv);
}

/* A status saved leaves its defaults out (and generations equal to Ready's) and loads back
 * exactly; a record in the earlier full form (every member written) loads the same. */
static void status_record_sparse_round_trip(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s8", &err);
	struct sl_object_status st, back;
	struct sl_inv_object *o;
	struct sl_buf text = SL_BUF_INIT;
	char path[600];
	const char *gen = "3a2d6502347c69f4052dbd2d11af890bdd6a699591ac77c9bc20931ebfbc00d3";

	assert_non_null(inv);
	memset(&st, 0, sizeof(st));
	snprintf(st.key, sizeof(st.key), "SchemaLink/a");
	st.cond[SL_COND_READY] = (struct sl_condition){SL_COND_FALSE, "ImportModeRequired",
	        "not in import mode", 42205, "", 1700000000000LL};
	snprintf(st.cond[SL_COND_READY].observed_generation, 65, "%s", gen);
	st.cond[SL_COND_STALLED].status = SL_COND_TRUE;
	snprintf(st.cond[SL_COND_STALLED].observed_generation, 65, "%s", gen);
	/* InSync never computed: Unknown, no generation, though Ready has one. */
	st.exporter_offset = -1;
	st.updated_ms = 1700000000001LL;
	sl_status_add_history(&st, 1700000000002LL, "ExporterResumed", "resumed");
	o = sl_inventory_object_ensure(inv, "SchemaLink/a");
	assert_non_null(o);
	assert_int_equal(sl_inv_object_set_status(o, &st), 0);
	sl_inventory_object_touch(inv, "SchemaLink/a");
	assert_int_equal(sl_inventory_save(inv, &err), 0);
	sl_inventory_free(inv);
	snprintf(path, sizeof(path), "%s/s8/inventory.json", f->dir);
	read_file(path, &text);
	assert_null(strstr(text.data, "healAttempts"));
	assert_null(strstr(text.data, "secretHashes"));
	assert_null(strstr(text.data, "\"trace\""));
	assert_non_null(strstr(text.data, "\"generation\""));
	/* Ready's generation once, InSync's "" once, nothing for Stalled and Reconciling. */
	assert_non_null(strstr(text.data, "\"observedGeneration\":\"\""));
	assert_null(strstr(text.data, "\"observedGeneration\":\"3a2d"));
	inv = sl_inventory_load(f->dir, "s8", &err);
	assert_non_null(inv);
	assert_int_equal(
	        sl_inv_object_get_status(sl_inventory_object(inv, "SchemaLink/a"), &back), 0);
	assert_memory_equal(&st.cond, &back.cond, sizeof(st.cond));
	assert_string_equal(back.key, st.key);
	assert_int_equal(back.exporter_offset, -1);
	assert_int_equal(back.updated_ms, st.updated_ms);
	assert_int_equal(back.n_history, 1);
	assert_string_equal(back.history[0].reason, "ExporterResumed");
	sl_inventory_free(inv);
	sl_buf_release(&text);
	/* The full form of the same record, as earlier versions wrote it. */
	sl_buf_addf(&text,
	        "{\"apiVersion\":\"schemalink.io/v1alpha1\",\"kind\":\"Inventory\",\"objects\":"
	        "{\"SchemaLink/a\":{\"healAttempts\":[],\"secretHashes\":{},\"status\":{"
	        "\"conditions\":[{\"errorCode\":42205,\"lastTransitionTime\":1700000000000,"
	        "\"message\":\"not in import mode\",\"observedGeneration\":\"%s\","
	        "\"reason\":\"ImportModeRequired\",\"status\":\"False\",\"type\":\"Ready\"},"
	        "{\"errorCode\":0,\"lastTransitionTime\":0,\"message\":\"\",\"observedGeneration\":"
	        "\"\",\"reason\":\"\",\"status\":\"Unknown\",\"type\":\"Reconciling\"},"
	        "{\"errorCode\":0,\"lastTransitionTime\":0,\"message\":\"\",\"observedGeneration\":"
	        "\"%s\",\"reason\":\"\",\"status\":\"True\",\"type\":\"Stalled\"},"
	        "{\"errorCode\":0,\"lastTransitionTime\":0,\"message\":\"\",\"observedGeneration\":"
	        "\"\",\"reason\":\"\",\"status\":\"Unknown\",\"type\":\"InSync\"}],"
	        "\"exporterState\":\"\",\"fix\":\"\",\"history\":[{\"at\":1700000000002,"
	        "\"reason\":\"ExporterResumed\",\"action\":\"resumed\"}],\"key\":\"SchemaLink/a\","
	        "\"offset\":-1,\"trace\":\"\",\"ts\":0,\"updated\":1700000000001}}},\"owned\":{},"
	        "\"scopes\":{},\"seq\":1,\"set\":\"s8\",\"version\":2}\n",
	        gen, gen);
	write_text(path, text.data);
	/* The test's Reconciling was all defaults but for its generation, which the full
	 * form above spells "" (as it was computed): expect exactly that. */
	st.cond[SL_COND_RECONCILING].observed_generation[0] = '\0';
	inv = sl_inventory_load(f->dir, "s8", &err);
	assert_non_null(inv);
	assert_int_equal(
	        sl_inv_object_get_status(sl_inventory_object(inv, "SchemaLink/a"), &back), 0);
	assert_memory_equal(&st.cond, &back.cond, sizeof(st.cond));
	assert_int_equal(back.n_history, 1);
	sl_inventory_free(inv);
	sl_buf_release(&text);
}

/* 1,000 links needing one scope: each needer is a line of its own (the scope is not written
 * again with every needer), and a reload has them all; a needer released is replayed too. */
static void journal_needers_are_lines(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(f->dir, "s6", &err), *back;
	struct sl_vec rel = SL_VEC_INIT;
	struct sl_buf text = SL_BUF_INIT;
	char key[64], jpath[600];
	int i;

	assert_non_null(inv);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l%04d", i);
		assert_non_null(sl_inventory_scope_need(
		        inv, &W_TGT, "mode", ":.c:", true, "READWRITE", "IMPORT", key, false));
		assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
	}
	snprintf(jpath, sizeof(jpath), "%s/s6/journal.jsonl", f->dir);
	read_file(jpath, &text);
	assert_true(text.len < 1000 * 160); /* O(1) per needer, not O(needers) */
	assert_int_equal(sl_inventory_scope_release(inv, "SchemaLink/l0007", NULL, &rel), 0);
	assert_int_equal(rel.len, 0);
	assert_int_equal(sl_inventory_flush(inv, false, &err), 0);
	back = sl_inventory_load(f->dir, "s6", &err);
	assert_non_null(back);
	{
		const struct sl_inv_scope *sc =
		        sl_inventory_scope(back, "http://t", "mode", ":.c:");

		assert_non_null(sc);
		assert_int_equal(sc->needed_by.len, 999);
		assert_false(sl_inv_scope_needed_by(sc, "SchemaLink/l0007"));
		assert_string_equal(sc->previous, "READWRITE");
	}
	sl_inventory_free(back);
	sl_inventory_free(inv);
	sl_vec_release(&rel, NULL);
	sl_buf_release(&text);
}

/* Lookups without a cluster id go through an index; two records of one exporter on one URL
 * (the registry changed identity) stay findable when either is removed. */
static void owned_lookup_by_exporter(void **state)
{
	struct sl_inventory *inv = sl_inventory_load(NULL, NULL, NULL);
	char cid_b[] = "kc2/srlite";
	struct sl_inv_where wb = W_SRC;
	struct sl_inv_owned *a, *b;

	(void)state;
	wb.cluster_id = cid_b;
	a = sl_inventory_own(inv, "SchemaLink/x", "x", &W_SRC, false, false);
	b = sl_inventory_own(inv, "SchemaLink/x", "x", &wb, false, false);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(sl_inventory_owned(inv, W_SRC.url, NULL, "x"), a);
	assert_ptr_equal(sl_inventory_owned(inv, W_SRC.url, cid_b, "x"), b);
	assert_null(sl_inventory_owned(inv, W_SRC.url, NULL, "y"));
	sl_inventory_owned_remove(inv, a->id);
	assert_ptr_equal(sl_inventory_owned(inv, W_SRC.url, NULL, "x"), b);
	sl_inventory_owned_remove(inv, b->id);
	assert_null(sl_inventory_owned(inv, W_SRC.url, NULL, "x"));
	sl_inventory_free(inv);
}

/* A version 1 file (records keyed by name) is read and converted, nothing forgotten. */
static void reads_version_1(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv;
	const struct sl_inv_scope *sc;
	const struct sl_inv_owned *o;

	assert_int_equal(sl_mkdir_p(f->dir, 0700, NULL), 0);
	{
		char d[300];

		snprintf(d, sizeof(d), "%s/default", f->dir);
		assert_int_equal(sl_mkdir_p(d, 0700, NULL), 0);
	}
	write_text(f->path,
	        "{\"apiVersion\":\"schemalink.io/"
	        "v1alpha1\",\"kind\":\"Inventory\",\"set\":\"default\","
	        "\"objects\":{\"SchemaLink/x\":{\"registry\":\"source\",\"url\":\"HTTP://Src:80/\","
	        "\"exporter\":\"x\",\"secretHashes\":{\"k\":\"ab\"},\"healAttempts\":[5]}},"
	        "\"scopes\":[{\"registry\":\"target\",\"url\":\"http://tgt\",\"what\":\"mode\","
	        "\"scope\":\":.source:\",\"previous\":null,\"value\":\"IMPORT\","
	        "\"neededBy\":[\"SchemaLink/x\"]}]}");
	inv = sl_inventory_load(f->dir, "default", &err);
	assert_non_null(inv);
	o = sl_inventory_owned(inv, "http://src", NULL, "x");
	assert_non_null(o);
	assert_string_equal(o->key, "SchemaLink/x");
	assert_string_equal(o->at.cluster_id, "");
	sc = sl_inventory_scope(inv, "http://tgt", "mode", ":.source:");
	assert_non_null(sc);
	assert_false(sc->had_previous);
	assert_true(sl_inv_scope_needed_by(sc, "SchemaLink/x"));
	assert_int_equal(sl_inventory_object(inv, "SchemaLink/x")->n_attempts, 1);
	sl_inventory_free(inv);
}

/* One writer per set: the second is told who holds it; the lock goes with the inventory. */
static void lock_names_the_holder(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *a = sl_inventory_load(f->dir, "s4", &err);
	struct sl_inventory *b = sl_inventory_load(f->dir, "s4", &err);
	struct sl_inventory *other = sl_inventory_load(f->dir, "s5", &err);

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sl_inventory_lock(a, "slctl apply", &err), 0);
	assert_int_equal(sl_inventory_lock(b, "schemalinkd", &err), SL_ESTATE);
	assert_non_null(strstr(err.msg, "slctl apply (pid "));
	assert_non_null(strstr(err.msg, "set \"s4\""));
	assert_int_equal(sl_inventory_lock(other, "schemalinkd", &err), 0);
	sl_inventory_free(a);
	assert_int_equal(sl_inventory_lock(b, "schemalinkd", &err), 0);
	sl_inventory_free(b);
	sl_inventory_free(other);
}

static void url_normalize(void **state)
{
	static const char *const cases[][2] = {
	        {"http://127.0.0.1:8081", "http://127.0.0.1:8081"},
	        {"HTTP://Registry.Example:80/", "http://registry.example"},
	        {"https://u:p@sr.example:443/prefix//", "https://sr.example/prefix"},
	        {"https://sr.example:8443/x", "https://sr.example:8443/x"},
	        {"http://[::1]:8081/", "http://[::1]:8081"},
	        {"http://[::1]/", "http://[::1]"},
	        {"http://sr:443", "http://sr:443"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = sl_registry_url_normalize(cases[i][0]);

		assert_non_null(n);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

static void derive_set_names(void **state)
{
	struct fixture *f = *state;
	char a[300], b[300], file[320], s1[80], s2[80], s3[80], s4[80];
	const char *p1[1] = {a}, *p2[1] = {b}, *p3[1] = {file}, *both[2] = {b, a};
	struct sl_error err = SL_ERROR_INIT;

	snprintf(a, sizeof(a), "%s/links", f->dir);
	snprintf(b, sizeof(b), "%s/other/links", f->dir);
	snprintf(file, sizeof(file), "%s/one link.yaml", f->dir);
	assert_int_equal(sl_mkdir_p(a, 0700, NULL), 0);
	assert_int_equal(sl_mkdir_p(b, 0700, NULL), 0);
	write_text(file, "");
	assert_int_equal(sl_inventory_derive_set(p1, 1, s1, sizeof(s1), &err), 0);
	assert_int_equal(sl_inventory_derive_set(p2, 1, s2, sizeof(s2), &err), 0);
	assert_int_equal(sl_inventory_derive_set(p3, 1, s3, sizeof(s3), &err), 0);
	assert_int_equal(strncmp(s1, "links-", 6), 0);
	assert_int_equal(strlen(s1), 14);
	assert_int_equal(strncmp(s2, "links-", 6), 0);
	assert_string_not_equal(s1, s2); /* same base name, other folder */
	assert_int_equal(strncmp(s3, "one-link-", 9), 0);
	assert_true(sl_inventory_set_name_ok(s1));
	assert_true(sl_inventory_set_name_ok(s3));
	/* The same folder, however it is spelled, is the same set. */
	snprintf(a, sizeof(a), "%s/other/../links/", f->dir);
	assert_int_equal(sl_inventory_derive_set(p1, 1, s4, sizeof(s4), &err), 0);
	assert_string_equal(s1, s4);
	/* Several paths: the order given does not matter for the hash. */
	assert_int_equal(sl_inventory_derive_set(both, 2, s4, sizeof(s4), &err), 0);
	assert_string_not_equal(s4, s1);
	snprintf(a, sizeof(a), "%s/missing", f->dir);
	assert_int_equal(sl_inventory_derive_set(p1, 1, s4, sizeof(s4), &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "missing"));
	assert_false(sl_inventory_set_name_ok(".."));
	assert_false(sl_inventory_set_name_ok("a/b"));
	assert_false(sl_inventory_set_name_ok(""));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(save_load_save_is_stable),
	        T(empty_inventory_file),
	        cmocka_unit_test(status_accessors),
	        T(failed_save_leaves_no_temp_file),
	        T(journal_replays_changes),
	        T(journal_torn_tail_and_corruption),
	        T(journal_folds_when_large),
	        T(checkpoint_folds_redundant_journal),
	        T(status_record_sparse_round_trip),
	        T(journal_needers_are_lines),
	        cmocka_unit_test(owned_lookup_by_exporter),
	        T(reads_version_1),
	        T(lock_names_the_holder),
	        cmocka_unit_test(url_normalize),
	        T(derive_set_names),
	};
#undef T
	return cmocka_run_group_tests_name("inventory", tests, NULL, NULL);
}
