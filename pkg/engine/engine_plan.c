/* engine_plan.c — planning one key against live state: observe the registries, take
 * ownership decisions from the inventory, then the pure planner (plan.c); orphans of the set
 * are planned as deletes. */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/json.h"
#include "schemalink/qsubject.h"

/* ---- planning ---------------------------------------------------------------------------- */

static void plan_failed(struct sl_plan *p, const char *registry, const struct sl_error *err)
{
	if (sl_obs_conn_error(err->code)) {
		p->unreachable = true;
		sl_plan_verdict(p, SL_RESULT_RETRY, SL_COND_FALSE, "RegistryUnreachable", 0,
		        "registry %s: %s", registry, err->msg);
	} else {
		p->error = true;
		sl_plan_verdict(p, SL_RESULT_RETRY, SL_COND_FALSE, "RegistryError",
		        err->registry_code ? err->registry_code : err->http_status,
		        "registry %s: %s", registry, err->msg);
	}
}

static int setting_of(const struct sl_object *o, struct obs_setting *s)
{
	memset(s, 0, sizeof(*s));
	switch (o->kind) {
	case SL_KIND_REGISTRY:
		s->registry = o->name;
		s->scope = strdup("");
		s->want_mode = o->registry.mode;
		s->force_mode = o->registry.force_mode;
		s->want_compat = o->registry.compatibility;
		break;
	case SL_KIND_CONTEXT:
		s->registry = o->context.registry;
		s->scope = sl_scope_of_context(o->context.context);
		s->want_mode = o->context.mode;
		s->force_mode = o->context.force_mode;
		s->want_compat = o->context.compatibility;
		break;
	case SL_KIND_SUBJECT:
		s->registry = o->subject.registry;
		s->scope = strdup(o->subject.subject);
		s->want_mode = o->subject.mode;
		s->force_mode = o->subject.force_mode;
		s->want_compat = o->subject.compatibility;
		break;
	default: return SL_EINVAL;
	}
	return s->scope ? 0 : SL_ENOMEM;
}

/* Splits an orphan id "Kind/name@URL" into the key and the URL it is limited to (NULL: the
 * key's records everywhere). key gets at most len bytes. */
const char *sl_eng_split_orphan(const char *id, char *key, size_t len)
{
	const char *at = strchr(id, '@');

	snprintf(key, len, "%.*s", at ? (int)(at - id) : (int)strlen(id), id);
	return at ? at + 1 : NULL;
}

/* A delete of id (a key, or an orphan id with a URL) from what the inventory recorded:
 * pause + delete each exporter it created, restore the scopes no other owner needs. Never
 * anything the inventory does not list (docs/ownership.md). */
