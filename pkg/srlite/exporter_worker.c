/*
 * exporter_worker.c — the export engine behind srlite's exporters (exporter.h;
 * docs/internals/registry.md §3, §8).
 *
 * One worker per exporter. While the exporter is STARTING or RUNNING the worker
 *   1. at its very first start sets IMPORT, without force, on the one destination context the
 *      exporter was configured for (NONE: top-level /mode; CUSTOM: ":.<context>:"; AUTO:
 *      ":.<cluster id>:") — once: resume never does it again;
 *   2. reads the source's change log from offset + 1 in batches of SL_EXPORT_BATCH, and for
 *      each entry whose subject the filters select, registers that version on the
 *      destination under its renamed subject with its id and version (POST
 *      /subjects/{s}/versions?normalize=false), in log order;
 *   3. after each batch publishes and journals the new offset, so the status never shows an
 *      offset a restart would lose (a restart re-sends at most one batch, which the
 *      destination answers idempotently).
 * A destination 4xx pauses the exporter with a Java-style trace; connection errors, timeouts,
 * 408, 429 and 5xx are retried with exponential backoff (100 ms doubling to 5 s) for
 * SL_EXPORT_RETRY_WINDOW_MS, then pause it. Idle workers close their connection and sleep on
 * the set's condition variable, which the dispatcher broadcasts when the change log grows and the REST layer
 * broadcasts on pause, resume, update and delete.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter_int.h"
#include "schemalink/buf.h"
#include "schemalink/srclient.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define EXPORT_REQUEST_TIMEOUT_MS 10000
#define IDLE_WAIT_MS 1000

enum outcome { OUT_OK, OUT_FAIL, OUT_CANCEL };

struct worker {
	struct xp_exporter *e;
	struct sl_exporters *x;
	uint64_t gen; /* e->gen when this round of work started */
	uint64_t offset_gen;
	uint64_t spec_gen;
	bool have_spec;
	struct xp_spec spec; /* private copy: the REST layer may replace e->spec meanwhile */
	char *ctx_name; /* CUSTOM: the context; AUTO: the cluster id; NONE: NULL */
	struct sl_srclient *client;
	struct sl_buf trace; /* the failure of the last call, when it failed */
};

int64_t sl_xp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool cancelled(void *arg)
{
	const struct worker *w = arg;

	return atomic_load(&w->x->stopping) || atomic_load(&w->e->gen) != w->gen;
}

/* Sleeps ms or until cancelled. Returns true when cancelled. */
static bool sleep_or_cancel(struct worker *w, long ms)
{
	struct timespec dl;
	bool c;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->x->mu);
	while (!cancelled(w))
		if (pthread_cond_timedwait(&w->x->cv, &w->x->mu, &dl) == ETIMEDOUT)
			break;
	c = cancelled(w);
	pthread_mutex_unlock(&w->x->mu);
	return c;
}

/* ---------- traces ---------- */

#define REST_EXC "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException"
#define AT "\n\tat "
#define AT_REST \
	AT "io.confluent.kafka.schemaregistry.client.rest.RestService.sendHttpRequest(" \
	   "RestService.java:335)" AT \
	   "io.confluent.kafka.schemaregistry.client.rest.RestService.httpRequest(" \
	   "RestService.java:408)"
#define AT_TASK \
	AT "io.confluent.schema.exporter.storage.AbstractSchemaExporterTask.export(" \
	   "AbstractSchemaExporterTask.java:273)" AT \
	   "io.confluent.schema.exporter.storage.SchemaExporterRunningTask.run(" \
	   "SchemaExporterRunningTask.java:93)" AT \
	   "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(" \
	   "ThreadPoolExecutor.java:1128)" AT "java.base/java.lang.Thread.run(Thread.java:829)\n"
#define AT_REGISTER \
	AT "io.confluent.kafka.schemaregistry.client.rest.RestService.registerSchema(" \
	   "RestService.java:588)" AT \
	   "io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient.register(" \
	   "CachedSchemaRegistryClient.java:397)" AT \
	   "io.confluent.schema.exporter.storage.AbstractSchemaExporterTask.registerSchema(" \
	   "AbstractSchemaExporterTask.java:392)" AT \
	   "io.confluent.schema.exporter.storage.AbstractSchemaExporterTask.exportSchema(" \
	   "AbstractSchemaExporterTask.java:379)"
