/* engine.c — one reconcile pass of one object: observe, plan, apply, report; the inventory;
 * prune and delete; the imperative link operations of slctl. */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/qsubject.h"

/* ---- lifecycle --------------------------------------------------------------------------- */

static void client_free(void *p)
{
	struct reg_client *c = p;

	if (c == NULL)
		return;
	sl_srclient_free(c->c);
	free(c->name);
	free(c->url);
	free(c->nurl);
	sl_vec_release(&c->exporters, free);
	sl_strmap_release(&c->exporter_set, NULL);
	sl_vec_release(&c->contexts, free);
	sl_obs_client_forget(c);
	free(c);
}

struct sl_engine *sl_engine_new(const struct sl_engine_config *cfg, struct sl_error *err)
{
	struct sl_engine *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->clock = cfg->clock ? cfg->clock : sl_clock_system();
	sl_strmap_init(&e->clients);
	sl_strmap_init(&e->imports);
	pthread_mutex_init(&e->mu, NULL);
	if ((cfg->state_dir && !(e->state_dir = strdup(cfg->state_dir))) ||
	        !(e->set = strdup(cfg->set ? cfg->set : "default"))) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	e->cfg.state_dir = e->state_dir;
	e->cfg.set = e->set;
	e->cfg.holder = NULL; /* borrowed only while starting */
	e->inv = sl_inventory_load(e->state_dir, e->set, err);
	if (e->inv == NULL)
		goto fail;
	/* One writer per set: a second apply or daemon is told who holds it. */
	if (e->state_dir && !cfg->read_only_state && !cfg->dry_run && cfg->holder &&
	        sl_inventory_lock(e->inv, cfg->holder, err) < 0)
		goto fail;
	/* Prove the state dir is writable now rather than after the first registry write. */
	if (e->state_dir && !cfg->read_only_state && !cfg->dry_run &&
	        sl_inventory_save(e->inv, err) < 0) {
		if (err)
			err->code = SL_EIO;
		goto fail;
	}
	return e;
fail:
	sl_engine_free(e);
	return NULL;
}

void sl_engine_free(struct sl_engine *e)
{
	if (e == NULL)
		return;
	sl_strmap_release(&e->clients, client_free);
	sl_obs_imports_release(e);
	sl_inventory_free(e->inv);
	pthread_mutex_destroy(&e->mu);
	free(e->state_dir);
	free(e->set);
	free(e);
}

static void forget_lists(struct sl_engine *e)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (sl_strmap_next(&e->clients, &pos, &k, &v)) {
		struct reg_client *c = v;

		c->exp_read = c->ctx_read = false;
		c->id_read = false;
		c->down = false;
		sl_obs_client_forget(c);
	}
}

void sl_engine_begin_pass(struct sl_engine *e)
{
	pthread_mutex_lock(&e->mu);
	forget_lists(e);
	e->in_pass = true;
	pthread_mutex_unlock(&e->mu);
}

int sl_engine_end_pass(struct sl_engine *e, struct sl_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&e->mu);
	e->in_pass = false;
	forget_lists(e);
	if (e->inv_dirty && (rc = sl_inventory_flush(e->inv, false, err)) < 0) {
		if (err)
			err->code = SL_EIO;
		rc = SL_EIO;
	}
	e->inv_dirty = false;
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* ---- clients ----------------------------------------------------------------------------- */

