/* test_qsubject.c — qualified subject grammar, context arithmetic and exporter filters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Out-parameters start here so a test sees whether a failing call reset them to NULL. */
static char sentinel[] = "sentinel";

/* Compares a possibly-NULL string against a possibly-NULL expectation, naming the row. */
static void expect_str(const char *got, const char *want, const char *what)
{
	if (got == NULL && want == NULL)
		return;
	if (got == NULL || want == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got %s%s%s, want %s%s%s", what, got ? "'" : "", got ? got : "NULL",
		        got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
}

static void expect_bool(bool got, bool want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s, want %s", what, got ? "true" : "false",
		        want ? "true" : "false");
}

/* A printable label for a test input that may hold control characters or be NULL. */
static const char *label(const char *s, char *buf, size_t cap)
{
	size_t o = 0;

	if (s == NULL)
		return "(NULL)";
	for (; *s != '\0' && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- parse ---------------------------------------------------------------------------- */

struct parse_case {
	const char *in;
	int rc;
	const char *ctx; /* NULL for the wildcard form */
	const char *subject;
	bool wildcard;
	bool context_only;
};

static const struct parse_case parse_cases[] = {
        {"orders", 0, ".", "orders", false, false},
        {":.:foo", 0, ".", "foo", false, false},
        {":.prod.eu:orders-value", 0, ".prod.eu", "orders-value", false, false},
        {":.target:stock_trades-value", 0, ".target", "stock_trades-value", false, false},
        {":.ctx:a:b:c", 0, ".ctx", "a:b:c", false, false},
        {":.ctx::", 0, ".ctx", ":", false, false},
        {":.::.x:y", 0, ".", ":.x:y", false, false},
        {":.ctx", 0, ".ctx", "", false, true},
        {":.ctx:", 0, ".ctx", "", false, true},
        {":.:", 0, ".", "", false, true},
        {":.", 0, ".", "", false, true},
        {":.__GLOBAL:", 0, ".__GLOBAL", "", false, true},
        {":*:", 0, NULL, "", true, false},
        {":*:foo", 0, NULL, "foo", true, false},
        {":*:a:b", 0, NULL, "a:b", true, false},
        {":*", 0, ".", ":*", false, false},
        {"*", 0, ".", "*", false, false},
        {"a:b", 0, ".", "a:b", false, false},
        {":foo", 0, ".", ":foo", false, false},
        {"::", 0, ".", "::", false, false},
        {".ctx:foo", 0, ".", ".ctx:foo", false, false},
        {"", 0, ".", "", false, false},
        {"caf\xc3\xa9 \xc2\xa0x", 0, ".", "caf\xc3\xa9 \xc2\xa0x", false, false},
        {NULL, SL_EINVAL, NULL, NULL, false, false},
        {"a\x01"
         "b",
                SL_EINVAL, NULL, NULL, false, false},
        {"orders\n", SL_EINVAL, NULL, NULL, false, false},
        {"ord\x7f"
         "ers",
                SL_EINVAL, NULL, NULL, false, false},
        {"\tx", SL_EINVAL, NULL, NULL, false, false},
        {"a\xc2\x85"
         "b",
                SL_EINVAL, NULL, NULL, false, false}, /* U+0085 NEL, a C1 control */
        {":.c\x01tx:s", SL_EINVAL, NULL, NULL, false, false},
        {":.ctx\n:s", SL_EINVAL, NULL, NULL, false, false},
        {":.ctx\x7f", SL_EINVAL, NULL, NULL, false, false},
        {":*:\x1f", SL_EINVAL, NULL, NULL, false, false},
};

static void test_parse_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct sl_qsubject q = SL_QSUBJECT_INIT;
		struct sl_error err = SL_ERROR_INIT;
		const char *l = label(c->in, lb, sizeof(lb));
		int rc = sl_qsubject_parse(c->in, &q, &err);

		if (rc != c->rc)
			fail_msg("parse %s: rc %d, want %d (%s)", l, rc, c->rc, err.msg);
		if (rc == 0) {
			expect_str(q.context, c->ctx, l);
			expect_str(q.subject, c->subject, l);
			expect_bool(q.wildcard, c->wildcard, l);
			expect_bool(q.context_only, c->context_only, l);
			assert_int_equal(err.code, 0);
		} else {
			/* A failed parse leaves out released-looking and says why. */
			assert_null(q.context);
			assert_null(q.subject);
			assert_int_equal(err.code, SL_EINVAL);
			assert_true(strlen(err.msg) > 0);
		}
		sl_qsubject_release(&q);
	}
}

