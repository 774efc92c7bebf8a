/* reconcile.c — the workers: one key reconciled through the engine, its result turned into
 * status, conditions, metrics and logs; resync passes. */
#include "controller_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/httpd.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/sdnotify.h"
#include "schemalink/strmap.h"
#include "schemalink/throttle.h"
#include "schemalink/vec.h"
#include "schemalink/watch.h"

/* ---- results ----------------------------------------------------------------------------- */

static void log_transitions(const struct sl_object_status *st, const struct sl_status_change *chg)
{
	int i;

	for (i = 0; i < chg->n; i++) {
		const struct sl_status_transition *t = &chg->t[i];
		const struct sl_condition *cd = &st->cond[t->type];
		struct sl_log_fields f = {st->key, cd->reason[0] ? cd->reason : NULL, 0};
		enum sl_log_level lvl = SL_LOG_INFO;

		if ((t->type == SL_COND_READY && t->to == SL_COND_FALSE) ||
		        (t->type == SL_COND_STALLED && t->to == SL_COND_TRUE))
			lvl = SL_LOG_WARN;
		const char *sep = cd->message[0] ? ": " : "";

		if (t->reason_changed)
			sl_log(lvl, &f, "%s %s, reason now %s%s%s", sl_cond_type_name(t->type),
			        sl_cond_status_name(t->to), cd->reason, sep, cd->message);
		else
			sl_log(lvl, &f, "%s %s -> %s%s%s", sl_cond_type_name(t->type),
			        sl_cond_status_name(t->from), sl_cond_status_name(t->to), sep,
			        cd->message);
	}
}

static bool is_conn_failure(int rc, const struct sl_error *err, const struct sl_reconcile_result *r)
{
	if (rc < 0)
		return err->code == SL_ECONN || err->code == SL_ETIMEOUT;
	return strcmp(r->status.cond[SL_COND_READY].reason, SL_REASON_REGISTRY_UNREACHABLE) == 0;
}

/* Turns a failure outside the object (negative return) into a status a person can read. */
static void failure_status(struct sl_reconcile_result *r, const char *key, const char *gen,
        const struct sl_error *err, bool conn, int64_t now)
{
	const char *reason = conn ? SL_REASON_REGISTRY_UNREACHABLE : "ReconcileError";
	const char *msg = err->msg[0] ? err->msg : sl_code_name(err->code);

	memset(r, 0, sizeof(*r));
	r->result = SL_RESULT_RETRY;
	snprintf(r->status.key, sizeof(r->status.key), "%s", key);
	sl_status_set_condition(&r->status, SL_COND_READY, SL_COND_FALSE, reason, msg,
	        err->registry_code, gen, now);
	sl_status_set_condition(&r->status, SL_COND_RECONCILING, SL_COND_TRUE, reason,
	        "retrying with backoff", 0, gen, now);
	sl_status_set_condition(
	        &r->status, SL_COND_STALLED, SL_COND_FALSE, reason, "", 0, gen, now);
}

static void link_metrics(
        struct sl_controller *c, const char *link, const struct sl_object_status *st)
{
	static const char *const states[] = {"STARTING", "RUNNING", "PAUSED"};
	size_t i;
	bool known = false;

	if (st->exporter_state[0] == '\0')
		return;
	/* Unchanged state (the common case of a resync): only the offset may have moved. The
	 * full rewrite below scans every series of the family, once per link. */
	{
		const char *v[] = {link, st->exporter_state};
		const char *v1[] = {link};

		if (sl_metrics_value(c->m, M_EXPORTER_STATE, v) == 1) {
			sl_metrics_set(c->m, M_EXPORTER_OFFSET, v1, (double)st->exporter_offset);
			return;
		}
	}
	sl_metrics_remove_prefix(c->m, M_EXPORTER_STATE, link);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		const char *v[] = {link, states[i]};
		bool on = strcmp(st->exporter_state, states[i]) == 0;

