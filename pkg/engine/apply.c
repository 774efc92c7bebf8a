/* apply.c — applying a plan: each action written ahead to the inventory, run against the
 * registry and settled; status saved; reconcile and delete of one key. */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/json.h"
#include "schemalink/qsubject.h"

/* ---- applying ---------------------------------------------------------------------------- */

static struct reg_client *action_client(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_action *a, struct sl_error *err)
{
	if (a->url[0])
		return sl_eng_client_for_url(e, snap, a->registry, a->url, err);
	return sl_eng_client_for(e, snap, a->registry, err);
}

static int do_create(struct sl_engine *e, struct reg_client *c, const struct want_link *w,
        const char *key, struct sl_error *err)
{
	struct sl_exporter x = SL_EXPORTER_INIT, live = SL_EXPORTER_INIT;
	int rc;

	if ((rc = sl_want_link_exporter(w, &x, err)) < 0)
		goto out;
	e->writes++;
	rc = sl_srclient_exporter_create(c->c, &x, err);
	if (rc >= 0)
		goto out;
	/* docs/internals/operations.md: a create that timed out is followed by a read; "already exists"
	 * (40960) counts as done after comparing. */
	if (err->code == SL_ETIMEOUT || sl_srclient_err_is(err, 40960)) {
		struct sl_error re = SL_ERROR_INIT;
		bool exists_err = sl_srclient_err_is(err, 40960);

		e->reads++;
		if (sl_srclient_exporter_get(c->c, w->obj->name, &live, &re) < 0) {
			if (!exists_err && sl_srclient_err_is(&re, 40450))
				goto out; /* really not created: report the timeout */
			*err = re;
			rc = re.code;
			goto out;
		}
		if (!exists_err ||
		        sl_want_link_matches(w, &live, sl_inventory_object(e->inv, key))) {
			sl_error_clear(err);
			rc = 0;
		} else {
			rc = sl_error_set(err, SL_EEXIST,
			        "exporter \"%s\" already exists on %s with another configuration; "
			        "the "
			        "next pass updates it",
			        w->obj->name, w->obj->link.source);
		}
	}
out:
	sl_exporter_wipe(&x);
	sl_exporter_release(&live);
	return rc < 0 ? rc : 0;
}

static int do_update(
        struct sl_engine *e, struct reg_client *c, const struct want_link *w, struct sl_error *err)
{
	struct sl_exporter x = SL_EXPORTER_INIT;
	int rc = sl_want_link_exporter(w, &x, err);

	if (rc == 0) {
		e->writes++;
		rc = sl_srclient_exporter_update(c->c, w->obj->name, &x, err);
	}
	sl_exporter_wipe(&x);
	return rc < 0 ? rc : 0;
}

/* What write_ahead recorded, to settle once the write's outcome is known. */
struct ahead {
	char type; /* 'o' an exporter create, 's' a scope write, 0 nothing */
	char *id; /* the record's id (owned) */
	bool existed, was_needed, was_pending, was_borrowed;
};

static const char *what_of(const struct sl_action *a)
{
	return a->kind == SL_ACT_CONFIG_SET || a->kind == SL_ACT_CONFIG_DELETE ? "config" : "mode";
}

/* Write-ahead (docs/ownership.md): before a write that makes this set own something, the
 * record is on disk (fsync), marked pending, with the registry's identity. A crash after the
 * write leaves a record the next run settles against the registry; never an orphan. */
