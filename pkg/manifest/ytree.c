/* ytree.c — libyaml events to a bounded tree of nodes with positions. */
#include "ytree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ystream {
	yaml_parser_t parser;
	char *file;
	const unsigned char *data;
	size_t len;
	bool done;
};

/* An open collection while its events arrive. */
struct yframe {
	struct ynode *node;
	char *anchor; /* owned until registered */
};

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

struct ystream *sl_ystream_new(const char *file, const unsigned char *data, size_t len)
{
	struct ystream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->file = strdup(file);
	if (s->file == NULL || !yaml_parser_initialize(&s->parser)) {
		free(s->file);
		free(s);
		return NULL;
	}
	s->data = data;
	s->len = len;
	yaml_parser_set_encoding(&s->parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&s->parser, data, len);
	return s;
}

void sl_ystream_free(struct ystream *s)
{
	if (s == NULL)
		return;
	yaml_parser_delete(&s->parser);
	free(s->file);
	free(s);
}

static void node_free(void *p)
{
	struct ynode *n = p;

	if (n == NULL)
		return;
	free(n->text);
	free(n->tag);
	free(n->kids);
	free(n);
}

void sl_ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	sl_vec_release(&doc->nodes, node_free);
	sl_strmap_release(&doc->anchors, NULL);
	free(doc);
}

const char *sl_ynode_type_name(const struct ynode *n)
{
	if (n == NULL)
		return "null";
	if (n->type == YN_SEQ)
		return "sequence";
	if (n->type == YN_MAP)
		return "mapping";
	switch (n->stype) {
	case YS_NULL: return "null";
	case YS_BOOL: return "boolean";
	case YS_INT: return "integer";
	case YS_FLOAT: return "float";
	default: return "string";
	}
}

/* Byte offset of 0-based (line, col) in data, columns counted in characters as libyaml does. */
static size_t offset_of(const unsigned char *data, size_t len, size_t line, size_t col)
{
	size_t i = 0, l = 0;

	while (i < len && l < line) {
		if (data[i] == '\n')
			l++;
		i++;
	}
	while (i < len && col > 0) {
		i++;
		while (i < len && (data[i] & 0xC0) == 0x80)
			i++;
		col--;
	}
	return i;
}

/* 1-based line and column (in characters) of byte offset off. */
static void pos_of(const unsigned char *data, size_t len, size_t off, int *line, int *col)
{
	size_t i;
	int l = 1, c = 1;

	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			l++;
			c = 1;
		} else if ((data[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int report_parser_error(struct ystream *s, struct sl_diags *d)
{
	const yaml_parser_t *p = &s->parser;
	const char *problem = p->problem ? p->problem : "syntax error";
	int line, col;
	size_t off;

	if (p->error == YAML_READER_ERROR) {
		pos_of(s->data, s->len, p->problem_offset, &line, &col);
		if (p->problem_value != -1 && p->problem_value >= 0 && p->problem_value < 0x20)
			return sl_diags_add(d, SL_DIAG_ERROR, s->file, line, col, NULL,
			        "invalid YAML: control character 0x%02X is not allowed (binary "
			        "file?)",
			        (unsigned)p->problem_value);
		return sl_diags_add(d, SL_DIAG_ERROR, s->file, line, col, NULL,
		        "invalid YAML: %s (manifests must be UTF-8 text)", problem);
	}
	if (p->error == YAML_MEMORY_ERROR)
		return SL_ENOMEM;
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	off = offset_of(s->data, s->len, p->problem_mark.line, p->problem_mark.column);
	if (off < s->len && s->data[off] == '\t')
		return sl_diags_add(d, SL_DIAG_ERROR, s->file, line, col, NULL,
		        "invalid YAML: tab character; YAML indents with spaces only");
	if (p->context != NULL)
		return sl_diags_add(d, SL_DIAG_ERROR, s->file, line, col, NULL,
		        "invalid YAML: %s (%s at line %zu, column %zu)", problem, p->context,
		        p->context_mark.line + 1, p->context_mark.column + 1);
	return sl_diags_add(
	        d, SL_DIAG_ERROR, s->file, line, col, NULL, "invalid YAML: %s", problem);
}

/* The YAML 1.1 resolution of plain scalars PyYAML uses (enough to agree with the JSON Schema
 * check and with what kubectl would see). */
static bool all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (strchr(set, *s) == NULL)
			return false;
	return true;
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static enum yscalar_type resolve_plain(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE",
	        "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", NULL};
	static const char *const specials[] = {
	        ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
	const char *p = s;
	bool dot = false, digit = false;

	if (is_one_of(s, nulls))
		return YS_NULL;
	if (is_one_of(s, bools))
		return YS_BOOL;
	if (*p == '-' || *p == '+')
		p++;
	if (is_one_of(p, specials))
		return YS_FLOAT;
	if ((p[0] == '0' && p[1] == 'x' && all_in(p + 2, "0123456789abcdefABCDEF_")) ||
	        (p[0] == '0' && p[1] == 'b' && all_in(p + 2, "01_")) ||
	        (p[0] == '0' && p[1] == 'o' && all_in(p + 2, "01234567_")))
		return YS_INT;
	if (all_in(p, "0123456789_") && *p != '_')
		return YS_INT;
	if (*p >= '1' && *p <= '9' && all_in(p, "0123456789_:") && strchr(p, ':') != NULL)
		return YS_INT; /* sexagesimal, 1:30 */
	/* Float: digits, one '.', optional exponent with sign. */
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			digit = true;
		} else if (*p == '_' && digit) {
		} else if (*p == '.' && !dot) {
			dot = true;
		} else if ((*p == 'e' || *p == 'E') && dot && (p[1] == '-' || p[1] == '+') &&
		           all_in(p + 2, "0123456789")) {
			break;
		} else {
			return YS_STRING;
		}
	}
	return dot ? YS_FLOAT : YS_STRING;
}

static struct ynode *node_new(struct ydoc *doc, enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	if (sl_vec_push(&doc->nodes, n) < 0) {
		free(n);
		return NULL;
	}
	n->type = t;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->size = 1;
	return n;
}

static int kid_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct ynode **k = realloc(parent->kids, cap * sizeof(*k));

		if (k == NULL)
			return SL_ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	parent->size = sat_add(parent->size, kid->size);
	return 0;
}

