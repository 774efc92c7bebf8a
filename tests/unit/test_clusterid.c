/* test_clusterid.c — srlite's cluster id: syntax, random ids, the copy kept in a data dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/clusterid.h"
#include "schemalink/fileio.h"

struct fixture {
	char dir[1024];
	char path[1200]; /* dir/cluster-id */
};

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sl-clusterid-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, SL_CLUSTER_ID_FILE);
	*state = f;
	return 0;
}

static int teardown_dir(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void put(const struct fixture *f, const char *text, size_t len)
{
	assert_int_equal(sl_file_write_atomic(f->path, text, len, 0600, NULL), 0);
}

static void test_check(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char longest[SL_CLUSTER_ID_MAX + 2];

	(void)state;
	assert_int_equal(sl_cluster_id_check("a", &err), 0);
	assert_int_equal(sl_cluster_id_check("east_1-B", &err), 0);
	memset(longest, 'x', SL_CLUSTER_ID_MAX);
	longest[SL_CLUSTER_ID_MAX] = '\0';
	assert_int_equal(sl_cluster_id_check(longest, &err), 0);
	longest[SL_CLUSTER_ID_MAX] = 'x';
	longest[SL_CLUSTER_ID_MAX + 1] = '\0';
	assert_int_equal(sl_cluster_id_check(longest, &err), SL_EINVAL);
	assert_string_equal(err.msg, "65 bytes long; want 1-64 characters of [A-Za-z0-9_-]");
	assert_int_equal(sl_cluster_id_check("", &err), SL_EINVAL);
	assert_string_equal(err.msg, "empty; want 1-64 characters of [A-Za-z0-9_-]");
	assert_int_equal(sl_cluster_id_check("east:1", &err), SL_EINVAL);
	assert_string_equal(
	        err.msg, "character ':' at offset 4; want 1-64 characters of [A-Za-z0-9_-]");
	assert_int_equal(sl_cluster_id_check("a.b", &err), SL_EINVAL);
	/* Control characters, spaces and non-ASCII bytes are shown as hex, never raw. */
	assert_int_equal(sl_cluster_id_check("a\nb", &err), SL_EINVAL);
	assert_string_equal(
	        err.msg, "byte 0x0a at offset 1; want 1-64 characters of [A-Za-z0-9_-]");
	assert_int_equal(sl_cluster_id_check("a b", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "byte 0x20 at offset 1"));
	assert_int_equal(sl_cluster_id_check("\xc3\xa9", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "byte 0xc3 at offset 0"));
}

static void test_generate(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char a[SL_CLUSTER_ID_MAX + 1], b[SL_CLUSTER_ID_MAX + 1], small[SL_CLUSTER_ID_RANDOM_LEN];

	(void)state;
	assert_int_equal(sl_cluster_id_generate(a, sizeof(a), &err), 0);
	assert_int_equal(sl_cluster_id_generate(b, sizeof(b), &err), 0);
	assert_int_equal(strlen(a), SL_CLUSTER_ID_RANDOM_LEN);
	assert_int_equal(sl_cluster_id_check(a, &err), 0);
	assert_int_equal(sl_cluster_id_check(b, &err), 0);
	assert_string_not_equal(a, b);
	/* 128 bits: the 22nd character carries 2 bits and 4 zero bits, so it is one of the 4
	 * characters whose low 4 bits are zero. */
	assert_non_null(strchr("AQgw", a[SL_CLUSTER_ID_RANDOM_LEN - 1]));
	assert_int_equal(sl_cluster_id_generate(small, sizeof(small), &err), SL_EINVAL);
}

static void test_load_creates_then_reads_back(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char first[SL_CLUSTER_ID_MAX + 1], again[SL_CLUSTER_ID_MAX + 1], text[128];
	struct stat st;
	FILE *fp;
	size_t n;

	assert_int_equal(sl_cluster_id_load(f->dir, first, sizeof(first), &err), 1);
	assert_int_equal(strlen(first), SL_CLUSTER_ID_RANDOM_LEN);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_int_equal(n, SL_CLUSTER_ID_RANDOM_LEN + 1);
	assert_int_equal(text[SL_CLUSTER_ID_RANDOM_LEN], '\n');
	assert_memory_equal(text, first, SL_CLUSTER_ID_RANDOM_LEN);
	assert_int_equal(sl_cluster_id_load(f->dir, again, sizeof(again), &err), 0);
	assert_string_equal(again, first);
}

static void test_load_accepts_hand_written(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char id[SL_CLUSTER_ID_MAX + 1], longest[SL_CLUSTER_ID_MAX + 2];

	put(f, "east", 4);
	assert_int_equal(sl_cluster_id_load(f->dir, id, sizeof(id), &err), 0);
	assert_string_equal(id, "east");
	memset(longest, 'z', SL_CLUSTER_ID_MAX);
	longest[SL_CLUSTER_ID_MAX] = '\n';
	put(f, longest, SL_CLUSTER_ID_MAX + 1);
	assert_int_equal(sl_cluster_id_load(f->dir, id, sizeof(id), &err), 0);
	assert_int_equal(strlen(id), SL_CLUSTER_ID_MAX);
}

/* Each malformed file fails with SL_EINVAL, a message naming the file, and no id. */
static void expect_malformed(const struct fixture *f, const char *text, size_t len, const char *why)
{
	struct sl_error err = SL_ERROR_INIT;
	char id[SL_CLUSTER_ID_MAX + 1] = "untouched";

	put(f, text, len);
	assert_int_equal(sl_cluster_id_load(f->dir, id, sizeof(id), &err), SL_EINVAL);
	assert_string_equal(id, "untouched");
	if (strncmp(err.msg, f->path, strlen(f->path)) != 0 || strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\": want it to start with %s and say \"%s\"", err.msg,
		        f->path, why);
}

static void test_load_malformed(void **state)
{
	struct fixture *f = *state;
	char big[200];

	expect_malformed(f, "", 0, "malformed cluster id: empty");
	expect_malformed(f, "\n", 1, "malformed cluster id: empty");
	expect_malformed(f, "east\n\n", 6, "byte 0x0a at offset 4");
	expect_malformed(f, "east west\n", 10, "byte 0x20 at offset 4");
	expect_malformed(f, "a:b", 3, "character ':' at offset 1");
	expect_malformed(f, "ab\0cd", 5, "NUL byte");
	memset(big, 'x', sizeof(big));
	expect_malformed(f, big, SL_CLUSTER_ID_MAX + 1, "65 bytes long");
	expect_malformed(f, big, sizeof(big), "longer than 64 bytes");
}

static void test_load_errors(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char id[SL_CLUSTER_ID_MAX + 1], missing[1100];

	/* A buffer that cannot hold every valid id is refused before anything is read. */
	assert_int_equal(sl_cluster_id_load(f->dir, id, SL_CLUSTER_ID_MAX, &err), SL_EINVAL);
	assert_int_equal(access(f->path, F_OK), -1);
	/* The directory must exist: the journal creates it first. */
	snprintf(missing, sizeof(missing), "%s/none", f->dir);
	assert_true(sl_cluster_id_load(missing, id, sizeof(id), &err) < 0);
	assert_non_null(strstr(err.msg, "none/cluster-id"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_check),
	        cmocka_unit_test(test_generate),
	        T(test_load_creates_then_reads_back),
	        T(test_load_accepts_hand_written),
	        T(test_load_malformed),
	        T(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
