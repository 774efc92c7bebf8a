/*
 * ytree.h — internal to pkg/manifest: one YAML document as a tree of nodes with positions.
 *
 * Built from libyaml events with the limits of docs/internals/manifests.md §1 enforced while building, so a
 * hostile file stops early: nesting depth, scalar size, and alias expansion (an alias adds
 * the expanded size of its target; anchors are registered when their node is complete, so a
 * tree can share nodes but never contain a cycle). All nodes of a document are owned by it.
 */
#ifndef SCHEMALINK_MANIFEST_YTREE_H
#define SCHEMALINK_MANIFEST_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/manifest.h"
#include "schemalink/strmap.h"

enum ynode_type {
	YN_SCALAR,
	YN_SEQ,
	YN_MAP,
};

/* What a scalar resolves to under YAML 1.1 (as PyYAML and kubectl resolve plain scalars). */
enum yscalar_type {
	YS_STRING,
	YS_NULL,
	YS_BOOL,
	YS_INT,
	YS_FLOAT,
};

struct ynode {
	enum ynode_type type;
	int line, col; /* 1-based */
	char *text; /* scalar value, NUL-terminated (may contain NULs before len) */
	size_t len;
	enum yscalar_type stype;
	char *tag; /* explicit tag, or NULL */
	struct ynode **kids; /* seq: items; map: key, value, key, value ... */
	size_t n, cap;
	size_t size; /* nodes after expanding aliases (saturating) */
};

struct ydoc {
	struct ynode *root; /* NULL for an empty document */
	struct sl_vec nodes; /* every node, owned */
	struct sl_strmap anchors; /* name -> struct ynode * of its latest complete definition */
	size_t alias_nodes; /* nodes added by alias expansion */
	int line, col; /* document start */
};

/* Reads the next document of the stream; *doc is NULL at the end of the stream. Problems are
 * reported to d as errors against file, and then the function returns SL_EINVAL: the rest of
 * the stream cannot be trusted. Returns 0, SL_EINVAL or SL_ENOMEM. */
struct ystream;
struct ystream *sl_ystream_new(const char *file, const unsigned char *data, size_t len);
void sl_ystream_free(struct ystream *s);
int sl_ystream_next(struct ystream *s, struct ydoc **doc, struct sl_diags *d);
void sl_ydoc_free(struct ydoc *doc);

/* Name of a node's type for messages: "string", "null", "boolean", "integer", "float",
 * "sequence", "mapping". */
const char *sl_ynode_type_name(const struct ynode *n);

/* Decodes one document into a new object of the four kinds, reporting every problem to d
 * with the field's position. *out is the object (owned by the caller) when its kind and name
 * are usable, even if other fields had errors (so duplicates and references can still be
 * checked); otherwise NULL. *errors receives the number of errors found. base_dir (absolute)
 * anchors relative file paths. Returns 0 or SL_ENOMEM. (decode.c) */
int sl_decode_object(const struct ydoc *doc, const char *file, const char *base_dir,
        struct sl_diags *d, struct sl_object **out, size_t *errors);

#endif
