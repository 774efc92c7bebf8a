/*
 * faults.h — srlite's test endpoints (--enable-fault-injection; docs/internals/registry.md §8).
 *
 * Owns: struct sl_faults, the fault rules and the request counters, and the /_srlite
 * endpoints that manage them:
 *   POST   /_srlite/faults    add a rule {method, pathPrefix, status, errorCode, message,
 *                             rawBody, contentType, headers, delayMs, count}; answers the rule
 *                             with its id
 *   GET    /_srlite/faults    the rules still active
 *   DELETE /_srlite/faults    clears every rule
 *   GET    /_srlite/requests  {"GET":n,"POST":n,"PUT":n,"DELETE":n,"total":n,"limited":n}:
 *                             registry requests by method, all of them, and of those the
 *                             ones --rate-limit refused (sl_faults_count_limited)
 *   DELETE /_srlite/requests  resets the counters (answers the zeroed counters)
 * A rule matches a registry request (any path but /_srlite) when its method (any when
 * absent, case-insensitive) and pathPrefix (the decoded path; any when absent) match; the
 * first `count` matching requests (every one when count is absent) get it, earliest rule
 * first. delayMs delays the answer (only that connection's thread sleeps). A rule with
 * status, errorCode or rawBody answers instead of the registry: status (default: the
 * errorCode's family, e.g. 50301 -> 503, else 200 with rawBody, else 500) with rawBody as the
 * body when given (contentType, default the registry's JSON type), else
 * {"error_code": errorCode or status, "message": message or the status' reason}. headers, an
 * object of at most SL_FAULTS_MAX_HEADERS names to string values (not Content-Type or
 * Content-Length, no CR/LF), adds those response headers to such an answer, e.g.
 * {"status":429,"headers":{"Retry-After":"2"}}. A rule with only delayMs delays the real
 * answer (headers are then ignored).
 * Depends on httpd, base and jansson. Never logs. Thread-safe.
 */
#ifndef SCHEMALINK_FAULTS_H
#define SCHEMALINK_FAULTS_H

#include <stdbool.h>

#include "schemalink/httpd.h"

#define SL_FAULTS_MAX_RULES 1000
#define SL_FAULTS_MAX_DELAY_MS 600000
#define SL_FAULTS_MAX_HEADERS 16

struct sl_faults;

/* Returns an owned empty rule set with zeroed counters, or NULL when out of memory. */
struct sl_faults *sl_faults_new(void);
void sl_faults_free(struct sl_faults *f);

/* Answers a /_srlite request (seg/n: the path segments, seg[0] == "_srlite"). */
int sl_faults_handle(struct sl_faults *f, const struct sl_httpd_request *req,
        const char *const *seg, size_t n, struct sl_httpd_response *resp);

/* Counts req (a registry route) and applies the first matching rule: sleeps its delay and,
 * when it answers, fills resp and returns true. False: handle the request normally. */
bool sl_faults_apply(
        struct sl_faults *f, const struct sl_httpd_request *req, struct sl_httpd_response *resp);

/* Counts req (a registry route) as sl_faults_apply does, and as one that srlite's rate limit
 * refused; applies no rule. */
void sl_faults_count_limited(struct sl_faults *f, const struct sl_httpd_request *req);

#endif
