/* decode.c — one YAML document to one object, with every per-object rule of docs/internals/manifests.md §2.
 *
 * Each rule reports through derr() with the position of the key that holds the bad value
 * (the example in docs/internals/manifests.md §1 points at `type:`, not at its value), and decoding goes on
 * so one run lists every problem. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/duration.h"
#include "schemalink/ratelimit.h"
#include "schemalink/strmap.h"
#include "ytree.h"

#define PATH_MAX_LEN 512

struct dctx {
	struct sl_diags *d;
	const char *file;
	const char *base_dir;
	struct sl_object *obj; /* NULL until kind and name are known */
	size_t errors;
	int rc; /* SL_ENOMEM once an allocation failed */
};

static void report(struct dctx *c, enum sl_diag_severity sev, const struct ynode *at,
        const char *path, const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void report(struct dctx *c, enum sl_diag_severity sev, const struct ynode *at,
        const char *path, const char *fmt, va_list ap)
{
	if (sev == SL_DIAG_ERROR)
		c->errors++;
	if (sl_diags_vadd(c->d, sev, c->file, at ? at->line : 0, at ? at->col : 0, path, fmt, ap) <
	        0)
		c->rc = SL_ENOMEM;
}

static void derr(struct dctx *c, const struct ynode *at, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void derr(struct dctx *c, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, SL_DIAG_ERROR, at, path, fmt, ap);
	va_end(ap);
}

static void dwarn(struct dctx *c, const struct ynode *at, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void dwarn(struct dctx *c, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, SL_DIAG_WARNING, at, path, fmt, ap);
	va_end(ap);
}

/* Field paths are cut at PATH_MAX_LEN - 1 bytes (a hostile key cannot grow a message). */
static void append(char *out, size_t *o, const char *s)
{
	while (*s && *o + 1 < PATH_MAX_LEN)
		out[(*o)++] = *s++;
	out[*o] = '\0';
}

static void join(char *out, const char *prefix, const char *key)
{
	size_t o = 0;

	out[0] = '\0';
	if (prefix != NULL && *prefix != '\0') { /* prefix and out never overlap */
		append(out, &o, prefix);
		append(out, &o, ".");
	}
	append(out, &o, key);
}

static void join_index(char *out, const char *prefix, size_t i)
{
	char idx[32];
	size_t o = 0;

	snprintf(idx, sizeof(idx), "[%zu]", i);
	append(out, &o, prefix);
	append(out, &o, idx);
}

static void set_pos(struct dctx *c, const char *path, const struct ynode *at)
{
	if (c->obj != NULL && at != NULL && sl_object_set_pos(c->obj, path, at->line, at->col) < 0)
		c->rc = SL_ENOMEM;
}

static char *xstrdup(struct dctx *c, const char *s)
{
	char *r = strdup(s);

	if (r == NULL)
		c->rc = SL_ENOMEM;
	return r;
}

/* A value shown in a message: the quoted scalar, or the node's type. */
static void shown(const struct ynode *v, char *out, size_t len)
{
	if (v != NULL && v->type == YN_SCALAR)
		sl_quote(v->text, out, len);
	else
		snprintf(out, len, "%s", sl_ynode_type_name(v));
}

static bool is_null(const struct ynode *v)
{
	return v == NULL || (v->type == YN_SCALAR && v->stype == YS_NULL);
}

static bool tag_ok(struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path)
{
	if (v->tag == NULL || strcmp(v->tag, "!") == 0 ||
	        strcmp(v->tag, "tag:yaml.org,2002:str") == 0 ||
	        (v->type == YN_MAP && strcmp(v->tag, "tag:yaml.org,2002:map") == 0) ||
	        (v->type == YN_SEQ && strcmp(v->tag, "tag:yaml.org,2002:seq") == 0))
		return true;
	{
		char q[256];

		sl_quote(v->tag, q, sizeof(q));
		derr(c, at, path, "YAML tag %s is not supported", q);
	}
	return false;
}

/* Checks that v is a mapping whose keys are unique strings from allowed (NULL = any key).
 * Reports at `at` (the key holding the mapping). Returns false when v is not a mapping. */
static int key_cmp(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	int r = strcmp(x->text, y->text);

	if (r != 0)
		return r;
	return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x->col < y->col ? -1 : 1);
}

static bool check_map(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, const char *const *allowed)
{
	const struct ynode **keys = NULL;
	size_t i, n = 0, j;
	char p[PATH_MAX_LEN];

	if (v == NULL || v->type != YN_MAP) {
		derr(c, at, path, "must be a mapping (got %s)", sl_ynode_type_name(v));
		return false;
	}
	if (!tag_ok(c, at, v, path))
		return false;
	keys = calloc(v->n / 2 + 1, sizeof(*keys));
	if (keys == NULL) {
		c->rc = SL_ENOMEM;
		return false;
	}
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];

		if (k->type != YN_SCALAR) {
			derr(c, k, path, "mapping keys must be strings (got %s)",
			        sl_ynode_type_name(k));
			continue;
		}
		keys[n++] = k;
		if (allowed != NULL) {
			for (j = 0; allowed[j] && strcmp(allowed[j], k->text) != 0; j++)
				;
			if (allowed[j] == NULL) {
				struct sl_buf b = SL_BUF_INIT;
				char q[256];

				for (j = 0; allowed[j]; j++)
					sl_buf_addf(&b, "%s%s", j ? ", " : "", allowed[j]);
				sl_quote(k->text, q, sizeof(q));
				join(p, path, k->text);
				if (strcmp(k->text, "<<") == 0)
					derr(c, k, p, "YAML merge keys are not supported");
				else
					derr(c, k, p, "unknown field %s (known: %s)", q, b.data);
				sl_buf_release(&b);
			}
		}
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		if (keys[i]->len == keys[i - 1]->len &&
		        memcmp(keys[i]->text, keys[i - 1]->text, keys[i]->len) == 0) {
			char q[256];

			sl_quote(keys[i]->text, q, sizeof(q));
			join(p, path, keys[i]->text);
			derr(c, keys[i], p, "duplicate key %s (first at line %d, column %d)", q,
			        keys[i - 1]->line, keys[i - 1]->col);
		}
	}
	free(keys);
	return true;
}

