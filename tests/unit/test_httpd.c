/* test_httpd.c — pkg/httpd against real sockets: libcurl for well-formed traffic, raw
 * sockets for what curl would never send (headers without a body, garbage). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/httpd.h"
#include "schemalink/json.h"

/* ---- the handler under test ---- */

static atomic_int blocked_entered;
static atomic_int blocked_done;

/* Echoes what the request view says, one "key=value" per line, so tests compare text. */
static int echo(const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	static const char *const qnames[] = {"a", "b", "c", "d", "e", "subject"};
	struct sl_buf b = SL_BUF_INIT;
	const char *v;
	size_t i;
	int rc = 0;

	rc |= sl_buf_addf(
	        &b, "method=%s\npath=%s\nnseg=%zu\n", req->method, req->path, req->nsegments);
	for (i = 0; i < req->nsegments; i++)
		rc |= sl_buf_addf(&b, "seg=%s\n", req->segments[i]);
	for (i = 0; i < sizeof(qnames) / sizeof(qnames[0]); i++) {
		v = sl_httpd_query(req, qnames[i]);
		if (v != NULL)
			rc |= sl_buf_addf(&b, "q.%s=[%s]\n", qnames[i], v);
	}
	v = sl_httpd_header(req, "x-test");
	if (v != NULL)
		rc |= sl_buf_addf(&b, "x-test=%s\n", v);
	rc |= sl_buf_addf(&b, "remote=%s\nuser=%s\nbody_len=%zu\nbody_nul=%d\n", req->remote_addr,
	        req->user ? req->user : "(none)", req->body_len, req->body[req->body_len] == '\0');
	if (req->body_len > 0 && req->body_len < 100)
		rc |= sl_buf_addf(&b, "body=%s\n", req->body);
	v = sl_httpd_query_unknown(req, qnames, sizeof(qnames) / sizeof(qnames[0]));
	if (v != NULL)
		rc |= sl_buf_addf(&b, "unknown=[%s]\n", v);
	if (rc == 0)
		rc = sl_httpd_reply_buf(resp, 200, "text/plain", &b);
	sl_buf_release(&b);
	return rc;
}

static int handler(void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	const char *cap[2] = {NULL, NULL};
	struct timespec ts;
	const char *ms;

	(void)cls;
	if (sl_httpd_route(req, "GET", "/subjects", NULL, 0))
		return sl_httpd_reply_json(resp, 200, "[\"a\",\"b\"]");
	if (sl_httpd_route(req, "POST", "/subjects/*/versions", cap, 1)) {
		char json[256];
		snprintf(json, sizeof(json), "{\"subject_len\":%zu,\"body_len\":%zu}",
		        strlen(cap[0]), req->body_len);
		return sl_httpd_reply_json(resp, 200, json);
	}
	if (sl_httpd_route(req, NULL, "/subjects/*/versions/*", cap, 2)) {
		if (strcmp(req->method, "DELETE") != 0)
			return sl_httpd_reply_error(resp, 405, 405, "HTTP 405 Method Not Allowed");
		return sl_httpd_reply_json(resp, 200, cap[1]);
	}
	if (sl_httpd_route(req, NULL, "/echo", NULL, 0) ||
	        (req->nsegments > 0 && strcmp(req->segments[0], "echo") == 0))
		return echo(req, resp);
	if (sl_httpd_route(req, "GET", "/sleep", NULL, 0)) {
		ms = sl_httpd_query(req, "ms");
		ts.tv_sec = 0;
		ts.tv_nsec = (ms ? atol(ms) : 1) * 1000000L;
		nanosleep(&ts, NULL);
		return sl_httpd_reply_json(resp, 200, "{\"slept\":true}");
	}
	if (sl_httpd_route(req, "GET", "/block", NULL, 0)) {
		atomic_store(&blocked_entered, 1);
		ts.tv_sec = 0;
		ts.tv_nsec = 300 * 1000000L;
		nanosleep(&ts, NULL);
		atomic_store(&blocked_done, 1);
		return sl_httpd_reply_json(resp, 200, "{}");
	}
	if (sl_httpd_route(req, "GET", "/error", NULL, 0))
		return sl_httpd_reply_error(
		        resp, 422, 42205, "quote\" backslash\\ nl\n ctl\x01 bad\xff ok\xc3\xa9");
	if (sl_httpd_route(req, "GET", "/fail", NULL, 0))
		return SL_EIO;
	if (sl_httpd_route(req, "GET", "/nothing", NULL, 0))
		return 0;
	if (sl_httpd_route(req, "GET", "/headers", NULL, 0)) {
		assert_int_equal(
		        sl_httpd_response_header(resp, "X-Bad", "a\r\nSet-Cookie: x"), SL_EINVAL);
		assert_int_equal(sl_httpd_response_header(resp, "X Bad", "a"), SL_EINVAL);
		assert_int_equal(sl_httpd_response_header(resp, "X-Extra", "yes"), 0);
		return sl_httpd_reply(resp, 204, NULL, NULL, 0);
	}
	return sl_httpd_reply_error(resp, 404, 404, "HTTP 404 Not Found");
}