/* Takes name. A redefined anchor replaces the earlier one, as YAML says the latest definition
 * wins; a map, since a document may hold tens of thousands of anchors and aliases. */
static int anchor_add(struct ydoc *doc, char *name, struct ynode *node)
{
	int rc = sl_strmap_set(&doc->anchors, name, node, NULL);

	free(name);
	return rc;
}

static struct ynode *anchor_find(const struct ydoc *doc, const char *name)
{
	return sl_strmap_get(&doc->anchors, name, NULL);
}

static char *dup_anchor(const yaml_char_t *a, bool *oom)
{
	char *c;

	if (a == NULL)
		return NULL;
	c = strdup((const char *)a);
	if (c == NULL)
		*oom = true;
	return c;
}

/* A diagnostic at the event's position; returns SL_EINVAL. */
static int ev_error(struct ystream *s, const yaml_event_t *ev, struct sl_diags *d, const char *fmt,
        ...) __attribute__((format(printf, 4, 5)));
static int ev_error(
        struct ystream *s, const yaml_event_t *ev, struct sl_diags *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_diags_add(d, SL_DIAG_ERROR, s->file, (int)ev->start_mark.line + 1,
	        (int)ev->start_mark.column + 1, NULL, "%s", msg);
	return SL_EINVAL;
}

/* A scalar event as a new node of doc (*n), its anchor recorded. */
static int scalar_node(struct ystream *s, struct ydoc *doc, const yaml_event_t *ev,
        struct sl_diags *d, struct ynode **n)
{
	char *anchor = NULL;
	bool oom = false;

	if (ev->data.scalar.length > SL_MANIFEST_MAX_SCALAR_BYTES)
		return ev_error(s, ev, d, "scalar of %zu bytes is over the limit of %d KiB",
		        ev->data.scalar.length, SL_MANIFEST_MAX_SCALAR_BYTES / 1024);
	*n = node_new(doc, YN_SCALAR, &ev->start_mark);
	if (*n == NULL || ((*n)->text = malloc(ev->data.scalar.length + 1)) == NULL)
		return SL_ENOMEM;
	memcpy((*n)->text, ev->data.scalar.value, ev->data.scalar.length);
	(*n)->text[ev->data.scalar.length] = '\0';
	(*n)->len = ev->data.scalar.length;
	(*n)->tag = dup_anchor(ev->data.scalar.tag, &oom);
	anchor = dup_anchor(ev->data.scalar.anchor, &oom);
	if (oom) {
		free(anchor);
		return SL_ENOMEM;
	}
	(*n)->stype = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (*n)->tag == NULL
	                      ? resolve_plain((*n)->text)
	                      : YS_STRING;
	return anchor != NULL ? anchor_add(doc, anchor, *n) : 0;
}

