/*
 * controller.h — schemalinkd's loop (docs/internals/architecture.md "Daemon loop", docs/internals/operations.md).
 *
 * Owns: one epoll loop over the inotify watcher, timerfds (debounce, resync, content-hash
 * rescan, delayed requeues, status flush, systemd watchdog, periodic jobs), a signalfd (TERM/INT: drain and
 * stop; HUP: reload) and an eventfd the workers wake it with; the manifest snapshot in use
 * (immutable, swapped on a good load, kept on a bad one); a pool of worker threads that take
 * keys from the work queue and call the reconcile function; what the results mean for the
 * queue; the status board, its persistence and change log; the logging of reconcile errors
 * (a repeating one once per minute with a count, throttle.h); the metrics of docs/internals/operations.md; and
 * the HTTP endpoints /livez, /readyz, /metrics, /status, /status/<kind>/<name>.
 * Depends on engine's contract types (status.h), manifest, watch, queue, metrics,
 * statusboard, sdnotify, httpd and base. It does not call the engine itself: the reconcile
 * function is a pointer, so tests plug a fake and cmd/schemalinkd plugs sl_engine_reconcile.
 *
 * What a result does to the key:
 *   DONE           forget its failures; it comes back with the next resync
 *   REQUEUE_AFTER  forget its failures; add it again after requeue_ms
 *   RETRY          count a failure; add it again after the per-key backoff (+ global bucket)
 *   STALLED        forget its failures; not retried until a new snapshot or a resync
 *   a negative return code (failure outside the object) is treated as RETRY
 *
 * Readiness (/readyz, and --once's exit 3), the rule chosen where the design is silent:
 *   - the last manifest load succeeded (else reason ManifestsInvalid) and one has happened;
 *   - every Registry of the snapshot "answered within the last resync": the last reconcile
 *     of its Registry/<name> key ended no longer than resync + 10 s ago and was not a
 *     connection failure. A connection failure is a result whose Ready condition carries
 *     reason SL_REASON_REGISTRY_UNREACHABLE, or a negative return with SL_ECONN or
 *     SL_ETIMEOUT. Other failures (4xx, STALLED, ...) still prove the registry answered.
 */
#ifndef SCHEMALINK_CONTROLLER_H
#define SCHEMALINK_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"
#include "schemalink/metrics.h"
#include "schemalink/objects.h"
#include "schemalink/queue.h"
#include "schemalink/status.h"
#include "schemalink/statusboard.h"

/* Per-link gauges of replication verification, declared by the controller and set by whoever
 * runs the verification job (cmd/schemalinkd); removed with the link. */
#define SL_METRIC_LINK_MISSING "schemalink_link_missing_versions"
#define SL_METRIC_LINK_VERIFIED "schemalink_link_last_verified_timestamp_seconds"

/* The Ready reason by which a reconcile says its registry could not be reached. */
#define SL_REASON_REGISTRY_UNREACHABLE "RegistryUnreachable"

/* Reconciles key of snap (both borrowed; snap is immutable and stays valid during the call)
 * and fills *out; same contract as sl_engine_reconcile. Called from worker threads, never
 * for the same key twice at once. */
typedef int (*sl_reconcile_fn)(void *cls, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err);

#define SL_CONTROLLER_MAX_JOBS 4

/* A periodic job (the fast check, replication verification): run by a worker between
 * reconciles, every_ms after its previous run ended (the first every_ms after the start).
 * run gets reconcile_cls and the snapshot in use, appends keys (owned char *) to reconcile
 * now, and returns 0 or a negative code (logged; the job runs again at its next time). The
 * job waits in the work queue under the key "@<name>", so one run at a time. */
struct sl_controller_job {
	const char *name; /* borrowed for the controller's life; the metrics' job label */
	int64_t every_ms; /* 0: off */
	int (*run)(void *cls, const struct sl_snapshot *snap, struct sl_vec *keys);
	/* Not run while a resync pass is under way, which reads the same (its round is then
	 * skipped and counted in schemalink_job_skipped_total; docs/internals/reconcile.md
	 * "Fast check"). */
	bool skip_in_pass;
};

struct sl_controller_config {
	const char *manifests; /* directory (or file) to load and watch; required */
	const char *status_path; /* where the status board is persisted; NULL = not persisted */
	const char *listen; /* HTTP address; NULL = no HTTP server (unit tests) */
	int64_t resync_ms; /* 0 = 60 s */
	int64_t rescan_ms; /* content-hash rescan period; 0 = 5 min */
	int64_t drain_grace_ms; /* after SIGTERM, let in-flight work finish this long; 0 = 2 s */
	int64_t drain_ms; /* then cancel, and give up waiting after this in total; 0 = 9 s */
	int workers; /* worker threads; 0 = none (the caller runs sl_controller_work) */
	bool watch; /* use inotify (the daemon); false for --once and some tests */
	bool sd_notify; /* talk to systemd when $NOTIFY_SOCKET is set */
	const struct sl_clock *clock; /* NULL = system clock */
	const struct sl_queue_limits *limits; /* NULL = docs/internals/operations.md defaults */
	sl_reconcile_fn reconcile; /* required */
	void *reconcile_cls;
	/* Optional: a resync is run as a pass (sl_engine_begin_pass / end_pass), so lists
	 * that every link reads (GET /exporters of its source) are read once per registry and
	 * resync, not once per link. Called from worker threads, with reconcile_cls: begin
	 * before the first key processed after a resync; end when the queue is idle (nothing
	 * ready or processing) or the pass has lasted one resync period. --once runs as one pass.
	 * begin gets the snapshot in use (borrowed for the call; NULL before the first load), so
	 * it can hand the engine the pass's order (sl_engine_pass_keys). */
	void (*pass_begin)(void *cls, const struct sl_snapshot *snap);
	void (*pass_end)(void *cls);
	/* Optional: keys to reconcile beyond the snapshot's objects at every load and resync
	 * (what --prune would delete: sl_engine_orphans), appended to out as owned char *.
	 * Called from the loop thread with reconcile_cls. */
	int (*extra_keys)(void *cls, const struct sl_snapshot *snap, struct sl_vec *out);
	/* Optional periodic jobs (name NULL ends the list). Not run by sl_controller_once. */
	struct sl_controller_job jobs[SL_CONTROLLER_MAX_JOBS];
};

