/*
 * avro.c — Avro schema parser, validator and canonical printer (see avro.h).
 *
 * Two passes over a jansson tree: parse() builds a small type graph (named types resolved,
 * defaults checked) and emit() prints it the way Java's Schema.toString() does. Both walk the
 * schema in document order, so the first occurrence of a named type is its definition in the
 * input and in the output alike; later occurrences are references printed by name.
 *
 * Where the specification and Java's parser differ, validation follows the specification (the
 * brief for srlite asks for it) and printing follows Java (it defines the text a Confluent
 * registry stores). The known differences are listed in the comments of the functions concerned.
 */
#include "schemalink/avro.h"

#include "schemalink/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum av_kind {
	AV_NULL,
	AV_BOOLEAN,
	AV_INT,
	AV_LONG,
	AV_FLOAT,
	AV_DOUBLE,
	AV_BYTES,
	AV_STRING,
	AV_RECORD,
	AV_ENUM,
	AV_ARRAY,
	AV_MAP,
	AV_UNION,
	AV_FIXED,
	AV_REF, /* a later use of a named type, by name */
};

static const char *const primitive_names[] = {
        "null",
        "boolean",
        "int",
        "long",
        "float",
        "double",
        "bytes",
        "string",
};
#define N_PRIMITIVES (sizeof(primitive_names) / sizeof(primitive_names[0]))

struct av_type;

struct av_field {
	const char *name; /* borrowed from the input tree, like every const char * here */
	struct av_type *type;
	const char *doc;
	json_t *def; /* borrowed; NULL when the field has no default */
	int def_is_double; /* a float/double default sent as a string, converted as Java does */
	double def_double;
	const char *order; /* NULL for ascending (Java omits it), else "descending" or "ignore" */
	json_t *aliases; /* owned array of distinct strings, or NULL */
	json_t *src; /* borrowed field object, for custom properties */
};

struct av_type {
	enum av_kind kind;
	json_t *src; /* borrowed object form; NULL when given as a bare name */
	struct av_type *target; /* AV_REF: the definition */
	/* named types */
	char *full; /* owned full name */
	const char *name; /* short name, points into full */
	char *space; /* owned namespace, NULL for the null namespace */
	const char *doc;
	int is_error;
	int complete; /* record: all fields parsed, so defaults may be checked against it */
	json_t *aliases; /* owned array of distinct full names, or NULL */
	/* record */
	struct av_field *fields;
	size_t nfields;
	/* enum */
	json_t *symbols; /* borrowed */
	const char *enum_default;
	/* fixed */
	json_int_t size;
	/* array items, map values */
	struct av_type *child;
	/* union */
	struct av_type **branches;
	size_t nbranches;
};

#define PATH_MAX_LEN 256

struct av_ctx {
	unsigned flags;
	struct sl_error *err;
	struct av_type **all; /* every node allocated, freed together */
	size_t nall, capall;
	json_t *names; /* full name -> index into all */
	const char *space; /* default namespace while parsing, NULL for the null namespace */
	int depth;
	char path[PATH_MAX_LEN]; /* where we are, for messages: "ns.Rec.field[1]" */
};

/* Keys Java treats as Avro attributes rather than custom properties (Schema.java
 * SCHEMA_RESERVED, ENUM_RESERVED, FIELD_RESERVED). A reserved key that does not apply to a
 * type (e.g. "doc" on an array) is dropped, as Java drops it. */
