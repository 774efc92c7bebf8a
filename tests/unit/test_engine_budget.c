/* test_engine_budget.c — the engine's request budgets (docs/internals/operations.md "Rate
 * limits"): one limiter per registry URL, shared by the declared Registry's client and by the
 * clients made for recorded URLs, kept across snapshots with its rates set in place, waiting
 * through the engine's clock and sleep hook. */
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
#include "schemalink/ratelimit.h"
#include "schemalink/srclient.h"
#include "../../pkg/engine/engine_int.h"
#include "engine_fixture.h"

struct world {
	struct sl_engine *e;
	struct sl_snapshot *snaps[4];
	int nsnaps;
	struct sl_clock clock;
	struct sl_ratelimit *seen; /* the budget the last client was made with */
	int made; /* clients made (transports asked for) */
	long waits[16];
	int nwaits;
	char dir[64];
};

/* Every client gets a fresh fake that answers "[]" a few times. */
static struct sl_transport *make_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world *w = cls;
	struct sl_fake_transport *f = sl_fake_transport_new();
	int i;

	(void)registry;
	(void)err;
	assert_non_null(f);
	w->seen = cfg->limit;
	w->made++;
	for (i = 0; i < 8; i++)
		assert_int_equal(sl_fake_transport_reply(f, 200, "[]"), 0);
	return sl_fake_transport_base(f);
}

