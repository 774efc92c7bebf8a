/* test_srclient.c — the registry client over the fake transport, and over real libcurl against
 * a tiny in-test HTTP server on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/ratelimit.h"
#include "schemalink/srclient.h"

#define CANARY "Canary-pw-7d1f93"
#define CANARY_TOKEN "Canary-tok-55e0aa"

/* ---- fixture over the fake transport --------------------------------------------------- */

struct fx {
	struct sl_fake_transport *f;
	struct sl_srclient *c;
	long sleeps[32];
	int nsleeps;
	bool cancel;
	bool cancel_on_sleep;
};

static void record_sleep(void *arg, long ms)
{
	struct fx *x = arg;

	if (x->nsleeps < 32)
		x->sleeps[x->nsleeps++] = ms;
	if (x->cancel_on_sleep)
		x->cancel = true;
}

static bool is_cancelled(void *arg)
{
	return ((struct fx *)arg)->cancel;
}

static struct fx *fx_new(struct sl_srclient_config *cfg)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct sl_error err = SL_ERROR_INIT;

	assert_non_null(x);
	x->f = sl_fake_transport_new();
	assert_non_null(x->f);
	cfg->sleep_ms = record_sleep;
	cfg->sleep_arg = x;
	cfg->cancelled = is_cancelled;
	cfg->cancel_arg = x;
	x->c = sl_srclient_new(cfg, sl_fake_transport_base(x->f), &err);
	if (x->c == NULL)
		fail_msg("sl_srclient_new: %s", err.msg);
	return x;
}

static int setup(void **state)
{
	struct sl_srclient_config cfg = {0};

	cfg.base_url = "https://sr.example:8081/";
	*state = fx_new(&cfg);
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	sl_srclient_free(x->c);
	free(x);
	return 0;
}

static void reply(struct fx *x, int status, const char *body)
{
	assert_int_equal(sl_fake_transport_reply(x->f, status, body), 0);
}

static void expect_call(
        struct fx *x, size_t i, const char *method, const char *path, const char *body)
{
	const struct sl_fake_call *c = sl_fake_transport_call(x->f, i);

	if (c == NULL)
		fail_msg("call %zu: none recorded (%zu calls)", i, sl_fake_transport_ncalls(x->f));
	assert_string_equal(c->method, method);
	assert_string_equal(c->path, path);
	if (body == NULL)
		assert_null(c->body);
	else if (c->body == NULL)
		fail_msg("call %zu %s %s: no body, want %s", i, method, path, body);
	else
		assert_string_equal(c->body, body);
}

static void push_str(struct sl_vec *v, const char *s)
{
	assert_int_equal(sl_vec_push(v, strdup(s)), 0);
}

/* ---- exporters -------------------------------------------------------------------------- */

static void test_exporter_calls(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT, u = SL_EXPORTER_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct sl_strmap cfg = SL_STRMAP_INIT;
	void *old = NULL;

	reply(x, 200, "[\"exp1\",\"exp2\"]");
	assert_int_equal(sl_srclient_exporters_list(x->c, &names, &err), 0);
	assert_int_equal(names.len, 2);
	assert_string_equal(names.items[1], "exp2");
	sl_vec_release(&names, free);

	e.name = strdup("src-to-tgt");
	e.context_type = strdup("CUSTOM");
	e.context = strdup("source");
	push_str(&e.subjects, ":.:*");
	e.subject_rename_format = strdup("${subject}");
	assert_int_equal(
	        sl_strmap_set(&e.config, "schema.registry.url", strdup("http://t:8081"), &old), 0);
	reply(x, 200, "{\"name\":\"src-to-tgt\"}");
	assert_int_equal(sl_srclient_exporter_create(x->c, &e, &err), 0);
	expect_call(x, 0, "GET", "/exporters", NULL);
	expect_call(x, 1, "POST", "/exporters",
	        "{\"name\":\"src-to-tgt\",\"contextType\":\"CUSTOM\",\"context\":\"source\","
	        "\"subjects\":[\":.:*\"],\"subjectRenameFormat\":\"${subject}\","
	        "\"config\":{\"schema.registry.url\":\"http://t:8081\"}}");

	/* An update sends only what is set, and never the name. */
	u.context = strdup("other");
	reply(x, 200, "{\"name\":\"src-to-tgt\"}");
	assert_int_equal(sl_srclient_exporter_update(x->c, "src-to-tgt", &u, &err), 0);
	expect_call(x, 2, "PUT", "/exporters/src-to-tgt", "{\"context\":\"other\"}");

	reply(x, 200, "{\"name\":\"a\"}");
	reply(x, 200, "{\"name\":\"a\"}");
	reply(x, 200, "{\"name\":\"a\"}");
	reply(x, 200, "");
	assert_int_equal(sl_srclient_exporter_pause(x->c, "a", &err), 0);
	assert_int_equal(sl_srclient_exporter_resume(x->c, "a", &err), 0);
	assert_int_equal(sl_srclient_exporter_reset(x->c, "a", &err), 0);
	assert_int_equal(sl_srclient_exporter_delete(x->c, "a", &err), 0);
	expect_call(x, 3, "PUT", "/exporters/a/pause", "");
	expect_call(x, 4, "PUT", "/exporters/a/resume", "");
	expect_call(x, 5, "PUT", "/exporters/a/reset", "");
	expect_call(x, 6, "DELETE", "/exporters/a", NULL);

	reply(x, 200,
	        "{\"schema.registry.url\":\"http://t\",\"basic.auth.user.info\":\"[hidden]\"}");
	assert_int_equal(sl_srclient_exporter_config_get(x->c, "a/b:c", &cfg, &err), 0);
	expect_call(x, 7, "GET", "/exporters/a%2Fb%3Ac/config", NULL);
	assert_string_equal(sl_strmap_get(&cfg, "basic.auth.user.info", NULL), "[hidden]");
	sl_strmap_release(&cfg, free);

	assert_int_equal(sl_strmap_set(&cfg, "k", strdup("v"), NULL), 0);
	reply(x, 200, "{\"name\":\"a\"}");
	assert_int_equal(sl_srclient_exporter_config_put(x->c, "a", &cfg, &err), 0);
	expect_call(x, 8, "PUT", "/exporters/a/config", "{\"k\":\"v\"}");
	sl_strmap_release(&cfg, free);

	assert_int_equal(sl_fake_transport_ncalls(x->f), 9);
	assert_int_equal(sl_fake_transport_pending(x->f), 0);
	assert_int_equal(x->nsleeps, 0);
	sl_exporter_release(&e);
	sl_exporter_release(&u);
}

