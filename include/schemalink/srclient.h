/*
 * srclient.h — the Schema Registry REST client (docs/internals/registry.md §0, §2; docs/internals/operations.md
 * "HTTP client (libcurl)" and "Secrets").
 *
 * Owns: the HTTP transport (libcurl, or a scripted fake for tests), request building, retries,
 * error mapping, auth, TLS and redaction, and one typed call per registry endpoint the
 * controller and srlite's exporters use. It is the only libcurl and jansson user for the
 * registry API; the header exposes neither. Depends on model (secret references) and base.
 * Library code: it never logs; every failure fills a struct sl_error.
 *
 * Error mapping (struct sl_error):
 *   SL_ECONN     connection refused, DNS failure, connection reset / empty reply
 *   SL_ETIMEOUT  connect or request timeout, or slower than the low-speed limit
 *   SL_EHTTP     status >= 400; http_status set; registry_code and message from the JSON
 *                body {"error_code","message"} when it parses (registry_code 0 otherwise,
 *                e.g. an empty body)
 *   SL_EPROTO    malformed or truncated JSON on a 2xx, an unexpected 1xx/3xx (redirects are
 *                never followed), a TLS handshake/verification failure, or a non-empty
 *                non-JSON error body (an HTML 503 from a proxy): the message names the HTTP
 *                status and the content type, never the body; http_status is set
 *   SL_ELIMIT    response body over SL_SRCLIENT_MAX_BODY (8 MiB)
 *   SL_ESTATE    the transfer was cancelled through the config's cancel callback
 * Whenever a server answered, err->http_status holds its status, whatever the code.
 * Messages read "<METHOD> <path>: <detail>" (the path relative to the base URL, with its
 * query), and pass through sl_redact: URL user-info, Authorization values and secrets never
 * appear in them.
 *
 * Request budget (docs/internals/operations.md "Rate limits"): with a limiter in the config,
 * every attempt, the first and each retry, first takes a read (GET, HEAD) or write token from
 * it, and the limiter is shared by every client of the same registry. A 429, or a 503 with
 * Retry-After, pauses the whole limiter for the Retry-After (a 429 without one: 1 s), capped
 * at SL_SRCLIENT_RETRY_AFTER_CAP_MS (10 s): every request of that registry waits, not only
 * the one that got it, and whether or not this one is retried.
 *
 * Retry policy (only idempotent calls: GET, PUT, DELETE; POST only when the caller says it is
 * idempotent, e.g. a registration with an explicit id and version):
 *   - timeouts, 408, 429, 5xx and registry codes 50001-50004: at most SL_SRCLIENT_MAX_ATTEMPTS
 *     (4) attempts, sleeping 250 ms, 500 ms, 1000 ms between them (no jitter here: the
 *     controller's per-key backoff carries it); after a 429/503 that paused the limiter the
 *     retry waits for the limiter instead of sleeping; without a limiter a 429/503
 *     Retry-After of N seconds replaces that sleep, capped at SL_SRCLIENT_RETRY_AFTER_CAP_MS;
 *   - SL_ECONN: at most 2 retries, after 100 ms and 200 ms, so an unreachable registry is
 *     reported in well under a second plus connect timeouts;
 *   - never on other 4xx, SL_EPROTO, SL_ELIMIT or cancellation.
 * Sleeping goes through the config's sleep_ms hook (tests inject one that records instead).
 */
#ifndef SCHEMALINK_SRCLIENT_H
#define SCHEMALINK_SRCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/secret.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

#define SL_SRCLIENT_MAX_BODY (8u * 1024 * 1024)
#define SL_SRCLIENT_MAX_ATTEMPTS 4
#define SL_SRCLIENT_CONN_RETRIES 2
#define SL_SRCLIENT_RETRY_AFTER_CAP_MS 10000
/* The pause after a 429 that names no Retry-After (with a limiter). */
#define SL_SRCLIENT_429_PAUSE_MS 1000
#define SL_SRCLIENT_CONNECT_TIMEOUT_MS 5000
#define SL_SRCLIENT_REQUEST_TIMEOUT_MS 30000
/* Idle connections older than this are not reused. Confluent's Jetty closes idle connections
 * after 30 s and many proxies/load balancers after 60 s; 25 s stays below both, so we never
 * send a request into a socket the server is closing. */
