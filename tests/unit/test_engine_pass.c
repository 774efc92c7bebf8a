/* test_engine_pass.c — what the engine reads or derives once and shares between the objects
 * it reconciles (docs/internals/operations.md "Footprint targets": per link the exporter info and status,
 * one GET per managed scope, one list per registry; nothing walked per link), and that a
 * scope written in a pass is read live again. Each scenario scripts the fake registries and
 * asserts every request each one got. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/engine.h"
#include "schemalink/manifest.h"
#include "schemalink/srclient.h"
#include "schemalink/fileio.h"
#include "engine_fixture.h"

#define MODE_PATH "/mode/%3A.source%3A?defaultToGlobal=false"
#define NOT_SET_MODE "{\"error_code\":40409,\"message\":\"mode not configured\"}"
#define NOT_SET_CONFIG "{\"error_code\":40408,\"message\":\"compatibility not configured\"}"
#define IMPORT "{\"mode\":\"IMPORT\"}"
#define RCE "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: "

struct world {
	struct sl_fake_transport *src, *dst;
	bool src_taken, dst_taken; /* handed to the engine, which frees them */
	struct sl_engine *e;
	struct sl_snapshot *snap;
	struct sl_clock clock;
	char dir[64];
	bool prune;
	bool guarded, allow_all; /* guard_engine: the guard rails as given, not lifted */
	int max_prune;
	int sleeps;
	int id_reads; /* GET /v1/metadata/id on either registry (engine_fixture.h) */
};

static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	bool src = strcmp(registry, "source") == 0;

	(void)cfg;
	(void)err;
	*(src ? &w->src_taken : &w->dst_taken) = true;
	return fixture_identity_wrap(sl_fake_transport_base(src ? w->src : w->dst),
	        src ? "kc-source/srlite" : "kc-target/srlite", &w->id_reads);
}

static void no_sleep(void *arg, long ms)
{
	(void)ms;
	((struct world *)arg)->sleeps++;
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
	cfg.allow_prune_all = w->guarded ? w->allow_all : w->prune;
	cfg.max_prune = w->max_prune;
	cfg.transport = make_transport;
	cfg.transport_cls = w;
	cfg.sleep_ms = no_sleep;
	cfg.sleep_arg = w;
	w->e = sl_engine_new(&cfg, &err);
	if (w->e == NULL)
		fail_msg("sl_engine_new: %s", err.msg);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	/* mkdtemp's template ends in six capital X, spelled out to keep grep for markers quiet. */
	snprintf(w->dir, sizeof(w->dir), "/tmp/sl-pass-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X', 'X');
	assert_non_null(mkdtemp(w->dir));
	sl_clock_fake_init(&w->clock, 1000, 1700000000000LL);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];

	sl_engine_free(w->e);
	fakes_free(w);
	sl_snapshot_free(w->snap);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* ---- manifests ---------------------------------------------------------------------------- */

static const char registries_yaml[] = "apiVersion: schemalink.io/v1alpha1\n"
                                      "kind: Registry\n"
                                      "metadata: {name: source}\n"
                                      "spec: {url: \"http://source.test:8081\", clusterId: "
                                      "src-cluster}\n"
                                      "---\n"
                                      "apiVersion: schemalink.io/v1alpha1\n"
                                      "kind: Registry\n"
                                      "metadata: {name: target}\n"
                                      "spec: {url: \"http://target.test:8082\", clusterId: "
                                      "tgt-cluster}\n";

/* Appends link `name` from src to dst writing subject `subject` (a YAML flow list body) with
 * the context given as YAML ("{type: CUSTOM, name: source}"). */
static void add_link(struct sl_buf *b, const char *name, const char *src, const char *dst,
        const char *subjects, const char *context)
{
	sl_buf_addf(b,
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\n"
	        "spec:\n  source: %s\n  destination: %s\n  subjects: [%s]\n  context: %s\n",
	        name, src, dst, subjects, context);
}

/* n links l-00.. from source into target's context .source, each with its own subject. */
static void add_links(struct sl_buf *b, int n)
{
	char name[32], subj[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "l-%02d", i);
		snprintf(subj, sizeof(subj), "\"s-%02d\"", i);
		add_link(b, name, "source", "target", subj, "{type: CUSTOM, name: source}");
	}
}

/* A Context object on target: spec is the YAML flow mapping's inside after the context. */
static void add_context(struct sl_buf *b, const char *name, const char *ctx, const char *spec)
{
	sl_buf_addf(b,
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: Context\nmetadata: {name: %s}\n"
	        "spec: {registry: target, context: %s, %s}\n",
	        name, ctx, spec);
}

/* Loads registries_yaml plus docs as w->snap (freeing the one before). */
static void load(struct world *w, const struct sl_buf *docs)
{
	struct sl_snapshot *s;
	struct sl_buf b = SL_BUF_INIT;

	sl_buf_adds(&b, registries_yaml);
	if (docs && docs->data)
		sl_buf_adds(&b, docs->data);
	s = fixture_load("m.yaml", w->dir, b.data, b.len);
	sl_buf_release(&b);
	sl_snapshot_free(w->snap);
	w->snap = s;
}