static void test_exporter_info_decoding(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT;

	reply(x, 200,
	        "{\"name\":\"exporter1\",\"subjects\":[\"foo\"],\"contextType\":\"CUSTOM\","
	        "\"context\":\"tc\",\"config\":{\"schema.registry.url\":\"https://x.example\","
	        "\"basic.auth.credentials.source\":\"USER_INFO\","
	        "\"basic.auth.user.info\":\"[hidden]\"}}");
	assert_int_equal(sl_srclient_exporter_get(x->c, "exporter1", &e, &err), 0);
	expect_call(x, 0, "GET", "/exporters/exporter1", NULL);
	assert_string_equal(e.name, "exporter1");
	assert_string_equal(e.context_type, "CUSTOM");
	assert_string_equal(e.context, "tc");
	assert_int_equal(e.subjects.len, 1);
	assert_string_equal(e.subjects.items[0], "foo");
	assert_null(e.subject_rename_format);
	assert_int_equal(e.config.len, 3);
	assert_string_equal(sl_strmap_get(&e.config, "basic.auth.user.info", NULL), "[hidden]");
	assert_string_equal(
	        sl_strmap_get(&e.config, "basic.auth.credentials.source", NULL), "USER_INFO");
	sl_exporter_release(&e);

	/* 40450 is "no such exporter", not a missing route. */
	reply(x, 404, "{\"error_code\":40450,\"message\":\"Exporter 'nope' not found\"}");
	assert_int_equal(sl_srclient_exporter_get(x->c, "nope", &e, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_int_equal(err.registry_code, 40450);
	assert_true(sl_srclient_err_is(&err, 40450));
	assert_false(sl_srclient_err_route_missing(&err));
	assert_string_equal(err.msg,
	        "GET /exporters/nope: HTTP 404, error code 40450: Exporter 'nope' not found");
	assert_null(e.name);
}

static void test_exporter_status_decoding(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter_status s = SL_EXPORTER_STATUS_INIT;

	reply(x, 200,
	        "{\"name\":\"exporter1\",\"state\":\"RUNNING\",\"offset\":15685259,"
	        "\"ts\":1690356186895}");
	assert_int_equal(sl_srclient_exporter_status(x->c, "exporter1", &s, &err), 0);
	expect_call(x, 0, "GET", "/exporters/exporter1/status", NULL);
	assert_string_equal(s.name, "exporter1");
	assert_int_equal(s.state, SL_EXPORTER_RUNNING);
	assert_int_equal(s.offset, 15685259);
	assert_int_equal(s.ts, 1690356186895LL);
	assert_string_equal(s.trace, "");
	sl_exporter_status_release(&s);

	reply(x, 200,
	        "{\"name\":\"tgt-to-src\",\"state\":\"PAUSED\",\"offset\":7,\"ts\":1,\"trace\":"
	        "\"io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: "
	        "Subject :.target.source:pageviews-value is not in import mode; error code: "
	        "42205\\n\\tat x\"}");
	assert_int_equal(sl_srclient_exporter_status(x->c, "tgt-to-src", &s, &err), 0);
	assert_int_equal(s.state, SL_EXPORTER_PAUSED);
	assert_non_null(strstr(s.trace, "; error code: 42205\n\tat x"));
	sl_exporter_status_release(&s);

	reply(x, 200, "{\"name\":\"e\",\"state\":\"SOMETHING_NEW\"}");
	assert_int_equal(sl_srclient_exporter_status(x->c, "e", &s, &err), 0);
	assert_int_equal(s.state, SL_EXPORTER_UNKNOWN);
	assert_string_equal(s.state_raw, "SOMETHING_NEW");
	assert_int_equal(s.offset, -1);
	sl_exporter_status_release(&s);

	/* Wrong shape: a 200 that is not a status. */
	reply(x, 200, "[1,2]");
	assert_int_equal(sl_srclient_exporter_status(x->c, "e", &s, &err), SL_EPROTO);
	assert_null(s.name);
}

static void test_exporters_route_missing(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct sl_fake_reply html = {
	        404, "<html><body>Not Found</body></html>", -1, "text/html", 0, 0};

	reply(x, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
	assert_int_equal(sl_srclient_exporters_list(x->c, &names, &err), SL_EUNSUP);
	assert_int_equal(err.http_status, 404);
	assert_int_equal(err.registry_code, 404);
	assert_non_null(strstr(err.msg, "Schema Linking not available"));

	assert_int_equal(sl_fake_transport_push(x->f, &html), 0);
	assert_int_equal(sl_srclient_exporters_list(x->c, &names, &err), SL_EUNSUP);
	assert_int_equal(err.http_status, 404);
	assert_null(strstr(err.msg, "<html"));
	assert_int_equal(names.len, 0);
	/* Not retried. */
	assert_int_equal(sl_fake_transport_ncalls(x->f), 2);
}

/* ---- registry identity ------------------------------------------------------------------ */

/* Confluent's answer (ServerClusterId: "id" left out) and srlite's (with "id"): the pair wins
 * whenever both names are there. */
static void test_cluster_id_shapes(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char id[128];

	reply(x, 200,
	        "{\"scope\":{\"path\":[],\"clusters\":{\"kafka-cluster\":"
	        "\"MkU3OEVBNTcwNTJENDM2Qk\","
	        "\"schema-registry-cluster\":\"schema-registry\"}}}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "MkU3OEVBNTcwNTJENDM2Qk/schema-registry");
	assert_int_equal(err.code, 0);
	expect_call(x, 0, "GET", "/v1/metadata/id", NULL);

	reply(x, 200,
	        "{\"id\":\"east\",\"scope\":{\"path\":[],\"clusters\":{\"kafka-cluster\":"
	        "\"east\",\"schema-registry-cluster\":\"srlite\"}}}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "east/srlite");

	/* Only "id": used as it is. An empty cluster name falls back to it too. */
	reply(x, 200, "{\"id\":\"lsrc-abc123\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "lsrc-abc123");
	reply(x, 200,
	        "{\"id\":\"lsrc-abc123\",\"scope\":{\"clusters\":{\"kafka-cluster\":\"\","
	        "\"schema-registry-cluster\":\"g\"}}}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "lsrc-abc123");
	assert_int_equal(x->nsleeps, 0);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 4);
}

/* Answers without a usable id: 0, out "", err clear. */
static void expect_no_id(struct fx *x, int status, const char *body, const char *what)
{
	struct sl_error err = SL_ERROR_INIT;
	char id[64] = "stale";
	int rc;

	sl_fake_transport_reset(x->f);
	reply(x, status, body);
	rc = sl_srclient_cluster_id(x->c, id, sizeof(id), &err);
	if (rc != 0 || id[0] != '\0' || err.code != 0)
		fail_msg("%s: rc %d, id \"%s\", err %d %s", what, rc, id, err.code, err.msg);
	/* Never retried: none of these is transient. */
	assert_int_equal(sl_fake_transport_ncalls(x->f), 1);
}

static void test_cluster_id_none(void **state)
{
	struct fx *x = *state;
	struct sl_fake_reply html = {
	        404, "<html><body>Not Found</body></html>", -1, "text/html", 0, 0};
	struct sl_error err = SL_ERROR_INIT;
	char id[64] = "stale";

	expect_no_id(x, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}",
	        "route-level 404");
	expect_no_id(x, 404, "", "404 without a body");
	expect_no_id(
	        x, 404, "{\"error_code\":40401,\"message\":\"odd\"}", "404 with a registry code");
	expect_no_id(
	        x, 405, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}", "405");
	expect_no_id(x, 200, "{}", "an empty object");
	expect_no_id(x, 200, "[]", "an array");
	expect_no_id(x, 200, "{\"id\":\"\"}", "Confluent's empty id alone");
	expect_no_id(x, 200, "{\"id\":42}", "a number");
	expect_no_id(x, 200, "{\"scope\":{\"clusters\":{\"kafka-cluster\":\"k\"}}}", "half a pair");
	expect_no_id(x, 200, "{\"scope\":{\"clusters\":\"k/g\"}}", "clusters not an object");
	/* Malformed JSON on a 2xx: a catch-all page, not an identity. */
	expect_no_id(x, 200, "{\"id\":", "truncated JSON");
	expect_no_id(x, 200, "<html>welcome</html>", "HTML on 200");
	expect_no_id(x, 200, "", "an empty 200");
	/* Control characters: C0, DEL and C1 (U+0085 is 0xC2 0x85). */
	expect_no_id(x, 200, "{\"id\":\"a\\nb\"}", "newline in id");
	expect_no_id(x, 200, "{\"id\":\"a\\u007fb\"}", "DEL in id");
	expect_no_id(x, 200, "{\"id\":\"a\\u0085b\"}", "C1 control in id");
	expect_no_id(x, 200, "{\"id\":\"a\\u0000b\"}", "NUL in id (jansson refuses it)");
	expect_no_id(x, 200,
	        "{\"scope\":{\"clusters\":{\"kafka-cluster\":\"k\\tx\",\"schema-registry-cluster\":"
	        "\"g\"}}}",
	        "tab in the pair, no id");

	/* A pair with a control character does not hide a good "id". */
	sl_fake_transport_reset(x->f);
	reply(x, 200,
	        "{\"id\":\"good\",\"scope\":{\"clusters\":{\"kafka-cluster\":\"k\\u001b[2J\","
	        "\"schema-registry-cluster\":\"g\"}}}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "good");

	/* An HTML 404 from a proxy. */
	sl_fake_transport_reset(x->f);
	assert_int_equal(sl_fake_transport_push(x->f, &html), 0);
	strcpy(id, "stale");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 0);
	assert_string_equal(id, "");
	assert_int_equal(err.code, 0);
}

static void test_cluster_id_errors(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char id[64] = "stale";

	/* 5xx: the usual retries of a GET, then the last error. */
	for (int i = 0; i < SL_SRCLIENT_MAX_ATTEMPTS; i++)
		reply(x, 500,
		        "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), SL_EHTTP);
	assert_string_equal(id, "");
	assert_int_equal(err.http_status, 500);
	assert_int_equal(err.registry_code, 50001);
	assert_non_null(strstr(err.msg, "GET /v1/metadata/id: HTTP 500"));
	assert_non_null(strstr(err.msg, "(after 4 attempts)"));
	assert_int_equal(sl_fake_transport_ncalls(x->f), SL_SRCLIENT_MAX_ATTEMPTS);
	assert_int_equal(x->nsleeps, 3);

	/* A 503 that recovers is an answer. */
	sl_fake_transport_reset(x->f);
	x->nsleeps = 0;
	reply(x, 503, "");
	reply(x, 200, "{\"id\":\"back\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "back");
	assert_int_equal(x->nsleeps, 1);

	/* Transport failures after their retries. */
	sl_fake_transport_reset(x->f);
	for (int i = 0; i <= SL_SRCLIENT_CONN_RETRIES; i++)
		assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	strcpy(id, "stale");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), SL_ECONN);
	assert_string_equal(id, "");
	assert_int_equal(sl_fake_transport_ncalls(x->f), SL_SRCLIENT_CONN_RETRIES + 1);

	/* Other 4xx are errors: the registry is there but refuses us. */
	sl_fake_transport_reset(x->f);
	reply(x, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), SL_EHTTP);
	assert_int_equal(err.http_status, 401);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 1);

	/* So is a redirect: srclient never follows one. */
	sl_fake_transport_reset(x->f);
	reply(x, 302, "");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), SL_EPROTO);
	assert_int_equal(err.http_status, 302);

	/* No room at all; and a NULL err is allowed. */
	sl_fake_transport_reset(x->f);
	assert_int_equal(sl_srclient_cluster_id(x->c, id, 0, &err), SL_EINVAL);
	assert_int_equal(sl_srclient_cluster_id(x->c, NULL, 8, NULL), SL_EINVAL);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 0);
	reply(x, 500, "");
	reply(x, 500, "");
	reply(x, 500, "");
	reply(x, 500, "");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), NULL), SL_EHTTP);
}

