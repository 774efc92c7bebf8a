/*
 * exporter.h — srlite's Schema Linking exporters (docs/internals/registry.md §2.1, §3, §6, §8).
 *
 * Owns: struct sl_exporters, the set of exporters of one registry: their definitions, state
 * (STARTING, RUNNING, PAUSED), status (offset, ts, trace), the /exporters REST endpoints, the
 * journal records that make all of it durable, and the export engine that copies schemas to
 * each exporter's destination registry.
 *
 * Engine: one worker thread per exporter, for the exporter's lifetime (idle on a condition
 * variable while PAUSED or caught up), plus one dispatcher thread that waits on the store's
 * change log and wakes the workers. A thread per exporter keeps each exporter's blocking
 * libcurl handle, retry window and backoff independent: a destination that stalls for 30 s
 * delays nobody else, which a small shared pool cannot promise without re-implementing
 * per-exporter scheduling. Workers talk to destinations only through pkg/srclient.
 *
 * Depends on store (change log, versions, journal), model (qsubject), srclient, httpd
 * (request and response types), base and jansson. Never logs: exporter configs carry
 * destination credentials, and status traces are the only place failures are reported.
 * Thread-safe: one mutex guards the set; HTTP calls and fsyncs run without it.
 */
#ifndef SCHEMALINK_EXPORTER_H
#define SCHEMALINK_EXPORTER_H

#include <stddef.h>

#include "schemalink/error.h"
#include "schemalink/httpd.h"
#include "schemalink/qsubject.h"
#include "schemalink/store.h"

/* §8: at most this many exporters per registry (else 40964) unless sl_exporters_set_max
 * says otherwise (srlite --max-exporters). Each exporter has a worker thread, so the bound
 * is what keeps a client from creating threads without end. */
#define SL_EXPORTERS_DEFAULT_MAX 10000
/* The largest limit sl_exporters_set_max accepts. */
#define SL_EXPORTERS_LIMIT_MAX 1000000
/* §8: transient destination failures are retried for this long before the exporter pauses. */
#define SL_EXPORT_RETRY_WINDOW_MS 30000
/* Change-log entries one worker reads, exports and then journals its offset for. */
#define SL_EXPORT_BATCH 256

struct sl_exporters;

/* Returns an owned, empty, not yet started set exporting from store (borrowed; must outlive
 * the set) with "*" filters read under wildcard. NULL when out of memory. */
struct sl_exporters *sl_exporters_new(struct sl_store *store, enum sl_wildcard_scope wildcard);

/* Sets how many exporters x may hold (1-SL_EXPORTERS_LIMIT_MAX); a create beyond it fails
 * with 40964. Exporters replayed from the journal are kept even when there are more, so a
 * lower limit never loses data: it only stops new ones. Returns 0 or SL_EINVAL. */
int sl_exporters_set_max(struct sl_exporters *x, size_t max, struct sl_error *err);

/* Applies one journal record during replay, before sl_exporters_start. Returns 0, SL_EUNSUP
 * when the record is not an exporter record, or SL_EINVAL when it is malformed. Borrows rec. */
int sl_exporters_replay(struct sl_exporters *x, const char *rec, size_t len, struct sl_error *err);

/* Starts the engine: AUTO contexts are named "." + cluster_id (copied); every exporter that
 * is not PAUSED starts from its offset. Exporters created before this call wait for it.
 * Returns 0, or SL_EIO when a thread cannot be started. */
int sl_exporters_start(struct sl_exporters *x, const char *cluster_id, struct sl_error *err);

/* Stops every worker (in-flight destination calls are cancelled), wakes the store's
 * change-log waiters for good (sl_store_changes_wake) and frees x. NULL is a no-op. */
void sl_exporters_free(struct sl_exporters *x);

/* Answers a request whose first path segment is "exporters" (seg/n are the path segments,
 * borrowed, seg[0] included). Always fills resp; returns 0, or a negative code for a 500. */
int sl_exporters_handle(struct sl_exporters *x, const struct sl_httpd_request *req,
        const char *const *seg, size_t n, struct sl_httpd_response *resp);

#endif