static int write_ahead(struct sl_engine *e, const char *key, const struct want_link *w,
        const struct sl_action *a, struct reg_client *c, struct ahead *ah, struct sl_error *err)
{
	bool create = a->kind == SL_ACT_EXPORTER_CREATE && w && w->obj;
	struct sl_inv_where at;
	int rc;

	if ((!create && !a->record_scope) || e->cfg.dry_run || e->cfg.read_only_state)
		return 0;
	if ((rc = sl_engine_identity(e, c, err)) < 0)
		return rc;
	at = sl_eng_where_of(c, a->registry);
	if (create) {
		struct sl_inv_owned *o =
		        sl_inventory_owned(e->inv, c->nurl, c->cluster_id, w->obj->name);

		ah->existed = o != NULL;
		ah->was_pending = o && o->pending;
		o = sl_inventory_own(e->inv, key, w->obj->name, &at, true, false);
		if (o == NULL || !(ah->id = strdup(o->id)))
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		ah->type = 'o';
	} else {
		struct sl_inv_scope *s = sl_inventory_scope(e->inv, c->nurl, what_of(a), a->target);
		const char *val = a->kind == SL_ACT_MODE_SET || a->kind == SL_ACT_CONFIG_SET
		                          ? a->value
		                          : NULL;

		ah->existed = s != NULL;
		ah->was_needed = s && sl_inv_scope_needed_by(s, key);
		ah->was_pending = s && s->pending;
		ah->was_borrowed = s && s->borrowed;
		s = sl_inventory_scope_need(e->inv, &at, what_of(a), a->target, a->had_previous,
		        a->previous, val, key, !ah->existed || ah->was_pending);
		if (s == NULL || !(ah->id = strdup(s->id)))
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		if (s->borrowed) {
			/* Written by this set now: what it replaces is what a delete restores. */
			s->borrowed = false;
			s->had_previous = a->had_previous;
			if (sl_inv_set_str(&s->previous, a->had_previous ? a->previous : NULL) < 0)
				return sl_error_set(err, SL_ENOMEM, "out of memory");
			sl_inventory_scope_touch(e->inv, s->id);
		}
		ah->type = 's';
	}
	if ((rc = sl_inventory_flush(e->inv, true, err)) < 0) {
		if (err)
			err->code = SL_EIO;
		return SL_EIO;
	}
	return 0;
}

/* The write of ah is done (ok) or surely not made (ok false, a definite refusal): the record
 * is confirmed, or put back as it was. An outcome still unknown (timeout, connection lost,
 * 5xx) leaves it pending for the next run to settle. */
static void settle(struct sl_engine *e, const char *key, struct ahead *ah, bool ok)
{
	if (ah->type == 'o') {
		struct sl_inv_owned *o = sl_strmap_get(&e->inv->owned, ah->id, NULL);

		if (o && ok) {
			o->pending = false;
			sl_inventory_owned_touch(e->inv, o->id);
		} else if (o && !ah->existed) {
			sl_inventory_owned_remove(e->inv, o->id);
		} else if (o) {
			o->pending = ah->was_pending;
			sl_inventory_owned_touch(e->inv, o->id);
		}
	} else if (ah->type == 's') {
		struct sl_inv_scope *s = sl_strmap_get(&e->inv->scopes, ah->id, NULL);

		if (s && ok) {
			s->pending = false;
			sl_inventory_scope_touch(e->inv, s->id);
		} else if (s && !ah->existed) {
			sl_inventory_scope_forget(e->inv, s->id);
		} else if (s) {
			struct sl_vec rel = SL_VEC_INIT;

			if (!ah->was_needed)
				sl_inventory_scope_release(e->inv, key, s->at.url, &rel);
			for (size_t i = 0; i < rel.len; i++)
				sl_inv_scope_free(rel.items[i]);
			sl_vec_release(&rel, NULL);
			if ((s = sl_strmap_get(&e->inv->scopes, ah->id, NULL)) != NULL) {
				s->pending = ah->was_pending;
				s->borrowed = ah->was_borrowed;
				sl_inventory_scope_touch(e->inv, s->id);
			}
		}
	}
	free(ah->id);
	ah->id = NULL;
	ah->type = 0;
}

