/* test_engine.c — reconcile over the fake transport: each scenario asserts the exact list
 * of REST calls, in order across both registries (docs/internals/style.md rule 10). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/engine.h"
#include "schemalink/fileio.h"
#include "schemalink/inventory.h"
#include "schemalink/manifest.h"
#include "schemalink/srclient.h"
#include "engine_fixture.h"

#define CANARY "canary-Pa55w0rd-7f3e"

/* ---- a transport that logs "registry METHOD path" in one list, then asks a fake ------- */

struct logging_transport {
	struct sl_transport base;
	struct sl_transport *inner;
	const char *reg;
	struct sl_vec *log;
};

static int lt_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct logging_transport *lt = (struct logging_transport *)t;
	struct sl_buf b = SL_BUF_INIT;

	sl_buf_addf(&b, "%s %s %s", lt->reg, req->method, req->path);
	sl_vec_push(lt->log, sl_buf_detach(&b));
	return lt->inner->perform(lt->inner, req, resp, err);
}

static void lt_free(struct sl_transport *t)
{
	struct logging_transport *lt = (struct logging_transport *)t;

	lt->inner->free(lt->inner);
	free(lt);
}

struct world {
	struct sl_fake_transport *src, *dst;
	struct sl_vec log;
	struct sl_engine *e;
	struct sl_snapshot *snap;
	struct sl_clock clock;
	char dir[64];
	bool prune, dry_run;
	bool src_taken, dst_taken; /* handed to the engine, which frees them */
	int sleeps;
	int id_reads[2]; /* GET /v1/metadata/id on source, target (engine_fixture.h) */
};

static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	struct logging_transport *lt = calloc(1, sizeof(*lt));

	(void)cfg;
	(void)err;
	lt->base.perform = lt_perform;
	lt->base.free = lt_free;
	lt->log = &w->log;
	if (strcmp(registry, "source") == 0) {
		lt->reg = "source";
		lt->inner = sl_fake_transport_base(w->src);
		w->src_taken = true;
		return fixture_identity_wrap(&lt->base, "kc-source/srlite", &w->id_reads[0]);
	}
	lt->reg = "target";
	lt->inner = sl_fake_transport_base(w->dst);
	w->dst_taken = true;
	return fixture_identity_wrap(&lt->base, "kc-target/srlite", &w->id_reads[1]);
}

static void record_sleep(void *arg, long ms)
{
	(void)ms;
	((struct world *)arg)->sleeps++;
}

static const char base_yaml[] = FIXTURE_REGISTRIES_YAML;

static const char link_yaml[] = "---\n"
                                "apiVersion: schemalink.io/v1alpha1\n"
                                "kind: SchemaLink\n"
                                "metadata: {name: src-to-tgt-link}\n"
                                "spec:\n"
                                "  source: source\n"
                                "  destination: target\n"
                                "  subjects: [%s]\n"
                                "  context: {type: CUSTOM, name: source}\n"
                                "%s";

static struct sl_snapshot *load(struct world *w, const char *subjects, const char *extra)
{
	struct sl_snapshot *s;
	struct sl_buf b = SL_BUF_INIT;

	sl_buf_adds(&b, base_yaml);
	if (subjects)
		sl_buf_addf(&b, link_yaml, subjects, extra ? extra : "");
	else if (extra)
		sl_buf_adds(&b, extra);
	s = fixture_load("links.yaml", w->dir, b.data, b.len);
	sl_buf_release(&b);
	return s;
}

static void fakes_free(struct world *w)
{
	fixture_fake_free(&w->src, &w->src_taken);
	fixture_fake_free(&w->dst, &w->dst_taken);
}

static void engine_up(struct world *w)
{
	struct sl_engine_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;

	sl_engine_free(w->e);
	fakes_free(w);
	w->src = sl_fake_transport_new();
	w->dst = sl_fake_transport_new();
	cfg.state_dir = w->dir;
	cfg.set = "default";
	cfg.clock = &w->clock;
	cfg.prune = w->prune;
	/* The prune tests are about what a prune does; the guard rails that refuse large ones
	 * have their own tests (test_engine_pass.c: test_prune_guard_rails). */
	cfg.allow_prune_all = w->prune;
	cfg.dry_run = w->dry_run;
	cfg.transport = make_transport;
	cfg.transport_cls = w;
	cfg.sleep_ms = record_sleep;
	cfg.sleep_arg = w;
	w->e = sl_engine_new(&cfg, &err);
	if (w->e == NULL)
		fail_msg("sl_engine_new: %s", err.msg);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char pass[128];
	struct sl_error err = SL_ERROR_INIT;

	/* mkdtemp's template ends in six capital X, spelled out to keep grep for markers quiet. */
	snprintf(w->dir, sizeof(w->dir), "/tmp/sl-engine-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X',
	        'X');
	assert_non_null(mkdtemp(w->dir));
	snprintf(pass, sizeof(pass), "%s/pass.txt", w->dir);
	assert_int_equal(
	        sl_file_write_atomic(pass, CANARY "\n", strlen(CANARY) + 1, 0600, &err), 0);
	sl_clock_fake_init(&w->clock, 1000, 1700000000000LL);
	sl_vec_init(&w->log);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];

	sl_engine_free(w->e);
	w->e = NULL;
	fakes_free(w);
	sl_snapshot_free(w->snap);
	sl_vec_release(&w->log, free);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* One scripted exchange: which registry, the expected "METHOD path", the reply. */
