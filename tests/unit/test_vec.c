/* test_vec.c — struct sl_vec: push/get/pop/remove, range checks, sort, release. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/vec.h"

static int free_calls;

static void counting_free(void *p)
{
	free_calls++;
	free(p);
}

static void *ip(uintptr_t i)
{
	return (void *)i;
}

static int setup_vec(void **state)
{
	struct sl_vec *v = malloc(sizeof(*v));

	if (v == NULL)
		return -1;
	sl_vec_init(v);
	free_calls = 0;
	*state = v;
	return 0;
}

static int teardown_vec(void **state)
{
	struct sl_vec *v = *state;

	sl_vec_release(v, NULL);
	free(v);
	return 0;
}

static void test_init_empty(void **state)
{
	struct sl_vec s = SL_VEC_INIT;
	struct sl_vec *v = *state;

	assert_int_equal(v->len, 0);
	assert_null(v->items);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.cap, 0);
	assert_null(sl_vec_get(v, 0));
	assert_null(sl_vec_pop(v));
	assert_null(sl_vec_remove(v, 0));
	sl_vec_sort(v, sl_vec_cmp_str);
	sl_vec_release(&s, counting_free);
	assert_int_equal(free_calls, 0);
}

static void test_push_get_order(void **state)
{
	struct sl_vec *v = *state;
	uintptr_t i;

	for (i = 1; i <= 1000; i++)
		assert_int_equal(sl_vec_push(v, ip(i)), 0);
	assert_int_equal(v->len, 1000);
	assert_true(v->cap >= 1000);
	for (i = 0; i < 1000; i++)
		assert_ptr_equal(sl_vec_get(v, i), ip(i + 1));
}

static void test_get_out_of_range(void **state)
{
	struct sl_vec *v = *state;

	assert_int_equal(sl_vec_push(v, ip(1)), 0);
	assert_int_equal(sl_vec_push(v, ip(2)), 0);
	assert_ptr_equal(sl_vec_get(v, 1), ip(2));
	assert_null(sl_vec_get(v, 2));
	assert_null(sl_vec_get(v, 1000));
	assert_null(sl_vec_get(v, SIZE_MAX));
	assert_null(sl_vec_remove(v, 2));
	assert_null(sl_vec_remove(v, SIZE_MAX));
	assert_int_equal(v->len, 2);
}

static void test_push_null_item(void **state)
{
	struct sl_vec *v = *state;

	assert_int_equal(sl_vec_push(v, NULL), 0);
	assert_int_equal(v->len, 1);
	assert_null(sl_vec_get(v, 0));
	assert_null(sl_vec_pop(v));
	assert_int_equal(v->len, 0);
}

static void test_pop_lifo(void **state)
{
	struct sl_vec *v = *state;

	assert_int_equal(sl_vec_push(v, ip(10)), 0);
	assert_int_equal(sl_vec_push(v, ip(20)), 0);
	assert_int_equal(sl_vec_push(v, ip(30)), 0);
	assert_ptr_equal(sl_vec_pop(v), ip(30));
	assert_ptr_equal(sl_vec_pop(v), ip(20));
	assert_int_equal(sl_vec_push(v, ip(40)), 0);
	assert_ptr_equal(sl_vec_pop(v), ip(40));
	assert_ptr_equal(sl_vec_pop(v), ip(10));
	assert_null(sl_vec_pop(v));
	assert_null(sl_vec_pop(v));
	assert_int_equal(v->len, 0);
}

static void test_remove_keeps_order(void **state)
{
	struct sl_vec *v = *state;
	uintptr_t i;

	for (i = 0; i < 6; i++)
		assert_int_equal(sl_vec_push(v, ip(i + 100)), 0);
	/* middle */
	assert_ptr_equal(sl_vec_remove(v, 2), ip(102));
	/* first */
	assert_ptr_equal(sl_vec_remove(v, 0), ip(100));
	/* last */
	assert_ptr_equal(sl_vec_remove(v, v->len - 1), ip(105));
	assert_int_equal(v->len, 3);
	assert_ptr_equal(sl_vec_get(v, 0), ip(101));
	assert_ptr_equal(sl_vec_get(v, 1), ip(103));
	assert_ptr_equal(sl_vec_get(v, 2), ip(104));
	assert_null(sl_vec_get(v, 3));
	assert_ptr_equal(sl_vec_remove(v, 0), ip(101));
	assert_ptr_equal(sl_vec_remove(v, 0), ip(103));
	assert_ptr_equal(sl_vec_remove(v, 0), ip(104));
	assert_null(sl_vec_remove(v, 0));
	assert_int_equal(v->len, 0);
}