#define AT_MODE \
	AT "io.confluent.kafka.schemaregistry.client.rest.RestService.setMode(" \
	   "RestService.java:1034)" AT \
	   "io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient.setMode(" \
	   "CachedSchemaRegistryClient.java:711)" AT \
	   "io.confluent.schema.exporter.storage.AbstractSchemaExporterTask.setImportMode(" \
	   "AbstractSchemaExporterTask.java:214)"

static const char *reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return status >= 500 ? "Server Error" : "Client Error";
}

/* Writes the exception line for a failed call into w->trace (no stack yet) and says whether
 * the failure is transient. */
static bool classify(
        struct worker *w, int rc, const struct sl_error *err, const struct sl_buf *body)
{
	int status = err->http_status;

	sl_buf_reset(&w->trace);
	if (status >= 400 && (rc == SL_EHTTP || rc == SL_EPROTO)) {
		json_t *o = json_loadb(body->data, body->len, 0, NULL);
		json_t *code = json_object_get(o, "error_code"),
		       *msg = json_object_get(o, "message");

		if (json_is_integer(code) && json_is_string(msg))
			sl_buf_addf(&w->trace, REST_EXC ": %s; error code: %lld",
			        json_string_value(msg), (long long)json_integer_value(code));
		else
			sl_buf_addf(
			        &w->trace, REST_EXC ": %s; error code: %d", reason(status), status);
		json_decref(o);
		return status >= 500 || status == 408 || status == 429;
	}
	switch (rc) {
	case SL_ECONN:
		if (strstr(err->msg, "resolve") != NULL)
			sl_buf_adds(&w->trace, "java.net.UnknownHostException: unknown host");
		else if (strstr(err->msg, "refused") != NULL ||
		         strstr(err->msg, "Couldn't connect") != NULL ||
		         strstr(err->msg, "Failed to connect") != NULL)
			sl_buf_adds(&w->trace, "java.net.ConnectException: Connection refused");
		else
			sl_buf_adds(&w->trace, "java.net.SocketException: Connection reset");
		return true;
	case SL_ETIMEOUT:
		if (strstr(err->msg, "Connection timed out") != NULL ||
		        strstr(err->msg, "onnect") != NULL)
			sl_buf_adds(
			        &w->trace, "java.net.SocketTimeoutException: connect timed out");
		else
			sl_buf_adds(&w->trace, "java.net.SocketTimeoutException: Read timed out");
		return true;
	case SL_EPROTO:
		sl_buf_adds(&w->trace, "javax.net.ssl.SSLException: the destination's answer could "
		                       "not be understood (TLS or a non-JSON reply)");
		return false;
	case SL_ELIMIT:
		sl_buf_adds(&w->trace, "java.io.IOException: response body too large");
		return false;
	default: sl_buf_adds(&w->trace, "java.io.IOException: request failed"); return true;
	}
}

/* ---------- progress ---------- */

/* Publishes progress up to change-log index done, pauses with w->trace when failed, marks
 * the first-start modes as done when modes is set, and journals what changed. */
static void finish(struct worker *w, int64_t done, bool failed, bool modes)
{
	struct xp_exporter *e = w->e;
	struct sl_exporters *x = w->x;
	char *rec = NULL;
	bool changed = false;
	int64_t now = sl_xp_now_ms();

	pthread_mutex_lock(&x->jmu);
	pthread_mutex_lock(&x->mu);
	if (e->offset_gen == w->offset_gen && done > e->offset) {
		e->offset = done;
		e->ts = now;
		changed = true;
	}
	if (atomic_load(&e->gen) == w->gen && !e->deleted) {
		if (modes && !e->modes_done) {
			e->modes_done = true;
			changed = true;
		}
		if (failed && e->state != XP_PAUSED) {
			e->state = XP_PAUSED;
			free(e->trace);
			e->trace = strdup(w->trace.data);
			e->ts = now;
			changed = true;
		}
	}
	if (changed && !e->deleted)
		rec = sl_xp_record(e);
	pthread_mutex_unlock(&x->mu);
	/* A journal failure leaves the progress in memory; the next batch tries again, and a
	 * restart re-exports idempotently from the last durable offset. */
	if (rec != NULL)
		sl_xp_journal(x, rec, NULL);
	pthread_mutex_unlock(&x->jmu);
}

/* ---------- calls ---------- */

/* Sends one request, retrying transient failures for the retry window. done is the
 * progress so far, published before each backoff so the status stays current. */