/* The value of key in map, or NULL when absent or null. Sets *kn to the key node (NULL when
 * absent), writes the field's path into path and records its position. */
static const struct ynode *fld(struct dctx *c, const struct ynode *map, const char *prefix,
        const char *key, char *path, const struct ynode **kn)
{
	size_t i;

	join(path, prefix, key);
	*kn = NULL;
	if (map == NULL || map->type != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i];

		if (k->type == YN_SCALAR && strcmp(k->text, key) == 0) {
			*kn = k;
			set_pos(c, path, k);
			return is_null(map->kids[i + 1]) ? NULL : map->kids[i + 1];
		}
	}
	return NULL;
}

static bool want_str(
        struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path, char **out)
{
	if (v->type != YN_SCALAR || v->stype != YS_STRING) {
		if (v->type == YN_SCALAR)
			derr(c, at, path,
			        "must be a string (got %s %s; quote it to make it a string)",
			        sl_ynode_type_name(v), v->text);
		else
			derr(c, at, path, "must be a string (got %s)", sl_ynode_type_name(v));
		return false;
	}
	if (!tag_ok(c, at, v, path))
		return false;
	if (strlen(v->text) != v->len) {
		derr(c, at, path, "must not contain NUL characters");
		return false;
	}
	if (out != NULL) {
		free(*out);
		*out = xstrdup(c, v->text);
		if (*out == NULL)
			return false; /* c->rc says why */
	}
	return true;
}

static bool want_bool(
        struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path, bool *out)
{
	char q[256];

	if (v->type == YN_SCALAR && v->stype == YS_BOOL && v->tag == NULL) {
		if (strcasecmp(v->text, "true") == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v->text, "false") == 0) {
			*out = false;
			return true;
		}
	}
	shown(v, q, sizeof(q));
	derr(c, at, path, "must be true or false (got %s)", q);
	return false;
}

static bool want_int(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, long min, long max, int *out)
{
	char q[256];
	const char *p;
	long val = 0;

	if (v->type == YN_SCALAR && v->stype == YS_INT && v->tag == NULL) {
		for (p = v->text; *p >= '0' && *p <= '9' && val <= max; p++)
			val = val * 10 + (*p - '0');
		if (*p == '\0' && val >= min && val <= max) {
			*out = (int)val;
			return true;
		}
		if (*p == '\0' || (*p >= '0' && *p <= '9')) {
			derr(c, at, path, "must be between %ld and %ld (got %.40s)", min, max,
			        v->text);
			return false;
		}
	}
	shown(v, q, sizeof(q));
	derr(c, at, path, "must be an integer between %ld and %ld (got %s)", min, max, q);
	return false;
}

/* Reads an enum through parse (one of the sl_*_parse functions, which quote the input). */
static bool want_enum(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, int (*parse)(const char *, void *, struct sl_error *), void *out)
{
	struct sl_error e = SL_ERROR_INIT;

	if (!want_str(c, at, v, path, NULL))
		return false;
	if (parse(v->text, out, &e) < 0) {
		derr(c, at, path, "%s", e.msg);
		return false;
	}
	return true;
}

static int parse_mode(const char *s, void *out, struct sl_error *e)
{
	return sl_mode_parse(s, out, e);
}
static int parse_compat(const char *s, void *out, struct sl_error *e)
{
	return sl_compat_parse(s, out, e);
}
static int parse_ctype(const char *s, void *out, struct sl_error *e)
{
	char q[256];

	if (sl_context_type_parse(s, out, NULL) == 0)
		return 0;
	sl_quote(s, q, sizeof(q));
	return sl_error_set(e, SL_EINVAL, "must be one of AUTO, CUSTOM, NONE (got %s)", q);
}
static int parse_state(const char *s, void *out, struct sl_error *e)
{
	return sl_link_state_parse(s, out, e);
}
static int parse_dest_mode(const char *s, void *out, struct sl_error *e)
{
	return sl_dest_mode_parse(s, out, e);
}

static void required(struct dctx *c, const struct ynode *at, const char *path)
{
	derr(c, at, path, "required");
}

/* An absolute path for a file named in the manifest. */
static char *resolve_path(struct dctx *c, const char *p)
{
	struct sl_buf b = SL_BUF_INIT;

	if (p[0] == '/')
		return xstrdup(c, p);
	if (sl_buf_addf(&b, "%s/%s", c->base_dir, p) < 0) {
		sl_buf_release(&b);
		c->rc = SL_ENOMEM;
		return NULL;
	}
	return sl_buf_detach(&b);
}

static bool want_file(
        struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path, char **out)
{
	char *s = NULL;

	if (!want_str(c, at, v, path, &s))
		return false;
	if (*s == '\0') {
		derr(c, at, path, "must not be empty");
		free(s);
		return false;
	}
	free(*out);
	*out = resolve_path(c, s);
	free(s);
	return true;
}