/* ---- helpers ---- */

struct fixture {
	struct sl_httpd *srv;
	struct sl_httpd_auth *auth;
	char base[64];
	char tmpdir[64];
};

static struct sl_httpd *start(struct sl_httpd_config *cfg, char *base, size_t n, const char *scheme)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_httpd *srv;

	cfg->handler = handler;
	if (cfg->listen == NULL)
		cfg->listen = "127.0.0.1:0";
	srv = sl_httpd_start(cfg, &err);
	if (srv == NULL)
		fail_msg("sl_httpd_start: %s", err.msg);
	assert_true(sl_httpd_port(srv) > 0);
	snprintf(base, n, "%s://127.0.0.1:%u", scheme, sl_httpd_port(srv));
	return srv;
}

static int setup_plain(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->srv = start(&cfg, f->base, sizeof(f->base), "http");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	sl_httpd_stop(f->srv);
	sl_httpd_auth_free(f->auth);
	if (f->tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->tmpdir);
	}
	free(f);
	return 0;
}

struct reply {
	long status;
	CURLcode cc;
	struct sl_buf body;
	struct sl_buf headers;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *cls)
{
	struct sl_buf *b = cls;

	/* Bounded: no test answer is anywhere near this. */
	if (b->len + size * nmemb > 1024 * 1024)
		return 0;
	return sl_buf_add(b, p, size * nmemb) == 0 ? size * nmemb : 0;
}

struct upload {
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t nmemb, void *cls)
{
	struct upload *u = cls;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memset(p, 'x', n);
	u->left -= n;
	return n;
}

struct req_opts {
	const char *method;
	const char *body;
	size_t chunked_len; /* > 0: send that many bytes with Transfer-Encoding: chunked */
	const char *userpwd;
	const char *cainfo;
	const char *header;
};

static void do_request(const char *url, const struct req_opts *o, struct reply *r)
{
	struct curl_slist *hdrs = NULL;
	struct upload up = {0};
	CURL *c = curl_easy_init();

	assert_non_null(c);
	sl_buf_init(&r->body);
	sl_buf_init(&r->headers);
	r->status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	/* Keep curl from normalizing "/a/../b" or re-encoding; the server sees the bytes. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (o && o->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if (o && o->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(o->body));
	}
	if (o && o->chunked_len) {
		up.left = o->chunked_len;
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	if (o && o->header)
		hdrs = curl_slist_append(hdrs, o->header);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (o && o->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, o->userpwd);
	}
	if (o && o->cainfo)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cainfo);
	r->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

static void reply_release(struct reply *r)
{
	sl_buf_release(&r->body);
	sl_buf_release(&r->headers);
}

/* GET base+path, expecting status; returns the body in r (release it). */
static void get(struct fixture *f, const char *path, long status, struct reply *r)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	do_request(url, NULL, r);
	if (r->cc != CURLE_OK)
		fail_msg("GET %s: %s", path, curl_easy_strerror(r->cc));
	if (r->status != status)
		fail_msg("GET %s: status %ld, want %ld; body %s", path, r->status, status,
		        r->body.data);
}

static void expect_body(struct fixture *f, const char *path, const char *want)
{
	struct reply r;

	get(f, path, 200, &r);
	if (strstr(r.body.data, want) == NULL)
		fail_msg("GET %s: body lacks [%s]:\n%s", path, want, r.body.data);
	reply_release(&r);
}