static const char *const schema_reserved[] = {
        "doc",
        "fields",
        "items",
        "name",
        "namespace",
        "size",
        "symbols",
        "values",
        "type",
        "aliases",
};
static const char *const field_reserved[] = {
        "default",
        "doc",
        "name",
        "order",
        "type",
        "aliases",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int is_schema_reserved(const char *key, enum av_kind kind)
{
	if (kind == AV_ENUM && strcmp(key, "default") == 0)
		return 1;
	return in_list(key, schema_reserved, sizeof(schema_reserved) / sizeof(schema_reserved[0]));
}

static int is_field_reserved(const char *key)
{
	return in_list(key, field_reserved, sizeof(field_reserved) / sizeof(field_reserved[0]));
}

static int primitive_kind(const char *s)
{
	for (size_t i = 0; i < N_PRIMITIVES; i++)
		if (strcmp(s, primitive_names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "value";
}

/* ---- errors and path ---------------------------------------------------------------------- */

static int fail(struct av_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct av_ctx *c, const char *fmt, ...)
{
	char what[SL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sl_error_set(c->err, SL_EINVAL, "%s: %s", c->path, what);
}

static int nomem(struct av_ctx *c)
{
	return sl_error_set(c->err, SL_ENOMEM, "out of memory parsing avro schema");
}

/* Appends to the path; returns the old length for path_restore. Truncation only shortens a
 * message, so it is not an error. */
static size_t path_push(struct av_ctx *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t path_push(struct av_ctx *c, const char *fmt, ...)
{
	size_t len = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + len, sizeof(c->path) - len, fmt, ap);
	va_end(ap);
	return len;
}

static void path_restore(struct av_ctx *c, size_t len)
{
	c->path[len] = '\0';
}

/* ---- names -------------------------------------------------------------------------------- */

/* The specification's rule, [A-Za-z_][A-Za-z0-9_]*, over len bytes. Java accepts any Unicode
 * letter or digit (Character.isLetter); srlite keeps to the specification's ASCII set. */
static int valid_name_n(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		int alpha = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
		if (!alpha && !(i > 0 && ch >= '0' && ch <= '9'))
			return 0;
	}
	return 1;
}

static int valid_name(const char *s)
{
	return valid_name_n(s, strlen(s));
}

/* A namespace, [s, end), is dot-separated names. The specification requires this; Java 1.11
 * does not check namespaces at all. */
static int valid_namespace_n(const char *s, const char *end)
{
	const char *p = s;

	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *stop = dot ? dot : end;
		if (!valid_name_n(p, (size_t)(stop - p)))
			return 0;
		if (dot == NULL)
			return 1;
		p = dot + 1;
	}
}

static struct av_type *node_new(struct av_ctx *c, enum av_kind kind, json_t *src)
{
	struct av_type *t = NULL;

	if (c->nall == c->capall) {
		size_t cap = c->capall ? c->capall * 2 : 64;
		struct av_type **all = realloc(c->all, cap * sizeof(*all));
		if (all == NULL)
			return NULL;
		c->all = all;
		c->capall = cap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = kind;
	t->src = src;
	c->all[c->nall++] = t;
	return t;
}

static void node_free(struct av_type *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfields; i++)
		json_decref(t->fields[i].aliases);
	free(t->fields);
	free(t->branches);
	json_decref(t->aliases);
	free(t->full);
	free(t->space);
	free(t);
}

static struct av_type *lookup(struct av_ctx *c, const char *full)
{
	json_t *idx = json_object_get(c->names, full);

	return idx ? c->all[json_integer_value(idx)] : NULL;
}

/* Resolves a type name as Java's Names.get does: a primitive; a dotted name is a full name (a
 * leading dot meaning the null namespace); a simple name is tried in the current namespace, then
 * in the null namespace. Returns 0 with *out set, 0 with *out NULL when undefined, or
 * SL_ENOMEM. */
static int resolve(struct av_ctx *c, const char *ref, json_t *src, struct av_type **out)
{
	struct sl_buf full = SL_BUF_INIT;
	struct av_type *def = NULL;
	int prim = primitive_kind(ref);
	int rc = 0;

	*out = NULL;
	if (prim >= 0) {
		*out = node_new(c, (enum av_kind)prim, src);
		rc = *out ? 0 : nomem(c);
		goto out;
	}
	if (ref[0] == '.') {
		def = lookup(c, ref + 1);
	} else if (strchr(ref, '.') != NULL) {
		def = lookup(c, ref);
	} else {
		if (c->space != NULL) {
			if (sl_buf_addf(&full, "%s.%s", c->space, ref) < 0) {
				rc = nomem(c);
				goto out;
			}
			def = lookup(c, full.data);
		}
		if (def == NULL)
			def = lookup(c, ref);
	}
	if (def != NULL) {
		/* A reference carries no attributes of its own: Java returns the definition. */
		*out = node_new(c, AV_REF, NULL);
		if (*out == NULL) {
			rc = nomem(c);
			goto out;
		}
		(*out)->target = def;
	}
out:
	sl_buf_release(&full);
	return rc;
}

static const struct av_type *deref(const struct av_type *t)
{
	return t->kind == AV_REF ? t->target : t;
}

/* ---- default values ----------------------------------------------------------------------- */

#define DEFAULT_MAX_DEPTH 4096

static const char *kind_label(const struct av_type *t, char *buf, size_t n)
{
	t = deref(t);
	if (t->kind <= AV_STRING)
		return primitive_names[t->kind];
	switch (t->kind) {
	case AV_RECORD: snprintf(buf, n, "record '%s'", t->full); break;
	case AV_ENUM: snprintf(buf, n, "enum '%s'", t->full); break;
	case AV_FIXED: snprintf(buf, n, "fixed '%s'", t->full); break;
	case AV_ARRAY: snprintf(buf, n, "array"); break;
	case AV_MAP: snprintf(buf, n, "map"); break;
	default: snprintf(buf, n, "union"); break;
	}
	return buf;
}

/* Java's Schema.isValidDefault: a union's default matches its first branch; bytes, fixed and
 * enum defaults are strings (Java does not check the fixed length or the enum symbol, and
 * neither does srlite); int and long must be integers in range; float and double take any
 * number; a record default is an object in which every field without a default of its own is
 * present. Returns 1 when v fits t, else 0 with the reason in why. */
static int default_fits(const struct av_type *t, json_t *v, int depth, char *why, size_t n)
{
	char label[PATH_MAX_LEN];

	t = deref(t);
	if (depth > DEFAULT_MAX_DEPTH) {
		snprintf(why, n, "default value nested too deeply");
		return 0;
	}
	switch (t->kind) {
	case AV_NULL:
		if (json_is_null(v))
			return 1;
		break;
	case AV_BOOLEAN:
		if (json_is_boolean(v))
			return 1;
		break;
	case AV_INT:
		if (json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
		        json_integer_value(v) <= INT32_MAX)
			return 1;
		if (json_is_integer(v)) {
			snprintf(why, n, "%" JSON_INTEGER_FORMAT " is out of range for int",
			        json_integer_value(v));
			return 0;
		}
		break;
	case AV_LONG:
		/* Every jansson integer is a long long, and larger ones fail to parse. */
		if (json_is_integer(v))
			return 1;
		break;
	case AV_FLOAT:
	case AV_DOUBLE:
		if (json_is_number(v))
			return 1;
		break;
	case AV_BYTES:
	case AV_STRING:
	case AV_ENUM:
	case AV_FIXED:
		if (json_is_string(v))
			return 1;
		break;
	case AV_ARRAY:
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e)
			{
				if (!default_fits(t->child, e, depth + 1, why, n))
					return 0;
			}
			return 1;
		}
		break;
	case AV_MAP:
		if (json_is_object(v)) {
			const char *k;
			json_t *e;
			json_object_foreach(v, k, e)
			{
				if (!default_fits(t->child, e, depth + 1, why, n))
					return 0;
			}
			return 1;
		}
		break;
	case AV_UNION:
		if (t->nbranches == 0) {
			snprintf(why, n, "an empty union has no first branch to hold a default");
			return 0;
		}
		return default_fits(t->branches[0], v, depth + 1, why, n);
	case AV_RECORD:
		if (!t->complete) {
			/* Java fails here too: the record's fields are not set yet. */
			snprintf(why, n, "record '%s' is still being defined", t->full);
			return 0;
		}
		if (!json_is_object(v))
			break;
		for (size_t i = 0; i < t->nfields; i++) {
			const struct av_field *f = &t->fields[i];
			json_t *fv = json_object_get(v, f->name);
			if (fv != NULL) {
				if (!default_fits(f->type, fv, depth + 1, why, n))
					return 0;
			} else if (f->def_is_double) {
				continue; /* a converted float/double default, checked already */
			} else if (f->def == NULL) {
				snprintf(why, n,
				        "field '%s' of record '%s' is missing and has no default",
				        f->name, t->full);
				return 0;
			} else if (!default_fits(f->type, f->def, depth + 1, why, n)) {
				return 0;
			}
		}
		return 1;
	case AV_REF: break;
	}
	snprintf(why, n, "expected %s, got %s", kind_label(t, label, sizeof(label)), json_kind(v));
	return 0;
}