#define SL_SRCLIENT_MAXAGE_CONN_S 25
#define SL_SRCLIENT_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

/* ---- configuration ------------------------------------------------------------------- */

struct sl_ratelimit; /* schemalink/ratelimit.h */

enum sl_srclient_auth {
	SL_SRCLIENT_AUTH_NONE,
	SL_SRCLIENT_AUTH_BASIC, /* username + password references */
	SL_SRCLIENT_AUTH_BEARER, /* token reference */
};

/* Describes a client. Everything is borrowed; sl_srclient_new copies what it keeps. Zero
 * numeric fields take the defaults named beside them. Secrets are references, resolved on
 * every request (a rotated file takes effect at once) and wiped right after use. */
struct sl_srclient_config {
	const char *base_url; /* "https://host:8081[/prefix]"; user-info ("u:p@") is stripped
	                       * and used as basic credentials when auth is NONE */
	enum sl_srclient_auth auth;
	struct sl_secret_ref username; /* BASIC */
	struct sl_secret_ref password; /* BASIC */
	struct sl_secret_ref token; /* BEARER */
	const char *ca_file; /* PEM bundle; NULL = system store */
	const char *cert_file; /* client certificate (PEM); NULL = none */
	const char *key_file; /* its private key (PEM) */
	bool insecure_skip_verify; /* disables peer and host verification (tests, never default) */
	long connect_timeout_ms; /* 0 = SL_SRCLIENT_CONNECT_TIMEOUT_MS */
	long request_timeout_ms; /* 0 = SL_SRCLIENT_REQUEST_TIMEOUT_MS (whole transfer) */
	long low_speed_limit; /* bytes/s; 0 = 1 */
	long low_speed_time_s; /* 0 = 10 */
	int max_attempts; /* 0 = SL_SRCLIENT_MAX_ATTEMPTS; 1 disables retries of every kind */
	size_t max_body; /* 0 = SL_SRCLIENT_MAX_BODY */
	const char *const *headers; /* extra "Name: value" lines, e.g.
	                             * "Confluent-Schema-Exporter-Name: src-to-tgt" */
	size_t nheaders;
	const char *user_agent; /* NULL = "schemalink/<version>" */
	/* Called with ms to wait between attempts. NULL = nanosleep in 50 ms slices that stop
	 * early when cancelled. */
	void (*sleep_ms)(void *arg, long ms);
	void *sleep_arg;
	/* Polled during transfers (curl's progress callback, about once a second and on every
	 * read) and between attempts; returning true aborts with SL_ESTATE. NULL = never. */
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	/* The registry's request budget, borrowed: it must outlive the client and may be
	 * shared with other clients of the same registry. NULL = no budget. Its waits poll
	 * cancelled too. */
	struct sl_ratelimit *limit;
};

/* ---- transport ----------------------------------------------------------------------- */

/* One HTTP exchange as the client hands it to a transport. Borrowed for the call. */
struct sl_http_request {
	const char *method; /* "GET", "PUT", "POST", "DELETE" */
	const char *url; /* absolute URL without user-info */
	const char *path; /* path and query relative to the base URL, e.g. "/mode/%3A.c%3A" */
	const char *const *headers; /* "Name: value" lines, Authorization included */
	size_t nheaders;
	const char *body; /* NULL when the request has no body */
	size_t body_len;
	size_t max_body; /* larger response bodies fail with SL_ELIMIT */
};

struct sl_http_response {
	int status; /* HTTP status, 0 when none arrived */
	struct sl_buf body;
	long retry_after_s; /* Retry-After in seconds, -1 when absent */
	char content_type[96]; /* "" when absent */
};