struct step {
	const char *reg;
	const char *req;
	int status;
	const char *body;
};

#define NOT_SET_MODE \
	"{\"error_code\":40409,\"message\":\"Subject ':.source:' does not have subject-level " \
	"mode configured\"}"
#define INFO(subjects, url) \
	"{\"name\":\"src-to-tgt-link\",\"contextType\":\"CUSTOM\",\"context\":\"source\"," \
	"\"subjects\":[" subjects "],\"subjectRenameFormat\":\"${subject}\",\"config\":{" \
	"\"schema.registry.url\":\"" url "\",\"basic.auth.credentials.source\":\"USER_INFO\"," \
	"\"basic.auth.user.info\":\"[hidden]\"}}"
#define INFO_OK INFO("\"pageviews-value\"", "http://schemaregistry2:8082")
#define STATUS(state, trace) \
	"{\"name\":\"src-to-tgt-link\",\"state\":\"" state "\",\"offset\":4,\"ts\":1701292093264" \
	",\"trace\":\"" trace "\"}"
#define RCE "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: "
#define NAME_REPLY "{\"name\":\"src-to-tgt-link\"}"
#define SV(v, id) \
	"{\"subject\":\"s\",\"version\":" #v ",\"id\":" #id ",\"schema\":\"\\\"string\\\"\"}"

/* Scripts the replies, runs one reconcile of key in a pass, and checks the call list. */
static void run(struct world *w, const char *key, const struct step *steps, size_t n,
        struct sl_reconcile_result *r)
{
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	sl_vec_release(&w->log, free);
	sl_fake_transport_reset(w->src);
	sl_fake_transport_reset(w->dst);
	w->id_reads[0] = w->id_reads[1] = 0;
	for (i = 0; i < n; i++)
		assert_int_equal(
		        sl_fake_transport_reply(strcmp(steps[i].reg, "source") ? w->dst : w->src,
		                steps[i].status, steps[i].body),
		        0);
	sl_engine_begin_pass(w->e);
	if (sl_engine_reconcile(w->e, w->snap, key, r, &err) != 0)
		fail_msg("reconcile: %s", err.msg);
	if (sl_engine_end_pass(w->e, &err) != 0)
		fail_msg("end pass: %s", err.msg);
	for (i = 0; i < w->log.len || i < n; i++) {
		char want[600];

		if (i < n)
			snprintf(want, sizeof(want), "%s %s", steps[i].reg, steps[i].req);
		if (i >= w->log.len)
			fail_msg("call %zu: want \"%s\", none made", i, want);
		if (i >= n)
			fail_msg("call %zu: unexpected \"%s\"", i, (char *)w->log.items[i]);
		if (strcmp(want, w->log.items[i]) != 0)
			fail_msg("call %zu: want \"%s\", got \"%s\"", i, want,
			        (char *)w->log.items[i]);
	}
	assert_int_equal(sl_fake_transport_pending(w->src), 0);
	assert_int_equal(sl_fake_transport_pending(w->dst), 0);
	/* A registry's identity is read at most once a pass, and only by one that writes. */
	assert_true(w->id_reads[0] <= 1 && w->id_reads[1] <= 1);
	if (r->writes == 0)
		assert_int_equal(w->id_reads[0] + w->id_reads[1], 0);
}

static const char *body_of(struct sl_fake_transport *f, const char *method, const char *path)
{
	size_t i;

	for (i = 0; i < sl_fake_transport_ncalls(f); i++) {
		const struct sl_fake_call *c = sl_fake_transport_call(f, i);

		if (!strcmp(c->method, method) && !strcmp(c->path, path))
			return c->body;
	}
	return NULL;
}

static const struct step create_steps[] = {
        {"source", "GET /exporters", 200, "[]"},
        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
        {"source", "POST /exporters", 200, NAME_REPLY},
};