/* A secret reference: a mapping with exactly one of value, env, file. */
static void want_secret(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, bool inline_ok, struct sl_secret_ref *out)
{
	static const char *const keys[] = {"value", "env", "file", NULL};
	const struct ynode *k = NULL, *val, *set_k = NULL;
	char p[PATH_MAX_LEN];
	int n = 0, i;
	char *s = NULL;

	if (v->type == YN_SCALAR) {
		derr(c, at, path, "must be a secret reference: a mapping with one of %s (got %s)",
		        inline_ok ? "value, env, file" : "env, file", sl_ynode_type_name(v));
		return;
	}
	if (!check_map(c, at, v, path, keys))
		return;
	for (i = 0; keys[i]; i++) {
		val = fld(c, v, path, keys[i], p, &k);
		if (k == NULL)
			continue;
		n++;
		if (n > 1) {
			derr(c, k, p, "set only one of value, env, file");
			continue;
		}
		set_k = k;
		if (val == NULL) {
			derr(c, k, p, "must not be empty");
			continue;
		}
		if (!want_str(c, k, val, p, &s))
			continue;
		if (i == 0 && !inline_ok) {
			derr(c, k, p,
			        "inline secret values are not allowed here; use env or file (the "
			        "manifest would hold the secret)");
		} else if (*s == '\0') {
			derr(c, k, p, "must not be empty");
		} else if (i == 1) {
			const char *q = s;
			bool ok = isalpha((unsigned char)*q) || *q == '_';

			for (; *q && ok; q++)
				ok = isalnum((unsigned char)*q) || *q == '_';
			if (!ok) {
				char qs[256];

				sl_quote(s, qs, sizeof(qs));
				derr(c, k, p,
				        "must be an environment variable name "
				        "([A-Za-z_][A-Za-z0-9_]*, "
				        "got %s)",
				        qs);
			} else if (sl_secret_ref_set(out, SL_SECRET_ENV, s) < 0) {
				c->rc = SL_ENOMEM;
			}
		} else if (i == 2) {
			char *abs = resolve_path(c, s);

			if (abs != NULL && sl_secret_ref_set(out, SL_SECRET_FILE, abs) < 0)
				c->rc = SL_ENOMEM;
			free(abs);
		} else if (sl_secret_ref_set(out, SL_SECRET_VALUE, s) < 0) {
			c->rc = SL_ENOMEM;
		}
		if (s != NULL)
			explicit_bzero(s, strlen(s));
		free(s);
		s = NULL;
	}
	if (set_k == NULL)
		derr(c, at, path, "set one of %s", inline_ok ? "value, env, file" : "env, file");
}

/* http(s)://host[:port][/path] without user-info or spaces. */
static void want_url(
        struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path, char **out)
{
	const char *s, *host, *end;
	char q[256];

	if (!want_str(c, at, v, path, out) || *out == NULL)
		return;
	s = *out;
	sl_quote(s, q, sizeof(q));
	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else {
		derr(c, at, path, "must be an http:// or https:// URL (got %s)", q);
		return;
	}
	end = host + strcspn(host, "/?#");
	if (end == host || *host == ':') {
		derr(c, at, path, "URL has no host (got %s)", q);
		return;
	}
	if (memchr(host, '@', (size_t)(end - host)) != NULL) {
		derr(c, at, path,
		        "credentials in the URL are not allowed; use auth with env or file");
		return;
	}
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f) {
			derr(c, at, path,
			        "URL must not contain spaces or control characters (got %s)", q);
			return;
		}
	}
}

static void want_duration(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, int64_t *out)
{
	struct sl_error e = SL_ERROR_INIT;
	int64_t ms;

	if (!want_str(c, at, v, path, NULL))
		return;
	if (sl_duration_parse(v->text, &ms, &e) < 0)
		derr(c, at, path, "%s", e.msg);
	else if (ms <= 0)
		derr(c, at, path, "must be longer than 0");
	else if (ms > 3600 * 1000)
		derr(c, at, path, "must be at most 1h");
	else
		*out = ms;
}

/* metadata.name rules (docs/internals/manifests.md §2). */
static bool name_ok(const char *s, bool link)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > (link ? 255u : 63u))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		             (link && ch >= 'A' && ch <= 'Z');

		if ((i == 0 || i == n - 1) && !alnum)
			return false;
		if (!alnum && ch != '-' && !(link && (ch == '.' || ch == '_')))
			return false;
	}
	return true;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(
	        (*(const struct sl_kv *const *)a)->key, (*(const struct sl_kv *const *)b)->key);
}

static void kv_add(struct dctx *c, struct sl_vec *v, const char *key, const char *value)
{
	struct sl_kv *kv = calloc(1, sizeof(*kv));

	if (kv == NULL || (kv->key = strdup(key)) == NULL || (kv->value = strdup(value)) == NULL ||
	        sl_vec_push(v, kv) < 0) {
		if (kv != NULL) {
			free(kv->key);
			free(kv->value);
		}
		free(kv);
		c->rc = SL_ENOMEM;
	}
}

static void decode_labels(
        struct dctx *c, const struct ynode *at, const struct ynode *v, const char *path)
{
	size_t i;
	char p[PATH_MAX_LEN];

	if (!check_map(c, at, v, path, NULL))
		return;
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];

		if (k->type != YN_SCALAR)
			continue;
		join(p, path, k->text);
		if (k->len == 0 || strlen(k->text) != k->len) {
			derr(c, k, p, "label keys must be non-empty text");
			continue;
		}
		if (is_null(val)) {
			derr(c, k, p, "must be a string (got null)");
			continue;
		}
		if (want_str(c, k, val, p, NULL) && c->obj != NULL)
			kv_add(c, &c->obj->labels, k->text, val->text);
	}
	if (c->obj != NULL)
		sl_vec_sort(&c->obj->labels, kv_cmp);
}

