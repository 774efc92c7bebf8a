/* setup.c — what every engine command of slctl shares: loading the manifests, naming
 * the manifest set, opening the engine on the state dir, printing plans. */
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

/* The state dir, owned; NULL when out of memory. */
static char *state_dir_default(const struct slctl_ctx *x)
{
	const char *v;
	struct sl_buf b = SL_BUF_INIT;
	int rc;

	if (x->state_dir)
		return strdup(x->state_dir);
	if ((v = getenv("SLCTL_STATE_DIR")) && *v)
		return strdup(v);
	if ((v = getenv("XDG_STATE_HOME")) && *v)
		rc = sl_buf_addf(&b, "%s/schemalink", v);
	else
		rc = sl_buf_addf(
		        &b, "%s/.local/state/schemalink", getenv("HOME") ? getenv("HOME") : ".");
	return rc == 0 ? sl_buf_detach(&b) : NULL;
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

	/* Never NULL here: an engine without a state dir keeps its inventory in memory, and
	 * what it does would be forgotten (the exporters it creates never owned). */
	if (dir == NULL) {
		fprintf(stderr, "slctl: %s: out of memory\n", x->command);
		goto out;
	}
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

bool slctl_want_kind(const struct sl_object *o, const char *kind)
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

void slctl_print_stalled(const struct sl_plan *p)
{
	fprintf(stderr, "! %s: stalled: %s", p->key, p->reason);
	if (p->error_code)
		fprintf(stderr, " (error code %d)", p->error_code);
	fprintf(stderr, ": %s\n", p->message);
	if (p->fix[0])
		fprintf(stderr, "    fix: %s\n", p->fix);
}

void slctl_emit_json(json_t *j, const char *format)
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
int slctl_collect_keys(
        struct sl_engine *e, const struct sl_snapshot *snap, bool prune, struct sl_vec *keys)
{
	struct sl_error err = SL_ERROR_INIT;

	if (sl_engine_pass_order(snap, keys) < 0)
		return SL_ENOMEM;
	if (prune && sl_engine_orphans(e, snap, keys, &err) < 0)
		return err.code;
	return 0;
}