static void test_parse_error_message_escapes_controls(void **state)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_qsubject_parse("evil\nINFO forged", &q, &err), SL_EINVAL);
	assert_null(strchr(err.msg, '\n'));
	assert_non_null(strstr(err.msg, "evil\\x0aINFO forged"));
	/* err is optional everywhere. */
	assert_int_equal(sl_qsubject_parse("x\x01", &q, NULL), SL_EINVAL);
	assert_int_equal(sl_qsubject_parse(NULL, &q, NULL), SL_EINVAL);
}

static void test_parse_long_input_message_bounded(void **state)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char big[4096];

	(void)state;
	memset(big, '\x01', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sl_qsubject_parse(big, &q, &err), SL_EINVAL);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_non_null(strstr(err.msg, "..."));
}

static void test_release(void **state)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;

	(void)state;
	sl_qsubject_release(NULL);
	assert_int_equal(sl_qsubject_parse(":.c:x", &q, NULL), 0);
	sl_qsubject_release(&q);
	assert_null(q.context);
	assert_null(q.subject);
	assert_false(q.wildcard);
	assert_false(q.context_only);
	sl_qsubject_release(&q); /* twice is fine */
}

/* ---- normalize and format --------------------------------------------------------------- */

static const struct {
	const char *in, *want;
} normalize_cases[] = {
        {":.:foo", "foo"},
        {"foo", "foo"},
        {":.c:x", ":.c:x"},
        {":.prod.eu:orders-value", ":.prod.eu:orders-value"},
        {":.a:b:c", ":.a:b:c"},
        {":.ctx", ":.ctx:"},
        {":.ctx:", ":.ctx:"},
        {":.:", ":.:"},
        {":.", ":.:"},
        {":*:", ":*:"},
        {":*:foo", ":*:foo"},
        {":.::.x:y", ":.::.x:y"}, /* the default-context subject ":.x:y" must stay qualified */
        {":.::*:y", ":.::*:y"},
        {":.::foo", ":foo"}, /* ":foo" reads back as default-context ":foo", so bare is fine */
        {":.:a:b", "a:b"},
        {"", ""},
        {"a\x01", NULL},
        {":.c\n:x", NULL},
        {NULL, NULL},
};

static void assert_same_parse(const char *a, const char *b)
{
	struct sl_qsubject qa = SL_QSUBJECT_INIT, qb = SL_QSUBJECT_INIT;

	assert_int_equal(sl_qsubject_parse(a, &qa, NULL), 0);
	assert_int_equal(sl_qsubject_parse(b, &qb, NULL), 0);
	expect_str(qa.context, qb.context, a);
	expect_str(qa.subject, qb.subject, a);
	expect_bool(qa.wildcard, qb.wildcard, a);
	expect_bool(qa.context_only, qb.context_only, a);
	sl_qsubject_release(&qa);
	sl_qsubject_release(&qb);
}

static void test_normalize_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(normalize_cases); i++) {
		const char *in = normalize_cases[i].in;
		char *got = sl_qsubject_normalize(in);
		char *again;

		expect_str(got, normalize_cases[i].want, label(in, lb, sizeof(lb)));
		if (got != NULL) {
			/* Normalizing keeps meaning and is idempotent. */
			assert_same_parse(in, got);
			again = sl_qsubject_normalize(got);
			expect_str(again, got, "idempotent");
			free(again);
		}
		free(got);
	}
}

static const struct {
	const char *ctx, *subject, *want;
} format_cases[] = {
        {".", "orders", "orders"},
        {"", "orders", "orders"},
        {":.:", "orders", "orders"},
        {"c", "x", ":.c:x"},
        {".c", "x", ":.c:x"},
        {":.c", "x", ":.c:x"},
        {":.c:", "x", ":.c:x"},
        {".prod.eu", "orders-value", ":.prod.eu:orders-value"},
        {".a.b", "x:y", ":.a.b:x:y"},
        {".", ":.x:y", ":.::.x:y"},
        {".", ":*:y", ":.::*:y"},
        {".", ":.", ":.::."},
        {".", ":foo", ":foo"},
        {".", ":*", ":*"},
        {".", "", ""},
        {".c", "", ":.c:"},
        {":*:", "x", NULL},
        {"a:b", "x", NULL},
        {":c:", "x", NULL},
        {":.c:x", "y", NULL},
        {NULL, "x", NULL},
        {".c", NULL, NULL},
        {".c", "a\nb", NULL},
        {".c", "a\x7f", NULL},
        {"c\x01", "x", NULL},
};

static void test_format_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(format_cases); i++) {
		char *got = sl_qsubject_format(format_cases[i].ctx, format_cases[i].subject);

		snprintf(lb, sizeof(lb), "format row %zu", i);
		expect_str(got, format_cases[i].want, lb);
		free(got);
	}
}

