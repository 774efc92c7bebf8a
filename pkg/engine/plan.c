/* plan.c — the pure planner: desired + observed (+ inventory) -> actions
 * (docs/internals/architecture.md "Reconcile" steps 1-5, "Modes a link needs", "Self-healing"). The desired
 * exporter it compares with is built by want.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "schemalink/qsubject.h"
#include "schemalink/secret.h"

static void putv(char *out, size_t len, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
static void putv(char *out, size_t len, const char *fmt, va_list ap)
{
	if ((size_t)vsnprintf(out, len, fmt, ap) >= len)
		sl_utf8_trim_cut(out);
}

static void put(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	putv(out, len, fmt, ap);
	va_end(ap);
}

char *sl_scope_of_context(const char *ctx)
{
	struct sl_buf b = SL_BUF_INIT;

	if (ctx == NULL || sl_context_is_default(ctx))
		return strdup("");
	if (sl_buf_addf(&b, ":%s%s:", ctx[0] == '.' ? "" : ".", ctx) < 0)
		return NULL;
	return sl_buf_detach(&b);
}

/* ---- plan objects ------------------------------------------------------------------------ */

static void action_free(void *p)
{
	free(p);
}

void sl_plan_free(struct sl_plan *p)
{
	if (p == NULL)
		return;
	sl_vec_release(&p->changes, free);
	sl_vec_release(&p->actions, action_free);
	sl_vec_release(&p->live, free);
	free(p->live_info);
	free(p);
}

struct sl_plan *sl_plan_new(const char *key, const struct sl_object *obj)
{
	struct sl_plan *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	sl_strlcpy_utf8(p->key, sizeof(p->key), key);
	p->obj = obj;
	p->exporter_offset = -1;
	p->ready = SL_COND_UNKNOWN;
	p->lag = -1;
	return p;
}

int sl_plan_change(struct sl_plan *p, const char *fmt, ...)
{
	struct sl_buf b = SL_BUF_INIT;
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = sl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0 || (s = sl_buf_detach(&b)) == NULL)
		return SL_ENOMEM;
	if (sl_vec_push(&p->changes, s) < 0) {
		free(s);
		return SL_ENOMEM;
	}
	return 0;
}

struct sl_action *sl_plan_action(struct sl_plan *p, enum sl_action_kind kind, const char *registry,
        const char *target, const char *why)
{
	struct sl_action *a = calloc(1, sizeof(*a));

	if (a == NULL || sl_vec_push(&p->actions, a) < 0) {
		free(a);
		return NULL;
	}
	a->kind = kind;
	sl_strlcpy_utf8(a->registry, sizeof(a->registry), registry);
	sl_strlcpy_utf8(a->target, sizeof(a->target), target);
	sl_strlcpy_utf8(a->why, sizeof(a->why), why);
	return a;
}

