/* statusboard.c — object statuses for /status and the state dir. */
#include "schemalink/statusboard.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "schemalink/clock.h"
#include "schemalink/fileio.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/objects.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#define STATUS_FILE_MAX (64 * 1024 * 1024)
/* Statuses copied out under the lock at a time while the whole board is written (status.json,
 * sl_statusboard_json): the memory of this many packed statuses, a few hundred bytes each. */
#define WRITE_CHUNK 256
/* A key that sorts into the middle of the order is moved into place when at most this many
 * entries follow it (32 KB of pointers); past that the order is made again by the next
 * reader, so a load of 10,000 keys in snapshot order (not key order) costs one sort instead of
 * 10,000 moves of the array. Removals alike. */
#define ORDER_MOVE_MAX 4096
/* How many statuses ahead of the one a page looks at are fetched into the cache. */
#define PREFETCH_AHEAD 8

struct sl_statusboard {
	pthread_mutex_t lock;
	struct sl_strmap map; /* key -> struct sl_status_packed * (owned) */
	/* The same statuses (borrowed from map) in key order while order_ok, so a page of
	 * GET /status starts with a binary search and walks the array, instead of copying and
	 * sorting every key on every request
	 * (docs/internals/operations.md "Status endpoint"). */
	struct sl_status_packed **order;
	size_t norder, order_cap;
	bool order_ok;
	bool dirty;
};

