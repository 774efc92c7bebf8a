/* test_observe.c — pkg/engine/observe.c against the fake transport: what each observation
 * reads (the exact requests, per registry), what it makes of the answers, what a pass keeps
 * and forgets, and how failures come back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/engine.h"
#include "schemalink/inventory.h"
#include "schemalink/manifest.h"
#include "schemalink/srclient.h"
#include "../../pkg/engine/engine_int.h"
#include "../../pkg/engine/observe.h"
#include "engine_fixture.h"

#define LINK "src-to-tgt-link"
#define KEY "SchemaLink/" LINK
#define NOW 1700000000000LL

#define ROUTE_404 "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"
#define NO_EXPORTER "{\"error_code\":40450,\"message\":\"Exporter not found\"}"
#define NO_SUBJECT "{\"error_code\":40401,\"message\":\"Subject not found\"}"
#define NO_VERSION "{\"error_code\":40402,\"message\":\"Version not found\"}"
#define NO_MODE "{\"error_code\":40409,\"message\":\"Subject does not have subject-level mode\"}"
#define NO_CONFIG \
	"{\"error_code\":40408,\"message\":\"Subject does not have subject-level config\"}"
#define BACKEND "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}"
#define MODE(m) "{\"mode\":\"" m "\"}"
#define INFO \
	"{\"name\":\"" LINK "\",\"contextType\":\"CUSTOM\",\"context\":\"source\"," \
	"\"subjects\":[\"pageviews-value\"],\"subjectRenameFormat\":\"${subject}\"," \
	"\"config\":{\"schema.registry.url\":\"http://schemaregistry2:8082\"}}"
#define STATUS(state, trace) \
	"{\"name\":\"" LINK "\",\"state\":\"" state "\",\"offset\":4,\"ts\":1701292093264" \
	",\"trace\":\"" trace "\"}"
/* An exporter on target writing back into source (its linkUrl), into context .target. */
#define PEER(name, url, type, ctx) \
	"{\"name\":\"" name "\",\"contextType\":\"" type "\",\"context\":\"" ctx "\"," \
	"\"subjects\":[\"*\"],\"config\":{\"schema.registry.url\":\"" url "\"}}"
#define SV(id) "{\"subject\":\"s\",\"version\":1,\"id\":" #id ",\"schema\":\"\\\"string\\\"\"}"
#define LOOP_TRACE \
	"io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: " \
	"Subject :.source.target:stock_trades-value is not in import mode; error code: 42205"

/* ---- the world: three registries behind fakes, and an engine ---------------------------- */

static const char registries_yaml[] = "apiVersion: schemalink.io/v1alpha1\n"
                                      "kind: Registry\n"
                                      "metadata: {name: source}\n"
                                      "spec:\n"
                                      "  url: http://source.test:8081\n"
                                      "  linkUrl: http://schemaregistry:8081\n"
                                      "  clusterId: lsrc-123\n"
                                      "---\n"
                                      "apiVersion: schemalink.io/v1alpha1\n"
                                      "kind: Registry\n"
                                      "metadata: {name: target}\n"
                                      "spec:\n"
                                      "  url: http://target.test:8082\n"
                                      "  linkUrl: http://schemaregistry2:8082\n"
                                      "  mode: IMPORT\n"
                                      "  compatibility: FULL\n"
                                      "---\n"
                                      "apiVersion: schemalink.io/v1alpha1\n"
                                      "kind: Registry\n"
                                      "metadata: {name: alias}\n"
                                      "spec: {url: \"http://target.test:8082\"}\n";

static const char link_yaml[] = "---\n"
                                "apiVersion: schemalink.io/v1alpha1\n"
                                "kind: SchemaLink\n"
                                "metadata: {name: " LINK "}\n"
                                "spec:\n"
                                "  source: source\n"
                                "  destination: target\n"
                                "  subjects: [%s]\n"
                                "%s";

/* The link back, as in the walkthrough: .target on source is an import context. */
static const char back_yaml[] = "---\n"
                                "apiVersion: schemalink.io/v1alpha1\n"
                                "kind: SchemaLink\n"
                                "metadata: {name: tgt-to-src-link}\n"
                                "spec:\n"
                                "  source: target\n"
                                "  destination: source\n"
                                "  subjects: [\":.:*\"]\n"
                                "  context: {type: CUSTOM, name: target}\n";

struct world {
	struct sl_fake_transport *fake[3]; /* source, target, alias */
	bool taken[3];
	struct sl_engine *e;
	struct sl_snapshot *snap;
	struct want_link w;
	bool have_w;
	struct sl_clock clock;
	char dir[64];
	int sleeps;
};

static const char *const reg_names[3] = {"source", "target", "alias"};

static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	int i;

	(void)cfg;
	(void)err;
	for (i = 0; i < 3; i++)
		if (!strcmp(registry, reg_names[i])) {
			w->taken[i] = true;
			return sl_fake_transport_base(w->fake[i]);
		}
	fail_msg("no fake for registry %s", registry);
	return NULL;
}

static void record_sleep(void *arg, long ms)
{
	(void)ms;
	((struct world *)arg)->sleeps++;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct sl_engine_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	int i;

	assert_non_null(w);
	snprintf(w->dir, sizeof(w->dir), "/tmp/sl-observe-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X',
	        'X');
	assert_non_null(mkdtemp(w->dir));
	sl_clock_fake_init(&w->clock, 1000, NOW);
	for (i = 0; i < 3; i++)
		w->fake[i] = sl_fake_transport_new();
	cfg.state_dir = w->dir;
	cfg.set = "observe";
	cfg.clock = &w->clock;
	cfg.transport = make_transport;
	cfg.transport_cls = w;
	cfg.sleep_ms = record_sleep;
	cfg.sleep_arg = w;
	w->e = sl_engine_new(&cfg, &err);
	if (w->e == NULL)
		fail_msg("sl_engine_new: %s", err.msg);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];
	int i;

	if (w->have_w)
		sl_want_link_release(&w->w);
	sl_engine_free(w->e);
	for (i = 0; i < 3; i++)
		fixture_fake_free(&w->fake[i], &w->taken[i]);
	sl_snapshot_free(w->snap);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* Loads the registries, link src-to-tgt-link with subjects and extra spec lines, and more
 * documents; builds the desired link. */
static void load(struct world *w, const char *subjects, const char *extra, const char *more)
{
	struct sl_buf b = SL_BUF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	const struct sl_object *obj;

	if (w->have_w)
		sl_want_link_release(&w->w);
	w->have_w = false;
	sl_snapshot_free(w->snap);
	assert_int_equal(sl_buf_adds(&b, registries_yaml), 0);
	assert_int_equal(sl_buf_addf(&b, link_yaml, subjects, extra ? extra : ""), 0);
	if (more)
		assert_int_equal(sl_buf_adds(&b, more), 0);
	w->snap = fixture_load("links.yaml", w->dir, b.data, b.len);
	sl_buf_release(&b);
	obj = sl_snapshot_get(w->snap, SL_KIND_SCHEMALINK, LINK);
	assert_non_null(obj);
	assert_int_equal(sl_want_link_build(w->snap, obj, &w->w, &err), 0);
	w->have_w = true;
}

static struct reg_client *client(struct world *w, const char *name)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_client(w->e, w->snap, name, &err) == NULL)
		fail_msg("client %s: %s", name, err.msg);
	return sl_strmap_get(&w->e->clients, name, NULL);
}

static struct sl_fake_transport *fake(struct world *w, const char *name)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(name, reg_names[i]))
			return w->fake[i];
	fail_msg("no fake %s", name);
	return NULL;
}

static void reply(struct world *w, const char *reg, int status, const char *body)
{
	assert_int_equal(sl_fake_transport_reply(fake(w, reg), status, body), 0);
}

