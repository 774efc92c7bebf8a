/* test_plan.c — the pure planners of pkg/engine/plan.c, table-driven: each row is a desired
 * state (manifest text), an observed state (what observe.c would have read) and the plan
 * expected from them (actions in order, verdict, and where it matters the change lines).
 *
 * The rows drive sl_plan_link and sl_plan_setting through their inputs and outputs only, so
 * the planner's internals may be rewritten without touching this file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/inventory.h"
#include "schemalink/manifest.h"
#include "../../pkg/engine/engine_int.h"
#include "engine_fixture.h"

#define LINK "src-to-tgt-link"
#define RCE "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: "
#define STACK "\n\tat io.confluent.kafka.schemaregistry.rest.Exporter.run(Exporter.java:42)"
#define OFFSET 42
#define TS 1700000000000LL

/* ---- desired state: manifest text ------------------------------------------------------ */

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
                                      "%s";

/* The walkthrough's target: exporters write to it with basic auth, the password a secret. */
static const char target_default[] =
        "  url: http://target.test:8082\n"
        "  linkUrl: http://schemaregistry2:8082\n"
        "  linkAuth: {basic: {username: {value: exporter}, password: {env: PT_TARGET_PASS}}}\n";

static const char link_yaml[] = "---\n"
                                "apiVersion: schemalink.io/v1alpha1\n"
                                "kind: SchemaLink\n"
                                "metadata: {name: " LINK "}\n"
                                "spec:\n"
                                "  source: source\n"
                                "  destination: target\n"
                                "%s";

static struct sl_snapshot *load_link(const char *spec, const char *target)
{
	struct sl_buf b = SL_BUF_INIT;
	struct sl_snapshot *s;

	assert_int_equal(sl_buf_addf(&b, registries_yaml, target ? target : target_default), 0);
	assert_int_equal(sl_buf_addf(&b, link_yaml, spec ? spec : ""), 0);
	s = fixture_load("links.yaml", "/tmp", b.data, b.len);
	sl_buf_release(&b);
	return s;
}

/* ---- observed state -------------------------------------------------------------------- */

/* One destination scope the link needs, as sl_observe_link reads it. */
struct scope_in {
	const char *context; /* ".source"; "." is the top level */
	const char *mode; /* NULL: nothing set at this scope (mode_rc 0) */
	bool nonempty, owned, local_writes;
	const char *sample, *detail;
};

struct import_in {
	const char *context, *writer;
};

/* What the inventory recorded of the link's secrets. */
enum inv_secrets {
	INV_SAME, /* the hashes of what the manifests resolve to now (the usual case) */
	INV_NONE, /* no record of the link at all */
	INV_EMPTY, /* a record without secret hashes (adopted, or the state dir was lost) */
	INV_OTHER, /* hashes of other values: the secrets were rotated */
};

#define MAX_ACTS 10
#define MAX_CHANGES 14
#define MAX_SCOPES 5
#define MAX_IMPORTS 4
#define MAX_LIVE 6

struct link_case {
	const char *name;
	/* Desired: extra lines of the link's spec; the target Registry's spec (NULL: default). */
	const char *spec;
	const char *target;
	/* Observed. The exporter exists unless absent; it is what the manifest wants except for
	 * the edits in live: "field=value" sets, "field" clears (fields: subjects (a,b,...),
	 * contextType, context, rename), "config.KEY=VALUE" sets and "-config.KEY" removes a
	 * config key. Secrets read back as "[hidden]", as registries show them. */
	bool unsupported, absent;
	const char *state; /* NULL: the status carried no state */
	const char *trace;
	const char *live[MAX_LIVE];
	bool owned, adopt;
	int attempts;
	/* The last replication verification: versions lost, and ids in conflict (the first). */
	int lost, conflicts;
	const char *conflict;
	enum inv_secrets inv;
	/* None given: the link's own destination scope, IMPORT (Import links) or unread. */
	struct scope_in scopes[MAX_SCOPES];
	struct import_in declared[MAX_IMPORTS], imports[MAX_IMPORTS];
	/* Generated observations (rows with many scopes or imports), after the ones above. */
	void (*extra)(const struct want_link *w, struct obs_link *o, struct decl_imports *decl);
	/* Expected: actions "kind registry target [=value] [force] [heal:R] [drift:R] [was:P]
	 * [why:W (resets only)]", target "(top)" for the top level; the verdict "result Ready
	 * reason code op [stalled] [error]"; the change lines when changes[0] is set ("-": none);
	 * substrings of the message and of the fix. */
	const char *actions[MAX_ACTS];
	void (*more_actions)(struct sl_vec *want);
	const char *verdict;
	const char *changes[MAX_CHANGES];
	const char *msg, *fix;
};

/* ---- building the inputs --------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
	char *c = strdup(s);

	assert_non_null(c);
	return c;
}

static void set_config(struct sl_strmap *m, const char *k, const char *v)
{
	void *old = NULL;

	assert_int_equal(sl_strmap_set(m, k, xstrdup(v), &old), 0);
	free(old);
}

static void replace(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

/* The live exporter: the desired one, then the row's edits. */
static void build_live(const struct want_link *w, const char *const *edits, struct sl_exporter *x)
{
	const struct sl_link_spec *l = &w->obj->link;
	size_t pos = 0, i;
	const char *k;
	void *v;

	x->name = xstrdup(w->obj->name);
	x->context_type = xstrdup(w->ctx_type);
	x->context = w->context ? xstrdup(w->context) : NULL;
	x->subject_rename_format = xstrdup(w->rename);
	for (i = 0; i < l->subjects.len; i++)
		assert_int_equal(sl_vec_push(&x->subjects, xstrdup(l->subjects.items[i])), 0);
	while (sl_strmap_next(&w->plain, &pos, &k, &v))
		set_config(&x->config, k, v);
	pos = 0;
	while (sl_strmap_next(&w->secret, &pos, &k, &v))
		set_config(&x->config, k, HIDDEN);
	for (i = 0; i < MAX_LIVE && edits[i]; i++) {
		const char *e = edits[i], *eq = strchr(e, '=');
		size_t n = eq ? (size_t)(eq - e) : strlen(e);
		const char *val = eq ? eq + 1 : NULL;

		if (e[0] == '-' && !strncmp(e, "-config.", 8)) {
			free(sl_strmap_del(&x->config, e + 8, NULL));
		} else if (!strncmp(e, "config.", 7)) {
			char key[256];

			snprintf(key, sizeof(key), "%.*s", (int)(n - 7), e + 7);
			set_config(&x->config, key, val);
		} else if (n == 8 && !strncmp(e, "subjects", n)) {
			sl_vec_release(&x->subjects, free);
			sl_vec_init(&x->subjects);
			while (val && *val) {
				size_t m = strcspn(val, ",");
				char *s = strndup(val, m);

				assert_non_null(s);
				assert_int_equal(sl_vec_push(&x->subjects, s), 0);
				val += m + (val[m] == ',');
			}
		} else if (n == 11 && !strncmp(e, "contextType", n)) {
			replace(&x->context_type, val);
		} else if (n == 7 && !strncmp(e, "context", n)) {
			replace(&x->context, val);
		} else if (n == 6 && !strncmp(e, "rename", n)) {
			replace(&x->subject_rename_format, val);
		} else {
			fail_msg("bad live edit \"%s\"", e);
		}
	}
}

static void push_scope(struct obs_link *o, const struct scope_in *in)
{
	struct obs_scope *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->context = xstrdup(in->context);
	s->scope = sl_scope_of_context(in->context);
	assert_non_null(s->scope);
	s->mode_rc = in->mode ? 1 : 0;
	s->mode = in->mode ? xstrdup(in->mode) : NULL;
	s->nonempty = in->nonempty;
	s->sample = in->sample ? xstrdup(in->sample) : NULL;
	s->owned = in->owned;
	s->local_writes = in->local_writes;
	s->local_detail = in->detail ? xstrdup(in->detail) : NULL;
	assert_int_equal(sl_vec_push(&o->scopes, s), 0);
}

static struct obs_import *new_import(const char *context, const char *writer)
{
	struct obs_import *im = calloc(1, sizeof(*im));

	assert_non_null(im);
	im->context = xstrdup(context);
	im->writer = xstrdup(writer);
	return im;
}

static void push_import(struct sl_vec *v, const char *context, const char *writer)
{
	assert_int_equal(sl_vec_push(v, new_import(context, writer)), 0);
}

static void import_free(void *p)
{
	struct obs_import *im = p;

	free(im->context);
	free(im->writer);
	free(im);
}

static void declared_add(struct decl_imports *d, const char *context, const char *writer)
{
	push_import(&d->list, context, writer);
	assert_int_equal(
	        sl_strmap_set(&d->by_context, context, d->list.items[d->list.len - 1], NULL), 0);
}

static void declared_release(struct decl_imports *d)
{
	sl_strmap_release(&d->by_context, NULL);
	sl_vec_release(&d->list, import_free);
}

static void inv_fill(const struct want_link *w, enum inv_secrets how, struct sl_inv_object *io)
{
	size_t pos = 0;
	const char *k;
	void *v;

	memset(io, 0, sizeof(*io));
	io->key = (char *)(uintptr_t) "SchemaLink/" LINK;
	sl_strmap_init(&io->secret_hashes);
	while ((how == INV_SAME || how == INV_OTHER) && sl_strmap_next(&w->secret, &pos, &k, &v)) {
		const struct want_secret *s = v;

		set_config(&io->secret_hashes, k,
		        how == INV_SAME ? s->hash
		                        : "0000000000000000000000000000000000000000000000000000"
		                          "000000000000");
	}
}

/* ---- rendering the outputs ------------------------------------------------------------- */

static const char *op_name(enum sl_plan_op op)
{
	switch (op) {
	case SL_PLAN_NONE: return "none";
	case SL_PLAN_CREATE: return "create";
	case SL_PLAN_UPDATE: return "update";
	case SL_PLAN_DELETE: return "delete";
	}
	return "?";
}

static char *render_action(const struct sl_action *a)
{
	struct sl_buf b = SL_BUF_INIT;
	bool scope_kind = a->kind == SL_ACT_MODE_SET || a->kind == SL_ACT_MODE_DELETE ||
	                  a->kind == SL_ACT_CONFIG_SET || a->kind == SL_ACT_CONFIG_DELETE;

	sl_buf_addf(&b, "%s %s %s", sl_action_kind_name(a->kind), a->registry,
	        a->target[0] ? a->target : "(top)");
	if (a->value[0])
		sl_buf_addf(&b, " =%s", a->value);
	if (a->force)
		sl_buf_addf(&b, " force");
	if (a->heal)
		sl_buf_addf(&b, " heal:%s", a->heal);
	if (a->drift)
		sl_buf_addf(&b, " drift:%s", a->drift);
	if (a->had_previous)
		sl_buf_addf(&b, " was:%s", a->previous);
	else if (a->previous[0])
		sl_buf_addf(&b, " !previous-without-had_previous:%s", a->previous);
	if (a->kind == SL_ACT_EXPORTER_RESET)
		sl_buf_addf(&b, " why:%s", a->why);
	/* Only mode and compatibility writes are recorded as scopes in the inventory. */
	if (a->record_scope != scope_kind)
		sl_buf_addf(&b, " !record_scope=%d", a->record_scope);
	return sl_buf_detach(&b);
}

