/*
 * journal.c — append-only, checksummed, group-committed journal (see journal.h).
 *
 * Appends are serialized by j->mu and go straight to the file with write(2); durability is a
 * separate step so a writer can drop its own locks before waiting. The sync protocol: whoever
 * finds no sync running becomes the leader, notes how far the file was written, syncs without
 * holding the mutex, publishes the new durable sequence and wakes everyone; a follower whose
 * record the leader covered returns without a sync of its own.
 */
#include "schemalink/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"

#define HEADER "SLJRNL1\n"
#define HEADER_LEN 8
#define FRAME_LEN 8

struct sl_journal {
	int fd;
	char path[PATH_MAX];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	off_t size; /* bytes written so far */
	uint64_t written; /* sequence of the last record written */
	uint64_t synced; /* sequence of the last record known durable */
	bool syncing; /* a leader is in fdatasync */
	bool failed; /* an fsync failed: refuse everything from now on */
	uint64_t nsyncs;
};

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t sl_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int sync_dir(const char *dir, struct sl_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return sl_error_errno(err, errno, dir);
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = sl_error_errno(err, errno, dir);
	close(fd);
	return rc;
}

/* Walks the records in data[0..len) calling replay; returns the offset just past the last
 * good record in *good and explains a torn tail in stats. */
static int replay_all(const unsigned char *data, size_t len, sl_journal_replay_fn replay, void *cls,
        struct sl_journal_stats *stats, size_t *good, struct sl_error *err)
{
	size_t off = HEADER_LEN;
	int rc = 0;

	while (off < len) {
		uint32_t rlen, crc;

		if (len - off < FRAME_LEN) {
			snprintf(stats->dropped_reason, sizeof(stats->dropped_reason),
			        "incomplete record header at offset %zu", off);
			break;
		}
		rlen = get_u32(data + off);
		crc = get_u32(data + off + 4);
		if (rlen > SL_JOURNAL_MAX_RECORD || rlen > len - off - FRAME_LEN) {
			snprintf(stats->dropped_reason, sizeof(stats->dropped_reason),
			        "record at offset %zu is cut short (%u bytes announced)", off,
			        rlen);
			break;
		}
		if (sl_crc32(0, data + off + FRAME_LEN, rlen) != crc) {
			snprintf(stats->dropped_reason, sizeof(stats->dropped_reason),
			        "record at offset %zu fails its checksum", off);
			break;
		}
		if (replay != NULL) {
			rc = replay(cls, (const char *)data + off + FRAME_LEN, rlen, err);
			if (rc != 0) {
				sl_error_prefix(err, "journal record at offset %zu", off);
				return rc;
			}
		}
		stats->records++;
		off += FRAME_LEN + rlen;
	}
	*good = off;
	stats->dropped_bytes = len - off;
	return 0;
}

struct sl_journal *sl_journal_open(const char *dir, sl_journal_replay_fn replay, void *cls,
        struct sl_journal_stats *stats, struct sl_error *err)
{
	struct sl_journal *j = NULL;
	struct sl_journal_stats local;
	struct sl_buf data = SL_BUF_INIT;
	size_t good = HEADER_LEN;
	int n, rc;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (sl_mkdir_p(dir, 0700, err) != 0)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	j->fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	n = snprintf(j->path, sizeof(j->path), "%s/journal", dir);
	if (n < 0 || (size_t)n >= sizeof(j->path)) {
		sl_error_set(err, SL_EINVAL, "data dir \"%s\" is too long", dir);
		goto fail;
	}
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		sl_error_errno(err, errno, j->path);
		goto fail;
	}
	rc = sl_file_read(j->path, SIZE_MAX, &data, err);
	if (rc != 0)
		goto fail;
	if (data.len < HEADER_LEN) {
		/* A new file, or a crash while writing the header: nothing was ever acknowledged. */
		if (data.len > 0) {
			stats->dropped_bytes = data.len;
			snprintf(stats->dropped_reason, sizeof(stats->dropped_reason),
			        "incomplete file header");
		}
		if (ftruncate(j->fd, 0) < 0 || lseek(j->fd, 0, SEEK_SET) < 0 ||
		        sl_write_all(j->fd, HEADER, HEADER_LEN) < 0 || fsync(j->fd) < 0) {
			sl_error_errno(err, errno, j->path);
			goto fail;
		}
		/* Make the new file's directory entry durable too. */
		if (sync_dir(dir, err) != 0)
			goto fail;
	} else {
		if (memcmp(data.data, HEADER, HEADER_LEN) != 0) {
			sl_error_set(err, SL_EINVAL, "\"%s\" is not an srlite journal (bad header)",
			        j->path);
			goto fail;
		}
		if (replay_all((const unsigned char *)data.data, data.len, replay, cls, stats,
		            &good, err) != 0)
			goto fail;
		if (stats->dropped_bytes > 0 &&
		        (ftruncate(j->fd, (off_t)good) < 0 || fsync(j->fd) < 0)) {
			sl_error_errno(err, errno, j->path);
			goto fail;
		}
	}
	j->size = data.len < HEADER_LEN ? HEADER_LEN : (off_t)good;
	if (lseek(j->fd, j->size, SEEK_SET) < 0) {
		sl_error_errno(err, errno, j->path);
		goto fail;
	}
	sl_buf_release(&data);
	return j;
