/*
 * store_int.h — what the parts of srlite's store (store*.c) share and nobody else sees: the
 * state's types and the helpers more than one part calls.
 */
#ifndef SCHEMALINK_STORE_INT_H
#define SCHEMALINK_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "schemalink/qsubject.h"
#include "schemalink/store.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

enum mode {
	MODE_UNSET = 0,
	MODE_READWRITE,
	MODE_READONLY,
	MODE_READONLY_OVERRIDE,
	MODE_IMPORT,
	MODE_FORWARD,
};

struct schema {
	int id;
	char *type;
	char *text;
	struct sl_schema_ref *refs;
	size_t nrefs;
	char *key; /* identity: type, references and text */
	int uses; /* versions (soft-deleted too) holding it; 0 = hidden from id lookups */
};

struct version {
	int version;
	struct schema *schema;
	bool deleted;
};

struct subject {
	char *name; /* unqualified */
	struct sl_vec versions; /* struct version *, ascending by number */
	int mode;
	int compat;
};

struct context {
	char *name;
	bool listed; /* created by a registration: shown by /contexts until deleted */
	struct sl_strmap subjects; /* name -> struct subject * */
	struct sl_strmap by_key; /* identity key -> struct schema * (owned here) */
	struct sl_strmap by_id; /* decimal id -> struct schema * (borrowed) */
	int max_id;
	int mode; /* for "." this is the top-level mode */
	int compat;
};

struct sl_store {
	pthread_rwlock_t lock;
	struct sl_strmap contexts; /* name -> struct context *; "." always present */
	int global_mode;
	int global_compat;
	struct sl_journal *journal;

	pthread_mutex_t log_mu; /* guards log and woken; taken inside lock, never around it */
	pthread_cond_t log_cv;
	struct sl_vec log; /* struct sl_change * */
	bool woken;
};

/* ---------- the state's parts (store.c) ---------- */

/* Lookups, under st->lock. subj_get, ver_find, ver_latest, subj_has_live and subj_exists take
 * a NULL holder (nothing found). */
static inline struct context *ctx_get(struct sl_store *st, const char *name)
{
	return sl_strmap_get(&st->contexts, name, NULL);
}

static inline struct subject *subj_get(struct context *c, const char *name)
{
	return c != NULL ? sl_strmap_get(&c->subjects, name, NULL) : NULL;
}

static inline struct version *ver_at(const struct subject *s, size_t i)
{
	return sl_vec_get(&s->versions, i);
}

static inline struct version *ver_find(const struct subject *s, int version)
{
	for (size_t i = 0; s != NULL && i < s->versions.len; i++)
		if (ver_at(s, i)->version == version)
			return ver_at(s, i);
	return NULL;
}

static inline bool subj_has_live(const struct subject *s)
{
	for (size_t i = 0; s != NULL && i < s->versions.len; i++)
		if (!ver_at(s, i)->deleted)
			return true;
	return false;
}

static inline bool subj_exists(const struct subject *s)
{
	return s != NULL && s->versions.len > 0;
}

static inline struct version *ver_latest(const struct subject *s, bool deleted)
{
	for (size_t i = s != NULL ? s->versions.len : 0; i > 0; i--) {
		struct version *v = ver_at(s, i - 1);

		if (deleted || !v->deleted)
			return v;
	}
	return NULL;
}

int sl_st_nomem(struct sl_error *err);
void sl_st_refs_free(struct sl_schema_ref *refs, size_t n);
struct sl_schema_ref *sl_st_refs_copy(const struct sl_schema_ref *refs, size_t n);
char *sl_st_identity_key(
        const char *type, const char *text, const struct sl_schema_ref *refs, size_t nrefs);
const char *sl_st_ctx_display(const char *ctx, char *buf, size_t len);
void sl_st_schema_free(void *p);
void sl_st_context_free(void *p);
struct context *sl_st_ctx_ensure(struct sl_store *st, const char *name);
struct subject *sl_st_subj_ensure(struct context *c, const char *name);
void sl_st_subj_gc(struct context *c, struct subject *s);
void sl_st_drop_version(struct context *c, struct subject *s, size_t i);
int sl_st_split_qs(const char *qs, struct sl_qsubject *q, struct sl_error *err);
struct subject *sl_st_ref_target(struct sl_store *st, const char *ctx,
        const struct sl_schema_ref *r, const char **ref_ctx_out);
bool sl_st_is_referenced(
        struct sl_store *st, struct context *c, const struct subject *target, int version);
int sl_st_referenced_error(struct sl_error *err, const char *qs, int version);

/* ---------- the apply steps ---------- */

/* Each sl_st_apply_* changes the state as one decided write (or one replayed record) says; the
 * caller holds st->lock for writing. */

/* store_register.c */
int sl_st_apply_register(struct sl_store *st, const char *cname, const char *sname, int version,
        int id, const char *type, const char *text, const struct sl_schema_ref *refs, size_t nrefs);
/* store_delete.c */
void sl_st_apply_delete_version(
        struct sl_store *st, const char *cname, const char *sname, int version, bool permanent);
void sl_st_apply_delete_subject(
        struct sl_store *st, const char *cname, const char *sname, bool permanent);
/* store_modes.c */
int sl_st_apply_mode(
        struct sl_store *st, const struct sl_scope *sc, int mode, bool purge, bool recursive);
/* store_config.c */
int sl_st_apply_config(struct sl_store *st, const struct sl_scope *sc, int compat);
/* store_contexts.c */
void sl_st_apply_delete_context(struct sl_store *st, const char *cname);

/* ---------- scopes (store_scope.c) ---------- */

int *sl_st_scope_slot(struct sl_store *st, const struct sl_scope *sc, bool config, bool create);
void sl_st_scope_gc(struct sl_store *st, const struct sl_scope *sc);
void sl_st_for_scope(struct sl_store *st, const struct sl_scope *sc,
        void (*fn)(struct context *, struct subject *, void *), void *arg);

/* ---------- modes (store_modes.c) and compatibility levels (store_config.c) ---------- */

/* Name (any case) to enum mode / compatibility index; 0 (unset) when unknown. */
int sl_st_parse_mode(const char *s);
int sl_st_parse_compat(const char *s);
/* The mode in effect for subject sname of context cname (sname NULL: the context itself):
 * the subject's, else the context's, else the global one, else READWRITE. */
int sl_st_effective_mode_of(struct sl_store *st, const char *cname, const char *sname);

/* ---------- the change log (store_changes.c) ---------- */

/* Appends a registration's entry and wakes the waiters. Caller holds st->lock for writing. */
int sl_st_log_append(struct sl_store *st, const char *ctx, const char *subj, int version, int id);

/* ---------- journal records (store_journal.c) ---------- */

int sl_st_journal_write(struct sl_store *st, json_t *rec, uint64_t *seq, struct sl_error *err);
int sl_st_journal_wait(
        struct sl_store *st, struct sl_journal *j, uint64_t seq, struct sl_error *err);
/* The record forms of a scope and of a reference list; NULL when out of memory. */
json_t *sl_st_scope_json(const struct sl_scope *sc);
json_t *sl_st_refs_json(const struct sl_schema_ref *refs, size_t n);

#endif
