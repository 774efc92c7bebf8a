/* test_fileio.c — atomic writes, capped reads, mkdir -p; each test gets its own temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/fileio.h"

/* Sized below PATH_MAX so paths built from them always fit (and -Wformat-truncation agrees). */
struct fixture {
	char dir[1024];
	char path[2048];
};

static int rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	chmod(path, 0700);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	closedir(d);
	return rmdir(path);
}

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sl-fileio-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
	*state = f;
	return 0;
}

static int teardown_dir(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Number of directory entries other than . and .., and whether any looks temporary. */
static int count_entries(const char *dir, int *temps)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	*temps = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (strstr(e->d_name, ".tmp") != NULL)
			(*temps)++;
	}
	closedir(d);
	return n;
}

static void write_plain(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void assert_file_content(const char *path, const char *want)
{
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(sl_file_read(path, 1 << 20, &b, NULL), 0);
	assert_int_equal(b.len, strlen(want));
	assert_string_equal(b.data, want);
	sl_buf_release(&b);
}

static void test_write_creates_with_content_and_mode(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct stat st;
	int temps;

	assert_int_equal(sl_file_write_atomic(f->path, "{\"a\":1}\n", 8, 0640, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 8);
	assert_file_content(f->path, "{\"a\":1}\n");
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_mode_not_masked(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	mode_t old = umask(077);

	assert_int_equal(sl_file_write_atomic(f->path, "x", 1, 0644, NULL), 0);
	umask(old);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(sl_file_write_atomic(f->path, "y", 1, 0600, NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_write_empty_and_binary(void **state)
{
	struct fixture *f = *state;
	const char bin[] = {0, 1, 2, '\n', (char)0xff, 0};
	struct sl_buf b = SL_BUF_INIT;
	struct stat st;

	assert_int_equal(sl_file_write_atomic(f->path, "", 0, 0600, NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(sl_file_write_atomic(f->path, bin, sizeof(bin), 0600, NULL), 0);
	assert_int_equal(sl_file_read(f->path, 100, &b, NULL), 0);
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	sl_buf_release(&b);
}

static void test_write_replaces_existing(void **state)
{
	struct fixture *f = *state;
	struct stat before, after;
	int temps, i;

	write_plain(f->path, "old content that is longer than the new one\n");
	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal(sl_file_write_atomic(f->path, "new\n", 4, 0600, NULL), 0);
	assert_file_content(f->path, "new\n");
	assert_int_equal(stat(f->path, &after), 0);
	/* Replaced by rename, not rewritten in place. */
	assert_true(before.st_ino != after.st_ino);
	for (i = 0; i < 20; i++) {
		char content[32];

		snprintf(content, sizeof(content), "generation %d\n", i);
		assert_int_equal(
		        sl_file_write_atomic(f->path, content, strlen(content), 0600, NULL), 0);
		assert_file_content(f->path, content);
	}
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_large(void **state)
{
	struct fixture *f = *state;
	size_t n = 3 * 1024 * 1024 + 17, i;
	char *data = malloc(n);
	struct sl_buf b = SL_BUF_INIT;

	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (char)(i * 31 + 7);
	assert_int_equal(sl_file_write_atomic(f->path, data, n, 0600, NULL), 0);
	assert_int_equal(sl_file_read(f->path, n, &b, NULL), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	sl_buf_release(&b);
	free(data);
}

static void test_write_relative_path(void **state)
{
	struct fixture *f = *state;
	char cwd[PATH_MAX];
	int temps;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(sl_file_write_atomic("rel.txt", "rel", 3, 0600, NULL), 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(f->path, sizeof(f->path), "%s/rel.txt", f->dir);
	assert_file_content(f->path, "rel");
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_missing_dir_fails(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char path[PATH_MAX];
	int temps;

	snprintf(path, sizeof(path), "%s/no-such-dir/state.json", f->dir);
	assert_int_equal(sl_file_write_atomic(path, "x", 1, 0600, &err), SL_EIO);
	assert_int_equal(err.code, SL_EIO);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_entries(f->dir, &temps), 0);
}

static void test_write_under_non_directory_fails(void **state)
{
	/* Works as root too: a path whose parent is a regular file can never be created. */
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char path[PATH_MAX];
	int temps;

	write_plain(f->path, "keep me\n");
	snprintf(path, sizeof(path), "%s/child", f->path);
	assert_true(sl_file_write_atomic(path, "x", 1, 0600, &err) < 0);
	assert_int_equal(err.code, SL_EIO);
	assert_non_null(strstr(err.msg, path));
	assert_file_content(f->path, "keep me\n");
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_over_directory_fails_cleanly(void **state)
{
	/* rename fails after the temp file was written: old target intact, temp removed. */
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char inner[PATH_MAX];
	struct stat st;
	int temps;

	assert_int_equal(mkdir(f->path, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/inner", f->path);
	write_plain(inner, "inside\n");
	assert_true(sl_file_write_atomic(f->path, "x", 1, 0600, &err) < 0);
	assert_int_equal(err.code, SL_EIO);
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_file_content(inner, "inside\n");
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_read_only_dir(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char sub[PATH_MAX], path[PATH_MAX];
	int rc, temps;

	snprintf(sub, sizeof(sub), "%s/ro", f->dir);
	snprintf(path, sizeof(path), "%s/ro/state.json", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_plain(path, "original\n");
	assert_int_equal(chmod(sub, 0500), 0);
	rc = sl_file_write_atomic(path, "new", 3, 0600, &err);
	if (geteuid() != 0) {
		assert_int_equal(rc, SL_EIO);
		assert_non_null(strstr(err.msg, path));
		assert_file_content(path, "original\n");
	} else {
		/* Root ignores directory permissions; the write then succeeds. */
		assert_int_equal(rc, 0);
		assert_file_content(path, "new");
	}
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(count_entries(sub, &temps), 1);
	assert_int_equal(temps, 0);
}

static void test_write_path_too_long(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char *path = malloc(PATH_MAX + 10);

	(void)f;
	assert_non_null(path);
	memset(path, 'a', PATH_MAX + 9);
	path[PATH_MAX + 9] = '\0';
	assert_true(sl_file_write_atomic(path, "x", 1, 0600, &err) < 0);
	assert_int_equal(err.code, SL_EINVAL);
	free(path);
}

/* Pieces of every size, across and above the buffer, come out in order. */
static void test_writer_in_pieces(void **state)
{
	struct fixture *f = *state;
	struct sl_file_writer w = SL_FILE_WRITER_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf want = SL_BUF_INIT, got = SL_BUF_INIT;
	size_t sizes[] = {0, 1, 7, SL_FILE_WRITER_BUF - 1, 2, SL_FILE_WRITER_BUF,
	        3 * SL_FILE_WRITER_BUF + 5, 100, 1};
	struct stat st;
	size_t i, j;
	int temps;

	write_plain(f->path, "old\n");
	assert_int_equal(sl_file_writer_open(&w, f->path, 0600, &err), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t at = want.len;

		for (j = 0; j < sizes[i]; j++)
			assert_int_equal(sl_buf_addch(&want, (char)('a' + (at + j) % 26)), 0);
		assert_int_equal(sl_file_writer_add(&w, want.data + at, sizes[i]), 0);
		/* Nothing shows before the commit. */
		assert_file_content(f->path, "old\n");
	}
	assert_int_equal(count_entries(f->dir, &temps), 2);
	assert_int_equal(temps, 1);
	assert_int_equal(sl_file_writer_commit(&w, &err), 0);
	sl_file_writer_abort(&w); /* a no-op once committed */
	assert_int_equal(sl_file_read(f->path, 1 << 20, &got, NULL), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
	sl_buf_release(&want);
	sl_buf_release(&got);
}

static void test_writer_abort_keeps_old_file(void **state)
{
	struct fixture *f = *state;
	struct sl_file_writer w = SL_FILE_WRITER_INIT;
	int temps;

	sl_file_writer_abort(&w); /* never opened: nothing to do */
	write_plain(f->path, "old\n");
	assert_int_equal(sl_file_writer_open(&w, f->path, 0600, NULL), 0);
	assert_int_equal(sl_file_writer_add(&w, "new", 3), 0);
	sl_file_writer_abort(&w);
	sl_file_writer_abort(&w);
	assert_file_content(f->path, "old\n");
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

/* A rename that fails (a directory is in the way) removes the temporary file and says why. */
static void test_writer_commit_failure_cleans_up(void **state)
{
	struct fixture *f = *state;
	struct sl_file_writer w = SL_FILE_WRITER_INIT;
	struct sl_error err = SL_ERROR_INIT;
	int temps;

	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(sl_file_writer_open(&w, f->path, 0600, NULL), 0);
	assert_int_equal(sl_file_writer_add(&w, "x", 1), 0);
	assert_int_equal(sl_file_writer_commit(&w, &err), SL_EIO);
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
	/* Finished: adding or committing again fails without touching anything. */
	assert_true(sl_file_writer_add(&w, "y", 1) < 0);
	assert_true(sl_file_writer_commit(&w, NULL) < 0);
	/* Opening where no directory exists fails and leaves nothing to abort. */
	snprintf(f->path, sizeof(f->path), "%s/missing/state.json", f->dir);
	assert_int_equal(sl_file_writer_open(&w, f->path, 0600, &err), SL_EIO);
	sl_file_writer_abort(&w);
	assert_int_equal(count_entries(f->dir, &temps), 1);
}

static void test_read_appends(void **state)
{
	struct fixture *f = *state;
	struct sl_buf b = SL_BUF_INIT;

	write_plain(f->path, "world");
	assert_int_equal(sl_buf_adds(&b, "hello "), 0);
	assert_int_equal(sl_file_read(f->path, 5, &b, NULL), 0);
	assert_string_equal(b.data, "hello world");
	sl_buf_release(&b);
}

static void test_read_cap(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf b = SL_BUF_INIT;

	write_plain(f->path, "0123456789");
	/* Cap exactly at the size: fine. Above: fine. */
	assert_int_equal(sl_file_read(f->path, 10, &b, &err), 0);
	assert_string_equal(b.data, "0123456789");
	sl_buf_reset(&b);
	assert_int_equal(sl_file_read(f->path, 11, &b, &err), 0);
	assert_string_equal(b.data, "0123456789");
	sl_buf_reset(&b);
	assert_int_equal(sl_file_read(f->path, SIZE_MAX, &b, &err), 0);
	assert_int_equal(b.len, 10);
	sl_buf_reset(&b);
	/* One below: SL_ELIMIT naming the file. */
	assert_int_equal(sl_file_read(f->path, 9, &b, &err), SL_ELIMIT);
	assert_int_equal(err.code, SL_ELIMIT);
	assert_non_null(strstr(err.msg, f->path));
	sl_error_clear(&err);
	assert_int_equal(sl_file_read(f->path, 0, &b, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, f->path));
	sl_buf_release(&b);
}

static void test_read_cap_large_file(void **state)
{
	/* The cap is enforced across read chunks, not just on the first one. */
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf b = SL_BUF_INIT;
	size_t n = 200000;
	char *data = calloc(n, 1);

	assert_non_null(data);
	memset(data, 'z', n);
	assert_int_equal(sl_file_write_atomic(f->path, data, n, 0600, NULL), 0);
	assert_int_equal(sl_file_read(f->path, n, &b, &err), 0);
	assert_int_equal(b.len, n);
	sl_buf_reset(&b);
	assert_int_equal(sl_file_read(f->path, n - 1, &b, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, f->path));
	assert_true(b.len <= n - 1);
	sl_buf_reset(&b);
	assert_int_equal(sl_file_read(f->path, 70000, &b, &err), SL_ELIMIT);
	assert_true(b.len <= 70000);
	sl_buf_release(&b);
	free(data);
}

static void test_read_empty_file(void **state)
{
	struct fixture *f = *state;
	struct sl_buf b = SL_BUF_INIT;

	write_plain(f->path, "");
	assert_int_equal(sl_file_read(f->path, 0, &b, NULL), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	sl_buf_release(&b);
}

static void test_read_missing(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(sl_file_read(f->path, 100, &b, &err), SL_ENOENT);
	assert_int_equal(err.code, SL_ENOENT);
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(b.len, 0);
	assert_int_equal(sl_file_read(f->path, 100, &b, NULL), SL_ENOENT);
	sl_buf_release(&b);
}

static void test_read_directory_fails(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf b = SL_BUF_INIT;

	assert_int_equal(sl_file_read(f->dir, 100, &b, &err), SL_EIO);
	assert_non_null(strstr(err.msg, f->dir));
	sl_buf_release(&b);
}

static void test_mkdir_p_nested(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c/d", f->dir);
	assert_int_equal(sl_mkdir_p(path, 0750, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Existing: still fine, idempotent. */
	assert_int_equal(sl_mkdir_p(path, 0750, &err), 0);
	assert_int_equal(sl_mkdir_p(f->dir, 0750, &err), 0);
	/* Trailing and doubled slashes. */
	snprintf(path, sizeof(path), "%s/x//y/", f->dir);
	assert_int_equal(sl_mkdir_p(path, 0700, &err), 0);
	snprintf(path, sizeof(path), "%s/x/y", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(sl_mkdir_p("/", 0700, &err), 0);
	assert_int_equal(err.code, 0);
}

static void test_mkdir_p_then_write(void **state)
{
	struct fixture *f = *state;
	char dir[2048], path[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/state/links", f->dir);
	snprintf(path, sizeof(path), "%s/status.json", dir);
	assert_int_equal(sl_mkdir_p(dir, 0700, NULL), 0);
	assert_int_equal(sl_file_write_atomic(path, "{}", 2, 0600, NULL), 0);
	assert_file_content(path, "{}");
}

static void test_mkdir_p_over_file_fails(void **state)
{
	struct fixture *f = *state;
	struct sl_error err = SL_ERROR_INIT;
	char path[PATH_MAX];

	write_plain(f->path, "file\n");
	/* A component that is a regular file cannot become a directory. */
	snprintf(path, sizeof(path), "%s/sub", f->path);
	assert_true(sl_mkdir_p(path, 0700, &err) < 0);
	assert_int_equal(err.code, SL_EIO);
	/* The target itself being a regular file is a failure too, as with mkdir -p. */
	sl_error_clear(&err);
	assert_true(sl_mkdir_p(f->path, 0700, &err) < 0);
	assert_int_equal(err.code, SL_EIO);
	assert_non_null(strstr(err.msg, f->path));
	assert_file_content(f->path, "file\n");
}

static void test_mkdir_p_invalid(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char *path = malloc(PATH_MAX + 10);

	(void)state;
	assert_int_equal(sl_mkdir_p("", 0700, &err), SL_EINVAL);
	assert_non_null(path);
	memset(path, 'd', PATH_MAX + 9);
	path[PATH_MAX + 9] = '\0';
	assert_int_equal(sl_mkdir_p(path, 0700, &err), SL_EINVAL);
	free(path);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
	        T(test_write_creates_with_content_and_mode),
	        T(test_write_mode_not_masked),
	        T(test_write_empty_and_binary),
	        T(test_write_replaces_existing),
	        T(test_write_large),
	        T(test_write_relative_path),
	        T(test_write_missing_dir_fails),
	        T(test_write_under_non_directory_fails),
	        T(test_write_over_directory_fails_cleanly),
	        T(test_write_read_only_dir),
	        T(test_write_path_too_long),
	        T(test_writer_in_pieces),
	        T(test_writer_abort_keeps_old_file),
	        T(test_writer_commit_failure_cleans_up),
	        T(test_read_appends),
	        T(test_read_cap),
	        T(test_read_cap_large_file),
	        T(test_read_empty_file),
	        T(test_read_missing),
	        T(test_read_directory_fails),
	        T(test_mkdir_p_nested),
	        T(test_mkdir_p_then_write),
	        T(test_mkdir_p_over_file_fails),
	        T(test_mkdir_p_invalid),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