/* An alias event: the node its anchor names (*n), within the limit of alias expansion. */
static int alias_node(struct ystream *s, struct ydoc *doc, const yaml_event_t *ev,
        struct sl_diags *d, struct ynode **n)
{
	*n = anchor_find(doc, (const char *)ev->data.alias.anchor);
	if (*n == NULL) {
		char q[256];

		sl_quote((const char *)ev->data.alias.anchor, q, sizeof(q));
		return ev_error(
		        s, ev, d, "invalid YAML: alias %s names no complete anchor before it", q);
	}
	doc->alias_nodes = sat_add(doc->alias_nodes, (*n)->size);
	if (doc->alias_nodes > SL_MANIFEST_MAX_ALIAS_NODES)
		return ev_error(s, ev, d,
		        "alias expansion exceeds the limit of %d nodes (alias bomb?)",
		        SL_MANIFEST_MAX_ALIAS_NODES);
	return 0;
}

/* A sequence or mapping start: a new node pushed on stack (at *depth), attached to its
 * parent when it ends. */
static int open_node(struct ystream *s, struct ydoc *doc, const yaml_event_t *ev,
        struct sl_diags *d, struct yframe *stack, size_t *depth)
{
	bool map = ev->type == YAML_MAPPING_START_EVENT, oom = false;
	struct ynode *n;

	if (*depth >= SL_MANIFEST_MAX_DEPTH)
		return ev_error(s, ev, d, "nesting deeper than %d levels", SL_MANIFEST_MAX_DEPTH);
	n = node_new(doc, map ? YN_MAP : YN_SEQ, &ev->start_mark);
	if (n == NULL)
		return SL_ENOMEM;
	n->tag = dup_anchor(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag, &oom);
	stack[*depth].anchor = dup_anchor(
	        map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor, &oom);
	stack[*depth].node = n;
	(*depth)++;
	return oom ? SL_ENOMEM : 0;
}

/* A sequence or mapping end: the node on top of stack (*n), its anchor recorded. */
static int close_node(struct ydoc *doc, struct yframe *stack, size_t *depth, struct ynode **n)
{
	int rc = 0;

	(*depth)--;
	*n = stack[*depth].node;
	if (stack[*depth].anchor != NULL) {
		rc = anchor_add(doc, stack[*depth].anchor, *n);
		stack[*depth].anchor = NULL;
	}
	return rc;
}

int sl_ystream_next(struct ystream *s, struct ydoc **out, struct sl_diags *d)
{
	struct yframe stack[SL_MANIFEST_MAX_DEPTH + 1];
	size_t depth = 0, i;
	struct ydoc *doc = NULL;
	yaml_event_t ev;
	int rc = 0;
	bool have_ev = false;

	*out = NULL;
	if (s->done)
		return 0;
	for (;;) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&s->parser, &ev)) {
			rc = report_parser_error(s, d);
			rc = rc < 0 ? rc : SL_EINVAL;
			goto fail;
		}
		have_ev = true;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_NO_EVENT: break;
		case YAML_STREAM_END_EVENT: s->done = true; goto done;
		case YAML_DOCUMENT_START_EVENT:
			doc = calloc(1, sizeof(*doc));
			if (doc == NULL) {
				rc = SL_ENOMEM;
				goto fail;
			}
			sl_vec_init(&doc->nodes);
			sl_strmap_init(&doc->anchors);
			doc->line = (int)ev.start_mark.line + 1;
			doc->col = (int)ev.start_mark.column + 1;
			break;
		case YAML_DOCUMENT_END_EVENT: goto done;
		case YAML_SCALAR_EVENT: rc = scalar_node(s, doc, &ev, d, &n); break;
		case YAML_ALIAS_EVENT: rc = alias_node(s, doc, &ev, d, &n); break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: rc = open_node(s, doc, &ev, d, stack, &depth); break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: rc = close_node(doc, stack, &depth, &n); break;
		}
		if (rc < 0)
			goto fail;
		yaml_event_delete(&ev);
		have_ev = false;
		if (n != NULL) {
			if (depth == 0)
				doc->root = n;
			else if (kid_add(stack[depth - 1].node, n) < 0) {
				rc = SL_ENOMEM;
				goto fail;
			}
		}
	}
done:
	if (have_ev)
		yaml_event_delete(&ev);
	*out = doc;
	return 0;
fail:
	if (have_ev)
		yaml_event_delete(&ev);
	for (i = 0; i < depth; i++)
		free(stack[i].anchor);
	sl_ydoc_free(doc);
	s->done = true;
	return rc;
}
