/* httpd.c — the server: listen socket, libmicrohttpd glue, per-request state, limits. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "schemalink/clock.h"
#include "schemalink/error.h"
#include "schemalink/fileio.h"

/* A PEM file larger than this is not a certificate chain or a key. */
#define MSG_RECENT 4 /* distinct messages whose repeats are counted */
#define MSG_REPEAT_MS 10000 /* a repeated message is passed on at most this often */
#define PEM_MAX ((size_t)1024 * 1024)

struct sl_httpd {
	struct MHD_Daemon *daemon;
	unsigned port;
	size_t max_body;
	const struct sl_httpd_auth *auth;
	char *www_authenticate; /* header value for 401 answers */
	sl_httpd_handler handler;
	void *handler_cls;
	void (*on_message)(void *cls, const char *msg);
	void *on_message_cls;
	char *tls_cert;
	char *tls_key;
	/* libmicrohttpd reports why MHD_start_daemon failed only through its logger; while
	 * starting, the first message is kept here for sl_error. */
	pthread_mutex_t msg_lock;
	/* The last messages passed on, when, and how many times each came again since: a
	 * message repeated (libmicrohttpd busy-waits on "Too many open files", logging two
	 * messages every turn) is passed on once per MSG_REPEAT_MS with its count, not
	 * thousands of times a second. */
	struct {
		char msg[256];
		int64_t ms;
		unsigned long repeats;
	} recent[MSG_RECENT];
	bool starting;
	char start_msg[256];
};

/* Everything about one request, created when libmicrohttpd has the request line (URI log
 * callback) and freed in the completion callback. */
struct req_state {
	struct sl_httpd_request req; /* first, so the public view converts back */
	struct sl_httpd *srv;
	struct MHD_Connection *conn;
	char *raw_uri;
	struct sl_httpd_target target;
	struct sl_buf body;
	char *user;
	bool started; /* the access handler ran once (headers are in) */
	bool overflow; /* the body outgrew max_body; the rest is read and dropped */
	size_t dropped;
	char remote[INET6_ADDRSTRLEN];
};

static struct req_state *state_of(const struct sl_httpd_request *req)
{
	/* req is the first member of struct req_state (C11 6.7.2.1p15). */
	return (struct req_state *)(void *)(uintptr_t)req;
}

const char *sl_httpd_query(const struct sl_httpd_request *req, const char *name)
{
	const struct sl_httpd_target *t = &state_of(req)->target;
	size_t i;

	for (i = 0; i < t->nquery; i++)
		if (strcmp(t->query[i].name, name) == 0)
			return t->query[i].value;
	return NULL;
}

const char *sl_httpd_query_unknown(
        const struct sl_httpd_request *req, const char *const *names, size_t n)
{
	const struct sl_httpd_target *t = &state_of(req)->target;
	size_t i, j;

	for (i = 0; i < t->nquery; i++) {
		for (j = 0; j < n && strcmp(t->query[i].name, names[j]) != 0; j++)
			;
		if (j == n)
			return t->query[i].name;
	}
	return NULL;
}

const char *sl_httpd_header(const struct sl_httpd_request *req, const char *name)
{
	return MHD_lookup_connection_value(state_of(req)->conn, MHD_HEADER_KIND, name);
}

unsigned sl_httpd_port(const struct sl_httpd *srv)
{
	return srv ? srv->port : 0;
}

static void on_mhd_message(void *cls, const char *fmt, va_list ap)
{
	struct sl_httpd *srv = cls;
	char msg[256], summary[320] = "";
	int64_t now;
	size_t n, i, j;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	pthread_mutex_lock(&srv->msg_lock);
	if (srv->starting && srv->start_msg[0] == '\0')
		snprintf(srv->start_msg, sizeof(srv->start_msg), "%s", msg);
	now = sl_clock_mono_ms(sl_clock_system());
	for (i = 0; i < MSG_RECENT && strcmp(srv->recent[i].msg, msg) != 0; i++)
		;
	if (i < MSG_RECENT && now - srv->recent[i].ms < MSG_REPEAT_MS) {
		srv->recent[i].repeats++;
		pthread_mutex_unlock(&srv->msg_lock);
		return;
	}
	if (i == MSG_RECENT) /* a new one takes the place of the one passed on longest ago */
		for (i = 0, j = 1; j < MSG_RECENT; j++)
			if (srv->recent[j].ms < srv->recent[i].ms)
				i = j;
	if (srv->recent[i].repeats > 0)
		snprintf(summary, sizeof(summary), "%s (repeated %lu times)", srv->recent[i].msg,
		        srv->recent[i].repeats);
	snprintf(srv->recent[i].msg, sizeof(srv->recent[i].msg), "%s", msg);
	srv->recent[i].ms = now;
	srv->recent[i].repeats = 0;
	pthread_mutex_unlock(&srv->msg_lock);
	if (srv->on_message != NULL && summary[0])
		srv->on_message(srv->on_message_cls, summary);
	if (srv->on_message != NULL)
		srv->on_message(srv->on_message_cls, msg);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->srv = cls;
	st->conn = conn;
	sl_buf_init(&st->body);
	/* The URI as sent: libmicrohttpd later decodes "%2F" to '/' in the URL it hands to the
	 * access handler, which would merge segments, so the target is parsed from this copy. */
	st->raw_uri = strdup(uri);
	return st;
}

