/* linkops.c — the imperative link operations of slctl: pause, resume, reset and promote
 * (which prints the SchemaLink document to commit). */
#include "schemalink/engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "observe.h"
#include "schemalink/json.h"
#include "schemalink/qsubject.h"

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
	c = sl_eng_client_for(e, snap, o->link.source, err);
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
	src = sl_eng_client_for(e, snap, o->link.source, err);
	dst = src ? sl_eng_client_for(e, snap, o->link.destination, err) : NULL;
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
