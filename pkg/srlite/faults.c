/*
 * faults.c — fault rules and request counters for srlite's tests (see faults.h).
 */
#include "schemalink/faults.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reply.h"

struct rule {
	long id;
	char *method; /* NULL = any */
	char *prefix; /* NULL = any */
	int status; /* 0 = not given */
	int error_code; /* 0 = not given */
	char *message;
	char *raw_body;
	char *content_type;
	json_t *headers; /* owned object of string values, or NULL */
	long delay_ms;
	long left; /* requests still to get it; -1 = unlimited */
};

enum { CNT_GET, CNT_POST, CNT_PUT, CNT_DELETE, CNT_TOTAL, CNT_LIMITED, CNT_N };

struct sl_faults {
	pthread_mutex_t mu;
	struct rule **rules;
	size_t nrules;
	long next_id;
	uint64_t counts[CNT_N];
	json_t *routes; /* "METHOD /shape" -> count (route_of) */
};

static void rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->method);
	free(r->prefix);
	free(r->message);
	free(r->raw_body);
	free(r->content_type);
	json_decref(r->headers);
	free(r);
}

struct sl_faults *sl_faults_new(void)
{
	struct sl_faults *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	f->next_id = 1;
	if ((f->routes = json_object()) == NULL) {
		sl_faults_free(f);
		return NULL;
	}
	return f;
}

static void clear_rules(struct sl_faults *f)
{
	for (size_t i = 0; i < f->nrules; i++)
		rule_free(f->rules[i]);
	free(f->rules);
	f->rules = NULL;
	f->nrules = 0;
}

void sl_faults_free(struct sl_faults *f)
{
	if (f == NULL)
		return;
	clear_rules(f);
	json_decref(f->routes);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static json_t *rule_json(const struct rule *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(r->id));
	if (r->method != NULL)
		json_object_set_new(o, "method", json_string(r->method));
	if (r->prefix != NULL)
		json_object_set_new(o, "pathPrefix", json_string(r->prefix));
	if (r->status != 0)
		json_object_set_new(o, "status", json_integer(r->status));
	if (r->error_code != 0)
		json_object_set_new(o, "errorCode", json_integer(r->error_code));
	if (r->message != NULL)
		json_object_set_new(o, "message", json_string(r->message));
	if (r->raw_body != NULL)
		json_object_set_new(o, "rawBody", json_string(r->raw_body));
	if (r->content_type != NULL)
		json_object_set_new(o, "contentType", json_string(r->content_type));
	if (r->headers != NULL)
		json_object_set_new(o, "headers", json_deep_copy(r->headers));
	if (r->delay_ms > 0)
		json_object_set_new(o, "delayMs", json_integer(r->delay_ms));
	if (r->left >= 0)
		json_object_set_new(o, "count", json_integer(r->left));
	return o;
}

static json_t *counts_json(const uint64_t *c, json_t *routes)
{
	/* A copy: the counters move on once the lock is dropped, while the reply is written. */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "GET", (json_int_t)c[CNT_GET],
	        "POST", (json_int_t)c[CNT_POST], "PUT", (json_int_t)c[CNT_PUT], "DELETE",
	        (json_int_t)c[CNT_DELETE], "total", (json_int_t)c[CNT_TOTAL], "limited",
	        (json_int_t)c[CNT_LIMITED], "routes", json_deep_copy(routes));
}

/* The route of a request, for the per-route counters: the method, the first path segment,
 * and each further one kept when it is a word of the API (status, versions, ...) and "{}"
 * when it names something (a subject, an exporter, a scope, an id): "GET /exporters/{}/status". */
static void route_of(const char *method, const char *path, char *out, size_t len)
{
	static const char *const words[] = {"status", "config", "pause", "resume", "reset",
	        "versions", "latest", "ids", "schema", "referencedby", "subjects", "types",
	        "contexts", "id", "schemas"};
	size_t n = (size_t)snprintf(out, len, "%s ", method);
	const char *p = path;
	int seg = 0;

	while (*p == '/' && n + 1 < len) {
		const char *q = strchr(p + 1, '/');
		size_t sl = q ? (size_t)(q - p - 1) : strlen(p + 1);
		bool word = seg == 0;

		for (size_t i = 0; !word && i < sizeof(words) / sizeof(words[0]); i++)
			word = strlen(words[i]) == sl && strncmp(words[i], p + 1, sl) == 0;
		n += (size_t)snprintf(
		        out + n, len - n, "/%.*s", word ? (int)sl : 2, word ? p + 1 : "{}");
		if (n >= len)
			n = len - 1;
		p += sl + 1;
		seg++;
	}
	if (seg == 0)
		snprintf(out + n, len - n, "/");
}

