/* test_secret.c — secret references: resolve, describe, hash, wipe. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemalink/secret.h"

static char dir[] = "/tmp/sl-secret-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *content, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
}

static void resolve_value_and_env(void **state)
{
	struct sl_secret_ref r = SL_SECRET_REF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char *s = NULL;

	(void)state;
	assert_int_equal(sl_secret_ref_set(&r, SL_SECRET_VALUE, "alice"), 0);
	assert_int_equal(sl_secret_resolve(&r, &s, &err), 0);
	assert_string_equal(s, "alice");
	sl_secret_free(s);

	setenv("SL_TEST_TOKEN", "t0k3n", 1);
	assert_int_equal(sl_secret_ref_set(&r, SL_SECRET_ENV, "SL_TEST_TOKEN"), 0);
	assert_int_equal(sl_secret_resolve(&r, &s, &err), 0);
	assert_string_equal(s, "t0k3n");
	sl_secret_free(s);

	unsetenv("SL_TEST_TOKEN");
	assert_int_equal(sl_secret_resolve(&r, &s, &err), SL_ENOENT);
	assert_null(s);
	assert_non_null(strstr(err.msg, "SL_TEST_TOKEN"));
	sl_secret_ref_release(&r);
	assert_int_equal(r.kind, SL_SECRET_NONE);
	assert_null(r.ref);
	sl_secret_ref_release(NULL);
}

static void resolve_file_trims_one_newline(void **state)
{
	static const struct {
		const char *content;
		size_t len;
		const char *want;
	} cases[] = {
	        {"pw\n", 3, "pw"},
	        {"pw\r\n", 4, "pw"},
	        {"pw\n\n", 4, "pw\n"},
	        {"pw", 2, "pw"},
	        {"", 0, ""},
	        {" pw \n", 5, " pw "},
	};
	struct sl_secret_ref r = SL_SECRET_REF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char path[256], *s;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/pass", dir);
	assert_int_equal(sl_secret_ref_set(&r, SL_SECRET_FILE, path), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].content, cases[i].len);
		s = NULL;
		assert_int_equal(sl_secret_resolve(&r, &s, &err), 0);
		assert_string_equal(s, cases[i].want);
		sl_secret_free(s);
	}
	/* Rotation: a changed file is read anew on the next use. */
	write_file(path, "rotated\n", 8);
	assert_int_equal(sl_secret_resolve(&r, &s, &err), 0);
	assert_string_equal(s, "rotated");
	sl_secret_free(s);
	sl_secret_ref_release(&r);
}

static void resolve_file_errors_name_the_file(void **state)
{
	struct sl_secret_ref r = SL_SECRET_REF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char path[256], *big, *s = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	sl_secret_ref_set(&r, SL_SECRET_FILE, path);
	assert_int_equal(sl_secret_resolve(&r, &s, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, path));

	snprintf(path, sizeof(path), "%s/big", dir);
	big = malloc(SL_SECRET_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', SL_SECRET_MAX + 1);
	write_file(path, big, SL_SECRET_MAX + 1);
	free(big);
	sl_secret_ref_set(&r, SL_SECRET_FILE, path);
	assert_int_equal(sl_secret_resolve(&r, &s, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, path));
	assert_null(s);
	sl_secret_ref_release(&r);

	assert_int_equal(sl_secret_resolve(&r, &s, &err), SL_EINVAL);
}

static void describe_never_shows_the_secret(void **state)
{
	struct sl_secret_ref r = SL_SECRET_REF_INIT;
	char out[128];

	(void)state;
	sl_secret_ref_set(&r, SL_SECRET_VALUE, "hunter2");
	sl_secret_describe(&r, out, sizeof(out));
	assert_string_equal(out, "inline value");
	sl_secret_ref_set(&r, SL_SECRET_ENV, "SR_TOKEN");
	sl_secret_describe(&r, out, sizeof(out));
	assert_string_equal(out, "secret from env SR_TOKEN");
	sl_secret_ref_set(&r, SL_SECRET_FILE, "/run/secrets/sr-pass");
	sl_secret_describe(&r, out, sizeof(out));
	assert_string_equal(out, "secret from file /run/secrets/sr-pass");
	sl_secret_ref_release(&r);
	sl_secret_describe(&r, out, sizeof(out));
	assert_string_equal(out, "no secret");
}

static void equal_and_copy(void **state)
{
	struct sl_secret_ref a = SL_SECRET_REF_INIT, b = SL_SECRET_REF_INIT;

	(void)state;
	assert_true(sl_secret_ref_equal(&a, &b));
	sl_secret_ref_set(&a, SL_SECRET_FILE, "/x");
	assert_false(sl_secret_ref_equal(&a, &b));
	assert_int_equal(sl_secret_ref_copy(&b, &a), 0);
	assert_true(sl_secret_ref_equal(&a, &b));
	assert_ptr_not_equal(a.ref, b.ref);
	sl_secret_ref_set(&b, SL_SECRET_ENV, "/x");
	assert_false(sl_secret_ref_equal(&a, &b));
	sl_secret_ref_release(&a);
	sl_secret_ref_release(&b);
}

static void sha256_known_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
	        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	        /* 55, 56 and 64 bytes: the padding edges */
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
	};
	char out[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sl_sha256_hex(v[i].in, strlen(v[i].in), out);
		assert_string_equal(out, v[i].hex);
	}
}

static void hash_of_reference(void **state)
{
	struct sl_secret_ref r = SL_SECRET_REF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char h1[65], h2[65];

	(void)state;
	sl_secret_ref_set(&r, SL_SECRET_VALUE, "abc");
	assert_int_equal(sl_secret_hash(&r, h1, &err), 0);
	assert_string_equal(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sl_secret_ref_set(&r, SL_SECRET_VALUE, "abd");
	assert_int_equal(sl_secret_hash(&r, h2, &err), 0);
	assert_string_not_equal(h1, h2);
	sl_secret_ref_set(&r, SL_SECRET_ENV, "SL_TEST_UNSET_VAR");
	unsetenv("SL_TEST_UNSET_VAR");
	assert_int_equal(sl_secret_hash(&r, h2, &err), SL_ENOENT);
	sl_secret_ref_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(resolve_value_and_env),
	        cmocka_unit_test(resolve_file_trims_one_newline),
	        cmocka_unit_test(resolve_file_errors_name_the_file),
	        cmocka_unit_test(describe_never_shows_the_secret),
	        cmocka_unit_test(equal_and_copy),
	        cmocka_unit_test(sha256_known_vectors),
	        cmocka_unit_test(hash_of_reference),
	};
	return cmocka_run_group_tests_name("secret", tests, setup, teardown);
}
