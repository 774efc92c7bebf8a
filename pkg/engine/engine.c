/* engine.c — the engine's lifecycle, passes and registry clients (one per
 * registry, with its identity read at most once per pass). */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/json.h"
#include "schemalink/qsubject.h"
#include "schemalink/ratelimit.h"

/* ---- lifecycle --------------------------------------------------------------------------- */

static void limit_free(void *p)
{
	sl_ratelimit_free(p);
}

static void client_free(void *p)
{
	struct reg_client *c = p;

	if (c == NULL)
		return;
	sl_obs_client_forget(c);
	sl_srclient_free(c->c);
	free(c->name);
	free(c->url);
	free(c->nurl);
	sl_vec_release(&c->exporters, free);
	sl_strmap_release(&c->exporter_set, NULL);
	sl_vec_release(&c->contexts, free);
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
	sl_strmap_init(&e->limits);
	sl_strmap_init(&e->imports);
	sl_strmap_init(&e->checks);
	sl_strmap_init(&e->verifies);
	sl_strmap_init(&e->ra_index);
	sl_vec_init(&e->ra_keys);
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
	/* After the clients, which borrow them. */
	sl_strmap_release(&e->limits, limit_free);
	sl_obs_imports_release(e);
	sl_obs_read_ahead_reset(e);
	sl_eng_check_release(e);
	sl_strmap_release(&e->verifies, sl_eng_verify_rec_free);
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
	sl_obs_read_ahead_reset(e);
	e->in_pass = true;
	pthread_mutex_unlock(&e->mu);
}

int sl_engine_pass_keys(struct sl_engine *e, const struct sl_vec *keys)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&e->mu);
	sl_obs_read_ahead_reset(e);
	for (i = 0; rc == 0 && i < keys->len; i++) {
		char *k = strdup(keys->items[i]);

		if (k == NULL || sl_vec_push(&e->ra_keys, k) < 0) {
			free(k);
			rc = SL_ENOMEM;
		} else if (sl_strmap_set(&e->ra_index, k, (void *)(uintptr_t)(i + 1), NULL) < 0) {
			rc = SL_ENOMEM;
		}
	}
	if (rc < 0)
		sl_obs_read_ahead_reset(e);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int sl_engine_end_pass(struct sl_engine *e, struct sl_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&e->mu);
	e->in_pass = false;
	forget_lists(e);
	sl_obs_read_ahead_reset(e);
	if ((e->inv_dirty || e->inv_flushed) && (rc = sl_inventory_checkpoint(e->inv, err)) < 0) {
		if (err)
			err->code = SL_EIO;
		rc = SL_EIO;
	}
	e->inv_dirty = e->inv_flushed = false;
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* ---- request budgets (docs/internals/operations.md "Rate limits") ----------------------------- */

/* The stricter of two limits, 0 meaning none. */
static int stricter(int a, int b)
{
	if (a == 0 || b == 0)
		return a + b;
	return a < b ? a : b;
}

/* rates[] = what the Registries of snap at normalized URL nurl allow: per kind the strictest
 * of their limits (no limit only when none of them sets one), the defaults when no Registry
 * is there. Returns 0 or SL_ENOMEM. */
static int declared_rates(const struct sl_snapshot *snap, const char *nurl, int rates[2])
{
	bool found = false;
	size_t i;

	rates[0] = SL_DEFAULT_READS_PER_S;
	rates[1] = SL_DEFAULT_WRITES_PER_S;
	/* A sealed snapshot holds the Registries first (objects.h). */
	for (i = 0; snap != NULL && i < sl_snapshot_count(snap); i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);
		char *n;

		if (o->kind != SL_KIND_REGISTRY)
			break;
		if (o->registry.url == NULL)
			continue;
		n = sl_registry_url_normalize(o->registry.url);
		if (n == NULL)
			return SL_ENOMEM;
		if (strcmp(n, nurl) == 0) {
			rates[0] = found ? stricter(rates[0], o->registry.reads_per_s)
			                 : o->registry.reads_per_s;
			rates[1] = found ? stricter(rates[1], o->registry.writes_per_s)
			                 : o->registry.writes_per_s;
			found = true;
		}
		free(n);
	}
	return 0;
}

