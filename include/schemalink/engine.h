/*
 * engine.h — observe, plan, apply: one reconcile pass of one object (docs/internals/architecture.md
 * "Reconcile", "Modes a link needs", "Self-healing").
 *
 * Owns: registry clients per declared Registry, the inventory (what this manifest set created
 * and the values it replaced, in --state-dir under --set), planning and applying, and turning
 * observations into conditions. Depends on srclient, model, base (and diagnose/status here).
 * Library code: never logs; reports through struct sl_reconcile_result and struct sl_error.
 *
 * This header is the contract the front doors use:
 *   - slctl apply/diff: sl_engine_new, then sl_engine_reconcile for each key of a snapshot in
 *     dependency order (Registries, then Contexts and Subjects, then SchemaLinks), or the
 *     plan API the implementation adds for diff;
 *   - schemalinkd: worker threads call sl_engine_reconcile concurrently for DIFFERENT keys
 *     (the work queue guarantees one key is never in two workers); the engine serializes
 *     its own shared state (inventory writes, client handles).
 * The implementation extends this header (plan types, formatting, imperative operations)
 * without changing these entry points.
 */
#ifndef SCHEMALINK_ENGINE_H
#define SCHEMALINK_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"
#include "schemalink/objects.h"
#include "schemalink/status.h"
#include "schemalink/buf.h"
#include "schemalink/vec.h"

struct sl_engine;
struct sl_transport;
struct sl_srclient;
struct sl_srclient_config;

struct sl_engine_config {
	const char *state_dir; /* inventory location; created if missing */
	const char *set; /* manifest set name ("default") */
	bool dry_run; /* plan and report; make no write */
	bool prune; /* delete what the inventory owns and the snapshot lacks */
	const struct sl_clock *clock; /* NULL: system clock */
	/* Checked during registry I/O; returns true to abort (SIGTERM). May be NULL. */
	bool (*cancelled)(void *cls);
	void *cancel_cls;
	/* Optional: the transport for the client of Registry `registry` (tests hand in a fake
	 * transport; slctl's hidden --observed flag a read-only model). Returns an owned
	 * transport, or NULL with err->code 0 for the default libcurl transport, or NULL with
	 * err set to fail. NULL hook: always libcurl. */
	struct sl_transport *(*transport)(void *cls, const char *registry,
	        const struct sl_srclient_config *cfg, struct sl_error *err);
	void *transport_cls;
	/* Optional: the srclient retry sleep (tests record instead of sleeping). */
	void (*sleep_ms)(void *arg, long ms);
	void *sleep_arg;
	/* Optional: read the state dir but never write it (slctl diff, get, describe). */
	bool read_only_state;
	/* Who writes the set's state, for the lock ("slctl apply", "schemalinkd"); NULL: the
	 * engine takes no lock (tests that share a state dir on purpose). */
	const char *holder;
	/* Take ownership of exporters the manifests declare that exist already and that this
	 * set did not create (docs/ownership.md); without it such an exporter is observed and
	 * resumed, never changed or deleted. */
	bool adopt;
	/* Prune guard rails (docs/ownership.md): a prune that would delete every object the set
	 * owns, or more than max_prune of them (0: half of them, at least 1), is refused unless
	 * allow_prune_all. A snapshot with no objects never prunes. */
	bool allow_prune_all;
	int max_prune;
};

/* Returns an owned engine or NULL with err set (e.g. SL_EIO when the state dir cannot be
 * created or written: the daemon exits 73 on that). */
struct sl_engine *sl_engine_new(const struct sl_engine_config *cfg, struct sl_error *err);
void sl_engine_free(struct sl_engine *e);

/* Reconciles the object `key` ("SchemaLink/name", ...) of snap (borrowed; immutable) against
 * the live registries: re-reads desired and observed state, writes what is needed (unless
 * dry_run), heals what its rules allow, and fills *out (result, counts, status with
 * conditions). A key no longer in snap is pruned when prune is set and the inventory owns it,
 * else reported DONE. Returns 0 when a result was produced (even STALLED or RETRY), or a
 * negative code for failures outside the object (memory, state dir). Thread-safe for
 * different keys. */
int sl_engine_reconcile(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err);

/* ---- passes ---------------------------------------------------------------------------- */