static struct reg_client *make_client(struct sl_engine *e, const char *key, const char *name,
        const struct sl_registry_spec *r, const char *url, const char *hash, struct sl_error *err)
{
	struct sl_srclient_config cc;
	struct reg_client *c = calloc(1, sizeof(*c));
	struct sl_transport *t = NULL;
	void *old = NULL;

	memset(&cc, 0, sizeof(cc));
	if (c == NULL || !(c->name = strdup(name)) || !(c->url = strdup(url)) ||
	        !(c->nurl = sl_registry_url_normalize(url))) {
		client_free(c);
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	sl_vec_init(&c->exporters);
	sl_strmap_init(&c->exporter_set);
	sl_vec_init(&c->contexts);
	sl_strmap_init(&c->modes);
	sl_strmap_init(&c->configs);
	sl_strmap_init(&c->peers);
	sl_strlcpy_utf8(c->hash, sizeof(c->hash), hash);
	cc.base_url = url;
	if (r != NULL) {
		if (r->auth.kind == SL_AUTH_BASIC) {
			cc.auth = SL_SRCLIENT_AUTH_BASIC;
			cc.username = r->auth.username;
			cc.password = r->auth.password;
		} else if (r->auth.kind == SL_AUTH_BEARER) {
			cc.auth = SL_SRCLIENT_AUTH_BEARER;
			cc.token = r->auth.token;
		}
		cc.ca_file = r->tls.ca_file;
		cc.cert_file = r->tls.cert_file;
		cc.key_file = r->tls.key_file;
		cc.insecure_skip_verify = r->tls.insecure_skip_verify;
		cc.connect_timeout_ms = (long)r->connect_timeout_ms;
		cc.request_timeout_ms = (long)r->request_timeout_ms;
	}
	cc.sleep_ms = e->cfg.sleep_ms;
	cc.sleep_arg = e->cfg.sleep_arg;
	cc.cancelled = e->cfg.cancelled;
	cc.cancel_arg = e->cfg.cancel_cls;
	if (e->cfg.transport) {
		struct sl_error te = SL_ERROR_INIT;

		t = e->cfg.transport(e->cfg.transport_cls, name, &cc, &te);
		if (t == NULL && te.code != 0) {
			if (err)
				*err = te;
			client_free(c);
			return NULL;
		}
	}
	c->c = sl_srclient_new(&cc, t, err);
	if (c->c == NULL) {
		sl_error_prefix(err, "registry \"%s\"", name);
		client_free(c);
		return NULL;
	}
	if (sl_strmap_set(&e->clients, key, c, &old) < 0) {
		client_free(c);
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	client_free(old);
	return c;
}

static struct reg_client *client_for(
        struct sl_engine *e, const struct sl_snapshot *snap, const char *name, struct sl_error *err)
{
	const struct sl_object *r = sl_snapshot_get(snap, SL_KIND_REGISTRY, name);
	struct reg_client *c;

	if (r == NULL) {
		sl_error_set(err, SL_EINVAL, "registry \"%s\" is not declared", name);
		return NULL;
	}
	c = sl_strmap_get(&e->clients, name, NULL);
	if (c != NULL && strcmp(c->hash, r->spec_hash) == 0 && !strcmp(c->url, r->registry.url))
		return c;
	return make_client(e, name, name, &r->registry, r->registry.url, r->spec_hash, err);
}

/* The registry a record names (prune, delete, restore): the declared Registry of that name
 * when it still has the recorded URL (its credentials go only to its own URL), else a client
 * without credentials at the recorded URL. url NULL or "": the declared Registry. */
static struct reg_client *client_for_url(struct sl_engine *e, const struct sl_snapshot *snap,
        const char *name, const char *url, struct sl_error *err)
{
	const struct sl_object *r = name ? sl_snapshot_get(snap, SL_KIND_REGISTRY, name) : NULL;
	struct sl_buf k = SL_BUF_INIT;
	struct reg_client *c;
	char *n = NULL;
	bool same = false;

	if (r != NULL && url != NULL && url[0]) {
		n = sl_registry_url_normalize(r->registry.url);
		if (n == NULL) { /* not "another URL": that client would go without credentials */
			sl_error_set(err, SL_ENOMEM, "out of memory");
			return NULL;
		}
		same = !strcmp(n, url);
		free(n);
	}
	if (r != NULL && (same || url == NULL || !url[0]))
		return client_for(e, snap, name, err);
	if (url == NULL || !url[0]) {
		sl_error_set(err, SL_EINVAL,
		        "registry \"%s\" is not declared and the inventory has no url for it",
		        name ? name : "?");
		return NULL;
	}
	if (sl_buf_addf(&k, "url:%s", url) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	c = sl_strmap_get(&e->clients, k.data, NULL);
	if (c == NULL)
		c = make_client(e, k.data, name ? name : url, NULL, url, "", err);
	sl_buf_release(&k);
	return c;
}

int sl_engine_identity(struct sl_engine *e, struct reg_client *c, struct sl_error *err)
{
	if (!c->id_read || !e->in_pass) {
		c->id_err = (struct sl_error)SL_ERROR_INIT;
		e->reads++;
		c->id_rc = sl_srclient_cluster_id(
		        c->c, c->cluster_id, sizeof(c->cluster_id), &c->id_err);
		if (c->id_rc < 0)
			c->cluster_id[0] = '\0';
		c->id_read = true;
	}
	if (c->id_rc < 0) {
		if (err)
			*err = c->id_err;
		return c->id_rc;
	}
	return 0;
}

/* Where a record made now on c lives. Borrows c's strings. */
static struct sl_inv_where where_of(struct reg_client *c, const char *registry)
{
	struct sl_inv_where w;

	w.registry = (char *)(uintptr_t)registry;
	w.url = c->nurl;
	w.cluster_id = c->cluster_id;
	return w;
}

struct sl_srclient *sl_engine_client(
        struct sl_engine *e, const struct sl_snapshot *snap, const char *name, struct sl_error *err)
{
	struct reg_client *c;

	pthread_mutex_lock(&e->mu);
	c = client_for(e, snap, name, err);
	pthread_mutex_unlock(&e->mu);
	return c ? c->c : NULL;
}

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
static const char *split_orphan(const char *id, char *key, size_t len)
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
	const char *url = split_orphan(id, key, sizeof(key));
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
static bool inv_knows(const struct sl_engine *e, const char *id)
{
	char key[320];
	const char *url = split_orphan(id, key, sizeof(key));
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
		struct sl_inv_where at = where_of(src, o->link.source);

		if (!sl_inventory_own(e->inv, key, o->name, &at, false, true))
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		ob->exporter_owned = true;
	}
	return 0;
}

/* Observes and plans; the caller holds e->mu. *wout (links) is filled for apply. */
static int plan_locked(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        bool for_delete, bool bookkeep, struct sl_plan **out, struct want_link *w,
        struct sl_error *err)
{
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL);
	struct sl_plan *p = sl_plan_new(key, o);
	struct sl_error oe = SL_ERROR_INIT;
	int rc = 0;

	*out = NULL;
	memset(w, 0, sizeof(*w));
	if (p == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	if (o == NULL || for_delete) {
		if (!inv_knows(e, key)) {
			sl_plan_free(p);
			return sl_error_set(err, SL_ENOENT,
			        o ? "%s: this manifest set owns nothing of it (it did not create "
			            "its "
			            "exporter nor set its modes)"
			          : "%s: not declared and not owned",
			        key);
		}
		rc = plan_delete(e, key, p);
		goto out;
	}
	if (o->kind == SL_KIND_SCHEMALINK) {
		struct reg_client *src, *dst;
		struct obs_link ob;

		if ((rc = sl_want_link_build(snap, o, w, err)) < 0)
			goto out;
		src = client_for(e, snap, o->link.source, err);
		dst = src ? client_for(e, snap, o->link.destination, err) : NULL;
		if (dst == NULL) {
			rc = err ? err->code : SL_EINVAL;
			goto out;
		}
		sl_obs_link_init(&ob);
		rc = sl_observe_link(e, snap, w, key, src, dst, &ob, &oe);
		if (rc < 0 && rc != SL_ENOMEM) {
			/* Which registry failed: the message names the request path. */
			plan_failed(p,
			        src->down || rc == src->exp_rc ? o->link.source
			                                       : o->link.destination,
			        &oe);
			rc = 0;
		} else if (rc == 0) {
			const struct sl_inv_object *io = sl_inventory_object(e->inv, key);
			size_t i;

			rc = own_exporter(e, src, w, key, &ob, bookkeep, &oe);
			if (rc < 0 && rc != SL_ENOMEM) {
				plan_failed(p, o->link.source, &oe);
				rc = 0;
				goto link_done;
			}
			rc = rc < 0 ? rc : sl_plan_link(w, &ob, io, p);
			p->exporter_exists = ob.exists;
			/* A scope already IMPORT that this set manages: this link needs it too, so
			 * deleting the link that wrote it does not restore it under this one. */
			for (i = 0; rc == 0 && bookkeep && i < ob.scopes.len; i++) {
				const struct obs_scope *s = ob.scopes.items[i];
				const struct sl_inv_scope *is =
				        sl_inventory_scope(e->inv, dst->nurl, "mode", s->scope);

				if (is && s->mode_rc == 1 && !strcmp(s->mode, "IMPORT") &&
				        !sl_inv_scope_needed_by(is, key)) {
					struct sl_inv_where at = is->at;

					if (!sl_inventory_scope_need(e->inv, &at, "mode", s->scope,
					            is->had_previous, is->previous, is->value, key,
					            is->pending))
						rc = SL_ENOMEM;
				} else if (!is && s->mode_rc == 1 && !strcmp(s->mode, "IMPORT") &&
				           o->link.destination_mode == SL_DEST_IMPORT) {
					/* In place already (another set, or by hand): this set needs it
					 * but never restores it; the need keeps other sets from
					 * restoring it under this link. */
					struct sl_inv_where at = where_of(dst, o->link.destination);
					struct sl_inv_scope *ns;

					at.cluster_id = (char *)(uintptr_t) "";
					ns = sl_inventory_scope_need(e->inv, &at, "mode", s->scope,
					        false, NULL, "IMPORT", key, false);
					if (ns == NULL)
						rc = SL_ENOMEM;
					else if (!ns->borrowed) {
						ns->borrowed = true;
						sl_inventory_scope_touch(e->inv, ns->id);
					}
				}
			}
			if (ob.exists) {
				struct sl_buf b = SL_BUF_INIT;
				struct sl_vec keys = SL_VEC_INIT;

				sl_buf_addf(&b,
				        "{\"name\":\"%s\",\"contextType\":\"%s\",\"context\":\"%"
				        "s\","
				        "\"subjects\":[",
				        ob.info.name ? ob.info.name : o->name,
				        ob.info.context_type ? ob.info.context_type : "",
				        ob.info.context ? ob.info.context : "");
				for (i = 0; i < ob.info.subjects.len; i++)
					sl_buf_addf(&b, "%s\"%s\"", i ? "," : "",
					        (const char *)ob.info.subjects.items[i]);
				sl_buf_addf(&b, "],\"subjectRenameFormat\":\"%s\",\"config\":{",
				        ob.info.subject_rename_format
				                ? ob.info.subject_rename_format
				                : "");
				sl_strmap_keys(&ob.info.config, &keys);
				for (i = 0; i < keys.len; i++) {
					const char *k = keys.items[i];
					const char *v = sl_strmap_get(&ob.info.config, k, NULL);
					bool secret = sl_strmap_get(&w->secret, k, NULL) != NULL;

					sl_buf_addf(&b, "%s\"%s\":\"%s\"", i ? "," : "", k,
					        secret && strcmp(v, HIDDEN) ? HIDDEN : v);
				}
				sl_buf_adds(&b, "}}");
				sl_vec_release(&keys, NULL);
				p->live_info = sl_buf_detach(&b);
			}
			for (i = 0; rc == 0 && i < ob.scopes.len; i++) {
				const struct obs_scope *s = ob.scopes.items[i];
				struct sl_buf b = SL_BUF_INIT;
				char *line;

				if (o->link.destination_mode != SL_DEST_IMPORT)
					break;
				sl_buf_addf(&b, "mode of %s on %s: %s", s->context,
				        o->link.destination,
				        s->mode_rc == 1 ? s->mode : "(not set)");
				line = sl_buf_detach(&b);
				if (line == NULL || sl_vec_push(&p->live, line) < 0) {
					free(line);
					rc = SL_ENOMEM;
				}
			}
			if (o->link.suspend)
				p->suspended = true;
		}
	link_done:
		sl_obs_link_release(&ob);
	} else {
		struct obs_setting s;
		struct reg_client *c;

		if ((rc = setting_of(o, &s)) < 0)
			goto out;
		c = client_for(e, snap, s.registry, err);
		if (c == NULL) {
			sl_obs_setting_release(&s);
			rc = err ? err->code : SL_EINVAL;
			goto out;
		}
		rc = sl_observe_setting(e, c, &s, key, &oe);
		/* A Registry that manages neither mode nor compatibility still proves that the
		 * registry answers, or a dead registry would report Ready. It reads the exporter
		 * list, which the links of a pass read anyway (one list per registry and pass,
		 * OPERATIONS.md). Any HTTP answer proves it, even an error (a registry without
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
			if (s.mode_rc >= 0) {
				struct sl_buf b = SL_BUF_INIT;

				sl_buf_addf(&b, "mode: %s", s.mode_rc == 1 ? s.mode : "(not set)");
				sl_vec_push(&p->live, sl_buf_detach(&b));
			}
			if (s.compat_rc >= 0) {
				struct sl_buf b = SL_BUF_INIT;

				sl_buf_addf(&b, "compatibility: %s",
				        s.compat_rc == 1 ? s.compat : "(not set)");
				sl_vec_push(&p->live, sl_buf_detach(&b));
			}
		}
		sl_obs_setting_release(&s);
	}
out:
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
	rc = plan_locked(e, snap, key, false, false, out, &w, err);
	sl_want_link_release(&w);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* The normalized URL of the registry key's declared object writes what the inventory
 * recorded to: a link's source (exporters) or destination (scopes), a setting's registry.
 * Owned, or NULL when key is not declared (or out of memory). */
static char *declared_url(const struct sl_snapshot *snap, const char *key, bool exporter)
{
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL), *r;
	const char *reg;

	if (o == NULL)
		return NULL;
	switch (o->kind) {
	case SL_KIND_SCHEMALINK: reg = exporter ? o->link.source : o->link.destination; break;
	case SL_KIND_REGISTRY: reg = o->name; break;
	case SL_KIND_CONTEXT: reg = o->context.registry; break;
	default: reg = o->subject.registry; break;
	}
	r = sl_snapshot_get(snap, SL_KIND_REGISTRY, reg);
	return r ? sl_registry_url_normalize(r->registry.url) : NULL;
}

/* Adds the orphan id of key's record at url to seen when snap no longer covers it. */
static int note_orphan(const struct sl_snapshot *snap, const char *key, const char *url,
        bool exporter, struct sl_strmap *seen)
{
	struct sl_buf b = SL_BUF_INIT;
	char *now;
	int rc = 0;

	if (!sl_strmap_get(&snap->by_key, key, NULL))
		return sl_strmap_set(seen, key, NULL, NULL);
	now = declared_url(snap, key, exporter);
	/* The object moved to another registry: what it made on the old one is left behind. */
	if (now != NULL && strcmp(now, url) != 0 && url[0]) {
		rc = sl_buf_addf(&b, "%s@%s", key, url);
		rc = rc ? rc : sl_strmap_set(seen, b.data, NULL, NULL);
	}
	free(now);
	sl_buf_release(&b);
	return rc;
}

static int orphans_locked(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out)
{
	struct sl_strmap seen = SL_STRMAP_INIT;
	struct sl_vec sorted = SL_VEC_INIT;
	size_t pos = 0, j;
	const char *k;
	void *v;
	int rc = 0;

	while (rc == 0 && sl_strmap_next(&e->inv->owned, &pos, &k, &v)) {
		const struct sl_inv_owned *o = v;

		rc = note_orphan(snap, o->key, o->at.url, true, &seen);
	}
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->scopes, &pos, &k, &v)) {
		const struct sl_inv_scope *s = v;

		for (j = 0; rc == 0 && j < s->needed_by.len; j++)
			rc = note_orphan(snap, s->needed_by.items[j], s->at.url, false, &seen);
	}
	/* Records that own nothing on a registry (statuses) go with their key. */
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->objects, &pos, &k, &v))
		if (!sl_strmap_get(&snap->by_key, k, NULL))
			rc = sl_strmap_set(&seen, k, NULL, NULL);
	/* Appended sorted, after whatever out holds already (the declared keys, in order). */
	rc = rc ? rc : sl_strmap_keys(&seen, &sorted);
	for (j = 0; rc == 0 && j < sorted.len; j++) {
		char *c = strdup(sorted.items[j]);

		if (c == NULL || sl_vec_push(out, c) < 0) {
			free(c);
			rc = SL_ENOMEM;
		}
	}
	sl_vec_release(&sorted, NULL);
	sl_strmap_release(&seen, NULL);
	return rc;
}

