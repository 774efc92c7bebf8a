/* apply.c — `slctl apply`: reconcile every object once (or until Ready with --wait), prune
 * with --prune. */
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
#include "progress.h"
#include "slctl.h"

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
	struct slctl_progress prog;
	char why[512];
	int rc, pass;
	int64_t deadline = sl_clock_mono_ms(sl_clock_system()) + x->timeout_ms;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, x->dry_run, x->dry_run, x->prune)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	slctl_collect_keys(e, snap, x->prune, &keys);
	/* Decided on the set as it is now, before this apply creates anything. */
	if (x->prune && !sl_engine_prune_allowed(e, snap, why, sizeof(why))) {
		fprintf(stderr, "slctl: apply: %s\n", why);
		failed = true;
	}
	refused = failed;
	slctl_progress_init(&prog, (enum slctl_progress_when)x->progress, keys.len);
	for (pass = 0;; pass++) {
		all_ready = true;
		sl_engine_begin_pass(e);
		(void)sl_engine_pass_keys(e, &keys); /* only a saving (read ahead) */
		for (i = 0; i < keys.len; i++) {
			struct sl_reconcile_result r;
			struct sl_error err = SL_ERROR_INIT;
			const struct sl_object *o =
			        sl_strmap_get(&snap->by_key, keys.items[i], NULL);

			if (sl_engine_reconcile(e, snap, keys.items[i], &r, &err) < 0) {
				slctl_progress_clear(&prog);
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
			if (pass == 0 || (x->wait && r.planned)) {
				slctl_progress_clear(&prog);
				print_result(&r, x->dry_run,
				        o && o->kind == SL_KIND_SCHEMALINK && o->link.suspend);
				fflush(stdout);
			}
			if (pass == 0)
				slctl_progress_step(&prog, r.writes);
		}
		slctl_progress_clear(&prog);
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
