/*
 * exporter_int.h — what exporter.c (the set), exporter_spec.c (definitions), exporter_api.c
 * (REST) and exporter_worker.c (the engine) share and nobody else sees.
 */
#ifndef SCHEMALINK_EXPORTER_INT_H
#define SCHEMALINK_EXPORTER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "schemalink/exporter.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

enum xp_state { XP_STARTING, XP_RUNNING, XP_PAUSED };

/* What a PUT or DELETE on /exporters/{name}[/...] asks of one exporter. */
enum xp_action {
	XP_ACT_PAUSE,
	XP_ACT_RESUME,
	XP_ACT_RESET,
	XP_ACT_UPDATE,
	XP_ACT_CONFIG,
	XP_ACT_DELETE
};

/* An exporter's definition (ExporterCreate after defaults). */
struct xp_spec {
	enum sl_context_type ctype;
	char *context; /* as given; "." when not given and not CUSTOM */
	char **subjects; /* filters, at least one */
	size_t nsubjects;
	char *rename; /* subjectRenameFormat; NULL = not given ("${subject}") */
	char *kek_rename; /* kekRenameFormat; NULL = not given */
	struct sl_strmap config; /* char * values, secrets included */
};

struct xp_exporter {
	struct sl_exporters *set;
	char *name;
	struct xp_spec spec;
	uint64_t spec_gen; /* bumped by update and config update */
	enum xp_state state;
	int64_t offset; /* index of the last change-log entry handled, -1 before the first */
	int64_t ts; /* epoch ms of the last progress or failure, 0 before the first */
	char *trace; /* NULL when healthy */
	bool modes_done; /* IMPORT was set (or tried) on the destination at first start */
	bool deleted;
	bool thread_started;
	pthread_t thread;
	/* Bumped (under x->mu) by pause, resume, delete and shutdown; read without the lock by
	 * the worker's cancel check, so a call in flight is abandoned at once. */
	atomic_uint_fast64_t gen;
	uint64_t offset_gen; /* bumped by reset: progress computed before it is discarded */
};

struct sl_exporters {
	struct sl_store *store;
	enum sl_wildcard_scope wildcard;
	char *cluster_id; /* set by sl_exporters_start */
	size_t max; /* creates beyond this many exporters fail with 40964 */
	pthread_mutex_t jmu; /* orders journal writes; taken before mu */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC; any change a worker may wait for */
	struct sl_vec list; /* struct xp_exporter *, in name order */
	uint64_t log_count; /* change-log length as the dispatcher last saw it */
	bool started;
	bool dispatcher_started;
	pthread_t dispatcher;
	atomic_bool stopping;
};

/* exporter_spec.c */
void sl_xp_spec_release(struct xp_spec *sp);
/* Deep copy into dst (overwritten). Returns 0 or SL_ENOMEM (dst left empty). */
int sl_xp_spec_copy(struct xp_spec *dst, const struct xp_spec *src);
/* The state named s into *out; SL_EINVAL for another name. */
int sl_xp_parse_state(const char *s, enum xp_state *out);
/* Replaces sp->config by the config object cfg; applies an ExporterCreate (create) or
 * ExporterUpdate object o to sp. Registry errors 40951, 40952, 50001. */
int sl_xp_config_from_json(json_t *cfg, struct xp_spec *sp, struct sl_error *err);
int sl_xp_spec_apply_json(json_t *o, struct xp_spec *sp, bool create, struct sl_error *err);
/* An exporter's JSON forms (ExporterInfo, its config, ExporterStatus); masked hides secrets.
 * Owned, NULL when out of memory. Caller holds x->mu. */
json_t *sl_xp_config_json(const struct sl_strmap *cfg, bool masked);
json_t *sl_xp_info_json(const struct xp_exporter *e, bool masked);
json_t *sl_xp_status_json(const struct xp_exporter *e);
/* Owned journal record text of e, or NULL. Caller holds x->mu. */
char *sl_xp_record(const struct xp_exporter *e);

/* exporter.c */
/* A new exporter of set x named name (STARTING, offset -1, empty spec), or NULL. */
struct xp_exporter *sl_xp_exporter_new(struct sl_exporters *x, const char *name);
void sl_xp_exporter_free(struct xp_exporter *e);
/* Index of name in x->list, or -1. Caller holds x->mu. */
long sl_xp_find(const struct sl_exporters *x, const char *name);
/* Journals rec (taken). Caller holds x->jmu only. */
int sl_xp_journal(struct sl_exporters *x, char *rec, struct sl_error *err);
/* The state machine, each step journaled; neither lock held by the caller. sl_xp_add takes e
 * when it returns 0. sl_xp_change applies act to exporter name; body is the request object of
 * XP_ACT_UPDATE and XP_ACT_CONFIG (borrowed), NULL for the others. Both return 0 or the
 * registry error in err. */
int sl_xp_add(struct sl_exporters *x, struct xp_exporter *e, struct sl_error *err);
int sl_xp_change(struct sl_exporters *x, const char *name, enum xp_action act, json_t *body,
        struct sl_error *err);

/* exporter_worker.c */
int64_t sl_xp_now_ms(void);
/* Thread bodies: one worker per exporter (arg: struct xp_exporter *), one dispatcher per
 * set (arg: struct sl_exporters *). */
void *sl_xp_worker_main(void *arg);
void *sl_xp_dispatcher_main(void *arg);

#endif
