/* transport_fake.c — a scripted transport that records calls (docs/internals/style.md rule 10). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/log.h"
#include "schemalink/srclient.h"

struct reply {
	int status;
	char *body; /* NULL with body_len > 0: that many 'x' bytes, made on use */
	size_t body_len;
	long retry_after_s;
	char content_type[96];
	int error;
};

struct sl_fake_transport {
	struct sl_transport base;
	struct sl_vec replies; /* struct reply * */
	size_t next;
	struct sl_vec calls; /* struct sl_fake_call * */
};

static void reply_free(void *p)
{
	struct reply *r = p;

	if (r == NULL)
		return;
	free(r->body);
	free(r);
}

static void call_free(void *p)
{
	struct sl_fake_call *c = p;

	if (c == NULL)
		return;
	free(c->method);
	free(c->path);
	free(c->body);
	sl_vec_release(&c->headers, free);
	free(c);
}

/* Copies header h, replacing an Authorization value by "<scheme> [redacted]". */
static char *record_header(const char *h)
{
	struct sl_buf b = SL_BUF_INIT;
	const char *v, *sp;

	if (strncasecmp(h, "Authorization:", 14) != 0)
		return strdup(h);
	v = h + 14;
	while (*v == ' ')
		v++;
	sp = strchr(v, ' ');
	if (sl_buf_adds(&b, "Authorization: ") < 0 ||
	        sl_buf_add(&b, v, sp ? (size_t)(sp - v) : 0) < 0 ||
	        sl_buf_adds(&b, sp ? " [redacted]" : "[redacted]") < 0) {
		sl_buf_release(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

static int record(struct sl_fake_transport *f, const struct sl_http_request *req)
{
	struct sl_fake_call *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL)
		return SL_ENOMEM;
	sl_vec_init(&c->headers);
	c->method = strdup(req->method);
	c->path = strdup(req->path);
	if (req->body != NULL) {
		/* Bodies can carry the destination's credentials (exporter config): recorded
		 * calls hold them redacted, so a test transcript never contains a secret. */
		struct sl_buf raw = SL_BUF_INIT, clean = SL_BUF_INIT;

		if (sl_buf_add(&raw, req->body, req->body_len) == 0 &&
		        sl_redact(raw.data, &clean) == 0)
			c->body = sl_buf_detach(&clean);
		sl_buf_release(&raw);
		sl_buf_release(&clean);
	}
	if (c->method == NULL || c->path == NULL || (req->body && c->body == NULL))
		goto fail;
	for (i = 0; i < req->nheaders; i++) {
		char *h = record_header(req->headers[i]);

		if (h == NULL || sl_vec_push(&c->headers, h) < 0) {
			free(h);
			goto fail;
		}
	}
	if (sl_vec_push(&f->calls, c) < 0)
		goto fail;
	return 0;
fail:
	call_free(c);
	return SL_ENOMEM;
}

static int fake_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct sl_fake_transport *f = (struct sl_fake_transport *)t;
	struct reply *r;

	if (record(f, req) < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	if (f->next >= f->replies.len)
		return sl_error_set(err, SL_EIO, "fake transport: no scripted reply");
	r = f->replies.items[f->next++];
	if (r->error < 0)
		return sl_error_set(err, r->error, "fake transport: %s", sl_code_name(r->error));
	/* Mirrors the curl write callback: the cap is checked before anything is kept. */
	if (r->body_len > req->max_body)
		return sl_error_set(
		        err, SL_ELIMIT, "response body larger than %zu bytes", req->max_body);
	resp->status = r->status;
	resp->retry_after_s = r->retry_after_s;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", r->content_type);
	if (r->body != NULL) {
		if (sl_buf_add(&resp->body, r->body, r->body_len) < 0)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
	} else if (r->body_len > 0) {
		if (sl_buf_grow(&resp->body, r->body_len) < 0)
			return sl_error_set(err, SL_ENOMEM, "out of memory");
		memset(resp->body.data + resp->body.len, 'x', r->body_len);
		resp->body.len += r->body_len;
		resp->body.data[resp->body.len] = '\0';
	}
	return 0;
}

static void fake_free(struct sl_transport *t)
{
	struct sl_fake_transport *f = (struct sl_fake_transport *)t;

	if (f == NULL)
		return;
	sl_vec_release(&f->replies, reply_free);
	sl_vec_release(&f->calls, call_free);
	free(f);
}

struct sl_fake_transport *sl_fake_transport_new(void)
{
	struct sl_fake_transport *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->base.perform = fake_perform;
	f->base.free = fake_free;
	sl_vec_init(&f->replies);
	sl_vec_init(&f->calls);
	return f;
}

struct sl_transport *sl_fake_transport_base(struct sl_fake_transport *f)
{
	return &f->base;
}

int sl_fake_transport_push(struct sl_fake_transport *f, const struct sl_fake_reply *in)
{
	struct reply *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return SL_ENOMEM;
	r->status = in->status;
	r->error = in->error;
	r->retry_after_s = in->retry_after_s;
	r->body_len = in->body_len ? in->body_len : (in->body ? strlen(in->body) : 0);
	snprintf(r->content_type, sizeof(r->content_type), "%s",
	        in->content_type ? in->content_type : SL_SRCLIENT_CONTENT_TYPE);
	if (in->body != NULL) {
		r->body = malloc(r->body_len + 1);
		if (r->body == NULL) {
			free(r);
			return SL_ENOMEM;
		}
		memcpy(r->body, in->body, r->body_len);
		r->body[r->body_len] = '\0';
	}
	if (sl_vec_push(&f->replies, r) < 0) {
		reply_free(r);
		return SL_ENOMEM;
	}
	return 0;
}

int sl_fake_transport_reply(struct sl_fake_transport *f, int status, const char *body)
{
	struct sl_fake_reply r = {status, body, -1, NULL, 0, 0};

	return sl_fake_transport_push(f, &r);
}

int sl_fake_transport_fail(struct sl_fake_transport *f, int error)
{
	struct sl_fake_reply r = {0, NULL, -1, NULL, error, 0};

	return sl_fake_transport_push(f, &r);
}

size_t sl_fake_transport_ncalls(const struct sl_fake_transport *f)
{
	return f->calls.len;
}

const struct sl_fake_call *sl_fake_transport_call(const struct sl_fake_transport *f, size_t i)
{
	return sl_vec_get(&f->calls, i);
}

size_t sl_fake_transport_pending(const struct sl_fake_transport *f)
{
	return f->replies.len - f->next;
}

void sl_fake_transport_reset(struct sl_fake_transport *f)
{
	sl_vec_release(&f->replies, reply_free);
	sl_vec_release(&f->calls, call_free);
	f->next = 0;
}

const char *sl_fake_call_header(const struct sl_fake_call *c, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < c->headers.len; i++) {
		const char *h = c->headers.items[i];

		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			return h;
		}
	}
	return NULL;
}