static char *render_verdict(const struct sl_plan *p)
{
	struct sl_buf b = SL_BUF_INIT;

	sl_buf_addf(&b, "%s %s %s %d %s%s%s", sl_result_name(p->result),
	        sl_cond_status_name(p->ready), p->reason, p->error_code, op_name(p->op),
	        p->stalled ? " stalled" : "", p->error ? " error" : "");
	return sl_buf_detach(&b);
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : 3;

		if (*p >= 0x80 && (*p & 0xf8) == 0xf8)
			return false;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Prints both lists, marking the lines that differ; returns true when they are equal. */
static bool same_lists(
        const char *row, const char *what, const struct sl_vec *want, const struct sl_vec *got)
{
	size_t i, n = want->len > got->len ? want->len : got->len;
	bool same = want->len == got->len;

	for (i = 0; same && i < n; i++)
		same = strcmp(want->items[i], got->items[i]) == 0;
	if (same)
		return true;
	fprintf(stderr, "row \"%s\": %s differ (- expected, + actual)\n", row, what);
	for (i = 0; i < n; i++) {
		const char *w = i < want->len ? want->items[i] : NULL;
		const char *g = i < got->len ? got->items[i] : NULL;

		if (w && g && !strcmp(w, g)) {
			if (n <= 12)
				fprintf(stderr, "    %2zu. %s\n", i + 1, w);
			continue;
		}
		if (w)
			fprintf(stderr, "  - %2zu. %s\n", i + 1, w);
		if (g)
			fprintf(stderr, "  + %2zu. %s\n", i + 1, g);
	}
	return false;
}

static bool same_text(const char *row, const char *what, const char *want, const char *got)
{
	if (!strcmp(want, got))
		return true;
	fprintf(stderr, "row \"%s\": %s differs\n  - %s\n  + %s\n", row, what, want, got);
	return false;
}

static bool has_text(const char *row, const char *what, const char *want, const char *got)
{
	if (want == NULL || strstr(got, want) != NULL)
		return true;
	fprintf(stderr, "row \"%s\": %s lacks \"%s\"\n  + %s\n", row, what, want, got);
	return false;
}

/* ---- running one row ------------------------------------------------------------------- */

static bool run_link_case(const struct link_case *c)
{
	struct sl_snapshot *snap = load_link(c->spec, c->target);
	const struct sl_object *obj = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, LINK);
	struct sl_error err = SL_ERROR_INIT;
	struct want_link w;
	struct obs_link o;
	struct decl_imports decl;
	struct sl_inv_object io;
	struct sl_plan *p;
	struct sl_vec want = SL_VEC_INIT, got = SL_VEC_INIT;
	char first[512], *v;
	bool ok = true, want_exporter;
	size_t i;

	assert_non_null(obj);
	assert_int_equal(sl_want_link_build(snap, obj, &w, &err), 0);
	sl_obs_link_init(&o);
	memset(&decl, 0, sizeof(decl));
	sl_vec_init(&decl.list);
	sl_strmap_init(&decl.by_context);
	o.unsupported = c->unsupported;
	o.exists = !c->absent && !c->unsupported;
	if (o.exists) {
		build_live(&w, c->live, &o.info);
		o.status.name = xstrdup(LINK);
		o.status.state_raw = c->state ? xstrdup(c->state) : NULL;
		o.status.offset = OFFSET;
		o.status.ts = TS;
		o.status.trace = xstrdup(c->trace ? c->trace : "");
	}
	o.exporter_owned = c->owned;
	o.adopt = c->adopt;
	o.attempts_last_hour = c->attempts;
	o.verify_lost = c->lost;
	o.verify_missing = c->lost;
	o.verify_conflicts = c->conflicts;
	o.verify_conflict = c->conflict;
	o.verify_first_missing = c->lost ? ":.source:a-value v1" : "";
	if (c->scopes[0].context == NULL) {
		struct scope_in own = {.context = w.dest_ctx};

		if (obj->link.destination_mode == SL_DEST_IMPORT)
			own.mode = "IMPORT";
		push_scope(&o, &own);
	}
	for (i = 0; i < MAX_SCOPES && c->scopes[i].context; i++)
		push_scope(&o, &c->scopes[i]);
	for (i = 0; i < MAX_IMPORTS && c->declared[i].context; i++)
		declared_add(&decl, c->declared[i].context, c->declared[i].writer);
	for (i = 0; i < MAX_IMPORTS && c->imports[i].context; i++)
		push_import(&o.imports, c->imports[i].context, c->imports[i].writer);
	if (c->extra)
		c->extra(&w, &o, &decl);
	if (decl.list.len)
		o.declared = &decl;
	inv_fill(&w, c->inv, &io);

	p = sl_plan_new("SchemaLink/" LINK, obj);
	assert_non_null(p);
	assert_int_equal(sl_plan_link(&w, &o, c->inv == INV_NONE ? NULL : &io, p), 0);

	/* Actions, in order. */
	for (i = 0; i < MAX_ACTS && c->actions[i]; i++)
		assert_int_equal(sl_vec_push(&want, xstrdup(c->actions[i])), 0);
	if (c->more_actions)
		c->more_actions(&want);
	for (i = 0; i < p->actions.len; i++)
		assert_int_equal(sl_vec_push(&got, render_action(p->actions.items[i])), 0);
	ok &= same_lists(c->name, "actions", &want, &got);
	sl_vec_release(&want, free);
	sl_vec_release(&got, free);

	/* The verdict. */
	v = render_verdict(p);
	ok &= same_text(c->name, "verdict", c->verdict, v);
	free(v);
	ok &= has_text(c->name, "message", c->msg, p->message);
	ok &= has_text(c->name, "fix", c->fix, p->fix);

	/* The change lines. */
	if (c->changes[0]) {
		for (i = 0; i < MAX_CHANGES && c->changes[i] && strcmp(c->changes[i], "-"); i++)
			assert_int_equal(sl_vec_push(&want, xstrdup(c->changes[i])), 0);
		for (i = 0; i < p->changes.len; i++)
			assert_int_equal(sl_vec_push(&got, xstrdup(p->changes.items[i])), 0);
		ok &= same_lists(c->name, "change lines", &want, &got);
		sl_vec_release(&want, free);
		sl_vec_release(&got, free);
	}

	/* What every plan says whatever the row: the link's destination context, what the
	 * exporter showed (once the link got as far as looking), a bounded readable message. */
	ok &= same_text(c->name, "dest_context", w.dest_ctx, p->dest_context);
	want_exporter = o.exists && !o.unsupported && w.secret_err[0] == '\0';
	sl_trace_first_line(want_exporter ? c->trace : NULL, first, sizeof(first));
	ok &= same_text(c->name, "exporter_state", want_exporter && c->state ? c->state : "",
	        p->exporter_state);
	ok &= same_text(c->name, "trace_first_line", first, p->trace_first_line);
	if (p->exporter_offset != (want_exporter ? OFFSET : -1) ||
	        p->exporter_ts != (want_exporter ? TS : 0)) {
		fprintf(stderr, "row \"%s\": exporter offset/ts %lld/%lld\n", c->name,
		        (long long)p->exporter_offset, (long long)p->exporter_ts);
		ok = false;
	}
	if (p->message[0] == '\0' || p->reason[0] == '\0' || !utf8_valid(p->message) ||
	        !utf8_valid(p->fix)) {
		fprintf(stderr, "row \"%s\": empty or invalid message/reason\n", c->name);
		ok = false;
	}
	if (p->requeue_ms != (p->result == SL_RESULT_REQUEUE_AFTER ? 1000 : 0)) {
		fprintf(stderr, "row \"%s\": requeue_ms %lld\n", c->name, (long long)p->requeue_ms);
		ok = false;
	}

	sl_plan_free(p);
	sl_strmap_release(&io.secret_hashes, free);
	sl_obs_link_release(&o);
	declared_release(&decl);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
	return ok;
}

/* ---- generated observations ------------------------------------------------------------ */

#define MANY 70 /* more than the 64 the planner once kept on its stack */

/* MANY more scopes the link needs (its filter selects contexts .c00 ... .c69 on the source):
 * each empty and READWRITE, or IMPORT but for the last one. */
static void many_scopes(const struct want_link *w, struct obs_link *o, bool import)
{
	int i;

	(void)w;
	for (i = 0; i < MANY; i++) {
		char ctx[32];
		struct scope_in in = {.context = ctx, .mode = "READWRITE"};

		snprintf(ctx, sizeof(ctx), ".source.c%02d", i);
		if (import)
			in.mode = i == MANY - 1 ? NULL : "IMPORT";
		push_scope(o, &in);
	}
}

static void many_scopes_rw(const struct want_link *w, struct obs_link *o, struct decl_imports *d)
{
	(void)d;
	many_scopes(w, o, false);
}

static void many_scopes_import(
        const struct want_link *w, struct obs_link *o, struct decl_imports *d)
{
	(void)d;
	many_scopes(w, o, true);
}

static void many_mode_sets(struct sl_vec *want)
{
	int i;

	for (i = 0; i < MANY; i++) {
		char a[96];

		snprintf(a, sizeof(a), "mode-set target :.source.c%02d: =IMPORT was:READWRITE", i);
		assert_int_equal(sl_vec_push(want, xstrdup(a)), 0);
	}
}

/* MANY links write into the source registry, each into its own context .t00 ... .t69. */
static void many_declared(const struct want_link *w, struct obs_link *o, struct decl_imports *d)
{
	int i;

	(void)w;
	(void)o;
	for (i = 0; i < MANY; i++) {
		char ctx[32], writer[32];

		snprintf(ctx, sizeof(ctx), ".t%02d", i);
		snprintf(writer, sizeof(writer), "w%02d-to-source", i);
		declared_add(d, ctx, writer);
	}
}

/* A local-writes detail longer than a condition message, in two-byte characters. */
static void long_detail(const struct want_link *w, struct obs_link *o, struct decl_imports *d)
{
	struct obs_scope *s = o->scopes.items[0];
	struct sl_buf b = SL_BUF_INIT;
	int i;

	(void)w;
	(void)d;
	sl_buf_addf(&b, "subject ");
	for (i = 0; i < 700; i++)
		sl_buf_addf(&b, "\xc3\xa9");
	sl_buf_addf(&b, " has no source subject on source");
	free(s->local_detail);
	s->local_detail = sl_buf_detach(&b);
}

/* ---- the link table -------------------------------------------------------------------- */

#define MODE_SET(target) "mode-set target " target " =IMPORT"
#define CREATE "create source " LINK
#define PAUSE "pause source " LINK
#define UPDATE "update source " LINK
#define RESET "reset source " LINK " why:"
#define RESUME "resume source " LINK

#define T_IMPORT(subject) RCE "Subject " subject " is not in import mode; error code: 42205" STACK
#define T_NOT_EMPTY RCE "Cannot import since found existing subjects; error code: 42205" STACK
#define T_READ_ONLY \
	RCE "Subject :.source:pageviews-value in context .source is in read-only mode; error " \
	    "code: 42205" STACK
#define T_UNAUTHORIZED RCE "Unauthorized; error code: 40101" STACK
#define T_CONNECT "java.net.ConnectException: Connection refused (Connection refused)" STACK
#define T_BACKEND RCE "Error in the backend data store; error code: 50001" STACK
#define T_OVERWRITE \
	RCE "Overwrite new schema with id 5 in subject :.source:pageviews-value is not " \
	    "permitted; error code: 42205" STACK

