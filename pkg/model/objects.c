/* objects.c — the four kinds, their enums, spec hashes and the immutable snapshot. */
#include "schemalink/objects.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/buf.h"

static const char *const kind_names[SL_KIND_COUNT] = {
        "Registry", "Context", "Subject", "SchemaLink"};

const char *sl_kind_name(enum sl_kind k)
{
	return (unsigned)k < SL_KIND_COUNT ? kind_names[k] : "?";
}

void sl_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0, i;

	if (outlen < 8) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 200 || o + 10 >= outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			if (c == '"' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				o += (size_t)snprintf(out + o, outlen - o, "\\x%02X", c);
			}
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Case-insensitive lookup of s in names[0..n); sets *idx. On failure the message lists the
 * names and quotes s. */
static int enum_parse(const char *s, const char *const *names, size_t n, size_t *idx,
        bool exact_case, struct sl_error *err)
{
	char q[256];
	struct sl_buf b = SL_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; s != NULL && i < n; i++) {
		if (exact_case ? strcmp(s, names[i]) == 0 : strcasecmp(s, names[i]) == 0) {
			*idx = i;
			return 0;
		}
	}
	sl_quote(s, q, sizeof(q));
	sl_buf_adds(&b, "must be one of ");
	for (i = 0; i < n; i++)
		sl_buf_addf(&b, "%s%s", i ? ", " : "", names[i]);
	rc = sl_error_set(err, SL_EINVAL, "%s (got %s)", b.data, q);
	sl_buf_release(&b);
	return rc;
}

int sl_kind_parse(const char *s, enum sl_kind *out, struct sl_error *err)
{
	/* Listed in the order users meet them, not enum order. */
	static const char *const names[] = {"Registry", "SchemaLink", "Context", "Subject"};
	static const enum sl_kind kinds[] = {
	        SL_KIND_REGISTRY, SL_KIND_SCHEMALINK, SL_KIND_CONTEXT, SL_KIND_SUBJECT};
	size_t i;
	int rc = enum_parse(s, names, 4, &i, true, err);

	if (rc == 0)
		*out = kinds[i];
	return rc;
}

static const char *const mode_names[] = {
        "", "READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD", "INHERIT"};

int sl_mode_parse(const char *s, enum sl_mode *out, struct sl_error *err)
{
	size_t i;
	int rc = enum_parse(s, mode_names + 1, 6, &i, false, err);

	if (rc == 0)
		*out = (enum sl_mode)(i + 1);
	return rc;
}

const char *sl_mode_name(enum sl_mode m)
{
	return (unsigned)m <= SL_MODE_INHERIT ? mode_names[m] : "?";
}

static const char *const compat_names[] = {"", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
        "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE", "INHERIT"};

int sl_compat_parse(const char *s, enum sl_compat *out, struct sl_error *err)
{
	size_t i;
	int rc = enum_parse(s, compat_names + 1, 8, &i, false, err);

	if (rc == 0)
		*out = (enum sl_compat)(i + 1);
	return rc;
}

const char *sl_compat_name(enum sl_compat c)
{
	return (unsigned)c <= SL_COMPAT_INHERIT ? compat_names[c] : "?";
}

static const char *const state_names[] = {"Running", "Paused"};

int sl_link_state_parse(const char *s, enum sl_link_state *out, struct sl_error *err)
{
	size_t i;
	int rc = enum_parse(s, state_names, 2, &i, false, err);

	if (rc == 0)
		*out = (enum sl_link_state)i;
	return rc;
}

const char *sl_link_state_name(enum sl_link_state s)
{
	return (unsigned)s <= SL_LINK_PAUSED ? state_names[s] : "?";
}

static const char *const dest_mode_names[] = {"Import", "Unmanaged"};

int sl_dest_mode_parse(const char *s, enum sl_dest_mode *out, struct sl_error *err)
{
	size_t i;
	int rc = enum_parse(s, dest_mode_names, 2, &i, false, err);

	if (rc == 0)
		*out = (enum sl_dest_mode)i;
	return rc;
}

const char *sl_dest_mode_name(enum sl_dest_mode m)
{
	return (unsigned)m <= SL_DEST_UNMANAGED ? dest_mode_names[m] : "?";
}

