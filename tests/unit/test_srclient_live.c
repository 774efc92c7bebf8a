/* test_srclient_live.c — the registry client over real libcurl against srlite processes this
 * suite starts itself: basic auth from file secrets (and their rotation), HTTPS with a CA made
 * here, fault injection through /_srlite (retries, Retry-After, bad bodies, stalls, refused
 * connections, the body cap), every typed call round-tripping through a real registry, and
 * the registry's identity (GET /v1/metadata/id) with and without --cluster-id.
 *
 * srlite is found in $SL_BINDIR (tests/run.sh exports it), else ./bin; the suite skips only
 * when that binary is missing. Each srlite listens on 127.0.0.1 at a port below 32768 (the
 * kernel's ephemeral range starts there), chosen at random and retried when taken. Servers are
 * killed in the group teardown and, should the process exit another way, by an atexit handler;
 * a crash of this process kills them too (PR_SET_PDEATHSIG). Sleeps between retries go
 * through a recording hook, so the suite spends real time only on the stall test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/ratelimit.h"
#include "schemalink/srclient.h"

#define USER "alice"
#define CANARY_PW "Canary-Pw-41b7e0"
#define CANARY_WRONG "Canary-Wrong-9c2e5d"
/* base64("alice:Canary-Wrong-9c2e5d"): the header value must not leak either. */
#define CANARY_WRONG_B64 "YWxpY2U6Q2FuYXJ5LVdyb25nLTljMmU1ZA=="

enum { S_PLAIN, S_DEST, S_AUTH, S_TLS, S_IDENT, NSRV };

struct srv {
	pid_t pid;
	int port;
	bool tls;
	char url[64];
	char log[PATH_MAX];
	struct sl_srclient *ctl; /* talks to /_srlite: no retries, the right credentials */
};

static struct srv g_srv[NSRV];
static char g_bin[PATH_MAX];
static char g_tmp[PATH_MAX]; /* this run's directory: logs, secrets, certificates */
static bool g_have_bin;
static bool g_certs_made;

/* What the sleep hook saw, and the exchanges the test clients' transports performed. */
static long g_sleeps[32];
static int g_nsleeps;
static int g_calls;

/* ---- small helpers ------------------------------------------------------------------- */

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tmp_path(char *out, size_t n, const char *name)
{
	int w = snprintf(out, n, "%s/%s", g_tmp, name);

	assert_true(w > 0 && (size_t)w < n);
}