static int run_action(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        const struct want_link *w, const struct sl_action *a, struct sl_error *err)
{
	struct reg_client *c = action_client(e, snap, a, err);
	struct ahead ah = {0};
	int rc;

	if (c == NULL)
		return err ? err->code : SL_EINVAL;
	if (c->down) {
		*err = c->down_err;
		return err->code;
	}
	/* What a record says is ours is written only on the registry the record was made on. */
	if (a->cluster_id[0]) {
		if ((rc = sl_engine_identity(e, c, err)) < 0)
			return rc;
		if (strcmp(c->cluster_id, a->cluster_id) != 0)
			return sl_error_set(err, SL_ESTATE,
			        "the registry at %s is no longer the one schemalink wrote to "
			        "(cluster "
			        "id %s then, %s now): nothing is changed there and the record is "
			        "kept",
			        c->url, a->cluster_id, c->cluster_id[0] ? c->cluster_id : "none");
	}
	if ((rc = write_ahead(e, key, w, a, c, &ah, err)) < 0) {
		settle(e, key, &ah, false);
		return rc;
	}
	switch (a->kind) {
	case SL_ACT_MODE_SET:
		e->writes++;
		rc = sl_srclient_mode_put(c->c, a->target, a->value, a->force, err);
		break;
	case SL_ACT_MODE_DELETE:
		e->writes++;
		rc = sl_srclient_mode_delete(c->c, a->target, err);
		break;
	case SL_ACT_CONFIG_SET:
		e->writes++;
		rc = sl_srclient_config_put(c->c, a->target, a->value, err);
		break;
	case SL_ACT_CONFIG_DELETE:
		e->writes++;
		rc = sl_srclient_config_delete(c->c, a->target, err);
		break;
	case SL_ACT_EXPORTER_CREATE:
		rc = w && w->obj ? do_create(e, c, w, key, err)
		                 : sl_error_set(err, SL_EINVAL, "no desired exporter");
		break;
	case SL_ACT_EXPORTER_UPDATE:
		rc = w && w->obj ? do_update(e, c, w, err)
		                 : sl_error_set(err, SL_EINVAL, "no desired exporter");
		break;
	case SL_ACT_EXPORTER_PAUSE:
		e->writes++;
		rc = sl_srclient_exporter_pause(c->c, a->target, err);
		break;
	case SL_ACT_EXPORTER_RESET:
		e->writes++;
		rc = sl_srclient_exporter_reset(c->c, a->target, err);
		break;
	case SL_ACT_EXPORTER_RESUME:
		e->writes++;
		rc = sl_srclient_exporter_resume(c->c, a->target, err);
		if (rc < 0 && sl_srclient_err_is(err, 40961)) /* already running: the goal */
			rc = 0;
		break;
	case SL_ACT_EXPORTER_DELETE:
		e->writes++;
		rc = sl_srclient_exporter_delete(c->c, a->target, err);
		break;
	default: rc = sl_error_set(err, SL_EINVAL, "unknown action");
	}
	/* Written, or perhaps written (a timeout): what this pass read of the scope is stale. */
	if (a->kind == SL_ACT_MODE_SET || a->kind == SL_ACT_MODE_DELETE)
		sl_obs_forget_scope(e, "mode", a->target);
	else if (a->kind == SL_ACT_CONFIG_SET || a->kind == SL_ACT_CONFIG_DELETE)
		sl_obs_forget_scope(e, "config", a->target);
	/* Deleting what is already gone is done. */
	if (rc < 0 && (a->kind == SL_ACT_EXPORTER_DELETE || a->kind == SL_ACT_EXPORTER_PAUSE) &&
	        sl_srclient_err_is(err, 40450) && (!w || !w->obj)) {
		sl_error_clear(err);
		rc = 0;
	}
	/* The pass's exporter list follows what was created or deleted. */
	if (a->kind == SL_ACT_EXPORTER_CREATE && w && w->obj)
		sl_obs_exporter_written(e, c, w->obj->name, rc < 0 ? 0 : 1);
	else if (a->kind == SL_ACT_EXPORTER_DELETE)
		sl_obs_exporter_written(
		        e, c, a->target, rc < 0 && !sl_srclient_err_is(err, 40450) ? 0 : -1);
	if (rc < 0 && sl_obs_conn_error(err->code) && e->in_pass) {
		c->down = true;
		c->down_err = *err;
	}
	if (ah.type) {
		bool unknown =
		        rc < 0 && (sl_obs_conn_error(err->code) || err->code == SL_ETIMEOUT ||
		                          err->http_status >= 500);

		if (unknown) {
			free(ah.id);
		} else {
			settle(e, key, &ah, rc >= 0);
		}
	}
	return rc < 0 ? rc : 0;
}

/* Inventory bookkeeping after a successful action. */
static int record_action(
        struct sl_engine *e, const char *key, const struct want_link *w, const struct sl_action *a)
{
	struct sl_inv_object *io;