static void free_state(struct req_state *st)
{
	if (st == NULL)
		return;
	free(st->raw_uri);
	sl_httpd_target_release(&st->target);
	sl_buf_release(&st->body);
	free((void *)(uintptr_t)st->req.segments);
	free(st->user);
	free(st);
}

static void on_completed(
        void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free_state(*req_cls);
	*req_cls = NULL;
}

/* Hands resp to libmicrohttpd. Returns MHD_NO (close the connection) when that fails. */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct sl_httpd_response *resp)
{
	struct MHD_Response *r = NULL;
	enum MHD_Result ret = MHD_NO;
	size_t len = resp->body.len, i;
	char *data;

	data = sl_buf_detach(&resp->body);
	if (data == NULL)
		goto out;
	/* MUST_FREE: libmicrohttpd frees data with free() once the response is gone. */
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		goto out;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) != MHD_YES)
		goto out;
	for (i = 0; i < resp->nheaders; i++)
		if (MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value) !=
		        MHD_YES)
			goto out;
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
out:
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(
        struct MHD_Connection *conn, int status, const char *message, const char *www_authenticate)
{
	struct sl_httpd_response resp;
	enum MHD_Result ret = MHD_NO;

	sl_httpd_response_init(&resp);
	if (sl_httpd_reply_error(&resp, status, status, message) < 0)
		goto out;
	if (www_authenticate != NULL &&
	        sl_httpd_response_header(
	                &resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, www_authenticate) < 0)
		goto out;
	ret = send_response(conn, &resp);
out:
	sl_httpd_response_release(&resp);
	return ret;
}

/* Basic-auth check. Returns true when the request may go on; st->user is set then. */
static bool authorized(struct req_state *st)
{
	char *user, *password = NULL;
	bool ok = false;

	if (st->srv->auth == NULL)
		return true;
	user = MHD_basic_auth_get_username_password(st->conn, &password);
	if (user != NULL && password != NULL &&
	        sl_httpd_auth_check(st->srv->auth, user, password)) {
		st->user = strdup(user);
		ok = st->user != NULL;
	}
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user != NULL)
		MHD_free(user);
	return ok;
}

static void set_remote(struct req_state *st)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		        st->remote, sizeof(st->remote));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		        st->remote, sizeof(st->remote));
}

/* Content-Length as sent, or -1 when absent. A value that is not a plain decimal number
 * counts as too large (libmicrohttpd refuses those itself before we see them). */
static int64_t content_length(struct MHD_Connection *conn)
{
	const char *v =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t n = 0;

	if (v == NULL)
		return -1;
	if (*v == '\0')
		return INT64_MAX;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (uint64_t)INT64_MAX / 10)
			return INT64_MAX;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	return n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* First call for a request: the headers are in, no body byte has been read. Anything
 * refused here is answered before the body is read: libmicrohttpd then sends the reply with
 * "Connection: close" and never reads the body. */
static enum MHD_Result begin(struct req_state *st, const char *method)
{
	struct sl_httpd *srv = st->srv;
	const char **segs;
	int64_t clen;
	size_t i;

	st->started = true;
	st->req.method = method;
	set_remote(st);
	st->req.remote_addr = st->remote;
	if (st->raw_uri == NULL)
		return MHD_NO;
	if (sl_httpd_target_parse(st->raw_uri, &st->target) < 0)
		return send_error(st->conn, 400, "Bad Request: invalid request target", NULL);
	segs = calloc(st->target.nsegments + 1, sizeof(*segs));
	if (segs == NULL)
		return MHD_NO;
	for (i = 0; i < st->target.nsegments; i++)
		segs[i] = st->target.segments[i];
	st->req.segments = segs;
	st->req.nsegments = st->target.nsegments;
	st->req.path = st->target.path;
	if (!authorized(st))
		return send_error(st->conn, 401, "Unauthorized", srv->www_authenticate);
	st->req.user = st->user;
	clen = content_length(st->conn);
	if (clen > 0 && (uint64_t)clen > srv->max_body)
		return send_error(st->conn, 413, "Request Entity Too Large", NULL);
	/* Known length within the bound: allocate once instead of doubling. */
	if (clen > 0 && sl_buf_grow(&st->body, (size_t)clen) < 0)
		return MHD_NO;
	return MHD_YES;
}

