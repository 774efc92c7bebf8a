/* transport_curl.c — the libcurl transport: one easy handle per client, reused connections,
 * and for reading ahead (perform_many) a multi handle with a few more easy handles, kept with
 * their connections for the client's life (docs/internals/operations.md "Reading ahead"). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/srclient.h"

/* Where one transfer's answer goes. */
struct sink {
	struct sl_buf *body;
	size_t max_body;
	bool over_cap;
	char errbuf[CURL_ERROR_SIZE];
};

/* One easy handle of the read-ahead pool. */
struct slot {
	CURL *h;
	struct sink sink;
	struct curl_slist *hl;
	size_t idx; /* the request it carries */
	bool busy;
};

struct curl_transport {
	struct sl_transport base;
	CURL *h;
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	struct sink sink; /* of h, per transfer */
	/* perform_many: made on first use, at most SL_SRCLIENT_MAX_PARALLEL slots. */
	CURLM *multi;
	struct slot **slots; /* each its own allocation: curl holds pointers into it */
	int nslots;
};

/* curl_global_init is not thread-safe in the libcurl versions we support (< 7.84 documents
 * it so, and it initializes OpenSSL), so it runs exactly once, whichever thread creates the
 * first client. There is no matching curl_global_cleanup: the process keeps libcurl until it
 * exits (valgrind reports that memory as still reachable, not lost). */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Write callback: appends to the response body; returning less than given makes curl stop
 * with CURLE_WRITE_ERROR, which perform reports as SL_ELIMIT when the cap was the reason. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;

	if (n > k->max_body - k->body->len) {
		k->over_cap = true;
		return 0;
	}
	if (sl_buf_add(k->body, data, n) < 0)
		return 0;
	return n;
}

/* Progress callback: the cancel hook (SIGTERM in the daemon) aborts an in-flight transfer. */
static int on_progress(
        void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct curl_transport *ct = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return ct->cancelled != NULL && ct->cancelled(ct->cancel_arg) ? 1 : 0;
}

static int map_curl_error(const struct sink *k, CURLcode cc, struct sl_error *err)
{
	const char *why = k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE: return sl_error_set(err, SL_ECONN, "connection failed: %s", why);
	case CURLE_OPERATION_TIMEDOUT: return sl_error_set(err, SL_ETIMEOUT, "timed out: %s", why);
	case CURLE_ABORTED_BY_CALLBACK: return sl_error_set(err, SL_ESTATE, "cancelled");
	case CURLE_WRITE_ERROR:
		if (k->over_cap)
			return sl_error_set(
			        err, SL_ELIMIT, "response body larger than %zu bytes", k->max_body);
		return sl_error_set(err, SL_ENOMEM, "out of memory reading the response");
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED: return sl_error_set(err, SL_EPROTO, "tls: %s", why);
	default: return sl_error_set(err, SL_EIO, "curl: %s", why);
	}
}

/* What a finished transfer on h (result cc) answered, into resp: 0, or the mapped error. */
static int finish(CURL *h, const struct sink *k, CURLcode cc, struct sl_http_response *resp,
        struct sl_error *err)
{
	curl_off_t retry_after = 0;
	const char *ctype = NULL;
	long status = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = (int)status;
	if (cc != CURLE_OK)
		return map_curl_error(k, cc, err);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		resp->retry_after_s = retry_after > 86400 ? 86400 : (long)retry_after;
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
	return 0;
}

/* The headers of req, and "Expect:" (no 100-continue round trip), as a curl list. */
static struct curl_slist *header_list(const struct sl_http_request *req)
{
	struct curl_slist *hl = NULL, *tmp;
	size_t i;

	for (i = 0; i <= req->nheaders; i++) {
		tmp = curl_slist_append(hl, i < req->nheaders ? req->headers[i] : "Expect:");
		if (tmp == NULL) {
			curl_slist_free_all(hl);
			return NULL;
		}
		hl = tmp;
	}
	return hl;
}