		known |= on;
		sl_metrics_set(c->m, M_EXPORTER_STATE, v, on ? 1 : 0);
	}
	if (!known) {
		const char *v[] = {link, st->exporter_state};

		sl_metrics_set(c->m, M_EXPORTER_STATE, v, 1);
	}
	{
		const char *v[] = {link};

		sl_metrics_set(c->m, M_EXPORTER_OFFSET, v, (double)st->exporter_offset);
	}
}

/* docs/internals/operations.md: "a repeating error is logged once per minute with a count". A failure that
 * changed a condition was just logged by log_transitions; one that repeats an unchanged
 * condition is logged when the throttle allows, saying how often it repeated meanwhile. A
 * success forgets the key, so its next failure is logged at once. */
static void log_repeating(struct sl_controller *c, const char *key,
        const struct sl_reconcile_result *r, bool failed, bool transitions)
{
	const struct sl_condition *cd = &r->status.cond[SL_COND_READY];
	const char *reason = cd->reason[0] ? cd->reason : "Unknown";
	struct sl_log_fields f = {key, reason, sl_queue_failures(c->q, key)};
	uint64_t repeated;
	int64_t since;
	char tail[96] = "";

	if (!failed) {
		sl_throttle_forget(c->thr, key);
		return;
	}
	if (transitions) {
		sl_throttle_logged(c->thr, key, reason);
		return;
	}
	if (!sl_throttle_hit(c->thr, key, reason, &repeated, &since))
		return;
	if (repeated > 0 && since < 2 * SL_THROTTLE_WINDOW_MS)
		snprintf(tail, sizeof(tail), " (repeated %llu time%s in the last minute)",
		        (unsigned long long)repeated, repeated == 1 ? "" : "s");
	else if (repeated > 0)
		snprintf(tail, sizeof(tail), " (repeated %llu time%s in the last %lld minutes)",
		        (unsigned long long)repeated, repeated == 1 ? "" : "s",
		        (long long)(since / 60000));
	sl_log(SL_LOG_WARN, &f, "still failing: %s%s", cd->message[0] ? cd->message : reason, tail);
}

/* Counts the reconcile (by controller and result) and its duration; counts and logs what
 * it healed and the drift it corrected. */
static void record_metrics(struct sl_controller *c, const char *key, const char *ctl,
        const struct sl_reconcile_result *r, int64_t took_us)
{
	const char *result_label, *name;

	switch (r->result) {
	case SL_RESULT_DONE: result_label = "success"; break;
	case SL_RESULT_REQUEUE_AFTER: result_label = "requeue_after"; break;
	case SL_RESULT_RETRY: result_label = "error"; break;
	case SL_RESULT_STALLED: result_label = "stalled"; break;
	default: result_label = "unknown"; break;
	}
	{
		const char *v[] = {ctl, result_label};
		const char *v1[] = {ctl};

		sl_metrics_add(c->m, M_RECONCILE_TOTAL, v, 1);
		if (r->result == SL_RESULT_RETRY)
			sl_metrics_add(c->m, M_RECONCILE_ERRORS, v1, 1);
		sl_metrics_observe(c->m, M_RECONCILE_TIME, v1, (double)took_us / 1e6);
	}
	if (!sl_ctl_key_is(key, "SchemaLink", &name) && !sl_ctl_key_is(key, "Registry", &name) &&
	        !sl_ctl_key_is(key, "Context", &name) && !sl_ctl_key_is(key, "Subject", &name))
		name = key;
	if (r->heals > 0) {
		const char *v[] = {name, r->heal_reason[0] ? r->heal_reason : "Unknown"};
		struct sl_log_fields f = {key, v[1], 0};

		sl_metrics_add(c->m, M_SELF_HEAL, v, r->heals);
		sl_log(SL_LOG_INFO, &f, "healed (%d action%s)", r->heals, r->heals == 1 ? "" : "s");
	}
	if (r->drift_corrections > 0) {
		/* kind is the object kind as manifests spell it ("SchemaLink"), not the
		 * lower-case controller label. */
		char kind[32];
		const char *slash = strchr(key, '/');
		const char *v[] = {kind, r->heal_reason[0] ? r->heal_reason : "Unknown"};
		struct sl_log_fields f = {key, v[1], 0};

		snprintf(kind, sizeof(kind), "%.*s", slash ? (int)(slash - key) : 31, key);
		sl_metrics_add(c->m, M_DRIFT, v, r->drift_corrections);
		sl_log(SL_LOG_INFO, &f, "corrected drift (%d change%s)", r->drift_corrections,
		        r->drift_corrections == 1 ? "" : "s");
	}
}