static void decode_mode_compat(struct dctx *c, const struct ynode *spec, enum sl_mode *mode,
        bool *force, enum sl_compat *compat, bool global_ok)
{
	const struct ynode *k, *v;
	char p[PATH_MAX_LEN];

	v = fld(c, spec, "spec", "mode", p, &k);
	if (v != NULL && want_enum(c, k, v, p, parse_mode, mode) && *mode == SL_MODE_FORWARD &&
	        !global_ok) {
		derr(c, k, p,
		        "FORWARD is only supported on the global level (a Context with context: "
		        ".__GLOBAL)");
	}
	v = fld(c, spec, "spec", "forceMode", p, &k);
	if (v != NULL && want_bool(c, k, v, p, force) && *force && *mode == SL_MODE_UNSET)
		dwarn(c, k, p, "has no effect without mode");
	v = fld(c, spec, "spec", "compatibility", p, &k);
	if (v != NULL)
		want_enum(c, k, v, p, parse_compat, compat);
}

/* basic / bearer / oauth; oauth only for linkAuth. */
static void decode_auth(struct dctx *c, const struct ynode *at, const struct ynode *v,
        const char *path, bool link, struct sl_auth *a)
{
	static const char *const keys[] = {"basic", "bearer", NULL};
	static const char *const link_keys[] = {"basic", "bearer", "oauth", NULL};
	static const char *const basic_keys[] = {"username", "password", NULL};
	static const char *const bearer_keys[] = {"token", NULL};
	static const char *const oauth_keys[] = {"clientId", "clientSecret", "issuerUrl", "scope",
	        "logicalCluster", "identityPoolId", NULL};
	const struct ynode *k, *m, *k2, *f;
	char p[PATH_MAX_LEN], p2[PATH_MAX_LEN];
	int n = 0;

	if (!check_map(c, at, v, path, link ? link_keys : keys))
		return;
	if ((m = fld(c, v, path, "basic", p, &k)) != NULL || k != NULL) {
		n++;
		a->kind = SL_AUTH_BASIC;
		if (m != NULL && check_map(c, k, m, p, basic_keys)) {
			if ((f = fld(c, m, p, "username", p2, &k2)) != NULL)
				want_secret(c, k2, f, p2, true, &a->username);
			else
				required(c, k2 ? k2 : k, p2);
			if ((f = fld(c, m, p, "password", p2, &k2)) != NULL)
				want_secret(c, k2, f, p2, false, &a->password);
			else
				required(c, k2 ? k2 : k, p2);
		} else if (m == NULL) {
			derr(c, k, p, "must be a mapping with username and password");
		}
	}
	if ((m = fld(c, v, path, "bearer", p, &k)) != NULL || k != NULL) {
		if (n++ == 0)
			a->kind = SL_AUTH_BEARER;
		if (m != NULL && check_map(c, k, m, p, bearer_keys)) {
			if ((f = fld(c, m, p, "token", p2, &k2)) != NULL)
				want_secret(c, k2, f, p2, false, &a->token);
			else
				required(c, k2 ? k2 : k, p2);
		} else if (m == NULL) {
			derr(c, k, p, "must be a mapping with token");
		}
	}
	if (link && ((m = fld(c, v, path, "oauth", p, &k)) != NULL || k != NULL)) {
		if (n++ == 0)
			a->kind = SL_AUTH_OAUTH;
		if (m != NULL && check_map(c, k, m, p, oauth_keys)) {
			if ((f = fld(c, m, p, "clientId", p2, &k2)) != NULL)
				want_secret(c, k2, f, p2, true, &a->client_id);
			else
				required(c, k2 ? k2 : k, p2);
			if ((f = fld(c, m, p, "clientSecret", p2, &k2)) != NULL)
				want_secret(c, k2, f, p2, false, &a->client_secret);
			else
				required(c, k2 ? k2 : k, p2);
			if ((f = fld(c, m, p, "issuerUrl", p2, &k2)) != NULL)
				want_url(c, k2, f, p2, &a->issuer_url);
			else
				required(c, k2 ? k2 : k, p2);
			if ((f = fld(c, m, p, "scope", p2, &k2)) != NULL)
				want_str(c, k2, f, p2, &a->scope);
			if ((f = fld(c, m, p, "logicalCluster", p2, &k2)) != NULL)
				want_str(c, k2, f, p2, &a->logical_cluster);
			if ((f = fld(c, m, p, "identityPoolId", p2, &k2)) != NULL)
				want_str(c, k2, f, p2, &a->identity_pool_id);
		} else if (m == NULL) {
			derr(c, k, p,
			        "must be a mapping with clientId, clientSecret and issuerUrl");
		}
	}
	if (n == 0)
		derr(c, at, path, "set one of %s", link ? "basic, bearer, oauth" : "basic, bearer");
	else if (n > 1)
		derr(c, at, path, "set only one of %s",
		        link ? "basic, bearer, oauth" : "basic, bearer");
}

