/*
 * secret.h — secret references (docs/internals/manifests.md §1–§2, docs/internals/operations.md "Secrets").
 *
 * Owns: struct sl_secret_ref and reading a secret when it is used, so a rotated file takes
 * effect without a restart. Depends on base. A resolved secret lives only in caller-owned
 * memory that sl_secret_free wipes; it is never logged, printed or written to state: what
 * may be shown is sl_secret_describe ("secret from file /run/secrets/sr-pass").
 */
#ifndef SCHEMALINK_SECRET_H
#define SCHEMALINK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/error.h"

enum sl_secret_kind {
	SL_SECRET_NONE, /* not set */
	SL_SECRET_VALUE, /* inline; allowed only where the manifest rules say (e.g. usernames) */
	SL_SECRET_ENV, /* name of an environment variable */
	SL_SECRET_FILE, /* path; relative paths were resolved against the manifest's directory */
};

struct sl_secret_ref {
	enum sl_secret_kind kind;
	char *ref; /* owned: the value, the variable name or the absolute file path */
};

#define SL_SECRET_REF_INIT \
	{ \
		SL_SECRET_NONE, NULL \
	}

/* Largest secret file read, in bytes. */
#define SL_SECRET_MAX 65536

/* Sets r to kind/ref (ref copied). Returns 0 or SL_ENOMEM. */
int sl_secret_ref_set(struct sl_secret_ref *r, enum sl_secret_kind kind, const char *ref);
/* Deep copy. */
int sl_secret_ref_copy(struct sl_secret_ref *dst, const struct sl_secret_ref *src);
/* Frees r's storage and resets it to SL_SECRET_REF_INIT. NULL-safe. */
void sl_secret_ref_release(struct sl_secret_ref *r);
bool sl_secret_ref_equal(const struct sl_secret_ref *a, const struct sl_secret_ref *b);

/* Reads the secret now: the inline value, the environment variable (an unset variable is
 * SL_ENOENT naming it), or the file's content with one trailing "\n" or "\r\n" removed
 * (missing file SL_ENOENT, larger than SL_SECRET_MAX SL_ELIMIT). *out is owned; release it
 * with sl_secret_free. Error messages name the reference, never the secret. */
int sl_secret_resolve(const struct sl_secret_ref *r, char **out, struct sl_error *err);

/* Wipes and frees a resolved secret. NULL-safe. */
void sl_secret_free(char *secret);

/* Writes a printable description of the reference into out (never the secret itself):
 * "inline value", "secret from env SR_TOKEN", "secret from file /run/secrets/sr-pass". */
void sl_secret_describe(const struct sl_secret_ref *r, char *out, size_t outlen);

/* Hex SHA-256 of the resolved secret (65 bytes with NUL) so plans can say "changed" without
 * keeping or showing the secret. */
int sl_secret_hash(const struct sl_secret_ref *r, char out[65], struct sl_error *err);

/* SHA-256 of len bytes of data as lower-case hex into out (65 bytes). */
void sl_sha256_hex(const void *data, size_t len, char out[65]);

#endif
