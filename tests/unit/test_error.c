/* test_error.c — struct sl_error: set/vset, errno text, prefixing, code names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "schemalink/error.h"

static int vset_helper(struct sl_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int vset_helper(struct sl_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_error_vset(err, code, fmt, ap);
	va_end(ap);
	return rc;
}

static void test_init_is_clear(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(err.code, 0);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(err.registry_code, 0);
	assert_string_equal(err.msg, "");
}

static void test_set_formats_and_returns_code(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_error_set(&err, SL_EINVAL, "bad \"%s\" (%d)", "x", 42), SL_EINVAL);
	assert_int_equal(err.code, SL_EINVAL);
	assert_string_equal(err.msg, "bad \"x\" (42)");
	/* A second set replaces both code and message. */
	assert_int_equal(sl_error_set(&err, SL_ENOENT, "gone"), SL_ENOENT);
	assert_int_equal(err.code, SL_ENOENT);
	assert_string_equal(err.msg, "gone");
}

static void test_vset(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(vset_helper(&err, SL_EPROTO, "%s=%u", "k", 7u), SL_EPROTO);
	assert_int_equal(err.code, SL_EPROTO);
	assert_string_equal(err.msg, "k=7");
	assert_int_equal(vset_helper(NULL, SL_ECONN, "%s", "x"), SL_ECONN);
}

static void test_set_null_err_returns_code(void **state)
{
	(void)state;
	assert_int_equal(sl_error_set(NULL, SL_EINVAL, "x %d", 1), SL_EINVAL);
	assert_int_equal(sl_error_set(NULL, SL_ETIMEOUT, "x"), SL_ETIMEOUT);
	assert_int_equal(sl_error_errno(NULL, ENOENT, "file"), SL_EIO);
	sl_error_prefix(NULL, "ctx %d", 1);
	sl_error_clear(NULL);
}

static void test_set_truncates_long_message(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char big[2000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sl_error_set(&err, SL_ELIMIT, "%s", big), SL_ELIMIT);
	assert_int_equal(strlen(err.msg), SL_ERROR_MSG_MAX - 1);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[510], 'a');
	assert_int_equal(err.msg[511], '\0');

	/* Exactly 511 characters fit unchanged; 512 lose the last one. */
	big[511] = '\0';
	big[510] = 'z';
	sl_error_set(&err, SL_ELIMIT, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[510], 'z');
	big[511] = 'y';
	big[512] = '\0';
	sl_error_set(&err, SL_ELIMIT, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[510], 'z');
}

static void test_vset_truncates_long_message(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char big[700];

	(void)state;
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vset_helper(&err, SL_EIO, "x%sy", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[0], 'x');
	assert_int_equal(err.msg[510], 'b');
}

static void test_errno_text(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_error_errno(&err, ENOENT, "/etc/x.yaml"), SL_EIO);
	assert_int_equal(err.code, SL_EIO);
	assert_string_equal(err.msg, "/etc/x.yaml: No such file or directory");
	sl_error_errno(&err, EACCES, "open \"f\"");
	assert_string_equal(err.msg, "open \"f\": Permission denied");
	/* An unknown errno still yields "<what>: <some text>". */
	sl_error_errno(&err, 123456, "w");
	assert_int_equal(strncmp(err.msg, "w: ", 3), 0);
	assert_true(strlen(err.msg) > 3);
}

static void test_errno_long_what_truncates(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char what[600];

	(void)state;
	memset(what, 'p', sizeof(what) - 1);
	what[sizeof(what) - 1] = '\0';
	assert_int_equal(sl_error_errno(&err, EIO, what), SL_EIO);
	assert_int_equal(strlen(err.msg), 511);
}

