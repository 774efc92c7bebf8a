/*
 * slctl.h — internal to cmd/slctl: commands implemented in their own files.
 */
#ifndef SLCTL_SLCTL_H
#define SLCTL_SLCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "schemalink/buf.h"
#include "schemalink/engine.h"
#include "schemalink/error.h"
#include "schemalink/objects.h"
#include "schemalink/vec.h"

enum { SLCTL_EXIT_OK = 0, SLCTL_EXIT_FAIL = 1, SLCTL_EXIT_USAGE = 2, SLCTL_EXIT_UNREACHABLE = 3 };

struct sl_engine;
struct sl_srclient_config;
struct sl_transport;

/* What a command was asked to do (flags parsed by main.c; everything borrowed). */
struct slctl_ctx {
	const char *command;
	const struct sl_vec *paths; /* manifest paths */
	const struct sl_vec *args; /* positional arguments after the command */
	const char *state_dir; /* --state-dir or NULL */
	const char *set; /* --set, or NULL: derived from the paths */
	const char *output; /* -o or NULL */
	const char *registry; /* --registry (export) */
	const char *observed; /* hidden --observed FILE (golden plan tests) or NULL */
	bool dry_run, prune, wait, adopt, allow_prune_all;
	int max_prune;
	int64_t timeout_ms;
	int progress; /* enum slctl_progress_when (progress.h) */
};

/* Appends the manifest paths to load to out: the -f values (borrowed from argv) or, when none
 * were given, the colon-separated entries of $SLCTL_FILES (copied into *env_copy, which the
 * caller frees; empty entries are skipped). */
int slctl_manifest_paths(const struct sl_vec *flags, struct sl_vec *out, char **env_copy);

/* slctl validate: loads paths, prints every diagnostic to stderr and a summary line to
 * stdout. Returns 0 (valid; warnings allowed unless strict) or 2. */
int slctl_validate(const struct sl_vec *paths, bool strict);

/* Loads the manifests (diagnostics to stderr). Returns 0 with *out owned, or exit code 2. */
int slctl_load(const struct slctl_ctx *x, struct sl_snapshot **out);
/* The engine for x's state dir and set; NULL after printing why. */
struct sl_engine *slctl_engine(const struct slctl_ctx *x, bool read_only, bool dry_run, bool prune);

/* Shared by the commands (setup.c). */
/* True when o is of kind ("link", "registry", ...; NULL: any). */
bool slctl_want_kind(const struct sl_object *o, const char *kind);
/* Prints why plan p stalls (reason, message, suggested fix) to stderr. */
void slctl_print_stalled(const struct sl_plan *p);
/* Prints j as JSON or YAML (format "json" or "yaml"). */
void slctl_emit_json(json_t *j, const char *format);
/* Appends the keys a command covers: every declared object in order, then (prune) what the
 * inventory owns that is no longer declared. Returns 0 or a negative code. */
int slctl_collect_keys(
        struct sl_engine *e, const struct sl_snapshot *snap, bool prune, struct sl_vec *keys);

/* The commands; each returns the process exit code (docs/internals/manifests.md §3). */
int slctl_diff(const struct slctl_ctx *x);
int slctl_apply(const struct slctl_ctx *x);
int slctl_get(const struct slctl_ctx *x);
int slctl_describe(const struct slctl_ctx *x);
int slctl_delete(const struct slctl_ctx *x);
int slctl_link_op(const struct slctl_ctx *x); /* pause, resume, reset, promote */
int slctl_export(const struct slctl_ctx *x);

/* Appends v as block YAML (maps, sequences, scalars; strings quoted when they need it). */
int slctl_yaml(json_t *v, struct sl_buf *out);
/* Appends s as a YAML scalar (plain when safe, else double-quoted JSON-style). */
int slctl_yaml_scalar(const char *s, struct sl_buf *out);

/* The hidden --observed FILE transport: answers GET requests from recorded responses of
 * each registry, refuses writes (see observed.c). cls is the file path. */
struct sl_transport *slctl_observed_transport(void *cls, const char *registry,
        const struct sl_srclient_config *cfg, struct sl_error *err);

#endif