/* Records the wait; the clock stays where it is, so waits add up. */
static void record_sleep(void *arg, long ms)
{
	struct world *w = arg;

	if (w->nwaits < 16)
		w->waits[w->nwaits] = ms;
	w->nwaits++;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	snprintf(w->dir, sizeof(w->dir), "/tmp/sl-budget-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X',
	        'X');
	assert_non_null(mkdtemp(w->dir));
	sl_clock_fake_init(&w->clock, 1000, 1700000000000LL);
	w->e = fixture_engine(NULL, "default", &w->clock, make_transport, record_sleep, w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	int i;

	sl_engine_free(w->e);
	for (i = 0; i < w->nsnaps; i++)
		sl_snapshot_free(w->snaps[i]);
	rmdir(w->dir);
	free(w);
	return 0;
}

/* The snapshot of text; it lives until teardown. */
static const struct sl_snapshot *load_text(struct world *w, const char *text)
{
	struct sl_snapshot *s = fixture_load("registries.yaml", w->dir, text, strlen(text));

	assert_true(w->nsnaps < 4);
	w->snaps[w->nsnaps++] = s;
	return s;
}

/* "source" with rateLimit source_limit and "alias" (when given: the rest of its spec) at one
 * URL, written differently; "target" at another with the defaults. */
static const struct sl_snapshot *load(struct world *w, const char *source_limit, const char *alias)
{
	struct sl_buf b = SL_BUF_INIT;
	const struct sl_snapshot *s;

	sl_buf_addf(&b,
	        "apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\n"
	        "spec: {url: \"http://a.test:8081\", rateLimit: %s}\n"
	        "---\n"
	        "apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target}\n"
	        "spec: {url: \"http://b.test:8082\"}\n",
	        source_limit);
	if (alias != NULL)
		sl_buf_addf(&b,
		        "---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\n"
		        "metadata: {name: alias}\nspec: {url: \"http://A.TEST:8081/\", %s}\n",
		        alias);
	s = load_text(w, b.data);
	sl_buf_release(&b);
	return s;
}

static struct reg_client *client(struct world *w, const struct sl_snapshot *s, const char *name)
{
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c = sl_eng_client_for(w->e, s, name, &err);

	if (c == NULL)
		fail_msg("client %s: %s", name, err.msg);
	return c;
}

static void expect_rates(struct sl_ratelimit *l, int reads, int writes)
{
	int r, wr;

	sl_ratelimit_rates(l, &r, &wr);
	assert_int_equal(r, reads);
	assert_int_equal(wr, writes);
}

/* Registries at one URL share one budget, whose rates are the strictest of theirs; another
 * URL has its own, with the defaults. */
static void test_one_budget_per_url(void **state)
{
	struct world *w = *state;
	const struct sl_snapshot *s = load(w, "{readsPerSecond: 10, writesPerSecond: 4}",
	        "rateLimit: {readsPerSecond: 30, writesPerSecond: 0}");
	struct sl_ratelimit *a, *t;

	client(w, s, "source");
	a = w->seen;
	assert_non_null(a);
	client(w, s, "alias");
	assert_ptr_equal(w->seen, a);
	client(w, s, "target");
	t = w->seen;
	assert_ptr_not_equal(t, a);
	expect_rates(a, 10, 4); /* alias's 30 is looser, its 0 no limit at all */
	expect_rates(t, SL_DEFAULT_READS_PER_S, SL_DEFAULT_WRITES_PER_S);
	assert_int_equal(w->made, 3);
}

/* The clients made for recorded URLs (prune, delete, restore) spend from the same budget as
 * the declared Registry's, and a URL no Registry declares gets the defaults. */
static void test_recorded_urls_share_it(void **state)
{
	struct world *w = *state;
	const struct sl_snapshot *s = load(w, "{readsPerSecond: 1, writesPerSecond: 1}", NULL);
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *c1, *c2;
	struct sl_ratelimit *a;
	struct sl_vec names = SL_VEC_INIT;

	c1 = client(w, s, "source");
	a = w->seen;
	/* Recorded under another name: a client without credentials, the same budget. */
	c2 = sl_eng_client_for_url(w->e, s, "gone", "http://a.test:8081", &err);
	assert_non_null(c2);
	assert_ptr_not_equal(c1, c2);
	assert_ptr_equal(w->seen, a);
	/* One read each: the second waits a second, through the engine's sleep hook. */
	assert_int_equal(sl_srclient_contexts_list(c1->c, &names, &err), 0);
	sl_vec_release(&names, free);
	assert_int_equal(w->nwaits, 0);
	assert_int_equal(sl_srclient_contexts_list(c2->c, &names, &err), 0);
	sl_vec_release(&names, free);
	assert_int_equal(w->nwaits, 1);
	assert_int_equal(w->waits[0], 1000);
	/* Nobody declares this one. */
	assert_non_null(sl_eng_client_for_url(w->e, s, "old", "http://c.test:8083", &err));
	assert_ptr_not_equal(w->seen, a);
	expect_rates(w->seen, SL_DEFAULT_READS_PER_S, SL_DEFAULT_WRITES_PER_S);
}

/* A new snapshot changes the rates in place: the remade client gets the same budget (and what
 * it already spent), and a URL that is no longer declared goes back to the defaults. */
static void test_kept_across_snapshots(void **state)
{
	struct world *w = *state;
	const struct sl_snapshot *s1 = load(w, "{readsPerSecond: 1, writesPerSecond: 1}", NULL);
	const struct sl_snapshot *s2, *s3;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_ratelimit *a;

	client(w, s1, "source");
	a = w->seen;
	assert_non_null(sl_eng_client_for_url(w->e, s1, "gone", "http://a.test:8081", &err));
	s2 = load(w, "{readsPerSecond: 0, writesPerSecond: 7}", NULL);
	client(w, s2, "source");
	assert_int_equal(w->made, 3); /* remade: its spec changed */
	assert_ptr_equal(w->seen, a);
	expect_rates(a, 0, 7);
	/* The same spec again: the client is kept, and so are the rates. */
	client(w, s2, "source");
	assert_int_equal(w->made, 3);
	/* Registry "source" moved elsewhere: the old URL's budget, still used by the recorded
	 * client, falls back to the defaults. */
	s3 = load_text(w, "apiVersion: schemalink.io/v1alpha1\nkind: Registry\n"
	                  "metadata: {name: source}\nspec: {url: \"http://d.test:8084\"}\n");
	client(w, s3, "source");
	assert_ptr_not_equal(w->seen, a);
	expect_rates(a, SL_DEFAULT_READS_PER_S, SL_DEFAULT_WRITES_PER_S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_one_budget_per_url, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_recorded_urls_share_it, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kept_across_snapshots, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
