/*
 * engine_int.h — internal to pkg/engine: the desired exporter, the observed state of one
 * object, and the pure planner between them.
 *
 * observe.c reads the registries (and nothing else writes there); plan.c is pure (no I/O,
 * no clock: the time comes in as an argument) so golden and unit tests drive it directly;
 * engine.c runs actions and keeps the inventory.
 */
#ifndef SL_ENGINE_INT_H
#define SL_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "schemalink/diagnose.h"
#include "schemalink/engine.h"
#include "schemalink/inventory.h"
#include "schemalink/objects.h"
#include "schemalink/srclient.h"

#define HIDDEN "[hidden]"

/* A config value that comes from secrets: shown only by description, compared by hash. */
struct want_secret {
	char *desc; /* "secret from file /run/secrets/sr-pass" */
	char hash[65]; /* salted SHA-256 of the value; "" when it could not be read */
};

/* The exporter a link wants (docs/internals/architecture.md step 1). Holds no secret value. */
struct want_link {
	const struct sl_object *obj, *src, *dst;
	const char *ctx_type; /* "AUTO" | "CUSTOM" | "NONE" */
	char *context; /* the exporter's "context" field (CUSTOM name, AUTO cluster id) or NULL */
	char *dest_ctx; /* the link's own destination context: ".source", "." for NONE */
	const char *rename;
	struct sl_strmap plain; /* key -> owned value */
	struct sl_strmap secret; /* key -> struct want_secret * */
	char secret_err[512]; /* a secret that could not be read, or "" */
};

/* One destination scope the link needs in IMPORT ("Modes a link needs"). */
struct obs_scope {
	char *scope; /* "" (top level) or ":.ctx:" */
	char *context; /* "." or ".ctx" */
	int mode_rc; /* 1 set here, 0 not set (top level: always 1) */
	char *mode; /* value when set */
	bool nonempty; /* holds subjects (read only when not IMPORT) */
	char *sample; /* one subject found there */
	bool owned; /* the inventory says schemalink set IMPORT here for this link */
	bool local_writes; /* owned, flipped, and holds writes that did not come from the link */
	char *local_detail;
};

struct obs_import {
	char *context;
	char *writer;
};

/* The import contexts the manifests declare on one registry: what the links into it write,
 * one per context, the first link in snapshot order naming the writer. observe.c builds them
 * for every registry in one walk of a snapshot and keeps them until another snapshot comes. */
struct decl_imports {
	struct sl_vec list; /* struct obs_import *, owned, in snapshot order */
	struct sl_strmap by_context; /* context -> struct obs_import * (borrowed from list) */
};

struct obs_link {
	bool unsupported;
	bool exists;
	struct sl_exporter info;
	struct sl_exporter_status status;
	struct sl_vec scopes; /* struct obs_scope * */
	/* The import contexts on the source: the declared ones (borrowed from the engine's
	 * cache, NULL for none), then those found live (owned, none of them declared). */
	const struct decl_imports *declared;
	struct sl_vec imports; /* struct obs_import * */
	int attempts_last_hour;
	/* Ownership (engine.c fills these from the inventory before planning): this set created
	 * (or adopted) the exporter on this registry, or may take it over (--adopt). An exporter
	 * neither owned nor adoptable is observed and resumed, never changed. */
	bool exporter_owned;
	bool adopt;
	/* The last replication verification (engine_plan.c fills these from verify.c's record):
	 * versions the exporter passed that the destination lacks (only for a reconcile, which
	 * may reset), and ids that differ (the first as a sentence, borrowed). */
	int verify_lost;
	int verify_missing;
	int verify_conflicts;
	const char *verify_conflict;
	const char *verify_first_missing;
};

/* A Registry / Context / Subject setting scope. */
struct obs_setting {
	const char *registry;
	char *scope; /* "" top level, ":.c:", or a qualified subject */
	enum sl_mode want_mode;
	bool force_mode;
	enum sl_compat want_compat;
	int mode_rc; /* 1 set, 0 unset, -1 not read */
	char *mode;
	int compat_rc;
	char *compat;
	bool mode_owned, compat_owned;
};

int sl_want_link_build(const struct sl_snapshot *snap, const struct sl_object *obj,
        struct want_link *w, struct sl_error *err);
void sl_want_link_release(struct want_link *w);
/* The exporter body to send: want plus the resolved secrets (wiped by sl_exporter_wipe). */
int sl_want_link_exporter(const struct want_link *w, struct sl_exporter *out, struct sl_error *err);
void sl_exporter_wipe(struct sl_exporter *e);
/* True when info (a live exporter) already is what w wants. */
bool sl_want_link_matches(
        const struct want_link *w, const struct sl_exporter *info, const struct sl_inv_object *inv);
