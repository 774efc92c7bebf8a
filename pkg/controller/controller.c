/* controller.c — schemalinkd's event loop, workers, results, readiness and endpoints. */
#include "schemalink/controller.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/httpd.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/sdnotify.h"
#include "schemalink/strmap.h"
#include "schemalink/throttle.h"
#include "schemalink/vec.h"
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
};

/* ---- manifest tree hash ------------------------------------------------------------------ */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= FNV_PRIME;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* MANIFESTS.md §1: hidden entries and editor files are never read. */
static bool skipped_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || ends_with(name, "~") || ends_with(name, ".swp") ||
	       ends_with(name, ".tmp") || (n >= 2 && name[0] == '#' && name[n - 1] == '#');
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void hash_file(uint64_t *h, const char *path, const char *rel, struct sl_strmap *seen)
{
	char real[PATH_MAX], buf[8192];
	size_t total = 0;
	ssize_t n;
	int fd;

	if (realpath(path, real) == NULL)
		return;
	if (sl_strmap_get(seen, real, NULL) != NULL || sl_strmap_set(seen, real, real, NULL) < 0)
		return;
	fnv(h, rel, strlen(rel) + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fnv(h, "!", 1);
		return;
	}
	/* Past the loader's per-file cap the content no longer matters: the load fails anyway. */
	while (total <= SL_MANIFEST_MAX_FILE_BYTES && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fnv(h, "!", 1);
			break;
		}
		fnv(h, buf, (size_t)n);
		total += (size_t)n;
	}
	fnv(h, &total, sizeof(total));
	close(fd);
}

static void hash_dir(uint64_t *h, const char *dir, const char *rel, struct sl_strmap *seen,
        struct sl_strmap *dirs, int depth)
{
	struct dirent **list = NULL;
	char real[PATH_MAX];
	int n, i;

	if (depth > 32 || realpath(dir, real) == NULL || sl_strmap_get(dirs, real, NULL) != NULL ||
	        sl_strmap_set(dirs, real, real, NULL) < 0)
		return;
	n = scandir(dir, &list, NULL, cmp_dirent);
	if (n < 0) {
		fnv(h, "?", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char *path = NULL, *r = NULL;
		struct stat st;

		if (!skipped_name(name) && asprintf(&path, "%s/%s", dir, name) >= 0 &&
		        asprintf(&r, "%s%s%s", rel, rel[0] ? "/" : "", name) >= 0 &&
		        stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				hash_dir(h, path, r, seen, dirs, depth + 1);
			else if (S_ISREG(st.st_mode) &&
			         (ends_with(name, ".yaml") || ends_with(name, ".yml")))
				hash_file(h, path, r, seen);
		}
		free(path);
		free(r);
		free(list[i]);
	}
	free(list);
}

uint64_t sl_manifest_tree_hash(const char *root)
{
	struct sl_strmap seen = SL_STRMAP_INIT, dirs = SL_STRMAP_INIT;
	uint64_t h = FNV_OFFSET;
	struct stat st;

	if (stat(root, &st) != 0) {
		fnv(&h, "<missing>", 9);
	} else if (S_ISDIR(st.st_mode)) {
		hash_dir(&h, root, "", &seen, &dirs, 0);
	} else {
		hash_file(&h, root, "", &seen);
	}
	/* The maps' values point at stack buffers that are gone: release without freeing. */
	sl_strmap_release(&seen, NULL);
	sl_strmap_release(&dirs, NULL);
	return h;
}

/* ---- small helpers ----------------------------------------------------------------------- */

static int64_t mono(const struct sl_controller *c)
{
	return sl_clock_mono_ms(c->clock);
}

static void wake(struct sl_controller *c)
{
	uint64_t one = 1;
	ssize_t n;

	if (c->evfd >= 0)
		do
			n = write(c->evfd, &one, sizeof(one));
		while (n < 0 && errno == EINTR);
}

static void notify(struct sl_controller *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void notify(struct sl_controller *c, const char *fmt, ...)
{
	struct sl_error err = SL_ERROR_INIT;
	char msg[512];
	va_list ap;

	if (!c->cfg.sd_notify)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sl_sd_notify(msg, &err) < 0)
		sl_log(SL_LOG_WARN, NULL, "systemd notify failed: %s", err.msg);
}

/* "SchemaLink/x" -> "schemalink" (the controller label). */
static void controller_label(const char *key, char *out, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && key[i] != '\0' && key[i] != '/'; i++)
		out[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] - 'A' + 'a' : key[i]);
	out[i] = '\0';
}

static bool key_is(const char *key, const char *kind, const char **name)
{
	size_t n = strlen(kind);

	if (strncmp(key, kind, n) != 0 || key[n] != '/')
		return false;
	*name = key + n + 1;
	return true;
}

/* The object of snapshot s with key "Kind/name", or NULL. */
static const struct sl_object *snap_find(const struct sl_snapshot *s, const char *key)
{
	return s != NULL ? sl_strmap_get(&s->by_key, key, NULL) : NULL;
}

static int64_t real_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct snapref *snap_acquire(struct sl_controller *c)
{
	struct snapref *r;

	pthread_mutex_lock(&c->lock);
	r = c->cur;
	if (r != NULL)
		r->refs++;
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void snap_release(struct sl_controller *c, struct snapref *r)
{
	bool last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last) {
		sl_snapshot_free(r->snap);
		free(r);
	}
}

/* ---- metrics ----------------------------------------------------------------------------- */