/* Java converts a float or double field's string default with Double.valueOf. srlite accepts
 * the decimal forms of that syntax (with Java's surrounding whitespace and f/d suffix) plus NaN
 * and Infinity; hexadecimal floating literals are rejected. */
static int parse_java_double(const char *s, double *out)
{
	char buf[128];
	size_t len;
	const char *p;
	char *end = NULL;
	int digits = 0;

	while (*s != '\0' && (unsigned char)*s <= ' ')
		s++;
	len = strlen(s);
	while (len > 0 && (unsigned char)s[len - 1] <= ' ')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf + ((buf[0] == '+' || buf[0] == '-') ? 1 : 0);
	if (strcmp(p, "NaN") == 0 || strcmp(p, "Infinity") == 0) {
		*out = p[0] == 'N' ? NAN : (buf[0] == '-' ? -INFINITY : INFINITY);
		return 1;
	}
	if (strchr("fFdD", buf[len - 1]) != NULL)
		buf[--len] = '\0';
	for (const char *q = p; *q != '\0'; q++) {
		if (*q >= '0' && *q <= '9')
			digits++;
		else if (!strchr(".eE+-", *q))
			return 0; /* no hex, no "inf"/"nan" spellings strtod would take */
	}
	if (digits == 0)
		return 0;
	*out = strtod(buf, &end);
	return end != NULL && *end == '\0';
}

/* ---- parsing ------------------------------------------------------------------------------ */

static int parse_type(struct av_ctx *c, json_t *j, struct av_type **out);

static int opt_string(struct av_ctx *c, json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	/* Java quietly ignores a non-string doc or namespace; a schema sending one is wrong, and
	 * saying so beats dropping it. */
	if (!json_is_string(v))
		return fail(c, "'%s' must be a string, got %s", key, json_kind(v));
	*out = json_string_value(v);
	return 0;
}

/* A JSON array of strings, deduplicated in order (Java keeps aliases in a LinkedHashSet). With
 * space_of non-NULL each alias is a name of a named type, qualified with that type's namespace
 * when simple; field aliases are kept as sent, as Java keeps them. */
static int parse_aliases(
        struct av_ctx *c, json_t *obj, const struct av_type *space_of, json_t **out)
{
	json_t *arr = json_object_get(obj, "aliases");
	json_t *seen = NULL, *list = NULL, *a;
	struct sl_buf full = SL_BUF_INIT;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return fail(c, "'aliases' must be an array, got %s", json_kind(arr));
	seen = json_object();
	list = json_array();
	if (seen == NULL || list == NULL) {
		rc = nomem(c);
		goto out;
	}
	json_array_foreach(arr, i, a)
	{
		const char *s = json_string_value(a);
		if (s == NULL) {
			rc = fail(c, "alias %zu must be a string, got %s", i, json_kind(a));
			goto out;
		}
		sl_buf_reset(&full);
		if (space_of != NULL) {
			const char *dot = strrchr(s, '.');
			const char *shortname = dot ? dot + 1 : s;
			if (!valid_name(shortname) ||
			        (dot && dot > s && !valid_namespace_n(s, dot))) {
				rc = fail(c, "invalid alias '%s'", s);
				goto out;
			}
			if (dot != NULL)
				rc = sl_buf_adds(&full, dot == s ? s + 1 : s);
			else if (space_of->space != NULL)
				rc = sl_buf_addf(&full, "%s.%s", space_of->space, s);
			else
				rc = sl_buf_adds(&full, s);
		} else {
			rc = sl_buf_adds(&full, s);
		}
		if (rc < 0) {
			rc = nomem(c);
			goto out;
		}
		if (json_object_get(seen, full.data) != NULL)
			continue;
		if (json_object_set_new(seen, full.data, json_true()) < 0 ||
		        json_array_append_new(list, json_string(full.data)) < 0) {
			rc = nomem(c);
			goto out;
		}
	}
	*out = list;
	list = NULL;
out:
	json_decref(seen);
	json_decref(list);
	sl_buf_release(&full);
	return rc;
}

