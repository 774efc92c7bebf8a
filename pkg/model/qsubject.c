/* qsubject.c — qualified subject grammar, context arithmetic and exporter filters. */
#include "schemalink/qsubject.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/buf.h"

#define RENAME_TOKEN "${subject}"
/* Longest excerpt of user input (in output bytes, after escaping) quoted in an error message,
 * well under SL_ERROR_MSG_MAX so the elision mark and the reason survive truncation. */
#define QUOTE_MAX 200
/* Buffer size that holds any quote() result: the excerpt, "..." and the NUL. */
#define QBUF (QUOTE_MAX + 4)

/*
 * A parse result that points into the input instead of owning copies, so that matching and
 * predicates need no allocation (and so cannot fail for lack of memory).
 */
struct qspan {
	const char *ctx; /* "." or ".name"; NULL when wildcard */
	size_t ctx_len;
	const char *subject; /* NUL-terminated tail of the input (or "") */
	bool wildcard;
	bool context_only;
};

/*
 * Java's Character.isISOControl, which the registry applies per UTF-16 unit: U+0000-U+001F and
 * U+007F-U+009F. In UTF-8 the C1 range is the two-byte sequences C2 80 .. C2 9F. Returns the
 * number of bytes of the control character at p, or 0 when there is none.
 */
static size_t control_len(const char *p)
{
	unsigned char c = (unsigned char)p[0];

	if (c < 0x20 || c == 0x7f)
		return 1;
	if (c == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f)
		return 2;
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (control_len(s))
			return true;
	return false;
}

/*
 * Copies s into dst (QBUF bytes) for an error message, writing control and non-ASCII bytes as
 * \xNN so that a hostile name cannot forge log lines, and eliding what exceeds QUOTE_MAX.
 */