int sl_engine_orphans(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = orphans_locked(e, snap, out);
	pthread_mutex_unlock(&e->mu);
	return rc < 0 ? sl_error_set(err, rc, "out of memory") : 0;
}

/* The keys that own something on a registry (an exporter or a scope), into owners. */
static int owners_locked(const struct sl_engine *e, struct sl_strmap *owners)
{
	size_t pos = 0, j;
	const char *k;
	void *v;
	int rc = 0;

	while (rc == 0 && sl_strmap_next(&e->inv->owned, &pos, &k, &v))
		rc = sl_strmap_set(owners, ((const struct sl_inv_owned *)v)->key, NULL, NULL);
	pos = 0;
	while (rc == 0 && sl_strmap_next(&e->inv->scopes, &pos, &k, &v)) {
		const struct sl_inv_scope *s = v;

		for (j = 0; rc == 0 && j < s->needed_by.len; j++)
			rc = sl_strmap_set(owners, s->needed_by.items[j], NULL, NULL);
	}
	return rc;
}

/* The prune guard for snap, computed once per snapshot: the caller holds e->mu. */
static bool guard_locked(struct sl_engine *e, const struct sl_snapshot *snap)
{
	struct sl_strmap owners = SL_STRMAP_INIT;
	struct sl_vec orphans = SL_VEC_INIT;
	size_t i, n = 0, limit;

	if (snap->id != 0 && snap->id == e->guard_snap)
		return e->guard_ok;
	e->guard_ok = true;
	e->guard_why[0] = '\0';
	if (owners_locked(e, &owners) < 0 || orphans_locked(e, snap, &orphans) < 0) {
		e->guard_ok = false;
		sl_strlcpy_utf8(e->guard_why, sizeof(e->guard_why), "out of memory");
		goto out;
	}
	/* Only what owns something counts: a status record deletes nothing. */
	for (i = 0; i < orphans.len; i++) {
		char key[320];

		bool owns = false;

		split_orphan(orphans.items[i], key, sizeof(key));
		sl_strmap_get(&owners, key, &owns);
		if (owns || strchr(orphans.items[i], '@'))
			n++;
	}
	limit = e->cfg.max_prune > 0 ? (size_t)e->cfg.max_prune
	                             : (owners.len / 2 > 0 ? owners.len / 2 : 1);
	if (n == 0)
		goto out;
	if (snap->objects.len == 0) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: the manifests declare no object, and a manifest set that "
		        "loads nothing never prunes (%zu object(s) this set owns are kept)",
		        owners.len);
	} else if (e->cfg.allow_prune_all) {
		goto out;
	} else if (n >= owners.len) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: it would delete every object this set owns (%zu); pass "
		        "--allow-prune-all if that is meant",
		        n);
	} else if (n > limit) {
		e->guard_ok = false;
		snprintf(e->guard_why, sizeof(e->guard_why),
		        "prune refused: it would delete %zu of the %zu objects this set owns, more "
		        "than the %zu allowed at once (--max-prune); pass --max-prune %zu or "
		        "--allow-prune-all if that is meant",
		        n, owners.len, limit, n);
	}