/* A slice of body. libmicrohttpd 0.9.75 accepts a queued response only before the body is
 * read or after all of it was, so a chunked body that outgrows the bound is read on and
 * dropped (bounded memory), and answered 413 at its end; a client that keeps sending past
 * SL_HTTPD_DRAIN_MAX more bytes has its connection closed instead. */
static enum MHD_Result take_body(struct req_state *st, const char *data, size_t *size)
{
	size_t n = *size;

	*size = 0;
	if (!st->overflow && n > st->srv->max_body - st->body.len) {
		st->overflow = true;
		sl_buf_release(&st->body);
	}
	if (st->overflow) {
		st->dropped += n;
		return st->dropped > SL_HTTPD_DRAIN_MAX ? MHD_NO : MHD_YES;
	}
	return sl_buf_add(&st->body, data, n) < 0 ? MHD_NO : MHD_YES;
}

static enum MHD_Result dispatch(struct req_state *st)
{
	struct sl_httpd_response resp;
	enum MHD_Result ret;
	int rc;

	if (st->overflow)
		return send_error(st->conn, 413, "Request Entity Too Large", NULL);
	st->req.body = st->body.data;
	st->req.body_len = st->body.len;
	sl_httpd_response_init(&resp);
	rc = st->srv->handler(st->srv->handler_cls, &st->req, &resp);
	if (rc < 0 || resp.status == 0) {
		sl_httpd_response_release(&resp);
		return send_error(st->conn, 500, "Internal Server Error", NULL);
	}
	ret = send_response(st->conn, &resp);
	sl_httpd_response_release(&resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
        const char *method, const char *version, const char *upload_data, size_t *upload_data_size,
        void **req_cls)
{
	struct req_state *st = *req_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (st == NULL)
		return MHD_NO; /* the URI callback ran out of memory */
	st->conn = conn;
	if (!st->started)
		return begin(st, method);
	if (*upload_data_size > 0)
		return take_body(st, upload_data, upload_data_size);
	return dispatch(st);
}

/* Parses "host:port" / "[v6]:port" into ss. */
static int parse_listen(const char *listen_addr, struct sockaddr_storage *ss, socklen_t *sslen,
        struct sl_error *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h, *p;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;
	unsigned long port = 0;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(listen_addr, ':');
	if (colon == NULL || colon[1] == '\0')
		goto bad;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		goto bad;
	h = listen_addr;
	hlen = (size_t)(colon - listen_addr);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0 || hlen == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*sin);
	return 0;
bad:
	return sl_error_set(err, SL_EINVAL,
	        "listen address '%s': expected host:port or [ipv6]:port with a numeric host",
	        listen_addr);
}

/* Opens the listening socket ourselves: bind errors then carry errno, and port 0 can be
 * read back with getsockname. */
static int open_listener(const char *listen_addr, int *fd_out, unsigned *port, struct sl_error *err)
{
	struct sockaddr_storage ss, bound;
	socklen_t sslen = 0, blen = sizeof(bound);
	int fd = -1, one = 1, rc;
	char what[300];

	*fd_out = -1;
	rc = parse_listen(listen_addr, &ss, &sslen, err);
	if (rc < 0)
		goto out;
	snprintf(what, sizeof(what), "listen on '%s'", listen_addr);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = sl_error_errno(err, errno, what);
		goto out;
	}
	/* Restarting srlite must not fail on connections still in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	        (ss.ss_family == AF_INET6 &&
	                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	        bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 128) < 0 ||
	        getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
		rc = sl_error_errno(err, errno, what);
		goto out;
	}
	*port = ntohs(bound.ss_family == AF_INET6
	                      ? ((struct sockaddr_in6 *)(void *)&bound)->sin6_port
	                      : ((struct sockaddr_in *)(void *)&bound)->sin_port);
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Reads a PEM file (certificate or key) whole; the key's copy in b is wiped after use. */
static int read_pem(const char *path, char **out, struct sl_error *err)
{
	struct sl_buf b = SL_BUF_INIT;
	int rc;

	*out = NULL;
	rc = sl_file_read(path, PEM_MAX, &b, err);
	if (rc == 0 && b.len == 0)
		rc = sl_error_set(err, SL_EINVAL, "'%s' is empty", path);
	if (rc == 0) {
		*out = sl_buf_detach(&b);
		if (*out == NULL)
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
	}
	if (b.cap)
		explicit_bzero(b.data, b.cap);
	sl_buf_release(&b);
	return rc;
}

