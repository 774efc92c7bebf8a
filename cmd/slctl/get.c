/* get.c — `slctl get` and `slctl describe`: tables, JSON and YAML of objects with their live
 * state, and one object in detail. */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/engine.h"
#include "schemalink/inventory.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/qsubject.h"
#include "slctl.h"

/* ---- get --------------------------------------------------------------------------------- */

struct table {
	struct sl_vec rows; /* struct sl_vec * of owned char * cells */
	size_t ncols;
};

static void table_row(struct table *t, int n, ...)
{
	struct sl_vec *row = calloc(1, sizeof(*row));
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);

		sl_vec_push(row, strdup(s && *s ? s : "-"));
	}
	va_end(ap);
	sl_vec_push(&t->rows, row);
	t->ncols = (size_t)n;
}

static void table_print(struct table *t)
{
	size_t w[16] = {0}, r, c;

	for (r = 0; r < t->rows.len; r++) {
		struct sl_vec *row = t->rows.items[r];

		for (c = 0; c < row->len && c < 16; c++)
			if (strlen(row->items[c]) > w[c])
				w[c] = strlen(row->items[c]);
	}
	for (r = 0; r < t->rows.len; r++) {
		struct sl_vec *row = t->rows.items[r];

		for (c = 0; c < row->len; c++) {
			if (c + 1 == row->len)
				printf("%s\n", (char *)row->items[c]);
			else
				printf("%-*s  ", (int)w[c], (char *)row->items[c]);
		}
	}
}

static void table_release(struct table *t)
{
	size_t r;

	for (r = 0; r < t->rows.len; r++) {
		sl_vec_release(t->rows.items[r], free);
		free(t->rows.items[r]);
	}
	sl_vec_release(&t->rows, NULL);
}

static const char *live_value(const struct sl_plan *p, const char *prefix, char *buf, size_t len)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < p->live.len; i++)
		if (!strncmp(p->live.items[i], prefix, n)) {
			snprintf(buf, len, "%s", (char *)p->live.items[i] + n);
			return buf;
		}
	return "";
}

/* Links are shown with their lag: one replication verification of the snapshot (a schema
 * listing per registry, docs/internals/reconcile.md "Replication verification") before they
 * are planned. A verification that fails leaves LAG "-". */
static void verify_links(struct sl_engine *e, const struct sl_snapshot *snap, const char *kind)
{
	struct sl_error err = SL_ERROR_INIT;

	if (kind == NULL || !strncmp(kind, "link", 4))
		(void)sl_engine_verify(e, snap, NULL, NULL, &err);
}