/* Writes s to g_tmp/name through a temporary file and rename, as a secret rotation does. */
static void write_file(const char *name, const char *s)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	tmp_path(path, sizeof(path), name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fputs(s, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* Reads a small file into buf (NUL-terminated); "" when it cannot be read. */
static void read_small(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t got = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
}

static void record_sleep(void *arg, long ms)
{
	(void)arg;
	if (g_nsleeps < 32)
		g_sleeps[g_nsleeps++] = ms;
}

static void reset_counts(void)
{
	g_nsleeps = 0;
	g_calls = 0;
}

static void expect_sleeps(int n, ...)
{
	va_list ap;

	assert_int_equal(g_nsleeps, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(g_sleeps[i], va_arg(ap, long));
	va_end(ap);
}

/* A transport that counts exchanges and hands them to libcurl: attempts the server never
 * counted (a 401 from the auth layer, a failed TLS handshake, a refused port) show here. */
struct counting {
	struct sl_transport base;
	struct sl_transport *inner;
};

static int counting_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct counting *c = (struct counting *)t;

	g_calls++;
	return c->inner->perform(c->inner, req, resp, err);
}

static void counting_free(struct sl_transport *t)
{
	struct counting *c = (struct counting *)t;

	if (c == NULL)
		return;
	c->inner->free(c->inner);
	free(c);
}

/* Returns an owned client for cfg with the recording sleep hook and, when counted, the
 * counting transport; fails the test when it cannot be made. */
static struct sl_srclient *client_ex(struct sl_srclient_config *cfg, bool counted)
{
	struct sl_error err = SL_ERROR_INIT;
	struct counting *ct = NULL;
	struct sl_srclient *c;

	if (cfg->connect_timeout_ms == 0)
		cfg->connect_timeout_ms = 3000;
	if (cfg->request_timeout_ms == 0)
		cfg->request_timeout_ms = 10000;
	cfg->sleep_ms = record_sleep;
	cfg->sleep_arg = NULL;
	if (!counted) {
		c = sl_srclient_new(cfg, NULL, &err);
		if (c == NULL)
			fail_msg("sl_srclient_new: %s", err.msg);
		return c;
	}
	ct = calloc(1, sizeof(*ct));
	assert_non_null(ct);
	ct->inner = sl_transport_curl_new(cfg, &err);
	if (ct->inner == NULL) {
		free(ct);
		fail_msg("sl_transport_curl_new: %s", err.msg);
	}
	ct->base.perform = counting_perform;
	ct->base.free = counting_free;
	c = sl_srclient_new(cfg, &ct->base, &err);
	if (c == NULL)
		fail_msg("sl_srclient_new: %s", err.msg);
	return c;
}

static struct sl_srclient *client(struct sl_srclient_config *cfg)
{
	return client_ex(cfg, true);
}

/* A client for server s (its credentials and CA, the recording hook); counted unless it is
 * the control client. */
static struct sl_srclient *client_for_ex(const struct srv *s, bool counted)
{
	struct sl_srclient_config cfg = {0};
	char ca[PATH_MAX];

	cfg.base_url = s->url;
	if (s == &g_srv[S_AUTH]) {
		cfg.auth = SL_SRCLIENT_AUTH_BASIC;
		cfg.username.kind = SL_SECRET_VALUE;
		cfg.username.ref = (char *)(uintptr_t)USER;
		cfg.password.kind = SL_SECRET_VALUE;
		cfg.password.ref = (char *)(uintptr_t)CANARY_PW;
	}
	if (s->tls) {
		tmp_path(ca, sizeof(ca), "ca.pem");
		cfg.ca_file = ca;
	}
	return client_ex(&cfg, counted);
}

static struct sl_srclient *client_for(const struct srv *s)
{
	return client_for_ex(s, true);
}

/* ---- srlite processes ---------------------------------------------------------------- */

static void srv_stop(struct srv *s)
{
	int status;

	sl_srclient_free(s->ctl);
	s->ctl = NULL;
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 150; i++) {
		if (waitpid(s->pid, &status, WNOHANG) != 0)
			goto out;
		nap_ms(20);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
out:
	s->pid = 0;
}

static void stop_all(void)
{
	char cmd[PATH_MAX + 16];

	for (int i = 0; i < NSRV; i++)
		srv_stop(&g_srv[i]);
	if (g_tmp[0] != '\0' && strchr(g_tmp, '\'') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", g_tmp);
		g_tmp[0] = '\0';
	}
}

/* Starts srlite with args (NULL-terminated) on a random loopback port below 32768 and waits
 * until it says it listens. Retries on a port someone else holds. Returns 0, or -1 after
 * printing the log. */
static int srv_try_start(struct srv *s, int idx, const char *const *args)
{
	char port_arg[32], buf[8192], name[32];
	const char *argv[24];
	size_t na = 0;
	int fd, status;
	pid_t parent = getpid();

	snprintf(name, sizeof(name), "srlite-%d.log", idx);
	tmp_path(s->log, sizeof(s->log), name);
	for (int attempt = 0; attempt < 10; attempt++) {
		s->port = 10000 + (int)(random() % 22000);
		snprintf(port_arg, sizeof(port_arg), "127.0.0.1:%d", s->port);
		na = 0;
		argv[na++] = g_bin;
		argv[na++] = "--listen";
		argv[na++] = port_arg;
		for (size_t i = 0; args[i] != NULL && na < 23; i++)
			argv[na++] = args[i];
		argv[na] = NULL;
		fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		s->pid = fork();
		if (s->pid == 0) {
			/* Dies with this process, whatever way it ends. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(126);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(g_bin, (char *const *)(uintptr_t)argv);
			_exit(127);
		}
		close(fd);
		if (s->pid < 0) {
			s->pid = 0;
			return -1;
		}
		for (int i = 0; i < 500; i++) {
			read_small(s->log, buf, sizeof(buf));
			if (strstr(buf, "listening on") != NULL) {
				snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d",
				        s->tls ? "https" : "http", s->port);
				return 0;
			}
			if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			nap_ms(20);
		}
		if (s->pid > 0) {
			srv_stop(s);
			break;
		}
		read_small(s->log, buf, sizeof(buf));
		if (strstr(buf, "Address already in use") == NULL)
			break;
	}
	read_small(s->log, buf, sizeof(buf));
	fprintf(stderr, "srlite did not start; its log:\n%s\n", buf);
	return -1;
}

static void make_certs(void);

/* Returns server idx, started on first use (skips the test when srlite was not built). */
static struct srv *need(int idx)
{
	struct srv *s = &g_srv[idx];
	char users[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	const char *args[8] = {"--enable-fault-injection", NULL};

	if (!g_have_bin)
		skip();
	if (s->pid > 0)
		return s;
	switch (idx) {
	case S_AUTH:
		tmp_path(users, sizeof(users), "users");
		write_file("users", "# test users\n" USER ":" CANARY_PW "\nbob:other\n");
		args[1] = "--basic-auth-file";
		args[2] = users;
		break;
	case S_TLS:
		make_certs();
		tmp_path(cert, sizeof(cert), "server.pem");
		tmp_path(key, sizeof(key), "server.key");
		args[1] = "--tls-cert";
		args[2] = cert;
		args[3] = "--tls-key";
		args[4] = key;
		s->tls = true;
		break;
	case S_IDENT:
		args[1] = "--cluster-id";
		args[2] = "live-ident_1";
		break;
	default: break;
	}
	if (srv_try_start(s, idx, args) < 0)
		fail_msg("srlite %d did not start", idx);
	s->ctl = client_for_ex(s, false);
	return s;
}

/* ---- the /_srlite test endpoints ---------------------------------------------------- */

static void ctl(
        struct srv *s, const char *method, const char *path, const char *body, struct sl_buf *out)
{
	struct sl_error err = SL_ERROR_INIT;
	int rc = sl_srclient_request(s->ctl, method, path, body, true, out, &err);

	if (rc < 0)
		fail_msg("%s %s: %s", method, path, err.msg);
}

/* Clears s's fault rules and request counters and this test's counts. */
static void fresh(struct srv *s)
{
	ctl(s, "DELETE", "/_srlite/faults", NULL, NULL);
	ctl(s, "DELETE", "/_srlite/requests", NULL, NULL);
	reset_counts();
}

static void fault(struct srv *s, const char *rule_json)
{
	ctl(s, "POST", "/_srlite/faults", rule_json, NULL);
}

struct counts {
	long get, post, put, del, total;
	char raw[160]; /* the answer, for failure messages */
};

static struct counts requests(struct srv *s)
{
	struct sl_buf b = SL_BUF_INIT;
	struct counts c = {-1, -1, -1, -1, -1, ""};

	ctl(s, "GET", "/_srlite/requests", NULL, &b);
	snprintf(c.raw, sizeof(c.raw), "%s", b.data);
	assert_int_equal(sscanf(b.data,
	                         "{\"GET\":%ld,\"POST\":%ld,\"PUT\":%ld,\"DELETE\":%ld,"
	                         "\"total\":%ld}",
	                         &c.get, &c.post, &c.put, &c.del, &c.total),
	        5);
	sl_buf_release(&b);
	return c;
}

/* Fails unless srlite counted exactly get GETs and post POSTs, and nothing else. */
static void expect_requests(struct srv *s, long get, long post)
{
	struct counts c = requests(s);

	if (c.get != get || c.post != post || c.total != get + post)
		fail_msg("srlite counted %s; want %ld GET and %ld POST", c.raw, get, post);
}

/* ---- certificates -------------------------------------------------------------------- */

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int w, rc;

	va_start(ap, fmt);
	w = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(w > 0 && (size_t)w < sizeof(cmd));
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

/* A CA, a server certificate it signs for IP:127.0.0.1, a client certificate it signs, and
 * an unrelated CA, with the openssl command line in g_tmp. */
static void make_certs(void)
{
	static const char key[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

	if (g_certs_made)
		return;
	sh("cd '%s' && "
	   "openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 -subj /CN=sltest-ca "
	   "-addext basicConstraints=critical,CA:TRUE "
	   "-addext keyUsage=critical,keyCertSign,cRLSign 2>>openssl.log && "
	   "openssl req -x509 %s -keyout other-ca.key -out other-ca.pem -days 2 "
	   "-subj /CN=sltest-other-ca 2>>openssl.log && "
	   "openssl req %s -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>>openssl.log "
	   "&& "
	   "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
	   "extendedKeyUsage=serverAuth\\n' >server.ext && "
	   "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-out server.pem -days 2 -extfile server.ext 2>>openssl.log && "
	   "openssl req %s -keyout client.key -out client.csr -subj /CN=sltest-client "
	   "2>>openssl.log && "
	   "printf 'extendedKeyUsage=clientAuth\\n' >client.ext && "
	   "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-out client.pem -days 2 -extfile client.ext 2>>openssl.log",
	        g_tmp, key, key, key, key);
	g_certs_made = true;
}

/* ---- group setup --------------------------------------------------------------------- */

static int group_setup(void **state)
{
	const char *dir = getenv("SL_BINDIR");
	const char *tmpdir = getenv("TMPDIR");
	int w;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	w = snprintf(g_bin, sizeof(g_bin), "%s/srlite", dir != NULL && *dir ? dir : "./bin");
	if (w < 0 || (size_t)w >= sizeof(g_bin))
		return -1;
	g_have_bin = access(g_bin, X_OK) == 0;
	if (!g_have_bin)
		fprintf(stderr,
		        "[  SKIP    ] %s is missing: build it (make all) to run this suite\n",
		        g_bin);
	snprintf(g_tmp, sizeof(g_tmp), "%s/sl-srclient-live.XXXXXX",
	        tmpdir != NULL && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(g_tmp) == NULL) {
		g_tmp[0] = '\0';
		return -1;
	}
	atexit(stop_all);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_all();
	return 0;
}

/* ---- basic auth ---------------------------------------------------------------------- */

static struct sl_srclient *auth_client(const struct srv *s, const char *pw_path)
{
	struct sl_srclient_config cfg = {0};

	cfg.base_url = s->url;
	cfg.auth = SL_SRCLIENT_AUTH_BASIC;
	cfg.username.kind = SL_SECRET_VALUE;
	cfg.username.ref = (char *)(uintptr_t)USER;
	cfg.password.kind = SL_SECRET_FILE;
	cfg.password.ref = (char *)(uintptr_t)pw_path;
	return client(&cfg);
}

static void assert_no_secret(const struct sl_error *err)
{
	assert_null(strstr(err->msg, CANARY_PW));
	assert_null(strstr(err->msg, CANARY_WRONG));
	assert_null(strstr(err->msg, CANARY_WRONG_B64));
}

static void test_basic_auth(void **state)
{
	struct srv *s = need(S_AUTH);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_srclient *c, *anon;
	struct sl_srclient_config cfg = {0};
	struct sl_schema_version sv = SL_SCHEMA_VERSION_INIT;
	char pw[PATH_MAX], url[160];
	char *m = NULL;

	(void)state;
	tmp_path(pw, sizeof(pw), "sr-pass");
	write_file("sr-pass", CANARY_PW "\n");
	c = auth_client(s, pw);
	fresh(s);

	/* The right password from the file works. */
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	assert_string_equal(m, "READWRITE");
	free(m);
	m = NULL;
	assert_int_equal(g_calls, 1);

	/* A rotated (wrong) password is read on the next call: 401, not retried. srlite's
	 * counter stays put because its auth layer answers before the counted handler, so
	 * the attempts are counted at the transport. */
	write_file("sr-pass", CANARY_WRONG "\n");
	reset_counts();
	ctl(s, "DELETE", "/_srlite/requests", NULL, NULL);
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EHTTP);
	assert_null(m);
	assert_int_equal(err.code, SL_EHTTP);
	assert_int_equal(err.http_status, 401);
	assert_int_equal(g_calls, 1);
	expect_sleeps(0);
	assert_non_null(strstr(err.msg, "GET /mode"));
	assert_non_null(strstr(err.msg, "401"));
	assert_no_secret(&err);
	expect_requests(s, 0, 0);

	/* Rotated back: the same client succeeds without being recreated. */
	write_file("sr-pass", CANARY_PW);
	reset_counts();
	assert_int_equal(sl_srclient_config_get(c, NULL, &m, &err), 1);
	assert_string_equal(m, "BACKWARD");
	free(m);
	m = NULL;
	assert_int_equal(g_calls, 1);
	expect_requests(s, 1, 0);

	/* A missing password file fails before any request, naming the file only. */
	assert_int_equal(unlink(pw), 0);
	reset_counts();
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_ENOENT);
	assert_int_equal(g_calls, 0);
	assert_non_null(strstr(err.msg, "sr-pass"));
	sl_srclient_free(c);

	/* No credentials at all: 401. */
	cfg.base_url = s->url;
	anon = client(&cfg);
	reset_counts();
	assert_int_equal(sl_srclient_mode_get(anon, NULL, &m, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 401);
	assert_int_equal(g_calls, 1);
	sl_srclient_free(anon);

	/* Credentials in the URL's user-info work, and never show in messages. */
	snprintf(url, sizeof(url), "http://" USER ":" CANARY_PW "@127.0.0.1:%d/", s->port);
	cfg.base_url = url;
	anon = client(&cfg);
	assert_null(strstr(sl_srclient_base_url(anon), CANARY_PW));
	assert_int_equal(sl_srclient_mode_get(anon, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	assert_int_equal(
	        sl_srclient_subject_version_get(anon, "no-such-subject", "latest", &sv, &err),
	        SL_EHTTP);
	assert_int_equal(err.registry_code, 40401);
	assert_no_secret(&err);
	sl_schema_version_release(&sv);
	sl_srclient_free(anon);
}

/* ---- HTTPS --------------------------------------------------------------------------- */

static struct sl_srclient *tls_client(
        const char *url, const char *ca, const char *cert, const char *key, bool insecure)
{
	struct sl_srclient_config cfg = {0};
	char cap[PATH_MAX], certp[PATH_MAX], keyp[PATH_MAX];

	cfg.base_url = url;
	if (ca != NULL) {
		tmp_path(cap, sizeof(cap), ca);
		cfg.ca_file = cap;
	}
	if (cert != NULL) {
		tmp_path(certp, sizeof(certp), cert);
		tmp_path(keyp, sizeof(keyp), key);
		cfg.cert_file = certp;
		cfg.key_file = keyp;
	}
	cfg.insecure_skip_verify = insecure;
	return client(&cfg);
}

static void expect_tls_failure(struct sl_srclient *c)
{
	struct sl_error err = SL_ERROR_INIT;
	char *m = NULL;

	reset_counts();
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EPROTO);
	assert_null(m);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.msg, "tls"));
	/* Verification failures are not retried. */
	assert_int_equal(g_calls, 1);
	expect_sleeps(0);
	sl_srclient_free(c);
}

static void test_https(void **state)
{
	struct srv *s = need(S_TLS);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_srclient *c;
	char url[96];
	char *m = NULL;

	(void)state;
	fresh(s);
	/* With the CA that signed the server's certificate. */
	c = tls_client(s->url, "ca.pem", NULL, NULL, false);
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	assert_string_equal(m, "READWRITE");
	free(m);
	m = NULL;
	/* A second call on the same client (and kept-alive connection) works too. */
	assert_int_equal(sl_srclient_config_get(c, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	assert_null(sl_srclient_take_warning(c));
	sl_srclient_free(c);
	expect_requests(s, 2, 0);

	/* The system store does not know our CA; another CA does not sign it; and the name
	 * must match too (the certificate is for IP:127.0.0.1 only). */
	expect_tls_failure(tls_client(s->url, NULL, NULL, NULL, false));
	expect_tls_failure(tls_client(s->url, "other-ca.pem", NULL, NULL, false));
	snprintf(url, sizeof(url), "https://localhost:%d", s->port);
	expect_tls_failure(tls_client(url, "ca.pem", NULL, NULL, false));
	expect_requests(s, 2, 0);

	/* insecureSkipVerify accepts any certificate. */
	c = tls_client(s->url, NULL, NULL, NULL, true);
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	sl_srclient_free(c);

	/* A client certificate and key are presented without error (srlite does not ask for
	 * them; a registry that does would verify them). */
	c = tls_client(s->url, "ca.pem", "client.pem", "client.key", false);
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	sl_srclient_free(c);

	/* A key that does not exist is a TLS setup failure, reported as such. */
	c = tls_client(s->url, "ca.pem", "client.pem", "missing.key", false);
	reset_counts();
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EPROTO);
	assert_int_equal(g_calls, 1);
	sl_srclient_free(c);
}

/* ---- faults -------------------------------------------------------------------------- */

static void test_retry_503_runs(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec v = SL_VEC_INIT;

	(void)state;
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/subjects\",\"status\":503,\"count\":3}");
	assert_int_equal(sl_srclient_subjects_list(c, NULL, false, &v, &err), 0);
	sl_vec_release(&v, free);
	expect_sleeps(3, 250L, 500L, 1000L);
	expect_requests(s, 4, 0);

	/* Four in a row exhaust the attempts: the last error, saying how many were made. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/subjects\",\"status\":503,\"count\":4}");
	assert_int_equal(sl_srclient_subjects_list(c, NULL, false, &v, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 503);
	assert_int_equal(err.registry_code, 503);
	assert_non_null(strstr(err.msg, "after 4 attempts"));
	expect_sleeps(3, 250L, 500L, 1000L);
	expect_requests(s, 4, 0);

	/* 502/504 and the registry's 50002-50004 on a 500 are retried the same way. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"status\":502,\"count\":1}");
	fault(s, "{\"method\":\"GET\",\"status\":504,\"count\":1}");
	fault(s, "{\"method\":\"GET\",\"errorCode\":50003,\"count\":1}");
	assert_int_equal(sl_srclient_contexts_list(c, &v, &err), 0);
	sl_vec_release(&v, free);
	expect_sleeps(3, 250L, 500L, 1000L);
	expect_requests(s, 4, 0);
	sl_srclient_free(c);
}

static void test_retry_after(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	char *m = NULL;

	(void)state;
	fresh(s);
	/* A 429's Retry-After replaces the backoff; the next answer's lack of one does not
	 * inherit it (the handle is reused). */
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/config\",\"status\":429,"
	         "\"headers\":{\"Retry-After\":\"2\"},\"count\":1}");
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/config\",\"status\":503,\"count\":1}");
	assert_int_equal(sl_srclient_config_get(c, NULL, &m, &err), 1);
	assert_string_equal(m, "BACKWARD");
	free(m);
	m = NULL;
	expect_sleeps(2, 2000L, 500L);
	expect_requests(s, 3, 0);

	/* A 503's Retry-After too, capped at 10 s. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"status\":503,"
	         "\"headers\":{\"Retry-After\":\"120\"},\"count\":1}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	expect_sleeps(1, (long)SL_SRCLIENT_RETRY_AFTER_CAP_MS);

	/* Retry-After belongs to 429 and 503 (srclient.h); a 500 carrying one keeps the
	 * backoff. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"status\":500,"
	         "\"headers\":{\"Retry-After\":\"7\"},\"count\":1}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	free(m);
	m = NULL;
	expect_sleeps(1, 250L);

	/* A 429 that never lets up ends after the attempts with SL_EHTTP 429. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"status\":429,"
	         "\"headers\":{\"Retry-After\":\"1\"},\"count\":4}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 429);
	expect_sleeps(3, 1000L, 1000L, 1000L);
	expect_requests(s, 4, 0);
	sl_srclient_free(c);
}

static void test_not_retried(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_register_request rr = {0};
	struct sl_vec v = SL_VEC_INIT;
	int *versions = NULL, id = 0, ver = 0;
	size_t nv = 0;

	(void)state;
	rr.schema = "\"string\"";
	rr.id = -1;
	rr.version = -1;

	/* 422 (invalid schema) is the caller's problem: one request, even when idempotent. */
	fresh(s);
	fault(s, "{\"method\":\"POST\",\"pathPrefix\":\"/subjects/f422\",\"status\":422,"
	         "\"errorCode\":42201,\"message\":\"Invalid schema\",\"count\":4}");
	rr.idempotent = true;
	assert_int_equal(sl_srclient_register(c, "f422", &rr, &id, &ver, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 422);
	assert_int_equal(err.registry_code, 42201);
	assert_non_null(strstr(err.msg, "Invalid schema"));
	expect_sleeps(0);
	expect_requests(s, 0, 1);

	/* A real 404 from the registry (no such subject): once. */
	fresh(s);
	assert_int_equal(sl_srclient_subject_versions(c, "f404-none", false, &versions, &nv, &err),
	        SL_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_true(sl_srclient_err_is(&err, 40401));
	assert_false(sl_srclient_err_route_missing(&err));
	expect_sleeps(0);
	expect_requests(s, 1, 0);

	/* A route-level 404 (no Schema Linking here) reads as unsupported. */
	fresh(s);
	fault(s, "{\"pathPrefix\":\"/exporters\",\"status\":404,\"errorCode\":404,"
	         "\"message\":\"HTTP 404 Not Found\",\"count\":4}");
	assert_int_equal(sl_srclient_exporters_list(c, &v, &err), SL_EUNSUP);
	assert_int_equal(err.http_status, 404);
	expect_sleeps(0);
	expect_requests(s, 1, 0);

	/* A POST is not retried on a 503: the registration may have happened. */
	fresh(s);
	fault(s, "{\"method\":\"POST\",\"pathPrefix\":\"/subjects/fpost\",\"status\":503,"
	         "\"count\":4}");
	rr.idempotent = false;
	assert_int_equal(sl_srclient_register(c, "fpost", &rr, &id, &ver, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 503);
	expect_sleeps(0);
	expect_requests(s, 0, 1);

	/* Unless the caller says it is idempotent. */
	fresh(s);
	fault(s, "{\"method\":\"POST\",\"pathPrefix\":\"/subjects/fpost\",\"status\":503,"
	         "\"count\":1}");
	rr.idempotent = true;
	assert_int_equal(sl_srclient_register(c, "fpost", &rr, &id, &ver, &err), 0);
	assert_true(id > 0);
	assert_int_equal(ver, 1);
	expect_sleeps(1, 250L);
	expect_requests(s, 0, 2);
	sl_srclient_free(c);
}

static void test_bad_bodies(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec v = SL_VEC_INIT;
	char *m = NULL;

	(void)state;
	/* Malformed JSON on a 200: a protocol error, not retried. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"rawBody\":\"{not json\","
	         "\"count\":4}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EPROTO);
	assert_null(m);
	assert_int_equal(err.http_status, 200);
	assert_non_null(strstr(err.msg, "GET /mode"));
	assert_non_null(strstr(err.msg, "malformed JSON"));
	expect_sleeps(0);
	expect_requests(s, 1, 0);

	/* Truncated JSON, and JSON of the wrong shape, likewise. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/contexts\",\"rawBody\":\"[\\\".\\\", \","
	         "\"count\":1}");
	assert_int_equal(sl_srclient_contexts_list(c, &v, &err), SL_EPROTO);
	assert_int_equal(v.len, 0);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/contexts\",\"rawBody\":\"{\\\"a\\\":1}\","
	         "\"count\":1}");
	assert_int_equal(sl_srclient_contexts_list(c, &v, &err), SL_EPROTO);
	sl_vec_release(&v, free);
	expect_requests(s, 2, 0);
	expect_sleeps(0);

	/* An HTML 503 from a proxy: retried as a 503, then a clean message naming the status
	 * and the content type, with none of the page in it. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"status\":503,"
	         "\"contentType\":\"text/html; charset=utf-8\",\"rawBody\":\"<html><body><h1>"
	         "503 Service Temporarily Unavailable</h1><hr>nginx</body></html>\","
	         "\"count\":4}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_EPROTO);
	assert_int_equal(err.http_status, 503);
	assert_non_null(strstr(err.msg, "HTTP 503"));
	assert_non_null(strstr(err.msg, "text/html"));
	assert_null(strchr(err.msg, '<'));
	assert_null(strstr(err.msg, "nginx"));
	expect_sleeps(3, 250L, 500L, 1000L);
	expect_requests(s, 4, 0);
	sl_srclient_free(c);
}

static void test_body_cap(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient_config cfg = {0};
	struct sl_srclient *c;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf rule = SL_BUF_INIT, out = SL_BUF_INIT;
	int rc;

	(void)state;
	cfg.base_url = s->url;
	cfg.max_body = 1024;
	c = client(&cfg);
	fresh(s);
	/* Exactly at the cap passes; one byte more fails with SL_ELIMIT, not retried. */
	for (int len = 1024; len <= 1025; len++) {
		sl_buf_reset(&rule);
		assert_int_equal(sl_buf_adds(&rule, "{\"pathPrefix\":\"/big\",\"count\":1,"
		                                    "\"rawBody\":\""),
		        0);
		for (int i = 0; i < len; i++)
			assert_int_equal(sl_buf_addch(&rule, 'a'), 0);
		assert_int_equal(sl_buf_adds(&rule, "\"}"), 0);
		fault(s, rule.data);
	}
	reset_counts();
	rc = sl_srclient_request(c, "GET", "/big", NULL, false, &out, &err);
	assert_int_equal(rc, 200);
	assert_int_equal(out.len, 1024);
	rc = sl_srclient_request(c, "GET", "/big", NULL, false, &out, &err);
	assert_int_equal(rc, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "larger than 1024 bytes"));
	assert_int_equal(g_calls, 2);
	expect_sleeps(0);
	expect_requests(s, 2, 0);
	sl_buf_release(&rule);
	sl_buf_release(&out);
	sl_srclient_free(c);
}

static void test_stall_timeout(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient_config cfg = {0};
	struct sl_srclient *c;
	struct sl_error err = SL_ERROR_INIT;
	char *m = NULL;
	long t0, took;

	(void)state;
	cfg.base_url = s->url;
	cfg.request_timeout_ms = 300;
	c = client(&cfg);
	fresh(s);
	/* Every attempt stalls past the 300 ms request timeout: SL_ETIMEOUT after the retries,
	 * in about 4 x 300 ms (the backoff sleeps are recorded, not slept). */
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"delayMs\":1500,\"count\":4}");
	t0 = now_ms();
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), SL_ETIMEOUT);
	took = now_ms() - t0;
	assert_null(m);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_non_null(strstr(err.msg, "after 4 attempts"));
	expect_sleeps(3, 250L, 500L, 1000L);
	assert_int_equal(g_calls, 4);
	expect_requests(s, 4, 0);
	assert_true(took >= 4 * 300 - 50);
	assert_true(took < 4 * 300 + 2500);

	/* One stall, then a prompt answer: the retry succeeds on a new connection. */
	fresh(s);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"delayMs\":1500,\"count\":1}");
	assert_int_equal(sl_srclient_mode_get(c, NULL, &m, &err), 1);
	assert_string_equal(m, "READWRITE");
	free(m);
	expect_sleeps(1, 250L);
	expect_requests(s, 2, 0);
	sl_srclient_free(c);
}

static void test_refused(void **state)
{
	struct sl_srclient_config cfg = {0};
	struct sl_srclient *c;
	struct sl_error err = SL_ERROR_INIT;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64];
	char *m = NULL;
	int fd;

	(void)state;
	/* A port that is bound but not listening refuses connections, and nobody else can
	 * take it while we hold it. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	cfg.base_url = url;
	c = client(&cfg);
	reset_counts();
	assert_int_equal(sl_srclient_mode_get(c, ":.ctx:", &m, &err), SL_ECONN);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.msg, "GET /mode/%3A.ctx%3A"));
	assert_non_null(strstr(err.msg, "after 3 attempts"));
	/* Exactly two retries, 100 ms and 200 ms apart. */
	assert_int_equal(g_calls, 3);
	expect_sleeps(2, 100L, 200L);
	sl_srclient_free(c);
	close(fd);
}

