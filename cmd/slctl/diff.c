/* diff.c — `slctl diff`: the plan of every object against live state, and what a prune
 * would delete; exit 1 when anything would change. */
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
	slctl_collect_keys(e, snap, true, &keys);
	if (x->prune)
		prune_ok = sl_engine_prune_allowed(e, snap, why, sizeof(why));
	sl_engine_begin_pass(e);
	(void)sl_engine_pass_keys(e, &keys); /* only a saving: without it, read when needed */
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
			slctl_print_stalled(p);
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
		slctl_emit_json(arr, x->output);
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