static void fail_with(struct world *w, const char *reg, int code, int times)
{
	while (times-- > 0)
		assert_int_equal(sl_fake_transport_fail(fake(w, reg), code), 0);
}

/* The requests reg got since the last check ("METHOD path", NULL-terminated), all scripted
 * replies consumed; then forgets them. */
static void expect_calls(struct world *w, const char *reg, const char *const *calls)
{
	struct sl_fake_transport *f = fake(w, reg);
	size_t i, n = sl_fake_transport_ncalls(f);
	bool same = true;

	for (i = 0; calls[i] || i < n; i++) {
		char got[600] = "";

		if (i < n) {
			const struct sl_fake_call *c = sl_fake_transport_call(f, i);

			snprintf(got, sizeof(got), "%s %s", c->method, c->path);
		}
		if (calls[i] == NULL || i >= n || strcmp(calls[i], got) != 0) {
			if (same)
				fprintf(stderr, "%s: calls differ (- expected, + actual)\n", reg);
			same = false;
			if (calls[i])
				fprintf(stderr, "  - %zu. %s\n", i + 1, calls[i]);
			if (i < n)
				fprintf(stderr, "  + %zu. %s\n", i + 1, got);
		}
		if (calls[i] == NULL && i >= n)
			break;
	}
	if (!same)
		fail_msg("unexpected requests to %s", reg);
	assert_int_equal(sl_fake_transport_pending(f), 0);
	sl_fake_transport_reset(f);
}

#define CALLS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_CALLS ((const char *const[]){NULL})

/* ---- error mapping -------------------------------------------------------------------- */

static void conn_error_codes(void **state)
{
	(void)state;
	assert_true(sl_obs_conn_error(SL_ECONN));
	assert_true(sl_obs_conn_error(SL_ETIMEOUT));
	assert_false(sl_obs_conn_error(0));
	assert_false(sl_obs_conn_error(SL_EHTTP));
	assert_false(sl_obs_conn_error(SL_EPROTO));
	assert_false(sl_obs_conn_error(SL_EUNSUP));
	assert_false(sl_obs_conn_error(SL_ENOMEM));
}

/* ---- the per-pass lists ---------------------------------------------------------------- */

static void exporters_list(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c;
	bool found = false;

	load(w, "\"*\"", NULL, NULL);
	c = client(w, "source");
	/* Outside a pass: read every time, the set follows the list. */
	reply(w, "source", 200, "[\"a\",\"b\"]");
	assert_int_equal(sl_obs_exporters(w->e, c, &err), 0);
	assert_int_equal(c->exporters.len, 2);
	sl_strmap_get(&c->exporter_set, "b", &found);
	assert_true(found);
	reply(w, "source", 200, "[\"a\"]");
	assert_int_equal(sl_obs_exporters(w->e, c, &err), 0);
	assert_int_equal(c->exporters.len, 1);
	sl_strmap_get(&c->exporter_set, "b", &found);
	assert_false(found);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /exporters"));
	assert_int_equal(w->e->reads, 2);

	/* In a pass: once. */
	sl_engine_begin_pass(w->e);
	reply(w, "source", 200, "[\"x\",\"y\",\"z\"]");
	assert_int_equal(sl_obs_exporters(w->e, c, &err), 0);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), 0);
	assert_int_equal(c->exporters.len, 3);
	expect_calls(w, "source", CALLS("GET /exporters"));
	assert_int_equal(w->e->reads, 3);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

static void exporters_unsupported_and_failing(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c;

	load(w, "\"*\"", NULL, NULL);
	c = client(w, "source");
	sl_engine_begin_pass(w->e);
	/* A route-level 404: no Schema Linking. The answer is kept for the pass. */
	reply(w, "source", 404, ROUTE_404);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_EUNSUP);
	sl_error_clear(&err);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_EUNSUP);
	assert_int_equal(err.http_status, 404);
	expect_calls(w, "source", CALLS("GET /exporters"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);

	/* A 5xx, after the client's retries: an error, not a dead registry. */
	sl_engine_begin_pass(w->e);
	reply(w, "source", 500, BACKEND);
	reply(w, "source", 500, BACKEND);
	reply(w, "source", 500, BACKEND);
	reply(w, "source", 500, BACKEND);
	sl_error_clear(&err);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 50001);
	assert_false(c->down);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_EHTTP);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters", "GET /exporters", "GET /exporters"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