/* ---- typed calls against the real registry ------------------------------------------- */

static void put_cfg(struct sl_strmap *m, const char *k, const char *v)
{
	void *old = NULL;
	char *dup = strdup(v);

	assert_non_null(dup);
	assert_int_equal(sl_strmap_set(m, k, dup, &old), 0);
	free(old);
}

static void push(struct sl_vec *v, const char *s)
{
	char *dup = strdup(s);

	assert_non_null(dup);
	assert_int_equal(sl_vec_push(v, dup), 0);
}

static bool contains(const struct sl_vec *v, const char *s)
{
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->items[i], s) == 0)
			return true;
	return false;
}

/* Waits up to 10 s for exporter name to reach state want. */
static void wait_state(struct sl_srclient *c, const char *name, enum sl_exporter_state want)
{
	struct sl_error err = SL_ERROR_INIT;
	enum sl_exporter_state last = SL_EXPORTER_UNKNOWN;

	for (int i = 0; i < 200; i++) {
		struct sl_exporter_status st = SL_EXPORTER_STATUS_INIT;

		assert_int_equal(sl_srclient_exporter_status(c, name, &st, &err), 0);
		assert_string_equal(st.name, name);
		last = st.state;
		sl_exporter_status_release(&st);
		if (last == want)
			return;
		nap_ms(50);
	}
	fail_msg("exporter %s stayed %s, wanted %s", name, sl_exporter_state_name(last),
	        sl_exporter_state_name(want));
}

