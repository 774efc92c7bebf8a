/* json.c — JSON escaping and a JSON document streamed in json_dumps's own format. */
#include "schemalink/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"
#include "schemalink/fileio.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one:
 * overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629). */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

int sl_json_escape(struct sl_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n;
	int rc = 0;

	/* The continuation checks in utf8_len stop at the NUL, so they never read past it. */
	while (*p && rc == 0) {
		switch (*p) {
		case '"': rc = sl_buf_adds(out, "\\\""); break;
		case '\\': rc = sl_buf_adds(out, "\\\\"); break;
		case '\n': rc = sl_buf_adds(out, "\\n"); break;
		case '\r': rc = sl_buf_adds(out, "\\r"); break;
		case '\t': rc = sl_buf_adds(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				rc = sl_buf_addf(out, "\\u%04x", *p);
			} else {
				n = utf8_len(p);
				if (n == 0) {
					rc = sl_buf_adds(out, "\\ufffd");
					n = 1;
				} else {
					rc = sl_buf_add(out, p, n);
				}
				p += n;
				continue;
			}
		}
		p++;
	}
	return rc;
}

void sl_jsonw_init(struct sl_jsonw *w, size_t flags,
        int (*write)(void *cls, const char *data, size_t len), void *cls)
{
	memset(w, 0, sizeof(*w));
	w->write = write;
	w->cls = cls;
	w->flags = flags;
}

static int emit(struct sl_jsonw *w, const char *data, size_t len)
{
	if (w->rc == 0 && len > 0)
		w->rc = w->write(w->cls, data, len);
	return w->rc;
}

/* The most a separator takes: ',', a newline and the deepest indentation. */
#define SEP_MAX (2 + SL_JSONW_MAX_DEPTH * JSON_MAX_INDENT)

/* A newline and the indentation of depth, as jansson's dump_indent writes them, into out
 * (SEP_MAX bytes); returns their length. */
static size_t newline_text(const struct sl_jsonw *w, int depth, char *out)
{
	size_t n = (size_t)depth * (w->flags & JSON_MAX_INDENT);

	out[0] = '\n';
	memset(out + 1, ' ', n);
	return n + 1;
}

static int newline(struct sl_jsonw *w, int depth)
{
	char buf[SEP_MAX];

	return emit(w, buf, newline_text(w, depth, buf));
}

/* What comes before an item of the innermost container, into out (SEP_MAX bytes): ",", then
 * a newline and indent or a space (jansson without JSON_INDENT separates ", " unless
 * JSON_COMPACT). Returns its length. */
static size_t separator(struct sl_jsonw *w, char *out)
{
	size_t n = 0;
	bool first;

	if (w->depth == 0)
		return 0;
	first = w->empty[w->depth - 1];
	w->empty[w->depth - 1] = false;
	if (!first)
		out[n++] = ',';
	if (w->flags & JSON_MAX_INDENT)
		return n + newline_text(w, w->depth, out + n);
	if (!first && !(w->flags & JSON_COMPACT))
		out[n++] = ' ';
	return n;
}

static int separate(struct sl_jsonw *w)
{
	char buf[SEP_MAX];

	return emit(w, buf, separator(w, buf));
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	struct sl_jsonw *w = data;
	const char *nl;

	/* Strings are escaped: every newline in the text is indentation, to be deepened. */
	while (size > 0 && (nl = memchr(buffer, '\n', size)) != NULL) {
		emit(w, buffer, (size_t)(nl - buffer));
		newline(w, w->depth);
		size -= (size_t)(nl - buffer) + 1;
		buffer = nl + 1;
	}
	emit(w, buffer, size);
	return w->rc < 0 ? -1 : 0;
}

static int dump(struct sl_jsonw *w, const json_t *v, size_t flags)
{
	if (json_dump_callback(v, dump_cb, w, flags) < 0 && w->rc == 0)
		w->rc = SL_ENOMEM;
	return w->rc;
}

/* True when s goes between quotes as it is, the same for jansson and sl_json_escape:
 * printable ASCII without '"' and '\\' (and '/' when flags escape it). Most keys and values
 * are, and then nothing is built or escaped for them (GET /status writes some 40 a status). */
static bool plain(const char *s, size_t flags)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		        *s == '\\' || (*s == '/' && (flags & JSON_ESCAPE_SLASH)))
			return false;
	return true;
}

/* The longest plain key or string written in one piece with what surrounds it; longer ones
 * take five writes. Fewer, larger writes are much of what makes a page of /status cheap. */
#define PIECE_MAX 256

/* Writes pre[0..len) (at most SEP_MAX bytes), s between quotes, then post (at most 2). */
static int quoted(struct sl_jsonw *w, const char *pre, size_t len, const char *s, const char *post)
{
	size_t sl = strlen(s), pl = strlen(post);
	char buf[SEP_MAX + PIECE_MAX + 4];

	if (sl > PIECE_MAX) {
		emit(w, pre, len);
		emit(w, "\"", 1);
		emit(w, s, sl);
		emit(w, "\"", 1);
		return emit(w, post, pl);
	}
	memcpy(buf, pre, len);
	buf[len++] = '"';
	memcpy(buf + len, s, sl);
	len += sl;
	buf[len++] = '"';
	memcpy(buf + len, post, pl);
	return emit(w, buf, len + pl);
}

