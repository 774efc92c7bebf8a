/*
 * exporter.c — srlite's set of exporters (see exporter.h): the table of exporters, its life
 * (new, replay, start, free) and the state changes (create, pause, resume, reset, update,
 * delete), each made durable by a journal record. An exporter's definition and its JSON forms
 * live in exporter_spec.c, the REST endpoints in exporter_api.c, the export engine (the worker
 * threads) in exporter_worker.c; they share the structures of exporter_int.h.
 *
 * Locking: x->jmu orders journal writes (taken first, held across "snapshot under x->mu,
 * append, fsync", so records reach the journal in the order their snapshots were taken);
 * x->mu guards everything else. Threads are joined with neither held.
 */
#include "schemalink/exporter.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "exporter_int.h"

/* ---------- the set ---------- */

void sl_xp_exporter_free(struct xp_exporter *e)
{
	if (e == NULL)
		return;
	free(e->name);
	sl_xp_spec_release(&e->spec);
	free(e->trace);
	free(e);
}

struct xp_exporter *sl_xp_exporter_new(struct sl_exporters *x, const char *name)
{
	struct xp_exporter *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->set = x;
	e->name = strdup(name);
	sl_strmap_init(&e->spec.config);
	e->offset = -1;
	e->state = XP_STARTING;
	atomic_init(&e->gen, 0);
	if (e->name == NULL) {
		sl_xp_exporter_free(e);
		return NULL;
	}
	return e;
}

