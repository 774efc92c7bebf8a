/* verify.c — replication verification (docs/internals/reconcile.md "Replication
 * verification"): what the source holds under each link's filter, mapped by its context
 * rules, compared with what the destination holds, from one schema listing per registry. */
#include "engine_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/qsubject.h"

#define PAGE 500 /* listing entries per request: schema texts stay well under the body cap */
#define FIRST_MISSING 5 /* missing versions named in the message */

/* One registry's live versions, listed once per verification. */
struct listing {
	int rc; /* 0, or why it could not be listed */
	char err[256];
	struct sl_vec entries; /* struct sl_schema_entry * */
	struct sl_strmap ids; /* "subject\x1fversion" -> id (intptr_t) */
	struct sl_strmap latest; /* subject -> its highest version (intptr_t) */
};

static void listing_free(void *p)
{
	struct listing *l = p;

	if (l == NULL)
		return;
	sl_vec_release(&l->entries, sl_schema_entry_free);
	sl_strmap_release(&l->ids, NULL);
	sl_strmap_release(&l->latest, NULL);
	free(l);
}

void sl_eng_verify_rec_free(void *p)
{
	struct verify_rec *r = p;

	if (r != NULL) {
		free(r->present);
		free(r->err);
		free(r->first_missing);
		free(r->conflict);
	}
	free(r);
}

static int version_key(struct sl_buf *b, const char *subject, int version)
{
	sl_buf_reset(b);
	return sl_buf_addf(b, "%s\x1f%d", subject, version) < 0 ? SL_ENOMEM : 0;
}

/* FNV-1a 64 of a version key: what a verification remembers of the versions it found. */
static uint64_t fnv64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads every live version of registry reg, page by page, under the engine's lock. */
static int list_registry(struct sl_engine *e, const struct sl_snapshot *snap, const char *reg,
        struct listing *l, int *reads)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf k = SL_BUF_INIT;
	struct reg_client *c;
	int offset = 0, n, rc = 0;
	size_t i, from;

	do {
		pthread_mutex_lock(&e->mu);
		c = sl_eng_client_for(e, snap, reg, &err);
		from = l->entries.len;
		n = c == NULL ? err.code
		              : sl_srclient_schemas_page(
		                        c->c, ":*:", offset, PAGE, &l->entries, &err);
		pthread_mutex_unlock(&e->mu);
		(*reads)++;
		if (n < 0) {
			l->rc = n;
			sl_strlcpy_utf8(l->err, sizeof(l->err), err.msg);
			return n == SL_ENOMEM ? SL_ENOMEM : 0;
		}
		for (i = from; rc == 0 && i < l->entries.len; i++) {
			const struct sl_schema_entry *s = l->entries.items[i];
			intptr_t top = (intptr_t)sl_strmap_get(&l->latest, s->subject, NULL);

			rc = version_key(&k, s->subject, s->version);
			if (rc == 0 &&
			        sl_strmap_set(&l->ids, k.data, (void *)(intptr_t)s->id, NULL) < 0)
				rc = SL_ENOMEM;
			if (rc == 0 && s->version > top &&
			        sl_strmap_set(&l->latest, s->subject, (void *)(intptr_t)s->version,
			                NULL) < 0)
				rc = SL_ENOMEM;
		}
		offset += n;
	} while (rc == 0 && n == PAGE);
	sl_buf_release(&k);
	return rc;
}

static struct listing *listing_of(struct sl_engine *e, const struct sl_snapshot *snap,
        struct sl_strmap *all, const char *reg, int *reads, int *rc)
{
	struct listing *l = sl_strmap_get(all, reg, NULL);

	if (l != NULL)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL || sl_strmap_set(all, reg, l, NULL) < 0) {
		free(l);
		*rc = SL_ENOMEM;
		return NULL;
	}
	sl_vec_init(&l->entries);
	sl_strmap_init(&l->ids);
	sl_strmap_init(&l->latest);
	*rc = list_registry(e, snap, reg, l, reads);
	return *rc < 0 ? NULL : l;
}

