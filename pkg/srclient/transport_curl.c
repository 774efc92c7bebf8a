/* transport_curl.c — the libcurl transport: one easy handle per client, reused connections. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/srclient.h"

struct curl_transport {
	struct sl_transport base;
	CURL *h;
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	/* Per transfer. */
	struct sl_buf *body;
	size_t max_body;
	bool over_cap;
	char errbuf[CURL_ERROR_SIZE];
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
	struct curl_transport *ct = arg;
	size_t n = size * nmemb;

	if (n > ct->max_body - ct->body->len) {
		ct->over_cap = true;
		return 0;
	}
	if (sl_buf_add(ct->body, data, n) < 0)
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

static int map_curl_error(struct curl_transport *ct, CURLcode cc, struct sl_error *err)
{
	const char *why = ct->errbuf[0] ? ct->errbuf : curl_easy_strerror(cc);

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
		if (ct->over_cap)
			return sl_error_set(err, SL_ELIMIT, "response body larger than %zu bytes",
			        ct->max_body);
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

static int curl_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct curl_transport *ct = (struct curl_transport *)t;
	struct curl_slist *hl = NULL, *tmp;
	curl_off_t retry_after = 0;
	const char *ctype = NULL;
	long status = 0;
	CURLcode cc;
	size_t i;
	int rc = 0;

	for (i = 0; i < req->nheaders; i++) {
		tmp = curl_slist_append(hl, req->headers[i]);
		if (tmp == NULL) {
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		hl = tmp;
	}
	/* No "Expect: 100-continue" round trip for larger bodies. */
	tmp = curl_slist_append(hl, "Expect:");
	if (tmp == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	hl = tmp;

	ct->body = &resp->body;
	ct->max_body = req->max_body;
	ct->over_cap = false;
	ct->errbuf[0] = '\0';
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
	curl_easy_getinfo(ct->h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = (int)status;
	if (cc != CURLE_OK) {
		rc = map_curl_error(ct, cc, err);
		goto out;
	}
	if (curl_easy_getinfo(ct->h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	        retry_after > 0)
		resp->retry_after_s = retry_after > 86400 ? 86400 : (long)retry_after;
	if (curl_easy_getinfo(ct->h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
out:
	/* The handle must not keep pointers into this call's memory. */
	curl_easy_setopt(ct->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(ct->h, CURLOPT_POSTFIELDS, NULL);
	ct->body = NULL;
	curl_slist_free_all(hl);
	return rc;
}

static void curl_free_transport(struct sl_transport *t)
{
	struct curl_transport *ct = (struct curl_transport *)t;

	if (ct == NULL)
		return;
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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ct->errbuf);
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
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ct);
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