/* Starts a pass over a snapshot: per-registry lists (GET /exporters, GET /contexts) and the
 * mode and compatibility of each scope are read at most once per pass and shared by the keys
 * reconciled in it; a scope the engine writes in the pass is read live again. Without a pass
 * (the daemon reconciling single keys) every reconcile reads them afresh.
 * Inside a pass, a reconcile that wrote to a registry saves the inventory at once (what it
 * owns must survive a crash), while one that only observed leaves its new status in memory
 * and sl_engine_end_pass saves it once: a no-op pass over 1,000 links writes the state file
 * once, not 1,000 times. end_pass returns 0, or SL_EIO with err set when that save failed. */
void sl_engine_begin_pass(struct sl_engine *e);
int sl_engine_end_pass(struct sl_engine *e, struct sl_error *err);
/* Tells the current pass the order its keys will be planned or reconciled in (keys, copied;
 * sl_engine_pass_order's or the caller's own). When a link of them is reached whose live state
 * was not read yet, the engine reads ahead what it and the next links need, several requests
 * side by side, instead of one at a time when each is reached (docs/internals/operations.md
 * "Reading ahead"): the same requests, fewer round trips. Optional: without it, or for a key
 * not in keys, every read is made when needed. Forgotten at the pass's end. Returns 0, or
 * SL_ENOMEM (then nothing is read ahead). */
int sl_engine_pass_keys(struct sl_engine *e, const struct sl_vec *keys);

/* What --prune would delete (owned char *, sorted): "Kind/name" for an owner snap does not
 * declare, "Kind/name@URL" for what a declared object owns on a registry it no longer points
 * at (its source or destination moved). Each can be passed as a key to reconcile and delete. */
int sl_engine_orphans(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err);
/* Whether a prune of snap's orphans is allowed by the guard rails; when not, why gets the
 * sentence (what would be deleted and the flag that allows it). Returns true when allowed. */
bool sl_engine_prune_allowed(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len);
/* The same two without waiting for a reconcile in progress (the daemon's loop thread must
 * never block on registry I/O): SL_ESTATE (orphans) or -1 (prune_allowed: unknown) when the
 * engine is busy, to be asked again later. prune_allowed_try returns 1 allowed, 0 refused. */
int sl_engine_orphans_try(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *out,
        struct sl_error *err);
int sl_engine_prune_allowed_try(
        struct sl_engine *e, const struct sl_snapshot *snap, char *why, size_t len);

/* ---- the fast check (docs/internals/reconcile.md "Fast check") ------------------------ */

struct sl_engine_check_stats {
	int reads; /* REST reads made */
	int links; /* links checked (a link on a registry that failed is not) */
	int flagged; /* links named for a reconcile */
	int failed_registries; /* source registries whose exporter list could not be read */
	int fresh; /* links skipped: a reconcile read them within fresh_ms */
};

/* Reads, for every SchemaLink of snap not suspended, the exporter list of its source (once
 * per registry), its exporter's status, and the mode of each destination scope its last
 * reconcile in this engine found it needs (once per registry and scope); appends to keys
 * (owned copies) each link whose exporter is missing, not in the state the manifest wants,
 * or failing, or whose scopes are not IMPORT, once per change of what it looks like. A link
 * a reconcile read live less than fresh_ms ago is skipped (0: none is): that read is as new
 * as this one would be. Reads live, never through a pass's cached reads, and drops those of
 * what it found changed, so the reconcile it asks for sees the change. Takes the engine's
 * lock one link at a time. Returns 0 or SL_ENOMEM; a registry that fails only leaves its
 * links unchecked this round (counted in st). */
int sl_engine_check(struct sl_engine *e, const struct sl_snapshot *snap, int64_t fresh_ms,
        struct sl_vec *keys, struct sl_engine_check_stats *st, struct sl_error *err);

/* Appends (owned copies) the keys of every object of snap in the order a pass reconciles
 * them: Registries, Contexts and Subjects as the snapshot holds them (modes first), then the
 * SchemaLinks one of each source registry in turn (by the Registry's normalized URL, which a
 * request budget belongs to), by name within each (docs/internals/reconcile.md "Pass order").
 * Returns 0 or SL_ENOMEM. */
int sl_engine_pass_order(const struct sl_snapshot *snap, struct sl_vec *keys);

/* ---- replication verification (docs/internals/reconcile.md "Replication verification") - */

struct sl_engine_verify_stats {
	int reads; /* REST reads made (schema listing pages) */
	int links; /* links verified */
	int changed; /* links whose result changed */
};