/* The scope string of a context: "." -> "", ".x" -> ":.x:". Owned. */
char *sl_scope_of_context(const char *ctx);

void sl_obs_link_init(struct obs_link *o);
void sl_obs_link_release(struct obs_link *o);
/* *out = a new array (the caller frees it; NULL when there are none) of every import context
 * of o, declared first, then live; *n = how many. The strings stay borrowed from o. Returns
 * 0 or SL_ENOMEM. */
int sl_obs_link_imports(const struct obs_link *o, struct sl_import_context **out, size_t *n);
void sl_obs_setting_release(struct obs_setting *o);

/* The pure planners. inv_obj may be NULL (nothing recorded). now_ms stamps nothing; it is
 * only compared with recorded heal attempts. */
int sl_plan_link(const struct want_link *w, const struct obs_link *o,
        const struct sl_inv_object *inv_obj, struct sl_plan *p);
int sl_plan_setting(const struct sl_object *obj, const struct obs_setting *o, struct sl_plan *p);

/* A registry client with what is read once per pass: the lists, and the mode and compatibility
 * of each scope (observe.c; a write to a scope drops its entry, sl_obs_forget_scope). */
struct reg_client {
	char *name;
	char hash[65]; /* spec hash of the Registry it was built from */
	char *url;
	char *nurl; /* url normalized: the registry's identity with cluster_id */
	struct sl_srclient *c;
	/* The registry's cluster id (GET /v1/metadata/id), read when a write or an ownership
	 * decision needs it, at most once per pass; "" when it has none. */
	bool id_read;
	int id_rc;
	char cluster_id[128];
	struct sl_error id_err;
	bool down; /* unreachable during this pass: later calls fail at once */
	struct sl_error down_err;
	bool exp_read;
	int exp_rc;
	struct sl_error exp_err;
	struct sl_vec exporters; /* owned char * */
	struct sl_strmap exporter_set; /* the same names -> NULL, for membership */
	bool ctx_read;
	int ctx_rc;
	struct sl_error ctx_err;
	struct sl_vec contexts; /* owned char * */
	struct sl_strmap modes; /* scope -> struct scope_read * (observe.c), in a pass only */
	struct sl_strmap configs; /* likewise for the compatibility */
	/* Exporters found running on this registry, as far as the loop check needs them
	 * (observe.c live_imports): name -> struct peer *, in a pass only. */
	struct sl_strmap peers;
};

/* What the fast check keeps per link (check.c): the scopes its last reconcile found it needs
 * in IMPORT on its destination, what the previous round saw, and the exporter as last seen
 * (by a round or a reconcile), which verification reads. */
struct check_rec {
	char *dest; /* destination Registry name the scopes are on */
	struct sl_vec scopes; /* owned char *: "" top level, ":.ctx:" */
	char *seen; /* the previous round's fingerprint, or NULL */
	int64_t offset; /* exporter offset, -1 when unknown or missing */
	bool running; /* RUNNING with an empty trace */
	int64_t read_ms; /* monotonic ms a reconcile last read it live, or 0 */
};

/* What the last replication verification of a link found (verify.c). */
/* Its strings are owned and NULL when empty (read them through VR_STR): 10,000 links keep
 * one record each. */
struct verify_rec {
	bool ok; /* both listings were read; else err says why */
	char *err;
	int64_t at_ms; /* wall ms */
	int versions; /* source versions the filter selects */
	int missing; /* of them, not on the destination */
	int conflicts; /* on the destination under another id */
	int lost; /* missing ones the exporter had passed: a reset copies them again */
	char *first_missing;
	char *conflict; /* the first conflict as a sentence */
	int64_t offset; /* the exporter's offset when verified, -1 unknown */
	uint64_t *present; /* sorted hashes of the destination versions found */
	size_t npresent;
};
void sl_eng_verify_rec_free(void *p);
#define VR_STR(s) ((s) != NULL ? (s) : "")