static int register_simple(struct sl_srclient *c, const char *subject, const char *schema)
{
	struct sl_register_request rr = {0};
	struct sl_error err = SL_ERROR_INIT;
	int id = 0, rc;

	rr.schema = schema;
	rr.id = -1;
	rr.version = -1;
	rc = sl_srclient_register(c, subject, &rr, &id, NULL, &err);
	if (rc < 0)
		fail_msg("register %s: %s", subject, err.msg);
	return id;
}

static void test_exporters_round_trip(void **state)
{
	struct srv *src = need(S_PLAIN), *dst = need(S_DEST);
	struct sl_srclient *c = client_for(src), *d = client_for(dst);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT, got = SL_EXPORTER_INIT, upd = SL_EXPORTER_INIT;
	struct sl_exporter_status st = SL_EXPORTER_STATUS_INIT;
	struct sl_strmap conf = SL_STRMAP_INIT;
	struct sl_vec names = SL_VEC_INIT;
	bool found = false;
	const char *val;

	(void)state;
	fresh(src);
	register_simple(c, "rt-orders-value", "\"string\"");
	e.name = strdup("rt-e1");
	e.context_type = strdup("CUSTOM");
	e.context = strdup("rt");
	push(&e.subjects, "rt-orders-value");
	put_cfg(&e.config, "schema.registry.url", dst->url);
	assert_int_equal(sl_srclient_exporter_create(c, &e, &err), 0);
	/* Creating it again: 40960, and a POST is sent once. */
	reset_counts();
	assert_int_equal(sl_srclient_exporter_create(c, &e, &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40960));
	assert_int_equal(g_calls, 1);

	assert_int_equal(sl_srclient_exporters_list(c, &names, &err), 0);
	assert_true(contains(&names, "rt-e1"));
	sl_vec_release(&names, free);

	assert_int_equal(sl_srclient_exporter_get(c, "rt-e1", &got, &err), 0);
	assert_string_equal(got.name, "rt-e1");
	assert_string_equal(got.context_type, "CUSTOM");
	assert_string_equal(got.context, "rt");
	assert_int_equal(got.subjects.len, 1);
	assert_string_equal(got.subjects.items[0], "rt-orders-value");
	val = sl_strmap_get(&got.config, "schema.registry.url", &found);
	assert_true(found);
	assert_string_equal(val, dst->url);
	sl_exporter_release(&got);

	/* It runs and copies the subject into the destination's context. */
	wait_state(c, "rt-e1", SL_EXPORTER_RUNNING);
	for (int i = 0; i < 200 && names.len == 0; i++) {
		assert_int_equal(sl_srclient_subjects_list(d, ":.rt:", false, &names, &err), 0);
		if (names.len == 0)
			nap_ms(50);
	}
	assert_int_equal(names.len, 1);
	assert_string_equal(names.items[0], ":.rt:rt-orders-value");
	sl_vec_release(&names, free);

	/* Preconditions the registry enforces come back as registry codes. */
	assert_int_equal(sl_srclient_exporter_resume(c, "rt-e1", &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40961));
	assert_int_equal(sl_srclient_exporter_update(c, "rt-e1", &e, &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40963));
	assert_int_equal(sl_srclient_exporter_delete(c, "rt-e1", &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40963));

	assert_int_equal(sl_srclient_exporter_pause(c, "rt-e1", &err), 0);
	wait_state(c, "rt-e1", SL_EXPORTER_PAUSED);

	/* Update sends only what is set. */
	push(&upd.subjects, "rt-orders-value");
	push(&upd.subjects, "rt-payments-value");
	upd.subject_rename_format = strdup("dc_${subject}");
	assert_int_equal(sl_srclient_exporter_update(c, "rt-e1", &upd, &err), 0);
	assert_int_equal(sl_srclient_exporter_get(c, "rt-e1", &got, &err), 0);
	assert_int_equal(got.subjects.len, 2);
	assert_string_equal(got.subjects.items[1], "rt-payments-value");
	assert_string_equal(got.subject_rename_format, "dc_${subject}");
	assert_string_equal(got.context, "rt");
	sl_exporter_release(&got);

	/* Config: replaced as a whole. */
	put_cfg(&conf, "schema.registry.url", dst->url);
	put_cfg(&conf, "rt.key", "rt value");
	assert_int_equal(sl_srclient_exporter_config_put(c, "rt-e1", &conf, &err), 0);
	sl_strmap_release(&conf, free);
	sl_strmap_init(&conf);
	assert_int_equal(sl_srclient_exporter_config_get(c, "rt-e1", &conf, &err), 0);
	val = sl_strmap_get(&conf, "rt.key", &found);
	assert_true(found);
	assert_string_equal(val, "rt value");
	sl_strmap_release(&conf, free);

	assert_int_equal(sl_srclient_exporter_reset(c, "rt-e1", &err), 0);
	assert_int_equal(sl_srclient_exporter_status(c, "rt-e1", &st, &err), 0);
	assert_int_equal(st.state, SL_EXPORTER_PAUSED);
	assert_int_equal(st.offset, -1);
	assert_string_equal(st.trace, "");
	sl_exporter_status_release(&st);

	assert_int_equal(sl_srclient_exporter_resume(c, "rt-e1", &err), 0);
	wait_state(c, "rt-e1", SL_EXPORTER_RUNNING);
	assert_int_equal(sl_srclient_exporter_pause(c, "rt-e1", &err), 0);
	assert_int_equal(sl_srclient_exporter_delete(c, "rt-e1", &err), 0);
	assert_int_equal(sl_srclient_exporter_get(c, "rt-e1", &got, &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40450));
	assert_int_equal(err.http_status, 404);
	assert_false(sl_srclient_err_route_missing(&err));
	sl_exporter_release(&got);
	assert_int_equal(sl_srclient_exporter_status(c, "rt-e1", &st, &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40450));
	sl_exporter_status_release(&st);

	sl_exporter_release(&e);
	sl_exporter_release(&upd);
	sl_srclient_free(c);
	sl_srclient_free(d);
}

