/* test_log.c — log sink (levels, text and JSON lines, fake-clock stamps) and sl_redact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/json.h"
#include "schemalink/log.h"

#define CANARY "C4n4ry-7f3e9a-Pw"

struct fixture {
	int fd;
	struct sl_clock clock;
};

static int setup_log(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/sl-log-XXXXXX";

	if (f == NULL)
		return -1;
	f->fd = mkstemp(path);
	if (f->fd < 0) {
		free(f);
		return -1;
	}
	unlink(path);
	sl_clock_fake_init(&f->clock, 0, 1701201449055);
	sl_log_setup(SL_LOG_DEBUG, SL_LOG_TEXT, f->fd, &f->clock);
	*state = f;
	return 0;
}

static int teardown_log(void **state)
{
	struct fixture *f = *state;

	sl_log_setup(SL_LOG_INFO, SL_LOG_TEXT, 2, NULL);
	close(f->fd);
	free(f);
	return 0;
}

/* Everything written so far, as an owned string; the file is emptied for the next check. */
static char *take_output(struct fixture *f)
{
	struct stat st;
	char *s;
	ssize_t n;

	assert_int_equal(fstat(f->fd, &st), 0);
	s = malloc((size_t)st.st_size + 1);
	assert_non_null(s);
	n = pread(f->fd, s, (size_t)st.st_size, 0);
	assert_int_equal(n, st.st_size);
	s[n] = '\0';
	assert_int_equal(ftruncate(f->fd, 0), 0);
	assert_int_equal(lseek(f->fd, 0, SEEK_SET), 0);
	return s;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Parses one JSON line (which must be the whole output) into an object. */
static json_t *take_json(struct fixture *f)
{
	char *out = take_output(f);
	json_error_t jerr;
	json_t *obj;

	assert_int_equal(count_lines(out), 1);
	assert_int_equal(out[strlen(out) - 1], '\n');
	obj = json_loads(out, 0, &jerr);
	if (obj == NULL)
		fail_msg("not JSON: %s (%s)", out, jerr.text);
	assert_true(json_is_object(obj));
	free(out);
	return obj;
}

static char *redact(const char *in)
{
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(sl_redact(in, &b), 0);
	return sl_buf_detach(&b);
}

/* --- levels and parsing --- */

static void test_level_filtering(void **state)
{
	struct fixture *f = *state;
	char *out;

	sl_log_setup(SL_LOG_WARN, SL_LOG_TEXT, f->fd, &f->clock);
	assert_false(sl_log_enabled(SL_LOG_DEBUG));
	assert_false(sl_log_enabled(SL_LOG_INFO));
	assert_true(sl_log_enabled(SL_LOG_WARN));
	assert_true(sl_log_enabled(SL_LOG_ERROR));
	sl_debug("d-line");
	sl_info("i-line");
	sl_warn("w-line");
	sl_errorf("e-line");
	out = take_output(f);
	assert_int_equal(count_lines(out), 2);
	assert_null(strstr(out, "d-line"));
	assert_null(strstr(out, "i-line"));
	assert_non_null(strstr(out, "w-line"));
	assert_non_null(strstr(out, "e-line"));
	free(out);

	sl_log_setup(SL_LOG_DEBUG, SL_LOG_TEXT, f->fd, &f->clock);
	assert_true(sl_log_enabled(SL_LOG_DEBUG));
	sl_debug("d-line");
	sl_info("i-line");
	out = take_output(f);
	assert_int_equal(count_lines(out), 2);
	free(out);

	sl_log_setup(SL_LOG_ERROR, SL_LOG_JSON, f->fd, &f->clock);
	sl_warn("w-line");
	sl_errorf("e-line");
	out = take_output(f);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "e-line"));
	free(out);
}

static void test_level_parse(void **state)
{
	static const struct {
		const char *s;
		enum sl_log_level want;
	} ok[] = {
	        {"debug", SL_LOG_DEBUG},
	        {"info", SL_LOG_INFO},
	        {"warn", SL_LOG_WARN},
	        {"warning", SL_LOG_WARN},
	        {"error", SL_LOG_ERROR},
	        {"INFO", SL_LOG_INFO},
	        {"Debug", SL_LOG_DEBUG},
	};
	static const char *const bad[] = {"", "verbose", "fatal", "inf", "info ", "trace"};
	struct sl_error err = SL_ERROR_INIT;
	enum sl_log_level lv;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		lv = (enum sl_log_level)99;
		assert_int_equal(sl_log_level_parse(ok[i].s, &lv, &err), 0);
		assert_int_equal(lv, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[32];

		lv = SL_LOG_ERROR;
		sl_error_clear(&err);
		assert_int_equal(sl_log_level_parse(bad[i], &lv, &err), SL_EINVAL);
		assert_int_equal(err.code, SL_EINVAL);
		assert_int_equal(lv, SL_LOG_ERROR);
		snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
		assert_non_null(strstr(err.msg, quoted));
		assert_int_equal(sl_log_level_parse(bad[i], &lv, NULL), SL_EINVAL);
	}
}

