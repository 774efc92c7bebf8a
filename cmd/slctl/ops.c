/* ops.c — the slctl commands that talk to registries through the engine (MANIFESTS.md §3):
 * diff, apply, get, describe, delete, pause/resume/reset/promote link. */
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

/* ---- shared setup ------------------------------------------------------------------------ */

static char *state_dir_default(const struct slctl_ctx *x)
{
	const char *v;
	struct sl_buf b = SL_BUF_INIT;

	if (x->state_dir)
		return strdup(x->state_dir);
	if ((v = getenv("SLCTL_STATE_DIR")) && *v)
		return strdup(v);
	if ((v = getenv("XDG_STATE_HOME")) && *v)
		sl_buf_addf(&b, "%s/schemalink", v);
	else
		sl_buf_addf(
		        &b, "%s/.local/state/schemalink", getenv("HOME") ? getenv("HOME") : ".");
	return sl_buf_detach(&b);
}

int slctl_load(const struct slctl_ctx *x, struct sl_snapshot **out)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	const struct sl_diags *d;
	struct sl_buf line = SL_BUF_INIT;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (l == NULL)
		return SLCTL_EXIT_USAGE;
	for (i = 0; i < x->paths->len && rc == 0; i++)
		rc = sl_manifest_add_path(l, x->paths->items[i]);
	if (rc == 0)
		rc = sl_manifest_finish(l, out);
	d = sl_manifest_diags(l);
	for (i = 0; i < d->items.len; i++) {
		sl_buf_reset(&line);
		sl_diag_format(d->items.items[i], &line);
		fprintf(stderr, "%s\n", line.data);
	}
	if (rc == 0 && *out == NULL)
		rc = SL_EINVAL;
	if (rc < 0)
		fprintf(stderr, "slctl: %s: the manifests have errors; nothing was done\n",
		        x->command);
	sl_buf_release(&line);
	sl_manifest_loader_free(l);
	return rc < 0 ? SLCTL_EXIT_USAGE : 0;
}

/* The set x names: --set, or derived from the manifest paths (docs/ownership.md). Writes
 * at most len bytes; returns 0, or prints why and returns -1. */
static int set_name(const struct slctl_ctx *x, char *out, size_t len)
{
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	if (x->set) {
		if (!sl_inventory_set_name_ok(x->set)) {
			fprintf(stderr,
			        "slctl: --set \"%s\": must be 1-63 letters, digits, '-', '_' or "
			        "'.'\n",
			        x->set);
			return -1;
		}
		snprintf(out, len, "%s", x->set);
		return 0;
	}
	for (i = 0; i < x->paths->len; i++)
		if (!strcmp(x->paths->items[i], "-")) {
			fprintf(stderr,
			        "slctl: %s: manifests read from standard input belong to no "
			        "folder; pass --set NAME to say which manifest set they are\n",
			        x->command);
			return -1;
		}
	if (sl_inventory_derive_set(
	            (const char *const *)x->paths->items, x->paths->len, out, len, &err) < 0) {
		fprintf(stderr, "slctl: %s: %s\n", x->command, err.msg);
		return -1;
	}
	return 0;
}

struct sl_engine *slctl_engine(const struct slctl_ctx *x, bool read_only, bool dry_run, bool prune)
{
	struct sl_engine_config cfg = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_engine *e = NULL;
	char *dir = state_dir_default(x), set[80], holder[64], setdir[PATH_MAX];
	struct stat st;

