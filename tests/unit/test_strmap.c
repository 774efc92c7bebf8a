/* test_strmap.c — struct sl_strmap: set/get/del, tombstones, growth, iteration, sorted keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/strmap.h"

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

static int setup_map(void **state)
{
	struct sl_strmap *m = malloc(sizeof(*m));

	if (m == NULL)
		return -1;
	sl_strmap_init(m);
	free_calls = 0;
	*state = m;
	return 0;
}

static int teardown_map(void **state)
{
	struct sl_strmap *m = *state;

	sl_strmap_release(m, NULL);
	free(m);
	return 0;
}

static void test_empty(void **state)
{
	struct sl_strmap s = SL_STRMAP_INIT;
	struct sl_strmap *m = *state;
	struct sl_vec keys = SL_VEC_INIT;
	bool found = true;
	size_t pos = 0;

	assert_null(sl_strmap_get(m, "x", &found));
	assert_false(found);
	found = true;
	assert_null(sl_strmap_del(m, "x", &found));
	assert_false(found);
	assert_null(sl_strmap_get(m, "x", NULL));
	assert_false(sl_strmap_next(m, &pos, NULL, NULL));
	assert_int_equal(sl_strmap_keys(m, &keys), 0);
	assert_int_equal(keys.len, 0);
	sl_vec_release(&keys, NULL);
	assert_int_equal(s.len, 0);
	sl_strmap_release(&s, counting_free);
	assert_int_equal(free_calls, 0);
}

static void test_set_get(void **state)
{
	struct sl_strmap *m = *state;
	bool found = false;
	void *old = ip(99);

	assert_int_equal(sl_strmap_set(m, "alpha", ip(1), &old), 0);
	assert_null(old);
	assert_int_equal(sl_strmap_set(m, "beta", ip(2), NULL), 0);
	assert_int_equal(m->len, 2);
	assert_ptr_equal(sl_strmap_get(m, "alpha", &found), ip(1));
	assert_true(found);
	assert_ptr_equal(sl_strmap_get(m, "beta", NULL), ip(2));
	assert_null(sl_strmap_get(m, "gamma", &found));
	assert_false(found);
	/* Lookups are exact: no prefix or case folding. */
	assert_null(sl_strmap_get(m, "alph", NULL));
	assert_null(sl_strmap_get(m, "alphaa", NULL));
	assert_null(sl_strmap_get(m, "ALPHA", NULL));
}

static void test_key_is_copied(void **state)
{
	struct sl_strmap *m = *state;
	char key[16];

	strcpy(key, "mutable");
	assert_int_equal(sl_strmap_set(m, key, ip(5), NULL), 0);
	strcpy(key, "changed");
	assert_ptr_equal(sl_strmap_get(m, "mutable", NULL), ip(5));
	assert_null(sl_strmap_get(m, "changed", NULL));
}

static void test_overwrite_returns_old(void **state)
{
	struct sl_strmap *m = *state;
	void *old = NULL;

	assert_int_equal(sl_strmap_set(m, "k", ip(1), &old), 0);
	assert_null(old);
	assert_int_equal(sl_strmap_set(m, "k", ip(2), &old), 0);
	assert_ptr_equal(old, ip(1));
	assert_int_equal(sl_strmap_set(m, "k", ip(3), NULL), 0);
	assert_int_equal(sl_strmap_set(m, "k", NULL, &old), 0);
	assert_ptr_equal(old, ip(3));
	assert_int_equal(m->len, 1);
	old = ip(77);
	assert_int_equal(sl_strmap_set(m, "other", ip(4), &old), 0);
	assert_null(old);
}

static void test_overwrite_with_owned_values(void **state)
{
	struct sl_strmap *m = *state;
	void *old = NULL;

	assert_int_equal(sl_strmap_set(m, "k", strdup("v1"), &old), 0);
	assert_int_equal(sl_strmap_set(m, "k", strdup("v2"), &old), 0);
	assert_string_equal(old, "v1");
	free(old);
	assert_string_equal(sl_strmap_get(m, "k", NULL), "v2");
	sl_strmap_release(m, counting_free);
	assert_int_equal(free_calls, 1);
}

static void test_found_flag_for_null_value(void **state)
{
	struct sl_strmap *m = *state;
	bool found = false;

	assert_int_equal(sl_strmap_set(m, "nullval", NULL, NULL), 0);
	assert_null(sl_strmap_get(m, "nullval", &found));
	assert_true(found);
	assert_null(sl_strmap_get(m, "missing", &found));
	assert_false(found);
	assert_null(sl_strmap_del(m, "nullval", &found));
	assert_true(found);
	assert_null(sl_strmap_del(m, "nullval", &found));
	assert_false(found);
}