fail:
	sl_buf_release(&data);
	sl_journal_close(j);
	return NULL;
}

int sl_journal_append(
        struct sl_journal *j, const void *rec, size_t len, uint64_t *seq, struct sl_error *err)
{
	unsigned char frame[FRAME_LEN];
	struct sl_buf b = SL_BUF_INIT;
	int rc = 0;

	if (len > SL_JOURNAL_MAX_RECORD)
		return sl_error_set(
		        err, SL_ELIMIT, "journal record of %zu bytes is too large", len);
	put_u32(frame, (uint32_t)len);
	put_u32(frame + 4, sl_crc32(0, rec, len));
	/* One write(2) per record, so a crash tears at most the last one. */
	if (sl_buf_add(&b, frame, FRAME_LEN) != 0 || sl_buf_add(&b, rec, len) != 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory");
	pthread_mutex_lock(&j->mu);
	if (j->failed) {
		rc = sl_error_set(
		        err, SL_EIO, "journal \"%s\" is unusable after a failed sync", j->path);
		goto out;
	}
	if (sl_write_all(j->fd, b.data, b.len) < 0) {
		rc = sl_error_errno(err, errno, j->path);
		/* Roll back a partial write so the next record starts on a frame boundary. */
		if (ftruncate(j->fd, j->size) < 0 || lseek(j->fd, j->size, SEEK_SET) < 0)
			j->failed = true;
		goto out;
	}
	j->size += (off_t)b.len;
	*seq = ++j->written;
out:
	pthread_mutex_unlock(&j->mu);
	sl_buf_release(&b);
	return rc;
}

int sl_journal_sync(struct sl_journal *j, uint64_t seq, struct sl_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&j->mu);
	while (j->synced < seq && !j->failed) {
		uint64_t target;
		int fd, sync_rc, sync_errno;

		if (j->syncing) {
			pthread_cond_wait(&j->cv, &j->mu);
			continue;
		}
		j->syncing = true;
		target = j->written;
		fd = j->fd;
		pthread_mutex_unlock(&j->mu);
		sync_rc = fdatasync(fd);
		sync_errno = errno;
		pthread_mutex_lock(&j->mu);
		j->syncing = false;
		j->nsyncs++;
		if (sync_rc < 0) {
			j->failed = true;
			rc = sl_error_errno(err, sync_errno, j->path);
		} else if (target > j->synced) {
			j->synced = target;
		}
		pthread_cond_broadcast(&j->cv);
	}
	if (rc == 0 && j->synced < seq)
		rc = sl_error_set(
		        err, SL_EIO, "journal \"%s\" is unusable after a failed sync", j->path);
	pthread_mutex_unlock(&j->mu);
	return rc;
}

uint64_t sl_journal_sync_count(struct sl_journal *j)
{
	uint64_t n;

	pthread_mutex_lock(&j->mu);
	n = j->nsyncs;
	pthread_mutex_unlock(&j->mu);
	return n;
}

void sl_journal_close(struct sl_journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}