static int plan_delete(struct sl_engine *e, const char *id, struct sl_plan *p)
{
	char key[320], other[80];
	const char *url = sl_eng_split_orphan(id, key, sizeof(key));
	struct sl_vec ids = SL_VEC_INIT;
	size_t i, j;
	int rc = 0;

	p->op = SL_PLAN_DELETE;
	if (sl_strmap_keys(&e->inv->owned, &ids) < 0)
		return SL_ENOMEM;
	sl_vec_sort(&ids, sl_vec_cmp_str);
	for (i = 0; rc == 0 && i < ids.len; i++) {
		const struct sl_inv_owned *o = sl_strmap_get(&e->inv->owned, ids.items[i], NULL);
		const char *reg = o->at.registry ? o->at.registry : o->at.url;
		struct sl_action *a[2];

		if (strcmp(o->key, key) != 0 || (url && strcmp(o->at.url, url) != 0))
			continue;
		/* A link moved to another set that adopted the exporter: let go of it. */
		if (sl_inventory_other_set(
		            e->state_dir, e->set, 'o', o->id, other, sizeof(other))) {
			if (sl_plan_change(p,
			            "exporter %s on %s: set %s owns it too; left to it, not "
			            "deleted",
			            o->exporter, reg, other) < 0)
				rc = SL_ENOMEM;
			continue;
		}
		a[0] = sl_plan_action(p, SL_ACT_EXPORTER_PAUSE, reg, o->exporter, "");
		a[1] = sl_plan_action(p, SL_ACT_EXPORTER_DELETE, reg, o->exporter,
		        o->adopted ? "adopted by this set" : "");
		if (!a[0] || !a[1] ||
		        sl_plan_change(p, "exporter %s on %s", o->exporter, reg) < 0) {
			rc = SL_ENOMEM;
			break;
		}
		for (j = 0; j < 2; j++) {
			sl_strlcpy_utf8(a[j]->url, sizeof(a[j]->url), o->at.url);
			sl_strlcpy_utf8(
			        a[j]->cluster_id, sizeof(a[j]->cluster_id), o->at.cluster_id);
		}
	}
	sl_vec_release(&ids, NULL);
	if (rc == 0 && sl_strmap_keys(&e->inv->scopes, &ids) < 0)
		rc = SL_ENOMEM;
	sl_vec_sort(&ids, sl_vec_cmp_str);
	/* Modes first, then compatibility, each in id order. */
	for (i = 0; rc == 0 && i < 2 * ids.len; i++) {
		const struct sl_inv_scope *s =
		        sl_strmap_get(&e->inv->scopes, ids.items[i % ids.len], NULL);
		bool mode = !strcmp(s->what, "mode"), others = false;
		const char *reg = s->at.registry ? s->at.registry : s->at.url;
		struct sl_action *a;

		if (mode != (i < ids.len))
			continue;
		if (!sl_inv_scope_needed_by(s, key) || (url && strcmp(s->at.url, url) != 0))
			continue;
		for (j = 0; j < s->needed_by.len; j++)
			if (strcmp(s->needed_by.items[j], key) != 0)
				others = true;
		if (others || s->borrowed)
			continue;
		if (sl_inventory_other_set(
		            e->state_dir, e->set, 's', s->id, other, sizeof(other))) {
			if (sl_plan_change(p,
			            "%s %s of %s stays as it is: set %s needs it too, and no set "
			            "restores it later",
			            s->what, s->scope[0] ? s->scope : "(top level)", reg,
			            other) < 0)
				rc = SL_ENOMEM;
			continue;
		}
		if (s->had_previous) {
			a = sl_plan_action(p, mode ? SL_ACT_MODE_SET : SL_ACT_CONFIG_SET, reg,
			        s->scope, "restore the value schemalink replaced");
			if (a)
				sl_strlcpy_utf8(a->value, sizeof(a->value), s->previous);
		} else {
			a = sl_plan_action(p, mode ? SL_ACT_MODE_DELETE : SL_ACT_CONFIG_DELETE, reg,
			        s->scope, "no override was set before schemalink");
		}
		if (a == NULL) {
			rc = SL_ENOMEM;
			break;
		}
		sl_strlcpy_utf8(a->url, sizeof(a->url), s->at.url);
		sl_strlcpy_utf8(a->cluster_id, sizeof(a->cluster_id), s->at.cluster_id);
	}
	sl_vec_release(&ids, NULL);
	if (rc < 0)
		return rc;
	sl_plan_verdict(p, SL_RESULT_DONE, SL_COND_UNKNOWN, "Deleting", 0, "%s is deleted", id);
	return 0;
}

/* True when the inventory records anything for id (a key or an orphan id). */
bool sl_eng_inv_knows(const struct sl_engine *e, const char *id)
{
	char key[320];
	const char *url = sl_eng_split_orphan(id, key, sizeof(key));
	size_t pos = 0;
	const char *k;
	void *v;

	if (url == NULL && sl_inventory_object(e->inv, key) != NULL)
		return true;
	while (sl_strmap_next(&e->inv->owned, &pos, &k, &v)) {
		const struct sl_inv_owned *o = v;

		if (!strcmp(o->key, key) && (!url || !strcmp(o->at.url, url)))
			return true;
	}
	pos = 0;
	while (sl_strmap_next(&e->inv->scopes, &pos, &k, &v)) {
		const struct sl_inv_scope *s = v;

		if (sl_inv_scope_needed_by(s, key) && (!url || !strcmp(s->at.url, url)))
			return true;
	}
	return false;
}

/* The ownership of link o's exporter on src, into ob (exporter_owned, adopt), settling what
 * a crash left open: a create written ahead ("pending") is ours when the exporter exists and
 * forgotten when it does not. With --adopt, an existing exporter this set did not create
 * becomes its own. bookkeep false (diff, dry run): decide, record nothing. Returns 0, or a
 * negative code with err set (the cluster id could not be read). */