/* format and parse are inverse for every (context, subject) with a non-empty subject. */
static void test_format_parse_round_trip(void **state)
{
	static const char *const ctxs[] = {".", ".c", ".prod.eu", ".source.target", ".__GLOBAL"};
	static const char *const subjects[] = {"orders", "a:b", ":foo", ":.x:y", ":*:z", ":*", "*",
	        "::", ":.", " sp ace", "caf\xc3\xa9"};
	size_t i, j;

	(void)state;
	for (i = 0; i < N(ctxs); i++) {
		for (j = 0; j < N(subjects); j++) {
			struct sl_qsubject q = SL_QSUBJECT_INIT;
			char *s = sl_qsubject_format(ctxs[i], subjects[j]);
			char *n;

			assert_non_null(s);
			assert_int_equal(sl_qsubject_parse(s, &q, NULL), 0);
			expect_str(q.context, ctxs[i], s);
			expect_str(q.subject, subjects[j], s);
			assert_false(q.wildcard);
			assert_false(q.context_only);
			/* format writes the normalized form. */
			n = sl_qsubject_normalize(s);
			expect_str(n, s, "format output is normalized");
			free(n);
			sl_qsubject_release(&q);
			free(s);
		}
	}
}

/* ---- contexts ----------------------------------------------------------------------------- */

static const struct {
	const char *in, *want;
} ctx_cases[] = {
        {"", "."},
        {".", "."},
        {":.", "."},
        {":.:", "."},
        {"c", ".c"},
        {".c", ".c"},
        {":.c", ".c"},
        {":.c:", ".c"},
        {"prod.eu", ".prod.eu"},
        {".source.target", ".source.target"},
        {"..c", "..c"},
        {".__GLOBAL", ".__GLOBAL"},
        {NULL, NULL},
        {"a:b", NULL},
        {".a:", NULL},
        {":c:", NULL},
        {":*:", NULL},
        {":.c:x", NULL},
        {":.c::", NULL},
        {"::", NULL},
        {"c\x01", NULL},
        {".c\n", NULL},
        {"\x7f", NULL},
};

static void test_context_normalize_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(ctx_cases); i++) {
		struct sl_error err = SL_ERROR_INIT;
		char *out = sentinel;
		int rc = sl_context_normalize(ctx_cases[i].in, &out, &err);
		const char *l = label(ctx_cases[i].in, lb, sizeof(lb));

		expect_str(out, ctx_cases[i].want, l);
		if (ctx_cases[i].want == NULL) {
			assert_int_equal(rc, SL_EINVAL);
			assert_int_equal(err.code, SL_EINVAL);
		} else {
			assert_int_equal(rc, 0);
		}
		/* is_default agrees with normalization. */
		expect_bool(sl_context_is_default(ctx_cases[i].in),
		        out != NULL && strcmp(out, ".") == 0, l);
		free(out);
	}
}

static void test_context_normalize_messages(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL;

	(void)state;
	assert_int_equal(sl_context_normalize("a:b", &out, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "'a:b'"));
	assert_non_null(strstr(err.msg, "':'"));
	assert_int_equal(sl_context_normalize("a\nb", &out, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "control"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(sl_context_normalize(":x", &out, NULL), SL_EINVAL);
	assert_null(out);
}

static const struct {
	const char *in, *want;
} qctx_cases[] = {
        {"orders", "."},
        {":.:foo", "."},
        {":.prod.eu:orders-value", ".prod.eu"},
        {":.ctx", ".ctx"},
        {":.ctx:", ".ctx"},
        {":.x:a:b", ".x"},
        {":*:", NULL},
        {":*:foo", NULL},
        {"a\x01", NULL},
        {NULL, NULL},
};

static void test_qsubject_context_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(qctx_cases); i++) {
		char *got = sl_qsubject_context(qctx_cases[i].in);

		expect_str(got, qctx_cases[i].want, label(qctx_cases[i].in, lb, sizeof(lb)));
		free(got);
	}
}

/* ---- registrable ------------------------------------------------------------------------ */

static const struct {
	const char *in;
	bool ok;
} reg_cases[] = {
        {"orders", true},
        {":.:orders", true},
        {":.c:orders", true},
        {":.c:a:b", true},
        {"a*", true},
        {"__GLOBALx", true},
        {":.__GLOBALx:s", true},
        {":.__GLOBAL.a:s", true},
        {":foo", true},
        {NULL, false},
        {"", false},
        {"*", false},
        {":.:*", false},
        {":.c:*", false},
        {"__GLOBAL", false},
        {"__EMPTY", false},
        {":.c:__GLOBAL", false},
        {":.:__EMPTY", false},
        {":.__GLOBAL:s", false},
        {":.__GLOBAL:", false},
        {":.c:", false},
        {":.c", false},
        {":.:", false},
        {":*:", false},
        {":*:foo", false},
        {"a\x01", false},
        {"a\n", false},
        {"a\x7f", false},
        {":.c\x01:x", false},
};