static const struct step noop_steps[] = {
        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200, "{\"mode\":\"IMPORT\"}"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KEY "SchemaLink/src-to-tgt-link"

static void created(struct world *w)
{
	struct sl_reconcile_result r;

	run(w, KEY, create_steps, N(create_steps), &r);
}

/* The set's files as they are on disk: the snapshot, then the journal. */
static void state_text(struct world *w, struct sl_buf *out)
{
	char path[128];
	struct sl_buf j = SL_BUF_INIT;

	snprintf(path, sizeof(path), "%s/default/inventory.json", w->dir);
	assert_int_equal(sl_file_read(path, 1 << 20, out, NULL), 0);
	snprintf(path, sizeof(path), "%s/default/journal.jsonl", w->dir);
	if (sl_file_read(path, 1 << 20, &j, NULL) == 0)
		sl_buf_adds(out, j.data ? j.data : "");
	sl_buf_release(&j);
}

static void test_create_sets_mode_before_exporter(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const char *body;
	struct sl_buf inv = SL_BUF_INIT;
	char path[128];
	struct sl_error err = SL_ERROR_INIT;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, create_steps, N(create_steps), &r);
	assert_int_equal(r.result, SL_RESULT_REQUEUE_AFTER);
	assert_int_equal(r.writes, 2);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_FALSE);
	assert_int_equal(r.status.cond[SL_COND_RECONCILING].status, SL_COND_TRUE);
	assert_string_equal(body_of(w->dst, "PUT", "/mode/%3A.source%3A"), "{\"mode\":\"IMPORT\"}");
	body = body_of(w->src, "POST", "/exporters");
	assert_non_null(body);
	assert_non_null(strstr(body, "\"schema.registry.url\":\"http://schemaregistry2:8082\""));
	assert_non_null(strstr(body, "\"contextType\":\"CUSTOM\""));
	assert_non_null(strstr(body, "\"context\":\"source\""));
	assert_null(strstr(body, CANARY));
	/* The state on disk (snapshot and journal) records the scope it replaced, the exporter
	 * it created on the source it lives on, and never the password. */
	state_text(w, &inv);
	assert_null(strstr(inv.data, CANARY));
	sl_buf_release(&inv);
	{
		struct sl_inventory *back = sl_inventory_load(w->dir, "default", &err);
		const struct sl_inv_scope *sc;
		const struct sl_inv_owned *ow;

		assert_non_null(back);
		sc = sl_inventory_scope(back, "http://target.test:8082", "mode", ":.source:");
		assert_non_null(sc);
		assert_false(sc->had_previous);
		assert_false(sc->pending);
		assert_string_equal(sc->at.cluster_id, "kc-target/srlite");
		ow = sl_inventory_owned(
		        back, "http://source.test:8081", "kc-source/srlite", "src-to-tgt-link");
		assert_non_null(ow);
		assert_false(ow->pending);
		assert_false(ow->adopted);
		assert_string_equal(ow->key, KEY);
		assert_non_null(sl_strmap_get(&sl_inventory_object(back, KEY)->secret_hashes,
		        "basic.auth.user.info", NULL));
		sl_inventory_free(back);
	}
	(void)path;
}

static void test_noop_only_reads(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, noop_steps, N(noop_steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.reads, 4);
	assert_int_equal(r.result, SL_RESULT_DONE);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "Running");
	assert_int_equal(r.status.cond[SL_COND_STALLED].status, SL_COND_FALSE);
}

/* What is on disk for the set, changed by any save: the snapshot's inode and the
 * journal's size. */
static uint64_t inventory_inode(struct world *w)
{
	char path[128];
	struct stat st;
	uint64_t v;

	snprintf(path, sizeof(path), "%s/default/inventory.json", w->dir);
	assert_int_equal(stat(path, &st), 0);
	v = (uint64_t)st.st_ino << 32;
	snprintf(path, sizeof(path), "%s/default/journal.jsonl", w->dir);
	if (stat(path, &st) == 0)
		v ^= (uint64_t)st.st_size;
	return v;
}

/* Inside a pass, a reconcile that only read leaves its status in memory; end_pass saves the
 * inventory once (bench: 1,000 no-op links no longer rewrite the state file 1,000 times). A
 * reconcile that wrote saves at once. */
static void test_noop_pass_saves_state_once(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_object_status st;
	uint64_t before, during;
	size_t i;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	before = inventory_inode(w);
	sl_fake_transport_reset(w->src);
	sl_fake_transport_reset(w->dst);
	for (i = 0; i < N(noop_steps); i++)
		assert_int_equal(sl_fake_transport_reply(
		                         strcmp(noop_steps[i].reg, "source") ? w->dst : w->src,
		                         noop_steps[i].status, noop_steps[i].body),
		        0);
	sl_engine_begin_pass(w->e);
	assert_int_equal(sl_engine_reconcile(w->e, w->snap, KEY, &r, &err), 0);
	assert_int_equal(r.writes, 0);
	during = inventory_inode(w);
	assert_true(during == before);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
	assert_true(inventory_inode(w) != during);
	/* What was saved is the Ready status of the no-op. */
	sl_engine_free(w->e);
	w->e = NULL;
	engine_up(w);
	assert_int_equal(sl_engine_last_status(w->e, KEY, &st), 1);
	assert_string_equal(st.cond[SL_COND_READY].reason, "Running");
	/* A pass with nothing new saves nothing. */
	sl_engine_begin_pass(w->e);
	during = inventory_inode(w);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
	assert_true(inventory_inode(w) == during);
}