static bool was_present(const struct verify_rec *r, uint64_t h)
{
	return r->present != NULL &&
	       bsearch(&h, r->present, r->npresent, sizeof(h), cmp_u64) != NULL;
}

/* Compares link w's source versions with its destination into next (prev: the last
 * verification of the link, or NULL; cr: what the fast check or the last reconcile saw of its
 * exporter, or NULL). */
static int compare(const struct want_link *w, const struct listing *src, const struct listing *dst,
        const struct verify_rec *prev, const struct check_rec *cr, struct verify_rec *next)
{
	const struct sl_link_spec *l = &w->obj->link;
	struct sl_buf k = SL_BUF_INIT, miss = SL_BUF_INIT, conflict = SL_BUF_INIT;
	uint64_t *p;
	bool stale;
	size_t i;
	int rc = 0;

	next->ok = true;
	next->offset = cr != NULL ? cr->offset : -1;
	/* Missing at the last verification too, and the exporter has not moved since: it is
	 * idle, so it believes it copied them. */
	stale = prev != NULL && prev->ok && prev->missing > 0 && cr != NULL && cr->running &&
	        prev->offset == cr->offset;
	if ((next->present = calloc(src->entries.len + 1, sizeof(uint64_t))) == NULL)
		return SL_ENOMEM;
	for (i = 0; rc == 0 && i < src->entries.len; i++) {
		const struct sl_schema_entry *s = src->entries.items[i];
		struct sl_error e2 = SL_ERROR_INIT;
		char *to = NULL;
		bool found = false;
		intptr_t id, top;

		if (!sl_filter_match_any((const char *const *)l->subjects.items, l->subjects.len,
		            s->subject, SL_WILDCARD_ALL_CONTEXTS) ||
		        sl_export_dest_subject(l->context_type, w->context ? w->context : "",
		                w->rename, s->subject, &to, &e2) != 0) {
			free(to);
			continue;
		}
		next->versions++;
		rc = version_key(&k, to, s->version);
		id = rc == 0 ? (intptr_t)sl_strmap_get(&dst->ids, k.data, &found) : 0;
		if (rc == 0 && found && id != s->id) {
			if (next->conflicts++ == 0 &&
			        sl_buf_addf(&conflict,
			                "subject %s version %d has id %d on %s but id %d in %s on "
			                "%s",
			                to, s->version, (int)id, l->destination, s->id, s->subject,
			                l->source) < 0)
				rc = SL_ENOMEM;
		} else if (rc == 0 && found) {
			next->present[next->npresent++] = fnv64(k.data);
		} else if (rc == 0) {
			top = (intptr_t)sl_strmap_get(&dst->latest, to, NULL);
			if (next->missing++ < FIRST_MISSING)
				sl_buf_addf(&miss, "%s%s v%d", next->missing > 1 ? ", " : "", to,
				        s->version);
			/* Lost, not lagging: it was there at the last verification, a later
			 * version of it arrived (copies keep their versions), or the exporter is
			 * idle without it. */
			if ((prev != NULL && was_present(prev, fnv64(k.data))) ||
			        top > s->version || stale)
				next->lost++;
		}
		free(to);
	}
	qsort(next->present, next->npresent, sizeof(uint64_t), cmp_u64);
	/* Sized for every version of the source registry, kept for the link's own. */
	if (next->npresent == 0) {
		free(next->present);
		next->present = NULL;
	} else if ((p = realloc(next->present, next->npresent * sizeof(uint64_t))) != NULL) {
		next->present = p;
	}
	if (next->missing > FIRST_MISSING)
		sl_buf_addf(&miss, ", and %d more", next->missing - FIRST_MISSING);
	if (miss.len > 0 && (next->first_missing = sl_buf_detach(&miss)) == NULL)
		rc = SL_ENOMEM;
	if (conflict.len > 0 && (next->conflict = sl_buf_detach(&conflict)) == NULL)
		rc = SL_ENOMEM;
	sl_buf_release(&k);
	sl_buf_release(&miss);
	sl_buf_release(&conflict);
	return rc;
}

