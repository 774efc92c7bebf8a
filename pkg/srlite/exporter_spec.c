/*
 * exporter_spec.c — an exporter's definition and its JSON forms (see exporter.h): reading it
 * from ExporterCreate and ExporterUpdate objects and journal records, copying and freeing it,
 * and writing it back as ExporterInfo, its config (secrets masked for clients), ExporterStatus
 * and the journal record.
 */
#include "schemalink/exporter.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#include "exporter_int.h"

/* ---------- specs ---------- */

void sl_xp_spec_release(struct xp_spec *sp)
{
	for (size_t i = 0; i < sp->nsubjects; i++)
		free(sp->subjects[i]);
	free(sp->subjects);
	free(sp->context);
	free(sp->rename);
	free(sp->kek_rename);
	sl_strmap_release(&sp->config, free);
	memset(sp, 0, sizeof(*sp));
}

static int strv_copy(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	*dst = NULL;
	*ndst = 0;
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (*dst == NULL)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i] = strdup(src[i]);
		if ((*dst)[i] == NULL)
			return SL_ENOMEM;
		(*ndst)++;
	}
	return 0;
}

static char *strdup_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int config_copy(struct sl_strmap *dst, const struct sl_strmap *src)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (sl_strmap_next(src, &pos, &k, &v)) {
		char *cp = strdup(v);

		if (cp == NULL || sl_strmap_set(dst, k, cp, NULL) != 0) {
			free(cp);
			return SL_ENOMEM;
		}
	}
	return 0;
}

int sl_xp_spec_copy(struct xp_spec *dst, const struct xp_spec *src)
{
	memset(dst, 0, sizeof(*dst));
	sl_strmap_init(&dst->config);
	dst->ctype = src->ctype;
	dst->context = strdup_null(src->context);
	dst->rename = strdup_null(src->rename);
	dst->kek_rename = strdup_null(src->kek_rename);
	if ((src->context != NULL && dst->context == NULL) ||
	        (src->rename != NULL && dst->rename == NULL) ||
	        (src->kek_rename != NULL && dst->kek_rename == NULL) ||
	        strv_copy(&dst->subjects, &dst->nsubjects, src->subjects, src->nsubjects) != 0 ||
	        config_copy(&dst->config, &src->config) != 0) {
		sl_xp_spec_release(dst);
		return SL_ENOMEM;
	}
	return 0;
}

/* §8 secret masking: these keys, and any key ending in "password". */
static bool secret_key(const char *k)
{
	size_t n = strlen(k);

	return strcmp(k, "basic.auth.user.info") == 0 || strcmp(k, "bearer.auth.token") == 0 ||
	       strcmp(k, "bearer.auth.client.secret") == 0 ||
	       (n >= 8 && strcasecmp(k + n - 8, "password") == 0);
}

#define HIDDEN "[hidden]"

/* Replaces sp->config by the JSON object cfg. A secret key sent back as "[hidden]" keeps the
 * value it had (so a client may PUT what it read). 40951 unless every value is a string and
 * schema.registry.url is an http(s) URL. */
int sl_xp_config_from_json(json_t *cfg, struct xp_spec *sp, struct sl_error *err)
{
	struct sl_strmap next = SL_STRMAP_INIT;
	const char *k, *url;
	json_t *v;
	int rc = 0;

	if (!json_is_object(cfg))
		return sl_registry_error(err, 40951, "Exporter config must be a JSON object");
	json_object_foreach(cfg, k, v)
	{
		const char *val;
		char *cp;

		if (!json_is_string(v)) {
			rc = sl_registry_error(err, 40951,
			        "Invalid exporter config: '%.100s' must be a string", k);
			goto out;
		}
		val = json_string_value(v);
		if (secret_key(k) && strcmp(val, HIDDEN) == 0 &&
		        sl_strmap_get(&sp->config, k, NULL) != NULL)
			val = sl_strmap_get(&sp->config, k, NULL);
		cp = strdup(val);
		if (cp == NULL || sl_strmap_set(&next, k, cp, NULL) != 0) {
			free(cp);
			rc = sl_registry_error(err, 50001, "Error in the backend data store");
			goto out;
		}
	}
	url = sl_strmap_get(&next, "schema.registry.url", NULL);
	if (url == NULL || url[0] == '\0') {
		rc = sl_registry_error(err, 40951,
		        "Invalid exporter config: missing required config 'schema.registry.url'");
		goto out;
	}
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		rc = sl_registry_error(err, 40951,
		        "Invalid exporter config: 'schema.registry.url' must be an http or https "
		        "URL");
		goto out;
	}
	sl_strmap_release(&sp->config, free);
	sp->config = next;
	sl_strmap_init(&next);
