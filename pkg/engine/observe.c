/* observe.c — read the live state one object's plan needs, and nothing more (docs/internals/operations.md
 * no-op target: per link the exporter info and status, one GET per managed scope, one list
 * per registry and pass). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/qsubject.h"

void sl_obs_link_init(struct obs_link *o)
{
	struct sl_exporter ei = SL_EXPORTER_INIT;
	struct sl_exporter_status si = SL_EXPORTER_STATUS_INIT;

	memset(o, 0, sizeof(*o));
	o->info = ei;
	o->status = si;
	sl_vec_init(&o->scopes);
	sl_vec_init(&o->imports);
}

static void scope_free(void *p)
{
	struct obs_scope *s = p;

	if (s == NULL)
		return;
	free(s->scope);
	free(s->context);
	free(s->mode);
	free(s->sample);
	free(s->local_detail);
	free(s);
}

static void import_free(void *p)
{
	struct obs_import *i = p;

	if (i == NULL)
		return;
	free(i->context);
	free(i->writer);
	free(i);
}

void sl_obs_link_release(struct obs_link *o)
{
	sl_exporter_release(&o->info);
	sl_exporter_status_release(&o->status);
	sl_vec_release(&o->scopes, scope_free);
	sl_vec_release(&o->imports, import_free);
	o->declared = NULL;
}

int sl_obs_link_imports(const struct obs_link *o, struct sl_import_context **out, size_t *n)
{
	const struct sl_vec *lists[2] = {o->declared ? &o->declared->list : NULL, &o->imports};
	size_t total = o->imports.len + (o->declared ? o->declared->list.len : 0), i, k;

	*out = NULL;
	*n = 0;
	if (total == 0)
		return 0;
	if ((*out = calloc(total, sizeof(**out))) == NULL)
		return SL_ENOMEM;
	for (k = 0; k < 2; k++) {
		for (i = 0; lists[k] && i < lists[k]->len; i++) {
			const struct obs_import *im = lists[k]->items[i];

			(*out)[*n].context = im->context;
			(*out)[*n].writer = im->writer;
			(*n)++;
		}
	}
	return 0;
}

void sl_obs_setting_release(struct obs_setting *o)
{
	free(o->scope);
	free(o->mode);
	free(o->compat);
	memset(o, 0, sizeof(*o));
}

bool sl_obs_conn_error(int code)
{
	return code == SL_ECONN || code == SL_ETIMEOUT;
}

/* Marks c down for the rest of the pass after a connection failure. */
static int note(struct sl_engine *e, struct reg_client *c, int rc, const struct sl_error *err)
{
	e->reads++;
	if (rc < 0 && sl_obs_conn_error(err->code) && e->in_pass) {
		c->down = true;
		c->down_err = *err;
	}
	return rc;
}

static int is_down(struct reg_client *c, struct sl_error *err)
{
	if (!c->down)
		return 0;
	*err = c->down_err;
	return err->code;
}

int sl_obs_exporters(struct sl_engine *e, struct reg_client *c, struct sl_error *err)
{
	size_t i;
	int rc;

	if (c->exp_read && e->in_pass) {
		*err = c->exp_err;
		return c->exp_rc;
	}
	if ((rc = is_down(c, err)) < 0)
		return rc;
	sl_vec_release(&c->exporters, free);
	sl_strmap_release(&c->exporter_set, NULL);
	sl_error_clear(&c->exp_err);
	rc = note(e, c, sl_srclient_exporters_list(c->c, &c->exporters, &c->exp_err), &c->exp_err);
	/* The set answers sl_observe_link's "does the exporter exist" without a scan per link. */
	for (i = 0; rc >= 0 && i < c->exporters.len; i++)
		if (sl_strmap_set(&c->exporter_set, c->exporters.items[i], NULL, NULL) < 0)
			rc = sl_error_set(&c->exp_err, SL_ENOMEM, "out of memory");
	c->exp_rc = rc < 0 ? rc : 0;
	c->exp_read = true;
	*err = c->exp_err;
	return c->exp_rc;
}

int sl_obs_contexts(struct sl_engine *e, struct reg_client *c, struct sl_error *err)
{
	int rc;

	if (c->ctx_read && e->in_pass) {
		*err = c->ctx_err;
		return c->ctx_rc;
	}
	if ((rc = is_down(c, err)) < 0)
		return rc;
	sl_vec_release(&c->contexts, free);
	sl_error_clear(&c->ctx_err);
	rc = note(e, c, sl_srclient_contexts_list(c->c, &c->contexts, &c->ctx_err), &c->ctx_err);
	c->ctx_rc = rc < 0 ? rc : 0;
	c->ctx_read = true;
	*err = c->ctx_err;
	return c->ctx_rc;
}