static int curl_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct curl_transport *ct = (struct curl_transport *)t;
	struct curl_slist *hl = header_list(req);
	CURLcode cc;
	int rc;

	if (hl == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	ct->sink.body = &resp->body;
	ct->sink.max_body = req->max_body;
	ct->sink.over_cap = false;
	ct->sink.errbuf[0] = '\0';
	curl_easy_setopt(ct->h, CURLOPT_URL, req->url);
	curl_easy_setopt(ct->h, CURLOPT_HTTPHEADER, hl);
	/* Reset the method, then set this one: the handle is reused across requests. */
	curl_easy_setopt(ct->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(ct->h, CURLOPT_CUSTOMREQUEST, NULL);
	if (req->body != NULL) {
		curl_easy_setopt(ct->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(ct->h, CURLOPT_POSTFIELDS, req->body);
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
		curl_easy_setopt(ct->h, CURLOPT_CUSTOMREQUEST, req->method);
	else if (strcmp(req->method, "POST") == 0 && req->body == NULL) {
		curl_easy_setopt(ct->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(ct->h, CURLOPT_POSTFIELDS, "");
	}

	cc = curl_easy_perform(ct->h);
	rc = finish(ct->h, &ct->sink, cc, resp, err);
	/* The handle must not keep pointers into this call's memory. */
	curl_easy_setopt(ct->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(ct->h, CURLOPT_POSTFIELDS, NULL);
	ct->sink.body = NULL;
	curl_slist_free_all(hl);
	return rc;
}

/* The read-ahead pool: the multi handle and n slots copied from the client's handle (its
 * options, timeouts and TLS settings; not its connection). Returns 0 or SL_ENOMEM. */
static int pool_grow(struct curl_transport *ct, int n)
{
	struct slot **ns;
	int i;

	if (ct->multi == NULL) {
		if ((ct->multi = curl_multi_init()) == NULL)
			return SL_ENOMEM;
	}
	if (n <= ct->nslots)
		return 0;
	if ((ns = realloc(ct->slots, (size_t)n * sizeof(*ns))) == NULL)
		return SL_ENOMEM;
	ct->slots = ns;
	for (i = ct->nslots; i < n; i++) {
		struct slot *sl = calloc(1, sizeof(*sl));

		if (sl == NULL || (sl->h = curl_easy_duphandle(ct->h)) == NULL) {
			free(sl);
			return SL_ENOMEM;
		}
		ns[i] = sl;
		ct->nslots = i + 1;
		curl_easy_setopt(sl->h, CURLOPT_ERRORBUFFER, sl->sink.errbuf);
		curl_easy_setopt(sl->h, CURLOPT_WRITEDATA, &sl->sink);
		curl_easy_setopt(sl->h, CURLOPT_PRIVATE, sl);
	}
	/* As many connections to the registry as slots, kept between calls. */
	curl_multi_setopt(ct->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)ct->nslots);
	curl_multi_setopt(ct->multi, CURLMOPT_MAXCONNECTS, (long)ct->nslots);
	return 0;
}

static int slot_start(struct curl_transport *ct, struct slot *sl, size_t idx,
        const struct sl_http_request *req, struct sl_http_response *resp, struct sl_error *err)
{
	if ((sl->hl = header_list(req)) == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	sl->idx = idx;
	sl->sink.body = &resp->body;
	sl->sink.max_body = req->max_body;
	sl->sink.over_cap = false;
	sl->sink.errbuf[0] = '\0';
	curl_easy_setopt(sl->h, CURLOPT_URL, req->url);
	curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, sl->hl);
	/* A GET, whatever the handle it was copied from did last. */
	curl_easy_setopt(sl->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(sl->h, CURLOPT_CUSTOMREQUEST, NULL);
	if (curl_multi_add_handle(ct->multi, sl->h) != CURLM_OK) {
		curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(sl->hl);
		sl->hl = NULL;
		return sl_error_set(err, SL_ENOMEM, "curl_multi_add_handle failed");
	}
	sl->busy = true;
	return 0;
}

static void slot_done(struct curl_transport *ct, struct slot *sl)
{
	curl_multi_remove_handle(ct->multi, sl->h);
	curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(sl->hl);
	sl->hl = NULL;
	sl->sink.body = NULL;
	sl->busy = false;
}

static int curl_perform_many(struct sl_transport *t, const struct sl_http_request *reqs, size_t n,
        int parallel, int (*start)(void *arg, struct sl_error *serr), void *arg,
        struct sl_http_response *resps, int *rcs, struct sl_error *errs)
{
	struct curl_transport *ct = (struct curl_transport *)t;
	size_t next = 0, k;
	int i, inflight = 0, running = 0, stop = 0;
	struct sl_error serr = SL_ERROR_INIT;

	if (parallel < 1)
		parallel = 1;
	if (parallel > SL_SRCLIENT_MAX_PARALLEL)
		parallel = SL_SRCLIENT_MAX_PARALLEL;
	if (pool_grow(ct, parallel) < 0)
		return SL_ENOMEM;
	for (;;) {
		struct CURLMsg *m;
		int q, freed = 0;

		for (i = 0; i < parallel && next < n && stop == 0; i++) {
			struct slot *sl = ct->slots[i];
			int rc;

			if (sl->busy)
				continue;
			if (start != NULL && (stop = start(arg, &serr)) < 0)
				break;
			if ((rc = slot_start(
			             ct, sl, next, &reqs[next], &resps[next], &errs[next])) < 0)
				rcs[next] = rc;
			else
				inflight++;
			next++;
		}
		if (stop < 0) {
			for (k = next; k < n; k++) {
				rcs[k] = stop;
				errs[k] = serr;
			}
			next = n;
		}
		if (inflight == 0 && next >= n)
			break;
		curl_multi_perform(ct->multi, &running);
		while ((m = curl_multi_info_read(ct->multi, &q)) != NULL) {
			struct slot *sl = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			if (sl == NULL || !sl->busy)
				continue;
			rcs[sl->idx] = finish(
			        sl->h, &sl->sink, m->data.result, &resps[sl->idx], &errs[sl->idx]);
			/* A registry that failed a transfer or said "later" is not asked the
			 * rest: those are made when needed, with the client's retries, its
			 * down-marking and its pause. */
			if (stop == 0 && (rcs[sl->idx] < 0 || resps[sl->idx].status == 429 ||
			                         resps[sl->idx].status == 503)) {
				stop = SL_ESTATE;
				sl_error_set(
				        &serr, SL_ESTATE, "not read ahead: an earlier one failed");
			}
			slot_done(ct, sl);
			inflight--;
			freed++;
		}
		if (inflight > 0 && (freed == 0 || next >= n || stop < 0))
			curl_multi_poll(ct->multi, NULL, 0, 1000, NULL);
	}
	return 0;
}

static void curl_free_transport(struct sl_transport *t)
{
	struct curl_transport *ct = (struct curl_transport *)t;
	int i;

	if (ct == NULL)
		return;
	for (i = 0; i < ct->nslots; i++) {
		if (ct->slots[i]->busy)
			slot_done(ct, ct->slots[i]);
		curl_easy_cleanup(ct->slots[i]->h);
		free(ct->slots[i]);
	}
	free(ct->slots);
	if (ct->multi)
		curl_multi_cleanup(ct->multi);
	if (ct->h)
		curl_easy_cleanup(ct->h);
	free(ct);
}

struct sl_transport *sl_transport_curl_new(
        const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct curl_transport *ct;
	CURL *h;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		sl_error_set(err, SL_EIO, "curl_global_init: %s", curl_easy_strerror(global_rc));
		return NULL;
	}
	ct = calloc(1, sizeof(*ct));
	if (ct == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	ct->base.perform = curl_perform;
	ct->base.free = curl_free_transport;
	ct->base.perform_many = curl_perform_many;
	ct->cancelled = cfg->cancelled;
	ct->cancel_arg = cfg->cancel_arg;
	h = ct->h = curl_easy_init();
	if (h == NULL) {
		free(ct);
		sl_error_set(err, SL_ENOMEM, "curl_easy_init failed");
		return NULL;
	}
	/* Every option here is fixed for the handle's life; curl copies the strings. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ct->sink.errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Never follow redirects: a redirect could carry our Authorization to another host. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
	                                    : (long)SL_SRCLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	        cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms
	                                    : (long)SL_SRCLIENT_REQUEST_TIMEOUT_MS);
	curl_easy_setopt(
	        h, CURLOPT_LOW_SPEED_LIMIT, cfg->low_speed_limit > 0 ? cfg->low_speed_limit : 1L);
	curl_easy_setopt(
	        h, CURLOPT_LOW_SPEED_TIME, cfg->low_speed_time_s > 0 ? cfg->low_speed_time_s : 10L);
	curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, (long)SL_SRCLIENT_MAXAGE_CONN_S);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &ct->sink);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, ct);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cfg->insecure_skip_verify ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cfg->insecure_skip_verify ? 0L : 2L);
	if (cfg->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
	if (cfg->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
	return &ct->base;
}