static int declare_metrics(struct sl_controller *c, struct sl_error *err)
{
	static const double secs[] = {
	        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
	static const char *const ctl_result[] = {"controller", "result"};
	static const char *const ctl[] = {"controller"};
	static const char *const link_state[] = {"link", "state"};
	static const char *const link[] = {"link"};
	static const char *const link_reason[] = {"link", "reason"};
	static const char *const kind_reason[] = {"kind", "reason"};
	static const char *const result[] = {"result"};
	struct {
		const char *name;
		enum sl_metric_type type;
		const char *help;
		const char *const *labels;
		size_t nlabels;
	} defs[] = {
	        {M_RECONCILE_TOTAL, SL_METRIC_COUNTER,
	                "Reconciles per controller (object kind) and result "
	                "(success, requeue_after, error, stalled).",
	                ctl_result, 2},
	        {M_RECONCILE_ERRORS, SL_METRIC_COUNTER,
	                "Reconciles that ended in a transient error (retried with backoff).", ctl,
	                1},
	        {M_RECONCILE_TIME, SL_METRIC_HISTOGRAM, "Time spent in one reconcile.", ctl, 1},
	        {M_DEPTH, SL_METRIC_GAUGE, "Keys ready to be reconciled.", NULL, 0},
	        {M_ADDS, SL_METRIC_COUNTER, "Keys added to the work queue.", NULL, 0},
	        {M_RETRIES, SL_METRIC_COUNTER, "Rate-limited re-adds (retries).", NULL, 0},
	        {M_EXPORTER_STATE, SL_METRIC_GAUGE,
	                "1 for the state the link's exporter was last seen in, else 0.", link_state,
	                2},
	        {M_EXPORTER_OFFSET, SL_METRIC_GAUGE, "The link's exporter offset as last seen.",
	                link, 1},
	        {M_SELF_HEAL, SL_METRIC_COUNTER, "Self-heal actions per link and reason.",
	                link_reason, 2},
	        {M_DRIFT, SL_METRIC_COUNTER,
	                "Drift repaired before it caused a failure, per kind and reason.",
	                kind_reason, 2},
	        {M_LOAD_ERRORS, SL_METRIC_COUNTER,
	                "Manifest loads that failed (the last good snapshot stayed in use).", NULL,
	                0},
	        {M_LOADS, SL_METRIC_COUNTER,
	                "Manifest loads attempted, by result (success, error, unchanged).", result,
	                1},
	        {M_OBJECTS, SL_METRIC_GAUGE, "Objects in the snapshot in use.", NULL, 0},
	        {M_READY, SL_METRIC_GAUGE, "1 when /readyz answers 200.", NULL, 0},
	        {M_RSS, SL_METRIC_GAUGE, "Resident memory size in bytes.", NULL, 0},
	        {M_CPU, SL_METRIC_COUNTER, "User and system CPU time spent in seconds.", NULL, 0},
	        {M_START, SL_METRIC_GAUGE,
	                "Start time of the process since the Unix epoch in seconds.", NULL, 0},
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]) && rc == 0; i++) {
		bool hist = defs[i].type == SL_METRIC_HISTOGRAM;

		rc = sl_metrics_declare(c->m, defs[i].name, defs[i].type, defs[i].help,
		        defs[i].labels, defs[i].nlabels, hist ? secs : NULL,
		        hist ? sizeof(secs) / sizeof(secs[0]) : 0, err);
	}
	return rc;
}

/* The process start time: /proc/self/stat's starttime (clock ticks after boot) + btime. */
static double process_start_time(void)
{
	char buf[4096], *p;
	unsigned long long start = 0, btime = 0;
	FILE *f;
	size_t n;
	int i;

	f = fopen("/proc/self/stat", "re");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 2 (comm) may hold spaces: count fields after its closing parenthesis. */
	p = strrchr(buf, ')');
	for (i = 2; p != NULL && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	f = fopen("/proc/stat", "re");
	if (f == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return (double)btime + (double)start / (double)sysconf(_SC_CLK_TCK);
}

static void update_process_metrics(struct sl_controller *c)
{
	struct sl_queue_stats qs;
	struct rusage ru;
	unsigned long long size = 0, rss = 0;
	double cpu, prev;
	FILE *f;

	f = fopen("/proc/self/statm", "re");
	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &rss) == 2)
			sl_metrics_set(
			        c->m, M_RSS, NULL, (double)rss * (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		prev = sl_metrics_value(c->m, M_CPU, NULL);
		if (cpu > prev)
			sl_metrics_add(c->m, M_CPU, NULL, cpu - prev);
	}
	sl_metrics_set(c->m, M_START, NULL, c->start_time_s);
	sl_queue_stats(c->q, &qs);
	sl_metrics_set(c->m, M_DEPTH, NULL, (double)qs.depth);
	pthread_mutex_lock(&c->lock);
	if (qs.adds > c->last_adds)
		sl_metrics_add(c->m, M_ADDS, NULL, (double)(qs.adds - c->last_adds));
	if (qs.retries > c->last_retries)
		sl_metrics_add(c->m, M_RETRIES, NULL, (double)(qs.retries - c->last_retries));
	c->last_adds = qs.adds;
	c->last_retries = qs.retries;
	pthread_mutex_unlock(&c->lock);
}

/* ---- results ----------------------------------------------------------------------------- */

static void log_transitions(const struct sl_object_status *st, const struct sl_status_change *chg)
{
	int i;

	for (i = 0; i < chg->n; i++) {
		const struct sl_status_transition *t = &chg->t[i];
		const struct sl_condition *cd = &st->cond[t->type];
		struct sl_log_fields f = {st->key, cd->reason[0] ? cd->reason : NULL, 0};
		enum sl_log_level lvl = SL_LOG_INFO;

		if ((t->type == SL_COND_READY && t->to == SL_COND_FALSE) ||
		        (t->type == SL_COND_STALLED && t->to == SL_COND_TRUE))
			lvl = SL_LOG_WARN;
		const char *sep = cd->message[0] ? ": " : "";

		if (t->reason_changed)
			sl_log(lvl, &f, "%s %s, reason now %s%s%s", sl_cond_type_name(t->type),
			        sl_cond_status_name(t->to), cd->reason, sep, cd->message);
		else
			sl_log(lvl, &f, "%s %s -> %s%s%s", sl_cond_type_name(t->type),
			        sl_cond_status_name(t->from), sl_cond_status_name(t->to), sep,
			        cd->message);
	}
}

static bool is_conn_failure(int rc, const struct sl_error *err, const struct sl_reconcile_result *r)
{
	if (rc < 0)
		return err->code == SL_ECONN || err->code == SL_ETIMEOUT;
	return strcmp(r->status.cond[SL_COND_READY].reason, SL_REASON_REGISTRY_UNREACHABLE) == 0;
}

/* Turns a failure outside the object (negative return) into a status a person can read. */
static void failure_status(struct sl_reconcile_result *r, const char *key, const char *gen,
        const struct sl_error *err, bool conn, int64_t now)
{
	const char *reason = conn ? SL_REASON_REGISTRY_UNREACHABLE : "ReconcileError";
	const char *msg = err->msg[0] ? err->msg : sl_code_name(err->code);

	memset(r, 0, sizeof(*r));
	r->result = SL_RESULT_RETRY;
	snprintf(r->status.key, sizeof(r->status.key), "%s", key);
	sl_status_set_condition(&r->status, SL_COND_READY, SL_COND_FALSE, reason, msg,
	        err->registry_code, gen, now);
	sl_status_set_condition(&r->status, SL_COND_RECONCILING, SL_COND_TRUE, reason,
	        "retrying with backoff", 0, gen, now);
	sl_status_set_condition(
	        &r->status, SL_COND_STALLED, SL_COND_FALSE, reason, "", 0, gen, now);
}

static void link_metrics(
        struct sl_controller *c, const char *link, const struct sl_object_status *st)
{
	static const char *const states[] = {"STARTING", "RUNNING", "PAUSED"};
	size_t i;
	bool known = false;

	if (st->exporter_state[0] == '\0')
		return;
	/* Unchanged state (the common case of a resync): only the offset may have moved. The
	 * full rewrite below scans every series of the family, once per link. */
	{
		const char *v[] = {link, st->exporter_state};
		const char *v1[] = {link};

		if (sl_metrics_value(c->m, M_EXPORTER_STATE, v) == 1) {
			sl_metrics_set(c->m, M_EXPORTER_OFFSET, v1, (double)st->exporter_offset);
			return;
		}
	}
	sl_metrics_remove_prefix(c->m, M_EXPORTER_STATE, link);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		const char *v[] = {link, states[i]};
		bool on = strcmp(st->exporter_state, states[i]) == 0;

		known |= on;
		sl_metrics_set(c->m, M_EXPORTER_STATE, v, on ? 1 : 0);
	}
	if (!known) {
		const char *v[] = {link, st->exporter_state};

		sl_metrics_set(c->m, M_EXPORTER_STATE, v, 1);
	}
	{
		const char *v[] = {link};

		sl_metrics_set(c->m, M_EXPORTER_OFFSET, v, (double)st->exporter_offset);
	}
}