out:
	sl_strmap_release(&next, free);
	return rc;
}

static int set_str(char **dst, const char *s, struct sl_error *err)
{
	char *cp = strdup(s);

	if (cp == NULL)
		return sl_registry_error(err, 50001, "Error in the backend data store");
	free(*dst);
	*dst = cp;
	return 0;
}

/* "contextType" and "context" of o into sp; a CUSTOM context must name one, and a
 * definition without a context gets ".". 40951. */
static int context_from_json(json_t *o, struct xp_spec *sp, struct sl_error *err)
{
	json_t *v;
	enum sl_context_type ct;

	v = json_object_get(o, "contextType");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) ||
		        sl_context_type_parse(json_string_value(v), &ct, NULL) != 0)
			return sl_registry_error(err, 40951,
			        "Invalid exporter contextType: must be AUTO, CUSTOM or NONE");
		sp->ctype = ct;
	}
	v = json_object_get(o, "context");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v))
			return sl_registry_error(err, 40951, "Invalid exporter context");
		if (set_str(&sp->context, json_string_value(v), err) != 0)
			return err->code;
	}
	if (sp->ctype == SL_CONTEXT_CUSTOM) {
		char *norm = NULL;

		if (sp->context == NULL || sl_context_normalize(sp->context, &norm, NULL) != 0 ||
		        strcmp(norm, ".") == 0 || strcmp(norm, ".__GLOBAL") == 0) {
			free(norm);
			return sl_registry_error(err, 40951,
			        "Invalid exporter context: CUSTOM needs a context name without "
			        "':'");
		}
		free(norm);
	} else if (sp->context == NULL && set_str(&sp->context, ".", err) != 0) {
		return err->code;
	}
	return 0;
}

/* "subjects" of o (filters) into sp; a definition without any gets "*". 40952. */
static int subjects_from_json(json_t *o, struct xp_spec *sp, struct sl_error *err)
{
	json_t *v = json_object_get(o, "subjects");

	if (v != NULL && !json_is_null(v)) {
		size_t n;
		char **subs;

		if (!json_is_array(v))
			return sl_registry_error(
			        err, 40952, "Invalid exporter subjects: not a list");
		n = json_array_size(v);
		for (size_t i = 0; i < n; i++) {
			json_t *s = json_array_get(v, i);

			if (!json_is_string(s) || sl_filter_check(json_string_value(s), NULL) != 0)
				return sl_registry_error(err, 40952,
				        "Invalid exporter subjects: '%.200s' is not *, :*:, "
				        ":.ctx:* or "
				        "a valid subject name",
				        json_is_string(s) ? json_string_value(s)
				                          : "(not a string)");
		}
		if (n > 0) {
			subs = calloc(n, sizeof(*subs));
			for (size_t i = 0; subs != NULL && i < n; i++) {
				subs[i] = strdup(json_string_value(json_array_get(v, i)));
				if (subs[i] == NULL) {
					for (size_t k = 0; k < i; k++)
						free(subs[k]);
					free(subs);
					subs = NULL;
				}
			}
			if (subs == NULL)
				return sl_registry_error(
				        err, 50001, "Error in the backend data store");
			for (size_t i = 0; i < sp->nsubjects; i++)
				free(sp->subjects[i]);
			free(sp->subjects);
			sp->subjects = subs;
			sp->nsubjects = n;
		}
	}
	if (sp->nsubjects == 0) {
		char star[] = "*", *one = star;

		if (strv_copy(&sp->subjects, &sp->nsubjects, &one, 1) != 0)
			return sl_registry_error(err, 50001, "Error in the backend data store");
	}
	return 0;
}

/* Applies the fields of an ExporterCreate (create) or ExporterUpdate object o to sp, which
 * holds the current definition (create: zeroed). Checks in the order of §2.1's codes: config
 * (40951), contextType / context / rename formats (40951), subjects (40952). */