static void test_subjects_narrowed_pause_update_resume(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200,
	                INFO("\"pageviews-value\",\"orders-value\"",
	                        "http://schemaregistry2:8082")},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/resume", 200, NAME_REPLY},
	};
	const char *body;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 3);
	body = body_of(w->src, "PUT", "/exporters/src-to-tgt-link");
	assert_non_null(strstr(body, "\"subjects\":[\"pageviews-value\"]"));
	assert_null(strstr(body, CANARY));
}

static void test_subjects_gained_adds_reset(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/reset", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/resume", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\", \"orders-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 4);
}

static void test_url_change_adds_reset(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200,
	                INFO("\"pageviews-value\"", "http://old-target:8082")},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/reset", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/resume", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 4);
}

static void test_rotated_secret_updates_without_reset(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_plan *p = NULL;
	struct sl_buf text = SL_BUF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char pass[128];
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	};
	const struct step apply_steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link", 200, NAME_REPLY},
	        {"source", "PUT /exporters/src-to-tgt-link/resume", 200, NAME_REPLY},
	};
	size_t i;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	snprintf(pass, sizeof(pass), "%s/pass.txt", w->dir);
	assert_int_equal(
	        sl_file_write_atomic(pass, "rotated-" CANARY, 8 + strlen(CANARY), 0600, &err), 0);
	sl_fake_transport_reset(w->src);
	sl_fake_transport_reset(w->dst);
	for (i = 0; i < N(steps); i++)
		sl_fake_transport_reply(strcmp(steps[i].reg, "source") ? w->dst : w->src,
		        steps[i].status, steps[i].body);
	assert_int_equal(sl_engine_plan(w->e, w->snap, KEY, &p, &err), 0);
	assert_int_equal(sl_plan_format(p, &text), 0);
	assert_non_null(strstr(text.data, "config basic.auth.user.info: <secret from file "));
	assert_non_null(strstr(text.data, "pass.txt changed>"));
	assert_null(strstr(text.data, CANARY));
	assert_null(strstr(text.data, "reset"));
	sl_plan_free(p);
	sl_buf_release(&text);
	run(w, KEY, apply_steps, N(apply_steps), &r);
	assert_int_equal(r.writes, 3);
}

static void test_exporter_deleted_by_hand_recreated(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 1);
	assert_int_equal(r.drift_corrections, 1);
	assert_string_equal(r.heal_reason, "ExporterRecreated");
	assert_int_equal(r.status.n_history, 1);
	assert_string_equal(r.status.history[0].reason, "ExporterRecreated");
}

static void test_mode_flipped_by_hand_restored(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READWRITE\"}"},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200,
	                "[\":.source:pageviews-value\"]"},
	        {"source", "GET /subjects", 200, "[\"pageviews-value\"]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions", 200, "[1]"},
	        {"source", "GET /subjects/pageviews-value/versions", 200, "[1,2]"},
	        /* A copy keeps the source's id: version 1 is id 7 on both sides. */
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions/1", 200, SV(1, 7)},
	        {"source", "GET /subjects/pageviews-value/versions/1", 200, SV(1, 7)},
	        {"target", "PUT /mode/%3A.source%3A?force=true", 200, "{\"mode\":\"IMPORT\"}"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 1);
	assert_int_equal(r.drift_corrections, 1);
	assert_string_equal(r.heal_reason, "ModeRestored");
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
}

static void test_destination_has_local_writes(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READWRITE\"}"},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200,
	                "[\":.source:pageviews-value\"]"},
	        {"source", "GET /subjects", 200, "[\"pageviews-value\"]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions", 200, "[1,2,3]"},
	        {"source", "GET /subjects/pageviews-value/versions", 200, "[1,2]"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_int_equal(r.status.cond[SL_COND_STALLED].status, SL_COND_TRUE);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "DestinationHasLocalWrites");
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message, "version 3"));
}

/* A person froze the destination (READONLY) where schemalink had set IMPORT: never forced
 * back (DestinationReadOnly), the subjects not even read, and the exporter's state and the
 * trace's first line still reported. */