void sl_plan_verdict(struct sl_plan *p, enum sl_result r, enum sl_cond_status ready,
        const char *reason, int code, const char *fmt, ...)
{
	va_list ap;

	p->result = r;
	p->ready = ready;
	p->stalled = r == SL_RESULT_STALLED;
	p->error_code = code;
	sl_strlcpy_utf8(p->reason, sizeof(p->reason), reason);
	va_start(ap, fmt);
	putv(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
	if (r == SL_RESULT_REQUEUE_AFTER && p->requeue_ms == 0)
		p->requeue_ms = 1000;
}

/* ---- link planner ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ["a", "b"] into b. */
static int list_text(struct sl_buf *b, const struct sl_vec *v, bool dflt_star)
{
	size_t i;
	int rc = sl_buf_addch(b, '[');

	if (v->len == 0 && dflt_star)
		rc = rc ? rc : sl_buf_adds(b, "\"*\"");
	for (i = 0; rc == 0 && i < v->len; i++)
		rc = sl_buf_addf(b, "%s\"%s\"", i ? ", " : "", (const char *)v->items[i]);
	return rc ? rc : sl_buf_addch(b, ']');
}

static bool in_vec(const struct sl_vec *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (strcmp(v->items[i], s) == 0)
			return true;
	return false;
}

static const char *strip_dot(const char *s)
{
	return s && s[0] == '.' ? s + 1 : s;
}

static char star[] = "*";

struct link_diff {
	bool differs;
	bool reset;
	char reset_why[256];
};

static void want_reset(struct link_diff *d, const char *why)
{
	d->reset = true;
	if (d->reset_why[0] == '\0')
		sl_strlcpy_utf8(d->reset_why, sizeof(d->reset_why), why);
}

/* Compares the desired exporter with the live one; adds change lines to p. */
static int compare_link(const struct want_link *w, const struct obs_link *o,
        const struct sl_inv_object *inv, struct sl_plan *p, struct link_diff *d)
{
	const struct sl_link_spec *l = &w->obj->link;
	const struct sl_exporter *x = &o->info;
	const char *live_type = x->context_type ? x->context_type : "AUTO";
	const char *live_rename = x->subject_rename_format && *x->subject_rename_format
	                                  ? x->subject_rename_format
	                                  : SL_DEFAULT_RENAME_FORMAT;
	struct sl_vec want_subj = SL_VEC_INIT, live_subj = SL_VEC_INIT, keys = SL_VEC_INIT;
	struct sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
	size_t i;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < l->subjects.len; i++)
		rc |= sl_vec_push(&want_subj, l->subjects.items[i]);
	for (i = 0; i < x->subjects.len; i++)
		rc |= sl_vec_push(&live_subj, x->subjects.items[i]);
	if (live_subj.len == 0)
		rc |= sl_vec_push(&live_subj, star);
	if (rc != 0) { /* a short list would compare as a change */
		rc = SL_ENOMEM;
		goto out;
	}
	sl_vec_sort(&want_subj, cmp_str);
	sl_vec_sort(&live_subj, cmp_str);
	if (want_subj.len != live_subj.len) {
		d->differs = true;
	} else {
		for (i = 0; i < want_subj.len; i++)
			if (strcmp(want_subj.items[i], live_subj.items[i]) != 0)
				d->differs = true;
	}
	if (d->differs) {
		rc = list_text(&a, &live_subj, true);
		rc = rc ? rc : list_text(&b, &l->subjects, true);
		rc = rc ? rc : sl_plan_change(p, "subjects: %s -> %s", a.data, b.data);
		for (i = 0; i < want_subj.len; i++)
			if (!in_vec(&live_subj, want_subj.items[i]))
				want_reset(d, "the subject filter gained entries");
	}
	if (strcmp(live_type, w->ctx_type) != 0) {
		d->differs = true;
		want_reset(d, "the context type changed");
		rc = rc ? rc : sl_plan_change(p, "contextType: %s -> %s", live_type, w->ctx_type);
	}
	if (l->context_type == SL_CONTEXT_CUSTOM &&
	        strcmp(strip_dot(x->context ? x->context : ""), strip_dot(w->context)) != 0) {
		d->differs = true;
		want_reset(d, "the context name changed");
		rc = rc ? rc
		        : sl_plan_change(p, "context: \"%s\" -> \"%s\"",
		                  x->context ? x->context : "", w->context);
	}
	if (strcmp(live_rename, w->rename) != 0) {
		d->differs = true;
		want_reset(d, "the subject rename format changed");
		rc = rc ? rc
		        : sl_plan_change(p, "subjectRenameFormat: \"%s\" -> \"%s\"", live_rename,
		                  w->rename);
	}
	/* Config: every desired key, then live keys nobody wants. */
	rc = rc ? rc : sl_strmap_keys(&w->plain, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const char *k = keys.items[i];
		const char *want = sl_strmap_get(&w->plain, k, NULL);
		const char *live = sl_strmap_get(&x->config, k, NULL);

		if (live != NULL && (strcmp(live, want) == 0 || strcmp(live, HIDDEN) == 0))
			continue;
		d->differs = true;
		if (!strcmp(k, "schema.registry.url"))
			want_reset(d, "the destination URL changed");
		if (live)
			rc = sl_plan_change(p, "config %s: \"%s\" -> \"%s\"", k, live, want);
		else
			rc = sl_plan_change(p, "config %s: (absent) -> \"%s\"", k, want);
	}
	sl_vec_release(&keys, NULL);
	rc = rc ? rc : sl_strmap_keys(&w->secret, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const char *k = keys.items[i];
		const struct want_secret *s = sl_strmap_get(&w->secret, k, NULL);
		const char *live = sl_strmap_get(&x->config, k, NULL);
		const char *had = inv ? sl_strmap_get(&inv->secret_hashes, k, NULL) : NULL;

		if (live == NULL) {
			d->differs = true;
			rc = sl_plan_change(p, "config %s: (absent) -> <%s>", k, s->desc);
		} else if (had == NULL) {
			d->differs = true;
			rc = sl_plan_change(p,
			        "config %s: <%s: not recorded by schemalink, set again>", k,
			        s->desc);
		} else if (strcmp(had, s->hash) != 0) {
			d->differs = true;
			rc = sl_plan_change(p, "config %s: <%s changed>", k, s->desc);
		}
	}
	sl_vec_release(&keys, NULL);
	rc = rc ? rc : sl_strmap_keys(&x->config, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const char *k = keys.items[i];
		const char *live = sl_strmap_get(&x->config, k, NULL);

		if (sl_strmap_get(&w->plain, k, NULL) || sl_strmap_get(&w->secret, k, NULL))
			continue;
		d->differs = true;
		rc = sl_plan_change(p, "config %s: \"%s\" -> (removed)", k,
		        strcmp(live, HIDDEN) ? live : "<hidden by the registry>");
	}
	if (d->differs && l->reset_on_update)
		want_reset(d, "spec.resetOnUpdate is true");
out:
	sl_vec_release(&keys, NULL);
	sl_vec_release(&want_subj, NULL);
	sl_vec_release(&live_subj, NULL);
	sl_buf_release(&a);
	sl_buf_release(&b);
	return rc;
}