static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void free_server(struct sl_httpd *srv)
{
	free(srv->www_authenticate);
	free(srv->tls_cert);
	free_secret(srv->tls_key);
	pthread_mutex_destroy(&srv->msg_lock);
	free(srv);
}

static int setup_tls(struct sl_httpd *srv, const struct sl_httpd_config *cfg, struct sl_error *err)
{
	int rc;

	if (cfg->tls_cert_file == NULL && cfg->tls_key_file == NULL)
		return 0;
	if (cfg->tls_cert_file == NULL || cfg->tls_key_file == NULL)
		return sl_error_set(err, SL_EINVAL, "TLS needs both a certificate and a key file");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return sl_error_set(err, SL_EUNSUP, "this libmicrohttpd was built without TLS");
	rc = read_pem(cfg->tls_cert_file, &srv->tls_cert, err);
	if (rc == 0)
		rc = read_pem(cfg->tls_key_file, &srv->tls_key, err);
	return rc;
}

static int setup_auth(struct sl_httpd *srv, const struct sl_httpd_config *cfg, struct sl_error *err)
{
	const char *realm = cfg->auth_realm ? cfg->auth_realm : "schemalink";
	struct sl_buf b = SL_BUF_INIT;

	srv->auth = cfg->auth;
	if (cfg->auth == NULL)
		return 0;
	if (strpbrk(realm, "\"\\\r\n") != NULL)
		return sl_error_set(
		        err, SL_EINVAL, "auth realm must not contain quotes or newlines");
	if (sl_buf_addf(&b, "Basic realm=\"%s\", charset=\"UTF-8\"", realm) < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	srv->www_authenticate = sl_buf_detach(&b);
	return srv->www_authenticate ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

struct sl_httpd *sl_httpd_start(const struct sl_httpd_config *cfg, struct sl_error *err)
{
	struct sl_httpd *srv = NULL, *ret = NULL;
	struct MHD_OptionItem opts[12];
	unsigned flags, timeout, limit;
	int fd = -1;
	size_t n = 0;

	if (cfg == NULL || cfg->handler == NULL) {
		sl_error_set(err, SL_EINVAL, "httpd config needs a handler");
		goto out;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&srv->msg_lock, NULL);
	srv->max_body = cfg->max_body ? cfg->max_body : SL_HTTPD_DEFAULT_MAX_BODY;
	srv->handler = cfg->handler;
	srv->handler_cls = cfg->handler_cls;
	srv->on_message = cfg->on_message;
	srv->on_message_cls = cfg->on_message_cls;
	if (setup_auth(srv, cfg, err) < 0 || setup_tls(srv, cfg, err) < 0)
		goto out;
	if (open_listener(
	            cfg->listen ? cfg->listen : SL_HTTPD_DEFAULT_LISTEN, &fd, &srv->port, err) < 0)
		goto out;

	timeout = cfg->idle_timeout_s ? cfg->idle_timeout_s : SL_HTTPD_DEFAULT_IDLE_TIMEOUT_S;
	limit = cfg->max_connections ? cfg->max_connections : SL_HTTPD_DEFAULT_MAX_CONNECTIONS;
	/* The logger goes first, or libmicrohttpd reports that instead of the real failure. */
	opts[n++] = (struct MHD_OptionItem){
	        MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(void *)on_mhd_message, srv};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout, NULL};
	opts[n++] =
	        (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)(void *)on_uri, srv};
	opts[n++] = (struct MHD_OptionItem){
	        MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)(void *)on_completed, srv};
	if (srv->tls_cert != NULL) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	/* MHD_USE_AUTO picks poll/epoll: select() would fail past fd 1023. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (cfg->threading == SL_HTTPD_THREAD_PER_CONNECTION)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	if (srv->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	pthread_mutex_lock(&srv->msg_lock);
	srv->starting = true;
	pthread_mutex_unlock(&srv->msg_lock);
	srv->daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	pthread_mutex_lock(&srv->msg_lock);
	srv->starting = false;
	pthread_mutex_unlock(&srv->msg_lock);
	if (srv->daemon == NULL) {
		sl_error_set(err, SL_EIO, "start HTTP server on port %u: %s", srv->port,
		        srv->start_msg[0] ? srv->start_msg : "libmicrohttpd refused the options");
		goto out;
	}
	fd = -1; /* the daemon owns it now and closes it on stop */
	ret = srv;
	srv = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (srv != NULL)
		free_server(srv);
	return ret;
}

void sl_httpd_stop(struct sl_httpd *srv)
{
	if (srv == NULL)
		return;
	/* Joins the polling thread and, per connection, each connection thread: handlers that
	 * are running finish before this returns. */
	MHD_stop_daemon(srv->daemon);
	free_server(srv);
}