	if (w == NULL || w->obj == NULL)
		return 0;
	if (a->kind == SL_ACT_EXPORTER_CREATE || a->kind == SL_ACT_EXPORTER_UPDATE) {
		size_t pos = 0;
		const char *k;
		void *v;

		io = sl_inventory_object_ensure(e->inv, key);
		if (io == NULL)
			return SL_ENOMEM;
		sl_strmap_release(&io->secret_hashes, free);
		while (sl_strmap_next(&w->secret, &pos, &k, &v)) {
			const struct want_secret *s = v;
			char *h = strdup(s->hash);

			if (h == NULL || sl_strmap_set(&io->secret_hashes, k, h, NULL) < 0) {
				free(h);
				return SL_ENOMEM;
			}
		}
		sl_inventory_object_touch(e->inv, key);
	}
	if (a->kind == SL_ACT_EXPORTER_RESUME && a->heal &&
	        (io = sl_inventory_object_ensure(e->inv, key)) != NULL) {
		if (sl_inv_object_add_attempt(io, sl_clock_wall_ms(e->clock)) < 0)
			return SL_ENOMEM;
		sl_inventory_object_touch(e->inv, key);
	}
	return 0;
}

/* InSync from the link's last replication verification (docs/internals/reconcile.md
 * "Replication verification"); left as it was when there has been none in this engine. */
static void in_sync(struct sl_engine *e, const struct sl_plan *p, const char *gen, int64_t now,
        struct sl_object_status *st)
{
	const struct verify_rec *r = sl_strmap_get(&e->verifies, p->key, NULL);
	const char *dest = p->obj != NULL && p->obj->kind == SL_KIND_SCHEMALINK
	                           ? p->obj->link.destination
	                           : "the destination";
	char msg[SL_COND_MSG_MAX];

	if (r == NULL)
		return;
	if (!r->ok) {
		sl_status_set_condition(st, SL_COND_IN_SYNC, SL_COND_UNKNOWN, "NotVerified",
		        VR_STR(r->err), 0, gen, now);
	} else if (r->conflicts > 0) {
		snprintf(msg, sizeof(msg), "%d version%s under another id on %s: %s", r->conflicts,
		        r->conflicts == 1 ? "" : "s", dest, VR_STR(r->conflict));
		sl_status_set_condition(
		        st, SL_COND_IN_SYNC, SL_COND_FALSE, "SchemaIdConflict", msg, 0, gen, now);
	} else if (r->missing > 0) {
		snprintf(msg, sizeof(msg), "%d of %d version%s missing on %s: %s", r->missing,
		        r->versions, r->versions == 1 ? "" : "s", dest, VR_STR(r->first_missing));
		sl_status_set_condition(
		        st, SL_COND_IN_SYNC, SL_COND_FALSE, "VersionsMissing", msg, 0, gen, now);
	} else {
		snprintf(msg, sizeof(msg), "all %d version%s the filter selects %s on %s",
		        r->versions, r->versions == 1 ? "" : "s", r->versions == 1 ? "is" : "are",
		        dest);
		sl_status_set_condition(
		        st, SL_COND_IN_SYNC, SL_COND_TRUE, "Complete", msg, 0, gen, now);
	}
}

static void fill_status(struct sl_engine *e, const struct sl_plan *p, const char *gen,
        struct sl_reconcile_result *out)
{
	struct sl_object_status *st = &out->status;
	const struct sl_inv_object *io = sl_inventory_object(e->inv, p->key);
	int64_t now = sl_clock_wall_ms(e->clock);
	bool reconciling = p->result == SL_RESULT_REQUEUE_AFTER;

	if (io)
		sl_inv_object_get_status(io, st);
	sl_strlcpy_utf8(st->key, sizeof(st->key), p->key);
	sl_status_set_condition(
	        st, SL_COND_READY, p->ready, p->reason, p->message, p->error_code, gen, now);
	sl_status_set_condition(st, SL_COND_RECONCILING, reconciling ? SL_COND_TRUE : SL_COND_FALSE,
	        reconciling ? p->reason : "", reconciling ? p->message : "", 0, gen, now);
	sl_status_set_condition(st, SL_COND_STALLED, p->stalled ? SL_COND_TRUE : SL_COND_FALSE,
	        p->stalled ? p->reason : "", p->stalled ? p->message : "",
	        p->stalled ? p->error_code : 0, gen, now);
	sl_strlcpy_utf8(st->fix, sizeof(st->fix), p->ready == SL_COND_TRUE ? "" : p->fix);
	in_sync(e, p, gen, now, st);
	sl_strlcpy_utf8(st->exporter_state, sizeof(st->exporter_state), p->exporter_state);
	st->exporter_offset = p->exporter_offset;
	st->exporter_ts = p->exporter_ts;
	sl_strlcpy_utf8(st->trace_first_line, sizeof(st->trace_first_line), p->trace_first_line);
	st->updated_ms = now;
	out->result = p->result;
	out->requeue_ms = p->requeue_ms;
}