static void decode_registry(struct dctx *c, const struct ynode *sk, const struct ynode *spec)
{
	static const char *const keys[] = {"url", "linkUrl", "clusterId", "auth", "linkAuth",
	        "linkTls", "tls", "timeouts", "rateLimit", "mode", "forceMode", "compatibility",
	        NULL};
	static const char *const ltls_keys[] = {
	        "truststoreFile", "truststorePassword", "keystoreFile", "keystorePassword", NULL};
	static const char *const tls_keys[] = {
	        "caFile", "certFile", "keyFile", "insecureSkipVerify", NULL};
	static const char *const to_keys[] = {"connect", "request", NULL};
	static const char *const rl_keys[] = {"readsPerSecond", "writesPerSecond", NULL};
	struct sl_registry_spec *r = &c->obj->registry;
	const struct ynode *k, *v, *k2, *f;
	char p[PATH_MAX_LEN], p2[PATH_MAX_LEN];

	if (!check_map(c, sk, spec, "spec", keys))
		return;
	if ((v = fld(c, spec, "spec", "url", p, &k)) != NULL)
		want_url(c, k, v, p, &r->url);
	else
		required(c, k ? k : sk, p);
	if ((v = fld(c, spec, "spec", "linkUrl", p, &k)) != NULL)
		want_url(c, k, v, p, &r->link_url);
	if (r->link_url == NULL && r->url != NULL)
		r->link_url = xstrdup(c, r->url);
	if ((v = fld(c, spec, "spec", "clusterId", p, &k)) != NULL &&
	        want_str(c, k, v, p, &r->cluster_id) && r->cluster_id && *r->cluster_id == '\0')
		derr(c, k, p, "must not be empty");
	if ((v = fld(c, spec, "spec", "auth", p, &k)) != NULL)
		decode_auth(c, k, v, p, false, &r->auth);
	if ((v = fld(c, spec, "spec", "linkAuth", p, &k)) != NULL) {
		r->has_link_auth = true;
		decode_auth(c, k, v, p, true, &r->link_auth);
	}
	if ((v = fld(c, spec, "spec", "linkTls", p, &k)) != NULL &&
	        check_map(c, k, v, p, ltls_keys)) {
		struct sl_link_tls *t = &r->link_tls;
		const struct ynode *tk, *kk;

		r->has_link_tls = true;
		if ((f = fld(c, v, p, "truststoreFile", p2, &tk)) != NULL)
			want_file(c, tk, f, p2, &t->truststore_file);
		if ((f = fld(c, v, p, "truststorePassword", p2, &k2)) != NULL) {
			want_secret(c, k2, f, p2, false, &t->truststore_password);
			if (tk == NULL)
				derr(c, k2, p2, "needs truststoreFile");
		}
		if ((f = fld(c, v, p, "keystoreFile", p2, &kk)) != NULL)
			want_file(c, kk, f, p2, &t->keystore_file);
		if ((f = fld(c, v, p, "keystorePassword", p2, &k2)) != NULL) {
			want_secret(c, k2, f, p2, false, &t->keystore_password);
			if (kk == NULL)
				derr(c, k2, p2, "needs keystoreFile");
		}
	}
	if ((v = fld(c, spec, "spec", "tls", p, &k)) != NULL && check_map(c, k, v, p, tls_keys)) {
		struct sl_tls *t = &r->tls;
		const struct ynode *ck, *kk;

		if ((f = fld(c, v, p, "caFile", p2, &k2)) != NULL)
			want_file(c, k2, f, p2, &t->ca_file);
		if ((f = fld(c, v, p, "certFile", p2, &ck)) != NULL)
			want_file(c, ck, f, p2, &t->cert_file);
		if ((f = fld(c, v, p, "keyFile", p2, &kk)) != NULL)
			want_file(c, kk, f, p2, &t->key_file);
		if ((f = fld(c, v, p, "insecureSkipVerify", p2, &k2)) != NULL)
			want_bool(c, k2, f, p2, &t->insecure_skip_verify);
		if ((ck == NULL) != (kk == NULL))
			derr(c, ck ? ck : kk, ck ? "spec.tls.certFile" : "spec.tls.keyFile",
			        "certFile and keyFile go together");
	}
	if ((v = fld(c, spec, "spec", "timeouts", p, &k)) != NULL &&
	        check_map(c, k, v, p, to_keys)) {
		if ((f = fld(c, v, p, "connect", p2, &k2)) != NULL)
			want_duration(c, k2, f, p2, &r->connect_timeout_ms);
		if ((f = fld(c, v, p, "request", p2, &k2)) != NULL)
			want_duration(c, k2, f, p2, &r->request_timeout_ms);
	}
	/* Whole requests per second; 0 turns a limit off (a registry you run yourself). */
	if ((v = fld(c, spec, "spec", "rateLimit", p, &k)) != NULL &&
	        check_map(c, k, v, p, rl_keys)) {
		if ((f = fld(c, v, p, "readsPerSecond", p2, &k2)) != NULL)
			want_int(c, k2, f, p2, 0, SL_RATELIMIT_MAX_RATE, &r->reads_per_s);
		if ((f = fld(c, v, p, "writesPerSecond", p2, &k2)) != NULL)
			want_int(c, k2, f, p2, 0, SL_RATELIMIT_MAX_RATE, &r->writes_per_s);
	}
	decode_mode_compat(c, spec, &r->mode, &r->force_mode, &r->compatibility, false);
}

/* Exporter config keys whose values are credentials (docs/internals/operations.md "Secrets"). */
static bool secret_key(const char *k)
{
	static const char *const words[] = {
	        "password", "secret", "token", "user.info", "userinfo", NULL};
	size_t i;

	for (i = 0; words[i]; i++)
		if (strcasestr(k, words[i]) != NULL)
			return true;
	return false;
}

static int skv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct sl_secret_kv *const *)a)->key,
	        (*(const struct sl_secret_kv *const *)b)->key);
}

