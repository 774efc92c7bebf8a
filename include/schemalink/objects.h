/*
 * objects.h — the four manifest kinds as C structs, their enums, keys, spec hashes and the
 * immutable snapshot of one load (docs/internals/manifests.md §2, docs/internals/architecture.md "pkg/model").
 *
 * Owns: struct sl_object (Registry, SchemaLink, Context, Subject), struct sl_snapshot, the
 * enums for modes, compatibility levels, link state and destination mode, and each field's
 * source position. Depends on base and model (qsubject, secret) only; no I/O, no logging.
 * pkg/manifest fills these structs; everything above reads them through const pointers from a
 * sealed snapshot, which never changes after sl_snapshot_seal.
 */
#ifndef SCHEMALINK_OBJECTS_H
#define SCHEMALINK_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemalink/error.h"
#include "schemalink/qsubject.h"
#include "schemalink/secret.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#define SL_API_VERSION "schemalink.io/v1alpha1"

enum sl_kind {
	SL_KIND_REGISTRY, /* applied first (docs/internals/architecture.md "Reconcile") */
	SL_KIND_CONTEXT,
	SL_KIND_SUBJECT,
	SL_KIND_SCHEMALINK,
	SL_KIND_COUNT,
};

/* "Registry", "SchemaLink", "Context", "Subject". */
const char *sl_kind_name(enum sl_kind k);
/* Exact (case-sensitive) kind name to enum. Returns 0 or SL_EINVAL ("must be one of ..."). */
int sl_kind_parse(const char *s, enum sl_kind *out, struct sl_error *err);

/* Registry modes (docs/internals/registry.md §2.3). UNSET = the manifest leaves the mode unmanaged;
 * INHERIT = remove the override at that level. */
enum sl_mode {
	SL_MODE_UNSET,
	SL_MODE_READWRITE,
	SL_MODE_READONLY,
	SL_MODE_READONLY_OVERRIDE,
	SL_MODE_IMPORT,
	SL_MODE_FORWARD,
	SL_MODE_INHERIT,
};

/* Compatibility levels (docs/internals/registry.md §2.4), same UNSET / INHERIT meaning. */
enum sl_compat {
	SL_COMPAT_UNSET,
	SL_COMPAT_BACKWARD,
	SL_COMPAT_BACKWARD_TRANSITIVE,
	SL_COMPAT_FORWARD,
	SL_COMPAT_FORWARD_TRANSITIVE,
	SL_COMPAT_FULL,
	SL_COMPAT_FULL_TRANSITIVE,
	SL_COMPAT_NONE,
	SL_COMPAT_INHERIT,
};

enum sl_link_state {
	SL_LINK_RUNNING,
	SL_LINK_PAUSED,
};

enum sl_dest_mode {
	SL_DEST_IMPORT,
	SL_DEST_UNMANAGED,
};

/* Enum parsing is case-insensitive (docs/internals/manifests.md §2); names print in their canonical case
 * (upper case, "Running"/"Paused", "Import"/"Unmanaged"). Parse errors read
 * `must be one of A, B, C (got "x")`. UNSET is never parsed and prints as "". */
int sl_mode_parse(const char *s, enum sl_mode *out, struct sl_error *err);
const char *sl_mode_name(enum sl_mode m);
int sl_compat_parse(const char *s, enum sl_compat *out, struct sl_error *err);
const char *sl_compat_name(enum sl_compat c);
int sl_link_state_parse(const char *s, enum sl_link_state *out, struct sl_error *err);
const char *sl_link_state_name(enum sl_link_state s);
int sl_dest_mode_parse(const char *s, enum sl_dest_mode *out, struct sl_error *err);
const char *sl_dest_mode_name(enum sl_dest_mode m);

/* Writes s into out as a double-quoted string with control and non-ASCII bytes as \xNN, cut
 * at 200 bytes (then ..."), so hostile input cannot forge or flood a message. */
void sl_quote(const char *s, char *out, size_t outlen);

/* Where something was written: 1-based line and column in file. file is borrowed from the
 * object (or diagnostic) that holds the position. line 0 = no position known. */