/* Runs p's actions in order, stopping at the first failure; records what succeeded. */
static int execute(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_plan *p,
        const struct want_link *w, struct sl_reconcile_result *out, struct sl_error *err)
{
	size_t i;
	int64_t now = sl_clock_wall_ms(e->clock);

	if (p->actions.len == 0)
		return 0;
	for (i = 0; i < p->actions.len; i++) {
		const struct sl_action *a = p->actions.items[i];
		struct sl_error ae = SL_ERROR_INIT;
		struct sl_buf b = SL_BUF_INIT;

		if (run_action(e, snap, p->key, w, a, &ae) < 0) {
			sl_buf_reset(&b);
			sl_action_format(a, &b);
			if (ae.code == SL_ESTATE && a->cluster_id[0]) {
				p->error = true;
				sl_plan_verdict(p, SL_RESULT_STALLED, SL_COND_FALSE,
				        "RegistryIdentityChanged", 0, "%s not done: %s", b.data,
				        ae.msg);
				sl_strlcpy_utf8(p->fix, sizeof(p->fix),
				        "point the Registry back at the registry that holds what "
				        "this set made; if that registry is gone for good, so is "
				        "what "
				        "it held (the record stays, docs/ownership.md)");
				sl_buf_release(&b);
				return 0;
			}
			if (sl_obs_conn_error(ae.code))
				p->unreachable = true;
			else
				p->error = true;
			sl_plan_verdict(p, SL_RESULT_RETRY, SL_COND_FALSE,
			        p->unreachable ? "RegistryUnreachable" : "ApplyFailed",
			        ae.registry_code, "%s failed: %s", b.data, ae.msg);
			p->stalled = false;
			sl_buf_release(&b);
			return 0;
		}
		if (record_action(e, p->key, w, a) < 0) {
			sl_buf_release(&b);
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		}
		if (a->heal || a->drift) {
			sl_action_format(a, &b);
			sl_status_add_history(
			        &out->status, now, a->heal ? a->heal : a->drift, b.data);
			if (a->heal) {
				out->heals++;
				sl_strlcpy_utf8(
				        out->heal_reason, sizeof(out->heal_reason), a->heal);
			} else {
				out->drift_corrections++;
				sl_strlcpy_utf8(
				        out->heal_reason, sizeof(out->heal_reason), a->drift);
			}
		}
		sl_buf_release(&b);
	}
	if (p->op == SL_PLAN_DELETE)
		return 0;
	/* Writes made: the object moves; a link is Ready once its exporter runs again. */
	if (p->obj && p->obj->kind != SL_KIND_SCHEMALINK) {
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "InSync", 0, "applied");
	} else if (p->obj && p->obj->link.state == SL_LINK_PAUSED) {
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "Paused", 0,
		        "exporter %s is paused as the manifest says", p->obj->name);
	} else if (p->result == SL_RESULT_DONE) {
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_TRUE, "Running", 0,
		        "exporter %s is running", p->obj ? p->obj->name : "");
	} else {
		char reason[64];

		sl_strlcpy_utf8(reason, sizeof(reason), p->reason);
		sl_plan_verdict(p, SL_RESULT_REQUEUE_AFTER, SL_COND_FALSE, "ExporterStarting", 0,
		        "exporter %s was %s; waiting for it to run (was: %s)",
		        p->obj ? p->obj->name : "", p->op == SL_PLAN_CREATE ? "created" : "changed",
		        reason);
	}
	return 0;
}

/* What changed in the inventory without a write (bookkeeping while planning) shows as new
 * entries to journal: a cheap fingerprint, so a reconcile that changed nothing journals
 * nothing. */
static uint64_t inv_shape(const struct sl_inventory *inv)
{
	return inv->dirty.len;
}