/* Whether the sorted config holds key (binary search: a config can hold many keys). */
static bool config_has(const struct sl_vec *config, const char *key)
{
	size_t lo = 0, hi = config->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(((const struct sl_kv *)config->items[mid])->key, key);

		if (r == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void decode_link_context(
        struct dctx *c, const struct ynode *k, const struct ynode *v, const char *path)
{
	static const char *const keys[] = {"type", "name", NULL};
	struct sl_link_spec *l = &c->obj->link;
	const struct ynode *tk, *t, *nk, *n;
	char p[PATH_MAX_LEN], q[256];
	char *name = NULL, *norm = NULL;
	struct sl_error e = SL_ERROR_INIT;
	bool type_ok = true;

	if (!check_map(c, k, v, path, keys))
		return;
	if ((t = fld(c, v, path, "type", p, &tk)) != NULL)
		type_ok = want_enum(c, tk, t, p, parse_ctype, &l->context_type);
	n = fld(c, v, path, "name", p, &nk);
	if (!type_ok)
		return;
	if (l->context_type != SL_CONTEXT_CUSTOM) {
		if (n != NULL)
			derr(c, nk, p, "only allowed when type is CUSTOM (type is %s)",
			        sl_context_type_name(l->context_type));
		free(l->context_name);
		l->context_name = NULL;
		return;
	}
	if (n == NULL) {
		required(c, nk ? nk : (tk ? tk : k), p);
		return;
	}
	if (!want_str(c, nk, n, p, &name))
		return;
	sl_quote(name, q, sizeof(q));
	if (sl_context_normalize(name, &norm, &e) < 0)
		derr(c, nk, p, "%s", e.msg);
	else if (strcmp(norm, ".") == 0)
		derr(c, nk, p, "must name a context other than the default context (got %s)", q);
	else if (strcmp(norm, ".__GLOBAL") == 0)
		derr(c, nk, p, "must not be the reserved context .__GLOBAL");
	else {
		free(l->context_name);
		l->context_name = xstrdup(c, norm + 1);
	}
	free(name);
	free(norm);
}

/* spec.subjects at path p (key k, value v): a list of distinct subject filters. */
static void decode_link_subjects(
        struct dctx *c, const struct ynode *k, const struct ynode *v, const char *p)
{
	struct sl_link_spec *l = &c->obj->link;
	char p2[PATH_MAX_LEN];
	size_t i;

	if (v->type != YN_SEQ) {
		derr(c, k, p, "must be a list of subjects (got %s)", sl_ynode_type_name(v));
	} else if (v->n == 0) {
		derr(c, k, p,
		        "must list at least one entry (leave it out for the default "
		        "[\"*\"])");
	} else if (v->n > SL_MANIFEST_MAX_SUBJECTS) {
		derr(c, k, p, "lists %zu entries, over the limit of %d", v->n,
		        SL_MANIFEST_MAX_SUBJECTS);
	} else {
		struct sl_strmap seen = SL_STRMAP_INIT;

		for (i = 0; i < v->n; i++) {
			const struct ynode *it = v->kids[i];
			struct sl_error e = SL_ERROR_INIT;
			bool dup = false;
			char *s = NULL;

			join_index(p2, p, i);
			set_pos(c, p2, it);
			if (is_null(it)) {
				derr(c, it, p2, "must be a string (got null)");
				continue;
			}
			if (!want_str(c, it, it, p2, &s))
				continue;
			if (sl_filter_check(s, &e) < 0) {
				derr(c, it, p2, "%s", e.msg);
				free(s);
				continue;
			}
			sl_strmap_get(&seen, s, &dup);
			if (dup) {
				char q[256];

				sl_quote(s, q, sizeof(q));
				derr(c, it, p2, "duplicate entry %s", q);
				free(s);
			} else if (sl_strmap_set(&seen, s, NULL, NULL) < 0 ||
			           sl_vec_push(&l->subjects, s) < 0) {
				free(s);
				c->rc = SL_ENOMEM;
			}
		}
		sl_strmap_release(&seen, NULL);
	}
}

/* The path p2 of config key ck under p, and whether ck is a usable key: a non-empty scalar
 * without NUL (else diagnosed, or skipped when it is no scalar). */
static bool config_key(struct dctx *c, const struct ynode *ck, const char *p, char *p2)
{
	if (ck->type != YN_SCALAR)
		return false;
	join(p2, p, ck->text);
	set_pos(c, p2, ck);
	if (ck->len == 0 || strlen(ck->text) != ck->len) {
		derr(c, ck, p2, "config keys must be non-empty text");
		return false;
	}
	return true;
}

/* spec.config at path p (key k, value v): plain string values; a key that holds a secret
 * belongs in secretConfig. */
static void decode_link_config(
        struct dctx *c, const struct ynode *k, const struct ynode *v, const char *p)
{
	struct sl_link_spec *l = &c->obj->link;
	char p2[PATH_MAX_LEN];
	size_t i;

	if (!check_map(c, k, v, p, NULL))
		return;
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *ck = v->kids[i], *cv = v->kids[i + 1];

		if (!config_key(c, ck, p, p2))
			continue;
		if (secret_key(ck->text)) {
			derr(c, ck, p2, "holds a secret; move it to secretConfig with env or file");
		} else if (is_null(cv) || cv->type != YN_SCALAR) {
			derr(c, ck, p2, "must be a string (got %s)", sl_ynode_type_name(cv));
		} else if (tag_ok(c, ck, cv, p2)) {
			if (strlen(cv->text) != cv->len)
				derr(c, ck, p2, "must not contain NUL characters");
			else
				kv_add(c, &l->config, ck->text, cv->text);
		}
	}
	sl_vec_sort(&l->config, kv_cmp);
}

/* spec.secretConfig at path p (key k, value v): secret references by config key, none also
 * in spec.config. */
static void decode_link_secret_config(
        struct dctx *c, const struct ynode *k, const struct ynode *v, const char *p)
{
	struct sl_link_spec *l = &c->obj->link;
	char p2[PATH_MAX_LEN];
	size_t i;

	if (!check_map(c, k, v, p, NULL))
		return;
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *ck = v->kids[i], *cv = v->kids[i + 1];
		struct sl_secret_kv *kv;

		if (!config_key(c, ck, p, p2))
			continue;
		if (config_has(&l->config, ck->text)) {
			char q[256];

			sl_quote(ck->text, q, sizeof(q));
			derr(c, ck, p2, "key %s is also set in spec.config", q);
			continue;
		}
		if (is_null(cv)) {
			derr(c, ck, p2, "must be a secret reference with env or file");
			continue;
		}
		kv = calloc(1, sizeof(*kv));
		if (kv == NULL || (kv->key = strdup(ck->text)) == NULL ||
		        sl_vec_push(&l->secret_config, kv) < 0) {
			if (kv != NULL)
				free(kv->key);
			free(kv);
			c->rc = SL_ENOMEM;
			continue;
		}
		want_secret(c, ck, cv, p2, false, &kv->ref);
	}
	sl_vec_sort(&l->secret_config, skv_cmp);
}