static void test_modes_and_config(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	char *v = NULL;

	(void)state;
	fresh(s);
	/* The top level always answers its effective value. */
	assert_int_equal(sl_srclient_mode_get(c, NULL, &v, &err), 1);
	assert_string_equal(v, "READWRITE");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_mode_get(c, "", &v, &err), 1);
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_config_get(c, NULL, &v, &err), 1);
	assert_string_equal(v, "BACKWARD");
	free(v);
	v = NULL;

	/* Unset scopes are "not set here" (40409 / 40408), not errors. */
	assert_int_equal(sl_srclient_mode_get(c, ":.mc:", &v, &err), 0);
	assert_null(v);
	assert_int_equal(err.code, 0);
	assert_int_equal(sl_srclient_mode_get(c, ":.mc:s/with/slashes", &v, &err), 0);
	assert_int_equal(sl_srclient_config_get(c, ":.mc:", &v, &err), 0);
	assert_null(v);
	assert_int_equal(sl_srclient_config_get(c, "mc-subject", &v, &err), 0);

	/* Set, read back, delete, delete again. */
	assert_int_equal(sl_srclient_mode_put(c, ":.mc:", "READONLY", false, &err), 0);
	assert_int_equal(sl_srclient_mode_get(c, ":.mc:", &v, &err), 1);
	assert_string_equal(v, "READONLY");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_mode_put(c, ":.mc:s/with/slashes", "IMPORT", false, &err), 0);
	assert_int_equal(sl_srclient_mode_get(c, ":.mc:s/with/slashes", &v, &err), 1);
	assert_string_equal(v, "IMPORT");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_mode_delete(c, ":.mc:s/with/slashes", &err), 1);
	assert_int_equal(sl_srclient_mode_delete(c, ":.mc:", &err), 1);
	assert_int_equal(sl_srclient_mode_delete(c, ":.mc:", &err), 0);
	assert_int_equal(sl_srclient_mode_get(c, ":.mc:", &v, &err), 0);

	assert_int_equal(sl_srclient_config_put(c, "mc-subject", "FULL_TRANSITIVE", &err), 0);
	assert_int_equal(sl_srclient_config_get(c, "mc-subject", &v, &err), 1);
	assert_string_equal(v, "FULL_TRANSITIVE");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_config_put(c, ":.mc:", "NONE", &err), 0);
	assert_int_equal(sl_srclient_config_get(c, ":.mc:", &v, &err), 1);
	assert_string_equal(v, "NONE");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_config_delete(c, "mc-subject", &err), 1);
	assert_int_equal(sl_srclient_config_delete(c, "mc-subject", &err), 0);
	assert_int_equal(sl_srclient_config_delete(c, ":.mc:", &err), 1);
	assert_int_equal(sl_srclient_config_get(c, "mc-subject", &v, &err), 0);

	/* A bad value is the registry's 422, not retried. */
	reset_counts();
	assert_int_equal(sl_srclient_mode_put(c, ":.mc:", "SIDEWAYS", false, &err), SL_EHTTP);
	assert_int_equal(err.http_status, 422);
	assert_int_equal(g_calls, 1);
	assert_int_equal(sl_srclient_config_put(c, ":.mc:", "SIDEWAYS", &err), SL_EHTTP);
	assert_int_equal(err.http_status, 422);
	sl_srclient_free(c);
}

