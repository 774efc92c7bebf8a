/* want.c — the exporter a link wants (docs/internals/architecture.md step 1): its plain config, its secret
 * config by description and salted hash (never the value), and the exporter request built
 * from it, with secrets resolved for that one request only. Pure but for reading secrets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "schemalink/buf.h"
#include "schemalink/qsubject.h"
#include "schemalink/secret.h"

static void want_secret_free(void *p)
{
	struct want_secret *s = p;

	if (s) {
		free(s->desc);
		free(s);
	}
}

void sl_want_link_release(struct want_link *w)
{
	free(w->context);
	free(w->dest_ctx);
	sl_strmap_release(&w->plain, free);
	sl_strmap_release(&w->secret, want_secret_free);
	memset(w, 0, sizeof(*w));
}

static int set_plain(struct want_link *w, const char *k, const char *v)
{
	char *c;
	void *old = NULL;

	if (v == NULL)
		return 0;
	if ((c = strdup(v)) == NULL || sl_strmap_set(&w->plain, k, c, &old) < 0) {
		free(c);
		return SL_ENOMEM;
	}
	free(old);
	return 0;
}

/* Salted so the inventory's hash of a short password cannot be looked up in a table.
 * Returns 0 or SL_ENOMEM. */
static int secret_hash(const char *link, const char *key, const char *value, char out[65])
{
	struct sl_buf b = SL_BUF_INIT;
	int rc = 0;

	if (sl_buf_addf(&b, "schemalink-secret-v1%c%s%c%s%c", 0, link, 0, key, 0) < 0 ||
	        sl_buf_adds(&b, value) < 0) {
		out[0] = '\0';
		rc = SL_ENOMEM;
	} else {
		sl_sha256_hex(b.data, b.len, out);
	}
	if (b.cap)
		memset(b.data, 0, b.cap);
	sl_buf_release(&b);
	return rc;
}

/* Resolves the refs making up one secret value ("user:password" for basic auth). */
static int resolve_joined(const struct sl_secret_ref *a, const struct sl_secret_ref *b, char **out,
        struct sl_error *err)
{
	char *va = NULL, *vb = NULL;
	struct sl_buf j = SL_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = sl_secret_resolve(a, &va, err)) < 0)
		goto out;
	if (b != NULL && (rc = sl_secret_resolve(b, &vb, err)) < 0)
		goto out;
	if (sl_buf_adds(&j, va) < 0 ||
	        (b && (sl_buf_addch(&j, ':') < 0 || sl_buf_adds(&j, vb) < 0))) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	*out = sl_buf_detach(&j);
	rc = *out ? 0 : SL_ENOMEM;
out:
	if (j.cap)
		memset(j.data, 0, j.cap);
	sl_buf_release(&j);
	sl_secret_free(va);
	sl_secret_free(vb);
	return rc;
}

static int set_secret(struct want_link *w, const char *k, const struct sl_secret_ref *a,
        const struct sl_secret_ref *b)
{
	struct want_secret *s;
	struct sl_error e = SL_ERROR_INIT;
	char desc[600], *val = NULL;
	const struct sl_secret_ref *shown = b ? b : a;
	void *old = NULL;
	int rc;

	if (a->kind == SL_SECRET_NONE)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SL_ENOMEM;
	sl_secret_describe(shown, desc, sizeof(desc));
	if ((s->desc = strdup(desc)) == NULL) {
		want_secret_free(s);
		return SL_ENOMEM;
	}
	rc = resolve_joined(a, b, &val, &e);
	if (rc == 0)
		rc = secret_hash(w->obj->name, k, val, s->hash);
	sl_secret_free(val);
	if (rc == SL_ENOMEM) { /* not the secret's fault: its hash would read as a change */
		want_secret_free(s);
		return rc;
	}
	if (rc < 0 && w->secret_err[0] == '\0' &&
	        (size_t)snprintf(w->secret_err, sizeof(w->secret_err), "config %s: %s", k, e.msg) >=
	                sizeof(w->secret_err))
		sl_utf8_trim_cut(w->secret_err);
	if (sl_strmap_set(&w->secret, k, s, &old) < 0) {
		want_secret_free(s);
		return SL_ENOMEM;
	}
	want_secret_free(old);
	return 0;
}