/* A transport performs one exchange, no retries. perform returns 0 when a response arrived
 * (any status) or a negative code (SL_ECONN, SL_ETIMEOUT, SL_ELIMIT, SL_EPROTO for TLS,
 * SL_ESTATE when cancelled) with err's message describing the failure without the URL.
 * Implementations embed this struct first. */
struct sl_transport {
	int (*perform)(struct sl_transport *t, const struct sl_http_request *req,
	        struct sl_http_response *resp, struct sl_error *err);
	void (*free)(struct sl_transport *t);
	/* Optional (NULL: the client never reads ahead). Performs the n exchanges of reqs, up
	 * to parallel of them at a time, each as perform would, into resps[i] (initialized by
	 * the caller), rcs[i] and errs[i]. Before starting each one it calls start(arg): a
	 * negative return starts no more, and every request not started gets that code in
	 * rcs[i] with errs[i] set to the error start left in *serr. Nor does it start more once
	 * a transfer failed or was answered 429 or 503 (the rest get SL_ESTATE): a registry in
	 * trouble is asked what is needed, when it is needed. Returns 0, or SL_ENOMEM when it
	 * could not run at all (rcs[] untouched). */
	int (*perform_many)(struct sl_transport *t, const struct sl_http_request *reqs, size_t n,
	        int parallel, int (*start)(void *arg, struct sl_error *serr), void *arg,
	        struct sl_http_response *resps, int *rcs, struct sl_error *errs);
};

/* The libcurl transport for cfg (borrowed; what it needs is copied): one reusable easy
 * handle, so the connection is kept alive between calls. Calls curl_global_init once per
 * process (pthread_once), which makes creating clients from several threads safe; one
 * client must be used by one thread at a time. The caller must ignore SIGPIPE (OpenSSL can
 * raise it on a closed TLS socket; CURLOPT_NOSIGNAL stops curl from handling signals).
 * Returns owned, or NULL with err set. */
struct sl_transport *sl_transport_curl_new(
        const struct sl_srclient_config *cfg, struct sl_error *err);

/* ---- fake transport (tests: docs/internals/style.md rule 10) ------------------------------------------ */

/* A scripted reply: a response (status > 0) or a transport failure (error < 0). */
struct sl_fake_reply {
	int status;
	const char *body; /* copied; NULL = empty */
	long retry_after_s; /* -1 = absent (sl_fake_reply_json sets it) */
	const char *content_type; /* NULL = the registry's JSON type */
	int error; /* SL_ECONN, SL_ETIMEOUT... instead of a response */
	size_t body_len; /* 0 = strlen(body); lets a test send a body over the cap cheaply */
};

/* A recorded request. headers has every header except Authorization, whose value is kept
 * as "<scheme> [redacted]" so tests can assert the scheme without seeing the secret. */
struct sl_fake_call {
	char *method;
	char *path;
	char *body; /* NULL when none; passed through sl_redact ("basic.auth.user.info":
	             * "[redacted]"), since exporter configs carry destination credentials */
	struct sl_vec headers; /* owned "Name: value" strings */
};

struct sl_fake_transport; /* opaque */

/* Returns an owned fake transport with an empty script. Hand it to sl_srclient_new (which
 * takes it) and keep the pointer to script and inspect it while the client lives. */
struct sl_fake_transport *sl_fake_transport_new(void);
struct sl_transport *sl_fake_transport_base(struct sl_fake_transport *f);
/* Appends a reply; replies are consumed in order. When the script runs out, perform fails
 * with SL_EIO "fake transport: no scripted reply". Returns 0 or SL_ENOMEM. */