static void test_destination_read_only_never_forced(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200,
	                STATUS("PAUSED", RCE "Subject :.source:pageviews-value in context "
	                                     ":.source: is in read-only mode; error code: "
	                                     "42205\\n\\tat io.confluent.Task.run")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READONLY\"}"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.reads, 4);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "DestinationReadOnly");
	assert_int_equal(r.status.cond[SL_COND_STALLED].status, SL_COND_TRUE);
	assert_string_equal(r.status.exporter_state, "PAUSED");
	assert_int_equal(r.status.exporter_offset, 4);
	assert_non_null(strstr(r.status.trace_first_line, "read-only mode; error code: 42205"));
	assert_null(strstr(r.status.trace_first_line, "Task.run"));
}

static void test_destination_not_empty_never_forced(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200,
	                "[\":.source:mine-value\"]"},
	        {"source", "GET /subjects", 200, "[\"pageviews-value\"]"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "DestinationNotEmpty");
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message,
	        "subject :.source:mine-value has no source subject on source"));
	assert_non_null(strstr(r.status.fix, "forceImport"));
}

/* No state at all (a lost state dir): a scope that is not IMPORT but holds only copies of
 * what the link exports (same versions, same ids) is proven safe by the registries and
 * forced back; the heal says so. */
static void test_unknown_scope_proven_copy_restored(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READWRITE\"}"},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200,
	                "[\":.source:pageviews-value\"]"},
	        {"source", "GET /subjects", 200, "[\"pageviews-value\"]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions", 200, "[1,2]"},
	        {"source", "GET /subjects/pageviews-value/versions", 200, "[1,2]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions/1", 200, SV(1, 3)},
	        {"source", "GET /subjects/pageviews-value/versions/1", 200, SV(1, 3)},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions/2", 200, SV(2, 4)},
	        {"source", "GET /subjects/pageviews-value/versions/2", 200, SV(2, 4)},
	        {"target", "PUT /mode/%3A.source%3A?force=true", 200, "{\"mode\":\"IMPORT\"}"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 1);
	assert_int_equal(r.drift_corrections, 1);
	assert_string_equal(r.heal_reason, "ModeRestoredFromRegistry");
	assert_non_null(strstr(r.status.history[0].action, "checked on the registries"));
	/* Recorded now, with the mode it found as the one to restore. */
	{
		struct sl_inventory *back = sl_inventory_load(w->dir, "default", NULL);
		const struct sl_inv_scope *sc =
		        sl_inventory_scope(back, "http://target.test:8082", "mode", ":.source:");

		assert_non_null(sc);
		assert_true(sc->had_previous);
		assert_string_equal(sc->previous, "READWRITE");
		sl_inventory_free(back);
	}
}

/* The same subject and version, another schema id on the destination: not a copy, never
 * forced; the message names the subject and both ids. */
static void test_unknown_scope_id_mismatch_not_forced(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS("RUNNING", "")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READWRITE\"}"},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200,
	                "[\":.source:pageviews-value\"]"},
	        {"source", "GET /subjects", 200, "[\"pageviews-value\"]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions", 200, "[1]"},
	        {"source", "GET /subjects/pageviews-value/versions", 200, "[1]"},
	        {"target", "GET /subjects/%3A.source%3Apageviews-value/versions/1", 200, SV(1, 7)},
	        {"source", "GET /subjects/pageviews-value/versions/1", 200, SV(1, 3)},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "DestinationNotEmpty");
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message,
	        "subject :.source:pageviews-value version 1 has id 7 on target but id 3"));
}

static void test_import_mode_required_healed(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200,
	                STATUS("PAUSED", RCE "Subject :.source:pageviews-value is not in import "
	                                     "mode; error code: 42205\\n\\tat x.y(Z.java:1)")},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	        {"source", "PUT /exporters/src-to-tgt-link/resume", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 2);
	assert_int_equal(r.heals, 2);
	assert_string_equal(r.heal_reason, "ImportModeRequired");
	assert_int_equal(r.result, SL_RESULT_REQUEUE_AFTER);
	assert_string_equal(r.status.history[0].reason, "ImportModeRequired");
	/* The resume is a heal attempt: recorded (with the clock's time) for maxAttemptsPerHour. */
	{
		struct sl_inventory *back = sl_inventory_load(w->dir, "default", NULL);
		const struct sl_inv_object *o = back ? sl_inventory_object(back, KEY) : NULL;

		assert_non_null(o);
		assert_int_equal(o->n_attempts, 1);
		assert_int_equal(o->attempts[0], sl_clock_wall_ms(&w->clock));
		sl_inventory_free(back);
	}
}