/* One answer of this pass to GET /mode or GET /config of a scope. */
struct scope_read {
	int rc; /* 1 set, 0 not set, or the error */
	char *value; /* when rc is 1 */
	struct sl_error err; /* when rc < 0 */
};

static void scope_read_free(void *p)
{
	struct scope_read *r = p;

	if (r == NULL)
		return;
	free(r->value);
	free(r);
}

/* What the loop check needs of one exporter on a registry: where it writes and into which
 * context of that registry (NULL: the same contexts, NONE). */
struct peer {
	char *url; /* its schema.registry.url, NULL when unknown */
	char *ctx;
	char *name;
};

static void peer_free(void *p)
{
	struct peer *x = p;

	if (x == NULL)
		return;
	free(x->url);
	free(x->ctx);
	free(x->name);
	free(x);
}

void sl_obs_client_forget(struct reg_client *c)
{
	if (c->c != NULL)
		sl_srclient_forget_ahead(c->c, NULL);
	sl_strmap_release(&c->modes, scope_read_free);
	sl_strmap_release(&c->configs, scope_read_free);
	sl_strmap_release(&c->peers, peer_free);
}

/* The peer record of exporter name on c (borrowed from c->peers): read once per pass, or once
 * per loop check outside one (GET /exporters/{name}); *out NULL when it went away. */