int sl_fake_transport_push(struct sl_fake_transport *f, const struct sl_fake_reply *r);
/* Shorthands: a JSON (or any) body with a status; a transport error. */
int sl_fake_transport_reply(struct sl_fake_transport *f, int status, const char *body);
int sl_fake_transport_fail(struct sl_fake_transport *f, int error);
/* The calls made so far (borrowed), and their count. */
size_t sl_fake_transport_ncalls(const struct sl_fake_transport *f);
const struct sl_fake_call *sl_fake_transport_call(const struct sl_fake_transport *f, size_t i);
/* Replies not consumed yet. */
size_t sl_fake_transport_pending(const struct sl_fake_transport *f);
/* Forgets recorded calls and pending replies. */
void sl_fake_transport_reset(struct sl_fake_transport *f);
/* Returns the value of header name (case-insensitive) in call c, borrowed, or NULL. */
const char *sl_fake_call_header(const struct sl_fake_call *c, const char *name);

/* ---- client -------------------------------------------------------------------------- */

struct sl_srclient; /* opaque */

/* Creates a client for cfg (borrowed). transport is taken (freed with the client, also on
 * failure); NULL creates the libcurl transport. Fails with SL_EINVAL on a base URL that is
 * not http(s)://host... . Returns owned, or NULL with err set. */
struct sl_srclient *sl_srclient_new(
        const struct sl_srclient_config *cfg, struct sl_transport *transport, struct sl_error *err);
void sl_srclient_free(struct sl_srclient *c);

/* The base URL without user-info (borrowed), for messages. */
const char *sl_srclient_base_url(const struct sl_srclient *c);

/* Returns, once per client, a warning about credentials or requests sent over plain HTTP to a
 * non-loopback host (borrowed; NULL afterwards, or when there is nothing to warn about). The
 * caller logs it: library code does not. */
const char *sl_srclient_take_warning(struct sl_srclient *c);

/* One request with the client's auth, headers, retries and error mapping. path is relative to
 * the base URL, already percent-encoded, with any query. body_json may be NULL. idempotent
 * marks a POST as safe to retry (GET, PUT and DELETE always are). On success returns the HTTP
 * status (2xx) and fills out (when non-NULL) with the body, and err (when non-NULL) has code 0
 * and http_status set, so a caller's later error about the body keeps the status; on failure
 * a negative code, and out holds the last response body. */
int sl_srclient_request(struct sl_srclient *c, const char *method, const char *path,
        const char *body_json, bool idempotent, struct sl_buf *out, struct sl_error *err);

/* ---- reading ahead (docs/internals/operations.md "Reading ahead") --------------------- */

/* The most requests sl_srclient_read_ahead runs side by side, and what the engine asks for. */
#define SL_SRCLIENT_MAX_PARALLEL 16
#define SL_SRCLIENT_READ_AHEAD_PARALLEL 10
/* A kept answer older than this is not used (asked again). */
#define SL_SRCLIENT_AHEAD_MAX_AGE_MS 10000

/* True when the transport can run requests side by side (perform_many). */
bool sl_srclient_can_read_ahead(const struct sl_srclient *c);
/* GETs paths (relative, as sl_srclient_request's), up to parallel at a time, and keeps every
 * definitive answer — a 2xx or a 404 — for the next sl_srclient_request GET of the same path
 * within SL_SRCLIENT_AHEAD_MAX_AGE_MS, which takes it (once) instead of asking: its result,
 * body, error and message are what asking then would have given. Each request first takes a
 * read token the budget has free now; when it has none, or a transfer fails or is answered
 * 429 or 503, the rest are not started. What is not kept is asked when needed, with the usual
 * waits, retries and pauses (a 429 or 503 read ahead pauses the budget too). A path with an
 * answer kept is not asked again. Does nothing (returns 0) when the transport cannot run
 * requests side by side. Returns the number of answers kept, or a negative code with err set
 * (SL_ENOMEM; SL_ESTATE when cancelled; a credential that cannot be read). */
int sl_srclient_read_ahead(struct sl_srclient *c, const char *const *paths, size_t n, int parallel,
        struct sl_error *err);
/* Drops kept answers: all when path is NULL, else those of the resource path names (the same
 * first two segments, query left out: "/exporters/x" for "/exporters/x/pause"). Every request
 * other than a GET drops those of its own path so. */