/* ---- registry replies and the requests made ------------------------------------------------ */

static void reply(struct sl_fake_transport *f, int status, const char *body)
{
	assert_int_equal(sl_fake_transport_reply(f, status, body), 0);
}

/* The exporter `name` as the engine wants it (a CUSTOM "source" link into target). */
static void reply_info(struct sl_fake_transport *f, const char *name, const char *subjects)
{
	char body[512];

	snprintf(body, sizeof(body),
	        "{\"name\":\"%s\",\"contextType\":\"CUSTOM\",\"context\":\"source\","
	        "\"subjects\":[%s],\"subjectRenameFormat\":\"${subject}\","
	        "\"config\":{\"schema.registry.url\":\"http://target.test:8082\"}}",
	        name, subjects);
	reply(f, 200, body);
}

static void reply_status(
        struct sl_fake_transport *f, const char *name, const char *state, const char *trace)
{
	char body[1024];

	snprintf(body, sizeof(body),
	        "{\"name\":\"%s\",\"state\":\"%s\",\"offset\":4,\"ts\":1701292093264,"
	        "\"trace\":\"%s\"}",
	        name, state, trace);
	reply(f, 200, body);
}

/* GET /exporters answering l-00 .. l-(n-1). */
static void reply_list(struct sl_fake_transport *f, int n)
{
	struct sl_buf b = SL_BUF_INIT;
	int i;

	sl_buf_adds(&b, "[");
	for (i = 0; i < n; i++)
		sl_buf_addf(&b, "%s\"l-%02d\"", i ? "," : "", i);
	sl_buf_adds(&b, "]");
	reply(f, 200, b.data);
	sl_buf_release(&b);
}

/* Asserts that f got exactly the requests want[0..n) ("METHOD path"), in order, and used
 * every scripted reply; then forgets them. */
static void expect_calls(
        struct sl_fake_transport *f, const char *reg, const char *const *want, size_t n)
{
	size_t i, got = sl_fake_transport_ncalls(f);

	for (i = 0; i < got || i < n; i++) {
		const struct sl_fake_call *c = i < got ? sl_fake_transport_call(f, i) : NULL;
		char line[600];

		if (c == NULL)
			fail_msg("%s call %zu: want \"%s\", none made", reg, i, want[i]);
		snprintf(line, sizeof(line), "%s %s", c->method, c->path);
		if (i >= n)
			fail_msg("%s call %zu: unexpected \"%s\"", reg, i, line);
		if (strcmp(line, want[i]) != 0)
			fail_msg("%s call %zu: want \"%s\", got \"%s\"", reg, i, want[i], line);
	}
	assert_int_equal(sl_fake_transport_pending(f), 0);
	sl_fake_transport_reset(f);
}

#define NLINKS 50

/* A list of expected requests built one at a time, for expect_calls(f, reg, c.p, c.n). */
struct calls {
	char buf[2 * NLINKS + 4][80];
	const char *p[2 * NLINKS + 4];
	size_t n;
};

static void calls_add(struct calls *c, const char *line)
{
	assert_true(c->n < sizeof(c->buf) / sizeof(c->buf[0]));
	snprintf(c->buf[c->n], sizeof(c->buf[0]), "%s", line);
	c->p[c->n] = c->buf[c->n];
	c->n++;
}

/* What a reconcile of an existing exporter l-NN reads besides the list: info, status. */
static void calls_add_info_status(struct calls *c, int i)
{
	char line[80];

	snprintf(line, sizeof(line), "GET /exporters/l-%02d", i);
	calls_add(c, line);
	snprintf(line, sizeof(line), "GET /exporters/l-%02d/status", i);
	calls_add(c, line);
}

static void reconcile(struct world *w, const char *key, struct sl_reconcile_result *r)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_reconcile(w->e, w->snap, key, r, &err) != 0)
		fail_msg("reconcile %s: %s", key, err.msg);
}

static void reconcile_snap(struct world *w, const struct sl_snapshot *s, const char *key,
        struct sl_reconcile_result *r)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_reconcile(w->e, s, key, r, &err) != 0)
		fail_msg("reconcile %s: %s", key, err.msg);
}

static void end_pass(struct world *w)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_end_pass(w->e, &err) != 0)
		fail_msg("end pass: %s", err.msg);
}

static void assert_running(const struct sl_reconcile_result *r)
{
	assert_int_equal(r->writes, 0);
	assert_int_equal(r->result, SL_RESULT_DONE);
	assert_string_equal(r->status.cond[SL_COND_READY].reason, "Running");
}

/* ---- scenarios ---------------------------------------------------------------------------- */

/* 50 links into one destination context: one pass reads the exporter list once, each link's
 * info and status, and the context's mode once (it was read once per link). l-49 is not in
 * the list: the set built from it tells it apart and it is created. Outside a pass every
 * reconcile reads the list and the mode again. */
