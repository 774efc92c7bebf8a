/* inventory.c — what a manifest set owns, as one JSON file written atomically. */
#include "schemalink/inventory.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"
#include "schemalink/jsonw.h"

#define INV_MAX_BYTES (64u * 1024 * 1024)

int sl_inv_set_str(char **field, const char *value)
{
	char *c = NULL;

	if (value != NULL && (c = strdup(value)) == NULL)
		return SL_ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

static void inv_object_free(void *p)
{
	struct sl_inv_object *o = p;

	if (o == NULL)
		return;
	free(o->key);
	free(o->registry);
	free(o->url);
	free(o->exporter);
	sl_strmap_release(&o->secret_hashes, free);
	sl_status_packed_free(o->status);
	free(o->attempts);
	free(o);
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

void sl_inv_scope_free(struct sl_inv_scope *s)
{
	if (s == NULL)
		return;
	free(s->registry);
	free(s->url);
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

void sl_inventory_free(struct sl_inventory *inv)
{
	if (inv == NULL)
		return;
	free(inv->path);
	free(inv->set);
	sl_strmap_release(&inv->objects, inv_object_free);
	sl_vec_release(&inv->scopes, scope_free_v);
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
	return o;
}

void sl_inventory_object_remove(struct sl_inventory *inv, const char *key)
{
	inv_object_free(sl_strmap_del(&inv->objects, key, NULL));
}

struct sl_inv_scope *sl_inventory_scope(
        const struct sl_inventory *inv, const char *registry, const char *what, const char *scope)
{
	size_t i;

	for (i = 0; i < inv->scopes.len; i++) {
		struct sl_inv_scope *s = inv->scopes.items[i];

		if (!strcmp(s->registry, registry) && !strcmp(s->what, what) &&
		        !strcmp(s->scope, scope))
			return s;
	}
	return NULL;
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

int sl_inventory_scope_need(struct sl_inventory *inv, const char *registry, const char *url,
        const char *what, const char *scope, bool had_previous, const char *previous,
        const char *value, const char *key)
{
	struct sl_inv_scope *s = sl_inventory_scope(inv, registry, what, scope);

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return SL_ENOMEM;
		sl_vec_init(&s->needed_by);
		if (sl_inv_set_str(&s->registry, registry) < 0 ||
		        sl_inv_set_str(&s->url, url) < 0 || sl_inv_set_str(&s->what, what) < 0 ||
		        sl_inv_set_str(&s->scope, scope) < 0 ||
		        sl_inv_set_str(&s->previous, had_previous ? previous : NULL) < 0 ||
		        sl_vec_push(&inv->scopes, s) < 0) {
			sl_inv_scope_free(s);
			return SL_ENOMEM;
		}
		s->had_previous = had_previous;
	}
	if (sl_inv_set_str(&s->value, value) < 0)
		return SL_ENOMEM;
	if (url != NULL && sl_inv_set_str(&s->url, url) < 0)
		return SL_ENOMEM;
	if (!sl_inv_scope_needed_by(s, key))
		return push_dup(&s->needed_by, key);
	return 0;
}

int sl_inventory_scope_release(struct sl_inventory *inv, const char *key, struct sl_vec *released)
{
	size_t i = 0, j;

	while (i < inv->scopes.len) {
		struct sl_inv_scope *s = inv->scopes.items[i];
		bool found = false;

		for (j = 0; j < s->needed_by.len; j++) {
			if (strcmp(s->needed_by.items[j], key) == 0) {
				free(sl_vec_remove(&s->needed_by, j));
				found = true;
				break;
			}
		}
		if (found && s->needed_by.len == 0) {
			sl_vec_remove(&inv->scopes, i);
			if (sl_vec_push(released, s) < 0) {
				sl_inv_scope_free(s);
				return SL_ENOMEM;
			}
			continue;
		}
		i++;
	}
	return 0;
}

void sl_inventory_scope_forget(
        struct sl_inventory *inv, const char *registry, const char *what, const char *scope)
{
	size_t i;

	for (i = 0; i < inv->scopes.len; i++) {
		struct sl_inv_scope *s = inv->scopes.items[i];

		if (!strcmp(s->registry, registry) && !strcmp(s->what, what) &&
		        !strcmp(s->scope, scope)) {
			sl_inv_scope_free(sl_vec_remove(&inv->scopes, i));
			return;
		}
	}
}

/* ---- JSON ---------------------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int status_from_json(json_t *j, struct sl_object_status *st)
{
	json_t *conds = json_object_get(j, "conditions"), *hist = json_object_get(j, "history");
	size_t i;

	memset(st, 0, sizeof(*st));
	copy_str(st->key, sizeof(st->key), jstr(j, "key"));
	copy_str(st->fix, sizeof(st->fix), jstr(j, "fix"));
	copy_str(st->exporter_state, sizeof(st->exporter_state), jstr(j, "exporterState"));
	copy_str(st->trace_first_line, sizeof(st->trace_first_line), jstr(j, "trace"));
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
		copy_str(d->reason, sizeof(d->reason), jstr(c, "reason"));
		copy_str(d->message, sizeof(d->message), jstr(c, "message"));
		copy_str(d->observed_generation, sizeof(d->observed_generation),
		        jstr(c, "observedGeneration"));
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

static json_t *status_to_json(const struct sl_object_status *st)
{
	json_t *j = json_object(), *conds = json_array(), *hist = json_array();
	int i;

	for (i = 0; i < SL_COND_COUNT; i++) {
		const struct sl_condition *c = &st->cond[i];

		json_array_append_new(conds,
		        json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:I}", "type", sl_cond_type_name(i),
		                "status", sl_cond_status_name(c->status), "reason", c->reason,
		                "message", c->message, "errorCode", c->error_code,
		                "observedGeneration", c->observed_generation, "lastTransitionTime",
		                (json_int_t)c->last_transition_ms));
	}
	for (i = 0; i < st->n_history; i++)
		json_array_append_new(hist,
		        json_pack("{s:I,s:s,s:s}", "at", (json_int_t)st->history[i].at_ms, "reason",
		                st->history[i].reason, "action", st->history[i].action));
	json_object_set_new(j, "key", json_string(st->key));
	json_object_set_new(j, "conditions", conds);
	json_object_set_new(j, "history", hist);
	json_object_set_new(j, "fix", json_string(st->fix));
	json_object_set_new(j, "exporterState", json_string(st->exporter_state));
	json_object_set_new(j, "offset", json_integer(st->exporter_offset));
	json_object_set_new(j, "ts", json_integer(st->exporter_ts));
	json_object_set_new(j, "trace", json_string(st->trace_first_line));
	json_object_set_new(j, "updated", json_integer(st->updated_ms));
	return j;
}

static int parse(struct sl_inventory *inv, const char *text, struct sl_error *err)
{
	struct sl_object_status st;
	json_error_t je;
	json_t *root = json_loads(text, 0, &je), *objs, *scopes, *v;
	const char *k;
	size_t i;
	int rc = 0;

	if (!json_is_object(root)) {
		rc = sl_error_set(err, SL_EINVAL, "%s: not an inventory: %s", inv->path,
		        root ? "not a JSON object" : je.text);
		goto out;
	}
	objs = json_object_get(root, "objects");
	json_object_foreach(objs, k, v)
	{
		struct sl_inv_object *o = sl_inventory_object_ensure(inv, k);
		json_t *h = json_object_get(v, "secretHashes"),
		       *a = json_object_get(v, "healAttempts");
		const char *hk;
		json_t *hv;

		if (o == NULL || sl_inv_set_str(&o->registry, jstr(v, "registry")) < 0 ||
		        sl_inv_set_str(&o->url, jstr(v, "url")) < 0 ||
		        sl_inv_set_str(&o->exporter, jstr(v, "exporter")) < 0)
			goto oom;
		json_object_foreach(h, hk, hv)
		{
			char *c;

			if (!json_is_string(hv))
				continue;
			if ((c = strdup(json_string_value(hv))) == NULL ||
			        sl_strmap_set(&o->secret_hashes, hk, c, NULL) < 0) {
				free(c);
				goto oom;
			}
		}
		for (i = 0; json_is_array(a) && i < json_array_size(a) && i < SL_INV_MAX_ATTEMPTS;
		        i++)
			if (sl_inv_object_add_attempt(o, json_integer_value(json_array_get(a, i))) <
			        0)
				goto oom;
		if (json_is_object(json_object_get(v, "status"))) {
			status_from_json(json_object_get(v, "status"), &st);
			if (sl_inv_object_set_status(o, &st) < 0)
				goto oom;
		}
	}
	scopes = json_object_get(root, "scopes");
	for (i = 0; json_is_array(scopes) && i < json_array_size(scopes); i++) {
		json_t *s = json_array_get(scopes, i), *nb = json_object_get(s, "neededBy");
		const char *reg = jstr(s, "registry"), *what = jstr(s, "what"),
		           *scope = jstr(s, "scope"), *prev = jstr(s, "previous");
		size_t j;

		if (!reg || !what || !scope)
			continue;
		for (j = 0; json_is_array(nb) && j < json_array_size(nb); j++) {
			const char *key = json_string_value(json_array_get(nb, j));

			if (key && sl_inventory_scope_need(inv, reg, jstr(s, "url"), what, scope,
			                   prev != NULL, prev, jstr(s, "value"), key) < 0)
				goto oom;
		}
	}
	goto out;
oom:
	rc = sl_error_set(err, SL_ENOMEM, "%s: out of memory", inv->path);
out:
	json_decref(root);
	return rc;
}

struct sl_inventory *sl_inventory_load(const char *dir, const char *set, struct sl_error *err)
{
	struct sl_inventory *inv = calloc(1, sizeof(*inv));
	struct sl_buf text = SL_BUF_INIT, path = SL_BUF_INIT;
	struct sl_error e2 = SL_ERROR_INIT;
	int rc;

	if (inv == NULL)
		goto oom;
	sl_strmap_init(&inv->objects);
	sl_vec_init(&inv->scopes);
	if ((inv->set = strdup(set ? set : "default")) == NULL)
		goto oom;
	if (dir == NULL)
		return inv;
	if (strchr(inv->set, '/') != NULL || !strcmp(inv->set, ".") || !strcmp(inv->set, "..") ||
	        inv->set[0] == '\0') {
		sl_error_set(err, SL_EINVAL, "--set \"%s\": must be a plain name", inv->set);
		goto fail;
	}
	if (sl_buf_addf(&path, "%s/%s/inventory.json", dir, inv->set) < 0)
		goto oom;
	inv->path = sl_buf_detach(&path);
	if (inv->path == NULL)
		goto oom;
	rc = sl_file_read(inv->path, INV_MAX_BYTES, &text, &e2);
	if (rc == SL_ENOENT) {
		sl_buf_release(&text);
		return inv;
	}
	if (rc < 0) {
		sl_error_set(err, e2.code, "%s", e2.msg);
		goto fail;
	}
	if (parse(inv, text.data, err) < 0)
		goto fail;
	sl_buf_release(&text);
	return inv;
oom:
	sl_error_set(err, SL_ENOMEM, "inventory: out of memory");
fail:
	sl_buf_release(&text);
	sl_buf_release(&path);
	sl_inventory_free(inv);
	return NULL;
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

	json_object_set_new(jo, "registry", str_or_null(o->registry));
	json_object_set_new(jo, "url", str_or_null(o->url));
	if (o->exporter)
		json_object_set_new(jo, "exporter", json_string(o->exporter));
	while (sl_strmap_next(&o->secret_hashes, &pos, &hk, &hv))
		json_object_set_new(h, hk, json_string(hv));
	json_object_set_new(jo, "secretHashes", h);
	for (j = 0; j < (size_t)o->n_attempts; j++)
		json_array_append_new(a, json_integer(o->attempts[j]));
	json_object_set_new(jo, "healAttempts", a);
	if (sl_inv_object_get_status(o, st) == 0)
		json_object_set_new(jo, "status", status_to_json(st));
	return jo;
}

static json_t *scope_to_json(const struct sl_inv_scope *s)
{
	json_t *nb = json_array();
	size_t j;

	for (j = 0; j < s->needed_by.len; j++)
		json_array_append_new(nb, json_string(s->needed_by.items[j]));
	return json_pack("{s:s,s:o,s:s,s:s,s:o,s:o,s:o}", "registry", s->registry, "url",
	        str_or_null(s->url), "what", s->what, "scope", s->scope, "previous",
	        str_or_null(s->had_previous ? s->previous : NULL), "value", str_or_null(s->value),
	        "neededBy", nb);
}

int sl_inventory_save(const struct sl_inventory *inv, struct sl_error *err)
{
	struct sl_file_writer fw = SL_FILE_WRITER_INIT;
	struct sl_object_status st;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_jsonw w;
	char *dir = NULL, *slash;
	size_t i;
	int rc = 0;

	if (inv->path == NULL)
		return 0;
	if (sl_strmap_keys(&inv->objects, &keys) < 0)
		goto oom;
	dir = strdup(inv->path);
	if (dir == NULL)
		goto oom;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if ((rc = sl_mkdir_p(dir, 0700, err)) < 0)
		goto out;
	if ((rc = sl_file_writer_open(&fw, inv->path, 0600, err)) < 0)
		goto out;
	/* One object's JSON at a time, members in the order JSON_SORT_KEYS printed the whole
	 * tree this used to build: the same bytes, without a copy of the file in memory. */
	sl_jsonw_init(&w, JSON_INDENT(2) | JSON_SORT_KEYS, sl_jsonw_to_file, &fw);
	sl_jsonw_open(&w, NULL, '{');
	sl_jsonw_add(&w, "apiVersion", json_string("schemalink.io/v1alpha1"));
	sl_jsonw_add(&w, "kind", json_string("Inventory"));
	sl_jsonw_open(&w, "objects", '{');
	for (i = 0; i < keys.len; i++)
		sl_jsonw_add(&w, keys.items[i],
		        object_to_json(sl_inventory_object(inv, keys.items[i]), &st));
	sl_jsonw_close(&w);
	sl_jsonw_open(&w, "scopes", '[');
	for (i = 0; i < inv->scopes.len; i++)
		sl_jsonw_add(&w, NULL, scope_to_json(inv->scopes.items[i]));
	sl_jsonw_close(&w);
	sl_jsonw_add(&w, "set", json_string(inv->set));
	sl_jsonw_close(&w);
	/* A failure of the file itself is the writer's to report; anything else is jansson's. */
	if (sl_jsonw_finish(&w) < 0 && fw.rc == 0) {
		sl_file_writer_abort(&fw);
		goto oom;
	}
	rc = sl_file_writer_commit(&fw, err);
	goto out;
oom:
	rc = sl_error_set(err, SL_ENOMEM, "inventory: out of memory");
out:
	free(dir);
	sl_vec_release(&keys, NULL);
	return rc;
}
