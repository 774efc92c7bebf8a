/* test_buf.c — struct sl_buf: appends, growth, NUL termination, truncate, detach, release. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

static int vaddf_helper(struct sl_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int vaddf_helper(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* The invariant every operation keeps: data is a valid C string of exactly len bytes. */
static void assert_terminated(const struct sl_buf *b)
{
	assert_non_null(b->data);
	assert_int_equal(b->data[b->len], '\0');
	if (b->cap)
		assert_true(b->len < b->cap);
	else
		assert_int_equal(b->len, 0);
}

static int setup_buf(void **state)
{
	struct sl_buf *b = malloc(sizeof(*b));

	if (b == NULL)
		return -1;
	sl_buf_init(b);
	*state = b;
	return 0;
}

static int teardown_buf(void **state)
{
	struct sl_buf *b = *state;

	sl_buf_release(b);
	free(b);
	return 0;
}

static void test_init_empty(void **state)
{
	struct sl_buf s = SL_BUF_INIT;
	struct sl_buf *b = *state;

	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_string_equal(b->data, "");
	assert_terminated(b);
	assert_ptr_equal(s.data, sl_buf_empty);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.cap, 0);
	/* Releasing a never-used buffer is fine and keeps it usable. */
	sl_buf_release(&s);
	assert_string_equal(s.data, "");
}

static void test_add_adds_addch(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_add(b, "abc", 3), 0);
	assert_terminated(b);
	assert_int_equal(sl_buf_adds(b, "def"), 0);
	assert_int_equal(sl_buf_addch(b, '!'), 0);
	assert_int_equal(b->len, 7);
	assert_string_equal(b->data, "abcdef!");
	assert_terminated(b);
	/* Partial add of a longer region, and a zero-length add. */
	assert_int_equal(sl_buf_add(b, "xyz123", 2), 0);
	assert_int_equal(sl_buf_add(b, "ignored", 0), 0);
	assert_int_equal(sl_buf_adds(b, ""), 0);
	assert_string_equal(b->data, "abcdef!xy");
	assert_terminated(b);
}

static void test_add_zero_on_empty_keeps_terminator(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_add(b, "", 0), 0);
	assert_terminated(b);
	assert_string_equal(b->data, "");
	/* The shared empty terminator is never written to. */
	assert_int_equal(sl_buf_empty[0], '\0');
}

static void test_add_binary_with_nul(void **state)
{
	struct sl_buf *b = *state;
	const char bin[] = {'a', '\0', 'b', '\0', 'c'};

	assert_int_equal(sl_buf_add(b, bin, sizeof(bin)), 0);
	assert_int_equal(b->len, 5);
	assert_memory_equal(b->data, bin, sizeof(bin));
	assert_terminated(b);
}

static void test_addf(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_addf(b, "%s=%d", "n", 42), 0);
	assert_int_equal(sl_buf_addf(b, "; %05.1f", 3.14159), 0);
	assert_string_equal(b->data, "n=42; 003.1");
	assert_int_equal(b->len, strlen("n=42; 003.1"));
	assert_terminated(b);
	/* An empty format allocates nothing visible but keeps the string valid. */
	assert_int_equal(sl_buf_addf(b, "%s", ""), 0);
	assert_string_equal(b->data, "n=42; 003.1");
	assert_terminated(b);
}

static void test_addf_empty_on_fresh_buffer(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_addf(b, "%s", ""), 0);
	assert_int_equal(b->len, 0);
	assert_string_equal(b->data, "");
	assert_terminated(b);
	assert_int_equal(sl_buf_empty[0], '\0');
}

static void test_vaddf(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(vaddf_helper(b, "%s-%u-%c", "a", 7u, 'z'), 0);
	assert_int_equal(vaddf_helper(b, "[%lld]", -9223372036854775807LL - 1), 0);
	assert_string_equal(b->data, "a-7-z[-9223372036854775808]");
	assert_terminated(b);
}

static void test_addf_large(void **state)
{
	struct sl_buf *b = *state;
	char *big = malloc(100001);

	assert_non_null(big);
	memset(big, 'x', 100000);
	big[100000] = '\0';
	assert_int_equal(sl_buf_addch(b, '<'), 0);
	assert_int_equal(sl_buf_addf(b, "%s>", big), 0);
	assert_int_equal(b->len, 100002);
	assert_int_equal(b->data[0], '<');
	assert_int_equal(b->data[100000], 'x');
	assert_int_equal(b->data[100001], '>');
	assert_terminated(b);
	free(big);
}

