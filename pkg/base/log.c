/* log.c — text / JSON-lines logging with redaction at the last step. */
#include "schemalink/log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "schemalink/json.h"

static struct {
	enum sl_log_level min;
	enum sl_log_format format;
	int fd;
	const struct sl_clock *clock;
} log_cfg = {SL_LOG_INFO, SL_LOG_TEXT, 2, NULL};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sl_log_setup(
        enum sl_log_level min, enum sl_log_format format, int fd, const struct sl_clock *clock)
{
	pthread_mutex_lock(&log_lock);
	log_cfg.min = min;
	log_cfg.format = format;
	log_cfg.fd = fd;
	log_cfg.clock = clock;
	pthread_mutex_unlock(&log_lock);
}

const char *sl_log_level_name(enum sl_log_level level)
{
	return level >= SL_LOG_DEBUG && level <= SL_LOG_ERROR ? level_names[level] : "unknown";
}

int sl_log_level_parse(const char *s, enum sl_log_level *out, struct sl_error *err)
{
	int i;

	for (i = SL_LOG_DEBUG; i <= SL_LOG_ERROR; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum sl_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = SL_LOG_WARN;
		return 0;
	}
	return sl_error_set(err, SL_EINVAL,
	        "invalid log level \"%s\": must be one of debug, info, warn, error", s);
}

int sl_log_format_parse(const char *s, enum sl_log_format *out, struct sl_error *err)
{
	if (strcmp(s, "text") == 0)
		*out = SL_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = SL_LOG_JSON;
	else
		return sl_error_set(
		        err, SL_EINVAL, "invalid log format \"%s\": must be text or json", s);
	return 0;
}

int sl_log_enabled(enum sl_log_level level)
{
	return level >= log_cfg.min;
}

/* --- redaction --- */

static bool is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* True when key[0..len) contains a secret-ish word: password, secret, token, user?info. */
static bool secret_key(const char *key, size_t len)
{
	static const char *const words[] = {"password", "passwd", "secret", "token"};
	size_t i, w;

	for (i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)key[i]);

		/* Every word starts with one of these: most positions need no comparison. */
		if (c != 'p' && c != 's' && c != 't' && c != 'u')
			continue;
		for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			size_t wl = strlen(words[w]);

			if (i + wl <= len && strncasecmp(key + i, words[w], wl) == 0)
				return true;
		}
		if (i + 9 <= len && strncasecmp(key + i, "user", 4) == 0 &&
		        strncasecmp(key + i + 5, "info", 4) == 0)
			return true;
	}
	return false;
}

/* Length of the value starting at p: a quoted string (quote included) or a bare token. */
static size_t value_len(const char *p, bool to_eol)
{
	const char *q = p;

	if (*q == '"' || *q == '\'') {
		char quote = *q;

		for (q++; *q && *q != quote; q++)
			if (*q == '\\' && q[1])
				q++;
		return (size_t)(q - p) + (*q == quote);
	}
	if (to_eol) {
		while (*q && *q != '\n' && *q != '\r' && *q != '"' && *q != ',')
			q++;
		return (size_t)(q - p);
	}
	while (*q && !isspace((unsigned char)*q) && !strchr(",;&}])\"'", *q))
		q++;
	return (size_t)(q - p);
}