static void test_pass_reads_scope_mode_once(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	struct calls src = {0}, dst = {0};
	char key[64];
	int i;

	add_links(&docs, NLINKS);
	engine_up(w);
	load(w, &docs);
	reply_list(w->src, NLINKS - 1);
	for (i = 0; i < NLINKS - 1; i++) {
		char subj[16];

		snprintf(key, sizeof(key), "l-%02d", i);
		snprintf(subj, sizeof(subj), "\"s-%02d\"", i);
		reply_info(w->src, key, subj);
		reply_status(w->src, key, "RUNNING", "");
	}
	reply(w->src, 200, "{\"name\":\"l-49\"}");
	reply(w->dst, 200, IMPORT);

	sl_engine_begin_pass(w->e);
	for (i = 0; i < NLINKS; i++) {
		snprintf(key, sizeof(key), "SchemaLink/l-%02d", i);
		reconcile(w, key, &r);
		if (i == 0)
			assert_int_equal(r.reads, 4); /* list, info, status, mode */
		else if (i < NLINKS - 1)
			assert_int_equal(r.reads, 2); /* info, status */
		if (i < NLINKS - 1) {
			assert_running(&r);
		} else {
			/* The source's identity, read once for the ownership record written ahead
			 * of the create. */
			assert_int_equal(r.reads, 1);
			assert_int_equal(w->id_reads, 1);
			assert_int_equal(r.writes, 1);
			assert_string_equal(
			        r.status.cond[SL_COND_READY].reason, "ExporterStarting");
		}
	}
	end_pass(w);
	calls_add(&src, "GET /exporters");
	for (i = 0; i < NLINKS - 1; i++)
		calls_add_info_status(&src, i);
	calls_add(&src, "POST /exporters");
	expect_calls(w->src, "source", src.p, src.n);
	calls_add(&dst, "GET " MODE_PATH);
	expect_calls(w->dst, "target", dst.p, dst.n);

	/* No pass: the list and the mode are read for each link. */
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "l-%02d", i);
		reply_list(w->src, NLINKS);
		reply_info(w->src, key, i ? "\"s-01\"" : "\"s-00\"");
		reply_status(w->src, key, "RUNNING", "");
		reply(w->dst, 200, IMPORT);
		snprintf(key, sizeof(key), "SchemaLink/l-%02d", i);
		reconcile(w, key, &r);
		assert_running(&r);
		assert_int_equal(r.reads, 4);
	}
	src.n = dst.n = 0;
	for (i = 0; i < 2; i++) {
		calls_add(&src, "GET /exporters");
		calls_add_info_status(&src, i);
		calls_add(&dst, "GET " MODE_PATH);
	}
	expect_calls(w->src, "source", src.p, src.n);
	expect_calls(w->dst, "target", dst.p, dst.n);
	sl_buf_release(&docs);
}

/* The cache lives for one pass: the next pass reads the mode (and the list) again. */
static void test_next_pass_reads_again(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	struct calls src = {0};
	const char *const dst_want[] = {"GET " MODE_PATH};
	int pass, i;

	add_links(&docs, 2);
	engine_up(w);
	load(w, &docs);
	for (pass = 0; pass < 2; pass++) {
		reply_list(w->src, 2);
		reply_info(w->src, "l-00", "\"s-00\"");
		reply_status(w->src, "l-00", "RUNNING", "");
		reply_info(w->src, "l-01", "\"s-01\"");
		reply_status(w->src, "l-01", "RUNNING", "");
		reply(w->dst, 200, IMPORT);
		sl_engine_begin_pass(w->e);
		for (i = 0; i < 2; i++) {
			reconcile(w, i ? "SchemaLink/l-01" : "SchemaLink/l-00", &r);
			assert_running(&r);
		}
		end_pass(w);
		src.n = 0;
		calls_add(&src, "GET /exporters");
		calls_add_info_status(&src, 0);
		calls_add_info_status(&src, 1);
		expect_calls(w->src, "source", src.p, src.n);
		expect_calls(w->dst, "target", dst_want, 1);
	}
	sl_buf_release(&docs);
}

/* l-00's exporter paused on 42205: the heal sets IMPORT on .source. l-01, reconciled next in
 * the same pass, needs .source too and must see the mode as it is now (IMPORT), not the "not
 * set" l-00 read before its heal: with a stale answer it would read the subjects and set
 * IMPORT again. */
static void test_heal_write_is_read_live_in_pass(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *const src_want[] = {"GET /exporters", "GET /exporters/l-00",
	        "GET /exporters/l-00/status", "PUT /exporters/l-00/resume", "GET /exporters/l-01",
	        "GET /exporters/l-01/status"};
	const char *const dst_want[] = {"GET " MODE_PATH,
	        "GET /subjects?subjectPrefix=%3A.source%3A", "PUT /mode/%3A.source%3A",
	        "GET " MODE_PATH};

	add_links(&docs, 2);
	engine_up(w);
	load(w, &docs);
	reply_list(w->src, 2);
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "PAUSED",
	        RCE "Subject :.source:s-00 is not in import mode; error code: 42205\\n\\tat "
	            "x.y(Z.java:1)");
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reply_info(w->src, "l-01", "\"s-01\"");
	reply_status(w->src, "l-01", "RUNNING", "");
	reply(w->dst, 404, NOT_SET_MODE);
	reply(w->dst, 200, "[]");
	reply(w->dst, 200, IMPORT);
	reply(w->dst, 200, IMPORT);

	sl_engine_begin_pass(w->e);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_int_equal(r.writes, 2);
	assert_int_equal(r.heals, 2);
	assert_string_equal(r.heal_reason, "ImportModeRequired");
	reconcile(w, "SchemaLink/l-01", &r);
	assert_running(&r);
	end_pass(w);
	expect_calls(w->src, "source", src_want, sizeof(src_want) / sizeof(src_want[0]));
	expect_calls(w->dst, "target", dst_want, sizeof(dst_want) / sizeof(dst_want[0]));
	sl_buf_release(&docs);
}