static void test_format_parse(void **state)
{
	static const char *const bad[] = {"", "yaml", "jsonl", "txt", "json "};
	struct sl_error err = SL_ERROR_INIT;
	enum sl_log_format fmt = SL_LOG_JSON;
	size_t i;

	(void)state;
	assert_int_equal(sl_log_format_parse("text", &fmt, &err), 0);
	assert_int_equal(fmt, SL_LOG_TEXT);
	assert_int_equal(sl_log_format_parse("json", &fmt, &err), 0);
	assert_int_equal(fmt, SL_LOG_JSON);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[32];

		fmt = SL_LOG_JSON;
		assert_int_equal(sl_log_format_parse(bad[i], &fmt, &err), SL_EINVAL);
		assert_int_equal(err.code, SL_EINVAL);
		assert_int_equal(fmt, SL_LOG_JSON);
		snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
		assert_non_null(strstr(err.msg, quoted));
		assert_int_equal(sl_log_format_parse(bad[i], &fmt, NULL), SL_EINVAL);
	}
}

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(sl_log_level_name(SL_LOG_DEBUG), "debug");
	assert_string_equal(sl_log_level_name(SL_LOG_INFO), "info");
	assert_string_equal(sl_log_level_name(SL_LOG_WARN), "warn");
	assert_string_equal(sl_log_level_name(SL_LOG_ERROR), "error");
	assert_string_equal(sl_log_level_name((enum sl_log_level)42), "unknown");
}

/* --- text format --- */

/* Checks "<ts> <LEVEL><spaces><rest>\n" and returns a pointer to rest (inside line). */
static const char *text_shape(const char *line, const char *ts, const char *level)
{
	size_t tl = strlen(ts), ll = strlen(level);
	const char *p;

	assert_int_equal(strncmp(line, ts, tl), 0);
	assert_int_equal(line[tl], ' ');
	assert_int_equal(strncmp(line + tl + 1, level, ll), 0);
	p = line + tl + 1 + ll;
	assert_int_equal(*p, ' ');
	while (*p == ' ')
		p++;
	assert_int_equal(line[strlen(line) - 1], '\n');
	return p;
}

static void test_text_shape(void **state)
{
	struct fixture *f = *state;
	struct sl_log_fields fields = {"SchemaLink/src-to-tgt-link", "ImportModeRequired", 3};
	char *out;

	sl_info("exporter %s is %s", "\"x\"", "RUNNING");
	out = take_output(f);
	assert_int_equal(count_lines(out), 1);
	assert_string_equal(
	        text_shape(out, "2023-11-28T19:57:29.055Z", "INFO"), "exporter \"x\" is RUNNING\n");
	free(out);

	sl_log(SL_LOG_WARN, &fields, "mode is %s", "READWRITE");
	out = take_output(f);
	assert_string_equal(text_shape(out, "2023-11-28T19:57:29.055Z", "WARN"),
	        "mode is READWRITE object=SchemaLink/src-to-tgt-link reason=ImportModeRequired "
	        "attempt=3\n");
	free(out);

	sl_log(SL_LOG_ERROR, &(struct sl_log_fields){NULL, "Conflict", 0}, "boom");
	out = take_output(f);
	assert_string_equal(
	        text_shape(out, "2023-11-28T19:57:29.055Z", "ERROR"), "boom reason=Conflict\n");
	free(out);

	sl_log(SL_LOG_DEBUG, &(struct sl_log_fields){NULL, NULL, 0}, "%s", "");
	out = take_output(f);
	assert_int_equal(count_lines(out), 1);
	assert_int_equal(strncmp(out, "2023-11-28T19:57:29.055Z DEBUG", 30), 0);
	free(out);
}

