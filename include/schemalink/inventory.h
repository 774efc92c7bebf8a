/*
 * inventory.h — what one manifest set created and the values it replaced, keyed by the
 * registry each thing lives on (docs/ownership.md).
 *
 * Owns: the set's state in <state-dir>/<set>/: a snapshot (inventory.json, written atomically:
 * temp + fsync + rename), a journal appended between snapshots (journal.jsonl, one change per
 * line), and the set's lock file (lock). Shared in format by slctl and schemalinkd. Depends on
 * base, model (hashing) and jansson. Never holds a secret: secrets are kept as salted SHA-256
 * hashes so a rotated secret is detected without storing it.
 *
 * Three kinds of record:
 *   - owned exporters, keyed by "<url>|<cluster id>|<exporter>": an exporter this set created
 *     (or adopted) on the registry with that normalized URL and cluster id ("" = the registry
 *     has none). "pending" marks a create whose outcome is unknown (written ahead of the
 *     request): the next reconcile adopts the exporter if it exists, else forgets the record.
 *   - scopes, keyed by "<url>|<what>|<scope>": a mode or compatibility schemalink wrote, the
 *     value it replaced, and every key that needs it; "pending" likewise marks a write whose
 *     outcome is unknown.
 *   - object records, keyed by "Kind/name": the last status, heal attempts and secret hashes
 *     of a declared object. They own nothing on a registry.
 *
 * Durability: every change is appended to the journal (O(change), not O(inventory)); a
 * record a registry write depends on is flushed with fsync before the write (sl_inventory_flush
 * with sync). The journal is folded into a new snapshot once it outgrows the records, so
 * saving stays linear over any number of changes. A torn last journal line (a crash in the
 * middle of an append) is ignored; any other bad line fails the load naming file and line.
 *
 * Snapshot format (version 2):
 *   {"apiVersion":"schemalink.io/v1alpha1","kind":"Inventory","version":2,"set":"links-1a2b3c4d",
 *    "seq":N, "owned":{id:{...}}, "scopes":{id:{...}}, "objects":{"SchemaLink/x":{...}}}
 * Version 1 files (records keyed by name only) are read and converted.
 */
#ifndef SCHEMALINK_INVENTORY_H
#define SCHEMALINK_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/error.h"
#include "schemalink/status.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#define SL_INV_MAX_ATTEMPTS 64

/* The registry a record lives on. */
struct sl_inv_where {
	char *registry; /* the Registry's name in the manifests when recorded (display only) */
	char *url; /* normalized URL (sl_registry_url_normalize) */
	char *cluster_id; /* "" when the registry has none or it was not known */
};

struct sl_inv_owned {
	char *id; /* "<url>|<cluster id>|<exporter>" */
	char *key; /* "SchemaLink/name" that owns it */
	char *exporter;
	struct sl_inv_where at;
	bool pending; /* create written ahead; outcome unknown */
	bool adopted; /* taken over (--adopt), not created by this set */
};

struct sl_inv_scope {
	char *id; /* "<url>|<what>|<scope>" */
	struct sl_inv_where at;
	char *what; /* "mode" or "config" */
	char *scope; /* "" = top level, ":.c:", or a subject */
	bool had_previous;
	char *previous; /* value replaced, when had_previous */
	char *value; /* value schemalink set */
	bool pending; /* write recorded ahead; outcome unknown */
	/* This set found the value in place (another set, or someone, wrote it) and only needs
	 * it: never restored by this set, but other sets see the need (docs/ownership.md). */
	bool borrowed;
	struct sl_vec needed_by; /* owned char * keys */
};

struct sl_inv_object {
	char *key; /* "Kind/name" */
	struct sl_strmap secret_hashes; /* config key -> owned hex hash */
	/* Wall ms of resume-after-failure heals, oldest first: n_attempts of them, at most
	 * SL_INV_MAX_ATTEMPTS, grown by sl_inv_object_add_attempt (NULL while none). */
	int64_t *attempts;
	int n_attempts;
	/* Last reported status (conditions, heal history), packed; NULL when none. Read and
	 * written through sl_inv_object_get_status / sl_inv_object_set_status. */
	struct sl_status_packed *status;
};