int sl_redact(const char *in, struct sl_buf *out)
{
	const char *p = in;

	while (*p) {
		/* URL user-info: scheme://user:pw@host */
		if (strncmp(p, "://", 3) == 0) {
			const char *a = p + 3, *end = a, *at = NULL;

			while (*end && !strchr("/?#\"' \t\r\n<>", *end)) {
				if (*end == '@')
					at = end;
				end++;
			}
			if (sl_buf_add(out, p, 3) < 0)
				return SL_ENOMEM;
			p += 3;
			/* "://@" has no user-info to hide; leave such text byte for byte. */
			if (at != NULL && at > a) {
				if (sl_buf_adds(out, "[redacted]") < 0)
					return SL_ENOMEM;
				p = at;
			}
			continue;
		}
		if (is_key_char(*p) && (p == in || !is_key_char(p[-1]))) {
			const char *k = p, *q;
			size_t klen;
			bool auth;

			while (is_key_char(*p))
				p++;
			klen = (size_t)(p - k);
			if (sl_buf_add(out, k, klen) < 0)
				return SL_ENOMEM;
			/* key, optional closing quote, separator, value; the separator is looked
			 * for first, being cheaper than the key's words (GET /status redacts
			 * every message it serves). */
			q = p;
			if (*q == '"')
				q++;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != ':' && *q != '=')
				continue;
			auth = klen == 13 && strncasecmp(k, "authorization", 13) == 0;
			if (!auth && !secret_key(k, klen))
				continue;
			q++;
			while (*q == ' ' || *q == '\t')
				q++;
			/* A structured value ({file: ...}, [..]) names a reference, not a secret. */
			if (*q == '{' || *q == '[' || *q == '\0')
				continue;
			if (sl_buf_add(out, p, (size_t)(q - p)) < 0)
				return SL_ENOMEM;
			p = q;
			{
				size_t vl = value_len(p, auth);
				const char *mask = "[redacted]";

				if (vl == 0)
					continue;
				/* Keep the value's quotes so JSON and YAML around it stay well-formed. */
				if (*p == '"')
					mask = "\"[redacted]\"";
				else if (*p == '\'')
					mask = "'[redacted]'";
				if (sl_buf_adds(out, mask) < 0)
					return SL_ENOMEM;
				p += vl;
			}
			continue;
		}
		/* Up to the next key or ':' in one piece (at least this byte). */
		{
			size_t n = 1;

			while (p[n] != '\0' && p[n] != ':' && !is_key_char(p[n]))
				n++;
			if (sl_buf_add(out, p, n) < 0)
				return SL_ENOMEM;
			p += n;
		}
	}
	return 0;
}

/* --- output --- */

void sl_vlog(
        enum sl_log_level level, const struct sl_log_fields *fields, const char *fmt, va_list ap)
{
	struct sl_buf msg = SL_BUF_INIT, clean = SL_BUF_INIT, line = SL_BUF_INIT;
	struct sl_buf object = SL_BUF_INIT, reason = SL_BUF_INIT;
	const struct sl_clock *clock;
	char ts[40];
	size_t off;

	if (!sl_log_enabled(level))
		return;
	clock = log_cfg.clock ? log_cfg.clock : sl_clock_system();
	sl_clock_format_rfc3339(sl_clock_wall_ms(clock), ts, sizeof(ts));
	if (sl_buf_vaddf(&msg, fmt, ap) < 0 || sl_redact(msg.data, &clean) < 0)
		goto out;
	/* Fields are printed too, so they pass through the same last-step redaction. */
	if (fields && fields->object && sl_redact(fields->object, &object) < 0)
		goto out;
	if (fields && fields->reason && sl_redact(fields->reason, &reason) < 0)
		goto out;
	if (log_cfg.format == SL_LOG_JSON) {
		struct sl_jsonw w;

		sl_jsonw_init(&w, JSON_COMPACT, sl_jsonw_to_buf, &line);
		sl_jsonw_open(&w, NULL, '{');
		sl_jsonw_str(&w, "ts", ts);
		sl_jsonw_str(&w, "level", sl_log_level_name(level));
		sl_jsonw_str(&w, "msg", clean.data);
		if (fields && fields->object)
			sl_jsonw_str(&w, "object", object.data);
		if (fields && fields->reason)
			sl_jsonw_str(&w, "reason", reason.data);
		if (fields && fields->attempt)
			sl_jsonw_int(&w, "attempt", fields->attempt);
		sl_jsonw_close(&w);
		if (sl_jsonw_finish(&w) < 0)
			goto out;
		sl_buf_addch(&line, '\n');
	} else {
		char lv[8];
		size_t i;

		for (i = 0; i < sizeof(lv) - 1 && sl_log_level_name(level)[i]; i++)
			lv[i] = (char)toupper((unsigned char)sl_log_level_name(level)[i]);
		lv[i] = '\0';
		sl_buf_addf(&line, "%s %-5s %s", ts, lv, clean.data);
		if (fields && fields->object)
			sl_buf_addf(&line, " object=%s", object.data);
		if (fields && fields->reason)
			sl_buf_addf(&line, " reason=%s", reason.data);
		if (fields && fields->attempt)
			sl_buf_addf(&line, " attempt=%d", fields->attempt);
		sl_buf_addch(&line, '\n');
	}
	pthread_mutex_lock(&log_lock);
	for (off = 0; off < line.len;) {
		ssize_t n = write(log_cfg.fd, line.data + off, line.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&log_lock);
out:
	sl_buf_release(&msg);
	sl_buf_release(&clean);
	sl_buf_release(&line);
	sl_buf_release(&object);
	sl_buf_release(&reason);
}

void sl_log(enum sl_log_level level, const struct sl_log_fields *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_vlog(level, fields, fmt, ap);
	va_end(ap);
}
