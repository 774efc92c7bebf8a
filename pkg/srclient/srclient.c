/* srclient.c — the client core: configuration, requests, retries, error mapping, redaction. */
#include "schemalink/srclient.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "schemalink/clock.h"
#include "schemalink/log.h"
#include "schemalink/ratelimit.h"
#include "srclient_int.h"

#ifndef SL_VERSION
#define SL_VERSION "dev"
#endif

/* Sleeps between attempts: base * 2^n for the n-th retry (250, 500, 1000 ms with 4 attempts). */
#define BACKOFF_BASE_MS 250
/* Refused connections: 100 ms, then 200 ms. */
#define CONN_BACKOFF_MS 100
/* The longest registry message kept in an error (the rest of msg holds method, path, codes). */
#define REGISTRY_MSG_MAX 300

struct sl_srclient {
	struct sl_transport *t;
	char *base_url; /* no user-info, no trailing '/' */
	enum sl_srclient_auth auth;
	struct sl_secret_ref username, password, token;
	struct sl_vec headers; /* owned "Name: value": Accept, User-Agent, extras */
	int max_attempts;
	size_t max_body;
	void (*sleep_ms)(void *arg, long ms);
	void *sleep_arg;
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	struct sl_ratelimit *limit; /* borrowed; NULL = none */
	struct sl_strmap ahead; /* path -> struct kept *: answers read ahead, each used once */
	bool warn_pending;
	char warning[256];
};

/* ---- URL handling ----------------------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Returns an owned percent-decoded copy of s[0..len). */
static char *pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
		        hexval((unsigned char)s[i + 2]) >= 0) {
			*o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			              hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static bool host_is_loopback(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return true;
	if (len >= 4 && strncmp(host, "127.", 4) == 0)
		return true;
	return len == 5 && strncmp(host, "[::1]", 5) == 0;
}

int sl_srclient_path_escape(struct sl_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			if (sl_buf_addch(out, (char)ch) < 0)
				return SL_ENOMEM;
		} else if (sl_buf_addf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]) < 0) {
			return SL_ENOMEM;
		}
	}
	return 0;
}

/* Splits cfg->base_url into the stored URL (user-info removed) and, when present, the
 * user-info as basic credentials (used only when no other auth is configured). */
