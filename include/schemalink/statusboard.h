/*
 * statusboard.h — the daemon's table of object statuses: what /status serves and what
 * --state-dir/<set>/status.json keeps.
 *
 * Owns: one status per object key, stored packed (sl_status_pack: a few hundred bytes, not a
 * whole struct sl_object_status), merged from each reconcile so that a condition's
 * lastTransitionTime moves only when its status does and heal history accumulates; the JSON
 * shape of docs/internals/architecture.md "Conditions" (type, status, reason, message, errorCode,
 * observedGeneration, lastTransitionTime as RFC 3339); the pages, filters and query
 * parameters of GET /status (docs/internals/operations.md "Status endpoint"); loading and
 * atomically saving that JSON. Depends on base (fileio, log's redaction), status.h, objects.h
 * (kind names) and json.h; uses jansson to read. Thread-safe: workers update while the HTTP
 * thread renders; nothing blocks under the lock, and no JSON is written under it (a page's
 * statuses are copied out first).
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

/* Which objects a page of GET /status holds. */
struct sl_status_filter {
	const char *kind; /* NULL = any; else a kind name, matched case-insensitively */
	const char *reason; /* NULL = any; else objects with a condition of this reason, matched
	                       case-insensitively */
	bool not_ready; /* only objects whose Ready condition is not True */
};

/* Page sizes of GET /status: the default keeps an unparameterised request on 10,000 objects
 * within its CPU budget (docs/internals/operations.md "Status endpoint"). */
#define SL_STATUS_PAGE_DEFAULT 500
#define SL_STATUS_PAGE_MAX 2000

/* The query of one GET /status. Strings are borrowed from the values given. */
struct sl_status_query {
	struct sl_status_filter filter;
	const char *after; /* the key the page starts after (parameter "continue"), or NULL */
	size_t limit;
};

#define SL_STATUS_QUERY_INIT \
	{ \
		{NULL, NULL, false}, NULL, SL_STATUS_PAGE_DEFAULT \
	}

#define SL_STATUS_QUERY_NPARAMS 5
/* "kind", "reason", "notReady", "limit", "continue". */
extern const char *const sl_status_query_names[SL_STATUS_QUERY_NPARAMS];

/* Sets query parameter name of GET /status to value (borrowed: q keeps pointers into it):
 * kind (Registry, SchemaLink, Context, Subject in any case), reason (not empty), notReady (true
 * or false), limit (1 to SL_STATUS_PAGE_MAX), continue (a key, "Kind/name", as the page before
 * gave it). Returns 0, SL_EINVAL for a bad value or SL_ENOENT for a name /status does not
 * take, with err's message naming the parameter and the value (quoted, cut). */
int sl_status_query_set(
        struct sl_status_query *q, const char *name, const char *value, struct sl_error *err);

/* The kind named s in any case ("schemalink" -> "SchemaLink", static), or NULL. */
const char *sl_status_kind(const char *s);

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

/* Appends one page of the board as JSON, what GET /status serves:
 *   {"total": T, "matched": M, "limit": L, "continue": "<key>", "objects": [...]}
 * objects: at most limit (> 0) of those f matches (NULL: every one), in key order, starting
 * after key after (NULL: from the first; a key no longer on the board works as well);
 * total: objects on the board; matched: of them, those f matches, on every page together;
 * continue: only when more match after this page, the key of its last object, to pass as
 * after for the next one. Costs a binary search plus the page when unfiltered, and a read in
 * place of every status when filtered; no status is unpacked but the page's. Returns 0,
 * SL_EINVAL (limit 0) or SL_ENOMEM (nothing appended). */
int sl_statusboard_page_json(struct sl_statusboard *b, const struct sl_status_filter *f,
        const char *after, size_t limit, struct sl_buf *out);

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