static void connection_failure_marks_down(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c;
	char *v = NULL;

	load(w, "\"*\"", NULL, NULL);
	c = client(w, "target");
	sl_engine_begin_pass(w->e);
	fail_with(w, "target", SL_ECONN, 3);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_ECONN);
	assert_true(c->down);
	expect_calls(w, "target", CALLS("GET /contexts", "GET /contexts", "GET /contexts"));
	/* Every later read of the pass fails at once, with the same error. */
	sl_error_clear(&err);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_ECONN);
	assert_int_equal(err.code, SL_ECONN);
	assert_int_equal(sl_obs_mode(w->e, c, ":.source:", &v, &err), SL_ECONN);
	assert_null(v);
	assert_int_equal(sl_obs_config(w->e, c, "", &v, &err), SL_ECONN);
	expect_calls(w, "target", NO_CALLS);
	/* Even the list that failed is not asked again. */
	sl_error_clear(&err);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_ECONN);
	expect_calls(w, "target", NO_CALLS);
	/* A new pass tries again; down there, a list not read yet is not asked either. */
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
	assert_false(c->down);
	sl_engine_begin_pass(w->e);
	fail_with(w, "target", SL_ECONN, 3);
	assert_int_equal(sl_obs_exporters(w->e, c, &err), SL_ECONN);
	sl_error_clear(&err);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_ECONN);
	expect_calls(w, "target", CALLS("GET /exporters", "GET /exporters", "GET /exporters"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
	sl_engine_begin_pass(w->e);
	reply(w, "target", 200, "[\".\"]");
	assert_int_equal(sl_obs_contexts(w->e, c, &err), 0);
	expect_calls(w, "target", CALLS("GET /contexts"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);

	/* Outside a pass nothing is marked: each call is its own attempt. */
	fail_with(w, "target", SL_ETIMEOUT, 4);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_ETIMEOUT);
	assert_false(c->down);
	reply(w, "target", 200, "[\".\",\".source\"]");
	assert_int_equal(sl_obs_contexts(w->e, c, &err), 0);
	assert_int_equal(c->contexts.len, 2);
	expect_calls(w, "target",
	        CALLS("GET /contexts", "GET /contexts", "GET /contexts", "GET /contexts",
	                "GET /contexts"));
}

static void contexts_list(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c;

	load(w, "\"*\"", NULL, NULL);
	c = client(w, "source");
	sl_engine_begin_pass(w->e);
	reply(w, "source", 200, "[\".\",\".corp\"]");
	assert_int_equal(sl_obs_contexts(w->e, c, &err), 0);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), 0);
	assert_int_equal(c->contexts.len, 2);
	assert_string_equal(c->contexts.items[1], ".corp");
	expect_calls(w, "source", CALLS("GET /contexts"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
	/* An error is kept for the pass too. */
	sl_engine_begin_pass(w->e);
	reply(w, "source", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_EHTTP);
	sl_error_clear(&err);
	assert_int_equal(sl_obs_contexts(w->e, c, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40301);
	expect_calls(w, "source", CALLS("GET /contexts"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

/* ---- modes and compatibility of a scope ------------------------------------------------ */

static void mode_and_config_reads(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *t, *a;
	char *v = NULL;

	load(w, "\"*\"", NULL, NULL);
	t = client(w, "target");
	a = client(w, "alias");
	/* Outside a pass: the tri-state answer, read live each time. */
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 404, NO_MODE);
	reply(w, "target", 200, "{\"compatibilityLevel\":\"FULL\"}");
	reply(w, "target", 404, NO_CONFIG);
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 1);
	assert_string_equal(v, "IMPORT");
	free(v);
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 0);
	assert_null(v);
	assert_int_equal(sl_obs_config(w->e, t, "", &v, &err), 1);
	assert_string_equal(v, "FULL");
	free(v);
	assert_int_equal(sl_obs_config(w->e, t, "", &v, &err), 0);
	assert_null(v);
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source%3A?defaultToGlobal=false", "GET /config",
	                "GET /config"));

	/* In a pass: each (client, scope) once, the value or the error answered again. */
	sl_engine_begin_pass(w->e);
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 404, NO_MODE);
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	reply(w, "target", 200, "{\"compatibilityLevel\":\"NONE\"}");
	reply(w, "alias", 200, MODE("READWRITE"));
	reply(w, "alias", 200, "{\"compatibilityLevel\":\"NONE\"}");
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 1);
	free(v);
	assert_int_equal(sl_obs_mode(w->e, t, ":.other:", &v, &err), 0);
	assert_int_equal(sl_obs_mode(w->e, t, "orders", &v, &err), SL_EHTTP);
	assert_int_equal(sl_obs_config(w->e, t, ":.source:", &v, &err), 1);
	free(v);
	assert_int_equal(sl_obs_mode(w->e, a, ":.source:", &v, &err), 1);
	free(v);
	assert_int_equal(sl_obs_config(w->e, a, ":.source:", &v, &err), 1);
	free(v);
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.other%3A?defaultToGlobal=false",
	                "GET /mode/orders?defaultToGlobal=false",
	                "GET /config/%3A.source%3A?defaultToGlobal=false"));
	expect_calls(w, "alias",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /config/%3A.source%3A?defaultToGlobal=false"));
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 1);
	assert_string_equal(v, "READWRITE");
	free(v);
	assert_int_equal(sl_obs_mode(w->e, t, ":.other:", &v, &err), 0);
	assert_null(v);
	sl_error_clear(&err);
	assert_int_equal(sl_obs_mode(w->e, t, "orders", &v, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40301);
	assert_null(v);
	assert_int_equal(sl_obs_config(w->e, t, ":.source:", &v, &err), 1);
	assert_string_equal(v, "NONE");
	free(v);
	expect_calls(w, "target", NO_CALLS);

	/* A write of the mode of :.source: drops that scope's mode from every client, not its
	 * compatibility nor other scopes. */
	sl_obs_forget_scope(w->e, "mode", ":.source:");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "alias", 200, MODE("IMPORT"));
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 1);
	assert_string_equal(v, "IMPORT");
	free(v);
	assert_int_equal(sl_obs_mode(w->e, a, ":.source:", &v, &err), 1);
	free(v);
	assert_int_equal(sl_obs_config(w->e, t, ":.source:", &v, &err), 1);
	free(v);
	assert_int_equal(sl_obs_mode(w->e, t, ":.other:", &v, &err), 0);
	expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
	expect_calls(w, "alias", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
	sl_obs_forget_scope(w->e, "config", ":.source:");
	reply(w, "target", 200, "{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(sl_obs_config(w->e, t, ":.source:", &v, &err), 1);
	assert_string_equal(v, "FULL");
	free(v);
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 1);
	free(v);
	expect_calls(w, "target", CALLS("GET /config/%3A.source%3A?defaultToGlobal=false"));
	/* Forgetting what one client read leaves the others'. */
	sl_obs_client_forget(t);
	reply(w, "target", 404, NO_MODE);
	assert_int_equal(sl_obs_mode(w->e, t, ":.source:", &v, &err), 0);
	assert_int_equal(sl_obs_mode(w->e, a, ":.source:", &v, &err), 1);
	free(v);
	expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
	expect_calls(w, "alias", NO_CALLS);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

/* ---- the pass's exporter lists follow the engine's writes ---------------------------- */

static void exporter_written(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *s, *t, *a;
	bool found = false;

	load(w, "\"*\"", NULL, NULL);
	s = client(w, "source");
	t = client(w, "target");
	a = client(w, "alias");
	sl_engine_begin_pass(w->e);
	reply(w, "source", 200, "[\"a\"]");
	reply(w, "target", 200, "[\"a\"]");
	reply(w, "alias", 500, "{\"error_code\":50001,\"message\":\"x\"}");
	reply(w, "alias", 500, "{\"error_code\":50001,\"message\":\"x\"}");
	reply(w, "alias", 500, "{\"error_code\":50001,\"message\":\"x\"}");
	reply(w, "alias", 500, "{\"error_code\":50001,\"message\":\"x\"}");
	assert_int_equal(sl_obs_exporters(w->e, s, &err), 0);
	assert_int_equal(sl_obs_exporters(w->e, t, &err), 0);
	assert_int_equal(sl_obs_exporters(w->e, a, &err), SL_EHTTP);
	sl_fake_transport_reset(fake(w, "source"));
	sl_fake_transport_reset(fake(w, "target"));
	sl_fake_transport_reset(fake(w, "alias"));

	/* Created on target: its list has it, once; source's does not; a failed list stays
	 * failed. */
	sl_obs_exporter_written(w->e, t, "new", 1);
	sl_obs_exporter_written(w->e, t, "new", 1);
	assert_int_equal(t->exporters.len, 2);
	assert_string_equal(t->exporters.items[1], "new");
	sl_strmap_get(&t->exporter_set, "new", &found);
	assert_true(found);
	assert_int_equal(s->exporters.len, 1);
	assert_int_equal(sl_obs_exporters(w->e, a, &err), SL_EHTTP);
	/* Deleted: gone from the list and the set; deleting what is not there changes
	 * nothing. */
	sl_obs_exporter_written(w->e, t, "new", -1);
	sl_obs_exporter_written(w->e, t, "never", -1);
	assert_int_equal(t->exporters.len, 1);
	assert_string_equal(t->exporters.items[0], "a");
	sl_strmap_get(&t->exporter_set, "new", &found);
	assert_false(found);
	sl_obs_exporter_written(w->e, t, "a", -1);
	assert_int_equal(t->exporters.len, 0);
	/* Perhaps written (a timeout): the list is read again. */
	sl_obs_exporter_written(w->e, t, "maybe", 0);
	assert_false(t->exp_read);
	reply(w, "target", 200, "[\"a\",\"maybe\"]");
	assert_int_equal(sl_obs_exporters(w->e, t, &err), 0);
	assert_int_equal(t->exporters.len, 2);
	expect_calls(w, "target", CALLS("GET /exporters"));
	expect_calls(w, "source", NO_CALLS);
	expect_calls(w, "alias", NO_CALLS);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

static void exporter_written_every_client_of_the_registry(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *t, *a;

	load(w, "\"*\"", NULL, NULL);
	t = client(w, "target");
	a = client(w, "alias");
	(void)client(w, "source"); /* a client that has not read its list */
	sl_engine_begin_pass(w->e);
	reply(w, "target", 200, "[]");
	reply(w, "alias", 200, "[]");
	assert_int_equal(sl_obs_exporters(w->e, t, &err), 0);
	assert_int_equal(sl_obs_exporters(w->e, a, &err), 0);
	/* Two Registry objects, one registry (same url): both lists follow. */
	sl_obs_exporter_written(w->e, a, LINK, 1);
	assert_int_equal(t->exporters.len, 1);
	assert_int_equal(a->exporters.len, 1);
	sl_obs_exporter_written(w->e, t, LINK, -1);
	assert_int_equal(t->exporters.len, 0);
	assert_int_equal(a->exporters.len, 0);
	expect_calls(w, "target", CALLS("GET /exporters"));
	expect_calls(w, "alias", CALLS("GET /exporters"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

/* ---- import contexts of a link --------------------------------------------------------- */

static struct obs_import *import_new(const char *context, const char *writer)
{
	struct obs_import *im = calloc(1, sizeof(*im));

	assert_non_null(im);
	im->context = strdup(context);
	im->writer = strdup(writer);
	return im;
}

static void import_free(void *p)
{
	struct obs_import *im = p;

	free(im->context);
	free(im->writer);
	free(im);
}

static void link_imports(void **state)
{
	struct decl_imports d;
	struct obs_link o;
	struct sl_import_context *out = NULL;
	size_t n = 99, i;
	char ctx[16];

	(void)state;
	memset(&d, 0, sizeof(d));
	sl_vec_init(&d.list);
	sl_strmap_init(&d.by_context);
	sl_obs_link_init(&o);
	assert_int_equal(sl_obs_link_imports(&o, &out, &n), 0);
	assert_int_equal(n, 0);
	assert_null(out);
	assert_int_equal(sl_vec_push(&o.imports, import_new(".live", "exporter-x")), 0);
	assert_int_equal(sl_obs_link_imports(&o, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].context, ".live");
	assert_string_equal(out[0].writer, "exporter-x");
	free(out);
	/* The declared ones first, then the live ones; all of them, however many. */
	assert_int_equal(sl_vec_push(&d.list, import_new(".target", "tgt-to-src-link")), 0);
	assert_int_equal(sl_vec_push(&d.list, import_new(".eu", "eu-link")), 0);
	o.declared = &d;
	assert_int_equal(sl_obs_link_imports(&o, &out, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].context, ".target");
	assert_string_equal(out[1].writer, "eu-link");
	assert_string_equal(out[2].context, ".live");
	free(out);
	for (i = 0; i < 70; i++) {
		snprintf(ctx, sizeof(ctx), ".c%zu", i);
		assert_int_equal(sl_vec_push(&o.imports, import_new(ctx, "exporter-y")), 0);
	}
	assert_int_equal(sl_obs_link_imports(&o, &out, &n), 0);
	assert_int_equal(n, 73);
	assert_string_equal(out[72].context, ".c69");
	free(out);
	sl_obs_link_release(&o);
	assert_null(o.declared);
	sl_vec_release(&d.list, import_free);
	sl_strmap_release(&d.by_context, NULL);
}

/* ---- observing a link ------------------------------------------------------------------ */

static int observe(struct world *w, struct obs_link *o, struct sl_error *err)
{
	sl_obs_link_init(o);
	return sl_observe_link(
	        w->e, w->snap, &w->w, KEY, client(w, "source"), client(w, "target"), o, err);
}

static const struct obs_scope *scope_at(const struct obs_link *o, size_t i)
{
	assert_true(i < o->scopes.len);
	return o->scopes.items[i];
}

static void observe_exporter_found(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	reply(w, "source", 200, "[\"other\",\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200, STATUS("RUNNING", ""));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters/" LINK, "GET /exporters/" LINK "/status"));
	/* IMPORT already: what the scope holds is not read. */
	expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
	assert_false(o.unsupported);
	assert_true(o.exists);
	assert_string_equal(o.info.context, "source");
	assert_string_equal(sl_strmap_get(&o.info.config, "schema.registry.url", NULL),
	        "http://schemaregistry2:8082");
	assert_string_equal(o.status.state_raw, "RUNNING");
	assert_int_equal(o.status.offset, 4);
	assert_int_equal(o.scopes.len, 1);
	assert_string_equal(scope_at(&o, 0)->scope, ":.source:");
	assert_string_equal(scope_at(&o, 0)->context, ".source");
	assert_int_equal(scope_at(&o, 0)->mode_rc, 1);
	assert_string_equal(scope_at(&o, 0)->mode, "IMPORT");
	assert_false(scope_at(&o, 0)->nonempty);
	assert_null(o.declared);
	assert_int_equal(o.imports.len, 0);
	assert_int_equal(o.attempts_last_hour, 0);
	assert_int_equal(w->e->reads, 4);
	sl_obs_link_release(&o);
}

static void observe_exporter_absent(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	reply(w, "source", 200, "[\"other\"]");
	reply(w, "target", 404, NO_MODE);
	reply(w, "target", 200, "[]");
	assert_int_equal(observe(w, &o, &err), 0);
	expect_calls(w, "source", CALLS("GET /exporters"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /subjects?subjectPrefix=%3A.source%3A"));
	assert_false(o.exists);
	assert_int_equal(scope_at(&o, 0)->mode_rc, 0);
	assert_null(scope_at(&o, 0)->mode);
	assert_false(scope_at(&o, 0)->nonempty);
	assert_false(scope_at(&o, 0)->owned);
	sl_obs_link_release(&o);
}

static void observe_exporters_unsupported(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	reply(w, "source", 404, ROUTE_404);
	assert_int_equal(observe(w, &o, &err), 0);
	assert_true(o.unsupported);
	assert_int_equal(err.code, 0);
	expect_calls(w, "source", CALLS("GET /exporters"));
	expect_calls(w, "target", NO_CALLS);
	sl_obs_link_release(&o);
}

static void observe_exporter_errors(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	/* The list. */
	fail_with(w, "source", SL_ECONN, 3);
	assert_int_equal(observe(w, &o, &err), SL_ECONN);
	sl_obs_link_release(&o);
	reply(w, "source", 401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
	sl_error_clear(&err);
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 401);
	sl_obs_link_release(&o);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters", "GET /exporters", "GET /exporters"));
	/* The exporter, and its status. */
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	sl_error_clear(&err);
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	sl_error_clear(&err);
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40301);
	sl_obs_link_release(&o);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters/" LINK, "GET /exporters",
	                "GET /exporters/" LINK, "GET /exporters/" LINK "/status"));
	/* The mode, and the subjects of a scope not in IMPORT. */
	reply(w, "source", 200, "[]");
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /exporters"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /subjects?subjectPrefix=%3A.source%3A"));
	assert_int_equal(w->sleeps, 2);
}

/* Listed, then gone when read (deleted in between): observed as absent. */
static void observe_exporter_deleted_meanwhile(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 404, NO_EXPORTER);
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_false(o.exists);
	assert_int_equal(err.code, 0);
	sl_obs_link_release(&o);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 404, NO_EXPORTER);
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_false(o.exists);
	sl_obs_link_release(&o);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters/" LINK, "GET /exporters",
	                "GET /exporters/" LINK, "GET /exporters/" LINK "/status"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source%3A?defaultToGlobal=false"));
}