/* Readiness: remembers when registry name last answered, and whether it was reachable. */
static void remember_registry(struct sl_controller *c, const char *name,
        const struct sl_reconcile_result *r, bool conn_failure)
{
	struct regseen *s = calloc(1, sizeof(*s)), *old = NULL;

	if (s == NULL)
		return;
	s->at_ms = sl_ctl_mono(c);
	s->ok = !conn_failure;
	sl_strlcpy_utf8(s->msg, sizeof(s->msg), r->status.cond[SL_COND_READY].message);
	pthread_mutex_lock(&c->lock);
	if (sl_strmap_set(&c->regs, name, s, (void **)&old) < 0)
		old = s;
	pthread_mutex_unlock(&c->lock);
	free(old);
}

/* Records r's status on the board (chg: what changed). A key gone from the snapshot was
 * pruned or let go: its status and metrics are forgotten. A failure once the shutdown
 * cancelled in-flight calls is the cancel itself: the object keeps the status it had, so
 * the saved file does not claim an error nobody saw. */
static void record_status(struct sl_controller *c, const struct snapref *ref,
        const struct sl_object *obj, const char *key, struct sl_reconcile_result *r,
        bool failed_call, struct sl_status_change *chg)
{
	const char *name;

	snprintf(r->status.key, sizeof(r->status.key), "%s", key);
	r->status.updated_ms = sl_clock_wall_ms(c->clock);
	if (ref != NULL && obj == NULL) {
		if (sl_statusboard_remove(c->board, key)) {
			struct sl_log_fields f = {key, NULL, 0};

			sl_log(SL_LOG_INFO, &f, "no longer declared: status removed");
		}
		if (sl_ctl_key_is(key, "SchemaLink", &name)) {
			const char *v[] = {name};

			sl_metrics_remove_prefix(c->m, M_EXPORTER_STATE, name);
			sl_metrics_remove(c->m, M_EXPORTER_OFFSET, v);
			sl_metrics_remove(c->m, SL_METRIC_LINK_MISSING, v);
			sl_metrics_remove(c->m, SL_METRIC_LINK_VERIFIED, v);
		}
	} else if (failed_call && atomic_load(&c->cancel)) {
		struct sl_log_fields f = {key, NULL, 0};

		sl_log(SL_LOG_DEBUG, &f, "reconcile cancelled by the shutdown");
	} else if (sl_statusboard_update(c->board, &r->status, chg) == 0) {
		log_transitions(&r->status, chg);
		if (sl_ctl_key_is(key, "SchemaLink", &name))
			link_metrics(c, name, &r->status);
	}
}

/* Applies r to the queue as controller.h describes: done and stalled keys are forgotten,
 * requeue-after waits, a retry backs off. */
static void requeue_result(
        struct sl_controller *c, const char *key, const struct sl_reconcile_result *r)
{
	int64_t delay = 0;

