/* target.c — splitting and percent-decoding a request target (path segments, query). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "schemalink/error.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) into a new string. plus_is_space is for query components only.
 * "%00" is refused: every decoded value is handed on as a C string, and a hidden NUL would
 * let two different requests look the same to a handler. */
static int decode(const char *s, size_t len, int plus_is_space, char **out)
{
	char *d = NULL;
	size_t i, n = 0;
	int hi, lo, rc = SL_EINVAL;

	*out = NULL;
	d = malloc(len + 1);
	if (d == NULL) {
		rc = SL_ENOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3)
				goto out;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto out;
			d[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			d[n++] = ' ';
		} else {
			d[n++] = s[i];
		}
	}
	d[n] = '\0';
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(d);
	return rc;
}

void sl_httpd_target_release(struct sl_httpd_target *t)
{
	size_t i;

	free(t->path);
	for (i = 0; i < t->nsegments; i++)
		free(t->segments[i]);
	free(t->segments);
	for (i = 0; i < t->nquery; i++) {
		free(t->query[i].name);
		free(t->query[i].value);
	}
	free(t->query);
	memset(t, 0, sizeof(*t));
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static int parse_path(const char *p, size_t len, struct sl_httpd_target *t)
{
	struct sl_buf path = SL_BUF_INIT;
	size_t start, end;
	int rc;

	/* The trailing slash is ignored (docs/internals/registry.md §0): "/subjects/" = "/subjects". */
	while (len > 1 && p[len - 1] == '/')
		len--;
	t->segments = calloc(count_char(p, len, '/') + 1, sizeof(*t->segments));
	if (t->segments == NULL) {
		rc = SL_ENOMEM;
		goto out;
	}
	/* Split first, decode each segment second, so "%2F" stays inside its segment. */
	start = 1;
	while (len > 1 && start <= len) {
		end = start;
		while (end < len && p[end] != '/')
			end++;
		rc = decode(p + start, end - start, 0, &t->segments[t->nsegments]);
		if (rc < 0)
			goto out;
		if (sl_buf_addch(&path, '/') < 0 ||
		        sl_buf_adds(&path, t->segments[t->nsegments]) < 0) {
			t->nsegments++;
			rc = SL_ENOMEM;
			goto out;
		}
		t->nsegments++;
		start = end + 1;
	}
	if (path.len == 0 && sl_buf_addch(&path, '/') < 0) {
		rc = SL_ENOMEM;
		goto out;
	}
	t->path = sl_buf_detach(&path);
	rc = t->path ? 0 : SL_ENOMEM;
out:
	sl_buf_release(&path);
	return rc;
}

static int parse_query(const char *q, size_t len, struct sl_httpd_target *t)
{
	size_t start = 0, end, eq;
	struct sl_httpd_qparam *qp;
	int rc = 0;

	t->query = calloc(count_char(q, len, '&') + 1, sizeof(*t->query));
	if (t->query == NULL)
		return SL_ENOMEM;
	while (start < len) {
		end = start;
		while (end < len && q[end] != '&')
			end++;
		if (end > start) {
			eq = start;
			while (eq < end && q[eq] != '=')
				eq++;
			qp = &t->query[t->nquery];
			rc = decode(q + start, eq - start, 1, &qp->name);
			if (rc < 0)
				return rc;
			t->nquery++; /* counted now so release frees the name on the next failure */
			rc = decode(q + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0, 1,
			        &qp->value);
			if (rc < 0)
				return rc;
		}
		start = end + 1;
	}
	return 0;
}

int sl_httpd_target_parse(const char *raw, struct sl_httpd_target *t)
{
	const char *qmark;
	size_t plen;
	int rc;

	memset(t, 0, sizeof(*t));
	/* Only origin-form: absolute-form ("http://h/p") and "*" have no use here. */
	if (raw == NULL || raw[0] != '/') {
		rc = SL_EINVAL;
		goto out;
	}
	qmark = strchr(raw, '?');
	plen = qmark ? (size_t)(qmark - raw) : strlen(raw);
	rc = parse_path(raw, plen, t);
	if (rc < 0)
		goto out;
	rc = parse_query(qmark ? qmark + 1 : "", qmark ? strlen(qmark + 1) : 0, t);
out:
	if (rc < 0)
		sl_httpd_target_release(t);
	return rc;
}

int sl_httpd_route(const struct sl_httpd_request *req, const char *method, const char *pattern,
        const char **caps, size_t ncaps)
{
	const char *p = pattern, *end;
	size_t seg = 0, ncap = 0, len;

	if (method != NULL && strcmp(method, req->method) != 0)
		return 0;
	if (*p == '/')
		p++;
	while (*p != '\0') {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (seg >= req->nsegments)
			return 0;
		if (len == 1 && *p == '*') {
			if (ncap < ncaps)
				caps[ncap] = req->segments[seg];
			ncap++;
		} else if (strlen(req->segments[seg]) != len ||
		           memcmp(req->segments[seg], p, len) != 0) {
			return 0;
		}
		seg++;
		p += len;
		if (*p == '/')
			p++;
	}
	return seg == req->nsegments;
}
