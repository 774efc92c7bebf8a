/* inventory.c — what a manifest set owns: records keyed by the registry they live on, a
 * journal of changes between snapshots, and the set's lock (docs/ownership.md). */
#include "schemalink/inventory.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"
#include "schemalink/json.h"
#include "schemalink/secret.h"

#define INV_MAX_BYTES (64u * 1024 * 1024)
/* The journal is folded into a snapshot once it has more lines than this and than twice the
 * records: each line is then written once and folded once, so saving stays linear. */
#define JOURNAL_MIN_FOLD 4096

int sl_inv_set_str(char **field, const char *value)
{
	char *c = NULL;

	if (value != NULL && (c = strdup(value)) == NULL)
		return SL_ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

/* ---- identity ------------------------------------------------------------------------ */

char *sl_registry_url_normalize(const char *url)
{
	struct sl_buf b = SL_BUF_INIT;
	const char *p = url ? url : "", *host, *end, *at, *path;
	size_t scheme_len = 0, i;
	bool https = false;
	int rc = 0; /* the appends' failures, or'ed: the URL is an identity, whole or none */

	if ((end = strstr(p, "://")) != NULL) {
		scheme_len = (size_t)(end - p);
		for (i = 0; i < scheme_len; i++)
			rc |= sl_buf_addf(&b, "%c", tolower((unsigned char)p[i]));
		https = scheme_len == 5 && !strncasecmp(p, "https", 5);
		rc |= sl_buf_adds(&b, "://");
		host = end + 3;
	} else {
		host = p;
	}
	path = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(path - host));
	if (at != NULL)
		host = at + 1; /* user-info is never part of an identity (nor stored) */
	{
		const char *colon = NULL, *q;
		size_t hl;

		/* The port follows the last ':' outside an IPv6 literal's brackets. */
		for (q = host; q < path; q++)
			if (*q == ']')
				colon = NULL;
			else if (*q == ':')
				colon = q;
		hl = (size_t)((colon ? colon : path) - host);
		for (i = 0; i < hl; i++)
			rc |= sl_buf_addf(&b, "%c", tolower((unsigned char)host[i]));
		if (colon != NULL) {
			size_t pl = (size_t)(path - colon - 1);

			if (!((pl == 2 && !https && !strncmp(colon + 1, "80", 2)) ||
			            (pl == 3 && https && !strncmp(colon + 1, "443", 3)) || pl == 0))
				rc |= sl_buf_addf(&b, ":%.*s", (int)pl, colon + 1);
		}
	}
	{
		size_t pl = strlen(path);

		while (pl > 0 && path[pl - 1] == '/')
			pl--;
		if (pl)
			rc |= sl_buf_addf(&b, "%.*s", (int)pl, path);
	}
	if (rc != 0) {
		sl_buf_release(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

bool sl_inventory_set_name_ok(const char *set)
{
	size_t i, n = set ? strlen(set) : 0;

	if (n == 0 || n > 63 || !strcmp(set, ".") || !strcmp(set, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)set[i]) && !strchr("-_.", set[i]))
			return false;
	return true;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sl_inventory_derive_set(
        const char *const *paths, size_t n, char *out, size_t len, struct sl_error *err)
{
	struct sl_vec real = SL_VEC_INIT;
	struct sl_buf all = SL_BUF_INIT, base = SL_BUF_INIT;
	char hex[65];
	const char *b, *dot;
	size_t i, bl;
	int rc = 0;

	if (n == 0)
		return sl_error_set(err, SL_EINVAL, "no manifest path to derive a set name from");
	for (i = 0; i < n; i++) {
		char *r = realpath(paths[i], NULL);

		if (r == NULL) {
			rc = sl_error_set(err, SL_ENOENT, "\"%s\": %s", paths[i], strerror(errno));
			goto out;
		}
		if (sl_vec_push(&real, r) < 0) {
			free(r);
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* The base name of the first path as given (a folder or a file without its .yaml). */
	b = strrchr(real.items[0], '/');
	b = b && b[1] ? b + 1 : "manifests";
	dot = strrchr(b, '.');
	bl = dot && dot != b && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")) ? (size_t)(dot - b)
	                                                                        : strlen(b);
	for (i = 0; i < bl && i < 40; i++)
		sl_buf_addf(&base, "%c",
		        isalnum((unsigned char)b[i]) || b[i] == '_' || b[i] == '.' ? b[i] : '-');
	sl_vec_sort(&real, cmp_cstr);
	for (i = 0; i < real.len; i++)
		sl_buf_addf(&all, "%s\n", (const char *)real.items[i]);
	if (all.data == NULL || base.data == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	sl_sha256_hex(all.data, all.len, hex);
	snprintf(out, len, "%s-%.8s", base.data[0] == '.' ? "m" : base.data, hex);
out:
	sl_vec_release(&real, free);
	sl_buf_release(&all);
	sl_buf_release(&base);
	return rc;
}

bool sl_inventory_has_legacy_default(const char *state_dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (state_dir == NULL ||
	        snprintf(p, sizeof(p), "%s/default/inventory.json", state_dir) >= (int)sizeof(p))
		return false;
	return stat(p, &st) == 0;
}

int sl_inv_where_copy(struct sl_inv_where *dst, const struct sl_inv_where *src)
{
	if (sl_inv_set_str(&dst->registry, src->registry) < 0 ||
	        sl_inv_set_str(&dst->url, src->url ? src->url : "") < 0 ||
	        sl_inv_set_str(&dst->cluster_id, src->cluster_id ? src->cluster_id : "") < 0)
		return SL_ENOMEM;
	return 0;
}

void sl_inv_where_release(struct sl_inv_where *w)
{
	free(w->registry);
	free(w->url);
	free(w->cluster_id);
	memset(w, 0, sizeof(*w));
}

/* ---- records ------------------------------------------------------------------------- */

static void mark(struct sl_inventory *inv, char type, const char *id)
{
	struct sl_buf b = SL_BUF_INIT;

	if (inv->dir == NULL)
		return;
	/* Out of memory here loses the journal line, not the change: the next flush saves a
	 * snapshot, which has it. */
	if (sl_buf_addf(&b, "%c:%s", type, id) < 0 ||
	        sl_strmap_set(&inv->dirty, b.data, NULL, NULL) < 0)
		inv->lost = true;
	sl_buf_release(&b);
}

/* A needer added to or removed from a scope: its own journal line, so a scope that 1,000 links
 * need is not rewritten whole 1,000 times. The entry is "n:<scope id>\x1f<key>". */
static void mark_need(struct sl_inventory *inv, const char *scope_id, const char *key)
{
	struct sl_buf b = SL_BUF_INIT;

	if (inv->dir == NULL)
		return;
	if (sl_buf_addf(&b, "%s\x1f%s", scope_id, key) == 0)
		mark(inv, 'n', b.data);
	else
		inv->lost = true;
	sl_buf_release(&b);
}

static void inv_object_free(void *p)
{
	struct sl_inv_object *o = p;

	if (o == NULL)
		return;
	free(o->key);
	sl_strmap_release(&o->secret_hashes, free);
	sl_status_packed_free(o->status);
	free(o->attempts);
	free(o);
}

static void owned_free(void *p)
{
	struct sl_inv_owned *o = p;

	if (o == NULL)
		return;
	free(o->id);
	free(o->key);
	free(o->exporter);
	sl_inv_where_release(&o->at);
	free(o);
}

void sl_inv_scope_free(struct sl_inv_scope *s)
{
	if (s == NULL)
		return;
	free(s->id);
	sl_inv_where_release(&s->at);
	free(s->what);
	free(s->scope);
	free(s->previous);
	free(s->value);
	sl_vec_release(&s->needed_by, free);
	free(s);
}

static void scope_free_v(void *p)
{
	sl_inv_scope_free(p);
}

int sl_inv_object_add_attempt(struct sl_inv_object *o, int64_t at_ms)
{
	int64_t *a;

	if (o->n_attempts >= SL_INV_MAX_ATTEMPTS) {
		memmove(o->attempts, o->attempts + 1,
		        sizeof(o->attempts[0]) * (SL_INV_MAX_ATTEMPTS - 1));
		o->n_attempts = SL_INV_MAX_ATTEMPTS - 1;
	} else {
		/* One at a time: heals are rare and most objects never have one. */
		a = realloc(o->attempts, sizeof(*a) * (size_t)(o->n_attempts + 1));
		if (a == NULL)
			return SL_ENOMEM;
		o->attempts = a;
	}
	o->attempts[o->n_attempts++] = at_ms;
	return 0;
}

int sl_inv_object_get_status(const struct sl_inv_object *o, struct sl_object_status *out)
{
	if (o->status == NULL)
		return SL_ENOENT;
	sl_status_unpack(o->status, out);
	return 0;
}

int sl_inv_object_set_status(struct sl_inv_object *o, const struct sl_object_status *st)
{
	struct sl_status_packed *p = sl_status_pack(st);

	if (p == NULL)
		return SL_ENOMEM;
	sl_status_packed_free(o->status);
	o->status = p;
	return 0;
}

bool sl_inv_object_same_status(const struct sl_inv_object *o, const struct sl_object_status *st)
{
	return o->status != NULL && sl_status_packed_same(o->status, st);
}

void sl_inventory_free(struct sl_inventory *inv)
{
	if (inv == NULL)
		return;
	if (inv->lock_fd >= 0)
		close(inv->lock_fd); /* releases the flock */
	free(inv->dir);
	free(inv->path);
	free(inv->journal);
	free(inv->set);
	sl_strmap_release(&inv->by_exporter, NULL);
	sl_strmap_release(&inv->owned, owned_free);
	sl_strmap_release(&inv->scopes, scope_free_v);
	sl_strmap_release(&inv->objects, inv_object_free);
	sl_strmap_release(&inv->dirty, NULL);
	free(inv);
}

struct sl_inv_object *sl_inventory_object(const struct sl_inventory *inv, const char *key)
{
	return sl_strmap_get(&inv->objects, key, NULL);
}

struct sl_inv_object *sl_inventory_object_ensure(struct sl_inventory *inv, const char *key)
{
	struct sl_inv_object *o = sl_inventory_object(inv, key);

	if (o != NULL)
		return o;
	o = calloc(1, sizeof(*o));
	if (o == NULL || (o->key = strdup(key)) == NULL) {
		free(o);
		return NULL;
	}
	sl_strmap_init(&o->secret_hashes);
	if (sl_strmap_set(&inv->objects, key, o, NULL) < 0) {
		inv_object_free(o);
		return NULL;
	}
	mark(inv, 'k', key);
	return o;
}

void sl_inventory_object_remove(struct sl_inventory *inv, const char *key)
{
	if (sl_strmap_get(&inv->objects, key, NULL) == NULL)
		return;
	mark(inv, 'k', key); /* first: key may be the map's own copy, freed by the delete */
	inv_object_free(sl_strmap_del(&inv->objects, key, NULL));
}

void sl_inventory_object_touch(struct sl_inventory *inv, const char *key)
{
	mark(inv, 'k', key);
}

/* The ids: owned, NULL when out of memory (never a cut or empty one). */
static char *by_exporter_key(const char *url, const char *exporter)
{
	struct sl_buf b = SL_BUF_INIT;

	if (sl_buf_addf(&b, "%s|%s", url ? url : "", exporter) < 0)
		return NULL;
	return sl_buf_detach(&b);
}

static char *owned_id(const char *url, const char *cluster_id, const char *exporter)
{
	struct sl_buf b = SL_BUF_INIT;

	if (sl_buf_addf(&b, "%s|%s|%s", url ? url : "", cluster_id ? cluster_id : "", exporter) < 0)
		return NULL;
	return sl_buf_detach(&b);
}

/* Lookups format their id in place when it fits (the usual case), so that NULL means "no
 * record" and not "out of memory", which a caller would take for it. */
#define ID_BUF 1024

struct sl_inv_owned *sl_inventory_owned(const struct sl_inventory *inv, const char *url,
        const char *cluster_id, const char *exporter)
{
	struct sl_inv_owned *o = NULL;
	char buf[ID_BUF], *id = buf;
	int n = cluster_id ? snprintf(buf, sizeof(buf), "%s|%s|%s", url ? url : "", cluster_id,
	                             exporter)
	                   : snprintf(buf, sizeof(buf), "%s|%s", url ? url : "", exporter);

	if (n < 0 || (size_t)n >= sizeof(buf))
		id = cluster_id ? owned_id(url, cluster_id, exporter)
		                : by_exporter_key(url, exporter);
	if (id != NULL)
		o = sl_strmap_get(cluster_id ? &inv->owned : &inv->by_exporter, id, NULL);
	if (id != buf)
		free(id);
	return o;
}

struct sl_inv_owned *sl_inventory_own(struct sl_inventory *inv, const char *key,
        const char *exporter, const struct sl_inv_where *where, bool pending, bool adopted)
{
	char *id = owned_id(where->url, where->cluster_id, exporter);
	struct sl_inv_owned *o = id ? sl_strmap_get(&inv->owned, id, NULL) : NULL;

	if (id == NULL)
		return NULL;
	if (o == NULL) {
		o = calloc(1, sizeof(*o));
		if (o == NULL || sl_strmap_set(&inv->owned, id, o, NULL) < 0) {
			free(o);
			free(id);
			return NULL;
		}
		o->id = id;
		id = NULL;
	}
	free(id);
	if (sl_inv_set_str(&o->key, key) < 0 || sl_inv_set_str(&o->exporter, exporter) < 0 ||
	        sl_inv_where_copy(&o->at, where) < 0)
		return NULL; /* the record stays, with what it had */
	{
		char *bk = by_exporter_key(o->at.url, o->exporter);

		struct sl_inv_owned *was = bk ? sl_strmap_get(&inv->by_exporter, bk, NULL) : NULL;

		if (bk == NULL ||
		        (was == NULL && sl_strmap_set(&inv->by_exporter, bk, o, NULL) < 0)) {
			free(bk);
			return NULL;
		}
		if (was != NULL && was != o)
			inv->twins++;
		free(bk);
	}
	o->pending = pending;
	o->adopted = adopted;
	mark(inv, 'o', o->id);
	return o;
}

void sl_inventory_owned_remove(struct sl_inventory *inv, const char *id)
{
	struct sl_inv_owned *o = sl_strmap_get(&inv->owned, id, NULL);
	const char *k, *at = NULL;
	size_t pos = 0;
	char *bk;
	void *v;

	if (o == NULL)
		return;
	mark(inv, 'o', id); /* first: id may be the map's own copy, freed by the delete */
	bk = by_exporter_key(o->at.url, o->exporter);
	if (bk && sl_strmap_get(&inv->by_exporter, bk, NULL) == o)
		at = bk;
	/* Without memory for the key, o's index entry is found by its value: the index must
	 * never keep a record that is freed below. */
	while (bk == NULL && at == NULL && sl_strmap_next(&inv->by_exporter, &pos, &k, &v))
		if (v == o)
			at = k;
	sl_strmap_del(&inv->owned, o->id, NULL);
	if (at != NULL) {
		struct sl_inv_owned *twin = NULL;

		/* Another record of the same exporter (another cluster id) takes its place. */
		pos = 0;
		while (inv->twins > 0 && twin == NULL &&
		        sl_strmap_next(&inv->owned, &pos, &k, &v)) {
			struct sl_inv_owned *x = v;

			if (!strcmp(x->at.url, o->at.url) && !strcmp(x->exporter, o->exporter))
				twin = x;
		}
		if (twin != NULL) /* at is in the map: set replaces the value, allocating nothing */
			sl_strmap_set(&inv->by_exporter, at, twin, NULL);
		else
			sl_strmap_del(&inv->by_exporter, at, NULL);
	}
	free(bk);
	owned_free(o);
}

void sl_inventory_owned_touch(struct sl_inventory *inv, const char *id)
{
	mark(inv, 'o', id);
}

static char *scope_id(const char *url, const char *what, const char *scope)
{
	struct sl_buf b = SL_BUF_INIT;

	if (sl_buf_addf(&b, "%s|%s|%s", url ? url : "", what, scope) < 0)
		return NULL;
	return sl_buf_detach(&b);
}

struct sl_inv_scope *sl_inventory_scope(
        const struct sl_inventory *inv, const char *url, const char *what, const char *scope)
{
	char buf[ID_BUF], *id = buf;
	int n = snprintf(buf, sizeof(buf), "%s|%s|%s", url ? url : "", what, scope);
	struct sl_inv_scope *s;

	if (n < 0 || (size_t)n >= sizeof(buf))
		id = scope_id(url, what, scope);
	s = id ? sl_strmap_get(&inv->scopes, id, NULL) : NULL;
	if (id != buf)
		free(id);
	return s;
}

bool sl_inv_scope_needed_by(const struct sl_inv_scope *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->needed_by.len; i++)
		if (strcmp(s->needed_by.items[i], key) == 0)
			return true;
	return false;
}

static int push_dup(struct sl_vec *v, const char *s)
{
	char *c = strdup(s);

	if (c == NULL || sl_vec_push(v, c) < 0) {
		free(c);
		return SL_ENOMEM;
	}
	return 0;
}

struct sl_inv_scope *sl_inventory_scope_need(struct sl_inventory *inv,
        const struct sl_inv_where *where, const char *what, const char *scope, bool had_previous,
        const char *previous, const char *value, const char *key, bool pending)
{
	struct sl_inv_scope *s = sl_inventory_scope(inv, where->url, what, scope);
	bool changed = s == NULL;

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NULL;
		sl_vec_init(&s->needed_by);
		if ((s->id = scope_id(where->url, what, scope)) == NULL ||
		        sl_inv_where_copy(&s->at, where) < 0 ||
		        sl_inv_set_str(&s->what, what) < 0 ||
		        sl_inv_set_str(&s->scope, scope) < 0 ||
		        sl_inv_set_str(&s->previous, had_previous ? previous : NULL) < 0 ||
		        sl_strmap_set(&inv->scopes, s->id, s, NULL) < 0) {
			sl_inv_scope_free(s);
			return NULL;
		}
		s->had_previous = had_previous;
		s->pending = pending;
	} else if (!pending && s->pending) {
		s->pending = false;
		changed = true;
	}
	changed |= value != NULL && (s->value == NULL || strcmp(s->value, value) != 0);
	if (value != NULL && sl_inv_set_str(&s->value, value) < 0)
		return NULL;
	if (where->cluster_id && where->cluster_id[0] &&
	        strcmp(s->at.cluster_id, where->cluster_id)) {
		changed = true;
		if (sl_inv_set_str(&s->at.cluster_id, where->cluster_id) < 0)
			return NULL;
	}
	if (where->registry && (!s->at.registry || strcmp(s->at.registry, where->registry))) {
		changed = true;
		if (sl_inv_set_str(&s->at.registry, where->registry) < 0)
			return NULL;
	}
	if (changed)
		mark(inv, 's', s->id);
	if (!sl_inv_scope_needed_by(s, key)) {
		if (push_dup(&s->needed_by, key) < 0)
			return NULL;
		mark_need(inv, s->id, key);
	}
	return s;
}

int sl_inventory_scope_release(
        struct sl_inventory *inv, const char *key, const char *url, struct sl_vec *released)
{
	struct sl_vec ids = SL_VEC_INIT;
	size_t i, j;
	int rc = 0;

	if (sl_strmap_keys(&inv->scopes, &ids) < 0)
		return SL_ENOMEM;
	for (i = 0; i < ids.len; i++) {
		struct sl_inv_scope *s = sl_strmap_get(&inv->scopes, ids.items[i], NULL);

		if (url != NULL && strcmp(s->at.url, url) != 0)
			continue;
		bool found = false;

		for (j = 0; j < s->needed_by.len; j++) {
			if (strcmp(s->needed_by.items[j], key) == 0) {
				free(sl_vec_remove(&s->needed_by, j));
				mark_need(inv, s->id, key);
				found = true;
				break;
			}
		}
		if (found && s->needed_by.len == 0) {
			mark(inv, 's', s->id);
			sl_strmap_del(&inv->scopes, s->id, NULL);
			if (sl_vec_push(released, s) < 0) {
				sl_inv_scope_free(s);
				rc = SL_ENOMEM;
				break;
			}
		}
	}
	sl_vec_release(&ids, NULL);
	return rc;
}

void sl_inventory_scope_forget(struct sl_inventory *inv, const char *id)
{
	if (sl_strmap_get(&inv->scopes, id, NULL) == NULL)
		return;
	mark(inv, 's', id); /* first: id may be the map's own copy, freed by the delete */
	sl_inv_scope_free(sl_strmap_del(&inv->scopes, id, NULL));
}

void sl_inventory_scope_touch(struct sl_inventory *inv, const char *id)
{
	mark(inv, 's', id);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int status_from_json(json_t *j, struct sl_object_status *st)
{
	json_t *conds = json_object_get(j, "conditions"), *hist = json_object_get(j, "history");
	const char *gen = jstr(j, "generation");
	size_t i;

	memset(st, 0, sizeof(*st));
	sl_strlcpy_utf8(st->key, sizeof(st->key), jstr(j, "key"));
	sl_strlcpy_utf8(st->fix, sizeof(st->fix), jstr(j, "fix"));
	sl_strlcpy_utf8(st->exporter_state, sizeof(st->exporter_state), jstr(j, "exporterState"));
	sl_strlcpy_utf8(st->trace_first_line, sizeof(st->trace_first_line), jstr(j, "trace"));
	st->exporter_offset = json_integer_value(json_object_get(j, "offset"));
	st->exporter_ts = json_integer_value(json_object_get(j, "ts"));
	st->updated_ms = json_integer_value(json_object_get(j, "updated"));
	for (i = 0; json_is_array(conds) && i < json_array_size(conds) && i < SL_COND_COUNT; i++) {
		json_t *c = json_array_get(conds, i);
		const char *s = jstr(c, "status");
		struct sl_condition *d = &st->cond[i];

		d->status = s && !strcmp(s, "True")    ? SL_COND_TRUE
		            : s && !strcmp(s, "False") ? SL_COND_FALSE
		                                       : SL_COND_UNKNOWN;
		sl_strlcpy_utf8(d->reason, sizeof(d->reason), jstr(c, "reason"));
		sl_strlcpy_utf8(d->message, sizeof(d->message), jstr(c, "message"));
		/* Absent: the status's own generation (status_to_json leaves out the ones equal
		 * to it); present, even "", it is the condition's. */
		sl_strlcpy_utf8(d->observed_generation, sizeof(d->observed_generation),
		        json_object_get(c, "observedGeneration") ? jstr(c, "observedGeneration")
		                                                 : gen);
		d->error_code = (int)json_integer_value(json_object_get(c, "errorCode"));
		d->last_transition_ms =
		        json_integer_value(json_object_get(c, "lastTransitionTime"));
	}
	for (i = 0; json_is_array(hist) && i < json_array_size(hist) && i < SL_HEAL_HISTORY; i++) {
		json_t *h = json_array_get(hist, i);

		sl_status_add_history(st, json_integer_value(json_object_get(h, "at")),
		        jstr(h, "reason"), jstr(h, "action"));
	}
	return 0;
}

/* The *_to_json builders return NULL when any part could not be built (out of memory): a
 * record is saved whole or not at all. jansson's setters take the value also when they fail
 * (a NULL one, a NULL container), so failures are only collected in bad. */
/* Sets key to string v unless v is empty (what status_from_json reads for a missing one). */
static int set_nonempty(json_t *o, const char *key, const char *v)
{
	return v[0] ? json_object_set_new(o, key, json_string(v)) : 0;
}

/* A status as its record: members at their default (empty strings, zeros, Unknown, an empty
 * history) are left out and each condition's observedGeneration only written where it
 * differs from the status's "generation" (Ready's), so a link's record is a third of what
 * it would be and the inventory loads that much faster (docs/internals/architecture.md
 * "State on disk"). status_from_json reads both forms. */
static json_t *status_to_json(const struct sl_object_status *st)
{
	json_t *j = json_object(), *conds = json_array(), *hist = json_array();
	const char *gen = st->cond[SL_COND_READY].observed_generation;
	int i, bad = 0;

	for (i = 0; i < SL_COND_COUNT; i++) {
		const struct sl_condition *c = &st->cond[i];
		json_t *jc = json_pack("{s:s}", "type", sl_cond_type_name(i));

		if (c->status != SL_COND_UNKNOWN)
			bad |= json_object_set_new(
			        jc, "status", json_string(sl_cond_status_name(c->status)));
		bad |= set_nonempty(jc, "reason", c->reason);
		bad |= set_nonempty(jc, "message", c->message);
		if (c->error_code != 0)
			bad |= json_object_set_new(jc, "errorCode", json_integer(c->error_code));
		if (strcmp(c->observed_generation, gen) != 0)
			bad |= json_object_set_new(
			        jc, "observedGeneration", json_string(c->observed_generation));
		if (c->last_transition_ms != 0)
			bad |= json_object_set_new(jc, "lastTransitionTime",
			        json_integer((json_int_t)c->last_transition_ms));
		bad |= json_array_append_new(conds, jc);
	}
	for (i = 0; i < st->n_history; i++)
		bad |= json_array_append_new(hist,
		        json_pack("{s:I,s:s,s:s}", "at", (json_int_t)st->history[i].at_ms, "reason",
		                st->history[i].reason, "action", st->history[i].action));
	bad |= json_object_set_new(j, "key", json_string(st->key));
	bad |= set_nonempty(j, "generation", gen);
	bad |= json_object_set_new(j, "conditions", conds);
	if (st->n_history > 0)
		bad |= json_object_set_new(j, "history", hist);
	else
		json_decref(hist);
	bad |= set_nonempty(j, "fix", st->fix);
	bad |= set_nonempty(j, "exporterState", st->exporter_state);
	bad |= json_object_set_new(j, "offset", json_integer(st->exporter_offset));
	if (st->exporter_ts != 0)
		bad |= json_object_set_new(j, "ts", json_integer(st->exporter_ts));
	bad |= set_nonempty(j, "trace", st->trace_first_line);
	bad |= json_object_set_new(j, "updated", json_integer(st->updated_ms));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One object record; st is scratch space for its unpacked status. */
static json_t *object_to_json(const struct sl_inv_object *o, struct sl_object_status *st)
{
	json_t *jo = json_object(), *h = json_object(), *a = json_array();
	size_t pos = 0, j;
	const char *hk;
	void *hv;
	int bad = 0;

	while (sl_strmap_next(&o->secret_hashes, &pos, &hk, &hv))
		bad |= json_object_set_new(h, hk, json_string(hv));
	for (j = 0; j < (size_t)o->n_attempts; j++)
		bad |= json_array_append_new(a, json_integer(o->attempts[j]));
	/* Empty ones are left out, as object_from_json reads them. */
	if (o->secret_hashes.len > 0)
		bad |= json_object_set_new(jo, "secretHashes", h);
	else
		json_decref(h);
	if (o->n_attempts > 0)
		bad |= json_object_set_new(jo, "healAttempts", a);
	else
		json_decref(a);
	if (sl_inv_object_get_status(o, st) == 0)
		bad |= json_object_set_new(jo, "status", status_to_json(st));
	if (bad) {
		json_decref(jo);
		return NULL;
	}
	return jo;
}

static json_t *owned_to_json(const struct sl_inv_owned *o)
{
	return json_pack("{s:s,s:s,s:o,s:s,s:s,s:b,s:b}", "key", o->key, "exporter", o->exporter,
	        "registry", str_or_null(o->at.registry), "url", o->at.url, "clusterId",
	        o->at.cluster_id, "pending", o->pending, "adopted", o->adopted);
}

/* needers false (journal lines): the needers go in lines of their own ("n"). */
static json_t *scope_to_json(const struct sl_inv_scope *s, bool needers)
{
	json_t *nb = json_array();
	size_t j;
	int bad = 0;

	for (j = 0; needers && j < s->needed_by.len; j++)
		bad |= json_array_append_new(nb, json_string(s->needed_by.items[j]));
	if (bad) {
		json_decref(nb);
		return NULL;
	}
	return json_pack("{s:o,s:s,s:s,s:s,s:s,s:o,s:o,s:b,s:b,s:o}", "registry",
	        str_or_null(s->at.registry), "url", s->at.url, "clusterId", s->at.cluster_id,
	        "what", s->what, "scope", s->scope, "previous",
	        str_or_null(s->had_previous ? s->previous : NULL), "value", str_or_null(s->value),
	        "pending", s->pending, "borrowed", s->borrowed, "neededBy", nb);
}

/* ---- reading ------------------------------------------------------------------------- */

static int scope_from_json(struct sl_inventory *inv, json_t *v);

static int where_from_json(json_t *v, struct sl_inv_where *w)
{
	const char *c = jstr(v, "clusterId");

	if ((w->url = sl_registry_url_normalize(jstr(v, "url"))) == NULL ||
	        sl_inv_set_str(&w->registry, jstr(v, "registry")) < 0 ||
	        sl_inv_set_str(&w->cluster_id, c ? c : "") < 0)
		return SL_ENOMEM;
	return 0;
}

static int object_from_json(struct sl_inventory *inv, const char *key, json_t *v)
{
	struct sl_object_status st;
	struct sl_inv_object *o;
	json_t *h = json_object_get(v, "secretHashes"), *a = json_object_get(v, "healAttempts");
	const char *hk;
	json_t *hv;
	size_t i;

	sl_inventory_object_remove(inv, key);
	if ((o = sl_inventory_object_ensure(inv, key)) == NULL)
		return SL_ENOMEM;
	json_object_foreach(h, hk, hv)
	{
		char *c;

		if (!json_is_string(hv))
			continue;
		if ((c = strdup(json_string_value(hv))) == NULL ||
		        sl_strmap_set(&o->secret_hashes, hk, c, NULL) < 0) {
			free(c);
			return SL_ENOMEM;
		}
	}
	for (i = 0; json_is_array(a) && i < json_array_size(a) && i < SL_INV_MAX_ATTEMPTS; i++)
		if (sl_inv_object_add_attempt(o, json_integer_value(json_array_get(a, i))) < 0)
			return SL_ENOMEM;
	if (json_is_object(json_object_get(v, "status"))) {
		status_from_json(json_object_get(v, "status"), &st);
		if (sl_inv_object_set_status(o, &st) < 0)
			return SL_ENOMEM;
	}
	return 0;
}

static int owned_from_json(struct sl_inventory *inv, json_t *v)
{
	struct sl_inv_where w = {0};
	const char *key = jstr(v, "key"), *exp = jstr(v, "exporter");
	int rc;

	if (!key || !exp)
		return SL_EINVAL;
	if ((rc = where_from_json(v, &w)) == 0 &&
	        !sl_inventory_own(inv, key, exp, &w, json_is_true(json_object_get(v, "pending")),
	                json_is_true(json_object_get(v, "adopted"))))
		rc = SL_ENOMEM;
	sl_inv_where_release(&w);
	return rc;
}

static int scope_from_json(struct sl_inventory *inv, json_t *v)
{
	struct sl_inv_where w = {0};
	json_t *nb = json_object_get(v, "neededBy");
	const char *what = jstr(v, "what"), *scope = jstr(v, "scope"), *prev = jstr(v, "previous");
	bool pending = json_is_true(json_object_get(v, "pending"));
	size_t j;
	int rc;

	if (!what || !scope)
		return SL_EINVAL;
	if ((rc = where_from_json(v, &w)) < 0)
		goto out;
	{
		struct sl_inv_scope *old = sl_inventory_scope(inv, w.url, what, scope);

		if (old != NULL) /* a journal line replaces the record whole */
			sl_inventory_scope_forget(inv, old->id);
	}
	for (j = 0; json_is_array(nb) && j < json_array_size(nb); j++) {
		const char *key = json_string_value(json_array_get(nb, j));

		if (key && !sl_inventory_scope_need(inv, &w, what, scope, prev != NULL, prev,
		                   jstr(v, "value"), key, pending)) {
			rc = SL_ENOMEM;
			goto out;
		}
	}
	if (json_is_true(json_object_get(v, "borrowed"))) {
		struct sl_inv_scope *sc = sl_inventory_scope(inv, w.url, what, scope);

		if (sc)
			sc->borrowed = true;
	}
out:
	sl_inv_where_release(&w);
	return rc;
}

/* Version 1: objects keyed by name carried the exporter they created; scopes were a list. */
static int parse_v1(struct sl_inventory *inv, json_t *root)
{
	json_t *objs = json_object_get(root, "objects"), *scopes = json_object_get(root, "scopes"),
	       *v;
	const char *k;
	size_t i;
	int rc = 0;

	json_object_foreach(objs, k, v)
	{
		if ((rc = object_from_json(inv, k, v)) < 0)
			return rc;
		if (jstr(v, "exporter") && jstr(v, "url")) {
			json_t *o = json_pack("{s:s,s:s,s:o,s:s}", "key", k, "exporter",
			        jstr(v, "exporter"), "registry",
			        json_incref(json_object_get(v, "registry")), "url", jstr(v, "url"));

			rc = o ? owned_from_json(inv, o) : SL_ENOMEM;
			json_decref(o);
			if (rc < 0)
				return rc;
		}
	}
	for (i = 0; json_is_array(scopes) && i < json_array_size(scopes); i++)
		if ((rc = scope_from_json(inv, json_array_get(scopes, i))) == SL_ENOMEM)
			return rc;
	return 0;
}

static int parse_snapshot(struct sl_inventory *inv, const char *text, struct sl_error *err)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je), *v;
	const char *k;
	int rc = 0;

	if (!json_is_object(root)) {
		rc = sl_error_set(err, SL_EINVAL, "%s: not an inventory: %s", inv->path,
		        root ? "not a JSON object" : je.text);
		goto out;
	}
	if (json_integer_value(json_object_get(root, "version")) < 2) {
		rc = parse_v1(inv, root);
		goto done;
	}
	inv->seq = (uint64_t)json_integer_value(json_object_get(root, "seq"));
	json_object_foreach(json_object_get(root, "objects"), k, v)
	{
		if ((rc = object_from_json(inv, k, v)) < 0)
			goto done;
	}
	json_object_foreach(json_object_get(root, "owned"), k, v)
	{
		if ((rc = owned_from_json(inv, v)) == SL_ENOMEM)
			goto done;
	}
	json_object_foreach(json_object_get(root, "scopes"), k, v)
	{
		if ((rc = scope_from_json(inv, v)) == SL_ENOMEM)
			goto done;
	}
	rc = 0;
done:
	if (rc == SL_ENOMEM)
		rc = sl_error_set(err, SL_ENOMEM, "%s: out of memory", inv->path);
	else if (rc < 0)
		rc = sl_error_set(err, SL_EINVAL, "%s: a record is malformed", inv->path);
out:
	json_decref(root);
	return rc;
}

/* A journal line's scope: created, or its attributes replaced, its needers kept. */
static int scope_attrs_from_json(struct sl_inventory *inv, const char *id, json_t *v)
{
	struct sl_inv_scope *s = sl_strmap_get(&inv->scopes, id, NULL);
	const char *what = jstr(v, "what"), *scope = jstr(v, "scope"), *prev = jstr(v, "previous");
	struct sl_inv_where w = {0};
	int rc;

	if (!what || !scope)
		return SL_EINVAL;
	if ((rc = where_from_json(v, &w)) < 0)
		goto out;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			rc = SL_ENOMEM;
			goto out;
		}
		sl_vec_init(&s->needed_by);
		if ((s->id = strdup(id)) == NULL ||
		        sl_strmap_set(&inv->scopes, s->id, s, NULL) < 0) {
			sl_inv_scope_free(s);
			rc = SL_ENOMEM;
			goto out;
		}
	}
	sl_inv_where_release(&s->at);
	s->at = w;
	memset(&w, 0, sizeof(w));
	s->had_previous = prev != NULL;
	s->pending = json_is_true(json_object_get(v, "pending"));
	s->borrowed = json_is_true(json_object_get(v, "borrowed"));
	if (sl_inv_set_str(&s->what, what) < 0 || sl_inv_set_str(&s->scope, scope) < 0 ||
	        sl_inv_set_str(&s->previous, prev) < 0 ||
	        sl_inv_set_str(&s->value, jstr(v, "value")) < 0)
		rc = SL_ENOMEM;
out:
	sl_inv_where_release(&w);
	return rc;
}

/* Applies one journal line: {"seq":N,"op":"put"|"del","type":"o"|"s"|"k","id":...,"v":{...}}.
 * Returns 0, 1 when the line is older than the snapshot (skipped), or a negative code. */
static int apply_line(struct sl_inventory *inv, json_t *j)
{
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
	const char *op = jstr(j, "op"), *type = jstr(j, "type"), *id = jstr(j, "id");
	json_t *v = json_object_get(j, "v");
	bool put;

	if (!op || !type || !id || seq == 0)
		return SL_EINVAL;
	if (seq <= inv->seq)
		return 1;
	inv->seq = seq;
	put = !strcmp(op, "put");
	if (put && !json_is_object(v))
		return SL_EINVAL;
	switch (type[0]) {
	case 'o': sl_inventory_owned_remove(inv, id); return put ? owned_from_json(inv, v) : 0;
	case 's':
		if (!put) {
			sl_inventory_scope_forget(inv, id);
			return 0;
		}
		return scope_attrs_from_json(inv, id, v);
	case 'n': {
		const char *sep = strchr(id, '\x1f');
		char *sid = sep ? strndup(id, (size_t)(sep - id)) : NULL;
		struct sl_inv_scope *s = sid ? sl_strmap_get(&inv->scopes, sid, NULL) : NULL;
		int rc = sep && !sid ? SL_ENOMEM : 0; /* not "no such scope": a lost needer */

		free(sid);
		if (sep == NULL)
			return SL_EINVAL;
		if (rc < 0)
			return rc;
		if (s == NULL)
			return 0; /* its scope went later in the same flush */
		if (put && !sl_inv_scope_needed_by(s, sep + 1))
			rc = push_dup(&s->needed_by, sep + 1);
		for (size_t n = 0; !put && n < s->needed_by.len; n++)
			if (strcmp(s->needed_by.items[n], sep + 1) == 0) {
				free(sl_vec_remove(&s->needed_by, n));
				break;
			}
		return rc;
	}
	case 'k':
		sl_inventory_object_remove(inv, id);
		return put ? object_from_json(inv, id, v) : 0;
	default: return SL_EINVAL;
	}
}

static int replay(struct sl_inventory *inv, struct sl_buf *text, struct sl_error *err)
{
	size_t off = 0, line = 0;

	while (off < text->len) {
		char *nl = memchr(text->data + off, '\n', text->len - off);
		json_error_t je;
		json_t *j;
		int rc;

		line++;
		if (nl == NULL)
			break; /* torn last line: the append it belonged to never finished */
		*nl = '\0';
		j = json_loads(text->data + off, 0, &je);
		rc = j ? apply_line(inv, j) : SL_EINVAL;
		json_decref(j);
		if (rc == SL_ENOMEM)
			return sl_error_set(err, SL_ENOMEM, "%s: out of memory", inv->journal);
		if (rc < 0)
			return sl_error_set(err, SL_EINVAL, "%s:%zu: not a journal line%s%s",
			        inv->journal, line, j ? "" : ": ", j ? "" : je.text);
		inv->journal_lines++;
		off = (size_t)(nl - text->data) + 1;
	}
	return 0;
}

struct sl_inventory *sl_inventory_load(const char *dir, const char *set, struct sl_error *err)
{
	struct sl_inventory *inv = calloc(1, sizeof(*inv));
	struct sl_buf text = SL_BUF_INIT, b = SL_BUF_INIT;
	struct sl_error e2 = SL_ERROR_INIT;
	int rc;

	if (inv == NULL)
		goto oom;
	inv->lock_fd = -1;
	sl_strmap_init(&inv->owned);
	sl_strmap_init(&inv->by_exporter);
	sl_strmap_init(&inv->scopes);
	sl_strmap_init(&inv->objects);
	sl_strmap_init(&inv->dirty);
	if ((inv->set = strdup(set ? set : "default")) == NULL)
		goto oom;
	if (dir == NULL)
		return inv;
	if (!sl_inventory_set_name_ok(inv->set)) {
		sl_error_set(err, SL_EINVAL,
		        "--set \"%s\": must be 1-63 letters, digits, '-', '_' or '.'", inv->set);
		goto fail;
	}
	if (sl_buf_addf(&b, "%s/%s", dir, inv->set) < 0 || !(inv->dir = sl_buf_detach(&b)) ||
	        sl_buf_addf(&b, "%s/inventory.json", inv->dir) < 0 ||
	        !(inv->path = sl_buf_detach(&b)) ||
	        sl_buf_addf(&b, "%s/journal.jsonl", inv->dir) < 0 ||
	        !(inv->journal = sl_buf_detach(&b)))
		goto oom;
	rc = sl_file_read(inv->path, INV_MAX_BYTES, &text, &e2);
	if (rc < 0 && rc != SL_ENOENT) {
		sl_error_set(err, e2.code, "%s", e2.msg);
		goto fail;
	}
	if (rc == 0 && parse_snapshot(inv, text.data, err) < 0)
		goto fail;
	inv->snap_bytes = rc == 0 ? text.len : 0;
	sl_buf_reset(&text);
	rc = sl_file_read(inv->journal, INV_MAX_BYTES, &text, &e2);
	if (rc < 0 && rc != SL_ENOENT) {
		sl_error_set(err, e2.code, "%s", e2.msg);
		goto fail;
	}
	if (rc == 0 && replay(inv, &text, err) < 0)
		goto fail;
	inv->journal_bytes = rc == 0 ? text.len : 0;
	/* What was read is on disk already. */
	sl_strmap_release(&inv->dirty, NULL);
	sl_strmap_init(&inv->dirty);
	sl_buf_release(&text);
	return inv;
oom:
	sl_error_set(err, SL_ENOMEM, "inventory: out of memory");
fail:
	sl_buf_release(&text);
	sl_buf_release(&b);
	sl_inventory_free(inv);
	return NULL;
}

bool sl_inventory_other_set(
        const char *state_dir, const char *set, char type, const char *id, char *out, size_t len)
{
	DIR *d = state_dir ? opendir(state_dir) : NULL;
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d)) != NULL) {
		struct sl_inventory *o;

		if (!sl_inventory_set_name_ok(de->d_name) || (set && !strcmp(de->d_name, set)))
			continue;
		/* Read only, without its lock: the snapshot is replaced atomically and a torn
		 * journal tail is skipped, so a set being written is read as of its last line. */
		if ((o = sl_inventory_load(state_dir, de->d_name, NULL)) == NULL)
			continue;
		if (type == 'o')
			found = sl_strmap_get(&o->owned, id, NULL) != NULL;
		else {
			const struct sl_inv_scope *sc = sl_strmap_get(&o->scopes, id, NULL);

			found = sc && sc->needed_by.len > 0;
		}
		if (found)
			snprintf(out, len, "%s", de->d_name);
		sl_inventory_free(o);
	}
	if (d)
		closedir(d);
	return found;
}

