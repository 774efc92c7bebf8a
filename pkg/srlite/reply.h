/*
 * reply.h — what srlite's REST files (api.c, exporter_api.c, faults.c) share to speak JSON:
 * answering with a jansson value, a registry error or a plain 404 / 405, and reading a request
 * body that must be a JSON object. Built on pkg/httpd's reply functions, which know nothing of
 * jansson.
 */
#ifndef SCHEMALINK_SRLITE_REPLY_H
#define SCHEMALINK_SRLITE_REPLY_H

#include <jansson.h>

#include "schemalink/error.h"
#include "schemalink/httpd.h"

/* Answers status with v (taken) printed compactly. A NULL v (a failed json_pack or
 * json_object) or one that cannot be printed answers 500 {"error_code":50001,...}. */
int sl_reply_json(struct sl_httpd_response *resp, int status, json_t *v);

/* Answers a registry error (err->registry_code set: its HTTP status, code and message), or
 * 500 {"error_code":50001,...} for any other error. */
int sl_reply_error(struct sl_httpd_response *resp, const struct sl_error *err);

/* 404 and 405 in the registry's error shape. */
int sl_reply_not_found(struct sl_httpd_response *resp);
int sl_reply_not_allowed(struct sl_httpd_response *resp);

/* Parses the request body as a JSON object (owned by the caller). When it is not JSON or not an
 * object, answers 400 itself and returns NULL. */
json_t *sl_body_object(const struct sl_httpd_request *req, struct sl_httpd_response *resp);

#endif
