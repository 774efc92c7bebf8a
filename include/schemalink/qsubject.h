/*
 * qsubject.h — qualified subject names and context arithmetic (docs/internals/registry.md §1, §3).
 *
 * Owns: the grammar ":.<ctx>:<subject>", context normalization, the exporter's destination
 * naming for NONE / CUSTOM / AUTO with subjectRenameFormat, and subject-filter matching.
 * Pure functions, shared by srlite and the controller: no I/O, no logging, no globals.
 * Depends on base (error, buf) only.
 *
 * Vocabulary: a *context* is "." (the default context) or "." followed by a name without ':'
 * (".source", ".source.target"). A *qualified subject* is the wire form: a default-context
 * subject is written bare ("orders"), any other as ":.ctx:orders".
 *
 * Error messages quote the offending input with control and non-ASCII bytes written as \xNN
 * and cut to 200 bytes, so a hostile name cannot forge or flood a log line.
 */
#ifndef SCHEMALINK_QSUBJECT_H
#define SCHEMALINK_QSUBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/error.h"

#define SL_DEFAULT_CONTEXT "."

/* The parsed form of a (possibly qualified) subject string. */
struct sl_qsubject {
	char *context; /* owned; "." or ".name"; NULL when wildcard is set */
	char *subject; /* owned; the unqualified name, may be "" (context-only forms) */
	bool wildcard; /* the ":*:" form: any context (filters and prefixes only) */
	bool context_only; /* written as ":.ctx" or ":.ctx:" with an empty subject */
};

#define SL_QSUBJECT_INIT \
	{ \
		NULL, NULL, false, false \
	}

/* Parses s per docs/internals/registry.md §1:
 *   ":.ctx:rest" -> context ".ctx", subject "rest" (rest may contain ':');
 *   ":.ctx"      -> context ".ctx", subject "", context_only;
 *   ":.:foo"     -> context ".", subject "foo";
 *   ":*:rest"    -> wildcard, subject "rest";
 *   anything else -> context ".", subject = s.
 * Rejects (SL_EINVAL, message naming s) NULL and ISO control characters anywhere (U+0000-U+001F,
 * U+007F, and U+0080-U+009F as UTF-8 C2 80..C2 9F, as Java's isISOControl). A context name ends
 * at the second ':', so no other character can make it invalid; ".__GLOBAL" parses (it is valid
 * for config and mode). context_only is also set for ":.ctx:" (empty subject after the colon).
 * Borrows s; out is overwritten without being released, and on failure is left as
 * SL_QSUBJECT_INIT. The caller releases it with sl_qsubject_release. */
int sl_qsubject_parse(const char *s, struct sl_qsubject *out, struct sl_error *err);

/* Frees the strings of q and resets it to SL_QSUBJECT_INIT. NULL-safe. */
void sl_qsubject_release(struct sl_qsubject *q);

/* Checks a subject for registration (docs/internals/registry.md §1 "Invalid ⇒ 42208"): after parsing,
 * not wildcard, subject part non-empty, not "*", not "__GLOBAL" or "__EMPTY", context not
 * ".__GLOBAL". Returns 0 or SL_EINVAL with a message. Borrows s. */
int sl_qsubject_check_registrable(const char *s, struct sl_error *err);

/* Returns an owned string: the wire form of (context, subject): bare for the default context,
 * ":<context>:<subject>" otherwise. context may be given as ".c", "c", ":.c:" or "." / "".
 * A default-context subject that itself starts with ":." or ":*:" keeps the ":.:" prefix
 * (".", ":.x:y" -> ":.::.x:y"), since its bare form would parse as another context; other
 * subjects starting with ':' are written bare. Returns NULL on allocation failure, an invalid
 * or NULL context, or a NULL subject or one with control characters. Borrows both. */
char *sl_qsubject_format(const char *context, const char *subject);

/* Returns the owned normalized form of s (":.:foo" -> "foo", ":.c:x" unchanged), or NULL when
 * s does not parse. Context-only forms become ":.c:" (":.c" -> ":.c:", ":.:" stays ":.:", never
 * "", which would read as an empty default-context subject); ":*:rest" is unchanged.
 * Invariant: parsing the result gives the same fields as parsing s. Borrows s. */
char *sl_qsubject_normalize(const char *s);

/* Normalizes a context name: "", ".", ":.", ":.:" -> "."; "c", ".c", ":.c", ":.c:" -> ".c".
 * Only one leading '.' is dropped ("..c" -> "..c"). Rejects (SL_EINVAL) NULL, ':' inside the
 * name (so ":*:" and ":.c:x"), and control characters. *out is owned by the caller; it is set
 * to NULL on failure. */
int sl_context_normalize(const char *in, char **out, struct sl_error *err);