static int peer_of(struct sl_engine *e, struct reg_client *c, const char *name,
        const struct peer **out, struct sl_error *err)
{
	struct sl_exporter x = SL_EXPORTER_INIT;
	struct peer *p = sl_strmap_get(&c->peers, name, NULL);
	struct sl_error e2 = SL_ERROR_INIT;
	const char *url;
	int rc;

	*out = p;
	if (p != NULL)
		return 0;
	rc = note(e, c, sl_srclient_exporter_get(c->c, name, &x, err), err);
	if (rc < 0) {
		sl_exporter_release(&x);
		if (!sl_srclient_err_is(err, 40450))
			return rc;
		sl_error_clear(err);
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || !(p->name = strdup(x.name ? x.name : name)))
		goto oom;
	url = sl_strmap_get(&x.config, "schema.registry.url", NULL);
	if (url && (p->url = strdup(url)) == NULL)
		goto oom;
	{
		enum sl_context_type t = SL_CONTEXT_AUTO;

		sl_context_type_parse(x.context_type ? x.context_type : "AUTO", &t, &e2);
		if (t != SL_CONTEXT_NONE && x.context)
			sl_export_dest_context(t, x.context, ".", &p->ctx, &e2);
	}
	sl_exporter_release(&x);
	if (sl_strmap_set(&c->peers, name, p, NULL) < 0) {
		peer_free(p);
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	*out = p;
	return 0;
oom:
	sl_exporter_release(&x);
	peer_free(p);
	return sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* Adds or removes name in c's cached list and set. Returns 0 or SL_ENOMEM (the list is then
 * dropped, to be read again). */
static int edit_list(struct reg_client *c, const char *name, bool created)
{
	bool found = false;
	size_t i;
	char *copy;

	sl_strmap_get(&c->exporter_set, name, &found);
	if (created && !found) {
		copy = strdup(name);
		if (copy == NULL || sl_vec_push(&c->exporters, copy) < 0) {
			free(copy);
			c->exp_read = false;
			return SL_ENOMEM;
		}
		if (sl_strmap_set(&c->exporter_set, name, NULL, NULL) < 0) {
			c->exp_read = false; /* the next read releases the list, copy with it */
			return SL_ENOMEM;
		}
	} else if (!created && found) {
		sl_strmap_del(&c->exporter_set, name, NULL);
		for (i = 0; i < c->exporters.len; i++)
			if (!strcmp(c->exporters.items[i], name)) {
				free(sl_vec_remove(&c->exporters, i));
				break;
			}
	}
	return 0;
}

void sl_obs_exporter_written(
        struct sl_engine *e, const struct reg_client *c, const char *name, int outcome)
{
	size_t pos = 0;
	const char *k;
	void *v;

	struct sl_buf path = SL_BUF_INIT;
	bool have_path = sl_srclient_read_path(&path, SL_READ_EXPORTER, name, NULL) == 0;

	while (sl_strmap_next(&e->clients, &pos, &k, &v)) {
		struct reg_client *x = v;

		if (strcmp(x->url, c->url) != 0)
			continue;
		/* Its info and status read ahead are stale (every client of that registry). */
		sl_srclient_forget_ahead(x->c, have_path ? path.data : NULL);
		if (!x->exp_read || x->exp_rc < 0)
			continue;
		if (outcome == 0)
			x->exp_read = false; /* perhaps written: read the list again */
		else
			(void)edit_list(x, name, outcome > 0);
	}
	sl_buf_release(&path);
}

void sl_obs_forget_scope(struct sl_engine *e, const char *what, const char *scope)
{
	bool mode = strcmp(what, "mode") == 0;
	struct sl_buf path = SL_BUF_INIT;
	bool have_path = sl_srclient_read_path(
	                         &path, mode ? SL_READ_MODE : SL_READ_CONFIG, scope, NULL) == 0;
	size_t pos = 0;
	const char *k;
	void *v;

	while (sl_strmap_next(&e->clients, &pos, &k, &v)) {
		struct reg_client *c = v;

		scope_read_free(sl_strmap_del(mode ? &c->modes : &c->configs, scope, NULL));
		sl_srclient_forget_ahead(c->c, have_path ? path.data : NULL);
	}
	sl_buf_release(&path);
}

/* sl_obs_mode (cache c->modes) and sl_obs_config (c->configs). 1,000 links into one destination
 * context would otherwise read its mode 1,000 times a pass (docs/internals/operations.md: one GET per
 * managed scope). */
static int read_scope(struct sl_engine *e, struct reg_client *c, struct sl_strmap *cache,
        const char *scope, char **v, struct sl_error *err)
{
	struct scope_read *r = e->in_pass ? sl_strmap_get(cache, scope, NULL) : NULL;
	int rc;

	if (r != NULL) {
		*v = NULL;
		if (r->rc < 0)
			*err = r->err;
		else if (r->rc == 1 && (*v = strdup(r->value)) == NULL)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		return r->rc;
	}
	if ((rc = is_down(c, err)) < 0)
		return rc;
	rc = note(e, c,
	        cache == &c->modes ? sl_srclient_mode_get(c->c, scope, v, err)
	                           : sl_srclient_config_get(c->c, scope, v, err),
	        err);
	if (!e->in_pass || rc == SL_ENOMEM)
		return rc;
	/* Only a saving: without the memory to keep it, the next link reads again. */
	r = calloc(1, sizeof(*r));
	if (r == NULL || (rc == 1 && (r->value = strdup(*v)) == NULL)) {
		scope_read_free(r);
		return rc;
	}
	r->rc = rc;
	if (rc < 0)
		r->err = *err;
	if (sl_strmap_set(cache, scope, r, NULL) < 0)
		scope_read_free(r);
	return rc;
}

int sl_obs_mode(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err)
{
	return read_scope(e, c, &c->modes, scope, v, err);
}

int sl_obs_config(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err)
{
	return read_scope(e, c, &c->configs, scope, v, err);
}

static int obs_subjects(struct sl_engine *e, struct reg_client *c, const char *prefix,
        struct sl_vec *out, struct sl_error *err)
{
	int rc = is_down(c, err);

	return rc < 0 ? rc
	              : note(e, c, sl_srclient_subjects_list(c->c, prefix, false, out, err), err);
}

/* The versions of subject on c (owned array in *v, n of them; none when it does not exist)
 * and the highest of them in *max. */
static int versions_of(struct sl_engine *e, struct reg_client *c, const char *subject, int **v,
        size_t *n, int *max, struct sl_error *err)
{
	size_t i;
	int rc;

	*v = NULL;
	*n = 0;
	*max = 0;
	rc = note(e, c, sl_srclient_subject_versions(c->c, subject, false, v, n, err), err);
	if (rc < 0 && sl_srclient_err_is(err, 40401)) {
		sl_error_clear(err);
		rc = 0;
	}
	for (i = 0; rc >= 0 && i < *n; i++)
		if ((*v)[i] > *max)
			*max = (*v)[i];
	return rc < 0 ? rc : 0;
}

/* The schema id of version ver of subject on c; 0 when that version does not exist. */
static int id_of(struct sl_engine *e, struct reg_client *c, const char *subject, int ver, int *id,
        struct sl_error *err)
{
	struct sl_schema_version sv = SL_SCHEMA_VERSION_INIT;
	char vs[16];
	int rc;

	snprintf(vs, sizeof(vs), "%d", ver);
	*id = 0;
	rc = note(e, c, sl_srclient_subject_version_get(c->c, subject, vs, &sv, err), err);
	if (rc < 0 && (sl_srclient_err_is(err, 40401) || sl_srclient_err_is(err, 40402))) {
		sl_error_clear(err);
		rc = 0;
	} else if (rc >= 0) {
		*id = sv.id;
	}
	sl_schema_version_release(&sv);
	return rc < 0 ? rc : 0;
}

/* Does the filter (as written) select subjects of source context ctx? "*" counts as every
 * context (the walkthrough's registries; docs/internals/registry.md §8), erring towards setting IMPORT
 * where an exporter may write. */
static bool filter_selects_context(const struct sl_vec *subjects, const char *ctx)
{
	struct sl_buf probe = SL_BUF_INIT;
	size_t i;
	bool yes = false;

	if (sl_buf_addf(&probe, ":%s:x", ctx) < 0)
		return true;
	for (i = 0; !yes && i < subjects->len; i++) {
		const char *entry = subjects->items[i];
		char *ec;

		if (sl_filter_match(entry, probe.data, SL_WILDCARD_ALL_CONTEXTS)) {
			yes = true;
		} else if ((ec = sl_qsubject_context(entry)) != NULL) {
			yes = strcmp(ec, ctx) == 0 && strchr(entry, '*') == NULL;
			free(ec);
		}
	}
	sl_buf_release(&probe);
	return yes;
}

static bool has_import(const struct obs_link *o, const char *ctx)
{
	size_t i;

	if (o->declared && sl_strmap_get(&o->declared->by_context, ctx, NULL))
		return true;
	for (i = 0; i < o->imports.len; i++)
		if (!strcmp(((struct obs_import *)o->imports.items[i])->context, ctx))
			return true;
	return false;
}

/* Appends a new import (ctx, writer) to v. Returns 0 or SL_ENOMEM. */
static int push_import(struct sl_vec *v, const char *ctx, const char *writer)
{
	struct obs_import *im = calloc(1, sizeof(*im));

	if (im == NULL || !(im->context = strdup(ctx)) || !(im->writer = strdup(writer)) ||
	        sl_vec_push(v, im) < 0) {
		import_free(im);
		return SL_ENOMEM;
	}
	return 0;
}

static int add_import(struct obs_link *o, const char *ctx, const char *writer)
{
	return has_import(o, ctx) ? 0 : push_import(&o->imports, ctx, writer);
}

static int add_scope(struct obs_link *o, const char *ctx)
{
	struct obs_scope *s;
	size_t i;

	for (i = 0; i < o->scopes.len; i++)
		if (!strcmp(((struct obs_scope *)o->scopes.items[i])->context, ctx))
			return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL || !(s->context = strdup(ctx)) || !(s->scope = sl_scope_of_context(ctx)) ||
	        sl_vec_push(&o->scopes, s) < 0) {
		scope_free(s);
		return SL_ENOMEM;
	}
	return 0;
}

