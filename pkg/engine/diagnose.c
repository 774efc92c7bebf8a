/* diagnose.c — exporter status + trace -> reason, code, message, fix (docs/internals/architecture.md "Self-healing (diagnose)"). */
#include "schemalink/diagnose.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"

int sl_trace_error_code(const char *trace)
{
	const char *p, *last = NULL;

	if (trace == NULL)
		return 0;
	for (p = trace; (p = strstr(p, "error code: ")) != NULL; p++)
		last = p;
	return last ? atoi(last + strlen("error code: ")) : 0;
}

void sl_trace_first_line(const char *trace, char *out, size_t outlen)
{
	size_t n;

	if (outlen == 0)
		return;
	if (trace == NULL) {
		out[0] = '\0';
		return;
	}
	n = strcspn(trace, "\r\n");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, trace, n);
	out[n] = '\0';
}

bool sl_trace_subject(const char *trace, char *out, size_t outlen)
{
	const char *s, *end, *a, *b;
	size_t n;

	if (trace == NULL || outlen == 0 || (s = strstr(trace, "Subject ")) == NULL)
		return false;
	s += strlen("Subject ");
	/* Newer registries say "Subject <qs> in context <ctx> is not in ...". */
	a = strstr(s, " in context ");
	b = strstr(s, " is not in ");
	end = a && (!b || a < b) ? a : b;
	if (end == NULL)
		return false;
	n = (size_t)(end - s);
	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* snprintf that may cut: messages are bounded (docs/internals/architecture.md: message <= 1 KiB) by design. */
static void put(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

static bool has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static bool import_mode_error(const char *trace)
{
	return has(trace, "is not in import mode") ||
	       has(trace, "is not in import or forward mode");
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] != NULL && strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* The source context a destination context came from, given the link's own context:
 * ".source.target" under ".source" -> ".target"; under "." (NONE) the context itself. */
static const char *source_part(const char *dest_ctx, const char *link_ctx)
{
	size_t n;

	if (link_ctx == NULL || strcmp(link_ctx, ".") == 0)
		return dest_ctx;
	n = strlen(link_ctx);
	if (strncmp(dest_ctx, link_ctx, n) == 0 && dest_ctx[n] == '.')
		return dest_ctx + n;
	return NULL;
}

static void set(struct sl_diagnosis *d, const char *reason, enum sl_heal heal)
{
	d->reason = reason;
	d->heal = heal;
}

void sl_diagnose(const struct sl_diag_input *in, struct sl_diagnosis *out)
{
	const char *trace = in->trace && *in->trace ? in->trace : NULL;
	const char *dest = in->dest_registry ? in->dest_registry : "the destination";
	char first[512];
	int code;

	memset(out, 0, sizeof(*out));
	if (trace == NULL || (in->state && strcmp(in->state, "STARTING") == 0))
		return;
	code = sl_trace_error_code(trace);
	out->error_code = code;
	sl_trace_first_line(trace, first, sizeof(first));

	if (code == 42205 && import_mode_error(trace)) {
		const char *src_part;
		char *ctx = NULL;
		size_t i;

		if (sl_trace_subject(trace, out->subject, sizeof(out->subject)))
			ctx = sl_qsubject_context(out->subject);
		put(out->context, sizeof(out->context), "%s", ctx ? ctx : "");
		free(ctx);
		if (out->context[0] && in_list(in->needed, in->n_needed, out->context)) {
			set(out, "ImportModeRequired", SL_HEAL_IMPORT_AND_RESUME);
			put(out->message, sizeof(out->message),
			        "exporter %s is paused: subject %s on %s is not in IMPORT mode "
			        "(error code 42205)",
			        in->link, out->subject, dest);
			put(out->fix, sizeof(out->fix),
			        "set mode IMPORT on context %s of registry %s, then resume the "
			        "link "
			        "(schemalink does this itself when selfHeal.enabled is true)",
			        out->context, dest);
			return;
		}
		/* Not a context this link should write: a context nested by re-export. */
		set(out, "ReplicationLoop", SL_HEAL_NONE);
		src_part = out->context[0] ? source_part(out->context, in->link_context) : NULL;
		for (i = 0; src_part && i < in->n_imports; i++) {
			if (strcmp(in->imports[i].context, src_part) == 0) {
				put(out->peer, sizeof(out->peer), "%s", in->imports[i].writer);
				break;
			}
		}
		if (out->peer[0]) {
			put(out->message, sizeof(out->message),
			        "exporter %s is paused on %s (error code 42205): it re-exports "
			        "context %s, which link %s writes into %s, so the subject comes "
			        "back nested one level deeper (%s); setting IMPORT there would let "
			        "contexts nest again on every round trip",
			        in->link, out->subject, src_part, out->peer,
			        in->source_registry ? in->source_registry : "the source",
			        out->context);
			put(out->fix, sizeof(out->fix),
			        "narrow spec.subjects of link %s to subjects it owns, e.g. "
			        "[\":.:*\"] "
			        "(the default context only) or explicit subject names, so that the "
			        "imported context %s is not exported back; link %s needs the same "
			        "if "
			        "it exports every context",
			        in->link, src_part, out->peer);
		} else {
			put(out->message, sizeof(out->message),
			        "exporter %s is paused on %s (error code 42205): context %s is not "
			        "one this link is meant to write, and looks nested by re-export; "
			        "schemalink cannot tell that it is not a replication loop",
			        in->link, out->subject[0] ? out->subject : "a subject",
			        out->context[0] ? out->context : "(unknown)");
			put(out->fix, sizeof(out->fix),
			        "narrow spec.subjects of link %s to the subjects it owns, e.g. "
			        "[\":.:*\"] or explicit names; if context %s is meant to be "
			        "exported, "
			        "declare a Context with mode IMPORT for it on %s",
			        in->link, out->context[0] ? out->context : "(unknown)", dest);
		}
		return;
	}
	if (code == 42205 && has(trace, "Cannot import since found existing subjects")) {
		set(out, "DestinationNotEmpty",
		        in->force_import ? SL_HEAL_IMPORT_AND_RESUME : SL_HEAL_NONE);
		put(out->message, sizeof(out->message),
		        "exporter %s could not switch its destination on %s to IMPORT: the "
		        "context already holds subjects (error code 42205)",
		        in->link, dest);
		put(out->fix, sizeof(out->fix),
		        "if the destination's subjects may be overwritten by the export, set "
		        "spec.selfHeal.forceImport: true on link %s; otherwise empty the "
		        "destination context or choose another spec.context",
		        in->link);
		return;
	}
	if (code == 42205 && has(trace, "read-only mode")) {
		set(out, "DestinationReadOnly", SL_HEAL_NONE);
		put(out->message, sizeof(out->message),
		        "exporter %s is paused: the destination subject on %s is READONLY "
		        "(error code 42205)",
		        in->link, dest);
		put(out->fix, sizeof(out->fix),
		        "remove the READONLY mode on %s for the link's destination context, or "
		        "declare the intended mode in a Context or Subject manifest",
		        dest);
		return;
	}
	if (code == 401 || code == 403 || has(trace, "error code: 40101") ||
	        has(trace, "Unauthorized") || has(trace, "Forbidden")) {
		set(out, "DestinationUnauthorized", SL_HEAL_NONE);
		put(out->message, sizeof(out->message),
		        "exporter %s is paused: %s refused its credentials (%s)", in->link, dest,
		        first);
		put(out->fix, sizeof(out->fix),
		        "check spec.linkAuth of registry %s (or spec.auth, its default) and the "
		        "secret it references",
		        dest);
		return;
	}
	if (has(trace, "java.net.ConnectException") || has(trace, "SocketTimeoutException") ||
	        (code >= 500 && code <= 599) || (code >= 50000 && code <= 50099) || code == 40401 ||
	        code == 404) {
		set(out, "DestinationUnavailable", SL_HEAL_RESUME_BACKOFF);
		put(out->message, sizeof(out->message),
		        "exporter %s is paused: %s was unavailable (%s)", in->link, dest, first);
		put(out->fix, sizeof(out->fix),
		        "check that %s is reachable from the source registry at its linkUrl; "
		        "schemalink resumes the link with backoff",
		        dest);
		return;
	}
	set(out, "ExporterFailed", SL_HEAL_RESUME_BACKOFF);
	put(out->message, sizeof(out->message), "exporter %s is paused: %s", in->link, first);
	put(out->fix, sizeof(out->fix),
	        "read the exporter's trace with 'slctl describe link %s'; schemalink resumes it "
	        "with backoff, at most spec.selfHeal.maxAttemptsPerHour times an hour",
	        in->link);
}