	if (set_name(x, set, sizeof(set)) < 0)
		goto out;
	snprintf(holder, sizeof(holder), "slctl %s", x->command);
	cfg.state_dir = dir;
	cfg.set = set;
	cfg.read_only_state = read_only;
	cfg.dry_run = dry_run;
	cfg.prune = prune;
	cfg.holder = holder;
	cfg.adopt = x->adopt;
	cfg.allow_prune_all = x->allow_prune_all;
	cfg.max_prune = x->max_prune;
	if (x->observed) {
		cfg.transport = slctl_observed_transport;
		cfg.transport_cls = (void *)(uintptr_t)x->observed;
	}
	/* A derived set seen for the first time next to the "default" of an older version:
	 * that state may be these manifests' (never forget what it owns: say so). */
	if (x->set == NULL && dir &&
	        snprintf(setdir, sizeof(setdir), "%s/%s", dir, set) < (int)sizeof(setdir) &&
	        stat(setdir, &st) < 0 && sl_inventory_has_legacy_default(dir))
		fprintf(stderr,
		        "slctl: note: %s holds the set \"default\" of an earlier version, and "
		        "these "
		        "manifests are set \"%s\"; if that state is theirs, pass --set default\n",
		        dir, set);
	e = sl_engine_new(&cfg, &err);
	if (e == NULL)
		fprintf(stderr, "slctl: state dir %s: %s\n", dir ? dir : "?", err.msg);
out:
	free(dir);
	return e;
}

static bool want_kind(const struct sl_object *o, const char *kind)
{
	if (kind == NULL)
		return true;
	switch (o->kind) {
	case SL_KIND_REGISTRY: return !strncmp(kind, "registr", 7);
	case SL_KIND_SCHEMALINK: return !strncmp(kind, "link", 4);
	case SL_KIND_CONTEXT: return !strncmp(kind, "context", 7);
	case SL_KIND_SUBJECT: return !strncmp(kind, "subject", 7);
	default: return false;
	}
}

static void print_stalled(const struct sl_plan *p)
{
	fprintf(stderr, "! %s: stalled: %s", p->key, p->reason);
	if (p->error_code)
		fprintf(stderr, " (error code %d)", p->error_code);
	fprintf(stderr, ": %s\n", p->message);
	if (p->fix[0])
		fprintf(stderr, "    fix: %s\n", p->fix);
}

/* ---- diff -------------------------------------------------------------------------------- */

static json_t *plan_json(const struct sl_plan *p)
{
	static const char *const ops[] = {"none", "create", "update", "delete"};
	json_t *j = json_object(), *ch = json_array(), *ac = json_array();
	size_t i;

	for (i = 0; i < p->changes.len; i++)
		json_array_append_new(ch, json_string(p->changes.items[i]));
	for (i = 0; i < p->actions.len; i++) {
		const struct sl_action *a = p->actions.items[i];
		struct sl_buf b = SL_BUF_INIT;

		sl_action_format(a, &b);
		json_array_append_new(
		        ac, json_pack("{s:s,s:s,s:s,s:s}", "action", sl_action_kind_name(a->kind),
		                    "registry", a->registry, "target", a->target, "text", b.data));
		sl_buf_release(&b);
	}
	json_object_set_new(j, "key", json_string(p->key));
	json_object_set_new(j, "op", json_string(ops[p->op]));
	json_object_set_new(j, "suspended", json_boolean(p->suspended));
	json_object_set_new(j, "changes", ch);
	json_object_set_new(j, "actions", ac);
	json_object_set_new(j, "ready", json_string(sl_cond_status_name(p->ready)));
	json_object_set_new(j, "reason", json_string(p->reason));
	json_object_set_new(j, "message", json_string(p->message));
	json_object_set_new(j, "stalled", json_boolean(p->stalled));
	return j;
}

