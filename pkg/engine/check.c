/* check.c — the fast check (docs/internals/reconcile.md "Fast check"): a cheap read of what
 * drifts out of band (an exporter paused, deleted or failing, a destination mode flipped) on
 * a cadence of its own, naming the links that need a reconcile now. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe.h"
#include "schemalink/buf.h"

static void check_rec_free(void *p)
{
	struct check_rec *r = p;

	if (r == NULL)
		return;
	free(r->dest);
	sl_vec_release(&r->scopes, free);
	free(r->seen);
	free(r);
}

void sl_eng_check_release(struct sl_engine *e)
{
	sl_strmap_release(&e->checks, check_rec_free);
}

static struct check_rec *rec_of(struct sl_engine *e, const char *key)
{
	struct check_rec *r = sl_strmap_get(&e->checks, key, NULL);

	if (r != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	sl_vec_init(&r->scopes);
	if (sl_strmap_set(&e->checks, key, r, NULL) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

int sl_eng_check_note(struct sl_engine *e, const char *key, const char *dest,
        const struct obs_link *o, bool import)
{
	struct check_rec *r = rec_of(e, key);
	size_t i;

	if (r == NULL)
		return SL_ENOMEM;
	free(r->dest);
	r->dest = NULL;
	sl_vec_release(&r->scopes, free);
	r->offset = o->exists ? o->status.offset : -1;
	r->running = o->exists && o->status.state_raw && !strcmp(o->status.state_raw, "RUNNING") &&
	             !(o->status.trace && o->status.trace[0]);
	r->read_ms = sl_clock_mono_ms(e->clock);
	if ((r->dest = strdup(dest)) == NULL)
		return SL_ENOMEM;
	for (i = 0; import && i < o->scopes.len; i++) {
		char *s = strdup(((const struct obs_scope *)o->scopes.items[i])->scope);

		if (s == NULL || sl_vec_push(&r->scopes, s) < 0) {
			free(s);
			return SL_ENOMEM;
		}
	}
	return 0;
}

/* The exporter names of one source registry, read once per round. */
struct listed {
	int rc; /* 0, or the failure: the registry's links are skipped this round */
	struct sl_strmap names; /* name -> NULL */
};

static void listed_free(void *p)
{
	struct listed *l = p;

	if (l == NULL)
		return;
	sl_strmap_release(&l->names, NULL);
	free(l);
}

/* One destination mode of this round: read once per registry and scope, whichever links
 * share it. */
struct mode_read {
	int rc; /* 1 set, 0 not set, or the failure */
	char *mode;
};

static void mode_read_free(void *p)
{
	struct mode_read *m = p;

	if (m == NULL)
		return;
	free(m->mode);
	free(m);
}

/* The round's read of scope on registry reg (c its client), or NULL when out of memory. */
static const struct mode_read *mode_of(struct sl_strmap *modes, struct reg_client *c,
        const char *reg, const char *scope, struct sl_engine_check_stats *st)
{
	struct sl_buf key = SL_BUF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct mode_read *m;

	if (sl_buf_addf(&key, "%s\n%s", reg, scope) < 0)
		return NULL;
	if ((m = sl_strmap_get(modes, key.data, NULL)) != NULL) {
		sl_buf_release(&key);
		return m;
	}
	if ((m = calloc(1, sizeof(*m))) != NULL) {
		st->reads++;
		m->rc = sl_srclient_mode_get(c->c, scope, &m->mode, &err);
		if (sl_strmap_set(modes, key.data, m, NULL) < 0) {
			mode_read_free(m);
			m = NULL;
		}
	}
	sl_buf_release(&key);
	return m;
}

static struct listed *list_of(struct sl_strmap *lists, struct reg_client *c, const char *reg,
        struct sl_engine_check_stats *st)
{
	struct listed *l = sl_strmap_get(lists, reg, NULL);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec v = SL_VEC_INIT;
	size_t i;

	if (l != NULL)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	sl_strmap_init(&l->names);
	st->reads++;
	l->rc = sl_srclient_exporters_list(c->c, &v, &err);
	for (i = 0; l->rc == 0 && i < v.len; i++)
		if (sl_strmap_set(&l->names, v.items[i], NULL, NULL) < 0)
			l->rc = SL_ENOMEM;
	sl_vec_release(&v, free);
	if (l->rc < 0)
		st->failed_registries++;
	if (sl_strmap_set(lists, reg, l, NULL) < 0) {
		listed_free(l);
		return NULL;
	}
	return l;
}

/* Reads link o's exporter and modes into fp (the round's fingerprint) and says whether it is
 * what the manifest wants; seen gets the exporter's offset and whether it runs cleanly. A
 * registry that fails leaves *skip set: no verdict this round. */
static int check_link(struct sl_engine *e, const struct sl_snapshot *snap,
        const struct sl_object *o, struct check_rec *r, struct sl_strmap *lists,
        struct sl_strmap *modes, struct sl_buf *fp, bool *healthy, bool *skip,
        struct check_rec *seen, struct sl_engine_check_stats *st)
{
	const struct sl_link_spec *l = &o->link;
	struct sl_exporter_status s = SL_EXPORTER_STATUS_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct reg_client *src, *dst = NULL;
	struct listed *ls;
	bool listed = false, bad = false;
	size_t i;
	int rc;