static int parse_base_url(struct sl_srclient *c, const char *url, struct sl_error *err)
{
	const char *auth, *end, *at = NULL, *host, *p;
	struct sl_buf b = SL_BUF_INIT;
	size_t hlen, ulen;
	bool tls;
	int rc = 0;

	if (url == NULL)
		return sl_error_set(err, SL_EINVAL, "registry url is not set");
	if (strncasecmp(url, "https://", 8) == 0)
		tls = true;
	else if (strncasecmp(url, "http://", 7) == 0)
		tls = false;
	else
		return sl_error_set(
		        err, SL_EINVAL, "registry url must start with http:// or https://");
	auth = strstr(url, "://") + 3;
	for (end = auth; *end && *end != '/' && *end != '?' && *end != '#'; end++)
		if (*end == '@')
			at = end;
	if (strpbrk(end, "?#") != NULL)
		return sl_error_set(
		        err, SL_EINVAL, "registry url must not have a query or fragment");
	host = at ? at + 1 : auth;
	if (host == end)
		return sl_error_set(err, SL_EINVAL, "registry url has no host");
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		hlen = p ? (size_t)(p - host) + 1 : (size_t)(end - host);
	} else {
		p = memchr(host, ':', (size_t)(end - host));
		hlen = p ? (size_t)(p - host) : (size_t)(end - host);
	}
	if (sl_buf_add(&b, url, (size_t)(auth - url)) < 0 ||
	        sl_buf_add(&b, host, strlen(host)) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	while (b.len > 0 && b.data[b.len - 1] == '/')
		sl_buf_truncate(&b, b.len - 1);
	c->base_url = sl_buf_detach(&b);
	if (c->base_url == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (at != NULL && c->auth == SL_SRCLIENT_AUTH_NONE) {
		char *user = NULL, *pass = NULL;
		const char *colon = memchr(auth, ':', (size_t)(at - auth));

		ulen = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
		user = pct_decode(auth, ulen);
		pass = colon ? pct_decode(colon + 1, (size_t)(at - colon - 1)) : strdup("");
		if (user == NULL || pass == NULL ||
		        sl_secret_ref_set(&c->username, SL_SECRET_VALUE, user) < 0 ||
		        sl_secret_ref_set(&c->password, SL_SECRET_VALUE, pass) < 0)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		else
			c->auth = SL_SRCLIENT_AUTH_BASIC;
		sl_secret_free(user);
		sl_secret_free(pass);
	}
	if (!tls && !host_is_loopback(host, hlen)) {
		c->warn_pending = true;
		snprintf(c->warning, sizeof(c->warning),
		        "registry %s is reached over plain HTTP%s: use https:// outside loopback",
		        c->base_url, c->auth != SL_SRCLIENT_AUTH_NONE ? " with credentials" : "");
	}
out:
	sl_buf_release(&b);
	return rc;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void default_sleep(void *arg, long ms)
{
	struct sl_srclient *c = arg;

	/* Slices, so a cancelled daemon does not wait out a long Retry-After. */
	while (ms > 0) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = {0, step * 1000000L};

		if (c->cancelled && c->cancelled(c->cancel_arg))
			return;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static int add_header(struct sl_vec *v, const char *fmt, const char *a, const char *b)
{
	struct sl_buf h = SL_BUF_INIT;
	char *s;

	if (sl_buf_addf(&h, fmt, a, b) < 0)
		return SL_ENOMEM;
	s = sl_buf_detach(&h);
	if (s == NULL || sl_vec_push(v, s) < 0) {
		free(s);
		return SL_ENOMEM;
	}
	return 0;
}

struct sl_srclient *sl_srclient_new(
        const struct sl_srclient_config *cfg, struct sl_transport *transport, struct sl_error *err)
{
	struct sl_srclient *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL) {
		if (transport)
			transport->free(transport);
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	c->t = transport;
	sl_vec_init(&c->headers);
	sl_strmap_init(&c->ahead);
	c->auth = cfg->auth;
	c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : SL_SRCLIENT_MAX_ATTEMPTS;
	c->max_body = cfg->max_body ? cfg->max_body : SL_SRCLIENT_MAX_BODY;
	c->sleep_ms = cfg->sleep_ms ? cfg->sleep_ms : default_sleep;
	c->sleep_arg = cfg->sleep_ms ? cfg->sleep_arg : c;
	c->cancelled = cfg->cancelled;
	c->cancel_arg = cfg->cancel_arg;
	c->limit = cfg->limit;
	if (sl_secret_ref_copy(&c->username, &cfg->username) < 0 ||
	        sl_secret_ref_copy(&c->password, &cfg->password) < 0 ||
	        sl_secret_ref_copy(&c->token, &cfg->token) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (parse_base_url(c, cfg->base_url, err) < 0)
		goto fail;
	if (c->auth == SL_SRCLIENT_AUTH_BASIC && c->username.kind == SL_SECRET_NONE) {
		sl_error_set(err, SL_EINVAL, "basic auth needs a username");
		goto fail;
	}
	if (c->auth == SL_SRCLIENT_AUTH_BEARER && c->token.kind == SL_SECRET_NONE) {
		sl_error_set(err, SL_EINVAL, "bearer auth needs a token");
		goto fail;
	}
	if (add_header(&c->headers, "%s%s", "Accept: ", SL_SRCLIENT_CONTENT_TYPE) < 0 ||
	        add_header(&c->headers, "User-Agent: %s%s",
	                cfg->user_agent ? cfg->user_agent : "schemalink/",
	                cfg->user_agent ? "" : SL_VERSION) < 0) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < cfg->nheaders; i++) {
		const char *h = cfg->headers[i];

		if (strchr(h, ':') == NULL || strpbrk(h, "\r\n") != NULL) {
			sl_error_set(err, SL_EINVAL, "extra header %zu is not \"Name: value\"", i);
			goto fail;
		}
		if (strncasecmp(h, "Authorization:", 14) == 0) {
			sl_error_set(err, SL_EINVAL, "use auth, not an extra Authorization header");
			goto fail;
		}
		if (add_header(&c->headers, "%s%s", h, "") < 0) {
			sl_error_set(err, SL_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (c->t == NULL) {
		c->t = sl_transport_curl_new(cfg, err);
		if (c->t == NULL)
			goto fail;
	}
	return c;
fail:
	sl_srclient_free(c);
	return NULL;
}

void sl_srclient_free(struct sl_srclient *c)
{
	if (c == NULL)
		return;
	if (c->t)
		c->t->free(c->t);
	free(c->base_url);
	sl_secret_ref_release(&c->username);
	sl_secret_ref_release(&c->password);
	sl_secret_ref_release(&c->token);
	sl_vec_release(&c->headers, free);
	sl_srclient_forget_ahead(c, NULL);
	free(c);
}

const char *sl_srclient_base_url(const struct sl_srclient *c)
{
	return c->base_url;
}

const char *sl_srclient_take_warning(struct sl_srclient *c)
{
	if (!c->warn_pending)
		return NULL;
	c->warn_pending = false;
	return c->warning;
}

/* ---- auth ------------------------------------------------------------------------------ */

static int base64(struct sl_buf *out, const unsigned char *p, size_t n)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if (sl_buf_add(out, q, 4) < 0)
			return SL_ENOMEM;
	}
	return 0;
}

/* Wipes and frees a buffer that held a secret. */
static void buf_wipe(struct sl_buf *b)
{
	if (b->cap)
		explicit_bzero(b->data, b->cap);
	sl_buf_release(b);
}

/* Resolves the credentials now and returns an owned "Authorization: ..." line in *line (NULL
 * when there is no auth). secrets[] receives the resolved secrets (owned, for scrubbing
 * messages); the caller frees them with sl_secret_free. */
static int auth_header(struct sl_srclient *c, char **line, char *secrets[2], struct sl_error *err)
{
	struct sl_buf b = SL_BUF_INIT, pair = SL_BUF_INIT;
	char *user = NULL;
	int rc = 0;

	*line = NULL;
	if (c->auth == SL_SRCLIENT_AUTH_NONE)
		return 0;
	if (c->auth == SL_SRCLIENT_AUTH_BEARER) {
		rc = sl_secret_resolve(&c->token, &secrets[0], err);
		if (rc < 0) {
			sl_error_prefix(err, "bearer token");
			goto out;
		}
		if (sl_buf_adds(&b, "Authorization: Bearer ") < 0 ||
		        sl_buf_adds(&b, secrets[0]) < 0)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	rc = sl_secret_resolve(&c->username, &user, err);
	if (rc < 0) {
		sl_error_prefix(err, "basic auth username");
		goto out;
	}
	if (c->password.kind != SL_SECRET_NONE) {
		rc = sl_secret_resolve(&c->password, &secrets[0], err);
		if (rc < 0) {
			sl_error_prefix(err, "basic auth password");
			goto out;
		}
	}
	if (sl_buf_adds(&pair, user) < 0 || sl_buf_addch(&pair, ':') < 0 ||
	        sl_buf_adds(&pair, secrets[0] ? secrets[0] : "") < 0 ||
	        sl_buf_adds(&b, "Authorization: Basic ") < 0 ||
	        base64(&b, (const unsigned char *)pair.data, pair.len) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* The encoded form is a secret too: a server could echo it back. */
	secrets[1] = strdup(b.data + strlen("Authorization: Basic "));
out:
	sl_secret_free(user);
	buf_wipe(&pair);
	if (rc == 0) {
		*line = sl_buf_detach(&b);
		if (*line == NULL)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	buf_wipe(&b);
	return rc;
}

/* ---- error mapping --------------------------------------------------------------------- */

/* Replaces every occurrence of secret in b with "[redacted]". */
static void scrub(struct sl_buf *b, const char *secret)
{
	struct sl_buf o = SL_BUF_INIT;
	size_t sl;
	const char *p, *hit;

	if (secret == NULL || (sl = strlen(secret)) < 3 || strstr(b->data, secret) == NULL)
		return;
	for (p = b->data; (hit = strstr(p, secret)) != NULL; p = hit + sl) {
		if (sl_buf_add(&o, p, (size_t)(hit - p)) < 0 || sl_buf_adds(&o, "[redacted]") < 0)
			goto fail;
	}
	if (sl_buf_adds(&o, p) < 0)
		goto fail;
	sl_buf_reset(b);
	if (sl_buf_add(b, o.data, o.len) == 0) {
		sl_buf_release(&o);
		return;
	}
fail:
	/* No memory to rewrite it: drop the message rather than keep the secret. */
	sl_buf_reset(b);
	sl_buf_adds(b, "[message withheld: out of memory while redacting]");
	sl_buf_release(&o);
}

/* Sets err's message to "<method> <path>: <detail>" passed through sl_redact and scrubbed of
 * the resolved secrets, keeping err's codes. */
static void finish_msg(struct sl_error *err, const char *method, const char *path,
        const char *detail, char *const secrets[2])
{
	struct sl_buf raw = SL_BUF_INIT, clean = SL_BUF_INIT;

	if (err == NULL)
		return;
	if (sl_buf_addf(&raw, "%s %s: %s", method, path, detail) < 0 ||
	        sl_redact(raw.data, &clean) < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", method);
		goto out;
	}
	scrub(&clean, secrets[0]);
	scrub(&clean, secrets[1]);
	snprintf(err->msg, sizeof(err->msg), "%s", clean.data);
out:
	sl_buf_release(&raw);
	sl_buf_release(&clean);
}

/* Appends s to b with control characters as spaces, cut at max bytes. */
static int add_clean(struct sl_buf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		if (sl_buf_addch(b, iscntrl((unsigned char)s[i]) ? ' ' : s[i]) < 0)
			return SL_ENOMEM;
	if (s[i] && sl_buf_adds(b, "...") < 0)
		return SL_ENOMEM;
	return 0;
}

/* Maps a response with status outside 2xx into err (codes and a detail in *detail). */
static int map_status(const struct sl_http_response *r, struct sl_error *err, struct sl_buf *detail)
{
	json_error_t jerr;
	json_t *j = NULL, *code, *msg;
	int rc;

	if (err)
		err->http_status = r->status;
	if (r->status < 400) {
		rc = SL_EPROTO;
		sl_buf_addf(detail, "unexpected HTTP %d%s", r->status,
		        r->status >= 300 ? " (redirects are not followed)" : "");
		goto out;
	}
	rc = SL_EHTTP;
	sl_buf_addf(detail, "HTTP %d", r->status);
	if (r->body.len == 0)
		goto out;
	j = json_loadb(r->body.data, r->body.len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		/* A proxy's HTML page: say what it was, never paste it. */
		rc = SL_EPROTO;
		sl_buf_addf(detail, " with a non-JSON body (%s, %zu bytes)",
		        r->content_type[0] ? r->content_type : "no content type", r->body.len);
		goto out;
	}
	code = json_object_get(j, "error_code");
	msg = json_object_get(j, "message");
	if (json_is_integer(code) && err) {
		json_int_t v = json_integer_value(code);

		err->registry_code = v > 0 && v < 1000000 ? (int)v : 0;
	}
	if (json_is_integer(code))
		sl_buf_addf(detail, ", error code %lld", (long long)json_integer_value(code));
	if (json_is_string(msg)) {
		sl_buf_adds(detail, ": ");
		add_clean(detail, json_string_value(msg), REGISTRY_MSG_MAX);
	}
out:
	json_decref(j);
	if (err)
		err->code = rc;
	return rc;
}

static bool retryable_status(int status, int registry_code)
{
	if (status == 408 || status == 429 || status >= 500)
		return true;
	return registry_code >= 50001 && registry_code <= 50004;
}

bool sl_srclient_err_route_missing(const struct sl_error *err)
{
	return err != NULL && err->http_status == 404 &&
	       (err->registry_code == 404 || err->registry_code == 0);
}

bool sl_srclient_err_is(const struct sl_error *err, int registry_code)
{
	return err != NULL && err->code == SL_EHTTP && err->registry_code == registry_code;
}

/* ---- requests -------------------------------------------------------------------------- */

/* A response's Retry-After in ms, capped at SL_SRCLIENT_RETRY_AFTER_CAP_MS. */
static long retry_after_ms(const struct sl_http_response *r)
{
	return r->retry_after_s > SL_SRCLIENT_RETRY_AFTER_CAP_MS / 1000
	               ? SL_SRCLIENT_RETRY_AFTER_CAP_MS
	               : r->retry_after_s * 1000;
}

/* Pauses the registry's budget after a 429 (Retry-After, else SL_SRCLIENT_429_PAUSE_MS) or
 * a 503 with Retry-After; a 503 without one is an outage, not a budget, and is left to the
 * retry backoff. Retry-After is honoured only on these two (RFC 9110 10.2.3). Returns true
 * when it paused. */
static bool pause_registry(struct sl_ratelimit *l, const struct sl_http_response *r)
{
	long ms;

	if (r->status == 429)
		ms = r->retry_after_s >= 0 ? retry_after_ms(r) : SL_SRCLIENT_429_PAUSE_MS;
	else if (r->status == 503 && r->retry_after_s >= 0)
		ms = retry_after_ms(r);
	else
		return false;
	sl_ratelimit_pause(l, ms);
	return true;
}

/* ---- reading ahead (srclient.h; docs/internals/operations.md "Reading ahead") ---------- */

/* A definitive answer read ahead. */
struct kept {
	int64_t at_ms; /* monotonic, when it came */
	int status;
	struct sl_buf body;
	long retry_after_s;
	char content_type[96];
};

static void kept_free(void *p)
{
	struct kept *k = p;

	if (k == NULL)
		return;
	sl_buf_release(&k->body);
	free(k);
}

/* The length of path's resource: its first two segments, without the query. */
static size_t resource_len(const char *path)
{
	size_t i;
	int segs = 0;

	for (i = 0; path[i] && path[i] != '?'; i++)
		if (path[i] == '/' && ++segs > 2)
			break;
	return i;
}

bool sl_srclient_can_read_ahead(const struct sl_srclient *c)
{
	return c->t->perform_many != NULL;
}

size_t sl_srclient_ahead_count(const struct sl_srclient *c)
{
	return c->ahead.len;
}

void sl_srclient_forget_ahead(struct sl_srclient *c, const char *path)
{
	struct sl_vec gone = SL_VEC_INIT;
	size_t pos = 0, n, i;
	const char *k;
	void *v;

	if (path == NULL || c->ahead.len == 0) {
		sl_strmap_release(&c->ahead, kept_free);
		return;
	}
	n = resource_len(path);
	while (sl_strmap_next(&c->ahead, &pos, &k, &v))
		if (resource_len(k) == n && strncmp(k, path, n) == 0) {
			char *copy = strdup(k);

			if (copy == NULL || sl_vec_push(&gone, copy) < 0) {
				/* Cannot list them: drop every answer rather than keep a stale one. */
				free(copy);
				sl_vec_release(&gone, free);
				sl_strmap_release(&c->ahead, kept_free);
				return;
			}
		}
	for (i = 0; i < gone.len; i++)
		kept_free(sl_strmap_del(&c->ahead, gone.items[i], NULL));
	sl_vec_release(&gone, free);
}

/* Before each request read ahead: cancellation, then a read token. */
static int ahead_start(void *arg, struct sl_error *serr)
{
	struct sl_srclient *c = arg;

	if (c->cancelled && c->cancelled(c->cancel_arg))
		return sl_error_set(serr, SL_ESTATE, "cancelled");
	/* Only a token free now: waiting here would stall the transfers already running (and
	 * the engine's lock with them); what the budget does not allow now is read when
	 * needed, waiting as every read does. */
	if (c->limit != NULL && sl_ratelimit_try(c->limit, SL_RATELIMIT_READ) != 0)
		return sl_error_set(serr, SL_ELIMIT, "not read ahead: no read token free now");
	return 0;
}

int sl_srclient_read_ahead(struct sl_srclient *c, const char *const *paths, size_t n, int parallel,
        struct sl_error *err)
{
	struct sl_http_request *reqs = NULL;
	struct sl_http_response *resps = NULL;
	struct sl_error *errs = NULL;
	char **urls = NULL, *secrets[2] = {NULL, NULL}, *auth = NULL;
	const char **hdrs = NULL;
	int *rcs = NULL, rc = 0, kept = 0;
	size_t i, nh = 0, m = 0;

	if (n == 0 || c->t->perform_many == NULL)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	resps = calloc(n, sizeof(*resps));
	errs = calloc(n, sizeof(*errs));
	rcs = calloc(n, sizeof(*rcs));
	urls = calloc(n, sizeof(*urls));
	hdrs = calloc(c->headers.len + 1, sizeof(*hdrs));
	if (!reqs || !resps || !errs || !rcs || !urls || !hdrs) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = auth_header(c, &auth, secrets, err)) < 0)
		goto out;
	for (i = 0; i < c->headers.len; i++)
		hdrs[nh++] = c->headers.items[i];
	if (auth)
		hdrs[nh++] = auth;
	for (i = 0; i < n; i++) {
		struct sl_buf u = SL_BUF_INIT;

		/* An answer kept and not used yet stands: asking again would spend a request
		 * (the daemon's workers can reach a window before the last one is used). */
		if (sl_strmap_get(&c->ahead, paths[i], NULL) != NULL)
			continue;
		if (sl_buf_adds(&u, c->base_url) < 0 || sl_buf_adds(&u, paths[i]) < 0 ||
		        (urls[m] = sl_buf_detach(&u)) == NULL) {
			sl_buf_release(&u);
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		reqs[m].method = "GET";
		reqs[m].url = urls[m];
		reqs[m].path = paths[i];
		reqs[m].headers = hdrs;
		reqs[m].nheaders = nh;
		reqs[m].max_body = c->max_body;
		sl_buf_init(&resps[m].body);
		resps[m].retry_after_s = -1;
		m++;
	}
	if (m > 0 && (rc = c->t->perform_many(
	                      c->t, reqs, m, parallel, ahead_start, c, resps, rcs, errs)) < 0) {
		sl_error_set(err, rc, "out of memory");
		goto out;
	}
	for (i = 0; i < m; i++) {
		struct kept *k;
		void *old = NULL;
		int st = resps[i].status;

		if (rcs[i] < 0)
			continue; /* not kept: asked again when needed */
		if (c->limit != NULL)
			(void)pause_registry(c->limit, &resps[i]);
		if (!((st >= 200 && st < 300) || st == 404))
			continue;
		if ((k = calloc(1, sizeof(*k))) == NULL)
			continue; /* only a saving: that request asks again */
		k->status = st;
		k->at_ms = sl_clock_mono_ms(sl_clock_system());
		k->body = resps[i].body;
		sl_buf_init(&resps[i].body);
		k->retry_after_s = resps[i].retry_after_s;
		memcpy(k->content_type, resps[i].content_type, sizeof(k->content_type));
		if (sl_strmap_set(&c->ahead, reqs[i].path, k, &old) < 0) {
			kept_free(k);
			continue;
		}
		kept_free(old);
		kept++;
	}
	if (c->cancelled && c->cancelled(c->cancel_arg))
		rc = sl_error_set(err, SL_ESTATE, "cancelled");
	if (rc == 0)
		rc = kept;
out:
	sl_secret_free(auth);
	for (i = 0; i < 2; i++)
		sl_secret_free(secrets[i]);
	for (i = 0; resps && i < n; i++)
		sl_buf_release(&resps[i].body);
	for (i = 0; urls && i < n; i++)
		free(urls[i]);
	free(reqs);
	free(resps);
	free(errs);
	free(rcs);
	free(urls);
	free(hdrs);
	return rc;
}

int sl_srclient_request(struct sl_srclient *c, const char *method, const char *path,
        const char *body_json, bool idempotent, struct sl_buf *out, struct sl_error *err)
{
	struct sl_http_response resp = {0, SL_BUF_INIT, -1, ""};
	struct sl_buf url = SL_BUF_INIT, detail = SL_BUF_INIT;
	const char **hdrs = NULL;
	char *secrets[2] = {NULL, NULL}, *auth = NULL;
	struct sl_http_request req;
	struct sl_error local = SL_ERROR_INIT;
	int rc = 0, attempt, conn_retries = 0;
	size_t nh = 0, i;
	bool has_body_method, paused = false;
	enum sl_ratelimit_kind kind = sl_ratelimit_kind_of(method);
	struct kept *ahead = NULL;

	if (err == NULL)
		err = &local;
	sl_error_clear(err);
	/* An answer read ahead stands for the first attempt; a write makes those of its
	 * resource stale. */
	if (c->ahead.len > 0 && strcmp(method, "GET") == 0)
		ahead = sl_strmap_del(&c->ahead, path, NULL);
	else if (c->ahead.len > 0)
		sl_srclient_forget_ahead(c, path);
	/* Older than a window takes to use: asked again (a daemon's event can start a window
	 * the pass reaches much later). */
	if (ahead != NULL &&
	        sl_clock_mono_ms(sl_clock_system()) - ahead->at_ms > SL_SRCLIENT_AHEAD_MAX_AGE_MS) {
		kept_free(ahead);
		ahead = NULL;
	}
	if (!idempotent)
		idempotent = strcmp(method, "POST") != 0;
	if (sl_buf_adds(&url, c->base_url) < 0 || sl_buf_adds(&url, path) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	has_body_method =
	        body_json != NULL || strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
	hdrs = calloc(c->headers.len + 2, sizeof(*hdrs));
	if (hdrs == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c->headers.len; i++)
		hdrs[nh++] = c->headers.items[i];
	if (has_body_method)
		hdrs[nh++] = "Content-Type: " SL_SRCLIENT_CONTENT_TYPE;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url.data;
	req.path = path;
	req.headers = hdrs;
	req.body = body_json ? body_json : (has_body_method ? "" : NULL);
	req.body_len = body_json ? strlen(body_json) : 0;
	req.max_body = c->max_body;

	for (attempt = 1;; attempt++) {
		long wait_ms;

		if (c->cancelled && c->cancelled(c->cancel_arg)) {
			sl_error_clear(err);
			rc = sl_error_set(err, SL_ESTATE, "cancelled");
			finish_msg(err, method, path, err->msg, secrets);
			goto out;
		}
		if (ahead != NULL) {
			/* Read ahead: it spent its token and was definitive (no retry). An error
			 * body is scrubbed of the credentials as a live one is: read them now. */
			if (ahead->status < 200 || ahead->status >= 300) {
				struct sl_error ae = SL_ERROR_INIT;

				if (auth_header(c, &auth, secrets, &ae) == 0) {
					sl_secret_free(auth);
					auth = NULL;
				}
			}
			sl_error_clear(err);
			sl_buf_release(&resp.body);
			resp.body = ahead->body;
			sl_buf_init(&ahead->body);
			resp.status = ahead->status;
			resp.retry_after_s = ahead->retry_after_s;
			memcpy(resp.content_type, ahead->content_type, sizeof(resp.content_type));
			kept_free(ahead);
			ahead = NULL;
			rc = 0;
			goto answered;
		}
		/* Each attempt spends from the registry's budget, retries too. */
		if (c->limit != NULL &&
		        sl_ratelimit_take(c->limit, kind, c->cancelled, c->cancel_arg) < 0) {
			sl_error_clear(err);
			rc = sl_error_set(err, SL_ESTATE, "cancelled");
			finish_msg(err, method, path, err->msg, secrets);
			goto out;
		}
		/* Secrets are read for each attempt and wiped right after it. */
		rc = auth_header(c, &auth, secrets, err);
		if (rc < 0) {
			struct sl_buf m = SL_BUF_INIT;

			sl_buf_adds(&m, err->msg);
			finish_msg(err, method, path, m.data, secrets);
			sl_buf_release(&m);
			goto out;
		}
		req.nheaders = nh;
		if (auth)
			hdrs[req.nheaders++] = auth;
		sl_error_clear(err);
		sl_buf_reset(&resp.body);
		resp.status = 0;
		resp.retry_after_s = -1;
		resp.content_type[0] = '\0';
		rc = c->t->perform(c->t, &req, &resp, err);
		sl_secret_free(auth);
		auth = NULL;
	answered:
		sl_buf_reset(&detail);
		if (rc < 0) {
			err->http_status = resp.status;
			sl_buf_adds(&detail, err->msg);
		} else if (resp.status >= 200 && resp.status < 300) {
			/* Kept on success too: a caller that then rejects the body's shape
			 * reports an error that still names the status (srclient.h). */
			err->http_status = resp.status;
			rc = resp.status;
			break;
		} else {
			rc = map_status(&resp, err, &detail);
		}
		/* "Come back later" is said to the whole registry (srclient.h). */
		paused = c->limit != NULL && pause_registry(c->limit, &resp);
		/* Decide whether to try again. */
		wait_ms = -1;
		if (idempotent && attempt < c->max_attempts) {
			if (rc == SL_ECONN && conn_retries < SL_SRCLIENT_CONN_RETRIES)
				wait_ms = (long)CONN_BACKOFF_MS << conn_retries++;
			else if (rc == SL_ETIMEOUT ||
			         (resp.status > 0 &&
			                 retryable_status(resp.status, err->registry_code)))
				wait_ms = (long)BACKOFF_BASE_MS << (attempt - 1);
			/* Retry-After means "come back then" only on 429 and 503 (RFC 9110
			 * 10.2.3); on another 5xx it is noise, and honouring it would let a
			 * failing proxy stretch every retry to the 10 s cap. */
			if (wait_ms >= 0 && paused)
				wait_ms = 0; /* the next take waits out the pause */
			else if (wait_ms >= 0 && (resp.status == 429 || resp.status == 503) &&
			         resp.retry_after_s >= 0)
				wait_ms = retry_after_ms(&resp);
		}
		if (wait_ms < 0) {
			if (attempt > 1)
				sl_buf_addf(&detail, " (after %d attempts)", attempt);
			finish_msg(err, method, path, detail.data, secrets);
			goto out;
		}
		for (i = 0; i < 2; i++) {
			sl_secret_free(secrets[i]);
			secrets[i] = NULL;
		}
		if (!paused)
			c->sleep_ms(c->sleep_arg, wait_ms);
	}
out:
	if (out != NULL) {
		sl_buf_reset(out);
		if (sl_buf_add(out, resp.body.data, resp.body.len) < 0 && rc >= 0)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	kept_free(ahead);
	sl_secret_free(auth);
	for (i = 0; i < 2; i++)
		sl_secret_free(secrets[i]);
	free(hdrs);
	sl_buf_release(&url);
	sl_buf_release(&detail);
	sl_buf_release(&resp.body);
	return rc;
}

int sl_srclient_bad_shape(
        struct sl_error *err, const char *method, const char *path, const char *what)
{
	return sl_error_set(err, SL_EPROTO, "%s %s: unexpected response: %s", method, path, what);
}

int sl_srclient_call_json(struct sl_srclient *c, const char *method, const char *path, json_t *body,
        bool idempotent, json_t **out, struct sl_error *err)
{
	struct sl_buf resp = SL_BUF_INIT;
	char *text = NULL;
	json_error_t jerr;
	int rc, status;

	if (out)
		*out = NULL;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (text == NULL)
			return sl_error_set(err, SL_ENOMEM, "%s %s: out of memory", method, path);
	}
	rc = sl_srclient_request(c, method, path, text, idempotent, &resp, err);
	status = rc;
	if (rc < 0 || out == NULL)
		goto out;
	if (resp.len == 0) {
		rc = sl_srclient_bad_shape(err, method, path, "empty body");
		if (err)
			err->http_status = status;
		goto out;
	}
	errno = 0;
	*out = json_loadb(resp.data, resp.len, 0, &jerr);
	if (*out == NULL &&
	        (json_error_code(&jerr) == json_error_out_of_memory || errno == ENOMEM)) {
		/* Not the registry's fault: a caller must not take the answer for a bad one. */
		rc = sl_error_set(err, SL_ENOMEM, "%s %s: out of memory", method, path);
		goto out;
	}
	if (*out == NULL) {
		rc = sl_error_set(err, SL_EPROTO,
		        "%s %s: malformed JSON in HTTP %d response (%zu bytes): %s at line %d",
		        method, path, status, resp.len, jerr.text, jerr.line);
		if (err)
			err->http_status = status;
		goto out;
	}
	rc = 0;
out:
	free(text);
	sl_buf_release(&resp);
	return rc;
}
