/*
 * clusterid.h — srlite's cluster id: the identity a registry reports at GET /v1/metadata/id,
 * so a client can tell one registry from another, and a registry restarted empty from the
 * one it replaced.
 *
 * Owns: the id's syntax, making a random one, and keeping one in DIR/cluster-id across
 * restarts of a durable registry. Depends on base (fileio, error) only. Never logs.
 */
#ifndef SCHEMALINK_CLUSTERID_H
#define SCHEMALINK_CLUSTERID_H

#include <stddef.h>

#include "schemalink/error.h"

/* Longest id, in bytes; a buffer for one needs SL_CLUSTER_ID_MAX + 1. */
#define SL_CLUSTER_ID_MAX 64
/* Length of a generated id: 128 random bits in unpadded base64url. */
#define SL_CLUSTER_ID_RANDOM_LEN 22
/* The file in a data directory that keeps a generated id. */
#define SL_CLUSTER_ID_FILE "cluster-id"

/* Returns 0 when id is 1-SL_CLUSTER_ID_MAX characters of [A-Za-z0-9_-], else SL_EINVAL
 * with err saying what is wrong (without quoting id: the caller names it). */
int sl_cluster_id_check(const char *id, struct sl_error *err);

/* Writes a fresh random id (SL_CLUSTER_ID_RANDOM_LEN characters from getrandom) into out,
 * which has room for len bytes (at least SL_CLUSTER_ID_RANDOM_LEN + 1). Returns 0, SL_EINVAL
 * when out is too small, or SL_EIO when no randomness can be had. */
int sl_cluster_id_generate(char *out, size_t len, struct sl_error *err);

/* Reads the id kept in dir/SL_CLUSTER_ID_FILE into out (room for len bytes, at least
 * SL_CLUSTER_ID_MAX + 1); when that file does not exist, generates one and writes it there
 * atomically (sl_file_write_atomic) first. The file holds the id and one optional newline;
 * anything else fails with SL_EINVAL and a message naming the file. dir must exist. Borrows
 * dir. Returns 1 when it made the file, 0 when it read it back, or a negative code with err
 * set. */
int sl_cluster_id_load(const char *dir, char *out, size_t len, struct sl_error *err);

#endif
