/* response.c — the response builder and the JSON error body. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/error.h"
#include "schemalink/json.h"

void sl_httpd_response_init(struct sl_httpd_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	sl_buf_init(&resp->body);
}

void sl_httpd_response_release(struct sl_httpd_response *resp)
{
	size_t i;

	free(resp->content_type);
	sl_buf_release(&resp->body);
	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	sl_httpd_response_init(resp);
}

/* Sets status and content type; the body is left to the caller. */
static int set_head(struct sl_httpd_response *resp, int status, const char *content_type)
{
	char *ct;

	if (status < 100 || status > 999)
		return SL_EINVAL;
	if (content_type == NULL)
		content_type = SL_HTTPD_CONTENT_TYPE;
	if (strpbrk(content_type, "\r\n") != NULL)
		return SL_EINVAL;
	ct = strdup(content_type);
	if (ct == NULL)
		return SL_ENOMEM;
	free(resp->content_type);
	resp->content_type = ct;
	resp->status = status;
	return 0;
}

int sl_httpd_reply(struct sl_httpd_response *resp, int status, const char *content_type,
        const void *body, size_t len)
{
	struct sl_buf b = SL_BUF_INIT;
	int rc;

	rc = sl_buf_add(&b, body, len);
	if (rc < 0)
		goto out;
	rc = sl_httpd_reply_buf(resp, status, content_type, &b);
out:
	sl_buf_release(&b);
	return rc;
}

int sl_httpd_reply_buf(
        struct sl_httpd_response *resp, int status, const char *content_type, struct sl_buf *body)
{
	int rc;

	rc = set_head(resp, status, content_type);
	if (rc < 0)
		return rc;
	sl_buf_release(&resp->body);
	resp->body = *body;
	sl_buf_init(body);
	return 0;
}

int sl_httpd_reply_json(struct sl_httpd_response *resp, int status, const char *json_text)
{
	return sl_httpd_reply(
	        resp, status, SL_HTTPD_CONTENT_TYPE, json_text, json_text ? strlen(json_text) : 0);
}

int sl_httpd_reply_error(
        struct sl_httpd_response *resp, int http_status, int error_code, const char *message)
{
	struct sl_buf b = SL_BUF_INIT;
	struct sl_jsonw w;
	int rc;

	sl_jsonw_init(&w, JSON_COMPACT, sl_jsonw_to_buf, &b);
	sl_jsonw_open(&w, NULL, '{');
	sl_jsonw_int(&w, "error_code", error_code);
	sl_jsonw_str(&w, "message", message);
	sl_jsonw_close(&w);
	rc = sl_jsonw_finish(&w);
	if (rc == 0)
		rc = sl_httpd_reply_buf(resp, http_status, SL_HTTPD_CONTENT_TYPE, &b);
	sl_buf_release(&b);
	return rc;
}

static int valid_header_text(const char *s, int is_name)
{
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			return 0;
		if (is_name && (*s == ':' || *s == ' ' || *s == '\t' || (unsigned char)*s < 0x21))
			return 0;
	}
	return 1;
}

int sl_httpd_response_header(struct sl_httpd_response *resp, const char *name, const char *value)
{
	struct sl_httpd_header *h = NULL;
	char *n = NULL, *v = NULL;
	int rc = SL_EINVAL;

	if (name == NULL || value == NULL || name[0] == '\0' || !valid_header_text(name, 1) ||
	        !valid_header_text(value, 0))
		goto out;
	rc = SL_ENOMEM;
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL)
		goto out;
	h = realloc(resp->headers, (resp->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		goto out;
	resp->headers = h;
	h[resp->nheaders].name = n;
	h[resp->nheaders].value = v;
	resp->nheaders++;
	n = v = NULL;
	rc = 0;
out:
	free(n);
	free(v);
	return rc;
}