static void test_check_registrable_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(reg_cases); i++) {
		struct sl_error err = SL_ERROR_INIT;
		int rc = sl_qsubject_check_registrable(reg_cases[i].in, &err);
		const char *l = label(reg_cases[i].in, lb, sizeof(lb));

		expect_bool(rc == 0, reg_cases[i].ok, l);
		if (!reg_cases[i].ok) {
			assert_int_equal(rc, SL_EINVAL);
			assert_int_equal(err.code, SL_EINVAL);
			assert_true(strlen(err.msg) > 0);
		}
	}
}

static void test_check_registrable_message(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_qsubject_check_registrable(":.__GLOBAL:s", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "':.__GLOBAL:s'"));
	assert_non_null(strstr(err.msg, ".__GLOBAL"));
	assert_int_equal(sl_qsubject_check_registrable("__EMPTY", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "'__EMPTY'"));
	assert_int_equal(sl_qsubject_check_registrable("", NULL), SL_EINVAL);
}

/* ---- context type and wildcard scope ----------------------------------------------------- */

static void test_context_type(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum sl_context_type want;
	} cases[] = {
	        {"AUTO", 0, SL_CONTEXT_AUTO},
	        {"auto", 0, SL_CONTEXT_AUTO},
	        {"Custom", 0, SL_CONTEXT_CUSTOM},
	        {"NONE", 0, SL_CONTEXT_NONE},
	        {"none", 0, SL_CONTEXT_NONE},
	        {"", SL_EINVAL, SL_CONTEXT_AUTO},
	        {"DEFAULT", SL_EINVAL, SL_CONTEXT_AUTO},
	        {"NONE ", SL_EINVAL, SL_CONTEXT_AUTO},
	        {NULL, SL_EINVAL, SL_CONTEXT_AUTO},
	};
	struct sl_error err = SL_ERROR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		enum sl_context_type t = (enum sl_context_type)99;
		int rc = sl_context_type_parse(cases[i].in, &t, &err);

		assert_int_equal(rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(t, cases[i].want);
		else
			assert_int_equal(t, 99); /* untouched on failure */
	}
	assert_int_equal(
	        sl_context_type_parse("DEFAULT", &(enum sl_context_type){0}, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "'DEFAULT'"));
	assert_string_equal(sl_context_type_name(SL_CONTEXT_AUTO), "AUTO");
	assert_string_equal(sl_context_type_name(SL_CONTEXT_CUSTOM), "CUSTOM");
	assert_string_equal(sl_context_type_name(SL_CONTEXT_NONE), "NONE");
	assert_string_equal(sl_context_type_name((enum sl_context_type)42), "UNKNOWN");
}

static void test_wildcard_scope(void **state)
{
	enum sl_wildcard_scope s = SL_WILDCARD_DEFAULT_CONTEXT;

	(void)state;
	assert_int_equal(sl_wildcard_scope_parse("all-contexts", &s, NULL), 0);
	assert_int_equal(s, SL_WILDCARD_ALL_CONTEXTS);
	assert_int_equal(sl_wildcard_scope_parse("default-context", &s, NULL), 0);
	assert_int_equal(s, SL_WILDCARD_DEFAULT_CONTEXT);
	assert_int_equal(sl_wildcard_scope_parse("ALL-CONTEXTS", &s, NULL), 0);
	assert_int_equal(s, SL_WILDCARD_ALL_CONTEXTS);
	assert_int_equal(sl_wildcard_scope_parse("default", &s, NULL), SL_EINVAL);
	assert_int_equal(sl_wildcard_scope_parse("", &s, NULL), SL_EINVAL);
	assert_int_equal(sl_wildcard_scope_parse(NULL, &s, NULL), SL_EINVAL);
	assert_int_equal(s, SL_WILDCARD_ALL_CONTEXTS);
}

/* ---- destination naming ----------------------------------------------------------------- */

