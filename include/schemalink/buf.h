/*
 * buf.h — growable byte buffer, always NUL-terminated (git's strbuf vocabulary).
 *
 * Owns: struct sl_buf. Depends on libc only. On allocation failure the append functions
 * return SL_ENOMEM and leave the buffer's previous contents intact.
 */
#ifndef SCHEMALINK_BUF_H
#define SCHEMALINK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct sl_buf {
	char *data; /* NUL-terminated; points at a static "" while nothing was allocated */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated (0 while data is the static "") */
};

extern char sl_buf_empty[];
#define SL_BUF_INIT \
	{ \
		sl_buf_empty, 0, 0 \
	}

void sl_buf_init(struct sl_buf *b);
/* Frees the storage; b is left as after sl_buf_init. */
void sl_buf_release(struct sl_buf *b);
/* Makes room for at least extra more bytes. Returns 0 or SL_ENOMEM. */
int sl_buf_grow(struct sl_buf *b, size_t extra);
int sl_buf_add(struct sl_buf *b, const void *data, size_t len);
int sl_buf_adds(struct sl_buf *b, const char *s);
int sl_buf_addch(struct sl_buf *b, char c);
int sl_buf_addf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sl_buf_vaddf(struct sl_buf *b, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Empties the buffer, keeping its storage. */
void sl_buf_reset(struct sl_buf *b);
/* Shortens the buffer to len (no-op when len >= b->len). */
void sl_buf_truncate(struct sl_buf *b, size_t len);
/* Drops a UTF-8 sequence cut short at the end of s (what snprintf leaves when it truncates in
 * the middle of a character), so a truncated message stays valid UTF-8 for JSON. Returns the
 * new length. */
size_t sl_utf8_trim_cut(char *s);
/* snprintf(dst, len, "%s", src) (NULL src as ""), cut at a character boundary when it does not
 * fit. len > 0. */
void sl_strlcpy_utf8(char *dst, size_t len, const char *src);

/* Returns the contents as an owned malloc'd string (never NULL unless out of memory) and
 * leaves b empty. The caller frees it. */
char *sl_buf_detach(struct sl_buf *b);

#endif
