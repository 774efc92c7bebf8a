/*
 * scenario_plan.c — pkg/engine/plan.c through sl_engine_plan (what slctl diff shows), with
 * test_engine.c's manifests and fixtures: every object of a snapshot with both registries,
 * a Context and a Subject with settings to change, a link to create and one whose exporter
 * exists with other subjects. Each plan is printed whole: the fields, the live lines, the exporter info,
 * the actions and sl_plan_format's text.
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../unit/engine_fixture.h"

static const char manifests[] = FIXTURE_REGISTRIES_YAML
        "---\n"
        "apiVersion: schemalink.io/v1alpha1\n"
        "kind: SchemaLink\n"
        "metadata: {name: src-to-tgt-link}\n"
        "spec:\n"
        "  source: source\n"
        "  destination: target\n"
        "  subjects: [\"pageviews-value\", \"orders-value\"]\n"
        "  context: {type: CUSTOM, name: source}\n"
        "  config: {batch.size: \"100\"}\n"
        "---\n"
        "apiVersion: schemalink.io/v1alpha1\n"
        "kind: SchemaLink\n"
        "metadata: {name: new-link}\n"
        "spec:\n"
        "  source: source\n"
        "  destination: target\n"
        "  subjects: [\"clicks-value\"]\n"
        "  context: {type: CUSTOM, name: clicks}\n"
        "  subjectRenameFormat: \"dc1.${subject}\"\n"
        "  config: {batch.size: \"10\", linger.ms: \"5\"}\n"
        "---\n"
        "apiVersion: schemalink.io/v1alpha1\n"
        "kind: Context\n"
        "metadata: {name: other}\n"
        "spec: {registry: target, context: other, mode: READONLY, compatibility: BACKWARD}\n"
        "---\n"
        "apiVersion: schemalink.io/v1alpha1\n"
        "kind: Subject\n"
        "metadata: {name: orders}\n"
        "spec: {registry: source, subject: \"orders-value\", compatibility: FULL}\n";

#define INFO_OLD \
	"{\"name\":\"src-to-tgt-link\",\"contextType\":\"CUSTOM\",\"context\":\"source\"," \
	"\"subjects\":[\"pageviews-value\"],\"subjectRenameFormat\":\"${subject}\",\"config\":{" \
	"\"schema.registry.url\":\"http://schemaregistry2:8082\"," \
	"\"basic.auth.credentials.source\":\"USER_INFO\",\"basic.auth.user.info\":\"[hidden]\"," \
	"\"batch.size\":\"50\"}}"
#define STATUS_RUNNING \
	"{\"name\":\"src-to-tgt-link\",\"state\":\"RUNNING\",\"offset\":4,\"ts\":1701292093264," \
	"\"trace\":\"\"}"
#define NOT_SET_MODE "{\"error_code\":40409,\"message\":\"mode not configured\"}"
#define NOT_SET_CONFIG "{\"error_code\":40408,\"message\":\"compatibility not configured\"}"

/* In snapshot order: Registry/source, Registry/target, Context/other, Subject/orders,
 * SchemaLink/new-link (to be created), SchemaLink/src-to-tgt-link. */
static const struct world_step steps[] = {
        {"source", "GET /exporters", 200, "[\"src-to-tgt-link\"]"},
        {"target", "GET /exporters", 200, "[]"},
        {"target", "GET /mode/%3A.other%3A?defaultToGlobal=false", 200, "{\"mode\":\"READWRITE\"}"},
        {"target", "GET /config/%3A.other%3A?defaultToGlobal=false", 404, NOT_SET_CONFIG},
        {"source", "GET /config/orders-value?defaultToGlobal=false", 200,
                "{\"compatibilityLevel\":\"NONE\"}"},
        {"target", "GET /mode/%3A.clicks%3A?defaultToGlobal=false", 404, NOT_SET_MODE},
        {"target", "GET /subjects?subjectPrefix=%3A.clicks%3A", 200, "[]"},
        {"source", "GET /exporters/src-to-tgt-link", 200, INFO_OLD},
        {"source", "GET /exporters/src-to-tgt-link/status", 200, STATUS_RUNNING},
        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 200, "{\"mode\":\"IMPORT\"}"},
};

/* What each plan must write, in snapshot order (test_engine.c's orders for each kind). */
static const size_t want_actions[] = {0, 0, 2, 1, 2, 4};

static struct world w;
static struct world_fakes fakes;
static struct sl_snapshot *snap;

