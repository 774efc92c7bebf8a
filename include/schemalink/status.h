/*
 * status.h — reconcile results and object status (docs/internals/architecture.md "Reconcile", "Conditions").
 *
 * Owns: the contract between the engine, which reconciles one object key and reports what it
 * found and did, and its front doors (slctl apply, schemalinkd), which queue, retry, serve and
 * persist what it reports. Depends on base only. Plain data: no I/O here.
 *
 * Keys are "Kind/name": "Registry/source", "SchemaLink/src-to-tgt-link", "Context/x",
 * "Subject/y".
 */
#ifndef SCHEMALINK_STATUS_H
#define SCHEMALINK_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemalink/error.h"

/* What a reconcile pass asks of its caller next. */
enum sl_result {
	SL_RESULT_DONE, /* in sync; come back at the next resync */
	SL_RESULT_REQUEUE_AFTER, /* in progress (e.g. STARTING); come back after requeue_ms */
	SL_RESULT_RETRY, /* transient failure; per-key backoff */
	SL_RESULT_STALLED, /* permanent until the spec or the world changes; no retry storm */
};

enum sl_cond_status {
	SL_COND_UNKNOWN,
	SL_COND_TRUE,
	SL_COND_FALSE,
};

enum sl_cond_type {
	SL_COND_READY,
	SL_COND_RECONCILING,
	SL_COND_STALLED,
	/* SchemaLink only, once a replication verification ran (docs/internals/reconcile.md
	 * "Replication verification"): reason "" and status Unknown until then, and such a
	 * condition is left out of every output. */
	SL_COND_IN_SYNC,
	SL_COND_COUNT,
};

#define SL_COND_MSG_MAX 1024

struct sl_condition {
	enum sl_cond_status status;
	char reason[64]; /* CamelCase, e.g. "ImportModeRequired" */
	char message[SL_COND_MSG_MAX]; /* no secrets, ever */
	int error_code; /* registry error code, e.g. 42205, or 0 */
	char observed_generation[65]; /* hex spec hash the condition was computed for */
	int64_t last_transition_ms; /* wall ms; changes only when status changes */
};

/* One thing the engine did to heal or correct drift, kept in the object's history. */
struct sl_heal_record {
	int64_t at_ms; /* wall ms */
	char reason[64]; /* "ImportModeRequired", "ExporterRecreated", "ModeRestored", ... */
	char action[256]; /* what was done, e.g. "set IMPORT on :.source: of target; resumed" */
};

#define SL_HEAL_HISTORY 16

struct sl_object_status {
	char key[320];
	struct sl_condition cond[SL_COND_COUNT];
	char fix[SL_COND_MSG_MAX]; /* suggested fix when not Ready, else "" */
	/* SchemaLink only: the live exporter as last observed. */
	char exporter_state[16]; /* STARTING, RUNNING, PAUSED, or "" */
	int64_t exporter_offset;
	int64_t exporter_ts;
	char trace_first_line[512];
	struct sl_heal_record history[SL_HEAL_HISTORY]; /* ring, newest last */
	int n_history;
	int64_t updated_ms;
};

struct sl_reconcile_result {
	enum sl_result result;
	int64_t requeue_ms; /* for REQUEUE_AFTER (and a hint for RETRY) */
	int writes; /* REST writes made (0 for a no-op pass) */
	int reads; /* REST reads made */
	int heals; /* self-heal actions (schemalink_self_heal_total) */
	int drift_corrections; /* drift repaired before it caused a failure */
	char heal_reason[64]; /* reason label for the counters, when heals or drift > 0 */
	struct sl_object_status status;
	int op; /* what the plan was: enum sl_plan_op of engine.h (0 = nothing to do) */
	int planned; /* writes planned (made, unless dry-run, suspend or a failure) */
	bool unreachable; /* a registry could not be reached (slctl exit 3) */
	bool prune_refused; /* a prune the guard rails refused (nothing written) */
	bool released; /* a delete that let go of what another set holds too (no write) */
};

/*
 * Stored statuses. struct sl_object_status is the working value (filled and compared on the
 * stack, ~10.7 KB of fixed buffers); what is kept per object (the daemon's statusboard, the
 * inventory) is its packed form: one allocation holding the numeric fields and only the used
 * bytes of each string, so a typical Ready status costs a few hundred bytes. Immutable once
 * built: to change a stored status, unpack, edit, pack, and swap the pointer.
 */
struct sl_status_packed;

/* Returns an owned packed copy of st (borrowed), or NULL when out of memory. Each string is
 * kept up to its buffer's size - 1 bytes; n_history is taken within 0..SL_HEAL_HISTORY. */
struct sl_status_packed *sl_status_pack(const struct sl_object_status *st);

/* Fills *out with what p holds; every byte after each string's terminator is zero. */
void sl_status_unpack(const struct sl_status_packed *p, struct sl_object_status *out);

/* NULL-safe. */
void sl_status_packed_free(struct sl_status_packed *p);

/* Returns an owned copy of p (one memcpy), or NULL when out of memory. */
struct sl_status_packed *sl_status_packed_dup(const struct sl_status_packed *p);

/* The key p holds, borrowed from p. O(1). */
const char *sl_status_packed_key(const struct sl_status_packed *p);

/* What a filter asks of a stored status, read in place instead of unpacking ~10 KB: the status
 * of each condition into status[t] and, when reason is non-NULL, its reason (borrowed from p)
 * into reason[t]. Only the reasons walk the stored strings. */
void sl_status_packed_conditions(const struct sl_status_packed *p,
        enum sl_cond_status status[SL_COND_COUNT], const char *reason[SL_COND_COUNT]);

/* Bytes of p's allocation (what storing it costs, allocator overhead aside). */
size_t sl_status_packed_size(const struct sl_status_packed *p);

/* True when unpacking p would give st in every field but updated_ms (strings compared as
 * strings, not buffers). Allocates nothing. */
bool sl_status_packed_same(const struct sl_status_packed *p, const struct sl_object_status *st);

/* Sets condition t of st to status/reason/message/code for generation gen at now_ms, keeping
 * last_transition_ms unless the status changes (or was never set). Strings may be NULL. */
void sl_status_set_condition(struct sl_object_status *st, enum sl_cond_type t,
        enum sl_cond_status status, const char *reason, const char *message, int error_code,
        const char *gen, int64_t now_ms);

/* Appends a heal record, dropping the oldest when full. */
void sl_status_add_history(
        struct sl_object_status *st, int64_t at_ms, const char *reason, const char *action);

const char *sl_cond_type_name(
        enum sl_cond_type t); /* "Ready", "Reconciling", "Stalled", "InSync" */
/* False for a condition never set (status Unknown, no reason): outputs leave it out. */
bool sl_condition_present(const struct sl_condition *c);
const char *sl_cond_status_name(enum sl_cond_status s); /* "True", "False", "Unknown" */
const char *sl_result_name(enum sl_result r); /* "done", "requeue", "retry", "stalled" */

#endif