out:
	e->guard_snap = snap->id;
	sl_strmap_release(&owners, NULL);
	sl_vec_release(&orphans, free);
	return e->guard_ok;
}

int sl_engine_orphans_try(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err)
{
	int rc;

	if (pthread_mutex_trylock(&e->mu) != 0)
		return sl_error_set(err, SL_ESTATE, "the engine is busy");
	rc = orphans_locked(e, snap, out);
	pthread_mutex_unlock(&e->mu);
	return rc < 0 ? sl_error_set(err, rc, "out of memory") : 0;
}

int sl_engine_prune_allowed_try(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len)
{
	bool ok;

	if (pthread_mutex_trylock(&e->mu) != 0)
		return -1;
	ok = guard_locked(e, snap);
	if (why && len)
		sl_strlcpy_utf8(why, len, ok ? "" : e->guard_why);
	pthread_mutex_unlock(&e->mu);
	return ok ? 1 : 0;
}

bool sl_engine_prune_allowed(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len)
{
	bool ok;

	pthread_mutex_lock(&e->mu);
	ok = guard_locked(e, snap);
	if (why && len)
		sl_strlcpy_utf8(why, len, ok ? "" : e->guard_why);
	pthread_mutex_unlock(&e->mu);
	return ok;
}

/* ---- applying ---------------------------------------------------------------------------- */

