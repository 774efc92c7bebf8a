/*
 * exporter_api.c — srlite's /exporters REST endpoints (see exporter.h): routing, request
 * bodies and answers. The set and its state changes are exporter.c's.
 */
#include "schemalink/exporter.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "exporter_int.h"
#include "reply.h"

static int reply_name(struct sl_httpd_response *resp, const char *name)
{
	return sl_reply_json(resp, 200, json_pack("{s:s}", "name", name));
}

static int not_found_exporter(struct sl_httpd_response *resp, const char *name)
{
	struct sl_error err = SL_ERROR_INIT;

	sl_registry_error(&err, 40450, "Exporter %.300s not found.", name);
	return sl_reply_error(resp, &err);
}

static int list(struct sl_exporters *x, struct sl_httpd_response *resp)
{
	json_t *a = json_array();

	pthread_mutex_lock(&x->mu);
	for (size_t i = 0; a != NULL && i < x->list.len; i++) {
		const struct xp_exporter *e = x->list.items[i];

		json_array_append_new(a, json_string(e->name));
	}
	pthread_mutex_unlock(&x->mu);
	return sl_reply_json(resp, 200, a);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static int create(
        struct sl_exporters *x, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct sl_error err = SL_ERROR_INIT;
	struct xp_exporter *e = NULL;
	json_t *body = sl_body_object(req, resp), *nv;
	int rc = 0;

	if (body == NULL)
		return 0;
	nv = json_object_get(body, "name");
	if (!json_is_string(nv) || !valid_name(json_string_value(nv))) {
		sl_registry_error(&err, 40950,
		        "Missing or invalid exporter name: 1-255 characters of [A-Za-z0-9._-]");
		rc = sl_reply_error(resp, &err);
		goto out;
	}
	e = sl_xp_exporter_new(x, json_string_value(nv));
	if (e == NULL || sl_xp_spec_apply_json(body, &e->spec, true, &err) != 0) {
		if (e == NULL)
			sl_registry_error(&err, 50001, "Error in the backend data store");
		rc = sl_reply_error(resp, &err);
		goto out;
	}
	if (sl_xp_add(x, e, &err) != 0) {
		rc = sl_reply_error(resp, &err);
		goto out;
	}
	e = NULL;
	rc = reply_name(resp, json_string_value(nv));
out:
	sl_xp_exporter_free(e);
	json_decref(body);
	return rc;
}

static int mutate(struct sl_exporters *x, const char *name, enum xp_action act,
        const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct sl_error err = SL_ERROR_INIT;
	json_t *body = NULL;
	int rc;

	if (act == XP_ACT_UPDATE || act == XP_ACT_CONFIG) {
		body = sl_body_object(req, resp);
		if (body == NULL)
			return 0;
	}
	rc = sl_xp_change(x, name, act, body, &err);
	json_decref(body);
	if (rc != 0)
		return sl_reply_error(resp, &err);
	if (act == XP_ACT_DELETE)
		return sl_httpd_reply(resp, 200, NULL, "", 0);
	return reply_name(resp, name);
}

/* GET info, config or status under the lock. */
enum view { VIEW_INFO, VIEW_CONFIG, VIEW_STATUS, VIEW_CLUSTERLINK };

static int view(
        struct sl_exporters *x, const char *name, enum view what, struct sl_httpd_response *resp)
{
	json_t *v = NULL;
	long idx;

	pthread_mutex_lock(&x->mu);
	idx = sl_xp_find(x, name);
	if (idx >= 0) {
		const struct xp_exporter *e = x->list.items[idx];

		switch (what) {
		case VIEW_INFO: v = sl_xp_info_json(e, true); break;
		case VIEW_CONFIG: v = sl_xp_config_json(&e->spec.config, true); break;
		case VIEW_STATUS: v = sl_xp_status_json(e); break;
		case VIEW_CLUSTERLINK: v = json_object(); break;
		}
	}
	pthread_mutex_unlock(&x->mu);
	if (idx < 0)
		return not_found_exporter(resp, name);
	return sl_reply_json(resp, 200, v);
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

int sl_exporters_handle(struct sl_exporters *x, const struct sl_httpd_request *req,
        const char *const *seg, size_t n, struct sl_httpd_response *resp)
{
	const char *m = req->method, *name = n >= 2 ? seg[1] : NULL;

	if (n == 1) {
		if (is(m, "GET"))
			return list(x, resp);
		if (is(m, "POST"))
			return create(x, req, resp);
	} else if (n == 2) {
		if (is(m, "GET"))
			return view(x, name, VIEW_INFO, resp);
		if (is(m, "PUT"))
			return mutate(x, name, XP_ACT_UPDATE, req, resp);
		if (is(m, "DELETE"))
			return mutate(x, name, XP_ACT_DELETE, req, resp);
	} else if (n == 3 && is(seg[2], "config")) {
		if (is(m, "GET"))
			return view(x, name, VIEW_CONFIG, resp);
		if (is(m, "PUT"))
			return mutate(x, name, XP_ACT_CONFIG, req, resp);
	} else if (n == 3 && is(seg[2], "status")) {
		if (is(m, "GET"))
			return view(x, name, VIEW_STATUS, resp);
	} else if (n == 3 && (is(seg[2], "pause") || is(seg[2], "resume") || is(seg[2], "reset"))) {
		if (is(m, "PUT"))
			return mutate(x, name,
			        is(seg[2], "pause")    ? XP_ACT_PAUSE
			        : is(seg[2], "resume") ? XP_ACT_RESUME
			                               : XP_ACT_RESET,
			        req, resp);
	} else if (n == 4 && is(seg[2], "config") && is(seg[3], "clusterlink")) {
		if (is(m, "GET"))
			return view(x, name, VIEW_CLUSTERLINK, resp);
	} else {
		return sl_reply_not_found(resp);
	}
	return sl_reply_not_allowed(resp);
}
