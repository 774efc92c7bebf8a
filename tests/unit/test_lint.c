/* test_lint.c — the checks across objects (pkg/manifest/lint.c): sl_manifest_lint, which tries
 * only the pairs its index finds, against the all-pairs loops it replaced, on thousands of
 * random manifest sets and a few larger realistic ones. Both run the same pair checks
 * (lint_int.h), so a difference is a pair the index missed or tried out of order; the
 * diagnostics must match exactly: order, severity, position, path and text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/manifest.h"
#include "../../pkg/manifest/lint_int.h"
#include "../../pkg/manifest/ytree.h"

/* ---- the oracle: every pair, in the order lint.c's loops once visited them ---------------- */

static int lint_all_pairs(const struct sl_snapshot *s, struct sl_diags *d)
{
	struct sl_lint t;
	size_t i, j;
	int rc = sl_lint_begin(&t, s, d);

	if (rc < 0)
		goto out;
	/* Registries: one URL, two names (the first with that URL is named). */
	for (i = 0; i < t.n; i++) {
		char *ki;

		if (t.objs[i]->kind != SL_KIND_REGISTRY || t.objs[i]->registry.url == NULL)
			continue;
		ki = sl_lint_url_key(t.objs[i]->registry.url);
		assert_non_null(ki);
		for (j = 0; j < i; j++) {
			char *kj;
			bool same;

			if (t.objs[j]->kind != SL_KIND_REGISTRY || t.objs[j]->registry.url == NULL)
				continue;
			kj = sl_lint_url_key(t.objs[j]->registry.url);
			assert_non_null(kj);
			same = strcmp(ki, kj) == 0;
			free(kj);
			if (same) {
				sl_lint_same_url(t.objs[i], t.objs[j], d, &rc);
				break;
			}
		}
		free(ki);
	}
	sl_lint_each(&t, d, &rc);
	for (i = 0; i < t.nl; i++) {
		for (j = 0; j < i; j++)
			sl_lint_overlapping_writes(&t.links[j], &t.links[i], d, &rc);
		for (j = 0; j < t.n; j++)
			sl_lint_import_conflict(&t.links[i], t.objs[j], d, &rc);
	}
	for (i = 0; i < t.nl; i++)
		for (j = 0; j < t.nl; j++)
			sl_lint_loop(&t.links[i], &t.links[j], d, &rc);
	for (i = 0; i < t.nl; i++)
		for (j = 0; j < i; j++)
			sl_lint_none_pair(&t.links[j], &t.links[i], d, &rc);
out:
	sl_lint_end(&t);
	return rc;
}

/* ---- manifest sets ----------------------------------------------------------------------- */

static uint64_t rng;