static struct reg_client *action_client(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_action *a, struct sl_error *err)
{
	if (a->url[0])
		return client_for_url(e, snap, a->registry, a->url, err);
	return client_for(e, snap, a->registry, err);
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
	/* OPERATIONS.md: a create that timed out is followed by a read; "already exists"
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
	at = where_of(c, a->registry);
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
	const char *url = split_orphan(id, key, sizeof(key));
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
	const char *url = split_orphan(id, key, sizeof(key));
	bool yes;

	if (url == NULL)
		return false;
	a = declared_url(snap, key, true);
	b = declared_url(snap, key, false);
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
	if (e->cfg.prune && !guard_locked(e, snap) && o == NULL && !for_delete &&
	        inv_knows(e, key)) {
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
	rc = plan_locked(
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
		/* spec.suspend: observe and report only (ARCHITECTURE.md steps 1 and 5). */
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

/* ---- imperative operations --------------------------------------------------------------- */

static const struct sl_object *find_link(
        const struct sl_snapshot *snap, const char *name, struct sl_error *err)
{
	const struct sl_object *o = sl_snapshot_get(snap, SL_KIND_SCHEMALINK, name);

	if (o == NULL)
		sl_error_set(err, SL_ENOENT, "link \"%s\" is not declared in the manifests", name);
	return o;
}

int sl_engine_link_op(struct sl_engine *e, const struct sl_snapshot *snap, const char *name,
        enum sl_link_op op, struct sl_buf *warning, struct sl_error *err)
{
	const struct sl_object *o = find_link(snap, name, err);
	struct reg_client *c;
	int rc;