struct sl_engine {
	struct sl_engine_config cfg;
	char *state_dir, *set;
	const struct sl_clock *clock;
	struct sl_inventory *inv;
	pthread_mutex_t mu; /* one reconcile at a time: clients and inventory are shared */
	struct sl_strmap clients; /* Registry name (or "url:<url>") -> struct reg_client * */
	/* The request budgets: normalized URL -> struct sl_ratelimit *, shared by every client
	 * of that URL, kept across snapshots, their rates set from each new one (engine.c;
	 * docs/internals/operations.md "Rate limits"). Freed after the clients. */
	struct sl_strmap limits;
	uint64_t limits_snap; /* sl_snapshot id the rates were set from; 0: none */
	bool in_pass;
	uint64_t imports_snap; /* sl_snapshot id the declared imports were built from; 0: none */
	struct sl_strmap imports; /* registry name -> struct decl_imports * (observe.c) */
	bool inv_dirty; /* statuses changed in this pass and not saved yet */
	bool inv_flushed; /* this pass journaled something: its end checkpoints */
	int reads, writes; /* of the current operation */
	uint64_t guard_snap; /* sl_snapshot id the prune guard was computed for; 0: none */
	bool guard_ok;
	bool guard_oom; /* guard_ok is false for want of memory: not cached, not a refusal */
	char guard_why[512];
	/* Reading ahead (observe.c sl_obs_read_ahead): the pass's key order, key -> index + 1,
	 * and the first index not read ahead yet. */
	struct sl_vec ra_keys; /* owned char * */
	struct sl_strmap ra_index;
	size_t ra_next;
	struct sl_strmap checks; /* link key -> struct check_rec * (check.c) */
	struct sl_strmap verifies; /* link key -> struct verify_rec * (verify.c) */
};

/* The registry's cluster id into c->cluster_id, read once per pass (engine.c). Returns 0
 * (c->cluster_id "" when the registry has none) or a negative code with err set. */
int sl_engine_identity(struct sl_engine *e, struct reg_client *c, struct sl_error *err);

/* Allocation helpers shared by the engine files. */
struct sl_plan *sl_plan_new(const char *key, const struct sl_object *obj);
int sl_plan_change(struct sl_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct sl_action *sl_plan_action(struct sl_plan *p, enum sl_action_kind kind, const char *registry,
        const char *target, const char *why);
void sl_plan_verdict(struct sl_plan *p, enum sl_result r, enum sl_cond_status ready,
        const char *reason, int code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Shared by the engine's files (engine.c, engine_plan.c, orphans.c, apply.c, linkops.c). */

/* engine.c: the client of Registry `name` of snap, made (or remade when its Registry changed)
 * on first use; NULL with err when it cannot be made. */
struct reg_client *sl_eng_client_for(struct sl_engine *e, const struct sl_snapshot *snap,
        const char *name, struct sl_error *err);
/* engine.c: the registry a record names (prune, delete, restore): the declared Registry of
 * that name when it still has the recorded URL (its credentials go only to its own URL), else
 * a client without credentials at the recorded URL. url NULL or "": the declared Registry. */
struct reg_client *sl_eng_client_for_url(struct sl_engine *e, const struct sl_snapshot *snap,
        const char *name, const char *url, struct sl_error *err);
/* engine.c: where a record made now on c lives. Borrows c's strings. */
struct sl_inv_where sl_eng_where_of(struct reg_client *c, const char *registry);

/* engine_plan.c: observes and plans key; the caller holds e->mu. *w (links) is filled for
 * apply. */
int sl_eng_plan_locked(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        bool for_delete, bool bookkeep, struct sl_plan **out, struct want_link *w,
        struct sl_error *err);
/* engine_plan.c: splits an orphan id "Kind/name@URL" into the key and the URL it is limited
 * to (NULL: the key's records everywhere). key gets at most len bytes. */
const char *sl_eng_split_orphan(const char *id, char *key, size_t len);
/* engine_plan.c: true when the inventory records anything for id (a key or an orphan id). */
bool sl_eng_inv_knows(const struct sl_engine *e, const char *id);

/* check.c: remembers, after link key was observed for a reconcile, the scopes on Registry
 * dest the fast check reads (o's scopes when import, else none). Returns 0 or SL_ENOMEM. */
int sl_eng_check_note(struct sl_engine *e, const char *key, const char *dest,
        const struct obs_link *o, bool import);
/* check.c: frees what the fast check keeps (sl_engine_free). */
void sl_eng_check_release(struct sl_engine *e);

/* orphans.c: the normalized URL of the registry key's declared object writes what the
 * inventory recorded to; owned, or NULL when key is not declared (or out of memory). */
char *sl_eng_declared_url(const struct sl_snapshot *snap, const char *key, bool exporter);
/* orphans.c: the prune guard for snap, computed once per snapshot; the caller holds e->mu. */
bool sl_eng_guard_locked(struct sl_engine *e, const struct sl_snapshot *snap);

#endif