int sl_xp_spec_apply_json(json_t *o, struct xp_spec *sp, bool create, struct sl_error *err)
{
	json_t *v;

	v = json_object_get(o, "config");
	if (v != NULL && !json_is_null(v)) {
		if (sl_xp_config_from_json(v, sp, err) != 0)
			return err->code;
	} else if (create) {
		return sl_registry_error(err, 40951, "Missing exporter config");
	}
	if (context_from_json(o, sp, err) != 0)
		return err->code;
	v = json_object_get(o, "subjectRenameFormat");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || strstr(json_string_value(v), "${subject}") == NULL)
			return sl_registry_error(err, 40951,
			        "Invalid exporter subjectRenameFormat: must contain ${subject}");
		if (set_str(&sp->rename, json_string_value(v), err) != 0)
			return err->code;
	}
	v = json_object_get(o, "kekRenameFormat");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v))
			return sl_registry_error(err, 40951, "Invalid exporter kekRenameFormat");
		if (set_str(&sp->kek_rename, json_string_value(v), err) != 0)
			return err->code;
	}
	return subjects_from_json(o, sp, err);
}

/* ---------- JSON ---------- */

static const char *state_name(enum xp_state s)
{
	switch (s) {
	case XP_STARTING: return "STARTING";
	case XP_RUNNING: return "RUNNING";
	case XP_PAUSED: return "PAUSED";
	}
	return "PAUSED";
}

int sl_xp_parse_state(const char *s, enum xp_state *out)
{
	if (strcmp(s, "STARTING") == 0)
		*out = XP_STARTING;
	else if (strcmp(s, "RUNNING") == 0)
		*out = XP_RUNNING;
	else if (strcmp(s, "PAUSED") == 0)
		*out = XP_PAUSED;
	else
		return SL_EINVAL;
	return 0;
}

json_t *sl_xp_config_json(const struct sl_strmap *cfg, bool masked)
{
	struct sl_vec keys = SL_VEC_INIT;
	json_t *o = json_object();

	if (o == NULL || sl_strmap_keys(cfg, &keys) != 0) {
		json_decref(o);
		sl_vec_release(&keys, NULL);
		return NULL;
	}
	sl_vec_sort(&keys, sl_vec_cmp_str);
	for (size_t i = 0; i < keys.len; i++) {
		const char *k = keys.items[i];
		const char *v = sl_strmap_get(cfg, k, NULL);

		json_object_set_new(o, k, json_string(masked && secret_key(k) ? HIDDEN : v));
	}
	sl_vec_release(&keys, NULL);
	return o;
}

/* ExporterInfo: name, subjects, contextType, context, the rename formats when they were
 * given (the walkthrough's describe output has neither), config. */
json_t *sl_xp_info_json(const struct xp_exporter *e, bool masked)
{
	json_t *o = json_object(), *subs = json_array();

	if (o == NULL || subs == NULL) {
		json_decref(o);
		json_decref(subs);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(e->name));
	for (size_t i = 0; i < e->spec.nsubjects; i++)
		json_array_append_new(subs, json_string(e->spec.subjects[i]));
	json_object_set_new(o, "subjects", subs);
	json_object_set_new(o, "contextType", json_string(sl_context_type_name(e->spec.ctype)));
	json_object_set_new(o, "context", json_string(e->spec.context));
	if (e->spec.rename != NULL)
		json_object_set_new(o, "subjectRenameFormat", json_string(e->spec.rename));
	if (e->spec.kek_rename != NULL)
		json_object_set_new(o, "kekRenameFormat", json_string(e->spec.kek_rename));
	json_object_set_new(o, "config", sl_xp_config_json(&e->spec.config, masked));
	return o;
}

json_t *sl_xp_status_json(const struct xp_exporter *e)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "name", e->name, "state",
	        state_name(e->state), "offset", (json_int_t)e->offset, "ts", (json_int_t)e->ts);

	if (o != NULL && e->trace != NULL && e->trace[0] != '\0')
		json_object_set_new(o, "trace", json_string(e->trace));
	return o;
}

/* The journal record of e: its whole definition (secrets included: the journal is the
 * registry's own data) and status. Called under x->mu. Returns owned text or NULL. */
char *sl_xp_record(const struct xp_exporter *e)
{
	json_t *o = sl_xp_info_json(e, false);
	char *text;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "op", json_string("exporter"));
	json_object_set_new(o, "state", json_string(state_name(e->state)));
	json_object_set_new(o, "offset", json_integer(e->offset));
	json_object_set_new(o, "ts", json_integer(e->ts));
	json_object_set_new(o, "trace", json_string(e->trace != NULL ? e->trace : ""));
	json_object_set_new(o, "modesDone", json_boolean(e->modes_done));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}