static uint64_t next(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return (size_t)(next() % n);
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

#define PICK(a) (a[below(sizeof(a) / sizeof(a[0]))])

static const char *const reg_names[] = {"a", "b", "c", "d"};
static const char *const urls[] = {"http://h1:8081", "HTTP://H1:8081/", "http://h2:8081",
        "http://H2:8081//", "https://h3", "http://h1:8081/x", "https://h3/"};
static const char *const cluster_ids[] = {"a", "ctx", "k1"};
static const char *const entries[] = {"*", ":*:", "s1", "s2", "p-s1", "s1-s", ":.:s1", ":.:*",
        ":.ctx:*", ":.ctx:s1", ":.ctx:s2", ":.a:*", ":.a:s1", ":.a.b:*", ":.a.b:s2", ":.ctx.a:s1",
        ":.b:*", ":.k1:s1", ":.x.ctx:*", ":.a:p-s1-s", ":.ctx:", ":*:s1"};
static const char *const contexts[] = {"{type: NONE}", "{type: AUTO}", "{type: CUSTOM}",
        "{type: CUSTOM, name: a}", "{type: CUSTOM, name: b}", "{type: CUSTOM, name: ctx}",
        "{type: CUSTOM, name: a.b}", "{type: CUSTOM, name: k1}", "{type: CUSTOM, name: x}"};
static const char *const renames[] = {"${subject}", "p-${subject}", "${subject}-s",
        "p-${subject}-s", "${subject}${subject}", "nope"};
static const char *const modes[] = {"READWRITE", "READONLY", "IMPORT", "INHERIT"};
static const char *const compats[] = {"BACKWARD", "NONE", "INHERIT"};
static const char *const scope_ctxs[] = {
        ".", ".ctx", ".a", ".a.b", ".b", ".k1", ".a.ctx", ".ctx.a", ".x.ctx", "ctx"};
static const char *const scope_subjects[] = {"s1", ":.:s2", ":.ctx:s1", ":.a:s1", ":.a.b:s2",
        ":.b:p-s1", ":.k1:s1", ":.ctx.a:s1", ":.ctx:p-s1-s", ":.a:p-s1-s"};

#define DOC "---\napiVersion: schemalink.io/v1alpha1\n"

/* Per set: how many of reg_names links and scopes name, and whether links are mostly NONE
 * (pairs both ways are rare otherwise). */
static size_t regs_named;
static bool mostly_none;

/* Registry names, mostly declared ones, now and then an undeclared one. */
static const char *some_registry(void)
{
	return chance(5) ? "zz" : reg_names[below(regs_named)];
}

static void gen_registry(struct sl_buf *b, size_t i)
{
	sl_buf_addf(b, DOC "kind: Registry\nmetadata: {name: %s}\nspec:\n  url: \"%s\"\n",
	        i < 4 ? reg_names[i] : PICK(reg_names), PICK(urls));
	if (chance(50))
		sl_buf_addf(b, "  clusterId: %s\n", PICK(cluster_ids));
	if (chance(25))
		sl_buf_addf(b, "  mode: %s\n", PICK(modes));
}

static void gen_link(struct sl_buf *b, size_t n)
{
	size_t k, ne = 1 + below(chance(20) ? 4 : 2);

	sl_buf_addf(b, DOC "kind: SchemaLink\nmetadata: {name: l%zu}\nspec:\n", below(n + 2));
	if (chance(97))
		sl_buf_addf(b, "  source: %s\n", some_registry());
	if (chance(97))
		sl_buf_addf(b, "  destination: %s\n", some_registry());
	if (chance(85)) {
		sl_buf_adds(b, "  subjects:\n");
		for (k = 0; k < ne; k++)
			sl_buf_addf(b, "  - \"%s\"\n", PICK(entries));
	}
	if (mostly_none && chance(80))
		sl_buf_adds(b, "  context: {type: NONE}\n");
	else if (chance(60))
		sl_buf_addf(b, "  context: %s\n", PICK(contexts));
	if (chance(30))
		sl_buf_addf(b, "  subjectRenameFormat: \"%s\"\n", PICK(renames));
	if (chance(40))
		sl_buf_addf(b, "  destinationMode: %s\n", chance(70) ? "Import" : "Unmanaged");
}

static void gen_scope(struct sl_buf *b, size_t i)
{
	bool subject = chance(50);

	sl_buf_addf(b, DOC "kind: %s\nmetadata: {name: x%zu}\nspec:\n  registry: %s\n",
	        subject ? "Subject" : "Context", i, some_registry());
	if (subject)
		sl_buf_addf(b, "  subject: \"%s\"\n", PICK(scope_subjects));
	else
		sl_buf_addf(b, "  context: \"%s\"\n", PICK(scope_ctxs));
	if (chance(85))
		sl_buf_addf(b, "  mode: %s\n", PICK(modes));
	if (chance(20))
		sl_buf_addf(b, "  compatibility: %s\n", PICK(compats));
}

/* Decodes text as file name into s; per-object problems go to junk. */
static void decode(
        struct sl_snapshot *s, const char *name, const struct sl_buf *text, struct sl_diags *junk)
{
	struct ystream *ys = sl_ystream_new(name, (const unsigned char *)text->data, text->len);
	struct ydoc *doc = NULL;

	assert_non_null(ys);
	while (sl_ystream_next(ys, &doc, junk) == 0 && doc != NULL) {
		struct sl_object *o = NULL;
		size_t errors = 0;

		if (doc->root != NULL)
			assert_int_equal(
			        sl_decode_object(doc, name, "/base", junk, &o, &errors), 0);
		if (o != NULL && sl_snapshot_add(s, o, NULL) < 0)
			sl_object_free(o); /* declared twice */
		sl_ydoc_free(doc);
	}
	sl_ystream_free(ys);
}

static void print_diags(const char *title, const struct sl_diags *d)
{
	struct sl_buf line = SL_BUF_INIT;
	size_t i;

	fprintf(stderr, "%s: %zu errors, %zu warnings, %zu dropped\n", title, d->errors,
	        d->warnings, d->dropped);
	for (i = 0; i < d->items.len; i++) {
		sl_buf_reset(&line);
		sl_diag_format(d->items.items[i], &line);
		fprintf(stderr, "  %s [%s]\n", line.data,
		        ((const struct sl_diag *)d->items.items[i])->severity == SL_DIAG_ERROR
		                ? "error"
		                : "warning");
	}
	sl_buf_release(&line);
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool diags_equal(const struct sl_diags *x, const struct sl_diags *y)
{
	size_t i;

	if (x->errors != y->errors || x->warnings != y->warnings || x->dropped != y->dropped ||
	        x->items.len != y->items.len)
		return false;
	for (i = 0; i < x->items.len; i++) {
		const struct sl_diag *a = x->items.items[i], *b = y->items.items[i];

		if (a->severity != b->severity || a->line != b->line || a->col != b->col ||
		        !same_str(a->file, b->file) || !same_str(a->path, b->path) ||
		        !same_str(a->msg, b->msg))
			return false;
	}
	return true;
}

/* What the random sets must reach, so the comparison cannot pass on sets that trigger nothing. */
static const char *const kinds[] = {"is not declared", "same URL as",
        "same Registry as spec.source", "AUTO needs", "is also managed by",
        "with subjects that overlap", "destinationMode Import needs", "replication loop risk",
        "NONE links in both directions"};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void count_kinds(const struct sl_diags *d, size_t *seen)
{
	size_t i, k;

	for (i = 0; i < d->items.len; i++)
		for (k = 0; k < NKINDS; k++)
			if (strstr(((const struct sl_diag *)d->items.items[i])->msg, kinds[k]))
				seen[k]++;
}

/* Lints the set in files[0..nfiles) both ways and fails on any difference. */
static void compare(
        const char *what, uint64_t seed, struct sl_buf *files, size_t nfiles, size_t *seen)
{
	static const char *const names[] = {"a.yaml", "b.yaml"};
	struct sl_snapshot *s = sl_snapshot_new();
	struct sl_diags junk, fast, slow;
	size_t f;
	int rf, rs;

	assert_non_null(s);
	sl_diags_init(&junk);
	sl_diags_init(&fast);
	sl_diags_init(&slow);
	for (f = 0; f < nfiles; f++)
		decode(s, names[f], &files[f], &junk);
	rf = sl_manifest_lint(s, &fast);
	rs = lint_all_pairs(s, &slow);
	if (rf != rs || !diags_equal(&fast, &slow)) {
		fprintf(stderr, "%s (seed %llu): sl_manifest_lint differs from all pairs\n", what,
		        (unsigned long long)seed);
		for (f = 0; f < nfiles; f++)
			fprintf(stderr, "--- %s\n%s", names[f], files[f].data);
		print_diags("sl_manifest_lint", &fast);
		print_diags("all pairs", &slow);
		fail();
	}
	if (seen != NULL)
		count_kinds(&slow, seen);
	sl_diags_release(&junk);
	sl_diags_release(&fast);
	sl_diags_release(&slow);
	sl_snapshot_free(s);
}

static void gen_set(struct sl_buf *files, size_t nfiles)
{
	size_t nr = 1 + below(4), nl = below(chance(3) ? 40 : 9), ns = below(5), i;

	regs_named = 2 + below(3);
	mostly_none = chance(25);

	for (i = 0; i < nr; i++)
		gen_registry(&files[below(nfiles)], i);
	for (i = 0; i < nl; i++)
		gen_link(&files[below(nfiles)], nl);
	for (i = 0; i < ns; i++)
		gen_scope(&files[below(nfiles)], i);
}

#define CASES 4000

static void random_sets_match_all_pairs(void **state)
{
	size_t seen[NKINDS] = {0}, c, k;
	(void)state;

	for (c = 0; c < CASES; c++) {
		struct sl_buf files[2] = {SL_BUF_INIT, SL_BUF_INIT};
		uint64_t seed = 0x5eed0000u + c;

		rng = seed;
		sl_buf_adds(&files[0], "");
		sl_buf_adds(&files[1], "");
		gen_set(files, 1 + below(2));
		compare("random set", seed, files, 2, seen);
		sl_buf_release(&files[0]);
		sl_buf_release(&files[1]);
	}
	for (k = 0; k < NKINDS; k++) {
		if (getenv("SL_LINT_VERBOSE") != NULL || seen[k] < 50)
			fprintf(stderr, "%zu \"%s\" in %d sets\n", seen[k], kinds[k], CASES);
		assert_true(seen[k] >= 50);
	}
}

/* Larger sets of the shapes the index is for: many explicit links, into one destination and
 * both ways, a few wildcards among them, modes on the destination, more diagnostics than are
 * kept. */
static void realistic_sets_match_all_pairs(void **state)
{
	static const char *const shapes[] = {"one destination", "both ways", "own contexts",
	        "NONE both ways", "all overlapping"};
	size_t sh, i;
	(void)state;

	for (sh = 0; sh < sizeof(shapes) / sizeof(shapes[0]); sh++) {
		struct sl_buf b = SL_BUF_INIT;

		sl_buf_addf(
		        &b, DOC "kind: Registry\nmetadata: {name: a}\nspec: {url: http://h1}\n");
		sl_buf_addf(&b, DOC "kind: Registry\nmetadata: {name: b}\nspec: {url: http://h2, "
		                    "clusterId: k1}\n");
		sl_buf_addf(
		        &b, DOC "kind: Registry\nmetadata: {name: c}\nspec: {url: HTTP://H1/}\n");
		sl_buf_addf(&b, DOC "kind: Context\nmetadata: {name: x1}\nspec: {registry: b, "
		                    "context: .a, mode: READWRITE}\n");
		sl_buf_addf(&b, DOC "kind: Subject\nmetadata: {name: x2}\nspec: {registry: b, "
		                    "subject: \":.c:s-00042\", mode: READONLY}\n");
		sl_buf_addf(&b, DOC "kind: Subject\nmetadata: {name: x3}\nspec: {registry: a, "
		                    "subject: \":.:s-00007\", mode: READONLY}\n");
		for (i = 0; i < 600; i++) {
			const char *src = i % 3 == 0 ? "a" : "c", *dst = "b";
			char subj[32], ctx[64] = "";

			snprintf(subj, sizeof(subj), "s-%05zu", sh == 4 ? i % 7 : i);
			if (sh == 1 || sh == 3) {
				src = i % 2 ? "a" : "b";
				dst = i % 2 ? "b" : "a";
			}
			if (sh == 2)
				snprintf(ctx, sizeof(ctx),
				        "\n  context: {type: CUSTOM, name: own%zu}", i % 300);
			if (sh == 3)
				snprintf(ctx, sizeof(ctx), "\n  context: {type: NONE}");
			if (i % 97 == 5)
				snprintf(subj, sizeof(subj), "%s", i % 2 ? "*" : ":.a:*");
			if (i % 131 == 7)
				snprintf(subj, sizeof(subj), ":*:");
			sl_buf_addf(&b,
			        DOC "kind: SchemaLink\nmetadata: {name: l%05zu}\nspec:\n  source: "
			            "%s\n  destination: %s\n  subjects: [\"%s\"]%s\n",
			        i, src, dst, subj, ctx);
		}
		compare(shapes[sh], sh, &b, 1, NULL);
		sl_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(random_sets_match_all_pairs),
	        cmocka_unit_test(realistic_sets_match_all_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