	*healthy = true;
	*skip = false;
	src = sl_eng_client_for(e, snap, l->source, &err);
	if (src == NULL)
		return err.code == SL_ENOMEM ? SL_ENOMEM : (*skip = true, 0);
	if ((ls = list_of(lists, src, l->source, st)) == NULL)
		return SL_ENOMEM;
	if (ls->rc < 0) {
		*skip = true;
		return ls->rc == SL_ENOMEM ? SL_ENOMEM : 0;
	}
	sl_strmap_get(&ls->names, o->name, &listed);
	if (listed) {
		st->reads++;
		rc = sl_srclient_exporter_status(src->c, o->name, &s, &err);
		if (rc < 0 && !sl_srclient_err_is(&err, 40450)) {
			*skip = true;
			sl_exporter_status_release(&s);
			return rc == SL_ENOMEM ? SL_ENOMEM : 0;
		}
		listed = rc == 0;
	}
	seen->offset = -1;
	seen->running = false;
	if (!listed) {
		*healthy = false;
		bad |= sl_buf_adds(fp, "missing") < 0;
		/* A pass in progress keeps the list it read: read it again. */
		sl_obs_exporter_written(e, src, o->name, 0);
	} else {
		const char *want = l->state == SL_LINK_PAUSED ? "PAUSED" : "RUNNING";
		const char *state = s.state_raw ? s.state_raw : "";

		if (strcmp(state, want) != 0 || (s.trace && s.trace[0]))
			*healthy = false;
		seen->offset = s.offset;
		seen->running = !strcmp(state, "RUNNING") && !(s.trace && s.trace[0]);
		/* The offset moves while it works: not part of what is compared. */
		bad |= sl_buf_addf(fp, "%s|%s", state, s.trace ? s.trace : "") < 0;
	}
	sl_exporter_status_release(&s);
	if (l->destination_mode == SL_DEST_IMPORT && r != NULL && r->scopes.len > 0 &&
	        (dst = sl_eng_client_for(e, snap, l->destination, &err)) == NULL)
		return err.code == SL_ENOMEM ? SL_ENOMEM : (*skip = true, 0);
	for (i = 0; dst != NULL && i < r->scopes.len; i++) {
		const char *scope = r->scopes.items[i];
		const struct mode_read *m = mode_of(modes, dst, l->destination, scope, st);

		if (m == NULL)
			return SL_ENOMEM;
		if (m->rc < 0) {
			*skip = true;
			return m->rc == SL_ENOMEM ? SL_ENOMEM : 0;
		}
		if (m->rc == 0 || strcmp(m->mode, "IMPORT") != 0) {
			*healthy = false;
			sl_obs_forget_scope(e, "mode", scope);
		}
		bad |= sl_buf_addf(fp, "|%s=%s", scope, m->rc == 1 ? m->mode : "") < 0;
	}
	return bad ? SL_ENOMEM : 0;
}

int sl_engine_check(struct sl_engine *e, const struct sl_snapshot *snap, int64_t fresh_ms,
        struct sl_vec *keys, struct sl_engine_check_stats *st, struct sl_error *err)
{
	struct sl_strmap lists = SL_STRMAP_INIT, modes = SL_STRMAP_INIT;
	struct sl_engine_check_stats local;
	size_t i;
	int rc = 0;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	for (i = 0; rc == 0 && i < snap->objects.len; i++) {
		const struct sl_object *o = snap->objects.items[i];
		struct sl_buf fp = SL_BUF_INIT;
		struct check_rec *r, seen;
		bool healthy, skip;
		char *key = o->key;

		if (o->kind != SL_KIND_SCHEMALINK || o->link.suspend)
			continue;
		/* One link at a time holds the engine, so reconciles go on between them. */
		pthread_mutex_lock(&e->mu);
		r = sl_strmap_get(&e->checks, key, NULL);
		if (r != NULL && r->read_ms > 0 && fresh_ms > 0 &&
		        sl_clock_mono_ms(e->clock) - r->read_ms < fresh_ms) {
			pthread_mutex_unlock(&e->mu);
			st->fresh++;
			continue;
		}
		rc = check_link(e, snap, o, r, &lists, &modes, &fp, &healthy, &skip, &seen, st);
		if (rc == 0 && !skip) {
			st->links++;
			if (r == NULL && (r = rec_of(e, key)) == NULL)
				rc = SL_ENOMEM;
			/* An unhealthy link is named once per change of what it looks like, so a
			 * stalled one is not reconciled every round; a reconcile it needs again
			 * comes from its own requeue or the resync. */
			if (rc == 0 && !healthy && (r->seen == NULL || strcmp(r->seen, fp.data))) {
				char *k = strdup(key);

				if (k == NULL || sl_vec_push(keys, k) < 0) {
					free(k);
					rc = SL_ENOMEM;
				}
				st->flagged++;
			}
			if (rc == 0) {
				r->offset = seen.offset;
				r->running = seen.running;
				free(r->seen);
				r->seen = sl_buf_detach(&fp);
				if (r->seen == NULL)
					rc = SL_ENOMEM;
			}
		}
		pthread_mutex_unlock(&e->mu);
		sl_buf_release(&fp);
	}
	sl_strmap_release(&lists, listed_free);
	sl_strmap_release(&modes, mode_read_free);
	if (rc < 0)
		sl_error_set(err, rc, "out of memory");
	return rc;
}
