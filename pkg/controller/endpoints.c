/* endpoints.c — what the daemon reports: its own metrics, /readyz, /livez, /status and
 * /metrics over HTTP. */
#include "controller_int.h"

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

/* ---- metrics ----------------------------------------------------------------------------- */

int sl_ctl_declare_metrics(struct sl_controller *c, struct sl_error *err)
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
	static const char *const job[] = {"job"};
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
	        {M_JOB_RUNS, SL_METRIC_COUNTER,
	                "Runs of a periodic job (check: the fast check; verify: replication "
	                "verification), by job.",
	                job, 1},
	        {SL_METRIC_LINK_MISSING, SL_METRIC_GAUGE,
	                "Source versions the link's filter selects that its destination lacks, "
	                "at the last replication verification.",
	                link, 1},
	        {SL_METRIC_LINK_VERIFIED, SL_METRIC_GAUGE,
	                "When the link's replication was last verified (Unix seconds).", link, 1},
	        {M_JOB_FLAGGED, SL_METRIC_COUNTER,
	                "Objects a periodic job found needing a reconcile, by job.", job, 1},
	        {M_JOB_SKIPPED, SL_METRIC_COUNTER,
	                "Rounds of a periodic job skipped because a resync pass was reading "
	                "the same, by job.",
	                job, 1},
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
double sl_ctl_process_start_time(void)
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
	int64_t now = sl_ctl_mono(c), window = c->cfg.resync_ms + READY_SLACK_MS;
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

/* GET /status: one page of the board, filtered by the query
 * (docs/internals/operations.md "Status endpoint"); 400 naming the parameter and its value
 * for one it does not take or a bad value. */
static int status_page(
        struct sl_controller *c, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct sl_status_query q = SL_STATUS_QUERY_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf body = SL_BUF_INIT;
	const char *name, *v;
	size_t i;
	int rc;

	name = sl_httpd_query_unknown(req, sl_status_query_names, SL_STATUS_QUERY_NPARAMS);
	if (name != NULL) {
		sl_status_query_set(&q, name, sl_httpd_query(req, name), &err);
		return sl_httpd_reply_error(resp, 400, 400, err.msg);
	}
	for (i = 0; i < SL_STATUS_QUERY_NPARAMS; i++) {
		v = sl_httpd_query(req, sl_status_query_names[i]);
		if (v != NULL && sl_status_query_set(&q, sl_status_query_names[i], v, &err) < 0)
			return sl_httpd_reply_error(resp, 400, 400, err.msg);
	}
	rc = sl_statusboard_page_json(c->board, &q.filter, q.after, q.limit, &body);
	if (rc < 0) {
		sl_buf_release(&body);
		return rc;
	}
	return sl_httpd_reply_buf(resp, 200, "application/json", &body);
}

int sl_ctl_http_handle(
        void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct sl_controller *c = cls;
	struct sl_buf body = SL_BUF_INIT;
	const char *caps[2];
	int rc, status;

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
	if (sl_httpd_route(req, NULL, "/status", NULL, 0))
		return status_page(c, req, resp);
	if (sl_httpd_route(req, NULL, "/status/*/*", caps, 2)) {
		const char *kind = sl_status_kind(caps[0]);

		/* Kinds match case-insensitively: /status/schemalink/x finds SchemaLink/x. */
		sl_buf_addf(&body, "%s/%s", kind ? kind : caps[0], caps[1]);
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

void sl_ctl_on_httpd_message(void *cls, const char *msg)
{
	(void)cls;
	sl_log(SL_LOG_DEBUG, NULL, "http: %s", msg);
}