static void emit_json(json_t *j, const char *format)
{
	char *s;

	if (format && !strcmp(format, "yaml")) {
		struct sl_buf b = SL_BUF_INIT;

		slctl_yaml(j, &b);
		fputs(b.data, stdout);
		sl_buf_release(&b);
		return;
	}
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* The keys a command covers: every declared object in order, then (prune) orphans. */
static int collect_keys(
        struct sl_engine *e, const struct sl_snapshot *snap, bool prune, struct sl_vec *keys)
{
	size_t i;
	struct sl_error err = SL_ERROR_INIT;

	for (i = 0; i < sl_snapshot_count(snap); i++) {
		char *k = strdup(sl_snapshot_at(snap, i)->key);

		if (k == NULL || sl_vec_push(keys, k) < 0) {
			free(k);
			return SL_ENOMEM;
		}
	}
	if (prune && sl_engine_orphans(e, snap, keys, &err) < 0)
		return err.code;
	return 0;
}

int slctl_diff(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_buf out = SL_BUF_INIT;
	json_t *arr = json_array();
	size_t i, creates = 0, updates = 0, deletes = 0, kept = 0;
	bool unreachable = false, error = false, prune_ok = true;
	char why[512] = "";
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	/* diff reads only: the state dir is read, never written. */
	if ((e = slctl_engine(x, true, true, x->prune)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	/* What --prune would delete is shown either way, so a reviewer sees it before anyone
	 * passes the flag; it counts as planned only with --prune. */
	collect_keys(e, snap, true, &keys);
	if (x->prune)
		prune_ok = sl_engine_prune_allowed(e, snap, why, sizeof(why));
	sl_engine_begin_pass(e);
	for (i = 0; i < keys.len; i++) {
		struct sl_plan *p = NULL;
		struct sl_error err = SL_ERROR_INIT;
		bool orphan;

		if (sl_engine_plan(e, snap, keys.items[i], &p, &err) < 0) {
			fprintf(stderr, "slctl: diff: %s\n", err.msg);
			error = true;
			continue;
		}
		if (p->unreachable) {
			if (!unreachable)
				fprintf(stderr, "slctl: %s\n", p->message);
			unreachable = true;
		} else if (p->error) {
			fprintf(stderr, "slctl: %s: %s\n", p->key, p->message);
			error = true;
		} else if (p->actions.len == 0 && p->stalled) {
			print_stalled(p);
		}
		orphan = p->op == SL_PLAN_DELETE && !sl_strmap_get(&snap->by_key, p->key, NULL);
		if (p->actions.len && !p->suspended && (!orphan || (x->prune && prune_ok))) {
			creates += p->op == SL_PLAN_CREATE;
			updates += p->op == SL_PLAN_UPDATE;
			deletes += p->op == SL_PLAN_DELETE;
		} else if (p->actions.len && orphan) {
			kept++;
		}
		if (p->actions.len || x->output) {
			json_t *j = plan_json(p);

			if (orphan && !x->prune)
				json_object_set_new(j, "onlyWithPrune", json_true());
			if (orphan && x->prune && !prune_ok)
				json_object_set_new(j, "pruneRefused", json_true());
			json_array_append_new(arr, j);
		}
		sl_plan_format(p, &out);
		if (orphan && p->actions.len)
			sl_buf_addf(&out, "    (%s)\n",
			        !x->prune ? "not in the manifests: deleted only by 'apply --prune'"
			        : prune_ok
			                ? "not in the manifests: --prune deletes it"
			                : "not in the manifests: the prune is refused, see below");
		sl_plan_free(p);
	}
	(void)sl_engine_end_pass(e, NULL); /* read-only state: nothing to save */
	if (x->output && strcmp(x->output, "text") != 0) {
		emit_json(arr, x->output);
	} else {
		if (out.data)
			fputs(out.data, stdout);
		if (creates + updates + deletes)
			printf("Plan: %zu to create, %zu to change, %zu to delete.\n", creates,
			        updates, deletes);
		if (kept && !x->prune)
			printf("%zu object(s) not in the manifests are kept; 'apply --prune' would "
			       "delete them.\n",
			        kept);
	}
	if (x->prune && !prune_ok && kept)
		fprintf(stderr, "slctl: diff: %s\n", why);
	rc = unreachable                     ? SLCTL_EXIT_UNREACHABLE
	     : error                         ? SLCTL_EXIT_USAGE
	     : creates + updates + deletes   ? SLCTL_EXIT_FAIL
	     : x->prune && !prune_ok && kept ? SLCTL_EXIT_FAIL
	                                     : SLCTL_EXIT_OK;
out:
	json_decref(arr);
	sl_buf_release(&out);
	sl_vec_release(&keys, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}

/* ---- apply ------------------------------------------------------------------------------- */

static const char *verb(const struct sl_reconcile_result *r, bool dry)
{
	if (r->planned == 0)
		return "unchanged";
	switch (r->op) {
	case SL_PLAN_CREATE: return dry ? "would be created" : "created";
	case SL_PLAN_DELETE: return dry ? "would be pruned" : "pruned";
	default: return dry ? "would be configured" : "configured";
	}
}

static void print_result(const struct sl_reconcile_result *r, bool dry, bool suspended)
{
	const struct sl_condition *ready = &r->status.cond[SL_COND_READY];

	if (r->unreachable) {
		fprintf(stderr, "slctl: %s: %s\n", r->status.key, ready->message);
		return;
	}
	if (r->result == SL_RESULT_RETRY) {
		printf("%s: failed\n", r->status.key);
		fprintf(stderr, "slctl: %s: %s\n", r->status.key, ready->message);
		return;
	}
	if (suspended && r->planned) {
		printf("%s: suspended (%d planned write(s) not made)\n", r->status.key, r->planned);
		return;
	}
	if (r->prune_refused) {
		printf("%s: kept (prune refused)\n", r->status.key);
		return;
	}
	if (r->released) {
		/* Nothing to delete: what it held is another set's too (docs/ownership.md). */
		printf("%s: %s\n", r->status.key,
		        dry ? "would be released (another set holds it)"
		            : "released (another set holds it)");
		return;
	}
	printf("%s: %s", r->status.key, verb(r, dry));
	if (r->heals || r->drift_corrections)
		printf(" (%s)", r->heal_reason);
	if (r->result == SL_RESULT_STALLED)
		printf("; stalled: %s", ready->reason);
	printf("\n");
	if (r->result == SL_RESULT_STALLED) {
		fprintf(stderr, "! %s: stalled: %s", r->status.key, ready->reason);
		if (ready->error_code)
			fprintf(stderr, " (error code %d)", ready->error_code);
		fprintf(stderr, ": %s\n", ready->message);
		if (r->status.fix[0])
			fprintf(stderr, "    fix: %s\n", r->status.fix);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int slctl_apply(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_vec keys = SL_VEC_INIT;
	size_t i;
	bool unreachable = false, failed = false, all_ready, refused;
	char why[512];
	int rc, pass;
	int64_t deadline = sl_clock_mono_ms(sl_clock_system()) + x->timeout_ms;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, x->dry_run, x->dry_run, x->prune)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	collect_keys(e, snap, x->prune, &keys);
	/* Decided on the set as it is now, before this apply creates anything. */
	if (x->prune && !sl_engine_prune_allowed(e, snap, why, sizeof(why))) {
		fprintf(stderr, "slctl: apply: %s\n", why);
		failed = true;
	}
	refused = failed;
	for (pass = 0;; pass++) {
		all_ready = true;
		sl_engine_begin_pass(e);
		for (i = 0; i < keys.len; i++) {
			struct sl_reconcile_result r;
			struct sl_error err = SL_ERROR_INIT;
			const struct sl_object *o =
			        sl_strmap_get(&snap->by_key, keys.items[i], NULL);

			if (sl_engine_reconcile(e, snap, keys.items[i], &r, &err) < 0) {
				fprintf(stderr, "slctl: %s: %s\n", (char *)keys.items[i], err.msg);
				failed = true;
				rc = err.code == SL_EIO ? SLCTL_EXIT_USAGE : SLCTL_EXIT_FAIL;
				(void)sl_engine_end_pass(e, NULL); /* already failing */
				goto out;
			}
			if (r.unreachable)
				unreachable = true;
			if (r.result == SL_RESULT_RETRY || r.result == SL_RESULT_STALLED)
				failed = true;
			if (o && r.status.cond[SL_COND_READY].status != SL_COND_TRUE &&
			        !(o->kind == SL_KIND_SCHEMALINK && o->link.suspend))
				all_ready = false;
			if (pass == 0 || (x->wait && r.planned))
				print_result(&r, x->dry_run,
				        o && o->kind == SL_KIND_SCHEMALINK && o->link.suspend);
		}
		{
			struct sl_error err = SL_ERROR_INIT;

			if (sl_engine_end_pass(e, &err) < 0) {
				fprintf(stderr, "slctl: apply: %s\n", err.msg);
				rc = SLCTL_EXIT_USAGE;
				goto out;
			}
		}
		if (!x->wait || x->dry_run || unreachable || all_ready || refused)
			break;
		if (sl_clock_mono_ms(sl_clock_system()) >= deadline) {
			fprintf(stderr, "slctl: apply: not every object is Ready after %lld ms\n",
			        (long long)x->timeout_ms);
			failed = true;
			break;
		}
		if (pass == 0)
			fprintf(stderr, "waiting for every object to be Ready...\n");
		failed = refused; /* judged again by the next pass */
		sleep_ms(500);
	}
	if (x->wait && !x->dry_run && !unreachable && all_ready)
		fprintf(stderr, "every object is Ready\n");
	rc = unreachable ? SLCTL_EXIT_UNREACHABLE : failed ? SLCTL_EXIT_FAIL : SLCTL_EXIT_OK;
out:
	sl_vec_release(&keys, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}

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
		wide ? table_row(&t, 11, "NAME", "SOURCE", "DESTINATION", "CONTEXT", "STATE",
		               "OFFSET", "READY", "REASON", "SUBJECTS", "DESIRED", "MESSAGE")
		     : table_row(&t, 8, "NAME", "SOURCE", "DESTINATION", "CONTEXT", "STATE",
		               "OFFSET", "READY", "REASON");
	else if (!strncmp(kind, "registr", 7))
		table_row(&t, wide ? 7 : 6, "NAME", "URL", "MODE", "COMPATIBILITY", "READY",
		        "REASON", "MESSAGE");
	else
		table_row(&t, wide ? 8 : 7, "NAME", "REGISTRY",
		        !strncmp(kind, "context", 7) ? "CONTEXT" : "SUBJECT", "MODE",
		        "COMPATIBILITY", "READY", "REASON", "MESSAGE");
	sl_engine_begin_pass(e);
	for (i = 0; i < sl_snapshot_count(snap); i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);
		struct sl_plan *p = NULL;
		struct sl_error err = SL_ERROR_INIT;
		char off[32], m[64], c[64], subj[512];
		const char *ready;

		if (!want_kind(o, kind) || (name && strcmp(name, o->name)))
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
			for (size_t k = 0; k < o->link.subjects.len; k++)
				sl_buf_addf(&sb, "%s%s", k ? "," : "",
				        (char *)o->link.subjects.items[k]);
			snprintf(subj, sizeof(subj), "%s", sb.data);
			sl_buf_release(&sb);
			if (wide)
				table_row(&t, 11, o->name, o->link.source, o->link.destination,
				        p->dest_context,
				        p->exporter_exists ? p->exporter_state : "<none>",
				        p->exporter_exists && p->exporter_offset >= 0 ? off : "-",
				        ready, p->reason, subj, sl_link_state_name(o->link.state),
				        p->ready == SL_COND_TRUE ? "" : p->message);
			else
				table_row(&t, 8, o->name, o->link.source, o->link.destination,
				        p->dest_context,
				        p->exporter_exists ? p->exporter_state : "<none>",
				        p->exporter_exists && p->exporter_offset >= 0 ? off : "-",
				        ready, p->reason);
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
		emit_json(arr, x->output);
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

/* ---- delete ------------------------------------------------------------------------------ */

int slctl_delete(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_error oom = SL_ERROR_INIT;
	bool unreachable = false, failed = false;
	size_t i;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, false, false, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (x->args->len == 2) {
		struct sl_buf b = SL_BUF_INIT;
		char *key;

		if (!sl_snapshot_get(snap, SL_KIND_SCHEMALINK, x->args->items[1])) {
			fprintf(stderr, "slctl: delete: no link named \"%s\" in the manifests\n",
			        (char *)x->args->items[1]);
			rc = SLCTL_EXIT_FAIL;
			goto out;
		}
		sl_buf_addf(&b, "SchemaLink/%s", (char *)x->args->items[1]);
		key = sl_buf_detach(&b);
		if (key == NULL || sl_vec_push(&keys, key) < 0) {
			free(key);
			rc = sl_error_set(&oom, SL_ENOMEM, "out of memory");
		}
	} else {
		rc = sl_engine_delete_order(snap, &keys);
	}
	if (rc < 0) {
		fprintf(stderr, "slctl: delete: out of memory\n");
		rc = SLCTL_EXIT_FAIL;
		goto out;
	}
	sl_engine_begin_pass(e);
	for (i = 0; i < keys.len; i++) {
		struct sl_reconcile_result r;
		struct sl_error err = SL_ERROR_INIT;

		if (sl_engine_delete(e, snap, keys.items[i], &r, &err) < 0) {
			fprintf(stderr, "slctl: %s: %s\n", (char *)keys.items[i], err.msg);
			failed = true;
			continue;
		}
		if (r.unreachable) {
			unreachable = true;
			fprintf(stderr, "slctl: %s: %s\n", r.status.key,
			        r.status.cond[SL_COND_READY].message);
		} else if (r.result == SL_RESULT_RETRY) {
			failed = true;
			fprintf(stderr, "slctl: %s: %s\n", r.status.key,
			        r.status.cond[SL_COND_READY].message);
		} else {
			printf("%s: %s\n", (char *)keys.items[i],
			        r.planned ? "deleted"
			                  : "nothing to delete (schemalink changed nothing)");
		}
	}
	{
		struct sl_error err = SL_ERROR_INIT;

		if (sl_engine_end_pass(e, &err) < 0) {
			fprintf(stderr, "slctl: delete: %s\n", err.msg);
			failed = true;
		}
	}
	rc = unreachable ? SLCTL_EXIT_UNREACHABLE : failed ? SLCTL_EXIT_FAIL : SLCTL_EXIT_OK;
out:
	sl_vec_release(&keys, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}

/* ---- pause / resume / reset / promote ---------------------------------------------------- */

static int registry_exit(const struct sl_error *err)
{
	return err->code == SL_ECONN || err->code == SL_ETIMEOUT ? SLCTL_EXIT_UNREACHABLE
	       : err->code == SL_ENOENT                          ? SLCTL_EXIT_USAGE
	                                                         : SLCTL_EXIT_FAIL;
}

int slctl_link_op(const struct slctl_ctx *x)
{
	const char *name = x->args->items[1];
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf warn = SL_BUF_INIT;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, false, false, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (!strcmp(x->command, "promote")) {
		struct sl_buf change = SL_BUF_INIT;

		if (sl_engine_promote(e, snap, name, &change, &err) < 0) {
			fprintf(stderr, "slctl: promote link %s: %s\n", name, err.msg);
			rc = registry_exit(&err);
		} else {
			fputs(change.data, stdout);
			rc = SLCTL_EXIT_OK;
		}
		sl_buf_release(&change);
		goto out;
	}
	if (sl_engine_link_op(e, snap, name,
	            !strcmp(x->command, "pause")    ? SL_LINK_OP_PAUSE
	            : !strcmp(x->command, "resume") ? SL_LINK_OP_RESUME
	                                            : SL_LINK_OP_RESET,
	            &warn, &err) < 0) {
		fprintf(stderr, "slctl: %s link %s: %s\n", x->command, name, err.msg);
		rc = registry_exit(&err);
		goto out;
	}
	printf("link %s: %s\n", name,
	        !strcmp(x->command, "pause")    ? "paused"
	        : !strcmp(x->command, "resume") ? "resumed"
	                                        : "reset");
	if (warn.len)
		fprintf(stderr, "warning: %s\n", warn.data);
	rc = SLCTL_EXIT_OK;
out:
	sl_buf_release(&warn);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
