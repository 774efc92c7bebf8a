/*
 * test_fuzz_regressions.c — every input kept in tests/fuzz/regressions/<name>/ (crashes the
 * fuzzers found, and hand-made nasty inputs) and the seed corpora tests/fuzz/corpus/<name>/,
 * run through the same code as the libFuzzer harness tests/fuzz/fuzz_<name>.c under the
 * normal build, so make test and make asan keep covering them without clang or libFuzzer.
 *
 * The harness files are included with SL_FUZZ_NO_ENTRY, which leaves out their
 * LLVMFuzzerTestOneInput. A harness traps (SIGILL) on a broken contract: the file being run
 * is printed first, so the suite's output names it. Paths are relative to the source tree
 * (tests/run.sh runs suites from there); SL_FUZZ_DIR overrides "tests/fuzz".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"

#define SL_FUZZ_NO_ENTRY
#include "../fuzz/fuzz_avro.c"
#include "../fuzz/fuzz_manifest.c"
#include "../fuzz/fuzz_srclient.c"

/* Inputs larger than any harness's -max_len are not kept. */
#define FUZZ_MAX_INPUT (1024 * 1024)

static int skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Runs one(data) on every file in tests/fuzz/<kind>/<name>/; returns how many ran. */
static size_t run_dir(const char *kind, const char *name, int (*one)(const uint8_t *, size_t))
{
	const char *root = getenv("SL_FUZZ_DIR");
	struct sl_buf dir = SL_BUF_INIT, path = SL_BUF_INIT, data = SL_BUF_INIT;
	struct dirent **list = NULL;
	struct sl_error err = SL_ERROR_INIT;
	size_t ran = 0;
	int n, i;

	assert_int_equal(sl_buf_addf(&dir, "%s/%s/%s", root ? root : "tests/fuzz", kind, name), 0);
	n = scandir(dir.data, &list, skip_dot, alphasort);
	if (n < 0)
		fail_msg("cannot read %s", dir.data);
	for (i = 0; i < n; i++) {
		sl_buf_reset(&path);
		sl_buf_reset(&data);
		assert_int_equal(sl_buf_addf(&path, "%s/%s", dir.data, list[i]->d_name), 0);
		if (sl_file_read(path.data, FUZZ_MAX_INPUT, &data, &err) < 0)
			fail_msg("%s: %s", path.data, err.msg);
		print_message("fuzz_%s %s\n", name, path.data);
		one((const uint8_t *)data.data, data.len);
		ran++;
		free(list[i]);
	}
	free(list);
	sl_buf_release(&dir);
	sl_buf_release(&path);
	sl_buf_release(&data);
	return ran;
}

static void test_manifest_regressions(void **state)
{
	(void)state;
	assert_true(run_dir("regressions", "manifest", fuzz_manifest_one) > 0);
}

static void test_srclient_regressions(void **state)
{
	(void)state;
	assert_true(run_dir("regressions", "srclient", fuzz_srclient_one) > 0);
}

static void test_avro_regressions(void **state)
{
	(void)state;
	assert_true(run_dir("regressions", "avro", fuzz_avro_one) > 0);
}

static void test_seed_corpora(void **state)
{
	(void)state;
	assert_true(run_dir("corpus", "manifest", fuzz_manifest_one) > 0);
	assert_true(run_dir("corpus", "srclient", fuzz_srclient_one) > 0);
	assert_true(run_dir("corpus", "avro", fuzz_avro_one) > 0);
}

/* The harnesses' own edge cases: empty input, a lone status byte. */
static void test_tiny_inputs(void **state)
{
	static const uint8_t bytes[] = {0x81, 0x30};

	(void)state;
	fuzz_manifest_one(bytes, 0);
	fuzz_avro_one(bytes, 0);
	fuzz_srclient_one(bytes, 0);
	fuzz_srclient_one(bytes, 1);
	fuzz_srclient_one(bytes, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_manifest_regressions),
	        cmocka_unit_test(test_srclient_regressions),
	        cmocka_unit_test(test_avro_regressions),
	        cmocka_unit_test(test_seed_corpora),
	        cmocka_unit_test(test_tiny_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
