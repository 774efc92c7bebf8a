/*
 * controller_int.h — internal to pkg/controller: the controller's state and what its files
 * (controller.c, loop.c, load.c, reconcile.c, endpoints.c) share.
 * See docs/internals/architecture.md "schemalinkd".
 */
#ifndef SL_CONTROLLER_INT_H
#define SL_CONTROLLER_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/controller.h"
#include "schemalink/httpd.h"
#include "schemalink/manifest.h"
#include "schemalink/metrics.h"
#include "schemalink/queue.h"
#include "schemalink/statusboard.h"
#include "schemalink/strmap.h"
#include "schemalink/throttle.h"
#include "schemalink/watch.h"

#define DEFAULT_RESYNC_MS 60000
#define DEFAULT_RESCAN_MS 300000
#define DEFAULT_GRACE_MS 2000
#define DEFAULT_DRAIN_MS 9000
#define FLUSH_DELAY_MS 1000 /* status.json is written at most once a second */
#define READY_SLACK_MS 10000 /* a registry's answer may be this much older than one resync */
#define LOAD_MSG_MAX 2048
#define LOAD_DIAGS_LOGGED 5

#define M_RECONCILE_TOTAL "controller_runtime_reconcile_total"
#define M_RECONCILE_ERRORS "controller_runtime_reconcile_errors_total"
#define M_RECONCILE_TIME "controller_runtime_reconcile_time_seconds"
#define M_DEPTH "workqueue_depth"
#define M_ADDS "workqueue_adds_total"
#define M_RETRIES "workqueue_retries_total"
#define M_EXPORTER_STATE "schemalink_exporter_state"
#define M_EXPORTER_OFFSET "schemalink_exporter_offset"
#define M_SELF_HEAL "schemalink_self_heal_total"
#define M_DRIFT "schemalink_drift_corrections_total"
#define M_LOAD_ERRORS "schemalink_manifest_load_errors_total"
#define M_LOADS "schemalink_manifest_loads_total"
#define M_OBJECTS "schemalink_manifest_objects"
#define M_READY "schemalink_ready"
#define M_RSS "process_resident_memory_bytes"
#define M_CPU "process_cpu_seconds_total"
#define M_START "process_start_time_seconds"
#define M_JOB_RUNS "schemalink_job_runs_total"
#define M_JOB_FLAGGED "schemalink_job_flagged_total"
#define M_JOB_SKIPPED "schemalink_job_skipped_total"

/* A snapshot shared by the loop and the workers; freed when the last user lets go. */
struct snapref {
	struct sl_snapshot *snap;
	uint64_t gen;
	int refs;
};

/* What readiness remembers of one registry's last answer. */
struct regseen {
	int64_t at_ms; /* mono time of the last reconcile of Registry/<name> */
	bool ok; /* it was not a connection failure */
	char msg[256];
};

enum timer {
	T_DEBOUNCE,
	T_RESYNC,
	T_RESCAN,
	T_DELAY,
	T_FLUSH,
	T_WATCHDOG,
	T_JOBS, /* the earliest periodic job */
	T_COUNT,
};

struct sl_controller {
	struct sl_controller_config cfg;
	char *manifests, *status_path;
	const struct sl_clock *clock;
	struct sl_queue *q;
	struct sl_metrics *m;
	struct sl_statusboard *board;
	struct sl_throttle *thr; /* repeating errors: logged once per minute with a count */
	struct sl_watch *watch;
	struct sl_httpd *httpd;
	int epfd, sigfd, evfd;
	int tfd[T_COUNT];
	int64_t due[T_COUNT]; /* mono deadline per timer, -1 when disarmed (debounce: computed) */
	struct sl_debounce deb;
	int64_t watchdog_ms;

	pthread_mutex_t lock; /* guards the fields below */
	pthread_cond_t cond; /* workers leaving */
	struct snapref *cur;
	uint64_t gen;
	bool loaded; /* a load was attempted */
	bool load_ok; /* the last load was good */
	char load_msg[LOAD_MSG_MAX]; /* why the last load failed */
	struct sl_buf last_fail; /* diagnostics of the last bad load, to log each once */
	uint64_t last_hash;
	bool have_hash;
	struct sl_strmap regs; /* registry name -> struct regseen * */
	struct sl_controller_stats stats;
	int running; /* worker threads alive */
	uint64_t last_adds, last_retries; /* queue counters already added to the metrics */

	pthread_t *threads;
	int nthreads;
	atomic_bool pass_want; /* a resync asked for a pass */
	bool pass_on; /* a pass is running (under lock) */
	int64_t pass_start; /* mono ms */
	atomic_int stop_req;
	atomic_bool cancel;
	int abandoned;
	sigset_t oldmask;
	bool masked;
	double start_time_s;
	/* Under lock: mono time each periodic job is next due, -1 while it is queued or running
	 * (or off). */
	int64_t job_due[SL_CONTROLLER_MAX_JOBS];
	int njobs;
};

/* What one reconcile of a key came to, for the pass that ran it. */
struct outcome {
	enum sl_result result;
	bool conn_failure;
	bool failed; /* RETRY, STALLED or a negative return */
};

/* controller.c: small helpers. */
int64_t sl_ctl_mono(const struct sl_controller *c);
int64_t sl_ctl_real_now_us(void);
/* Wakes the loop (the eventfd). */
void sl_ctl_wake(struct sl_controller *c);
/* Sends a systemd notify message when the daemon runs with sd_notify. */
void sl_ctl_notify(struct sl_controller *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* "SchemaLink/x" -> "schemalink" (the controller label of metrics). */
void sl_ctl_controller_label(const char *key, char *out, size_t len);
/* True when key is "kind/<name>"; *name then points at name. */
bool sl_ctl_key_is(const char *key, const char *kind, const char **name);
/* The object of snapshot s with key "Kind/name", or NULL. */
const struct sl_object *sl_ctl_snap_find(const struct sl_snapshot *s, const char *key);
/* The current snapshot with one more reference (NULL before the first load); let go with
 * sl_ctl_snap_release, which frees it with its last reference. */
struct snapref *sl_ctl_snap_acquire(struct sl_controller *c);
void sl_ctl_snap_release(struct sl_controller *c, struct snapref *r);

/* Schedules every periodic job every_ms after now (when the controller is made, and again
 * when sl_controller_run starts). */
void sl_ctl_jobs_schedule(struct sl_controller *c, int64_t now);

/* reconcile.c: the workers. */
/* Reconciles key against ref's snapshot and records everything about the result; with
 * requeue, applies the result to the queue as controller.h describes. */
void sl_ctl_process_key(struct sl_controller *c, struct snapref *ref, const char *key, bool requeue,
        struct outcome *oc);
void *sl_ctl_worker_main(void *arg);
/* Runs periodic job name (a worker took "@name" from the queue) and schedules its next run. */
void sl_ctl_run_job(struct sl_controller *c, const char *name);

/* endpoints.c: metrics and HTTP. */
int sl_ctl_declare_metrics(struct sl_controller *c, struct sl_error *err);
double sl_ctl_process_start_time(void);
int sl_ctl_http_handle(
        void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp);
void sl_ctl_on_httpd_message(void *cls, const char *msg);

#endif