static void decl_imports_free(void *p)
{
	struct decl_imports *d = p;

	if (d == NULL)
		return;
	sl_strmap_release(&d->by_context, NULL);
	sl_vec_release(&d->list, import_free);
	free(d);
}

void sl_obs_imports_release(struct sl_engine *e)
{
	sl_strmap_release(&e->imports, decl_imports_free);
	e->imports_snap = 0;
}

/* Records that link writer writes import context ctx into registry reg; the first link
 * (in snapshot order) that names a context is its writer. */
static int declare_import(struct sl_engine *e, const char *reg, const char *ctx, const char *writer)
{
	struct decl_imports *d = sl_strmap_get(&e->imports, reg, NULL);

	if (d == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return SL_ENOMEM;
		if (sl_strmap_set(&e->imports, reg, d, NULL) < 0) {
			free(d);
			return SL_ENOMEM;
		}
	}
	if (sl_strmap_get(&d->by_context, ctx, NULL) != NULL)
		return 0;
	if (push_import(&d->list, ctx, writer) < 0)
		return SL_ENOMEM;
	if (sl_strmap_set(&d->by_context, ctx, d->list.items[d->list.len - 1], NULL) < 0) {
		import_free(sl_vec_pop(&d->list));
		return SL_ENOMEM;
	}
	return 0;
}

/* *out: the import contexts of registry reg declared in the manifests (what links into it
 * write), or NULL for none. Built for every registry in one walk of snap and kept while the
 * engine is handed the same snapshot (by id: a new one may reuse a freed one's address), so
 * a pass walks the manifests once instead of once per link. */