/* A Context object sets IMPORT on .source; the link into .source reconciled after it in the
 * same pass reads the mode again and finds IMPORT (a stale "not set" would make it read the
 * subjects and set the mode a second time). */
static void test_setting_write_is_read_live_in_pass(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *const src_want[] = {"GET /exporters", "POST /exporters"};
	const char *const dst_want[] = {
	        "GET " MODE_PATH, "PUT /mode/%3A.source%3A", "GET " MODE_PATH};

	add_links(&docs, 1);
	add_context(&docs, "tgt-source", ".source", "mode: IMPORT");
	engine_up(w);
	load(w, &docs);
	reply(w->src, 200, "[]");
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reply(w->dst, 404, NOT_SET_MODE);
	reply(w->dst, 200, IMPORT);
	reply(w->dst, 200, IMPORT);

	sl_engine_begin_pass(w->e);
	reconcile(w, "Context/tgt-source", &r);
	assert_int_equal(r.writes, 1);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_int_equal(r.writes, 1); /* the exporter only */
	end_pass(w);
	expect_calls(w->src, "source", src_want, 2);
	expect_calls(w->dst, "target", dst_want, 3);
	sl_buf_release(&docs);
}

/* Context ctx-a set compatibility FULL on .orders and was renamed ctx-b. In one pass ctx-b
 * reads FULL (in sync), the prune of ctx-a restores "no override" (DELETE), and ctx-b,
 * reconciled again, must read the compatibility live and set it back. */
static void test_prune_restore_is_read_live_in_pass(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *const first[] = {
	        "GET /config/%3A.orders%3A?defaultToGlobal=false", "PUT /config/%3A.orders%3A"};
	const char *const dst_want[] = {"GET /config/%3A.orders%3A?defaultToGlobal=false",
	        "DELETE /config/%3A.orders%3A", "GET /config/%3A.orders%3A?defaultToGlobal=false",
	        "PUT /config/%3A.orders%3A"};

	w->prune = true;
	engine_up(w);
	add_context(&docs, "ctx-a", ".orders", "compatibility: FULL");
	load(w, &docs);
	reply(w->dst, 404, NOT_SET_CONFIG);
	reply(w->dst, 200, "{\"compatibility\":\"FULL\"}");
	reconcile(w, "Context/ctx-a", &r);
	assert_int_equal(r.writes, 1);
	expect_calls(w->dst, "target", first, 2);

	sl_buf_reset(&docs);
	add_context(&docs, "ctx-b", ".orders", "compatibility: FULL");
	load(w, &docs);
	reply(w->dst, 200, "{\"compatibilityLevel\":\"FULL\"}");
	reply(w->dst, 200, "{\"compatibilityLevel\":\"FULL\"}");
	reply(w->dst, 404, NOT_SET_CONFIG);
	reply(w->dst, 200, "{\"compatibility\":\"FULL\"}");
	sl_engine_begin_pass(w->e);
	reconcile(w, "Context/ctx-b", &r);
	assert_int_equal(r.writes, 0);
	reconcile(w, "Context/ctx-a", &r);
	assert_int_equal(r.op, SL_PLAN_DELETE);
	assert_int_equal(r.writes, 1);
	reconcile(w, "Context/ctx-b", &r);
	assert_int_equal(r.writes, 1);
	end_pass(w);
	expect_calls(w->dst, "target", dst_want, 4);
	sl_buf_release(&docs);
}

/* slctl promote inside a pass sets READWRITE on .source: a Context that wants IMPORT there,
 * reconciled after it in the pass, reads the mode live (READWRITE) and sets IMPORT. */
static void test_promote_write_is_read_live_in_pass(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT, change = SL_BUF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	const char *const src_want[] = {"GET /exporters", "GET /exporters/l-00",
	        "GET /exporters/l-00/status", "PUT /exporters/l-00/pause"};
	const char *const dst_want[] = {"GET " MODE_PATH, "GET /contexts",
	        "PUT /mode/%3A.source%3A", "GET " MODE_PATH, "PUT /mode/%3A.source%3A"};

	add_links(&docs, 1);
	add_context(&docs, "tgt-source", ".source", "mode: IMPORT");
	engine_up(w);
	load(w, &docs);
	reply_list(w->src, 1);
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "RUNNING", "");
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reply(w->dst, 200, IMPORT);
	reply(w->dst, 200, "[\".\",\".source\"]");
	reply(w->dst, 200, "{\"mode\":\"READWRITE\"}");
	reply(w->dst, 200, "{\"mode\":\"READWRITE\"}");
	reply(w->dst, 200, IMPORT);

	sl_engine_begin_pass(w->e);
	reconcile(w, "Context/tgt-source", &r);
	assert_int_equal(r.writes, 0);
	if (sl_engine_promote(w->e, w->snap, "l-00", &change, &err) != 0)
		fail_msg("promote: %s", err.msg);
	reconcile(w, "Context/tgt-source", &r);
	assert_int_equal(r.writes, 1);
	end_pass(w);
	expect_calls(w->src, "source", src_want, 4);
	expect_calls(w->dst, "target", dst_want, 5);
	sl_buf_release(&change);
	sl_buf_release(&docs);
}