/* Reads an optional string member; false when present with another type. */
static bool opt_str(json_t *o, const char *k, char **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	*out = strdup(json_string_value(v));
	return *out != NULL;
}

static bool opt_int(json_t *o, const char *k, long lo, long hi, long *out)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = (long)json_integer_value(v);
	return true;
}

/* Reads the optional "headers" object: at most SL_FAULTS_MAX_HEADERS members with string
 * values that can go on the wire as they are (no CR/LF/NUL, names without ':'); Content-Type
 * and Content-Length belong to the reply functions. False when it is anything else. */
static bool opt_headers(json_t *o, json_t **out)
{
	json_t *v = json_object_get(o, "headers"), *hv;
	const char *name;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_object(v) || json_object_size(v) > SL_FAULTS_MAX_HEADERS)
		return false;
	json_object_foreach(v, name, hv)
	{
		if (!json_is_string(hv) || name[0] == '\0' || strpbrk(name, ":\r\n") != NULL ||
		        strpbrk(json_string_value(hv), "\r\n") != NULL ||
		        strlen(json_string_value(hv)) != json_string_length(hv) ||
		        strcasecmp(name, "Content-Type") == 0 ||
		        strcasecmp(name, "Content-Length") == 0)
			return false;
	}
	*out = json_incref(v);
	return true;
}

static int add_rule(
        struct sl_faults *f, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	json_t *o = json_loadb(req->body, req->body_len, 0, NULL), *answer;
	struct rule *r = calloc(1, sizeof(*r));
	struct rule **grown;
	long status = 0, code = 0, delay = 0, count = -1;
	const char *bad = NULL;

	if (r == NULL) {
		json_decref(o);
		return sl_httpd_reply_error(resp, 500, 50001, "Error in the backend data store");
	}
	if (!json_is_object(o))
		bad = "the body must be a JSON object";
	else if (!opt_str(o, "method", &r->method) || !opt_str(o, "pathPrefix", &r->prefix) ||
	         !opt_str(o, "message", &r->message) || !opt_str(o, "rawBody", &r->raw_body) ||
	         !opt_str(o, "contentType", &r->content_type))
		bad = "method, pathPrefix, message, rawBody and contentType must be strings";
	else if (!opt_headers(o, &r->headers))
		bad = "headers must be an object of at most 16 header names to string values "
		      "(not Content-Type or Content-Length)";
	else if (!opt_int(o, "status", 100, 599, &status))
		bad = "status must be an integer in 100..599";
	else if (!opt_int(o, "errorCode", 1, 99999, &code))
		bad = "errorCode must be a positive integer";
	else if (!opt_int(o, "delayMs", 0, SL_FAULTS_MAX_DELAY_MS, &delay))
		bad = "delayMs must be an integer in 0..600000";
	else if (!opt_int(o, "count", 1, INT32_MAX, &count))
		bad = "count must be a positive integer";
	json_decref(o);
	if (bad != NULL) {
		rule_free(r);
		return sl_httpd_reply_error(resp, 422, 422, bad);
	}
	r->status = (int)status;
	r->error_code = (int)code;
	r->delay_ms = delay;
	r->left = count;
	pthread_mutex_lock(&f->mu);
	grown = f->nrules < SL_FAULTS_MAX_RULES
	                ? realloc(f->rules, (f->nrules + 1) * sizeof(*f->rules))
	                : NULL;
	if (grown != NULL) {
		f->rules = grown;
		r->id = f->next_id++;
		f->rules[f->nrules++] = r;
	}
	answer = grown != NULL ? rule_json(r) : NULL;
	pthread_mutex_unlock(&f->mu);
	if (grown == NULL) {
		rule_free(r);
		return sl_httpd_reply_error(resp, 422, 422, "too many fault rules");
	}
	return sl_reply_json(resp, 200, answer);
}