static const char *scope_name(const char *scope, char *buf, size_t len)
{
	if (scope == NULL || scope[0] == '\0') {
		put(buf, len, "the top level");
		return buf;
	}
	if (scope[0] == ':' && scope[strlen(scope) - 1] == ':' && scope[1] == '.') {
		put(buf, len, "context %.*s", (int)(strlen(scope) - 2), scope + 1);
		return buf;
	}
	put(buf, len, "subject %s", scope);
	return buf;
}

/* Step 2: IMPORT on every scope the link needs. Returns false when the link must stall. */
static int plan_modes(
        const struct want_link *w, const struct obs_link *o, struct sl_plan *p, bool *stall)
{
	const struct sl_link_spec *l = &w->obj->link;
	const char *dst = l->destination;
	size_t i;
	char sn[300];

	*stall = false;
	if (l->destination_mode != SL_DEST_IMPORT)
		return 0;
	for (i = 0; i < o->scopes.len; i++) {
		const struct obs_scope *s = o->scopes.items[i];
		const char *prev = s->mode_rc == 1 ? s->mode : NULL;
		struct sl_action *a;
		bool force = false;
		const char *why, *drift = NULL;

		if (prev && !strcmp(prev, "IMPORT"))
			continue;
		scope_name(s->scope, sn, sizeof(sn));
		if (prev && !strncmp(prev, "READONLY", 8)) {
			/* A read-only scope is a deliberate freeze (docs/internals/architecture.md "Self-healing (diagnose)":
			 * DestinationReadOnly, no fix): never forced, even where schemalink set
			 * IMPORT before. */
			sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "DestinationReadOnly",
			        0,
			        "%s of %s is %s; link %s cannot write there and schemalink does "
			        "not "
			        "override a read-only mode",
			        sn, dst, prev, w->obj->name);
			put(p->fix, sizeof(p->fix),
			        "when %s of %s may take the export again, set its mode to IMPORT "
			        "by "
			        "hand (or remove the READONLY override); otherwise pause link %s",
			        sn, dst, w->obj->name);
			*stall = true;
			return 0;
		}
		if (!s->nonempty) {
			why = s->owned ? "set to another mode by hand; schemalink set IMPORT before"
			               : "the link writes there";
			drift = s->owned ? "ModeRestored" : NULL;
		} else if (s->local_writes && s->owned) {
			sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE,
			        "DestinationHasLocalWrites", 0,
			        "%s of %s is %s instead of IMPORT and holds writes that did not "
			        "come from link %s (%s); someone may have failed over, so "
			        "schemalink does not force IMPORT over them",
			        sn, dst, prev ? prev : "READWRITE", w->obj->name,
			        s->local_detail ? s->local_detail : "local subjects");
			put(p->fix, sizeof(p->fix),
			        "if %s is now the active side, keep it: set spec.state: Paused or "
			        "delete link %s; otherwise move those subjects away and set mode "
			        "IMPORT on %s of %s by hand",
			        dst, w->obj->name, sn, dst);
			*stall = true;
			return 0;
		} else if (!s->local_writes) {
			/* Every subject there is a copy of what the link exports, checked on the
			 * registries: safe to force back, with or without a record. */
			force = true;
			drift = s->owned ? "ModeRestored" : "ModeRestoredFromRegistry";
			why = s->owned ? "set to another mode by hand; it holds only what the link "
			                 "exported"
			               : "not IMPORT; every subject there is a copy of what the "
			                 "link "
			                 "exports (checked on the registries)";
		} else if (l->force_import) {
			force = true;
			why = "it holds subjects; spec.selfHeal.forceImport is true";
		} else {
			sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "DestinationNotEmpty",
			        0,
			        "%s of %s is %s and already holds subjects that are not copies of "
			        "what link %s exports (%s); schemalink never managed it, so it "
			        "does "
			        "not force IMPORT there",
			        sn, dst, prev ? prev : "not IMPORT", w->obj->name,
			        s->local_detail ? s->local_detail
			        : s->sample     ? s->sample
			                        : "?");
			put(p->fix, sizeof(p->fix),
			        "if the subjects there may be overwritten by the export, set "
			        "spec.selfHeal.forceImport: true on link %s; otherwise empty %s of "
			        "%s "
			        "or choose another spec.context",
			        w->obj->name, sn, dst);
			*stall = true;
			return 0;
		}
		a = sl_plan_action(p, SL_ACT_MODE_SET, dst, s->scope, why);
		if (a == NULL)
			return SL_ENOMEM;
		sl_strlcpy_utf8(a->value, sizeof(a->value), "IMPORT");
		a->force = force;
		a->drift = drift;
		a->record_scope = true;
		a->had_previous = s->mode_rc == 1 && s->scope[0] != '\0';
		sl_strlcpy_utf8(a->previous, sizeof(a->previous), prev ? prev : "");
		if (s->scope[0] == '\0') /* top level: GET answers the effective value */
			a->had_previous = true;
	}
	return 0;
}