/* spec.selfHeal at path p (key k, value v). */
static void decode_link_self_heal(
        struct dctx *c, const struct ynode *k, const struct ynode *v, const char *p)
{
	static const char *const heal_keys[] = {
	        "enabled", "forceImport", "maxAttemptsPerHour", NULL};
	struct sl_link_spec *l = &c->obj->link;
	const struct ynode *k2, *f;
	char p2[PATH_MAX_LEN];

	if (!check_map(c, k, v, p, heal_keys))
		return;
	if ((f = fld(c, v, p, "enabled", p2, &k2)) != NULL)
		want_bool(c, k2, f, p2, &l->self_heal_enabled);
	if ((f = fld(c, v, p, "forceImport", p2, &k2)) != NULL)
		want_bool(c, k2, f, p2, &l->force_import);
	if ((f = fld(c, v, p, "maxAttemptsPerHour", p2, &k2)) != NULL)
		want_int(c, k2, f, p2, 0, 3600, &l->max_attempts_per_hour);
}

static void decode_link(struct dctx *c, const struct ynode *sk, const struct ynode *spec)
{
	static const char *const keys[] = {"source", "destination", "subjects", "context",
	        "subjectRenameFormat", "config", "secretConfig", "state", "suspend",
	        "destinationMode", "selfHeal", "resetOnUpdate", NULL};
	struct sl_link_spec *l = &c->obj->link;
	const struct ynode *k, *v;
	char p[PATH_MAX_LEN];

	if (!check_map(c, sk, spec, "spec", keys))
		return;
	if ((v = fld(c, spec, "spec", "source", p, &k)) != NULL)
		want_str(c, k, v, p, &l->source);
	else
		required(c, k ? k : sk, p);
	if ((v = fld(c, spec, "spec", "destination", p, &k)) != NULL)
		want_str(c, k, v, p, &l->destination);
	else
		required(c, k ? k : sk, p);

	if ((v = fld(c, spec, "spec", "subjects", p, &k)) != NULL)
		decode_link_subjects(c, k, v, p);
	if (l->subjects.len == 0 && (v == NULL)) {
		char *star = xstrdup(c, "*");

		if (star != NULL && sl_vec_push(&l->subjects, star) < 0) {
			free(star);
			c->rc = SL_ENOMEM;
		}
	}

	if ((v = fld(c, spec, "spec", "context", p, &k)) != NULL) {
		decode_link_context(c, k, v, p);
	} else if (l->source != NULL) {
		/* Default {type: CUSTOM, name: <source>}; a Registry name is a valid context. */
		l->context_name = xstrdup(c, l->source);
	}

	if ((v = fld(c, spec, "spec", "subjectRenameFormat", p, &k)) != NULL) {
		if (want_str(c, k, v, p, &l->subject_rename_format) &&
		        strstr(l->subject_rename_format, "${subject}") == NULL) {
			char q[256];

			sl_quote(l->subject_rename_format, q, sizeof(q));
			derr(c, k, p, "must contain ${subject} (got %s)", q);
		}
	}
	if (l->subject_rename_format == NULL)
		l->subject_rename_format = xstrdup(c, SL_DEFAULT_RENAME_FORMAT);

	if ((v = fld(c, spec, "spec", "config", p, &k)) != NULL)
		decode_link_config(c, k, v, p);
	if ((v = fld(c, spec, "spec", "secretConfig", p, &k)) != NULL)
		decode_link_secret_config(c, k, v, p);
	if ((v = fld(c, spec, "spec", "state", p, &k)) != NULL)
		want_enum(c, k, v, p, parse_state, &l->state);
	if ((v = fld(c, spec, "spec", "suspend", p, &k)) != NULL)
		want_bool(c, k, v, p, &l->suspend);
	if ((v = fld(c, spec, "spec", "destinationMode", p, &k)) != NULL)
		want_enum(c, k, v, p, parse_dest_mode, &l->destination_mode);
	if ((v = fld(c, spec, "spec", "selfHeal", p, &k)) != NULL)
		decode_link_self_heal(c, k, v, p);
	if ((v = fld(c, spec, "spec", "resetOnUpdate", p, &k)) != NULL)
		want_bool(c, k, v, p, &l->reset_on_update);
}

static void decode_context(struct dctx *c, const struct ynode *sk, const struct ynode *spec)
{
	static const char *const keys[] = {
	        "registry", "context", "mode", "forceMode", "compatibility", NULL};
	struct sl_context_spec *x = &c->obj->context;
	const struct ynode *k, *v, *ck;
	char p[PATH_MAX_LEN], cp[PATH_MAX_LEN];
	char *s = NULL;

	if (!check_map(c, sk, spec, "spec", keys))
		return;
	if ((v = fld(c, spec, "spec", "registry", p, &k)) != NULL)
		want_str(c, k, v, p, &x->registry);
	else
		required(c, k ? k : sk, p);
	if ((v = fld(c, spec, "spec", "context", cp, &ck)) != NULL) {
		struct sl_error e = SL_ERROR_INIT;

		if (want_str(c, ck, v, cp, &s) && sl_context_normalize(s, &x->context, &e) < 0)
			derr(c, ck, cp, "%s", e.msg);
		free(s);
	} else {
		required(c, ck ? ck : sk, cp);
	}
	decode_mode_compat(c, spec, &x->mode, &x->force_mode, &x->compatibility,
	        x->context != NULL && strcmp(x->context, ".__GLOBAL") == 0);
	if (x->mode == SL_MODE_UNSET && x->compatibility == SL_COMPAT_UNSET)
		dwarn(c, sk, "spec", "sets neither mode nor compatibility, so it manages nothing");
}

