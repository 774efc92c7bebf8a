/* error.c — struct sl_error helpers. */
#include "schemalink/error.h"

#include <stdio.h>
#include <string.h>

int sl_error_vset(struct sl_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int sl_error_errno(struct sl_error *err, int errnum, const char *what)
{
	char buf[128];
	const char *text = buf;

	/* GNU strerror_r may return a static string instead of filling buf. */
	text = strerror_r(errnum, buf, sizeof(buf));
	return sl_error_set(err, SL_EIO, "%s: %s", what, text);
}

void sl_error_prefix(struct sl_error *err, const char *fmt, ...)
{
	char msg[SL_ERROR_MSG_MAX];
	size_t n, old;
	va_list ap;
	int len;

	if (err == NULL || err->code == 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	n = strlen(msg);
	/* "<prefix>: <old message>", cut at the buffer's end. */
	if (n + 2 < sizeof(msg)) {
		memcpy(msg + n, ": ", 2);
		n += 2;
		old = strnlen(err->msg, sizeof(err->msg) - 1);
		if (old > sizeof(msg) - 1 - n)
			old = sizeof(msg) - 1 - n;
		memcpy(msg + n, err->msg, old);
		n += old;
	}
	msg[n] = '\0';
	memcpy(err->msg, msg, n + 1);
}

void sl_error_clear(struct sl_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

const char *sl_code_name(int code)
{
	switch (code) {
	case SL_OK: return "ok";
	case SL_EINVAL: return "invalid argument";
	case SL_ENOMEM: return "out of memory";
	case SL_EIO: return "i/o error";
	case SL_ENOENT: return "not found";
	case SL_EEXIST: return "already exists";
	case SL_ELIMIT: return "limit exceeded";
	case SL_EHTTP: return "http error";
	case SL_ECONN: return "connection failed";
	case SL_ETIMEOUT: return "timed out";
	case SL_EPROTO: return "protocol error";
	case SL_ESTATE: return "invalid state";
	case SL_EUNSUP: return "not supported";
	}
	return "unknown error";
}