/* Sends req raw, then reads until the peer closes or timeout_ms pass. Returns the answer
 * (owned) and the time it took in *ms. */
static char *raw_exchange(unsigned port, const char *req, size_t len, int timeout_ms, long *ms)
{
	struct sockaddr_in sa = {0};
	struct sl_buf b = SL_BUF_INIT;
	struct timespec t0, t1;
	struct pollfd pfd;
	char chunk[4096];
	ssize_t n;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len > 0)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (*ms >= timeout_ms)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(timeout_ms - *ms)) <= 0)
			continue;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		assert_int_equal(sl_buf_add(&b, chunk, (size_t)n), 0);
	}
	close(fd);
	return sl_buf_detach(&b);
}

/* ---- tests ---- */

static void test_routing(void **state)
{
	struct fixture *f = *state;
	struct req_opts post = {.method = "POST", .body = "{\"schema\":\"x\"}"};
	struct req_opts del = {.method = "DELETE"};
	struct reply r;
	char url[256];

	get(f, "/subjects", 200, &r);
	assert_string_equal(r.body.data, "[\"a\",\"b\"]");
	assert_non_null(
	        strstr(r.headers.data, "Content-Type: application/vnd.schemaregistry.v1+json"));
	reply_release(&r);

	snprintf(url, sizeof(url), "%s/subjects/orders-value/versions", f->base);
	do_request(url, &post, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"subject_len\":12,\"body_len\":14}");
	reply_release(&r);

	snprintf(url, sizeof(url), "%s/subjects/s/versions/latest", f->base);
	do_request(url, &del, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "latest");
	reply_release(&r);

	get(f, "/subjects/s/versions/3", 405, &r);
	reply_release(&r);
	get(f, "/no/such/route", 404, &r);
	assert_string_equal(r.body.data, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
	reply_release(&r);
	/* Method matters for /subjects too: a PUT is not the GET route. */
	snprintf(url, sizeof(url), "%s/subjects", f->base);
	del.method = "PUT";
	do_request(url, &del, &r);
	assert_int_equal(r.status, 404);
	reply_release(&r);
}

static void test_percent_decoding(void **state)
{
	struct fixture *f = *state;

	expect_body(f, "/echo/%3A.ctx%3Aorders/versions",
	        "path=/echo/:.ctx:orders/"
	        "versions\nnseg=3\nseg=echo\nseg=:.ctx:orders\nseg=versions\n");
	/* %2F stays inside its segment; the joined path shows the decoded '/'. */
	expect_body(f, "/echo/a%2Fb/c", "path=/echo/a/b/c\nnseg=3\nseg=echo\nseg=a/b\nseg=c\n");
	expect_body(f, "/echo/%e2%82%ac%20x", "seg=\xe2\x82\xac x\n");
	/* '+' is literal in a path. */
	expect_body(f, "/echo/a+b", "seg=a+b\n");
	expect_body(f, "/echo/a//b", "path=/echo/a//b\nnseg=4\nseg=echo\nseg=a\nseg=\nseg=b\n");
}

static void test_bad_encoding(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/echo/%zz", 400, &r);
	assert_non_null(strstr(r.body.data, "\"error_code\":400"));
	reply_release(&r);
	get(f, "/echo/abc%4", 400, &r);
	reply_release(&r);
	get(f, "/echo/a%00b", 400, &r);
	reply_release(&r);
	get(f, "/echo?a=%g1", 400, &r);
	reply_release(&r);
}

static void test_trailing_slash(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/subjects/", 200, &r);
	assert_string_equal(r.body.data, "[\"a\",\"b\"]");
	reply_release(&r);
	expect_body(f, "/echo/x/", "path=/echo/x\nnseg=2\n");
	expect_body(f, "/echo//", "path=/echo\nnseg=1\n");
	get(f, "/", 404, &r);
	reply_release(&r);
}

static void test_query(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/echo?a=1&b=&c&d=x%20y+z&a=2&subject=%3A.ctx%3Afoo", 200, &r);
	assert_non_null(strstr(
	        r.body.data, "q.a=[1]\nq.b=[]\nq.c=[]\nq.d=[x y z]\nq.subject=[:.ctx:foo]\n"));
	assert_null(strstr(r.body.data, "q.e="));
	assert_non_null(strstr(r.body.data, "path=/echo\n"));
	reply_release(&r);
	/* A '?' alone and empty pairs are fine. */
	expect_body(f, "/echo/?&&", "path=/echo\nnseg=1\nseg=echo\nremote=");
	/* A parameter the handler does not take is named, the first one only, decoded. */
	get(f, "/echo?a=1&b=2", 200, &r);
	assert_null(strstr(r.body.data, "unknown="));
	reply_release(&r);
	expect_body(f, "/echo?a=1&z%20z=2&y=3", "unknown=[z z]\n");
	expect_body(f, "/echo?notReady", "unknown=[notReady]\n");
}

static void test_headers_body_remote(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = {.method = "PUT", .body = "hello", .header = "X-Test: some value"};
	struct reply r;
	char url[256];

	snprintf(url, sizeof(url), "%s/echo", f->base);
	do_request(url, &o, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "method=PUT\n"));
	assert_non_null(strstr(r.body.data, "x-test=some value\n"));
	assert_non_null(strstr(r.body.data, "remote=127.0.0.1\n"));
	assert_non_null(strstr(r.body.data, "body_len=5\nbody_nul=1\nbody=hello\n"));
	reply_release(&r);
	expect_body(f, "/echo", "body_len=0\nbody_nul=1\n");
}

