/* clusterid.c — srlite's cluster id: syntax, generation, and the copy kept in a data dir. */
#include "schemalink/clusterid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "schemalink/buf.h"
#include "schemalink/fileio.h"

#define WANT "want 1-64 characters of [A-Za-z0-9_-]"

static int id_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

int sl_cluster_id_check(const char *id, struct sl_error *err)
{
	size_t n = strlen(id);

	if (n == 0)
		return sl_error_set(err, SL_EINVAL, "empty; " WANT);
	if (n > SL_CLUSTER_ID_MAX)
		return sl_error_set(err, SL_EINVAL, "%zu bytes long; " WANT, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];

		if (id_char(ch))
			continue;
		/* The offending byte is shown escaped unless printable ASCII, so a message
		 * about a bad id cannot carry a control character to a terminal or log. */
		if (ch > 0x20 && ch < 0x7f)
			return sl_error_set(
			        err, SL_EINVAL, "character '%c' at offset %zu; " WANT, ch, i);
		return sl_error_set(err, SL_EINVAL, "byte 0x%02x at offset %zu; " WANT, ch, i);
	}
	return 0;
}

int sl_cluster_id_generate(char *out, size_t len, struct sl_error *err)
{
	static const char b64url[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char rnd[16];
	size_t got = 0, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (len < SL_CLUSTER_ID_RANDOM_LEN + 1)
		return sl_error_set(
		        err, SL_EINVAL, "cluster id buffer of %zu bytes is too small", len);
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sl_error_errno(err, errno, "getrandom");
		got += (size_t)n;
	}
	/* 128 bits make 21 full sextets and 2 bits left over, padded with zeros into the
	 * 22nd character (unpadded base64url, the form of a Kafka cluster id). */
	for (size_t i = 0; i < sizeof(rnd); i++) {
		acc = (acc << 8) | rnd[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = b64url[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

int sl_cluster_id_load(const char *dir, char *out, size_t len, struct sl_error *err)
{
	struct sl_buf path = SL_BUF_INIT, text = SL_BUF_INIT;
	struct sl_error why = SL_ERROR_INIT;
	char fresh[SL_CLUSTER_ID_MAX + 1];
	int rc;

	if (len < SL_CLUSTER_ID_MAX + 1) {
		rc = sl_error_set(
		        err, SL_EINVAL, "cluster id buffer of %zu bytes is too small", len);
		goto out;
	}
	if (sl_buf_addf(&path, "%s/%s", dir, SL_CLUSTER_ID_FILE) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	/* One byte over the longest id and its newline is enough to tell "too long". */
	rc = sl_file_read(path.data, SL_CLUSTER_ID_MAX + 1, &text, err);
	if (rc == SL_ENOENT) {
		sl_error_clear(err);
		rc = sl_cluster_id_generate(fresh, sizeof(fresh), err);
		if (rc < 0)
			goto out;
		if (sl_buf_addf(&text, "%s\n", fresh) < 0) {
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		/* Written before it is used: an id served once must be the one read back after
		 * a crash. */
		rc = sl_file_write_atomic(path.data, text.data, text.len, 0600, err);
		if (rc < 0)
			goto out;
		snprintf(out, len, "%s", fresh);
		rc = 1;
		goto out;
	}
	if (rc == SL_ELIMIT) {
		rc = sl_error_set(err, SL_EINVAL, "%s: malformed cluster id: longer than %d bytes",
		        path.data, SL_CLUSTER_ID_MAX);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (text.len > 0 && text.data[text.len - 1] == '\n')
		sl_buf_truncate(&text, text.len - 1);
	if (strlen(text.data) != text.len) {
		rc = sl_error_set(
		        err, SL_EINVAL, "%s: malformed cluster id: it holds a NUL byte", path.data);
		goto out;
	}
	if (sl_cluster_id_check(text.data, &why) != 0) {
		rc = sl_error_set(
		        err, SL_EINVAL, "%s: malformed cluster id: %s", path.data, why.msg);
		goto out;
	}
	snprintf(out, len, "%s", text.data);
	rc = 0;
out:
	sl_buf_release(&path);
	sl_buf_release(&text);
	return rc;
}