static json_t *object_json(const struct sl_object *o, const struct sl_plan *p)
{
	json_t *j = json_object(), *live = json_array(), *spec = json_object();
	size_t i;

	json_object_set_new(j, "kind", json_string(sl_kind_name(o->kind)));
	json_object_set_new(j, "name", json_string(o->name));
	switch (o->kind) {
	case SL_KIND_SCHEMALINK: {
		json_t *subj = json_array();

		for (i = 0; i < o->link.subjects.len; i++)
			json_array_append_new(subj, json_string(o->link.subjects.items[i]));
		json_object_set_new(spec, "source", json_string(o->link.source));
		json_object_set_new(spec, "destination", json_string(o->link.destination));
		json_object_set_new(spec, "subjects", subj);
		json_object_set_new(spec, "context", json_string(p->dest_context));
		json_object_set_new(spec, "state", json_string(sl_link_state_name(o->link.state)));
		json_object_set_new(spec, "suspend", json_boolean(o->link.suspend));
		break;
	}
	case SL_KIND_REGISTRY:
		json_object_set_new(spec, "url", json_string(o->registry.url));
		if (o->registry.mode)
			json_object_set_new(
			        spec, "mode", json_string(sl_mode_name(o->registry.mode)));
		if (o->registry.compatibility)
			json_object_set_new(spec, "compatibility",
			        json_string(sl_compat_name(o->registry.compatibility)));
		break;
	case SL_KIND_CONTEXT:
		json_object_set_new(spec, "registry", json_string(o->context.registry));
		json_object_set_new(spec, "context", json_string(o->context.context));
		if (o->context.mode)
			json_object_set_new(
			        spec, "mode", json_string(sl_mode_name(o->context.mode)));
		if (o->context.compatibility)
			json_object_set_new(spec, "compatibility",
			        json_string(sl_compat_name(o->context.compatibility)));
		break;
	default:
		json_object_set_new(spec, "registry", json_string(o->subject.registry));
		json_object_set_new(spec, "subject", json_string(o->subject.subject));
		if (o->subject.mode)
			json_object_set_new(
			        spec, "mode", json_string(sl_mode_name(o->subject.mode)));
		if (o->subject.compatibility)
			json_object_set_new(spec, "compatibility",
			        json_string(sl_compat_name(o->subject.compatibility)));
		break;
	}
	json_object_set_new(j, "spec", spec);
	if (o->kind == SL_KIND_SCHEMALINK) {
		json_t *x = json_object();

		json_object_set_new(x, "exists", json_boolean(p->exporter_exists));
		json_object_set_new(x, "state", json_string(p->exporter_state));
		json_object_set_new(x, "offset", json_integer(p->exporter_offset));
		json_object_set_new(x, "ts", json_integer(p->exporter_ts));
		json_object_set_new(x, "trace", json_string(p->trace_first_line));
		json_object_set_new(j, "exporter", x);
		/* The replication verification of this run: null when it could not be made. */
		json_object_set_new(j, "lag", p->lag >= 0 ? json_integer(p->lag) : json_null());
		json_object_set_new(j, "lagDetail", json_string(p->lag_detail));
	}
	for (i = 0; i < p->live.len; i++)
		json_array_append_new(live, json_string(p->live.items[i]));
	json_object_set_new(j, "live", live);
	json_object_set_new(j, "ready", json_string(sl_cond_status_name(p->ready)));
	json_object_set_new(j, "reason", json_string(p->reason));
	json_object_set_new(j, "message", json_string(p->message));
	if (p->error_code)
		json_object_set_new(j, "errorCode", json_integer(p->error_code));
	json_object_set_new(j, "pendingWrites", json_integer((json_int_t)p->actions.len));
	return j;
}

int slctl_get(const struct slctl_ctx *x)
{
	const char *kind = x->args->items[0];
	const char *name = x->args->len > 1 ? x->args->items[1] : NULL;
	bool wide = x->output && !strcmp(x->output, "wide");
	bool structured = x->output && (!strcmp(x->output, "json") || !strcmp(x->output, "yaml"));
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct table t = {SL_VEC_INIT, 0};
	json_t *arr = json_array();
	bool unreachable = false, found = false;
	size_t i;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, true, true, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (!strncmp(kind, "link", 4))
		wide ? table_row(&t, 12, "NAME", "SOURCE", "DESTINATION", "CONTEXT", "STATE",
		               "OFFSET", "LAG", "READY", "REASON", "SUBJECTS", "DESIRED", "MESSAGE")
		     : table_row(&t, 9, "NAME", "SOURCE", "DESTINATION", "CONTEXT", "STATE",
		               "OFFSET", "LAG", "READY", "REASON");
	else if (!strncmp(kind, "registr", 7))
		table_row(&t, wide ? 7 : 6, "NAME", "URL", "MODE", "COMPATIBILITY", "READY",
		        "REASON", "MESSAGE");
	else
		table_row(&t, wide ? 8 : 7, "NAME", "REGISTRY",
		        !strncmp(kind, "context", 7) ? "CONTEXT" : "SUBJECT", "MODE",
		        "COMPATIBILITY", "READY", "REASON", "MESSAGE");
	sl_engine_begin_pass(e);
	verify_links(e, snap, kind);
	for (i = 0; i < sl_snapshot_count(snap); i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);
		struct sl_plan *p = NULL;
		struct sl_error err = SL_ERROR_INIT;
		char off[32], lag[32], m[64], c[64], subj[512];
		const char *ready;

		if (!slctl_want_kind(o, kind) || (name && strcmp(name, o->name)))
			continue;
		found = true;
		if (sl_engine_plan(e, snap, o->key, &p, &err) < 0) {
			fprintf(stderr, "slctl: get: %s\n", err.msg);
			continue;
		}
		if (p->unreachable && !unreachable) {
			fprintf(stderr, "slctl: %s\n", p->message);
			unreachable = true;
		}
		ready = sl_cond_status_name(p->ready);
		if (structured) {
			json_array_append_new(arr, object_json(o, p));
		} else if (o->kind == SL_KIND_SCHEMALINK) {
			struct sl_buf sb = SL_BUF_INIT;

			snprintf(off, sizeof(off), "%lld", (long long)p->exporter_offset);
			snprintf(lag, sizeof(lag), "%d", p->lag);
			for (size_t k = 0; k < o->link.subjects.len; k++)
				sl_buf_addf(&sb, "%s%s", k ? "," : "",
				        (char *)o->link.subjects.items[k]);
			snprintf(subj, sizeof(subj), "%s", sb.data);
			sl_buf_release(&sb);
			if (wide)
				table_row(&t, 12, o->name, o->link.source, o->link.destination,
				        p->dest_context,
				        p->exporter_exists ? p->exporter_state : "<none>",
				        p->exporter_exists && p->exporter_offset >= 0 ? off : "-",
				        p->lag >= 0 ? lag : "-", ready, p->reason, subj,
				        sl_link_state_name(o->link.state),
				        p->ready == SL_COND_TRUE ? "" : p->message);
			else
				table_row(&t, 9, o->name, o->link.source, o->link.destination,
				        p->dest_context,
				        p->exporter_exists ? p->exporter_state : "<none>",
				        p->exporter_exists && p->exporter_offset >= 0 ? off : "-",
				        p->lag >= 0 ? lag : "-", ready, p->reason);
		} else {
			const char *reg = o->kind == SL_KIND_REGISTRY  ? o->registry.url
			                  : o->kind == SL_KIND_CONTEXT ? o->context.registry
			                                               : o->subject.registry;

			live_value(p, "mode: ", m, sizeof(m));
			live_value(p, "compatibility: ", c, sizeof(c));
			if (o->kind == SL_KIND_REGISTRY)
				table_row(&t, wide ? 7 : 6, o->name, reg, m, c, ready, p->reason,
				        p->message);
			else
				table_row(&t, wide ? 8 : 7, o->name, reg,
				        o->kind == SL_KIND_CONTEXT ? o->context.context
				                                   : o->subject.subject,
				        m, c, ready, p->reason, p->message);
		}
		sl_plan_free(p);
	}
	(void)sl_engine_end_pass(e, NULL); /* read-only state: nothing to save */
	if (name && !found) {
		fprintf(stderr, "slctl: get: no %s named \"%s\" in the manifests\n", kind, name);
		rc = SLCTL_EXIT_FAIL;
		goto out;
	}
	if (structured)
		slctl_emit_json(arr, x->output);
	else
		table_print(&t);
	rc = unreachable ? SLCTL_EXIT_UNREACHABLE : SLCTL_EXIT_OK;