/* OPERATIONS.md: "a repeating error is logged once per minute with a count". A failure that
 * changed a condition was just logged by log_transitions; one that repeats an unchanged
 * condition is logged when the throttle allows, saying how often it repeated meanwhile. A
 * success forgets the key, so its next failure is logged at once. */
static void log_repeating(struct sl_controller *c, const char *key,
        const struct sl_reconcile_result *r, bool failed, bool transitions)
{
	const struct sl_condition *cd = &r->status.cond[SL_COND_READY];
	const char *reason = cd->reason[0] ? cd->reason : "Unknown";
	struct sl_log_fields f = {key, reason, sl_queue_failures(c->q, key)};
	uint64_t repeated;
	int64_t since;
	char tail[96] = "";

	if (!failed) {
		sl_throttle_forget(c->thr, key);
		return;
	}
	if (transitions) {
		sl_throttle_logged(c->thr, key, reason);
		return;
	}
	if (!sl_throttle_hit(c->thr, key, reason, &repeated, &since))
		return;
	if (repeated > 0 && since < 2 * SL_THROTTLE_WINDOW_MS)
		snprintf(tail, sizeof(tail), " (repeated %llu time%s in the last minute)",
		        (unsigned long long)repeated, repeated == 1 ? "" : "s");
	else if (repeated > 0)
		snprintf(tail, sizeof(tail), " (repeated %llu time%s in the last %lld minutes)",
		        (unsigned long long)repeated, repeated == 1 ? "" : "s",
		        (long long)(since / 60000));
	sl_log(SL_LOG_WARN, &f, "still failing: %s%s", cd->message[0] ? cd->message : reason, tail);
}

struct outcome {
	enum sl_result result;
	bool conn_failure;
	bool failed; /* RETRY, STALLED or a negative return */
};

/* Reconciles key against ref's snapshot and records everything about the result; with
 * requeue, applies the result to the queue as the header describes. */
static void process_key(struct sl_controller *c, struct snapref *ref, const char *key, bool requeue,
        struct outcome *oc)
{
	struct sl_reconcile_result *r = calloc(1, sizeof(*r));
	struct sl_error err = SL_ERROR_INIT;
	struct sl_status_change chg = {0};
	const struct sl_object *obj = NULL;
	char ctl[32];
	const char *name, *gen = "";
	const char *result_label;
	int64_t t0, t1;
	int rc;

	memset(oc, 0, sizeof(*oc));
	if (r == NULL) {
		oc->result = SL_RESULT_RETRY;
		oc->failed = true;
		if (requeue)
			sl_queue_add_rate_limited(c->q, key, NULL);
		return;
	}
	if (ref != NULL)
		obj = snap_find(ref->snap, key);
	if (obj != NULL)
		gen = obj->spec_hash;
	controller_label(key, ctl, sizeof(ctl));
	/* Durations are measured, not decided on: real time in microseconds. */
	t0 = real_now_us();
	rc = c->cfg.reconcile(c->cfg.reconcile_cls, ref ? ref->snap : NULL, key, r, &err);
	t1 = real_now_us();
	oc->conn_failure = is_conn_failure(rc, &err, r);
	if (rc < 0)
		failure_status(r, key, gen, &err, oc->conn_failure, sl_clock_wall_ms(c->clock));
	oc->result = r->result;
	oc->failed = rc < 0 || r->result == SL_RESULT_RETRY || r->result == SL_RESULT_STALLED;

	/* Metrics. */
	switch (r->result) {
	case SL_RESULT_DONE: result_label = "success"; break;
	case SL_RESULT_REQUEUE_AFTER: result_label = "requeue_after"; break;
	case SL_RESULT_RETRY: result_label = "error"; break;
	case SL_RESULT_STALLED: result_label = "stalled"; break;
	default: result_label = "unknown"; break;
	}
	{
		const char *v[] = {ctl, result_label};
		const char *v1[] = {ctl};

		sl_metrics_add(c->m, M_RECONCILE_TOTAL, v, 1);
		if (r->result == SL_RESULT_RETRY)
			sl_metrics_add(c->m, M_RECONCILE_ERRORS, v1, 1);
		sl_metrics_observe(c->m, M_RECONCILE_TIME, v1, (double)(t1 - t0) / 1e6);
	}
	if (!key_is(key, "SchemaLink", &name) && !key_is(key, "Registry", &name) &&
	        !key_is(key, "Context", &name) && !key_is(key, "Subject", &name))
		name = key;
	if (r->heals > 0) {
		const char *v[] = {name, r->heal_reason[0] ? r->heal_reason : "Unknown"};
		struct sl_log_fields f = {key, v[1], 0};

		sl_metrics_add(c->m, M_SELF_HEAL, v, r->heals);
		sl_log(SL_LOG_INFO, &f, "healed (%d action%s)", r->heals, r->heals == 1 ? "" : "s");
	}
	if (r->drift_corrections > 0) {
		/* kind is the object kind as manifests spell it ("SchemaLink"), not the
		 * lower-case controller label. */
		char kind[32];
		const char *slash = strchr(key, '/');
		const char *v[] = {kind, r->heal_reason[0] ? r->heal_reason : "Unknown"};

		snprintf(kind, sizeof(kind), "%.*s", slash ? (int)(slash - key) : 31, key);
		struct sl_log_fields f = {key, v[1], 0};

		sl_metrics_add(c->m, M_DRIFT, v, r->drift_corrections);
		sl_log(SL_LOG_INFO, &f, "corrected drift (%d change%s)", r->drift_corrections,
		        r->drift_corrections == 1 ? "" : "s");
	}

	/* Readiness: remember when each registry last answered. */
	if (key_is(key, "Registry", &name)) {
		struct regseen *s, *old = NULL;

		s = calloc(1, sizeof(*s));
		if (s != NULL) {
			s->at_ms = mono(c);
			s->ok = !oc->conn_failure;
			sl_strlcpy_utf8(
			        s->msg, sizeof(s->msg), r->status.cond[SL_COND_READY].message);
			pthread_mutex_lock(&c->lock);
			if (sl_strmap_set(&c->regs, name, s, (void **)&old) < 0)
				old = s;
			pthread_mutex_unlock(&c->lock);
			free(old);
		}
	}

