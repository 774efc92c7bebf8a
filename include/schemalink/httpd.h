/*
 * httpd.h — a small HTTP(S) server over libmicrohttpd: routing input, JSON replies, limits.
 *
 * Owns: struct sl_httpd (a running server), the request view handed to the one handler
 * callback, the response builder, and struct sl_httpd_auth (basic-auth credentials).
 * Depends on base (error, buf) and libmicrohttpd only; nothing here knows about registries.
 * Library code: it never logs. Startup failures are reported through struct sl_error; runtime
 * messages from libmicrohttpd reach the caller only through sl_httpd_config.on_message.
 *
 * Wire conventions (docs/internals/registry.md §0): the path is split on '/' before percent-decoding, so
 * "%2F" stays inside a segment while "%3A" becomes ':'; a trailing slash is ignored; errors are
 * {"error_code":N,"message":"..."} as application/vnd.schemaregistry.v1+json.
 */
#ifndef SCHEMALINK_HTTPD_H
#define SCHEMALINK_HTTPD_H

#include <stddef.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

#define SL_HTTPD_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"
#define SL_HTTPD_DEFAULT_LISTEN "127.0.0.1:0"
#define SL_HTTPD_DEFAULT_MAX_BODY ((size_t)16 * 1024 * 1024)
#define SL_HTTPD_DEFAULT_MAX_CONNECTIONS 512
#define SL_HTTPD_DEFAULT_IDLE_TIMEOUT_S 60
/* Bytes of a chunked body read and thrown away after it outgrew max_body, so the client can
 * still get a clean 413; past this the connection is closed without an answer. */
#define SL_HTTPD_DRAIN_MAX ((size_t)1024 * 1024)

struct sl_httpd;
struct sl_httpd_auth;

/* The view of one request, valid only during the handler call. All strings are
 * NUL-terminated and borrowed from the server. */
struct sl_httpd_request {
	const char *method; /* as sent, e.g. "GET" */
	const char *path; /* percent-decoded; trailing '/' removed except for "/" itself */
	const char *const *segments; /* decoded path segments; "/" has none */
	size_t nsegments;
	const char *body; /* request body plus a terminating NUL ("" when none) */
	size_t body_len; /* bytes of body, excluding the NUL; the body may contain NULs */
	const char *remote_addr; /* numeric peer address ("127.0.0.1", "::1"), or "" */
	const char *user; /* the authenticated basic-auth user, or NULL without auth */
};

/* Builds the answer to one request. Opaque; filled through the functions below. A handler
 * that sets nothing produces a 500 error. */
struct sl_httpd_response;

/* Handles one request: fills resp and returns 0, or returns a negative code to have the
 * client answered 500 {"error_code":500,"message":"Internal Server Error"} (details are never
 * sent). With SL_HTTPD_THREAD_PER_CONNECTION it is called concurrently from many threads
 * and may block (e.g. on fsync). */
typedef int (*sl_httpd_handler)(
        void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp);

enum sl_httpd_threading {
	/* One thread per connection: handlers may block; the one srlite uses. */
	SL_HTTPD_THREAD_PER_CONNECTION = 0,
	/* One internal polling thread for everything: handlers must return quickly. */
	SL_HTTPD_SINGLE_THREAD = 1,
};

struct sl_httpd_config {
	const char *listen; /* "host:port", "[v6]:port"; NULL = SL_HTTPD_DEFAULT_LISTEN.
	                       host is a numeric address or "localhost"; port 0 picks a free one */
	size_t max_body; /* request body bound in bytes; 0 = SL_HTTPD_DEFAULT_MAX_BODY */
	unsigned max_connections; /* 0 = SL_HTTPD_DEFAULT_MAX_CONNECTIONS */
	unsigned idle_timeout_s; /* idle connection timeout; 0 = SL_HTTPD_DEFAULT_IDLE_TIMEOUT_S */
	enum sl_httpd_threading threading;
	const char *tls_cert_file; /* PEM certificate chain; with tls_key_file enables HTTPS */
	const char *tls_key_file; /* PEM private key (unencrypted) */
	/* Borrowed; when non-NULL every request must carry matching basic-auth credentials or
	 * is answered 401. Must outlive the server. */
	const struct sl_httpd_auth *auth;
	const char *auth_realm; /* realm in WWW-Authenticate; NULL = "schemalink" */
	sl_httpd_handler handler; /* required */
	void *handler_cls;
	/* Optional: receives libmicrohttpd's runtime diagnostics (from any thread). */
	void (*on_message)(void *cls, const char *msg);
	void *on_message_cls;
};

