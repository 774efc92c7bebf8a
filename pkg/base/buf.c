/* buf.c — growable NUL-terminated byte buffer. */
#include "schemalink/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/error.h"

/* Shared terminator for empty buffers: never written to, since cap is 0 there. */
char sl_buf_empty[1];

void sl_buf_init(struct sl_buf *b)
{
	b->data = sl_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void sl_buf_release(struct sl_buf *b)
{
	if (b->cap)
		free(b->data);
	sl_buf_init(b);
}

int sl_buf_grow(struct sl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return SL_ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = b->cap ? realloc(b->data, cap) : malloc(cap);
	if (p == NULL)
		return SL_ENOMEM;
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int sl_buf_add(struct sl_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (sl_buf_grow(b, len) < 0)
		return SL_ENOMEM;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sl_buf_adds(struct sl_buf *b, const char *s)
{
	return sl_buf_add(b, s, strlen(s));
}

int sl_buf_addch(struct sl_buf *b, char c)
{
	return sl_buf_add(b, &c, 1);
}

int sl_buf_vaddf(struct sl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return SL_EINVAL;
	if (sl_buf_grow(b, (size_t)n) < 0)
		return SL_ENOMEM;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sl_buf_addf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void sl_buf_reset(struct sl_buf *b)
{
	sl_buf_truncate(b, 0);
}

void sl_buf_truncate(struct sl_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

size_t sl_utf8_trim_cut(char *s)
{
	size_t n = strlen(s), i = n, want;
	unsigned char lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return n;
	lead = (unsigned char)s[i - 1];
	if (lead < 0xC0)
		return n; /* ASCII (or a stray continuation byte, which is not ours to fix) */
	want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (n - (i - 1) < want) {
		s[i - 1] = '\0';
		return i - 1;
	}
	return n;
}

void sl_strlcpy_utf8(char *dst, size_t len, const char *src)
{
	if ((size_t)snprintf(dst, len, "%s", src ? src : "") >= len)
		sl_utf8_trim_cut(dst);
}

char *sl_buf_detach(struct sl_buf *b)
{
	char *s;

	if (b->cap == 0)
		return strdup("");
	s = b->data;
	sl_buf_init(b);
	return s;
}