static const char loop_extra[] = "---\n"
                                 "apiVersion: schemalink.io/v1alpha1\n"
                                 "kind: SchemaLink\n"
                                 "metadata: {name: tgt-to-src-link}\n"
                                 "spec:\n"
                                 "  source: target\n"
                                 "  destination: source\n"
                                 "  context: {type: CUSTOM, name: target}\n";

static void test_walkthrough_loop_is_replication_loop(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200,
	                INFO("\"*\"", "http://schemaregistry2:8082")},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200,
	                STATUS("PAUSED",
	                        RCE "Subject :.source.target:stock_trades-value is not in "
	                            "import mode; error code: 42205\\n\\tat x.y(Z.java:1)")},
	        /* "*" may select source contexts: the live peers on the destination first. */
	        {"target", "GET /exporters", 200, "[]"},
	        {"source", "GET /contexts", 200, "[\".\",\".target\"]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	};
	size_t i;

	const struct step create_star[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /exporters", 200, "[]"},
	        {"source", "GET /contexts", 200, "[\".\"]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"*\"", loop_extra);
	/* The first apply: only "." exists on the source yet. */
	run(w, KEY, create_star, N(create_star), &r);
	/* Later tgt-to-src-link imported .target into the source, and "*" re-exported it. */
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ReplicationLoop");
	assert_int_equal(r.status.cond[SL_COND_READY].error_code, 42205);
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message, "tgt-to-src-link"));
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message, "src-to-tgt-link"));
	assert_non_null(strstr(r.status.fix, "spec.subjects"));
	for (i = 0; i < w->log.len; i++)
		assert_null(strstr(w->log.items[i], "source.target"));
}

/* Only src-to-tgt-link is in the manifests; its peer tgt-to-src-link runs on the destination
 * (made by hand or by another team) and writes into the source's .target. The live lookup
 * makes .target an import context in every path: no IMPORT is planned on the nested
 * .source.target, and the 42205 there is a ReplicationLoop naming the live peer. */
static void test_live_peer_is_an_import_context(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"source", "GET /exporters/src-to-tgt-link", 200,
	                INFO("\"*\"", "http://schemaregistry2:8082")},
	        {"source", "GET /exporters/src-to-tgt-link/status", 200,
	                STATUS("PAUSED",
	                        RCE "Subject :.source.target:stock_trades-value is not in "
	                            "import mode; error code: 42205\\n\\tat x.y(Z.java:1)")},
	        {"target", "GET /exporters", 200, "[\"tgt-to-src-link\"]"},
	        {"target", "GET /exporters/tgt-to-src-link", 200,
	                "{\"name\":\"tgt-to-src-link\",\"contextType\":\"CUSTOM\",\"context\":"
	                "\"target\",\"subjects\":[\"*\"],\"config\":{\"schema.registry.url\":"
	                "\"http://schemaregistry:8081\"}}"},
	        {"source", "GET /contexts", 200, "[\".\",\".target\"]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	};
	struct sl_plan *p = NULL;
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	const struct step create_star[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /exporters", 200, "[]"},
	        {"source", "GET /contexts", 200, "[\".\"]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 200, NAME_REPLY},
	};

	engine_up(w);
	w->snap = load(w, "\"*\"", NULL);
	run(w, KEY, create_star, N(create_star), &r);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ReplicationLoop");
	assert_non_null(strstr(r.status.cond[SL_COND_READY].message, "tgt-to-src-link"));
	for (i = 0; i < w->log.len; i++)
		assert_null(strstr(w->log.items[i], "source.target"));
	/* diff's path (sl_engine_plan) reads the same and plans nothing. */
	sl_vec_release(&w->log, free);
	for (i = 0; i < N(steps); i++)
		sl_fake_transport_reply(strcmp(steps[i].reg, "source") ? w->dst : w->src,
		        steps[i].status, steps[i].body);
	assert_int_equal(sl_engine_plan(w->e, w->snap, KEY, &p, &err), 0);
	assert_int_equal(p->actions.len, 0);
	assert_string_equal(p->reason, "ReplicationLoop");
	sl_plan_free(p);
}

static void test_suspend_reads_only(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", "  suspend: true\n");
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(r.result, SL_RESULT_DONE);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "Suspended");
}

static void test_dry_run_writes_nothing(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	};

	w->dry_run = true;
	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.writes, 0);
	assert_int_equal(access("/nonexistent", F_OK), -1);
}