static int act(struct sl_plan *p, enum sl_action_kind k, const struct want_link *w, const char *why)
{
	return sl_plan_action(p, k, w->obj->link.source, w->obj->name, why) ? 0 : SL_ENOMEM;
}

static int create_changes(const struct want_link *w, struct sl_plan *p)
{
	const struct sl_link_spec *l = &w->obj->link;
	struct sl_buf b = SL_BUF_INIT;
	struct sl_vec keys = SL_VEC_INIT;
	size_t i;
	int rc;

	rc = list_text(&b, &l->subjects, true);
	rc = rc ? rc
	        : sl_plan_change(p, "exporter %s on %s, writing to %s", w->obj->name, l->source,
	                  l->destination);
	rc = rc ? rc : sl_plan_change(p, "subjects: %s", b.data);
	rc = rc ? rc
	        : sl_plan_change(p, "context: %s%s%s (destination context %s)", w->ctx_type,
	                  w->context ? " " : "", w->context ? w->context : "", w->dest_ctx);
	if (rc == 0 && strcmp(w->rename, SL_DEFAULT_RENAME_FORMAT) != 0)
		rc = sl_plan_change(p, "subjectRenameFormat: \"%s\"", w->rename);
	rc = rc ? rc : sl_strmap_keys(&w->plain, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++)
		rc = sl_plan_change(p, "config %s: \"%s\"", (const char *)keys.items[i],
		        (const char *)sl_strmap_get(&w->plain, keys.items[i], NULL));
	sl_vec_release(&keys, NULL);
	rc = rc ? rc : sl_strmap_keys(&w->secret, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const struct want_secret *s = sl_strmap_get(&w->secret, keys.items[i], NULL);

		rc = sl_plan_change(p, "config %s: <%s>", (const char *)keys.items[i], s->desc);
	}
	if (rc == 0 && l->state == SL_LINK_PAUSED)
		rc = sl_plan_change(p, "state: Paused");
	sl_vec_release(&keys, NULL);
	sl_buf_release(&b);
	return rc;
}

static int count_attempts_ok(const struct want_link *w, const struct obs_link *o)
{
	return o->attempts_last_hour < w->obj->link.max_attempts_per_hour;
}

/* Stalls that come before any comparison: a secret that cannot be read, a registry without
 * Schema Linking. Returns true when p holds the verdict. */
static bool plan_cannot_start(
        const struct want_link *w, const struct obs_link *o, struct sl_plan *p)
{
	if (w->secret_err[0]) {
		p->error = true;
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "SecretUnavailable", 0, "%s",
		        w->secret_err);
		put(p->fix, sizeof(p->fix), "make the secret readable by schemalink");
		return true;
	}
	if (o->unsupported) {
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "ExportersUnsupported", 404,
		        "registry %s answers GET /exporters with 404: it has no Schema Linking",
		        w->obj->link.source);
		put(p->fix, sizeof(p->fix),
		        "run the link on a registry with the schema exporter (Confluent Platform "
		        "7.x+ with Schema Linking, Confluent Cloud, or srlite)");
		return true;
	}
	return false;
}

/* The exporter does not exist: create it, and pause it when spec.state is Paused. One this
 * set created and someone deleted is recreated, and every action says so. */
static int plan_create(const struct want_link *w, const struct obs_link *o, struct sl_plan *p)
{
	bool want_paused = w->obj->link.state == SL_LINK_PAUSED;
	int rc;

	p->op = SL_PLAN_CREATE;
	if ((rc = create_changes(w, p)) < 0)
		return rc;
	if (act(p, SL_ACT_EXPORTER_CREATE, w,
	            o->exporter_owned ? "the exporter was deleted by hand" : "") < 0)
		return SL_ENOMEM;
	if (o->exporter_owned)
		for (size_t i = 0; i < p->actions.len; i++)
			((struct sl_action *)p->actions.items[i])->drift = "ExporterRecreated";
	if (want_paused && act(p, SL_ACT_EXPORTER_PAUSE, w, "spec.state is Paused") < 0)
		return SL_ENOMEM;
	sl_plan_verdict(p, want_paused ? SL_RESULT_DONE : SL_RESULT_REQUEUE_AFTER,
	        want_paused ? SL_COND_TRUE : SL_COND_FALSE,
	        want_paused ? "Paused" : "ExporterMissing", 0, "exporter %s does not exist",
	        w->obj->name);
	return 0;
}

/* The exporter differs from the manifest (d): one this set does not own stalls; else it is
 * paused, updated, reset when the change needs it, and resumed unless spec.state is Paused. */