	/* Status: a key gone from the snapshot was pruned (or let go): forget it. */
	snprintf(r->status.key, sizeof(r->status.key), "%s", key);
	r->status.updated_ms = sl_clock_wall_ms(c->clock);
	if (ref != NULL && obj == NULL) {
		if (sl_statusboard_remove(c->board, key)) {
			struct sl_log_fields f = {key, NULL, 0};

			sl_log(SL_LOG_INFO, &f, "no longer declared: status removed");
		}
		if (key_is(key, "SchemaLink", &name)) {
			const char *v[] = {name};

			sl_metrics_remove_prefix(c->m, M_EXPORTER_STATE, name);
			sl_metrics_remove(c->m, M_EXPORTER_OFFSET, v);
		}
	} else if ((rc < 0 || r->result == SL_RESULT_RETRY) && atomic_load(&c->cancel)) {
		/* A failure once the shutdown cancelled in-flight calls is the cancel itself: the object keeps the status it had, so
		 * the saved file does not claim an error nobody saw. */
		struct sl_log_fields f = {key, NULL, 0};

		sl_log(SL_LOG_DEBUG, &f, "reconcile cancelled by the shutdown");
	} else if (sl_statusboard_update(c->board, &r->status, &chg) == 0) {
		log_transitions(&r->status, &chg);
		if (key_is(key, "SchemaLink", &name))
			link_metrics(c, name, &r->status);
	}

	pthread_mutex_lock(&c->lock);
	c->stats.reconciles++;
	pthread_mutex_unlock(&c->lock);

	if (requeue) {
		int64_t delay = 0;

		switch (r->result) {
		case SL_RESULT_DONE:
		case SL_RESULT_STALLED: sl_queue_forget(c->q, key); break;
		case SL_RESULT_REQUEUE_AFTER:
			sl_queue_forget(c->q, key);
			sl_queue_add_after(c->q, key, r->requeue_ms > 0 ? r->requeue_ms : 1000);
			break;
		case SL_RESULT_RETRY:
			if (sl_queue_add_rate_limited(c->q, key, &delay) == 0) {
				struct sl_log_fields f = {key, r->status.cond[SL_COND_READY].reason,
				        sl_queue_failures(c->q, key)};

				sl_log(SL_LOG_DEBUG, &f, "retry in %lld ms", (long long)delay);
			}
			break;
		}
	}
	/* After the requeue, so the attempt field counts this failure. */
	if (!(rc < 0 || r->result == SL_RESULT_RETRY) || !atomic_load(&c->cancel))
		log_repeating(c, key, r, rc < 0 || r->result == SL_RESULT_RETRY, chg.n > 0);
	free(r);
}

/* Resync passes (see pass_begin in controller.h). Begin and end run in workers: they take
 * the engine's lock, which a worker stuck in a stalled call holds, and the loop must never
 * wait for that. */
static void pass_maybe_begin(struct sl_controller *c)
{
	bool begin = false;

	if (c->cfg.pass_begin == NULL || !atomic_exchange(&c->pass_want, false))
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->pass_on) {
		c->pass_on = begin = true;
		c->pass_start = mono(c);
	}
	pthread_mutex_unlock(&c->lock);
	if (begin)
		c->cfg.pass_begin(c->cfg.reconcile_cls);
}