static void test_growth_one_megabyte(void **state)
{
	struct sl_buf *b = *state;
	size_t i, total = 1024 * 1024;

	/* Mixed appends crossing many reallocations; check content, not just length. */
	for (i = 0; b->len < total; i++) {
		switch (i % 3) {
		case 0: assert_int_equal(sl_buf_addch(b, (char)('a' + i % 26)), 0); break;
		case 1: assert_int_equal(sl_buf_add(b, "0123456789", 10), 0); break;
		default: assert_int_equal(sl_buf_addf(b, "%04zu", i % 10000), 0); break;
		}
		assert_int_equal(b->data[b->len], '\0');
	}
	assert_true(b->len >= total);
	assert_true(b->cap > b->len);
	assert_terminated(b);

	/* Replay the same sequence to verify every byte. */
	{
		struct sl_buf want = SL_BUF_INIT;
		size_t j;

		for (j = 0; j < i; j++) {
			char tmp[16];

			switch (j % 3) {
			case 0:
				tmp[0] = (char)('a' + j % 26);
				tmp[1] = '\0';
				break;
			case 1: strcpy(tmp, "0123456789"); break;
			default:
				tmp[0] = (char)('0' + (j % 10000) / 1000);
				tmp[1] = (char)('0' + (j % 1000) / 100);
				tmp[2] = (char)('0' + (j % 100) / 10);
				tmp[3] = (char)('0' + j % 10);
				tmp[4] = '\0';
				break;
			}
			assert_int_equal(sl_buf_adds(&want, tmp), 0);
		}
		assert_int_equal(want.len, b->len);
		assert_memory_equal(want.data, b->data, b->len);
		sl_buf_release(&want);
	}
}

static void test_grow_reserves(void **state)
{
	struct sl_buf *b = *state;
	char *before;

	assert_int_equal(sl_buf_grow(b, 1000), 0);
	assert_true(b->cap >= 1001);
	assert_int_equal(b->len, 0);
	assert_terminated(b);
	before = b->data;
	/* Appends within the reserved room do not move the data. */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sl_buf_addch(b, 'r'), 0);
	assert_ptr_equal(b->data, before);
	assert_terminated(b);
}

static void test_grow_overflow_fails_intact(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_adds(b, "keep"), 0);
	assert_int_equal(sl_buf_grow(b, SIZE_MAX), SL_ENOMEM);
	assert_int_equal(sl_buf_grow(b, SIZE_MAX - 4), SL_ENOMEM);
	assert_string_equal(b->data, "keep");
	assert_int_equal(b->len, 4);
	assert_terminated(b);
}

static void test_truncate(void **state)
{
	struct sl_buf *b = *state;
	size_t cap;

	assert_int_equal(sl_buf_adds(b, "hello world"), 0);
	cap = b->cap;
	sl_buf_truncate(b, 5);
	assert_int_equal(b->len, 5);
	assert_string_equal(b->data, "hello");
	assert_terminated(b);
	/* Truncating to the current length or beyond is a no-op. */
	sl_buf_truncate(b, 5);
	sl_buf_truncate(b, 100);
	assert_string_equal(b->data, "hello");
	assert_int_equal(b->cap, cap);
	sl_buf_truncate(b, 0);
	assert_string_equal(b->data, "");
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, cap);
	assert_int_equal(sl_buf_adds(b, "again"), 0);
	assert_string_equal(b->data, "again");
}

static void test_truncate_and_reset_on_empty(void **state)
{
	struct sl_buf *b = *state;

	sl_buf_truncate(b, 0);
	sl_buf_truncate(b, 10);
	sl_buf_reset(b);
	assert_string_equal(b->data, "");
	assert_int_equal(b->cap, 0);
	assert_int_equal(sl_buf_empty[0], '\0');
}

static void test_reset_keeps_storage(void **state)
{
	struct sl_buf *b = *state;
	char *data;
	size_t cap;

	assert_int_equal(sl_buf_adds(b, "some text here"), 0);
	data = b->data;
	cap = b->cap;
	sl_buf_reset(b);
	assert_int_equal(b->len, 0);
	assert_string_equal(b->data, "");
	assert_ptr_equal(b->data, data);
	assert_int_equal(b->cap, cap);
	assert_int_equal(sl_buf_adds(b, "x"), 0);
	assert_string_equal(b->data, "x");
}