static const struct link_case link_cases[] = {
        /* ---- guards before anything is compared ---- */
        {
                .name = "secret-unavailable",
                .spec = "  secretConfig: {x.secret: {env: PT_UNSET}}\n",
                .state = "RUNNING",
                .owned = true,
                .verdict = "stalled False SecretUnavailable 0 none stalled error",
                .msg = "config x.secret: environment variable \"PT_UNSET\" is not set",
                .fix = "make the secret readable",
                .changes = {"-"},
        },
        {
                /* Two unreadable secrets: the first one read (linkAuth) is named. */
                .name = "secret-unavailable-names-the-first",
                .spec = "  secretConfig: {x.secret: {env: PT_UNSET}}\n",
                .target = "  url: http://target.test:8082\n"
                          "  linkAuth: {basic: {username: {value: u}, password: {env: "
                          "PT_UNSET2}}}\n",
                .absent = true,
                .verdict = "stalled False SecretUnavailable 0 none stalled error",
                .msg = "config basic.auth.user.info: environment variable \"PT_UNSET2\"",
        },
        {
                /* A config key so long that the secret's message is cut. */
                .name = "secret-unavailable-long-key",
                .spec = "  secretConfig: "
                        "{x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaa: {env: PT_UNSET}}\n",
                .absent = true,
                .verdict = "stalled False SecretUnavailable 0 none stalled error",
                .msg = "config x.aaaa",
        },
        {
                .name = "exporters-unsupported",
                .unsupported = true,
                .verdict = "stalled False ExportersUnsupported 404 none stalled",
                .msg = "registry source answers GET /exporters with 404",
                .fix = "Schema Linking",
                .changes = {"-"},
        },

        /* ---- create ---- */
        {
                .name = "create-fresh",
                .absent = true,
                .scopes = {{.context = ".source"}},
                .actions = {MODE_SET(":.source:"), CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .msg = "exporter " LINK " does not exist",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config basic.auth.credentials.source: \"USER_INFO\"",
                        "config schema.registry.url: \"http://schemaregistry2:8082\"",
                        "config basic.auth.user.info: <secret from env PT_TARGET_PASS>"},
        },
        {
                .name = "create-scope-already-import",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
        },
        {
                .name = "create-paused",
                .spec = "  state: Paused\n",
                .absent = true,
                .actions = {CREATE, PAUSE},
                .verdict = "done True Paused 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config basic.auth.credentials.source: \"USER_INFO\"",
                        "config schema.registry.url: \"http://schemaregistry2:8082\"",
                        "config basic.auth.user.info: <secret from env PT_TARGET_PASS>",
                        "state: Paused"},
        },
        {
                /* The set created it and it is gone: deleted by hand. Recreating it, and
                 * the mode that went with it, is one drift: ExporterRecreated. */
                .name = "create-recreated-when-owned",
                .absent = true,
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE", .owned = true}},
                .actions = {MODE_SET(":.source:") " drift:ExporterRecreated was:READWRITE",
                        CREATE " drift:ExporterRecreated"},
                .verdict = "requeue False ExporterMissing 0 create",
                .msg = "exporter " LINK " does not exist",
        },
        {
                .name = "create-recreated-mode-in-place",
                .absent = true,
                .owned = true,
                .actions = {CREATE " drift:ExporterRecreated"},
                .verdict = "requeue False ExporterMissing 0 create",
        },
        {
                .name = "create-none-context",
                .spec = "  context: {type: NONE}\n",
                .absent = true,
                .scopes = {{.context = ".", .mode = "READWRITE"}},
                .actions = {MODE_SET("(top)") " was:READWRITE", CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: NONE (destination context .)",
                        "config basic.auth.credentials.source: \"USER_INFO\"",
                        "config schema.registry.url: \"http://schemaregistry2:8082\"",
                        "config basic.auth.user.info: <secret from env PT_TARGET_PASS>"},
        },
        {
                .name = "create-auto-context",
                .spec = "  context: {type: AUTO}\n",
                .absent = true,
                .scopes = {{.context = ".lsrc-123"}},
                .actions = {MODE_SET(":.lsrc-123:"), CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: AUTO lsrc-123 (destination context .lsrc-123)",
                        "config basic.auth.credentials.source: \"USER_INFO\"",
                        "config schema.registry.url: \"http://schemaregistry2:8082\"",
                        "config basic.auth.user.info: <secret from env PT_TARGET_PASS>"},
        },
        {
                .name = "create-rename-subjects-config",
                .spec = "  subjects: [pageviews-value, \":.corp:orders\"]\n"
                        "  context: {type: CUSTOM, name: dc1}\n"
                        "  subjectRenameFormat: \"dc_${subject}\"\n"
                        "  config: {a.b: 1, schema.registry.url: \"http://override:1\"}\n",
                .absent = true,
                .scopes = {{.context = ".dc1"}, {.context = ".dc1.corp"}},
                .actions = {MODE_SET(":.dc1:"), MODE_SET(":.dc1.corp:"), CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target",
                        "subjects: [\"pageviews-value\", \":.corp:orders\"]",
                        "context: CUSTOM dc1 (destination context .dc1)",
                        "subjectRenameFormat: \"dc_${subject}\"", "config a.b: \"1\"",
                        "config basic.auth.credentials.source: \"USER_INFO\"",
                        "config schema.registry.url: \"http://override:1\"",
                        "config basic.auth.user.info: <secret from env PT_TARGET_PASS>"},
        },
        {
                /* Unmanaged: modes are not read (observe.c) and never written. */
                .name = "create-unmanaged-destination",
                .spec = "  destinationMode: Unmanaged\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
        },
        {
                .name = "create-no-auth",
                .target = "  url: http://target.test:8082\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config schema.registry.url: \"http://target.test:8082\""},
        },
        {
                /* linkAuth defaults to auth. */
                .name = "create-auth-bearer",
                .target = "  url: http://target.test:8082\n"
                          "  auth: {bearer: {token: {env: PT_TOKEN}}}\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config bearer.auth.credentials.source: \"STATIC_TOKEN\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config bearer.auth.token: <secret from env PT_TOKEN>"},
        },
        {
                .name = "create-oauth-inline-client-id",
                .target = "  url: http://target.test:8082\n"
                          "  linkAuth:\n"
                          "    oauth:\n"
                          "      clientId: {value: exporter}\n"
                          "      clientSecret: {env: PT_CLIENT_SECRET}\n"
                          "      issuerUrl: https://idp.test/token\n"
                          "      scope: sr\n"
                          "      logicalCluster: lsrc-9\n"
                          "      identityPoolId: pool-1\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config bearer.auth.client.id: \"exporter\"",
                        "config bearer.auth.credentials.source: \"OAUTHBEARER\"",
                        "config bearer.auth.identity.pool.id: \"pool-1\"",
                        "config bearer.auth.issuer.endpoint.url: \"https://idp.test/token\"",
                        "config bearer.auth.logical.cluster: \"lsrc-9\"",
                        "config bearer.auth.scope: \"sr\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config bearer.auth.client.secret: <secret from env "
                        "PT_CLIENT_SECRET>"},
        },
        {
                .name = "create-oauth-secret-client-id",
                .target = "  url: http://target.test:8082\n"
                          "  linkAuth:\n"
                          "    oauth:\n"
                          "      clientId: {env: PT_CLIENT_ID}\n"
                          "      clientSecret: {env: PT_CLIENT_SECRET}\n"
                          "      issuerUrl: https://idp.test/token\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config bearer.auth.credentials.source: \"OAUTHBEARER\"",
                        "config bearer.auth.issuer.endpoint.url: \"https://idp.test/token\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config bearer.auth.client.id: <secret from env PT_CLIENT_ID>",
                        "config bearer.auth.client.secret: <secret from env "
                        "PT_CLIENT_SECRET>"},
        },
        {
                .name = "create-link-tls-truststore",
                .target = "  url: http://target.test:8082\n"
                          "  linkTls:\n"
                          "    truststoreFile: /etc/sl/trust.jks\n"
                          "    truststorePassword: {env: PT_STORE_PASS}\n"
                          "    keystoreFile: /etc/sl/key.jks\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config schema.registry.ssl.keystore.location: \"/etc/sl/key.jks\"",
                        "config schema.registry.ssl.truststore.location: "
                        "\"/etc/sl/trust.jks\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config schema.registry.ssl.truststore.password: <secret from env "
                        "PT_STORE_PASS>"},
        },
        {
                .name = "create-link-tls-keystore",
                .target = "  url: http://target.test:8082\n"
                          "  linkTls:\n"
                          "    keystoreFile: /etc/sl/key.jks\n"
                          "    keystorePassword: {env: PT_KEY_PASS}\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config schema.registry.ssl.keystore.location: \"/etc/sl/key.jks\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config schema.registry.ssl.keystore.password: <secret from env "
                        "PT_KEY_PASS>"},
        },
        {
                /* secretConfig merges on top of what the Registry gives: the key is then
                 * a secret only. */
                .name = "create-secret-config-over-registry-config",
                .spec = "  secretConfig: {bearer.auth.client.id: {env: PT_CLIENT_ID}}\n",
                .target = "  url: http://target.test:8082\n"
                          "  linkAuth:\n"
                          "    oauth:\n"
                          "      clientId: {value: exporter}\n"
                          "      clientSecret: {env: PT_CLIENT_SECRET}\n"
                          "      issuerUrl: https://idp.test/token\n",
                .absent = true,
                .actions = {CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
                .changes = {"exporter " LINK " on source, writing to target", "subjects: [\"*\"]",
                        "context: CUSTOM source (destination context .source)",
                        "config bearer.auth.credentials.source: \"OAUTHBEARER\"",
                        "config bearer.auth.issuer.endpoint.url: \"https://idp.test/token\"",
                        "config schema.registry.url: \"http://target.test:8082\"",
                        "config bearer.auth.client.id: <secret from env PT_CLIENT_ID>",
                        "config bearer.auth.client.secret: <secret from env "
                        "PT_CLIENT_SECRET>"},
        },

        /* ---- destination modes (destinationMode: Import) ---- */
        {
                .name = "mode-readonly-stalls",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READONLY"}},
                .verdict = "stalled False DestinationReadOnly 0 none stalled",
                .msg = "context .source of target is READONLY",
                .fix = "set its mode to IMPORT by hand",
        },
        {
                /* Read-only is a deliberate freeze: not forced even where schemalink set
                 * IMPORT before, nor before a create. */
                .name = "mode-readonly-override-owned-stalls-before-create",
                .absent = true,
                .owned = true,
                .scopes = {{.context = ".source",
                        .mode = "READONLY_OVERRIDE",
                        .owned = true,
                        .nonempty = true}},
                .verdict = "stalled False DestinationReadOnly 0 none stalled",
                .msg = "is READONLY_OVERRIDE",
        },
        {
                .name = "mode-empty-not-owned-set",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
                .msg = "a destination mode of link " LINK " is not IMPORT",
        },
        {
                .name = "mode-empty-owned-restored",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE", .owned = true}},
                .actions = {MODE_SET(":.source:") " drift:ModeRestored was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
        },
        {
                /* A failover: someone made the scope writable and wrote there. */
                .name = "mode-owned-local-writes-stalls",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .owned = true,
                        .local_writes = true,
                        .sample = "orders",
                        .detail = "subject :.source:orders has no source subject on source"}},
                .verdict = "stalled False DestinationHasLocalWrites 0 none stalled",
                .msg = "context .source of target is READWRITE instead of IMPORT and holds "
                       "writes that did not come from link " LINK
                       " (subject :.source:orders has no source subject on source)",
                .fix = "if target is now the active side, keep it",
        },
        {
                .name = "mode-owned-local-writes-unset-no-detail",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source",
                        .nonempty = true,
                        .owned = true,
                        .local_writes = true}},
                .verdict = "stalled False DestinationHasLocalWrites 0 none stalled",
                .msg = "is READWRITE instead of IMPORT and holds writes that did not come "
                       "from link " LINK " (local subjects)",
        },
        {
                /* Proven copies on the registries: forced back with or without a record. */
                .name = "mode-copies-not-owned-forced",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .sample = "orders"}},
                .actions = {MODE_SET(":.source:") " force drift:ModeRestoredFromRegistry "
                                                  "was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
        },
        {
                .name = "mode-copies-owned-forced",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .owned = true}},
                .actions = {MODE_SET(":.source:") " force drift:ModeRestored was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
        },
        {
                .name = "mode-not-empty-force-import",
                .spec = "  selfHeal: {forceImport: true}\n",
                .absent = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .local_writes = true,
                        .detail = "subject :.source:x has no source "
                                  "subject on source"}},
                .actions = {MODE_SET(":.source:") " force was:READWRITE", CREATE},
                .verdict = "requeue False ExporterMissing 0 create",
        },
        {
                .name = "mode-not-empty-stalls",
                .absent = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .local_writes = true,
                        .sample = "x",
                        .detail = "subject :.source:x version 1 has id 7 on target but id 3 "
                                  "in x on source"}},
                .verdict = "stalled False DestinationNotEmpty 0 none stalled",
                .msg = "context .source of target is READWRITE and already holds subjects "
                       "that are not copies of what link " LINK " exports (subject :.source:x "
                       "version 1 has id 7 on target but id 3 in x on source)",
                .fix = "set spec.selfHeal.forceImport: true on link " LINK,
        },
        {
                .name = "mode-not-empty-unset-names-sample",
                .absent = true,
                .scopes = {{.context = ".source",
                        .nonempty = true,
                        .local_writes = true,
                        .sample = ":.source:orders"}},
                .verdict = "stalled False DestinationNotEmpty 0 none stalled",
                .msg = "context .source of target is not IMPORT and already holds subjects "
                       "that are not copies of what link " LINK " exports (:.source:orders)",
        },
        {
                .name = "mode-not-empty-nothing-named",
                .absent = true,
                .scopes = {{.context = ".source", .nonempty = true, .local_writes = true}},
                .verdict = "stalled False DestinationNotEmpty 0 none stalled",
                .msg = "exports (?)",
        },
        {
                .name = "mode-not-empty-long-detail-is-cut",
                .absent = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .local_writes = true,
                        .detail = "short"}},
                .extra = long_detail,
                .verdict = "stalled False DestinationNotEmpty 0 none stalled",
                .msg = "(subject \xc3\xa9\xc3\xa9",
        },
        {
                /* Unmanaged: the planner writes no mode, whatever it is. */
                .name = "mode-unmanaged-ignored",
                .spec = "  destinationMode: Unmanaged\n",
                .state = "RUNNING",
                .scopes = {{.context = ".source",
                        .mode = "READONLY",
                        .nonempty = true,
                        .local_writes = true}},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "mode-several-scopes-in-order",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "IMPORT"}, {.context = ".source.corp"},
                        {.context = ".source.eu", .mode = "READWRITE", .nonempty = true}},
                .actions = {MODE_SET(":.source.corp:"),
                        MODE_SET(":.source.eu:") " force drift:ModeRestoredFromRegistry "
                                                 "was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
        },
        {
                /* The top level answers its effective mode: what IMPORT replaced. */
                .name = "mode-top-level-none-link",
                .spec = "  context: {type: NONE}\n",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".", .mode = "READWRITE", .nonempty = true}},
                .actions = {MODE_SET("(top)") " force drift:ModeRestoredFromRegistry "
                                              "was:READWRITE"},
                .verdict = "done False ModeDrift 0 update",
        },
        {
                /* A later scope stalls the link: what was planned before it stays. */
                .name = "mode-second-scope-stalls",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "RUNNING",
                .owned = true,
                .scopes = {{.context = ".source"}, {.context = ".source.corp", .mode = "READONLY"}},
                .actions = {MODE_SET(":.source:")},
                .verdict = "stalled False DestinationReadOnly 0 none stalled",
                .msg = "context .source.corp of target is READONLY",
        },
        {
                .name = "mode-many-scopes-none-cut",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "RUNNING",
                .owned = true,
                .extra = many_scopes_rw,
                .more_actions = many_mode_sets,
                .verdict = "done False ModeDrift 0 update",
        },

        /* ---- the live exporter against the manifest ---- */
        {
                .name = "in-sync-running",
                .state = "RUNNING",
                .owned = true,
                .verdict = "done True Running 0 none",
                .msg = "exporter " LINK " is running",
                .changes = {"-"},
        },
        {
                /* A registry that omits the subjects means every subject: "*". */
                .name = "in-sync-live-subjects-omitted",
                .state = "RUNNING",
                .live = {"subjects"},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "in-sync-live-context-with-dot",
                .state = "RUNNING",
                .live = {"context=.source"},
                .verdict = "done True Running 0 none",
        },
        {
                /* AUTO is the registry's default context type. */
                .name = "in-sync-auto-context-type-omitted",
                .spec = "  context: {type: AUTO}\n",
                .state = "RUNNING",
                .live = {"contextType", "context=some-other-id"},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "in-sync-rename-empty",
                .state = "RUNNING",
                .live = {"rename="},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "in-sync-rename-omitted",
                .state = "RUNNING",
                .live = {"rename"},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "in-sync-plain-value-hidden",
                .state = "RUNNING",
                .live = {"config.basic.auth.credentials.source=[hidden]"},
                .verdict = "done True Running 0 none",
        },
        {
                .name = "update-subjects-narrowed",
                .spec = "  subjects: [pageviews-value]\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"subjects=pageviews-value,orders-value"},
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .msg = "exporter " LINK " differs from the manifest",
                .changes = {"subjects: [\"orders-value\", \"pageviews-value\"] -> "
                            "[\"pageviews-value\"]"},
        },
        {
                .name = "update-subjects-gained",
                .spec = "  subjects: [pageviews-value, orders-value]\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"subjects=pageviews-value"},
                .actions = {PAUSE, UPDATE, RESET "the subject filter gained entries", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"subjects: [\"pageviews-value\"] -> [\"pageviews-value\", "
                            "\"orders-value\"]"},
        },
        {
                .name = "update-subjects-replaced",
                .spec = "  subjects: [pageviews-value]\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"subjects=orders-value"},
                .actions = {PAUSE, UPDATE, RESET "the subject filter gained entries", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                .name = "update-subjects-from-omitted",
                .spec = "  subjects: [pageviews-value]\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"subjects"},
                .actions = {PAUSE, UPDATE, RESET "the subject filter gained entries", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"subjects: [\"*\"] -> [\"pageviews-value\"]"},
        },
        {
                .name = "update-context-type",
                .state = "RUNNING",
                .owned = true,
                .live = {"contextType=AUTO"},
                .actions = {PAUSE, UPDATE, RESET "the context type changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"contextType: AUTO -> CUSTOM"},
        },
        {
                .name = "update-context-type-omitted-is-auto",
                .state = "RUNNING",
                .owned = true,
                .live = {"contextType"},
                .actions = {PAUSE, UPDATE, RESET "the context type changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"contextType: AUTO -> CUSTOM"},
        },
        {
                .name = "update-context-name",
                .state = "RUNNING",
                .owned = true,
                .live = {"context=other"},
                .actions = {PAUSE, UPDATE, RESET "the context name changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"context: \"other\" -> \"source\""},
        },
        {
                .name = "update-context-name-omitted",
                .state = "RUNNING",
                .owned = true,
                .live = {"context"},
                .actions = {PAUSE, UPDATE, RESET "the context name changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"context: \"\" -> \"source\""},
        },
        {
                .name = "update-rename-format",
                .state = "RUNNING",
                .owned = true,
                .live = {"rename=dc_${subject}"},
                .actions = {PAUSE, UPDATE, RESET "the subject rename format changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"subjectRenameFormat: \"dc_${subject}\" -> \"${subject}\""},
        },
        {
                .name = "update-destination-url",
                .state = "RUNNING",
                .owned = true,
                .live = {"config.schema.registry.url=http://old-target:8082"},
                .actions = {PAUSE, UPDATE, RESET "the destination URL changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config schema.registry.url: \"http://old-target:8082\" -> "
                            "\"http://schemaregistry2:8082\""},
        },
        {
                /* The first reason to reset is the one given. */
                .name = "update-many-fields-first-reset-reason",
                .spec = "  subjects: [a, b]\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"subjects=a", "contextType=NONE", "context=x", "rename=p_${subject}",
                        "config.schema.registry.url=http://old:1"},
                .actions = {PAUSE, UPDATE, RESET "the subject filter gained entries", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"subjects: [\"a\"] -> [\"a\", \"b\"]", "contextType: NONE -> CUSTOM",
                        "context: \"x\" -> \"source\"",
                        "subjectRenameFormat: \"p_${subject}\" -> \"${subject}\"",
                        "config schema.registry.url: \"http://old:1\" -> "
                        "\"http://schemaregistry2:8082\""},
        },
        {
                /* Credentials and plain config change without a reset. */
                .name = "update-plain-config-no-reset",
                .spec = "  config: {a.b: \"1\"}\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"config.a.b=2"},
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config a.b: \"2\" -> \"1\""},
        },
        {
                .name = "update-plain-config-missing-live",
                .spec = "  config: {a.b: \"1\"}\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"-config.a.b"},
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config a.b: (absent) -> \"1\""},
        },
        {
                .name = "update-live-config-nobody-wants",
                .state = "RUNNING",
                .owned = true,
                .live = {"config.extra.key=v", "config.extra.secret=[hidden]"},
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config extra.key: \"v\" -> (removed)",
                        "config extra.secret: \"<hidden by the registry>\" -> (removed)"},
        },
        {
                .name = "update-secret-missing-live",
                .state = "RUNNING",
                .owned = true,
                .live = {"-config.basic.auth.user.info"},
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config basic.auth.user.info: (absent) -> <secret from env "
                            "PT_TARGET_PASS>"},
        },
        {
                /* No record of the hash (state dir lost): set it again. */
                .name = "update-secret-not-recorded",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_NONE,
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config basic.auth.user.info: <secret from env PT_TARGET_PASS: not "
                            "recorded by schemalink, set again>"},
        },
        {
                .name = "update-secret-record-without-hash",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_EMPTY,
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config basic.auth.user.info: <secret from env PT_TARGET_PASS: not "
                            "recorded by schemalink, set again>"},
        },
        {
                .name = "update-secret-rotated",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_OTHER,
                .actions = {PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
                .changes = {"config basic.auth.user.info: <secret from env PT_TARGET_PASS "
                            "changed>"},
        },
        {
                .name = "update-reset-on-update",
                .spec = "  resetOnUpdate: true\n",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_OTHER,
                .actions = {PAUSE, UPDATE, RESET "spec.resetOnUpdate is true", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                .name = "update-reset-on-update-keeps-first-reason",
                .spec = "  resetOnUpdate: true\n",
                .state = "RUNNING",
                .owned = true,
                .live = {"rename=x_${subject}"},
                .actions = {PAUSE, UPDATE, RESET "the subject rename format changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                .name = "in-sync-reset-on-update-nothing-to-do",
                .spec = "  resetOnUpdate: true\n",
                .state = "RUNNING",
                .owned = true,
                .verdict = "done True Running 0 none",
        },
        {
                /* Paused as the manifest says: updated in place, left paused. */
                .name = "update-while-paused-by-spec",
                .spec = "  state: Paused\n",
                .state = "PAUSED",
                .owned = true,
                .inv = INV_OTHER,
                .actions = {UPDATE},
                .verdict = "done True Paused 0 update",
        },
        {
                .name = "update-paused-exporter-then-resume",
                .state = "PAUSED",
                .owned = true,
                .inv = INV_OTHER,
                .actions = {UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                .name = "update-then-pause-by-spec",
                .spec = "  state: Paused\n",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_OTHER,
                .actions = {PAUSE, UPDATE},
                .verdict = "done True Paused 0 update",
        },
        {
                .name = "update-after-mode-set",
                .state = "RUNNING",
                .owned = true,
                .inv = INV_OTHER,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE", PAUSE, UPDATE, RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                /* docs/ownership.md: never change what this set did not create. */
                .name = "update-not-owned-stalls",
                .state = "RUNNING",
                .live = {"config.schema.registry.url=http://elsewhere:1"},
                .verdict = "stalled False ExporterNotOwned 0 none stalled",
                .msg = "this manifest set did not create it",
                .fix = "slctl apply --adopt",
                .changes = {"config schema.registry.url: \"http://elsewhere:1\" -> "
                            "\"http://schemaregistry2:8082\""},
        },
        {
                /* Secrets never recorded (state lost): not owned, so not set again. */
                .name = "update-not-owned-secret-unrecorded-stalls",
                .state = "RUNNING",
                .inv = INV_NONE,
                .verdict = "stalled False ExporterNotOwned 0 none stalled",
        },
        {
                .name = "update-not-owned-mode-stays-planned",
                .state = "RUNNING",
                .live = {"subjects=a"},
                .scopes = {{.context = ".source"}},
                .actions = {MODE_SET(":.source:")},
                .verdict = "stalled False ExporterNotOwned 0 none stalled",
        },
        {
                .name = "update-adopted",
                .state = "RUNNING",
                .adopt = true,
                .inv = INV_NONE,
                .live = {"config.schema.registry.url=http://elsewhere:1"},
                .actions = {PAUSE, UPDATE, RESET "the destination URL changed", RESUME},
                .verdict = "requeue False ExporterOutOfDate 0 update",
        },
        {
                .name = "not-owned-in-sync-observed",
                .state = "RUNNING",
                .verdict = "done True Running 0 none",
        },

        /* ---- state ---- */
        {
                .name = "paused-as-the-manifest-says",
                .spec = "  state: Paused\n",
                .state = "PAUSED",
                .owned = true,
                .verdict = "done True Paused 0 none",
                .msg = "exporter " LINK " is paused as the manifest says",
        },
        {
                .name = "pause-as-the-manifest-says",
                .spec = "  state: Paused\n",
                .state = "RUNNING",
                .owned = true,
                .actions = {PAUSE},
                .verdict = "done True Paused 0 update",
        },
        {
                .name = "paused-by-spec-keeps-trace-code",
                .spec = "  state: Paused\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .verdict = "done True Paused 42205 none",
        },
        {
                .name = "paused-by-spec-mode-drift",
                .spec = "  state: Paused\n",
                .state = "PAUSED",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE"},
                .verdict = "done True Paused 0 update",
        },
        {
                .name = "paused-by-hand-resumed",
                .state = "PAUSED",
                .owned = true,
                .actions = {RESUME " drift:ExporterResumed"},
                .verdict = "requeue False ExporterPaused 0 update",
                .msg = "exporter " LINK " was paused; spec.state is Running",
        },
        {
                /* docs/ownership.md: an exporter not owned is still resumed. */
                .name = "paused-by-hand-not-owned-resumed",
                .state = "PAUSED",
                .actions = {RESUME " drift:ExporterResumed"},
                .verdict = "requeue False ExporterPaused 0 update",
        },
        /* docs/internals/reconcile.md "Replication verification". */
        {
                .name = "verify-lost-reset",
                .state = "RUNNING",
                .owned = true,
                .lost = 2,
                .actions = {PAUSE " heal:DestinationIncomplete",
                        "reset source " LINK " heal:DestinationIncomplete why:the destination lost "
                        "versions the exporter had copied",
                        RESUME " heal:DestinationIncomplete"},
                .verdict = "requeue False DestinationIncomplete 0 update",
                .msg = "2 versions the exporter had copied are missing on target "
                       "(:.source:a-value v1): resetting the exporter",
        },
        {
                .name = "verify-lost-adopt-reset",
                .state = "RUNNING",
                .adopt = true,
                .lost = 1,
                .actions = {PAUSE " heal:DestinationIncomplete",
                        "reset source " LINK " heal:DestinationIncomplete why:the destination lost "
                        "versions the exporter had copied",
                        RESUME " heal:DestinationIncomplete"},
                .verdict = "requeue False DestinationIncomplete 0 update",
        },
        {
                .name = "verify-lost-not-owned-stalled",
                .state = "RUNNING",
                .lost = 1,
                .verdict = "stalled False DestinationIncomplete 0 none stalled",
                .msg = "did not create the exporter, so it does not reset it",
                .fix = "slctl reset link/" LINK,
        },
        {
                .name = "verify-lost-selfheal-off-stalled",
                .spec = "  selfHeal: {enabled: false}\n",
                .state = "RUNNING",
                .owned = true,
                .lost = 1,
                .verdict = "stalled False DestinationIncomplete 0 none stalled",
                .msg = "(selfHeal is disabled)",
        },
        {
                .name = "verify-lost-attempts-exhausted-stalled",
                .state = "RUNNING",
                .owned = true,
                .lost = 1,
                .attempts = 6,
                .verdict = "stalled False DestinationIncomplete 0 none stalled",
                .msg = "maxAttemptsPerHour allows in the last hour",
        },
        {
                /* Paused by hand: resumed first; the lost versions wait for a running
                 * exporter (the next verification finds them again). */
                .name = "verify-lost-paused-resumed-first",
                .state = "PAUSED",
                .owned = true,
                .lost = 1,
                .actions = {RESUME " drift:ExporterResumed"},
                .verdict = "requeue False ExporterPaused 0 update",
        },
        {
                .name = "verify-conflict-stalled",
                .state = "RUNNING",
                .owned = true,
                .conflicts = 2,
                .lost = 1,
                .conflict = "subject :.source:a-value version 1 has id 7 on target but id 3 "
                            "in a-value on source",
                .verdict = "stalled False SchemaIdConflict 0 none stalled",
                .msg = "subject :.source:a-value version 1 has id 7 on target but id 3 in "
                       "a-value on source (and more)",
                .fix = "remove them there",
        },
        {
                .name = "verify-conflict-paused-stalled",
                .state = "PAUSED",
                .trace = "some failure",
                .owned = true,
                .conflicts = 1,
                .conflict = "subject x version 1 has id 7 on target but id 3 in x on source",
                .verdict = "stalled False SchemaIdConflict 0 none stalled",
        },
        {
                .name = "starting",
                .state = "STARTING",
                .owned = true,
                .verdict = "requeue False ExporterStarting 0 none",
                .msg = "exporter " LINK " is STARTING",
        },
        {
                .name = "starting-trace-ignored",
                .state = "STARTING",
                .trace = T_BACKEND,
                .owned = true,
                .verdict = "requeue False ExporterStarting 0 none",
        },
        {
                .name = "starting-mode-drift",
                .state = "STARTING",
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE"},
                .verdict = "requeue False ExporterStarting 0 update",
        },
        {
                .name = "unassigned",
                .state = "UNASSIGNED",
                .owned = true,
                .verdict = "requeue False ExporterStarting 0 none",
                .msg = "exporter " LINK " is UNASSIGNED",
        },
        {
                .name = "state-not-reported",
                .state = NULL,
                .owned = true,
                .verdict = "requeue False ExporterStarting 0 none",
                .msg = "exporter " LINK " is in an unknown state",
        },

        /* ---- a failed exporter: diagnose and heal ---- */
        {
                .name = "import-mode-required-healed",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " heal:ImportModeRequired was:READWRITE",
                        RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
                .msg = "subject :.source:pageviews-value on target is not in IMPORT mode",
        },
        {
                .name = "import-mode-required-owned-restored",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE", .owned = true}},
                .actions = {MODE_SET(":.source:") " heal:ImportModeRequired "
                                                  "drift:ModeRestored was:READWRITE",
                        RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                /* IMPORT is back (set by hand since): only the resume is left. */
                .name = "import-mode-required-already-import",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .actions = {RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                .name = "import-mode-required-nested-context",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "PAUSED",
                .trace = RCE "Subject :.source.corp:orders in context :.source.corp: is not in "
                             "import or forward mode; error code: 42205" STACK,
                .owned = true,
                .scopes = {{.context = ".source", .mode = "IMPORT"}, {.context = ".source.corp"}},
                .actions = {MODE_SET(":.source.corp:") " heal:ImportModeRequired",
                        RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                .name = "import-mode-required-many-scopes",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.c10:orders"),
                .owned = true,
                .extra = many_scopes_import,
                .actions = {MODE_SET(":.source.c69:"), RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                /* Past the 64th scope the failing context is still one the link needs. */
                .name = "import-mode-required-past-64-scopes",
                .spec = "  subjects: [\":*:\"]\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.c69:orders"),
                .owned = true,
                .extra = many_scopes_import,
                .actions = {MODE_SET(":.source.c69:") " heal:ImportModeRequired",
                        RESUME " heal:ImportModeRequired"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                /* Past the 64th import context the writer is still named. */
                .name = "replication-loop-past-64-imports",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.t69:stock_trades-value"),
                .owned = true,
                .extra = many_declared,
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "which link w69-to-source writes into source",
        },
        {
                .name = "import-mode-required-self-heal-disabled",
                .spec = "  selfHeal: {enabled: false}\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE"},
                .verdict = "stalled False ImportModeRequired 42205 update stalled",
                .msg = "is not in IMPORT mode (error code 42205) (selfHeal is disabled)",
                .fix = "set mode IMPORT on context .source of registry target",
        },
        {
                .name = "import-mode-required-self-heal-disabled-nothing-planned",
                .spec = "  selfHeal: {enabled: false}\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .verdict = "stalled False ImportModeRequired 42205 none stalled",
        },
        {
                /* The walkthrough: .target on source is written by tgt-to-src-link. */
                .name = "replication-loop-declared",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.target:stock_trades-value"),
                .owned = true,
                .declared = {{".target", "tgt-to-src-link"}},
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "it re-exports context .target, which link tgt-to-src-link writes into "
                       "source",
                .fix = "narrow spec.subjects of link " LINK,
        },
        {
                .name = "replication-loop-live-peer",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.target:stock_trades-value"),
                .owned = true,
                .declared = {{".other", "other-link"}},
                .imports = {{".target", "exporter-on-target"}},
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "which link exporter-on-target writes into source",
        },
        {
                .name = "replication-loop-many-imports",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.t05:stock_trades-value"),
                .owned = true,
                .extra = many_declared,
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "which link w05-to-source writes into source",
        },
        {
                .name = "replication-loop-unknown-writer",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.target:stock_trades-value"),
                .owned = true,
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "schemalink cannot tell that it is not a replication loop",
        },
        {
                /* Self-heal disabled changes nothing for a reason that never heals. */
                .name = "replication-loop-self-heal-disabled",
                .spec = "  selfHeal: {enabled: false}\n",
                .state = "PAUSED",
                .trace = T_IMPORT(":.source.target:stock_trades-value"),
                .owned = true,
                .verdict = "stalled False ReplicationLoop 42205 none stalled",
                .msg = "replication loop",
        },
        {
                .name = "destination-not-empty-stalls",
                .spec = "  context: {type: NONE}\n",
                .state = "PAUSED",
                .trace = T_NOT_EMPTY,
                .owned = true,
                .scopes = {{.context = ".", .mode = "IMPORT"}},
                .verdict = "stalled False DestinationNotEmpty 42205 none stalled",
                .fix = "spec.selfHeal.forceImport: true",
        },
        {
                /* forceImport: the planned forced IMPORT is the heal. */
                .name = "destination-not-empty-force-import-planned",
                .spec = "  context: {type: NONE}\n"
                        "  selfHeal: {forceImport: true}\n",
                .state = "PAUSED",
                .trace = T_NOT_EMPTY,
                .owned = true,
                .scopes = {{.context = ".",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .local_writes = true}},
                .actions = {MODE_SET("(top)") " force heal:DestinationNotEmpty was:READWRITE",
                        RESUME " heal:DestinationNotEmpty"},
                .verdict = "requeue False DestinationNotEmpty 42205 update",
        },
        {
                /* A CUSTOM link: the heal is the forced IMPORT of its own context; the
                 * destination's top level is never touched. */
                .name = "destination-not-empty-force-import-custom-context",
                .spec = "  selfHeal: {forceImport: true}\n",
                .state = "PAUSED",
                .trace = T_NOT_EMPTY,
                .owned = true,
                .scopes = {{.context = ".source",
                        .mode = "READWRITE",
                        .nonempty = true,
                        .local_writes = true}},
                .actions = {MODE_SET(":.source:") " force heal:DestinationNotEmpty was:READWRITE",
                        RESUME " heal:DestinationNotEmpty"},
                .verdict = "requeue False DestinationNotEmpty 42205 update",
        },
        {
                /* Unmanaged plans no mode, so the heal adds the forced IMPORT itself. */
                .name = "destination-not-empty-force-import-unmanaged",
                .spec = "  context: {type: NONE}\n"
                        "  destinationMode: Unmanaged\n"
                        "  selfHeal: {forceImport: true}\n",
                .state = "PAUSED",
                .trace = T_NOT_EMPTY,
                .owned = true,
                .actions = {MODE_SET("(top)") " force heal:DestinationNotEmpty",
                        RESUME " heal:DestinationNotEmpty"},
                .verdict = "requeue False DestinationNotEmpty 42205 update",
        },
        {
                /* A subject-level READONLY under a context that is IMPORT. */
                .name = "destination-read-only-trace",
                .state = "PAUSED",
                .trace = T_READ_ONLY,
                .owned = true,
                .verdict = "stalled False DestinationReadOnly 42205 none stalled",
                .fix = "remove the READONLY mode on target",
        },
        {
                .name = "destination-unauthorized",
                .state = "PAUSED",
                .trace = T_UNAUTHORIZED,
                .owned = true,
                .verdict = "stalled False DestinationUnauthorized 40101 none stalled",
                .fix = "check spec.linkAuth of registry target",
        },
        {
                .name = "destination-unavailable-resumed",
                .state = "PAUSED",
                .trace = T_CONNECT,
                .owned = true,
                .attempts = 5,
                .actions = {RESUME " heal:DestinationUnavailable"},
                .verdict = "requeue False DestinationUnavailable 0 update",
                .msg = "target was unavailable (java.net.ConnectException: Connection refused "
                       "(Connection refused))",
        },
        {
                .name = "destination-unavailable-attempts-used-up",
                .state = "PAUSED",
                .trace = T_BACKEND,
                .owned = true,
                .attempts = 6,
                .verdict = "stalled False DestinationUnavailable 50001 none stalled",
                .msg = "resumed 6 times in the last hour, the most "
                       "spec.selfHeal.maxAttemptsPerHour allows",
        },
        {
                .name = "exporter-failed-resumed",
                .state = "PAUSED",
                .trace = T_OVERWRITE,
                .owned = true,
                .actions = {RESUME " heal:ExporterFailed"},
                .verdict = "requeue False ExporterFailed 42205 update",
        },
        {
                .name = "exporter-failed-no-attempts-allowed",
                .spec = "  selfHeal: {maxAttemptsPerHour: 0}\n",
                .state = "PAUSED",
                .trace = T_OVERWRITE,
                .owned = true,
                .verdict = "stalled False ExporterFailed 42205 none stalled",
                .msg = "resumed 0 times in the last hour",
        },
        {
                .name = "exporter-failed-self-heal-disabled",
                .spec = "  selfHeal: {enabled: false}\n",
                .state = "PAUSED",
                .trace = T_OVERWRITE,
                .owned = true,
                .verdict = "stalled False ExporterFailed 42205 none stalled",
                .msg = "(selfHeal is disabled)",
                .fix = "slctl describe link " LINK,
        },
        {
                /* RUNNING with a trace: reported, never stalled, never resumed. */
                .name = "running-with-trace",
                .state = "RUNNING",
                .trace = T_BACKEND,
                .owned = true,
                .verdict = "requeue False DestinationUnavailable 50001 none",
        },
        {
                .name = "running-with-trace-mode-drift",
                .state = "RUNNING",
                .trace = T_IMPORT(":.source:pageviews-value"),
                .owned = true,
                .scopes = {{.context = ".source", .mode = "READWRITE"}},
                .actions = {MODE_SET(":.source:") " was:READWRITE"},
                .verdict = "requeue False ImportModeRequired 42205 update",
        },
        {
                /* Not owned: observed and resumed after a failure too. */
                .name = "not-owned-failed-resumed",
                .state = "PAUSED",
                .trace = T_CONNECT,
                .actions = {RESUME " heal:DestinationUnavailable"},
                .verdict = "requeue False DestinationUnavailable 0 update",
        },
        {
                .name = "paused-wanted-failed-not-resumed",
                .spec = "  state: Paused\n",
                .state = "PAUSED",
                .trace = T_CONNECT,
                .owned = true,
                .verdict = "done True Paused 0 none",
        },
};

static void link_table(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++)
		if (!run_link_case(&link_cases[i]))
			failed++;
	if (failed)
		fail_msg("%zu of %zu link rows failed", failed,
		        sizeof(link_cases) / sizeof(link_cases[0]));
}

/* ---- settings: Registry, Context and Subject ------------------------------------------ */

#define UNREAD ((const char *)-1) /* not read: the manifest does not manage it */

struct setting_case {
	const char *name;
	/* Desired. */
	const char *registry, *scope; /* "" top level, ":.c:", or a subject */
	enum sl_mode want_mode;
	bool force_mode;
	enum sl_compat want_compat;
	/* Observed: NULL not set at this scope; UNREAD when the manifest leaves it alone. */
	const char *mode, *compat;
	bool mode_owned, compat_owned;
	/* Expected, as for links. */
	const char *actions[4];
	const char *verdict;
	const char *changes[4];
	const char *msg;
};

static const struct setting_case setting_cases[] = {
        {
                .name = "registry-manages-nothing",
                .registry = "target",
                .scope = "",
                .mode = UNREAD,
                .compat = UNREAD,
                .verdict = "done True InSync 0 none",
                .changes = {"-"},
                .msg = "the top level of target matches",
        },
        {
                .name = "registry-mode-differs",
                .registry = "target",
                .scope = "",
                .want_mode = SL_MODE_READWRITE,
                .mode = "IMPORT",
                .compat = UNREAD,
                .actions = {"mode-set target (top) =READWRITE was:IMPORT"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"mode on the top level: IMPORT -> READWRITE"},
                .msg = "the top level of target differs from the manifest",
        },
        {
                .name = "registry-mode-same",
                .registry = "target",
                .scope = "",
                .want_mode = SL_MODE_READONLY,
                .mode = "READONLY",
                .compat = UNREAD,
                .verdict = "done True InSync 0 none",
        },
        {
                /* Set before by this set, changed by hand: restored, with force. */
                .name = "registry-mode-forced-restored",
                .registry = "target",
                .scope = "",
                .want_mode = SL_MODE_IMPORT,
                .force_mode = true,
                .mode = "READWRITE",
                .mode_owned = true,
                .compat = UNREAD,
                .actions = {"mode-set target (top) =IMPORT force drift:ModeRestored "
                            "was:READWRITE"},
                .verdict = "done False OutOfDate 0 update",
        },
        {
                .name = "context-mode-not-set",
                .registry = "target",
                .scope = ":.source:",
                .want_mode = SL_MODE_READONLY_OVERRIDE,
                .mode = NULL,
                .compat = UNREAD,
                .actions = {"mode-set target :.source: =READONLY_OVERRIDE"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"mode on context .source: (not set) -> READONLY_OVERRIDE"},
                .msg = "context .source of target differs from the manifest",
        },
        {
                /* The top level always answers a mode: READWRITE is the default. */
                .name = "registry-mode-inherit-default",
                .registry = "target",
                .scope = "",
                .want_mode = SL_MODE_INHERIT,
                .mode = "READWRITE",
                .compat = UNREAD,
                .verdict = "done True InSync 0 none",
        },
        {
                .name = "registry-mode-inherit-removes",
                .registry = "target",
                .scope = "",
                .want_mode = SL_MODE_INHERIT,
                .mode = "IMPORT",
                .compat = UNREAD,
                .actions = {"mode-delete target (top) was:IMPORT"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"mode on the top level: IMPORT -> (inherited)"},
        },
        {
                .name = "context-mode-inherit-removes-readwrite",
                .registry = "source",
                .scope = ":.corp:",
                .want_mode = SL_MODE_INHERIT,
                .mode = "READWRITE",
                .compat = UNREAD,
                .actions = {"mode-delete source :.corp: was:READWRITE"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"mode on context .corp: READWRITE -> (inherited)"},
                .msg = "context .corp of source differs",
        },
        {
                .name = "context-mode-inherit-nothing-set",
                .registry = "source",
                .scope = ":.corp:",
                .want_mode = SL_MODE_INHERIT,
                .mode = NULL,
                .compat = UNREAD,
                .verdict = "done True InSync 0 none",
        },
        {
                .name = "registry-compat-restored",
                .registry = "target",
                .scope = "",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_BACKWARD,
                .compat = "FULL",
                .compat_owned = true,
                .actions = {"config-set target (top) =BACKWARD drift:CompatibilityRestored "
                            "was:FULL"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"compatibility on the top level: FULL -> BACKWARD"},
        },
        {
                .name = "subject-compat-not-set",
                .registry = "source",
                .scope = "orders-value",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_FULL_TRANSITIVE,
                .compat = NULL,
                .actions = {"config-set source orders-value =FULL_TRANSITIVE"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"compatibility on subject orders-value: (not set) -> "
                            "FULL_TRANSITIVE"},
                .msg = "subject orders-value of source differs from the manifest",
        },
        {
                .name = "subject-compat-same",
                .registry = "source",
                .scope = "orders-value",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_NONE,
                .compat = "NONE",
                .verdict = "done True InSync 0 none",
                .msg = "subject orders-value of source matches",
        },
        {
                .name = "registry-compat-inherit-default",
                .registry = "target",
                .scope = "",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_INHERIT,
                .compat = "BACKWARD",
                .verdict = "done True InSync 0 none",
        },
        {
                .name = "registry-compat-inherit-removes",
                .registry = "target",
                .scope = "",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_INHERIT,
                .compat = "FULL",
                .actions = {"config-delete target (top) was:FULL"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"compatibility on the top level: FULL -> (inherited)"},
        },
        {
                .name = "subject-compat-inherit-removes-backward",
                .registry = "source",
                .scope = "orders-value",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_INHERIT,
                .compat = "BACKWARD",
                .actions = {"config-delete source orders-value was:BACKWARD"},
                .verdict = "done False OutOfDate 0 update",
        },
        {
                .name = "subject-compat-inherit-nothing-set",
                .registry = "source",
                .scope = "orders-value",
                .mode = UNREAD,
                .want_compat = SL_COMPAT_INHERIT,
                .compat = NULL,
                .verdict = "done True InSync 0 none",
        },
        {
                .name = "qualified-subject-mode-and-compat",
                .registry = "target",
                .scope = ":.source:orders",
                .want_mode = SL_MODE_READONLY,
                .mode = "READWRITE",
                .want_compat = SL_COMPAT_NONE,
                .compat = "BACKWARD",
                .actions = {"mode-set target :.source:orders =READONLY was:READWRITE",
                        "config-set target :.source:orders =NONE was:BACKWARD"},
                .verdict = "done False OutOfDate 0 update",
                .changes = {"mode on subject :.source:orders: READWRITE -> READONLY",
                        "compatibility on subject :.source:orders: BACKWARD -> NONE"},
        },
        {
                .name = "context-mode-and-compat-in-sync",
                .registry = "target",
                .scope = ":.source:",
                .want_mode = SL_MODE_IMPORT,
                .mode = "IMPORT",
                .want_compat = SL_COMPAT_NONE,
                .compat = "NONE",
                .verdict = "done True InSync 0 none",
                .changes = {"-"},
                .msg = "context .source of target matches",
        },
};

/* The object a row's setting comes from: a Registry for the top level, else a Context or a
 * Subject, with the row's desired values. */
static struct sl_object *setting_object(const struct setting_case *c)
{
	bool top = c->scope[0] == '\0';
	bool ctx = !top && c->scope[0] == ':' && c->scope[strlen(c->scope) - 1] == ':';
	struct sl_object *obj = sl_object_new(top   ? SL_KIND_REGISTRY
	                                      : ctx ? SL_KIND_CONTEXT
	                                            : SL_KIND_SUBJECT,
	        top ? c->registry : "x", "settings.yaml");

	assert_non_null(obj);
	if (top) {
		obj->registry.mode = c->want_mode;
		obj->registry.force_mode = c->force_mode;
		obj->registry.compatibility = c->want_compat;
	} else if (ctx) {
		obj->context.registry = xstrdup(c->registry);
		obj->context.context = strndup(c->scope + 1, strlen(c->scope) - 2);
		obj->context.mode = c->want_mode;
		obj->context.force_mode = c->force_mode;
		obj->context.compatibility = c->want_compat;
	} else {
		obj->subject.registry = xstrdup(c->registry);
		obj->subject.subject = xstrdup(c->scope);
		obj->subject.mode = c->want_mode;
		obj->subject.force_mode = c->force_mode;
		obj->subject.compatibility = c->want_compat;
	}
	return obj;
}

static bool run_setting_case(const struct setting_case *c)
{
	struct sl_object *obj = setting_object(c);
	struct obs_setting o;
	struct sl_plan *p = sl_plan_new(obj->key, obj);
	struct sl_vec want = SL_VEC_INIT, got = SL_VEC_INIT;
	bool ok = true;
	size_t i;
	char *v;

	assert_non_null(p);
	memset(&o, 0, sizeof(o));
	o.registry = c->registry;
	o.scope = xstrdup(c->scope);
	o.want_mode = c->want_mode;
	o.force_mode = c->force_mode;
	o.want_compat = c->want_compat;
	o.mode_rc = c->mode == UNREAD ? -1 : c->mode ? 1 : 0;
	o.mode = c->mode && c->mode != UNREAD ? xstrdup(c->mode) : NULL;
	o.compat_rc = c->compat == UNREAD ? -1 : c->compat ? 1 : 0;
	o.compat = c->compat && c->compat != UNREAD ? xstrdup(c->compat) : NULL;
	o.mode_owned = c->mode_owned;
	o.compat_owned = c->compat_owned;
	assert_int_equal(sl_plan_setting(obj, &o, p), 0);

	for (i = 0; i < 4 && c->actions[i]; i++)
		assert_int_equal(sl_vec_push(&want, xstrdup(c->actions[i])), 0);
	for (i = 0; i < p->actions.len; i++)
		assert_int_equal(sl_vec_push(&got, render_action(p->actions.items[i])), 0);
	ok &= same_lists(c->name, "actions", &want, &got);
	sl_vec_release(&want, free);
	sl_vec_release(&got, free);
	v = render_verdict(p);
	ok &= same_text(c->name, "verdict", c->verdict, v);
	free(v);
	ok &= has_text(c->name, "message", c->msg, p->message);
	if (c->changes[0]) {
		for (i = 0; i < 4 && c->changes[i] && strcmp(c->changes[i], "-"); i++)
			assert_int_equal(sl_vec_push(&want, xstrdup(c->changes[i])), 0);
		for (i = 0; i < p->changes.len; i++)
			assert_int_equal(sl_vec_push(&got, xstrdup(p->changes.items[i])), 0);
		ok &= same_lists(c->name, "change lines", &want, &got);
		sl_vec_release(&want, free);
		sl_vec_release(&got, free);
	}
	sl_obs_setting_release(&o);
	sl_plan_free(p);
	sl_object_free(obj);
	return ok;
}

static void setting_table(void **state)
{
	size_t i, failed = 0, n = sizeof(setting_cases) / sizeof(setting_cases[0]);

	(void)state;
	for (i = 0; i < n; i++)
		if (!run_setting_case(&setting_cases[i]))
			failed++;
	if (failed)
		fail_msg("%zu of %zu setting rows failed", failed, n);
}

/* ---- the desired exporter, outside the manifest loader's defaults ----------------------- */

/* A snapshot built by hand, as a caller that skips the loader could: registries source
 * (clusterId optional, no linkUrl) and target, and one link between them. */
static struct sl_snapshot *hand_snapshot(
        const char *src_cluster_id, const char *destination, struct sl_object **link)
{
	struct sl_snapshot *snap = sl_snapshot_new();
	struct sl_object *src = sl_object_new(SL_KIND_REGISTRY, "source", "hand.yaml");
	struct sl_object *dst = sl_object_new(SL_KIND_REGISTRY, "target", "hand.yaml");
	struct sl_object *l = sl_object_new(SL_KIND_SCHEMALINK, LINK, "hand.yaml");
	struct sl_error err = SL_ERROR_INIT;

	assert_non_null(snap);
	assert_non_null(src);
	assert_non_null(dst);
	assert_non_null(l);
	src->registry.url = xstrdup("http://source.test:8081");
	if (src_cluster_id)
		src->registry.cluster_id = xstrdup(src_cluster_id);
	dst->registry.url = xstrdup("http://target.test:8082");
	l->link.source = xstrdup("source");
	l->link.destination = xstrdup(destination);
	assert_int_equal(sl_snapshot_add(snap, src, &err), 0);
	assert_int_equal(sl_snapshot_add(snap, dst, &err), 0);
	assert_int_equal(sl_snapshot_add(snap, l, &err), 0);
	*link = l;
	return snap;
}

static void want_link_build_errors(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_object *l;
	struct sl_snapshot *snap;
	struct want_link w;

	(void)state;
	snap = hand_snapshot(NULL, "nowhere", &l);
	assert_int_equal(sl_want_link_build(snap, l, &w, &err), SL_EINVAL);
	assert_string_equal(err.msg, "link \"" LINK "\": registry \"nowhere\" is not declared");
	sl_want_link_release(&w);
	free(l->link.source);
	l->link.source = xstrdup("elsewhere");
	free(l->link.destination);
	l->link.destination = xstrdup("target");
	sl_error_clear(&err);
	assert_int_equal(sl_want_link_build(snap, l, &w, &err), SL_EINVAL);
	assert_string_equal(err.msg, "link \"" LINK "\": registry \"elsewhere\" is not declared");
	sl_want_link_release(&w);
	sl_snapshot_free(snap);

	/* AUTO needs the source's cluster id. */
	snap = hand_snapshot(NULL, "target", &l);
	l->link.context_type = SL_CONTEXT_AUTO;
	sl_error_clear(&err);
	assert_int_equal(sl_want_link_build(snap, l, &w, &err), SL_EINVAL);
	assert_string_equal(err.msg, "link \"" LINK "\": AUTO needs the clusterId of \"source\"");
	sl_want_link_release(&w);
	sl_snapshot_free(snap);

	/* The reserved pseudo-context is no destination. */
	snap = hand_snapshot(NULL, "target", &l);
	l->link.context_name = xstrdup("__GLOBAL");
	sl_error_clear(&err);
	assert_int_equal(sl_want_link_build(snap, l, &w, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "reserved"));
	sl_want_link_release(&w);
	assert_int_equal(sl_want_link_build(snap, l, &w, NULL), SL_EINVAL);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
}

static void want_link_build_hand_defaults(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_object *l;
	struct sl_snapshot *snap = hand_snapshot("lsrc-1", "target", &l);
	struct want_link w;
	struct obs_link o;
	struct sl_plan *p = sl_plan_new("SchemaLink/" LINK, l);

	(void)state;
	/* CUSTOM without a name writes into the source's name; no linkUrl: the url; no
	 * subjects: every subject. */
	assert_int_equal(sl_want_link_build(snap, l, &w, &err), 0);
	assert_string_equal(w.ctx_type, "CUSTOM");
	assert_string_equal(w.context, "source");
	assert_string_equal(w.dest_ctx, ".source");
	assert_string_equal(w.rename, "${subject}");
	assert_string_equal(
	        sl_strmap_get(&w.plain, "schema.registry.url", NULL), "http://target.test:8082");
	sl_obs_link_init(&o);
	assert_int_equal(sl_plan_link(&w, &o, NULL, p), 0);
	assert_int_equal(p->changes.len, 4);
	assert_string_equal(p->changes.items[1], "subjects: [\"*\"]");
	assert_int_equal(p->actions.len, 1);
	assert_int_equal(((struct sl_action *)p->actions.items[0])->kind, SL_ACT_EXPORTER_CREATE);
	sl_plan_free(p);
	sl_obs_link_release(&o);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
}

/* The body sent to the registry: the manifest's fields and the secrets resolved now. */
static void check_body(const char *spec, const char *target, const char *const *want_config)
{
	struct sl_snapshot *snap = load_link(spec, target);
	const struct sl_object *obj = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, LINK);
	struct sl_error err = SL_ERROR_INIT;
	struct want_link w;
	struct sl_exporter x = SL_EXPORTER_INIT;
	struct sl_vec keys = SL_VEC_INIT;
	size_t i;

	assert_int_equal(sl_want_link_build(snap, obj, &w, &err), 0);
	assert_int_equal(sl_want_link_exporter(&w, &x, &err), 0);
	assert_string_equal(x.name, LINK);
	assert_string_equal(x.context_type, w.ctx_type);
	if (w.context)
		assert_string_equal(x.context, w.context);
	else
		assert_null(x.context);
	assert_string_equal(x.subject_rename_format, w.rename);
	assert_int_equal(x.subjects.len, obj->link.subjects.len);
	for (i = 0; i < x.subjects.len; i++)
		assert_string_equal(x.subjects.items[i], obj->link.subjects.items[i]);
	assert_int_equal(sl_strmap_keys(&x.config, &keys), 0);
	for (i = 0; want_config[i]; i++) {
		const char *eq = strchr(want_config[i], '=');
		char key[128];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - want_config[i]), want_config[i]);
		if (i >= keys.len || strcmp(keys.items[i], key) != 0)
			fail_msg("body config key %zu: want %s, got %s", i, key,
			        i < keys.len ? (const char *)keys.items[i] : "(none)");
		assert_string_equal(sl_strmap_get(&x.config, key, NULL), eq + 1);
	}
	assert_int_equal(keys.len, i);
	sl_vec_release(&keys, NULL);
	/* The exporter matches what it was built from, whatever the registry masks. */
	sl_exporter_wipe(&x);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
}

static void want_link_exporter_body(void **state)
{
	static const char *const basic[] = {"a.b=1", "basic.auth.credentials.source=USER_INFO",
	        "basic.auth.user.info=exporter:s3cret-target",
	        "schema.registry.url=http://schemaregistry2:8082", "x.extra=extra-secret",
	        "x.more=t0ken", NULL};
	static const char *const bearer[] = {"bearer.auth.credentials.source=STATIC_TOKEN",
	        "bearer.auth.token=t0ken", "schema.registry.url=http://target.test:8082", NULL};
	static const char *const oauth[] = {"bearer.auth.client.id=client-7",
	        "bearer.auth.client.secret=cl1ent-secret",
	        "bearer.auth.credentials.source=OAUTHBEARER",
	        "bearer.auth.issuer.endpoint.url=https://idp.test/token",
	        "schema.registry.ssl.keystore.location=/k.jks",
	        "schema.registry.ssl.keystore.password=k3y",
	        "schema.registry.ssl.truststore.location=/t.jks",
	        "schema.registry.ssl.truststore.password=st0re",
	        "schema.registry.url=http://target.test:8082", NULL};
	static const char *const none[] = {"schema.registry.url=http://target.test:8082", NULL};

	(void)state;
	check_body("  subjects: [a, \":.corp:b\"]\n"
	           "  subjectRenameFormat: \"dc_${subject}\"\n"
	           "  config: {a.b: 1}\n"
	           "  secretConfig: {x.extra: {env: PT_EXTRA}, x.more: {env: PT_TOKEN}}\n",
	        NULL, basic);
	check_body("  context: {type: NONE}\n",
	        "  url: http://target.test:8082\n"
	        "  auth: {bearer: {token: {env: PT_TOKEN}}}\n",
	        bearer);
	check_body("  context: {type: AUTO}\n",
	        "  url: http://target.test:8082\n"
	        "  linkAuth:\n"
	        "    oauth:\n"
	        "      clientId: {env: PT_CLIENT_ID}\n"
	        "      clientSecret: {env: PT_CLIENT_SECRET}\n"
	        "      issuerUrl: https://idp.test/token\n"
	        "  linkTls:\n"
	        "    truststoreFile: /t.jks\n"
	        "    truststorePassword: {env: PT_STORE_PASS}\n"
	        "    keystoreFile: /k.jks\n"
	        "    keystorePassword: {env: PT_KEY_PASS}\n",
	        oauth);
	check_body(NULL, "  url: http://target.test:8082\n", none);
}

static void want_link_exporter_secret_gone(void **state)
{
	struct sl_snapshot *snap = load_link("  secretConfig: {x.extra: {env: PT_EXTRA}}\n", NULL);
	const struct sl_object *obj = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, LINK);
	struct sl_error err = SL_ERROR_INIT;
	struct want_link w;
	struct sl_exporter x = SL_EXPORTER_INIT;

	(void)state;
	assert_int_equal(sl_want_link_build(snap, obj, &w, &err), 0);
	/* Readable when planned, gone when the request is built. */
	unsetenv("PT_EXTRA");
	assert_int_equal(sl_want_link_exporter(&w, &x, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "PT_EXTRA"));
	setenv("PT_EXTRA", "extra-secret", 1);
	/* A key without a value is released too. */
	assert_int_equal(sl_strmap_set(&x.config, "no.value", NULL, NULL), 0);
	sl_exporter_wipe(&x);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
}

/* spec.secretConfig is merged on top of what linkAuth generates: its value is what the
 * exporter gets, also for a key the destination's auth kind would not generate. */
static void want_link_exporter_secret_config_on_top(void **state)
{
	static const char *const specs[] = {
	        "  secretConfig: {basic.auth.user.info: {env: PT_EXTRA}}\n",
	        "  secretConfig: {bearer.auth.token: {env: PT_EXTRA}}\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct sl_snapshot *snap = load_link(specs[i], NULL);
		const struct sl_object *obj = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, LINK);
		struct sl_error err = SL_ERROR_INIT;
		struct want_link w;
		struct sl_exporter x = SL_EXPORTER_INIT;
		const char *key = i == 0 ? "basic.auth.user.info" : "bearer.auth.token";

		assert_int_equal(sl_want_link_build(snap, obj, &w, &err), 0);
		if (sl_want_link_exporter(&w, &x, &err) != 0)
			fail_msg("%s: %s", key, err.msg);
		assert_string_equal(sl_strmap_get(&x.config, key, NULL), "extra-secret");
		sl_exporter_wipe(&x);
		sl_want_link_release(&w);
		sl_snapshot_free(snap);
	}
}