struct sl_statusboard *sl_statusboard_new(void)
{
	struct sl_statusboard *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	sl_strmap_init(&b->map);
	b->order_ok = true;
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
	free(b->order);
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

static const char *key_of(const struct sl_status_packed *p)
{
	return sl_status_packed_key(p);
}

/* Index in order of the first entry whose key is after key (after set) or not before it. */
static size_t order_find(const struct sl_statusboard *b, const char *key, bool after)
{
	size_t lo = 0, hi = b->norder;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key_of(b->order[mid]), key);

		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Keeps order in step with p just stored under its key (lock held): a replaced status is
 * swapped in place, a new key put where it sorts; what would cost too much (or memory that is
 * not there) leaves the order to be made again. */
static void order_put(struct sl_statusboard *b, struct sl_status_packed *p, bool is_new)
{
	const char *key = key_of(p);
	size_t i;

	if (!b->order_ok)
		return;
	i = order_find(b, key, false);
	if (!is_new) {
		if (i < b->norder && strcmp(key_of(b->order[i]), key) == 0)
			b->order[i] = p;
		else
			b->order_ok = false;
		return;
	}
	if (b->norder - i > ORDER_MOVE_MAX) {
		b->order_ok = false;
		return;
	}
	if (b->norder == b->order_cap) {
		size_t cap = b->order_cap ? b->order_cap * 2 : 64;
		struct sl_status_packed **o = realloc(b->order, cap * sizeof(*o));

		if (o == NULL) {
			b->order_ok = false;
			return;
		}
		b->order = o;
		b->order_cap = cap;
	}
	memmove(b->order + i + 1, b->order + i, (b->norder - i) * sizeof(*b->order));
	b->order[i] = p;
	b->norder++;
}

/* Takes key out of order (lock held), as order_put would put it in. */
static void order_del(struct sl_statusboard *b, const char *key)
{
	size_t i;

	if (!b->order_ok)
		return;
	i = order_find(b, key, false);
	if (i == b->norder || strcmp(key_of(b->order[i]), key) != 0 ||
	        b->norder - i > ORDER_MOVE_MAX) {
		b->order_ok = false;
		return;
	}
	memmove(b->order + i, b->order + i + 1, (b->norder - i - 1) * sizeof(*b->order));
	b->norder--;
}

static int by_key(const void *x, const void *y)
{
	return strcmp(key_of(*(struct sl_status_packed *const *)x),
	        key_of(*(struct sl_status_packed *const *)y));
}

/* Makes order hold every status in key order, unless it does already (lock held). Returns 0
 * or SL_ENOMEM. */
static int order_make(struct sl_statusboard *b)
{
	size_t pos = 0, n = 0;
	void *v;

	if (b->order_ok)
		return 0;
	if (b->order_cap < b->map.len) {
		struct sl_status_packed **o = realloc(b->order, b->map.len * sizeof(*o));

		if (o == NULL)
			return SL_ENOMEM;
		b->order = o;
		b->order_cap = b->map.len;
	}
	while (sl_strmap_next(&b->map, &pos, NULL, &v))
		b->order[n++] = v;
	qsort(b->order, n, sizeof(*b->order), by_key);
	b->norder = n;
	b->order_ok = true;
	return 0;
}

/* Packs st and stores it under its key (lock held). Returns 0 or SL_ENOMEM. */
static int store(struct sl_statusboard *b, const struct sl_object_status *st)
{
	struct sl_status_packed *p = sl_status_pack(st), *old = NULL;
	bool found = false;
	int rc;

	if (p != NULL)
		sl_strmap_get(&b->map, st->key, &found);
	rc = p ? sl_strmap_set(&b->map, st->key, p, (void **)&old) : SL_ENOMEM;
	if (rc < 0)
		sl_status_packed_free(p);
	else
		order_put(b, p, !found);
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
	struct sl_status_packed *gone;
	bool found;

	pthread_mutex_lock(&b->lock);
	gone = sl_strmap_del(&b->map, key, &found);
	if (found) {
		/* Before the free: the order's search reads the keys of its entries. */
		order_del(b, key);
		b->dirty = true;
	}
	sl_status_packed_free(gone);
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
	size_t i;
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = order_make(b);
	for (i = 0; i < b->norder && rc == 0; i++) {
		char *k = strdup(key_of(b->order[i]));

		if (k == NULL || sl_vec_push(out, k) < 0) {
			free(k);
			rc = SL_ENOMEM;
		}
	}
	pthread_mutex_unlock(&b->lock);
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

/* What writing statuses reuses from one to the next. */
struct render {
	struct sl_buf red; /* the redacted text of one string */
	int64_t ms; /* the last time formatted (a status's times are mostly the same one) */
	char t[40]; /* and its text */
};

#define RENDER_INIT \
	{ \
		SL_BUF_INIT, 0, "" \
	}

/* Adds s as member key, redacted: secrets never leave through /status or status.json. */
static void put_str(struct sl_jsonw *w, const char *key, const char *s, struct render *r)
{
	sl_buf_reset(&r->red);
	if (sl_redact(s, &r->red) < 0)
		sl_jsonw_str(w, key, "[redacted]");
	else
		sl_jsonw_str(w, key, r->red.data);
}

static void put_time(struct sl_jsonw *w, const char *key, int64_t ms, struct render *r)
{
	if (ms <= 0) {
		sl_jsonw_null(w, key);
		return;
	}
	if (ms != r->ms) {
		sl_clock_format_rfc3339(ms, r->t, sizeof(r->t));
		r->ms = ms;
	}
	sl_jsonw_str(w, key, r->t);
}

/* st as one JSON object (docs/internals/architecture.md "Conditions"), written piece by piece:
 * no jansson tree is built for it (with 10,000 objects that was most of the cost of a
 * render). Strings that are not UTF-8 get U+FFFD for their bad bytes (sl_jsonw_str). */
static void status_write(struct sl_jsonw *w, const struct sl_object_status *st, struct render *r)
{
	const char *name = st->key;
	size_t kind_len = 0;
	char kind[64] = "";
	int i;

	if (sl_status_key_split(st->key, &kind_len, &name) && kind_len < sizeof(kind))
		memcpy(kind, st->key, kind_len), kind[kind_len] = '\0';
	sl_jsonw_open(w, NULL, '{');
	sl_jsonw_str(w, "kind", kind);
	put_str(w, "name", name, r);
	sl_jsonw_open(w, "conditions", '[');
	for (i = 0; i < SL_COND_COUNT; i++) {
		const struct sl_condition *c = &st->cond[i];

		if (!sl_condition_present(c))
			continue;
		sl_jsonw_open(w, NULL, '{');
		sl_jsonw_str(w, "type", sl_cond_type_name((enum sl_cond_type)i));
		sl_jsonw_str(w, "status", sl_cond_status_name(c->status));
		put_str(w, "reason", c->reason, r);
		put_str(w, "message", c->message, r);
		if (c->error_code)
			sl_jsonw_int(w, "errorCode", c->error_code);
		else
			sl_jsonw_null(w, "errorCode");
		put_str(w, "observedGeneration", c->observed_generation, r);
		put_time(w, "lastTransitionTime", c->last_transition_ms, r);
		sl_jsonw_close(w);
	}
	sl_jsonw_close(w);
	if (st->fix[0] != '\0')
		put_str(w, "fix", st->fix, r);
	if (st->exporter_state[0] != '\0') {
		sl_jsonw_open(w, "exporter", '{');
		put_str(w, "state", st->exporter_state, r);
		sl_jsonw_int(w, "offset", st->exporter_offset);
		sl_jsonw_int(w, "timestamp", st->exporter_ts);
		put_str(w, "trace", st->trace_first_line, r);
		sl_jsonw_close(w);
	}
	sl_jsonw_open(w, "history", '[');
	for (i = 0; i < st->n_history && i < SL_HEAL_HISTORY; i++) {
		sl_jsonw_open(w, NULL, '{');
		put_time(w, "time", st->history[i].at_ms, r);
		put_str(w, "reason", st->history[i].reason, r);
		put_str(w, "action", st->history[i].action, r);
		sl_jsonw_close(w);
	}
	sl_jsonw_close(w);
	put_time(w, "updatedTime", st->updated_ms, r);
	sl_jsonw_close(w);
}

/* Statuses copied out of the board, to be written after its lock is let go. */
struct page {
	struct sl_status_packed **items; /* owned copies, in key order */
	size_t n;
	size_t total; /* statuses on the board */
	size_t matched; /* of them, those f matches (counted only when asked) */
	bool more; /* more match after the last item */
};

static void page_release(struct page *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++)
		sl_status_packed_free(pg->items[i]);
	free(pg->items);
	memset(pg, 0, sizeof(*pg));
}

static bool filtered(const struct sl_status_filter *f)
{
	return f != NULL && (f->kind != NULL || f->reason != NULL || f->not_ready);
}

static bool matches(const struct sl_status_filter *f, const struct sl_status_packed *p)
{
	enum sl_cond_status status[SL_COND_COUNT];
	const char *reason[SL_COND_COUNT];
	int t;

	if (!filtered(f))
		return true;
	if (f->kind != NULL) {
		const char *key = key_of(p);
		size_t n = strlen(f->kind);

		if (strncasecmp(key, f->kind, n) != 0 || key[n] != '/')
			return false;
	}
	if (!f->not_ready && f->reason == NULL)
		return true;
	sl_status_packed_conditions(p, status, f->reason != NULL ? reason : NULL);
	if (f->not_ready && status[SL_COND_READY] == SL_COND_TRUE)
		return false;
	if (f->reason == NULL)
		return true;
	for (t = 0; t < SL_COND_COUNT; t++)
		if (reason[t][0] != '\0' && strcasecmp(reason[t], f->reason) == 0)
			return true;
	return false;
}

/* Copies out the statuses of one page under the lock: at most limit (> 0) of those f matches
 * (NULL: all), in key order, after key after (NULL: from the first). With count, matched
 * counts every match on the board, which walks all of it; unfiltered, it is the total, and
 * only the page is walked. A walk reads each status in place (sl_status_packed_conditions).
 * Returns 0 or SL_ENOMEM (pg left empty). */
static int page_collect(struct sl_statusboard *b, const struct sl_status_filter *f,
        const char *after, size_t limit, bool count, struct page *pg)
{
	bool walk_all = count && filtered(f);
	size_t i, start;
	int rc;

	memset(pg, 0, sizeof(*pg));
	pg->items = calloc(limit, sizeof(*pg->items));
	if (pg->items == NULL)
		return SL_ENOMEM;
	pthread_mutex_lock(&b->lock);
	rc = order_make(b);
	if (rc < 0)
		goto out;
	pg->total = b->norder;
	start = after != NULL ? order_find(b, after, true) : 0;
	for (i = walk_all ? 0 : start; i < b->norder; i++) {
		/* The statuses are allocations of their own: fetch the lines a filter reads (the
		 * header, the key and the first reasons) a few statuses ahead, or nearly every one
		 * is a cache miss. */
		if (i + PREFETCH_AHEAD < b->norder) {
			__builtin_prefetch(b->order[i + PREFETCH_AHEAD]);
			__builtin_prefetch((const char *)b->order[i + PREFETCH_AHEAD] + 64);
			__builtin_prefetch((const char *)b->order[i + PREFETCH_AHEAD] + 128);
		}
		if (!matches(f, b->order[i]))
			continue;
		pg->matched++;
		if (i < start)
			continue;
		if (pg->n == limit) {
			pg->more = true;
			if (!walk_all)
				break;
			continue;
		}
		pg->items[pg->n] = sl_status_packed_dup(b->order[i]);
		if (pg->items[pg->n] == NULL) {
			rc = SL_ENOMEM;
			break;
		}
		pg->n++;
	}
	if (count && !filtered(f))
		pg->matched = pg->total;
out:
	pthread_mutex_unlock(&b->lock);
	if (rc < 0)
		page_release(pg);
	return rc;
}

/* Writes the page's statuses as elements of the array open in w. */
static void page_write(const struct page *pg, struct sl_jsonw *w, struct render *r)
{
	struct sl_object_status st;
	size_t i;

	for (i = 0; i < pg->n; i++) {
		sl_status_unpack(pg->items[i], &st);
		status_write(w, &st, r);
	}
}

/* The whole board as {"objects":[...]} in key order, written through w WRITE_CHUNK entries
 * at a time: each chunk is copied out under the lock and written after it, so neither the
 * board's text nor the lock is held while the document is written. An entry removed while
 * writing is left out. Returns 0 or a negative code. */
static int board_write(struct sl_statusboard *b, struct sl_jsonw *w)
{
	struct render r = RENDER_INIT;
	struct page pg, last = {0};
	int rc;

	sl_jsonw_open(w, NULL, '{');
	sl_jsonw_open(w, "objects", '[');
	do {
		rc = page_collect(b, NULL, last.n ? key_of(last.items[last.n - 1]) : NULL,
		        WRITE_CHUNK, false, &pg);
		if (rc < 0)
			break;
		page_write(&pg, w, &r);
		page_release(&last);
		last = pg;
	} while (last.more);
	page_release(&last);
	sl_jsonw_close(w);
	sl_jsonw_close(w);
	sl_buf_release(&r.red);
	return rc < 0 ? rc : sl_jsonw_finish(w);
}

int sl_statusboard_json(struct sl_statusboard *b, const char *key, struct sl_buf *out)
{
	struct render r = RENDER_INIT;
	struct sl_object_status st;
	struct sl_jsonw w;
	size_t len = out->len;
	int rc;

	sl_jsonw_init(&w, JSON_INDENT(2) | JSON_PRESERVE_ORDER, sl_jsonw_to_buf, out);
	if (key == NULL) {
		rc = board_write(b, &w);
	} else if (sl_statusboard_get(b, key, &st) < 0) {
		return SL_ENOENT;
	} else {
		status_write(&w, &st, &r);
		rc = sl_jsonw_finish(&w);
	}
	if (rc == 0)
		rc = sl_buf_addch(out, '\n');
	if (rc < 0)
		sl_buf_truncate(out, len);
	sl_buf_release(&r.red);
	return rc;
}

int sl_statusboard_page_json(struct sl_statusboard *b, const struct sl_status_filter *f,
        const char *after, size_t limit, struct sl_buf *out)
{
	struct render r = RENDER_INIT;
	struct sl_jsonw w;
	struct page pg;
	size_t len = out->len;
	int rc;

	if (limit == 0)
		return SL_EINVAL;
	rc = page_collect(b, f, after, limit, true, &pg);
	if (rc < 0)
		return rc;
	sl_jsonw_init(&w, JSON_INDENT(2) | JSON_PRESERVE_ORDER, sl_jsonw_to_buf, out);
	sl_jsonw_open(&w, NULL, '{');
	sl_jsonw_int(&w, "total", (int64_t)pg.total);
	sl_jsonw_int(&w, "matched", (int64_t)pg.matched);
	sl_jsonw_int(&w, "limit", (int64_t)limit);
	if (pg.more)
		sl_jsonw_str(&w, "continue", key_of(pg.items[pg.n - 1]));
	sl_jsonw_open(&w, "objects", '[');
	page_write(&pg, &w, &r);
	sl_jsonw_close(&w);
	sl_jsonw_close(&w);
	rc = sl_jsonw_finish(&w);
	if (rc == 0)
		rc = sl_buf_addch(out, '\n');
	if (rc < 0)
		sl_buf_truncate(out, len);
	page_release(&pg);
	sl_buf_release(&r.red);
	return rc;
}

const char *sl_status_kind(const char *s)
{
	int k;

	for (k = 0; k < SL_KIND_COUNT; k++)
		if (strcasecmp(s, sl_kind_name((enum sl_kind)k)) == 0)
			return sl_kind_name((enum sl_kind)k);
	return NULL;
}

const char *const sl_status_query_names[SL_STATUS_QUERY_NPARAMS] = {
        "kind", "reason", "notReady", "limit", "continue"};

int sl_status_query_set(
        struct sl_status_query *q, const char *name, const char *value, struct sl_error *err)
{
	char qn[256], qv[256];
	char *end;
	unsigned long long n;

