/* test_engine_check.c — what a fast check round reads (docs/internals/reconcile.md "Fast
 * check"): one exporter list per source, one status per link, one mode read per destination
 * registry and scope however many links share the scope, and nothing for a link a reconcile
 * read live within fresh_ms; and the order a pass takes the objects in. */
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
#include "schemalink/engine.h"
#include "schemalink/srclient.h"
#include "../../pkg/engine/engine_int.h"
#include "engine_fixture.h"

#define REGS \
	"apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\n" \
	"spec: {url: \"http://a.test:8081\"}\n" \
	"---\n" \
	"apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target}\n" \
	"spec: {url: \"http://b.test:8082\"}\n"
#define LINK(n, ctx) \
	"---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: " n "}\n" \
	"spec: {source: source, destination: target, subjects: [" n "-value], " \
	"context: {type: CUSTOM, name: " ctx "}}\n"

struct world {
	struct sl_engine *e;
	struct sl_snapshot *snap;
	struct sl_clock clock;
	struct sl_fake_transport *src, *dst; /* borrowed: the engine's clients own them */
	char dir[64];
};

static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	struct sl_fake_transport *f = sl_fake_transport_new();

	(void)cfg;
	(void)err;
	assert_non_null(f);
	if (!strcmp(registry, "source"))
		w->src = f;
	else
		w->dst = f;
	return sl_fake_transport_base(f);
}