/* The identity is cut to len - 1 bytes, never inside a UTF-8 character. */
static void test_cluster_id_cap(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char id[8];

	reply(x, 200, "{\"id\":\"abcdefghijkl\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "abcdefg");
	/* "abcde" + "é" (2 bytes) + "z": 7 bytes fit exactly. */
	reply(x, 200, "{\"id\":\"abcde\\u00e9zz\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "abcde\xc3\xa9");
	/* "abcdef" + "é": the character does not fit whole and is left out. */
	reply(x, 200, "{\"id\":\"abcdef\\u00e9\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "abcdef");
	reply(x, 200,
	        "{\"scope\":{\"clusters\":{\"kafka-cluster\":\"kafka01\",\"schema-registry-"
	        "cluster\":"
	        "\"sr\"}}}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "kafka01");
	/* len 1 leaves room for nothing: no identity. */
	reply(x, 200, "{\"id\":\"abc\"}");
	assert_int_equal(sl_srclient_cluster_id(x->c, id, 1, &err), 0);
	assert_string_equal(id, "");
}

/* ---- modes and compatibility ------------------------------------------------------------ */

static void test_mode_tristate(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char *v = NULL;

	reply(x, 404,
	        "{\"error_code\":40409,\"message\":\"Subject ':.ctx:' does not have "
	        "subject-level mode configured\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, ":.ctx:", &v, &err), 0);
	assert_null(v);
	assert_int_equal(err.code, 0);
	expect_call(x, 0, "GET", "/mode/%3A.ctx%3A?defaultToGlobal=false", NULL);

	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, ":.ctx:orders", &v, &err), 1);
	assert_string_equal(v, "IMPORT");
	free(v);
	expect_call(x, 1, "GET", "/mode/%3A.ctx%3Aorders?defaultToGlobal=false", NULL);

	reply(x, 200, "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, NULL, &v, &err), 1);
	assert_string_equal(v, "READWRITE");
	free(v);
	expect_call(x, 2, "GET", "/mode", NULL);

	/* Another 404 (no such subject route etc.) stays an error. */
	reply(x, 404, "{\"error_code\":40401,\"message\":\"Subject 'x' not found.\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, "x", &v, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40401);

	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	assert_int_equal(sl_srclient_mode_put(x->c, ":.source:", "IMPORT", true, &err), 0);
	expect_call(x, 4, "PUT", "/mode/%3A.source%3A?force=true", "{\"mode\":\"IMPORT\"}");
	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	assert_int_equal(sl_srclient_mode_put(x->c, "", "IMPORT", false, &err), 0);
	expect_call(x, 5, "PUT", "/mode", "{\"mode\":\"IMPORT\"}");

	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	assert_int_equal(sl_srclient_mode_delete(x->c, ":.source:", &err), 1);
	expect_call(x, 6, "DELETE", "/mode/%3A.source%3A", NULL);
	reply(x, 404, "{\"error_code\":40401,\"message\":\"Subject ':.source:' not found.\"}");
	assert_int_equal(sl_srclient_mode_delete(x->c, ":.source:", &err), 0);
	assert_int_equal(err.code, 0);

	/* 42205 from a PUT is an error with its code, not retried. */
	reply(x, 422,
	        "{\"error_code\":42205,\"message\":\"Cannot import since found existing "
	        "subjects\"}");
	assert_int_equal(sl_srclient_mode_put(x->c, ":.t:", "IMPORT", false, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 42205);
	assert_int_equal(err.http_status, 422);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 9);
}

static void test_config_tristate(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char *v = NULL;

	reply(x, 404,
	        "{\"error_code\":40408,\"message\":\"Subject 'orders' does not have "
	        "subject-level compatibility configured\"}");
	assert_int_equal(sl_srclient_config_get(x->c, "orders", &v, &err), 0);
	assert_null(v);
	expect_call(x, 0, "GET", "/config/orders?defaultToGlobal=false", NULL);

	/* 40409 is the mode code: for config it is an error. */
	reply(x, 404, "{\"error_code\":40409,\"message\":\"x\"}");
	assert_int_equal(sl_srclient_config_get(x->c, "orders", &v, &err), SL_EHTTP);

	reply(x, 200, "{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(sl_srclient_config_get(x->c, ":.c:", &v, &err), 1);
	assert_string_equal(v, "FULL");
	free(v);

	reply(x, 200, "{\"compatibilityLevel\":\"BACKWARD\",\"normalize\":false}");
	assert_int_equal(sl_srclient_config_get(x->c, NULL, &v, &err), 1);
	assert_string_equal(v, "BACKWARD");
	free(v);
	expect_call(x, 3, "GET", "/config", NULL);

	reply(x, 200, "{\"compatibility\":\"NONE\"}");
	assert_int_equal(sl_srclient_config_put(x->c, ":.c:", "NONE", &err), 0);
	expect_call(x, 4, "PUT", "/config/%3A.c%3A", "{\"compatibility\":\"NONE\"}");

	reply(x, 404, "{\"error_code\":40401,\"message\":\"Subject 'orders' not found.\"}");
	assert_int_equal(sl_srclient_config_delete(x->c, "orders", &err), 0);
	reply(x, 200, "{\"compatibilityLevel\":\"FULL\"}");
	assert_int_equal(sl_srclient_config_delete(x->c, "orders", &err), 1);
	expect_call(x, 6, "DELETE", "/config/orders", NULL);
}

/* ---- contexts, subjects, versions, register -------------------------------------------- */

static void test_subjects_and_versions(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct sl_schema_version sv = SL_SCHEMA_VERSION_INIT;
	struct sl_register_request rr = {0};
	int *vers = NULL, id = 0, ver = 0;
	size_t n = 0;

	reply(x, 200, "[\".\",\".ctx1\",\".source.target\"]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), 0);
	expect_call(x, 0, "GET", "/contexts", NULL);
	assert_int_equal(names.len, 3);
	assert_string_equal(names.items[2], ".source.target");
	sl_vec_release(&names, free);

	reply(x, 200, "[\":.ctx:a\",\":.ctx:b\"]");
	assert_int_equal(sl_srclient_subjects_list(x->c, ":.ctx:", true, &names, &err), 0);
	expect_call(x, 1, "GET", "/subjects?subjectPrefix=%3A.ctx%3A&deleted=true", NULL);
	sl_vec_release(&names, free);
	reply(x, 200, "[]");
	assert_int_equal(sl_srclient_subjects_list(x->c, "", false, &names, &err), 0);
	expect_call(x, 2, "GET", "/subjects?subjectPrefix=", NULL);
	reply(x, 200, "[\"a\"]");
	assert_int_equal(sl_srclient_subjects_list(x->c, NULL, false, &names, &err), 0);
	expect_call(x, 3, "GET", "/subjects", NULL);
	sl_vec_release(&names, free);

	reply(x, 200, "[1,2,5]");
	assert_int_equal(sl_srclient_subject_versions(x->c, ":.c:s/x", false, &vers, &n, &err), 0);
	expect_call(x, 4, "GET", "/subjects/%3A.c%3As%2Fx/versions", NULL);
	assert_int_equal(n, 3);
	assert_int_equal(vers[2], 5);
	free(vers);

	reply(x, 200,
	        "{\"subject\":\"orders\",\"version\":2,\"id\":7,\"schema\":\"\\\"string\\\"\","
	        "\"references\":[{\"name\":\"r\",\"subject\":\"s\",\"version\":1}]}");
	assert_int_equal(sl_srclient_subject_version_get(x->c, "orders", "latest", &sv, &err), 0);
	expect_call(x, 5, "GET", "/subjects/orders/versions/latest", NULL);
	assert_string_equal(sv.subject, "orders");
	assert_int_equal(sv.version, 2);
	assert_int_equal(sv.id, 7);
	assert_string_equal(sv.schema_type, "AVRO");
	assert_string_equal(sv.schema, "\"string\"");
	assert_string_equal(sv.references, "[{\"name\":\"r\",\"subject\":\"s\",\"version\":1}]");
	assert_null(sv.metadata);
	sl_schema_version_release(&sv);

	reply(x, 404, "{\"error_code\":40402,\"message\":\"Version 9 not found.\"}");
	assert_int_equal(sl_srclient_subject_version_get(x->c, "orders", "9", &sv, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40402);

	rr.schema = "{\"type\":\"string\"}";
	rr.schema_type = "AVRO";
	rr.references = "[]";
	rr.id = 100;
	rr.version = 3;
	rr.normalize_false = true;
	reply(x, 200, "{\"id\":100,\"version\":3}");
	assert_int_equal(sl_srclient_register(x->c, ":.t:orders", &rr, &id, &ver, &err), 0);
	expect_call(x, 7, "POST", "/subjects/%3A.t%3Aorders/versions?normalize=false",
	        "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\",\"schemaType\":\"AVRO\",\"id\":100,"
	        "\"version\":3,\"references\":[]}");
	assert_int_equal(id, 100);
	assert_int_equal(ver, 3);

	memset(&rr, 0, sizeof(rr));
	rr.schema = "\"int\"";
	rr.id = -1;
	rr.version = -1;
	reply(x, 200, "{\"id\":4}");
	assert_int_equal(sl_srclient_register(x->c, "s", &rr, &id, &ver, &err), 0);
	expect_call(x, 8, "POST", "/subjects/s/versions", "{\"schema\":\"\\\"int\\\"\"}");
	assert_int_equal(id, 4);
	assert_int_equal(ver, 0);

	reply(x, 204, "");
	assert_int_equal(sl_srclient_context_delete(x->c, ".ctx1", &err), 0);
	expect_call(x, 9, "DELETE", "/contexts/.ctx1", NULL);
}

/* ---- headers -------------------------------------------------------------------------- */

static void test_headers(void **state)
{
	static const char *const extra[] = {"Confluent-Schema-Exporter-Name: src-to-tgt"};
	struct sl_srclient_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	const struct sl_fake_call *c;
	struct fx *x;
	char *v = NULL;

	(void)state;
	cfg.base_url = "https://sr.example/prefix";
	cfg.headers = extra;
	cfg.nheaders = 1;
	x = fx_new(&cfg);
	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	reply(x, 200, "{\"mode\":\"IMPORT\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, NULL, &v, &err), 1);
	free(v);
	assert_int_equal(sl_srclient_mode_put(x->c, NULL, "IMPORT", false, &err), 0);
	c = sl_fake_transport_call(x->f, 0);
	assert_string_equal(sl_fake_call_header(c, "Accept"), SL_SRCLIENT_CONTENT_TYPE);
	assert_string_equal(sl_fake_call_header(c, "User-Agent"), "schemalink/" SL_VERSION);
	assert_string_equal(sl_fake_call_header(c, "confluent-schema-exporter-name"), "src-to-tgt");
	assert_null(sl_fake_call_header(c, "Content-Type"));
	assert_null(sl_fake_call_header(c, "Authorization"));
	c = sl_fake_transport_call(x->f, 1);
	assert_string_equal(sl_fake_call_header(c, "Content-Type"), SL_SRCLIENT_CONTENT_TYPE);
	assert_string_equal(sl_srclient_base_url(x->c), "https://sr.example/prefix");
	assert_null(sl_srclient_take_warning(x->c));
	teardown((void **)&x);
}

static void test_config_validation(void **state)
{
	static const char *const bad_hdr[] = {"Authorization: Basic xxx"};
	static const char *const crlf[] = {"X-A: b\r\nX-Evil: 1"};
	struct sl_srclient_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_fake_transport *f;
	struct sl_srclient *c;

	(void)state;
	cfg.base_url = "ftp://x";
	f = sl_fake_transport_new();
	assert_null(sl_srclient_new(&cfg, sl_fake_transport_base(f), &err));
	assert_int_equal(err.code, SL_EINVAL);

	cfg.base_url = "https://x/?q=1";
	assert_null(sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err));
	cfg.base_url = "https://x";
	cfg.headers = bad_hdr;
	cfg.nheaders = 1;
	assert_null(sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err));
	assert_int_equal(err.code, SL_EINVAL);
	cfg.headers = crlf;
	assert_null(sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err));
	cfg.nheaders = 0;
	cfg.auth = SL_SRCLIENT_AUTH_BEARER;
	assert_null(sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err));
	assert_int_equal(err.code, SL_EINVAL);

	/* Plain HTTP: a one-time warning outside loopback only. */
	cfg.auth = SL_SRCLIENT_AUTH_NONE;
	cfg.base_url = "http://sr.example:8081";
	c = sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err);
	assert_non_null(c);
	assert_non_null(strstr(sl_srclient_take_warning(c), "plain HTTP"));
	assert_null(sl_srclient_take_warning(c));
	sl_srclient_free(c);
	cfg.base_url = "http://127.0.0.1:8081";
	c = sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err);
	assert_null(sl_srclient_take_warning(c));
	sl_srclient_free(c);
	cfg.base_url = "http://localhost:8081";
	c = sl_srclient_new(&cfg, sl_fake_transport_base(sl_fake_transport_new()), &err);
	assert_null(sl_srclient_take_warning(c));
	sl_srclient_free(c);
}

/* ---- retries -------------------------------------------------------------------------- */

static void test_retry_5xx_then_success(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;

	reply(x, 503, "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
	reply(x, 502, "");
	reply(x, 500, "{\"error_code\":50002,\"message\":\"timeout\"}");
	reply(x, 200, "[\".\"]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 4);
	assert_int_equal(x->nsleeps, 3);
	assert_int_equal(x->sleeps[0], 250);
	assert_int_equal(x->sleeps[1], 500);
	assert_int_equal(x->sleeps[2], 1000);
	sl_vec_release(&names, free);

	/* A run longer than the attempts: the last error, naming the attempts. */
	sl_fake_transport_reset(x->f);
	x->nsleeps = 0;
	reply(x, 503, "{\"error_code\":50001,\"message\":\"store\"}");
	reply(x, 503, "{\"error_code\":50001,\"message\":\"store\"}");
	reply(x, 408, "");
	reply(x, 504, "{\"error_code\":50004,\"message\":\"unknown leader\"}");
	reply(x, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 504);
	assert_int_equal(err.registry_code, 50004);
	assert_string_equal(err.msg,
	        "GET /contexts: HTTP 504, error code 50004: unknown leader (after 4 attempts)");
	assert_int_equal(sl_fake_transport_ncalls(x->f), SL_SRCLIENT_MAX_ATTEMPTS);
	assert_int_equal(sl_fake_transport_pending(x->f), 1);
}

static void test_retry_after(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_fake_reply r429 = {
	        429, "{\"error_code\":429,\"message\":\"slow down\"}", 3, NULL, 0, 0};
	struct sl_fake_reply big = {429, "", 3600, NULL, 0, 0};
	struct sl_fake_reply r503 = {503, "", 2, NULL, 0, 0};
	/* Only 429 and 503 carry a meaningful Retry-After: a 500 or 502 keeps the backoff. */
	struct sl_fake_reply r500 = {500, "", 7, NULL, 0, 0};
	struct sl_fake_reply r502 = {502, "", 7, NULL, 0, 0};
	char *v = NULL;

	assert_int_equal(sl_fake_transport_push(x->f, &r429), 0);
	assert_int_equal(sl_fake_transport_push(x->f, &big), 0);
	assert_int_equal(sl_fake_transport_push(x->f, &r503), 0);
	reply(x, 200, "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, NULL, &v, &err), 1);
	free(v);
	assert_int_equal(x->nsleeps, 3);
	assert_int_equal(x->sleeps[0], 3000);
	assert_int_equal(x->sleeps[1], SL_SRCLIENT_RETRY_AFTER_CAP_MS);
	assert_int_equal(x->sleeps[2], 2000);

	x->nsleeps = 0;
	assert_int_equal(sl_fake_transport_push(x->f, &r500), 0);
	assert_int_equal(sl_fake_transport_push(x->f, &r502), 0);
	reply(x, 200, "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_srclient_mode_get(x->c, NULL, &v, &err), 1);
	free(v);
	assert_int_equal(x->nsleeps, 2);
	assert_int_equal(x->sleeps[0], 250);
	assert_int_equal(x->sleeps[1], 500);
}

static void test_no_retry_on_4xx(void **state)
{
	static const int codes[][2] = {
	        {404, 40401}, {409, 40963}, {422, 42205}, {401, 401}, {403, 40301}, {400, 400}};
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	char body[128];
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(body, sizeof(body), "{\"error_code\":%d,\"message\":\"m\"}", codes[i][1]);
		reply(x, codes[i][0], body);
		reply(x, 200, "{\"name\":\"a\"}");
		assert_int_equal(sl_srclient_exporter_pause(x->c, "a", &err), SL_EHTTP);
		assert_int_equal(err.http_status, codes[i][0]);
		assert_int_equal(err.registry_code, codes[i][1]);
		assert_int_equal(sl_fake_transport_ncalls(x->f), 1);
		sl_fake_transport_reset(x->f);
	}
	assert_int_equal(x->nsleeps, 0);
}

static void test_post_never_retried(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT;
	struct sl_register_request rr = {0};

	e.name = strdup("e");
	reply(x, 503, "");
	reply(x, 200, "{\"name\":\"e\"}");
	assert_int_equal(sl_srclient_exporter_create(x->c, &e, &err), SL_EHTTP);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 1);
	sl_fake_transport_reset(x->f);

	assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	assert_int_equal(sl_srclient_exporter_create(x->c, &e, &err), SL_ECONN);
	assert_int_equal(sl_fake_transport_fail(x->f, SL_ETIMEOUT), 0);
	assert_int_equal(sl_srclient_exporter_create(x->c, &e, &err), SL_ETIMEOUT);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 2);
	assert_int_equal(x->nsleeps, 0);
	sl_fake_transport_reset(x->f);

	/* A registration the caller marks idempotent (explicit id and version) is retried. */
	rr.schema = "\"int\"";
	rr.id = 5;
	rr.version = 1;
	rr.idempotent = true;
	reply(x, 503, "");
	reply(x, 200, "{\"id\":5}");
	assert_int_equal(sl_srclient_register(x->c, "s", &rr, NULL, NULL, &err), 0);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 2);
	sl_exporter_release(&e);
}

static void test_refused_retried_twice(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	assert_int_equal(sl_srclient_exporter_resume(x->c, "a", &err), SL_ECONN);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 3);
	assert_int_equal(x->nsleeps, 2);
	assert_int_equal(x->sleeps[0], 100);
	assert_int_equal(x->sleeps[1], 200);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.msg, "PUT /exporters/a/resume: "));
	assert_non_null(strstr(err.msg, "(after 3 attempts)"));

	/* Refused, then up. */
	sl_fake_transport_reset(x->f);
	x->nsleeps = 0;
	assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	reply(x, 200, "{\"name\":\"a\"}");
	assert_int_equal(sl_srclient_exporter_resume(x->c, "a", &err), 0);
	assert_int_equal(x->nsleeps, 1);

	/* Timeouts use the ordinary schedule. */
	sl_fake_transport_reset(x->f);
	x->nsleeps = 0;
	for (i = 0; i < 5; i++)
		assert_int_equal(sl_fake_transport_fail(x->f, SL_ETIMEOUT), 0);
	assert_int_equal(sl_srclient_exporter_resume(x->c, "a", &err), SL_ETIMEOUT);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 4);
	assert_int_equal(x->nsleeps, 3);
}

