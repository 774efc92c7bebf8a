/* observed.c — the hidden `--observed FILE` flag of slctl diff/get/describe: registries are
 * answered from recorded responses instead of the network, so golden tests can feed the
 * real observe + plan code an exact live state without running a registry.
 *
 * FILE is JSON: {"<Registry name>": {"<METHOD> <path as sent>": RESPONSE, ...}, ...}.
 * RESPONSE is either {"status": N, "body": JSON} or any other JSON value, which is a 200
 * with that body. A request not listed answers a route-level 404 (so a registry without
 * "GET /exporters" looks like one without Schema Linking), and every write answers 405: the
 * recorded state is read-only. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/srclient.h"
#include "slctl.h"

struct observed {
	struct sl_transport base;
	json_t *answers; /* this registry's object */
};

static int obs_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct observed *o = (struct observed *)t;
	struct sl_buf k = SL_BUF_INIT;
	json_t *v, *body;
	char *text = NULL;
	int rc = 0;

	(void)err;
	resp->retry_after_s = -1;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", SL_SRCLIENT_CONTENT_TYPE);
	if (strcmp(req->method, "GET") != 0) {
		resp->status = 405;
		rc = sl_buf_adds(&resp->body, "{\"error_code\":405,\"message\":\"observed state is "
		                              "read-only\"}");
		goto out;
	}
	sl_buf_addf(&k, "%s %s", req->method, req->path);
	v = json_object_get(o->answers, k.data);
	if (v == NULL) {
		resp->status = 404;
		rc = sl_buf_adds(
		        &resp->body, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
		goto out;
	}
	body = v;
	resp->status = 200;
	if (json_is_object(v) && json_object_size(v) == 2 &&
	        json_is_integer(json_object_get(v, "status")) && json_object_get(v, "body")) {
		resp->status = (int)json_integer_value(json_object_get(v, "status"));
		body = json_object_get(v, "body");
	}
	text = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT);
	rc = text ? sl_buf_adds(&resp->body, text) : SL_ENOMEM;
out:
	free(text);
	sl_buf_release(&k);
	return rc;
}

static void obs_free(struct sl_transport *t)
{
	struct observed *o = (struct observed *)t;

	json_decref(o->answers);
	free(o);
}

struct sl_transport *slctl_observed_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	json_error_t je;
	json_t *root = json_load_file(cls, 0, &je);
	struct observed *o;

	(void)cfg;
	if (!json_is_object(root)) {
		sl_error_set(err, SL_EINVAL, "--observed %s: %s", (const char *)cls,
		        root ? "not a JSON object" : je.text);
		json_decref(root);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		json_decref(root);
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	o->base.perform = obs_perform;
	o->base.free = obs_free;
	o->answers = json_incref(json_object_get(root, registry));
	if (o->answers == NULL)
		o->answers = json_object();
	json_decref(root);
	return &o->base;
}
