/*
 * jsonw.h — one JSON document written piece by piece, in the very bytes json_dumps would give
 * for the whole tree.
 *
 * Owns: streaming large documents (status.json, inventory.json, GET /status) so that only one
 * object's json_t exists at a time instead of a tree of every object plus its text. The caller
 * opens containers, adds members in the order it wants them (sorted, to match JSON_SORT_KEYS)
 * and closes them; each added value is dumped with the writer's flags and indented for its
 * depth. Depends on jansson and base (sinks for sl_buf and sl_file_writer). No locking.
 */
#ifndef SCHEMALINK_JSONW_H
#define SCHEMALINK_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SL_JSONW_MAX_DEPTH 16

struct sl_jsonw {
	int (*write)(void *cls, const char *data, size_t len); /* 0 or a negative code */
	void *cls;
	size_t flags; /* json_dumps flags: JSON_INDENT(n), JSON_COMPACT, JSON_SORT_KEYS, ... */
	int depth; /* containers open */
	char close[SL_JSONW_MAX_DEPTH]; /* '}' or ']' for each open container */
	bool empty[SL_JSONW_MAX_DEPTH]; /* nothing written in it yet */
	bool done; /* the document's one top-level value is written */
	int rc; /* the first failure, or 0 */
};

/* Starts a document written through write(cls, ...) (borrowed) with json_dumps flags. */
void sl_jsonw_init(struct sl_jsonw *w, size_t flags,
        int (*write)(void *cls, const char *data, size_t len), void *cls);

/* Opens an object (open '{') or array ('[') as member key of the enclosing object, or (key
 * NULL) as the next element of the enclosing array or as the document itself. Returns 0 or
 * the first failure: SL_EINVAL for a key where none belongs, a missing one, a key that is
 * not UTF-8 or nesting deeper than SL_JSONW_MAX_DEPTH; the sink's code when it fails. */
int sl_jsonw_open(struct sl_jsonw *w, const char *key, char open);

/* Adds v (taken, as json_object_set_new takes it) as member key or (key NULL) as an element.
 * As json_object_set_new would, a key that is not UTF-8 adds nothing. A NULL v (a value that
 * could not be built: out of memory, or a string that is not UTF-8) fails the document with
 * SL_ENOMEM, so a save never silently leaves an object out. Returns 0 or the first failure. */
int sl_jsonw_add(struct sl_jsonw *w, const char *key, json_t *v);

/* Closes the innermost open container. Returns 0 or the first failure. */
int sl_jsonw_close(struct sl_jsonw *w);

/* Returns 0 when everything was written and every container closed, else the first failure
 * (SL_EINVAL for a container left open). */
int sl_jsonw_finish(const struct sl_jsonw *w);

/* Sinks: cls is a struct sl_buf * (appends) or a struct sl_file_writer * (writes). */
int sl_jsonw_to_buf(void *cls, const char *data, size_t len);
int sl_jsonw_to_file(void *cls, const char *data, size_t len);

#endif