static void pass_maybe_end(struct sl_controller *c)
{
	struct sl_queue_stats qs;
	bool end = false;

	if (c->cfg.pass_end == NULL)
		return;
	sl_queue_stats(c->q, &qs);
	pthread_mutex_lock(&c->lock);
	if (c->pass_on && ((qs.depth == 0 && qs.processing == 0) ||
	                          mono(c) - c->pass_start >= c->cfg.resync_ms)) {
		c->pass_on = false;
		end = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (end)
		c->cfg.pass_end(c->cfg.reconcile_cls);
}

int sl_controller_work(struct sl_controller *c, int wait_ms)
{
	struct snapref *ref;
	struct outcome oc;
	char *key = NULL;
	int rc;

	rc = sl_queue_get(c->q, &key, wait_ms);
	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	pass_maybe_begin(c);
	ref = snap_acquire(c);
	process_key(c, ref, key, true, &oc);
	snap_release(c, ref);
	sl_queue_done(c->q, key);
	free(key);
	pass_maybe_end(c);
	wake(c);
	return 1;
}

static void *worker_main(void *arg)
{
	struct sl_controller *c = arg;

	while (atomic_load(&c->stop_req) == 0)
		if (sl_controller_work(c, 1000) < 0)
			break;
	pthread_mutex_lock(&c->lock);
	c->running--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	wake(c);
	return NULL;
}

/* ---- loading ----------------------------------------------------------------------------- */

static void enqueue_all(struct sl_controller *c, const struct sl_snapshot *s)
{
	struct sl_vec extra = SL_VEC_INIT;
	size_t i;

	for (i = 0; s != NULL && i < s->objects.len; i++) {
		const struct sl_object *o = s->objects.items[i];

		sl_queue_add(c->q, o->key);
	}
	/* What the set owns and no longer declares, also after a restart (the old snapshot
	 * that would have named it is gone). */
	if (s != NULL && c->cfg.extra_keys &&
	        c->cfg.extra_keys(c->cfg.reconcile_cls, s, &extra) == 0)
		for (i = 0; i < extra.len; i++)
			sl_queue_add(c->q, extra.items[i]);
	sl_vec_release(&extra, free);
}

void sl_controller_resync(struct sl_controller *c)
{
	struct snapref *ref = snap_acquire(c);

	if (ref != NULL) {
		atomic_store(&c->pass_want, true);
		enqueue_all(c, ref->snap);
	}
	snap_release(c, ref);
}

static void describe_failure(
        struct sl_manifest_loader *l, int rc, struct sl_buf *all, char *first, size_t len)
{
	const struct sl_diags *d = sl_manifest_diags(l);
	size_t i, shown = 0;

	if (rc == SL_ENOMEM) {
		sl_buf_adds(all, "out of memory while loading");
	}
	for (i = 0; d != NULL && i < d->items.len; i++) {
		const struct sl_diag *dg = d->items.items[i];

		if (dg->severity != SL_DIAG_ERROR)
			continue;
		if (shown++ < LOAD_DIAGS_LOGGED) {
			if (all->len > 0)
				sl_buf_adds(all, "; ");
			sl_diag_format(dg, all);
		}
	}
	if (d != NULL && d->errors > LOAD_DIAGS_LOGGED)
		sl_buf_addf(all, "; and %zu more", d->errors - LOAD_DIAGS_LOGGED);
	snprintf(first, len, "%zu error%s in the manifests: %s", d ? d->errors : 0,
	        d && d->errors == 1 ? "" : "s", all->data);
}

static void log_warnings(struct sl_manifest_loader *l)
{
	const struct sl_diags *d = sl_manifest_diags(l);
	struct sl_buf line = SL_BUF_INIT;
	size_t i;

	for (i = 0; d != NULL && i < d->items.len; i++) {
		const struct sl_diag *dg = d->items.items[i];

		if (dg->severity != SL_DIAG_WARNING)
			continue;
		sl_buf_reset(&line);
		if (sl_diag_format(dg, &line) == 0)
			sl_log(SL_LOG_WARN, NULL, "manifest %s", line.data);
	}
	sl_buf_release(&line);
}

/* A Registry added, removed or changed (URL, credentials, settings) may change how every
 * object on it is reconciled. */
static bool registries_changed(const struct sl_snapshot *a, const struct sl_snapshot *b)
{
	size_t i, na = 0, nb = 0;

	for (i = 0; i < b->objects.len; i++) {
		const struct sl_object *o = b->objects.items[i];
		const struct sl_object *was;

		if (o->kind != SL_KIND_REGISTRY)
			continue;
		nb++;
		was = snap_find(a, o->key);
		if (was == NULL || strcmp(was->spec_hash, o->spec_hash) != 0)
			return true;
	}
	for (i = 0; i < a->objects.len; i++)
		if (((const struct sl_object *)a->objects.items[i])->kind == SL_KIND_REGISTRY)
			na++;
	return na != nb;
}

int sl_controller_load(struct sl_controller *c, const char *why, bool force)
{
	struct sl_manifest_loader *l = NULL;
	struct sl_snapshot *snap = NULL;
	struct snapref *ref = NULL, *old = NULL;
	struct sl_vec gone = SL_VEC_INIT, board_keys = SL_VEC_INIT;
	uint64_t h = sl_manifest_tree_hash(c->manifests);
	int64_t now_wall = sl_clock_wall_ms(c->clock);
	size_t i;
	int rc;

	pthread_mutex_lock(&c->lock);
	if (!force && c->have_hash && c->last_hash == h) {
		c->stats.loads_skipped++;
		pthread_mutex_unlock(&c->lock);
		{
			const char *v[] = {"unchanged"};

			sl_metrics_add(c->m, M_LOADS, v, 1);
		}
		return 0;
	}
	c->last_hash = h;
	c->have_hash = true;
	pthread_mutex_unlock(&c->lock);

	l = sl_manifest_loader_new();
	rc = l == NULL ? SL_ENOMEM : sl_manifest_add_path(l, c->manifests);
	if (rc == 0)
		rc = sl_manifest_finish(l, &snap);
	if (rc < 0 || snap == NULL) {
		struct sl_buf all = SL_BUF_INIT;
		char msg[LOAD_MSG_MAX];
		bool repeat;
		const char *v[] = {"error"};

		describe_failure(l, rc, &all, msg, sizeof(msg));
		sl_metrics_add(c->m, M_LOAD_ERRORS, NULL, 1);
		sl_metrics_add(c->m, M_LOADS, v, 1);
		pthread_mutex_lock(&c->lock);
		repeat = !c->load_ok && c->loaded && strcmp(c->last_fail.data, all.data) == 0;
		c->loaded = true;
		c->load_ok = false;
		snprintf(c->load_msg, sizeof(c->load_msg), "%s", msg);
		sl_buf_reset(&c->last_fail);
		sl_buf_adds(&c->last_fail, all.data);
		c->stats.loads_failed++;
		pthread_mutex_unlock(&c->lock);
		/* Logged once: the same broken content found again is not logged again. */
		if (!repeat) {
			struct sl_log_fields f = {NULL, "ManifestsInvalid", 0};

			sl_log(SL_LOG_ERROR, &f,
			        "manifest load (%s) failed, keeping the last good "
			        "snapshot: %s",
			        why, msg);
		}
		notify(c, "STATUS=manifests invalid; %s",
		        c->cur ? "serving the last good snapshot" : "waiting for a good load");
		sl_buf_release(&all);
		sl_manifest_loader_free(l);
		return SL_EINVAL;
	}
	log_warnings(l);
	ref = calloc(1, sizeof(*ref));
	if (ref == NULL) {
		sl_snapshot_free(snap);
		sl_manifest_loader_free(l);
		return SL_ENOMEM;
	}
	ref->snap = snap;
	ref->refs = 1;

	pthread_mutex_lock(&c->lock);
	old = c->cur;
	c->cur = ref;
	ref->gen = ++c->gen;
	c->stats.generation = c->gen;
	c->stats.loads_ok++;
	c->loaded = true;
	c->load_ok = true;
	c->load_msg[0] = '\0';
	sl_buf_reset(&c->last_fail);
	pthread_mutex_unlock(&c->lock);

	/* What disappeared is queued too, so the reconciler can prune it (or let it go). */
	if (old != NULL)
		for (i = 0; i < old->snap->objects.len; i++) {
			const struct sl_object *o = old->snap->objects.items[i];

			if (snap_find(snap, o->key) == NULL)
				sl_vec_push(&gone, o->key);
		}
	sl_statusboard_keys(c->board, &board_keys);
	for (i = 0; i < board_keys.len; i++)
		if (snap_find(snap, board_keys.items[i]) == NULL)
			sl_vec_push(&gone, board_keys.items[i]);
	for (i = 0; i < snap->objects.len; i++) {
		const struct sl_object *o = snap->objects.items[i];

		sl_statusboard_seed(c->board, o->key, o->spec_hash, now_wall);
	}
	if (old == NULL || force || registries_changed(old->snap, snap)) {
		enqueue_all(c, snap);
	} else {
		/* An edit of one link among 1,000 queues that link, at the front: not behind 1,000
		 * keys of a reload or a resync in progress (OPERATIONS.md: rename -> exporter p99
		 * under 300 ms). What did not change is re-read by the next resync, as drift is. */
		for (i = 0; i < snap->objects.len; i++) {
			const struct sl_object *o = snap->objects.items[i];
			const struct sl_object *was = snap_find(old->snap, o->key);

			if (was == NULL || strcmp(was->spec_hash, o->spec_hash) != 0)
				sl_queue_add_first(c->q, o->key);
		}
	}
	for (i = 0; i < gone.len; i++)
		sl_queue_add(c->q, gone.items[i]);
	sl_metrics_set(c->m, M_OBJECTS, NULL, (double)snap->objects.len);
	{
		const char *v[] = {"success"};

		sl_metrics_add(c->m, M_LOADS, v, 1);
	}
	sl_log(SL_LOG_INFO, NULL,
	        "manifests loaded (%s): %zu objects from %zu files, generation %llu", why,
	        snap->objects.len, sl_manifest_files(l), (unsigned long long)ref->gen);
	notify(c, "STATUS=%zu objects loaded (generation %llu)", snap->objects.len,
	        (unsigned long long)ref->gen);
	sl_vec_release(&gone, NULL);
	sl_vec_release(&board_keys, free);
	snap_release(c, old);
	sl_manifest_loader_free(l);
	wake(c);
	return 1;
}

/* ---- readiness and HTTP ------------------------------------------------------------------ */

/* Appends reason and the redacted msg to reasons (pairs of owned strings) and marks the
 * daemon not ready, also when there is no memory to say why. */
static void add_reason(struct sl_vec *reasons, bool *ready, const char *reason, const char *msg)
{
	struct sl_buf red = SL_BUF_INIT;
	char *r = strdup(reason), *m = NULL;

	*ready = false;
	if (sl_redact(msg, &red) == 0)
		m = sl_buf_detach(&red);
	if (r == NULL || m == NULL || sl_vec_push(reasons, r) < 0) {
		free(r);
		free(m);
	} else if (sl_vec_push(reasons, m) < 0) {
		free(sl_vec_pop(reasons));
		free(m);
	}
	sl_buf_release(&red);
}

int sl_controller_readyz(struct sl_controller *c, struct sl_buf *out)
{
	struct sl_vec reasons = SL_VEC_INIT;
	struct sl_jsonw w;
	bool ready = true;
	int64_t now = mono(c), window = c->cfg.resync_ms + READY_SLACK_MS;
	size_t i;
	char msg[512];

	pthread_mutex_lock(&c->lock);
	if (!c->loaded)
		add_reason(&reasons, &ready, "ManifestsNotLoaded", "no manifest load yet");
	else if (!c->load_ok)
		add_reason(&reasons, &ready, "ManifestsInvalid", c->load_msg);
	for (i = 0; c->cur != NULL && i < c->cur->snap->objects.len; i++) {
		const struct sl_object *o = c->cur->snap->objects.items[i];
		const struct regseen *s;

		if (o->kind != SL_KIND_REGISTRY)
			continue;
		s = sl_strmap_get(&c->regs, o->name, NULL);
		if (s == NULL) {
			snprintf(msg, sizeof(msg), "registry \"%s\" has not answered yet", o->name);
			add_reason(&reasons, &ready, "RegistryNotAnswered", msg);
		} else if (!s->ok) {
			snprintf(msg, sizeof(msg), "registry \"%s\" is unreachable: %s", o->name,
			        s->msg);
			add_reason(&reasons, &ready, SL_REASON_REGISTRY_UNREACHABLE, msg);
		} else if (now - s->at_ms > window) {
			snprintf(msg, sizeof(msg),
			        "registry \"%s\" has not answered within the last resync", o->name);
			add_reason(&reasons, &ready, "RegistryNotAnswered", msg);
		}
	}
	c->stats.ready = ready;
	pthread_mutex_unlock(&c->lock);
	sl_metrics_set(c->m, M_READY, NULL, ready ? 1 : 0);
	sl_jsonw_init(&w, JSON_COMPACT, sl_jsonw_to_buf, out);
	sl_jsonw_open(&w, NULL, '{');
	sl_jsonw_bool(&w, "ready", ready);
	sl_jsonw_open(&w, "reasons", '[');
	for (i = 0; i + 1 < reasons.len; i += 2) {
		sl_jsonw_open(&w, NULL, '{');
		sl_jsonw_str(&w, "reason", reasons.items[i]);
		sl_jsonw_str(&w, "message", reasons.items[i + 1]);
		sl_jsonw_close(&w);
	}
	sl_jsonw_close(&w);
	sl_jsonw_close(&w);
	if (sl_jsonw_finish(&w) == 0)
		sl_buf_addch(out, '\n');
	sl_vec_release(&reasons, free);
	return ready ? 200 : 503;
}

static int handle(void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	static const char *const kinds[] = {"Registry", "SchemaLink", "Context", "Subject"};
	struct sl_controller *c = cls;
	struct sl_buf body = SL_BUF_INIT;
	const char *caps[2];
	int rc, status;
	size_t i;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return sl_httpd_reply_error(resp, 405, 405, "Method Not Allowed");
	if (sl_httpd_route(req, NULL, "/livez", NULL, 0))
		return sl_httpd_reply(resp, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
	if (sl_httpd_route(req, NULL, "/readyz", NULL, 0)) {
		status = sl_controller_readyz(c, &body);
		return sl_httpd_reply_buf(resp, status, "application/json", &body);
	}
	if (sl_httpd_route(req, NULL, "/metrics", NULL, 0)) {
		update_process_metrics(c);
		{
			struct sl_buf ignore = SL_BUF_INIT;

			sl_controller_readyz(c, &ignore);
			sl_buf_release(&ignore);
		}
		rc = sl_metrics_render(c->m, &body);
		if (rc < 0) {
			sl_buf_release(&body);
			return rc;
		}
		return sl_httpd_reply_buf(
		        resp, 200, "text/plain; version=0.0.4; charset=utf-8", &body);
	}
	if (sl_httpd_route(req, NULL, "/status", NULL, 0)) {
		rc = sl_statusboard_json(c->board, NULL, &body);
		if (rc < 0) {
			sl_buf_release(&body);
			return rc;
		}
		return sl_httpd_reply_buf(resp, 200, "application/json", &body);
	}
	if (sl_httpd_route(req, NULL, "/status/*/*", caps, 2)) {
		const char *kind = caps[0];

		/* Kinds match case-insensitively: /status/schemalink/x finds SchemaLink/x. */
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcasecmp(kinds[i], caps[0]) == 0)
				kind = kinds[i];
		sl_buf_addf(&body, "%s/%s", kind, caps[1]);
		{
			char *key = sl_buf_detach(&body);
			char msg[400];

			if (key == NULL)
				return SL_ENOMEM;
			rc = sl_statusboard_json(c->board, key, &body);
			if (rc == SL_ENOENT) {
				char q[300];

				sl_quote(key, q, sizeof(q));
				snprintf(msg, sizeof(msg), "object %s not found", q);
				free(key);
				sl_buf_release(&body);
				return sl_httpd_reply_error(resp, 404, 404, msg);
			}
			free(key);
		}
		if (rc < 0) {
			sl_buf_release(&body);
			return rc;
		}
		return sl_httpd_reply_buf(resp, 200, "application/json", &body);
	}
	return sl_httpd_reply_error(resp, 404, 404, "Not Found");
}

static void on_httpd_message(void *cls, const char *msg)
{
	(void)cls;
	sl_log(SL_LOG_DEBUG, NULL, "http: %s", msg);
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* Arms timer t for mono deadline due (-1 disarms). */
static void arm(struct sl_controller *c, enum timer t, int64_t due)
{
	struct itimerspec its;
	int64_t in;

	memset(&its, 0, sizeof(its));
	c->due[t] = due;
	if (due >= 0) {
		in = due - mono(c);
		if (in < 1)
			in = 1;
		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000L;
	}
	timerfd_settime(c->tfd[t], 0, &its, NULL);
}

static void drain_fd(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void save_status(struct sl_controller *c)
{
	struct sl_error err = SL_ERROR_INIT;

	if (c->status_path == NULL)
		return;
	if (sl_statusboard_save(c->board, c->status_path, &err) < 0)
		sl_log(SL_LOG_ERROR, NULL, "cannot save the status: %s", err.msg);
}

/* Everything whose time has come, checked against the (possibly fake) clock. */
static void run_timers(struct sl_controller *c)
{
	int64_t now = mono(c), d;

	if (sl_debounce_due(&c->deb, now) == 0) {
		sl_debounce_fire(&c->deb, now);
		sl_controller_load(c, "change", false);
	}
	if (c->due[T_RESYNC] >= 0 && now >= c->due[T_RESYNC]) {
		sl_controller_resync(c);
		c->due[T_RESYNC] = now + c->cfg.resync_ms;
	}
	if (c->due[T_RESCAN] >= 0 && now >= c->due[T_RESCAN]) {
		sl_controller_load(c, "rescan", false);
		c->due[T_RESCAN] = now + c->cfg.rescan_ms;
	}
	if (c->due[T_WATCHDOG] >= 0 && now >= c->due[T_WATCHDOG]) {
		notify(c, "WATCHDOG=1");
		c->due[T_WATCHDOG] = now + c->watchdog_ms / 2;
	}
	if (c->due[T_FLUSH] >= 0 && now >= c->due[T_FLUSH]) {
		c->due[T_FLUSH] = -1;
		save_status(c);
	}
	if (c->due[T_FLUSH] < 0 && sl_statusboard_dirty(c->board) && c->status_path != NULL)
		c->due[T_FLUSH] = now + FLUSH_DELAY_MS;
	/* Delayed requeues: wake the workers when the earliest is due (they also wake on their
	 * own; with a fake clock only this kick moves them). */
	d = sl_queue_next_due_ms(c->q);
	if (d == 0)
		sl_queue_kick(c->q);
	c->due[T_DELAY] = d > 0 ? now + d : -1;

	/* Re-arm the timerfds from the deadlines. */
	d = sl_debounce_due(&c->deb, now);
	arm(c, T_DEBOUNCE, d >= 0 ? now + d : -1);
	arm(c, T_RESYNC, c->due[T_RESYNC]);
	arm(c, T_RESCAN, c->due[T_RESCAN]);
	arm(c, T_WATCHDOG, c->due[T_WATCHDOG]);
	arm(c, T_FLUSH, c->due[T_FLUSH]);
	arm(c, T_DELAY, c->due[T_DELAY]);
}

int sl_controller_poll(struct sl_controller *c, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, i;

	n = epoll_wait(c->epfd, ev, 16, timeout_ms);
	for (i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (c->watch != NULL && fd == sl_watch_fd(c->watch)) {
			struct sl_error err = SL_ERROR_INIT;
			uint64_t lost = sl_watch_overflows(c->watch);
			bool changed = false;

			if (sl_watch_process(c->watch, &changed, &err) < 0)
				sl_log(SL_LOG_WARN, NULL, "watcher: %s", err.msg);
			if (sl_watch_overflows(c->watch) != lost)
				sl_log(SL_LOG_WARN, NULL,
				        "watcher: the inotify queue overflowed and events were "
				        "lost; "
				        "rescanning the manifests");
			if (changed)
				sl_debounce_event(&c->deb, mono(c));
		} else if (fd == c->sigfd) {
			struct signalfd_siginfo si;

			while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					sl_log(SL_LOG_INFO, NULL,
					        "SIGHUP: reloading the manifests");
					notify(c, "RELOADING=1");
					sl_controller_load(c, "SIGHUP", true);
					notify(c, "READY=1");
				} else {
					sl_log(SL_LOG_INFO, NULL, "%s: stopping",
					        si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
					atomic_store(&c->stop_req, 1);
				}
			}
		} else {
			drain_fd(fd);
		}
	}
	run_timers(c);
	return atomic_load(&c->stop_req) != 0;
}

void sl_controller_stop(struct sl_controller *c)
{
	atomic_store(&c->stop_req, 1);
	wake(c);
}

bool sl_controller_cancelled(void *cls)
{
	struct sl_controller *c = cls;

	return c != NULL && atomic_load(&c->cancel);
}

int sl_controller_abandoned(struct sl_controller *c)
{
	return c->abandoned;
}

/* Waits (real time) until no worker is alive or deadline_ms (CLOCK_MONOTONIC ms) passes. */
static void wait_workers(struct sl_controller *c, int64_t deadline_ms)
{
	struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};

	pthread_mutex_lock(&c->lock);
	while (c->running > 0)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&c->lock);
}

