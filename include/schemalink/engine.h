/*
 * engine.h — observe, plan, apply: one reconcile pass of one object (ARCHITECTURE.md
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

#include <stdbool.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"
#include "schemalink/objects.h"
#include "schemalink/status.h"

struct sl_engine;

struct sl_engine_config {
	const char *state_dir;        /* inventory location; created if missing */
	const char *set;              /* manifest set name ("default") */
	bool dry_run;                 /* plan and report; make no write */
	bool prune;                   /* delete what the inventory owns and the snapshot lacks */
	const struct sl_clock *clock; /* NULL: system clock */
	/* Checked during registry I/O; returns true to abort (SIGTERM). May be NULL. */
	bool (*cancelled)(void *cls);
	void *cancel_cls;
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

#endif