static void observe_unmanaged_and_read_only(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	/* Unmanaged: no mode is read. */
	load(w, "pageviews-value", "  destinationMode: Unmanaged\n", NULL);
	reply(w, "source", 200, "[]");
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 1);
	assert_int_equal(scope_at(&o, 0)->mode_rc, 0);
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters"));
	expect_calls(w, "target", NO_CALLS);
	/* READONLY (and READONLY_OVERRIDE) stall whatever the scope holds: not read. */
	load(w, "pageviews-value", "  context: {type: NONE}\n", NULL);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READONLY_OVERRIDE"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_string_equal(scope_at(&o, 0)->scope, "");
	assert_string_equal(scope_at(&o, 0)->context, ".");
	assert_string_equal(scope_at(&o, 0)->mode, "READONLY_OVERRIDE");
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters"));
	expect_calls(w, "target", CALLS("GET /mode"));
}

/* A scope that is not IMPORT and holds subjects: are they copies of what the link exports? */
struct proof_case {
	const char *name;
	const char *spec;
	const char *dst_subjects;
	const char *src_subjects;
	/* The replies after the two lists, in order: to target ('t') or source ('s'), status,
	 * body. */
	struct {
		char reg;
		int status;
		const char *body;
	} replies[8];
	int rc;
	bool local_writes;
	const char *detail;
};