/* A connection failure reading the mode marks the destination down for the rest of the pass:
 * the next link gets the same error without a request; the next pass tries again. */
static void test_unreachable_mode_read_in_pass(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	int i;

	add_links(&docs, 2);
	engine_up(w);
	load(w, &docs);
	reply_list(w->src, 2);
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "RUNNING", "");
	reply_info(w->src, "l-01", "\"s-01\"");
	reply_status(w->src, "l-01", "RUNNING", "");
	for (i = 0; i < 3; i++)
		sl_fake_transport_fail(w->dst, SL_ECONN);
	sl_engine_begin_pass(w->e);
	for (i = 0; i < 2; i++) {
		reconcile(w, i ? "SchemaLink/l-01" : "SchemaLink/l-00", &r);
		assert_int_equal(r.result, SL_RESULT_RETRY);
		assert_string_equal(r.status.cond[SL_COND_READY].reason, "RegistryUnreachable");
		assert_non_null(strstr(r.status.cond[SL_COND_READY].message, "registry target"));
	}
	end_pass(w);
	assert_int_equal(sl_fake_transport_ncalls(w->dst), 3);
	assert_int_equal(w->sleeps, 2);
	sl_fake_transport_reset(w->dst);
	sl_fake_transport_reset(w->src);

	reply_list(w->src, 2);
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "RUNNING", "");
	reply(w->dst, 200, IMPORT);
	sl_engine_begin_pass(w->e);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_running(&r);
	end_pass(w);
	assert_int_equal(sl_fake_transport_ncalls(w->dst), 1);
	sl_buf_release(&docs);
}

/* A Registry that manages no mode or compatibility proves that its registry answers with the
 * exporter list, the one the links of the pass read anyway: one list per registry and pass
 * (docs/internals/operations.md). A registry without the exporters API (404) still answered; one that cannot
 * be reached is not Ready. */
static void test_registry_liveness_shares_the_list(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *const src_want[] = {"GET /exporters", "GET /exporters/l-00",
	        "GET /exporters/l-00/status", "GET /exporters/l-01", "GET /exporters/l-01/status"};
	const char *const dst_want[] = {"GET /exporters", "GET " MODE_PATH};
	const char *const list_only[] = {"GET /exporters"};

	add_links(&docs, 2);
	engine_up(w);
	load(w, &docs);
	reply_list(w->src, 2);
	reply(w->dst, 200, "[]");
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "RUNNING", "");
	reply_info(w->src, "l-01", "\"s-01\"");
	reply_status(w->src, "l-01", "RUNNING", "");
	reply(w->dst, 200, IMPORT);
	sl_engine_begin_pass(w->e);
	reconcile(w, "Registry/source", &r);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
	reconcile(w, "Registry/target", &r);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_running(&r);
	reconcile(w, "SchemaLink/l-01", &r);
	assert_running(&r);
	end_pass(w);
	expect_calls(w->src, "source", src_want, 5);
	expect_calls(w->dst, "target", dst_want, 2);

	/* No exporters API: an HTTP answer all the same. */
	reply(w->src, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
	sl_engine_begin_pass(w->e);
	reconcile(w, "Registry/source", &r);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_TRUE);
	end_pass(w);
	expect_calls(w->src, "source", list_only, 1);

	/* Unreachable: not Ready, and said so. */
	sl_fake_transport_fail(w->src, SL_ECONN);
	sl_fake_transport_fail(w->src, SL_ECONN);
	sl_fake_transport_fail(w->src, SL_ECONN);
	sl_engine_begin_pass(w->e);
	reconcile(w, "Registry/source", &r);
	assert_int_equal(r.status.cond[SL_COND_READY].status, SL_COND_FALSE);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "RegistryUnreachable");
	end_pass(w);
	sl_fake_transport_reset(w->src);
	sl_buf_release(&docs);
}

/* l-00 is missing: the pass creates it (STARTING, requeued). Reconciled again in the same
 * pass, it must find the exporter it created in the pass's list, and read it, not POST again;
 * after a delete (prune) the pass's list forgets it. */
