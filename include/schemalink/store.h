/*
 * store.h — srlite's registry state: contexts, subjects, versions, ids, modes, compatibility
 * configuration and the change log (docs/internals/registry.md §1, §2.2-§2.6, §4, §5).
 *
 * Owns: struct sl_store and everything in it. Depends on model (qsubject), base, jansson (for
 * journal records) and the journal (struct sl_journal, borrowed). Knows nothing about HTTP:
 * every failure is reported as a registry error in struct sl_error (registry_code and
 * http_status set, message text exactly as Confluent writes it), so the REST layer only maps.
 *
 * Schema text given to the store is already validated and canonical (the REST layer runs the
 * Avro canonicalizer); identity ("the same schema") is type + references + text within one
 * context. Every function is thread-safe: one rwlock guards the state, writers append their
 * journal record under it (so the journal order is the apply order) and wait for the group
 * fsync after releasing it, so an acknowledged write is durable.
 */
#ifndef SCHEMALINK_STORE_H
#define SCHEMALINK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemalink/error.h"
#include "schemalink/vec.h"

struct sl_store;
struct sl_journal;

/* One schema reference as sent and returned: {"name","subject","version"}. */
struct sl_schema_ref {
	char *name;
	char *subject;
	int version;
};

/* What a client registers or looks up. All borrowed by the store functions. */
struct sl_schema_input {
	const char *type; /* "AVRO", "JSON" or "PROTOBUF" */
	const char *schema; /* canonical text */
	const struct sl_schema_ref *refs;
	size_t nrefs;
};

/* An owned copy of one subject version (or of a schema by id, then subject is NULL). */
struct sl_schema_info {
	char *subject; /* qualified wire form */
	int version;
	int id;
	char *type;
	char *schema;
	struct sl_schema_ref *refs;
	size_t nrefs;
	bool deleted; /* the version is soft-deleted */
};

#define SL_SCHEMA_INFO_INIT \
	{ \
		NULL, 0, 0, NULL, NULL, NULL, 0, false \
	}

/* Frees the members of info and resets it. NULL-safe. */
void sl_schema_info_release(struct sl_schema_info *info);
/* Releases and frees a heap-allocated info (a destructor for sl_vec_release). */
void sl_schema_info_free(void *info);

/* One change-log entry: a registration in any context (read by exporters). */
struct sl_change {
	uint64_t index; /* 0-based position in the log */
	char *context; /* "." or ".name" */
	char *subject; /* qualified wire form */
	int version;
	int id;
};
void sl_change_free(void *change);

/* Where a mode or config lives (docs/internals/registry.md §2.3, §2.4). */
enum sl_scope_kind {
	SL_SCOPE_TOP, /* /mode, /config: the default context's level */
	SL_SCOPE_GLOBAL, /* :.__GLOBAL: */
	SL_SCOPE_CONTEXT, /* :.ctx: (":.:" is SL_SCOPE_TOP) */
	SL_SCOPE_SUBJECT, /* one subject */
};

struct sl_scope {
	enum sl_scope_kind kind;
	char *context; /* owned; "." for TOP, NULL for GLOBAL */
	char *subject; /* owned unqualified name for SUBJECT, else NULL */
	char *display; /* owned; the name used in messages (the path segment as sent) */
};

#define SL_SCOPE_INIT \
	{ \
		SL_SCOPE_TOP, NULL, NULL, NULL \
	}

/* Parses the {s} of /mode/{s} or /config/{s}; s NULL means the top level. Invalid subjects
 * give 42208. Fills scope (released with sl_scope_release). */
int sl_scope_parse(const char *s, struct sl_scope *scope, struct sl_error *err);
void sl_scope_release(struct sl_scope *scope);

/* Returns an owned empty store, or NULL when out of memory. */
struct sl_store *sl_store_new(void);
/* Frees st. NULL is a no-op. The journal, if attached, is not closed. */
void sl_store_free(struct sl_store *st);

/* From now on every write is appended to j (borrowed; must outlive st) and fsynced before the
 * write function returns. Attach after replaying. */
void sl_store_attach_journal(struct sl_store *st, struct sl_journal *j);

/* Applies one journal record (as written by the store) during replay. Returns 0, SL_EUNSUP
 * for an op this store does not know (records for other modules), or SL_EINVAL when the
 * record is malformed. Borrows rec. */
int sl_store_replay(struct sl_store *st, const char *rec, size_t len, struct sl_error *err);

/* The registry error helper: sets err to code SL_EINVAL-family with the registry code, the
 * HTTP status of its family (§0) and the message. Returns a negative code. */