static void test_empty_string_key(void **state)
{
	struct sl_strmap *m = *state;
	struct sl_vec keys = SL_VEC_INIT;
	bool found = false;

	assert_int_equal(sl_strmap_set(m, "", ip(42), NULL), 0);
	assert_int_equal(sl_strmap_set(m, "a", ip(1), NULL), 0);
	assert_ptr_equal(sl_strmap_get(m, "", &found), ip(42));
	assert_true(found);
	assert_int_equal(sl_strmap_keys(m, &keys), 0);
	assert_int_equal(keys.len, 2);
	assert_string_equal(sl_vec_get(&keys, 0), "");
	assert_string_equal(sl_vec_get(&keys, 1), "a");
	sl_vec_release(&keys, NULL);
	assert_ptr_equal(sl_strmap_del(m, "", &found), ip(42));
	assert_true(found);
	assert_null(sl_strmap_get(m, "", &found));
	assert_false(found);
	assert_ptr_equal(sl_strmap_get(m, "a", NULL), ip(1));
}

static void test_del_and_reinsert(void **state)
{
	struct sl_strmap *m = *state;
	bool found = false;
	void *old = ip(1);
	char key[32];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(sl_strmap_set(m, key, ip((uintptr_t)i + 1), NULL), 0);
	}
	assert_ptr_equal(sl_strmap_del(m, "k3", &found), ip(4));
	assert_true(found);
	assert_int_equal(m->len, 9);
	assert_null(sl_strmap_get(m, "k3", &found));
	assert_false(found);
	/* Every other key is still reachable across the tombstone. */
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (i != 3)
			assert_ptr_equal(sl_strmap_get(m, key, NULL), ip((uintptr_t)i + 1));
	}
	/* Reinsert: a fresh key, so no old value. */
	assert_int_equal(sl_strmap_set(m, "k3", ip(300), &old), 0);
	assert_null(old);
	assert_int_equal(m->len, 10);
	assert_ptr_equal(sl_strmap_get(m, "k3", NULL), ip(300));
	/* And no duplicate: setting again overwrites. */
	assert_int_equal(sl_strmap_set(m, "k3", ip(301), &old), 0);
	assert_ptr_equal(old, ip(300));
	assert_int_equal(m->len, 10);
}

static void test_tombstone_churn(void **state)
{
	/* Many insert/delete cycles with distinct keys on a small live set: tombstones must not
	 * fill the table (lookups of missing keys would never terminate). */
	struct sl_strmap *m = *state;
	bool found;
	char key[32];
	int i;

	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "churn-%d", i);
		assert_int_equal(sl_strmap_set(m, key, ip((uintptr_t)i + 1), NULL), 0);
		if (i >= 5) {
			snprintf(key, sizeof(key), "churn-%d", i - 5);
			assert_ptr_equal(sl_strmap_del(m, key, &found), ip((uintptr_t)i - 4));
			assert_true(found);
		}
		assert_null(sl_strmap_get(m, "never-there", &found));
		assert_false(found);
	}
	assert_int_equal(m->len, 5);
	assert_true(m->len + m->tombs < m->cap);
	assert_true(m->cap <= 1024);
	for (i = 99995; i < 100000; i++) {
		snprintf(key, sizeof(key), "churn-%d", i);
		assert_ptr_equal(sl_strmap_get(m, key, NULL), ip((uintptr_t)i + 1));
	}
}

static void test_many_keys_growth(void **state)
{
	struct sl_strmap *m = *state;
	const int n = 100000;
	bool found;
	char key[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "subject-%d-value", i);
		assert_int_equal(sl_strmap_set(m, key, ip((uintptr_t)i + 1), NULL), 0);
	}
	assert_int_equal(m->len, (size_t)n);
	assert_true(m->cap >= (size_t)n);
	assert_int_equal(m->cap & (m->cap - 1), 0);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "subject-%d-value", i);
		assert_ptr_equal(sl_strmap_get(m, key, &found), ip((uintptr_t)i + 1));
		assert_true(found);
	}
	/* Delete the even ones, then check both halves. */
	for (i = 0; i < n; i += 2) {
		snprintf(key, sizeof(key), "subject-%d-value", i);
		assert_ptr_equal(sl_strmap_del(m, key, NULL), ip((uintptr_t)i + 1));
	}
	assert_int_equal(m->len, (size_t)n / 2);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "subject-%d-value", i);
		assert_ptr_equal(
		        sl_strmap_get(m, key, &found), i % 2 ? ip((uintptr_t)i + 1) : NULL);
		assert_int_equal(found, i % 2 == 1);
	}
}