/* Checks that key matches the innermost container and writes the separator and "key": . */
static int member(struct sl_jsonw *w, const char *key, bool *skip)
{
	bool in_object = w->depth > 0 && w->close[w->depth - 1] == '}';
	json_t *k;

	*skip = false;
	if (w->rc < 0)
		return w->rc;
	if (in_object != (key != NULL) || (w->depth == 0 && w->done))
		return w->rc = SL_EINVAL;
	if (key == NULL)
		return separate(w);
	if (plain(key, w->flags)) {
		char sep[SEP_MAX];
		size_t n = separator(w, sep);

		return quoted(w, sep, n, key, w->flags & JSON_COMPACT ? ":" : ": ");
	}
	errno = 0;
	k = json_string(key);
	if (k == NULL) {
		/* Not UTF-8: left out, as jansson would. Out of memory (json_string allocates
		 * only for a valid key, and malloc sets ENOMEM): the document fails. */
		if (errno == ENOMEM)
			return w->rc = SL_ENOMEM;
		*skip = true;
		return w->rc;
	}
	separate(w);
	dump(w, k, (w->flags & ~(size_t)JSON_MAX_INDENT) | JSON_ENCODE_ANY);
	json_decref(k);
	return emit(w, w->flags & JSON_COMPACT ? ":" : ": ", w->flags & JSON_COMPACT ? 1 : 2);
}

int sl_jsonw_open(struct sl_jsonw *w, const char *key, char open)
{
	bool skip;

	if (w->rc == 0 && ((open != '{' && open != '[') || w->depth == SL_JSONW_MAX_DEPTH))
		w->rc = SL_EINVAL;
	if (member(w, key, &skip) < 0)
		return w->rc;
	if (skip)
		return w->rc = SL_EINVAL;
	emit(w, &open, 1);
	w->close[w->depth] = open == '{' ? '}' : ']';
	w->empty[w->depth] = true;
	w->depth++;
	return w->rc;
}

int sl_jsonw_add(struct sl_jsonw *w, const char *key, json_t *v)
{
	bool skip;

	if (v == NULL && w->rc == 0)
		w->rc = SL_ENOMEM; /* a value that could not be built: never save without it */
	if (v != NULL && member(w, key, &skip) == 0 && !skip) {
		dump(w, v, w->flags | JSON_ENCODE_ANY);
		if (w->depth == 0)
			w->done = true;
	}
	json_decref(v);
	return w->rc;
}

int sl_jsonw_str(struct sl_jsonw *w, const char *key, const char *s)
{
	struct sl_buf b = SL_BUF_INIT;
	bool skip;

	if (member(w, key, &skip) < 0 || skip)
		return w->rc;
	if (plain(s ? s : "", 0))
		quoted(w, "", 0, s ? s : "", "");
	else if (sl_buf_addch(&b, '"') < 0 || sl_json_escape(&b, s) < 0 ||
	         sl_buf_addch(&b, '"') < 0)
		w->rc = SL_ENOMEM;
	else
		emit(w, b.data, b.len);
	sl_buf_release(&b);
	if (w->depth == 0)
		w->done = true;
	return w->rc;
}

int sl_jsonw_int(struct sl_jsonw *w, const char *key, int64_t v)
{
	char num[24];
	bool skip;

	if (member(w, key, &skip) < 0 || skip)
		return w->rc;
	{
		/* By hand: the bytes of "%" PRId64, without printf's cost (offsets, codes). */
		uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		size_t n = sizeof(num);

		do
			num[--n] = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v < 0)
			num[--n] = '-';
		emit(w, num + n, sizeof(num) - n);
	}
	if (w->depth == 0)
		w->done = true;
	return w->rc;
}

int sl_jsonw_null(struct sl_jsonw *w, const char *key)
{
	bool skip;

	if (member(w, key, &skip) < 0 || skip)
		return w->rc;
	emit(w, "null", 4);
	if (w->depth == 0)
		w->done = true;
	return w->rc;
}

int sl_jsonw_bool(struct sl_jsonw *w, const char *key, bool v)
{
	bool skip;

	if (member(w, key, &skip) < 0 || skip)
		return w->rc;
	emit(w, v ? "true" : "false", v ? 4 : 5);
	if (w->depth == 0)
		w->done = true;
	return w->rc;
}

int sl_jsonw_close(struct sl_jsonw *w)
{
	if (w->rc < 0)
		return w->rc;
	if (w->depth == 0)
		return w->rc = SL_EINVAL;
	w->depth--;
	if (!w->empty[w->depth] && (w->flags & JSON_MAX_INDENT))
		newline(w, w->depth);
	emit(w, &w->close[w->depth], 1);
	if (w->depth == 0)
		w->done = true;
	return w->rc;
}

int sl_jsonw_finish(const struct sl_jsonw *w)
{
	if (w->rc < 0)
		return w->rc;
	return w->depth == 0 ? 0 : SL_EINVAL;
}

int sl_jsonw_to_buf(void *cls, const char *data, size_t len)
{
	return sl_buf_add(cls, data, len);
}

int sl_jsonw_to_file(void *cls, const char *data, size_t len)
{
	return sl_file_writer_add(cls, data, len);
}