static enum outcome call(struct worker *w, const char *method, const char *path, const char *body,
        int64_t done, const char *stack)
{
	struct sl_buf out = SL_BUF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	int64_t start = mono_ms(), elapsed;
	long delay = BACKOFF_FIRST_MS;
	enum outcome o;
	int rc;

	for (;;) {
		rc = sl_srclient_request(w->client, method, path, body, true, &out, &err);
		if (rc >= 0) {
			o = OUT_OK;
			break;
		}
		if (cancelled(w)) {
			o = OUT_CANCEL;
			break;
		}
		elapsed = mono_ms() - start;
		if (!classify(w, rc, &err, &out) || elapsed >= SL_EXPORT_RETRY_WINDOW_MS) {
			sl_buf_adds(&w->trace, stack);
			o = OUT_FAIL;
			break;
		}
		finish(w, done, false, false);
		if (sleep_or_cancel(w, delay < SL_EXPORT_RETRY_WINDOW_MS - elapsed
		                               ? delay
		                               : (long)(SL_EXPORT_RETRY_WINDOW_MS - elapsed))) {
			o = OUT_CANCEL;
			break;
		}
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	sl_buf_release(&out);
	return o;
}

static enum outcome fail_with(struct worker *w, const char *line)
{
	sl_buf_reset(&w->trace);
	sl_buf_adds(&w->trace, line);
	sl_buf_adds(&w->trace, AT_TASK);
	return OUT_FAIL;
}

/* The first start: IMPORT, without force, on the configured destination context (§8). */
static enum outcome set_modes(struct worker *w, int64_t done)
{
	struct sl_buf path = SL_BUF_INIT;
	char *ctx = NULL, *scope = NULL;
	enum outcome o;

	sl_buf_adds(&path, "/mode");
	if (w->spec.ctype != SL_CONTEXT_NONE) {
		if (sl_context_normalize(w->ctx_name, &ctx, NULL) != 0 ||
		        asprintf(&scope, ":%s:", ctx) < 0) {
			scope = NULL;
			o = fail_with(w, "java.lang.IllegalArgumentException: invalid context");
			goto out;
		}
		sl_buf_addch(&path, '/');
		sl_srclient_path_escape(&path, scope);
	}
	o = call(w, "PUT", path.data, "{\"mode\":\"IMPORT\"}", done, AT_MODE AT_TASK);
out:
	free(ctx);
	free(scope);
	sl_buf_release(&path);
	return o;
}

/* A reference's subject on the destination: renamed like the referring subject, and written
 * unqualified when it lands in the referring subject's destination context. */
static char *map_ref(struct worker *w, const char *src_ctx, const char *ref, const char *dctx)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	char *srcq = NULL, *dest = NULL, *rctx = NULL, *out = NULL;

	if (sl_qsubject_parse(ref, &q, NULL) != 0 || q.wildcard)
		goto out;
	srcq = strncmp(ref, ":.", 2) == 0 ? strdup(ref) : sl_qsubject_format(src_ctx, q.subject);
	if (srcq == NULL || sl_export_dest_subject(w->spec.ctype, w->ctx_name, w->spec.rename, srcq,
	                            &dest, NULL) != 0)
		goto out;
	rctx = sl_qsubject_context(dest);
	sl_qsubject_release(&q);
	if (rctx != NULL && strcmp(rctx, dctx) == 0 && sl_qsubject_parse(dest, &q, NULL) == 0)
		out = strdup(q.subject);
	else
		out = dest, dest = NULL;
out:
	sl_qsubject_release(&q);
	free(srcq);
	free(dest);
	free(rctx);
	return out != NULL ? out : strdup(ref);
}

static enum outcome export_change(struct worker *w, const struct sl_change *ch, int64_t done)
{
	struct sl_schema_info info = SL_SCHEMA_INFO_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf path = SL_BUF_INIT;
	char *dest = NULL, *dctx = NULL, *body = NULL;
	json_t *o = NULL, *refs = NULL;
	enum outcome res = OUT_OK;