static int declared_imports(struct sl_engine *e, const struct sl_snapshot *snap, const char *reg,
        const struct decl_imports **out)
{
	size_t i;
	int rc = 0;

	if (snap->id == 0 || snap->id != e->imports_snap) {
		sl_obs_imports_release(e);
		for (i = 0; rc == 0 && i < sl_snapshot_count(snap); i++) {
			const struct sl_object *x = sl_snapshot_at(snap, i);
			const struct sl_object *src;
			const char *name;
			char *ctx = NULL;
			struct sl_error e2 = SL_ERROR_INIT;

			if (x->kind != SL_KIND_SCHEMALINK || x->link.destination == NULL ||
			        x->link.context_type == SL_CONTEXT_NONE)
				continue;
			/* Only the context arithmetic is needed; secrets are not read for it. */
			src = sl_snapshot_get(snap, SL_KIND_REGISTRY, x->link.source);
			name = x->link.context_type == SL_CONTEXT_CUSTOM
			               ? (x->link.context_name ? x->link.context_name
			                                       : x->link.source)
			               : (src ? src->registry.cluster_id : NULL);
			if (name && sl_export_dest_context(
			                    x->link.context_type, name, ".", &ctx, &e2) == 0)
				rc = declare_import(e, x->link.destination, ctx, x->name);
			free(ctx);
		}
		if (rc < 0)
			sl_obs_imports_release(e);
		else
			e->imports_snap = snap->id;
	}
	*out = rc < 0 ? NULL : sl_strmap_get(&e->imports, reg, NULL);
	return rc;
}

/* The most destination subjects check_local_writes compares one by one: beyond it a scope is
 * not proven a copy (its reads are per subject and version, on the rare path of a flipped
 * non-empty scope). */
#define PROOF_MAX_SUBJECTS 1000

/* Local writes in a scope that is not IMPORT: a subject no source subject of the link maps
 * to, a version newer than the source's, or a version whose schema id differs from the
 * source's same version. None found: every subject there is a copy of what the link exports,
 * proven on the registries (docs/ownership.md "Safety without the state directory"). */
static int check_local_writes(struct sl_engine *e, const struct want_link *w,
        struct reg_client *src, struct reg_client *dst, const struct sl_vec *dest_subjects,
        struct obs_scope *s, struct sl_error *err)
{
	const struct sl_link_spec *l = &w->obj->link;
	struct sl_vec srcs = SL_VEC_INIT;
	struct sl_strmap mapped = SL_STRMAP_INIT;
	struct sl_buf msg = SL_BUF_INIT;
	size_t i;
	int rc;

	rc = obs_subjects(e, src, NULL, &srcs, err);
	for (i = 0; rc == 0 && i < srcs.len; i++) {
		char *to = NULL;
		struct sl_error e2 = SL_ERROR_INIT;

		if (!sl_filter_match_any((const char *const *)l->subjects.items, l->subjects.len,
		            srcs.items[i], SL_WILDCARD_ALL_CONTEXTS))
			continue;
		if (sl_export_dest_subject(l->context_type, w->context ? w->context : "", w->rename,
		            srcs.items[i], &to, &e2) == 0)
			rc = sl_strmap_set(&mapped, to, srcs.items[i], NULL);
		free(to);
	}
	if (dest_subjects->len > PROOF_MAX_SUBJECTS) {
		s->local_writes = true;
		sl_buf_addf(&msg,
		        "it holds %zu subjects, more than the %d schemalink compares one by one, "
		        "so "
		        "it is not proven a copy",
		        dest_subjects->len, PROOF_MAX_SUBJECTS);
	}
	for (i = 0; rc == 0 && i < dest_subjects->len && !s->local_writes; i++) {
		const char *d = dest_subjects->items[i];
		const char *from = sl_strmap_get(&mapped, d, NULL);
		int dv = 0, sv = 0, *dvs = NULL, *svs = NULL;
		size_t dn = 0, sn = 0, k;

		if (from == NULL) {
			s->local_writes = true;
			sl_buf_addf(&msg, "subject %s has no source subject on %s", d, l->source);
			break;
		}
		rc = versions_of(e, dst, d, &dvs, &dn, &dv, err);
		if (rc == 0)
			rc = versions_of(e, src, from, &svs, &sn, &sv, err);
		if (rc == 0 && dv > sv) {
			s->local_writes = true;
			sl_buf_addf(&msg,
			        "subject %s has version %d, newer than version %d of %s on %s", d,
			        dv, sv, from, l->source);
		}
		/* The same id for each version: a copy keeps the source's ids. */
		for (k = 0; rc == 0 && !s->local_writes && k < dn; k++) {
			int did = 0, sid = 0;

			rc = id_of(e, dst, d, dvs[k], &did, err);
			if (rc == 0)
				rc = id_of(e, src, from, dvs[k], &sid, err);
			if (rc == 0 && did != sid) {
				s->local_writes = true;
				if (sid == 0)
					sl_buf_addf(&msg,
					        "subject %s version %d (id %d) has no version %d "
					        "in %s "
					        "on %s",
					        d, dvs[k], did, dvs[k], from, l->source);
				else
					sl_buf_addf(&msg,
					        "subject %s version %d has id %d on %s but id %d "
					        "in %s "
					        "on %s",
					        d, dvs[k], did, l->destination, sid, from,
					        l->source);
			}
		}
		free(dvs);
		free(svs);
	}
	if (s->local_writes)
		s->local_detail = sl_buf_detach(&msg);
	sl_buf_release(&msg);
	sl_strmap_release(&mapped, NULL);
	sl_vec_release(&srcs, free);
	return rc;
}

