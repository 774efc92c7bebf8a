/* test_journal.c — journal framing, replay, torn tails, group commit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/journal.h"

struct collected {
	int n;
	char recs[64][64];
	int fail_at; /* replay returns an error for this record index (-1 = never) */
};

static int collect(void *cls, const char *rec, size_t len, struct sl_error *err)
{
	struct collected *c = cls;

	if (c->n == c->fail_at)
		return sl_error_set(err, SL_EINVAL, "cannot apply");
	if (c->n < 64)
		snprintf(c->recs[c->n], sizeof(c->recs[0]), "%.*s", (int)len, rec);
	c->n++;
	return 0;
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/sljournal.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/journal", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static off_t file_size(const char *dir)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static void write_n(const char *dir, int n)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j = sl_journal_open(dir, NULL, NULL, NULL, &err);
	char rec[32];
	uint64_t seq = 0;

	assert_non_null(j);
	for (int i = 0; i < n; i++) {
		snprintf(rec, sizeof(rec), "record-%d", i);
		assert_int_equal(sl_journal_append(j, rec, strlen(rec), &seq, &err), 0);
		assert_int_equal(seq, (uint64_t)i + 1);
	}
	assert_int_equal(sl_journal_sync(j, seq, &err), 0);
	sl_journal_close(j);
}

static void crc32_known_values(void **state)
{
	(void)state;
	assert_int_equal(sl_crc32(0, "", 0), 0);
	assert_int_equal(sl_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(sl_crc32(sl_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void roundtrip_and_reopen_appends(void **state)
{
	struct collected c = {.fail_at = -1};
	struct sl_journal_stats stats;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j;
	char *dir = make_dir();
	uint64_t seq;

	(void)state;
	write_n(dir, 3);
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.recs[0], "record-0");
	assert_string_equal(c.recs[2], "record-2");
	assert_int_equal(stats.records, 3);
	assert_int_equal(stats.dropped_bytes, 0);
	assert_int_equal(sl_journal_append(j, "more", 4, &seq, &err), 0);
	assert_int_equal(sl_journal_sync(j, seq, &err), 0);
	sl_journal_close(j);
	memset(&c, 0, sizeof(c));
	c.fail_at = -1;
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.recs[3], "more");
	sl_journal_close(j);
	remove_dir(dir);
}

static void torn_tail_is_dropped_and_truncated(void **state)
{
	struct collected c = {.fail_at = -1};
	struct sl_journal_stats stats;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j;
	char *dir = make_dir(), path[512];
	off_t full;

	(void)state;
	write_n(dir, 5);
	full = file_size(dir);
	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(truncate(path, full - 3), 0);
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 4);
	assert_true(stats.dropped_bytes > 0);
	assert_non_null(strstr(stats.dropped_reason, "cut short"));
	/* The file now ends at the last good record, and appends continue cleanly. */
	assert_int_equal(file_size(dir), full - 3 - (off_t)stats.dropped_bytes);
	sl_journal_close(j);
	memset(&c, 0, sizeof(c));
	c.fail_at = -1;
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 4);
	assert_int_equal(stats.dropped_bytes, 0);
	sl_journal_close(j);
	remove_dir(dir);
}

static void bad_checksum_is_dropped(void **state)
{
	struct collected c = {.fail_at = -1};
	struct sl_journal_stats stats;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j;
	char *dir = make_dir(), path[512];
	off_t full;
	int fd;

	(void)state;
	write_n(dir, 2);
	full = file_size(dir);
	snprintf(path, sizeof(path), "%s/journal", dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, full - 1), 1);
	close(fd);
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(stats.dropped_reason, "checksum"));
	sl_journal_close(j);
	remove_dir(dir);
}

static void torn_header_and_short_frame(void **state)
{
	struct collected c = {.fail_at = -1};
	struct sl_journal_stats stats;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j;
	char *dir = make_dir(), path[512];
	off_t full;

	(void)state;
	write_n(dir, 1);
	full = file_size(dir);
	snprintf(path, sizeof(path), "%s/journal", dir);
	/* Append 5 stray bytes: shorter than a frame header. */
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		assert_int_equal(write(fd, "abcde", 5), 5);
		close(fd);
	}
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 1);
	assert_int_equal(stats.dropped_bytes, 5);
	sl_journal_close(j);
	assert_int_equal(file_size(dir), full);
	/* A file cut inside its 8-byte header holds nothing acknowledged: start empty. */
	assert_int_equal(truncate(path, 3), 0);
	memset(&c, 0, sizeof(c));
	c.fail_at = -1;
	j = sl_journal_open(dir, collect, &c, &stats, &err);
	assert_non_null(j);
	assert_int_equal(c.n, 0);
	assert_int_equal(stats.dropped_bytes, 3);
	sl_journal_close(j);
	remove_dir(dir);
}

static void foreign_file_and_replay_error_fail_open(void **state)
{
	struct collected c = {.fail_at = 1};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal *j;
	char *dir = make_dir(), path[512];
	int fd;

	(void)state;
	write_n(dir, 3);
	j = sl_journal_open(dir, collect, &c, NULL, &err);
	assert_null(j);
	assert_non_null(strstr(err.msg, "cannot apply"));
	snprintf(path, sizeof(path), "%s/journal", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "not a journal", 13), 13);
	close(fd);
	sl_error_clear(&err);
	j = sl_journal_open(dir, NULL, NULL, NULL, &err);
	assert_null(j);
	assert_non_null(strstr(err.msg, "not an srlite journal"));
	remove_dir(dir);
}

struct writer_arg {
	struct sl_journal *j;
	int id;
	int rc;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	struct sl_error err = SL_ERROR_INIT;
	char rec[32];

	for (int i = 0; i < 20 && a->rc == 0; i++) {
		uint64_t seq;

		snprintf(rec, sizeof(rec), "w%d-%d", a->id, i);
		a->rc = sl_journal_append(a->j, rec, strlen(rec), &seq, &err);
		if (a->rc == 0)
			a->rc = sl_journal_sync(a->j, seq, &err);
	}
	return NULL;
}

static void group_commit_shares_syncs(void **state)
{
	enum { NT = 16 };
	struct collected c = {.fail_at = -1};
	struct sl_error err = SL_ERROR_INIT;
	struct writer_arg args[NT];
	pthread_t th[NT];
	struct sl_journal *j;
	char *dir = make_dir();
	uint64_t syncs;

	(void)state;
	j = sl_journal_open(dir, NULL, NULL, NULL, &err);
	assert_non_null(j);
	for (int i = 0; i < NT; i++) {
		args[i] = (struct writer_arg){j, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].rc, 0);
	}
	syncs = sl_journal_sync_count(j);
	/* Every record was synced; never more syncs than records (usually far fewer). */
	assert_true(syncs >= 1 && syncs <= NT * 20);
	print_message(
	        "group commit: %d records, %llu fsyncs\n", NT * 20, (unsigned long long)syncs);
	sl_journal_close(j);
	j = sl_journal_open(dir, collect, &c, NULL, &err);
	assert_non_null(j);
	assert_int_equal(c.n, NT * 20);
	sl_journal_close(j);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(crc32_known_values),
	        cmocka_unit_test(roundtrip_and_reopen_appends),
	        cmocka_unit_test(torn_tail_is_dropped_and_truncated),
	        cmocka_unit_test(bad_checksum_is_dropped),
	        cmocka_unit_test(torn_header_and_short_frame),
	        cmocka_unit_test(foreign_file_and_replay_error_fail_open),
	        cmocka_unit_test(group_commit_shares_syncs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
