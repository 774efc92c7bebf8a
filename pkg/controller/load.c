/* load.c — loading the manifest directory into a new snapshot and queueing what changed. */
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

#include "schemalink/engine.h"
#include "schemalink/httpd.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/sdnotify.h"
#include "schemalink/strmap.h"
#include "schemalink/throttle.h"
#include "schemalink/vec.h"
#include "schemalink/watch.h"

/* ---- loading ----------------------------------------------------------------------------- */

static void enqueue_all(struct sl_controller *c, const struct sl_snapshot *s)
{
	struct sl_vec extra = SL_VEC_INIT, keys = SL_VEC_INIT;
	size_t i;

	/* In pass order: a pass that waits on one registry's budget spends the others' too. */
	if (s != NULL && sl_engine_pass_order(s, &keys) < 0) {
		sl_vec_release(&keys, free);
		for (i = 0; i < s->objects.len; i++)
			sl_queue_add(c->q, ((const struct sl_object *)s->objects.items[i])->key);
	}
	for (i = 0; i < keys.len; i++)
		sl_queue_add(c->q, keys.items[i]);
	sl_vec_release(&keys, free);
	/* What the set owns and no longer declares, also after a restart (the old snapshot
	 * that would have named it is gone). */
	if (s != NULL && c->cfg.extra_keys &&
	        c->cfg.extra_keys(c->cfg.reconcile_cls, s, &extra) == 0)
		for (i = 0; i < extra.len; i++)
			sl_queue_add(c->q, extra.items[i]);
	sl_vec_release(&extra, free);
}

void sl_controller_resync(struct sl_controller *c)
{
	struct snapref *ref = sl_ctl_snap_acquire(c);

	if (ref != NULL) {
		atomic_store(&c->pass_want, true);
		enqueue_all(c, ref->snap);
	}
	sl_ctl_snap_release(c, ref);
}

static void describe_failure(
        struct sl_manifest_loader *l, int rc, struct sl_buf *all, char *first, size_t len)
{
	const struct sl_diags *d = sl_manifest_diags(l);
	size_t i, shown = 0;

	if (rc == SL_ENOMEM) {
		sl_buf_adds(all, "out of memory while loading");
	}
	for (i = 0; d != NULL && i < d->items.len; i++) {
		const struct sl_diag *dg = d->items.items[i];

		if (dg->severity != SL_DIAG_ERROR)
			continue;
		if (shown++ < LOAD_DIAGS_LOGGED) {
			if (all->len > 0)
				sl_buf_adds(all, "; ");
			sl_diag_format(dg, all);
		}
	}
	if (d != NULL && d->errors > LOAD_DIAGS_LOGGED)
		sl_buf_addf(all, "; and %zu more", d->errors - LOAD_DIAGS_LOGGED);
	snprintf(first, len, "%zu error%s in the manifests: %s", d ? d->errors : 0,
	        d && d->errors == 1 ? "" : "s", all->data);
}

static void log_warnings(struct sl_manifest_loader *l)
{
	const struct sl_diags *d = sl_manifest_diags(l);
	struct sl_buf line = SL_BUF_INIT;
	size_t i;

	for (i = 0; d != NULL && i < d->items.len; i++) {
		const struct sl_diag *dg = d->items.items[i];

		if (dg->severity != SL_DIAG_WARNING)
			continue;
		sl_buf_reset(&line);
		if (sl_diag_format(dg, &line) == 0)
			sl_log(SL_LOG_WARN, NULL, "manifest %s", line.data);
	}
	sl_buf_release(&line);
}

/* A Registry added, removed or changed (URL, credentials, settings) may change how every
 * object on it is reconciled. */
static bool registries_changed(const struct sl_snapshot *a, const struct sl_snapshot *b)
{
	size_t i, na = 0, nb = 0;

	for (i = 0; i < b->objects.len; i++) {
		const struct sl_object *o = b->objects.items[i];
		const struct sl_object *was;

		if (o->kind != SL_KIND_REGISTRY)
			continue;
		nb++;
		was = sl_ctl_snap_find(a, o->key);
		if (was == NULL || strcmp(was->spec_hash, o->spec_hash) != 0)
			return true;
	}
	for (i = 0; i < a->objects.len; i++)
		if (((const struct sl_object *)a->objects.items[i])->kind == SL_KIND_REGISTRY)
			na++;
	return na != nb;
}

/* Records a load that failed (rc, the loader's diagnostics): the last good snapshot stays;
 * the failure is logged once per distinct content. Returns SL_EINVAL. */
static int load_failed(
        struct sl_controller *c, struct sl_manifest_loader *l, int rc, const char *why)
{
	struct sl_buf all = SL_BUF_INIT;
	char msg[LOAD_MSG_MAX];
	bool repeat;
	const char *v[] = {"error"};

	describe_failure(l, rc, &all, msg, sizeof(msg));
	sl_metrics_add(c->m, M_LOAD_ERRORS, NULL, 1);
	sl_metrics_add(c->m, M_LOADS, v, 1);
	pthread_mutex_lock(&c->lock);
	repeat = !c->load_ok && c->loaded && strcmp(c->last_fail.data, all.data) == 0;
	c->loaded = true;
	c->load_ok = false;
	snprintf(c->load_msg, sizeof(c->load_msg), "%s", msg);
	sl_buf_reset(&c->last_fail);
	sl_buf_adds(&c->last_fail, all.data);
	c->stats.loads_failed++;
	pthread_mutex_unlock(&c->lock);
	/* Logged once: the same broken content found again is not logged again. */
	if (!repeat) {
		struct sl_log_fields f = {NULL, "ManifestsInvalid", 0};

		sl_log(SL_LOG_ERROR, &f,
		        "manifest load (%s) failed, keeping the last good "
		        "snapshot: %s",
		        why, msg);
	}
	sl_ctl_notify(c, "STATUS=manifests invalid; %s",
	        c->cur ? "serving the last good snapshot" : "waiting for a good load");
	sl_buf_release(&all);
	return SL_EINVAL;
}