	if (!sl_filter_match_any((const char *const *)w->spec.subjects, w->spec.nsubjects,
	            ch->subject, w->x->wildcard))
		goto out;
	/* Gone (permanently deleted) or replaced since: nothing of this entry to copy; a later
	 * entry carries the replacement. */
	if (sl_store_get_version(w->x->store, ch->subject, ch->version, true, &info, NULL) != 0 ||
	        info.id != ch->id)
		goto out;
	if (sl_export_dest_subject(
	            w->spec.ctype, w->ctx_name, w->spec.rename, ch->subject, &dest, &err) != 0) {
		char line[700];

		snprintf(line, sizeof(line),
		        REST_EXC ": The specified subject is not a valid.; error code: 42208");
		res = fail_with(w, line);
		goto out;
	}
	dctx = sl_qsubject_context(dest);
	o = json_object();
	refs = json_array();
	if (o == NULL || refs == NULL || dctx == NULL)
		goto nomem;
	json_object_set_new(o, "schema", json_string(info.schema));
	json_object_set_new(o, "schemaType", json_string(info.type));
	for (size_t i = 0; i < info.nrefs; i++) {
		char *rs = map_ref(w, ch->context, info.refs[i].subject, dctx);

		if (rs == NULL)
			goto nomem;
		json_array_append_new(
		        refs, json_pack("{s:s, s:s, s:i}", "name", info.refs[i].name, "subject", rs,
		                      "version", info.refs[i].version));
		free(rs);
	}
	if (info.nrefs > 0)
		json_object_set(o, "references", refs);
	json_object_set_new(o, "id", json_integer(info.id));
	json_object_set_new(o, "version", json_integer(info.version));
	body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (body == NULL || sl_buf_adds(&path, "/subjects/") != 0 ||
	        sl_srclient_path_escape(&path, dest) != 0 ||
	        sl_buf_adds(&path, "/versions?normalize=false") != 0)
		goto nomem;
	res = call(w, "POST", path.data, body, done, AT_REST AT_REGISTER AT_TASK);
	goto out;
nomem:
	res = fail_with(w, "java.lang.OutOfMemoryError: Java heap space");
out:
	sl_schema_info_release(&info);
	json_decref(o);
	json_decref(refs);
	free(body);
	free(dest);
	free(dctx);
	sl_buf_release(&path);
	return res;
}

/* ---------- the destination client ---------- */

/* Builds w->client from w->spec.config (§8 credentials) with the exporter-name header. The
 * client does not retry: call() owns the retry window. */
static int build_client(struct worker *w)
{
	struct sl_srclient_config cfg;
	const struct sl_strmap *c = &w->spec.config;
	const char *url = sl_strmap_get(c, "schema.registry.url", NULL);
	const char *src = sl_strmap_get(c, "basic.auth.credentials.source", NULL);
	const char *info = sl_strmap_get(c, "basic.auth.user.info", NULL);
	const char *bsrc = sl_strmap_get(c, "bearer.auth.credentials.source", NULL);
	const char *token = sl_strmap_get(c, "bearer.auth.token", NULL);
	const char *hdrs[1];
	char *base = NULL, *header = NULL, *user = NULL;
	struct sl_error err = SL_ERROR_INIT;
	int rc = 0;

	memset(&cfg, 0, sizeof(cfg));
	sl_srclient_free(w->client);
	w->client = NULL;
	/* Confluent accepts a comma-separated list of URLs; the first is used. */
	base = url != NULL ? strndup(url, strcspn(url, ",")) : NULL;
	if (base == NULL ||
	        asprintf(&header, "Confluent-Schema-Exporter-Name: %s", w->e->name) < 0) {
		header = NULL;
		rc = SL_ENOMEM;
		goto out;
	}
	cfg.base_url = base;
	if (src != NULL && strcmp(src, "USER_INFO") == 0 && info != NULL) {
		const char *colon = strchr(info, ':');

		user = strndup(info, colon != NULL ? (size_t)(colon - info) : strlen(info));
		if (user == NULL) {
			rc = SL_ENOMEM;
			goto out;
		}
		cfg.auth = SL_SRCLIENT_AUTH_BASIC;
		cfg.username.kind = SL_SECRET_VALUE;
		cfg.username.ref = user;
		cfg.password.kind = SL_SECRET_VALUE;
		cfg.password.ref = (char *)(uintptr_t)(colon != NULL ? colon + 1 : "");
	} else if (bsrc != NULL && strcmp(bsrc, "STATIC_TOKEN") == 0 && token != NULL) {
		cfg.auth = SL_SRCLIENT_AUTH_BEARER;
		cfg.token.kind = SL_SECRET_VALUE;
		cfg.token.ref = (char *)(uintptr_t)token;
	}
	hdrs[0] = header;
	cfg.headers = hdrs;
	cfg.nheaders = 1;
	cfg.max_attempts = 1;
	cfg.request_timeout_ms = EXPORT_REQUEST_TIMEOUT_MS;
	cfg.cancelled = cancelled;
	cfg.cancel_arg = w;
	w->client = sl_srclient_new(&cfg, NULL, &err);
	if (w->client == NULL)
		rc = err.code != 0 ? err.code : SL_EINVAL;
out:
	free(base);
	free(header);
	if (user != NULL)
		sl_secret_free(user);
	return rc;
}

/* ---------- threads ---------- */