static int own_exporter(struct sl_engine *e, struct reg_client *src, const struct want_link *w,
        const char *key, struct obs_link *ob, bool bookkeep, struct sl_error *err)
{
	const struct sl_object *o = w->obj;
	struct sl_inv_owned *r = sl_inventory_owned(e->inv, src->nurl, NULL, o->name);
	int rc;

	/* A record made on another registry behind the same URL (its cluster id differs) is not
	 * this exporter's. The identity is read only where a record decides a change (the live
	 * exporter differs from the manifest) or one is to be made: a no-op pass reads nothing. */
	if ((r != NULL && r->at.cluster_id[0] && ob->exists &&
	            !sl_want_link_matches(w, &ob->info, sl_inventory_object(e->inv, key))) ||
	        (e->cfg.adopt && ob->exists && r == NULL)) {
		if ((rc = sl_engine_identity(e, src, err)) < 0)
			return rc;
		r = sl_inventory_owned(e->inv, src->nurl, src->cluster_id, o->name);
		if (r == NULL)
			r = sl_inventory_owned(e->inv, src->nurl, "", o->name);
	}
	ob->exporter_owned = r != NULL && (ob->exists || !r->pending);
	ob->adopt = e->cfg.adopt;
	if (!bookkeep)
		return 0;
	if (r != NULL && r->pending) {
		if (ob->exists) {
			r->pending = false; /* the create went through before the crash */
			sl_inventory_owned_touch(e->inv, r->id);
		} else {
			sl_inventory_owned_remove(e->inv, r->id);
		}
	} else if (r == NULL && ob->exists && e->cfg.adopt) {
		struct sl_inv_where at = sl_eng_where_of(src, o->link.source);

		if (!sl_inventory_own(e->inv, key, o->name, &at, false, true))
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		ob->exporter_owned = true;
	}
	return 0;
}

/* The live exporter's info as compact JSON for describe (secret values masked), so a value
 * holding '"' or a control character stays one JSON string. */
static int live_info(struct sl_plan *p, const struct sl_exporter *info, const char *name,
        const struct sl_strmap *secret)
{
	struct sl_buf b = SL_BUF_INIT;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_jsonw jw;
	size_t i;
	int rc;

	sl_jsonw_init(&jw, JSON_COMPACT, sl_jsonw_to_buf, &b);
	sl_jsonw_open(&jw, NULL, '{');
	sl_jsonw_str(&jw, "name", info->name ? info->name : name);
	sl_jsonw_str(&jw, "contextType", info->context_type);
	sl_jsonw_str(&jw, "context", info->context);
	sl_jsonw_open(&jw, "subjects", '[');
	for (i = 0; i < info->subjects.len; i++)
		sl_jsonw_str(&jw, NULL, info->subjects.items[i]);
	sl_jsonw_close(&jw);
	sl_jsonw_str(&jw, "subjectRenameFormat", info->subject_rename_format);
	sl_jsonw_open(&jw, "config", '{');
	rc = sl_strmap_keys(&info->config, &keys);
	for (i = 0; rc == 0 && i < keys.len; i++) {
		const char *k = keys.items[i];
		const char *v = sl_strmap_get(&info->config, k, NULL);
		bool hidden = sl_strmap_get(secret, k, NULL) != NULL;

		sl_jsonw_str(&jw, k, hidden && strcmp(v, HIDDEN) ? HIDDEN : v);
	}
	sl_jsonw_close(&jw);
	sl_jsonw_close(&jw);
	rc = rc ? rc : sl_jsonw_finish(&jw);
	sl_vec_release(&keys, NULL);
	if (rc == 0 && (p->live_info = sl_buf_detach(&b)) == NULL)
		rc = SL_ENOMEM;
	sl_buf_release(&b);
	return rc;
}