static void test_cancel(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;

	x->cancel = true;
	reply(x, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_ESTATE);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 0);
	assert_string_equal(err.msg, "GET /contexts: cancelled");

	/* Cancelled while waiting to retry: no further attempt. */
	sl_fake_transport_reset(x->f);
	x->cancel = false;
	x->cancel_on_sleep = true;
	reply(x, 503, "");
	reply(x, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_ESTATE);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 1);
}

/* ---- the request budget (docs/internals/operations.md "Rate limits") ---------------------- */

/* Two clients of one registry sharing a limiter on a fake clock, whose waits are recorded
 * (with what the second client had sent by then) and move the clock. */
struct shared {
	struct sl_clock clock;
	struct sl_ratelimit *limit;
	struct fx *a, *b;
	long waits[16];
	size_t b_calls_at_wait[16];
	int nwaits;
};

static void limiter_sleep(void *arg, long ms)
{
	struct shared *sh = arg;

	if (sh->nwaits < 16) {
		sh->waits[sh->nwaits] = ms;
		sh->b_calls_at_wait[sh->nwaits] = sh->b ? sl_fake_transport_ncalls(sh->b->f) : 0;
	}
	sh->nwaits++;
	sl_clock_fake_advance(&sh->clock, ms);
}

static void shared_up(struct shared *sh, int reads, int writes)
{
	struct sl_ratelimit_config lc;
	struct sl_srclient_config cfg = {0};

	memset(sh, 0, sizeof(*sh));
	sl_clock_fake_init(&sh->clock, 5000, 0);
	memset(&lc, 0, sizeof(lc));
	lc.reads_per_s = reads;
	lc.writes_per_s = writes;
	lc.clock = &sh->clock;
	lc.sleep_ms = limiter_sleep;
	lc.sleep_arg = sh;
	sh->limit = sl_ratelimit_new(&lc, NULL);
	assert_non_null(sh->limit);
	cfg.base_url = "https://sr.example:8081";
	cfg.limit = sh->limit;
	sh->a = fx_new(&cfg);
	sh->b = fx_new(&cfg);
}