int sl_faults_handle(struct sl_faults *f, const struct sl_httpd_request *req,
        const char *const *seg, size_t n, struct sl_httpd_response *resp)
{
	const char *m = req->method;
	json_t *v = NULL;

	if (n != 2 || (strcmp(seg[1], "faults") != 0 && strcmp(seg[1], "requests") != 0))
		return sl_reply_not_found(resp);
	if (strcmp(seg[1], "faults") == 0) {
		if (strcmp(m, "POST") == 0)
			return add_rule(f, req, resp);
		if (strcmp(m, "GET") == 0) {
			v = json_array();
			pthread_mutex_lock(&f->mu);
			for (size_t i = 0; v != NULL && i < f->nrules; i++)
				json_array_append_new(v, rule_json(f->rules[i]));
			pthread_mutex_unlock(&f->mu);
			return sl_reply_json(resp, 200, v);
		}
		if (strcmp(m, "DELETE") == 0) {
			pthread_mutex_lock(&f->mu);
			clear_rules(f);
			pthread_mutex_unlock(&f->mu);
			return sl_reply_json(resp, 200, json_object());
		}
	} else {
		if (strcmp(m, "GET") == 0 || strcmp(m, "DELETE") == 0) {
			pthread_mutex_lock(&f->mu);
			if (strcmp(m, "DELETE") == 0) {
				memset(f->counts, 0, sizeof(f->counts));
				json_object_clear(f->routes);
			}
			v = counts_json(f->counts, f->routes);
			pthread_mutex_unlock(&f->mu);
			return sl_reply_json(resp, 200, v);
		}
	}
	return sl_reply_not_allowed(resp);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "Injected fault";
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Counts a registry request with method m to path, in all and by route; the caller holds
 * f->mu. */
static void count_locked(struct sl_faults *f, const char *m, const char *path)
{
	char route[160];
	json_t *v;

	route_of(m, path, route, sizeof(route));
	if ((v = json_object_get(f->routes, route)) != NULL)
		json_integer_set(v, json_integer_value(v) + 1);
	else
		json_object_set_new(f->routes, route, json_integer(1));
	f->counts[CNT_TOTAL]++;
	if (strcmp(m, "GET") == 0)
		f->counts[CNT_GET]++;
	else if (strcmp(m, "POST") == 0)
		f->counts[CNT_POST]++;
	else if (strcmp(m, "PUT") == 0)
		f->counts[CNT_PUT]++;
	else if (strcmp(m, "DELETE") == 0)
		f->counts[CNT_DELETE]++;
}

void sl_faults_count_limited(struct sl_faults *f, const struct sl_httpd_request *req)
{
	pthread_mutex_lock(&f->mu);
	count_locked(f, req->method, req->path);
	f->counts[CNT_LIMITED]++;
	pthread_mutex_unlock(&f->mu);
}

bool sl_faults_apply(
        struct sl_faults *f, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct rule hit;
	bool found = false, answers;
	const char *m = req->method, *hname;
	json_t *hval;
	int status;

	memset(&hit, 0, sizeof(hit));
	pthread_mutex_lock(&f->mu);
	count_locked(f, m, req->path);
	for (size_t i = 0; i < f->nrules; i++) {
		struct rule *r = f->rules[i];

		if ((r->method != NULL && strcasecmp(r->method, m) != 0) ||
		        (r->prefix != NULL &&
		                strncmp(req->path, r->prefix, strlen(r->prefix)) != 0))
			continue;
		/* Copy what the answer needs: the rule may be gone once the lock is dropped. */
		hit = *r;
		hit.message = r->message != NULL ? strdup(r->message) : NULL;
		hit.raw_body = r->raw_body != NULL ? strdup(r->raw_body) : NULL;
		hit.content_type = r->content_type != NULL ? strdup(r->content_type) : NULL;
		/* A copy, not a reference: it is used and freed after the lock is dropped. */
		hit.headers = r->headers != NULL ? json_deep_copy(r->headers) : NULL;
		hit.method = hit.prefix = NULL;
		found = true;
		if (r->left > 0 && --r->left == 0) {
			rule_free(r);
			memmove(&f->rules[i], &f->rules[i + 1],
			        (f->nrules - i - 1) * sizeof(*f->rules));
			f->nrules--;
		}
		break;
	}
	pthread_mutex_unlock(&f->mu);
	if (!found)
		return false;
	if (hit.delay_ms > 0)
		sleep_ms(hit.delay_ms);
	answers = hit.status != 0 || hit.error_code != 0 || hit.raw_body != NULL;
	if (answers) {
		status = hit.status;
		if (status == 0 && hit.error_code >= 10000 && hit.error_code / 100 >= 100 &&
		        hit.error_code / 100 <= 599)
			status = hit.error_code / 100;
		if (status == 0)
			status = hit.raw_body != NULL ? 200 : 500;
		if (hit.raw_body != NULL)
			sl_httpd_reply(
			        resp, status, hit.content_type, hit.raw_body, strlen(hit.raw_body));
		else
			sl_httpd_reply_error(resp, status,
			        hit.error_code != 0 ? hit.error_code : status,
			        hit.message != NULL ? hit.message : reason(status));
		/* Validated when the rule was added; a failure here can only be memory. */
		json_object_foreach(hit.headers, hname, hval)
		{
			sl_httpd_response_header(resp, hname, json_string_value(hval));
		}
	}
	json_decref(hit.headers);
	free(hit.message);
	free(hit.raw_body);
	free(hit.content_type);
	return answers;
}
