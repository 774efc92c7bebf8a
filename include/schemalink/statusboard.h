/*
 * statusboard.h — the daemon's table of object statuses: what /status serves and what
 * --state-dir/<set>/status.json keeps.
 *
 * Owns: one status per object key, stored packed (sl_status_pack: a few hundred bytes, not a
 * whole struct sl_object_status), merged from each reconcile so that a condition's
 * lastTransitionTime moves only when its status does and heal history accumulates; the JSON
 * shape of docs/internals/architecture.md "Conditions" (type, status, reason, message, errorCode,
 * observedGeneration, lastTransitionTime as RFC 3339); loading and atomically saving that
 * JSON. Depends on base (fileio, log's redaction), status.h and json.h; uses jansson.
 * Thread-safe: workers update while the HTTP thread renders; nothing blocks under the lock.
 */
#ifndef SCHEMALINK_STATUSBOARD_H
#define SCHEMALINK_STATUSBOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/status.h"
#include "schemalink/vec.h"

struct sl_statusboard;

/* One condition that changed in an update, for the change log. */
struct sl_status_transition {
	enum sl_cond_type type;
	enum sl_cond_status from, to;
	bool reason_changed; /* same status, new reason */
};

struct sl_status_change {
	bool changed; /* anything but updated_ms differs: persist */
	bool is_new; /* the key had no status before */
	struct sl_status_transition t[SL_COND_COUNT];
	int n;
};

/* Returns an owned, empty board or NULL when out of memory. */
struct sl_statusboard *sl_statusboard_new(void);
/* NULL-safe. */
void sl_statusboard_free(struct sl_statusboard *b);

/* Merges st (borrowed) into the entry for st->key: a condition whose status is unchanged
 * keeps its stored lastTransitionTime; history records not yet stored are appended (the
 * engine may report only this pass's heals or the whole ring). Fills *chg when non-NULL.
 * Returns 0 or SL_ENOMEM / SL_EINVAL (empty key). */
int sl_statusboard_update(
        struct sl_statusboard *b, const struct sl_object_status *st, struct sl_status_change *chg);

/* Adds an entry with every condition Unknown, reason "Pending", for an object not visited
 * yet, unless one exists. gen is its spec hash. Returns 1 when added, 0 when present, or
 * SL_ENOMEM. */
int sl_statusboard_seed(struct sl_statusboard *b, const char *key, const char *gen, int64_t now_ms);

/* Forgets key. Returns true when it was present. */
bool sl_statusboard_remove(struct sl_statusboard *b, const char *key);

/* Copies the status of key into *out. Returns 0 or SL_ENOENT. */
int sl_statusboard_get(struct sl_statusboard *b, const char *key, struct sl_object_status *out);

/* Appends owned copies of every key, in byte order, to out (an initialized vector of char *).
 * Returns 0 or SL_ENOMEM. */
int sl_statusboard_keys(struct sl_statusboard *b, struct sl_vec *out);

/* Number of entries. */
size_t sl_statusboard_len(struct sl_statusboard *b);

/* True when an update or removal happened since the last successful save (or clear). */
bool sl_statusboard_dirty(struct sl_statusboard *b);

/* Appends JSON: with key NULL {"objects":[...every entry in key order...]}, built one entry
 * at a time (an entry removed meanwhile is left out); else the one object, or SL_ENOENT.
 * Messages, fixes and traces pass through sl_redact. Returns 0, SL_ENOENT or SL_ENOMEM
 * (nothing appended). */
int sl_statusboard_json(struct sl_statusboard *b, const char *key, struct sl_buf *out);

/* Writes the whole board to path atomically (mode 0600) when dirty; clears dirty on
 * success. Streamed entry by entry into the temporary file, so a save needs memory for one
 * entry's JSON, not the file's. Returns 1 when written, 0 when nothing changed, or a
 * negative code. */
int sl_statusboard_save(struct sl_statusboard *b, const char *path, struct sl_error *err);

/* Reads a file written by sl_statusboard_save into the board (entries replace those with the
 * same key). A missing file is not an error. Returns the number of entries read, or a negative
 * code (SL_EPROTO for a file that is not such JSON). */
int sl_statusboard_load(struct sl_statusboard *b, const char *path, struct sl_error *err);

/* "SchemaLink/x" -> kind "SchemaLink", name "x" (pointers into key; kind_len set). */
bool sl_status_key_split(const char *key, size_t *kind_len, const char **name);

#endif