static void shared_down(struct shared *sh)
{
	struct fx *x[2] = {sh->a, sh->b};
	int i;

	for (i = 0; i < 2; i++) {
		sl_srclient_free(x[i]->c);
		free(x[i]);
	}
	sl_ratelimit_free(sh->limit);
}

/* A 429 with Retry-After on one client's request holds the next request of another client
 * of the same registry, even though the first one is not retried (a create). */
static void test_budget_429_pauses_other_callers(void **state)
{
	struct sl_fake_reply r429 = {
	        429, "{\"error_code\":429,\"message\":\"slow down\"}", 2, NULL, 0, 0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct shared sh;

	(void)state;
	shared_up(&sh, 0, 0);
	e.name = strdup("e");
	assert_int_equal(sl_fake_transport_push(sh.a->f, &r429), 0);
	assert_int_equal(sl_srclient_exporter_create(sh.a->c, &e, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 429);
	assert_int_equal(sh.nwaits, 0);
	/* b's GET waits the 2 s out before it is sent; no retry sleep of its own. */
	reply(sh.b, 200, "[\".\"]");
	assert_int_equal(sl_srclient_contexts_list(sh.b->c, &names, &err), 0);
	assert_int_equal(sh.nwaits, 1);
	assert_int_equal(sh.waits[0], 2000);
	assert_int_equal(sh.b_calls_at_wait[0], 0);
	assert_int_equal(sl_fake_transport_ncalls(sh.b->f), 1);
	assert_int_equal(sh.b->nsleeps, 0);
	/* Over: the next request goes at once. */
	reply(sh.a, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(sh.a->c, &names, &err), 0);
	assert_int_equal(sh.nwaits, 1);
	sl_vec_release(&names, free);
	sl_exporter_release(&e);
	shared_down(&sh);
}

/* A retried 429 waits on the limiter instead of the client's own sleep: the Retry-After
 * (capped), 1 s when it names none; a 503 without one keeps the backoff and pauses nothing. */
static void test_budget_retry_waits_on_limiter(void **state)
{
	struct sl_fake_reply r429 = {429, "", 3, NULL, 0, 0};
	struct sl_fake_reply bare429 = {429, "", -1, NULL, 0, 0};
	struct sl_fake_reply big = {503, "", 3600, NULL, 0, 0};
	struct sl_fake_reply bare503 = {503, "", -1, NULL, 0, 0};
	struct sl_error err = SL_ERROR_INIT;
	struct shared sh;
	char *v = NULL;

	(void)state;
	shared_up(&sh, 0, 0);
	assert_int_equal(sl_fake_transport_push(sh.a->f, &r429), 0);
	assert_int_equal(sl_fake_transport_push(sh.a->f, &bare429), 0);
	assert_int_equal(sl_fake_transport_push(sh.a->f, &big), 0);
	reply(sh.a, 200, "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_srclient_mode_get(sh.a->c, NULL, &v, &err), 1);
	free(v);
	assert_int_equal(sl_fake_transport_ncalls(sh.a->f), 4);
	assert_int_equal(sh.a->nsleeps, 0);
	assert_int_equal(sh.nwaits, 3);
	assert_int_equal(sh.waits[0], 3000);
	assert_int_equal(sh.waits[1], SL_SRCLIENT_429_PAUSE_MS);
	assert_int_equal(sh.waits[2], SL_SRCLIENT_RETRY_AFTER_CAP_MS);

	assert_int_equal(sl_fake_transport_push(sh.a->f, &bare503), 0);
	reply(sh.a, 200, "{\"mode\":\"READWRITE\"}");
	assert_int_equal(sl_srclient_mode_get(sh.a->c, NULL, &v, &err), 1);
	free(v);
	assert_int_equal(sh.a->nsleeps, 1);
	assert_int_equal(sh.a->sleeps[0], 250);
	assert_int_equal(sh.nwaits, 3);
	shared_down(&sh);
}

/* Every attempt takes a token of its kind from the shared budget: retries too, reads and
 * writes apart. */
static void test_budget_tokens_per_attempt(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct shared sh;

	(void)state;
	shared_up(&sh, 1, 1); /* one of each per second, a burst of one */
	reply(sh.a, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(sh.a->c, &names, &err), 0);
	reply(sh.b, 200, "{\"name\":\"x\"}");
	assert_int_equal(sl_srclient_exporter_pause(sh.b->c, "x", &err), 0);
	assert_int_equal(sh.nwaits, 0);
	/* b's read waits for the second a's read took; its retry after a 502 takes the next
	 * (b's own 250 ms backoff sleeps through b's hook, which leaves this clock alone). */
	reply(sh.b, 502, "");
	reply(sh.b, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(sh.b->c, &names, &err), 0);
	assert_int_equal(sh.nwaits, 2);
	assert_int_equal(sh.waits[0], 1000);
	assert_int_equal(sh.waits[1], 1000);
	assert_int_equal(sh.b->nsleeps, 1);
	sl_vec_release(&names, free);
	shared_down(&sh);
}

/* Cancelled while waiting for the budget: nothing is sent. */
static void test_budget_cancelled(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct shared sh;

	(void)state;
	shared_up(&sh, 0, 0);
	sl_ratelimit_pause(sh.limit, 5000);
	sh.b->cancel = true;
	reply(sh.b, 200, "[]");
	assert_int_equal(sl_srclient_contexts_list(sh.b->c, &names, &err), SL_ESTATE);
	assert_int_equal(sl_fake_transport_ncalls(sh.b->f), 0);
	shared_down(&sh);
}

/* ---- bad answers ---------------------------------------------------------------------- */

/* Ids and versions are Java ints: a value past INT_MAX is a bad answer, not one to wrap. */
static void test_ids_out_of_range(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_version sv = SL_SCHEMA_VERSION_INIT;
	struct sl_register_request rr = {"\"int\"", NULL, NULL, NULL, NULL, -1, -1, false, false};
	int *vers = NULL, id = -5, ver = -5;
	size_t n = 9;

	reply(x, 200, "[1,4294967297]");
	assert_int_equal(
	        sl_srclient_subject_versions(x->c, "s", false, &vers, &n, &err), SL_EPROTO);
	assert_null(vers);
	assert_int_equal(n, 0);
	assert_int_equal(err.http_status, 200);

	reply(x, 200, "{\"id\":4294967297,\"version\":1,\"schema\":\"\\\"int\\\"\"}");
	assert_int_equal(sl_srclient_subject_version_get(x->c, "s", "1", &sv, &err), SL_EPROTO);
	assert_non_null(strstr(err.msg, "expected a schema version"));
	assert_null(sv.schema);
	reply(x, 200, "{\"id\":1,\"version\":-2147483649,\"schema\":\"\\\"int\\\"\"}");
	assert_int_equal(sl_srclient_subject_version_get(x->c, "s", "1", &sv, &err), SL_EPROTO);
	reply(x, 200, "{\"id\":2147483647,\"version\":1,\"schema\":\"\\\"int\\\"\"}");
	assert_int_equal(sl_srclient_subject_version_get(x->c, "s", "1", &sv, &err), 0);
	assert_int_equal(sv.id, 2147483647);
	sl_schema_version_release(&sv);

	reply(x, 200, "{\"id\":4294967297}");
	assert_int_equal(sl_srclient_register(x->c, "s", &rr, &id, &ver, &err), SL_EPROTO);
	assert_int_equal(id, -5);
	reply(x, 200, "{\"id\":3,\"version\":9223372036854775807}");
	assert_int_equal(sl_srclient_register(x->c, "s", &rr, &id, &ver, &err), SL_EPROTO);
	assert_int_equal(ver, -5);
}

static void test_bad_bodies(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter_status s = SL_EXPORTER_STATUS_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct sl_fake_reply html = {503,
	        "<html><head><title>503 Service "
	        "Unavailable</title></head><body>nginx</body></html>",
	        -1, "text/html", 0, 0};
	struct sl_fake_reply huge = {200, NULL, -1, NULL, 0, SL_SRCLIENT_MAX_BODY + 1};
	struct sl_fake_reply exact = {200, NULL, -1, NULL, 0, SL_SRCLIENT_MAX_BODY};
	int i;

	reply(x, 200, "{\"name\":\"e\",\"state\":\"RUN");
	assert_int_equal(sl_srclient_exporter_status(x->c, "e", &s, &err), SL_EPROTO);
	assert_int_equal(err.http_status, 200);
	assert_non_null(strstr(err.msg, "GET /exporters/e/status: malformed JSON in HTTP 200"));

	reply(x, 200, "this is not json");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
	reply(x, 200, "");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
	reply(x, 200, "[\".\", 3]");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
	sl_vec_release(&names, free);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 4);
	sl_fake_transport_reset(x->f);

	/* An HTML 503 from a proxy: retried like any 503, then a clean message. */
	for (i = 0; i < 4; i++)
		assert_int_equal(sl_fake_transport_push(x->f, &html), 0);
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
	assert_int_equal(err.http_status, 503);
	assert_int_equal(err.registry_code, 0);
	assert_null(strstr(err.msg, "<html"));
	assert_null(strstr(err.msg, "nginx"));
	assert_string_equal(err.msg, "GET /contexts: HTTP 503 with a non-JSON body (text/html, 82 "
	                             "bytes) (after 4 attempts)");
	sl_fake_transport_reset(x->f);

	/* Redirects are never followed. */
	reply(x, 302, "");
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
	assert_int_equal(err.http_status, 302);
	sl_fake_transport_reset(x->f);

	/* Body over the cap: SL_ELIMIT, not retried; exactly the cap is fine for the transport. */
	assert_int_equal(sl_fake_transport_push(x->f, &huge), 0);
	assert_int_equal(sl_fake_transport_push(x->f, &exact), 0);
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_ELIMIT);
	assert_int_equal(sl_fake_transport_ncalls(x->f), 1);
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EPROTO);
}

