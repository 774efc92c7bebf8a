/*
 * diagnose.h — from an exporter's status to a reason, an error code, a message and a fix
 * (docs/internals/architecture.md "Self-healing (diagnose)").
 *
 * Owns: the rule table, trace parsing (error code, failing subject and context) and the
 * wording of fixes. Pure: no I/O, no logging; the engine gathers the inputs and acts on the
 * verdict. Depends on model (qsubject) and base.
 */
#ifndef SCHEMALINK_DIAGNOSE_H
#define SCHEMALINK_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/error.h"

/* What the engine may do about a diagnosis when the link's selfHeal allows it. */
enum sl_heal {
	SL_HEAL_NONE, /* stall: a person must change something */
	SL_HEAL_IMPORT_AND_RESUME, /* ensure IMPORT on `context` ("Modes a link needs"), resume */
	SL_HEAL_RESUME_BACKOFF, /* resume after backoff (bounded by maxAttemptsPerHour) */
};

/* An import context on the link's source registry: a context some link (in the manifests or
 * found live on that registry's peers) writes into, and who writes it. */
struct sl_import_context {
	const char *context; /* normalized, e.g. ".target" */
	const char *writer; /* link or exporter name, e.g. "tgt-to-src-link" */
};

struct sl_diag_input {
	const char *link; /* the link's name */
	const char *source_registry; /* Registry names, for messages */
	const char *dest_registry;
	const char *link_context; /* the link's own destination context (".source"; "." for NONE) */
	const char *state; /* exporter state: STARTING, RUNNING, PAUSED, ... */
	const char *trace; /* exporter trace, may be NULL or "" */
	const char *const *needed; /* destination contexts the link needs in IMPORT (normalized) */
	size_t n_needed;
	const struct sl_import_context *imports; /* import contexts on the source registry */
	size_t n_imports;
	bool force_import; /* selfHeal.forceImport */
};

struct sl_diagnosis {
	const char *reason; /* static CamelCase string, e.g. "ImportModeRequired"; NULL = healthy */
	int error_code; /* registry error code from the trace (42205), or HTTP status, or 0 */
	enum sl_heal heal;
	char context[256]; /* the destination context involved, normalized, or "" */
	char subject[512]; /* the failing qualified subject from the trace, or "" */
	char peer[256]; /* ReplicationLoop: the link writing the import context, or "" */
	char message[1024]; /* one paragraph for status, describe and logs (no secrets) */
	char fix[1024]; /* what to change, in words a person can act on */
};

/* Diagnoses in. A RUNNING exporter with an empty trace, or any STARTING one, is healthy
 * (reason NULL). Borrows in; fills out completely. */
void sl_diagnose(const struct sl_diag_input *in, struct sl_diagnosis *out);

/* The last "error code: N" in trace, or 0. */
int sl_trace_error_code(const char *trace);

/* Extracts the qualified subject of a "Subject <qs> ... is not in import ... mode" trace into
 * out; returns false when the trace names none. */
bool sl_trace_subject(const char *trace, char *out, size_t outlen);

/* The first line of trace (the exception and message, without the stack) into out. */
void sl_trace_first_line(const char *trace, char *out, size_t outlen);

#endif