static int add_auth(struct want_link *w, const struct sl_auth *a)
{
	int rc = 0;

	switch (a->kind) {
	case SL_AUTH_NONE: break;
	case SL_AUTH_BASIC:
		rc = set_plain(w, "basic.auth.credentials.source", "USER_INFO");
		if (rc == 0)
			rc = set_secret(w, "basic.auth.user.info", &a->username, &a->password);
		break;
	case SL_AUTH_BEARER:
		rc = set_plain(w, "bearer.auth.credentials.source", "STATIC_TOKEN");
		if (rc == 0)
			rc = set_secret(w, "bearer.auth.token", &a->token, NULL);
		break;
	case SL_AUTH_OAUTH:
		rc = set_plain(w, "bearer.auth.credentials.source", "OAUTHBEARER");
		if (rc == 0 && a->client_id.kind == SL_SECRET_VALUE)
			rc = set_plain(w, "bearer.auth.client.id", a->client_id.ref);
		else if (rc == 0)
			rc = set_secret(w, "bearer.auth.client.id", &a->client_id, NULL);
		if (rc == 0)
			rc = set_secret(w, "bearer.auth.client.secret", &a->client_secret, NULL);
		if (rc == 0)
			rc = set_plain(w, "bearer.auth.issuer.endpoint.url", a->issuer_url);
		if (rc == 0)
			rc = set_plain(w, "bearer.auth.scope", a->scope);
		if (rc == 0)
			rc = set_plain(w, "bearer.auth.logical.cluster", a->logical_cluster);
		if (rc == 0)
			rc = set_plain(w, "bearer.auth.identity.pool.id", a->identity_pool_id);
		break;
	}
	return rc;
}