static const struct proof_case proof_cases[] = {
        {
                .name = "copies",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\",\"other-value\"]",
                .replies = {{'t', 200, "[1,2]"}, {'s', 200, "[1,2]"}, {'t', 200, SV(10)},
                        {'s', 200, SV(10)}, {'t', 200, SV(11)}, {'s', 200, SV(11)}},
                .local_writes = false,
        },
        {
                .name = "copies-renamed",
                .spec = "  subjectRenameFormat: \"dc_${subject}\"\n",
                .dst_subjects = "[\":.source:dc_pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1]"}, {'s', 200, "[1]"}, {'t', 200, SV(10)},
                        {'s', 200, SV(10)}},
                .local_writes = false,
        },
        {
                .name = "subject-from-nowhere",
                .dst_subjects = "[\":.source:local-value\",\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .local_writes = true,
                .detail = "subject :.source:local-value has no source subject on source",
        },
        {
                /* other-value is not selected by the filter: no copy of it is expected. */
                .name = "subject-the-filter-does-not-select",
                .dst_subjects = "[\":.source:other-value\"]",
                .src_subjects = "[\"pageviews-value\",\"other-value\"]",
                .local_writes = true,
                .detail = "subject :.source:other-value has no source subject on source",
        },
        {
                .name = "newer-version",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1,2,3]"}, {'s', 200, "[1,2]"}},
                .local_writes = true,
                .detail = "subject :.source:pageviews-value has version 3, newer than "
                          "version 2 of pageviews-value on source",
        },
        {
                .name = "source-subject-gone",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1]"}, {'s', 404, NO_SUBJECT}},
                .local_writes = true,
                .detail = "subject :.source:pageviews-value has version 1, newer than "
                          "version 0 of pageviews-value on source",
        },
        {
                .name = "another-id",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1]"}, {'s', 200, "[1]"}, {'t', 200, SV(11)},
                        {'s', 200, SV(10)}},
                .local_writes = true,
                .detail = "subject :.source:pageviews-value version 1 has id 11 on target "
                          "but id 10 in pageviews-value on source",
        },
        {
                .name = "version-missing-on-source",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1,2]"}, {'s', 200, "[2]"}, {'t', 200, SV(10)},
                        {'s', 404, NO_VERSION}},
                .local_writes = true,
                .detail = "subject :.source:pageviews-value version 1 (id 10) has no version "
                          "1 in pageviews-value on source",
        },
        {
                /* Deleted on the destination between the list and the read. */
                .name = "destination-version-gone",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1]"}, {'s', 200, "[1]"}, {'t', 404, NO_SUBJECT},
                        {'s', 200, SV(10)}},
                .local_writes = true,
                .detail = "subject :.source:pageviews-value version 1 has id 0 on target but "
                          "id 10 in pageviews-value on source",
        },
        {
                .name = "destination-versions-fail",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 403, "{\"error_code\":40301,\"message\":\"no\"}"}},
                .rc = SL_EHTTP,
        },
        {
                .name = "schema-read-fails",
                .dst_subjects = "[\":.source:pageviews-value\"]",
                .src_subjects = "[\"pageviews-value\"]",
                .replies = {{'t', 200, "[1]"}, {'s', 200, "[1]"},
                        {'t', 403, "{\"error_code\":40301,\"message\":\"no\"}"}},
                .rc = SL_EHTTP,
        },
};

static void observe_proof_of_copies(void **state)
{
	struct world *w = *state;
	size_t i, k;

	for (i = 0; i < sizeof(proof_cases) / sizeof(proof_cases[0]); i++) {
		const struct proof_case *c = &proof_cases[i];
		struct sl_error err = SL_ERROR_INIT;
		struct obs_link o;
		int rc;

		load(w, "pageviews-value", c->spec, NULL);
		reply(w, "source", 200, "[]");
		reply(w, "target", 200, MODE("READWRITE"));
		reply(w, "target", 200, c->dst_subjects);
		reply(w, "source", 200, c->src_subjects);
		for (k = 0; k < 8 && c->replies[k].reg; k++)
			reply(w, c->replies[k].reg == 't' ? "target" : "source",
			        c->replies[k].status, c->replies[k].body);
		rc = observe(w, &o, &err);
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err.msg);
		if (rc == 0) {
			const struct obs_scope *s = scope_at(&o, 0);

			assert_true(s->nonempty);
			assert_non_null(s->sample);
			if (s->local_writes != c->local_writes)
				fail_msg("%s: local_writes %d", c->name, s->local_writes);
			if (c->detail == NULL)
				assert_null(s->local_detail);
			else if (s->local_detail == NULL || strcmp(s->local_detail, c->detail))
				fail_msg("%s: detail \"%s\"", c->name,
				        s->local_detail ? s->local_detail : "(none)");
		}
		/* Every scripted reply was asked for, and no other. */
		if (sl_fake_transport_pending(fake(w, "source")) ||
		        sl_fake_transport_pending(fake(w, "target")))
			fail_msg("%s: replies left", c->name);
		sl_fake_transport_reset(fake(w, "source"));
		sl_fake_transport_reset(fake(w, "target"));
		sl_obs_link_release(&o);
	}
}

/* NONE: the top level, whose subjects are listed without a prefix, copies under their own
 * names. */
static void observe_proof_top_level(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", "  context: {type: NONE}\n", NULL);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, "[\"pageviews-value\"]");
	reply(w, "source", 200, "[\"pageviews-value\"]");
	reply(w, "target", 200, "[1]");
	reply(w, "source", 200, "[1]");
	reply(w, "target", 200, SV(10));
	reply(w, "source", 200, SV(10));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_true(scope_at(&o, 0)->nonempty);
	assert_false(scope_at(&o, 0)->local_writes);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /subjects", "GET /subjects/pageviews-value/versions",
	                "GET /subjects/pageviews-value/versions/1"));
	expect_calls(w, "target",
	        CALLS("GET /mode", "GET /subjects", "GET /subjects/pageviews-value/versions",
	                "GET /subjects/pageviews-value/versions/1"));
	sl_obs_link_release(&o);
}

/* In a pass, a source that went down after its exporter list was read: the proof fails at
 * once instead of asking it again. */
static void observe_proof_source_down(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "pageviews-value", NULL, NULL);
	sl_engine_begin_pass(w->e);
	reply(w, "source", 200, "[]");
	assert_int_equal(sl_obs_exporters(w->e, client(w, "source"), &err), 0);
	fail_with(w, "source", SL_ECONN, 3);
	assert_int_equal(sl_obs_contexts(w->e, client(w, "source"), &err), SL_ECONN);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /contexts", "GET /contexts", "GET /contexts"));
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, "[\":.source:pageviews-value\"]");
	sl_error_clear(&err);
	assert_int_equal(observe(w, &o, &err), SL_ECONN);
	sl_obs_link_release(&o);
	expect_calls(w, "source", NO_CALLS);
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /subjects?subjectPrefix=%3A.source%3A"));
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);
}

static void observe_proof_has_a_limit(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf b = SL_BUF_INIT;
	struct obs_link o;
	int i;

	load(w, "pageviews-value", NULL, NULL);
	sl_buf_addch(&b, '[');
	for (i = 0; i < 1001; i++)
		sl_buf_addf(&b, "%s\":.source:s%04d\"", i ? "," : "", i);
	sl_buf_addch(&b, ']');
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, b.data);
	reply(w, "source", 200, "[\"pageviews-value\"]");
	assert_int_equal(observe(w, &o, &err), 0);
	/* Not proven a copy, and not read subject by subject. */
	assert_true(scope_at(&o, 0)->local_writes);
	assert_string_equal(scope_at(&o, 0)->sample, ":.source:s0000");
	assert_string_equal(scope_at(&o, 0)->local_detail,
	        "it holds 1001 subjects, more than the 1000 schemalink compares one by one, so it "
	        "is not proven a copy");
	expect_calls(w, "source", CALLS("GET /exporters", "GET /subjects"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /subjects?subjectPrefix=%3A.source%3A"));
	sl_obs_link_release(&o);
	sl_buf_release(&b);
	/* The source's list failing fails the observation. */
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, "[\":.source:pageviews-value\"]");
	reply(w, "source", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
}

/* Owned: the inventory says schemalink set IMPORT there for this very link. */
static bool observe_owned(struct world *w)
{
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;
	bool owned;

	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, "[]");
	assert_int_equal(observe(w, &o, &err), 0);
	owned = scope_at(&o, 0)->owned;
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /subjects?subjectPrefix=%3A.source%3A"));
	return owned;
}