static void test_responses(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/error", 422, &r);
	assert_string_equal(r.body.data,
	        "{\"error_code\":42205,\"message\":\"quote\\\" backslash\\\\ nl\\n ctl\\u0001 "
	        "bad\\ufffd ok\xc3\xa9\"}");
	reply_release(&r);
	get(f, "/fail", 500, &r);
	assert_string_equal(
	        r.body.data, "{\"error_code\":500,\"message\":\"Internal Server Error\"}");
	reply_release(&r);
	get(f, "/nothing", 500, &r);
	reply_release(&r);
	get(f, "/headers", 204, &r);
	assert_non_null(strstr(r.headers.data, "X-Extra: yes"));
	assert_null(strstr(r.headers.data, "Set-Cookie"));
	reply_release(&r);
}

static void test_json_escape(void **state)
{
	struct sl_buf b = SL_BUF_INIT;

	(void)state;
	assert_int_equal(sl_json_escape(&b, "a\"b\\c\t\r\n\x1f\x7f"), 0);
	assert_string_equal(b.data, "a\\\"b\\\\c\\t\\r\\n\\u001f\\u007f");
	sl_buf_reset(&b);
	assert_int_equal(sl_json_escape(&b, "a\"b"), 0);
	assert_string_equal(b.data, "a\\\"b");
	sl_buf_reset(&b);
	/* overlong '/', a lone continuation byte, a surrogate, a truncated sequence, 4-byte ok */
	assert_int_equal(
	        sl_json_escape(&b, "\xc0\xaf|\x80|\xed\xa0\x80|\xe2\x82|\xf0\x9f\x98\x80"), 0);
	assert_string_equal(b.data,
	        "\\ufffd\\ufffd|\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|\xf0\x9f\x98\x80");
	sl_buf_release(&b);
}

static void test_413_content_length(void **state)
{
	struct fixture *f = *state;
	const char *req = "POST /subjects/x/versions HTTP/1.1\r\nHost: t\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 17825792\r\n\r\n";
	char *ans;
	long ms;

	/* Only the headers go out; the answer must come without the server waiting for the
	 * 17 MiB it was promised. */
	ans = raw_exchange(sl_httpd_port(f->srv), req, strlen(req), 5000, &ms);
	assert_non_null(ans);
	if (strncmp(ans, "HTTP/1.1 413", 12) != 0)
		fail_msg("want 413, got: %s", ans);
	assert_non_null(strstr(ans, "{\"error_code\":413,"));
	assert_true(ms < 2000);
	free(ans);
}