/* unchanged: the pass made no write and left the inventory's shape as it found it; then an
 * unchanged status is not worth rewriting (and fsyncing) the inventory for: with 1,000 links
 * every no-op resync did that 1,000 times. */
static int save_status(struct sl_engine *e, const char *key, const struct sl_reconcile_result *r,
        bool keep_object, bool unchanged, struct sl_error *err)
{
	struct sl_inv_object *io;

	if (e->cfg.dry_run || e->cfg.read_only_state)
		return 0;
	if (keep_object) {
		io = sl_inventory_object_ensure(e->inv, key);
		if (io == NULL)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		if (unchanged && sl_inv_object_same_status(io, &r->status))
			return 0;
		if (sl_inv_object_set_status(io, &r->status) < 0)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		sl_inventory_object_touch(e->inv, key);
	}
	/* Only a status changed: saved once at the end of the pass (sl_engine_end_pass). */
	if (e->in_pass && keep_object && e->writes == 0) {
		e->inv_dirty = true;
		return 0;
	}
	e->inv_dirty = false; /* this flush writes every pending status too */
	e->inv_flushed = e->in_pass; /* the pass's end may fold what it journaled */
	if (sl_inventory_flush(e->inv, e->writes > 0, err) < 0) {
		if (err)
			err->code = SL_EIO;
		return SL_EIO;
	}
	return 0;
}

/* After a delete of id went through: its exporter records and its needs of scopes (at the
 * orphan id's URL only, when it has one) leave the inventory, and with a plain key its
 * status record too. */
static int forget_deleted(struct sl_engine *e, const char *id)
{
	char key[320];
	const char *url = sl_eng_split_orphan(id, key, sizeof(key));
	struct sl_vec rel = SL_VEC_INIT, ids = SL_VEC_INIT;
	size_t i;
	int rc = sl_inventory_scope_release(e->inv, key, url, &rel);

	for (i = 0; i < rel.len; i++)
		sl_inv_scope_free(rel.items[i]);
	sl_vec_release(&rel, NULL);
	if (rc == 0 && (rc = sl_strmap_keys(&e->inv->owned, &ids)) == 0)
		for (i = 0; i < ids.len; i++) {
			const struct sl_inv_owned *o =
			        sl_strmap_get(&e->inv->owned, ids.items[i], NULL);

			if (!strcmp(o->key, key) && (!url || !strcmp(o->at.url, url)))
				sl_inventory_owned_remove(e->inv, ids.items[i]);
		}
	sl_vec_release(&ids, NULL);
	if (url == NULL)
		sl_inventory_object_remove(e->inv, key);
	return rc;
}

/* True when id is "Kind/name@URL" and snap's Kind/name writes to URL again. */
static bool still_declared_at(const struct sl_snapshot *snap, const char *id)
{
	char key[320], *a, *b;
	const char *url = sl_eng_split_orphan(id, key, sizeof(key));
	bool yes;

	if (url == NULL)
		return false;
	a = sl_eng_declared_url(snap, key, true);
	b = sl_eng_declared_url(snap, key, false);
	yes = (a && !strcmp(a, url)) || (b && !strcmp(b, url));
	free(a);
	free(b);
	return yes;
}