static void want_link_matches(void **state)
{
	struct sl_snapshot *snap = load_link("  subjects: [a, b]\n", NULL);
	const struct sl_object *obj = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, LINK);
	struct sl_error err = SL_ERROR_INIT;
	struct want_link w;
	struct sl_exporter x = SL_EXPORTER_INIT, y = SL_EXPORTER_INIT;
	struct sl_inv_object io;
	static const char *const none[MAX_LIVE] = {NULL};
	static const char *const narrowed[MAX_LIVE] = {"subjects=b,a,c"};

	(void)state;
	assert_int_equal(sl_want_link_build(snap, obj, &w, &err), 0);
	build_live(&w, none, &x);
	build_live(&w, narrowed, &y);
	inv_fill(&w, INV_SAME, &io);
	assert_true(sl_want_link_matches(&w, &x, &io));
	/* Without the secret's hash it cannot be told equal. */
	assert_false(sl_want_link_matches(&w, &x, NULL));
	assert_false(sl_want_link_matches(&w, &y, &io));
	sl_strmap_release(&io.secret_hashes, free);
	sl_exporter_release(&x);
	sl_exporter_release(&y);
	sl_want_link_release(&w);
	sl_snapshot_free(snap);
}

/* ---- plan objects and their text ------------------------------------------------------- */