static void test_contexts_subjects_import(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_srclient *c = client_for(s);
	struct sl_error err = SL_ERROR_INIT;
	struct sl_register_request rr = {0};
	struct sl_schema_version sv = SL_SCHEMA_VERSION_INIT;
	struct sl_vec v = SL_VEC_INIT;
	int *versions = NULL, id = 0, ver = 0, id1;
	size_t nv = 0;

	(void)state;
	fresh(s);
	id1 = register_simple(c, "pfx-a", "\"int\"");
	register_simple(c, "pfx-b", "\"long\"");
	register_simple(c, "pfx-b", "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}");
	register_simple(c, "other-x", "\"int\"");
	register_simple(c, ":.sub:pfx-c", "\"int\"");

	/* Contexts. */
	assert_int_equal(sl_srclient_contexts_list(c, &v, &err), 0);
	assert_true(contains(&v, "."));
	assert_true(contains(&v, ".sub"));
	sl_vec_release(&v, free);

	/* Prefixes: a plain prefix is the default context; ":.sub:" one context; NULL the
	 * server's default (every context); "" the default context only. */
	assert_int_equal(sl_srclient_subjects_list(c, "pfx-", false, &v, &err), 0);
	assert_int_equal(v.len, 2);
	assert_true(contains(&v, "pfx-a") && contains(&v, "pfx-b"));
	sl_vec_release(&v, free);
	assert_int_equal(sl_srclient_subjects_list(c, ":.sub:", false, &v, &err), 0);
	assert_int_equal(v.len, 1);
	assert_string_equal(v.items[0], ":.sub:pfx-c");
	sl_vec_release(&v, free);
	assert_int_equal(sl_srclient_subjects_list(c, NULL, false, &v, &err), 0);
	assert_true(contains(&v, "pfx-a") && contains(&v, ":.sub:pfx-c"));
	sl_vec_release(&v, free);
	assert_int_equal(sl_srclient_subjects_list(c, "", false, &v, &err), 0);
	assert_true(contains(&v, "pfx-a"));
	assert_false(contains(&v, ":.sub:pfx-c"));
	sl_vec_release(&v, free);

	/* Soft-deleted subjects show only with deleted=true. */
	assert_int_equal(
	        sl_srclient_request(c, "DELETE", "/subjects/other-x", NULL, false, NULL, &err),
	        200);
	assert_int_equal(sl_srclient_subjects_list(c, "other-", false, &v, &err), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(sl_srclient_subjects_list(c, "other-", true, &v, &err), 0);
	assert_int_equal(v.len, 1);
	sl_vec_release(&v, free);

	/* Versions and one version. */
	assert_int_equal(sl_srclient_subject_versions(c, "pfx-b", false, &versions, &nv, &err), 0);
	assert_int_equal(nv, 2);
	assert_int_equal(versions[0], 1);
	assert_int_equal(versions[1], 2);
	free(versions);
	assert_int_equal(sl_srclient_subject_version_get(c, "pfx-a", "latest", &sv, &err), 0);
	assert_string_equal(sv.subject, "pfx-a");
	assert_int_equal(sv.version, 1);
	assert_int_equal(sv.id, id1);
	assert_string_equal(sv.schema_type, "AVRO");
	assert_string_equal(sv.schema, "\"int\"");
	sl_schema_version_release(&sv);
	assert_int_equal(sl_srclient_subject_version_get(c, "pfx-a", "7", &sv, &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 40402));
	sl_schema_version_release(&sv);

	/* A context with subjects cannot be deleted. */
	assert_int_equal(sl_srclient_context_delete(c, ".sub", &err), SL_EHTTP);
	assert_true(sl_srclient_err_is(&err, 42211));

	/* IMPORT: explicit id and version, as an exporter writes them; re-sending the same
	 * triple is idempotent. */
	assert_int_equal(sl_srclient_mode_put(c, ":.imp:", "IMPORT", false, &err), 0);
	rr.schema = "{\"type\":\"record\",\"name\":\"Imp\",\"fields\":[{\"name\":\"a\","
	            "\"type\":\"int\"}]}";
	rr.id = 7777;
	rr.version = 3;
	rr.normalize_false = true;
	rr.idempotent = true;
	assert_int_equal(sl_srclient_register(c, ":.imp:imported", &rr, &id, &ver, &err), 0);
	assert_int_equal(id, 7777);
	assert_true(ver == 3 || ver == 0);
	assert_int_equal(sl_srclient_register(c, ":.imp:imported", &rr, &id, &ver, &err), 0);
	assert_int_equal(id, 7777);
	assert_int_equal(sl_srclient_subject_version_get(c, ":.imp:imported", "3", &sv, &err), 0);
	assert_int_equal(sv.id, 7777);
	assert_int_equal(sv.version, 3);
	sl_schema_version_release(&sv);
	assert_int_equal(
	        sl_srclient_subject_versions(c, ":.imp:imported", false, &versions, &nv, &err), 0);
	assert_int_equal(nv, 1);
	assert_int_equal(versions[0], 3);
	free(versions);
	/* The same id for another schema is refused. */
	rr.schema = "\"bytes\"";
	rr.version = 4;
	assert_int_equal(sl_srclient_register(c, ":.imp:imported", &rr, &id, &ver, &err), SL_EHTTP);
	assert_int_equal(err.http_status / 100, 4);
	/* An explicit id outside IMPORT mode is refused too. */
	rr.id = 8888;
	rr.version = 1;
	assert_int_equal(sl_srclient_register(c, "pfx-d", &rr, &id, &ver, &err), SL_EHTTP);
	assert_int_equal(err.http_status / 100, 4);
	sl_srclient_free(c);
}

/* ---- the registry's identity --------------------------------------------------------- */

/* Reading ahead over real libcurl (curl_multi), with basic auth: the answers are the server's
 * (so the credentials went with them), each request is made once, a kept answer stands for
 * the next GET of its path exactly once, a write drops those of its resource only, a failure
 * is not kept, and a kept "not found" reads as the live one does. */
static void test_read_ahead(void **state)
{
	struct srv *s = need(S_AUTH);
	struct sl_srclient *c = client_for_ex(s, false);
	struct sl_error err = SL_ERROR_INIT, live = SL_ERROR_INIT;
	struct sl_exporter x = SL_EXPORTER_INIT;
	const char *paths[] = {"/mode/%3A.ra1%3A?defaultToGlobal=false",
	        "/mode/%3A.ra2%3A?defaultToGlobal=false", "/exporters/nope", "/contexts",
	        "/mode/%3A.ra1x%3A?defaultToGlobal=false"};
	char many[60][64];
	const char *mp[60];
	char *v = NULL;
	long base;
	int i;

	(void)state;
	fresh(s);
	assert_true(sl_srclient_can_read_ahead(c));
	assert_int_equal(sl_srclient_mode_put(c, ":.ra1:", "IMPORT", false, &err), 0);
	assert_int_equal(sl_srclient_mode_put(c, ":.ra1x:", "READONLY", false, &err), 0);
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/contexts\",\"status\":503,\"count\":1}");
	base = requests(s).get;
	/* All five at once; four kept: two modes (one "not set", a 404), the missing exporter
	 * (404); the 503 not. */
	assert_int_equal(sl_srclient_read_ahead(c, paths, 5, 5, &err), 4);
	assert_int_equal(sl_srclient_ahead_count(c), 4);
	assert_int_equal(requests(s).get - base, 5);

	base = requests(s).get;
	assert_int_equal(sl_srclient_mode_get(c, ":.ra1:", &v, &err), 1);
	assert_string_equal(v, "IMPORT");
	free(v);
	v = NULL;
	assert_int_equal(sl_srclient_mode_get(c, ":.ra2:", &v, &err), 0);
	assert_null(v);
	assert_int_equal(err.code, 0);
	assert_int_equal(sl_srclient_exporter_get(c, "nope", &x, &err), SL_EHTTP);
	assert_int_equal(err.registry_code, 40450);
	assert_int_equal(requests(s).get - base, 0); /* all three were kept answers */
	/* Used once: the same reads are live now, and read the same. */
	assert_int_equal(sl_srclient_exporter_get(c, "nope", &x, &live), SL_EHTTP);
	assert_string_equal(live.msg, err.msg);
	assert_int_equal(live.http_status, err.http_status);
	assert_int_equal(sl_srclient_mode_get(c, ":.ra1:", &v, &err), 1);
	free(v);
	v = NULL;
	assert_int_equal(requests(s).get - base, 2);
	/* The 503 was not kept: asked live (and answered, the fault spent). */
	{
		struct sl_vec ctxs = SL_VEC_INIT;

		assert_int_equal(sl_srclient_contexts_list(c, &ctxs, &err), 0);
		sl_vec_release(&ctxs, free);
	}
	assert_int_equal(requests(s).get - base, 3);

	/* A write drops the kept answers of its own resource, not a neighbour's. */
	assert_int_equal(sl_srclient_read_ahead(c, paths, 1, 4, &err), 1);
	assert_int_equal(
	        sl_srclient_read_ahead(c, paths + 4, 1, 4, &err), 0); /* kept still: not asked */
	assert_int_equal(sl_srclient_ahead_count(c), 2);
	assert_int_equal(sl_srclient_mode_put(c, ":.ra1:", "READWRITE", false, &err), 0);
	assert_int_equal(sl_srclient_ahead_count(c), 1);
	assert_int_equal(sl_srclient_mode_get(c, ":.ra1:", &v, &err), 1);
	assert_string_equal(v, "READWRITE"); /* live, not the IMPORT read before the write */
	free(v);
	v = NULL;
	base = requests(s).get;
	assert_int_equal(sl_srclient_mode_get(c, ":.ra1x:", &v, &err), 1);
	assert_string_equal(v, "READONLY");
	free(v);
	v = NULL;
	assert_int_equal(requests(s).get - base, 0);
	sl_srclient_forget_ahead(c, NULL);
	assert_int_equal(sl_srclient_ahead_count(c), 0);

	/* Sixty side by side, ten at a time, on connections kept for the next call. */
	for (i = 0; i < 60; i++) {
		snprintf(many[i], sizeof(many[i]), "/mode/%%3A.m%02d%%3A?defaultToGlobal=false", i);
		mp[i] = many[i];
	}
	base = requests(s).get;
	assert_int_equal(sl_srclient_read_ahead(c, mp, 60, 10, &err), 60);
	assert_int_equal(
	        sl_srclient_read_ahead(c, mp, 60, 10, &err), 0); /* kept: not asked again */
	assert_int_equal(sl_srclient_ahead_count(c), 60);
	assert_int_equal(requests(s).get - base, 60);
	sl_srclient_forget_ahead(c, NULL);

	/* After a failure (or a 429/503) the rest of the batch is not asked: it is read when
	 * needed, with the retries. */
	fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/mode\",\"status\":503,\"count\":1}");
	base = requests(s).get;
	assert_int_equal(sl_srclient_read_ahead(c, mp, 5, 1, &err), 0);
	assert_int_equal(requests(s).get - base, 1);
	assert_int_equal(sl_srclient_ahead_count(c), 0);

	/* A kept error body is scrubbed of the credentials as a live one is. */
	{
		const char *leak = "/exporters/leak";

		fault(s, "{\"method\":\"GET\",\"pathPrefix\":\"/exporters/leak\",\"status\":404,"
		         "\"rawBody\":\"{\\\"error_code\\\":40450,\\\"message\\\":\\\"no "
		         "exporter for " CANARY_PW "\\\"}\",\"count\":1}");
		assert_int_equal(sl_srclient_read_ahead(c, &leak, 1, 1, &err), 1);
		assert_int_equal(sl_srclient_exporter_get(c, "leak", &x, &err), SL_EHTTP);
		assert_int_equal(err.registry_code, 40450);
		assert_non_null(strstr(err.msg, "[redacted]"));
		assert_no_secret(&err);
	}

	/* Creating an exporter makes what was read ahead of its name stale. */
	{
		const char *newx = "/exporters/ra-new";
		struct sl_exporter ne = SL_EXPORTER_INIT;

		assert_int_equal(sl_srclient_read_ahead(c, &newx, 1, 1, &err), 1); /* a 404 */
		ne.name = strdup("ra-new");
		ne.context_type = strdup("NONE");
		(void)sl_strmap_set(&ne.config, "schema.registry.url", strdup(s->url), NULL);
		(void)sl_srclient_exporter_create(c, &ne, &err);
		assert_int_equal(sl_srclient_ahead_count(c), 0);
		(void)sl_srclient_exporter_delete(c, "ra-new", &err);
		sl_exporter_release(&ne);
	}
	assert_int_equal(sl_srclient_mode_delete(c, ":.ra1:", &err), 1);
	assert_int_equal(sl_srclient_mode_delete(c, ":.ra1x:", &err), 1);
	sl_srclient_free(c);
}