	if (o == NULL)
		return SL_ENOENT;
	pthread_mutex_lock(&e->mu);
	c = client_for(e, snap, o->link.source, err);
	if (c == NULL) {
		rc = err ? err->code : SL_EINVAL;
		goto out;
	}
	switch (op) {
	case SL_LINK_OP_PAUSE: rc = sl_srclient_exporter_pause(c->c, name, err); break;
	case SL_LINK_OP_RESUME:
		rc = sl_srclient_exporter_resume(c->c, name, err);
		if (rc < 0 && sl_srclient_err_is(err, 40961)) {
			sl_error_clear(err);
			rc = 0;
		}
		break;
	default:
		rc = sl_srclient_exporter_reset(c->c, name, err);
		if (rc < 0 && sl_srclient_err_is(err, 40963))
			sl_error_prefix(err,
			        "reset needs a paused exporter; run 'slctl pause link %s' "
			        "first",
			        name);
		break;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (warning && !o->link.suspend) {
		if (op == SL_LINK_OP_PAUSE && o->link.state == SL_LINK_RUNNING)
			sl_buf_addf(warning,
			        "link %s is declared with spec.state: Running; the next 'slctl "
			        "apply' "
			        "or a running schemalinkd will resume it. To keep it paused, set "
			        "spec.state: Paused (or spec.suspend: true) in %s",
			        name, o->file);
		else if (op == SL_LINK_OP_RESUME && o->link.state == SL_LINK_PAUSED)
			sl_buf_addf(warning,
			        "link %s is declared with spec.state: Paused; the next 'slctl "
			        "apply' "
			        "or a running schemalinkd will pause it again. To keep it running, "
			        "set "
			        "spec.state: Running in %s",
			        name, o->file);
	}
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* Appends s as a YAML double-quoted scalar (JSON string syntax is valid YAML). */
static int yaml_quoted(struct sl_buf *b, const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	int rc = q ? sl_buf_adds(b, q) : SL_ENOMEM;

	free(q);
	json_decref(j);
	return rc;
}

static int yaml_secret_ref(struct sl_buf *b, const struct sl_secret_ref *r)
{
	const char *k = r->kind == SL_SECRET_ENV    ? "env"
	                : r->kind == SL_SECRET_FILE ? "file"
	                                            : "value";
	int rc = sl_buf_addf(b, "{%s: ", k);

	rc = rc ? rc : yaml_quoted(b, r->ref);
	return rc ? rc : sl_buf_adds(b, "}");
}

/* The whole SchemaLink document of o as promoted (state Paused, destinationMode Unmanaged),
 * so it can replace the declared one as it is. References to secrets only, never values. */
static int promoted_document(const struct sl_object *o, struct sl_buf *b)
{
	const struct sl_link_spec *l = &o->link;
	size_t i;
	int rc;

	rc = sl_buf_addf(
	        b, "apiVersion: %s\nkind: SchemaLink\nmetadata:\n  name: ", SL_API_VERSION);
	rc = rc ? rc : yaml_quoted(b, o->name);
	for (i = 0; rc == 0 && i < o->labels.len; i++) {
		const struct sl_kv *kv = o->labels.items[i];

		rc = sl_buf_adds(b, i ? "\n    " : "\n  labels:\n    ");
		rc = rc ? rc : yaml_quoted(b, kv->key);
		rc = rc ? rc : sl_buf_adds(b, ": ");
		rc = rc ? rc : yaml_quoted(b, kv->value);
	}
	rc = rc ? rc : sl_buf_adds(b, "\nspec:\n  source: ");
	rc = rc ? rc : yaml_quoted(b, l->source);
	rc = rc ? rc : sl_buf_adds(b, "\n  destination: ");
	rc = rc ? rc : yaml_quoted(b, l->destination);
	rc = rc ? rc : sl_buf_adds(b, "\n  subjects: [");
	for (i = 0; rc == 0 && i < l->subjects.len; i++) {
		rc = i ? sl_buf_adds(b, ", ") : 0;
		rc = rc ? rc : yaml_quoted(b, l->subjects.items[i]);
	}
	rc = rc ? rc
	        : sl_buf_addf(b, "]\n  context: {type: %s", sl_context_type_name(l->context_type));
	if (rc == 0 && l->context_type == SL_CONTEXT_CUSTOM) {
		rc = sl_buf_adds(b, ", name: ");
		rc = rc ? rc : yaml_quoted(b, l->context_name ? l->context_name : l->source);
	}
	rc = rc ? rc : sl_buf_adds(b, "}\n");
	if (rc == 0 && l->subject_rename_format) {
		rc = sl_buf_adds(b, "  subjectRenameFormat: ");
		rc = rc ? rc : yaml_quoted(b, l->subject_rename_format);
		rc = rc ? rc : sl_buf_adds(b, "\n");
	}
	for (i = 0; rc == 0 && i < l->config.len; i++) {
		const struct sl_kv *kv = l->config.items[i];

		rc = sl_buf_adds(b, i ? "    " : "  config:\n    ");
		rc = rc ? rc : yaml_quoted(b, kv->key);
		rc = rc ? rc : sl_buf_adds(b, ": ");
		rc = rc ? rc : yaml_quoted(b, kv->value);
		rc = rc ? rc : sl_buf_adds(b, "\n");
	}
	for (i = 0; rc == 0 && i < l->secret_config.len; i++) {
		const struct sl_secret_kv *kv = l->secret_config.items[i];

		rc = sl_buf_adds(b, i ? "    " : "  secretConfig:\n    ");
		rc = rc ? rc : yaml_quoted(b, kv->key);
		rc = rc ? rc : sl_buf_adds(b, ": ");
		rc = rc ? rc : yaml_secret_ref(b, &kv->ref);
		rc = rc ? rc : sl_buf_adds(b, "\n");
	}
	rc = rc ? rc
	        : sl_buf_addf(b,
	                  "  state: Paused\n  suspend: %s\n  destinationMode: Unmanaged\n"
	                  "  selfHeal: {enabled: %s, forceImport: %s, maxAttemptsPerHour: %d}\n"
	                  "  resetOnUpdate: %s\n",
	                  l->suspend ? "true" : "false", l->self_heal_enabled ? "true" : "false",
	                  l->force_import ? "true" : "false", l->max_attempts_per_hour,
	                  l->reset_on_update ? "true" : "false");
	return rc;
}

static int promote_add_scope(struct obs_link *ob, const char *ctx)
{
	struct obs_scope *ns;
	size_t j;

	for (j = 0; j < ob->scopes.len; j++)
		if (!strcmp(((struct obs_scope *)ob->scopes.items[j])->context, ctx))
			return 0;
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL || !(ns->context = strdup(ctx)) || !(ns->scope = sl_scope_of_context(ctx)) ||
	        sl_vec_push(&ob->scopes, ns) < 0) {
		if (ns) {
			free(ns->scope);
			free(ns->context);
		}
		free(ns);
		return SL_ENOMEM;
	}
	return 0;
}

static const char *promote_scope_name(const char *scope, char *buf, size_t len)
{
	if (scope[0] == '\0')
		snprintf(buf, len, "the top level");
	else if (scope[0] == ':' && scope[1] == '.')
		snprintf(buf, len, "context %.*s", (int)(strlen(scope) - 2), scope + 1);
	else
		snprintf(buf, len, "%s", scope);
	return buf;
}

int sl_engine_promote(struct sl_engine *e, const struct sl_snapshot *snap, const char *name,
        struct sl_buf *change, struct sl_error *err)
{
	const struct sl_object *o = find_link(snap, name, err);
	struct reg_client *src, *dst;
	struct want_link w;
	struct obs_link ob;
	struct sl_buf key = SL_BUF_INIT;
	size_t i, pos;
	const char *sk;
	void *sv;
	int rc;