/* ---- redaction ------------------------------------------------------------------------ */

/* Fails when CANARY or CANARY_TOKEN (or base64 of a credential pair) appears in s. */
static void no_secret(const char *s, const char *what)
{
	if (s == NULL)
		return;
	if (strstr(s, CANARY) || strstr(s, CANARY_TOKEN) || strstr(s, "Q2FuYXJ5"))
		fail_msg("%s leaks a secret: %s", what, s);
}

static void no_secret_in_calls(struct fx *x)
{
	size_t i, h;

	for (i = 0; i < sl_fake_transport_ncalls(x->f); i++) {
		const struct sl_fake_call *c = sl_fake_transport_call(x->f, i);

		no_secret(c->path, "recorded path");
		no_secret(c->body, "recorded body");
		for (h = 0; h < c->headers.len; h++)
			no_secret(c->headers.items[h], "recorded header");
	}
}

/* Drives a client through errors whose bodies echo the credentials back. */
static void leak_attempts(struct fx *x, const char *echo)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	char body[512];
	char *v = NULL;

	snprintf(body, sizeof(body), "{\"error_code\":40101,\"message\":\"bad credentials %s\"}",
	        echo);
	reply(x, 401, body);
	assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_EHTTP);
	no_secret(err.msg, "error message");
	assert_non_null(strstr(err.msg, "[redacted]"));
	assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	assert_int_equal(sl_fake_transport_fail(x->f, SL_ECONN), 0);
	assert_int_equal(sl_srclient_mode_get(x->c, NULL, &v, &err), SL_ECONN);
	no_secret(err.msg, "error message");
	no_secret(sl_srclient_base_url(x->c), "base url");
	no_secret(sl_srclient_take_warning(x->c), "warning");
	no_secret_in_calls(x);
}

static void test_redaction_basic(void **state)
{
	struct sl_srclient_config cfg = {0};
	const struct sl_fake_call *c;
	struct fx *x;

	(void)state;
	setenv("SL_TEST_SR_PASSWORD", CANARY, 1);
	cfg.base_url = "http://sr.example:8081";
	cfg.auth = SL_SRCLIENT_AUTH_BASIC;
	sl_secret_ref_set(&cfg.username, SL_SECRET_VALUE, "alice");
	sl_secret_ref_set(&cfg.password, SL_SECRET_ENV, "SL_TEST_SR_PASSWORD");
	x = fx_new(&cfg);
	sl_secret_ref_release(&cfg.username);
	sl_secret_ref_release(&cfg.password);
	/* The registry echoes the password, the Authorization header and user:password. */
	leak_attempts(x, CANARY " Authorization: Basic YWxpY2U6Q2FuYXJ5LXB3LTdkMWY5Mw== "
	                        "alice:" CANARY " password=" CANARY);
	c = sl_fake_transport_call(x->f, 0);
	assert_string_equal(sl_fake_call_header(c, "Authorization"), "Basic [redacted]");
	teardown((void **)&x);
}

static void test_redaction_userinfo(void **state)
{
	struct sl_srclient_config cfg = {0};
	const struct sl_fake_call *c;
	struct fx *x;

	(void)state;
	cfg.base_url = "https://alice:" CANARY "@sr.example:8081/";
	x = fx_new(&cfg);
	assert_string_equal(sl_srclient_base_url(x->c), "https://sr.example:8081");
	leak_attempts(x, "https://alice:" CANARY "@sr.example " CANARY);
	c = sl_fake_transport_call(x->f, 0);
	assert_string_equal(sl_fake_call_header(c, "Authorization"), "Basic [redacted]");
	teardown((void **)&x);
}

static void test_redaction_bearer(void **state)
{
	struct sl_srclient_config cfg = {0};
	const struct sl_fake_call *c;
	char path[] = "/tmp/sl-srclient-token-XXXXXX";
	struct fx *x;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, CANARY_TOKEN "\n", strlen(CANARY_TOKEN) + 1),
	        (ssize_t)strlen(CANARY_TOKEN) + 1);
	close(fd);
	cfg.base_url = "https://sr.example";
	cfg.auth = SL_SRCLIENT_AUTH_BEARER;
	sl_secret_ref_set(&cfg.token, SL_SECRET_FILE, path);
	x = fx_new(&cfg);
	sl_secret_ref_release(&cfg.token);
	leak_attempts(x, "Bearer " CANARY_TOKEN " token=" CANARY_TOKEN);
	c = sl_fake_transport_call(x->f, 0);
	assert_string_equal(sl_fake_call_header(c, "Authorization"), "Bearer [redacted]");

	/* A missing token file names the file, and the request is not sent. */
	unlink(path);
	sl_fake_transport_reset(x->f);
	{
		struct sl_error err = SL_ERROR_INIT;
		struct sl_vec names = SL_VEC_INIT;

		reply(x, 200, "[]");
		assert_int_equal(sl_srclient_contexts_list(x->c, &names, &err), SL_ENOENT);
		assert_non_null(strstr(err.msg, "GET /contexts: bearer token"));
		assert_int_equal(sl_fake_transport_ncalls(x->f), 0);
	}
	teardown((void **)&x);
}

/* A transport that checks the exact Authorization value the client builds. */
struct check_transport {
	struct sl_transport base;
	char auth[256];
};

static int check_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct check_transport *ct = (struct check_transport *)t;
	size_t i;

	(void)err;
	for (i = 0; i < req->nheaders; i++)
		if (strncmp(req->headers[i], "Authorization: ", 15) == 0)
			snprintf(ct->auth, sizeof(ct->auth), "%s", req->headers[i] + 15);
	resp->status = 200;
	return sl_buf_adds(&resp->body, "[]");
}