static void test_fake_clock_timestamps(void **state)
{
	struct fixture *f = *state;
	char *out;

	sl_info("one");
	sl_clock_fake_advance(&f->clock, 1945);
	sl_info("two");
	out = take_output(f);
	assert_int_equal(count_lines(out), 2);
	assert_int_equal(strncmp(out, "2023-11-28T19:57:29.055Z ", 25), 0);
	assert_non_null(strstr(out, "\n2023-11-28T19:57:31.000Z "));
	free(out);

	sl_clock_fake_init(&f->clock, 0, 0);
	sl_log_setup(SL_LOG_DEBUG, SL_LOG_JSON, f->fd, &f->clock);
	sl_info("epoch");
	{
		json_t *o = take_json(f);

		assert_string_equal(
		        json_string_value(json_object_get(o, "ts")), "1970-01-01T00:00:00.000Z");
		json_decref(o);
	}
}

/* --- JSON format --- */

static void test_json_minimal_fields(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	sl_log_setup(SL_LOG_DEBUG, SL_LOG_JSON, f->fd, &f->clock);
	sl_info("hello %d", 42);
	o = take_json(f);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(
	        json_string_value(json_object_get(o, "ts")), "2023-11-28T19:57:29.055Z");
	assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "hello 42");
	json_decref(o);

	/* Fields struct with nothing set adds nothing. */
	sl_log(SL_LOG_DEBUG, &(struct sl_log_fields){NULL, NULL, 0}, "d");
	o = take_json(f);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "debug");
	json_decref(o);
}

static void test_json_all_fields(void **state)
{
	struct fixture *f = *state;
	struct sl_log_fields fields = {"SchemaLink/l1", "ExporterPaused", 7};
	json_t *o;

	sl_log_setup(SL_LOG_DEBUG, SL_LOG_JSON, f->fd, &f->clock);
	sl_log(SL_LOG_ERROR, &fields, "failed");
	o = take_json(f);
	assert_int_equal(json_object_size(o), 6);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "failed");
	assert_string_equal(json_string_value(json_object_get(o, "object")), "SchemaLink/l1");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "ExporterPaused");
	assert_true(json_is_integer(json_object_get(o, "attempt")));
	assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 7);
	json_decref(o);

	/* Each field appears only when set. */
	sl_log(SL_LOG_WARN, &(struct sl_log_fields){"Registry/src", NULL, 0}, "x");
	o = take_json(f);
	assert_int_equal(json_object_size(o), 4);
	assert_non_null(json_object_get(o, "object"));
	assert_null(json_object_get(o, "reason"));
	assert_null(json_object_get(o, "attempt"));
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	json_decref(o);

	sl_log(SL_LOG_INFO, &(struct sl_log_fields){NULL, NULL, 1}, "x");
	o = take_json(f);
	assert_int_equal(json_object_size(o), 4);
	assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
	json_decref(o);
}

static void test_json_escaping(void **state)
{
	struct fixture *f = *state;
	const char *nasty = "quote \" backslash \\ newline \n cr \r tab \t bell \a nul-ish \x01 "
	                    "esc \x1b del \x7f slash / utf8 \xc3\xa9";
	const char *obj = "Link/\"odd\"\nname";
	json_t *o;
	char *out;

	sl_log_setup(SL_LOG_DEBUG, SL_LOG_JSON, f->fd, &f->clock);
	sl_log(SL_LOG_INFO, &(struct sl_log_fields){obj, "Re\\ason\x02", 0}, "%s", nasty);
	o = take_json(f);
	assert_string_equal(json_string_value(json_object_get(o, "msg")), nasty);
	assert_string_equal(json_string_value(json_object_get(o, "object")), obj);
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "Re\\ason\x02");
	json_decref(o);

	/* Only the final newline ends the line: the raw output has no other control bytes. */
	sl_info("a\nb\x1f");
	out = take_output(f);
	for (const char *p = out; *p; p++)
		if (p[1] != '\0')
			assert_true((unsigned char)*p >= 0x20);
	free(out);
}

static void test_json_escape_direct(void **state)
{
	struct sl_buf b = SL_BUF_INIT;

	(void)state;
	assert_int_equal(sl_json_escape(&b, "a\"b\\c\nd\re\tf\x01g\x7fh"), 0);
	assert_string_equal(b.data, "a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh");
	sl_buf_reset(&b);
	assert_int_equal(sl_json_escape(&b, ""), 0);
	assert_string_equal(b.data, "");
	assert_int_equal(sl_json_escape(&b, "plain \xc3\xa9"), 0);
	assert_string_equal(b.data, "plain \xc3\xa9");
	sl_buf_release(&b);
}

/* --- redaction --- */