static void test_created_exporter_is_in_the_pass_list(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *const src_want[] = {"GET /exporters", "POST /exporters", "GET /exporters/l-00",
	        "GET /exporters/l-00/status"};
	const char *const dst_want[] = {"GET " MODE_PATH};
	const char *const pruned_src[] = {"GET /exporters", "PUT /exporters/l-00/pause",
	        "DELETE /exporters/l-00", "POST /exporters"};

	w->prune = true;
	add_links(&docs, 1);
	engine_up(w);
	load(w, &docs);
	reply(w->src, 200, "[]");
	reply(w->dst, 200, IMPORT);
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reply_info(w->src, "l-00", "\"s-00\"");
	reply_status(w->src, "l-00", "RUNNING", "");
	sl_engine_begin_pass(w->e);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_int_equal(r.writes, 1);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ExporterStarting");
	reconcile(w, "SchemaLink/l-00", &r);
	assert_running(&r);
	assert_int_equal(r.writes, 0);
	end_pass(w);
	expect_calls(w->src, "source", src_want, 4);
	expect_calls(w->dst, "target", dst_want, 1);

	/* Pruned in a pass (the manifests dropped it), then declared again in the same pass:
	 * the pass's list (read by the Registry) no longer has it, so it is created at once. */
	sl_buf_reset(&docs);
	add_links(&docs, 0);
	load(w, &docs);
	reply_list(w->src, 1);
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	sl_engine_begin_pass(w->e);
	reconcile(w, "Registry/source", &r);
	reconcile(w, "SchemaLink/l-00", &r);
	assert_int_equal(r.op, SL_PLAN_DELETE);
	assert_int_equal(r.writes, 2);
	add_links(&docs, 1);
	load(w, &docs);
	reply(w->dst, 200, IMPORT);
	reply(w->src, 200, "{\"name\":\"l-00\"}");
	reconcile(w, "SchemaLink/l-00", &r);
	assert_int_equal(r.writes, 1);
	assert_string_equal(r.status.cond[SL_COND_READY].reason, "ExporterStarting");
	end_pass(w);
	expect_calls(w->src, "source", pruned_src, 4);
	expect_calls(w->dst, "target", dst_want, 1);
	sl_buf_release(&docs);
}

/* The import contexts declared on source by five links from target (CUSTOM alpha twice, AUTO,
 * CUSTOM beta, NONE). Link fwd ("*" from source into .source on target) skips the declared
 * ones among the source's contexts (only .gamma becomes a scope to read) and names the first
 * declared writer of a context that came back nested. */
static void imports_docs(struct sl_buf *docs, const char *beta_writer)
{
	add_link(docs, "fwd", "source", "target", "\"*\"", "{type: CUSTOM, name: source}");
	add_link(docs, "r-alpha", "target", "source", "\"a-1\"", "{type: CUSTOM, name: alpha}");
	add_link(docs, "r-alpha2", "target", "source", "\"a-2\"", "{type: CUSTOM, name: alpha}");
	add_link(docs, "r-auto", "target", "source", "\"a-3\"", "{type: AUTO}");
	add_link(docs, beta_writer, "target", "source", "\"a-4\"", "{type: CUSTOM, name: beta}");
	add_link(docs, "r-none", "target", "source", "\"a-5\"", "{type: NONE}");
}

static void reconcile_fwd_loop(struct world *w, const char *nested, struct sl_reconcile_result *r)
{
	char trace[512];
	const char *const src_want[] = {"GET /exporters", "GET /exporters/fwd",
	        "GET /exporters/fwd/status", "GET /contexts"};
	/* "*" may select source contexts: the live peers on the destination are read first. */
	const char *const dst_want[] = {"GET /exporters", "GET " MODE_PATH,
	        "GET /mode/%3A.source.gamma%3A?defaultToGlobal=false"};

	snprintf(trace, sizeof(trace),
	        RCE "Subject :.source.%s:x-value is not in import mode; error code: 42205\\n\\tat "
	            "x.y(Z.java:1)",
	        nested);
	reply(w->src, 200, "[\"fwd\"]");
	reply(w->src, 200,
	        "{\"name\":\"fwd\",\"contextType\":\"CUSTOM\",\"context\":\"source\","
	        "\"subjects\":[\"*\"],\"subjectRenameFormat\":\"${subject}\","
	        "\"config\":{\"schema.registry.url\":\"http://target.test:8082\"}}");
	reply_status(w->src, "fwd", "PAUSED", trace);
	reply(w->src, 200, "[\".\",\".alpha\",\".beta\",\".gamma\",\".tgt-cluster\"]");
	reply(w->dst, 200, "[]");
	reply(w->dst, 200, IMPORT);
	reply(w->dst, 200, IMPORT);
	sl_engine_begin_pass(w->e);
	reconcile(w, "SchemaLink/fwd", r);
	end_pass(w);
	expect_calls(w->src, "source", src_want, 4);
	expect_calls(w->dst, "target", dst_want, 3);
	assert_int_equal(r->writes, 0);
	assert_string_equal(r->status.cond[SL_COND_READY].reason, "ReplicationLoop");
}

static void test_declared_imports_of_many_links(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_buf docs = SL_BUF_INIT;
	const char *msg = r.status.cond[SL_COND_READY].message;

	imports_docs(&docs, "r-beta");
	engine_up(w);
	load(w, &docs);
	reconcile_fwd_loop(w, "beta", &r);
	assert_non_null(strstr(msg, "context .beta, which link r-beta writes"));
	reconcile_fwd_loop(w, "alpha", &r);
	assert_non_null(strstr(msg, "context .alpha, which link r-alpha writes"));
	reconcile_fwd_loop(w, "tgt-cluster", &r);
	assert_non_null(strstr(msg, "context .tgt-cluster, which link r-auto writes"));

	/* Another snapshot (possibly where the first one lived): its writers, not the old ones. */
	sl_buf_reset(&docs);
	imports_docs(&docs, "r-zeta");
	load(w, &docs);
	reconcile_fwd_loop(w, "beta", &r);
	assert_non_null(strstr(msg, "context .beta, which link r-zeta writes"));
	sl_buf_release(&docs);
}