static int plan_update(const struct want_link *w, const struct obs_link *o,
        const struct link_diff *d, struct sl_plan *p)
{
	const struct sl_link_spec *l = &w->obj->link;
	bool want_paused = l->state == SL_LINK_PAUSED;
	const char *st = o->status.state_raw ? o->status.state_raw : "";

	if (!o->exporter_owned && !o->adopt) {
		/* Never overwrite what this set did not create (docs/ownership.md). */
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "ExporterNotOwned", 0,
		        "exporter %s on %s differs from the manifest, and this manifest set did "
		        "not create it; schemalink does not change an exporter it does not own",
		        w->obj->name, l->source);
		put(p->fix, sizeof(p->fix),
		        "if this manifest set should manage it, run 'slctl apply --adopt' once "
		        "(the exporter is then updated, and deleted by --prune); otherwise rename "
		        "link %s",
		        w->obj->name);
		return 0;
	}
	p->op = SL_PLAN_UPDATE;
	if (strcmp(st, "PAUSED") != 0 &&
	        act(p, SL_ACT_EXPORTER_PAUSE, w, "an exporter is updated only while paused") < 0)
		return SL_ENOMEM;
	if (act(p, SL_ACT_EXPORTER_UPDATE, w, "") < 0)
		return SL_ENOMEM;
	if (d->reset && act(p, SL_ACT_EXPORTER_RESET, w, d->reset_why) < 0)
		return SL_ENOMEM;
	if (!want_paused && act(p, SL_ACT_EXPORTER_RESUME, w, "") < 0)
		return SL_ENOMEM;
	sl_plan_verdict(p, want_paused ? SL_RESULT_DONE : SL_RESULT_REQUEUE_AFTER,
	        want_paused ? SL_COND_TRUE : SL_COND_FALSE,
	        want_paused ? "Paused" : "ExporterOutOfDate", 0,
	        "exporter %s differs from the manifest", w->obj->name);
	return 0;
}

/* Fills in for sl_diagnose from the link and what was observed. The lists of needed
 * contexts and of import contexts are allocated whole (*needed, *imports; the caller frees
 * them), however many there are. Returns 0 or SL_ENOMEM. */
static int diag_input(const struct want_link *w, const struct obs_link *o, const char *st,
        const char *trace, struct sl_diag_input *in, const char ***needed,
        struct sl_import_context **imports)
{
	const struct sl_link_spec *l = &w->obj->link;
	size_t i;

	memset(in, 0, sizeof(*in));
	*needed = NULL;
	*imports = NULL;
	if (o->scopes.len > 0 && (*needed = calloc(o->scopes.len, sizeof(**needed))) == NULL)
		return SL_ENOMEM;
	for (i = 0; i < o->scopes.len; i++)
		(*needed)[i] = ((struct obs_scope *)o->scopes.items[i])->context;
	if (sl_obs_link_imports(o, imports, &in->n_imports) < 0)
		return SL_ENOMEM;
	in->n_needed = o->scopes.len;
	in->link = w->obj->name;
	in->source_registry = l->source;
	in->dest_registry = l->destination;
	in->link_context = w->dest_ctx;
	in->state = st;
	in->trace = trace;
	in->needed = *needed;
	in->imports = *imports;
	in->force_import = l->force_import;
	return 0;
}

/* Heals what dg diagnosed on a paused exporter: the destination scope it names goes to
 * IMPORT (marking the mode action planned already, among the first n_modes, or forcing it
 * when spec.selfHeal.forceImport allows), then the exporter is resumed; a plain resume only
 * while spec.selfHeal.maxAttemptsPerHour allows. */
static int plan_heal(const struct want_link *w, const struct obs_link *o,
        const struct sl_diagnosis *dg, size_t n_modes, struct sl_plan *p)
{
	const struct sl_link_spec *l = &w->obj->link;
	struct sl_action *a;

	if (dg->heal == SL_HEAL_IMPORT_AND_RESUME) {
		bool planned = false;
		/* A trace that names no context (DestinationNotEmpty) is about the link's own
		 * destination context, never the registry's top level. */
		char *scope = sl_scope_of_context(dg->context[0] ? dg->context : w->dest_ctx);

		if (scope == NULL)
			return SL_ENOMEM;
		for (size_t j = 0; j < n_modes; j++) {
			struct sl_action *m = p->actions.items[j];

			if (!strcmp(m->target, scope)) {
				m->heal = dg->reason;
				planned = true;
			}
		}
		if (!planned && !strcmp(dg->reason, "DestinationNotEmpty")) {
			struct sl_action *m = sl_plan_action(p, SL_ACT_MODE_SET, l->destination,
			        scope, "spec.selfHeal.forceImport is true");

			if (m == NULL) {
				free(scope);
				return SL_ENOMEM;
			}
			sl_strlcpy_utf8(m->value, sizeof(m->value), "IMPORT");
			m->force = true;
			m->heal = dg->reason;
			m->record_scope = true;
		}
		free(scope);
	} else if (!count_attempts_ok(w, o)) {
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, dg->reason, dg->error_code,
		        "%s; resumed %d times in the last hour, the most "
		        "spec.selfHeal.maxAttemptsPerHour allows",
		        dg->message, o->attempts_last_hour);
		return 0;
	}
	a = sl_plan_action(p, SL_ACT_EXPORTER_RESUME, l->source, w->obj->name, dg->reason);
	if (a == NULL)
		return SL_ENOMEM;
	a->heal = dg->reason;
	p->op = SL_PLAN_UPDATE;
	sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, dg->reason, dg->error_code, "%s",
	        dg->message);
	return 0;
}