static int setup(void **state)
{
	static const char text[] = REGS LINK("l1", "shared") LINK("l2", "shared") LINK("l3", "own");
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	snprintf(
	        w->dir, sizeof(w->dir), "/tmp/sl-check-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X', 'X');
	assert_non_null(mkdtemp(w->dir));
	sl_clock_fake_init(&w->clock, 1000, 1700000000000LL);
	w->e = fixture_engine(NULL, "default", &w->clock, make_transport, NULL, w);
	w->snap = fixture_load("links.yaml", w->dir, text, strlen(text));
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	sl_engine_free(w->e);
	sl_snapshot_free(w->snap);
	rmdir(w->dir);
	free(w);
	return 0;
}

/* What a reconcile of link name records for the check: a RUNNING exporter whose destination
 * context ctx needs IMPORT. */
static void note(struct world *w, const char *name, const char *ctx)
{
	struct obs_scope sc = {0};
	struct obs_link o;
	struct sl_buf key = SL_BUF_INIT, scope = SL_BUF_INIT;
	char state[] = "RUNNING";

	memset(&o, 0, sizeof(o));
	sl_vec_init(&o.scopes);
	assert_int_equal(sl_buf_addf(&key, "SchemaLink/%s", name), 0);
	assert_int_equal(sl_buf_addf(&scope, ":.%s:", ctx), 0);
	sc.scope = scope.data;
	assert_int_equal(sl_vec_push(&o.scopes, &sc), 0);
	o.exists = true;
	o.status.state_raw = state;
	assert_int_equal(sl_eng_check_note(w->e, key.data, "target", &o, true), 0);
	sl_vec_release(&o.scopes, NULL);
	sl_buf_release(&key);
	sl_buf_release(&scope);
}

static void reply_status(struct world *w, const char *name)
{
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(
	        sl_buf_addf(
	                &b, "{\"name\":\"%s\",\"state\":\"RUNNING\",\"offset\":3,\"ts\":0}", name),
	        0);
	assert_int_equal(sl_fake_transport_reply(w->src, 200, b.data), 0);
	sl_buf_release(&b);
}

/* Scripts one round's answers: the source's exporter list, the status of each link in
 * names (a space-separated list), and modes IMPORT answers on the destination (when made). */
static void script_round(struct world *w, const char *names, int modes)
{
	char buf[64], *save = NULL, *n;

	assert_int_equal(sl_fake_transport_reply(w->src, 200, "[\"l1\",\"l2\",\"l3\"]"), 0);
	snprintf(buf, sizeof(buf), "%s", names);
	for (n = strtok_r(buf, " ", &save); n != NULL; n = strtok_r(NULL, " ", &save))
		reply_status(w, n);
	while (modes-- > 0)
		assert_int_equal(sl_fake_transport_reply(w->dst, 200, "{\"mode\":\"IMPORT\"}"), 0);
}

/* Counts the calls of f whose path starts with prefix. */
static int calls_to(const struct sl_fake_transport *f, const char *prefix)
{
	size_t i;
	int n = 0;

	for (i = 0; f != NULL && i < sl_fake_transport_ncalls(f); i++)
		n += strncmp(sl_fake_transport_call(f, i)->path, prefix, strlen(prefix)) == 0;
	return n;
}

static void run(struct world *w, int64_t fresh_ms, struct sl_engine_check_stats *st)
{
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_error err = SL_ERROR_INIT;

	assert_int_equal(sl_engine_check(w->e, w->snap, fresh_ms, &keys, st, &err), 0);
	assert_int_equal(keys.len, 0); /* everything healthy: nothing named */
	sl_vec_release(&keys, free);
}

/* Two links sharing a destination context cost one mode read between them. */
static void test_mode_read_once_per_scope(void **state)
{
	struct world *w = *state;
	struct sl_engine_check_stats st;

	note(w, "l1", "shared");
	note(w, "l2", "shared");
	note(w, "l3", "own");
	sl_clock_fake_advance(&w->clock, 60000);
	/* The clients are made on first use: the first link's source read makes the fake. */
	run(w, 0, &st); /* no script yet: every registry fails, nothing checked */
	assert_int_equal(st.links, 0);
	assert_int_equal(st.failed_registries, 1);
	sl_fake_transport_reset(w->src);
	script_round(w, "l1 l2 l3", 0);
	run(w, 0, &st);
	/* The destination's client is made by the first mode read. */
	assert_non_null(w->dst);
	sl_fake_transport_reset(w->dst);
	script_round(w, "l1 l2 l3", 2);
	run(w, 0, &st);
	assert_int_equal(st.links, 3);
	assert_int_equal(st.reads, 1 + 3 + 2);
	assert_int_equal(st.fresh, 0);
	assert_int_equal(sl_fake_transport_ncalls(w->dst), 2);
	assert_int_equal(calls_to(w->dst, "/mode/%3A.shared%3A"), 1);
	assert_int_equal(calls_to(w->dst, "/mode/%3A.own%3A"), 1);
	assert_int_equal(sl_fake_transport_pending(w->src), 0);
	assert_int_equal(sl_fake_transport_pending(w->dst), 0);
}

/* A link a reconcile read within fresh_ms is skipped; one read fresh_ms ago or earlier is
 * read again. */
static void test_fresh_link_skipped(void **state)
{
	struct world *w = *state;
	struct sl_engine_check_stats st;

	note(w, "l1", "shared");
	note(w, "l2", "shared");
	note(w, "l3", "own");
	sl_clock_fake_advance(&w->clock, 4999);
	/* All three read 4,999 ms ago: fresh, nothing is read (no client is even made). */
	run(w, 5000, &st);
	assert_int_equal(st.fresh, 3);
	assert_int_equal(st.reads, 0);
	assert_int_equal(st.links, 0);
	assert_null(w->src);
	/* l1 read again now; l2 and l3 are 5,000 ms old: read. */
	sl_clock_fake_advance(&w->clock, 1);
	note(w, "l1", "shared");
	run(w, 5000, &st); /* makes the clients; the unscripted source fails */
	assert_non_null(w->src);
	assert_int_equal(st.fresh, 1);
	sl_fake_transport_reset(w->src);
	script_round(w, "l2 l3", 0);
	run(w, 5000, &st);
	assert_non_null(w->dst);
	sl_fake_transport_reset(w->dst);
	script_round(w, "l2 l3", 2);
	run(w, 5000, &st);
	assert_int_equal(st.fresh, 1);
	assert_int_equal(st.links, 2);
	assert_int_equal(st.reads, 1 + 2 + 2);
	assert_int_equal(calls_to(w->src, "/exporters/l1"), 0);
	assert_int_equal(sl_fake_transport_pending(w->src), 0);
	assert_int_equal(sl_fake_transport_pending(w->dst), 0);
	/* fresh_ms 0: nothing is fresh. */
	sl_fake_transport_reset(w->src);
	sl_fake_transport_reset(w->dst);
	script_round(w, "l1 l2 l3", 2);
	run(w, 0, &st);
	assert_int_equal(st.fresh, 0);
	assert_int_equal(st.links, 3);
}

/* The pass order: Registries first, then the links one of each source registry in turn (two
 * names for one URL are one registry), by name within each. */
static void test_pass_order(void **state)
{
	static const char text[] = REGS
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\n"
	        "metadata: {name: alias}\nspec: {url: \"http://A.TEST:8081/\"}\n"
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\n"
	        "metadata: {name: t1}\nspec: {source: target, destination: source, "
	        "subjects: [t1-value], context: {type: CUSTOM, name: t1}}\n"
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\n"
	        "metadata: {name: t2}\nspec: {source: target, destination: source, "
	        "subjects: [t2-value], context: {type: CUSTOM, name: t2}}\n"
	        "---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\n"
	        "metadata: {name: l0}\nspec: {source: alias, destination: target, "
	        "subjects: [l0-value], context: {type: CUSTOM, name: l0}}\n" LINK("l1", "shared")
	                LINK("l2", "shared") LINK("l3", "own");
	struct world *w = *state;
	struct sl_snapshot *s = fixture_load("order.yaml", w->dir, text, strlen(text));
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_buf got = SL_BUF_INIT;
	size_t i;

	assert_int_equal(sl_engine_pass_order(s, &keys), 0);
	for (i = 0; i < keys.len; i++)
		sl_buf_addf(&got, "%s ", (const char *)keys.items[i]);
	assert_string_equal(got.data,
	        "Registry/alias Registry/source Registry/target SchemaLink/l0 SchemaLink/t1 "
	        "SchemaLink/l1 SchemaLink/t2 SchemaLink/l2 SchemaLink/l3 ");
	sl_buf_release(&got);
	sl_vec_release(&keys, free);
	sl_snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_mode_read_once_per_scope, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fresh_link_skipped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pass_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