static int parse_field(struct av_ctx *c, struct av_type *rec, size_t i, json_t *j, json_t *seen)
{
	struct av_field *f = &rec->fields[i];
	size_t mark = path_push(c, ".fields[%zu]", i);
	json_t *jname, *jtype, *jorder, *jdef;
	char why[SL_ERROR_MSG_MAX];
	int rc = 0;

	if (!json_is_object(j)) {
		rc = fail(c, "a field must be an object, got %s", json_kind(j));
		goto out;
	}
	jname = json_object_get(j, "name");
	if (jname == NULL || !json_is_string(jname)) {
		rc = jname ? fail(c, "field 'name' must be a string, got %s", json_kind(jname))
		           : fail(c, "field has no 'name'");
		goto out;
	}
	f->name = json_string_value(jname);
	f->src = j;
	if (!valid_name(f->name)) {
		rc = fail(c, "invalid field name '%s': must match [A-Za-z_][A-Za-z0-9_]*", f->name);
		goto out;
	}
	if (json_object_get(seen, f->name) != NULL) {
		rc = fail(c, "duplicate field name '%s' in record '%s'", f->name, rec->full);
		goto out;
	}
	if (json_object_set_new(seen, f->name, json_true()) < 0) {
		rc = nomem(c);
		goto out;
	}
	path_restore(c, mark);
	path_push(c, ".%s", f->name);

	jtype = json_object_get(j, "type");
	if (jtype == NULL) {
		rc = fail(c, "field has no 'type'");
		goto out;
	}
	rc = parse_type(c, jtype, &f->type);
	if (rc < 0)
		goto out;
	rc = opt_string(c, j, "doc", &f->doc);
	if (rc < 0)
		goto out;
	jorder = json_object_get(j, "order");
	if (jorder != NULL) {
		/* Java upper-cases the value before Order.valueOf and prints the lower-case name. */
		const char *s = json_string_value(jorder);
		if (s != NULL && strcasecmp(s, "descending") == 0) {
			f->order = "descending";
		} else if (s != NULL && strcasecmp(s, "ignore") == 0) {
			f->order = "ignore";
		} else if (s == NULL || strcasecmp(s, "ascending") != 0) {
			rc = fail(c, "'order' must be \"ascending\", \"descending\" or \"ignore\"");
			goto out;
		}
	}
	rc = parse_aliases(c, j, NULL, &f->aliases);
	if (rc < 0)
		goto out;
	jdef = json_object_get(j, "default");
	if (jdef != NULL) {
		enum av_kind k = f->type->kind;
		if ((k == AV_FLOAT || k == AV_DOUBLE) && json_is_string(jdef)) {
			if (!parse_java_double(json_string_value(jdef), &f->def_double)) {
				rc = fail(c, "invalid default value: \"%s\" is not a number",
				        json_string_value(jdef));
				goto out;
			}
			f->def_is_double = 1;
		} else if (!default_fits(f->type, jdef, 0, why, sizeof(why))) {
			rc = fail(c, "invalid default value: %s", why);
			goto out;
		} else {
			f->def = jdef;
		}
	}
out:
	path_restore(c, mark);
	return rc;
}

static int parse_record_body(struct av_ctx *c, struct av_type *t, json_t *obj)
{
	json_t *fields = json_object_get(obj, "fields");
	json_t *seen = NULL;
	size_t n;
	int rc = 0;

	if (fields == NULL || !json_is_array(fields))
		return fields ? fail(c, "'fields' must be an array, got %s", json_kind(fields))
		              : fail(c, "record has no 'fields'");
	n = json_array_size(fields);
	t->fields = calloc(n ? n : 1, sizeof(*t->fields));
	seen = json_object();
	if (t->fields == NULL || seen == NULL) {
		rc = nomem(c);
		goto out;
	}
	t->nfields = n;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = parse_field(c, t, i, json_array_get(fields, i), seen);
	if (rc == 0)
		t->complete = 1;
out:
	json_decref(seen);
	return rc;
}

static int parse_enum_body(struct av_ctx *c, struct av_type *t, json_t *obj)
{
	json_t *syms = json_object_get(obj, "symbols");
	json_t *jdef = json_object_get(obj, "default");
	json_t *seen = NULL, *s;
	size_t i;
	int rc = 0;

	if (syms == NULL || !json_is_array(syms))
		return syms ? fail(c, "'symbols' must be an array, got %s", json_kind(syms))
		            : fail(c, "enum has no 'symbols'");
	seen = json_object();
	if (seen == NULL)
		return nomem(c);
	json_array_foreach(syms, i, s)
	{
		const char *sym = json_string_value(s);
		if (sym == NULL) {
			rc = fail(c, "symbol %zu must be a string, got %s", i, json_kind(s));
			goto out;
		}
		if (!valid_name(sym)) {
			rc = fail(c, "invalid symbol '%s': must match [A-Za-z_][A-Za-z0-9_]*", sym);
			goto out;
		}
		if (json_object_get(seen, sym) != NULL) {
			rc = fail(c, "duplicate symbol '%s'", sym);
			goto out;
		}
		if (json_object_set_new(seen, sym, json_true()) < 0) {
			rc = nomem(c);
			goto out;
		}
	}
	t->symbols = syms;
	if (jdef != NULL) {
		if (!json_is_string(jdef)) {
			rc = fail(c, "enum 'default' must be a string, got %s", json_kind(jdef));
			goto out;
		}
		if (json_object_get(seen, json_string_value(jdef)) == NULL) {
			rc = fail(c, "enum default '%s' is not one of the symbols",
			        json_string_value(jdef));
			goto out;
		}
		t->enum_default = json_string_value(jdef);
	}
out:
	json_decref(seen);
	return rc;
}

static int parse_fixed_body(struct av_ctx *c, struct av_type *t, json_t *obj)
{
	json_t *size = json_object_get(obj, "size");

	if (size == NULL)
		return fail(c, "fixed has no 'size'");
	/* Java reads the size as an int (JsonNode.isInt), so 2^31 and above are refused too. */
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	        json_integer_value(size) > INT32_MAX)
		return fail(c, "'size' must be a non-negative integer");
	t->size = json_integer_value(size);
	return 0;
}

/* record, error, enum and fixed. The namespace is, in order: the part of a dotted name before
 * the last dot (an explicit "namespace" is then ignored), the "namespace" attribute ("" meaning
 * the null namespace), the enclosing named type's namespace. */
