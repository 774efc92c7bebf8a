/*
 * avro.h — Avro schema validation and the canonical text srlite stores.
 *
 * Owns: parsing an Avro schema (Avro 1.11 specification), checking it, and printing it the way
 * Avro's Java Schema.toString() does, so srlite compares and returns the same text a Confluent
 * registry would (docs/internals/registry.md §2.5). Also the trivial check for JSON-Schema-type schemas.
 * Depends on jansson, error.h and buf.h only; knows nothing about subjects, ids or HTTP.
 *
 * The canonical text is compact JSON: no insignificant whitespace, Avro attributes in Java's
 * order (named types: type, name, namespace, doc, fields/symbols/size, default (enum), custom
 * properties, aliases; fields: name, type, doc, default, order, aliases, custom properties),
 * a type with no attributes besides "type" printed as its bare name, a named type printed in
 * full at its first occurrence and by name afterwards. Custom properties keep the order they
 * were sent in, as Java does. Floating-point numbers print like Java's Double.toString (1.0,
 * 1.0E10) and non-ASCII text is written as-is (UTF-8).
 */
#ifndef SCHEMALINK_AVRO_H
#define SCHEMALINK_AVRO_H

#include "schemalink/error.h"

/* Nesting deeper than this many schema levels (record field, array items, map values, union
 * branch) is rejected rather than recursed into. */
#define SL_AVRO_MAX_DEPTH 64

enum sl_avro_flag {
	/* Reject a known logical type used on the wrong type or with bad decimal precision/scale.
	 * Without it such an annotation is ignored and kept, as the specification and Java do. */
	SL_AVRO_STRICT_LOGICAL = 1u << 0,
};

/* Parses and validates schema_text (borrowed) as an Avro schema per the Avro 1.11
 * specification; on success *out is the owned compact canonical text srlite stores and
 * compares (the caller frees it). On failure returns SL_EINVAL with a message in err->msg
 * naming what is wrong and where ("ns.Rec.field[1]: undefined name 'Foo'"), or SL_ENOMEM;
 * *out is then NULL. Equivalent to sl_avro_canonical_flags(schema_text, 0, out, err). */
int sl_avro_canonical(const char *schema_text, char **out, struct sl_error *err);

/* As sl_avro_canonical, with flags from enum sl_avro_flag. */
int sl_avro_canonical_flags(
        const char *schema_text, unsigned flags, char **out, struct sl_error *err);

/* Checks that text (borrowed) is well-formed JSON, which is all srlite asks of a JSON-Schema-type
 * schema (it is stored as sent). Returns 0, or SL_EINVAL with jansson's message, line and
 * column in err->msg. */
int sl_json_schema_check(const char *text, struct sl_error *err);

#endif