static char *format_plan(const struct sl_plan *p)
{
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(sl_plan_format(p, &b), 0);
	return b.data ? sl_buf_detach(&b) : xstrdup("");
}

static void plan_text(void **state)
{
	struct sl_plan *p = sl_plan_new("Context/target-source", NULL);
	struct sl_action *a;
	char *text;

	(void)state;
	/* In sync: nothing to print. */
	text = format_plan(p);
	assert_string_equal(text, "");
	free(text);

	p->op = SL_PLAN_UPDATE;
	assert_int_equal(
	        sl_plan_change(p, "mode on %s: %s -> %s", "context .source", "READWRITE", "IMPORT"),
	        0);
	a = sl_plan_action(p, SL_ACT_MODE_SET, "target", ":.source:", "the link writes there");
	assert_non_null(a);
	snprintf(a->value, sizeof(a->value), "IMPORT");
	a->force = true;
	a->record_scope = true;
	a->heal = "ImportModeRequired";
	a = sl_plan_action(p, SL_ACT_MODE_DELETE, "target", "", "");
	assert_non_null(a);
	a = sl_plan_action(p, SL_ACT_CONFIG_SET, "target", "orders", "");
	assert_non_null(a);
	snprintf(a->value, sizeof(a->value), "FULL");
	snprintf(a->previous, sizeof(a->previous), "BACKWARD");
	a->record_scope = true;
	a = sl_plan_action(p, SL_ACT_CONFIG_DELETE, "target", ":.c:", "");
	assert_non_null(a);
	a = sl_plan_action(p, SL_ACT_EXPORTER_RESET, "source", LINK, "the context type changed");
	assert_non_null(a);
	a = sl_plan_action(p, SL_ACT_MODE_SET, "target", ":.source:orders", "");
	assert_non_null(a);
	snprintf(a->value, sizeof(a->value), "READONLY");
	text = format_plan(p);
	assert_string_equal(text,
	        "~ Context/target-source\n"
	        "    mode on context .source: READWRITE -> IMPORT\n"
	        "  1. set mode IMPORT on context .source of target with force (was not set): the "
	        "link writes there [self-heal ImportModeRequired]\n"
	        "  2. remove the mode override on the top level of target\n"
	        "  3. set compatibility FULL on subject orders of target (was BACKWARD)\n"
	        "  4. remove the compatibility override on context .c of target\n"
	        "  5. reset exporter " LINK " on source: the context type changed\n"
	        "  6. set mode READONLY on subject :.source:orders of target\n");
	free(text);

	/* A create of a suspended link, and a delete. */
	p->op = SL_PLAN_CREATE;
	p->suspended = true;
	text = format_plan(p);
	assert_non_null(
	        strstr(text, "+ Context/target-source (spec.suspend: shown, not applied)\n"));
	free(text);
	p->op = SL_PLAN_DELETE;
	p->suspended = false;
	text = format_plan(p);
	assert_true(text[0] == '-' && text[1] == ' ');
	free(text);

	assert_string_equal(sl_action_kind_name(SL_ACT_EXPORTER_DELETE), "delete");
	assert_string_equal(sl_action_kind_name((enum sl_action_kind)99), "?");
	sl_plan_free(p);
	sl_plan_free(NULL);
}