out:
	table_release(&t);
	json_decref(arr);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}

/* ---- describe ---------------------------------------------------------------------------- */

static enum sl_kind kind_of(const char *k)
{
	if (!strncmp(k, "link", 4) || !strcmp(k, "schemalink"))
		return SL_KIND_SCHEMALINK;
	if (!strncmp(k, "context", 7))
		return SL_KIND_CONTEXT;
	if (!strncmp(k, "subject", 7))
		return SL_KIND_SUBJECT;
	return SL_KIND_REGISTRY;
}

int slctl_describe(const struct slctl_ctx *x)
{
	const char *kind = x->args->items[0], *name = x->args->items[1];
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_plan *p = NULL;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_object_status last;
	const struct sl_object *o;
	struct sl_buf b = SL_BUF_INIT;
	char ts[40];
	size_t i;
	int rc;

	if (strncmp(kind, "link", 4) && strncmp(kind, "context", 7) &&
	        strncmp(kind, "subject", 7) && strncmp(kind, "registr", 7)) {
		fprintf(stderr,
		        "slctl: describe: unknown kind \"%s\" (link, context, subject, "
		        "registry)\n",
		        kind);
		return SLCTL_EXIT_USAGE;
	}
	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	o = sl_snapshot_get(snap, kind_of(kind), name);
	if (o == NULL) {
		fprintf(stderr, "slctl: describe: no %s named \"%s\" in the manifests\n", kind,
		        name);
		rc = SLCTL_EXIT_FAIL;
		goto out;
	}
	if ((e = slctl_engine(x, true, true, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (o->kind == SL_KIND_SCHEMALINK)
		verify_links(e, snap, NULL);
	if (sl_engine_plan(e, snap, o->key, &p, &err) < 0) {
		fprintf(stderr, "slctl: describe: %s\n", err.msg);
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	printf("Name:        %s\nKind:        %s\nManifest:    %s:%d\nGeneration:  %.12s\n",
	        o->name, sl_kind_name(o->kind), o->file, o->line, o->spec_hash);
	printf("Spec:\n");
	if (o->kind == SL_KIND_SCHEMALINK) {
		const struct sl_link_spec *l = &o->link;

		printf("  source:           %s\n  destination:      %s\n  subjects:         ",
		        l->source, l->destination);
		for (i = 0; i < l->subjects.len; i++)
			printf("%s\"%s\"", i ? ", " : "[", (char *)l->subjects.items[i]);
		printf("]\n  context:          %s%s%s (writes to %s)\n",
		        sl_context_type_name(l->context_type), l->context_name ? " " : "",
		        l->context_name ? l->context_name : "", p->dest_context);
		printf("  state:            %s\n  suspend:          %s\n  destinationMode:  %s\n",
		        sl_link_state_name(l->state), l->suspend ? "true" : "false",
		        sl_dest_mode_name(l->destination_mode));
		printf("  selfHeal:         enabled=%s forceImport=%s maxAttemptsPerHour=%d\n",
		        l->self_heal_enabled ? "true" : "false", l->force_import ? "true" : "false",
		        l->max_attempts_per_hour);
		printf("Live exporter:\n");
		if (!p->exporter_exists) {
			printf("  (none on %s)\n", l->source);
		} else {
			printf("  info:    %s\n", p->live_info ? p->live_info : "{}");
			printf("  state:   %s\n  offset:  %lld\n", p->exporter_state,
			        (long long)p->exporter_offset);
			if (p->exporter_ts > 0)
				printf("  ts:      %s\n",
				        sl_clock_format_rfc3339(p->exporter_ts, ts, sizeof(ts)));
			printf("  trace:   %s\n",
			        p->trace_first_line[0] ? p->trace_first_line : "(empty)");
		}
	} else {
		printf("  registry:         %s\n", o->kind == SL_KIND_REGISTRY ? o->name
		                                   : o->kind == SL_KIND_CONTEXT
		                                           ? o->context.registry
		                                           : o->subject.registry);
		if (o->kind == SL_KIND_CONTEXT)
			printf("  context:          %s\n", o->context.context);
		if (o->kind == SL_KIND_SUBJECT)
			printf("  subject:          %s\n", o->subject.subject);
	}
	if (o->kind == SL_KIND_SCHEMALINK) {
		printf("Replication:\n");
		if (p->lag < 0)
			printf("  not verified: %s\n",
			        p->lag_detail[0] ? p->lag_detail : "unknown");
		else if (p->lag == 0)
			printf("  complete: every version the filter selects is on %s\n",
			        o->link.destination);
		else
			printf("  %d version%s missing on %s: %s\n", p->lag, p->lag == 1 ? "" : "s",
			        o->link.destination, p->lag_detail);
	}
	if (p->live.len) {
		printf("Live settings:\n");
		for (i = 0; i < p->live.len; i++)
			printf("  %s\n", (char *)p->live.items[i]);
	}
	printf("Conditions:\n");
	printf("  Ready:        %s  %s  %s", sl_cond_status_name(p->ready), p->reason, p->message);
	if (p->error_code)
		printf(" (error code %d)", p->error_code);
	printf("\n  Reconciling:  %s\n  Stalled:      %s%s%s\n",
	        p->result == SL_RESULT_REQUEUE_AFTER || p->actions.len ? "True" : "False",
	        p->stalled ? "True  " : "False", p->stalled ? p->reason : "", "");
	if (p->fix[0] && p->ready != SL_COND_TRUE)
		printf("Suggested fix:\n  %s\n", p->fix);
	sl_plan_format(p, &b);
	printf("Planned changes:\n%s", b.len ? b.data : "  none\n");
	printf("Heal history:\n");
	if (sl_engine_last_status(e, o->key, &last) && last.n_history) {
		for (i = 0; i < (size_t)last.n_history; i++)
			printf("  %s  %s  %s\n",
			        sl_clock_format_rfc3339(last.history[i].at_ms, ts, sizeof(ts)),
			        last.history[i].reason, last.history[i].action);
	} else {
		printf("  none recorded in this state dir\n");
	}
	rc = p->unreachable ? SLCTL_EXIT_UNREACHABLE : SLCTL_EXIT_OK;
	if (p->unreachable)
		fprintf(stderr, "slctl: %s\n", p->message);
out:
	sl_buf_release(&b);
	sl_plan_free(p);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