static void quote(char dst[QBUF], const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool esc = c < 0x20 || c >= 0x7f;

		if (o + (esc ? 4 : 1) > QUOTE_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (esc) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* The docs/internals/registry.md §1 grammar, without validation beyond control characters. */
static int span_parse(const char *s, struct qspan *q)
{
	const char *colon;

	memset(q, 0, sizeof(*q));
	if (s == NULL || has_control(s))
		return SL_EINVAL;
	if (strncmp(s, ":*:", 3) == 0) {
		q->wildcard = true;
		q->subject = s + 3;
		return 0;
	}
	if (strncmp(s, ":.", 2) == 0) {
		/* The context runs from the '.' up to the second ':'; a context name therefore
		 * never contains ':', and the subject keeps any further colons. */
		colon = strchr(s + 2, ':');
		q->ctx = s + 1;
		if (colon == NULL) {
			q->ctx_len = strlen(q->ctx);
			q->subject = "";
			q->context_only = true;
		} else {
			q->ctx_len = (size_t)(colon - q->ctx);
			q->subject = colon + 1;
			q->context_only = q->subject[0] == '\0';
		}
		return 0;
	}
	q->ctx = SL_DEFAULT_CONTEXT;
	q->ctx_len = 1;
	q->subject = s;
	return 0;
}

static bool span_ctx_is(const struct qspan *q, const char *ctx, size_t len)
{
	return q->ctx != NULL && q->ctx_len == len && memcmp(q->ctx, ctx, len) == 0;
}

static bool span_ctx_default(const struct qspan *q)
{
	return span_ctx_is(q, ".", 1);
}

/*
 * Finds the bare name of a context written in any accepted spelling ("", ".", "c", ".c", ":.c",
 * ":.c:", ":.:"). The name excludes the leading dot; an empty name is the default context.
 */
static int ctx_name(const char *in, const char **name, size_t *len, struct sl_error *err)
{
	char qb[QBUF];
	const char *p = in;
	size_t n;

	if (in == NULL)
		return sl_error_set(err, SL_EINVAL, "context is missing");
	if (has_control(in)) {
		quote(qb, in);
		return sl_error_set(
		        err, SL_EINVAL, "context '%s' contains a control character", qb);
	}
	if (p[0] == ':') {
		if (p[1] != '.') {
			quote(qb, in);
			return sl_error_set(
			        err, SL_EINVAL, "context '%s' is not of the form ':.name:'", qb);
		}
		p += 2;
		n = strlen(p);
		if (n > 0 && p[n - 1] == ':')
			n--;
	} else {
		if (p[0] == '.')
			p++;
		n = strlen(p);
	}
	if (memchr(p, ':', n) != NULL) {
		quote(qb, in);
		return sl_error_set(err, SL_EINVAL, "context '%s' contains ':'", qb);
	}
	*name = p;
	*len = n;
	return 0;
}

int sl_qsubject_parse(const char *s, struct sl_qsubject *out, struct sl_error *err)
{
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct qspan sp;
	char qb[QBUF];
	int rc = 0;

	*out = q;
	if (s == NULL)
		return sl_error_set(err, SL_EINVAL, "subject is missing");
	if (span_parse(s, &sp) < 0) {
		quote(qb, s);
		return sl_error_set(
		        err, SL_EINVAL, "subject '%s' contains a control character", qb);
	}
	if (!sp.wildcard) {
		q.context = strndup(sp.ctx, sp.ctx_len);
		if (q.context == NULL) {
			rc = sl_error_set(err, SL_ENOMEM, "out of memory parsing a subject");
			goto out;
		}
	}
	q.subject = strdup(sp.subject);
	if (q.subject == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory parsing a subject");
		goto out;
	}
	q.wildcard = sp.wildcard;
	q.context_only = sp.context_only;
	*out = q;
	q = (struct sl_qsubject)SL_QSUBJECT_INIT;
out:
	sl_qsubject_release(&q);
	return rc;
}

void sl_qsubject_release(struct sl_qsubject *q)
{
	if (q == NULL)
		return;
	free(q->context);
	free(q->subject);
	*q = (struct sl_qsubject)SL_QSUBJECT_INIT;
}

static int check_registrable_span(const char *s, const struct qspan *q, struct sl_error *err)
{
	char qb[QBUF];

	quote(qb, s);
	if (q->wildcard)
		return sl_error_set(err, SL_EINVAL,
		        "subject '%s' is not valid: ':*:' is only for filters and prefixes", qb);
	if (q->subject[0] == '\0')
		return sl_error_set(err, SL_EINVAL, "subject '%s' is not valid: empty name", qb);
	if (strcmp(q->subject, "*") == 0 || strcmp(q->subject, "__GLOBAL") == 0 ||
	        strcmp(q->subject, "__EMPTY") == 0)
		return sl_error_set(err, SL_EINVAL, "subject '%s' is not valid: reserved name", qb);
	if (span_ctx_is(q, ".__GLOBAL", 9))
		return sl_error_set(err, SL_EINVAL,
		        "subject '%s' is not valid: context '.__GLOBAL' holds no subjects", qb);
	return 0;
}

int sl_qsubject_check_registrable(const char *s, struct sl_error *err)
{
	struct qspan q;
	char qb[QBUF];

	if (s == NULL)
		return sl_error_set(err, SL_EINVAL, "subject is missing");
	if (span_parse(s, &q) < 0) {
		quote(qb, s);
		return sl_error_set(
		        err, SL_EINVAL, "subject '%s' contains a control character", qb);
	}
	return check_registrable_span(s, &q, err);
}

/*
 * A default-context subject is written bare, unless the bare form would read back as something
 * else: a subject that itself starts with ":." or ":*:" keeps the explicit ":.:" prefix.
 */
static bool bare_is_ambiguous(const char *subject)
{
	return strncmp(subject, ":.", 2) == 0 || strncmp(subject, ":*:", 3) == 0;
}

/* Appends the wire form of (context name, subject) to b. name_len 0 is the default context. */
static int add_qualified(struct sl_buf *b, const char *name, size_t name_len, const char *subject)
{
	int rc = 0;

	if (name_len > 0 || bare_is_ambiguous(subject)) {
		rc = sl_buf_add(b, ":.", 2);
		if (rc == 0)
			rc = sl_buf_add(b, name, name_len);
		if (rc == 0)
			rc = sl_buf_addch(b, ':');
	}
	if (rc == 0)
		rc = sl_buf_adds(b, subject);
	return rc;
}

char *sl_qsubject_format(const char *context, const char *subject)
{
	struct sl_buf b = SL_BUF_INIT;
	const char *name;
	size_t len;
	char *res = NULL;

	if (subject == NULL || has_control(subject))
		goto out;
	if (ctx_name(context, &name, &len, NULL) < 0)
		goto out;
	if (add_qualified(&b, name, len, subject) < 0)
		goto out;
	res = sl_buf_detach(&b);
out:
	sl_buf_release(&b);
	return res;
}

char *sl_qsubject_normalize(const char *s)
{
	struct sl_buf b = SL_BUF_INIT;
	struct qspan q;
	char *res = NULL;
	int rc;

	if (span_parse(s, &q) < 0)
		goto out;
	if (q.wildcard) {
		rc = sl_buf_adds(&b, ":*:");
		if (rc == 0)
			rc = sl_buf_adds(&b, q.subject);
	} else if (q.context_only) {
		/* Keep the context-only form explicit (":.:" stays ":.:") rather than collapsing
		 * the default context to "", which would read back as an empty subject. */
		rc = sl_buf_addch(&b, ':');
		if (rc == 0)
			rc = sl_buf_add(&b, q.ctx, q.ctx_len);
		if (rc == 0)
			rc = sl_buf_addch(&b, ':');
	} else {
		rc = add_qualified(&b, q.ctx + 1, q.ctx_len - 1, q.subject);
	}
	if (rc < 0)
		goto out;
	res = sl_buf_detach(&b);
out:
	sl_buf_release(&b);
	return res;
}

static char *ctx_dup(const char *name, size_t len)
{
	char *s = malloc(len + 2);

	if (s == NULL)
		return NULL;
	s[0] = '.';
	memcpy(s + 1, name, len);
	s[len + 1] = '\0';
	return s;
}

int sl_context_normalize(const char *in, char **out, struct sl_error *err)
{
	const char *name;
	size_t len;
	int rc;

	*out = NULL;
	rc = ctx_name(in, &name, &len, err);
	if (rc < 0)
		return rc;
	*out = ctx_dup(name, len);
	if (*out == NULL)
		return sl_error_set(err, SL_ENOMEM, "out of memory normalizing a context");
	return 0;
}

bool sl_context_is_default(const char *ctx)
{
	const char *name;
	size_t len;

	return ctx_name(ctx, &name, &len, NULL) == 0 && len == 0;
}

char *sl_qsubject_context(const char *s)
{
	struct qspan q;

	if (span_parse(s, &q) < 0 || q.wildcard)
		return NULL;
	return strndup(q.ctx, q.ctx_len);
}

int sl_context_type_parse(const char *s, enum sl_context_type *out, struct sl_error *err)
{
	char qb[QBUF];

	if (s == NULL)
		return sl_error_set(err, SL_EINVAL, "context type is missing");
	if (strcasecmp(s, "AUTO") == 0)
		*out = SL_CONTEXT_AUTO;
	else if (strcasecmp(s, "CUSTOM") == 0)
		*out = SL_CONTEXT_CUSTOM;
	else if (strcasecmp(s, "NONE") == 0)
		*out = SL_CONTEXT_NONE;
	else {
		quote(qb, s);
		return sl_error_set(
		        err, SL_EINVAL, "context type '%s' is not one of AUTO, CUSTOM, NONE", qb);
	}
	return 0;
}

const char *sl_context_type_name(enum sl_context_type t)
{
	switch (t) {
	case SL_CONTEXT_AUTO: return "AUTO";
	case SL_CONTEXT_CUSTOM: return "CUSTOM";
	case SL_CONTEXT_NONE: return "NONE";
	}
	return "UNKNOWN";
}

/* Appends the destination context name (without its leading dot) to b. */
static int add_dest_ctx(struct sl_buf *b, enum sl_context_type type, const char *name,
        const char *src_ctx, struct sl_error *err)
{
	const char *src, *pre;
	size_t src_len, pre_len;
	int rc;

	rc = ctx_name(src_ctx, &src, &src_len, err);
	if (rc < 0)
		return rc;
	switch (type) {
	case SL_CONTEXT_NONE: break;
	case SL_CONTEXT_CUSTOM:
	case SL_CONTEXT_AUTO:
		rc = ctx_name(name, &pre, &pre_len, err);
		if (rc < 0)
			return rc;
		if (pre_len == 0)
			return sl_error_set(err, SL_EINVAL, "context type %s needs a context name",
			        sl_context_type_name(type));
		rc = sl_buf_add(b, pre, pre_len);
		/* The source context is appended with its own dot: ".source" + ".target". */
		if (rc == 0 && src_len > 0)
			rc = sl_buf_addch(b, '.');
		break;
	default: return sl_error_set(err, SL_EINVAL, "unknown context type %d", (int)type);
	}
	if (rc == 0)
		rc = sl_buf_add(b, src, src_len);
	if (rc < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory building a destination context");
	/* Registrations into the pseudo-context would all be refused (42208). */
	if (b->len == 8 && memcmp(b->data, "__GLOBAL", 8) == 0)
		return sl_error_set(err, SL_EINVAL, "destination context '.__GLOBAL' is reserved");
	return 0;
}

int sl_export_dest_context(enum sl_context_type type, const char *name, const char *src_ctx,
        char **out, struct sl_error *err)
{
	struct sl_buf b = SL_BUF_INIT;
	int rc;

	*out = NULL;
	rc = add_dest_ctx(&b, type, name, src_ctx, err);
	if (rc < 0)
		goto out;
	*out = ctx_dup(b.data, b.len);
	if (*out == NULL)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory building a destination context");
out:
	sl_buf_release(&b);
	return rc;
}

/* Appends rename_format with every "${subject}" replaced by subject. */
static int add_renamed(
        struct sl_buf *b, const char *rename_format, const char *subject, struct sl_error *err)
{
	const size_t tlen = sizeof(RENAME_TOKEN) - 1;
	const char *p = rename_format, *hit;
	char qb[QBUF];
	int rc = 0;

	if (p == NULL || p[0] == '\0')
		p = RENAME_TOKEN;
	if (strstr(p, RENAME_TOKEN) == NULL) {
		quote(qb, p);
		return sl_error_set(err, SL_EINVAL,
		        "subject rename format '%s' does not contain ${subject}", qb);
	}
	while (rc == 0 && (hit = strstr(p, RENAME_TOKEN)) != NULL) {
		rc = sl_buf_add(b, p, (size_t)(hit - p));
		if (rc == 0)
			rc = sl_buf_adds(b, subject);
		p = hit + tlen;
	}
	if (rc == 0)
		rc = sl_buf_adds(b, p);
	if (rc < 0)
		return sl_error_set(err, SL_ENOMEM, "out of memory renaming a subject");
	return 0;
}

int sl_export_dest_subject(enum sl_context_type type, const char *name, const char *rename_format,
        const char *src_subject, char **out, struct sl_error *err)
{
	struct sl_buf src_ctx = SL_BUF_INIT, dst_ctx = SL_BUF_INIT;
	struct sl_buf renamed = SL_BUF_INIT, res = SL_BUF_INIT;
	struct qspan q;
	int rc;

	*out = NULL;
	rc = sl_qsubject_check_registrable(src_subject, err);
	if (rc < 0)
		goto out;
	span_parse(src_subject, &q);
	/* ctx_name wants a NUL-terminated context; the span's runs on into the subject. */
	if (sl_buf_add(&src_ctx, q.ctx, q.ctx_len) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory building a destination subject");
		goto out;
	}
	rc = add_dest_ctx(&dst_ctx, type, name, src_ctx.data, err);
	if (rc < 0)
		goto out;
	/* The format applies to the unqualified name; the context is put in front after. */
	rc = add_renamed(&renamed, rename_format, q.subject, err);
	if (rc < 0)
		goto out;
	if (has_control(renamed.data)) {
		rc = sl_error_set(
		        err, SL_EINVAL, "subject rename format contains a control character");
		goto out;
	}
	if (add_qualified(&res, dst_ctx.data, dst_ctx.len, renamed.data) < 0) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory building a destination subject");
		goto out;
	}
	rc = sl_qsubject_check_registrable(res.data, err);
	if (rc < 0)
		goto out;
	*out = sl_buf_detach(&res);
	if (*out == NULL)
		rc = sl_error_set(err, SL_ENOMEM, "out of memory building a destination subject");
out:
	sl_buf_release(&src_ctx);
	sl_buf_release(&dst_ctx);
	sl_buf_release(&renamed);
	sl_buf_release(&res);
	return rc;
}

int sl_wildcard_scope_parse(const char *s, enum sl_wildcard_scope *out, struct sl_error *err)
{
	char qb[QBUF];

	if (s == NULL)
		return sl_error_set(err, SL_EINVAL, "wildcard scope is missing");
	if (strcasecmp(s, "all-contexts") == 0)
		*out = SL_WILDCARD_ALL_CONTEXTS;
	else if (strcasecmp(s, "default-context") == 0)
		*out = SL_WILDCARD_DEFAULT_CONTEXT;
	else {
		quote(qb, s);
		return sl_error_set(err, SL_EINVAL,
		        "wildcard scope '%s' is not one of all-contexts, default-context", qb);
	}
	return 0;
}

int sl_filter_check(const char *entry, struct sl_error *err)
{
	struct qspan q;
	char qb[QBUF];

	if (entry == NULL)
		return sl_error_set(err, SL_EINVAL, "subjects entry is missing");
	if (strcmp(entry, "*") == 0)
		return 0;
	quote(qb, entry);
	if (span_parse(entry, &q) < 0)
		return sl_error_set(
		        err, SL_EINVAL, "subjects entry '%s' contains a control character", qb);
	if (q.wildcard) {
		if (q.subject[0] == '\0')
			return 0;
		return sl_error_set(err, SL_EINVAL,
		        "subjects entry '%s' is not valid: ':*:' must stand alone", qb);
	}
	if (q.context_only)
		return sl_error_set(err, SL_EINVAL,
		        "subjects entry '%s' is not valid: write ':.ctx:*' for a whole context",
		        qb);
	if (strcmp(q.subject, "*") == 0) {
		if (span_ctx_is(&q, ".__GLOBAL", 9))
			return sl_error_set(err, SL_EINVAL,
			        "subjects entry '%s' is not valid: '.__GLOBAL' holds no subjects",
			        qb);
		return 0;
	}
	if (check_registrable_span(entry, &q, err) < 0) {
		sl_error_prefix(err, "subjects entry");
		return SL_EINVAL;
	}
	return 0;
}

bool sl_filter_match(const char *entry, const char *subject, enum sl_wildcard_scope scope)
{
	struct qspan e, s;

	if (span_parse(entry, &e) < 0 || span_parse(subject, &s) < 0)
		return false;
	/* Only a concrete subject can be selected; prefixes and context forms are not. */
	if (s.wildcard || s.context_only || s.subject[0] == '\0')
		return false;
	if (strcmp(entry, "*") == 0)
		return scope == SL_WILDCARD_ALL_CONTEXTS || span_ctx_default(&s);
	if (e.wildcard) {
		/* ":*:" is every subject; ":*:name" (rejected by sl_filter_check, possibly
		 * accepted by a real registry) is that exact name in any context. */
		return e.subject[0] == '\0' || strcmp(e.subject, "*") == 0 ||
		       strcmp(e.subject, s.subject) == 0;
	}
	/* Contexts compare whole: ".a" and ".a.b" are unrelated. */
	if (e.context_only || !span_ctx_is(&s, e.ctx, e.ctx_len))
		return false;
	return strcmp(e.subject, "*") == 0 || strcmp(e.subject, s.subject) == 0;
}

bool sl_filter_match_any(
        const char *const *entries, size_t n, const char *subject, enum sl_wildcard_scope scope)
{
	size_t i;

	if (entries == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (sl_filter_match(entries[i], subject, scope))
			return true;
	return false;
}

bool sl_filter_may_select_nondefault(const char *entry)
{
	struct qspan e;

	if (span_parse(entry, &e) < 0)
		return false;
	if (strcmp(entry, "*") == 0 || e.wildcard)
		return true;
	/* Errs on the side of "may" for forms sl_filter_match never selects with (":.ctx:"),
	 * since loop detection must not miss a link a real registry might accept. */
	return !span_ctx_default(&e);
}