static int64_t real_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain(struct sl_controller *c)
{
	int64_t start = real_now_ms();
	int i, left;

	notify(c, "STOPPING=1");
	atomic_store(&c->stop_req, 1);
	sl_queue_shutdown(c->q);
	wait_workers(c, start + c->cfg.drain_grace_ms);
	pthread_mutex_lock(&c->lock);
	left = c->running;
	pthread_mutex_unlock(&c->lock);
	if (left > 0) {
		sl_log(SL_LOG_INFO, NULL, "cancelling %d in-flight reconcile%s", left,
		        left == 1 ? "" : "s");
		atomic_store(&c->cancel, true);
		wait_workers(c, start + c->cfg.drain_ms);
	}
	pthread_mutex_lock(&c->lock);
	left = c->running;
	pthread_mutex_unlock(&c->lock);
	if (left > 0) {
		c->abandoned = left;
		sl_log(SL_LOG_WARN, NULL, "%d reconcile%s did not stop in time; exiting anyway",
		        left, left == 1 ? "" : "s");
	} else {
		for (i = 0; i < c->nthreads; i++)
			pthread_join(c->threads[i], NULL);
		c->nthreads = 0;
		/* A pass cut short by the stop still ends, so what it deferred is saved (not
		 * when a worker is stuck: it may hold what pass_end needs). */
		if (c->pass_on && c->cfg.pass_end != NULL) {
			c->pass_on = false;
			c->cfg.pass_end(c->cfg.reconcile_cls);
		}
	}
	save_status(c);
}