#define SL_HTTPD_CONFIG_INIT \
	{ \
		0 \
	}

/* Starts serving cfg (borrowed; strings are copied, auth is borrowed). Returns the owned
 * server, or NULL with err set (address syntax, bind failure, unreadable TLS files, TLS not
 * supported by this libmicrohttpd, ...). */
struct sl_httpd *sl_httpd_start(const struct sl_httpd_config *cfg, struct sl_error *err);

/* Stops accepting, waits for in-flight handlers to return, closes every connection and frees
 * srv. NULL is a no-op. */
void sl_httpd_stop(struct sl_httpd *srv);

/* The TCP port the server listens on (the one picked when the config said port 0). */
unsigned sl_httpd_port(const struct sl_httpd *srv);

/* The value of query parameter name, percent-decoded ('+' is a space). NULL when absent,
 * "" when present without a value ("?a" or "?a="). The first occurrence wins. Borrowed. */
const char *sl_httpd_query(const struct sl_httpd_request *req, const char *name);

/* The name of the first query parameter of req that is not one of names[0..n), or NULL when
 * each is one of them: for answering 400 to a parameter the handler does not take. Borrowed. */
const char *sl_httpd_query_unknown(
        const struct sl_httpd_request *req, const char *const *names, size_t n);

/* The value of request header name (case-insensitive), or NULL. Borrowed. */
const char *sl_httpd_header(const struct sl_httpd_request *req, const char *name);

/* Matches req against method (NULL = any) and pattern, a path whose '*' segments match any
 * one segment, e.g. "/subjects/ * /versions" without the spaces. Returns 1 on a match and
 * stores the segments matched by '*', in order, in caps[0..ncaps) (borrowed); returns 0
 * otherwise. Matching the path with method NULL first tells 405 from 404. */
int sl_httpd_route(const struct sl_httpd_request *req, const char *method, const char *pattern,
        const char **caps, size_t ncaps);

/* Sets status, content type (NULL = SL_HTTPD_CONTENT_TYPE) and a copy of body[0..len).
 * Replaces any body set before. Returns 0 or SL_ENOMEM / SL_EINVAL (bad status). */
int sl_httpd_reply(struct sl_httpd_response *resp, int status, const char *content_type,
        const void *body, size_t len);

/* Like sl_httpd_reply, taking ownership of body (a sl_buf's contents; body is left empty). */
int sl_httpd_reply_buf(
        struct sl_httpd_response *resp, int status, const char *content_type, struct sl_buf *body);

/* Replies status with json_text (borrowed, copied) as SL_HTTPD_CONTENT_TYPE. */
int sl_httpd_reply_json(struct sl_httpd_response *resp, int status, const char *json_text);

/* Replies http_status with {"error_code":error_code,"message":"<message, JSON-escaped>"}. */
int sl_httpd_reply_error(
        struct sl_httpd_response *resp, int http_status, int error_code, const char *message);

/* Adds a response header (both strings copied). Content-Type and Content-Length are set by
 * the reply functions. Returns SL_EINVAL for an empty name or CR/LF/NUL/':' where they would
 * split the header, SL_ENOMEM. */
int sl_httpd_response_header(struct sl_httpd_response *resp, const char *name, const char *value);

/* Returns an owned, empty credential set, or NULL when out of memory. */
struct sl_httpd_auth *sl_httpd_auth_new(void);

/* Adds user with password (copied). user must be non-empty without ':'; password non-empty.
 * Returns 0, SL_EINVAL or SL_ENOMEM. */
int sl_httpd_auth_add(
        struct sl_httpd_auth *auth, const char *user, const char *password, struct sl_error *err);

/* Loads a passwords file: one "user:password" per line (the password may contain ':');
 * blank lines and lines starting with '#' are skipped; a trailing CR is ignored. Returns an
 * owned set, or NULL with err naming the file and line (never its contents). */
struct sl_httpd_auth *sl_httpd_auth_load(const char *path, struct sl_error *err);

/* Number of users in auth (0 for NULL). */
size_t sl_httpd_auth_count(const struct sl_httpd_auth *auth);

/* Returns 1 when user/password match an entry, else 0. Compares in time independent of where
 * the strings differ and of which entry matched. */
int sl_httpd_auth_check(const struct sl_httpd_auth *auth, const char *user, const char *password);

/* Wipes the passwords and frees auth. NULL is a no-op. */
void sl_httpd_auth_free(struct sl_httpd_auth *auth);

#endif
