/*
 * lint_int.h — internal to pkg/manifest: the parts of sl_manifest_lint (lint.c).
 *
 * Owns the selectors a link's subjects filter is turned into and the checks across objects,
 * one pair (or one object) at a time. Each check reports nothing for a pair it does not apply
 * to, so calling it on more pairs than needed changes nothing: sl_manifest_lint calls them on
 * the few pairs an index finds, in the order of the all-pairs loops, and
 * tests/unit/test_lint.c calls them on every pair (the loops lint.c once ran) and compares the
 * two lists of diagnostics. These checks are the one definition of what is reported. Depends
 * on model and base; never logs; not thread-safe per struct sl_lint.
 */
#ifndef SL_MANIFEST_LINT_INT_H
#define SL_MANIFEST_LINT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/manifest.h"

enum ctx_kind {
	CTX_EXACT, /* one context */
	CTX_FAMILY, /* ctx and every context below it (".a", ".a.b", ...) */
	CTX_ALL, /* every context */
};

struct sel {
	enum ctx_kind kind;
	char *ctx; /* EXACT / FAMILY: normalized context */
	bool subj_any;
	char *subj; /* exact subject name (unqualified), after renaming for writes */
};

struct linfo {
	const struct sl_object *o;
	const struct sl_object *src, *dst; /* declared registries, or NULL */
	struct sel *reads, *writes; /* one per subjects entry */
	size_t n;
	bool ok; /* selectors could be computed */
};

/* One lint pass over a snapshot. */
struct sl_lint {
	const struct sl_object **objs; /* every object, sorted by kind, then name */
	size_t n;
	struct linfo *links; /* the SchemaLinks, in objs order */
	size_t nl;
};

/* Fills t from s (borrowed; t borrows it) and reports the references to undeclared
 * Registries. Returns 0 or SL_ENOMEM; call sl_lint_end either way. */
int sl_lint_begin(struct sl_lint *t, const struct sl_snapshot *s, struct sl_diags *d);
void sl_lint_end(struct sl_lint *t);

/* The checks of one object at a time: each link's own (same Registry twice, AUTO without
 * clusterId), then the scopes two objects manage. */
void sl_lint_each(const struct sl_lint *t, struct sl_diags *d, int *rc);

/* A Registry URL compared without case in scheme and host and without trailing slashes:
 * returns it owned, or NULL when out of memory. */
char *sl_lint_url_key(const char *u);
/* Registry o has the same URL key as first, the first Registry (in objs order) with it. */
void sl_lint_same_url(
        const struct sl_object *o, const struct sl_object *first, struct sl_diags *d, int *rc);

/* Pair checks, in the order sl_manifest_lint runs them; each adds at most one diagnostic and
 * sets *rc to SL_ENOMEM when one cannot be added:
 *  - b (after a) writes subjects that a writes into the same destination context;
 *  - li has destinationMode Import into a scope that object o sets to another mode;
 *  - a (any link, b too) can read what b writes into a's source under a non-default context;
 *  - NONE links a (before b) and b in opposite directions with overlapping subjects. */
void sl_lint_overlapping_writes(
        const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc);
void sl_lint_import_conflict(
        const struct linfo *li, const struct sl_object *o, struct sl_diags *d, int *rc);
void sl_lint_loop(const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc);
void sl_lint_none_pair(const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc);

#endif