static bool trace_wants_loop_check(const struct obs_link *o)
{
	const char *t = o->status.trace;
	char subj[512], *ctx;
	bool yes;

	if (t == NULL || sl_trace_error_code(t) != 42205 || !strstr(t, "is not in import") ||
	        !sl_trace_subject(t, subj, sizeof(subj)))
		return false;
	if ((ctx = sl_qsubject_context(subj)) == NULL)
		return false;
	yes = true;
	for (size_t i = 0; i < o->scopes.len; i++) {
		const char *own = ((struct obs_scope *)o->scopes.items[i])->context;
		size_t n = strlen(own);

		if (!strcmp(own, ctx))
			yes = false; /* a context the link needs: not a loop */
		/* Nested under the link's own context and already explained by a declared
		 * import context: the manifests name the peer, no live lookup needed. */
		if (i == 0 && strncmp(ctx, own, n) == 0 && ctx[n] == '.' && has_import(o, ctx + n))
			yes = false;
	}
	free(ctx);
	return yes;
}

/* Exporters found live on the link's destination that write back into its source: their
 * destination contexts on the source are import contexts too (docs/internals/architecture.md "Self-healing (diagnose)"). */
static int live_imports(struct sl_engine *e, const struct want_link *w, struct reg_client *dst,
        struct obs_link *o, struct sl_error *err)
{
	const struct sl_registry_spec *sr = &w->src->registry;
	size_t i;
	int rc = sl_obs_exporters(e, dst, err);

	if (!e->in_pass) /* without a pass, every check reads afresh */
		sl_strmap_release(&dst->peers, peer_free);

	if (rc == SL_EUNSUP) {
		sl_error_clear(err);
		return 0;
	}
	for (i = 0; rc == 0 && i < dst->exporters.len; i++) {
		const struct peer *p = NULL;

		rc = peer_of(e, dst, dst->exporters.items[i], &p, err);
		if (rc == 0 && p && p->url && p->ctx &&
		        (!strcmp(p->url, sr->url) ||
		                (sr->link_url && !strcmp(p->url, sr->link_url))))
			rc = add_import(o, p->ctx, p->name);
	}
	return rc < 0 ? rc : 0;
}

/* ---- reading ahead (docs/internals/operations.md "Reading ahead") ---------------------- */

/* The reads ahead of one client. */
struct ra_batch {
	struct reg_client *c;
	struct sl_vec paths; /* owned char * */
	struct sl_strmap seen; /* the same paths */
};

static void ra_batch_free(void *p)
{
	struct ra_batch *b = p;

	if (b == NULL)
		return;
	sl_vec_release(&b->paths, free);
	sl_strmap_release(&b->seen, NULL);
	free(b);
}

/* Queues read what of arg on c (once). Returns 0 or SL_ENOMEM. */
static int ra_add(
        struct sl_vec *batches, struct reg_client *c, enum sl_srclient_read what, const char *arg)
{
	struct ra_batch *b = NULL;
	struct sl_buf path = SL_BUF_INIT;
	char *copy;
	size_t i;
	int rc = 0;

	for (i = 0; i < batches->len && b == NULL; i++)
		if (((struct ra_batch *)batches->items[i])->c == c)
			b = batches->items[i];
	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL || sl_vec_push(batches, b) < 0) {
			free(b);
			return SL_ENOMEM;
		}
		b->c = c;
	}
	if (sl_srclient_read_path(&path, what, arg, NULL) < 0) {
		rc = SL_ENOMEM;
	} else if (!sl_strmap_get(&b->seen, path.data, NULL)) {
		copy = sl_buf_detach(&path);
		if (copy == NULL || sl_vec_push(&b->paths, copy) < 0) {
			free(copy);
			rc = SL_ENOMEM;
		} else if (sl_strmap_set(&b->seen, copy, copy, NULL) < 0) {
			rc = SL_ENOMEM;
		}
	}
	sl_buf_release(&path);
	return rc;
}

/* What the observation of link o will read first, queued into batches: its exporter's info
 * and status when the source lists it, and the mode of its own destination scope when it
 * manages it and the pass has not read it. Exactly sl_observe_link's first reads. */
