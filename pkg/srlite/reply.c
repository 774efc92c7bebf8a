/*
 * reply.c — JSON answers and request bodies for srlite's REST files (see reply.h).
 */
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>

int sl_reply_json(struct sl_httpd_response *resp, int status, json_t *v)
{
	char *text = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)
	                       : NULL;
	int rc;

	json_decref(v);
	if (text == NULL)
		return sl_httpd_reply_error(resp, 500, 50001, "Error in the backend data store");
	rc = sl_httpd_reply_json(resp, status, text);
	free(text);
	return rc;
}

int sl_reply_error(struct sl_httpd_response *resp, const struct sl_error *err)
{
	if (err->registry_code != 0)
		return sl_httpd_reply_error(resp, err->http_status, err->registry_code, err->msg);
	return sl_httpd_reply_error(resp, 500, 50001, "Error in the backend data store");
}

int sl_reply_not_found(struct sl_httpd_response *resp)
{
	return sl_httpd_reply_error(resp, 404, 404, "HTTP 404 Not Found");
}

int sl_reply_not_allowed(struct sl_httpd_response *resp)
{
	return sl_httpd_reply_error(resp, 405, 405, "HTTP 405 Method Not Allowed");
}

json_t *sl_body_object(const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	json_error_t jerr;
	json_t *v = json_loadb(req->body, req->body_len, 0, &jerr);
	char msg[300];

	if (v == NULL) {
		snprintf(msg, sizeof(msg),
		        "Unrecognized JSON in request body: %s (line %d, column %d)", jerr.text,
		        jerr.line, jerr.column);
		sl_httpd_reply_error(resp, 400, 400, msg);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		sl_httpd_reply_error(resp, 400, 400, "Request body must be a JSON object");
		return NULL;
	}
	return v;
}