	sl_quote(name, qn, sizeof(qn));
	sl_quote(value, qv, sizeof(qv));
	if (strcmp(name, "kind") == 0) {
		const char *kind = sl_status_kind(value);

		if (kind == NULL)
			return sl_error_set(err, SL_EINVAL,
			        "query parameter kind=%s: must be Registry, SchemaLink, Context or "
			        "Subject (any case)",
			        qv);
		q->filter.kind = kind;
	} else if (strcmp(name, "reason") == 0) {
		if (value[0] == '\0')
			return sl_error_set(err, SL_EINVAL,
			        "query parameter reason=%s: must be a condition reason, such as "
			        "ImportModeRequired",
			        qv);
		q->filter.reason = value;
	} else if (strcmp(name, "notReady") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return sl_error_set(err, SL_EINVAL,
			        "query parameter notReady=%s: must be true or false", qv);
		q->filter.not_ready = strcmp(value, "true") == 0;
	} else if (strcmp(name, "limit") == 0) {
		errno = 0;
		n = value[0] >= '0' && value[0] <= '9' ? strtoull(value, &end, 10) : 0;
		if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || n < 1 ||
		        n > SL_STATUS_PAGE_MAX)
			return sl_error_set(err, SL_EINVAL,
			        "query parameter limit=%s: must be a whole number from 1 to %d", qv,
			        SL_STATUS_PAGE_MAX);
		q->limit = (size_t)n;
	} else if (strcmp(name, "continue") == 0) {
		size_t kind_len;
		const char *rest;

		if (!sl_status_key_split(value, &kind_len, &rest))
			return sl_error_set(err, SL_EINVAL,
			        "query parameter continue=%s: must be the \"continue\" of the page "
			        "before",
			        qv);
		q->after = value;
	} else {
		return sl_error_set(err, SL_ENOENT,
		        "unknown query parameter %s=%s: /status takes kind, reason, notReady, "
		        "limit and continue",
		        qn, qv);
	}
	return 0;
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
