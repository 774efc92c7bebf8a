/*
 * observe.h — internal to pkg/engine: reading live state through the per-registry clients
 * of struct sl_engine. Counts every request in e->reads; a connection failure marks the
 * registry down for the rest of the pass so 1,000 links do not retry 1,000 times.
 */
#ifndef SL_ENGINE_OBSERVE_H
#define SL_ENGINE_OBSERVE_H

#include "engine_int.h"

bool sl_obs_conn_error(int code);
/* The per-pass cached lists: GET /exporters (SL_EUNSUP on a route-level 404), GET /contexts. */
int sl_obs_exporters(struct sl_engine *e, struct reg_client *c, struct sl_error *err);
int sl_obs_contexts(struct sl_engine *e, struct reg_client *c, struct sl_error *err);
/* Tri-state like sl_srclient_mode_get / sl_srclient_config_get; *v is owned by the caller.
 * In a pass each (client, scope) is asked once: the value, or the error, is kept in c and
 * answered again until sl_obs_forget_scope or the end of the pass. Outside a pass: always live. */
int sl_obs_mode(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err);
int sl_obs_config(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err);
/* The engine wrote (or tried to write) the mode ("mode") or compatibility ("config") of scope:
 * drops what any client read of it, so the next read is live. Any client, since two Registry
 * objects may name the same registry. */
void sl_obs_forget_scope(struct sl_engine *e, const char *what, const char *scope);
/* The engine created (outcome 1), deleted (-1) or perhaps wrote (0: a failure that may have
 * been applied) exporter name on c's registry: the pass's cached exporter list of every client
 * of that registry follows, or is dropped to be read again. So a link requeued in the same pass
 * (STARTING) finds the exporter it created instead of creating it again. */
void sl_obs_exporter_written(
        struct sl_engine *e, const struct reg_client *c, const char *name, int outcome);
/* Drops the modes and compatibilities c read in this pass (begin and end of a pass, free). */
void sl_obs_client_forget(struct reg_client *c);
/* Frees the declared imports (sl_engine_free). */
void sl_obs_imports_release(struct sl_engine *e);

/* The links read ahead at a time (docs/internals/operations.md "Reading ahead"). */
#define SL_OBS_READ_AHEAD_LINKS 100
/* In a pass given its key order (sl_engine_pass_keys): when key was not read ahead yet, reads
 * ahead, side by side, the exporter info and status and the destination mode a no-op plan of
 * it and of the next SL_OBS_READ_AHEAD_LINKS - 1 links will ask (exactly those, so no request
 * is spent twice), leaving the answers in their clients for the observation to take. Best
 * effort: a failure leaves the reads to be made when needed. */
void sl_obs_read_ahead(struct sl_engine *e, const struct sl_snapshot *snap, const char *key);
/* Forgets the pass's key order (begin and end of a pass, free). */
void sl_obs_read_ahead_reset(struct sl_engine *e);

/* Observes link w (key "SchemaLink/<name>") into o (initialized with sl_obs_link_init). */
int sl_observe_link(struct sl_engine *e, const struct sl_snapshot *snap, const struct want_link *w,
        const char *key, struct reg_client *src, struct reg_client *dst, struct obs_link *o,
        struct sl_error *err);
/* Reads the managed mode and compatibility of o->scope on c. */
int sl_observe_setting(struct sl_engine *e, struct reg_client *c, struct obs_setting *o,
        const char *key, struct sl_error *err);

#endif