struct sl_inventory {
	char *dir; /* <state-dir>/<set>; NULL: in memory only */
	char *path; /* the snapshot file, NULL in memory */
	char *journal; /* the journal file, NULL in memory */
	char *set;
	struct sl_strmap owned; /* id -> struct sl_inv_owned * */
	/* "<url>|<exporter>" -> one of its records (borrowed from owned): the lookup without a
	 * cluster id that every reconcile makes, O(1) instead of a walk of every record. */
	struct sl_strmap by_exporter;
	size_t twins; /* records made while another of the same url and exporter was indexed */
	struct sl_strmap scopes; /* id -> struct sl_inv_scope * */
	struct sl_strmap objects; /* key -> struct sl_inv_object * */
	/* Changed since the last flush: "o:<id>", "s:<id>", "k:<key>" -> NULL. */
	struct sl_strmap dirty;
	uint64_t seq; /* last change number written (snapshot or journal) */
	uint64_t journal_lines; /* lines in the journal since the snapshot */
	uint64_t journal_bytes; /* their bytes */
	uint64_t snap_bytes; /* the snapshot's bytes, as last loaded or saved */
	/* A change could not be marked dirty (out of memory): the journal cannot say it, so
	 * the next flush saves a snapshot. */
	bool lost;
	int lock_fd; /* -1 when not locked */
};

/* Normalizes a registry URL for identity: scheme and host lower case, user-info dropped,
 * the scheme's default port dropped, trailing slashes dropped. Returns owned, or NULL when
 * out of memory. */
char *sl_registry_url_normalize(const char *url);

/* The set name derived from manifest paths (borrowed; n of them) when --set is not given:
 * "<base name of the first path>-<8 hex of SHA-256 of the sorted real paths>", so two
 * folders never share a set and one folder always gets the same one. Writes at most len
 * bytes. Returns 0, or SL_ENOENT/SL_EINVAL with err naming the path. */
int sl_inventory_derive_set(
        const char *const *paths, size_t n, char *out, size_t len, struct sl_error *err);
/* True when set must be a plain name: 1-63 of letters, digits, '-', '_', '.', not "." or "..". */
bool sl_inventory_set_name_ok(const char *set);
/* True when dir holds state of the set "default" of a version before sets were derived. */
bool sl_inventory_has_legacy_default(const char *state_dir);

/* Loads dir/set (a missing set is an empty inventory): the snapshot, then the journal.
 * dir NULL: in memory. Returns owned, or NULL with err set (SL_EIO, or SL_EINVAL naming the
 * file and line that does not parse). */
struct sl_inventory *sl_inventory_load(const char *dir, const char *set, struct sl_error *err);
void sl_inventory_free(struct sl_inventory *inv);
/* Takes the set's lock (flock on dir/set/lock), writing holder ("slctl apply") with the pid
 * and the time into it. Returns 0, or SL_ESTATE with err naming the current holder, or SL_EIO.
 * Released by sl_inventory_free. A no-op in memory. */
int sl_inventory_lock(struct sl_inventory *inv, const char *holder, struct sl_error *err);
/* Appends every change since the last flush to the journal; sync: fsync it before returning
 * (what a registry write about to be made depends on). Folds the journal into a new
 * snapshot when it has grown past the records. A no-op in memory. Returns 0 or SL_EIO. */
int sl_inventory_flush(struct sl_inventory *inv, bool sync, struct sl_error *err);
/* sl_inventory_flush without sync, then a fold of the journal into a new snapshot when it
 * holds more lines than there are records, or a quarter of the snapshot's bytes: what the end
 * of a pass does, so the next load parses each record about once (a from-scratch apply
 * journals each link's records several times; a pass that moved 1,000 statuses journals
 * 0.6 MB next to a 1.2 MB snapshot, which every slctl run would parse again). Returns 0 or
 * SL_EIO. */
int sl_inventory_checkpoint(struct sl_inventory *inv, struct sl_error *err);
/* Writes a new snapshot of everything (mode 0600) and empties the journal. */
int sl_inventory_save(struct sl_inventory *inv, struct sl_error *err);