/* Lists the live versions of every registry a SchemaLink of snap (not suspended) reads or
 * writes (GET /schemas?subjectPrefix=:*:, in pages, once per registry), and compares, per
 * link, each source version its filter selects, mapped to its destination subject, with the
 * destination: missing, or there under another id. Keeps the result per link (for the
 * planner, the InSync condition, get and describe) and appends to keys (when not NULL) each
 * link whose result changed. Returns 0 or SL_ENOMEM; a registry that cannot be listed leaves
 * its links not verified, saying why. */
int sl_engine_verify(struct sl_engine *e, const struct sl_snapshot *snap, struct sl_vec *keys,
        struct sl_engine_verify_stats *st, struct sl_error *err);

struct sl_link_verification {
	bool verified; /* the listings were read; else error says why */
	int64_t at_ms; /* wall ms of the verification */
	int versions, missing, conflicts, lost;
	char first_missing[512]; /* "s-value v1, s-value v2, and 3 more" */
	char conflict[512];
	char error[512];
};

/* The last verification of link key. Returns 1 when there is one, else 0. */
int sl_engine_verification(struct sl_engine *e, const char *key, struct sl_link_verification *out);

/* ---- plans ----------------------------------------------------------------------------- */

enum sl_action_kind {
	SL_ACT_MODE_SET, /* PUT /mode[/scope][?force=true] */
	SL_ACT_MODE_DELETE, /* DELETE /mode[/scope] */
	SL_ACT_CONFIG_SET, /* PUT /config[/scope] */
	SL_ACT_CONFIG_DELETE, /* DELETE /config[/scope] */
	SL_ACT_EXPORTER_CREATE,
	SL_ACT_EXPORTER_PAUSE,
	SL_ACT_EXPORTER_UPDATE,
	SL_ACT_EXPORTER_RESET,
	SL_ACT_EXPORTER_RESUME,
	SL_ACT_EXPORTER_DELETE,
};

/* One write. Never carries a secret: exporter bodies are built from the snapshot when the
 * action runs. */
struct sl_action {
	enum sl_action_kind kind;
	char registry[128]; /* Registry name the call goes to */
	char target[512]; /* exporter name, or scope ("" = top level, ":.c:", a subject) */
	char value[32]; /* mode or compatibility level for *_SET */
	bool force; /* MODE_SET with ?force=true */
	char why[512]; /* why it is needed, for plans ("destination URL changed") */
	const char *heal; /* reason label when this is a self-heal, else NULL */
	const char *drift; /* reason label when this corrects drift, else NULL */
	/* Inventory bookkeeping for mode/config writes: the value replaced ("" = none set). */
	bool record_scope;
	char previous[32];
	bool had_previous;
	/* Deletes and restores of recorded things: the registry URL and cluster id recorded
	 * ("" = the declared Registry's / none). The cluster id is checked live first: a registry
	 * that changed identity is never written on the strength of an old record. */
	char url[512];
	char cluster_id[128];
};

enum sl_plan_op {
	SL_PLAN_NONE, /* in sync (or stalled with nothing to write) */
	SL_PLAN_CREATE,
	SL_PLAN_UPDATE,
	SL_PLAN_DELETE, /* prune or delete */
};

/* What one object needs, from desired + observed (+ inventory). Built by a pure planner;
 * printable by sl_plan_format. */
struct sl_plan {
	char key[320];
	const struct sl_object *obj; /* borrowed from the snapshot; NULL for a pruned key */
	enum sl_plan_op op;
	struct sl_vec changes; /* char *, owned: "subjects: [\"a\"] -> [\"a\", \"b\"]" */
	struct sl_vec actions; /* struct sl_action *, owned, in execution order */
	bool suspended; /* spec.suspend: actions are reported, never run */
	bool unreachable; /* a registry could not be reached (slctl exit 3) */
	bool error; /* observation failed for another reason; see message */
	/* Verdict when nothing is planned or after the actions: */
	enum sl_result result;
	int64_t requeue_ms;
	enum sl_cond_status ready;
	char reason[64]; /* Ready's reason (CamelCase) */
	char message[SL_COND_MSG_MAX];
	char fix[SL_COND_MSG_MAX];
	int error_code;
	bool stalled;
	/* Observed, for get/describe (SchemaLink). */
	bool exporter_exists;
	char exporter_state[16];
	int64_t exporter_offset, exporter_ts;
	char trace_first_line[512];
	char dest_context[256]; /* ".source", "." for NONE */
	char *live_info; /* owned JSON text of the exporter info (secrets masked), or NULL */
	struct sl_vec live; /* char *, owned: "mode :.source: on target = IMPORT" lines */
	int reads; /* REST reads made while observing */
	/* SchemaLink: the last replication verification in this engine; lag -1 when none. */
	int lag; /* source versions missing on the destination */
	char lag_detail[512]; /* the first of them, or why it could not be verified */
};