/* ---- the lock ------------------------------------------------------------------------ */

int sl_inventory_lock(struct sl_inventory *inv, const char *holder, struct sl_error *err)
{
	char path[PATH_MAX], who[256], when[32];
	struct sl_buf b = SL_BUF_INIT;
	time_t now = time(NULL);
	struct tm tm;
	ssize_t n;
	int fd, rc;

	if (inv->dir == NULL || inv->lock_fd >= 0)
		return 0;
	if ((rc = sl_mkdir_p(inv->dir, 0700, err)) < 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/lock", inv->dir) >= (int)sizeof(path))
		return sl_error_set(err, SL_EINVAL, "state dir path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return sl_error_set(err, SL_EIO, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, who, sizeof(who) - 1, 0);
		who[n > 0 ? n : 0] = '\0';
		who[strcspn(who, "\n")] = '\0';
		close(fd);
		if (e != EWOULDBLOCK)
			return sl_error_set(err, SL_EIO, "%s: %s", path, strerror(e));
		return sl_error_set(err, SL_ESTATE,
		        "the state of set \"%s\" is in use by %s; only one process writes a set's "
		        "state at a time (lock %s)",
		        inv->set, who[0] ? who : "another process", path);
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sl_buf_addf(&b, "%s (pid %ld, since %s)\n", holder ? holder : "schemalink", (long)getpid(),
	        when);
	if (b.data == NULL || ftruncate(fd, 0) < 0 || sl_write_all(fd, b.data, b.len) < 0) {
		rc = sl_error_set(err, SL_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		sl_buf_release(&b);
		return rc;
	}
	sl_buf_release(&b);
	inv->lock_fd = fd;
	return 0;
}

/* ---- writing ------------------------------------------------------------------------- */

int sl_inventory_save(struct sl_inventory *inv, struct sl_error *err)
{
	struct sl_file_writer fw = SL_FILE_WRITER_INIT;
	struct sl_object_status st;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_jsonw w;
	size_t i;
	int rc = 0, fd;

	if (inv->path == NULL)
		return 0;
	if ((rc = sl_mkdir_p(inv->dir, 0700, err)) < 0)
		goto out;
	if ((rc = sl_file_writer_open(&fw, inv->path, 0600, err)) < 0)
		goto out;
	/* One record's JSON at a time, members sorted: no copy of the file in memory. */
	sl_jsonw_init(&w, JSON_COMPACT | JSON_SORT_KEYS, sl_jsonw_to_file, &fw);
	sl_jsonw_open(&w, NULL, '{');
	sl_jsonw_add(&w, "apiVersion", json_string("schemalink.io/v1alpha1"));
	sl_jsonw_add(&w, "kind", json_string("Inventory"));
	sl_jsonw_open(&w, "objects", '{');
	if (sl_strmap_keys(&inv->objects, &keys) < 0)
		goto oom;
	sl_vec_sort(&keys, cmp_cstr);
	for (i = 0; i < keys.len; i++)
		sl_jsonw_add(&w, keys.items[i],
		        object_to_json(sl_inventory_object(inv, keys.items[i]), &st));
	sl_jsonw_close(&w);
	sl_vec_release(&keys, NULL);
	sl_jsonw_open(&w, "owned", '{');
	if (sl_strmap_keys(&inv->owned, &keys) < 0)
		goto oom;
	sl_vec_sort(&keys, cmp_cstr);
	for (i = 0; i < keys.len; i++)
		sl_jsonw_add(&w, keys.items[i],
		        owned_to_json(sl_strmap_get(&inv->owned, keys.items[i], NULL)));
	sl_jsonw_close(&w);
	sl_vec_release(&keys, NULL);
	sl_jsonw_open(&w, "scopes", '{');
	if (sl_strmap_keys(&inv->scopes, &keys) < 0)
		goto oom;
	sl_vec_sort(&keys, cmp_cstr);
	for (i = 0; i < keys.len; i++)
		sl_jsonw_add(&w, keys.items[i],
		        scope_to_json(sl_strmap_get(&inv->scopes, keys.items[i], NULL), true));
	sl_jsonw_close(&w);
	sl_jsonw_add(&w, "seq", json_integer((json_int_t)inv->seq));
	sl_jsonw_add(&w, "set", json_string(inv->set));
	sl_jsonw_add(&w, "version", json_integer(2));
	sl_jsonw_close(&w);
	/* A failure of the file itself is the writer's to report; anything else is jansson's. */
	if (sl_jsonw_finish(&w) < 0 && fw.rc == 0) {
		sl_file_writer_abort(&fw);
		goto oom;
	}
	if ((rc = sl_file_writer_commit(&fw, err)) < 0)
		goto out;
	/* The snapshot holds every change up to seq: the journal's lines are all older now
	 * (a crash before this truncate only leaves lines that load skips). */
	fd = open(inv->journal, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		rc = sl_error_set(err, SL_EIO, "%s: %s", inv->journal, strerror(errno));
		goto out;
	}
	if (fd >= 0)
		close(fd);
	inv->journal_lines = inv->journal_bytes = 0;
	{
		struct stat sb;

		inv->snap_bytes = stat(inv->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	}
	inv->lost = false;
	sl_strmap_release(&inv->dirty, NULL);
	sl_strmap_init(&inv->dirty);
	goto out;
oom:
	sl_file_writer_abort(&fw);
	rc = sl_error_set(err, SL_ENOMEM, "inventory: out of memory");
out:
	sl_vec_release(&keys, NULL);
	return rc;
}

/* One journal line for the dirty entry "t:id": its record now, or a removal. NULL when out
 * of memory (a record that could not be built is never written as a removal). */
static json_t *journal_line(struct sl_inventory *inv, const char *entry, uint64_t seq)
{
	const char *id = entry + 2;
	struct sl_object_status st;
	json_t *v = NULL;
	bool there = false;

	switch (entry[0]) {
	case 'o': {
		struct sl_inv_owned *o = sl_strmap_get(&inv->owned, id, NULL);

		there = o != NULL;
		v = o ? owned_to_json(o) : NULL;
		break;
	}
	case 's': {
		struct sl_inv_scope *s = sl_strmap_get(&inv->scopes, id, NULL);

		there = s != NULL;
		v = s ? scope_to_json(s, false) : NULL;
		break;
	}
	case 'n': {
		const char *sep = strchr(id, '\x1f');
		char *sid = sep ? strndup(id, (size_t)(sep - id)) : NULL;
		struct sl_inv_scope *s = sid ? sl_strmap_get(&inv->scopes, sid, NULL) : NULL;

		if (sep != NULL && sid == NULL)
			return NULL;
		free(sid);
		there = s && sl_inv_scope_needed_by(s, sep + 1);
		v = there ? json_object() : NULL;
		break;
	}
	default: {
		struct sl_inv_object *o = sl_strmap_get(&inv->objects, id, NULL);

		there = o != NULL;
		v = o ? object_to_json(o, &st) : NULL;
	}
	}
	if (there && v == NULL)
		return NULL;
	return json_pack("{s:I,s:s,s:s%,s:s,s:o*}", "seq", (json_int_t)seq, "op", v ? "put" : "del",
	        "type", entry, (size_t)1, "id", id, "v", v);
}

/* Journal order: records first, then needers ("n"), so a scope exists before its needers. */
static int cmp_entry(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	if ((x[0] == 'n') != (y[0] == 'n'))
		return x[0] == 'n' ? 1 : -1;
	return strcmp(x, y);
}

int sl_inventory_flush(struct sl_inventory *inv, bool sync, struct sl_error *err)
{
	struct sl_vec entries = SL_VEC_INIT;
	struct sl_buf b = SL_BUF_INIT;
	size_t i, records;
	int fd = -1, rc = 0;

	if (inv->dir == NULL || (inv->dirty.len == 0 && !inv->lost))
		return 0;
	records = inv->owned.len + inv->scopes.len + inv->objects.len;
	if (inv->lost || (inv->journal_lines + inv->dirty.len > JOURNAL_MIN_FOLD &&
	                         inv->journal_lines + inv->dirty.len > 2 * records)) {
		inv->seq++;
		return sl_inventory_save(inv, err);
	}
	if (sl_strmap_keys(&inv->dirty, &entries) < 0)
		goto oom;
	sl_vec_sort(&entries, cmp_entry);
	for (i = 0; i < entries.len; i++) {
		json_t *j = journal_line(inv, entries.items[i], inv->seq + 1 + i);
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		json_decref(j);
		if (s == NULL || sl_buf_adds(&b, s) < 0 || sl_buf_adds(&b, "\n") < 0) {
			free(s);
			goto oom;
		}
		free(s);
	}
	if ((rc = sl_mkdir_p(inv->dir, 0700, err)) < 0)
		goto out;
	fd = open(inv->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || sl_write_all(fd, b.data, b.len) < 0 || (sync && fdatasync(fd) < 0)) {
		rc = sl_error_set(err, SL_EIO, "%s: %s", inv->journal, strerror(errno));
		goto out;
	}
	inv->seq += entries.len;
	inv->journal_lines += entries.len;
	inv->journal_bytes += b.len;
	sl_strmap_release(&inv->dirty, NULL);
	sl_strmap_init(&inv->dirty);
	goto out;
oom:
	rc = sl_error_set(err, SL_ENOMEM, "inventory: out of memory");
out:
	if (fd >= 0)
		close(fd);
	sl_vec_release(&entries, NULL);
	sl_buf_release(&b);
	return rc;
}

int sl_inventory_checkpoint(struct sl_inventory *inv, struct sl_error *err)
{
	int rc = sl_inventory_flush(inv, false, err);

	if (rc < 0 || inv->dir == NULL || inv->journal_lines == 0 ||
	        (inv->journal_lines <= inv->owned.len + inv->scopes.len + inv->objects.len &&
	                inv->journal_bytes * 4 < inv->snap_bytes))
		return rc;
	inv->seq++;
	return sl_inventory_save(inv, err);
}