static int setup(void)
{
	if (world_setup(&w, "plan") < 0 ||
	        world_script(&w, &fakes, steps, sizeof(steps) / sizeof(steps[0])) < 0)
		return -1;
	snap = world_load(&w, manifests);
	return 0;
}

static void cleanup(void)
{
	world_fakes_free(&fakes);
}

static void teardown(void)
{
	sl_snapshot_free(snap);
	snap = NULL;
	world_teardown(&w);
}

static const char *effects(void)
{
	return torture_effects();
}

/* The temp dir (in the secret's description) as "<dir>", in place: runs compare equal. */
static void scrub_dir(struct sl_buf *out)
{
	size_t n = strlen(w.dir), o = 0, i = 0;

	while (i < out->len) {
		if (out->len - i >= n && memcmp(out->data + i, w.dir, n) == 0) {
			memcpy(out->data + o, "<dir>", 5);
			o += 5;
			i += n;
		} else {
			out->data[o++] = out->data[i++];
		}
	}
	if (out->cap)
		sl_buf_truncate(out, o);
}

static int add_plan(struct sl_buf *out, const struct sl_plan *p)
{
	size_t i;
	int rc;

	rc = sl_buf_addf(out,
	        "%s: op=%d %s ready=%s %s (%d) %s | fix: %s%s%s%s exporter=%d %s %lld %s dest=%s\n",
	        p->key, (int)p->op, sl_result_name(p->result), sl_cond_status_name(p->ready),
	        p->reason, p->error_code, p->message, p->fix, p->suspended ? " suspended" : "",
	        p->unreachable ? " unreachable" : "", p->stalled ? " stalled" : "",
	        p->exporter_exists, p->exporter_state, (long long)p->exporter_offset,
	        p->trace_first_line, p->dest_context);
	for (i = 0; rc == 0 && i < p->changes.len; i++)
		rc = sl_buf_addf(out, "  change: %s\n", (const char *)p->changes.items[i]);
	for (i = 0; rc == 0 && i < p->actions.len; i++) {
		const struct sl_action *a = p->actions.items[i];

		rc = sl_buf_addf(out, "  action: %s %s %s %s%s why=%s prev=%s%s url=%s\n  ",
		        sl_action_kind_name(a->kind), a->registry, a->target, a->value,
		        a->force ? " force" : "", a->why, a->had_previous ? "" : "-", a->previous,
		        a->url);
		rc = rc ? rc : sl_action_format(a, out);
		rc = rc ? rc : sl_buf_addch(out, '\n');
	}
	for (i = 0; rc == 0 && i < p->live.len; i++)
		rc = sl_buf_addf(out, "  live: %s\n", (const char *)p->live.items[i]);
	if (rc == 0 && p->live_info != NULL)
		rc = sl_buf_addf(out, "  live info: %s\n", p->live_info);
	rc = rc ? rc : sl_buf_adds(out, "  formatted:\n");
	return rc ? rc : sl_plan_format(p, out);
}

static int run(struct sl_buf *out)
{
	struct sl_engine_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_engine *e;
	size_t i;
	int rc = 0;

	world_config(&w, &fakes, &cfg);
	cfg.read_only_state = true; /* slctl diff --adopt */
	cfg.holder = NULL;
	cfg.adopt = true;
	e = sl_engine_new(&cfg, &err);
	if (e == NULL)
		return err.code ? err.code : SL_ENOMEM;
	sl_engine_begin_pass(e);
	for (i = 0; rc == 0 && i < sl_snapshot_count(snap) && i < 6; i++) {
		struct sl_plan *p = NULL;

		rc = sl_engine_plan(e, snap, sl_snapshot_at(snap, i)->key, &p, &err);
		/* An observation that failed is reported in the plan, to be retried. */
		if (rc == 0 && (p->error || p->unreachable))
			rc = TORTURE_RETRY;
		if (rc == 0)
			rc = add_plan(out, p);
		if (rc == 0 && p->actions.len != want_actions[i])
			rc = sl_buf_addf(out, "WRONG: %s: %zu actions, not %zu\n", p->key,
			        p->actions.len, want_actions[i]);
		sl_plan_free(p);
	}
	if (sl_engine_end_pass(e, NULL) < 0 && rc == 0)
		rc = SL_EIO;
	sl_engine_free(e);
	if (rc == 0)
		rc = world_check_effects(&w, out);
	scrub_dir(out);
	return rc;
}

const struct torture_scenario torture_scenario_plan = {
        .name = "plan",
        .setup = setup,
        .run = run,
        .cleanup = cleanup,
        .teardown = teardown,
        .effects = effects,
};