void sl_srclient_forget_ahead(struct sl_srclient *c, const char *path);
/* How many answers are kept. */
size_t sl_srclient_ahead_count(const struct sl_srclient *c);

/* The path (with its query) a typed read asks, for reading it ahead: sl_srclient_exporter_get
 * and sl_srclient_exporter_status of exporter arg, sl_srclient_mode_get and
 * sl_srclient_config_get of scope arg. Into out (reset first); 0 or SL_ENOMEM with err set. */
enum sl_srclient_read {
	SL_READ_EXPORTER,
	SL_READ_EXPORTER_STATUS,
	SL_READ_MODE,
	SL_READ_CONFIG,
};
int sl_srclient_read_path(
        struct sl_buf *out, enum sl_srclient_read what, const char *arg, struct sl_error *err);

/* Appends s percent-encoded as one path segment (everything but A-Z a-z 0-9 - . _ ~ is
 * encoded, so ':' becomes %3A and '/' %2F). Returns 0 or SL_ENOMEM. */
int sl_srclient_path_escape(struct sl_buf *out, const char *s);

/* True for a route-level 404 (the server has no such endpoint: error_code 404 or a non-JSON
 * 404), as opposed to a registry "not found" code such as 40450. */
bool sl_srclient_err_route_missing(const struct sl_error *err);
/* True when err is an HTTP error with that registry error_code. */
bool sl_srclient_err_is(const struct sl_error *err, int registry_code);

/* ---- registry identity ---------------------------------------------------------------- */

/* GET /v1/metadata/id: who the registry is, so a caller can notice that the registry behind a
 * URL was replaced (or restarted empty, for srlite without --data-dir). Writes into out (room
 * for len bytes, len > 0) "<kafka-cluster>/<schema-registry-cluster>" from scope.clusters
 * when both are non-empty strings (Confluent's answer), else the answer's non-empty "id";
 * either is cut at a character boundary to len - 1 bytes, and one with a control character
 * (C0, DEL or C1) is not used. Returns:
 *   1  an identity was written;
 *   0  the registry gives none: out is "" and err is cleared. That is any 404 or 405 (a
 *      registry without the route, see sl_srclient_err_route_missing), and a 2xx whose body
 *      is not JSON or names no usable id;
 *   <0 out is "" and err is set: connection failures, timeouts, 5xx after the usual retries
 *      of an idempotent GET, other 4xx (401, 403...), redirects, cancellation, or SL_EINVAL
 *      for out NULL or len 0. */
int sl_srclient_cluster_id(struct sl_srclient *c, char *out, size_t len, struct sl_error *err);

/* ---- exporters (docs/internals/registry.md §2.1) ------------------------------------------------- */

enum sl_exporter_state {
	SL_EXPORTER_UNKNOWN, /* a state this client does not know; see state_raw */
	SL_EXPORTER_STARTING,
	SL_EXPORTER_RUNNING,
	SL_EXPORTER_PAUSED,
	SL_EXPORTER_UNASSIGNED,
};

/* ExporterCreate / ExporterUpdate / ExporterInfo. NULL strings and empty subjects are absent
 * on the wire (an update sends only what is set; a create always sends "config"). */
struct sl_exporter {
	char *name; /* owned; not sent on update */
	char *context_type; /* owned; "AUTO" | "CUSTOM" | "NONE" */
	char *context; /* owned */
	struct sl_vec subjects; /* owned char * */
	char *subject_rename_format; /* owned */
	char *kek_rename_format; /* owned */
	struct sl_strmap config; /* owned char * values; masked secrets read as "[hidden]" */
};

#define SL_EXPORTER_INIT \
	{ \
		NULL, NULL, NULL, SL_VEC_INIT, NULL, NULL, SL_STRMAP_INIT \
	}

void sl_exporter_release(struct sl_exporter *e);