/* Index of name in x->list, or -1. Caller holds x->mu. */
long sl_xp_find(const struct sl_exporters *x, const char *name)
{
	for (size_t i = 0; i < x->list.len; i++) {
		const struct xp_exporter *e = x->list.items[i];

		if (strcmp(e->name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Inserts e keeping name order. Caller holds x->mu. */
static int insert(struct sl_exporters *x, struct xp_exporter *e)
{
	size_t pos;

	if (sl_vec_push(&x->list, e) != 0)
		return SL_ENOMEM;
	for (pos = x->list.len - 1; pos > 0; pos--) {
		struct xp_exporter *prev = x->list.items[pos - 1];

		if (strcmp(prev->name, e->name) < 0)
			break;
		x->list.items[pos] = prev;
	}
	x->list.items[pos] = e;
	return 0;
}

struct sl_exporters *sl_exporters_new(struct sl_store *store, enum sl_wildcard_scope wildcard)
{
	struct sl_exporters *x = calloc(1, sizeof(*x));
	pthread_condattr_t ca;

	if (x == NULL)
		return NULL;
	x->store = store;
	x->wildcard = wildcard;
	x->max = SL_EXPORTERS_DEFAULT_MAX;
	sl_vec_init(&x->list);
	pthread_mutex_init(&x->mu, NULL);
	pthread_mutex_init(&x->jmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&x->stopping, false);
	return x;
}

int sl_exporters_set_max(struct sl_exporters *x, size_t max, struct sl_error *err)
{
	if (max < 1 || max > SL_EXPORTERS_LIMIT_MAX)
		return sl_error_set(err, SL_EINVAL, "exporter limit %zu is not in 1-%d", max,
		        SL_EXPORTERS_LIMIT_MAX);
	pthread_mutex_lock(&x->mu);
	x->max = max;
	pthread_mutex_unlock(&x->mu);
	return 0;
}

int sl_exporters_replay(struct sl_exporters *x, const char *rec, size_t len, struct sl_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(rec, len, 0, &jerr), *v;
	struct xp_exporter *e = NULL;
	const char *op = NULL, *name = NULL, *state = NULL;
	long idx;
	int rc = 0;

	if (o == NULL || json_unpack(o, "{s:s}", "op", &op) != 0) {
		rc = sl_error_set(err, SL_EUNSUP, "not an exporter record");
		goto out;
	}
	if (strcmp(op, "exporter_delete") == 0) {
		if (json_unpack(o, "{s:s}", "name", &name) != 0) {
			rc = sl_error_set(err, SL_EINVAL, "bad exporter_delete record");
			goto out;
		}
		idx = sl_xp_find(x, name);
		if (idx >= 0)
			sl_xp_exporter_free(sl_vec_remove(&x->list, (size_t)idx));
		goto out;
	}
	if (strcmp(op, "exporter") != 0) {
		rc = sl_error_set(err, SL_EUNSUP, "unknown journal op \"%s\"", op);
		goto out;
	}
	if (json_unpack(o, "{s:s, s:s}", "name", &name, "state", &state) != 0 ||
	        (e = sl_xp_exporter_new(x, name)) == NULL ||
	        sl_xp_parse_state(state, &e->state) != 0 ||
	        sl_xp_spec_apply_json(o, &e->spec, true, err) != 0) {
		rc = sl_error_set(err, SL_EINVAL, "bad exporter record");
		goto out;
	}
	v = json_object_get(o, "offset");
	e->offset = json_is_integer(v) ? json_integer_value(v) : -1;
	v = json_object_get(o, "ts");
	e->ts = json_is_integer(v) ? json_integer_value(v) : 0;
	v = json_object_get(o, "trace");
	if (json_is_string(v) && json_string_length(v) > 0 &&
	        (e->trace = strdup(json_string_value(v))) == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	e->modes_done = json_is_true(json_object_get(o, "modesDone"));
	/* A RUNNING exporter restarts as STARTING and goes RUNNING from its offset. */
	if (e->state == XP_RUNNING)
		e->state = XP_STARTING;
	idx = sl_xp_find(x, name);
	if (idx >= 0)
		sl_xp_exporter_free(sl_vec_remove(&x->list, (size_t)idx));
	if (insert(x, e) != 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	e = NULL;
out:
	sl_xp_exporter_free(e);
	json_decref(o);
	return rc;
}

/* Starts e's worker, or pauses e with a trace when no thread can be made. Caller holds
 * x->mu and x->started is true. */
static void spawn(struct sl_exporters *x, struct xp_exporter *e)
{
	pthread_attr_t attr;

	if (e->thread_started)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)1 << 20);
	if (pthread_create(&e->thread, &attr, sl_xp_worker_main, e) == 0) {
		e->thread_started = true;
	} else if (e->state != XP_PAUSED) {
		e->state = XP_PAUSED;
		free(e->trace);
		e->trace = strdup("java.lang.OutOfMemoryError: unable to create native thread");
		e->ts = sl_xp_now_ms();
	}
	pthread_attr_destroy(&attr);
	(void)x;
}

int sl_exporters_start(struct sl_exporters *x, const char *cluster_id, struct sl_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&x->mu);
	free(x->cluster_id);
	x->cluster_id = strdup(cluster_id);
	x->log_count = sl_store_changes_count(x->store);
	if (x->cluster_id == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	} else if (pthread_create(&x->dispatcher, NULL, sl_xp_dispatcher_main, x) != 0) {
		rc = sl_error_set(err, SL_EIO, "cannot start the exporters' dispatcher thread");
	} else {
		x->dispatcher_started = true;
		x->started = true;
		for (size_t i = 0; i < x->list.len; i++)
			spawn(x, x->list.items[i]);
	}
	pthread_mutex_unlock(&x->mu);
	return rc;
}

void sl_exporters_free(struct sl_exporters *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	atomic_store(&x->stopping, true);
	for (size_t i = 0; i < x->list.len; i++) {
		struct xp_exporter *e = x->list.items[i];

		atomic_fetch_add(&e->gen, 1);
	}
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	sl_store_changes_wake(x->store);
	if (x->dispatcher_started)
		pthread_join(x->dispatcher, NULL);
	for (size_t i = 0; i < x->list.len; i++) {
		struct xp_exporter *e = x->list.items[i];

		if (e->thread_started)
			pthread_join(e->thread, NULL);
		sl_xp_exporter_free(e);
	}
	sl_vec_release(&x->list, NULL);
	free(x->cluster_id);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	pthread_mutex_destroy(&x->jmu);
	free(x);
}

/* ---------- state changes ---------- */

/* Appends rec (taken) to the journal. Caller holds x->jmu, not x->mu. */
int sl_xp_journal(struct sl_exporters *x, char *rec, struct sl_error *err)
{
	int rc;

	if (rec == NULL)
		return sl_registry_error(err, 50001, "Error in the backend data store");
	rc = sl_store_journal_extra(x->store, rec, strlen(rec), err);
	free(rec);
	return rc;
}

/* Adds e (taken when this returns 0) to x and journals it: 40960 when its name is taken, 40964
 * when x holds x->max exporters already. Starts its worker when x is started. */
int sl_xp_add(struct sl_exporters *x, struct xp_exporter *e, struct sl_error *err)
{
	char *rec = NULL;
	bool added = false;

	sl_error_clear(err);
	pthread_mutex_lock(&x->jmu);
	pthread_mutex_lock(&x->mu);
	if (sl_xp_find(x, e->name) >= 0)
		sl_registry_error(err, 40960, "Exporter %s already exists.", e->name);
	else if (x->list.len >= x->max)
		sl_registry_error(
		        err, 40964, "Too many exporters: at most %zu are allowed.", x->max);
	else
		rec = sl_xp_record(e);
	pthread_mutex_unlock(&x->mu);
	if (err->code == 0 && sl_xp_journal(x, rec, err) == 0) {
		pthread_mutex_lock(&x->mu);
		if (insert(x, e) != 0) {
			sl_registry_error(err, 50001, "Error in the backend data store");
		} else {
			if (x->started)
				spawn(x, e);
			added = true;
		}
		pthread_mutex_unlock(&x->mu);
	}
	pthread_mutex_unlock(&x->jmu);
	if (added)
		return 0;
	return err->code != 0 ? err->code : SL_EIO;
}

static char *delete_record(const char *name)
{
	json_t *o = json_pack("{s:s, s:s}", "op", "exporter_delete", "name", name);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

/* pause, resume, reset, update, config update and delete: §8's preconditions, the change,
 * its journal record, and for delete the worker's end. */
int sl_xp_change(struct sl_exporters *x, const char *name, enum xp_action act, json_t *body,
        struct sl_error *err)
{
	struct xp_spec next;
	struct xp_exporter *e = NULL, *gone = NULL;
	char *rec = NULL;
	long idx;

	sl_error_clear(err);
	memset(&next, 0, sizeof(next));
	pthread_mutex_lock(&x->jmu);
	pthread_mutex_lock(&x->mu);
	idx = sl_xp_find(x, name);
	if (idx < 0) {
		sl_registry_error(err, 40450, "Exporter %.300s not found.", name);
		goto unlock;
	}
	e = x->list.items[idx];
	switch (act) {
	case XP_ACT_PAUSE:
		if (e->state != XP_PAUSED) {
			e->state = XP_PAUSED;
			atomic_fetch_add(&e->gen, 1);
			rec = sl_xp_record(e);
		}
		break;
	case XP_ACT_RESUME:
		if (e->state != XP_PAUSED) {
			sl_registry_error(err, 40961, "Exporter %s is already running.", name);
			break;
		}
		e->state = XP_STARTING;
		free(e->trace);
		e->trace = NULL;
		atomic_fetch_add(&e->gen, 1);
		if (x->started)
			spawn(x, e);
		rec = sl_xp_record(e);
		break;
	case XP_ACT_RESET:
	case XP_ACT_UPDATE:
	case XP_ACT_CONFIG:
	case XP_ACT_DELETE:
		if (e->state != XP_PAUSED) {
			sl_registry_error(err, 40963, "Exporter %s is not paused.", name);
			break;
		}
		if (act == XP_ACT_RESET) {
			e->offset = -1;
			e->offset_gen++;
			free(e->trace);
			e->trace = NULL;
			rec = sl_xp_record(e);
		} else if (act == XP_ACT_DELETE) {
			gone = sl_vec_remove(&x->list, (size_t)idx);
			gone->deleted = true;
			atomic_fetch_add(&gone->gen, 1);
			rec = delete_record(name);
		} else {
			if (sl_xp_spec_copy(&next, &e->spec) != 0) {
				sl_registry_error(err, 50001, "Error in the backend data store");
				break;
			}
			if (act == XP_ACT_CONFIG
			                ? sl_xp_config_from_json(body, &next, err) != 0
			                : sl_xp_spec_apply_json(body, &next, false, err) != 0)
				break;
			sl_xp_spec_release(&e->spec);
			e->spec = next;
			memset(&next, 0, sizeof(next));
			e->spec_gen++;
			rec = sl_xp_record(e);
		}
		break;
	}
	pthread_cond_broadcast(&x->cv);
unlock:
	pthread_mutex_unlock(&x->mu);
	if (err->code == 0 && rec != NULL) {
		sl_xp_journal(x, rec, err);
		rec = NULL;
	}
	pthread_mutex_unlock(&x->jmu);
	free(rec);
	sl_xp_spec_release(&next);
	if (gone != NULL) {
		/* Paused, so its worker is idle or abandoning a cancelled call: join it. */
		if (gone->thread_started)
			pthread_join(gone->thread, NULL);
		sl_xp_exporter_free(gone);
	}
	return err->code;
}