	if (o == NULL)
		return SL_ENOENT;
	memset(&w, 0, sizeof(w));
	sl_obs_link_init(&ob);
	pthread_mutex_lock(&e->mu);
	if (sl_buf_addf(&key, "SchemaLink/%s", name) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sl_want_link_build(snap, o, &w, err)) < 0)
		goto out;
	src = client_for(e, snap, o->link.source, err);
	dst = src ? client_for(e, snap, o->link.destination, err) : NULL;
	if (dst == NULL) {
		rc = err ? err->code : SL_EINVAL;
		goto out;
	}
	if ((rc = sl_observe_link(e, snap, &w, key.data, src, dst, &ob, err)) < 0)
		goto out;
	if (ob.exists && (rc = sl_srclient_exporter_pause(src->c, name, err)) < 0)
		goto out;
	/* Every scope the link writes to, plus what the inventory says it needed. */
	pos = 0;
	while (sl_strmap_next(&e->inv->scopes, &pos, &sk, &sv)) {
		const struct sl_inv_scope *s = sv;
		bool listed = false;

		if (strcmp(s->at.url, dst->nurl) || strcmp(s->what, "mode") ||
		        !sl_inv_scope_needed_by(s, key.data))
			continue;
		for (size_t j = 0; j < ob.scopes.len; j++)
			if (!strcmp(((struct obs_scope *)ob.scopes.items[j])->scope, s->scope))
				listed = true;
		if (!listed) {
			struct obs_scope *ns = calloc(1, sizeof(*ns));

			if (ns == NULL || !(ns->scope = strdup(s->scope)) ||
			        !(ns->context = strdup(s->scope)) ||
			        sl_vec_push(&ob.scopes, ns) < 0) {
				if (ns) {
					free(ns->scope);
					free(ns->context);
				}
				free(ns);
				rc = sl_error_set(err, SL_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	/* Recursively: contexts nested under the link's own (".source.x", written by a filter
	 * that selects source contexts) are the link's too. */
	if (strcmp(w.dest_ctx, ".") != 0 && (rc = sl_obs_contexts(e, dst, err)) < 0)
		goto out;
	for (i = 0; strcmp(w.dest_ctx, ".") != 0 && i < dst->contexts.len; i++) {
		const char *ctx = dst->contexts.items[i];
		size_t n = strlen(w.dest_ctx);

		if (strncmp(ctx, w.dest_ctx, n) == 0 && ctx[n] == '.' &&
		        (rc = promote_add_scope(&ob, ctx)) < 0) {
			sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < ob.scopes.len; i++) {
		const struct obs_scope *s = ob.scopes.items[i];

		e->writes++;
		rc = sl_srclient_mode_put(dst->c, s->scope, "READWRITE", false, err);
		sl_obs_forget_scope(e, "mode", s->scope);
		if (rc < 0)
			goto out;
		/* The scope now belongs to the people writing there: never restored or forced. */
		{
			struct sl_inv_scope *is =
			        sl_inventory_scope(e->inv, dst->nurl, "mode", s->scope);

			if (is)
				sl_inventory_scope_forget(e->inv, is->id);
		}
	}
	if (!e->cfg.read_only_state && (rc = sl_inventory_flush(e->inv, true, err)) < 0)
		goto out;
	sl_buf_addf(change,
	        "# Link %s is promoted: its exporter on %s is paused and %s accepts writes on",
	        name, o->link.source, o->link.destination);
	for (i = 0; i < ob.scopes.len; i++) {
		const struct obs_scope *s = ob.scopes.items[i];
		char sn[300];

		sl_buf_addf(change, "%s %s", i ? "," : "",
		        promote_scope_name(s->scope, sn, sizeof(sn)));
	}
	sl_buf_addf(change,
	        ".\n# Replace SchemaLink %s in %s (line %d) with this document and commit it, or "
	        "schemalink will undo the failover\n# (state was %s, destinationMode was %s):\n",
	        name, o->file, o->line, sl_link_state_name(o->link.state),
	        sl_dest_mode_name(o->link.destination_mode));
	if ((rc = promoted_document(o, change)) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&e->mu);
	sl_obs_link_release(&ob);
	sl_want_link_release(&w);
	sl_buf_release(&key);
	return rc;
}
