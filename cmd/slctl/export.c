/* export.c — `slctl export --registry NAME`: manifests for what lives on one registry
 * (MANIFESTS.md §3): a SchemaLink per exporter, Context and Subject documents for mode and
 * compatibility overrides. No Registry documents; top-level settings are not exported (the
 * registry answers its effective value there, so an override cannot be told apart). */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/engine.h"
#include "schemalink/qsubject.h"
#include "schemalink/srclient.h"
#include "slctl.h"

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

/* A metadata.name from free text: lower case, [a-z0-9-], at most 63 characters. */
static void dns_name(const char *reg, const char *what, char *out, size_t len)
{
	size_t n = 0;
	const char *p;
	char prev = '-';

	for (p = reg; *p && n + 1 < len && n < 63; p++) {
		char c = (char)tolower((unsigned char)*p);

		c = isalnum((unsigned char)c) ? c : '-';
		if (c == '-' && prev == '-')
			continue;
		out[n++] = prev = c;
	}
	if (n + 1 < len && n < 63 && prev != '-')
		out[n++] = prev = '-';
	for (p = what; *p && n + 1 < len && n < 63; p++) {
		char c = (char)tolower((unsigned char)*p);

		c = isalnum((unsigned char)c) ? c : '-';
		if (c == '-' && prev == '-')
			continue;
		out[n++] = prev = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

static json_t *doc(const char *kind, const char *name)
{
	json_t *d = json_object();

	json_object_set_new(d, "apiVersion", json_string(SL_API_VERSION));
	json_object_set_new(d, "kind", json_string(kind));
	json_object_set_new(d, "metadata", json_pack("{s:s}", "name", name));
	return d;
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

static int settings(
        struct sl_srclient *c, const char *scope, char **mode, char **compat, struct sl_error *err)
{
	int rc = sl_srclient_mode_get(c, scope, mode, err);

	if (rc >= 0)
		rc = sl_srclient_config_get(c, scope, compat, err);
	return rc < 0 ? rc : 0;
}

int slctl_export(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_srclient *c;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT, ctxs = SL_VEC_INIT, subs = SL_VEC_INIT;
	json_t *docs = json_array();
	struct sl_buf out = SL_BUF_INIT;
	const char *reg = x->registry;
	size_t i;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if (!sl_snapshot_get(snap, SL_KIND_REGISTRY, reg)) {
		fprintf(stderr, "slctl: export: registry \"%s\" is not declared in the manifests\n",
		        reg);
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if ((e = slctl_engine(x, true, true, false)) == NULL ||
	        (c = sl_engine_client(e, snap, reg, &err)) == NULL) {
		if (e)
			fprintf(stderr, "slctl: export: %s\n", err.msg);
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	rc = sl_srclient_exporters_list(c, &names, &err);
	if (rc == SL_EUNSUP) {
		sl_error_clear(&err);
		rc = 0;
	}
	for (i = 0; rc == 0 && i < names.len; i++) {
		struct sl_exporter info = SL_EXPORTER_INIT;
		struct sl_exporter_status st = SL_EXPORTER_STATUS_INIT;
		const struct sl_object *dst;
		json_t *d, *spec, *subj, *cfg;
		const char *url;
		struct sl_vec keys = SL_VEC_INIT;
		size_t k;

		rc = sl_srclient_exporter_get(c, names.items[i], &info, &err);
		if (rc == 0)
			rc = sl_srclient_exporter_status(c, names.items[i], &st, &err);
		if (rc < 0) {
			sl_exporter_release(&info);
			sl_exporter_status_release(&st);
			break;
		}
		url = sl_strmap_get(&info.config, "schema.registry.url", NULL);
		dst = registry_by_url(snap, url);
		if (dst == NULL) {
			fprintf(stderr,
			        "slctl: export: exporter %s writes to %s, which no declared "
			        "Registry has "
			        "as url or linkUrl; declare it and export again\n",
			        (char *)names.items[i], url ? url : "(no schema.registry.url)");
			sl_exporter_release(&info);
			sl_exporter_status_release(&st);
			rc = SL_EINVAL;
			break;
		}
		d = doc("SchemaLink", names.items[i]);
		spec = json_object();
		subj = json_array();
		json_object_set_new(spec, "source", json_string(reg));
		json_object_set_new(spec, "destination", json_string(dst->name));
		for (k = 0; k < info.subjects.len; k++)
			json_array_append_new(subj, json_string(info.subjects.items[k]));
		if (info.subjects.len == 0)
			json_array_append_new(subj, json_string("*"));
		json_object_set_new(spec, "subjects", subj);
		if (info.context_type && !strcmp(info.context_type, "CUSTOM"))
			json_object_set_new(spec, "context",
			        json_pack("{s:s,s:s}", "type", "CUSTOM", "name",
			                info.context ? (info.context[0] == '.' ? info.context + 1
			                                                       : info.context)
			                             : reg));
		else
			json_object_set_new(spec, "context",
			        json_pack("{s:s}", "type",
			                info.context_type ? info.context_type : "AUTO"));
		if (info.subject_rename_format && *info.subject_rename_format &&
		        strcmp(info.subject_rename_format, SL_DEFAULT_RENAME_FORMAT))
			json_object_set_new(spec, "subjectRenameFormat",
			        json_string(info.subject_rename_format));
		cfg = json_object();
		sl_strmap_keys(&info.config, &keys);
		for (k = 0; k < keys.len; k++) {
			const char *v = sl_strmap_get(&info.config, keys.items[k], NULL);

			if (generated_key(keys.items[k]))
				continue;
			if (!strcmp(v, "[hidden]"))
				fprintf(stderr,
				        "slctl: export: exporter %s: config %s is hidden by the "
				        "registry; "
				        "add it under spec.secretConfig\n",
				        (char *)names.items[i], (char *)keys.items[k]);
			else
				json_object_set_new(cfg, keys.items[k], json_string(v));
		}
		sl_vec_release(&keys, NULL);
		if (json_object_size(cfg))
			json_object_set_new(spec, "config", cfg);
		else
			json_decref(cfg);
		/* Paused by a person exports as Paused; paused by an error as Running. */
		json_object_set_new(spec, "state",
		        json_string(st.state == SL_EXPORTER_PAUSED && (!st.trace || !*st.trace)
		                            ? "Paused"
		                            : "Running"));
		json_object_set_new(d, "spec", spec);
		json_array_append_new(docs, d);
		sl_exporter_release(&info);
		sl_exporter_status_release(&st);
	}
	if (rc == 0)
		rc = sl_srclient_contexts_list(c, &ctxs, &err);
	for (i = 0; rc == 0 && i < ctxs.len; i++) {
		const char *ctx = ctxs.items[i];
		char *mode = NULL, *compat = NULL, *scope;
		char name[64];

		if (sl_context_is_default(ctx))
			continue;
		scope = NULL;
		{
			struct sl_buf b = SL_BUF_INIT;

			sl_buf_addf(&b, ":%s:", ctx);
			scope = sl_buf_detach(&b);
		}
		rc = settings(c, scope, &mode, &compat, &err);
		if (rc == 0 && mode && !strcmp(mode, "IMPORT") && link_managed(snap, reg, ctx)) {
			free(mode);
			mode = NULL;
		}
		if (rc == 0 && (mode || compat)) {
			json_t *d, *spec = json_object();

			dns_name(reg, ctx, name, sizeof(name));
			d = doc("Context", name);
			json_object_set_new(spec, "registry", json_string(reg));
			json_object_set_new(spec, "context", json_string(ctx));
			if (mode)
				json_object_set_new(spec, "mode", json_string(mode));
			if (compat)
				json_object_set_new(spec, "compatibility", json_string(compat));
			json_object_set_new(d, "spec", spec);
			json_array_append_new(docs, d);
		}
		free(mode);
		free(compat);
		free(scope);
	}
	if (rc == 0)
		rc = sl_srclient_subjects_list(c, NULL, false, &subs, &err);
	for (i = 0; rc == 0 && i < subs.len; i++) {
		char *mode = NULL, *compat = NULL;
		char name[64];

		rc = settings(c, subs.items[i], &mode, &compat, &err);
		if (rc == 0 && (mode || compat)) {
			json_t *d, *spec = json_object();

			dns_name(reg, subs.items[i], name, sizeof(name));
			d = doc("Subject", name);
			json_object_set_new(spec, "registry", json_string(reg));
			json_object_set_new(spec, "subject", json_string(subs.items[i]));
			if (mode)
				json_object_set_new(spec, "mode", json_string(mode));
			if (compat)
				json_object_set_new(spec, "compatibility", json_string(compat));
			json_object_set_new(d, "spec", spec);
			json_array_append_new(docs, d);
		}
		free(mode);
		free(compat);
	}
	if (rc < 0) {
		if (err.code)
			fprintf(stderr, "slctl: export: registry %s: %s\n", reg, err.msg);
		rc = err.code == SL_ECONN || err.code == SL_ETIMEOUT ? SLCTL_EXIT_UNREACHABLE
		                                                     : SLCTL_EXIT_FAIL;
		goto out;
	}
	if (x->output && !strcmp(x->output, "json")) {
		char *s = json_dumps(docs, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		for (i = 0; i < json_array_size(docs); i++) {
			sl_buf_adds(&out, "---\n");
			slctl_yaml(json_array_get(docs, i), &out);
		}
		fputs(out.data, stdout);
	}
	rc = SLCTL_EXIT_OK;
out:
	json_decref(docs);
	sl_buf_release(&out);
	sl_vec_release(&names, free);
	sl_vec_release(&ctxs, free);
	sl_vec_release(&subs, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