/* With a budget, reading ahead takes only the tokens free now and leaves the rest to be read
 * when needed (waiting then, as every read does): it never waits with transfers running. */
static void test_read_ahead_budget(void **state)
{
	struct srv *s = need(S_PLAIN);
	struct sl_ratelimit_config rc = {0};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_srclient_config cfg = {0};
	struct sl_ratelimit *l;
	struct sl_srclient *c;
	const char *paths[] = {"/mode/%3A.b0%3A?defaultToGlobal=false",
	        "/mode/%3A.b1%3A?defaultToGlobal=false", "/mode/%3A.b2%3A?defaultToGlobal=false",
	        "/mode/%3A.b3%3A?defaultToGlobal=false"};
	long base;
	char *v = NULL;

	(void)state;
	fresh(s);
	rc.reads_per_s = 2; /* a burst of one token */
	l = sl_ratelimit_new(&rc, &err);
	assert_non_null(l);
	cfg.base_url = s->url;
	cfg.limit = l;
	c = client_ex(&cfg, false);
	base = requests(s).get;
	assert_int_equal(sl_srclient_read_ahead(c, paths, 4, 4, &err), 1);
	assert_int_equal(requests(s).get - base, 1);
	assert_int_equal(sl_srclient_mode_get(c, ":.b0:", &v, &err), 0); /* kept */
	assert_int_equal(requests(s).get - base, 1);
	sl_srclient_free(c);
	sl_ratelimit_free(l);
}