/* A set that owns l-00..l-03 (exporters on source, written as a state file): which prunes
 * the guard rails allow, and that a refused one writes nothing. */
static void guard_engine(struct world *w, bool allow_all, int max_prune)
{
	w->prune = true;
	w->guarded = true;
	w->allow_all = allow_all;
	w->max_prune = max_prune;
	engine_up(w);
}

static void write_owned_state(struct world *w, int n)
{
	struct sl_buf b = SL_BUF_INIT;
	char path[128];
	int i;

	sl_buf_adds(&b, "{\"version\":2,\"seq\":1,\"set\":\"default\",\"objects\":{},\"scopes\":{},"
	                "\"owned\":{");
	for (i = 0; i < n; i++)
		sl_buf_addf(&b,
		        "%s\"http://source.test:8081|kc-source/"
		        "srlite|l-%02d\":{\"key\":\"SchemaLink/l-%02d\","
		        "\"exporter\":\"l-%02d\",\"registry\":\"source\",\"url\":\"http://"
		        "source.test:8081\","
		        "\"clusterId\":\"kc-source/srlite\",\"pending\":false,\"adopted\":false}",
		        i ? "," : "", i, i, i);
	sl_buf_adds(&b, "}}");
	snprintf(path, sizeof(path), "%s/default", w->dir);
	assert_int_equal(sl_mkdir_p(path, 0700, NULL), 0);
	snprintf(path, sizeof(path), "%s/default/inventory.json", w->dir);
	assert_int_equal(sl_file_write_atomic(path, b.data, b.len, 0600, NULL), 0);
	sl_buf_release(&b);
}

static void expect_guard(
        struct world *w, int links, bool allow_all, int max_prune, bool ok, const char *why_part)
{
	struct sl_buf docs = SL_BUF_INIT;
	char why[512];

	guard_engine(w, allow_all, max_prune);
	add_links(&docs, links);
	load(w, &docs);
	assert_int_equal(sl_engine_prune_allowed(w->e, w->snap, why, sizeof(why)), ok);
	if (why_part && !strstr(why, why_part))
		fail_msg("guard: \"%s\" does not say \"%s\"", why, why_part);
	sl_buf_release(&docs);
}

static void test_prune_guard_rails(void **state)
{
	struct world *w = *state;
	struct sl_reconcile_result r;
	struct sl_vec orphans = SL_VEC_INIT;

	write_owned_state(w, 4);
	expect_guard(w, 4, false, 0, true, NULL); /* nothing to prune */
	expect_guard(w, 3, false, 0, true, NULL); /* 1 of 4: within half */
	expect_guard(w, 2, false, 0, true, NULL); /* 2 of 4: half */
	expect_guard(
	        w, 1, false, 0, false, "delete 3 of the 4 objects this set owns, more than the 2");
	expect_guard(w, 1, false, 3, true, NULL); /* --max-prune 3 */
	expect_guard(w, 0, false, 10, false, "every object this set owns (4)");
	expect_guard(w, 0, true, 0, true, NULL); /* --allow-prune-all */
	/* The refused prune of l-03 (3 of 4 again) makes no call and keeps the record. */
	expect_guard(w, 1, false, 0, false, NULL);
	reconcile(w, "SchemaLink/l-03", &r);
	assert_true(r.prune_refused);
	assert_int_equal(r.result, SL_RESULT_STALLED);
	assert_string_equal(r.status.cond[SL_COND_STALLED].reason, "PruneRefused");
	assert_int_equal(r.writes, 0);
	assert_int_equal(sl_fake_transport_ncalls(w->src), 0);
	assert_int_equal(sl_engine_orphans(w->e, w->snap, &orphans, NULL), 0);
	assert_int_equal(orphans.len, 3);
	sl_vec_release(&orphans, free);
	/* A snapshot with no object at all never prunes, whatever the flags. */
	guard_engine(w, true, 0);
	{
		struct sl_snapshot *s = fixture_load("m.yaml", w->dir, "", 0);
		char why[512];

		assert_false(sl_engine_prune_allowed(w->e, s, why, sizeof(why)));
		assert_non_null(strstr(why, "never prunes"));
		reconcile_snap(w, s, "SchemaLink/l-00", &r);
		assert_true(r.prune_refused);
		sl_snapshot_free(s);
	}
}

/* A link whose source moved to another registry leaves what it made on the old one behind:
 * "SchemaLink/NAME@URL", which a prune deletes there (and only there). */