static void assert_redacts(const char *in, const char *want)
{
	char *got = redact(in);

	if (strcmp(got, want) != 0)
		fail_msg("sl_redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, want);
	free(got);
}

static void assert_hides(const char *in, const char *secret)
{
	char *got = redact(in);

	if (strstr(got, secret) != NULL)
		fail_msg("sl_redact(\"%s\") kept \"%s\": \"%s\"", in, secret, got);
	assert_non_null(strstr(got, "[redacted]"));
	free(got);
}

static void test_redact_url_userinfo(void **state)
{
	char *got;

	(void)state;
	assert_redacts("https://alice:s3cret@host:8081/x", "https://[redacted]@host:8081/x");
	got = redact("https://alice:s3cret@host:8081/x");
	assert_null(strstr(got, "s3cret"));
	assert_null(strstr(got, "alice"));
	free(got);
	assert_redacts("GET http://bob@sr.local/subjects failed",
	        "GET http://[redacted]@sr.local/subjects failed");
	assert_redacts("url \"https://u:p%40ss@h:1/a?b=c\" bad",
	        "url \"https://[redacted]@h:1/a?b=c\" bad");
	/* A password containing '@' is hidden up to the last '@' before the host. */
	assert_hides("https://u:p@ss@host/x", "p@ss");
	assert_redacts("a https://x:y@h1 and https://z:w@h2/",
	        "a https://[redacted]@h1 and https://[redacted]@h2/");
	/* No user-info: untouched, including '@' after the host. */
	assert_redacts("https://host:8081/subjects/a@b", "https://host:8081/subjects/a@b");
}

static void test_redact_authorization(void **state)
{
	char *got;

	(void)state;
	got = redact("Authorization: Basic dXNlcjpwYXNz");
	assert_null(strstr(got, "dXNlcjpwYXNz"));
	assert_non_null(strstr(got, "Authorization:"));
	assert_non_null(strstr(got, "[redacted]"));
	free(got);
	assert_hides("authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9");
	assert_hides("{\"Authorization\":\"Basic dXNlcjpwYXNz\"}", "dXNlcjpwYXNz");
	/* The header value ends at the end of the line. */
	got = redact("Authorization: Basic dXNlcjpwYXNz\nHost: sr");
	assert_null(strstr(got, "dXNlcjpwYXNz"));
	assert_non_null(strstr(got, "\nHost: sr"));
	free(got);
}

static void test_redact_keys(void **state)
{
	(void)state;
	assert_redacts("password=hunter2", "password=[redacted]");
	assert_redacts("PASSWORD=Hunter2", "PASSWORD=[redacted]");
	assert_redacts("password = hunter2", "password = [redacted]");
	assert_redacts("{\"password\":\"hunter2\"}", "{\"password\":\"[redacted]\"}");
	assert_redacts("{\"password\" : \"hun\\\"ter2\", \"x\":1}",
	        "{\"password\" : \"[redacted]\", \"x\":1}");
	assert_redacts("basic.auth.user.info=u:p", "basic.auth.user.info=[redacted]");
	assert_redacts("bearer.auth.token: abc", "bearer.auth.token: [redacted]");
	assert_redacts("clientSecret=xyz", "clientSecret=[redacted]");
	assert_redacts(
	        "bearer.auth.client.secret=s1&x=2", "bearer.auth.client.secret=[redacted]&x=2");
	assert_redacts("schema.registry.ssl.truststore.password: changeit",
	        "schema.registry.ssl.truststore.password: [redacted]");
	assert_redacts("user=bob password=pw1 token=tk2 ok",
	        "user=bob password=[redacted] token=[redacted] ok");
	assert_redacts("USER_INFO=key:secret", "USER_INFO=[redacted]");
	assert_redacts("config {basic.auth.user.info=k:s, schema.registry.url=https://h}",
	        "config {basic.auth.user.info=[redacted], schema.registry.url=https://h}");
}

static void test_redact_single_quoted_values(void **state)
{
	/* YAML and shell quote with ' as often as with ": the value is still a secret. */
	(void)state;
	assert_hides("password: 'hunter2'", "hunter2");
	assert_hides("password='hunter 2'", "hunter 2");
	assert_hides("clientSecret: 'a\"b'", "a\"b");
	assert_redacts("password: 'hunter2' user: bob", "password: '[redacted]' user: bob");
}

static void test_redact_keeps_references(void **state)
{
	(void)state;
	assert_redacts("password: {file: /run/x}", "password: {file: /run/x}");
	assert_redacts("keystorePassword: {env: KS_PASS}", "keystorePassword: {env: KS_PASS}");
	assert_redacts(
	        "{\"password\":{\"file\":\"/run/x\"}}", "{\"password\":{\"file\":\"/run/x\"}}");
	assert_redacts("tokens: [a, b]", "tokens: [a, b]");
	assert_redacts("password=", "password=");
	assert_redacts("password:", "password:");
}

static void test_redact_leaves_plain_text(void **state)
{
	static const char *const plain[] = {
	        "",
	        "subject \"orders-value\" version 3 registered in context .lsrc-abc (id=100001)",
	        "GET https://registry:8081/subjects?deleted=true -> 200",
	        "mode: IMPORT, compatibility: BACKWARD, forceMode=false",
	        "the secret was not set",
	        "tokens left 5; password missing",
	        "email a@b.c at 12:30 @ 50% ratio 3:4",
	        "multi\nline\ttext \"quoted\" 'single' {braces} [brackets]",
	        "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
	        "://@ :// odd",
	        "exporter src-to-tgt-link state=RUNNING offset=15685259",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		assert_redacts(plain[i], plain[i]);
}

static void test_redact_appends(void **state)
{
	struct sl_buf b = SL_BUF_INIT;

	(void)state;
	assert_int_equal(sl_buf_adds(&b, "prefix|"), 0);
	assert_int_equal(sl_redact("token=abc", &b), 0);
	assert_string_equal(b.data, "prefix|token=[redacted]");
	sl_buf_release(&b);
}

static void test_canary_never_logged(void **state)
{
	static const char *const fmts[] = {
	        "connecting to https://admin:%s@registry:8081/",
	        "password=%s",
	        "{\"password\":\"%s\"}",
	        "Authorization: Basic %s",
	        "basic.auth.user.info=key:%s",
	        "bearer.auth.token: %s",
	        "clientSecret=%s",
	        "password: '%s'",
	};
	struct fixture *f = *state;
	size_t i;
	int fmt;

	for (fmt = 0; fmt < 2; fmt++) {
		sl_log_setup(SL_LOG_DEBUG, fmt ? SL_LOG_JSON : SL_LOG_TEXT, f->fd, &f->clock);
		for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			char msg[256], *out;

			snprintf(msg, sizeof(msg), fmts[i], CANARY);
			sl_debug("%s", msg);
			sl_log(SL_LOG_ERROR,
			        &(struct sl_log_fields){"Registry/src", "Unauthorized", 2},
			        "request failed: %s", msg);
			out = take_output(f);
			assert_int_equal(count_lines(out), 2);
			if (strstr(out, CANARY) != NULL)
				fail_msg("canary leaked through \"%s\": %s", fmts[i], out);
			assert_non_null(strstr(out, "[redacted]"));
			free(out);
		}
	}
}

static void test_canary_in_fields_never_logged(void **state)
{
	/* Fields are printed too; a secret that slipped into them must not reach the log. */
	struct fixture *f = *state;
	char object[128], reason[128], *out;
	int fmt;

	snprintf(object, sizeof(object), "https://u:%s@sr", CANARY);
	snprintf(reason, sizeof(reason), "token=%s", CANARY);
	for (fmt = 0; fmt < 2; fmt++) {
		sl_log_setup(SL_LOG_DEBUG, fmt ? SL_LOG_JSON : SL_LOG_TEXT, f->fd, &f->clock);
		sl_log(SL_LOG_WARN, &(struct sl_log_fields){object, reason, 1}, "x");
		out = take_output(f);
		assert_int_equal(count_lines(out), 1);
		if (strstr(out, CANARY) != NULL)
			fail_msg("canary leaked through fields: %s", out);
		free(out);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_log, teardown_log)
	const struct CMUnitTest tests[] = {
	        T(test_level_filtering),
	        cmocka_unit_test(test_level_parse),
	        cmocka_unit_test(test_format_parse),
	        cmocka_unit_test(test_level_names),
	        T(test_text_shape),
	        T(test_fake_clock_timestamps),
	        T(test_json_minimal_fields),
	        T(test_json_all_fields),
	        T(test_json_escaping),
	        cmocka_unit_test(test_json_escape_direct),
	        cmocka_unit_test(test_redact_url_userinfo),
	        cmocka_unit_test(test_redact_authorization),
	        cmocka_unit_test(test_redact_keys),
	        cmocka_unit_test(test_redact_single_quoted_values),
	        cmocka_unit_test(test_redact_keeps_references),
	        cmocka_unit_test(test_redact_leaves_plain_text),
	        cmocka_unit_test(test_redact_appends),
	        T(test_canary_never_logged),
	        T(test_canary_in_fields_never_logged),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