/* Keeps key for the queue after the changed objects; queued at once when there is no memory
 * to keep it, so nothing that disappeared is forgotten. */
static void keep_gone(struct sl_controller *c, struct sl_vec *gone, const char *key)
{
	if (sl_vec_push(gone, (void *)(uintptr_t)key) < 0)
		sl_queue_add(c->q, key);
}

/* Queues what the new snapshot changed against old (NULL: the first load): everything when
 * forced or when a Registry changed, else only the objects whose spec changed, at the front.
 * What disappeared (from old or from the status board) is queued too, so the reconciler can
 * prune it or let it go. */
static void queue_changes(struct sl_controller *c, const struct snapref *old,
        const struct sl_snapshot *snap, bool force)
{
	struct sl_vec gone = SL_VEC_INIT, board_keys = SL_VEC_INIT;
	int64_t now_wall = sl_clock_wall_ms(c->clock);
	size_t i;

	if (old != NULL)
		for (i = 0; i < old->snap->objects.len; i++) {
			const struct sl_object *o = old->snap->objects.items[i];

			if (sl_ctl_snap_find(snap, o->key) == NULL)
				keep_gone(c, &gone, o->key);
		}
	sl_statusboard_keys(c->board, &board_keys);
	for (i = 0; i < board_keys.len; i++)
		if (sl_ctl_snap_find(snap, board_keys.items[i]) == NULL)
			keep_gone(c, &gone, board_keys.items[i]);
	for (i = 0; i < snap->objects.len; i++) {
		const struct sl_object *o = snap->objects.items[i];

		sl_statusboard_seed(c->board, o->key, o->spec_hash, now_wall);
	}
	if (old == NULL || force || registries_changed(old->snap, snap)) {
		enqueue_all(c, snap);
	} else {
		/* An edit of one link among 1,000 queues that link, at the front: not behind 1,000
		 * keys of a reload or a resync in progress (docs/internals/operations.md: rename -> exporter p99
		 * under 300 ms). What did not change is re-read by the next resync, as drift is. */
		for (i = 0; i < snap->objects.len; i++) {
			const struct sl_object *o = snap->objects.items[i];
			const struct sl_object *was = sl_ctl_snap_find(old->snap, o->key);

			if (was == NULL || strcmp(was->spec_hash, o->spec_hash) != 0)
				sl_queue_add_first(c->q, o->key);
		}
	}
	for (i = 0; i < gone.len; i++)
		sl_queue_add(c->q, gone.items[i]);
	sl_vec_release(&gone, NULL);
	sl_vec_release(&board_keys, free);
}

int sl_controller_load(struct sl_controller *c, const char *why, bool force)
{
	struct sl_manifest_loader *l = NULL;
	struct sl_snapshot *snap = NULL;
	struct snapref *ref = NULL, *old = NULL;
	uint64_t h = sl_manifest_tree_hash(c->manifests);
	const char *v_unchanged[] = {"unchanged"}, *v_success[] = {"success"};
	int rc;

	pthread_mutex_lock(&c->lock);
	if (!force && c->have_hash && c->last_hash == h) {
		c->stats.loads_skipped++;
		pthread_mutex_unlock(&c->lock);
		sl_metrics_add(c->m, M_LOADS, v_unchanged, 1);
		return 0;
	}
	c->last_hash = h;
	c->have_hash = true;
	pthread_mutex_unlock(&c->lock);

	l = sl_manifest_loader_new();
	rc = l == NULL ? SL_ENOMEM : sl_manifest_add_path(l, c->manifests);
	if (rc == 0)
		rc = sl_manifest_finish(l, &snap);
	if (rc < 0 || snap == NULL) {
		rc = load_failed(c, l, rc, why);
		sl_manifest_loader_free(l);
		return rc;
	}
	log_warnings(l);
	/* The diagnostics are given: the positions would only take room for the snapshot's
	 * life. */
	sl_snapshot_drop_positions(snap);
	ref = calloc(1, sizeof(*ref));
	if (ref == NULL) {
		sl_snapshot_free(snap);
		sl_manifest_loader_free(l);
		return SL_ENOMEM;
	}
	ref->snap = snap;
	ref->refs = 1;

	pthread_mutex_lock(&c->lock);
	old = c->cur;
	c->cur = ref;
	ref->gen = ++c->gen;
	c->stats.generation = c->gen;
	c->stats.loads_ok++;
	c->loaded = true;
	c->load_ok = true;
	c->load_msg[0] = '\0';
	sl_buf_reset(&c->last_fail);
	pthread_mutex_unlock(&c->lock);

	queue_changes(c, old, snap, force);
	sl_metrics_set(c->m, M_OBJECTS, NULL, (double)snap->objects.len);
	sl_metrics_add(c->m, M_LOADS, v_success, 1);
	sl_log(SL_LOG_INFO, NULL,
	        "manifests loaded (%s): %zu objects from %zu files, generation %llu", why,
	        snap->objects.len, sl_manifest_files(l), (unsigned long long)ref->gen);
	sl_ctl_notify(c, "STATUS=%zu objects loaded (generation %llu)", snap->objects.len,
	        (unsigned long long)ref->gen);
	sl_ctl_snap_release(c, old);
	sl_manifest_loader_free(l);
	sl_ctl_wake(c);
	return 1;
}