static int ra_link(struct sl_engine *e, const struct sl_snapshot *snap, const struct sl_object *o,
        struct sl_vec *batches)
{
	const struct sl_link_spec *l = &o->link;
	const struct sl_object *srcobj = sl_snapshot_get(snap, SL_KIND_REGISTRY, l->source);
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *src, *dst;
	const char *name = "";
	char *ctx = NULL, *scope = NULL;
	bool listed = false;
	int rc = 0;

	if (srcobj == NULL || l->destination == NULL ||
	        sl_snapshot_get(snap, SL_KIND_REGISTRY, l->destination) == NULL)
		return 0;
	/* The destination context as sl_want_link_build names it; a link it refuses (AUTO
	 * without a clusterId, a bad context) is never observed, so nothing is read for it. */
	if (l->context_type == SL_CONTEXT_CUSTOM)
		name = l->context_name ? l->context_name : l->source;
	else if (l->context_type == SL_CONTEXT_AUTO)
		name = srcobj->registry.cluster_id;
	if (name == NULL || sl_export_dest_context(l->context_type, name, ".", &ctx, &err) < 0)
		return 0;
	if ((src = sl_eng_client_for(e, snap, l->source, &err)) == NULL ||
	        (dst = sl_eng_client_for(e, snap, l->destination, &err)) == NULL)
		goto out;
	if (!src->down && sl_srclient_can_read_ahead(src->c) && sl_obs_exporters(e, src, &err) == 0)
		sl_strmap_get(&src->exporter_set, o->name, &listed);
	if (listed && ((rc = ra_add(batches, src, SL_READ_EXPORTER, o->name)) < 0 ||
	                      (rc = ra_add(batches, src, SL_READ_EXPORTER_STATUS, o->name)) < 0))
		goto out;
	if (l->destination_mode != SL_DEST_IMPORT || dst->down ||
	        !sl_srclient_can_read_ahead(dst->c))
		goto out;
	if ((scope = sl_scope_of_context(ctx)) == NULL)
		rc = SL_ENOMEM;
	else if (!sl_strmap_get(&dst->modes, scope, NULL))
		rc = ra_add(batches, dst, SL_READ_MODE, scope);
out:
	free(scope);
	free(ctx);
	return rc;
}

void sl_obs_read_ahead_reset(struct sl_engine *e)
{
	sl_vec_release(&e->ra_keys, free);
	sl_strmap_release(&e->ra_index, NULL);
	e->ra_next = 0;
}

void sl_obs_read_ahead(struct sl_engine *e, const struct sl_snapshot *snap, const char *key)
{
	struct sl_vec batches = SL_VEC_INIT;
	uintptr_t at;
	size_t i, end;

	if (!e->in_pass || e->ra_keys.len == 0)
		return;
	at = (uintptr_t)sl_strmap_get(&e->ra_index, key, NULL);
	if (at == 0 || at - 1 < e->ra_next)
		return; /* not in the pass's order, or read ahead already */
	end = at - 1 + SL_OBS_READ_AHEAD_LINKS;
	if (end > e->ra_keys.len)
		end = e->ra_keys.len;
	for (i = at - 1; i < end; i++) {
		const struct sl_object *o = sl_strmap_get(&snap->by_key, e->ra_keys.items[i], NULL);

		if (o != NULL && o->kind == SL_KIND_SCHEMALINK && ra_link(e, snap, o, &batches) < 0)
			break; /* out of memory: what is queued is still worth reading */
	}
	e->ra_next = end;
	for (i = 0; i < batches.len; i++) {
		struct ra_batch *b = batches.items[i];
		struct sl_error err = SL_ERROR_INIT;

		/* Best effort: what failed or was not kept is asked when needed. */
		(void)sl_srclient_read_ahead(b->c->c, (const char *const *)b->paths.items,
		        b->paths.len, SL_SRCLIENT_READ_AHEAD_PARALLEL, &err);
	}
	sl_vec_release(&batches, ra_batch_free);
}

int sl_observe_link(struct sl_engine *e, const struct sl_snapshot *snap, const struct want_link *w,
        const char *key, struct reg_client *src, struct reg_client *dst, struct obs_link *o,
        struct sl_error *err)
{
	const struct sl_link_spec *l = &w->obj->link;
	size_t i;
	int rc;
	bool nondefault = false;

