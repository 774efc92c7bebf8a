/*
 * metrics.h — a small metrics registry rendered in the Prometheus text format 0.0.4.
 *
 * Owns: metric families (counter, gauge, histogram with "le" buckets), their labelled series,
 * and the text exposition (HELP/TYPE lines, escaped label values, cumulative buckets, _sum and
 * _count). Depends on base (buf, error, strmap, vec). Thread-safe: every call takes one lock,
 * so workers count while the HTTP thread renders. Label values are the caller's data and are
 * escaped on output; names are checked against the Prometheus grammar when declared.
 */
#ifndef SCHEMALINK_METRICS_H
#define SCHEMALINK_METRICS_H

#include <stddef.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

enum sl_metric_type {
	SL_METRIC_COUNTER,
	SL_METRIC_GAUGE,
	SL_METRIC_HISTOGRAM,
};

/* Bounds on what one registry holds (docs/internals/style.md rule 7). */
#define SL_METRICS_MAX_FAMILIES 64
#define SL_METRICS_MAX_LABELS 4
#define SL_METRICS_MAX_BUCKETS 24
#define SL_METRICS_MAX_SERIES 100000 /* per family */

struct sl_metrics;

/* Returns an owned, empty registry, or NULL when out of memory. */
struct sl_metrics *sl_metrics_new(void);
/* NULL-safe. */
void sl_metrics_free(struct sl_metrics *m);

/* Declares family name (borrowed strings are copied) with nlabels label names and, for a
 * histogram, nbuckets strictly increasing upper bounds (+Inf is implicit). Families render
 * in the order declared. Returns 0, SL_EINVAL (bad name, duplicate, bad buckets), SL_ELIMIT
 * or SL_ENOMEM. A family without labels has its one series from the start (value 0). */
int sl_metrics_declare(struct sl_metrics *m, const char *name, enum sl_metric_type type,
        const char *help, const char *const *label_names, size_t nlabels, const double *buckets,
        size_t nbuckets, struct sl_error *err);

/* Adds v (>= 0 for counters) to the series of family name with the given label values (as
 * many as declared; NULL when none). Creates the series at 0 first. Returns 0, SL_ENOENT
 * (unknown family), SL_EINVAL (wrong type, negative counter increment), SL_ELIMIT, SL_ENOMEM. */
int sl_metrics_add(struct sl_metrics *m, const char *name, const char *const *values, double v);
/* Sets a gauge series to v. */
int sl_metrics_set(struct sl_metrics *m, const char *name, const char *const *values, double v);
/* Records one observation v in a histogram series. */
int sl_metrics_observe(struct sl_metrics *m, const char *name, const char *const *values, double v);
/* Removes one series (e.g. of a link that was deleted). Missing series are fine. */
void sl_metrics_remove(struct sl_metrics *m, const char *name, const char *const *values);
/* Removes every series of family name whose first label value equals first (e.g. all states
 * of one link). */
void sl_metrics_remove_prefix(struct sl_metrics *m, const char *name, const char *first);

/* Value of a counter or gauge series, or of a histogram's count; 0 when absent. For tests and
 * the daemon's own decisions. */
double sl_metrics_value(struct sl_metrics *m, const char *name, const char *const *values);

/* Appends the whole registry in text format 0.0.4 to out: families in the order declared,
 * the series of each sorted by their labels. Returns 0 or SL_ENOMEM. */
int sl_metrics_render(struct sl_metrics *m, struct sl_buf *out);

/* Appends s to out escaped as a label value ('\\', '"' and newline). Returns 0 or SL_ENOMEM. */
int sl_metrics_escape_label(struct sl_buf *out, const char *s);

#endif