static void test_cluster_id(void **state)
{
	struct srv *plain = need(S_PLAIN), *named = need(S_IDENT), *tls = need(S_TLS);
	struct sl_srclient *c = client_for(named);
	struct sl_error err = SL_ERROR_INIT;
	char id[128], again[128], small[6];

	(void)state;
	/* --cluster-id: the pair "<kafka-cluster>/<schema-registry-cluster>". */
	fresh(named);
	assert_int_equal(sl_srclient_cluster_id(c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "live-ident_1/srlite");
	assert_int_equal(sl_srclient_cluster_id(c, small, sizeof(small), &err), 1);
	assert_string_equal(small, "live-");
	expect_requests(named, 2, 0);
	/* A 503 run is retried like any GET, then answered. */
	fault(named, "{\"pathPrefix\":\"/v1/metadata\",\"status\":503,\"count\":2}");
	reset_counts();
	assert_int_equal(sl_srclient_cluster_id(c, id, sizeof(id), &err), 1);
	assert_string_equal(id, "live-ident_1/srlite");
	expect_sleeps(2, 250L, 500L);
	/* A registry without the route (a fault standing in for an older one): 0, no error. */
	fault(named, "{\"pathPrefix\":\"/v1/metadata\",\"status\":404,\"count\":1}");
	assert_int_equal(sl_srclient_cluster_id(c, id, sizeof(id), &err), 0);
	assert_string_equal(id, "");
	assert_int_equal(err.code, 0);
	sl_srclient_free(c);

	/* Without the flag: a random 22-character id, the same on every call; HTTPS too. */
	c = client_for(plain);
	assert_int_equal(sl_srclient_cluster_id(c, id, sizeof(id), &err), 1);
	assert_int_equal(strlen(id), 22 + strlen("/srlite"));
	assert_string_equal(id + 22, "/srlite");
	assert_int_equal(sl_srclient_cluster_id(c, again, sizeof(again), &err), 1);
	assert_string_equal(again, id);
	sl_srclient_free(c);
	c = client_for(tls);
	assert_int_equal(sl_srclient_cluster_id(c, again, sizeof(again), &err), 1);
	assert_string_not_equal(again, id);
	sl_srclient_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic_auth),
	        cmocka_unit_test(test_https),
	        cmocka_unit_test(test_retry_503_runs),
	        cmocka_unit_test(test_retry_after),
	        cmocka_unit_test(test_not_retried),
	        cmocka_unit_test(test_bad_bodies),
	        cmocka_unit_test(test_body_cap),
	        cmocka_unit_test(test_stall_timeout),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_exporters_round_trip),
	        cmocka_unit_test(test_modes_and_config),
	        cmocka_unit_test(test_contexts_subjects_import),
	        cmocka_unit_test(test_cluster_id),
	        cmocka_unit_test(test_read_ahead),
	        cmocka_unit_test(test_read_ahead_budget),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
