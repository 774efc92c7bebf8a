/*
 * json.h — the one place JSON text is written: string escaping and a document writer.
 *
 * Every JSON byte the project writes (logs, HTTP bodies, status.json, inventory.json, plans)
 * goes through here, so quoting and escaping cannot be forgotten at a call site
 * (docs/internals/style.md "JSON"). Reading JSON is jansson's job.
 *
 * sl_jsonw writes one JSON document piece by piece, in the very bytes json_dumps would give
 * for the whole tree. Owns: streaming large documents (status.json, inventory.json, GET /status) so that only one
 * object's json_t exists at a time instead of a tree of every object plus its text. The caller
 * opens containers, adds members in the order it wants them (sorted, to match JSON_SORT_KEYS)
 * and closes them; each added value is dumped with the writer's flags and indented for its
 * depth. Depends on jansson and base (sinks for sl_buf and sl_file_writer). No locking.
 */
#ifndef SCHEMALINK_JSON_H
#define SCHEMALINK_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_buf;

/* Appends s as the inside of a JSON string (no quotes): '"', '\\' and control characters
 * (and DEL) are escaped, invalid UTF-8 bytes become U+FFFD, so the result is always valid
 * JSON. A NULL s appends nothing. Returns 0 or SL_ENOMEM. */
int sl_json_escape(struct sl_buf *out, const char *s);

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

/* Adds the string s (NULL as "") as member key or element, escaped by sl_json_escape: unlike
 * sl_jsonw_add(w, key, json_string(s)), bytes that are not UTF-8 become U+FFFD instead of
 * failing the document. No jansson value is built. Returns 0 or the first failure. */
int sl_jsonw_str(struct sl_jsonw *w, const char *key, const char *s);

/* Adds the integer v as member key or element. Returns 0 or the first failure. */
int sl_jsonw_int(struct sl_jsonw *w, const char *key, int64_t v);

/* Adds true or false as member key or element. Returns 0 or the first failure. */
int sl_jsonw_bool(struct sl_jsonw *w, const char *key, bool v);

/* Adds null as member key or element. Returns 0 or the first failure. */
int sl_jsonw_null(struct sl_jsonw *w, const char *key);

/* Closes the innermost open container. Returns 0 or the first failure. */
int sl_jsonw_close(struct sl_jsonw *w);

/* Returns 0 when everything was written and every container closed, else the first failure
 * (SL_EINVAL for a container left open). */
int sl_jsonw_finish(const struct sl_jsonw *w);

/* Sinks: cls is a struct sl_buf * (appends) or a struct sl_file_writer * (writes). */
int sl_jsonw_to_buf(void *cls, const char *data, size_t len);
int sl_jsonw_to_file(void *cls, const char *data, size_t len);

#endif