/* Adds one line of live state for describe ("mode of .ctx on target: IMPORT"). */
static int add_live(struct sl_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_live(struct sl_plan *p, const char *fmt, ...)
{
	struct sl_buf b = SL_BUF_INIT;
	char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (sl_buf_vaddf(&b, fmt, ap) == 0)
		line = sl_buf_detach(&b);
	va_end(ap);
	sl_buf_release(&b);
	if (line == NULL || sl_vec_push(&p->live, line) < 0) {
		free(line);
		return SL_ENOMEM;
	}
	return 0;
}

/* Records that link key needs the destination scopes already IMPORT which it did not set:
 * one this set manages gains key as a needer, so deleting the link that wrote it does not
 * restore it under this one; one in place already (another set, or by hand) is borrowed:
 * this set needs it but never restores it, and the need keeps other sets from restoring it
 * under this link. */
static int note_scope_needs(struct sl_engine *e, const struct sl_object *o, const char *key,
        struct reg_client *dst, const struct obs_link *ob)
{
	size_t i;

	for (i = 0; i < ob->scopes.len; i++) {
		const struct obs_scope *s = ob->scopes.items[i];
		const struct sl_inv_scope *is =
		        sl_inventory_scope(e->inv, dst->nurl, "mode", s->scope);
		bool import = s->mode_rc == 1 && !strcmp(s->mode, "IMPORT");

		if (is && import && !sl_inv_scope_needed_by(is, key)) {
			struct sl_inv_where at = is->at;

			if (!sl_inventory_scope_need(e->inv, &at, "mode", s->scope,
			            is->had_previous, is->previous, is->value, key, is->pending))
				return SL_ENOMEM;
		} else if (!is && import && o->link.destination_mode == SL_DEST_IMPORT) {
			struct sl_inv_where at = sl_eng_where_of(dst, o->link.destination);
			struct sl_inv_scope *ns;

			at.cluster_id = (char *)(uintptr_t) "";
			ns = sl_inventory_scope_need(
			        e->inv, &at, "mode", s->scope, false, NULL, "IMPORT", key, false);
			if (ns == NULL)
				return SL_ENOMEM;
			if (!ns->borrowed) {
				ns->borrowed = true;
				sl_inventory_scope_touch(e->inv, ns->id);
			}
		}
	}
	return 0;
}

/* What the last verification of link key found, into ob (for the planner) and p (for get
 * and describe); lost versions only for a reconcile (bookkeep), the one that may reset. */
static void verify_inputs(
        struct sl_engine *e, const char *key, bool bookkeep, struct obs_link *ob, struct sl_plan *p)
{
	const struct verify_rec *vr = sl_strmap_get(&e->verifies, key, NULL);

	if (vr == NULL)
		return;
	if (!vr->ok) {
		sl_strlcpy_utf8(p->lag_detail, sizeof(p->lag_detail), VR_STR(vr->err));
		return;
	}
	p->lag = vr->missing;
	sl_strlcpy_utf8(p->lag_detail, sizeof(p->lag_detail), VR_STR(vr->first_missing));
	ob->verify_missing = vr->missing;
	ob->verify_conflicts = vr->conflicts;
	ob->verify_conflict = VR_STR(vr->conflict);
	ob->verify_first_missing = VR_STR(vr->first_missing);
	ob->verify_lost = bookkeep ? vr->lost : 0;
}

/* Observes and plans link o (key): its exporter on the source, its scopes on the
 * destination, ownership, then sl_plan_link; with bookkeep, scope needs are recorded. A
 * registry that fails makes p a failure plan naming it (returns 0). */
static int plan_link_locked(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_object *o, const char *key, bool bookkeep, struct want_link *w,
        struct sl_plan *p, struct sl_error *err)
{
	struct sl_error oe = SL_ERROR_INIT;
	struct reg_client *src, *dst;
	struct obs_link ob;
	size_t i;
	int rc;

	if ((rc = sl_want_link_build(snap, o, w, err)) < 0)
		return rc;
	src = sl_eng_client_for(e, snap, o->link.source, err);
	dst = src ? sl_eng_client_for(e, snap, o->link.destination, err) : NULL;
	if (dst == NULL)
		return err ? err->code : SL_EINVAL;
	sl_obs_read_ahead(e, snap, key);
	sl_obs_link_init(&ob);
	rc = sl_observe_link(e, snap, w, key, src, dst, &ob, &oe);
	if (rc < 0 && rc != SL_ENOMEM) {
		/* Which registry failed: the message names the request path. */
		plan_failed(p,
		        src->down || rc == src->exp_rc ? o->link.source : o->link.destination, &oe);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = own_exporter(e, src, w, key, &ob, bookkeep, &oe);
	if (rc < 0 && rc != SL_ENOMEM) {
		plan_failed(p, o->link.source, &oe);
		rc = 0;
		goto out;
	}
	if (rc == 0)
		verify_inputs(e, key, bookkeep, &ob, p);
	rc = rc < 0 ? rc : sl_plan_link(w, &ob, sl_inventory_object(e->inv, key), p);
	/* A reset planned for lost versions is asked once per verification. */
	if (rc == 0 && bookkeep && ob.verify_lost > 0 &&
	        !strcmp(p->reason, "DestinationIncomplete") && p->actions.len > 0) {
		struct verify_rec *vr = sl_strmap_get(&e->verifies, key, NULL);

		if (vr != NULL)
			vr->lost = 0;
	}
	p->exporter_exists = ob.exists;
	if (rc == 0 && bookkeep)
		rc = note_scope_needs(e, o, key, dst, &ob);
	if (rc == 0 && bookkeep)
		rc = sl_eng_check_note(e, key, o->link.destination, &ob,
		        o->link.destination_mode == SL_DEST_IMPORT);
	if (ob.exists && rc == 0)
		rc = live_info(p, &ob.info, o->name, &w->secret);
	for (i = 0; rc == 0 && o->link.destination_mode == SL_DEST_IMPORT && i < ob.scopes.len;
	        i++) {
		const struct obs_scope *s = ob.scopes.items[i];

		rc = add_live(p, "mode of %s on %s: %s", s->context, o->link.destination,
		        s->mode_rc == 1 ? s->mode : "(not set)");
	}
	if (o->link.suspend)
		p->suspended = true;
out:
	sl_obs_link_release(&ob);
	return rc;
}

/* Observes and plans a Registry, Context or Subject o (key): its mode and compatibility
 * where it manages them. A registry that fails makes p a failure plan naming it. */
static int plan_setting_locked(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_object *o, const char *key, struct sl_plan *p, struct sl_error *err)
{
	struct sl_error oe = SL_ERROR_INIT;
	struct obs_setting s;
	struct reg_client *c;
	int rc;

	if ((rc = setting_of(o, &s)) < 0)
		return rc;
	c = sl_eng_client_for(e, snap, s.registry, err);
	if (c == NULL) {
		sl_obs_setting_release(&s);
		return err ? err->code : SL_EINVAL;
	}
	rc = sl_observe_setting(e, c, &s, key, &oe);
	/* A Registry that manages neither mode nor compatibility still proves that the
	 * registry answers, or a dead registry would report Ready. It reads the exporter
	 * list, which the links of a pass read anyway (one list per registry and pass,
	 * docs/internals/operations.md). Any HTTP answer proves it, even an error (a registry without
	 * the exporters API). */
	if (rc == 0 && o->kind == SL_KIND_REGISTRY && s.mode_rc < 0 && s.compat_rc < 0) {
		rc = sl_obs_exporters(e, c, &oe);
		if (rc < 0 && rc != SL_ENOMEM && !sl_obs_conn_error(oe.code)) {
			rc = 0;
			sl_error_clear(&oe);
		}
	}
	if (rc < 0 && rc != SL_ENOMEM) {
		plan_failed(p, s.registry, &oe);
		rc = 0;
	} else if (rc == 0) {
		rc = sl_plan_setting(o, &s, p);
		if (rc == 0 && s.mode_rc >= 0)
			rc = add_live(p, "mode: %s", s.mode_rc == 1 ? s.mode : "(not set)");
		if (rc == 0 && s.compat_rc >= 0)
			rc = add_live(
			        p, "compatibility: %s", s.compat_rc == 1 ? s.compat : "(not set)");
	}
	sl_obs_setting_release(&s);
	return rc;
}

/* Observes and plans; the caller holds e->mu. *w (links) is filled for apply. */
int sl_eng_plan_locked(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        bool for_delete, bool bookkeep, struct sl_plan **out, struct want_link *w,
        struct sl_error *err)
{
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL);
	struct sl_plan *p = sl_plan_new(key, o);
	int rc;

	*out = NULL;
	memset(w, 0, sizeof(*w));
	if (p == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	if ((o == NULL || for_delete) && !sl_eng_inv_knows(e, key)) {
		sl_plan_free(p);
		return sl_error_set(err, SL_ENOENT,
		        o ? "%s: this manifest set owns nothing of it (it did not create its "
		            "exporter nor set its modes)"
		          : "%s: not declared and not owned",
		        key);
	}
	if (o == NULL || for_delete)
		rc = plan_delete(e, key, p);
	else if (o->kind == SL_KIND_SCHEMALINK)
		rc = plan_link_locked(e, snap, o, key, bookkeep, w, p, err);
	else
		rc = plan_setting_locked(e, snap, o, key, p, err);
	p->reads = e->reads;
	if (rc < 0) {
		if (rc == SL_ENOMEM)
			sl_error_set(err, SL_ENOMEM, "out of memory");
		sl_plan_free(p);
		sl_want_link_release(w);
		return rc;
	}
	*out = p;
	return 0;
}

int sl_engine_plan(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_plan **out, struct sl_error *err)
{
	struct want_link w;
	int rc;

	pthread_mutex_lock(&e->mu);
	e->reads = e->writes = 0;
	rc = sl_eng_plan_locked(e, snap, key, false, false, out, &w, err);
	sl_want_link_release(&w);
	pthread_mutex_unlock(&e->mu);
	return rc;
}