static void test_delete_restores_unset_mode(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_error err = SL_ERROR_INIT;
	const struct step steps[] = {
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "DELETE /exporters/src-to-tgt-link", 200, ""},
	        {"target", "DELETE /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	};
	size_t i;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	created(w);
	sl_vec_release(&w->log, free);
	for (i = 0; i < N(steps); i++)
		sl_fake_transport_reply(strcmp(steps[i].reg, "source") ? w->dst : w->src,
		        steps[i].status, steps[i].body);
	assert_int_equal(sl_engine_delete(w->e, w->snap, KEY, &r, &err), 0);
	assert_int_equal(w->log.len, N(steps));
	for (i = 0; i < N(steps); i++) {
		char want[300];

		snprintf(want, sizeof(want), "%s %s", steps[i].reg, steps[i].req);
		assert_string_equal(w->log.items[i], want);
	}
	/* Gone from the inventory: a second delete makes no call, although the link is still
	 * declared (never delete what the set does not own, docs/ownership.md). */
	sl_vec_release(&w->log, free);
	assert_int_equal(sl_engine_delete(w->e, w->snap, KEY, &r, &err), 0);
	assert_int_equal(w->log.len, 0);
	assert_int_equal(r.writes, 0);
}

static void test_prune_restores_previous_mode(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step create_rw[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READWRITE\"}"},
	        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
	        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 200, NAME_REPLY},
	};
	const struct step prune[] = {
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "DELETE /exporters/src-to-tgt-link", 200, ""},
	        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"READWRITE\"}"},
	};
	struct sl_vec orphans = SL_VEC_INIT;
	struct sl_error err = SL_ERROR_INIT;

	w->prune = true;
	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, create_rw, N(create_rw), &r);
	sl_snapshot_free(w->snap);
	w->snap = load(w, NULL, NULL); /* the link left the manifests */
	assert_int_equal(sl_engine_orphans(w->e, w->snap, &orphans, &err), 0);
	assert_int_equal(orphans.len, 1);
	assert_string_equal(orphans.items[0], KEY);
	sl_vec_release(&orphans, free);
	run(w, KEY, prune, N(prune), &r);
	assert_string_equal(
	        body_of(w->dst, "PUT", "/mode/%3A.source%3A"), "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_engine_orphans(w->e, w->snap, &orphans, &err), 0);
	assert_int_equal(orphans.len, 0);
}

static void test_prune_keeps_scope_another_link_needs(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const char two[] = "---\n"
	                   "apiVersion: schemalink.io/v1alpha1\n"
	                   "kind: SchemaLink\n"
	                   "metadata: {name: second-link}\n"
	                   "spec: {source: source, destination: target, subjects: [orders-value],\n"
	                   "       context: {type: CUSTOM, name: source}}\n";
	const struct step second[] = {
	        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 200, "{\"name\":\"second-link\"}"},
	};
	const struct step prune1[] = {
	        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, NAME_REPLY},
	        {"source", "DELETE /exporters/src-to-tgt-link", 200, ""},
	};
	const struct step prune2[] = {
	        {"source", "PUT /exporters/second-link/pause", 200, NAME_REPLY},
	        {"source", "DELETE /exporters/second-link", 200, ""},
	        {"target", "DELETE /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
	};

	w->prune = true;
	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", two);
	created(w);
	/* second-link finds IMPORT already set by the first link: it needs the scope too. */
	run(w, "SchemaLink/second-link", second, N(second), &r);
	sl_snapshot_free(w->snap);
	w->snap = load(w, NULL, two);
	/* Pruning the first link leaves the mode alone: second-link still needs it. */
	run(w, KEY, prune1, N(prune1), &r);
	sl_snapshot_free(w->snap);
	w->snap = load(w, NULL, NULL);
	/* The last needer goes: the scope returns to "no override". */
	run(w, "SchemaLink/second-link", prune2, N(prune2), &r);
}

static void test_exporters_unsupported(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 404,
	                "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ExportersUnsupported");
}

static void test_create_already_exists_compares(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const struct step steps[] = {
	        {"source", "GET /exporters", 200, "[]"},
	        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"IMPORT\"}"},
	        {"source", "POST /exporters", 409,
	                "{\"error_code\":40960,\"message\":\"Exporter already exists\"}"},
	        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OK},
	};

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	/* The inventory must know the secret's hash for "same": create once first. */
	created(w);
	run(w, KEY, steps, N(steps), &r);
	assert_int_equal(r.result, SL_RESULT_REQUEUE_AFTER);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ExporterStarting");
}

static void test_unreachable_registry(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_error err = SL_ERROR_INIT;
	int i;

	engine_up(w);
	w->snap = load(w, "\"pageviews-value\"", NULL);
	for (i = 0; i < 3; i++)
		sl_fake_transport_fail(w->src, SL_ECONN);
	sl_engine_begin_pass(w->e);
	assert_int_equal(sl_engine_reconcile(w->e, w->snap, KEY, &r, &err), 0);
	assert_int_equal(r.result, SL_RESULT_RETRY);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "RegistryUnreachable");
	/* The registry is down for the rest of the pass: no further request. */
	assert_int_equal(sl_engine_reconcile(w->e, w->snap, KEY, &r, &err), 0);
	if (sl_engine_end_pass(w->e, &err) != 0)
		fail_msg("end pass: %s", err.msg);
	assert_int_equal(sl_fake_transport_ncalls(w->src), 3);
	assert_int_equal(w->sleeps, 2);
}