static const struct {
	enum sl_context_type type;
	const char *name, *src, *want;
} dest_ctx_cases[] = {
        {SL_CONTEXT_NONE, NULL, ".", "."},
        {SL_CONTEXT_NONE, "ignored", ".", "."},
        {SL_CONTEXT_NONE, NULL, ".x", ".x"},
        {SL_CONTEXT_NONE, NULL, ":.x:", ".x"},
        {SL_CONTEXT_NONE, NULL, "", "."},
        {SL_CONTEXT_CUSTOM, "source", ".target", ".source.target"},
        {SL_CONTEXT_CUSTOM, ".source", ".target", ".source.target"},
        {SL_CONTEXT_CUSTOM, ":.source:", "target", ".source.target"},
        {SL_CONTEXT_CUSTOM, "site1", ".", ".site1"},
        {SL_CONTEXT_CUSTOM, "site1", "", ".site1"},
        {SL_CONTEXT_CUSTOM, "site1", ".corp", ".site1.corp"},
        {SL_CONTEXT_CUSTOM, "cc", ".test-context", ".cc.test-context"},
        {SL_CONTEXT_CUSTOM, "b", ".a", ".b.a"},
        {SL_CONTEXT_CUSTOM, "a", ".b.a", ".a.b.a"},
        {SL_CONTEXT_AUTO, "srlite-8081", ".", ".srlite-8081"},
        {SL_CONTEXT_AUTO, "lsrc-abc123", ".x", ".lsrc-abc123.x"},
        {SL_CONTEXT_CUSTOM, "", ".x", NULL},
        {SL_CONTEXT_CUSTOM, ".", ".x", NULL},
        {SL_CONTEXT_CUSTOM, NULL, ".x", NULL},
        {SL_CONTEXT_AUTO, "", ".", NULL},
        {SL_CONTEXT_CUSTOM, "a:b", ".", NULL},
        {SL_CONTEXT_CUSTOM, "a\nb", ".", NULL},
        {SL_CONTEXT_CUSTOM, "site1", "a:b", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, NULL},
        {SL_CONTEXT_NONE, NULL, ":*:", NULL},
        {SL_CONTEXT_CUSTOM, "__GLOBAL", ".", NULL},
        {SL_CONTEXT_NONE, NULL, ".__GLOBAL", NULL},
        {(enum sl_context_type)7, "x", ".", NULL},
};

static void test_dest_context_table(void **state)
{
	size_t i;
	char lb[64];

	(void)state;
	for (i = 0; i < N(dest_ctx_cases); i++) {
		struct sl_error err = SL_ERROR_INIT;
		char *out = sentinel;
		int rc = sl_export_dest_context(dest_ctx_cases[i].type, dest_ctx_cases[i].name,
		        dest_ctx_cases[i].src, &out, &err);

		snprintf(lb, sizeof(lb), "dest context row %zu", i);
		expect_str(out, dest_ctx_cases[i].want, lb);
		assert_int_equal(rc, dest_ctx_cases[i].want ? 0 : SL_EINVAL);
		if (rc != 0)
			assert_true(strlen(err.msg) > 0);
		free(out);
	}
}

static void test_dest_context_messages(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL;

	(void)state;
	assert_int_equal(sl_export_dest_context(SL_CONTEXT_CUSTOM, "", ".", &out, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "CUSTOM"));
	assert_int_equal(sl_export_dest_context(SL_CONTEXT_AUTO, NULL, ".", &out, &err), SL_EINVAL);
	assert_null(out);
}

static const struct {
	enum sl_context_type type;
	const char *name, *fmt, *src, *want;
} dest_subj_cases[] = {
        /* The walkthrough: an imported subject re-exported gets the peer's context in front. */
        {SL_CONTEXT_CUSTOM, "source", NULL, ":.target:stock_trades-value",
                ":.source.target:stock_trades-value"},
        {SL_CONTEXT_CUSTOM, ".source", "${subject}", ":.target:stock_trades-value",
                ":.source.target:stock_trades-value"},
        {SL_CONTEXT_CUSTOM, "site1", NULL, "orders", ":.site1:orders"},
        {SL_CONTEXT_CUSTOM, "site1", "", ":.:orders", ":.site1:orders"},
        {SL_CONTEXT_CUSTOM, "cc", NULL, ":.test-context:test-workflow-value",
                ":.cc.test-context:test-workflow-value"},
        {SL_CONTEXT_AUTO, "srlite-8081", NULL, "orders", ":.srlite-8081:orders"},
        {SL_CONTEXT_NONE, NULL, NULL, ":.x:s", ":.x:s"},
        {SL_CONTEXT_NONE, NULL, NULL, "orders", "orders"},
        {SL_CONTEXT_NONE, NULL, NULL, ":.:orders", "orders"},
        {SL_CONTEXT_NONE, NULL, NULL, ":.x:a:b", ":.x:a:b"},
        /* Rename applies to the unqualified name; the context goes in front afterwards. */
        {SL_CONTEXT_NONE, NULL, "dc_${subject}", "orders", "dc_orders"},
        {SL_CONTEXT_NONE, NULL, "dc_${subject}", ":.x:orders", ":.x:dc_orders"},
        {SL_CONTEXT_CUSTOM, "site1", "dc_${subject}", ":.corp:orders", ":.site1.corp:dc_orders"},
        {SL_CONTEXT_CUSTOM, "site1", "${subject}-copy", "orders", ":.site1:orders-copy"},
        {SL_CONTEXT_NONE, NULL, "${subject}.${subject}", "a", "a.a"},
        {SL_CONTEXT_NONE, NULL, "${sub}${subject}", "a", "${sub}a"},
        {SL_CONTEXT_NONE, NULL, "x:${subject}", "a", "x:a"},
        /* A renamed default-context name that looks qualified keeps its ":.:" prefix. */
        {SL_CONTEXT_NONE, NULL, ":.evil:${subject}", "a", ":.::.evil:a"},
        /* Errors. */
        {SL_CONTEXT_NONE, NULL, "dc_orders", "orders", NULL},
        {SL_CONTEXT_NONE, NULL, "${SUBJECT}", "orders", NULL},
        {SL_CONTEXT_NONE, NULL, "$subject", "orders", NULL},
        {SL_CONTEXT_NONE, NULL, "a\n${subject}", "orders", NULL},
        {SL_CONTEXT_CUSTOM, "", NULL, "orders", NULL},
        {SL_CONTEXT_CUSTOM, NULL, NULL, "orders", NULL},
        {SL_CONTEXT_AUTO, ".", NULL, "orders", NULL},
        {SL_CONTEXT_CUSTOM, "a:b", NULL, "orders", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, NULL, NULL},
        {SL_CONTEXT_NONE, NULL, NULL, "", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, "*", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, ":*:", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, ":*:orders", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, ":.x:", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, "__GLOBAL", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, ":.__GLOBAL:s", NULL},
        {SL_CONTEXT_CUSTOM, "__GLOBAL", NULL, "orders", NULL},
        {SL_CONTEXT_NONE, NULL, NULL, "a\x01", NULL},
};