int sl_want_link_build(const struct sl_snapshot *snap, const struct sl_object *obj,
        struct want_link *w, struct sl_error *err)
{
	const struct sl_link_spec *l = &obj->link;
	const struct sl_registry_spec *d;
	size_t i;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	sl_strmap_init(&w->plain);
	sl_strmap_init(&w->secret);
	w->obj = obj;
	w->src = sl_snapshot_get(snap, SL_KIND_REGISTRY, l->source);
	w->dst = sl_snapshot_get(snap, SL_KIND_REGISTRY, l->destination);
	if (w->src == NULL || w->dst == NULL)
		return sl_error_set(err, SL_EINVAL, "link \"%s\": registry \"%s\" is not declared",
		        obj->name, w->src ? l->destination : l->source);
	d = &w->dst->registry;
	w->ctx_type = sl_context_type_name(l->context_type);
	w->rename = l->subject_rename_format ? l->subject_rename_format : SL_DEFAULT_RENAME_FORMAT;
	if (l->context_type == SL_CONTEXT_CUSTOM)
		w->context = strdup(l->context_name ? l->context_name : l->source);
	else if (l->context_type == SL_CONTEXT_AUTO && w->src->registry.cluster_id)
		w->context = strdup(w->src->registry.cluster_id);
	if (l->context_type != SL_CONTEXT_NONE && w->context == NULL)
		return sl_error_set(err, SL_EINVAL,
		        "link \"%s\": AUTO needs the clusterId of \"%s\"", obj->name, l->source);
	if (sl_export_dest_context(
	            l->context_type, w->context ? w->context : "", ".", &w->dest_ctx, err) < 0)
		return err ? err->code : SL_EINVAL;
	rc = set_plain(w, "schema.registry.url", d->link_url ? d->link_url : d->url);
	if (rc == 0)
		rc = add_auth(w, d->has_link_auth ? &d->link_auth : &d->auth);
	if (rc == 0 && d->has_link_tls) {
		const struct sl_link_tls *t = &d->link_tls;

		rc = set_plain(w, "schema.registry.ssl.truststore.location", t->truststore_file);
		if (rc == 0)
			rc = set_secret(w, "schema.registry.ssl.truststore.password",
			        &t->truststore_password, NULL);
		if (rc == 0)
			rc = set_plain(
			        w, "schema.registry.ssl.keystore.location", t->keystore_file);
		if (rc == 0)
			rc = set_secret(w, "schema.registry.ssl.keystore.password",
			        &t->keystore_password, NULL);
	}
	for (i = 0; rc == 0 && i < l->config.len; i++) {
		const struct sl_kv *kv = l->config.items[i];

		rc = set_plain(w, kv->key, kv->value);
	}
	for (i = 0; rc == 0 && i < l->secret_config.len; i++) {
		const struct sl_secret_kv *kv = l->secret_config.items[i];

		free(sl_strmap_del(&w->plain, kv->key, NULL));
		rc = set_secret(w, kv->key, &kv->ref, NULL);
	}
	if (rc < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

void sl_exporter_wipe(struct sl_exporter *e)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (sl_strmap_next(&e->config, &pos, &k, &v))
		if (v)
			memset(v, 0, strlen(v));
	sl_exporter_release(e);
}

/* The secret reference that the destination's linkAuth (auth: a) or linkTls generates for
 * exporter config key k; *ra stays NULL for a key they do not generate. basic.auth.user.info
 * joins two references (user:password). */
static void generated_ref(const struct sl_registry_spec *d, const struct sl_auth *a, const char *k,
        const struct sl_secret_ref **ra, const struct sl_secret_ref **rb)
{
	if (!strcmp(k, "basic.auth.user.info")) {
		*ra = &a->username;
		*rb = &a->password;
	} else if (!strcmp(k, "bearer.auth.token")) {
		*ra = &a->token;
	} else if (!strcmp(k, "bearer.auth.client.id")) {
		*ra = &a->client_id;
	} else if (!strcmp(k, "bearer.auth.client.secret")) {
		*ra = &a->client_secret;
	} else if (!strcmp(k, "schema.registry.ssl.truststore.password")) {
		*ra = &d->link_tls.truststore_password;
	} else if (!strcmp(k, "schema.registry.ssl.keystore.password")) {
		*ra = &d->link_tls.keystore_password;
	}
}

int sl_want_link_exporter(const struct want_link *w, struct sl_exporter *out, struct sl_error *err)
{
	const struct sl_link_spec *l = &w->obj->link;
	const struct sl_registry_spec *d = &w->dst->registry;
	const struct sl_auth *a = d->has_link_auth ? &d->link_auth : &d->auth;
	size_t pos = 0, i;
	const char *k;
	void *v;
	int rc = 0;

	if ((out->name = strdup(w->obj->name)) == NULL ||
	        (out->context_type = strdup(w->ctx_type)) == NULL ||
	        (w->context && (out->context = strdup(w->context)) == NULL) ||
	        (out->subject_rename_format = strdup(w->rename)) == NULL)
		goto oom;
	for (i = 0; i < l->subjects.len; i++) {
		char *s = strdup(l->subjects.items[i]);

		if (s == NULL || sl_vec_push(&out->subjects, s) < 0) {
			free(s);
			goto oom;
		}
	}
	while (sl_strmap_next(&w->plain, &pos, &k, &v)) {
		char *c = strdup(v);

		if (c == NULL || sl_strmap_set(&out->config, k, c, NULL) < 0) {
			free(c);
			goto oom;
		}
	}
	/* Secrets are resolved now, for this one request, and wiped by sl_exporter_wipe. */
	pos = 0;
	while (rc == 0 && sl_strmap_next(&w->secret, &pos, &k, &v)) {
		const struct sl_secret_ref *ra = NULL, *rb = NULL;
		char *val = NULL;

		/* spec.secretConfig is merged on top of what the destination's linkAuth and
		 * linkTls generate (docs/manifests.md), as want_link_build hashed it. */
		for (i = 0; ra == NULL && i < l->secret_config.len; i++) {
			const struct sl_secret_kv *kv = l->secret_config.items[i];

			if (!strcmp(kv->key, k))
				ra = &kv->ref;
		}
		if (ra == NULL)
			generated_ref(d, a, k, &ra, &rb);
		if (ra == NULL)
			continue;
		rc = resolve_joined(ra, rb, &val, err);
		if (rc == 0 && sl_strmap_set(&out->config, k, val, NULL) < 0) {
			sl_secret_free(val);
			goto oom;
		}
	}
	return rc;
oom:
	return sl_error_set(err, SL_ENOMEM, "out of memory");
}