static void plan_verdict_and_scopes(void **state)
{
	struct sl_plan *p = sl_plan_new("SchemaLink/x", NULL);
	char *s;

	(void)state;
	assert_int_equal(p->exporter_offset, -1);
	assert_int_equal(p->ready, SL_COND_UNKNOWN);
	/* A requeue keeps a delay already chosen, else waits one second. */
	p->requeue_ms = 5000;
	sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "ExporterStarting", 0, "x");
	assert_int_equal(p->requeue_ms, 5000);
	sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "ExporterNotOwned", 7, "%s", "y");
	assert_true(p->stalled);
	assert_int_equal(p->error_code, 7);
	assert_string_equal(p->message, "y");
	sl_plan_free(p);

	s = sl_scope_of_context(NULL);
	assert_string_equal(s, "");
	free(s);
	s = sl_scope_of_context(".");
	assert_string_equal(s, "");
	free(s);
	s = sl_scope_of_context(".source");
	assert_string_equal(s, ":.source:");
	free(s);
	s = sl_scope_of_context("source.corp");
	assert_string_equal(s, ":.source.corp:");
	free(s);
}

static int setup_env(void **state)
{
	(void)state;
	setenv("PT_TARGET_PASS", "s3cret-target", 1);
	setenv("PT_TOKEN", "t0ken", 1);
	setenv("PT_CLIENT_ID", "client-7", 1);
	setenv("PT_CLIENT_SECRET", "cl1ent-secret", 1);
	setenv("PT_STORE_PASS", "st0re", 1);
	setenv("PT_KEY_PASS", "k3y", 1);
	setenv("PT_EXTRA", "extra-secret", 1);
	unsetenv("PT_UNSET");
	unsetenv("PT_UNSET2");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(link_table),
	        cmocka_unit_test(setting_table),
	        cmocka_unit_test(want_link_build_errors),
	        cmocka_unit_test(want_link_build_hand_defaults),
	        cmocka_unit_test(want_link_exporter_body),
	        cmocka_unit_test(want_link_exporter_secret_config_on_top),
	        cmocka_unit_test(want_link_exporter_secret_gone),
	        cmocka_unit_test(want_link_matches),
	        cmocka_unit_test(plan_text),
	        cmocka_unit_test(plan_verdict_and_scopes),
	};
	return cmocka_run_group_tests_name("plan", tests, setup_env, NULL);
}