static void observe_scope_ownership(void **state)
{
	struct world *w = *state;
	struct sl_inv_where at;
	struct sl_inv_scope *is;

	load(w, "pageviews-value", NULL, NULL);
	assert_false(observe_owned(w));
	at.registry = (char *)(uintptr_t) "target";
	at.url = client(w, "target")->nurl;
	at.cluster_id = (char *)(uintptr_t) "";
	/* Set for another link only. */
	is = sl_inventory_scope_need(w->e->inv, &at, "mode", ":.source:", true, "READWRITE",
	        "IMPORT", "SchemaLink/other", false);
	assert_non_null(is);
	assert_false(observe_owned(w));
	/* Set for this one too. */
	assert_non_null(sl_inventory_scope_need(
	        w->e->inv, &at, "mode", ":.source:", true, "READWRITE", "IMPORT", KEY, false));
	assert_true(observe_owned(w));
	/* Found in place by this set (borrowed): needed, never owned. */
	is->borrowed = true;
	assert_false(observe_owned(w));
}

static void observe_attempts_in_the_last_hour(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;
	struct sl_inv_object *io;

	load(w, "pageviews-value", NULL, NULL);
	io = sl_inventory_object_ensure(w->e->inv, KEY);
	assert_non_null(io);
	assert_int_equal(sl_inv_object_add_attempt(io, NOW - 2 * 3600 * 1000), 0);
	assert_int_equal(sl_inv_object_add_attempt(io, NOW - 3600 * 1000), 0);
	assert_int_equal(sl_inv_object_add_attempt(io, NOW - 30 * 60 * 1000), 0);
	assert_int_equal(sl_inv_object_add_attempt(io, NOW - 1000), 0);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.attempts_last_hour, 2);
	sl_obs_link_release(&o);
	sl_fake_transport_reset(fake(w, "source"));
	sl_fake_transport_reset(fake(w, "target"));
}

/* ---- the scopes of a filter that selects other contexts ------------------------------ */

/* The exporters on target, and their answers: two write back into source (through its
 * linkUrl, and its url), the others make no import context; gone is listed but deleted
 * before it is read. */
static void script_peers(struct world *w, bool gone)
{
	reply(w, "target", 200,
	        gone ? "[\"tgt-to-src-link\",\"elsewhere\",\"gone\",\"none-type\",\"no-url\","
	               "\"direct\",\"auto\",\"no-context\"]"
	             : "[\"tgt-to-src-link\",\"elsewhere\",\"none-type\",\"no-url\",\"direct\","
	               "\"auto\",\"no-context\"]");
	reply(w, "target", 200,
	        PEER("tgt-to-src-link", "http://schemaregistry:8081", "CUSTOM", "target"));
	/* No name in the answer: the listed one. */
	reply(w, "target", 200,
	        "{\"contextType\":\"CUSTOM\",\"context\":\"x\",\"config\":"
	        "{\"schema.registry.url\":\"http://elsewhere:1\"}}");
	if (gone)
		reply(w, "target", 404, NO_EXPORTER);
	reply(w, "target", 200, PEER("none-type", "http://source.test:8081", "NONE", ""));
	reply(w, "target", 200,
	        "{\"name\":\"no-url\",\"contextType\":\"CUSTOM\",\"context\":\"n\",\"config\":{}}");
	reply(w, "target", 200, PEER("direct", "http://source.test:8081", "CUSTOM", "direct"));
	/* No context type: AUTO, into the context named after its cluster. */
	reply(w, "target", 200,
	        "{\"name\":\"auto\",\"context\":\"lsrc-9\",\"config\":"
	        "{\"schema.registry.url\":\"http://schemaregistry:8081\"}}");
	/* CUSTOM without a context: none known. */
	reply(w, "target", 200,
	        "{\"name\":\"no-context\",\"contextType\":\"CUSTOM\",\"config\":"
	        "{\"schema.registry.url\":\"http://schemaregistry:8081\"}}");
}

#define PEER_CALLS \
	"GET /exporters", "GET /exporters/tgt-to-src-link", "GET /exporters/elsewhere", \
	        "GET /exporters/none-type", "GET /exporters/no-url", "GET /exporters/direct", \
	        "GET /exporters/auto", "GET /exporters/no-context"
#define PEER_CALLS_GONE \
	"GET /exporters", "GET /exporters/tgt-to-src-link", "GET /exporters/elsewhere", \
	        "GET /exporters/gone", "GET /exporters/none-type", "GET /exporters/no-url", \
	        "GET /exporters/direct", "GET /exporters/auto", "GET /exporters/no-context"

static void observe_contexts_and_live_imports(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;
	const struct obs_import *im;

	load(w, "\"*\"", NULL, NULL);
	sl_engine_begin_pass(w->e);
	reply(w, "source", 200, "[]");
	script_peers(w, false);
	reply(w, "source", 200, "[\".\",\".corp\",\".target\",\".direct\",\".lsrc-9\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /contexts"));
	expect_calls(w, "target",
	        CALLS(PEER_CALLS, "GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source.corp%3A?defaultToGlobal=false"));
	/* What peers write into source is not exported back: no scope for it. */
	assert_int_equal(o.scopes.len, 2);
	assert_string_equal(scope_at(&o, 0)->context, ".source");
	assert_string_equal(scope_at(&o, 1)->context, ".source.corp");
	assert_string_equal(scope_at(&o, 1)->scope, ":.source.corp:");
	assert_int_equal(o.imports.len, 3);
	im = o.imports.items[0];
	assert_string_equal(im->context, ".target");
	assert_string_equal(im->writer, "tgt-to-src-link");
	im = o.imports.items[1];
	assert_string_equal(im->context, ".direct");
	assert_string_equal(im->writer, "direct");
	im = o.imports.items[2];
	assert_string_equal(im->context, ".lsrc-9");
	assert_string_equal(im->writer, "auto");
	sl_obs_link_release(&o);

	/* The same link again in the pass: nothing is read twice. */
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 2);
	assert_int_equal(o.imports.len, 3);
	expect_calls(w, "source", NO_CALLS);
	expect_calls(w, "target", NO_CALLS);
	sl_obs_link_release(&o);
	assert_int_equal(sl_engine_end_pass(w->e, &err), 0);

	/* Outside a pass every peer is read again; one deleted meanwhile is none. */
	reply(w, "source", 200, "[]");
	script_peers(w, true);
	reply(w, "source", 200, "[\".\",\".target\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 1);
	assert_int_equal(o.imports.len, 3);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /contexts"));
	expect_calls(w, "target",
	        CALLS(PEER_CALLS_GONE, "GET /mode/%3A.source%3A?defaultToGlobal=false"));
	sl_obs_link_release(&o);
}