static void test_iteration_visits_each_once(void **state)
{
	struct sl_strmap *m = *state;
	const int n = 5000;
	unsigned char *seen = calloc((size_t)n, 1);
	const char *key;
	void *value;
	size_t pos = 0;
	int i, count = 0;
	char buf[32];

	assert_non_null(seen);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "it%d", i);
		assert_int_equal(sl_strmap_set(m, buf, ip((uintptr_t)i + 1), NULL), 0);
	}
	/* Delete some so iteration has tombstones to skip. */
	for (i = 0; i < n; i += 7) {
		snprintf(buf, sizeof(buf), "it%d", i);
		sl_strmap_del(m, buf, NULL);
	}
	while (sl_strmap_next(m, &pos, &key, &value)) {
		int idx = (int)((uintptr_t)value - 1);

		assert_true(idx >= 0 && idx < n);
		assert_true(idx % 7 != 0);
		snprintf(buf, sizeof(buf), "it%d", idx);
		assert_string_equal(key, buf);
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
		count++;
	}
	assert_int_equal((size_t)count, m->len);
	for (i = 0; i < n; i++)
		assert_int_equal(seen[i], i % 7 != 0);
	/* Exhausted iteration stays exhausted; NULL out-params are allowed. */
	assert_false(sl_strmap_next(m, &pos, &key, &value));
	pos = 0;
	count = 0;
	while (sl_strmap_next(m, &pos, NULL, NULL))
		count++;
	assert_int_equal((size_t)count, m->len);
	free(seen);
}

static void test_keys_sorted(void **state)
{
	static const char *const in[] = {
	        "topic-b", "Topic-a", "topic-a", "a", "topic-b2", "z", "_"};
	static const char *const want[] = {
	        "Topic-a", "_", "a", "topic-a", "topic-b", "topic-b2", "z"};
	struct sl_strmap *m = *state;
	struct sl_vec keys = SL_VEC_INIT;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(sl_strmap_set(m, in[i], ip(i + 1), NULL), 0);
	assert_int_equal(sl_strmap_keys(m, &keys), 0);
	assert_int_equal(keys.len, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < keys.len; i++)
		assert_string_equal(sl_vec_get(&keys, i), want[i]);
	sl_vec_release(&keys, NULL);
}

static void test_keys_sorted_large(void **state)
{
	struct sl_strmap *m = *state;
	struct sl_vec keys = SL_VEC_INIT;
	char buf[32];
	size_t i;

	for (i = 0; i < 3000; i++) {
		snprintf(buf, sizeof(buf), "%zu", (i * 7919) % 3001);
		assert_int_equal(sl_strmap_set(m, buf, NULL, NULL), 0);
	}
	assert_int_equal(sl_strmap_keys(m, &keys), 0);
	assert_int_equal(keys.len, m->len);
	for (i = 1; i < keys.len; i++)
		assert_true(strcmp(sl_vec_get(&keys, i - 1), sl_vec_get(&keys, i)) < 0);
	sl_vec_release(&keys, NULL);
}

static void test_release_with_destructor(void **state)
{
	struct sl_strmap *m = *state;
	char key[16];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "r%d", i);
		assert_int_equal(sl_strmap_set(m, key, malloc(4), NULL), 0);
	}
	/* A deleted value belongs to the caller, not to release. */
	free(sl_strmap_del(m, "r10", NULL));
	sl_strmap_release(m, counting_free);
	assert_int_equal(free_calls, 49);
	assert_int_equal(m->len, 0);
	assert_int_equal(m->cap, 0);
	assert_null(m->slots);
	/* Reusable after release. */
	assert_int_equal(sl_strmap_set(m, "again", ip(1), NULL), 0);
	assert_ptr_equal(sl_strmap_get(m, "again", NULL), ip(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_empty, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_set_get, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_key_is_copied, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(
	                test_overwrite_returns_old, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(
	                test_overwrite_with_owned_values, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(
	                test_found_flag_for_null_value, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_empty_string_key, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_del_and_reinsert, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_tombstone_churn, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_many_keys_growth, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(
	                test_iteration_visits_each_once, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_keys_sorted, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(test_keys_sorted_large, setup_map, teardown_map),
	        cmocka_unit_test_setup_teardown(
	                test_release_with_destructor, setup_map, teardown_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
