/*
 * scenario_engine.c — a link's life through sl_engine against the fake transport, with the
 * inventory saved and loaded in a temp dir between engines (tests/unit/test_engine.c's
 * manifests and scripts): an engine creates the link (mode first, then the exporter) in a
 * pass and goes; a second one loads what the first saved, finds the link in sync, lists it
 * as an orphan once the manifests drop it and prunes it (exporter paused and deleted, mode
 * restored). The state dir is read back after each engine: every record, sorted.
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/fileio.h"
#include "schemalink/inventory.h"
#include "world.h"

#define KEY "SchemaLink/src-to-tgt-link"
#define CANARY "canary-Pa55w0rd-7f3e"

/* test_engine.c: noop_steps, then the prune (world_delete_steps). */
static const struct world_step second_steps[] = {
        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
        {"source", "GET /exporters/src-to-tgt-link", 200, WORLD_INFO_OK},
        {"source", "GET /exporters/src-to-tgt-link/status", 200, WORLD_STATUS_RUNNING},
        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200, "{\"mode\":\"IMPORT\"}"},
        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, WORLD_NAME_REPLY},
        {"source", "DELETE /exporters/src-to-tgt-link", 200, ""},
        {"target", "DELETE /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct world w;
static struct world_fakes first, second;
static struct sl_snapshot *with_link, *without_link;

static int setup(void)
{
	struct sl_buf b = SL_BUF_INIT;

	if (world_setup(&w, "engine") < 0 ||
	        world_script(&w, &first, world_create_steps, world_n_create_steps) < 0 ||
	        world_script(&w, &second, second_steps, N(second_steps)) < 0)
		return -1;
	if (sl_buf_adds(&b, world_base_yaml) < 0 || sl_buf_adds(&b, world_link_yaml) < 0)
		return -1;
	with_link = world_load(&w, b.data);
	without_link = world_load(&w, world_base_yaml);
	sl_buf_release(&b);
	return 0;
}

static void cleanup(void)
{
	world_fakes_free(&first);
	world_fakes_free(&second);
}

static void teardown(void)
{
	sl_snapshot_free(with_link);
	sl_snapshot_free(without_link);
	with_link = without_link = NULL;
	world_teardown(&w);
}

static const char *effects(void)
{
	return torture_effects();
}

static int engine_up(struct world_fakes *f, struct sl_engine **e)
{
	struct sl_engine_config cfg;
	struct sl_error err = SL_ERROR_INIT;

	world_config(&w, f, &cfg);
	cfg.prune = true;
	cfg.allow_prune_all = true;
	*e = sl_engine_new(&cfg, &err);
	return *e ? 0 : err.code ? err.code : SL_ENOMEM;
}

/* One reconcile of key in snap inside a pass; a RETRY (the engine's answer to a failure it
 * recovers from later) is a failure reported. */
static int reconcile(struct sl_engine *e, const struct sl_snapshot *snap, const char *what,
        enum sl_result want, int writes, struct sl_buf *out)
{
	struct sl_reconcile_result r;
	struct sl_error err = SL_ERROR_INIT;
	int rc;

	memset(&r, 0, sizeof(r));
	sl_engine_begin_pass(e);
	rc = sl_engine_reconcile(e, snap, KEY, &r, &err);
	if (rc == 0)
		rc = sl_engine_end_pass(e, &err);
	else
		sl_engine_end_pass(e, NULL);
	if (rc != 0)
		return rc;
	if (r.result == SL_RESULT_RETRY)
		return TORTURE_RETRY;
	rc = world_add_result(out, what, &r);
	if (rc == 0 && (r.result != want || r.writes != writes))
		rc = sl_buf_addf(out, "WRONG: %s: %s with %d writes, not %s with %d\n", what,
		        sl_result_name(r.result), r.writes, sl_result_name(want), writes);
	return rc;
}

static int orphans(struct sl_engine *e, size_t want, struct sl_buf *out)
{
	struct sl_vec v = SL_VEC_INIT;
	struct sl_error err = SL_ERROR_INIT;
	size_t i;
	int rc = sl_engine_orphans(e, without_link, &v, &err);

	if (rc == 0)
		rc = sl_buf_addf(out, "orphans: %zu\n", v.len);
	for (i = 0; rc == 0 && i < v.len; i++)
		rc = sl_buf_addf(out, "  %s\n", (const char *)v.items[i]);
	if (rc == 0 && v.len != want)
		rc = sl_buf_addf(out, "WRONG: %zu orphans, not %zu\n", v.len, want);
	sl_vec_release(&v, free);
	return rc;
}

static int add_where(struct sl_buf *out, const struct sl_inv_where *at)
{
	return sl_buf_addf(
	        out, " at %s %s %s", at->registry ? at->registry : "-", at->url, at->cluster_id);
}

/* Every record of inv, sorted: what the state dir holds, however it is split between the
 * snapshot and the journal. */
static int add_inventory(struct sl_buf *out, const struct sl_inventory *inv)
{
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_object_status st;
	size_t i, j;
	int rc = sl_strmap_keys(&inv->owned, &keys);

	for (i = 0; rc == 0 && i < keys.len; i++) {
		const struct sl_inv_owned *o = sl_strmap_get(&inv->owned, keys.items[i], NULL);

		rc = sl_buf_addf(out, "  owned %s: %s %s%s%s", o->id, o->key, o->exporter,
		        o->pending ? " pending" : "", o->adopted ? " adopted" : "");
		rc = rc ? rc : add_where(out, &o->at);
		rc = rc ? rc : sl_buf_addch(out, '\n');
	}
	sl_vec_release(&keys, NULL);
	rc = rc ? rc : sl_strmap_keys(&inv->scopes, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const struct sl_inv_scope *sc = sl_strmap_get(&inv->scopes, keys.items[i], NULL);

		rc = sl_buf_addf(out, "  scope %s: %s %s = %s (was %s)%s%s", sc->id, sc->what,
		        sc->scope, sc->value ? sc->value : "-",
		        sc->had_previous ? sc->previous : "none", sc->pending ? " pending" : "",
		        sc->borrowed ? " borrowed" : "");
		rc = rc ? rc : add_where(out, &sc->at);
		for (j = 0; rc == 0 && j < sc->needed_by.len; j++)
			rc = sl_buf_addf(
			        out, " needed by %s", (const char *)sc->needed_by.items[j]);
		rc = rc ? rc : sl_buf_addch(out, '\n');
	}
	sl_vec_release(&keys, NULL);
	rc = rc ? rc : sl_strmap_keys(&inv->objects, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const struct sl_inv_object *o = sl_strmap_get(&inv->objects, keys.items[i], NULL);
		struct sl_vec hk = SL_VEC_INIT;

		rc = sl_buf_addf(out, "  object %s: %d attempts", o->key, o->n_attempts);
		rc = rc ? rc : sl_strmap_keys(&o->secret_hashes, &hk);
		for (j = 0; rc == 0 && j < hk.len; j++)
			rc = sl_buf_addf(out, " %s=%s", (const char *)hk.items[j],
			        (const char *)sl_strmap_get(&o->secret_hashes, hk.items[j], NULL));
		sl_vec_release(&hk, NULL);
		rc = rc ? rc : sl_buf_addch(out, '\n');
		if (rc == 0 && sl_inv_object_get_status(o, &st) == 0) {
			struct sl_reconcile_result r;

			memset(&r, 0, sizeof(r));
			r.status = st;
			rc = world_add_result(out, "  status", &r);
		}
	}
	sl_vec_release(&keys, NULL);
	return rc;
}

/* The state dir as a new reader sees it: want records (an owned exporter, a scope its link
 * needs, the link's object each), never the password. */
static int state(const char *what, size_t want, struct sl_buf *out)
{
	static const char *const files[] = {"inventory.json", "journal.jsonl"};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv = sl_inventory_load(w.dir, "default", &err);
	const struct sl_inv_scope *sc;
	struct sl_buf text = SL_BUF_INIT;
	char path[128];
	size_t i;
	int rc;

	if (inv == NULL)
		return err.code ? err.code : SL_ENOMEM;
	rc = sl_buf_addf(out, "state %s:\n", what);
	rc = rc ? rc : add_inventory(out, inv);
	sc = sl_strmap_get(&inv->scopes, "http://target.test:8082|mode|:.source:", NULL);
	if (rc == 0 &&
	        (inv->owned.len != want || inv->scopes.len != want || inv->objects.len != want ||
	                (want && sc == NULL) || (sc != NULL && sc->needed_by.len != 1)))
		rc = sl_buf_addf(out,
		        "WRONG: %s: %zu owned, %zu scopes, %zu objects, not %zu each\n", what,
		        inv->owned.len, inv->scopes.len, inv->objects.len, want);
	sl_inventory_free(inv);
	for (i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/default/%s", w.dir, files[i]);
		sl_buf_reset(&text);
		rc = sl_file_read(path, 1 << 20, &text, &err);
		if (rc == SL_ENOENT)
			rc = 0;
		else if (rc == 0 && strstr(text.data, CANARY) != NULL)
			rc = sl_buf_addf(out, "WRONG: the password is in %s\n", files[i]);
	}
	sl_buf_release(&text);
	return rc;
}

static int run(struct sl_buf *out)
{
	struct sl_engine *e = NULL;
	int rc;

	rc = engine_up(&first, &e);
	if (rc == 0)
		rc = reconcile(e, with_link, "create", SL_RESULT_REQUEUE_AFTER, 2, out);
	sl_engine_free(e);
	e = NULL;
	if (rc == 0)
		rc = state("after the create", 1, out);
	if (rc == 0)
		rc = engine_up(&second, &e);
	if (rc == 0)
		rc = reconcile(e, with_link, "in sync", SL_RESULT_DONE, 0, out);
	if (rc == 0)
		rc = orphans(e, 1, out);
	if (rc == 0)
		rc = reconcile(e, without_link, "prune", SL_RESULT_DONE, 3, out);
	if (rc == 0)
		rc = orphans(e, 0, out);
	sl_engine_free(e);
	if (rc == 0)
		rc = state("after the prune", 0, out);
	if (rc == 0)
		rc = world_check_effects(&w, out);
	return rc;
}

const struct torture_scenario torture_scenario_engine = {
        .name = "engine",
        .setup = setup,
        .run = run,
        .cleanup = cleanup,
        .teardown = teardown,
        .effects = effects,
};
