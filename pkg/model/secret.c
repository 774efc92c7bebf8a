/* secret.c — secret references, resolved when used. */
#include "schemalink/secret.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"

int sl_secret_ref_set(struct sl_secret_ref *r, enum sl_secret_kind kind, const char *ref)
{
	char *copy = NULL;

	if (ref != NULL) {
		copy = strdup(ref);
		if (copy == NULL)
			return SL_ENOMEM;
	}
	sl_secret_ref_release(r);
	r->kind = kind;
	r->ref = copy;
	return 0;
}

int sl_secret_ref_copy(struct sl_secret_ref *dst, const struct sl_secret_ref *src)
{
	return sl_secret_ref_set(dst, src->kind, src->ref);
}

void sl_secret_ref_release(struct sl_secret_ref *r)
{
	if (r == NULL)
		return;
	if (r->ref != NULL && r->kind == SL_SECRET_VALUE)
		explicit_bzero(r->ref, strlen(r->ref));
	free(r->ref);
	r->kind = SL_SECRET_NONE;
	r->ref = NULL;
}

bool sl_secret_ref_equal(const struct sl_secret_ref *a, const struct sl_secret_ref *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->ref == NULL || b->ref == NULL)
		return a->ref == b->ref;
	return strcmp(a->ref, b->ref) == 0;
}

int sl_secret_resolve(const struct sl_secret_ref *r, char **out, struct sl_error *err)
{
	struct sl_buf b = SL_BUF_INIT;
	const char *v;
	int rc;

	*out = NULL;
	switch (r->kind) {
	case SL_SECRET_VALUE:
		*out = strdup(r->ref ? r->ref : "");
		return *out ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
	case SL_SECRET_ENV:
		v = getenv(r->ref);
		if (v == NULL)
			return sl_error_set(
			        err, SL_ENOENT, "environment variable \"%s\" is not set", r->ref);
		*out = strdup(v);
		return *out ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
	case SL_SECRET_FILE:
		rc = sl_file_read(r->ref, SL_SECRET_MAX, &b, err);
		if (rc < 0) {
			sl_error_prefix(err, "secret file");
			goto out;
		}
		/* One trailing newline is how editors end files, not part of the secret. */
		if (b.len && b.data[b.len - 1] == '\n') {
			b.len--;
			if (b.len && b.data[b.len - 1] == '\r')
				b.len--;
			b.data[b.len] = '\0';
		}
		*out = sl_buf_detach(&b);
		rc = *out ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	case SL_SECRET_NONE: break;
	}
	return sl_error_set(err, SL_EINVAL, "no secret reference set");
out:
	if (b.cap)
		explicit_bzero(b.data, b.cap);
	sl_buf_release(&b);
	return rc;
}

void sl_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

void sl_secret_describe(const struct sl_secret_ref *r, char *out, size_t outlen)
{
	switch (r->kind) {
	case SL_SECRET_VALUE: snprintf(out, outlen, "inline value"); break;
	case SL_SECRET_ENV: snprintf(out, outlen, "secret from env %s", r->ref); break;
	case SL_SECRET_FILE: snprintf(out, outlen, "secret from file %s", r->ref); break;
	case SL_SECRET_NONE: snprintf(out, outlen, "no secret"); break;
	}
}

/* --- SHA-256 (FIPS 180-4), small and self-contained. --- */

static const uint32_t K[64] = {0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
        0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
        0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6,
        0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
        0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
        0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585,
        0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa,
        0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] +
		     w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void sl_sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
	        0x1f83d9ab, 0x5be0cd19};
	const unsigned char *p = data;
	unsigned char tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, tl, i;

	for (; len >= 64; p += 64, len -= 64)
		sha256_block(h, p);
	rest = len;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, tail);
	if (tl == 128)
		sha256_block(h, tail + 64);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", h[i]);
}

int sl_secret_hash(const struct sl_secret_ref *r, char out[65], struct sl_error *err)
{
	char *s = NULL;
	int rc = sl_secret_resolve(r, &s, err);

	if (rc < 0)
		return rc;
	sl_sha256_hex(s, strlen(s), out);
	sl_secret_free(s);
	return 0;
}