	rc = sl_obs_exporters(e, src, err);
	if (rc == SL_EUNSUP) {
		o->unsupported = true;
		sl_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	sl_strmap_get(&src->exporter_set, w->obj->name, &o->exists);
	if (o->exists) {
		rc = note(
		        e, src, sl_srclient_exporter_get(src->c, w->obj->name, &o->info, err), err);
		if (rc == 0 || !sl_srclient_err_is(err, 40450))
			rc = rc < 0 ? rc
			            : note(e, src,
			                      sl_srclient_exporter_status(
			                              src->c, w->obj->name, &o->status, err),
			                      err);
		if (rc < 0 && sl_srclient_err_is(err, 40450)) {
			o->exists = false; /* deleted between the list and the read */
			sl_error_clear(err);
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	if ((rc = declared_imports(e, snap, l->source, &o->declared)) < 0)
		return rc;
	if ((rc = add_scope(o, w->dest_ctx)) < 0)
		return rc;
	for (i = 0; i < l->subjects.len; i++)
		if (sl_filter_may_select_nondefault(l->subjects.items[i]))
			nondefault = true;
	if (nondefault) {
		/* A peer found live on the destination that writes back into the source makes its
		 * context there an import context, exactly as a declared one: no IMPORT is set on
		 * the nested context it would bring home (the loop), in every path. */
		if ((rc = live_imports(e, w, dst, o, err)) < 0)
			return rc;
		if ((rc = sl_obs_contexts(e, src, err)) < 0)
			return rc;
		for (i = 0; i < src->contexts.len; i++) {
			const char *ctx = src->contexts.items[i];
			char *mapped = NULL;
			struct sl_error e2 = SL_ERROR_INIT;

			if (sl_context_is_default(ctx) || has_import(o, ctx) ||
			        !filter_selects_context(&l->subjects, ctx))
				continue;
			if (sl_export_dest_context(l->context_type, w->context ? w->context : "",
			            ctx, &mapped, &e2) == 0)
				rc = add_scope(o, mapped);
			free(mapped);
			if (rc < 0)
				return rc;
		}
	}
	if (l->destination_mode == SL_DEST_IMPORT) {
		for (i = 0; i < o->scopes.len; i++) {
			struct obs_scope *s = o->scopes.items[i];
			struct sl_vec subs = SL_VEC_INIT;
			const struct sl_inv_scope *is;

			rc = sl_obs_mode(e, dst, s->scope, &s->mode, err);
			if (rc < 0)
				return rc;
			s->mode_rc = rc;
			/* IMPORT is what the link needs; a read-only scope stalls it whatever it
			 * holds (plan_modes), so neither needs its subjects read. */
			if (rc == 1 &&
			        (!strcmp(s->mode, "IMPORT") || !strncmp(s->mode, "READONLY", 8)))
				continue;
			is = sl_inventory_scope(e->inv, dst->nurl, "mode", s->scope);
			s->owned = is && !is->borrowed && sl_inv_scope_needed_by(is, key);
			rc = obs_subjects(e, dst, s->scope[0] ? s->scope : NULL, &subs, err);
			if (rc == 0 && subs.len) {
				s->nonempty = true;
				s->sample = strdup(subs.items[0]);
				/* Owned or not: what the registries prove decides (safety without the
				 * state directory); ownership only names the reason. */
				rc = check_local_writes(e, w, src, dst, &subs, s, err);
			}
			sl_vec_release(&subs, free);
			if (rc < 0)
				return rc;
		}
	}
	if (trace_wants_loop_check(o) && (rc = live_imports(e, w, dst, o, err)) < 0)
		return rc;
	{
		const struct sl_inv_object *io = sl_inventory_object(e->inv, key);
		int64_t now = sl_clock_wall_ms(e->clock);

		for (i = 0; io && i < (size_t)io->n_attempts; i++)
			if (now - io->attempts[i] < 3600 * 1000)
				o->attempts_last_hour++;
	}
	return 0;
}

int sl_observe_setting(struct sl_engine *e, struct reg_client *c, struct obs_setting *o,
        const char *key, struct sl_error *err)
{
	int rc = 0;
	const struct sl_inv_scope *is;

	o->mode_rc = o->compat_rc = -1;
	if (o->want_mode != SL_MODE_UNSET) {
		if ((rc = sl_obs_mode(e, c, o->scope, &o->mode, err)) < 0)
			return rc;
		o->mode_rc = rc;
		is = sl_inventory_scope(e->inv, c->nurl, "mode", o->scope);
		o->mode_owned = is && sl_inv_scope_needed_by(is, key);
	}
	if (o->want_compat != SL_COMPAT_UNSET) {
		if ((rc = sl_obs_config(e, c, o->scope, &o->compat, err)) < 0)
			return rc;
		o->compat_rc = rc;
		is = sl_inventory_scope(e->inv, c->nurl, "config", o->scope);
		o->compat_owned = is && sl_inv_scope_needed_by(is, key);
	}
	return 0;
}