static int parse_named(struct av_ctx *c, json_t *obj, const char *type, struct av_type **out)
{
	enum av_kind kind = strcmp(type, "enum") == 0    ? AV_ENUM
	                    : strcmp(type, "fixed") == 0 ? AV_FIXED
	                                                 : AV_RECORD;
	json_t *jname = json_object_get(obj, "name");
	const char *name, *shortname, *ns = NULL, *doc = NULL, *space = NULL, *dot;
	size_t spacelen = 0;
	struct av_type *t = NULL;
	struct sl_buf full = SL_BUF_INIT;
	char saved_path[PATH_MAX_LEN];
	const char *saved_space = c->space;
	int rc = 0;

	memcpy(saved_path, c->path, sizeof(saved_path));
	if (jname == NULL || !json_is_string(jname)) {
		rc = jname ? fail(c, "%s 'name' must be a string, got %s", type, json_kind(jname))
		           : fail(c, "%s has no 'name'", type);
		goto out;
	}
	name = json_string_value(jname);
	if ((rc = opt_string(c, obj, "namespace", &ns)) < 0 ||
	        (rc = opt_string(c, obj, "doc", &doc)) < 0)
		goto out;
	dot = strrchr(name, '.');
	if (dot != NULL) {
		shortname = dot + 1;
		space = name;
		spacelen = (size_t)(dot - name);
	} else {
		shortname = name;
		space = ns != NULL ? ns : c->space;
		spacelen = space ? strlen(space) : 0;
	}
	if (spacelen == 0)
		space = NULL;
	if (!valid_name(shortname)) {
		rc = fail(c, "invalid %s name '%s': must match [A-Za-z_][A-Za-z0-9_]*", type, name);
		goto out;
	}
	if (space != NULL && !valid_namespace_n(space, space + spacelen)) {
		rc = fail(
		        c, "invalid namespace '%.*s' of %s '%s'", (int)spacelen, space, type, name);
		goto out;
	}
	/* The specification forbids primitive names in any namespace; Java only refuses a full
	 * name equal to one. */
	if (primitive_kind(shortname) >= 0) {
		rc = fail(c, "%s may not be named after the primitive type '%s'", type, shortname);
		goto out;
	}
	if ((space && sl_buf_addf(&full, "%.*s.", (int)spacelen, space) < 0) ||
	        sl_buf_adds(&full, shortname) < 0) {
		rc = nomem(c);
		goto out;
	}
	if (lookup(c, full.data) != NULL) {
		rc = fail(c, "redefinition of '%s'", full.data);
		goto out;
	}
	t = node_new(c, kind, obj);
	if (t == NULL) {
		rc = nomem(c);
		goto out;
	}
	t->full = sl_buf_detach(&full);
	t->space = space ? strndup(space, spacelen) : NULL;
	if (t->full == NULL || (space && t->space == NULL)) {
		rc = nomem(c);
		goto out;
	}
	t->name = t->full + strlen(t->full) - strlen(shortname);
	t->doc = doc;
	t->is_error = strcmp(type, "error") == 0;
	/* Registered before the body, so a record's fields may refer to the record itself. */
	if (json_object_set_new(c->names, t->full, json_integer((json_int_t)(c->nall - 1))) < 0) {
		rc = nomem(c);
		goto out;
	}
	snprintf(c->path, sizeof(c->path), "%s", t->full);
	c->space = t->space;
	if (kind == AV_RECORD)
		rc = parse_record_body(c, t, obj);
	else if (kind == AV_ENUM)
		rc = parse_enum_body(c, t, obj);
	else
		rc = parse_fixed_body(c, t, obj);
	if (rc == 0)
		rc = parse_aliases(c, obj, t, &t->aliases);
	if (rc == 0)
		*out = t;
out:
	c->space = saved_space;
	memcpy(c->path, saved_path, sizeof(c->path));
	sl_buf_release(&full);
	return rc;
}

static int parse_union(struct av_ctx *c, json_t *j, struct av_type **out)
{
	size_t n = json_array_size(j);
	struct av_type *t = node_new(c, AV_UNION, NULL);
	json_t *seen = json_object();
	int rc = 0;

	if (t == NULL || seen == NULL) {
		rc = nomem(c);
		goto out;
	}
	t->branches = calloc(n ? n : 1, sizeof(*t->branches));
	if (t->branches == NULL) {
		rc = nomem(c);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = path_push(c, "[%zu]", i);
		const struct av_type *b;
		const char *key;
		rc = parse_type(c, json_array_get(j, i), &t->branches[i]);
		if (rc < 0)
			goto out;
		t->nbranches = i + 1;
		b = deref(t->branches[i]);
		/* Unnamed types are told apart by kind, named ones by full name. */
		key = b->kind <= AV_STRING  ? primitive_names[b->kind]
		      : b->kind == AV_ARRAY ? "array"
		      : b->kind == AV_MAP   ? "map"
		      : b->kind == AV_UNION ? NULL
		                            : b->full;
		if (key == NULL) {
			rc = fail(c, "a union may not directly contain another union");
			goto out;
		}
		if (json_object_get(seen, key) != NULL) {
			rc = fail(c, "union contains '%s' more than once", key);
			goto out;
		}
		if (json_object_set_new(seen, key, json_true()) < 0) {
			rc = nomem(c);
			goto out;
		}
		path_restore(c, mark);
	}
	*out = t;
out:
	json_decref(seen);
	return rc;
}

/* SL_AVRO_STRICT_LOGICAL only: the rules of the specification's logical types. By default an
 * invalid logical type is ignored and its attributes kept, which is what the specification
 * prescribes and what Java's LogicalTypes.fromSchemaIgnoreInvalid does; the annotation never
 * changes the canonical text. Unknown logical type names are always allowed. */