static bool rec_changed(const struct verify_rec *a, const struct verify_rec *b)
{
	return a == NULL || a->ok != b->ok || a->missing != b->missing ||
	       a->conflicts != b->conflicts || (b->lost > 0) != (a->lost > 0) ||
	       a->versions != b->versions;
}

/* Verifies one link into a new record; swaps it in and says whether it changed. */
static int verify_link(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_object *o, struct sl_strmap *all, struct sl_engine_verify_stats *st,
        bool *changed)
{
	struct sl_error err = SL_ERROR_INIT;
	struct listing *src, *dst;
	struct verify_rec *next, *prev = NULL;
	struct want_link w;
	int rc = 0;

	*changed = false;
	if ((src = listing_of(e, snap, all, o->link.source, &st->reads, &rc)) == NULL ||
	        (dst = listing_of(e, snap, all, o->link.destination, &st->reads, &rc)) == NULL)
		return rc;
	if ((next = calloc(1, sizeof(*next))) == NULL)
		return SL_ENOMEM;
	next->at_ms = sl_clock_wall_ms(e->clock);
	pthread_mutex_lock(&e->mu);
	prev = sl_strmap_get(&e->verifies, o->key, NULL);
	if (src->rc < 0 || dst->rc < 0) {
		struct sl_buf b = SL_BUF_INIT;

		if (sl_buf_addf(&b, "cannot list the schemas of %s: %s",
		            src->rc < 0 ? o->link.source : o->link.destination,
		            src->rc < 0 ? src->err : dst->err) < 0 ||
		        (next->err = sl_buf_detach(&b)) == NULL)
			rc = SL_ENOMEM;
		sl_buf_release(&b);
	} else if ((rc = sl_want_link_build(snap, o, &w, &err)) == 0) {
		rc = compare(&w, src, dst, prev, sl_strmap_get(&e->checks, o->key, NULL), next);
		sl_want_link_release(&w);
	}
	if (rc == 0) {
		*changed = rec_changed(prev, next);
		if (sl_strmap_set(&e->verifies, o->key, next, (void **)&prev) < 0)
			rc = SL_ENOMEM;
		else
			sl_eng_verify_rec_free(prev), next = NULL;
	}
	pthread_mutex_unlock(&e->mu);
	sl_eng_verify_rec_free(next);
	return rc;
}

int sl_engine_verify(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *keys,
        struct sl_engine_verify_stats *st, struct sl_error *err)
{
	struct sl_strmap all = SL_STRMAP_INIT;
	struct sl_engine_verify_stats local;
	size_t i;
	int rc = 0;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	for (i = 0; rc == 0 && i < snap->objects.len; i++) {
		const struct sl_object *o = snap->objects.items[i];
		bool changed;

		if (o->kind != SL_KIND_SCHEMALINK || o->link.suspend)
			continue;
		rc = verify_link(e, snap, o, &all, st, &changed);
		st->links++;
		if (rc == 0 && changed && keys != NULL) {
			char *k = strdup(o->key);

			if (k == NULL || sl_vec_push(keys, k) < 0) {
				free(k);
				rc = SL_ENOMEM;
			}
			st->changed++;
		}
	}
	sl_strmap_release(&all, listing_free);
	if (rc < 0)
		sl_error_set(err, rc, "out of memory");
	return rc;
}

int sl_engine_verification(struct sl_engine *e, const char *key, struct sl_link_verification *out)
{
	const struct verify_rec *r;
	int found = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&e->mu);
	if ((r = sl_strmap_get(&e->verifies, key, NULL)) != NULL) {
		found = 1;
		out->verified = r->ok;
		out->at_ms = r->at_ms;
		out->versions = r->versions;
		out->missing = r->missing;
		out->conflicts = r->conflicts;
		out->lost = r->lost;
		sl_strlcpy_utf8(
		        out->first_missing, sizeof(out->first_missing), VR_STR(r->first_missing));
		sl_strlcpy_utf8(out->conflict, sizeof(out->conflict), VR_STR(r->conflict));
		sl_strlcpy_utf8(out->error, sizeof(out->error), VR_STR(r->err));
	}
	pthread_mutex_unlock(&e->mu);
	return found;
}