static void decode_subject(struct dctx *c, const struct ynode *sk, const struct ynode *spec)
{
	static const char *const keys[] = {
	        "registry", "subject", "mode", "forceMode", "compatibility", NULL};
	struct sl_subject_spec *x = &c->obj->subject;
	const struct ynode *k, *v;
	char p[PATH_MAX_LEN];
	char *s = NULL;

	if (!check_map(c, sk, spec, "spec", keys))
		return;
	if ((v = fld(c, spec, "spec", "registry", p, &k)) != NULL)
		want_str(c, k, v, p, &x->registry);
	else
		required(c, k ? k : sk, p);
	if ((v = fld(c, spec, "spec", "subject", p, &k)) != NULL) {
		struct sl_error e = SL_ERROR_INIT;

		if (want_str(c, k, v, p, &s)) {
			if (sl_qsubject_check_registrable(s, &e) < 0)
				derr(c, k, p, "%s", e.msg);
			else if ((x->subject = sl_qsubject_normalize(s)) == NULL)
				c->rc = SL_ENOMEM;
		}
		free(s);
	} else {
		required(c, k ? k : sk, p);
	}
	decode_mode_compat(c, spec, &x->mode, &x->force_mode, &x->compatibility, false);
	if (x->mode == SL_MODE_UNSET && x->compatibility == SL_COMPAT_UNSET)
		dwarn(c, sk, "spec", "sets neither mode nor compatibility, so it manages nothing");
}

int sl_decode_object(const struct ydoc *doc, const char *file, const char *base_dir,
        struct sl_diags *d, struct sl_object **out, size_t *errors)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const meta_keys[] = {"name", "labels", NULL};
	struct dctx c = {d, file, base_dir, NULL, 0, 0};
	const struct ynode *root = doc->root, *k, *v, *mk, *meta, *nk, *nv, *sk, *spec;
	char p[PATH_MAX_LEN];
	enum sl_kind kind = SL_KIND_REGISTRY;
	bool kind_ok = false;
	char *name = NULL;

	*out = NULL;
	if (root->type != YN_MAP) {
		derr(&c, root, NULL,
		        "a manifest document must be a mapping with apiVersion, kind, "
		        "metadata and spec (got %s)",
		        sl_ynode_type_name(root));
		goto out;
	}
	check_map(&c, root, root, "", keys);
	if ((v = fld(&c, root, "", "apiVersion", p, &k)) == NULL) {
		required(&c, k ? k : root, p);
	} else if (want_str(&c, k, v, p, NULL) && strcmp(v->text, SL_API_VERSION) != 0) {
		char q[256];

		sl_quote(v->text, q, sizeof(q));
		derr(&c, k, p, "must be \"%s\" (got %s)", SL_API_VERSION, q);
	}
	if ((v = fld(&c, root, "", "kind", p, &k)) == NULL) {
		required(&c, k ? k : root, p);
	} else if (want_str(&c, k, v, p, NULL)) {
		struct sl_error e = SL_ERROR_INIT;

		kind_ok = sl_kind_parse(v->text, &kind, &e) == 0;
		if (!kind_ok)
			derr(&c, k, p, "%s", e.msg);
	}
	meta = fld(&c, root, "", "metadata", p, &mk);
	if (meta == NULL) {
		required(&c, mk ? mk : root, p);
	} else if (check_map(&c, mk, meta, "metadata", meta_keys)) {
		if ((nv = fld(&c, meta, "metadata", "name", p, &nk)) == NULL) {
			required(&c, nk ? nk : mk, p);
		} else if (want_str(&c, nk, nv, p, &name) &&
		           !name_ok(name, kind_ok && kind == SL_KIND_SCHEMALINK)) {
			char q[256];

			sl_quote(name, q, sizeof(q));
			if (kind_ok && kind == SL_KIND_SCHEMALINK)
				derr(&c, nk, p,
				        "must be 1-255 characters of letters, digits, '-', '.' and "
				        "'_', starting and ending with a letter or digit (got %s)",
				        q);
			else
				derr(&c, nk, p,
				        "must be 1-63 characters of lower-case letters, digits and "
				        "'-', starting and ending with a letter or digit (got %s)",
				        q);
			free(name);
			name = NULL;
		}
	}
	/* The object exists from here when kind and name are usable; positions recorded before
	 * (apiVersion, kind, metadata) are added below. */
	if (kind_ok) {
		/* Without a usable name the object is still decoded, to report its spec's
		 * problems too, but it is not handed out. */
		c.obj = sl_object_new(kind, name ? name : "", file);
		if (c.obj == NULL) {
			c.rc = SL_ENOMEM;
			goto out;
		}
		c.obj->line = root->line;
		c.obj->col = root->col;
		fld(&c, root, "", "apiVersion", p, &k);
		fld(&c, root, "", "kind", p, &k);
		fld(&c, root, "", "metadata", p, &k);
		fld(&c, meta, "metadata", "name", p, &k);
	}
	if (meta != NULL && (v = fld(&c, meta, "metadata", "labels", p, &k)) != NULL)
		decode_labels(&c, k, v, p);
	spec = fld(&c, root, "", "spec", p, &sk);
	if (spec == NULL) {
		required(&c, sk ? sk : root, p);
	} else if (c.obj != NULL) {
		switch (kind) {
		case SL_KIND_REGISTRY: decode_registry(&c, sk, spec); break;
		case SL_KIND_SCHEMALINK: decode_link(&c, sk, spec); break;
		case SL_KIND_CONTEXT: decode_context(&c, sk, spec); break;
		case SL_KIND_SUBJECT: decode_subject(&c, sk, spec); break;
		default: break;
		}
	}
out:
	if (c.rc < 0 || name == NULL) {
		sl_object_free(c.obj);
		c.obj = NULL;
	}
	free(name);
	*out = c.obj;
	*errors = c.errors;
	return c.rc;
}