static void test_413_chunked(void **state)
{
	struct fixture *f = *state;
	struct req_opts small = {.chunked_len = 4096};
	struct req_opts huge = {.chunked_len = (size_t)20 * 1024 * 1024};
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct reply r;
	char url[256], base[64];
	struct sl_httpd *srv;

	/* A body that ends soon after the bound: drained and answered 413. */
	cfg.max_body = 1024;
	srv = start(&cfg, base, sizeof(base), "http");
	snprintf(url, sizeof(url), "%s/echo", base);
	do_request(url, &small, &r);
	assert_int_equal(r.cc, CURLE_OK);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body.data, "\"error_code\":413"));
	reply_release(&r);
	/* Within the bound it goes through. */
	small.chunked_len = 1024;
	do_request(url, &small, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "body_len=1024\n"));
	reply_release(&r);
	sl_httpd_stop(srv);

	/* A body far past the default bound: 413 or a closed connection, never a crash, and
	 * the server goes on answering. */
	snprintf(url, sizeof(url), "%s/echo", f->base);
	do_request(url, &huge, &r);
	assert_true(r.cc != CURLE_OK || r.status == 413);
	reply_release(&r);
	expect_body(f, "/echo", "method=GET\n");
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	static const char *const reqs[] = {
	        "GARBAGE\r\n\r\n",
	        "GET\r\n\r\n",
	        "GET /echo HTTP/9.9\r\n\r\n",
	        "GET echo HTTP/1.1\r\nHost: t\r\n\r\n",
	        "GET http://evil/echo HTTP/1.1\r\nHost: t\r\n\r\n",
	        "GET /echo HTTP/1.1\r\nHost: t\r\nNoColonHeader\r\n\r\n",
	        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
	        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
	        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
	        "ffffffffffffffffffff\r\n",
	        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
	        "\x00\x01\x02\xff\r\n\r\n",
	        "",
	};
	struct sl_buf big = SL_BUF_INIT;
	size_t i;
	char *ans;
	long ms;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = strlen(reqs[i]);
		if (i == sizeof(reqs) / sizeof(reqs[0]) - 2)
			len = 8; /* it starts with a NUL */
		ans = raw_exchange(sl_httpd_port(f->srv), reqs[i], len, 300, &ms);
		if (ans[0] != '\0' && strncmp(ans, "HTTP/1.", 7) != 0)
			fail_msg("request %zu: answer is not HTTP: %s", i, ans);
		if (strncmp(ans, "HTTP/1.1 2", 10) == 0)
			fail_msg("request %zu succeeded: %s", i, ans);
		free(ans);
	}
	/* Headers larger than the per-connection memory. */
	assert_int_equal(sl_buf_adds(&big, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: "), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(sl_buf_addch(&big, 'a'), 0);
	assert_int_equal(sl_buf_adds(&big, "\r\n\r\n"), 0);
	ans = raw_exchange(sl_httpd_port(f->srv), big.data, big.len, 2000, &ms);
	assert_true(ans[0] == '\0' || strncmp(ans, "HTTP/1.1 4", 10) == 0);
	free(ans);
	sl_buf_release(&big);
	expect_body(f, "/echo", "method=GET\n");
}

/* ---- listen addresses and lifecycle ---- */

static void test_listen_errors(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct sl_error err = SL_ERROR_INIT;
	static const char *const bad[] = {"nohost:80", "127.0.0.1", "127.0.0.1:99999",
	        "127.0.0.1:", "[::1:80", "1.2.3:80", "127.0.0.1:8x"};
	struct sl_httpd *a, *b;
	char addr[64];
	size_t i;

	(void)state;
	cfg.handler = handler;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.listen = bad[i];
		assert_null(sl_httpd_start(&cfg, &err));
		assert_int_equal(err.code, SL_EINVAL);
		assert_non_null(strstr(err.msg, bad[i]));
	}
	cfg.listen = "127.0.0.1:0";
	a = sl_httpd_start(&cfg, &err);
	assert_non_null(a);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", sl_httpd_port(a));
	cfg.listen = addr;
	b = sl_httpd_start(&cfg, &err);
	assert_null(b);
	assert_int_equal(err.code, SL_EIO);
	assert_non_null(strstr(err.msg, "Address already in use"));
	sl_httpd_stop(a);
	/* The port is free again once stopped: the daemon closed the listener. */
	b = sl_httpd_start(&cfg, &err);
	assert_non_null(b);
	sl_httpd_stop(b);

	cfg.handler = NULL;
	assert_null(sl_httpd_start(&cfg, &err));
	assert_null(sl_httpd_start(NULL, &err));
	sl_httpd_stop(NULL);
	assert_int_equal(sl_httpd_port(NULL), 0);
}