/* ---- object records ------------------------------------------------------------------ */

struct sl_inv_object *sl_inventory_object(const struct sl_inventory *inv, const char *key);
/* The record for key, created when missing. NULL when out of memory. */
struct sl_inv_object *sl_inventory_object_ensure(struct sl_inventory *inv, const char *key);
void sl_inventory_object_remove(struct sl_inventory *inv, const char *key);
/* Marks key's record changed (after editing its fields directly). */
void sl_inventory_object_touch(struct sl_inventory *inv, const char *key);
/* Sets a string field (copied). Returns 0 or SL_ENOMEM. */
int sl_inv_set_str(char **field, const char *value);
/* Records a resume-after-failure heal at at_ms, dropping the oldest beyond
 * SL_INV_MAX_ATTEMPTS. Returns 0 or SL_ENOMEM. */
int sl_inv_object_add_attempt(struct sl_inv_object *o, int64_t at_ms);
int sl_inv_object_get_status(const struct sl_inv_object *o, struct sl_object_status *out);
int sl_inv_object_set_status(struct sl_inv_object *o, const struct sl_object_status *st);
bool sl_inv_object_same_status(const struct sl_inv_object *o, const struct sl_object_status *st);

/* ---- owned exporters ----------------------------------------------------------------- */

/* The record of exporter on the registry at url (normalized) with cluster_id, or NULL.
 * cluster_id NULL: any record at url for that exporter (the first). */
struct sl_inv_owned *sl_inventory_owned(const struct sl_inventory *inv, const char *url,
        const char *cluster_id, const char *exporter);
/* Records that key owns exporter at where (copied). Existing: updated. Returns the record
 * (borrowed) or NULL when out of memory. */
struct sl_inv_owned *sl_inventory_own(struct sl_inventory *inv, const char *key,
        const char *exporter, const struct sl_inv_where *where, bool pending, bool adopted);
void sl_inventory_owned_remove(struct sl_inventory *inv, const char *id);
void sl_inventory_owned_touch(struct sl_inventory *inv, const char *id);

/* ---- scopes -------------------------------------------------------------------------- */

/* The scope record at url (normalized), or NULL. */
struct sl_inv_scope *sl_inventory_scope(
        const struct sl_inventory *inv, const char *url, const char *what, const char *scope);
/* Records that key needs (where, what, scope) = value, which replaced previous (had_previous
 * false: nothing was set). An existing record keeps its first previous value. pending: the
 * write is about to be made. Returns the record (borrowed) or NULL when out of memory. */
struct sl_inv_scope *sl_inventory_scope_need(struct sl_inventory *inv,
        const struct sl_inv_where *where, const char *what, const char *scope, bool had_previous,
        const char *previous, const char *value, const char *key, bool pending);
/* Removes key from the needers of the scopes at url (NULL: every url). Scopes left with no
 * needer move to released (owned struct sl_inv_scope *, the caller restores and frees them with
 * sl_inv_scope_free). Returns 0 or SL_ENOMEM. */
int sl_inventory_scope_release(
        struct sl_inventory *inv, const char *key, const char *url, struct sl_vec *released);
/* Forgets the scope record entirely (promote: the scope now belongs to people). */
void sl_inventory_scope_forget(struct sl_inventory *inv, const char *id);
void sl_inventory_scope_touch(struct sl_inventory *inv, const char *id);
bool sl_inv_scope_needed_by(const struct sl_inv_scope *s, const char *key);
void sl_inv_scope_free(struct sl_inv_scope *s);

/* Whether a set of state_dir other than set records the exporter id ('o') or needs the scope
 * id ('s'); the first such set's name goes into out. Sets that cannot be read are skipped. */
bool sl_inventory_other_set(
        const char *state_dir, const char *set, char type, const char *id, char *out, size_t len);

/* Copies where (src) into dst (owned strings). Returns 0 or SL_ENOMEM. */
int sl_inv_where_copy(struct sl_inv_where *dst, const struct sl_inv_where *src);
void sl_inv_where_release(struct sl_inv_where *w);

#endif
