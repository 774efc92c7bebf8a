/* api.c — typed calls for the registry endpoints schemalink uses, and their JSON shapes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srclient_int.h"

/* ---- small helpers ------------------------------------------------------------------- */

/* Builds "<prefix>[/<escaped segment>][<suffix>]" into path. seg NULL or "" adds nothing. */
static int make_path(struct sl_buf *path, const char *prefix, const char *seg, const char *suffix,
        struct sl_error *err)
{
	sl_buf_reset(path);
	if (sl_buf_adds(path, prefix) < 0)
		goto nomem;
	if (seg != NULL && *seg != '\0') {
		if (sl_buf_addch(path, '/') < 0 || sl_srclient_path_escape(path, seg) < 0)
			goto nomem;
	}
	if (suffix != NULL && sl_buf_adds(path, suffix) < 0)
		goto nomem;
	return 0;
nomem:
	return sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* True when v is a JSON integer that fits an int (ids and versions are Java ints); a plain
 * cast would wrap 4294967297 to 1 and name the wrong schema. */
static bool int_value(json_t *v, int *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return false;
	i = json_integer_value(v);
	if (i < INT_MIN || i > INT_MAX)
		return false;
	*out = (int)i;
	return true;
}

static char *dup_or_null(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* True when dup_or_null gave NULL for a string that is there: out of memory, not absent. */
static bool lost(json_t *o, const char *key, const char *got)
{
	return got == NULL && json_is_string(json_object_get(o, key));
}

/* Fills names (owned strings) from a JSON array of strings. */
static int string_array(
        json_t *j, struct sl_vec *names, const char *method, const char *path, struct sl_error *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(j))
		return sl_srclient_bad_shape(err, method, path, "expected a JSON array");
	json_array_foreach(j, i, v)
	{
		char *s;

		if (!json_is_string(v))
			return sl_srclient_bad_shape(
			        err, method, path, "expected an array of strings");
		s = strdup(json_string_value(v));
		if (s == NULL || sl_vec_push(names, s) < 0) {
			free(s);
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Fills m (owned string values) from a JSON object of strings; other values are kept as their
 * compact JSON text, so a newer registry's richer config still reads. */
static int string_map(
        json_t *j, struct sl_strmap *m, const char *method, const char *path, struct sl_error *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(j))
		return sl_srclient_bad_shape(err, method, path, "expected a JSON object");
	json_object_foreach(j, k, v)
	{
		char *s = json_is_string(v) ? strdup(json_string_value(v))
		                            : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		void *old = NULL;

		if (s == NULL || sl_strmap_set(m, k, s, &old) < 0) {
			free(s);
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		}
		free(old);
	}
	return 0;
}

static json_t *map_to_json(const struct sl_strmap *m)
{
	json_t *o = json_object();
	const char *k;
	void *v;
	size_t pos = 0;

	if (o == NULL)
		return NULL;
	while (sl_strmap_next(m, &pos, &k, &v)) {
		if (json_object_set_new(o, k, json_string(v ? v : "")) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Sends method path with body (taken) and ignores the answer's body. */
static int call_void(struct sl_srclient *c, const char *method, const char *path, json_t *body,
        struct sl_error *err)
{
	int rc = sl_srclient_call_json(c, method, path, body, false, NULL, err);

	return rc < 0 ? rc : 0;
}

/* ---- registry identity ---------------------------------------------------------------- */

/* True when the UTF-8 string s holds a C0 control, DEL or a C1 control (U+0080-U+009F,
 * encoded 0xC2 0x80-0x9F): none belongs in an identity that ends up in logs and status. */
static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
	}
	return false;
}

/* The string value of key in object o when it is a non-empty string, else NULL (borrowed). */
static const char *nonempty(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int sl_srclient_cluster_id(struct sl_srclient *c, char *out, size_t len, struct sl_error *err)
{
	static const char path[] = "/v1/metadata/id";
	struct sl_error local = SL_ERROR_INIT;
	struct sl_buf pair = SL_BUF_INIT;
	const char *kafka, *group, *id = NULL;
	json_t *j = NULL, *clusters;
	int rc;

	if (err == NULL)
		err = &local;
	if (out == NULL || len == 0)
		return sl_error_set(err, SL_EINVAL, "GET %s: no room for the cluster id", path);
	out[0] = '\0';
	rc = sl_srclient_call_json(c, "GET", path, NULL, false, &j, err);
	if (rc < 0) {
		/* 404/405: a registry older than the route, or not a Confluent one. A 2xx that
		 * does not parse (a catch-all page) says nothing about identity either. Neither
		 * is worth failing a caller over: the identity is simply unknown. */
		if (rc != SL_ESTATE && (err->http_status == 404 || err->http_status == 405 ||
		                               (rc == SL_EPROTO && err->http_status >= 200 &&
		                                       err->http_status < 300))) {
			sl_error_clear(err);
			rc = 0;
		}
		goto out;
	}
	rc = 0;
	clusters = json_object_get(json_object_get(j, "scope"), "clusters");
	kafka = nonempty(clusters, "kafka-cluster");
	group = nonempty(clusters, "schema-registry-cluster");
	if (kafka != NULL && group != NULL) {
		if (sl_buf_addf(&pair, "%s/%s", kafka, group) < 0) {
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		if (!has_control(pair.data))
			id = pair.data;
	}
	if (id == NULL) {
		id = nonempty(j, "id");
		if (id != NULL && has_control(id))
			id = NULL;
	}
	if (id != NULL) {
		sl_strlcpy_utf8(out, len, id);
		rc = out[0] != '\0' ? 1 : 0;
	}
out:
	json_decref(j);
	sl_buf_release(&pair);
	return rc;
}

/* ---- exporters ----------------------------------------------------------------------- */

void sl_exporter_release(struct sl_exporter *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->context_type);
	free(e->context);
	sl_vec_release(&e->subjects, free);
	free(e->subject_rename_format);
	free(e->kek_rename_format);
	sl_strmap_release(&e->config, free);
	*e = (struct sl_exporter)SL_EXPORTER_INIT;
}

void sl_exporter_status_release(struct sl_exporter_status *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->state_raw);
	free(s->trace);
	*s = (struct sl_exporter_status)SL_EXPORTER_STATUS_INIT;
}

const char *sl_exporter_state_name(enum sl_exporter_state s)
{
	switch (s) {
	case SL_EXPORTER_STARTING: return "STARTING";
	case SL_EXPORTER_RUNNING: return "RUNNING";
	case SL_EXPORTER_PAUSED: return "PAUSED";
	case SL_EXPORTER_UNASSIGNED: return "UNASSIGNED";
	case SL_EXPORTER_UNKNOWN: break;
	}
	return "UNKNOWN";
}

static int set_str(json_t *o, const char *key, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, key, json_string(v));
}

/* ExporterCreate (with_name) or ExporterUpdate as JSON; NULL when out of memory. */
static json_t *exporter_json(const struct sl_exporter *e, bool create)
{
	json_t *o = json_object(), *subj = NULL, *cfg;
	size_t i;

	if (o == NULL)
		return NULL;
	if ((create && set_str(o, "name", e->name) < 0) ||
	        set_str(o, "contextType", e->context_type) < 0 ||
	        set_str(o, "context", e->context) < 0)
		goto fail;
	if (e->subjects.len > 0) {
		subj = json_array();
		if (subj == NULL)
			goto fail;
		for (i = 0; i < e->subjects.len; i++)
			if (json_array_append_new(subj, json_string(e->subjects.items[i])) < 0) {
				json_decref(subj);
				goto fail;
			}
		if (json_object_set_new(o, "subjects", subj) < 0)
			goto fail;
	}
	if (set_str(o, "subjectRenameFormat", e->subject_rename_format) < 0 ||
	        set_str(o, "kekRenameFormat", e->kek_rename_format) < 0)
		goto fail;
	if (create || e->config.len > 0) {
		cfg = map_to_json(&e->config);
		if (cfg == NULL || json_object_set_new(o, "config", cfg) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int sl_srclient_exporters_list(struct sl_srclient *c, struct sl_vec *names, struct sl_error *err)
{
	json_t *j = NULL;
	int rc = sl_srclient_call_json(c, "GET", "/exporters", NULL, false, &j, err);

	if (rc < 0) {
		if (rc != SL_ESTATE && sl_srclient_err_route_missing(err)) {
			int status = err->http_status, code = err->registry_code;
			char msg[SL_ERROR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			rc = sl_error_set(err, SL_EUNSUP,
			        "%s (the registry has no exporters endpoint: Schema Linking not "
			        "available)",
			        msg);
			err->http_status = status;
			err->registry_code = code;
		}
		return rc;
	}
	rc = string_array(j, names, "GET", "/exporters", err);
	json_decref(j);
	return rc;
}

int sl_srclient_exporter_create(
        struct sl_srclient *c, const struct sl_exporter *e, struct sl_error *err)
{
	json_t *body;

	if (e->name == NULL || *e->name == '\0')
		return sl_error_set(err, SL_EINVAL, "POST /exporters: exporter name is empty");
	body = exporter_json(e, true);
	if (body == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	/* The new exporter's resource is /exporters/{name}, not the path posted to: what was
	 * read ahead of it (an exporter that was there then) is stale from now on. */
	{
		struct sl_buf path = SL_BUF_INIT;

		if (sl_srclient_read_path(&path, SL_READ_EXPORTER, e->name, NULL) == 0)
			sl_srclient_forget_ahead(c, path.data);
		else
			sl_srclient_forget_ahead(c, NULL);
		sl_buf_release(&path);
	}
	return call_void(c, "POST", "/exporters", body, err);
}

static int exporter_from_json(
        json_t *j, struct sl_exporter *e, const char *path, struct sl_error *err)
{
	json_t *subj, *cfg;
	int rc;

	if (!json_is_object(j))
		return sl_srclient_bad_shape(err, "GET", path, "expected a JSON object");
	e->name = dup_or_null(json_object_get(j, "name"));
	e->context_type = dup_or_null(json_object_get(j, "contextType"));
	e->context = dup_or_null(json_object_get(j, "context"));
	e->subject_rename_format = dup_or_null(json_object_get(j, "subjectRenameFormat"));
	e->kek_rename_format = dup_or_null(json_object_get(j, "kekRenameFormat"));
	if (lost(j, "name", e->name) || lost(j, "contextType", e->context_type) ||
	        lost(j, "context", e->context) ||
	        lost(j, "subjectRenameFormat", e->subject_rename_format) ||
	        lost(j, "kekRenameFormat", e->kek_rename_format))
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	subj = json_object_get(j, "subjects");
	if (subj != NULL && !json_is_null(subj)) {
		rc = string_array(subj, &e->subjects, "GET", path, err);
		if (rc < 0)
			return rc;
	}
	cfg = json_object_get(j, "config");
	if (cfg != NULL && !json_is_null(cfg)) {
		rc = string_map(cfg, &e->config, "GET", path, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sl_srclient_exporter_get(
        struct sl_srclient *c, const char *name, struct sl_exporter *out, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL;
	int rc;

	rc = sl_srclient_read_path(&path, SL_READ_EXPORTER, name, err);
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc == 0)
		rc = exporter_from_json(j, out, path.data, err);
	if (rc < 0)
		sl_exporter_release(out);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

static enum sl_exporter_state parse_state(const char *s)
{
	static const enum sl_exporter_state all[] = {SL_EXPORTER_STARTING, SL_EXPORTER_RUNNING,
	        SL_EXPORTER_PAUSED, SL_EXPORTER_UNASSIGNED};
	size_t i;

	for (i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, sl_exporter_state_name(all[i])) == 0)
			return all[i];
	return SL_EXPORTER_UNKNOWN;
}

int sl_srclient_exporter_status(struct sl_srclient *c, const char *name,
        struct sl_exporter_status *out, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL, *v;
	int rc;

	rc = sl_srclient_read_path(&path, SL_READ_EXPORTER_STATUS, name, err);
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc < 0)
		goto out;
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "state"))) {
		rc = sl_srclient_bad_shape(err, "GET", path.data, "expected an exporter status");
		goto out;
	}
	out->name = dup_or_null(json_object_get(j, "name"));
	out->state_raw = dup_or_null(json_object_get(j, "state"));
	out->state = parse_state(out->state_raw);
	v = json_object_get(j, "offset");
	out->offset = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
	v = json_object_get(j, "ts");
	out->ts = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	v = json_object_get(j, "trace");
	out->trace = strdup(json_is_string(v) ? json_string_value(v) : "");
	if (out->state_raw == NULL || out->trace == NULL)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
	if (rc < 0)
		sl_exporter_status_release(out);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_exporter_update(
        struct sl_srclient *c, const char *name, const struct sl_exporter *e, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *body = NULL;
	int rc;

	rc = make_path(&path, "/exporters", name, NULL, err);
	if (rc == 0) {
		body = exporter_json(e, false);
		if (body == NULL)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = call_void(c, "PUT", path.data, body, err);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_exporter_config_get(
        struct sl_srclient *c, const char *name, struct sl_strmap *out, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL;
	int rc;

	rc = make_path(&path, "/exporters", name, "/config", err);
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc == 0)
		rc = string_map(j, out, "GET", path.data, err);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_exporter_config_put(struct sl_srclient *c, const char *name,
        const struct sl_strmap *config, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *body = NULL;
	int rc;

	rc = make_path(&path, "/exporters", name, "/config", err);
	if (rc == 0) {
		body = map_to_json(config);
		if (body == NULL)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = call_void(c, "PUT", path.data, body, err);
	sl_buf_release(&path);
	return rc;
}

static int exporter_verb(struct sl_srclient *c, const char *method, const char *name,
        const char *suffix, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	int rc = make_path(&path, "/exporters", name, suffix, err);

	if (rc == 0)
		rc = call_void(c, method, path.data, NULL, err);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_exporter_pause(struct sl_srclient *c, const char *name, struct sl_error *err)
{
	return exporter_verb(c, "PUT", name, "/pause", err);
}

int sl_srclient_exporter_resume(struct sl_srclient *c, const char *name, struct sl_error *err)
{
	return exporter_verb(c, "PUT", name, "/resume", err);
}

int sl_srclient_exporter_reset(struct sl_srclient *c, const char *name, struct sl_error *err)
{
	return exporter_verb(c, "PUT", name, "/reset", err);
}

int sl_srclient_exporter_delete(struct sl_srclient *c, const char *name, struct sl_error *err)
{
	return exporter_verb(c, "DELETE", name, NULL, err);
}

/* ---- modes and compatibility ---------------------------------------------------------- */

int sl_srclient_read_path(
        struct sl_buf *out, enum sl_srclient_read what, const char *arg, struct sl_error *err)
{
	bool top = arg == NULL || *arg == '\0';

	switch (what) {
	case SL_READ_EXPORTER: return make_path(out, "/exporters", arg, NULL, err);
	case SL_READ_EXPORTER_STATUS: return make_path(out, "/exporters", arg, "/status", err);
	case SL_READ_MODE:
		return make_path(out, "/mode", arg, top ? NULL : "?defaultToGlobal=false", err);
	case SL_READ_CONFIG:
		return make_path(out, "/config", arg, top ? NULL : "?defaultToGlobal=false", err);
	}
	return sl_error_set(err, SL_EINVAL, "unknown read");
}

/* GET /<what>[/{scope}?defaultToGlobal=false] reading field; not_set_code means "not set". */
static int scope_get(struct sl_srclient *c, const char *what, const char *scope, const char *field,
        int not_set_code, char **value, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL, *v;
	bool top = scope == NULL || *scope == '\0';
	int rc;

	*value = NULL;
	rc = sl_srclient_read_path(
	        &path, !strcmp(what, "/mode") ? SL_READ_MODE : SL_READ_CONFIG, scope, err);
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc < 0) {
		if (sl_srclient_err_is(err, not_set_code)) {
			sl_error_clear(err);
			rc = 0;
		}
		goto out;
	}
	v = json_is_object(j) ? json_object_get(j, field) : NULL;
	if (!json_is_string(v)) {
		/* A null value (e.g. an unset mode in some versions) also means "not set here". */
		if (json_is_object(j) && (v == NULL || json_is_null(v)) && !top) {
			rc = 0;
			goto out;
		}
		rc = sl_srclient_bad_shape(err, "GET", path.data, field);
		goto out;
	}
	*value = strdup(json_string_value(v));
	rc = *value ? 1 : sl_error_set(err, SL_ENOMEM, "out of memory");
out:
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

static int scope_put(struct sl_srclient *c, const char *what, const char *scope, const char *field,
        const char *value, const char *query, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *body = NULL;
	int rc;

	if (value == NULL)
		return sl_error_set(err, SL_EINVAL, "PUT %s: no value", what);
	rc = make_path(&path, what, scope, query, err);
	if (rc == 0) {
		body = json_pack("{ss}", field, value);
		if (body == NULL)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = call_void(c, "PUT", path.data, body, err);
	sl_buf_release(&path);
	return rc;
}

static int scope_delete(
        struct sl_srclient *c, const char *what, const char *scope, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	int rc = make_path(&path, what, scope, NULL, err);

	if (rc == 0)
		rc = call_void(c, "DELETE", path.data, NULL, err);
	if (rc == 0) {
		rc = 1;
	} else if (sl_srclient_err_is(err, 40401)) {
		sl_error_clear(err);
		rc = 0;
	}
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_mode_get(
        struct sl_srclient *c, const char *scope, char **value, struct sl_error *err)
{
	return scope_get(c, "/mode", scope, "mode", 40409, value, err);
}

int sl_srclient_mode_put(struct sl_srclient *c, const char *scope, const char *mode, bool force,
        struct sl_error *err)
{
	return scope_put(c, "/mode", scope, "mode", mode, force ? "?force=true" : NULL, err);
}

int sl_srclient_mode_delete(struct sl_srclient *c, const char *scope, struct sl_error *err)
{
	return scope_delete(c, "/mode", scope, err);
}

int sl_srclient_config_get(
        struct sl_srclient *c, const char *scope, char **level, struct sl_error *err)
{
	return scope_get(c, "/config", scope, "compatibilityLevel", 40408, level, err);
}

int sl_srclient_config_put(
        struct sl_srclient *c, const char *scope, const char *level, struct sl_error *err)
{
	return scope_put(c, "/config", scope, "compatibility", level, NULL, err);
}

int sl_srclient_config_delete(struct sl_srclient *c, const char *scope, struct sl_error *err)
{
	return scope_delete(c, "/config", scope, err);
}

/* ---- contexts and subjects ------------------------------------------------------------ */

int sl_srclient_contexts_list(struct sl_srclient *c, struct sl_vec *names, struct sl_error *err)
{
	json_t *j = NULL;
	int rc = sl_srclient_call_json(c, "GET", "/contexts", NULL, false, &j, err);

	if (rc == 0)
		rc = string_array(j, names, "GET", "/contexts", err);
	json_decref(j);
	return rc;
}

int sl_srclient_context_delete(struct sl_srclient *c, const char *ctx, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	int rc;

	if (ctx == NULL || *ctx == '\0')
		return sl_error_set(err, SL_EINVAL, "DELETE /contexts: no context named");
	rc = make_path(&path, "/contexts", ctx, NULL, err);
	if (rc == 0)
		rc = call_void(c, "DELETE", path.data, NULL, err);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_subjects_list(struct sl_srclient *c, const char *prefix, bool deleted,
        struct sl_vec *names, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL;
	int rc = 0;

	if (sl_buf_adds(&path, "/subjects") < 0)
		rc = SL_ENOMEM;
	if (rc == 0 && prefix != NULL &&
	        (sl_buf_adds(&path, "?subjectPrefix=") < 0 ||
	                sl_srclient_path_escape(&path, prefix) < 0))
		rc = SL_ENOMEM;
	if (rc == 0 && deleted &&
	        sl_buf_adds(&path, prefix ? "&deleted=true" : "?deleted=true") < 0)
		rc = SL_ENOMEM;
	if (rc < 0)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc == 0)
		rc = string_array(j, names, "GET", path.data, err);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

void sl_schema_entry_free(void *p)
{
	struct sl_schema_entry *r = p;

	if (r != NULL)
		free(r->subject);
	free(r);
}

int sl_srclient_schemas_page(struct sl_srclient *c, const char *prefix, int offset, int limit,
        struct sl_vec *out, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL, *v;
	size_t i;
	int rc = 0;

	if (sl_buf_adds(&path, "/schemas?subjectPrefix=") < 0 ||
	        sl_srclient_path_escape(&path, prefix) < 0 ||
	        sl_buf_addf(&path, "&offset=%d&limit=%d", offset, limit) < 0)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc == 0 && !json_is_array(j))
		rc = sl_srclient_bad_shape(err, "GET", path.data, "expected a JSON array");
	json_array_foreach(rc == 0 ? j : NULL, i, v)
	{
		struct sl_schema_entry *r;
		const char *subj = json_string_value(json_object_get(v, "subject"));
		int ver, id;

		if (subj == NULL || !int_value(json_object_get(v, "version"), &ver) ||
		        !int_value(json_object_get(v, "id"), &id)) {
			rc = sl_srclient_bad_shape(err, "GET", path.data,
			        "expected objects with subject, version and id");
			break;
		}
		if ((r = calloc(1, sizeof(*r))) == NULL || (r->subject = strdup(subj)) == NULL ||
		        sl_vec_push(out, r) < 0) {
			sl_schema_entry_free(r);
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			break;
		}
		r->version = ver;
		r->id = id;
	}
	if (rc == 0)
		rc = (int)json_array_size(j);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

int sl_srclient_subject_versions(struct sl_srclient *c, const char *subject, bool deleted,
        int **versions, size_t *n, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL, *v;
	size_t i;
	int rc;

	*versions = NULL;
	*n = 0;
	rc = make_path(
	        &path, "/subjects", subject, deleted ? "/versions?deleted=true" : "/versions", err);
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc < 0)
		goto out;
	if (!json_is_array(j)) {
		rc = sl_srclient_bad_shape(err, "GET", path.data, "expected an array of versions");
		goto out;
	}
	*versions = calloc(json_array_size(j) + 1, sizeof(int));
	if (*versions == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(j, i, v)
	{
		if (!int_value(v, &(*versions)[i])) {
			free(*versions);
			*versions = NULL;
			rc = sl_srclient_bad_shape(
			        err, "GET", path.data, "expected an array of versions");
			goto out;
		}
	}
	*n = json_array_size(j);
out:
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

void sl_schema_version_release(struct sl_schema_version *v)
{
	if (v == NULL)
		return;
	free(v->subject);
	free(v->schema_type);
	free(v->schema);
	free(v->references);
	free(v->metadata);
	free(v->rule_set);
	*v = (struct sl_schema_version)SL_SCHEMA_VERSION_INIT;
}

static char *dump_or_null(json_t *v)
{
	return v == NULL || json_is_null(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int sl_srclient_subject_version_get(struct sl_srclient *c, const char *subject, const char *version,
        struct sl_schema_version *out, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *j = NULL, *v;
	int rc;

	rc = make_path(&path, "/subjects", subject, "/versions", err);
	if (rc == 0 && (sl_buf_addch(&path, '/') < 0 ||
	                       sl_srclient_path_escape(&path, version ? version : "latest") < 0))
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = sl_srclient_call_json(c, "GET", path.data, NULL, false, &j, err);
	if (rc < 0)
		goto out;
	v = json_is_object(j) ? json_object_get(j, "version") : NULL;
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "schema")) ||
	        !int_value(json_object_get(j, "id"), &out->id) ||
	        (json_is_integer(v) && !int_value(v, &out->version))) {
		rc = sl_srclient_bad_shape(err, "GET", path.data, "expected a schema version");
		goto out;
	}
	out->subject = dup_or_null(json_object_get(j, "subject"));
	v = json_object_get(j, "schemaType");
	out->schema_type = strdup(json_is_string(v) ? json_string_value(v) : "AVRO");
	out->schema = dup_or_null(json_object_get(j, "schema"));
	out->references = dump_or_null(json_object_get(j, "references"));
	out->metadata = dump_or_null(json_object_get(j, "metadata"));
	out->rule_set = dump_or_null(json_object_get(j, "ruleSet"));
	if (out->schema_type == NULL || out->schema == NULL)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
	if (rc < 0)
		sl_schema_version_release(out);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}

/* Adds key from JSON text (an array or object the caller supplies) to o. */
static int set_raw(
        json_t *o, const char *key, const char *text, const char *path, struct sl_error *err)
{
	json_error_t jerr;
	json_t *v;

	if (text == NULL)
		return 0;
	v = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return sl_error_set(
		        err, SL_EINVAL, "POST %s: %s is not valid JSON: %s", path, key, jerr.text);
	if (json_object_set_new(o, key, v) < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

int sl_srclient_register(struct sl_srclient *c, const char *subject,
        const struct sl_register_request *req, int *id, int *version, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT;
	json_t *body = NULL, *j = NULL, *v;
	int rc, got_id = 0, got_version = 0;

	if (req->schema == NULL)
		return sl_error_set(err, SL_EINVAL, "register: no schema");
	rc = make_path(&path, "/subjects", subject,
	        req->normalize_false ? "/versions?normalize=false" : "/versions", err);
	if (rc < 0)
		goto out;
	body = json_object();
	if (body == NULL || json_object_set_new(body, "schema", json_string(req->schema)) < 0 ||
	        set_str(body, "schemaType", req->schema_type) < 0 ||
	        (req->id >= 0 && json_object_set_new(body, "id", json_integer(req->id)) < 0) ||
	        (req->version >= 0 &&
	                json_object_set_new(body, "version", json_integer(req->version)) < 0)) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = set_raw(body, "references", req->references, path.data, err)) < 0 ||
	        (rc = set_raw(body, "metadata", req->metadata, path.data, err)) < 0 ||
	        (rc = set_raw(body, "ruleSet", req->rule_set, path.data, err)) < 0)
		goto out;
	rc = sl_srclient_call_json(c, "POST", path.data, body, req->idempotent, &j, err);
	body = NULL;
	if (rc < 0)
		goto out;
	v = json_is_object(j) ? json_object_get(j, "version") : NULL;
	if (!json_is_object(j) || !int_value(json_object_get(j, "id"), &got_id) ||
	        (json_is_integer(v) && !int_value(v, &got_version))) {
		rc = sl_srclient_bad_shape(
		        err, "POST", path.data, "no schema id, or an id or version out of range");
		goto out;
	}
	if (id)
		*id = got_id;
	if (version)
		*version = got_version;
out:
	json_decref(body);
	json_decref(j);
	sl_buf_release(&path);
	return rc;
}