struct sl_exporter_status {
	char *name; /* owned */
	enum sl_exporter_state state;
	char *state_raw; /* owned; as the registry sent it */
	int64_t offset; /* -1 when absent */
	int64_t ts; /* epoch ms; 0 when absent */
	char *trace; /* owned; "" when absent or empty */
};

#define SL_EXPORTER_STATUS_INIT \
	{ \
		NULL, SL_EXPORTER_UNKNOWN, NULL, -1, 0, NULL \
	}

void sl_exporter_status_release(struct sl_exporter_status *s);
const char *sl_exporter_state_name(enum sl_exporter_state s);

/* GET /exporters. names gets owned char * (an initialized vector). A route-level 404 (no
 * Schema Linking on this registry) fails with SL_EUNSUP, http_status 404. */
int sl_srclient_exporters_list(struct sl_srclient *c, struct sl_vec *names, struct sl_error *err);
/* POST /exporters with e (name and config required). Never retried: after a timeout the
 * caller reads back (docs/internals/operations.md "Writes are idempotent"); 40960 = already exists. */
int sl_srclient_exporter_create(
        struct sl_srclient *c, const struct sl_exporter *e, struct sl_error *err);
/* GET /exporters/{name}; out must be SL_EXPORTER_INIT; the caller releases it. 40450 = none. */
int sl_srclient_exporter_get(
        struct sl_srclient *c, const char *name, struct sl_exporter *out, struct sl_error *err);
/* GET /exporters/{name}/status. */
int sl_srclient_exporter_status(struct sl_srclient *c, const char *name,
        struct sl_exporter_status *out, struct sl_error *err);
/* PUT /exporters/{name} with the set fields of e (name ignored). 40963 = not paused. */
int sl_srclient_exporter_update(
        struct sl_srclient *c, const char *name, const struct sl_exporter *e, struct sl_error *err);
/* GET /exporters/{name}/config into out (initialized; owned char * values). */
int sl_srclient_exporter_config_get(
        struct sl_srclient *c, const char *name, struct sl_strmap *out, struct sl_error *err);
/* PUT /exporters/{name}/config with config (borrowed char * values). */
int sl_srclient_exporter_config_put(struct sl_srclient *c, const char *name,
        const struct sl_strmap *config, struct sl_error *err);
/* PUT /exporters/{name}/pause | resume | reset. resume: 40961 = already running. */
int sl_srclient_exporter_pause(struct sl_srclient *c, const char *name, struct sl_error *err);
int sl_srclient_exporter_resume(struct sl_srclient *c, const char *name, struct sl_error *err);
int sl_srclient_exporter_reset(struct sl_srclient *c, const char *name, struct sl_error *err);
/* DELETE /exporters/{name}. */
int sl_srclient_exporter_delete(struct sl_srclient *c, const char *name, struct sl_error *err);

/* ---- modes and compatibility (docs/internals/registry.md §2.3, §2.4) ---------------------------- */

/* scope: NULL or "" = top level (/mode, /config); otherwise a qualified subject or a context
 * form such as ":.ctx:" or ":.__GLOBAL:" (percent-encoded into the path).
 *
 * Getters are tri-state: return 1 with *value owned when something is set at exactly that
 * scope (defaultToGlobal=false; the top level answers its effective value), 0 with *value
 * NULL when the registry says "not set here" (40409 for mode, 40408 for config), negative on
 * error. */
int sl_srclient_mode_get(
        struct sl_srclient *c, const char *scope, char **value, struct sl_error *err);
/* PUT /mode[/{scope}][?force=true] {"mode":mode}. */
int sl_srclient_mode_put(struct sl_srclient *c, const char *scope, const char *mode, bool force,
        struct sl_error *err);
/* DELETE /mode[/{scope}]. Returns 1 when a mode was removed, 0 when none was set (40401). */
int sl_srclient_mode_delete(struct sl_srclient *c, const char *scope, struct sl_error *err);

/* GET /config[/{scope}] -> compatibilityLevel; tri-state as sl_srclient_mode_get (40408). */
int sl_srclient_config_get(
        struct sl_srclient *c, const char *scope, char **level, struct sl_error *err);