struct sl_pos {
	const char *file;
	int line;
	int col;
};

/* A string pair (labels, exporter config). Both owned. */
struct sl_kv {
	char *key;
	char *value;
};

/* A secretConfig entry. Both owned. */
struct sl_secret_kv {
	char *key;
	struct sl_secret_ref ref;
};

enum sl_auth_kind {
	SL_AUTH_NONE,
	SL_AUTH_BASIC,
	SL_AUTH_BEARER,
	SL_AUTH_OAUTH, /* linkAuth only */
};

struct sl_auth {
	enum sl_auth_kind kind;
	struct sl_secret_ref username; /* basic; may be inline */
	struct sl_secret_ref password; /* basic; env | file */
	struct sl_secret_ref token; /* bearer; env | file */
	struct sl_secret_ref client_id; /* oauth; may be inline */
	struct sl_secret_ref client_secret; /* oauth; env | file */
	char *issuer_url, *scope, *logical_cluster, *identity_pool_id; /* oauth; owned or NULL */
};

struct sl_link_tls {
	char *truststore_file; /* absolute path or NULL */
	struct sl_secret_ref truststore_password;
	char *keystore_file;
	struct sl_secret_ref keystore_password;
};

struct sl_tls {
	char *ca_file, *cert_file, *key_file; /* absolute paths or NULL */
	bool insecure_skip_verify;
};

#define SL_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define SL_DEFAULT_REQUEST_TIMEOUT_MS 30000
/* spec.rateLimit: below Confluent Cloud's 75 reads and 25 writes per second per registry,
 * leaving room for the applications that share it (docs/internals/operations.md "Rate
 * limits"). */
#define SL_DEFAULT_READS_PER_S 50
#define SL_DEFAULT_WRITES_PER_S 20

struct sl_registry_spec {
	char *url; /* required; http or https */
	char *link_url; /* never NULL after loading: defaults to url */
	char *cluster_id; /* NULL when not given */
	struct sl_auth auth; /* kind NONE when not given */
	bool has_link_auth; /* false: linkAuth defaults to auth (link_auth is then empty) */
	struct sl_auth link_auth;
	bool has_link_tls;
	struct sl_link_tls link_tls;
	struct sl_tls tls;
	int64_t connect_timeout_ms, request_timeout_ms;
	int reads_per_s, writes_per_s; /* spec.rateLimit; 0 = no limit */
	enum sl_mode mode;
	bool force_mode;
	enum sl_compat compatibility;
};

#define SL_DEFAULT_RENAME_FORMAT "${subject}"
#define SL_DEFAULT_MAX_ATTEMPTS_PER_HOUR 6

struct sl_link_spec {
	char *source, *destination; /* Registry names */
	struct sl_vec subjects; /* char *, owned, as written (after sl_filter_check); default "*" */
	enum sl_context_type context_type; /* default CUSTOM */
	char *context_name; /* CUSTOM: without leading dot (default: source); else NULL */
	char *subject_rename_format; /* default "${subject}" */
	struct sl_vec config; /* struct sl_kv *, sorted by key */
	struct sl_vec secret_config; /* struct sl_secret_kv *, sorted by key */
	enum sl_link_state state;
	bool suspend;
	enum sl_dest_mode destination_mode;
	bool self_heal_enabled; /* default true */
	bool force_import;
	int max_attempts_per_hour; /* default 6 */
	bool reset_on_update;
};

struct sl_context_spec {
	char *registry;
	char *context; /* normalized: "." or ".name" */
	enum sl_mode mode;
	bool force_mode;
	enum sl_compat compatibility;
};

struct sl_subject_spec {
	char *registry;
	char *subject; /* normalized qualified subject (sl_qsubject_normalize) */
	enum sl_mode mode;
	bool force_mode;
	enum sl_compat compatibility;
};

/* The position of one field, by its dotted path ("spec.context.type", "spec.subjects[1]"). */
struct sl_field_pos {
	char *path;
	int line, col;
};