static void test_detach_empty(void **state)
{
	struct sl_buf *b = *state;
	char *s = sl_buf_detach(b);

	assert_non_null(s);
	assert_string_equal(s, "");
	assert_ptr_not_equal(s, sl_buf_empty);
	free(s);
	assert_int_equal(b->len, 0);
	assert_string_equal(b->data, "");

	/* A buffer emptied by reset still has storage; detach hands back "". */
	assert_int_equal(sl_buf_adds(b, "tmp"), 0);
	sl_buf_reset(b);
	s = sl_buf_detach(b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(b->cap, 0);
	assert_int_equal(b->len, 0);
}

static void test_detach_nonempty(void **state)
{
	struct sl_buf *b = *state;
	char *s;

	assert_int_equal(sl_buf_addf(b, "owned %d", 1), 0);
	s = sl_buf_detach(b);
	assert_string_equal(s, "owned 1");
	/* b is left empty and independent of the returned string. */
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_string_equal(b->data, "");
	assert_ptr_not_equal(b->data, s);
	assert_int_equal(sl_buf_adds(b, "new"), 0);
	assert_string_equal(s, "owned 1");
	assert_string_equal(b->data, "new");
	free(s);
}

static void test_release_leaves_usable_empty(void **state)
{
	struct sl_buf *b = *state;

	assert_int_equal(sl_buf_adds(b, "first"), 0);
	sl_buf_release(b);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_string_equal(b->data, "");
	assert_ptr_equal(b->data, sl_buf_empty);
	/* Double release is harmless. */
	sl_buf_release(b);
	assert_int_equal(sl_buf_adds(b, "second"), 0);
	assert_string_equal(b->data, "second");
	assert_terminated(b);
}

/* A string cut inside a UTF-8 sequence loses the partial character, nothing else. */
static void test_utf8_trim_cut(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
	        {"", ""}, {"abc", "abc"}, {"ab\xC3", "ab"}, /* first byte of a 2-byte "\xC3\xA9" */
	        {"ab\xC3\xA9", "ab\xC3\xA9"},
	        {"ab\xE2\x82", "ab"}, /* 2 of the 3 bytes of the euro sign */
	        {"ab\xE2", "ab"}, {"ab\xE2\x82\xAC", "ab\xE2\x82\xAC"},
	        {"\xF0\x9F\x98", ""}, /* 3 of 4 */
	        {"x\xF0\x9F\x98\x80", "x\xF0\x9F\x98\x80"},
	        {"ab\x80", "ab\x80"}, /* a stray continuation byte is left as it is */
	};
	char buf[16], small[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		assert_int_equal(sl_utf8_trim_cut(buf), strlen(cases[i].out));
		assert_string_equal(buf, cases[i].out);
	}
	/* "é" is 2 bytes: 3 of them do not fit in 5 bytes + NUL... */
	sl_strlcpy_utf8(small, sizeof(small), "\xC3\xA9\xC3\xA9\xC3\xA9");
	assert_string_equal(small, "\xC3\xA9\xC3\xA9");
	/* ...and what fits is copied whole; NULL is "". */
	sl_strlcpy_utf8(small, sizeof(small), "ab\xC3\xA9");
	assert_string_equal(small, "ab\xC3\xA9");
	sl_strlcpy_utf8(small, sizeof(small), NULL);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_init_empty, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_add_adds_addch, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(
	                test_add_zero_on_empty_keeps_terminator, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_add_binary_with_nul, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_addf, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(
	                test_addf_empty_on_fresh_buffer, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_vaddf, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_addf_large, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_growth_one_megabyte, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_grow_reserves, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(
	                test_grow_overflow_fails_intact, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_truncate, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(
	                test_truncate_and_reset_on_empty, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_reset_keeps_storage, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_detach_empty, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(test_detach_nonempty, setup_buf, teardown_buf),
	        cmocka_unit_test_setup_teardown(
	                test_release_leaves_usable_empty, setup_buf, teardown_buf),
	        cmocka_unit_test(test_utf8_trim_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