/* Sets every budget's rates from snap, once per snapshot: a Registry's rateLimit changed in
 * place, a URL no longer declared back to the defaults. */
static int limits_sync(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_error *err)
{
	size_t pos = 0;
	const char *k;
	void *v;
	int rates[2];

	if (snap == NULL || snap->id == e->limits_snap)
		return 0;
	while (sl_strmap_next(&e->limits, &pos, &k, &v)) {
		if (declared_rates(snap, k, rates) < 0)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		/* In range: the decoder bounds rateLimit to what the limiter takes. */
		sl_ratelimit_set_rates(v, rates[0], rates[1], NULL);
	}
	e->limits_snap = snap->id;
	return 0;
}

/* The budget of normalized URL nurl (borrowed from the engine), made on first use with the
 * rates snap declares for it, on the engine's clock and sleep hook; NULL with err. */
static struct sl_ratelimit *limit_for(
        struct sl_engine *e, const struct sl_snapshot *snap, const char *nurl, struct sl_error *err)
{
	struct sl_ratelimit_config lc;
	struct sl_ratelimit *l = sl_strmap_get(&e->limits, nurl, NULL);
	int rates[2];

	if (l != NULL)
		return l;
	if (declared_rates(snap, nurl, rates) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	memset(&lc, 0, sizeof(lc));
	lc.reads_per_s = rates[0];
	lc.writes_per_s = rates[1];
	lc.clock = e->clock;
	lc.sleep_ms = e->cfg.sleep_ms;
	lc.sleep_arg = e->cfg.sleep_arg;
	l = sl_ratelimit_new(&lc, err);
	if (l != NULL && sl_strmap_set(&e->limits, nurl, l, NULL) < 0) {
		sl_ratelimit_free(l);
		l = NULL;
		sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	return l;
}

/* ---- clients ----------------------------------------------------------------------------- */

static struct reg_client *make_client(struct sl_engine *e, const struct sl_snapshot *snap,
        const char *key, const char *name, const struct sl_registry_spec *r, const char *url,
        const char *hash, struct sl_error *err)
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
	/* One budget per registry: this client's and every other one's at its URL. */
	cc.limit = limit_for(e, snap, c->nurl, err);
	if (cc.limit == NULL) {
		client_free(c);
		return NULL;
	}
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

struct reg_client *sl_eng_client_for(
        struct sl_engine *e, const struct sl_snapshot *snap, const char *name, struct sl_error *err)
{
	const struct sl_object *r = sl_snapshot_get(snap, SL_KIND_REGISTRY, name);
	struct reg_client *c;

	if (r == NULL) {
		sl_error_set(err, SL_EINVAL, "registry \"%s\" is not declared", name);
		return NULL;
	}
	if (limits_sync(e, snap, err) < 0)
		return NULL;
	c = sl_strmap_get(&e->clients, name, NULL);
	if (c != NULL && strcmp(c->hash, r->spec_hash) == 0 && !strcmp(c->url, r->registry.url))
		return c;
	return make_client(e, snap, name, name, &r->registry, r->registry.url, r->spec_hash, err);
}

/* The registry a record names (prune, delete, restore): the declared Registry of that name
 * when it still has the recorded URL (its credentials go only to its own URL), else a client
 * without credentials at the recorded URL. url NULL or "": the declared Registry. */
struct reg_client *sl_eng_client_for_url(struct sl_engine *e, const struct sl_snapshot *snap,
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
		return sl_eng_client_for(e, snap, name, err);
	if (url == NULL || !url[0]) {
		sl_error_set(err, SL_EINVAL,
		        "registry \"%s\" is not declared and the inventory has no url for it",
		        name ? name : "?");
		return NULL;
	}
	if (limits_sync(e, snap, err) < 0)
		return NULL;
	if (sl_buf_addf(&k, "url:%s", url) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	c = sl_strmap_get(&e->clients, k.data, NULL);
	if (c == NULL)
		c = make_client(e, snap, k.data, name ? name : url, NULL, url, "", err);
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
struct sl_inv_where sl_eng_where_of(struct reg_client *c, const char *registry)
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
	c = sl_eng_client_for(e, snap, name, err);
	pthread_mutex_unlock(&e->mu);
	return c ? c->c : NULL;
}