static void observe_live_import_failures(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "\":*:\"", NULL, NULL);
	/* A destination without the exporters API has no peers. */
	reply(w, "source", 200, "[]");
	reply(w, "target", 404, ROUTE_404);
	reply(w, "source", 200, "[\".\",\".corp\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(o.scopes.len, 2);
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /contexts"));
	expect_calls(w, "target",
	        CALLS("GET /exporters", "GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source.corp%3A?defaultToGlobal=false"));
	/* A peer that cannot be read fails the observation; so does the list of contexts. */
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[\"p\"]");
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[]");
	reply(w, "source", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	reply(w, "source", 200, "[]");
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters", "GET /contexts", "GET /exporters"));
	expect_calls(w, "target",
	        CALLS("GET /exporters", "GET /exporters/p", "GET /exporters", "GET /exporters"));
}

/* Which source contexts a filter selects, and where they land. */
static void observe_filter_contexts(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	/* A subject name with a star is no explicit subject; a context listed twice is one
	 * scope. */
	load(w, "\":.corp:*\", \":.eu:orders\", \":.us*:x\", \":.ap:ord*\"", NULL, NULL);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[]");
	reply(w, "source", 200, "[\".\",\".corp\",\".eu\",\".us\",\".usa\",\".ap\",\".corp\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 3);
	assert_string_equal(scope_at(&o, 1)->context, ".source.corp");
	assert_string_equal(scope_at(&o, 2)->context, ".source.eu");
	sl_obs_link_release(&o);
	sl_fake_transport_reset(fake(w, "source"));
	sl_fake_transport_reset(fake(w, "target"));

	/* NONE: each source context is its own destination context. */
	load(w, "\"*\"", "  context: {type: NONE}\n", NULL);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[]");
	/* The pseudo-context, should a registry list it, is no destination. */
	reply(w, "source", 200, "[\".\",\".corp\",\".__GLOBAL\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 2);
	assert_string_equal(scope_at(&o, 0)->scope, "");
	assert_string_equal(scope_at(&o, 1)->context, ".corp");
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /contexts"));
	expect_calls(w, "target",
	        CALLS("GET /exporters", "GET /mode",
	                "GET /mode/%3A.corp%3A?defaultToGlobal=false"));
}

/* The manifests declare what links write into source: no live lookup needed for them. */
static void observe_declared_imports(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;
	const struct decl_imports *first;
	const struct obs_import *im;
	static const char none_link[] = "---\n"
	                                "apiVersion: schemalink.io/v1alpha1\n"
	                                "kind: SchemaLink\n"
	                                "metadata: {name: alias-to-src}\n"
	                                "spec:\n"
	                                "  source: alias\n"
	                                "  destination: source\n"
	                                "  subjects: [\":.:*\"]\n"
	                                "  context: {type: NONE}\n";
	/* Another link into .target of source (other subjects): the first in snapshot order
	 * names the writer. An AUTO link into target. */
	static const char same_ctx_link[] = "---\n"
	                                    "apiVersion: schemalink.io/v1alpha1\n"
	                                    "kind: SchemaLink\n"
	                                    "metadata: {name: zz-alias-to-src}\n"
	                                    "spec:\n"
	                                    "  source: alias\n"
	                                    "  destination: source\n"
	                                    "  subjects: [\":.corp:*\"]\n"
	                                    "  context: {type: CUSTOM, name: target}\n"
	                                    "---\n"
	                                    "apiVersion: schemalink.io/v1alpha1\n"
	                                    "kind: SchemaLink\n"
	                                    "metadata: {name: auto-link}\n"
	                                    "spec:\n"
	                                    "  source: source\n"
	                                    "  destination: alias\n"
	                                    "  subjects: [\":.:*\"]\n"
	                                    "  context: {type: AUTO}\n";
	char more[sizeof(back_yaml) + sizeof(none_link) + sizeof(same_ctx_link)];

	snprintf(more, sizeof(more), "%s%s%s", back_yaml, none_link, same_ctx_link);
	load(w, "\"*\"", NULL, more);
	reply(w, "source", 200, "[]");
	/* tgt-to-src-link's exporter, found live too, is not a second import. */
	reply(w, "target", 200, "[\"tgt-to-src-link\"]");
	reply(w, "target", 200,
	        PEER("tgt-to-src-link", "http://schemaregistry:8081", "CUSTOM", "target"));
	reply(w, "source", 200, "[\".\",\".target\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.imports.len, 0);
	assert_non_null(o.declared);
	/* tgt-to-src-link writes .target; a NONE link writes no import context. */
	assert_int_equal(o.declared->list.len, 1);
	im = o.declared->list.items[0];
	assert_string_equal(im->context, ".target");
	assert_string_equal(im->writer, "tgt-to-src-link");
	assert_int_equal(o.scopes.len, 1);
	assert_non_null(sl_strmap_get(&w->e->imports, "alias", NULL));
	first = o.declared;
	sl_obs_link_release(&o);
	expect_calls(w, "source", CALLS("GET /exporters", "GET /contexts"));
	expect_calls(w, "target",
	        CALLS("GET /exporters", "GET /exporters/tgt-to-src-link",
	                "GET /mode/%3A.source%3A?defaultToGlobal=false"));
	/* Kept while the snapshot is the same one. */
	assert_int_equal(w->e->imports_snap, w->snap->id);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[]");
	reply(w, "source", 200, "[\".\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_ptr_equal(o.declared, first);
	sl_obs_link_release(&o);
	/* Built again from a new one. */
	load(w, "\"*\"", NULL, NULL);
	reply(w, "source", 200, "[]");
	reply(w, "target", 200, "[]");
	reply(w, "source", 200, "[\".\",\".target\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_null(o.declared);
	assert_int_equal(o.scopes.len, 2);
	assert_int_equal(w->e->imports_snap, w->snap->id);
	sl_obs_link_release(&o);
	sl_fake_transport_reset(fake(w, "source"));
	sl_fake_transport_reset(fake(w, "target"));
}

/* A 42205 in a context the link does not write: who writes it back? Looked up live only
 * when the manifests do not say (observe.c trace_wants_loop_check). */
static void observe_loop_check(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;
	const struct obs_import *im;

	/* The link exports the default context only: no peers read, but for the trace. */
	load(w, "\":.:*\"", NULL, NULL);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200, STATUS("PAUSED", LOOP_TRACE));
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, "[\"tgt-to-src-link\"]");
	reply(w, "target", 200,
	        PEER("tgt-to-src-link", "http://schemaregistry:8081", "CUSTOM", "target"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.imports.len, 1);
	im = o.imports.items[0];
	assert_string_equal(im->context, ".target");
	sl_obs_link_release(&o);
	expect_calls(w, "source",
	        CALLS("GET /exporters", "GET /exporters/" LINK, "GET /exporters/" LINK "/status"));
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false", "GET /exporters",
	                "GET /exporters/tgt-to-src-link"));

	/* Declared in the manifests: nothing to look up. */
	load(w, "\":.:*\"", NULL, back_yaml);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200, STATUS("PAUSED", LOOP_TRACE));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.imports.len, 0);
	assert_non_null(o.declared);
	sl_obs_link_release(&o);
	expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
	sl_fake_transport_reset(fake(w, "source"));
}

/* A filter that selects other contexts: the nested context is explained by the declared
 * import, whatever the other scopes; one outside the link's own context is looked up. */
static void observe_loop_check_many_scopes(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "\":*:\"", NULL, back_yaml);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200, STATUS("PAUSED", LOOP_TRACE));
	reply(w, "target", 200, "[]");
	reply(w, "source", 200, "[\".\",\".corp\",\".target\"]");
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, MODE("IMPORT"));
	assert_int_equal(observe(w, &o, &err), 0);
	assert_int_equal(o.scopes.len, 2);
	sl_obs_link_release(&o);
	expect_calls(w, "target",
	        CALLS("GET /exporters", "GET /mode/%3A.source%3A?defaultToGlobal=false",
	                "GET /mode/%3A.source.corp%3A?defaultToGlobal=false"));
	sl_fake_transport_reset(fake(w, "source"));

	load(w, "\":.:*\"", NULL, back_yaml);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200,
	        STATUS("PAUSED", "RestClientException: Subject :.elsewhere:x is not in import "
	                         "mode; error code: 42205"));
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 200, "[]");
	assert_int_equal(observe(w, &o, &err), 0);
	sl_obs_link_release(&o);
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false", "GET /exporters"));
	sl_fake_transport_reset(fake(w, "source"));
}