static void check_free(struct sl_transport *t)
{
	free(t);
}

static void test_redaction_recorded_body(void **state)
{
	struct fx *x = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT;

	e.name = strdup("e");
	assert_int_equal(
	        sl_strmap_set(&e.config, "basic.auth.user.info", strdup("bob:" CANARY), NULL), 0);
	assert_int_equal(sl_strmap_set(&e.config, "schema.registry.url",
	                         strdup("https://bob:" CANARY "@dst.example"), NULL),
	        0);
	reply(x, 409, "{\"error_code\":40960,\"message\":\"Exporter e already exists\"}");
	assert_int_equal(sl_srclient_exporter_create(x->c, &e, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40960);
	no_secret(err.msg, "error message");
	no_secret_in_calls(x);
	assert_non_null(strstr(
	        sl_fake_transport_call(x->f, 0)->body, "\"basic.auth.user.info\":\"[redacted]\""));
	sl_exporter_release(&e);
}

static void test_basic_auth_encoding(void **state)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
	        {"https://alice:" CANARY "@h", "Basic YWxpY2U6Q2FuYXJ5LXB3LTdkMWY5Mw=="},
	        {"https://a%40b:p%3Aw@h", "Basic YUBiOnA6dw=="}, /* a@b : p:w */
	        {"https://u@h", "Basic dTo="}, /* u: */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct check_transport *ct = calloc(1, sizeof(*ct));
		struct sl_srclient_config cfg = {0};
		struct sl_error err = SL_ERROR_INIT;
		struct sl_vec names = SL_VEC_INIT;
		struct sl_srclient *c;

		ct->base.perform = check_perform;
		ct->base.free = check_free;
		cfg.base_url = cases[i].url;
		c = sl_srclient_new(&cfg, &ct->base, &err);
		assert_non_null(c);
		assert_int_equal(sl_srclient_contexts_list(c, &names, &err), 0);
		assert_string_equal(ct->auth, cases[i].want);
		sl_srclient_free(c);
	}
}

/* ---- real libcurl against an in-test HTTP server ----------------------------------------- */

enum act_kind { ACT_REPLY, ACT_STALL, ACT_TRICKLE };

struct act {
	enum act_kind kind;
	const char *raw; /* the full response (status line, headers, body) */
	int ms; /* STALL: how long; TRICKLE: delay per byte */
};

struct srv {
	int lfd;
	int port;
	pthread_t th;
	const struct act *acts;
	size_t nacts, next;
	char *reqs[16]; /* request heads + bodies, as received */
	size_t nreqs;
	int accepts;
	atomic_int stop; /* written by the test thread, read by the server thread */
};

/* Reads one request (head and Content-Length body) into an owned string; NULL on EOF. */
static char *read_request(struct srv *s, int fd)
{
	char buf[65536];
	size_t len = 0;
	char *end = NULL, *cl;
	size_t need = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (s->stop)
			return NULL;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return NULL;
		len += (size_t)n;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end - buf) + 4 +
			       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end != NULL && len >= need)
			return strdup(buf);
		if (len + 1 >= sizeof(buf))
			return NULL;
	}
}

/* Waits ms, or less when the client goes away or the test stops. */
static void stall(struct srv *s, int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};

	for (; ms > 0 && !s->stop; ms -= 20) {
		char c;

		if (poll(&p, 1, 20) > 0 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			return;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		s->accepts++;
		for (;;) {
			char *req = read_request(s, fd);
			const struct act *a;
			bool close_after;

			if (req == NULL)
				break;
			if (s->nreqs < 16)
				s->reqs[s->nreqs++] = req;
			else
				free(req);
			if (s->next >= s->nacts)
				break;
			a = &s->acts[s->next++];
			close_after = a->kind != ACT_REPLY || strstr(a->raw, "Connection: close");
			if (a->kind == ACT_STALL) {
				stall(s, fd, a->ms);
			} else if (a->kind == ACT_TRICKLE) {
				const char *body = strstr(a->raw, "\r\n\r\n") + 4;
				const char *q;

				send(fd, a->raw, (size_t)(body - a->raw), MSG_NOSIGNAL);
				for (q = body; *q && !s->stop; q++) {
					struct timespec ts = {0, a->ms * 1000000L};

					if (send(fd, q, 1, MSG_NOSIGNAL) < 0)
						break;
					nanosleep(&ts, NULL);
				}
			} else {
				send(fd, a->raw, strlen(a->raw), MSG_NOSIGNAL);
			}
			if (close_after)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, const struct act *acts, size_t nacts)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->acts = acts;
	s->nacts = nacts;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

/* Stops the server thread; the recorded requests stay until srv_stop. */
static void srv_join(struct srv *s)
{
	if (!s->stop) {
		s->stop = 1;
		pthread_join(s->th, NULL);
	}
}

static void srv_stop(struct srv *s)
{
	size_t i;

	srv_join(s);
	close(s->lfd);
	for (i = 0; i < s->nreqs; i++)
		free(s->reqs[i]);
	s->nreqs = 0;
}

struct curl_fx {
	long sleeps[8];
	int nsleeps;
	struct timespec cancel_at;
	bool use_cancel_at;
};

static void curl_sleep(void *arg, long ms)
{
	struct curl_fx *x = arg;

	if (x->nsleeps < 8)
		x->sleeps[x->nsleeps++] = ms;
}

static bool curl_cancelled(void *arg)
{
	struct curl_fx *x = arg;
	struct timespec now;

	if (!x->use_cancel_at)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > x->cancel_at.tv_sec ||
	       (now.tv_sec == x->cancel_at.tv_sec && now.tv_nsec >= x->cancel_at.tv_nsec);
}

static struct sl_srclient *curl_client(struct curl_fx *x, int port, struct sl_srclient_config *cfg)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_srclient *c;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	cfg->base_url = url;
	cfg->sleep_ms = curl_sleep;
	cfg->sleep_arg = x;
	cfg->cancelled = curl_cancelled;
	cfg->cancel_arg = x;
	c = sl_srclient_new(cfg, NULL, &err);
	if (c == NULL)
		fail_msg("sl_srclient_new: %s", err.msg);
	return c;
}

static int64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_curl_requests(void **state)
{
	static const struct act acts[] = {
	        {ACT_REPLY,
	                "HTTP/1.1 200 OK\r\nContent-Type: "
	                "application/vnd.schemaregistry.v1+json\r\n"
	                "Content-Length: 15\r\n\r\n[\"exp1\",\"exp2\"]",
	                0},
	        {ACT_REPLY,
	                "HTTP/1.1 200 OK\r\nContent-Type: "
	                "application/vnd.schemaregistry.v1+json\r\n"
	                "Content-Length: 17\r\n\r\n{\"mode\":\"IMPORT\"}",
	                0},
	        {ACT_REPLY,
	                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n"
	                "Content-Length: 26\r\n\r\n<html>upstream down</html>",
	                0},
	        {ACT_REPLY,
	                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: "
	                "0\r\n\r\n",
	                0},
	        {ACT_REPLY,
	                "HTTP/1.1 200 OK\r\nContent-Length: "
	                "29\r\n\r\n{\"compatibilityLevel\":\"FULL\"}",
	                0},
	        {ACT_REPLY,
	                "HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nContent-Length: "
	                "0\r\n\r\n",
	                0},
	        {ACT_REPLY, "HTTP/1.1 204 No Content\r\n\r\n", 0},
	};
	static const char *const extra[] = {"Confluent-Schema-Exporter-Name: e1"};
	struct sl_srclient_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct curl_fx x = {0};
	struct sl_srclient *c;
	struct srv s;
	char *v = NULL;

	(void)state;
	srv_start(&s, acts, sizeof(acts) / sizeof(acts[0]));
	setenv("SL_TEST_SR_PASSWORD", CANARY, 1);
	cfg.auth = SL_SRCLIENT_AUTH_BASIC;
	sl_secret_ref_set(&cfg.username, SL_SECRET_VALUE, "alice");
	sl_secret_ref_set(&cfg.password, SL_SECRET_ENV, "SL_TEST_SR_PASSWORD");
	cfg.headers = extra;
	cfg.nheaders = 1;
	c = curl_client(&x, s.port, &cfg);
	sl_secret_ref_release(&cfg.username);
	sl_secret_ref_release(&cfg.password);

	assert_int_equal(sl_srclient_exporters_list(c, &names, &err), 0);
	assert_int_equal(names.len, 2);
	sl_vec_release(&names, free);
	assert_int_equal(sl_srclient_mode_put(c, ":.c:", "IMPORT", true, &err), 0);
	/* HTML 503 then 429 Retry-After: 2, then the answer. */
	assert_int_equal(sl_srclient_config_get(c, NULL, &v, &err), 1);
	assert_string_equal(v, "FULL");
	free(v);
	assert_int_equal(x.nsleeps, 2);
	assert_int_equal(x.sleeps[0], 250);
	assert_int_equal(x.sleeps[1], 2000);
	/* A redirect is reported, never followed. */
	assert_int_equal(sl_srclient_config_get(c, NULL, &v, &err), SL_EPROTO);
	assert_int_equal(err.http_status, 302);
	assert_non_null(strstr(err.msg, "redirects are not followed"));
	no_secret(err.msg, "error message");
	/* A bodiless 204 on DELETE. */
	assert_int_equal(sl_srclient_context_delete(c, ".c", &err), 0);
	sl_srclient_free(c);
	srv_join(&s);

	assert_int_equal(s.nreqs, 7);
	assert_non_null(strstr(s.reqs[0], "GET /exporters HTTP/1.1\r\n"));
	assert_non_null(
	        strstr(s.reqs[0], "\r\nAuthorization: Basic YWxpY2U6Q2FuYXJ5LXB3LTdkMWY5Mw==\r\n"));
	assert_non_null(strstr(s.reqs[0], "\r\nUser-Agent: schemalink/" SL_VERSION "\r\n"));
	assert_non_null(
	        strstr(s.reqs[0], "\r\nAccept: application/vnd.schemaregistry.v1+json\r\n"));
	assert_non_null(strstr(s.reqs[0], "\r\nConfluent-Schema-Exporter-Name: e1\r\n"));
	assert_non_null(strstr(s.reqs[1], "PUT /mode/%3A.c%3A?force=true HTTP/1.1\r\n"));
	assert_non_null(
	        strstr(s.reqs[1], "\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n"));
	assert_non_null(strstr(s.reqs[1], "\r\n\r\n{\"mode\":\"IMPORT\"}"));
	assert_null(strstr(s.reqs[1], "Expect:"));
	assert_non_null(strstr(s.reqs[6], "DELETE /contexts/.c HTTP/1.1\r\n"));
	/* One connection for everything: the handle is reused (keep-alive). */
	assert_int_equal(s.accepts, 1);
	srv_stop(&s);
}

static void test_curl_faults(void **state)
{
	static const struct act stall_acts[] = {{ACT_STALL, NULL, 5000}};
	static const struct act trickle_acts[] = {{ACT_TRICKLE,
	        "HTTP/1.1 200 OK\r\nContent-Length: "
	        "37\r\n\r\n[\"aaaaaaaaa\",\"bbbbbbbbb\",\"ccccccccc\"]",
	        150}};
	struct act big_acts[1] = {{ACT_REPLY, NULL, 0}};
	char big[2200];
	struct sl_srclient_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct curl_fx x = {0};
	struct sl_srclient *c;
	struct timespec t0;
	struct srv s;
	int port, fd;
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);

	(void)state;
	/* A stall past a short request timeout: SL_ETIMEOUT, one attempt. */
	srv_start(&s, stall_acts, 1);
	cfg.request_timeout_ms = 300;
	cfg.max_attempts = 1;
	c = curl_client(&x, s.port, &cfg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_srclient_contexts_list(c, &names, &err), SL_ETIMEOUT);
	assert_true(elapsed_ms(&t0) < 3000);
	assert_non_null(strstr(err.msg, "GET /contexts: timed out"));
	sl_srclient_free(c);
	srv_stop(&s);

	/* Cancel during a stall: the progress callback aborts the transfer. */
	srv_start(&s, stall_acts, 1);
	memset(&cfg, 0, sizeof(cfg));
	memset(&x, 0, sizeof(x));
	c = curl_client(&x, s.port, &cfg);
	clock_gettime(CLOCK_MONOTONIC, &x.cancel_at);
	x.cancel_at.tv_nsec += 200000000L;
	if (x.cancel_at.tv_nsec >= 1000000000L) {
		x.cancel_at.tv_sec++;
		x.cancel_at.tv_nsec -= 1000000000L;
	}
	x.use_cancel_at = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_srclient_contexts_list(c, &names, &err), SL_ESTATE);
	assert_true(elapsed_ms(&t0) < 3000);
	sl_srclient_free(c);
	srv_stop(&s);

	/* A trickle slower than the low-speed limit. */
	srv_start(&s, trickle_acts, 1);
	memset(&cfg, 0, sizeof(cfg));
	memset(&x, 0, sizeof(x));
	cfg.low_speed_limit = 1000;
	cfg.low_speed_time_s = 1;
	cfg.max_attempts = 1;
	c = curl_client(&x, s.port, &cfg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_srclient_contexts_list(c, &names, &err), SL_ETIMEOUT);
	assert_true(elapsed_ms(&t0) < 5000);
	sl_srclient_free(c);
	srv_stop(&s);

	/* A body over a small configured cap. */
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: 2001\r\n\r\n[\"%01997d\"]",
	        0);
	big_acts[0].raw = big;
	srv_start(&s, big_acts, 1);
	memset(&cfg, 0, sizeof(cfg));
	memset(&x, 0, sizeof(x));
	cfg.max_body = 1024;
	c = curl_client(&x, s.port, &cfg);
	assert_int_equal(sl_srclient_contexts_list(c, &names, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "larger than 1024 bytes"));
	assert_int_equal(x.nsleeps, 0);
	sl_srclient_free(c);
	srv_stop(&s);

	/* A refused port: retried exactly twice, 100 ms then 200 ms. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	memset(&x, 0, sizeof(x));
	c = curl_client(&x, port, &cfg);
	assert_int_equal(sl_srclient_contexts_list(c, &names, &err), SL_ECONN);
	assert_int_equal(x.nsleeps, 2);
	assert_int_equal(x.sleeps[0], 100);
	assert_int_equal(x.sleeps[1], 200);
	assert_non_null(strstr(err.msg, "GET /contexts: connection failed"));
	sl_srclient_free(c);
}

/* Against a live registry (srlite, or Confluent) when SL_TEST_REGISTRY_URL names one; the
 * registry should be empty. Skipped otherwise, so the unit run needs no server. */