/* One round of work outside the lock: the first-start modes, or one batch of the log. */
static void work(struct worker *w, bool need_modes, int64_t next)
{
	struct sl_vec batch = SL_VEC_INIT;
	int64_t done = next - 1;
	enum outcome o = OUT_OK;

	if (w->client == NULL && build_client(w) != 0) {
		fail_with(w, "java.net.MalformedURLException: invalid schema.registry.url");
		finish(w, done, true, false);
		return;
	}
	if (need_modes) {
		o = set_modes(w, done);
		if (o != OUT_CANCEL)
			finish(w, done, o == OUT_FAIL, true);
		return;
	}
	if (sl_store_changes_since(w->x->store, (uint64_t)next, SL_EXPORT_BATCH, &batch, NULL) != 0)
		o = fail_with(w, "java.lang.OutOfMemoryError: Java heap space");
	for (size_t i = 0; o == OUT_OK && i < batch.len; i++) {
		const struct sl_change *ch = batch.items[i];

		if (cancelled(w)) {
			o = OUT_CANCEL;
			break;
		}
		o = export_change(w, ch, done);
		if (o == OUT_OK)
			done = (int64_t)ch->index;
	}
	sl_vec_release(&batch, sl_change_free);
	finish(w, done, o == OUT_FAIL, false);
}

void *sl_xp_worker_main(void *arg)
{
	struct xp_exporter *e = arg;
	struct worker w;

	memset(&w, 0, sizeof(w));
	w.e = e;
	w.x = e->set;
	sl_buf_init(&w.trace);
	pthread_mutex_lock(&w.x->mu);
	for (;;) {
		bool need_modes;
		int64_t next;

		if (atomic_load(&w.x->stopping) || e->deleted)
			break;
		if (e->modes_done && e->state == XP_STARTING)
			e->state = XP_RUNNING;
		if (e->state == XP_PAUSED ||
		        (e->modes_done && (uint64_t)(e->offset + 1) >= w.x->log_count)) {
			/* Nothing to send: close the connection before sleeping, so idle
			 * exporters hold no descriptor (10,000 of them would otherwise hold
			 * 10,000 sockets, twice that with the destination in this process). */
			if (w.client != NULL) {
				struct sl_srclient *c = w.client;

				w.client = NULL;
				pthread_mutex_unlock(&w.x->mu);
				sl_srclient_free(c);
				pthread_mutex_lock(&w.x->mu);
				continue;
			}
			pthread_cond_wait(&w.x->cv, &w.x->mu);
			continue;
		}
		w.gen = atomic_load(&e->gen);
		w.offset_gen = e->offset_gen;
		need_modes = !e->modes_done;
		next = e->offset + 1;
		if (!w.have_spec || w.spec_gen != e->spec_gen) {
			if (w.have_spec)
				sl_xp_spec_release(&w.spec);
			w.have_spec = sl_xp_spec_copy(&w.spec, &e->spec) == 0;
			w.spec_gen = e->spec_gen;
			free(w.ctx_name);
			w.ctx_name = NULL;
			if (w.have_spec && w.spec.ctype != SL_CONTEXT_NONE)
				w.ctx_name =
				        strdup(w.spec.ctype == SL_CONTEXT_CUSTOM ? w.spec.context
				                                                 : w.x->cluster_id);
			sl_srclient_free(w.client);
			w.client = NULL;
			if (!w.have_spec ||
			        (w.spec.ctype != SL_CONTEXT_NONE && w.ctx_name == NULL)) {
				/* Out of memory: try again in a second. */
				w.have_spec = false;
				pthread_mutex_unlock(&w.x->mu);
				sleep_or_cancel(&w, IDLE_WAIT_MS);
				pthread_mutex_lock(&w.x->mu);
				continue;
			}
		}
		pthread_mutex_unlock(&w.x->mu);
		work(&w, need_modes, next);
		pthread_mutex_lock(&w.x->mu);
	}
	pthread_mutex_unlock(&w.x->mu);
	sl_srclient_free(w.client);
	if (w.have_spec)
		sl_xp_spec_release(&w.spec);
	free(w.ctx_name);
	sl_buf_release(&w.trace);
	return NULL;
}

void *sl_xp_dispatcher_main(void *arg)
{
	struct sl_exporters *x = arg;
	uint64_t seen = 0, n;

	while (!atomic_load(&x->stopping)) {
		n = sl_store_changes_wait(x->store, seen, IDLE_WAIT_MS);
		if (n == seen)
			continue;
		seen = n;
		pthread_mutex_lock(&x->mu);
		x->log_count = n;
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
	}
	return NULL;
}