char *sl_object_key(enum sl_kind k, const char *name)
{
	struct sl_buf b = SL_BUF_INIT;

	if (sl_buf_addf(&b, "%s/%s", sl_kind_name(k), name ? name : "") < 0) {
		sl_buf_release(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

struct sl_object *sl_object_new(enum sl_kind k, const char *name, const char *file)
{
	struct sl_object *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->kind = k;
	o->name = strdup(name ? name : "");
	o->file = strdup(file ? file : "");
	o->key = sl_object_key(k, name);
	if (o->name == NULL || o->file == NULL || o->key == NULL) {
		sl_object_free(o);
		return NULL;
	}
	switch (k) {
	case SL_KIND_REGISTRY:
		o->registry.connect_timeout_ms = SL_DEFAULT_CONNECT_TIMEOUT_MS;
		o->registry.request_timeout_ms = SL_DEFAULT_REQUEST_TIMEOUT_MS;
		o->registry.reads_per_s = SL_DEFAULT_READS_PER_S;
		o->registry.writes_per_s = SL_DEFAULT_WRITES_PER_S;
		break;
	case SL_KIND_SCHEMALINK:
		o->link.context_type = SL_CONTEXT_CUSTOM;
		o->link.state = SL_LINK_RUNNING;
		o->link.destination_mode = SL_DEST_IMPORT;
		o->link.self_heal_enabled = true;
		o->link.max_attempts_per_hour = SL_DEFAULT_MAX_ATTEMPTS_PER_HOUR;
		break;
	default: break;
	}
	return o;
}

static void kv_free(void *p)
{
	struct sl_kv *kv = p;

	if (kv == NULL)
		return;
	free(kv->key);
	free(kv->value);
	free(kv);
}

static void secret_kv_free(void *p)
{
	struct sl_secret_kv *kv = p;

	if (kv == NULL)
		return;
	free(kv->key);
	sl_secret_ref_release(&kv->ref);
	free(kv);
}

static void field_pos_free(void *p)
{
	struct sl_field_pos *f = p;

	if (f == NULL)
		return;
	free(f->path);
	free(f);
}

static void auth_release(struct sl_auth *a)
{
	sl_secret_ref_release(&a->username);
	sl_secret_ref_release(&a->password);
	sl_secret_ref_release(&a->token);
	sl_secret_ref_release(&a->client_id);
	sl_secret_ref_release(&a->client_secret);
	free(a->issuer_url);
	free(a->scope);
	free(a->logical_cluster);
	free(a->identity_pool_id);
}

void sl_object_free(struct sl_object *o)
{
	if (o == NULL)
		return;
	switch (o->kind) {
	case SL_KIND_REGISTRY:
		free(o->registry.url);
		free(o->registry.link_url);
		free(o->registry.cluster_id);
		auth_release(&o->registry.auth);
		auth_release(&o->registry.link_auth);
		free(o->registry.link_tls.truststore_file);
		free(o->registry.link_tls.keystore_file);
		sl_secret_ref_release(&o->registry.link_tls.truststore_password);
		sl_secret_ref_release(&o->registry.link_tls.keystore_password);
		free(o->registry.tls.ca_file);
		free(o->registry.tls.cert_file);
		free(o->registry.tls.key_file);
		break;
	case SL_KIND_SCHEMALINK:
		free(o->link.source);
		free(o->link.destination);
		sl_vec_release(&o->link.subjects, free);
		free(o->link.context_name);
		free(o->link.subject_rename_format);
		sl_vec_release(&o->link.config, kv_free);
		sl_vec_release(&o->link.secret_config, secret_kv_free);
		break;
	case SL_KIND_CONTEXT:
		free(o->context.registry);
		free(o->context.context);
		break;
	case SL_KIND_SUBJECT:
		free(o->subject.registry);
		free(o->subject.subject);
		break;
	default: break;
	}
	sl_vec_release(&o->labels, kv_free);
	sl_vec_release(&o->fields, field_pos_free);
	free(o->name);
	free(o->key);
	free(o->file);
	free(o);
}

int sl_object_set_pos(struct sl_object *o, const char *path, int line, int col)
{
	struct sl_field_pos *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->path = strdup(path)) == NULL || sl_vec_push(&o->fields, f) < 0) {
		field_pos_free(f);
		return SL_ENOMEM;
	}
	f->line = line;
	f->col = col;
	return 0;
}

void sl_snapshot_drop_positions(struct sl_snapshot *s)
{
	size_t i;

	for (i = 0; s != NULL && i < s->objects.len; i++)
		sl_vec_release(&((struct sl_object *)s->objects.items[i])->fields, field_pos_free);
}

struct sl_pos sl_object_pos(const struct sl_object *o, const char *path)
{
	struct sl_pos p = {o->file, o->line, o->col};
	size_t len = path ? strlen(path) : 0, i;

	while (len > 0) {
		for (i = 0; i < o->fields.len; i++) {
			const struct sl_field_pos *f = o->fields.items[i];

			if (strlen(f->path) == len && strncmp(f->path, path, len) == 0) {
				p.line = f->line;
				p.col = f->col;
				return p;
			}
		}
		/* Drop the last ".name" or "[n]" component. */
		while (len > 0 && path[len - 1] != '.' && path[len - 1] != '[')
			len--;
		if (len > 0)
			len--;
	}
	return p;
}

/* Canonical serialization: one "name=value\n" line per field, strings length-prefixed so no
 * value can imitate another field. An allocation failure anywhere is remembered in oom. */
struct ser {
	struct sl_buf buf;
	bool oom;
};

static void ser_addf(struct ser *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ser_addf(struct ser *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (sl_buf_vaddf(&b->buf, fmt, ap) < 0)
		b->oom = true;
	va_end(ap);
}

static void ser_str(struct ser *b, const char *name, const char *v)
{
	if (v == NULL)
		ser_addf(b, "%s=-\n", name);
	else
		ser_addf(b, "%s=%zu:%s\n", name, strlen(v), v);
}

static void ser_int(struct ser *b, const char *name, long long v)
{
	ser_addf(b, "%s=%lld\n", name, v);
}

static void ser_secret(struct ser *b, const char *name, const struct sl_secret_ref *r)
{
	char h[65];

	if (r->kind == SL_SECRET_VALUE && r->ref != NULL) {
		/* An inline value (a username) contributes its hash, so the hash input never
		 * holds a credential in clear. */
		sl_sha256_hex(r->ref, strlen(r->ref), h);
		ser_addf(b, "%s=value:%s\n", name, h);
		return;
	}
	ser_addf(b, "%s=%d:", name, (int)r->kind);
	ser_str(b, "", r->ref);
}

static void ser_auth(struct ser *b, const char *name, const struct sl_auth *a)
{
	ser_addf(b, "%s.kind=%d\n", name, (int)a->kind);
	ser_secret(b, "username", &a->username);
	ser_secret(b, "password", &a->password);
	ser_secret(b, "token", &a->token);
	ser_secret(b, "clientId", &a->client_id);
	ser_secret(b, "clientSecret", &a->client_secret);
	ser_str(b, "issuerUrl", a->issuer_url);
	ser_str(b, "scope", a->scope);
	ser_str(b, "logicalCluster", a->logical_cluster);
	ser_str(b, "identityPoolId", a->identity_pool_id);
}

int sl_object_hash(struct sl_object *o)
{
	struct ser b = {SL_BUF_INIT, false};
	size_t i;
	int rc = 0;

	ser_str(&b, "kind", sl_kind_name(o->kind));
	ser_str(&b, "name", o->name);
	for (i = 0; i < o->labels.len; i++) {
		const struct sl_kv *kv = o->labels.items[i];

		ser_str(&b, "label", kv->key);
		ser_str(&b, "value", kv->value);
	}
	switch (o->kind) {
	case SL_KIND_REGISTRY: {
		const struct sl_registry_spec *r = &o->registry;

		ser_str(&b, "url", r->url);
		ser_str(&b, "linkUrl", r->link_url);
		ser_str(&b, "clusterId", r->cluster_id);
		ser_auth(&b, "auth", &r->auth);
		ser_int(&b, "hasLinkAuth", r->has_link_auth);
		ser_auth(&b, "linkAuth", &r->link_auth);
		ser_int(&b, "hasLinkTls", r->has_link_tls);
		ser_str(&b, "truststoreFile", r->link_tls.truststore_file);
		ser_secret(&b, "truststorePassword", &r->link_tls.truststore_password);
		ser_str(&b, "keystoreFile", r->link_tls.keystore_file);
		ser_secret(&b, "keystorePassword", &r->link_tls.keystore_password);
		ser_str(&b, "caFile", r->tls.ca_file);
		ser_str(&b, "certFile", r->tls.cert_file);
		ser_str(&b, "keyFile", r->tls.key_file);
		ser_int(&b, "insecureSkipVerify", r->tls.insecure_skip_verify);
		ser_int(&b, "connect", r->connect_timeout_ms);
		ser_int(&b, "request", r->request_timeout_ms);
		ser_int(&b, "readsPerSecond", r->reads_per_s);
		ser_int(&b, "writesPerSecond", r->writes_per_s);
		ser_int(&b, "mode", r->mode);
		ser_int(&b, "forceMode", r->force_mode);
		ser_int(&b, "compatibility", r->compatibility);
		break;
	}
	case SL_KIND_SCHEMALINK: {
		const struct sl_link_spec *l = &o->link;

		ser_str(&b, "source", l->source);
		ser_str(&b, "destination", l->destination);
		for (i = 0; i < l->subjects.len; i++)
			ser_str(&b, "subject", l->subjects.items[i]);
		ser_int(&b, "contextType", l->context_type);
		ser_str(&b, "context", l->context_name);
		ser_str(&b, "subjectRenameFormat", l->subject_rename_format);
		for (i = 0; i < l->config.len; i++) {
			const struct sl_kv *kv = l->config.items[i];

			ser_str(&b, "config", kv->key);
			ser_str(&b, "value", kv->value);
		}
		for (i = 0; i < l->secret_config.len; i++) {
			const struct sl_secret_kv *kv = l->secret_config.items[i];

			ser_str(&b, "secretConfig", kv->key);
			ser_secret(&b, "ref", &kv->ref);
		}
		ser_int(&b, "state", l->state);
		ser_int(&b, "suspend", l->suspend);
		ser_int(&b, "destinationMode", l->destination_mode);
		ser_int(&b, "selfHeal.enabled", l->self_heal_enabled);
		ser_int(&b, "selfHeal.forceImport", l->force_import);
		ser_int(&b, "selfHeal.maxAttemptsPerHour", l->max_attempts_per_hour);
		ser_int(&b, "resetOnUpdate", l->reset_on_update);
		break;
	}
	case SL_KIND_CONTEXT:
		ser_str(&b, "registry", o->context.registry);
		ser_str(&b, "context", o->context.context);
		ser_int(&b, "mode", o->context.mode);
		ser_int(&b, "forceMode", o->context.force_mode);
		ser_int(&b, "compatibility", o->context.compatibility);
		break;
	case SL_KIND_SUBJECT:
		ser_str(&b, "registry", o->subject.registry);
		ser_str(&b, "subject", o->subject.subject);
		ser_int(&b, "mode", o->subject.mode);
		ser_int(&b, "forceMode", o->subject.force_mode);
		ser_int(&b, "compatibility", o->subject.compatibility);
		break;
	default: break;
	}
	if (b.oom)
		rc = SL_ENOMEM;
	else
		sl_sha256_hex(b.buf.data, b.buf.len, o->spec_hash);
	sl_buf_release(&b.buf);
	return rc;
}

struct sl_snapshot *sl_snapshot_new(void)
{
	struct sl_snapshot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	sl_vec_init(&s->objects);
	sl_strmap_init(&s->by_key);
	return s;
}

static void object_free_v(void *p)
{
	sl_object_free(p);
}

void sl_snapshot_free(struct sl_snapshot *s)
{
	if (s == NULL)
		return;
	sl_strmap_release(&s->by_key, NULL);
	sl_vec_release(&s->objects, object_free_v);
	free(s);
}

int sl_snapshot_add(struct sl_snapshot *s, struct sl_object *o, struct sl_error *err)
{
	bool found = false;

	if (s->sealed)
		return sl_error_set(err, SL_ESTATE, "snapshot is sealed");
	sl_strmap_get(&s->by_key, o->key, &found);
	if (found)
		return sl_error_set(err, SL_EEXIST, "%s is declared twice", o->key);
	if (sl_vec_push(&s->objects, o) < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	if (sl_strmap_set(&s->by_key, o->key, o, NULL) < 0) {
		sl_vec_pop(&s->objects);
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	return 0;
}

static int object_cmp(const void *a, const void *b)
{
	const struct sl_object *x = *(const struct sl_object *const *)a;
	const struct sl_object *y = *(const struct sl_object *const *)b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The last snapshot id given out; loaders seal in several threads. */
static atomic_uint_fast64_t last_snapshot_id;

int sl_snapshot_seal(struct sl_snapshot *s)
{
	size_t i;

	if (s->sealed)
		return 0;
	sl_vec_sort(&s->objects, object_cmp);
	for (i = 0; i < s->objects.len; i++)
		if (sl_object_hash(s->objects.items[i]) < 0)
			return SL_ENOMEM;
	s->id = (uint64_t)atomic_fetch_add(&last_snapshot_id, 1) + 1;
	s->sealed = true;
	return 0;
}

const struct sl_object *sl_snapshot_get(
        const struct sl_snapshot *s, enum sl_kind k, const char *name)
{
	/* Every key the loader makes fits (names are at most 255 bytes), so a lookup allocates
	 * nothing and NULL always means "not declared", never "out of memory". */
	char buf[320], *key = buf;
	const struct sl_object *o = NULL;
	int n = snprintf(buf, sizeof(buf), "%s/%s", sl_kind_name(k), name ? name : "");

	if (n < 0)
		return NULL;
	if ((size_t)n >= sizeof(buf))
		key = sl_object_key(k, name);
	if (key != NULL)
		o = sl_strmap_get(&s->by_key, key, NULL);
	if (key != buf)
		free(key);
	return o;
}

size_t sl_snapshot_count(const struct sl_snapshot *s)
{
	return s->objects.len;
}

const struct sl_object *sl_snapshot_at(const struct sl_snapshot *s, size_t i)
{
	return sl_vec_get(&s->objects, i);
}