static int reconcile_locked(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        bool for_delete, struct sl_reconcile_result *out, struct sl_error *err)
{
	struct sl_plan *p = NULL;
	struct want_link w;
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL);
	uint64_t shape = inv_shape(e->inv);
	int rc;

	memset(out, 0, sizeof(*out));
	e->reads = e->writes = 0;
	/* An orphan id computed on another snapshot (the daemon may hand in a stale one): what
	 * the object points at again is not an orphan (conservative: either side of a link). */
	if (o == NULL && !for_delete && still_declared_at(snap, key)) {
		sl_strlcpy_utf8(out->status.key, sizeof(out->status.key), key);
		out->result = SL_RESULT_DONE;
		return 0;
	}
	if (o == NULL && !for_delete && !e->cfg.prune) {
		sl_strlcpy_utf8(out->status.key, sizeof(out->status.key), key);
		out->result = SL_RESULT_DONE;
		return 0;
	}
	/* The guard is decided on the set as the snapshot found it, before this pass creates
	 * anything (computed once per snapshot). */
	if (e->cfg.prune && !sl_eng_guard_locked(e, snap) && o == NULL && !for_delete &&
	        sl_eng_inv_knows(e, key)) {
		if (e->guard_oom)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		sl_strlcpy_utf8(out->status.key, sizeof(out->status.key), key);
		sl_status_set_condition(&out->status, SL_COND_READY, SL_COND_FALSE, "PruneRefused",
		        e->guard_why, 0, "", sl_clock_wall_ms(e->clock));
		sl_status_set_condition(&out->status, SL_COND_STALLED, SL_COND_TRUE, "PruneRefused",
		        e->guard_why, 0, "", sl_clock_wall_ms(e->clock));
		out->result = SL_RESULT_STALLED;
		out->op = SL_PLAN_DELETE;
		out->prune_refused = true;
		return 0;
	}
	rc = sl_eng_plan_locked(
	        e, snap, key, for_delete, !e->cfg.dry_run && !e->cfg.read_only_state, &p, &w, err);
	if (rc == SL_ENOENT && (o == NULL || for_delete)) {
		sl_error_clear(err);
		sl_strlcpy_utf8(out->status.key, sizeof(out->status.key), key);
		out->result = SL_RESULT_DONE;
		return 0;
	}
	if (rc < 0)
		return rc;
	{
		const struct sl_inv_object *io = sl_inventory_object(e->inv, key);

		if (io)
			sl_inv_object_get_status(io, &out->status);
	}
	if (p->suspended && p->actions.len) {
		/* spec.suspend: observe and report only (docs/internals/architecture.md steps 1 and 5). */
		sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_FALSE, "Suspended", p->error_code,
		        "spec.suspend is true: %zu planned write(s) not made (%s)", p->actions.len,
		        p->reason);
	} else if (!e->cfg.dry_run && !p->unreachable && !p->error) {
		rc = execute(e, snap, p, &w, out, err);
	}
	out->reads = e->reads;
	out->writes = e->writes;
	out->op = p->op;
	out->planned = (int)p->actions.len;
	out->unreachable = p->unreachable;
	out->released = p->op == SL_PLAN_DELETE && p->actions.len == 0 && p->changes.len > 0;
	if (rc == 0) {
		struct sl_object_status hist = out->status;

		fill_status(e, p, o ? o->spec_hash : "", out);
		/* fill_status starts from the stored status; keep this pass's history. */
		memcpy(out->status.history, hist.history, sizeof(hist.history));
		out->status.n_history = hist.n_history;
		if (p->op == SL_PLAN_DELETE && !e->cfg.dry_run && !p->unreachable && !p->error) {
			rc = forget_deleted(e, key);
			rc = rc < 0 ? sl_error_set(err, rc, "out of memory")
			            : save_status(e, key, out, false, false, err);
		} else {
			rc = save_status(e, key, out, o != NULL,
			        out->writes == 0 && inv_shape(e->inv) == shape, err);
		}
	}
	sl_want_link_release(&w);
	sl_plan_free(p);
	return rc;
}

int sl_engine_reconcile(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = reconcile_locked(e, snap, key, false, out, err);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int sl_engine_delete_order(const struct sl_snapshot *snap, struct sl_vec *keys)
{
	size_t i;
	int k;

	/* enum sl_kind lists registries first and links last. */
	for (k = SL_KIND_COUNT - 1; k >= 0; k--)
		for (i = 0; i < sl_snapshot_count(snap); i++) {
			const struct sl_object *o = sl_snapshot_at(snap, i);
			char *key;

			if ((int)o->kind != k)
				continue;
			if ((key = strdup(o->key)) == NULL || sl_vec_push(keys, key) < 0) {
				free(key);
				return SL_ENOMEM;
			}
		}
	return 0;
}

int sl_engine_delete(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = reconcile_locked(e, snap, key, true, out, err);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int sl_engine_last_status(struct sl_engine *e, const char *key, struct sl_object_status *out)
{
	const struct sl_inv_object *io;
	int found = 0;

	pthread_mutex_lock(&e->mu);
	io = sl_inventory_object(e->inv, key);
	if (io && sl_inv_object_get_status(io, out) == 0)
		found = 1;
	pthread_mutex_unlock(&e->mu);
	return found;
}