/* Verification found versions the running exporter had passed missing on the destination
 * (docs/internals/reconcile.md "Replication verification"): pause, reset, resume, so it copies
 * everything again (registering what is there already is a no-op in IMPORT). Never on an
 * exporter this set may not change, never past maxAttemptsPerHour. */
static int plan_reset_lost(const struct want_link *w, const struct obs_link *o, struct sl_plan *p)
{
	static const enum sl_action_kind kinds[] = {
	        SL_ACT_EXPORTER_PAUSE, SL_ACT_EXPORTER_RESET, SL_ACT_EXPORTER_RESUME};
	const struct sl_link_spec *l = &w->obj->link;
	const char *why = NULL;
	size_t i;

	if (!l->self_heal_enabled)
		why = " (selfHeal is disabled)";
	else if (!o->exporter_owned && !o->adopt)
		why = "; this manifest set did not create the exporter, so it does not reset it";
	else if (!count_attempts_ok(w, o))
		why = "; healed the most spec.selfHeal.maxAttemptsPerHour allows in the last hour";
	put(p->fix, sizeof(p->fix),
	        "reset the exporter so it copies everything again: slctl reset link/%s",
	        w->obj->name);
	if (why != NULL) {
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "DestinationIncomplete", 0,
		        "%d version%s the exporter had copied %s missing on %s (%s)%s",
		        o->verify_lost, o->verify_lost == 1 ? "" : "s",
		        o->verify_lost == 1 ? "is" : "are", l->destination,
		        o->verify_first_missing ? o->verify_first_missing : "", why);
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct sl_action *a = sl_plan_action(p, kinds[i], l->source, w->obj->name,
		        "the destination lost versions the exporter had copied");

		if (a == NULL)
			return SL_ENOMEM;
		a->heal = "DestinationIncomplete";
	}
	p->op = SL_PLAN_UPDATE;
	sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "DestinationIncomplete", 0,
	        "%d version%s the exporter had copied %s missing on %s (%s): resetting the "
	        "exporter",
	        o->verify_lost, o->verify_lost == 1 ? "" : "s", o->verify_lost == 1 ? "is" : "are",
	        l->destination, o->verify_first_missing ? o->verify_first_missing : "");
	return 0;
}

/* An exporter paused with a trace, or running with one: diagnosed (docs/internals/reconcile.md
 * "Healing rules"); healed when it is paused, selfHeal is on and the diagnosis has a heal, else
 * reported (stalled when paused). */
static int plan_trouble(const struct want_link *w, const struct obs_link *o, const char *st,
        const char *trace, size_t n_modes, struct sl_plan *p)
{
	const struct sl_link_spec *l = &w->obj->link;
	struct sl_diag_input in;
	struct sl_diagnosis dg;
	struct sl_import_context *imports;
	const char **needed;
	bool paused = !strcmp(st, "PAUSED");
	int rc;

	rc = diag_input(w, o, st, trace, &in, &needed, &imports);
	if (rc == 0)
		sl_diagnose(&in, &dg);
	free(needed);
	free(imports);
	if (rc < 0)
		return rc;
	if (dg.reason == NULL) {
		sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "ExporterStarting", 0,
		        "exporter %s is %s", w->obj->name, st);
		return 0;
	}
	put(p->fix, sizeof(p->fix), "%s", dg.fix);
	if (l->self_heal_enabled && dg.heal != SL_HEAL_NONE && paused)
		return plan_heal(w, o, &dg, n_modes, p);
	if (p->actions.len)
		p->op = SL_PLAN_UPDATE;
	sl_plan_verdict(p, paused ? SL_RESULT_STALLED : SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE,
	        dg.reason, dg.error_code, "%s%s", dg.message,
	        l->self_heal_enabled || dg.heal == SL_HEAL_NONE ? "" : " (selfHeal is disabled)");
	if (!paused)
		p->stalled = false;
	return 0;
}

