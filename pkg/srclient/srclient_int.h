/*
 * srclient_int.h — what the srclient files share and nobody else sees.
 */
#ifndef SCHEMALINK_SRCLIENT_INT_H
#define SCHEMALINK_SRCLIENT_INT_H

#include <jansson.h>

#include "schemalink/srclient.h"

/* Sends body (taken; may be NULL) as JSON and, when out is non-NULL, parses a 2xx answer into
 * *out (owned; an empty body is SL_EPROTO). Errors are mapped as srclient.h describes, with
 * messages "<METHOD> <path>: ...". */
int sl_srclient_call_json(struct sl_srclient *c, const char *method, const char *path, json_t *body,
        bool idempotent, json_t **out, struct sl_error *err);

/* Sets err to SL_EPROTO "<METHOD> <path>: unexpected response: <what>". */
int sl_srclient_bad_shape(
        struct sl_error *err, const char *method, const char *path, const char *what);

#endif