static void test_dest_subject_table(void **state)
{
	size_t i;
	char lb[64];

	(void)state;
	for (i = 0; i < N(dest_subj_cases); i++) {
		struct sl_error err = SL_ERROR_INIT;
		char *out = sentinel;
		int rc = sl_export_dest_subject(dest_subj_cases[i].type, dest_subj_cases[i].name,
		        dest_subj_cases[i].fmt, dest_subj_cases[i].src, &out, &err);

		snprintf(lb, sizeof(lb), "dest subject row %zu", i);
		expect_str(out, dest_subj_cases[i].want, lb);
		assert_int_equal(rc, dest_subj_cases[i].want ? 0 : SL_EINVAL);
		if (rc != 0)
			assert_true(strlen(err.msg) > 0);
		free(out);
	}
}

static void test_dest_subject_messages(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL;

	(void)state;
	assert_int_equal(
	        sl_export_dest_subject(SL_CONTEXT_NONE, NULL, "dc_x", "orders", &out, &err),
	        SL_EINVAL);
	assert_non_null(strstr(err.msg, "'dc_x'"));
	assert_non_null(strstr(err.msg, "${subject}"));
	assert_null(out);
	assert_int_equal(sl_export_dest_subject(SL_CONTEXT_CUSTOM, "", NULL, "orders", &out, &err),
	        SL_EINVAL);
	assert_non_null(strstr(err.msg, "CUSTOM"));
}

/* Every destination subject agrees with the destination context for the same source. */
static void test_dest_subject_agrees_with_dest_context(void **state)
{
	static const char *const srcs[] = {"orders", ":.target:s", ":.a.b:x:y", ":.::.q:r"};
	static const enum sl_context_type types[] = {
	        SL_CONTEXT_NONE, SL_CONTEXT_CUSTOM, SL_CONTEXT_AUTO};
	size_t i, j;

	(void)state;
	for (i = 0; i < N(types); i++) {
		for (j = 0; j < N(srcs); j++) {
			char *subj = NULL, *ctx = NULL, *src_ctx = sl_qsubject_context(srcs[j]);
			char *dctx = NULL;

			assert_non_null(src_ctx);
			assert_int_equal(sl_export_dest_subject(
			                         types[i], "peer", NULL, srcs[j], &subj, NULL),
			        0);
			assert_int_equal(
			        sl_export_dest_context(types[i], "peer", src_ctx, &ctx, NULL), 0);
			dctx = sl_qsubject_context(subj);
			expect_str(dctx, ctx, subj);
			free(dctx);
			free(ctx);
			free(subj);
			free(src_ctx);
		}
	}
}

/* ---- filters ---------------------------------------------------------------------------- */

static const struct {
	const char *entry;
	bool ok;
} filter_check_cases[] = {
        {"*", true},
        {":*:", true},
        {":.ctx:*", true},
        {":.a.b:*", true},
        {":.:*", true},
        {"orders", true},
        {":.:orders", true},
        {":.ctx:orders", true},
        {":.ctx:a:b", true},
        {"orders*", true}, /* an exact name that happens to end in '*' */
        {NULL, false},
        {"", false},
        {":*:foo", false},
        {":*:*", false},
        {":.ctx", false},
        {":.ctx:", false},
        {":.:", false},
        {":.__GLOBAL:*", false},
        {":.__GLOBAL:x", false},
        {"__GLOBAL", false},
        {":.c:__EMPTY", false},
        {"a\x01", false},
        {"*\n", false},
        {":.c\x7f:*", false},
};

