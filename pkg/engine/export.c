/* export.c — manifests for what lives on one registry (docs/internals/manifests.md §3): a
 * SchemaLink per exporter, Context and Subject documents for mode and compatibility
 * overrides. No Registry documents; top-level settings are not exported (the registry answers
 * its effective value there, so an override cannot be told apart). Reads only. */
#include "schemalink/engine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/qsubject.h"
#include "schemalink/srclient.h"

/* Config keys the destination Registry's linkUrl / linkAuth / linkTls generate. */
static bool generated_key(const char *k)
{
	static const char *const keys[] = {"schema.registry.url", "basic.auth.credentials.source",
	        "basic.auth.user.info", "bearer.auth.credentials.source", "bearer.auth.token",
	        "bearer.auth.client.id", "bearer.auth.client.secret",
	        "bearer.auth.issuer.endpoint.url", "bearer.auth.scope",
	        "bearer.auth.logical.cluster", "bearer.auth.identity.pool.id",
	        "schema.registry.ssl.truststore.location",
	        "schema.registry.ssl.truststore.password", "schema.registry.ssl.keystore.location",
	        "schema.registry.ssl.keystore.password", NULL};
	int i;

	for (i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

static const struct sl_object *registry_by_url(const struct sl_snapshot *snap, const char *url)
{
	size_t i;

	for (i = 0; url && i < sl_snapshot_count(snap); i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);

		if (o->kind == SL_KIND_REGISTRY &&
		        ((o->registry.link_url && !strcmp(o->registry.link_url, url)) ||
		                !strcmp(o->registry.url, url)))
			return o;
	}
	return NULL;
}

/* Appends text to out as a metadata.name part: lower case, [a-z0-9-], no doubled '-'. */
static void dns_part(const char *text, char *out, size_t len, size_t *n, char *prev)
{
	const char *p;

	for (p = text; *p && *n + 1 < len && *n < 63; p++) {
		char c = (char)tolower((unsigned char)*p);

		c = isalnum((unsigned char)c) ? c : '-';
		if (c == '-' && *prev == '-')
			continue;
		out[(*n)++] = *prev = c;
	}
}

/* A metadata.name "<reg>-<what>" from free text: [a-z0-9-], at most 63 characters. */
static void dns_name(const char *reg, const char *what, char *out, size_t len)
{
	size_t n = 0;
	char prev = '-';

	dns_part(reg, out, len, &n, &prev);
	if (n + 1 < len && n < 63 && prev != '-')
		out[n++] = prev = '-';
	dns_part(what, out, len, &n, &prev);
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

/* Adds v (taken) to object o as key; a NULL v (out of memory) fails. */
static int put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0 ? 0 : SL_ENOMEM;
}

/* A new document {apiVersion, kind, metadata: {name}, spec} appended to docs; *spec is the
 * (borrowed) empty spec object to fill. */
static int new_doc(json_t *docs, const char *kind, const char *name, json_t **spec)
{
	json_t *d = json_object();
	int rc = d ? 0 : SL_ENOMEM;

	*spec = json_object();
	rc = rc ? rc : put(d, "apiVersion", json_string(SL_API_VERSION));
	rc = rc ? rc : put(d, "kind", json_string(kind));
	rc = rc ? rc : put(d, "metadata", json_pack("{s:s}", "name", name));
	rc = rc ? rc : put(d, "spec", json_incref(*spec));
	if (rc == 0 && json_array_append(docs, d) < 0)
		rc = SL_ENOMEM;
	json_decref(d);
	json_decref(*spec); /* d (or docs) holds it now, or nobody */
	return rc;
}

/* Is ctx on registry `reg` the destination context of a declared link into it? Then that link
 * manages its IMPORT mode and a Context document would manage the same scope twice. */
static bool link_managed(const struct sl_snapshot *snap, const char *reg, const char *ctx)
{
	size_t i;

	for (i = 0; i < sl_snapshot_count(snap); i++) {
		const struct sl_object *o = sl_snapshot_at(snap, i);
		char *d = NULL;
		struct sl_error e = SL_ERROR_INIT;
		bool yes;

		if (o->kind != SL_KIND_SCHEMALINK || strcmp(o->link.destination, reg) ||
		        o->link.destination_mode != SL_DEST_IMPORT)
			continue;
		if (o->link.context_type != SL_CONTEXT_CUSTOM)
			continue;
		if (sl_export_dest_context(SL_CONTEXT_CUSTOM,
		            o->link.context_name ? o->link.context_name : o->link.source, ".", &d,
		            &e) < 0)
			continue;
		yes = !strcmp(d, ctx);
		free(d);
		if (yes)
			return true;
	}
	return false;
}

static int warn(struct sl_vec *warnings, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int warn(struct sl_vec *warnings, const char *fmt, ...)
{
	struct sl_buf b = SL_BUF_INIT;
	char *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = rc == 0 ? sl_buf_detach(&b) : NULL;
	sl_buf_release(&b);
	if (s == NULL || sl_vec_push(warnings, s) < 0) {
		free(s);
		return SL_ENOMEM;
	}
	return 0;
}

/* The SchemaLink document for exporter `name` on registry reg. */
static int export_link(const struct sl_snapshot *snap, struct sl_srclient *c, const char *reg,
        const char *name, json_t *docs, struct sl_vec *warnings, bool *ours, struct sl_error *err)
{
	struct sl_exporter info = SL_EXPORTER_INIT;
	struct sl_exporter_status st = SL_EXPORTER_STATUS_INIT;
	struct sl_vec keys = SL_VEC_INIT;
	const struct sl_object *dst;
	json_t *spec, *subj, *cfg = NULL;
	const char *url;
	size_t k;
	int rc;

	rc = sl_srclient_exporter_get(c, name, &info, err);
	if (rc == 0)
		rc = sl_srclient_exporter_status(c, name, &st, err);
	if (rc < 0)
		goto out;
	url = sl_strmap_get(&info.config, "schema.registry.url", NULL);
	dst = registry_by_url(snap, url);
	if (dst == NULL) {
		*ours = true;
		rc = sl_error_set(err, SL_ENOENT,
		        "exporter %s writes to %s, which no declared Registry has as url or "
		        "linkUrl; "
		        "declare it and export again",
		        name, url ? url : "(no schema.registry.url)");
		goto out;
	}
	rc = new_doc(docs, "SchemaLink", name, &spec);
	rc = rc ? rc : put(spec, "source", json_string(reg));
	rc = rc ? rc : put(spec, "destination", json_string(dst->name));
	rc = rc ? rc : put(spec, "subjects", subj = json_array());
	for (k = 0; rc == 0 && k < info.subjects.len; k++)
		if (json_array_append_new(subj, json_string(info.subjects.items[k])) < 0)
			rc = SL_ENOMEM;
	if (rc == 0 && info.subjects.len == 0 && json_array_append_new(subj, json_string("*")) < 0)
		rc = SL_ENOMEM;
	if (rc == 0 && info.context_type && !strcmp(info.context_type, "CUSTOM"))
		rc = put(spec, "context",
		        json_pack("{s:s,s:s}", "type", "CUSTOM", "name",
		                info.context
		                        ? (info.context[0] == '.' ? info.context + 1 : info.context)
		                        : reg));
	else if (rc == 0)
		rc = put(spec, "context",
		        json_pack("{s:s}", "type", info.context_type ? info.context_type : "AUTO"));
	if (rc == 0 && info.subject_rename_format && *info.subject_rename_format &&
	        strcmp(info.subject_rename_format, SL_DEFAULT_RENAME_FORMAT))
		rc = put(spec, "subjectRenameFormat", json_string(info.subject_rename_format));
	if (rc == 0 && (cfg = json_object()) == NULL)
		rc = SL_ENOMEM;
	rc = rc ? rc : sl_strmap_keys(&info.config, &keys);
	for (k = 0; rc == 0 && k < keys.len; k++) {
		const char *v = sl_strmap_get(&info.config, keys.items[k], NULL);

		if (generated_key(keys.items[k]))
			continue;
		if (!strcmp(v, "[hidden]"))
			rc = warn(warnings,
			        "exporter %s: config %s is hidden by the registry; add it under "
			        "spec.secretConfig",
			        name, (char *)keys.items[k]);
		else
			rc = put(cfg, keys.items[k], json_string(v));
	}
	if (rc == 0 && json_object_size(cfg))
		rc = put(spec, "config", json_incref(cfg));
	/* Paused by a person exports as Paused; paused by an error as Running. */
	if (rc == 0)
		rc = put(spec, "state",
		        json_string(st.state == SL_EXPORTER_PAUSED && (!st.trace || !*st.trace)
		                            ? "Paused"
		                            : "Running"));
	if (rc == SL_ENOMEM && !err->code) {
		*ours = true;
		sl_error_set(err, SL_ENOMEM, "out of memory");
	}
out:
	json_decref(cfg);
	sl_vec_release(&keys, NULL);
	sl_exporter_release(&info);
	sl_exporter_status_release(&st);
	return rc;
}

/* A Context (ctx set) or Subject (subject set) document for the mode and compatibility
 * overrides of scope, when there is one; a mode a declared link manages is left out. */
static int export_setting(const struct sl_snapshot *snap, struct sl_srclient *c, const char *reg,
        const char *ctx, const char *subject, json_t *docs, bool *ours, struct sl_error *err)
{
	struct sl_buf scope = SL_BUF_INIT;
	char *mode = NULL, *compat = NULL;
	char name[64];
	json_t *spec;
	int rc = subject ? sl_buf_adds(&scope, subject) : sl_buf_addf(&scope, ":%s:", ctx);

	if (rc < 0) {
		*ours = true;
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = sl_srclient_mode_get(c, scope.data, &mode, err);
	if (rc >= 0)
		rc = sl_srclient_config_get(c, scope.data, &compat, err);
	if (rc < 0)
		goto out;
	rc = 0;
	if (ctx && mode && !strcmp(mode, "IMPORT") && link_managed(snap, reg, ctx)) {
		free(mode);
		mode = NULL;
	}
	if (!mode && !compat)
		goto out;
	dns_name(reg, subject ? subject : ctx, name, sizeof(name));
	rc = new_doc(docs, subject ? "Subject" : "Context", name, &spec);
	rc = rc ? rc : put(spec, "registry", json_string(reg));
	rc = rc ? rc
	        : put(spec, subject ? "subject" : "context", json_string(subject ? subject : ctx));
	if (rc == 0 && mode)
		rc = put(spec, "mode", json_string(mode));
	if (rc == 0 && compat)
		rc = put(spec, "compatibility", json_string(compat));
	if (rc < 0) {
		*ours = true;
		sl_error_set(err, SL_ENOMEM, "out of memory");
	}
out:
	free(mode);
	free(compat);
	sl_buf_release(&scope);
	return rc;
}

int sl_engine_export(struct sl_engine *e, const struct sl_snapshot *snap, const char *registry,
        json_t **docs_out, struct sl_vec *warnings, struct sl_error *err)
{
	struct sl_vec names = SL_VEC_INIT, ctxs = SL_VEC_INIT, subs = SL_VEC_INIT;
	struct sl_error inner = SL_ERROR_INIT;
	struct sl_srclient *c;
	json_t *docs = json_array();
	bool ours = false;
	size_t i;
	int rc = 0;

	*docs_out = NULL;
	if (docs == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	c = sl_engine_client(e, snap, registry, err);
	if (c == NULL) {
		json_decref(docs);
		return err->code ? err->code : SL_EINVAL;
	}
	rc = sl_srclient_exporters_list(c, &names, &inner);
	if (rc == SL_EUNSUP) {
		sl_error_clear(&inner);
		rc = 0;
	}
	for (i = 0; rc == 0 && i < names.len; i++)
		rc = export_link(snap, c, registry, names.items[i], docs, warnings, &ours, &inner);
	if (rc == 0)
		rc = sl_srclient_contexts_list(c, &ctxs, &inner);
	for (i = 0; rc == 0 && i < ctxs.len; i++)
		if (!sl_context_is_default(ctxs.items[i]))
			rc = export_setting(
			        snap, c, registry, ctxs.items[i], NULL, docs, &ours, &inner);
	if (rc == 0)
		rc = sl_srclient_subjects_list(c, NULL, false, &subs, &inner);
	for (i = 0; rc == 0 && i < subs.len; i++)
		rc = export_setting(snap, c, registry, NULL, subs.items[i], docs, &ours, &inner);
	sl_vec_release(&names, free);
	sl_vec_release(&ctxs, free);
	sl_vec_release(&subs, free);
	if (rc < 0) {
		json_decref(docs);
		/* A registry's answer is named by the registry; our own verdict stands alone. */
		if (ours)
			return sl_error_set(err, inner.code, "%s", inner.msg);
		return sl_error_set(err, inner.code ? inner.code : rc, "registry %s: %s", registry,
		        inner.code ? inner.msg : "failed");
	}
	*docs_out = docs;
	return 0;
}