static void observe_loop_check_not_needed(void **state)
{
	static const char *const traces[] = {
	        /* The link's own context: ImportModeRequired, not a loop. */
	        "RestClientException: Subject :.source:pageviews-value is not in import mode; "
	        "error code: 42205",
	        /* Another failure. */
	        "RestClientException: Subject :.source.target:x is not in import mode; error "
	        "code: 50001",
	        "RestClientException: Cannot import since found existing subjects; error code: "
	        "42205",
	        /* No subject named, or one without a context. */
	        "RestClientException: is not in import mode; error code: 42205",
	        "RestClientException: Subject :*: is not in import mode; error code: 42205",
	        "",
	};
	struct world *w = *state;
	size_t i;

	load(w, "\":.:*\"", NULL, NULL);
	for (i = 0; i < sizeof(traces) / sizeof(traces[0]); i++) {
		struct sl_error err = SL_ERROR_INIT;
		struct obs_link o;
		char status[512];

		snprintf(status, sizeof(status),
		        "{\"name\":\"" LINK "\",\"state\":\"PAUSED\",\"trace\":\"%s\"}", traces[i]);
		reply(w, "source", 200, "[\"" LINK "\"]");
		reply(w, "source", 200, INFO);
		reply(w, "source", 200, status);
		reply(w, "target", 200, MODE("IMPORT"));
		assert_int_equal(observe(w, &o, &err), 0);
		sl_obs_link_release(&o);
		expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));
		sl_fake_transport_reset(fake(w, "source"));
	}
}

static void observe_loop_check_fails(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_link o;

	load(w, "\":.:*\"", NULL, NULL);
	reply(w, "source", 200, "[\"" LINK "\"]");
	reply(w, "source", 200, INFO);
	reply(w, "source", 200, STATUS("PAUSED", LOOP_TRACE));
	reply(w, "target", 200, MODE("IMPORT"));
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(observe(w, &o, &err), SL_EHTTP);
	sl_obs_link_release(&o);
	expect_calls(w, "target",
	        CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false", "GET /exporters"));
	sl_fake_transport_reset(fake(w, "source"));
}

/* ---- observing a setting --------------------------------------------------------------- */

static void observe_setting(void **state)
{
	struct world *w = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct obs_setting s;
	struct reg_client *t;
	struct sl_inv_where at;

	load(w, "\"*\"", NULL, NULL);
	t = client(w, "target");
	at.registry = (char *)(uintptr_t) "target";
	at.url = t->nurl;
	at.cluster_id = (char *)(uintptr_t) "";
	assert_non_null(sl_inventory_scope_need(
	        w->e->inv, &at, "config", "", true, "BACKWARD", "FULL", "Registry/target", false));
	assert_non_null(sl_inventory_scope_need(w->e->inv, &at, "mode", ":.source:", true,
	        "READWRITE", "READONLY", "Context/x", false));

	/* Both managed: both read, the compatibility recorded as this object's. */
	memset(&s, 0, sizeof(s));
	s.registry = "target";
	s.scope = strdup("");
	s.want_mode = SL_MODE_IMPORT;
	s.want_compat = SL_COMPAT_FULL;
	reply(w, "target", 200, MODE("READWRITE"));
	reply(w, "target", 200, "{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Registry/target", &err), 0);
	assert_int_equal(s.mode_rc, 1);
	assert_string_equal(s.mode, "READWRITE");
	assert_false(s.mode_owned);
	assert_int_equal(s.compat_rc, 1);
	assert_string_equal(s.compat, "FULL");
	assert_true(s.compat_owned);
	sl_obs_setting_release(&s);
	expect_calls(w, "target", CALLS("GET /mode", "GET /config"));

	/* Only the mode managed: the compatibility is not read. */
	s.registry = "target";
	s.scope = strdup(":.source:");
	s.want_mode = SL_MODE_READONLY;
	reply(w, "target", 404, NO_MODE);
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Context/x", &err), 0);
	assert_int_equal(s.mode_rc, 0);
	assert_true(s.mode_owned);
	assert_int_equal(s.compat_rc, -1);
	sl_obs_setting_release(&s);
	expect_calls(w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false"));

	/* Written for another object: not this one's. */
	s.registry = "target";
	s.scope = strdup(":.source:");
	s.want_mode = SL_MODE_READONLY;
	reply(w, "target", 200, MODE("READONLY"));
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Context/y", &err), 0);
	assert_false(s.mode_owned);
	sl_obs_setting_release(&s);
	s.registry = "target";
	s.scope = strdup("");
	s.want_compat = SL_COMPAT_FULL;
	reply(w, "target", 200, "{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Registry/other", &err), 0);
	assert_false(s.compat_owned);
	sl_obs_setting_release(&s);
	expect_calls(
	        w, "target", CALLS("GET /mode/%3A.source%3A?defaultToGlobal=false", "GET /config"));

	/* Only the compatibility, never written by this set. */
	s.registry = "target";
	s.scope = strdup("orders");
	s.want_compat = SL_COMPAT_NONE;
	reply(w, "target", 404, NO_CONFIG);
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Subject/x", &err), 0);
	assert_int_equal(s.mode_rc, -1);
	assert_int_equal(s.compat_rc, 0);
	assert_false(s.compat_owned);
	sl_obs_setting_release(&s);
	expect_calls(w, "target", CALLS("GET /config/orders?defaultToGlobal=false"));

	/* Neither managed: nothing read. Failures come back. */
	s.registry = "target";
	s.scope = strdup("orders");
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Subject/x", &err), 0);
	assert_int_equal(s.mode_rc, -1);
	assert_int_equal(s.compat_rc, -1);
	s.want_mode = SL_MODE_READONLY;
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Subject/x", &err), SL_EHTTP);
	s.want_mode = SL_MODE_UNSET;
	s.want_compat = SL_COMPAT_NONE;
	reply(w, "target", 403, "{\"error_code\":40301,\"message\":\"no\"}");
	assert_int_equal(sl_observe_setting(w->e, t, &s, "Subject/x", &err), SL_EHTTP);
	sl_obs_setting_release(&s);
	expect_calls(w, "target",
	        CALLS("GET /mode/orders?defaultToGlobal=false",
	                "GET /config/orders?defaultToGlobal=false"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(conn_error_codes),
	        cmocka_unit_test_setup_teardown(exporters_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(exporters_unsupported_and_failing, setup, teardown),
	        cmocka_unit_test_setup_teardown(connection_failure_marks_down, setup, teardown),
	        cmocka_unit_test_setup_teardown(contexts_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(mode_and_config_reads, setup, teardown),
	        cmocka_unit_test_setup_teardown(exporter_written, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                exporter_written_every_client_of_the_registry, setup, teardown),
	        cmocka_unit_test(link_imports),
	        cmocka_unit_test_setup_teardown(observe_exporter_found, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_exporter_absent, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_exporters_unsupported, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_exporter_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                observe_exporter_deleted_meanwhile, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_unmanaged_and_read_only, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_proof_of_copies, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_proof_top_level, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_proof_source_down, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_proof_has_a_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_scope_ownership, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_attempts_in_the_last_hour, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_contexts_and_live_imports, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_live_import_failures, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_filter_contexts, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_declared_imports, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_loop_check, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_loop_check_many_scopes, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_loop_check_not_needed, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_loop_check_fails, setup, teardown),
	        cmocka_unit_test_setup_teardown(observe_setting, setup, teardown),
	};
	return cmocka_run_group_tests_name("observe", tests, NULL, NULL);
}