void sl_plan_free(struct sl_plan *p);

/* Observes and plans key of snap without writing anything (any engine, dry_run or not).
 * A key only the inventory knows is planned as a delete when the engine prunes. Returns 0
 * with *out owned, or a negative code (memory, unknown key). Registry failures are reported
 * in the plan (unreachable / error), not as a return code. */
int sl_engine_plan(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_plan **out, struct sl_error *err);

/* Appends p as readable text (docs/internals/manifests.md §3 diff): a header line "+ key", "~ key" or
 * "- key", the changed fields, then the numbered steps. Nothing for an in-sync plan.
 * Secrets show only as "<secret from file X changed>". */
int sl_plan_format(const struct sl_plan *p, struct sl_buf *out);
const char *sl_action_kind_name(enum sl_action_kind k);
/* One action as a sentence: "set mode IMPORT on :.source: of target (was READWRITE)". */
int sl_action_format(const struct sl_action *a, struct sl_buf *out);

/* ---- imperative operations (slctl) ----------------------------------------------------- */

enum sl_link_op {
	SL_LINK_OP_PAUSE,
	SL_LINK_OP_RESUME,
	SL_LINK_OP_RESET,
};

/* PUT /exporters/{name}/pause|resume|reset on the link's source. warning (may be NULL) gets
 * a sentence when the result contradicts the manifest (a daemon would undo it). */
int sl_engine_link_op(struct sl_engine *e, const struct sl_snapshot *snap, const char *name,
        enum sl_link_op op, struct sl_buf *warning, struct sl_error *err);

/* Failover: pauses the link, sets READWRITE on each destination scope the link writes
 * (forgetting them in the inventory, so a re-apply never forces IMPORT back), and appends
 * to change the manifest edit to commit. */
int sl_engine_promote(struct sl_engine *e, const struct sl_snapshot *snap, const char *name,
        struct sl_buf *change, struct sl_error *err);

/* Deletes object key (declared in snap, or known only to the inventory): a link is paused
 * and its exporter deleted, then each mode or compatibility scope schemalink changed is
 * restored when no remaining owner needs it; the key leaves the inventory. Fills out like
 * sl_engine_reconcile. */
int sl_engine_delete(struct sl_engine *e, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err);

/* Appends to keys (owned copies) the key of every object of snap in the order a delete of
 * the whole set takes them: links first, since they need their modes until they are gone,
 * then subjects and contexts, registries last. Returns 0 or SL_ENOMEM (keys then holds what
 * was added). */
int sl_engine_delete_order(const struct sl_snapshot *snap, struct sl_vec *keys);

/* The registry client for Registry `name` of snap (borrowed; valid until the engine is freed
 * or the snapshot's Registry changes), for read-only tools such as slctl export. */
struct sl_srclient *sl_engine_client(struct sl_engine *e, const struct sl_snapshot *snap,
        const char *name, struct sl_error *err);

/* Manifests for what lives on Registry `registry` of snap, read from it (no writes): a
 * SchemaLink per exporter, a Context or Subject document per mode or compatibility override
 * (a mode a declared link manages is left out). On success *docs is a new JSON array of
 * documents (the caller decrefs it) and warnings holds owned strings about what could not be
 * exported (config the registry hides). A failure of the registry is named by it ("registry
 * NAME: ..."); an exporter writing to no declared Registry is SL_ENOENT. */
int sl_engine_export(struct sl_engine *e, const struct sl_snapshot *snap, const char *registry,
        json_t **docs, struct sl_vec *warnings, struct sl_error *err);

/* The last status the state dir holds for key (heal history, conditions), for describe.
 * Returns 1 when found, 0 when not. */
int sl_engine_last_status(struct sl_engine *e, const char *key, struct sl_object_status *out);

#endif