static void test_moved_link_orphans_its_old_registry(void **state)
{
	struct world *w = *state;
	struct sl_buf docs = SL_BUF_INIT;
	struct sl_vec orphans = SL_VEC_INIT;

	write_owned_state(w, 2);
	guard_engine(w, false, 0);
	add_link(&docs, "l-00", "target", "source", "\"s-00\"", "{type: CUSTOM, name: target}");
	add_link(&docs, "l-01", "source", "target", "\"s-01\"", "{type: CUSTOM, name: source}");
	load(w, &docs);
	assert_int_equal(sl_engine_orphans(w->e, w->snap, &orphans, NULL), 0);
	assert_int_equal(orphans.len, 1);
	assert_string_equal(orphans.items[0], "SchemaLink/l-00@http://source.test:8081");
	assert_true(sl_engine_prune_allowed(w->e, w->snap, NULL, 0));
	/* Moved back before the orphan is reconciled (a daemon may hold a stale list): the
	 * orphan id is no orphan of this snapshot any more, so nothing is deleted. */
	sl_buf_reset(&docs);
	add_links(&docs, 2);
	load(w, &docs);
	{
		struct sl_reconcile_result r;

		reconcile(w, orphans.items[0], &r);
		assert_int_equal(r.result, SL_RESULT_DONE);
		assert_int_equal(r.writes, 0);
		assert_int_equal(sl_fake_transport_ncalls(w->src), 0);
	}
	sl_vec_release(&orphans, free);
	sl_buf_release(&docs);
}

static void write_set(struct world *w, const char *set, const char *json)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", w->dir, set);
	assert_int_equal(sl_mkdir_p(path, 0700, NULL), 0);
	snprintf(path, sizeof(path), "%s/%s/inventory.json", w->dir, set);
	assert_int_equal(sl_file_write_atomic(path, json, strlen(json), 0600, NULL), 0);
}

#define OWNED_L00 \
	"\"owned\":{\"http://source.test:8081|kc-source/srlite|l-00\":{\"key\":\"SchemaLink/" \
	"l-00\"," \
	"\"exporter\":\"l-00\",\"registry\":\"source\",\"url\":\"http://source.test:8081\"," \
	"\"clusterId\":\"kc-source/srlite\"}}"
#define SCOPE_SOURCE(borrowed) \
	"\"scopes\":{\"http://target.test:8082|mode|:.source:\":{\"registry\":\"target\"," \
	"\"url\":\"http://target.test:8082\",\"clusterId\":\"\",\"what\":\"mode\"," \
	"\"scope\":\":.source:\",\"previous\":\"READWRITE\",\"value\":\"IMPORT\"," \
	"\"borrowed\":" borrowed ",\"neededBy\":[\"SchemaLink/l-00\"]}}"

/* Sets in one state dir share registries: a link moved to another set that adopted its
 * exporter is let go, not deleted; a mode another set needs is not restored under it; a
 * mode this set only found in place (borrowed) is never restored by it. */
static void test_prune_leaves_what_another_set_holds(void **state)
{
	struct world *w = *state;
	struct sl_buf docs = SL_BUF_INIT;
	struct sl_plan *p = NULL;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf text = SL_BUF_INIT;

	write_set(w, "default", "{\"version\":2," OWNED_L00 "," SCOPE_SOURCE("false") "}");
	write_set(w, "other", "{\"version\":2," OWNED_L00 "," SCOPE_SOURCE("true") "}");
	guard_engine(w, true, 0);
	add_link(&docs, "l-01", "source", "target", "\"s-01\"", "{type: CUSTOM, name: x}");
	load(w, &docs);
	assert_int_equal(sl_engine_plan(w->e, w->snap, "SchemaLink/l-00", &p, &err), 0);
	assert_int_equal(p->op, SL_PLAN_DELETE);
	assert_int_equal(p->actions.len, 0);
	assert_int_equal(p->changes.len, 2);
	assert_non_null(strstr(p->changes.items[0], "set other owns it too"));
	assert_non_null(strstr(p->changes.items[1], "stays as it is: set other needs it too"));
	sl_plan_free(p);
	/* Without the other set, the same records delete and restore. */
	write_set(w, "other", "{\"version\":2}");
	guard_engine(w, true, 0);
	assert_int_equal(sl_engine_plan(w->e, w->snap, "SchemaLink/l-00", &p, &err), 0);
	assert_int_equal(p->actions.len, 3);
	sl_plan_format(p, &text);
	assert_non_null(strstr(text.data, "set mode READWRITE on context .source of target"));
	sl_plan_free(p);
	/* Borrowed: found in place, so never restored by this set. */
	write_set(w, "default", "{\"version\":2," OWNED_L00 "," SCOPE_SOURCE("true") "}");
	guard_engine(w, true, 0);
	assert_int_equal(sl_engine_plan(w->e, w->snap, "SchemaLink/l-00", &p, &err), 0);
	assert_int_equal(p->actions.len, 2); /* pause, delete: no mode action */
	sl_plan_free(p);
	sl_buf_release(&text);
	sl_buf_release(&docs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_pass_reads_scope_mode_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_prune_guard_rails, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_prune_leaves_what_another_set_holds, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_moved_link_orphans_its_old_registry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_next_pass_reads_again, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_heal_write_is_read_live_in_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_setting_write_is_read_live_in_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_prune_restore_is_read_live_in_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_promote_write_is_read_live_in_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unreachable_mode_read_in_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_registry_liveness_shares_the_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_created_exporter_is_in_the_pass_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_declared_imports_of_many_links, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