/* PUT /config[/{scope}] {"compatibility":level}. */
int sl_srclient_config_put(
        struct sl_srclient *c, const char *scope, const char *level, struct sl_error *err);
/* DELETE /config[/{scope}]. Returns 1 when removed, 0 when none was set (40401). */
int sl_srclient_config_delete(struct sl_srclient *c, const char *scope, struct sl_error *err);

/* ---- contexts, subjects, versions, registration (§2.2, §2.5) ------------------------- */

/* GET /contexts into names (owned char *). */
int sl_srclient_contexts_list(struct sl_srclient *c, struct sl_vec *names, struct sl_error *err);
/* DELETE /contexts/{ctx} (8.1+). 42211 = not empty. */
int sl_srclient_context_delete(struct sl_srclient *c, const char *ctx, struct sl_error *err);

/* GET /subjects[?subjectPrefix=p][&deleted=true]. prefix NULL = the server default (":*:"
 * since 7.2); "" is sent as an empty prefix (default context only). */
int sl_srclient_subjects_list(struct sl_srclient *c, const char *prefix, bool deleted,
        struct sl_vec *names, struct sl_error *err);

/* One entry of the schema listing: a version of a subject and its id. */
struct sl_schema_entry {
	char *subject; /* owned */
	int version;
	int id;
};
void sl_schema_entry_free(void *p); /* for sl_vec_release */

/* GET /schemas?subjectPrefix=p&offset=o&limit=n: one page of every live version under prefix
 * (":*:" every context), appended to out as struct sl_schema_entry * (the schema text is read
 * and dropped). Returns how many entries the page held (a page shorter than limit is the
 * last), or a negative code. */
int sl_srclient_schemas_page(struct sl_srclient *c, const char *prefix, int offset, int limit,
        struct sl_vec *out, struct sl_error *err);

/* GET /subjects/{s}/versions[?deleted=true]. *versions is an owned array (free()). 40401 =
 * no such subject. */
int sl_srclient_subject_versions(struct sl_srclient *c, const char *subject, bool deleted,
        int **versions, size_t *n, struct sl_error *err);

struct sl_schema_version {
	char *subject; /* owned */
	int version;
	int id;
	char *schema_type; /* owned; "AVRO" when absent */
	char *schema; /* owned */
	char *references; /* owned JSON array text, NULL when absent */
	char *metadata; /* owned JSON object text, NULL when absent */
	char *rule_set; /* owned JSON object text, NULL when absent */
};

#define SL_SCHEMA_VERSION_INIT \
	{ \
		NULL, 0, 0, NULL, NULL, NULL, NULL, NULL \
	}

void sl_schema_version_release(struct sl_schema_version *v);

/* GET /subjects/{s}/versions/{version} ("latest", "-1" or a number). 40401 / 40402. */
int sl_srclient_subject_version_get(struct sl_srclient *c, const char *subject, const char *version,
        struct sl_schema_version *out, struct sl_error *err);

/* POST /subjects/{s}/versions[?normalize=false]. */
struct sl_register_request {
	const char *schema; /* the schema text */
	const char *schema_type; /* NULL = omitted (AVRO) */
	const char *references; /* JSON array text, NULL = omitted */
	const char *metadata; /* JSON object text, NULL = omitted */
	const char *rule_set; /* JSON object text, NULL = omitted */
	int id; /* < 0 = omitted */
	int version; /* < 0 = omitted */
	bool normalize_false; /* adds ?normalize=false, as exporters do (PR #4434) */
	bool idempotent; /* retry like a PUT: true for (schema, id, version) re-sends */
};

/* Registers req under subject. *id (and *version, 0 when the registry omits it) are set on
 * success; either pointer may be NULL. */
int sl_srclient_register(struct sl_srclient *c, const char *subject,
        const struct sl_register_request *req, int *id, int *version, struct sl_error *err);

#endif