static int check_logical(struct av_ctx *c, const struct av_type *t)
{
	static const struct {
		const char *name;
		enum av_kind kind;
	} simple[] = {
	        {"uuid", AV_STRING},
	        {"date", AV_INT},
	        {"time-millis", AV_INT},
	        {"time-micros", AV_LONG},
	        {"timestamp-millis", AV_LONG},
	        {"timestamp-micros", AV_LONG},
	        {"local-timestamp-millis", AV_LONG},
	        {"local-timestamp-micros", AV_LONG},
	};
	json_t *lt = json_object_get(t->src, "logicalType");
	json_t *jp, *js;
	char label[PATH_MAX_LEN];
	const char *name;
	json_int_t prec, scale = 0, maxprec;

	if (lt == NULL)
		return 0;
	if (!json_is_string(lt))
		return fail(c, "'logicalType' must be a string, got %s", json_kind(lt));
	name = json_string_value(lt);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(name, simple[i].name) == 0 && t->kind != simple[i].kind)
			return fail(c, "logical type '%s' requires %s, got %s", name,
			        primitive_names[simple[i].kind],
			        kind_label(t, label, sizeof(label)));
	}
	if (strcmp(name, "duration") == 0 && (t->kind != AV_FIXED || t->size != 12))
		return fail(c, "logical type 'duration' requires a fixed of size 12");
	if (strcmp(name, "decimal") != 0)
		return 0;
	if (t->kind != AV_BYTES && t->kind != AV_FIXED)
		return fail(c, "logical type 'decimal' requires bytes or fixed, got %s",
		        kind_label(t, label, sizeof(label)));
	jp = json_object_get(t->src, "precision");
	js = json_object_get(t->src, "scale");
	if (jp == NULL)
		return fail(c, "logical type 'decimal' requires 'precision'");
	prec = json_integer_value(jp);
	if (!json_is_integer(jp) || prec <= 0 || prec > INT32_MAX)
		return fail(c, "decimal 'precision' must be a positive integer");
	if (js != NULL) {
		scale = json_integer_value(js);
		if (!json_is_integer(js) || scale < 0 || scale > INT32_MAX)
			return fail(c, "decimal 'scale' must be a non-negative integer");
		if (scale > prec)
			return fail(c,
			        "decimal 'scale' %" JSON_INTEGER_FORMAT
			        " exceeds 'precision' %" JSON_INTEGER_FORMAT,
			        scale, prec);
	}
	if (t->kind == AV_FIXED) {
		/* Digits that always fit in size bytes, two's complement: log10(2^(8*size-1) - 1).
		 * 2^k is never a power of ten, so the floor of k*log10(2) is exact enough. */
		maxprec = t->size == 0 ? 0
		                       : (json_int_t)floor((double)(8 * t->size - 1) * log10(2.0));
		if (prec > maxprec)
			return fail(c,
			        "decimal 'precision' %" JSON_INTEGER_FORMAT
			        " does not fit in fixed of size %" JSON_INTEGER_FORMAT
			        " (at most %" JSON_INTEGER_FORMAT ")",
			        prec, t->size, maxprec);
	}
	return 0;
}

static int parse_object(struct av_ctx *c, json_t *obj, struct av_type **out)
{
	json_t *jtype = json_object_get(obj, "type");
	const char *type;
	struct av_type *t = NULL;
	size_t mark;
	int prim, rc = 0;

	if (jtype == NULL)
		return fail(c, "schema object has no 'type'");
	if (!json_is_string(jtype))
		return fail(c, "'type' must be a string naming a type, got %s", json_kind(jtype));
	type = json_string_value(jtype);
	prim = primitive_kind(type);
	if (prim >= 0) {
		t = node_new(c, (enum av_kind)prim, obj);
		if (t == NULL)
			return nomem(c);
	} else if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0 ||
	           strcmp(type, "enum") == 0 || strcmp(type, "fixed") == 0) {
		rc = parse_named(c, obj, type, &t);
	} else if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
		int is_array = type[0] == 'a';
		const char *key = is_array ? "items" : "values";
		json_t *child = json_object_get(obj, key);
		if (child == NULL)
			return fail(c, "%s has no '%s'", type, key);
		t = node_new(c, is_array ? AV_ARRAY : AV_MAP, obj);
		if (t == NULL)
			return nomem(c);
		mark = path_push(c, ".%s", key);
		rc = parse_type(c, child, &t->child);
		path_restore(c, mark);
	} else {
		/* {"type": "SomeName"} refers to a named type, as in Java; other attributes are
		 * dropped with it. */
		rc = resolve(c, type, NULL, &t);
		if (rc == 0 && t == NULL)
			rc = fail(c, "unknown type '%s'", type);
	}
	if (rc == 0 && (c->flags & SL_AVRO_STRICT_LOGICAL) && t->kind != AV_REF)
		rc = check_logical(c, t);
	if (rc == 0)
		*out = t;
	return rc;
}

static int parse_type(struct av_ctx *c, json_t *j, struct av_type **out)
{
	int rc = 0;

	*out = NULL;
	if (++c->depth > SL_AVRO_MAX_DEPTH) {
		rc = fail(c, "schema nested deeper than %d levels", SL_AVRO_MAX_DEPTH);
		goto out;
	}
	if (json_is_string(j)) {
		rc = resolve(c, json_string_value(j), NULL, out);
		if (rc == 0 && *out == NULL)
			rc = fail(c,
			        "undefined name '%s' (a named type must be defined before use)",
			        json_string_value(j));
	} else if (json_is_array(j)) {
		rc = parse_union(c, j, out);
	} else if (json_is_object(j)) {
		rc = parse_object(c, j, out);
	} else {
		rc = fail(c, "a schema must be a string, object or array, got %s", json_kind(j));
	}
out:
	c->depth--;
	return rc;
}

/* ---- printing ----------------------------------------------------------------------------- */

struct av_out {
	struct sl_buf b;
	int rc; /* sticky SL_ENOMEM, checked once at the end */
};

static void put(struct av_out *o, const char *s)
{
	if (o->rc == 0 && sl_buf_adds(&o->b, s) < 0)
		o->rc = SL_ENOMEM;
}

static void put_ch(struct av_out *o, char ch)
{
	if (o->rc == 0 && sl_buf_addch(&o->b, ch) < 0)
		o->rc = SL_ENOMEM;
}

/* Jackson's escaping: quote, backslash and control characters only, the common ones in their
 * short form and the rest as \u00XX; everything else, non-ASCII included, as-is. */