static void test_filter_check_table(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(filter_check_cases); i++) {
		struct sl_error err = SL_ERROR_INIT;
		int rc = sl_filter_check(filter_check_cases[i].entry, &err);
		const char *l = label(filter_check_cases[i].entry, lb, sizeof(lb));

		expect_bool(rc == 0, filter_check_cases[i].ok, l);
		if (!filter_check_cases[i].ok) {
			assert_int_equal(rc, SL_EINVAL);
			assert_true(strlen(err.msg) > 0);
		}
	}
}

static void test_filter_check_messages(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_filter_check(":*:foo", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "':*:foo'"));
	assert_int_equal(sl_filter_check(":.ctx:", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, ":.ctx:*"));
	assert_int_equal(sl_filter_check("__GLOBAL", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "subjects entry"));
	assert_int_equal(sl_filter_check(":.c:__GLOBAL", NULL), SL_EINVAL);
}

/* One row per (entry, subject); the two columns are the results under each "*" scope. */
static const struct {
	const char *entry, *subject;
	bool all, dflt;
} match_cases[] = {
        {"*", "orders", true, true},
        {"*", ":.:orders", true, true},
        {"*", ":.target:stock_trades-value", true, false},
        {"*", ":.a.b:x", true, false},
        {":*:", "orders", true, true},
        {":*:", ":.target:stock_trades-value", true, true},
        {":*:", ":.source.target:x", true, true},
        {":.ctx:*", ":.ctx:a", true, true},
        {":.ctx:*", ":.ctx:a:b", true, true},
        {":.ctx:*", ":.ctx2:a", false, false},
        {":.ctx:*", ":.ctx.sub:a", false, false},
        {":.ctx:*", "a", false, false},
        {":.a:*", ":.a.b:x", false, false},
        {":.a.b:*", ":.a:x", false, false},
        {":.a.b:*", ":.a.b:x", true, true},
        {":.:*", "orders", true, true},
        {":.:*", ":.:orders", true, true},
        {":.:*", ":.x:orders", false, false},
        {"orders", "orders", true, true},
        {"orders", ":.:orders", true, true},
        {":.:orders", "orders", true, true},
        {"orders", ":.x:orders", false, false},
        {"orders", "orders2", false, false},
        {"orders", "Orders", false, false},
        {":.x:orders", ":.x:orders", true, true},
        {":.x:orders", "orders", false, false},
        {":.x:orders", ":.y:orders", false, false},
        {":.x:a:b", ":.x:a:b", true, true},
        {":.x:a", ":.x:a:b", false, false},
        {"orders*", "orders-value", false, false},
        /* Entries sl_filter_check rejects. */
        {":*:foo", "foo", true, true},
        {":*:foo", ":.x:foo", true, true},
        {":*:foo", ":.x:bar", false, false},
        {":.ctx:", ":.ctx:a", false, false},
        {":.ctx", ":.ctx:a", false, false},
        {"", "", false, false},
        {"a\x01", "a\x01", false, false},
        {NULL, "orders", false, false},
        /* Subjects that are not concrete are never selected. */
        {"*", NULL, false, false},
        {"*", "", false, false},
        {":*:", ":*:", false, false},
        {":*:", ":.ctx:", false, false},
        {":.ctx:*", ":.ctx", false, false},
        {"*", "a\n", false, false},
};

static void test_filter_match_table(void **state)
{
	size_t i;
	char lb[256], le[256], msg[600];

	(void)state;
	for (i = 0; i < N(match_cases); i++) {
		snprintf(msg, sizeof(msg), "entry %s subject %s",
		        label(match_cases[i].entry, le, sizeof(le)),
		        label(match_cases[i].subject, lb, sizeof(lb)));
		expect_bool(sl_filter_match(match_cases[i].entry, match_cases[i].subject,
		                    SL_WILDCARD_ALL_CONTEXTS),
		        match_cases[i].all, msg);
		expect_bool(sl_filter_match(match_cases[i].entry, match_cases[i].subject,
		                    SL_WILDCARD_DEFAULT_CONTEXT),
		        match_cases[i].dflt, msg);
	}
}

/* A valid entry selects a subject iff its normalized spelling is selected (spelling-blind). */
static void test_filter_match_spelling(void **state)
{
	static const char *const entries[] = {"*", ":*:", ":.:*", ":.c:*", "x", ":.:x", ":.c:x"};
	static const char *const subjects[] = {"x", ":.:x", ":.c:x", ":.c:y", ":.d:x"};
	size_t i, j;

	(void)state;
	for (i = 0; i < N(entries); i++) {
		for (j = 0; j < N(subjects); j++) {
			char *n = sl_qsubject_normalize(subjects[j]);

			assert_non_null(n);
			expect_bool(
			        sl_filter_match(entries[i], subjects[j], SL_WILDCARD_ALL_CONTEXTS),
			        sl_filter_match(entries[i], n, SL_WILDCARD_ALL_CONTEXTS), n);
			free(n);
		}
	}
}