	switch (r->result) {
	case SL_RESULT_DONE:
	case SL_RESULT_STALLED: sl_queue_forget(c->q, key); break;
	case SL_RESULT_REQUEUE_AFTER:
		sl_queue_forget(c->q, key);
		sl_queue_add_after(c->q, key, r->requeue_ms > 0 ? r->requeue_ms : 1000);
		break;
	case SL_RESULT_RETRY:
		if (sl_queue_add_rate_limited(c->q, key, &delay) == 0) {
			struct sl_log_fields f = {key, r->status.cond[SL_COND_READY].reason,
			        sl_queue_failures(c->q, key)};

			sl_log(SL_LOG_DEBUG, &f, "retry in %lld ms", (long long)delay);
		}
		break;
	}
}

/* Reconciles key against ref's snapshot and records everything about the result; with
 * requeue, applies the result to the queue as controller.h describes. */
void sl_ctl_process_key(struct sl_controller *c, struct snapref *ref, const char *key, bool requeue,
        struct outcome *oc)
{
	struct sl_reconcile_result *r = calloc(1, sizeof(*r));
	struct sl_error err = SL_ERROR_INIT;
	struct sl_status_change chg = {0};
	const struct sl_object *obj = NULL;
	char ctl[32];
	const char *name, *gen = "";
	int64_t t0, t1;
	bool failed_call;
	int rc;

	memset(oc, 0, sizeof(*oc));
	if (r == NULL) {
		oc->result = SL_RESULT_RETRY;
		oc->failed = true;
		if (requeue)
			sl_queue_add_rate_limited(c->q, key, NULL);
		return;
	}
	if (ref != NULL)
		obj = sl_ctl_snap_find(ref->snap, key);
	if (obj != NULL)
		gen = obj->spec_hash;
	sl_ctl_controller_label(key, ctl, sizeof(ctl));
	/* Durations are measured, not decided on: real time in microseconds. */
	t0 = sl_ctl_real_now_us();
	rc = c->cfg.reconcile(c->cfg.reconcile_cls, ref ? ref->snap : NULL, key, r, &err);
	t1 = sl_ctl_real_now_us();
	oc->conn_failure = is_conn_failure(rc, &err, r);
	if (rc < 0)
		failure_status(r, key, gen, &err, oc->conn_failure, sl_clock_wall_ms(c->clock));
	oc->result = r->result;
	oc->failed = rc < 0 || r->result == SL_RESULT_RETRY || r->result == SL_RESULT_STALLED;
	failed_call = rc < 0 || r->result == SL_RESULT_RETRY;

	record_metrics(c, key, ctl, r, t1 - t0);
	if (sl_ctl_key_is(key, "Registry", &name))
		remember_registry(c, name, r, oc->conn_failure);
	record_status(c, ref, obj, key, r, failed_call, &chg);
	pthread_mutex_lock(&c->lock);
	c->stats.reconciles++;
	pthread_mutex_unlock(&c->lock);
	if (requeue)
		requeue_result(c, key, r);
	/* After the requeue, so the attempt field counts this failure. */
	if (!failed_call || !atomic_load(&c->cancel))
		log_repeating(c, key, r, failed_call, chg.n > 0);
	free(r);
}