struct sl_object {
	enum sl_kind kind;
	char *name;
	char *key; /* "Kind/name" */
	char *file; /* display name of the file it came from ("<stdin>" for -) */
	int line, col; /* where the document's top-level mapping starts */
	struct sl_vec labels; /* struct sl_kv *, sorted by key */
	struct sl_vec fields; /* struct sl_field_pos *, in the order they were read */
	char spec_hash[65]; /* set by sl_object_hash / sl_snapshot_seal */
	union {
		struct sl_registry_spec registry;
		struct sl_link_spec link;
		struct sl_context_spec context;
		struct sl_subject_spec subject;
	};
};

/* Returns a new object of kind k with the defaults of docs/internals/manifests.md §2 and the given name and
 * file (both copied), or NULL when out of memory. */
struct sl_object *sl_object_new(enum sl_kind k, const char *name, const char *file);
/* Frees o and everything it owns (secret values are wiped). NULL-safe. */
void sl_object_free(struct sl_object *o);

/* Records the position of field path (copied). Returns 0 or SL_ENOMEM. */
int sl_object_set_pos(struct sl_object *o, const char *path, int line, int col);
/* Position of field path, or of the closest recorded parent path ("spec.context.name" falls
 * back to "spec.context", then "spec", then the document start). Never fails. */
struct sl_pos sl_object_pos(const struct sl_object *o, const char *path);

/* Computes o->spec_hash: SHA-256 over a canonical serialization of kind, name, labels and
 * spec (defaults applied). Secrets contribute their reference (kind and env name / path /
 * inline value's hash), never a resolved value, so a rotated secret file does not change the
 * generation. Returns 0 or SL_ENOMEM. */
int sl_object_hash(struct sl_object *o);

/* Returns an owned "Kind/name" key, or NULL when out of memory. */
char *sl_object_key(enum sl_kind k, const char *name);

/* All objects of one load. Built by adding objects, then sealed; a sealed snapshot is
 * immutable and may be shared read-only between threads. */
struct sl_snapshot {
	struct sl_vec
	        objects; /* struct sl_object *, owned; sorted by kind, then name, when sealed */
	struct sl_strmap by_key; /* key -> struct sl_object * (borrowed from objects) */
	size_t files; /* number of files read for this load (informational) */
	bool sealed;
	/* Set by sl_snapshot_seal: unique among the snapshots this process sealed, never 0, so
	 * a cache keyed on it cannot mistake a new snapshot that malloc placed at a freed one's
	 * address for the old one (pkg/engine's declared imports). 0 while not sealed. */
	uint64_t id;
};

/* Returns an empty snapshot, or NULL when out of memory. */
struct sl_snapshot *sl_snapshot_new(void);
/* Frees s and all its objects. NULL-safe. */
void sl_snapshot_free(struct sl_snapshot *s);
/* Frees the field positions of every object of s (sl_object_set_pos), which only the
 * loader's diagnostics read: for a snapshot kept long after those were given (the daemon's,
 * about 380 bytes a link). sl_object_pos then answers the document's start. */
void sl_snapshot_drop_positions(struct sl_snapshot *s);
/* Takes o. Fails with SL_EEXIST (o is then NOT taken; the caller frees it) when an object of
 * the same kind and name is present, SL_ESTATE when sealed, SL_ENOMEM. */
int sl_snapshot_add(struct sl_snapshot *s, struct sl_object *o, struct sl_error *err);
/* Sorts the objects (kind in enum order, then name in byte order), computes every spec hash,
 * gives s its id and freezes s. Thread-safe for distinct snapshots. Returns 0 or SL_ENOMEM. */
int sl_snapshot_seal(struct sl_snapshot *s);
/* Borrowed object of kind k named name, or NULL. */
const struct sl_object *sl_snapshot_get(
        const struct sl_snapshot *s, enum sl_kind k, const char *name);
size_t sl_snapshot_count(const struct sl_snapshot *s);
/* Borrowed i-th object in sorted order (after sealing), or NULL when out of range. */
const struct sl_object *sl_snapshot_at(const struct sl_snapshot *s, size_t i);

#endif
