/*
 * manifest.h — loading manifest files into a snapshot (docs/internals/manifests.md §1–§2).
 *
 * Owns: reading files, directories and stdin with the limits of docs/internals/manifests.md §1, YAML parsing
 * with positions (libyaml), per-object validation, and the cross-object lint of "Validation
 * across objects". Depends on model and base; never logs and never touches a registry.
 *
 * Every problem becomes a diagnostic `file:line:col: field.path: message`; a load reports all
 * of them (up to SL_MANIFEST_MAX_DIAGS), not only the first. A load with any error yields no
 * snapshot. Warnings do not stop a load; callers decide whether to treat them as errors
 * (`slctl validate --strict`).
 *
 * Choices where the design is silent (documented for users in `slctl validate --help`):
 *  - a UTF-8 byte order mark at the start of a file is accepted and skipped (YAML allows it;
 *    Windows editors write it); UTF-16 and UTF-32 files are refused with a clear error;
 *  - an explicit null (`key:` or `key: null`) counts as leaving the field out;
 *  - string fields take strings only: a plain scalar YAML resolves to another type (123, true,
 *    1.5) is an error that suggests quoting it, as Kubernetes does; exporter config values may
 *    be plain numbers and booleans, which are sent as written;
 *  - YAML tags other than !!str, and merge keys (<<), are not supported.
 */
#ifndef SCHEMALINK_MANIFEST_H
#define SCHEMALINK_MANIFEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/objects.h"
#include "schemalink/vec.h"

#define SL_MANIFEST_MAX_FILE_BYTES (1024 * 1024)
#define SL_MANIFEST_MAX_OBJECTS 50000
#define SL_MANIFEST_MAX_DEPTH 64
#define SL_MANIFEST_MAX_ALIAS_NODES 10000
#define SL_MANIFEST_MAX_SCALAR_BYTES (64 * 1024)
/* Entries in one link's subjects (the cross-object checks compare entries pairwise). */
#define SL_MANIFEST_MAX_SUBJECTS 1000
/* Diagnostics kept per load; more are counted and summarized in one last line. */
#define SL_MANIFEST_MAX_DIAGS 1000

/* Display name used for "-". */
#define SL_MANIFEST_STDIN_NAME "<stdin>"

enum sl_diag_severity {
	SL_DIAG_ERROR,
	SL_DIAG_WARNING,
};

struct sl_diag {
	enum sl_diag_severity severity;
	char *file; /* display name, or NULL for load-wide problems */
	int line, col; /* 1-based; 0 when unknown */
	char *path; /* field path ("spec.context.type"), or NULL */
	char *msg;
};

struct sl_diags {
	struct sl_vec items; /* struct sl_diag *, in the order found */
	size_t errors, warnings; /* counted even past SL_MANIFEST_MAX_DIAGS */
	size_t dropped; /* diagnostics not kept because of the cap */
};

void sl_diags_init(struct sl_diags *d);
void sl_diags_release(struct sl_diags *d);
/* Adds a diagnostic (all strings copied; file, path may be NULL; line 0 = no position).
 * Returns 0 or SL_ENOMEM. */
int sl_diags_add(struct sl_diags *d, enum sl_diag_severity sev, const char *file, int line, int col,
        const char *path, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int sl_diags_vadd(struct sl_diags *d, enum sl_diag_severity sev, const char *file, int line,
        int col, const char *path, const char *fmt, va_list ap)
        __attribute__((format(printf, 7, 0)));
/* When the list is full, drops the last kept diagnostic (counted in dropped) so that one that
 * must be seen, such as a limit that stopped the load, can still be added. */
void sl_diags_make_room(struct sl_diags *d);
/* Appends one line (without newline) to out:
 *   errors:   "file:line:col: path: message"
 *   warnings: "file:line:col: path: warning: message"
 * with "file:line:col: " shortened to "file: " without a position and left out without a
 * file, and "path: " left out without a path. */
int sl_diag_format(const struct sl_diag *d, struct sl_buf *out);

struct sl_manifest_loader;

/* Returns a new loader, or NULL when out of memory. */
struct sl_manifest_loader *sl_manifest_loader_new(void);
/* NULL-safe. Frees the snapshot under construction too. */
void sl_manifest_loader_free(struct sl_manifest_loader *l);

/* Adds a file, a directory (recursively: *.yaml and *.yml, names in byte order, hidden and
 * editor files skipped, symlinks followed, each real file read once) or "-" (stdin). Problems
 * with the path itself become diagnostics. Returns 0, or SL_ENOMEM. Borrows path. */
int sl_manifest_add_path(struct sl_manifest_loader *l, const char *path);

/* Adds len bytes of manifest text as if read from a file displayed as name; relative paths in
 * it resolve against base_dir (NULL: the current directory). The entry point for fuzzing:
 * no file system access except getcwd. Returns 0 or SL_ENOMEM. Borrows everything. */
int sl_manifest_add_buffer(struct sl_manifest_loader *l, const char *name, const char *base_dir,
        const void *data, size_t len);

/* Runs the cross-object checks and returns the load's result. When the load has no errors,
 * *out (when non-NULL) receives the sealed snapshot (owned by the caller); otherwise *out is
 * NULL. Call at most once. Returns 0, SL_EINVAL when there were errors, or SL_ENOMEM. */
int sl_manifest_finish(struct sl_manifest_loader *l, struct sl_snapshot **out);

/* The diagnostics so far (borrowed). */
const struct sl_diags *sl_manifest_diags(const struct sl_manifest_loader *l);
/* Files read so far and objects found so far. */
size_t sl_manifest_files(const struct sl_manifest_loader *l);
size_t sl_manifest_objects(const struct sl_manifest_loader *l);

/* Cross-object checks of docs/internals/manifests.md §2 "Validation across objects" over the objects of s
 * (sealed or not; objects may be partly filled after per-object errors). Adds errors and
 * warnings to d. Returns 0 or SL_ENOMEM. */
int sl_manifest_lint(const struct sl_snapshot *s, struct sl_diags *d);

#endif