int sl_controller_run(struct sl_controller *c)
{
	int64_t now;

	sl_controller_load(c, "start", true);
	now = mono(c);
	c->due[T_RESYNC] = now + c->cfg.resync_ms;
	c->due[T_RESCAN] = now + c->cfg.rescan_ms;
	if (c->watchdog_ms > 0)
		c->due[T_WATCHDOG] = now;
	notify(c, "READY=1");
	sl_log(SL_LOG_INFO, NULL, "serving on port %u, watching \"%s\"", sl_controller_port(c),
	        c->manifests);
	while (sl_controller_poll(c, -1) == 0)
		;
	drain(c);
	sl_log(SL_LOG_INFO, NULL, "stopped");
	return 0;
}

int sl_controller_once(struct sl_controller *c)
{
	struct sl_vec keys = SL_VEC_INIT, board_keys = SL_VEC_INIT;
	struct snapref *ref;
	bool failed = false, unreachable = false;
	size_t i;

	if (sl_controller_load(c, "start", true) < 0) {
		save_status(c);
		return 2;
	}
	ref = snap_acquire(c);
	/* Snapshots are sorted by kind: Registries, Contexts, Subjects, then SchemaLinks. */
	for (i = 0; i < ref->snap->objects.len; i++)
		sl_vec_push(&keys, ((struct sl_object *)ref->snap->objects.items[i])->key);
	sl_statusboard_keys(c->board, &board_keys);
	for (i = 0; i < board_keys.len; i++)
		if (snap_find(ref->snap, board_keys.items[i]) == NULL)
			sl_vec_push(&keys, board_keys.items[i]);
	if (c->cfg.pass_begin != NULL)
		c->cfg.pass_begin(c->cfg.reconcile_cls);
	for (i = 0; i < keys.len && atomic_load(&c->stop_req) == 0; i++) {
		struct outcome oc;

		process_key(c, ref, keys.items[i], false, &oc);
		failed |= oc.failed;
		unreachable |= oc.conn_failure;
	}
	if (c->cfg.pass_end != NULL)
		c->cfg.pass_end(c->cfg.reconcile_cls);
	if (atomic_load(&c->stop_req) != 0)
		failed = true;
	snap_release(c, ref);
	sl_vec_release(&keys, NULL);
	sl_vec_release(&board_keys, free);
	save_status(c);
	return unreachable ? 3 : failed ? 1 : 0;
}