static void test_sort_strings(void **state)
{
	static const char *const in[] = {"pear", "apple", "Zebra", "apple2", "", "app", "b", "a"};
	static const char *const want[] = {"", "Zebra", "a", "app", "apple", "apple2", "b", "pear"};
	struct sl_vec *v = *state;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(sl_vec_push(v, (void *)(uintptr_t)in[i]), 0);
	sl_vec_sort(v, sl_vec_cmp_str);
	assert_int_equal(v->len, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < v->len; i++)
		assert_string_equal(sl_vec_get(v, i), want[i]);
}

static void test_sort_byte_order_high_bytes(void **state)
{
	/* Byte order: 0xc3 sorts after ASCII letters (unsigned comparison). */
	struct sl_vec *v = *state;

	assert_int_equal(sl_vec_push(v, (void *)(uintptr_t) "\xc3\xa9t\xc3\xa9"), 0);
	assert_int_equal(sl_vec_push(v, (void *)(uintptr_t) "zoo"), 0);
	assert_int_equal(sl_vec_push(v, (void *)(uintptr_t) "abc"), 0);
	sl_vec_sort(v, sl_vec_cmp_str);
	assert_string_equal(sl_vec_get(v, 0), "abc");
	assert_string_equal(sl_vec_get(v, 1), "zoo");
	assert_string_equal(sl_vec_get(v, 2), "\xc3\xa9t\xc3\xa9");
}

static void test_sort_many(void **state)
{
	struct sl_vec *v = *state;
	size_t i;
	char *s;

	srand(12345);
	for (i = 0; i < 5000; i++) {
		s = malloc(16);
		assert_non_null(s);
		snprintf(s, 16, "k%08d", rand() % 100000);
		assert_int_equal(sl_vec_push(v, s), 0);
	}
	sl_vec_sort(v, sl_vec_cmp_str);
	for (i = 1; i < v->len; i++)
		assert_true(strcmp(sl_vec_get(v, i - 1), sl_vec_get(v, i)) <= 0);
	sl_vec_release(v, counting_free);
	assert_int_equal(free_calls, 5000);
}

static void test_cmp_str(void **state)
{
	const char *a = "a", *b = "b", *a2 = "a";

	(void)state;
	assert_true(sl_vec_cmp_str(&a, &b) < 0);
	assert_true(sl_vec_cmp_str(&b, &a) > 0);
	assert_int_equal(sl_vec_cmp_str(&a, &a2), 0);
}

static void test_release_with_destructor(void **state)
{
	struct sl_vec *v = *state;
	int i;

	for (i = 0; i < 37; i++)
		assert_int_equal(sl_vec_push(v, malloc(8)), 0);
	/* Popped items belong to the caller and are not destroyed by release. */
	free(sl_vec_pop(v));
	free(sl_vec_remove(v, 0));
	sl_vec_release(v, counting_free);
	assert_int_equal(free_calls, 35);
	assert_int_equal(v->len, 0);
	assert_int_equal(v->cap, 0);
	assert_null(v->items);
	/* Usable again after release. */
	assert_int_equal(sl_vec_push(v, ip(7)), 0);
	assert_ptr_equal(sl_vec_get(v, 0), ip(7));
}

static void test_release_without_destructor(void **state)
{
	struct sl_vec *v = *state;
	char items[5][4];
	int i;

	for (i = 0; i < 5; i++)
		assert_int_equal(sl_vec_push(v, items[i]), 0);
	sl_vec_release(v, NULL);
	assert_int_equal(v->len, 0);
	assert_null(v->items);
	assert_int_equal(free_calls, 0);
	sl_vec_release(v, counting_free);
	assert_int_equal(free_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_init_empty, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_push_get_order, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_get_out_of_range, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_push_null_item, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_pop_lifo, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_remove_keeps_order, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_sort_strings, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(
	                test_sort_byte_order_high_bytes, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(test_sort_many, setup_vec, teardown_vec),
	        cmocka_unit_test(test_cmp_str),
	        cmocka_unit_test_setup_teardown(
	                test_release_with_destructor, setup_vec, teardown_vec),
	        cmocka_unit_test_setup_teardown(
	                test_release_without_destructor, setup_vec, teardown_vec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