int sl_plan_link(const struct want_link *w, const struct obs_link *o,
        const struct sl_inv_object *inv, struct sl_plan *p)
{
	const struct sl_link_spec *l = &w->obj->link;
	bool stall = false;
	const char *st = o->status.state_raw ? o->status.state_raw : "";
	const char *trace = o->status.trace ? o->status.trace : "";
	size_t n_modes;
	struct link_diff d;
	int rc;

	sl_strlcpy_utf8(p->dest_context, sizeof(p->dest_context), w->dest_ctx);
	if (plan_cannot_start(w, o, p))
		return 0;
	/* What the exporter shows, also when a mode stalls the link below (get, describe). */
	if (o->exists) {
		sl_strlcpy_utf8(p->exporter_state, sizeof(p->exporter_state), st);
		p->exporter_offset = o->status.offset;
		p->exporter_ts = o->status.ts;
		sl_trace_first_line(trace, p->trace_first_line, sizeof(p->trace_first_line));
	}
	if ((rc = plan_modes(w, o, p, &stall)) < 0)
		return rc;
	if (stall)
		return 0;
	n_modes = p->actions.len;
	if (!o->exists)
		return plan_create(w, o, p);
	if ((rc = compare_link(w, o, inv, p, &d)) < 0)
		return rc;
	if (d.differs)
		return plan_update(w, o, &d, p);
	/* Replication verification: another schema under a copied id is never "healed". */
	if (o->verify_conflicts > 0) {
		sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE, "SchemaIdConflict", 0, "%s%s",
		        o->verify_conflict ? o->verify_conflict : "",
		        o->verify_conflicts > 1 ? " (and more)" : "");
		put(p->fix, sizeof(p->fix),
		        "the destination holds other schemas under the ids the link copies: "
		        "remove them there (or point the link at an empty context), then apply "
		        "again");
		return 0;
	}
	if (o->verify_lost > 0 && l->state == SL_LINK_RUNNING && !strcmp(st, "RUNNING") &&
	        trace[0] == '\0')
		return plan_reset_lost(w, o, p);
	/* Step 4: state. */
	if (l->state == SL_LINK_PAUSED) {
		if (strcmp(st, "PAUSED") != 0 &&
		        act(p, SL_ACT_EXPORTER_PAUSE, w, "spec.state is Paused") < 0)
			return SL_ENOMEM;
		if (p->actions.len)
			p->op = SL_PLAN_UPDATE;
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "Paused",
		        sl_trace_error_code(trace), "exporter %s is paused as the manifest says",
		        w->obj->name);
		return 0;
	}
	if (!strcmp(st, "PAUSED") && trace[0] == '\0') {
		struct sl_action *a = sl_plan_action(p, SL_ACT_EXPORTER_RESUME, l->source,
		        w->obj->name, "paused by hand; spec.state is Running");

		if (a == NULL)
			return SL_ENOMEM;
		a->drift = "ExporterResumed";
		p->op = SL_PLAN_UPDATE;
		sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "ExporterPaused", 0,
		        "exporter %s was paused; spec.state is Running", w->obj->name);
		return 0;
	}
	if (!strcmp(st, "PAUSED") || (!strcmp(st, "RUNNING") && trace[0]))
		return plan_trouble(w, o, st, trace, n_modes, p);
	if (p->actions.len)
		p->op = SL_PLAN_UPDATE;
	if (!strcmp(st, "RUNNING")) {
		if (p->actions.len)
			sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_FALSE, "ModeDrift", 0,
			        "a destination mode of link %s is not IMPORT", w->obj->name);
		else
			sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "Running", 0,
			        "exporter %s is running", w->obj->name);
		return 0;
	}
	sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "ExporterStarting", 0,
	        "exporter %s is %s", w->obj->name, st[0] ? st : "in an unknown state");
	return 0;
}

/* ---- settings planner (Registry, Context, Subject) --------------------------------------- */

int sl_plan_setting(const struct sl_object *obj, const struct obs_setting *o, struct sl_plan *p)
{
	struct sl_action *a;
	char sn[300];
	bool top = o->scope[0] == '\0';

	scope_name(o->scope, sn, sizeof(sn));
	if (o->want_mode != SL_MODE_UNSET) {
		const char *want = sl_mode_name(o->want_mode);

		if (o->want_mode == SL_MODE_INHERIT) {
			if (o->mode_rc == 1 && (!top || strcmp(o->mode, "READWRITE") != 0)) {
				if (sl_plan_change(
				            p, "mode on %s: %s -> (inherited)", sn, o->mode) < 0 ||
				        !(a = sl_plan_action(p, SL_ACT_MODE_DELETE, o->registry,
				                  o->scope, "")))
					return SL_ENOMEM;
				a->record_scope = true;
				a->had_previous = true;
				sl_strlcpy_utf8(a->previous, sizeof(a->previous), o->mode);
			}
		} else if (o->mode_rc != 1 || strcmp(o->mode, want) != 0) {
			if (sl_plan_change(p, "mode on %s: %s -> %s", sn,
			            o->mode_rc == 1 ? o->mode : "(not set)", want) < 0 ||
			        !(a = sl_plan_action(
			                  p, SL_ACT_MODE_SET, o->registry, o->scope, "")))
				return SL_ENOMEM;
			sl_strlcpy_utf8(a->value, sizeof(a->value), want);
			a->force = o->force_mode;
			a->record_scope = true;
			a->had_previous = o->mode_rc == 1;
			sl_strlcpy_utf8(
			        a->previous, sizeof(a->previous), o->mode_rc == 1 ? o->mode : "");
			a->drift = o->mode_owned ? "ModeRestored" : NULL;
		}
	}
	if (o->want_compat != SL_COMPAT_UNSET) {
		const char *want = sl_compat_name(o->want_compat);

		if (o->want_compat == SL_COMPAT_INHERIT) {
			if (o->compat_rc == 1 && (!top || strcmp(o->compat, "BACKWARD") != 0)) {
				if (sl_plan_change(p, "compatibility on %s: %s -> (inherited)", sn,
				            o->compat) < 0 ||
				        !(a = sl_plan_action(p, SL_ACT_CONFIG_DELETE, o->registry,
				                  o->scope, "")))
					return SL_ENOMEM;
				a->record_scope = true;
				a->had_previous = true;
				sl_strlcpy_utf8(a->previous, sizeof(a->previous), o->compat);
			}
		} else if (o->compat_rc != 1 || strcmp(o->compat, want) != 0) {
			if (sl_plan_change(p, "compatibility on %s: %s -> %s", sn,
			            o->compat_rc == 1 ? o->compat : "(not set)", want) < 0 ||
			        !(a = sl_plan_action(
			                  p, SL_ACT_CONFIG_SET, o->registry, o->scope, "")))
				return SL_ENOMEM;
			sl_strlcpy_utf8(a->value, sizeof(a->value), want);
			a->record_scope = true;
			a->had_previous = o->compat_rc == 1;
			sl_strlcpy_utf8(a->previous, sizeof(a->previous),
			        o->compat_rc == 1 ? o->compat : "");
			a->drift = o->compat_owned ? "CompatibilityRestored" : NULL;
		}
	}
	if (p->actions.len) {
		p->op = SL_PLAN_UPDATE;
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_FALSE, "OutOfDate", 0,
		        "%s of %s differs from the manifest", sn, o->registry);
	} else {
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "InSync", 0, "%s of %s matches",
		        sn, o->registry);
	}
	(void)obj;
	return 0;
}

