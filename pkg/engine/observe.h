/*
 * observe.h — internal to pkg/engine: reading live state through the per-registry clients
 * of struct sl_engine. Counts every request in e->reads; a connection failure marks the
 * registry down for the rest of the pass so 1,000 links do not retry 1,000 times.
 */
#ifndef SL_ENGINE_OBSERVE_H
#define SL_ENGINE_OBSERVE_H

#include "engine_int.h"

bool obs_conn_error(int code);
/* The per-pass cached lists: GET /exporters (SL_EUNSUP on a route-level 404), GET /contexts. */
int obs_exporters(struct sl_engine *e, struct reg_client *c, struct sl_error *err);
int obs_contexts(struct sl_engine *e, struct reg_client *c, struct sl_error *err);
/* Tri-state like sl_srclient_mode_get / sl_srclient_config_get. */
int obs_mode(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err);
int obs_config(struct sl_engine *e, struct reg_client *c, const char *scope, char **v,
        struct sl_error *err);
/* Frees the declared imports (sl_engine_free). */
void obs_imports_release(struct sl_engine *e);

/* Observes link w (key "SchemaLink/<name>") into o (initialized with obs_link_init). */
int observe_link(struct sl_engine *e, const struct sl_snapshot *snap, const struct want_link *w,
        const char *key, struct reg_client *src, struct reg_client *dst, struct obs_link *o,
        struct sl_error *err);
/* Reads the managed mode and compatibility of o->scope on c. */
int observe_setting(struct sl_engine *e, struct reg_client *c, struct obs_setting *o,
        const char *key, struct sl_error *err);

#endif
