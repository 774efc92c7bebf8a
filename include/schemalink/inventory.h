/*
 * inventory.h — what one manifest set created and the values it replaced
 * (ARCHITECTURE.md "Modes a link needs", OPERATIONS.md "Prune is opt-in").
 *
 * Owns: the inventory file <state-dir>/<set>/inventory.json, shared in format by slctl and
 * schemalinkd, written atomically (temp + fsync + rename). Depends on base (and jansson for
 * the file format). Never holds a secret: secrets are kept as salted SHA-256 hashes so a
 * rotated secret is detected without storing it.
 *
 * Format (version 1):
 *   {"apiVersion":"schemalink.io/v1alpha1","kind":"Inventory","set":"default",
 *    "objects":{"SchemaLink/x":{"registry":"source","url":"http://...","exporter":"x",
 *                "secretHashes":{"basic.auth.user.info":"<hex>"},
 *                "healAttempts":[ms,...],
 *                "status":{"conditions":[...],"history":[...],...}}},
 *    "scopes":[{"registry":"target","url":"http://...","what":"mode","scope":":.source:",
 *               "previous":"READWRITE"|null,"value":"IMPORT","neededBy":["SchemaLink/x"]}]}
 * A scope is listed only when schemalink wrote it; "previous" null means no override was set
 * there before, so restoring removes the override.
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

struct sl_inv_object {
	char *key; /* "Kind/name" */
	char *registry; /* the Registry its writes went to (a link: its source) */
	char *url; /* that registry's url when last written, to prune without the manifest */
	char *exporter; /* SchemaLink: exporter name */
	struct sl_strmap secret_hashes; /* config key -> owned hex hash */
	/* Wall ms of resume-after-failure heals, oldest first: n_attempts of them, at most
	 * SL_INV_MAX_ATTEMPTS, grown by sl_inv_object_add_attempt (NULL while none). */
	int64_t *attempts;
	int n_attempts;
	/* Last reported status (conditions, heal history), packed; NULL when none. Read and
	 * written through sl_inv_object_get_status / sl_inv_object_set_status. */
	struct sl_status_packed *status;
};

struct sl_inv_scope {
	char *registry;
	char *url;
	char *what; /* "mode" or "config" */
	char *scope; /* "" = top level, ":.c:", or a subject */
	bool had_previous;
	char *previous; /* value replaced, when had_previous */
	char *value; /* value schemalink set */
	struct sl_vec needed_by; /* owned char * keys */
};

struct sl_inventory {
	char *path; /* NULL: in memory only */
	char *set;
	struct sl_strmap objects; /* key -> struct sl_inv_object * */
	struct sl_vec scopes; /* struct sl_inv_scope * */
};

/* Loads dir/set/inventory.json (a missing file is an empty inventory). dir NULL: in memory.
 * Returns owned, or NULL with err set (SL_EIO, or SL_EINVAL naming the file when it does not
 * parse). */
struct sl_inventory *sl_inventory_load(const char *dir, const char *set, struct sl_error *err);
void sl_inventory_free(struct sl_inventory *inv);
/* Writes the inventory atomically (mode 0600), creating dir/set when missing. A no-op for an
 * in-memory inventory. Streamed object by object (members in sorted order, two-space indent),
 * so it needs memory for one object's JSON, not the file's. */
int sl_inventory_save(const struct sl_inventory *inv, struct sl_error *err);

/* The object record for key (borrowed), or NULL. */
struct sl_inv_object *sl_inventory_object(const struct sl_inventory *inv, const char *key);
/* The record for key, created when missing. NULL when out of memory. */
struct sl_inv_object *sl_inventory_object_ensure(struct sl_inventory *inv, const char *key);
/* Forgets key's record. */
void sl_inventory_object_remove(struct sl_inventory *inv, const char *key);
/* Sets a string field of an object record (copied). Returns 0 or SL_ENOMEM. */
int sl_inv_set_str(char **field, const char *value);
/* Records a resume-after-failure heal at at_ms, dropping the oldest beyond
 * SL_INV_MAX_ATTEMPTS. Returns 0 or SL_ENOMEM. */
int sl_inv_object_add_attempt(struct sl_inv_object *o, int64_t at_ms);
/* Copies o's last reported status into *out. Returns 0, or SL_ENOENT (*out untouched) when
 * there is none. */
int sl_inv_object_get_status(const struct sl_inv_object *o, struct sl_object_status *out);
/* Replaces o's last reported status with a copy of st (borrowed). Returns 0, or SL_ENOMEM
 * with the old status kept. */
int sl_inv_object_set_status(struct sl_inv_object *o, const struct sl_object_status *st);
/* True when o has a status and it equals st in every field but updated_ms. */
bool sl_inv_object_same_status(const struct sl_inv_object *o, const struct sl_object_status *st);

/* The scope record (registry, what, scope), borrowed, or NULL. */
struct sl_inv_scope *sl_inventory_scope(
        const struct sl_inventory *inv, const char *registry, const char *what, const char *scope);
/* Records that key needs (registry, what, scope) = value, which replaced previous
 * (had_previous false: nothing was set). An existing record keeps its first previous value.
 * Returns 0 or SL_ENOMEM. */
int sl_inventory_scope_need(struct sl_inventory *inv, const char *registry, const char *url,
        const char *what, const char *scope, bool had_previous, const char *previous,
        const char *value, const char *key);
/* Removes key from every scope's needers. Scopes left with no needer move to released
 * (owned struct sl_inv_scope *, the caller restores and frees them with
 * sl_inv_scope_free). Returns 0 or SL_ENOMEM. */
int sl_inventory_scope_release(struct sl_inventory *inv, const char *key, struct sl_vec *released);
/* Forgets the scope record entirely (promote: the scope now belongs to people). */
void sl_inventory_scope_forget(
        struct sl_inventory *inv, const char *registry, const char *what, const char *scope);
bool sl_inv_scope_needed_by(const struct sl_inv_scope *s, const char *key);
void sl_inv_scope_free(struct sl_inv_scope *s);

#endif