static void test_live_registry(void **state)
{
	const char *url = getenv("SL_TEST_REGISTRY_URL");
	struct sl_srclient_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_register_request rr = {0};
	struct sl_vec v = SL_VEC_INIT;
	struct sl_srclient *c;
	char *m = NULL, ident[256];
	int rc, id = 0, ver = 0;

	(void)state;
	if (url == NULL || *url == '\0')
		skip();
	cfg.base_url = url;
	c = sl_srclient_new(&cfg, NULL, &err);
	assert_non_null(c);
	/* Every registry answers this one way or another: an identity, or none (older ones). */
	rc = sl_srclient_cluster_id(c, ident, sizeof(ident), &err);
	if (rc < 0)
		fail_msg("sl_srclient_cluster_id: %s", err.msg);
	rc = sl_srclient_exporters_list(c, &v, &err);
	assert_true(rc == 0 || rc == SL_EUNSUP);
	sl_vec_release(&v, free);
	assert_int_equal(sl_srclient_mode_get(c, ":.sltest:", &m, &err), 0);
	assert_int_equal(sl_srclient_mode_put(c, ":.sltest:", "IMPORT", false, &err), 0);
	assert_int_equal(sl_srclient_mode_get(c, ":.sltest:", &m, &err), 1);
	assert_string_equal(m, "IMPORT");
	free(m);
	assert_int_equal(sl_srclient_config_get(c, ":.sltest:a/b", &m, &err), 0);
	rr.schema = "{\"type\":\"string\"}";
	rr.id = 4242;
	rr.version = 1;
	rr.idempotent = true;
	assert_int_equal(sl_srclient_register(c, ":.sltest:a/b", &rr, &id, &ver, &err), 0);
	assert_int_equal(id, 4242);
	/* Re-sending the same (schema, id, version) is idempotent. */
	assert_int_equal(sl_srclient_register(c, ":.sltest:a/b", &rr, &id, &ver, &err), 0);
	assert_int_equal(sl_srclient_subjects_list(c, ":.sltest:", false, &v, &err), 0);
	assert_int_equal(v.len, 1);
	assert_string_equal(v.items[0], ":.sltest:a/b");
	sl_vec_release(&v, free);
	assert_int_equal(sl_srclient_mode_delete(c, ":.sltest:", &err), 1);
	assert_int_equal(sl_srclient_mode_delete(c, ":.sltest:", &err), 0);
	sl_srclient_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_exporter_calls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exporter_info_decoding, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exporter_status_decoding, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exporters_route_missing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cluster_id_shapes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cluster_id_none, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cluster_id_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cluster_id_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mode_tristate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_config_tristate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subjects_and_versions, setup, teardown),
	        cmocka_unit_test(test_headers),
	        cmocka_unit_test(test_config_validation),
	        cmocka_unit_test_setup_teardown(test_retry_5xx_then_success, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_retry_on_4xx, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_post_never_retried, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_retried_twice, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	        cmocka_unit_test(test_budget_429_pauses_other_callers),
	        cmocka_unit_test(test_budget_retry_waits_on_limiter),
	        cmocka_unit_test(test_budget_tokens_per_attempt),
	        cmocka_unit_test(test_budget_cancelled),
	        cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ids_out_of_range, setup, teardown),
	        cmocka_unit_test(test_redaction_basic),
	        cmocka_unit_test(test_redaction_userinfo),
	        cmocka_unit_test(test_redaction_bearer),
	        cmocka_unit_test_setup_teardown(test_redaction_recorded_body, setup, teardown),
	        cmocka_unit_test(test_basic_auth_encoding),
	        cmocka_unit_test(test_curl_requests),
	        cmocka_unit_test(test_curl_faults),
	        cmocka_unit_test(test_live_registry),
	};

	/* OpenSSL may raise SIGPIPE on a closed socket; the process ignores it (srclient.h). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
