/* statusboard.c — object statuses for /status and the state dir. */
#include "schemalink/statusboard.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemalink/clock.h"
#include "schemalink/fileio.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/objects.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#define STATUS_FILE_MAX (64 * 1024 * 1024)

struct sl_statusboard {
	pthread_mutex_t lock;
	struct sl_strmap map; /* key -> struct sl_status_packed * (owned) */
	bool dirty;
};

struct sl_statusboard *sl_statusboard_new(void)
{
	struct sl_statusboard *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	sl_strmap_init(&b->map);
	return b;
}

static void packed_free(void *p)
{
	sl_status_packed_free(p);
}

void sl_statusboard_free(struct sl_statusboard *b)
{
	if (b == NULL)
		return;
	sl_strmap_release(&b->map, packed_free);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

bool sl_status_key_split(const char *key, size_t *kind_len, const char **name)
{
	const char *slash = strchr(key, '/');

	if (slash == NULL || slash == key || slash[1] == '\0')
		return false;
	*kind_len = (size_t)(slash - key);
	*name = slash + 1;
	return true;
}

static bool cond_same(const struct sl_condition *a, const struct sl_condition *b)
{
	return a->status == b->status && a->error_code == b->error_code &&
	       strcmp(a->reason, b->reason) == 0 && strcmp(a->message, b->message) == 0 &&
	       strcmp(a->observed_generation, b->observed_generation) == 0;
}

static bool has_record(const struct sl_object_status *st, const struct sl_heal_record *r)
{
	int i;

	for (i = 0; i < st->n_history; i++)
		if (st->history[i].at_ms == r->at_ms &&
		        strcmp(st->history[i].reason, r->reason) == 0 &&
		        strcmp(st->history[i].action, r->action) == 0)
			return true;
	return false;
}

/* Packs st and stores it under its key (lock held). Returns 0 or SL_ENOMEM. */
static int store(struct sl_statusboard *b, const struct sl_object_status *st)
{
	struct sl_status_packed *p = sl_status_pack(st), *old = NULL;
	int rc = p ? sl_strmap_set(&b->map, st->key, p, (void **)&old) : SL_ENOMEM;

	if (rc < 0)
		sl_status_packed_free(p);
	sl_status_packed_free(old);
	return rc;
}

int sl_statusboard_update(
        struct sl_statusboard *b, const struct sl_object_status *st, struct sl_status_change *chg)
{
	struct sl_status_change local;
	/* Working copies on the stack; the board keeps only packed ones. */
	struct sl_object_status next, cur;
	const struct sl_status_packed *stored;
	int i, rc = 0;

	if (chg == NULL)
		chg = &local;
	memset(chg, 0, sizeof(*chg));
	if (st->key[0] == '\0')
		return SL_EINVAL;
	next = *st;
	next.key[sizeof(next.key) - 1] = '\0';
	pthread_mutex_lock(&b->lock);
	stored = sl_strmap_get(&b->map, next.key, NULL);
	if (stored == NULL) {
		chg->is_new = true;
		chg->changed = true;
		for (i = 0; i < SL_COND_COUNT; i++) {
			if (!sl_condition_present(&next.cond[i]))
				continue;
			if (next.cond[i].last_transition_ms == 0)
				next.cond[i].last_transition_ms = next.updated_ms;
			chg->t[chg->n++] = (struct sl_status_transition){
			        (enum sl_cond_type)i, SL_COND_UNKNOWN, next.cond[i].status, false};
		}
	} else {
		sl_status_unpack(stored, &cur);
		for (i = 0; i < SL_COND_COUNT; i++) {
			struct sl_condition *n = &next.cond[i];
			const struct sl_condition *o = &cur.cond[i];

			/* lastTransitionTime moves only when status does ("Conditions"). */
			if (n->status == o->status && o->last_transition_ms != 0)
				n->last_transition_ms = o->last_transition_ms;
			else if (n->status != o->status &&
			         n->last_transition_ms <= o->last_transition_ms)
				n->last_transition_ms = next.updated_ms;
			if (!cond_same(n, o))
				chg->changed = true;
			if (n->status != o->status || strcmp(n->reason, o->reason) != 0)
				chg->t[chg->n++] =
				        (struct sl_status_transition){(enum sl_cond_type)i,
				                o->status, n->status, n->status == o->status};
		}
		/* Keep the stored history and append what is new. */
		memcpy(next.history, cur.history, sizeof(next.history));
		next.n_history = cur.n_history;
		for (i = 0; i < st->n_history; i++)
			if (!has_record(&next, &st->history[i]))
				sl_status_add_history(&next, st->history[i].at_ms,
				        st->history[i].reason, st->history[i].action);
		if (next.n_history != cur.n_history ||
		        (next.n_history > 0 &&
		                !has_record(&cur, &next.history[next.n_history - 1])))
			chg->changed = true;
		if (strcmp(next.fix, cur.fix) != 0 ||
		        strcmp(next.exporter_state, cur.exporter_state) != 0 ||
		        next.exporter_offset != cur.exporter_offset ||
		        strcmp(next.trace_first_line, cur.trace_first_line) != 0)
			chg->changed = true;
	}
	rc = store(b, &next);
	if (rc < 0)
		chg->changed = false;
	else if (chg->changed)
		b->dirty = true;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int sl_statusboard_seed(struct sl_statusboard *b, const char *key, const char *gen, int64_t now_ms)
{
	struct sl_object_status st;
	int i, rc = 1;

	memset(&st, 0, sizeof(st));
	snprintf(st.key, sizeof(st.key), "%s", key);
	for (i = 0; i < SL_COND_IN_SYNC; i++)
		sl_status_set_condition(&st, (enum sl_cond_type)i, SL_COND_UNKNOWN, "Pending",
		        "not reconciled yet", 0, gen, now_ms);
	st.updated_ms = now_ms;
	pthread_mutex_lock(&b->lock);
	if (sl_strmap_get(&b->map, st.key, NULL) != NULL) {
		rc = 0;
		goto out;
	}
	if (store(b, &st) < 0) {
		rc = SL_ENOMEM;
		goto out;
	}
	b->dirty = true;
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

bool sl_statusboard_remove(struct sl_statusboard *b, const char *key)
{
	bool found;

	pthread_mutex_lock(&b->lock);
	sl_status_packed_free(sl_strmap_del(&b->map, key, &found));
	if (found)
		b->dirty = true;
	pthread_mutex_unlock(&b->lock);
	return found;
}

int sl_statusboard_get(struct sl_statusboard *b, const char *key, struct sl_object_status *out)
{
	const struct sl_status_packed *st;
	int rc = SL_ENOENT;

	pthread_mutex_lock(&b->lock);
	st = sl_strmap_get(&b->map, key, NULL);
	if (st != NULL) {
		sl_status_unpack(st, out);
		rc = 0;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int sl_statusboard_keys(struct sl_statusboard *b, struct sl_vec *out)
{
	struct sl_vec keys = SL_VEC_INIT;
	size_t i;
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = sl_strmap_keys(&b->map, &keys);
	for (i = 0; i < keys.len && rc == 0; i++) {
		char *k = strdup(keys.items[i]);

		if (k == NULL || sl_vec_push(out, k) < 0) {
			free(k);
			rc = SL_ENOMEM;
		}
	}
	pthread_mutex_unlock(&b->lock);
	sl_vec_release(&keys, NULL);
	return rc;
}

size_t sl_statusboard_len(struct sl_statusboard *b)
{
	size_t n;

	pthread_mutex_lock(&b->lock);
	n = b->map.len;
	pthread_mutex_unlock(&b->lock);
	return n;
}

bool sl_statusboard_dirty(struct sl_statusboard *b)
{
	bool d;

	pthread_mutex_lock(&b->lock);
	d = b->dirty;
	pthread_mutex_unlock(&b->lock);
	return d;
}

/* A redacted copy of s as a JSON string (secrets never leave through /status). */
static json_t *jstr(const char *s)
{
	struct sl_buf b = SL_BUF_INIT;
	json_t *j;

	if (sl_redact(s, &b) < 0) {
		sl_buf_release(&b);
		return json_string("[redacted]");
	}
	j = json_stringn(b.data, b.len); /* checked: NULL on invalid UTF-8 */
	/* jansson refuses invalid UTF-8: fall back to an ASCII-only quote of the redacted text
	 * (never of s itself, which may hold a secret). */
	if (j == NULL) {
		char q[256];

		sl_quote(b.data, q, sizeof(q));
		j = json_string(q);
	}
	sl_buf_release(&b);
	return j;
}

static json_t *jtime(int64_t ms)
{
	char t[40];

	if (ms <= 0)
		return json_null();
	return json_string(sl_clock_format_rfc3339(ms, t, sizeof(t)));
}

static json_t *status_json(const struct sl_object_status *st)
{
	json_t *o = json_object(), *conds = json_array(), *hist = json_array();
	const char *name = st->key;
	size_t kind_len = 0;
	char kind[64] = "";
	int i;

	if (sl_status_key_split(st->key, &kind_len, &name) && kind_len < sizeof(kind))
		memcpy(kind, st->key, kind_len), kind[kind_len] = '\0';
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "name", jstr(name));
	for (i = 0; i < SL_COND_COUNT; i++) {
		const struct sl_condition *c = &st->cond[i];
		json_t *jc;

		if (!sl_condition_present(c))
			continue;
		jc = json_object();

		json_object_set_new(
		        jc, "type", json_string(sl_cond_type_name((enum sl_cond_type)i)));
		json_object_set_new(jc, "status", json_string(sl_cond_status_name(c->status)));
		json_object_set_new(jc, "reason", jstr(c->reason));
		json_object_set_new(jc, "message", jstr(c->message));
		json_object_set_new(
		        jc, "errorCode", c->error_code ? json_integer(c->error_code) : json_null());
		json_object_set_new(jc, "observedGeneration", jstr(c->observed_generation));
		json_object_set_new(jc, "lastTransitionTime", jtime(c->last_transition_ms));
		json_array_append_new(conds, jc);
	}
	json_object_set_new(o, "conditions", conds);
	if (st->fix[0] != '\0')
		json_object_set_new(o, "fix", jstr(st->fix));
	if (st->exporter_state[0] != '\0') {
		json_t *e = json_object();

		json_object_set_new(e, "state", jstr(st->exporter_state));
		json_object_set_new(e, "offset", json_integer(st->exporter_offset));
		json_object_set_new(e, "timestamp", json_integer(st->exporter_ts));
		json_object_set_new(e, "trace", jstr(st->trace_first_line));
		json_object_set_new(o, "exporter", e);
	}
	for (i = 0; i < st->n_history && i < SL_HEAL_HISTORY; i++) {
		json_t *h = json_object();

		json_object_set_new(h, "time", jtime(st->history[i].at_ms));
		json_object_set_new(h, "reason", jstr(st->history[i].reason));
		json_object_set_new(h, "action", jstr(st->history[i].action));
		json_array_append_new(hist, h);
	}
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "updatedTime", jtime(st->updated_ms));
	return o;
}

/* The whole board as {"objects":[...]} in key order, written through w one object at a time:
 * each entry is unpacked under the lock and turned into JSON after it, so neither a tree of
 * every object nor the lock is held while the document is written. An entry removed while
 * writing is left out. Returns 0 or a negative code. */
static int board_write(struct sl_statusboard *b, struct sl_jsonw *w)
{
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_object_status st;
	size_t i;
	int rc;

	rc = sl_statusboard_keys(b, &keys);
	sl_jsonw_open(w, NULL, '{');
	sl_jsonw_open(w, "objects", '[');
	for (i = 0; rc == 0 && i < keys.len; i++)
		if (sl_statusboard_get(b, keys.items[i], &st) == 0)
			sl_jsonw_add(w, NULL, status_json(&st));
	sl_jsonw_close(w);
	sl_jsonw_close(w);
	sl_vec_release(&keys, free);
	return rc < 0 ? rc : sl_jsonw_finish(w);
}

static int dump(json_t *j, size_t flags, struct sl_buf *out)
{
	char *s;
	int rc;

	if (j == NULL)
		return SL_ENOMEM;
	s = json_dumps(j, flags);
	if (s == NULL)
		return SL_ENOMEM;
	rc = sl_buf_adds(out, s);
	if (rc == 0)
		rc = sl_buf_addch(out, '\n');
	free(s);
	return rc;
}

int sl_statusboard_json(struct sl_statusboard *b, const char *key, struct sl_buf *out)
{
	struct sl_object_status st;
	struct sl_jsonw w;
	size_t len = out->len;
	json_t *j;
	int rc;

	if (key == NULL) {
		sl_jsonw_init(&w, JSON_INDENT(2) | JSON_PRESERVE_ORDER, sl_jsonw_to_buf, out);
		rc = board_write(b, &w);
		if (rc == 0)
			rc = sl_buf_addch(out, '\n');
		if (rc < 0)
			sl_buf_truncate(out, len);
		return rc;
	}
	if (sl_statusboard_get(b, key, &st) < 0)
		return SL_ENOENT;
	j = status_json(&st);
	rc = dump(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER, out);
	json_decref(j);
	return rc;
}

int sl_statusboard_save(struct sl_statusboard *b, const char *path, struct sl_error *err)
{
	struct sl_file_writer fw = SL_FILE_WRITER_INIT;
	struct sl_jsonw w;
	int rc;

	pthread_mutex_lock(&b->lock);
	if (!b->dirty) {
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	/* Cleared before reading: an update racing with the write marks it dirty again. */
	b->dirty = false;
	pthread_mutex_unlock(&b->lock);
	rc = sl_file_writer_open(&fw, path, 0600, err);
	if (rc == 0) {
		/* Streamed into the temporary file: memory for one object's JSON at a time. */
		sl_jsonw_init(&w, JSON_INDENT(2) | JSON_PRESERVE_ORDER, sl_jsonw_to_file, &fw);
		rc = board_write(b, &w);
		if (rc == 0)
			rc = sl_file_writer_add(&fw, "\n", 1);
		/* A failure of the file itself is the writer's to report. */
		if (rc < 0 && fw.rc == 0) {
			sl_file_writer_abort(&fw);
			sl_error_set(err, rc, "status: out of memory");
		} else {
			rc = sl_file_writer_commit(&fw, err);
		}
	}
	if (rc < 0) {
		pthread_mutex_lock(&b->lock);
		b->dirty = true;
		pthread_mutex_unlock(&b->lock);
		return rc;
	}
	return 1;
}

/* "2026-11-28T21:35:16.123Z" -> wall ms; 0 when it does not parse. */
static int64_t parse_time(const json_t *j)
{
	const char *s = json_string_value(j);
	struct tm tm;
	int ms = 0;
	char tail[8] = "";

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%7s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, tail) < 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void copy_str(char *dst, size_t len, const json_t *j)
{
	const char *s = json_string_value(j);

	snprintf(dst, len, "%s", s ? s : "");
}

static int load_entry(struct sl_statusboard *b, const json_t *o)
{
	struct sl_object_status stv, *st = &stv;
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *name = json_string_value(json_object_get(o, "name"));
	const json_t *conds = json_object_get(o, "conditions"), *c, *h, *e;
	size_t i;
	int t, rc;

	if (kind == NULL || name == NULL || !json_is_array(conds))
		return SL_EPROTO;
	memset(st, 0, sizeof(*st));
	snprintf(st->key, sizeof(st->key), "%s/%s", kind, name);
	json_array_foreach(conds, i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c, "status"));

		for (t = 0; t < SL_COND_COUNT; t++) {
			struct sl_condition *d = &st->cond[t];

			if (type == NULL ||
			        strcmp(type, sl_cond_type_name((enum sl_cond_type)t)) != 0)
				continue;
			d->status = status && strcmp(status, "True") == 0    ? SL_COND_TRUE
			            : status && strcmp(status, "False") == 0 ? SL_COND_FALSE
			                                                     : SL_COND_UNKNOWN;
			copy_str(d->reason, sizeof(d->reason), json_object_get(c, "reason"));
			copy_str(d->message, sizeof(d->message), json_object_get(c, "message"));
			d->error_code = (int)json_integer_value(json_object_get(c, "errorCode"));
			copy_str(d->observed_generation, sizeof(d->observed_generation),
			        json_object_get(c, "observedGeneration"));
			d->last_transition_ms =
			        parse_time(json_object_get(c, "lastTransitionTime"));
		}
	}
	copy_str(st->fix, sizeof(st->fix), json_object_get(o, "fix"));
	e = json_object_get(o, "exporter");
	if (json_is_object(e)) {
		copy_str(st->exporter_state, sizeof(st->exporter_state),
		        json_object_get(e, "state"));
		st->exporter_offset = json_integer_value(json_object_get(e, "offset"));
		st->exporter_ts = json_integer_value(json_object_get(e, "timestamp"));
		copy_str(st->trace_first_line, sizeof(st->trace_first_line),
		        json_object_get(e, "trace"));
	}
	json_array_foreach(json_object_get(o, "history"), i, h)
	{
		char reason[64], action[256];

		copy_str(reason, sizeof(reason), json_object_get(h, "reason"));
		copy_str(action, sizeof(action), json_object_get(h, "action"));
		sl_status_add_history(st, parse_time(json_object_get(h, "time")), reason, action);
	}
	st->updated_ms = parse_time(json_object_get(o, "updatedTime"));
	pthread_mutex_lock(&b->lock);
	rc = store(b, st);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int sl_statusboard_load(struct sl_statusboard *b, const char *path, struct sl_error *err)
{
	struct sl_buf text = SL_BUF_INIT;
	json_error_t jerr;
	json_t *root = NULL, *o;
	size_t i;
	int rc, n = 0;

	rc = sl_file_read(path, STATUS_FILE_MAX, &text, err);
	if (rc == SL_ENOENT) {
		sl_error_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	root = json_loadb(text.data, text.len, 0, &jerr);
	if (root == NULL || !json_is_array(json_object_get(root, "objects"))) {
		rc = sl_error_set(err, SL_EPROTO, "\"%s\": not a status file", path);
		goto out;
	}
	json_array_foreach(json_object_get(root, "objects"), i, o)
	{
		rc = load_entry(b, o);
		if (rc == SL_ENOMEM) {
			sl_error_set(err, rc, "out of memory");
			goto out;
		}
		if (rc == 0)
			n++;
	}
	rc = n;
out:
	json_decref(root);
	sl_buf_release(&text);
	return rc;
}