void sl_ctl_run_job(struct sl_controller *c, const char *name)
{
	struct sl_vec keys = SL_VEC_INIT;
	struct snapref *ref;
	const char *v[1] = {name};
	size_t i;
	int j, rc = 0;
	bool skip;

	for (j = 0; j < c->njobs && strcmp(c->cfg.jobs[j].name, name) != 0; j++)
		;
	if (j == c->njobs)
		return;
	pthread_mutex_lock(&c->lock);
	skip = c->cfg.jobs[j].skip_in_pass && c->pass_on;
	pthread_mutex_unlock(&c->lock);
	if (skip) {
		sl_metrics_add(c->m, M_JOB_SKIPPED, v, 1);
		goto due;
	}
	ref = sl_ctl_snap_acquire(c);
	if (ref != NULL)
		rc = c->cfg.jobs[j].run(c->cfg.reconcile_cls, ref->snap, &keys);
	sl_ctl_snap_release(c, ref);
	if (rc < 0)
		sl_log(SL_LOG_WARN, NULL, "%s: %s", name, sl_code_name(rc));
	for (i = 0; i < keys.len; i++) {
		struct sl_log_fields f = {keys.items[i], NULL, 0};

		sl_log(SL_LOG_INFO, &f, "%s found a change; reconciling now", name);
		sl_queue_add(c->q, keys.items[i]);
	}
	sl_metrics_add(c->m, M_JOB_RUNS, v, 1);
	if (keys.len > 0)
		sl_metrics_add(c->m, M_JOB_FLAGGED, v, (double)keys.len);
	sl_vec_release(&keys, free);
due:
	pthread_mutex_lock(&c->lock);
	c->job_due[j] = sl_ctl_mono(c) + c->cfg.jobs[j].every_ms;
	pthread_mutex_unlock(&c->lock);
	sl_ctl_wake(c);
}

/* Resync passes (see pass_begin in controller.h). Begin and end run in workers: they take
 * the engine's lock, which a worker stuck in a stalled call holds, and the loop must never
 * wait for that. */
static void pass_maybe_begin(struct sl_controller *c)
{
	bool begin = false;

	if (c->cfg.pass_begin == NULL || !atomic_exchange(&c->pass_want, false))
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->pass_on) {
		c->pass_on = begin = true;
		c->pass_start = sl_ctl_mono(c);
	}
	pthread_mutex_unlock(&c->lock);
	if (begin) {
		struct snapref *ref = sl_ctl_snap_acquire(c);

		c->cfg.pass_begin(c->cfg.reconcile_cls, ref ? ref->snap : NULL);
		sl_ctl_snap_release(c, ref);
	}
}

static void pass_maybe_end(struct sl_controller *c)
{
	struct sl_queue_stats qs;
	bool end = false, idle = false;
	int64_t took = 0;

	if (c->cfg.pass_end == NULL)
		return;
	sl_queue_stats(c->q, &qs);
	pthread_mutex_lock(&c->lock);
	idle = qs.depth == 0 && qs.processing == 0;
	took = sl_ctl_mono(c) - c->pass_start;
	if (c->pass_on && (idle || took >= c->cfg.resync_ms)) {
		c->pass_on = false;
		end = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (!end)
		return;
	c->cfg.pass_end(c->cfg.reconcile_cls);
	/* How long a resync takes is what an operator sizes --resync and the budgets by. */
	sl_log(SL_LOG_INFO, NULL, "resync pass done in %lld ms%s", (long long)took,
	        idle ? "" : " (cut at the resync period, the queue still busy)");
}

int sl_controller_work(struct sl_controller *c, int wait_ms)
{
	struct snapref *ref;
	struct outcome oc;
	char *key = NULL;
	int rc;

	rc = sl_queue_get(c->q, &key, wait_ms);
	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	pass_maybe_begin(c);
	if (key[0] == '@') {
		sl_ctl_run_job(c, key + 1);
	} else {
		ref = sl_ctl_snap_acquire(c);
		sl_ctl_process_key(c, ref, key, true, &oc);
		sl_ctl_snap_release(c, ref);
	}
	sl_queue_done(c->q, key);
	free(key);
	pass_maybe_end(c);
	sl_ctl_wake(c);
	return 1;
}

void *sl_ctl_worker_main(void *arg)
{
	struct sl_controller *c = arg;

	/* No timeout: an idle worker sleeps until a key is ready, a delayed one is due or the
	 * queue is shut down (drain and sl_controller_free do that after setting stop_req), not
	 * waking every second to look at stop_req. */
	while (atomic_load(&c->stop_req) == 0)
		if (sl_controller_work(c, -1) < 0)
			break;
	pthread_mutex_lock(&c->lock);
	c->running--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	sl_ctl_wake(c);
	return NULL;
}