static void test_filter_match_any(void **state)
{
	static const char *const owned[] = {":.orders:*", "payments", ":.x:exact"};
	static const char *const with_null[] = {NULL, ":*:"};

	(void)state;
	assert_true(sl_filter_match_any(owned, N(owned), ":.orders:o1", SL_WILDCARD_ALL_CONTEXTS));
	assert_true(sl_filter_match_any(owned, N(owned), "payments", SL_WILDCARD_DEFAULT_CONTEXT));
	assert_true(sl_filter_match_any(owned, N(owned), ":.x:exact", SL_WILDCARD_ALL_CONTEXTS));
	assert_false(sl_filter_match_any(owned, N(owned), ":.x:other", SL_WILDCARD_ALL_CONTEXTS));
	assert_false(sl_filter_match_any(owned, N(owned), "orders", SL_WILDCARD_ALL_CONTEXTS));
	/* Only the first n entries count. */
	assert_false(sl_filter_match_any(owned, 1, "payments", SL_WILDCARD_ALL_CONTEXTS));
	assert_false(sl_filter_match_any(owned, 0, ":.orders:o1", SL_WILDCARD_ALL_CONTEXTS));
	assert_false(sl_filter_match_any(NULL, 3, "payments", SL_WILDCARD_ALL_CONTEXTS));
	assert_true(sl_filter_match_any(with_null, 2, ":.q:z", SL_WILDCARD_DEFAULT_CONTEXT));
}

static const struct {
	const char *entry;
	bool want;
} nondefault_cases[] = {
        {"*", true}, /* under the walkthrough's scope */
        {":*:", true},
        {":*:foo", true},
        {":.ctx:*", true},
        {":.a.b:*", true},
        {":.ctx:orders", true},
        {":.ctx:", true},
        {":.:*", false},
        {"orders", false},
        {":.:orders", false},
        {":.:", false},
        {"", false},
        {NULL, false},
        {"a\x01", false},
        {":.c\n:*", false},
};

static void test_filter_may_select_nondefault(void **state)
{
	size_t i;
	char lb[256];

	(void)state;
	for (i = 0; i < N(nondefault_cases); i++)
		expect_bool(sl_filter_may_select_nondefault(nondefault_cases[i].entry),
		        nondefault_cases[i].want, label(nondefault_cases[i].entry, lb, sizeof(lb)));
}

/* may_select_nondefault over-approximates what match can actually select. */
static void test_nondefault_covers_match(void **state)
{
	static const char *const entries[] = {
	        "*", ":*:", ":.:*", ":.c:*", "x", ":.:x", ":.c:x", ":*:x"};
	static const char *const subjects[] = {":.c:x", ":.d:x", ":.c.d:y"};
	size_t i, j;

	(void)state;
	for (i = 0; i < N(entries); i++) {
		bool any = false;

		for (j = 0; j < N(subjects); j++)
			any = any ||
			      sl_filter_match(entries[i], subjects[j], SL_WILDCARD_ALL_CONTEXTS) ||
			      sl_filter_match(entries[i], subjects[j], SL_WILDCARD_DEFAULT_CONTEXT);
		if (any)
			assert_true(sl_filter_may_select_nondefault(entries[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_parse_error_message_escapes_controls),
	        cmocka_unit_test(test_parse_long_input_message_bounded),
	        cmocka_unit_test(test_release),
	        cmocka_unit_test(test_normalize_table),
	        cmocka_unit_test(test_format_table),
	        cmocka_unit_test(test_format_parse_round_trip),
	        cmocka_unit_test(test_context_normalize_table),
	        cmocka_unit_test(test_context_normalize_messages),
	        cmocka_unit_test(test_qsubject_context_table),
	        cmocka_unit_test(test_check_registrable_table),
	        cmocka_unit_test(test_check_registrable_message),
	        cmocka_unit_test(test_context_type),
	        cmocka_unit_test(test_wildcard_scope),
	        cmocka_unit_test(test_dest_context_table),
	        cmocka_unit_test(test_dest_context_messages),
	        cmocka_unit_test(test_dest_subject_table),
	        cmocka_unit_test(test_dest_subject_messages),
	        cmocka_unit_test(test_dest_subject_agrees_with_dest_context),
	        cmocka_unit_test(test_filter_check_table),
	        cmocka_unit_test(test_filter_check_messages),
	        cmocka_unit_test(test_filter_match_table),
	        cmocka_unit_test(test_filter_match_spelling),
	        cmocka_unit_test(test_filter_match_any),
	        cmocka_unit_test(test_filter_may_select_nondefault),
	        cmocka_unit_test(test_nondefault_covers_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
