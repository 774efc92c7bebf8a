/* test_engine_pass.c — what the engine derives once and shares between the objects it
 * reconciles (OPERATIONS.md "Footprint targets": a no-op pass stays linear in the links).
 * Each scenario scripts the fake registries and asserts every request each one got. */
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
	int sleeps;
};

static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	bool src = strcmp(registry, "source") == 0;

	(void)cfg;
	(void)err;
	*(src ? &w->src_taken : &w->dst_taken) = true;
	return sl_fake_transport_base(src ? w->src : w->dst);
}

static void no_sleep(void *arg, long ms)
{
	(void)ms;
	((struct world *)arg)->sleeps++;
}

static void fakes_free(struct world *w)
{
	struct sl_transport *t;

	if (w->src && !w->src_taken) {
		t = sl_fake_transport_base(w->src);
		t->free(t);
	}
	if (w->dst && !w->dst_taken) {
		t = sl_fake_transport_base(w->dst);
		t->free(t);
	}
	w->src = w->dst = NULL;
	w->src_taken = w->dst_taken = false;
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

/* Loads registries_yaml plus docs as w->snap (freeing the one before). */
static void load(struct world *w, const struct sl_buf *docs)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *s = NULL;
	struct sl_buf b = SL_BUF_INIT;
	size_t i;

	sl_buf_adds(&b, registries_yaml);
	if (docs && docs->data)
		sl_buf_adds(&b, docs->data);
	assert_int_equal(sl_manifest_add_buffer(l, "m.yaml", w->dir, b.data, b.len), 0);
	if (sl_manifest_finish(l, &s) != 0) {
		const struct sl_diags *d = sl_manifest_diags(l);

		for (i = 0; i < d->items.len; i++) {
			struct sl_buf line = SL_BUF_INIT;

			sl_diag_format(d->items.items[i], &line);
			fprintf(stderr, "%s\n", line.data);
			sl_buf_release(&line);
		}
		fail_msg("manifest did not load");
	}
	sl_manifest_loader_free(l);
	sl_buf_release(&b);
	sl_snapshot_free(w->snap);
	w->snap = s;
}

/* ---- registry replies and the requests made ------------------------------------------------ */

static void reply(struct sl_fake_transport *f, int status, const char *body)
{
	assert_int_equal(sl_fake_transport_reply(f, status, body), 0);
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

static void reconcile(struct world *w, const char *key, struct sl_reconcile_result *r)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_reconcile(w->e, w->snap, key, r, &err) != 0)
		fail_msg("reconcile %s: %s", key, err.msg);
}

static void end_pass(struct world *w)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_end_pass(w->e, &err) != 0)
		fail_msg("end pass: %s", err.msg);
}

/* ---- scenarios ---------------------------------------------------------------------------- */

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
	const char *const dst_want[] = {
	        "GET " MODE_PATH, "GET /mode/%3A.source.gamma%3A?defaultToGlobal=false"};

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
	reply(w->dst, 200, IMPORT);
	reply(w->dst, 200, IMPORT);
	sl_engine_begin_pass(w->e);
	reconcile(w, "SchemaLink/fwd", r);
	end_pass(w);
	expect_calls(w->src, "source", src_want, 4);
	expect_calls(w->dst, "target", dst_want, 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_declared_imports_of_many_links, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
