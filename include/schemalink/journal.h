/*
 * journal.h — srlite's append-only journal for --data-dir durability.
 *
 * Owns: the file DIR/journal and its framing. Depends on base only; records are opaque bytes
 * (the store writes JSON). Layout: an 8-byte header "SLJRNL1\n", then records framed as
 * [u32 length, little-endian][u32 CRC-32 (IEEE) of the payload][payload]. A record is
 * acknowledged only after sl_journal_sync says it reached the disk; concurrent writers share
 * one fsync (group commit: the first waiter becomes the leader and syncs everything written
 * so far, the others wait on a condition variable).
 *
 * Replay never fails on a torn tail: a last record that is cut short or fails its checksum
 * (a crash in the middle of a write) is dropped, the file truncated to the last good record,
 * and the number of dropped bytes reported so the caller can warn.
 */
#ifndef SCHEMALINK_JOURNAL_H
#define SCHEMALINK_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "schemalink/error.h"

#define SL_JOURNAL_MAX_RECORD ((size_t)64 * 1024 * 1024)

struct sl_journal;

/* Called once per good record, in order, during sl_journal_open. A non-zero return stops the
 * open with that error (a record the application cannot apply is corruption, not a torn
 * tail). rec is borrowed for the call. */
typedef int (*sl_journal_replay_fn)(void *cls, const char *rec, size_t len, struct sl_error *err);

struct sl_journal_stats {
	uint64_t records; /* good records replayed */
	uint64_t dropped_bytes; /* bytes of a torn tail truncated away (0 = clean) */
	char dropped_reason[128]; /* why they were dropped, for the warning */
};

/* Opens (creating when missing) DIR/journal, creating DIR too, replays every good record
 * through replay (may be NULL) and positions for appending. Returns the owned journal or
 * NULL with err set (I/O error, bad header, replay failure). stats is optional. */
struct sl_journal *sl_journal_open(const char *dir, sl_journal_replay_fn replay, void *cls,
        struct sl_journal_stats *stats, struct sl_error *err);

/* Writes one record (borrowed) to the file and returns its sequence number in *seq; it is
 * durable once sl_journal_sync(*seq) returned 0. A failed or short write is rolled back
 * (the file truncated to its previous size). After a failed fsync the journal refuses every
 * further write (the page cache state is unknown). */
int sl_journal_append(
        struct sl_journal *j, const void *rec, size_t len, uint64_t *seq, struct sl_error *err);

/* Waits until record seq is on disk (fdatasync), sharing one sync among concurrent callers. */
int sl_journal_sync(struct sl_journal *j, uint64_t seq, struct sl_error *err);

/* Number of fsyncs done so far (tests check that group commit shares them). */
uint64_t sl_journal_sync_count(struct sl_journal *j);

/* Closes the file and frees j. NULL is a no-op. */
void sl_journal_close(struct sl_journal *j);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of len bytes, continuing from crc (0 to
 * start). */
uint32_t sl_crc32(uint32_t crc, const void *data, size_t len);

#endif