static void test_ipv6_and_single_thread(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct fixture f = {0};
	struct sl_httpd *srv;
	struct reply r;
	char url[128];

	(void)state;
	cfg.handler = handler;
	cfg.listen = "[::1]:0";
	srv = sl_httpd_start(&cfg, &err);
	if (srv == NULL) {
		printf("[ SKIPPED  ] IPv6 loopback unavailable here: %s\n", err.msg);
	} else {
		snprintf(url, sizeof(url), "http://[::1]:%u/echo", sl_httpd_port(srv));
		do_request(url, NULL, &r);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body.data, "remote=::1\n"));
		reply_release(&r);
		sl_httpd_stop(srv);
	}
	cfg.listen = NULL; /* the default: loopback, any free port */
	cfg.threading = SL_HTTPD_SINGLE_THREAD;
	f.srv = start(&cfg, f.base, sizeof(f.base), "http");
	expect_body(&f, "/echo/x%2Fy", "seg=x/y\n");
	sl_httpd_stop(f.srv);
}

static int connect_loopback(unsigned port)
{
	struct sockaddr_in sa = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Waits up to ms for the peer to close fd; returns 1 when it did. */
static int closed_within(int fd, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char c;

	return poll(&pfd, 1, ms) == 1 && recv(fd, &c, 1, 0) <= 0;
}

static void test_connection_limits(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct timespec ts = {0, 20 * 1000000L};
	struct fixture f = {0};
	int a, b, c, i, ok = 0;
	struct reply r;
	char url[128];

	(void)state;
	cfg.max_connections = 2;
	cfg.idle_timeout_s = 1;
	f.srv = start(&cfg, f.base, sizeof(f.base), "http");
	snprintf(url, sizeof(url), "%s/echo", f.base);
	a = connect_loopback(sl_httpd_port(f.srv));
	b = connect_loopback(sl_httpd_port(f.srv));
	/* Give the listener time to accept both before the third arrives. */
	assert_false(closed_within(a, 200));
	c = connect_loopback(sl_httpd_port(f.srv));
	assert_true(closed_within(c, 500)); /* over the limit: closed at once */
	assert_true(closed_within(a, 3000)); /* idle past the timeout */
	assert_true(closed_within(b, 3000));
	close(a);
	close(b);
	close(c);
	/* The slots free up once the connection threads have wound down, a moment after the
	 * sockets closed. */
	for (i = 0; i < 50; i++) {
		do_request(url, NULL, &r);
		ok = r.cc == CURLE_OK && r.status == 200;
		reply_release(&r);
		if (ok)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(ok);
	sl_httpd_stop(f.srv);
}

struct client_arg {
	const char *base;
	int requests;
	int ok;
};

static void *client(void *p)
{
	struct client_arg *a = p;
	struct reply r;
	char url[256];
	int i;

	for (i = 0; i < a->requests; i++) {
		if (i % 2)
			snprintf(url, sizeof(url), "%s/sleep?ms=5", a->base);
		else
			snprintf(url, sizeof(url), "%s/echo/%%3A.c%%3As%d?a=%d", a->base, i, i);
		do_request(url, NULL, &r);
		if (r.cc == CURLE_OK && r.status == 200 &&
		        (i % 2 || strstr(r.body.data, "seg=:.c:s") != NULL))
			a->ok++;
		reply_release(&r);
	}
	return NULL;
}

static void test_concurrency(void **state)
{
	struct fixture *f = *state;
	enum { NCLIENTS = 50, NREQ = 10 };
	struct client_arg args[NCLIENTS];
	pthread_t th[NCLIENTS];
	int i, total = 0;

	for (i = 0; i < NCLIENTS; i++) {
		args[i] = (struct client_arg){f->base, NREQ, 0};
		assert_int_equal(pthread_create(&th[i], NULL, client, &args[i]), 0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		total += args[i].ok;
	}
	assert_int_equal(total, NCLIENTS * NREQ);
}

static void *block_client(void *p)
{
	struct reply r;

	do_request(p, NULL, &r);
	reply_release(&r);
	return NULL;
}

static void test_stop_waits_for_handlers(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct timespec ts = {0, 5 * 1000000L};
	char base[64], url[128];
	struct sl_httpd *srv;
	pthread_t th;

	(void)state;
	atomic_store(&blocked_entered, 0);
	atomic_store(&blocked_done, 0);
	srv = start(&cfg, base, sizeof(base), "http");
	snprintf(url, sizeof(url), "%s/block", base);
	assert_int_equal(pthread_create(&th, NULL, block_client, url), 0);
	while (!atomic_load(&blocked_entered))
		nanosleep(&ts, NULL);
	sl_httpd_stop(srv);
	assert_int_equal(atomic_load(&blocked_done), 1);
	pthread_join(th, NULL);
}

/* ---- basic auth ---- */

static int make_tmpdir(struct fixture *f)
{
	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/test_httpd.XXXXXX");
	return mkdtemp(f->tmpdir) ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int setup_auth(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];

	assert_non_null(f);
	assert_int_equal(make_tmpdir(f), 0);
	snprintf(path, sizeof(path), "%s/passwords", f->tmpdir);
	write_file(path, "# users\n\nalice:s3cret\r\nbob:pa:ss:word\n");
	f->auth = sl_httpd_auth_load(path, &err);
	if (f->auth == NULL)
		fail_msg("load: %s", err.msg);
	assert_int_equal(sl_httpd_auth_count(f->auth), 2);
	cfg.auth = f->auth;
	f->srv = start(&cfg, f->base, sizeof(f->base), "http");
	*state = f;
	return 0;
}

static void test_auth(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = {0};
	struct reply r;
	char url[256];

	snprintf(url, sizeof(url), "%s/echo", f->base);
	do_request(url, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body.data, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
	assert_non_null(strstr(r.headers.data, "WWW-Authenticate: Basic realm=\"schemalink\""));
	reply_release(&r);

	o.userpwd = "alice:wrong";
	do_request(url, &o, &r);
	assert_int_equal(r.status, 401);
	reply_release(&r);
	o.userpwd = "alice:s3cre";
	do_request(url, &o, &r);
	assert_int_equal(r.status, 401);
	reply_release(&r);
	o.userpwd = "mallory:s3cret";
	do_request(url, &o, &r);
	assert_int_equal(r.status, 401);
	reply_release(&r);

	o.userpwd = "alice:s3cret";
	do_request(url, &o, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "user=alice\n"));
	reply_release(&r);
	o.userpwd = "bob:pa:ss:word";
	do_request(url, &o, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "user=bob\n"));
	reply_release(&r);

	/* An unauthenticated upload is refused before its body is read. */
	o.userpwd = NULL;
	o.chunked_len = 100;
	do_request(url, &o, &r);
	assert_int_equal(r.status, 401);
	reply_release(&r);
}

static void test_auth_file_errors(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	struct fixture f = {0};
	struct sl_httpd_auth *a;
	char path[128];

	(void)state;
	assert_int_equal(make_tmpdir(&f), 0);
	snprintf(path, sizeof(path), "%s/pw", f.tmpdir);
	write_file(path, "alice:one\n# comment\nbadlinewithsecretTOPSECRET\ncarol:three\n");
	a = sl_httpd_auth_load(path, &err);
	assert_null(a);
	assert_int_equal(err.code, SL_EINVAL);
	assert_non_null(strstr(err.msg, "line 3"));
	assert_non_null(strstr(err.msg, path));
	assert_null(strstr(err.msg, "TOPSECRET"));

	write_file(path, "alice:\n");
	assert_null(sl_httpd_auth_load(path, &err));
	assert_non_null(strstr(err.msg, "line 1"));
	write_file(path, ":pw\n");
	assert_null(sl_httpd_auth_load(path, &err));
	assert_non_null(strstr(err.msg, "line 1"));

	snprintf(path, sizeof(path), "%s/missing", f.tmpdir);
	assert_null(sl_httpd_auth_load(path, &err));
	/* The shared reader (sl_file_read) tells a missing file apart from other I/O errors. */
	assert_int_equal(err.code, SL_ENOENT);
	assert_non_null(strstr(err.msg, "no such file"));
	assert_non_null(strstr(err.msg, path));

	a = sl_httpd_auth_new();
	assert_int_equal(sl_httpd_auth_add(a, "u", "p", &err), 0);
	assert_int_equal(sl_httpd_auth_add(a, "u:x", "p", &err), SL_EINVAL);
	assert_int_equal(sl_httpd_auth_add(a, "v", "", &err), SL_EINVAL);
	assert_int_equal(sl_httpd_auth_check(a, "u", "p"), 1);
	assert_int_equal(sl_httpd_auth_check(a, "u", "pp"), 0);
	assert_int_equal(sl_httpd_auth_check(a, "u", ""), 0);
	assert_int_equal(sl_httpd_auth_check(a, "", "p"), 0);
	assert_int_equal(sl_httpd_auth_check(NULL, "u", "p"), 0);
	sl_httpd_auth_free(a);
	sl_httpd_auth_free(NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", f.tmpdir);
	assert_int_equal(system(path), 0);
}

/* ---- HTTPS ---- */

static void test_https(void **state)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct fixture *f = calloc(1, sizeof(*f));
	char cert[128], key[128], cmd[768], url[128];
	struct req_opts o = {0};
	struct reply r;

	assert_non_null(f);
	*state = f;
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		printf("[ SKIPPED  ] openssl is not installed: HTTPS not tested\n");
		skip();
	}
	assert_int_equal(make_tmpdir(f), 0);
	snprintf(cert, sizeof(cert), "%s/cert.pem", f->tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", f->tmpdir);
	snprintf(cmd, sizeof(cmd),
	        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
	        "-addext subjectAltName=IP:127.0.0.1 -days 1 -keyout '%s' -out '%s' "
	        ">/dev/null 2>&1",
	        key, cert);
	assert_int_equal(system(cmd), 0);

	cfg.tls_cert_file = cert;
	cfg.tls_key_file = NULL;
	cfg.handler = handler;
	assert_null(sl_httpd_start(&cfg, &err));
	assert_int_equal(err.code, SL_EINVAL);
	cfg.tls_key_file = "/nonexistent/key.pem";
	assert_null(sl_httpd_start(&cfg, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/key.pem"));
	cfg.tls_key_file = cert; /* a certificate where the key belongs */
	assert_null(sl_httpd_start(&cfg, &err));
	/* libmicrohttpd's own reason reaches the caller. */
	assert_non_null(strstr(err.msg, "certificate/key"));

	cfg.tls_key_file = key;
	f->srv = start(&cfg, f->base, sizeof(f->base), "https");
	snprintf(url, sizeof(url), "%s/echo/%%3A.x%%3Ay", f->base);
	o.cainfo = cert;
	do_request(url, &o, &r);
	if (r.cc != CURLE_OK)
		fail_msg("https: %s", curl_easy_strerror(r.cc));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "seg=:.x:y\n"));
	reply_release(&r);
	/* Without trusting the cert the handshake fails on the client side. */
	do_request(url, NULL, &r);
	assert_int_not_equal(r.cc, CURLE_OK);
	reply_release(&r);
	/* Plain HTTP to the TLS port: refused, and the server lives on. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", sl_httpd_port(f->srv));
	do_request(url, NULL, &r);
	assert_true(r.cc != CURLE_OK || r.status >= 400);
	reply_release(&r);
	snprintf(url, sizeof(url), "%s/subjects", f->base);
	do_request(url, &o, &r);
	assert_int_equal(r.status, 200);
	reply_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_routing, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_percent_decoding, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_encoding, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_trailing_slash, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_query, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_headers_body_remote, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_responses, setup_plain, teardown),
	        cmocka_unit_test(test_json_escape),
	        cmocka_unit_test_setup_teardown(test_413_content_length, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_413_chunked, setup_plain, teardown),
	        cmocka_unit_test_setup_teardown(test_malformed, setup_plain, teardown),
	        cmocka_unit_test(test_listen_errors),
	        cmocka_unit_test(test_ipv6_and_single_thread),
	        cmocka_unit_test(test_connection_limits),
	        cmocka_unit_test_setup_teardown(test_concurrency, setup_plain, teardown),
	        cmocka_unit_test(test_stop_waits_for_handlers),
	        cmocka_unit_test_setup_teardown(test_auth, setup_auth, teardown),
	        cmocka_unit_test(test_auth_file_errors),
	        cmocka_unit_test_teardown(test_https, teardown),
	};
	int rc;

	/* A client that hangs up mid-answer must not kill the test process. */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_ALL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