struct sl_controller;

/* Builds the controller: queue, status board (seeded from status_path when it exists),
 * metrics, watcher, fds, workers, HTTP server. Blocks SIGTERM, SIGINT and SIGHUP in the
 * calling thread (and so in the workers) to receive them on the signalfd, and ignores
 * SIGPIPE. Loads nothing yet. Returns an owned controller or NULL with err set. */
struct sl_controller *sl_controller_new(
        const struct sl_controller_config *cfg, struct sl_error *err);
/* Stops workers and the server and frees everything. NULL-safe. Do not call when
 * sl_controller_abandoned() says workers are still stuck in a reconcile. */
void sl_controller_free(struct sl_controller *c);

/* Loads the manifests now. force = false skips the load when the content hash of the tree
 * equals the one of the last attempt (the rescan). A good load swaps the snapshot and queues
 * every key that disappeared (so the reconciler can prune it) and: every key on the first
 * load, a forced one (SIGHUP) or when a Registry was added, removed or changed; otherwise
 * only the keys whose spec changed or that are new (the rest waits for the resync); a bad one keeps
 * the last good snapshot, counts schemalink_manifest_load_errors_total, is logged once and
 * makes /readyz fail with ManifestsInvalid. Returns 1 loaded, 0 skipped (unchanged), or
 * SL_EINVAL for a bad load. why ("start", "change", "SIGHUP", "rescan") goes to the log. */
int sl_controller_load(struct sl_controller *c, const char *why, bool force);

/* Queues every key of the current snapshot (the resync). */
void sl_controller_resync(struct sl_controller *c);

/* Takes one key (waiting up to wait_ms real time, < 0: until one is ready) and reconciles it,
 * as a worker does.
 * Returns 1 when a key was processed, 0 when none was ready, SL_ESTATE after shutdown. */
int sl_controller_work(struct sl_controller *c, int wait_ms);

/* Runs one pass of the event loop: waits up to timeout_ms (-1: until something happens) for
 * events and handles them (watcher, timers, signals). With a fake clock, tests call it with
 * timeout 0 after moving the clock: every deadline is checked against the clock. Returns 1
 * when a stop was requested (SIGTERM/SIGINT or sl_controller_stop), else 0. */
int sl_controller_poll(struct sl_controller *c, int timeout_ms);

/* The daemon: loads, notifies systemd, runs the loop until SIGTERM/SIGINT, then drains
 * (stop taking work; let in-flight work finish for drain_grace_ms; then cancel it; give up
 * after drain_ms), saves the status and returns 0. Returns a negative code only when it
 * could not run at all. */
int sl_controller_run(struct sl_controller *c);

/* One pass over every key in dependency order (Registries, then Contexts and Subjects, then
 * SchemaLinks) in the calling thread, then saves the status. Returns slctl apply's exit
 * code: 0 every object Ready, 1 a failure, 2 manifest errors, 3 a registry unreachable. */
int sl_controller_once(struct sl_controller *c);

/* Asks the loop to stop as SIGTERM does (thread-safe, async-signal-safe). */
void sl_controller_stop(struct sl_controller *c);

/* True once a stop was requested and the grace period is over: in-flight registry I/O should
 * abort. Matches sl_engine_config.cancelled (cls is the controller). Thread-safe. */
bool sl_controller_cancelled(void *cls);

/* Workers still inside a reconcile after sl_controller_run gave up waiting for them. */
int sl_controller_abandoned(struct sl_controller *c);

/* Borrowed views for tests and the daemon. */
struct sl_metrics *sl_controller_metrics(struct sl_controller *c);
struct sl_statusboard *sl_controller_statusboard(struct sl_controller *c);
struct sl_queue *sl_controller_queue(struct sl_controller *c);
/* The HTTP port (0 without a server). */
unsigned sl_controller_port(struct sl_controller *c);

/* Counters of what the loop did (tests). */
struct sl_controller_stats {
	uint64_t loads_ok; /* good loads (snapshot swapped) */
	uint64_t loads_failed; /* bad loads */
	uint64_t loads_skipped; /* rescans that found the same content hash */
	uint64_t reconciles; /* reconcile calls finished */
	uint64_t generation; /* snapshot generation, 0 before the first good load */
	bool ready; /* what /readyz answers now */
};
void sl_controller_stats(struct sl_controller *c, struct sl_controller_stats *out);

/* Appends /readyz's JSON body to out and returns the HTTP status (200 or 503). */
int sl_controller_readyz(struct sl_controller *c, struct sl_buf *out);

/* FNV-1a 64 over the manifest tree as the loader would read it (.yaml and .yml files, hidden and
 * editor files skipped, symlinks followed, each real file once): relative names and
 * contents. Exposed for tests. Returns the hash; a missing tree hashes to a fixed value. */
uint64_t sl_manifest_tree_hash(const char *root);

#endif