/* True when ctx is the default context in any spelling sl_context_normalize accepts
 * ("", ".", ":.:"); false for NULL and invalid names. */
bool sl_context_is_default(const char *ctx);

/* Returns the owned context of a (possibly qualified) subject, or NULL when it does not parse
 * or is the wildcard form. Borrows s. */
char *sl_qsubject_context(const char *s);

/* Exporter context types (docs/internals/registry.md §2.1, §3). */
enum sl_context_type {
	SL_CONTEXT_AUTO,
	SL_CONTEXT_CUSTOM,
	SL_CONTEXT_NONE,
};

/* Parses "AUTO" / "CUSTOM" / "NONE" (case-insensitive). Returns 0 or SL_EINVAL. */
int sl_context_type_parse(const char *s, enum sl_context_type *out, struct sl_error *err);
/* Upper-case name of t. */
const char *sl_context_type_name(enum sl_context_type t);

/* The destination context an exporter writes a subject of source context src_ctx into:
 *   NONE: src_ctx unchanged;
 *   CUSTOM / AUTO: "." + name + (src_ctx == "." ? "" : src_ctx), e.g. "source" + ".target"
 *   -> ".source.target". name may be given with or without its leading dot; it is required
 *   (non-empty) for CUSTOM and AUTO (AUTO passes the source cluster id) and ignored for NONE.
 * src_ctx may be in any spelling sl_context_normalize accepts. A result of ".__GLOBAL" is
 * SL_EINVAL (nothing can be registered there). *out is owned by the caller, NULL on failure. */
int sl_export_dest_context(enum sl_context_type type, const char *name, const char *src_ctx,
        char **out, struct sl_error *err);

/* The qualified destination subject for a qualified source subject: the unqualified source
 * name is put through rename_format (every "${subject}" replaced by it; NULL or "" means
 * "${subject}"; a format without "${subject}" is SL_EINVAL), then qualified with the
 * destination context above. Example: CUSTOM "source", ":.target:stock_trades-value"
 * -> ":.source.target:stock_trades-value". src_subject must pass
 * sl_qsubject_check_registrable, and so must the result (SL_EINVAL otherwise). The result is in
 * normalized form (see sl_qsubject_format). *out is owned by the caller, NULL on failure. */
int sl_export_dest_subject(enum sl_context_type type, const char *name, const char *rename_format,
        const char *src_subject, char **out, struct sl_error *err);

/* What "*" in an exporter's subjects matches (docs/internals/registry.md §8 and srlite --wildcard-scope). */
enum sl_wildcard_scope {
	SL_WILDCARD_ALL_CONTEXTS, /* "*" = every subject of every context (the walkthrough) */
	SL_WILDCARD_DEFAULT_CONTEXT, /* "*" = the default context only (current docs) */
};

/* Parses "all-contexts" / "default-context" (srlite's --wildcard-scope values,
 * case-insensitive). Returns 0 or SL_EINVAL. */
int sl_wildcard_scope_parse(const char *s, enum sl_wildcard_scope *out, struct sl_error *err);

/* Checks one exporter subjects entry: "*", ":*:", ":.ctx:*" (":.:*" = default context only),
 * or a registrable (qualified) subject name. Returns 0 or SL_EINVAL with a message. So
 * ":*:foo", context-only forms (":.ctx", ":.ctx:") and ":.__GLOBAL:*" are rejected. */
int sl_filter_check(const char *entry, struct sl_error *err);

/* True when the qualified subject `subject` is selected by the filter entry `entry` under
 * scope. Exact names compare in normalized form (":.:foo" == "foo"). Borrows both.
 *   "*"        every subject (SL_WILDCARD_ALL_CONTEXTS) or the default context's only;
 *   ":*:"      every subject of every context;
 *   ":.c:*"    every subject of exactly ".c" (".a" does not cover ".a.b"); ":.:*" = default;
 *   name       that one subject.
 * Forms sl_filter_check rejects: ":*:foo" selects the subject named exactly "foo" in every
 * context (what a registry that accepted it would most plausibly mean); context-only entries
 * and unparsable ones select nothing. A subject that is NULL, unparsable, wildcard, or
 * context-only/empty is never selected. */
bool sl_filter_match(const char *entry, const char *subject, enum sl_wildcard_scope scope);

/* True when any of the n entries matches. */
bool sl_filter_match_any(
        const char *const *entries, size_t n, const char *subject, enum sl_wildcard_scope scope);

/* True when the filter entry can select subjects outside the default context under *either*
 * wildcard scope (used by loop detection: "*" and ":*:" both count, as do ":.ctx:*" with a
 * non-default ctx and qualified exact names). It errs towards true: ":*:foo" and a
 * non-default context-only form (":.ctx:") count too. False for NULL and unparsable entries. */
bool sl_filter_may_select_nondefault(const char *entry);

#endif