/* ---- construction ------------------------------------------------------------------------ */

static int add_fd(struct sl_controller *c, int fd, struct sl_error *err)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return sl_error_errno(err, errno, "epoll_ctl");
	return 0;
}

struct sl_controller *sl_controller_new(
        const struct sl_controller_config *cfg, struct sl_error *err)
{
	struct sl_controller *c = calloc(1, sizeof(*c));
	struct sl_debounce deb = SL_DEBOUNCE_INIT;
	pthread_condattr_t ca;
	sigset_t mask;
	int i;

	if (c == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	c->epfd = c->sigfd = c->evfd = -1;
	for (i = 0; i < T_COUNT; i++) {
		c->tfd[i] = -1;
		c->due[i] = -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	sl_strmap_init(&c->regs);
	sl_buf_init(&c->last_fail);
	c->cfg = *cfg;
	if (c->cfg.resync_ms <= 0)
		c->cfg.resync_ms = DEFAULT_RESYNC_MS;
	if (c->cfg.rescan_ms <= 0)
		c->cfg.rescan_ms = DEFAULT_RESCAN_MS;
	if (c->cfg.drain_grace_ms <= 0)
		c->cfg.drain_grace_ms = DEFAULT_GRACE_MS;
	if (c->cfg.drain_ms <= 0)
		c->cfg.drain_ms = DEFAULT_DRAIN_MS;
	c->clock = cfg->clock != NULL ? cfg->clock : sl_clock_system();
	c->deb = deb;
	c->start_time_s = process_start_time();
	if (cfg->manifests == NULL || cfg->reconcile == NULL) {
		sl_error_set(err, SL_EINVAL, "controller: manifests and reconcile are required");
		goto fail;
	}
	c->manifests = strdup(cfg->manifests);
	c->status_path = cfg->status_path ? strdup(cfg->status_path) : NULL;
	c->q = sl_queue_new(c->clock, cfg->limits);
	c->m = sl_metrics_new();
	c->board = sl_statusboard_new();
	c->thr = sl_throttle_new(c->clock, 0, 0);
	if (c->manifests == NULL || (cfg->status_path && c->status_path == NULL) || c->q == NULL ||
	        c->m == NULL || c->board == NULL || c->thr == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (declare_metrics(c, err) < 0)
		goto fail;
	if (c->status_path != NULL) {
		int n = sl_statusboard_load(c->board, c->status_path, err);

		if (n < 0) {
			/* A damaged status file costs history, not the daemon. */
			sl_log(SL_LOG_WARN, NULL, "ignoring the saved status: %s", err->msg);
			sl_error_clear(err);
		}
	}

	/* Signals arrive on the signalfd: block them here, before any thread starts. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &mask, &c->oldmask) == 0)
		c->masked = true;
	signal(SIGPIPE, SIG_IGN);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	c->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->epfd < 0 || c->sigfd < 0 || c->evfd < 0) {
		sl_error_errno(err, errno, "epoll/signalfd/eventfd");
		goto fail;
	}
	if (add_fd(c, c->sigfd, err) < 0 || add_fd(c, c->evfd, err) < 0)
		goto fail;
	for (i = 0; i < T_COUNT; i++) {
		c->tfd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (c->tfd[i] < 0) {
			sl_error_errno(err, errno, "timerfd_create");
			goto fail;
		}
		if (add_fd(c, c->tfd[i], err) < 0)
			goto fail;
	}
	if (cfg->watch) {
		c->watch = sl_watch_new(c->manifests, err);
		if (c->watch == NULL || add_fd(c, sl_watch_fd(c->watch), err) < 0)
			goto fail;
	}
	if (cfg->sd_notify)
		c->watchdog_ms = sl_sd_watchdog_ms();
	if (cfg->listen != NULL) {
		struct sl_httpd_config hc = SL_HTTPD_CONFIG_INIT;

		hc.listen = cfg->listen;
		/* One polling thread: handlers only copy under short locks, so /livez answers
		 * at once however long a reconcile takes. */
		hc.threading = SL_HTTPD_SINGLE_THREAD;
		hc.max_connections = 64;
		hc.max_body = 4096;
		hc.idle_timeout_s = 30;
		hc.handler = handle;
		hc.handler_cls = c;
		hc.on_message = on_httpd_message;
		c->httpd = sl_httpd_start(&hc, err);
		if (c->httpd == NULL) {
			sl_error_prefix(err, "--listen %s", cfg->listen);
			goto fail;
		}
	}
	if (cfg->workers > 0) {
		c->threads = calloc((size_t)cfg->workers, sizeof(pthread_t));
		if (c->threads == NULL) {
			sl_error_set(err, SL_ENOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; i < cfg->workers; i++) {
			pthread_mutex_lock(&c->lock);
			c->running++;
			pthread_mutex_unlock(&c->lock);
			if (pthread_create(&c->threads[i], NULL, worker_main, c) != 0) {
				pthread_mutex_lock(&c->lock);
				c->running--;
				pthread_mutex_unlock(&c->lock);
				sl_error_set(err, SL_EIO, "cannot start worker threads");
				goto fail;
			}
			c->nthreads++;
		}
	}
	return c;
fail:
	sl_controller_free(c);
	return NULL;
}

void sl_controller_free(struct sl_controller *c)
{
	int i;

	if (c == NULL)
		return;
	atomic_store(&c->stop_req, 1);
	atomic_store(&c->cancel, true);
	if (c->q != NULL)
		sl_queue_shutdown(c->q);
	for (i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	free(c->threads);
	sl_httpd_stop(c->httpd);
	sl_watch_free(c->watch);
	for (i = 0; i < T_COUNT; i++)
		if (c->tfd[i] >= 0)
			close(c->tfd[i]);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->masked)
		pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
	if (c->cur != NULL)
		snap_release(c, c->cur);
	sl_strmap_release(&c->regs, free);
	sl_buf_release(&c->last_fail);
	sl_statusboard_free(c->board);
	sl_throttle_free(c->thr);
	sl_metrics_free(c->m);
	sl_queue_free(c->q);
	free(c->manifests);
	free(c->status_path);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct sl_metrics *sl_controller_metrics(struct sl_controller *c)
{
	return c->m;
}

struct sl_statusboard *sl_controller_statusboard(struct sl_controller *c)
{
	return c->board;
}

struct sl_queue *sl_controller_queue(struct sl_controller *c)
{
	return c->q;
}

unsigned sl_controller_port(struct sl_controller *c)
{
	return c->httpd != NULL ? sl_httpd_port(c->httpd) : 0;
}

void sl_controller_stats(struct sl_controller *c, struct sl_controller_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