int sl_registry_error(struct sl_error *err, int registry_code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Registers in (borrowed) under the qualified subject qs (already checked registrable).
 * id / version < 0 mean "not given". On success *id_out and *version_out hold the result.
 * Errors: 42201 (version gap, missing reference), 42205 (modes, overwrite), 42207, 50001. */
int sl_store_register(struct sl_store *st, const char *qs, const struct sl_schema_input *in, int id,
        int version, int *id_out, int *version_out, struct sl_error *err);

/* POST /subjects/{s}: the version of subject qs holding in. 40401, 40403. */
int sl_store_lookup(struct sl_store *st, const char *qs, const struct sl_schema_input *in,
        bool deleted, struct sl_schema_info *out, struct sl_error *err);

/* Parses a version path segment: "latest", "-1" or 1..2^31-1 (-1 returned for latest).
 * Otherwise 42202. */
int sl_version_parse(const char *v, int *out, struct sl_error *err);

/* GET /subjects/{s}/versions/{v}; version -1 = latest. 40401, 40402. */
int sl_store_get_version(struct sl_store *st, const char *qs, int version, bool deleted,
        struct sl_schema_info *out, struct sl_error *err);

enum sl_list_flags {
	SL_LIST_DELETED = 1, /* include soft-deleted */
	SL_LIST_DELETED_ONLY = 2, /* only soft-deleted */
	SL_LIST_DELETED_NEGATIVE = 4, /* versions: soft-deleted ones as negative numbers */
	SL_LIST_LATEST_ONLY = 8, /* /schemas: only the latest version per subject */
};

/* GET /subjects/{s}/versions: *out is an owned array of *n version numbers. 40401. */
int sl_store_list_versions(struct sl_store *st, const char *qs, unsigned flags, int **out,
        size_t *n, struct sl_error *err);

/* GET /subjects: owned qualified names (byte order) matching prefix (NULL = ":*:"). */
int sl_store_list_subjects(struct sl_store *st, const char *prefix, unsigned flags,
        struct sl_vec *out, struct sl_error *err);

/* GET /schemas: owned struct sl_schema_info * items matching prefix (NULL = ""). */
int sl_store_list_schemas(struct sl_store *st, const char *prefix, unsigned flags,
        struct sl_vec *out, struct sl_error *err);

/* GET /schemas/ids/{id}: the schema (subject/version unset) in the context picked by subject
 * (NULL = default context; see §2.6). *max_id (optional) gets that context's largest id.
 * 40403 "Schema <id> not found". */
int sl_store_get_by_id(struct sl_store *st, int id, const char *subject, struct sl_schema_info *out,
        int *max_id, struct sl_error *err);

/* GET /schemas/ids/{id}/subjects and /versions: owned struct sl_schema_info * items with
 * subject and version set, sorted. 40403 when none. */
int sl_store_id_versions(struct sl_store *st, int id, const char *subject, bool deleted,
        struct sl_vec *out, struct sl_error *err);

/* DELETE /subjects/{s}/versions/{v} (version -1 = latest). *deleted_version gets the number.
 * 40401, 40402, 40406, 40407, 42205 (read-only), 42206 (referenced). */
int sl_store_delete_version(struct sl_store *st, const char *qs, int version, bool permanent,
        int *deleted_version, struct sl_error *err);

/* DELETE /subjects/{s}: *out owned array of the deleted version numbers. 40401, 40404,
 * 40405, 42205, 42206. */
int sl_store_delete_subject(struct sl_store *st, const char *qs, bool permanent, int **out,
        size_t *n, struct sl_error *err);

/* GET /contexts: owned names, "." first then name order, filtered by prefix (NULL = all). */
int sl_store_list_contexts(
        struct sl_store *st, const char *prefix, struct sl_vec *out, struct sl_error *err);

/* DELETE /contexts/{ctx}: 42211 when it holds subjects (soft-deleted too); deleting an
 * unknown context succeeds. ctx in any form sl_context_normalize accepts, else 42208. */
int sl_store_delete_context(struct sl_store *st, const char *ctx, struct sl_error *err);

/* Modes: "READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD". Returned strings
 * are static. */

/* GET /mode[/{s}]. With default_to_global false, a SUBJECT/CONTEXT/GLOBAL scope with nothing
 * set at exactly that level gives 40409; TOP always answers the effective value. */
int sl_store_get_mode(struct sl_store *st, const struct sl_scope *sc, bool default_to_global,
        const char **mode, struct sl_error *err);

/* The effective mode of a qualified subject (§4). */
const char *sl_store_effective_mode(struct sl_store *st, const char *qs);

/* PUT /mode[/{s}]: mode case-insensitive; *mode_out gets the static upper-case name.
 * 42204, 42205 "Cannot import since found existing subjects", 42206. */
int sl_store_set_mode(struct sl_store *st, const struct sl_scope *sc, const char *mode, bool force,
        const char **mode_out, struct sl_error *err);

/* DELETE /mode[/{s}]: *prev gets the mode removed from that level (NULL when recursive and
 * nothing was set there). 40401 when nothing is set and not recursive. */
int sl_store_delete_mode(struct sl_store *st, const struct sl_scope *sc, bool recursive,
        const char **prev, struct sl_error *err);

/* Compatibility levels: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
 * FULL_TRANSITIVE, NONE (case-insensitive in, upper-case static strings out). */
int sl_store_get_config(struct sl_store *st, const struct sl_scope *sc, bool default_to_global,
        const char **level, struct sl_error *err);
int sl_store_set_config(struct sl_store *st, const struct sl_scope *sc, const char *level,
        const char **level_out, struct sl_error *err);
/* DELETE /config[/{s}]: *prev gets the removed level; TOP/GLOBAL with nothing set answer the
 * effective level; SUBJECT/CONTEXT with nothing set give 40401. */
int sl_store_delete_config(
        struct sl_store *st, const struct sl_scope *sc, const char **prev, struct sl_error *err);

/* Change log: number of entries so far. */
uint64_t sl_store_changes_count(struct sl_store *st);
/* Appends owned copies of entries [from, from + max) to out (struct sl_change * items). */
int sl_store_changes_since(
        struct sl_store *st, uint64_t from, size_t max, struct sl_vec *out, struct sl_error *err);
/* Waits until the log holds more than `from` entries or timeout_ms passed; returns the count.
 * sl_store_changes_wake ends every wait early (shutdown). */
uint64_t sl_store_changes_wait(struct sl_store *st, uint64_t from, int64_t timeout_ms);
void sl_store_changes_wake(struct sl_store *st);

/* Appends a record for another module (exporters) to the journal and waits for it to be
 * durable. Returns 0 without a journal. */
int sl_store_journal_extra(struct sl_store *st, const char *rec, size_t len, struct sl_error *err);

#endif