/* ---- formatting -------------------------------------------------------------------------- */

const char *sl_action_kind_name(enum sl_action_kind k)
{
	static const char *const names[] = {"mode-set", "mode-delete", "config-set",
	        "config-delete", "create", "pause", "update", "reset", "resume", "delete"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int sl_action_format(const struct sl_action *a, struct sl_buf *out)
{
	char sn[300];
	int rc;

	scope_name(a->target, sn, sizeof(sn));
	switch (a->kind) {
	case SL_ACT_MODE_SET:
		rc = sl_buf_addf(out, "set mode %s on %s of %s%s", a->value, sn, a->registry,
		        a->force ? " with force" : "");
		break;
	case SL_ACT_MODE_DELETE:
		rc = sl_buf_addf(out, "remove the mode override on %s of %s", sn, a->registry);
		break;
	case SL_ACT_CONFIG_SET:
		rc = sl_buf_addf(
		        out, "set compatibility %s on %s of %s", a->value, sn, a->registry);
		break;
	case SL_ACT_CONFIG_DELETE:
		rc = sl_buf_addf(
		        out, "remove the compatibility override on %s of %s", sn, a->registry);
		break;
	default:
		rc = sl_buf_addf(out, "%s exporter %s on %s", sl_action_kind_name(a->kind),
		        a->target, a->registry);
		break;
	}
	if (rc == 0 && (a->kind == SL_ACT_MODE_SET || a->kind == SL_ACT_CONFIG_SET) &&
	        a->record_scope)
		rc = sl_buf_addf(out, " (was %s)", a->previous[0] ? a->previous : "not set");
	if (rc == 0 && a->why[0])
		rc = sl_buf_addf(out, ": %s", a->why);
	if (rc == 0 && a->heal)
		rc = sl_buf_addf(out, " [self-heal %s]", a->heal);
	return rc;
}

int sl_plan_format(const struct sl_plan *p, struct sl_buf *out)
{
	size_t i;
	int rc = 0;
	char mark = p->op == SL_PLAN_CREATE ? '+' : p->op == SL_PLAN_DELETE ? '-' : '~';

	if (p->actions.len == 0)
		return 0;
	rc = sl_buf_addf(out, "%c %s%s\n", mark, p->key,
	        p->suspended ? " (spec.suspend: shown, not applied)" : "");
	for (i = 0; rc == 0 && i < p->changes.len; i++)
		rc = sl_buf_addf(out, "    %s\n", (const char *)p->changes.items[i]);
	for (i = 0; rc == 0 && i < p->actions.len; i++) {
		rc = sl_buf_addf(out, "  %zu. ", i + 1);
		rc = rc ? rc : sl_action_format(p->actions.items[i], out);
		rc = rc ? rc : sl_buf_addch(out, '\n');
	}
	return rc;
}

bool sl_want_link_matches(
        const struct want_link *w, const struct sl_exporter *info, const struct sl_inv_object *inv)
{
	struct obs_link o;
	struct sl_plan *p = sl_plan_new("", w->obj);
	struct link_diff d;
	bool same;

	if (p == NULL)
		return false;
	memset(&o, 0, sizeof(o));
	o.info = *info; /* borrowed for the comparison only */
	same = compare_link(w, &o, inv, p, &d) == 0 && !d.differs;
	sl_plan_free(p);
	return same;
}