static void test_prefix_keeps_message_and_codes(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	sl_error_set(&err, SL_EHTTP, "subject \"s\" not found");
	err.http_status = 404;
	err.registry_code = 40401;
	sl_error_prefix(&err, "link \"%s\"", "l1");
	assert_string_equal(err.msg, "link \"l1\": subject \"s\" not found");
	assert_int_equal(err.code, SL_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_int_equal(err.registry_code, 40401);
	sl_error_prefix(&err, "reconcile");
	assert_string_equal(err.msg, "reconcile: link \"l1\": subject \"s\" not found");
}

static void test_prefix_with_own_message_as_argument(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	sl_error_set(&err, SL_EINVAL, "abc");
	sl_error_prefix(&err, "%s", err.msg);
	assert_string_equal(err.msg, "abc: abc");
}

static void test_prefix_noop_on_clear_error(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	sl_error_prefix(&err, "ctx");
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");

	/* A cleared error with leftover text is still left alone. */
	strcpy(err.msg, "stale");
	sl_error_prefix(&err, "ctx");
	assert_string_equal(err.msg, "stale");
}

static void test_prefix_truncates_old_message(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char big[600];

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sl_error_set(&err, SL_EIO, "%s", big);
	sl_error_prefix(&err, "pre");
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(strncmp(err.msg, "pre: mmm", 8), 0);
	assert_int_equal(err.msg[510], 'm');
	assert_int_equal(err.code, SL_EIO);
}

static void test_prefix_truncates_long_prefix(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char big[800];

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sl_error_set(&err, SL_EIO, "old");
	sl_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[0], 'q');
	assert_int_equal(err.msg[510], 'q');
	assert_int_equal(err.code, SL_EIO);

	/* A prefix of 509 characters leaves room for ": " and nothing of the old text. */
	big[509] = '\0';
	sl_error_set(&err, SL_EIO, "old");
	sl_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_int_equal(err.msg[509], ':');
	assert_int_equal(err.msg[510], ' ');

	/* A prefix of 507 leaves 4 characters: ": " plus "ol". */
	big[507] = '\0';
	sl_error_set(&err, SL_EIO, "old");
	sl_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_string_equal(err.msg + 507, ": ol");

	/* A prefix of 506 fits the whole old message exactly. */
	big[506] = '\0';
	sl_error_set(&err, SL_EIO, "old");
	sl_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), 511);
	assert_string_equal(err.msg + 506, ": old");
}

static void test_clear(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	sl_error_set(&err, SL_EHTTP, "x");
	err.http_status = 500;
	err.registry_code = 50001;
	sl_error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(err.registry_code, 0);
	assert_string_equal(err.msg, "");
}

static void test_code_names(void **state)
{
	static const struct {
		int code;
		const char *name;
	} want[] = {
	        {SL_OK, "ok"},
	        {SL_EINVAL, "invalid argument"},
	        {SL_ENOMEM, "out of memory"},
	        {SL_EIO, "i/o error"},
	        {SL_ENOENT, "not found"},
	        {SL_EEXIST, "already exists"},
	        {SL_ELIMIT, "limit exceeded"},
	        {SL_EHTTP, "http error"},
	        {SL_ECONN, "connection failed"},
	        {SL_ETIMEOUT, "timed out"},
	        {SL_EPROTO, "protocol error"},
	        {SL_ESTATE, "invalid state"},
	        {SL_EUNSUP, "not supported"},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(sl_code_name(want[i].code), want[i].name);
		/* Names are distinct, so a log line tells codes apart. */
		for (j = 0; j < i; j++)
			assert_string_not_equal(sl_code_name(want[i].code), want[j].name);
	}
	/* Every code from SL_OK to SL_EUNSUP has a real name. */
	for (i = 0; i <= 12; i++)
		assert_string_not_equal(sl_code_name(-(int)i), "unknown error");
	assert_string_equal(sl_code_name(-13), "unknown error");
	assert_string_equal(sl_code_name(1), "unknown error");
	assert_string_equal(sl_code_name(-1000), "unknown error");
	assert_non_null(sl_code_name(INT32_MIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_is_clear),
	        cmocka_unit_test(test_set_formats_and_returns_code),
	        cmocka_unit_test(test_vset),
	        cmocka_unit_test(test_set_null_err_returns_code),
	        cmocka_unit_test(test_set_truncates_long_message),
	        cmocka_unit_test(test_vset_truncates_long_message),
	        cmocka_unit_test(test_errno_text),
	        cmocka_unit_test(test_errno_long_what_truncates),
	        cmocka_unit_test(test_prefix_keeps_message_and_codes),
	        cmocka_unit_test(test_prefix_with_own_message_as_argument),
	        cmocka_unit_test(test_prefix_noop_on_clear_error),
	        cmocka_unit_test(test_prefix_truncates_old_message),
	        cmocka_unit_test(test_prefix_truncates_long_prefix),
	        cmocka_unit_test(test_clear),
	        cmocka_unit_test(test_code_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