static void put_str(struct av_out *o, const char *s)
{
	put_ch(o, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char esc[8];
		switch (*p) {
		case '"': put(o, "\\\""); break;
		case '\\': put(o, "\\\\"); break;
		case '\b': put(o, "\\b"); break;
		case '\t': put(o, "\\t"); break;
		case '\n': put(o, "\\n"); break;
		case '\f': put(o, "\\f"); break;
		case '\r': put(o, "\\r"); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04X", *p);
				put(o, esc);
			} else {
				put_ch(o, (char)*p);
			}
		}
	}
	put_ch(o, '"');
}

/* Java's Double.toString (JDK 19 and later; older JDKs sometimes print a digit or two more):
 * the shortest digits that read back as d, in plain notation for 1e-3 <= |d| < 1e7 (always
 * with a fractional part, "1.0") and as "d.dddE<exp>" otherwise.
 * Non-finite values come out as the strings Jackson writes for them. */
static void put_double(struct av_out *o, double d)
{
	char tmp[40], digits[24], res[64];
	const char *p;
	size_t nd = 0, r = 0;
	int exp10;
	double a = fabs(d);

	if (isnan(d) || isinf(d)) {
		put_str(o, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (d == 0) {
		put(o, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (p = tmp; *p != '\0' && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (d < 0)
		res[r++] = '-';
	if (a >= 1e-3 && a < 1e7) {
		if (exp10 >= 0) {
			for (int i = 0; i <= exp10; i++)
				res[r++] = (size_t)i < nd ? digits[i] : '0';
			res[r++] = '.';
			if ((size_t)exp10 + 1 < nd)
				for (size_t i = (size_t)exp10 + 1; i < nd; i++)
					res[r++] = digits[i];
			else
				res[r++] = '0';
		} else {
			res[r++] = '0';
			res[r++] = '.';
			for (int i = 0; i < -exp10 - 1; i++)
				res[r++] = '0';
			for (size_t i = 0; i < nd; i++)
				res[r++] = digits[i];
		}
		res[r] = '\0';
	} else {
		/* Java always prints a digit after the point here, and when one significant digit
		 * would do, it picks the closest two-digit value: 4.9E-324, not 5.0E-324. */
		if (nd == 1) {
			snprintf(tmp, sizeof(tmp), "%.1e", a);
			digits[0] = tmp[0];
			digits[1] = tmp[2];
			digits[2] = '\0';
			exp10 = atoi(strchr(tmp, 'e') + 1);
		}
		snprintf(res + r, sizeof(res) - r, "%c.%sE%d", digits[0], digits + 1, exp10);
	}
	put(o, res);
}

static void put_json(struct av_out *o, json_t *v)
{
	char num[32];
	const char *k;
	json_t *e;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_ch(o, '{');
		json_object_foreach(v, k, e)
		{
			if (!first)
				put_ch(o, ',');
			first = 0;
			put_str(o, k);
			put_ch(o, ':');
			put_json(o, e);
		}
		put_ch(o, '}');
		break;
	case JSON_ARRAY:
		put_ch(o, '[');
		json_array_foreach(v, i, e)
		{
			if (i > 0)
				put_ch(o, ',');
			put_json(o, e);
		}
		put_ch(o, ']');
		break;
	case JSON_STRING: put_str(o, json_string_value(v)); break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(o, num);
		break;
	case JSON_REAL: put_double(o, json_real_value(v)); break;
	case JSON_TRUE: put(o, "true"); break;
	case JSON_FALSE: put(o, "false"); break;
	case JSON_NULL: put(o, "null"); break;
	}
}

static void put_key(struct av_out *o, const char *key)
{
	put_ch(o, ',');
	put_str(o, key);
	put_ch(o, ':');
}

/* Custom properties of a type (field_props 0) or a field (1), in the order they were sent. */
static void put_props(struct av_out *o, json_t *src, enum av_kind kind, int field_props)
{
	const char *k;
	json_t *v;

	if (src == NULL)
		return;
	json_object_foreach(src, k, v)
	{
		if (field_props ? is_field_reserved(k) : is_schema_reserved(k, kind))
			continue;
		put_key(o, k);
		put_json(o, v);
	}
}

static int has_props(json_t *src, enum av_kind kind)
{
	const char *k;
	json_t *v;

	if (src == NULL)
		return 0;
	json_object_foreach(src, k, v)
	{
		if (!is_schema_reserved(k, kind))
			return 1;
	}
	return 0;
}

/* Java's Name.getQualified: the short name when it is in the null namespace or in space. */
static const char *qualified(const struct av_type *t, const char *space)
{
	if (t->space == NULL || (space != NULL && strcmp(t->space, space) == 0))
		return t->name;
	return t->full;
}

/* Java's Name.writeName: "namespace" only when it differs from the enclosing one, and "" for
 * a type in the null namespace inside a named one. */
static void put_name(struct av_out *o, const struct av_type *t, const char *space)
{
	put_key(o, "name");
	put_str(o, t->name);
	if (t->space != NULL) {
		if (space == NULL || strcmp(t->space, space) != 0) {
			put_key(o, "namespace");
			put_str(o, t->space);
		}
	} else if (space != NULL) {
		put_key(o, "namespace");
		put_str(o, "");
	}
	if (t->doc != NULL) {
		put_key(o, "doc");
		put_str(o, t->doc);
	}
}

/* Aliases relative to the type's own namespace (Java's aliasesToJson). */
static void put_aliases(struct av_out *o, const struct av_type *t)
{
	size_t i;
	json_t *a;

	if (json_array_size(t->aliases) == 0)
		return;
	put_key(o, "aliases");
	put_ch(o, '[');
	json_array_foreach(t->aliases, i, a)
	{
		const char *full = json_string_value(a);
		const char *dot = strrchr(full, '.');
		int same = dot != NULL && t->space != NULL &&
		           strlen(t->space) == (size_t)(dot - full) &&
		           memcmp(t->space, full, (size_t)(dot - full)) == 0;
		if (i > 0)
			put_ch(o, ',');
		put_str(o, same ? dot + 1 : full);
	}
	put_ch(o, ']');
}

static void emit(struct av_out *o, const struct av_type *t, const char *space);

static void emit_field(struct av_out *o, const struct av_field *f, const char *space)
{
	size_t i;
	json_t *a;

	put(o, "{\"name\":");
	put_str(o, f->name);
	put_key(o, "type");
	emit(o, f->type, space);
	if (f->doc != NULL) {
		put_key(o, "doc");
		put_str(o, f->doc);
	}
	if (f->def_is_double) {
		put_key(o, "default");
		put_double(o, f->def_double);
	} else if (f->def != NULL) {
		put_key(o, "default");
		put_json(o, f->def);
	}
	if (f->order != NULL) {
		put_key(o, "order");
		put_str(o, f->order);
	}
	if (json_array_size(f->aliases) > 0) {
		put_key(o, "aliases");
		put_ch(o, '[');
		json_array_foreach(f->aliases, i, a)
		{
			if (i > 0)
				put_ch(o, ',');
			put_str(o, json_string_value(a));
		}
		put_ch(o, ']');
	}
	put_props(o, f->src, AV_RECORD, 1);
	put_ch(o, '}');
}

static void emit(struct av_out *o, const struct av_type *t, const char *space)
{
	size_t i;
	json_t *s;

	switch (t->kind) {
	case AV_REF: put_str(o, qualified(t->target, space)); break;
	case AV_RECORD:
		put(o, t->is_error ? "{\"type\":\"error\"" : "{\"type\":\"record\"");
		put_name(o, t, space);
		put_key(o, "fields");
		put_ch(o, '[');
		for (i = 0; i < t->nfields; i++) {
			if (i > 0)
				put_ch(o, ',');
			emit_field(o, &t->fields[i], t->space);
		}
		put_ch(o, ']');
		put_props(o, t->src, t->kind, 0);
		put_aliases(o, t);
		put_ch(o, '}');
		break;
	case AV_ENUM:
		put(o, "{\"type\":\"enum\"");
		put_name(o, t, space);
		put_key(o, "symbols");
		put_ch(o, '[');
		json_array_foreach(t->symbols, i, s)
		{
			if (i > 0)
				put_ch(o, ',');
			put_str(o, json_string_value(s));
		}
		put_ch(o, ']');
		if (t->enum_default != NULL) {
			put_key(o, "default");
			put_str(o, t->enum_default);
		}
		put_props(o, t->src, t->kind, 0);
		put_aliases(o, t);
		put_ch(o, '}');
		break;
	case AV_FIXED: {
		char num[32];
		put(o, "{\"type\":\"fixed\"");
		put_name(o, t, space);
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, t->size);
		put_key(o, "size");
		put(o, num);
		put_props(o, t->src, t->kind, 0);
		put_aliases(o, t);
		put_ch(o, '}');
		break;
	}
	case AV_ARRAY:
	case AV_MAP:
		put(o, t->kind == AV_ARRAY ? "{\"type\":\"array\",\"items\":"
		                           : "{\"type\":\"map\",\"values\":");
		emit(o, t->child, space);
		put_props(o, t->src, t->kind, 0);
		put_ch(o, '}');
		break;
	case AV_UNION:
		put_ch(o, '[');
		for (i = 0; i < t->nbranches; i++) {
			if (i > 0)
				put_ch(o, ',');
			emit(o, t->branches[i], space);
		}
		put_ch(o, ']');
		break;
	default:
		/* A primitive: its bare name unless it carries custom properties. */
		if (!has_props(t->src, t->kind)) {
			put_str(o, primitive_names[t->kind]);
			break;
		}
		put(o, "{\"type\":");
		put_str(o, primitive_names[t->kind]);
		put_props(o, t->src, t->kind, 0);
		put_ch(o, '}');
		break;
	}
}

/* ---- public ------------------------------------------------------------------------------- */

int sl_avro_canonical_flags(
        const char *schema_text, unsigned flags, char **out, struct sl_error *err)
{
	struct av_ctx c;
	struct av_out o = {SL_BUF_INIT, 0};
	struct av_type *top = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.flags = flags;
	c.err = err;
	snprintf(c.path, sizeof(c.path), "schema");
	if (out != NULL)
		*out = NULL;
	if (schema_text == NULL || out == NULL)
		return sl_error_set(err, SL_EINVAL, "avro schema: no schema text");
	root = json_loads(schema_text, JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		rc = sl_error_set(err, SL_EINVAL, "schema: invalid json: %s at line %d column %d",
		        jerr.text, jerr.line, jerr.column);
		goto out;
	}
	c.names = json_object();
	if (c.names == NULL) {
		rc = nomem(&c);
		goto out;
	}
	rc = parse_type(&c, root, &top);
	if (rc < 0)
		goto out;
	emit(&o, top, NULL);
	if (o.rc < 0) {
		rc = nomem(&c);
		goto out;
	}
	*out = sl_buf_detach(&o.b);
	if (*out == NULL)
		rc = nomem(&c);
out:
	sl_buf_release(&o.b);
	for (size_t i = 0; i < c.nall; i++)
		node_free(c.all[i]);
	free(c.all);
	json_decref(c.names);
	json_decref(root);
	return rc;
}

int sl_avro_canonical(const char *schema_text, char **out, struct sl_error *err)
{
	return sl_avro_canonical_flags(schema_text, 0, out, err);
}

int sl_json_schema_check(const char *text, struct sl_error *err)
{
	json_error_t jerr;
	json_t *root;

	if (text == NULL)
		return sl_error_set(err, SL_EINVAL, "json schema: no schema text");
	root = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return sl_error_set(err, SL_EINVAL,
		        "json schema: invalid json: %s at line %d column %d", jerr.text, jerr.line,
		        jerr.column);
	json_decref(root);
	return 0;
}