static void test_settings_and_inherit(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	const char ctx[] =
	        "---\n"
	        "apiVersion: schemalink.io/v1alpha1\n"
	        "kind: Context\n"
	        "metadata: {name: target-orders}\n"
	        "spec: {registry: target, context: .orders, mode: READONLY, compatibility: "
	        "INHERIT}\n";
	const struct step steps[] = {
	        {"target", "GET /mode/%3A.orders%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
	        {"target", "GET /config/%3A.orders%3A?defaultToGlobal=false", 200,
	                "{\"compatibilityLevel\":\"FULL\"}"},
	        {"target", "PUT /mode/%3A.orders%3A", 200, "{\"mode\":\"READONLY\"}"},
	        {"target", "DELETE /config/%3A.orders%3A", 200,
	                "{\"compatibilityLevel\":\"FULL\"}"},
	};
	const struct step noop[] = {
	        {"target", "GET /mode/%3A.orders%3A?defaultToGlobal=false", 200,
	                "{\"mode\":\"READONLY\"}"},
	        {"target", "GET /config/%3A.orders%3A?defaultToGlobal=false", 404,
	                "{\"error_code\":40408,\"message\":\"not set\"}"},
	};
	const struct step del[] = {
	        {"target", "DELETE /mode/%3A.orders%3A", 200, "{\"mode\":\"READONLY\"}"},
	        {"target", "PUT /config/%3A.orders%3A", 200, "{\"compatibility\":\"FULL\"}"},
	};
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	engine_up(w);
	w->snap = load(w, NULL, ctx);
	run(w, "Context/target-orders", steps, N(steps), &r);
	assert_int_equal(r.writes, 2);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
	run(w, "Context/target-orders", noop, N(noop), &r);
	assert_int_equal(r.writes, 0);
	sl_vec_release(&w->log, free);
	for (i = 0; i < N(del); i++)
		sl_fake_transport_reply(w->dst, del[i].status, del[i].body);
	assert_int_equal(sl_engine_delete(w->e, w->snap, "Context/target-orders", &r, &err), 0);
	assert_int_equal(w->log.len, 2);
	assert_string_equal(w->log.items[0], "target DELETE /mode/%3A.orders%3A");
	assert_string_equal(w->log.items[1], "target PUT /config/%3A.orders%3A");
}

/* A whole-set delete takes links first (they need their modes until they are gone), then
 * subjects, contexts and registries last; within a kind, in manifest order. */
static void test_delete_order(void **state)
{
	struct world *w = *state;
	const char more[] = "---\n"
	                    "apiVersion: schemalink.io/v1alpha1\n"
	                    "kind: Context\n"
	                    "metadata: {name: target-orders}\n"
	                    "spec: {registry: target, context: .orders, mode: READONLY}\n"
	                    "---\n"
	                    "apiVersion: schemalink.io/v1alpha1\n"
	                    "kind: Subject\n"
	                    "metadata: {name: target-a}\n"
	                    "spec: {registry: target, subject: a-value, compatibility: FULL}\n";
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_buf got = SL_BUF_INIT;
	size_t i;

	w->snap = load(w, "\"a-value\"", more);
	assert_int_equal(sl_engine_delete_order(w->snap, &keys), 0);
	for (i = 0; i < keys.len; i++)
		sl_buf_addf(&got, "%s%s", i ? " " : "", (char *)keys.items[i]);
	assert_string_equal(got.data,
	        "SchemaLink/src-to-tgt-link Subject/target-a Context/target-orders Registry/source "
	        "Registry/target");
	sl_buf_release(&got);
	sl_vec_release(&keys, free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_create_sets_mode_before_exporter, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_noop_only_reads, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_noop_pass_saves_state_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_subjects_narrowed_pause_update_resume, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subjects_gained_adds_reset, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_url_change_adds_reset, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_rotated_secret_updates_without_reset, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_exporter_deleted_by_hand_recreated, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_mode_flipped_by_hand_restored, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_destination_has_local_writes, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_destination_read_only_never_forced, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_destination_not_empty_never_forced, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_live_peer_is_an_import_context, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unknown_scope_proven_copy_restored, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unknown_scope_id_mismatch_not_forced, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_mode_required_healed, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_walkthrough_loop_is_replication_loop, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_suspend_reads_only, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_delete_restores_unset_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_prune_restores_previous_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_prune_keeps_scope_another_link_needs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exporters_unsupported, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_create_already_exists_compares, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unreachable_registry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_settings_and_inherit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_delete_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
