/*
 * api.c — REST routing for srlite (see api.h).
 *
 * The URL-prefix form /contexts/{ctx}/(subjects|schemas|mode|config)/... is handled as
 * Confluent's ContextFilter does it: the two leading segments are dropped and unqualified
 * subjects, and the subject / subjectPrefix parameters, are qualified with ":{ctx}:".
 */
#include "schemalink/api.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/avro.h"
#include "schemalink/qsubject.h"

#include "reply.h"

struct call {
	struct sl_api *api;
	const struct sl_httpd_request *req;
	struct sl_httpd_response *resp;
	const char *const *seg;
	size_t n;
	char *ctxq; /* ":.ctx:" from the URL-prefix form, or NULL */
	char *tmp[4]; /* owned strings built while handling (qualified names) */
	size_t ntmp;
};

/* ---------- replies ---------- */

static int reply_code(struct call *c, int code, const char *msg)
{
	struct sl_error err = SL_ERROR_INIT;

	sl_registry_error(&err, code, "%s", msg);
	return sl_reply_error(c->resp, &err);
}

/* ---------- request helpers ---------- */

static bool method_is(const struct call *c, const char *m)
{
	return strcmp(c->req->method, m) == 0;
}

static bool q_bool(const struct call *c, const char *name)
{
	const char *v = sl_httpd_query(c->req, name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

static long q_long(const struct call *c, const char *name, long def)
{
	const char *v = sl_httpd_query(c->req, name);
	char *end = NULL;
	long n;

	if (v == NULL || v[0] == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	return (errno != 0 || *end != '\0') ? def : n;
}

static const char *keep(struct call *c, char *s)
{
	if (s == NULL || c->ntmp >= sizeof(c->tmp) / sizeof(c->tmp[0])) {
		free(s);
		return NULL;
	}
	c->tmp[c->ntmp++] = s;
	return s;
}

/* Qualifies s with the URL-prefix context when s is unqualified. */
static const char *qualify(struct call *c, const char *s)
{
	char *q;

	if (c->ctxq == NULL || s == NULL || strncmp(s, ":.", 2) == 0 || strncmp(s, ":*:", 3) == 0)
		return s;
	if (asprintf(&q, "%s%s", c->ctxq, s) < 0)
		return NULL;
	return keep(c, q);
}

static const char *q_subject_param(struct call *c, const char *name)
{
	return qualify(c, sl_httpd_query(c->req, name));
}

/* offset / limit over a JSON array (limit -1 = all). */
static json_t *page(struct call *c, json_t *arr)
{
	long off = q_long(c, "offset", 0), lim = q_long(c, "limit", -1);
	json_t *out;

	if (arr == NULL || (off <= 0 && lim < 0))
		return arr;
	out = json_array();
	for (size_t i = off > 0 ? (size_t)off : 0; out != NULL && i < json_array_size(arr); i++) {
		if (lim >= 0 && json_array_size(out) >= (size_t)lim)
			break;
		json_array_append(out, json_array_get(arr, i));
	}
	json_decref(arr);
	return out;
}

/* ---------- schema JSON ---------- */

static json_t *refs_to_json(const struct sl_schema_ref *refs, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(
		        a, json_pack("{s:s, s:s, s:i}", "name", refs[i].name, "subject",
		                   refs[i].subject, "version", refs[i].version));
	return a;
}

/* Subject-version shape (subject set) or by-id shape; schemaType omitted for AVRO and
 * empty references omitted, as 7.x does. */
static json_t *info_json(const struct sl_schema_info *info, bool with_id)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (info->subject != NULL) {
		json_object_set_new(o, "subject", json_string(info->subject));
		json_object_set_new(o, "version", json_integer(info->version));
	}
	if (with_id)
		json_object_set_new(o, "id", json_integer(info->id));
	if (strcmp(info->type, "AVRO") != 0)
		json_object_set_new(o, "schemaType", json_string(info->type));
	if (info->nrefs > 0)
		json_object_set_new(o, "references", refs_to_json(info->refs, info->nrefs));
	json_object_set_new(o, "schema", json_string(info->schema));
	return o;
}

struct parsed_schema {
	char type[16];
	char *text; /* owned canonical / stored text */
	struct sl_schema_ref *refs;
	size_t nrefs;
	int id, version;
};

static void parsed_release(struct parsed_schema *p)
{
	free(p->text);
	free(p->refs); /* strings are borrowed from the request JSON */
}

/* The steps of parse_schema_body: each answers the client itself and returns -1 when the body
 * is wrong, freeing what it allocated in p. */

/* "schema" must be a non-empty string; "schemaType" (default AVRO), upper-cased into p->type. */
static int parse_schema_type(struct call *c, json_t *body, struct parsed_schema *p)
{
	json_t *schema = json_object_get(body, "schema"),
	       *type = json_object_get(body, "schemaType");
	const char *t = "AVRO";
	char msg[SL_ERROR_MSG_MAX + 64];

	if (schema == NULL || json_is_null(schema) ||
	        (json_is_string(schema) && json_string_length(schema) == 0))
		return reply_code(c, 42201, "Empty schema"), -1;
	if (!json_is_string(schema))
		return reply_code(c, 42201, "Invalid schema: \"schema\" must be a string"), -1;
	if (type != NULL && !json_is_null(type)) {
		if (!json_is_string(type))
			return reply_code(c, 42201, "Invalid schema type: must be a string"), -1;
		t = json_string_value(type);
	}
	if (strcasecmp(t, "AVRO") && strcasecmp(t, "JSON") && strcasecmp(t, "PROTOBUF")) {
		snprintf(msg, sizeof(msg), "Invalid schema type %.100s", t);
		return reply_code(c, 42201, msg), -1;
	}
	for (size_t i = 0; t[i] != '\0' && i < sizeof(p->type) - 1; i++)
		p->type[i] = (char)(t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32 : t[i]);
	return 0;
}

/* "id" and "version" of a registration into p->id and p->version (-1: none). */
static int parse_schema_ids(struct call *c, json_t *body, struct parsed_schema *p)
{
	json_t *v;

	v = json_object_get(body, "id");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) > INT_MAX)
			return reply_code(c, 42201, "Invalid schema id: must be an integer"), -1;
		/* Negative ids mean "none", as the Java client's default of -1 does. */
		p->id = json_integer_value(v) < 0 ? -1 : (int)json_integer_value(v);
	}
	v = json_object_get(body, "version");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) > INT_MAX)
			return reply_code(c, 42201, "Invalid version: must be an integer"), -1;
		p->version = json_integer_value(v) <= 0 ? -1 : (int)json_integer_value(v);
	}
	return 0;
}

/* "references" into p->refs (strings borrowed from body). */
static int parse_schema_refs(struct call *c, json_t *body, struct parsed_schema *p)
{
	json_t *refs = json_object_get(body, "references");

	if (refs == NULL || json_is_null(refs))
		return 0;
	if (!json_is_array(refs))
		return reply_code(c, 42201, "Invalid schema: \"references\" must be an array"), -1;
	p->nrefs = json_array_size(refs);
	p->refs = p->nrefs ? calloc(p->nrefs, sizeof(*p->refs)) : NULL;
	if (p->nrefs && p->refs == NULL)
		return reply_code(c, 50001, "Error in the backend data store"), -1;
	for (size_t i = 0; i < p->nrefs; i++) {
		json_t *r = json_array_get(refs, i);
		const char *name = NULL, *subj = NULL;
		json_int_t ver = 0;

		if (json_unpack(r, "{s:s, s:s, s:I}", "name", &name, "subject", &subj, "version",
		            &ver) != 0 ||
		        name[0] == '\0' || subj[0] == '\0' || ver < 1 || ver > INT_MAX) {
			parsed_release(p);
			return reply_code(c, 42201,
			               "Invalid schema: each reference needs a non-empty "
			               "\"name\" "
			               "and \"subject\" and a \"version\" >= 1"),
			       -1;
		}
		p->refs[i].name = (char *)(uintptr_t)name;
		p->refs[i].subject = (char *)(uintptr_t)subj;
		p->refs[i].version = (int)ver;
	}
	return 0;
}

/* Validates the schema text t for p->type into p->text: Avro's canonical form, JSON as sent
 * once it parses, Protobuf as sent. */
static int parse_schema_text(struct call *c, const char *t, struct parsed_schema *p)
{
	struct sl_error err = SL_ERROR_INIT;
	char msg[SL_ERROR_MSG_MAX + 64];

	if (strcmp(p->type, "AVRO") == 0) {
		if (sl_avro_canonical(t, &p->text, &err) != 0) {
			json_t *parsed;

			/* Named types from references are unknown to the validator: such a schema is
			 * checked as JSON and stored compacted (documented limitation). */
			parsed = p->nrefs > 0 ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
			if (parsed != NULL)
				p->text = json_dumps(parsed, JSON_COMPACT | JSON_ENCODE_ANY);
			json_decref(parsed);
			if (p->text == NULL) {
				snprintf(msg, sizeof(msg), "Invalid schema: %s", err.msg);
				parsed_release(p);
				return reply_code(c, 42201, msg), -1;
			}
		}
	} else if (strcmp(p->type, "JSON") == 0) {
		if (sl_json_schema_check(t, &err) != 0) {
			snprintf(msg, sizeof(msg), "Invalid schema: %s", err.msg);
			parsed_release(p);
			return reply_code(c, 42201, msg), -1;
		}
		p->text = strdup(t);
	} else {
		p->text = strdup(t);
	}
	if (p->text == NULL) {
		parsed_release(p);
		return reply_code(c, 50001, "Error in the backend data store"), -1;
	}
	return 0;
}

/* Reads {"schema","schemaType","references","id","version"} and validates the schema. On
 * failure answers the client itself and returns -1. */
static int parse_schema_body(struct call *c, json_t *body, bool with_ids, struct parsed_schema *p)
{
	memset(p, 0, sizeof(*p));
	p->id = p->version = -1;
	if (parse_schema_type(c, body, p) != 0)
		return -1;
	if (with_ids && parse_schema_ids(c, body, p) != 0)
		return -1;
	if (parse_schema_refs(c, body, p) != 0)
		return -1;
	return parse_schema_text(c, json_string_value(json_object_get(body, "schema")), p);
}

/* ---------- /subjects ---------- */

static int h_subjects_list(struct call *c)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	unsigned flags = (q_bool(c, "deleted") ? SL_LIST_DELETED : 0) |
	                 (q_bool(c, "deletedOnly") ? SL_LIST_DELETED_ONLY : 0);
	const char *prefix = sl_httpd_query(c->req, "subjectPrefix");
	json_t *a;
	int rc;

	if (c->ctxq != NULL)
		prefix = prefix != NULL ? qualify(c, prefix) : c->ctxq;
	if (sl_store_list_subjects(c->api->store, prefix, flags, &names, &err) != 0)
		return sl_reply_error(c->resp, &err);
	a = json_array();
	for (size_t i = 0; a != NULL && i < names.len; i++)
		json_array_append_new(a, json_string(names.items[i]));
	rc = sl_reply_json(c->resp, 200, page(c, a));
	sl_vec_release(&names, free);
	return rc;
}

static int h_register(struct call *c, const char *qs)
{
	struct sl_error err = SL_ERROR_INIT;
	struct parsed_schema p;
	struct sl_schema_input in;
	json_t *body;
	int id = 0, version = 0, rc;

	if (sl_qsubject_check_registrable(qs, &err) != 0) {
		sl_registry_error(&err, 42208, "The specified subject '%s' is not a valid.", qs);
		return sl_reply_error(c->resp, &err);
	}
	body = sl_body_object(c->req, c->resp);
	if (body == NULL)
		return 0;
	if (parse_schema_body(c, body, true, &p) != 0) {
		json_decref(body);
		return 0;
	}
	in = (struct sl_schema_input){p.type, p.text, p.refs, p.nrefs};
	if (sl_store_register(c->api->store, qs, &in, p.id, p.version, &id, &version, &err) != 0)
		rc = sl_reply_error(c->resp, &err);
	else
		rc = sl_reply_json(
		        c->resp, 200, json_pack("{s:i, s:i}", "id", id, "version", version));
	parsed_release(&p);
	json_decref(body);
	return rc;
}

static int h_lookup(struct call *c, const char *qs)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info = SL_SCHEMA_INFO_INIT;
	struct parsed_schema p;
	struct sl_schema_input in;
	json_t *body = sl_body_object(c->req, c->resp);
	int rc;

	if (body == NULL)
		return 0;
	if (parse_schema_body(c, body, false, &p) != 0) {
		json_decref(body);
		return 0;
	}
	in = (struct sl_schema_input){p.type, p.text, p.refs, p.nrefs};
	if (sl_store_lookup(c->api->store, qs, &in, q_bool(c, "deleted"), &info, &err) != 0)
		rc = sl_reply_error(c->resp, &err);
	else
		rc = sl_reply_json(c->resp, 200, info_json(&info, true));
	sl_schema_info_release(&info);
	parsed_release(&p);
	json_decref(body);
	return rc;
}

static json_t *int_array(const int *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static int h_delete_subject(struct call *c, const char *qs)
{
	struct sl_error err = SL_ERROR_INIT;
	int *vs = NULL, rc;
	size_t n = 0;

	if (sl_store_delete_subject(c->api->store, qs, q_bool(c, "permanent"), &vs, &n, &err) != 0)
		return sl_reply_error(c->resp, &err);
	rc = sl_reply_json(c->resp, 200, int_array(vs, n));
	free(vs);
	return rc;
}

static int h_versions_list(struct call *c, const char *qs)
{
	struct sl_error err = SL_ERROR_INIT;
	unsigned flags = (q_bool(c, "deleted") ? SL_LIST_DELETED : 0) |
	                 (q_bool(c, "deletedOnly") ? SL_LIST_DELETED_ONLY : 0) |
	                 (q_bool(c, "deletedAsNegative") ? SL_LIST_DELETED_NEGATIVE : 0);
	int *vs = NULL, rc;
	size_t n = 0;

	if (sl_store_list_versions(c->api->store, qs, flags, &vs, &n, &err) != 0)
		return sl_reply_error(c->resp, &err);
	rc = sl_reply_json(c->resp, 200, page(c, int_array(vs, n)));
	free(vs);
	return rc;
}

static int h_version(struct call *c, const char *qs, const char *vstr, bool raw)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info = SL_SCHEMA_INFO_INIT;
	int v, rc;

	if (sl_version_parse(vstr, &v, &err) != 0)
		return sl_reply_error(c->resp, &err);
	if (method_is(c, "DELETE")) {
		int dv = 0;

		if (raw)
			return sl_reply_not_allowed(c->resp);
		if (sl_store_delete_version(
		            c->api->store, qs, v, q_bool(c, "permanent"), &dv, &err) != 0)
			return sl_reply_error(c->resp, &err);
		return sl_reply_json(c->resp, 200, json_integer(dv));
	}
	if (sl_store_get_version(c->api->store, qs, v, q_bool(c, "deleted"), &info, &err) != 0)
		return sl_reply_error(c->resp, &err);
	if (raw)
		rc = sl_httpd_reply_json(c->resp, 200, info.schema);
	else
		rc = sl_reply_json(c->resp, 200, info_json(&info, true));
	sl_schema_info_release(&info);
	return rc;
}

static int route_subjects(struct call *c)
{
	const char *qs;

	if (c->n == 1)
		return method_is(c, "GET") ? h_subjects_list(c) : sl_reply_not_allowed(c->resp);
	qs = qualify(c, c->seg[1]);
	if (qs == NULL)
		return reply_code(c, 50001, "Error in the backend data store");
	if (c->n == 2) {
		if (method_is(c, "POST"))
			return h_lookup(c, qs);
		if (method_is(c, "DELETE"))
			return h_delete_subject(c, qs);
		return sl_reply_not_allowed(c->resp);
	}
	if (strcmp(c->seg[2], "versions") != 0)
		return sl_reply_not_found(c->resp);
	if (c->n == 3) {
		if (method_is(c, "GET"))
			return h_versions_list(c, qs);
		if (method_is(c, "POST"))
			return h_register(c, qs);
		return sl_reply_not_allowed(c->resp);
	}
	if (c->n == 4) {
		if (!method_is(c, "GET") && !method_is(c, "DELETE"))
			return sl_reply_not_allowed(c->resp);
		return h_version(c, qs, c->seg[3], false);
	}
	if (c->n == 5 && strcmp(c->seg[4], "schema") == 0)
		return method_is(c, "GET") ? h_version(c, qs, c->seg[3], true)
		                           : sl_reply_not_allowed(c->resp);
	return sl_reply_not_found(c->resp);
}

/* ---------- /schemas ---------- */

static int parse_id(const char *s, int *id)
{
	char *end = NULL;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || n < 0 || n > INT_MAX)
		return -1;
	*id = (int)n;
	return 0;
}

static int route_schemas(struct call *c)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_schema_info info = SL_SCHEMA_INFO_INIT;
	struct sl_vec list = SL_VEC_INIT;
	const char *subject;
	json_t *a;
	int id, rc, max_id = 0;

	if (!method_is(c, "GET"))
		return sl_reply_not_allowed(c->resp);
	if (c->n == 1) {
		unsigned flags = (q_bool(c, "deleted") ? SL_LIST_DELETED : 0) |
		                 (q_bool(c, "latestOnly") ? SL_LIST_LATEST_ONLY : 0);
		const char *prefix = sl_httpd_query(c->req, "subjectPrefix");

		if (c->ctxq != NULL)
			prefix = prefix != NULL ? qualify(c, prefix) : c->ctxq;
		if (sl_store_list_schemas(c->api->store, prefix, flags, &list, &err) != 0)
			return sl_reply_error(c->resp, &err);
		a = json_array();
		for (size_t i = 0; a != NULL && i < list.len; i++)
			json_array_append_new(a, info_json(list.items[i], true));
		sl_vec_release(&list, sl_schema_info_free);
		return sl_reply_json(c->resp, 200, page(c, a));
	}
	if (c->n == 2 && strcmp(c->seg[1], "types") == 0)
		return sl_reply_json(
		        c->resp, 200, json_pack("[s, s, s]", "JSON", "PROTOBUF", "AVRO"));
	if (c->n < 3 || c->n > 4 || strcmp(c->seg[1], "ids") != 0 || parse_id(c->seg[2], &id) != 0)
		return sl_reply_not_found(c->resp);
	subject = q_subject_param(c, "subject");
	if (subject == NULL && c->ctxq != NULL)
		subject = c->ctxq;
	if (c->n == 3 || strcmp(c->seg[3], "schema") == 0) {
		if (sl_store_get_by_id(c->api->store, id, subject, &info, &max_id, &err) != 0)
			return sl_reply_error(c->resp, &err);
		if (c->n == 4) {
			rc = sl_httpd_reply_json(c->resp, 200, info.schema);
		} else {
			json_t *o = info_json(&info, false);

			if (o != NULL && q_bool(c, "fetchMaxId"))
				json_object_set_new(o, "maxId", json_integer(max_id));
			rc = sl_reply_json(c->resp, 200, o);
		}
		sl_schema_info_release(&info);
		return rc;
	}
	if (strcmp(c->seg[3], "subjects") != 0 && strcmp(c->seg[3], "versions") != 0)
		return sl_reply_not_found(c->resp);
	if (sl_store_id_versions(c->api->store, id, subject, q_bool(c, "deleted"), &list, &err) !=
	        0)
		return sl_reply_error(c->resp, &err);
	a = json_array();
	for (size_t i = 0; a != NULL && i < list.len; i++) {
		const struct sl_schema_info *it = list.items[i];

		if (c->seg[3][0] == 'v') {
			json_array_append_new(a, json_pack("{s:s, s:i}", "subject", it->subject,
			                                 "version", it->version));
		} else if (i == 0 ||
		           strcmp(it->subject,
		                   ((struct sl_schema_info *)list.items[i - 1])->subject)) {
			json_array_append_new(a, json_string(it->subject));
		}
	}
	sl_vec_release(&list, sl_schema_info_free);
	return sl_reply_json(c->resp, 200, page(c, a));
}

/* ---------- /mode and /config ---------- */

static int scope_of(struct call *c, struct sl_scope *sc, struct sl_error *err)
{
	const char *s = NULL;

	if (c->n == 2)
		s = qualify(c, c->seg[1]);
	else if (c->ctxq != NULL)
		s = c->ctxq;
	return sl_scope_parse(s, sc, err);
}

static int route_mode(struct call *c)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_scope sc = SL_SCOPE_INIT;
	const char *m = NULL;
	json_t *body = NULL, *mv;
	int rc;

	if (c->n > 2)
		return sl_reply_not_found(c->resp);
	if (!method_is(c, "GET") && !method_is(c, "PUT") && !method_is(c, "DELETE"))
		return sl_reply_not_allowed(c->resp);
	if (scope_of(c, &sc, &err) != 0)
		return sl_reply_error(c->resp, &err);
	if (method_is(c, "GET")) {
		rc = sl_store_get_mode(c->api->store, &sc, q_bool(c, "defaultToGlobal"), &m, &err);
	} else if (method_is(c, "DELETE")) {
		rc = sl_store_delete_mode(c->api->store, &sc, q_bool(c, "recursive"), &m, &err);
	} else {
		body = sl_body_object(c->req, c->resp);
		if (body == NULL) {
			sl_scope_release(&sc);
			return 0;
		}
		mv = json_object_get(body, "mode");
		rc = sl_store_set_mode(c->api->store, &sc,
		        json_is_string(mv) ? json_string_value(mv) : NULL, q_bool(c, "force"), &m,
		        &err);
	}
	sl_scope_release(&sc);
	json_decref(body);
	if (rc != 0)
		return sl_reply_error(c->resp, &err);
	return sl_reply_json(c->resp, 200, json_pack("{s:s?}", "mode", m));
}

static int route_config(struct call *c)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_scope sc = SL_SCOPE_INIT;
	const char *lvl = NULL;
	json_t *body = NULL, *cv;
	int rc;

	if (c->n > 2)
		return sl_reply_not_found(c->resp);
	if (!method_is(c, "GET") && !method_is(c, "PUT") && !method_is(c, "DELETE"))
		return sl_reply_not_allowed(c->resp);
	if (scope_of(c, &sc, &err) != 0)
		return sl_reply_error(c->resp, &err);
	if (method_is(c, "GET")) {
		rc = sl_store_get_config(
		        c->api->store, &sc, q_bool(c, "defaultToGlobal"), &lvl, &err);
	} else if (method_is(c, "DELETE")) {
		rc = sl_store_delete_config(c->api->store, &sc, &lvl, &err);
	} else {
		body = sl_body_object(c->req, c->resp);
		if (body == NULL) {
			sl_scope_release(&sc);
			return 0;
		}
		cv = json_object_get(body, "compatibility");
		rc = sl_store_set_config(c->api->store, &sc,
		        json_is_string(cv) ? json_string_value(cv) : NULL, &lvl, &err);
	}
	sl_scope_release(&sc);
	json_decref(body);
	if (rc != 0)
		return sl_reply_error(c->resp, &err);
	/* PUT echoes the request field; GET and DELETE answer the Config shape. */
	return sl_reply_json(c->resp, 200,
	        json_pack("{s:s}", method_is(c, "PUT") ? "compatibility" : "compatibilityLevel",
	                lvl));
}

/* ---------- /contexts ---------- */

static int route_contexts(struct call *c)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	json_t *a;

	if (c->n == 1) {
		if (!method_is(c, "GET"))
			return sl_reply_not_allowed(c->resp);
		if (sl_store_list_contexts(c->api->store, sl_httpd_query(c->req, "contextPrefix"),
		            &names, &err) != 0)
			return sl_reply_error(c->resp, &err);
		a = json_array();
		for (size_t i = 0; a != NULL && i < names.len; i++)
			json_array_append_new(a, json_string(names.items[i]));
		sl_vec_release(&names, free);
		return sl_reply_json(c->resp, 200, page(c, a));
	}
	if (c->n == 2) {
		if (!method_is(c, "DELETE"))
			return sl_reply_not_allowed(c->resp);
		if (sl_store_delete_context(c->api->store, c->seg[1], &err) != 0)
			return sl_reply_error(c->resp, &err);
		return sl_httpd_reply(c->resp, 204, NULL, "", 0);
	}
	return sl_reply_not_found(c->resp);
}

/* ---------- /v1/metadata ---------- */

/* Name srlite reports as its "schema-registry-cluster": Confluent reports its
 * schema.registry.group.id there (default "schema-registry"). */
#define SRLITE_GROUP_ID "srlite"

/* GET /v1/metadata/id, the shape of Confluent's ServerMetadataResource.getClusterId, which
 * answers ServerClusterId.of(kafkaClusterId, groupId):
 *   {"scope":{"path":[],"clusters":{"kafka-cluster":K,"schema-registry-cluster":G}}}
 * Confluent's "id" is always "" and so left out (@JsonInclude NON_EMPTY); srlite fills it with
 * the cluster id too, which clients that read only "id" can use and Confluent's own client
 * ignores (@JsonIgnoreProperties(ignoreUnknown = true)). srlite has no Kafka cluster: its own
 * cluster id stands in as "kafka-cluster", which is what tells two srlites apart.
 * /contexts/{ctx}/v1/metadata/id is 404: srlite's URL-prefix form covers subjects, schemas,
 * mode and config only. */
static int route_metadata(struct call *c)
{
	const char *id = c->api->cluster_id;

	if (id == NULL || c->n != 3 || strcmp(c->seg[1], "metadata") != 0 ||
	        strcmp(c->seg[2], "id") != 0)
		return sl_reply_not_found(c->resp);
	if (!method_is(c, "GET"))
		return sl_reply_not_allowed(c->resp);
	return sl_reply_json(c->resp, 200,
	        json_pack("{s:s, s:{s:[], s:{s:s, s:s}}}", "id", id, "scope", "path", "clusters",
	                "kafka-cluster", id, "schema-registry-cluster", SRLITE_GROUP_ID));
}

/* ---------- entry ---------- */

static int dispatch(struct call *c)
{
	const char *first;

	if (c->n == 0)
		return method_is(c, "GET") ? sl_reply_json(c->resp, 200, json_object())
		                           : sl_reply_not_allowed(c->resp);
	first = c->seg[0];
	/* URL-prefix form: /contexts/{ctx}/<registry path>. */
	if (c->ctxq == NULL && strcmp(first, "contexts") == 0 && c->n >= 3 &&
	        (!strcmp(c->seg[2], "subjects") || !strcmp(c->seg[2], "schemas") ||
	                !strcmp(c->seg[2], "mode") || !strcmp(c->seg[2], "config"))) {
		char *ctx = NULL;

		if (sl_context_normalize(c->seg[1], &ctx, NULL) != 0)
			return reply_code(c, 42208, "The specified context is not valid.");
		if (asprintf(&c->ctxq, ":%s:", ctx) < 0)
			c->ctxq = NULL;
		free(ctx);
		if (c->ctxq == NULL)
			return reply_code(c, 50001, "Error in the backend data store");
		c->seg += 2;
		c->n -= 2;
		first = c->seg[0];
	}
	if (strcmp(first, "subjects") == 0)
		return route_subjects(c);
	if (strcmp(first, "schemas") == 0)
		return route_schemas(c);
	if (strcmp(first, "mode") == 0)
		return route_mode(c);
	if (strcmp(first, "config") == 0)
		return route_config(c);
	if (strcmp(first, "contexts") == 0)
		return route_contexts(c);
	if (strcmp(first, "v1") == 0)
		return route_metadata(c);
	if (strcmp(first, "exporters") == 0 && c->ctxq == NULL && c->api->exporters != NULL)
		return sl_exporters_handle(c->api->exporters, c->req, c->seg, c->n, c->resp);
	return sl_reply_not_found(c->resp);
}

/* Refuses a request over --rate-limit: 429 with Retry-After in whole seconds, at least 1,
 * as Confluent Cloud answers (docs/internals/registry.md §8.2). wait_ms > 0. */
static int reply_limited(struct sl_httpd_response *resp, long wait_ms)
{
	char msg[96], secs[24];
	long s = (wait_ms + 999) / 1000;
	int rc;

	snprintf(secs, sizeof(secs), "%ld", s);
	snprintf(msg, sizeof(msg), "Rate limit exceeded; retry after %ld s", s);
	rc = sl_httpd_reply_error(resp, 429, 429, msg);
	return rc < 0 ? rc : sl_httpd_response_header(resp, "Retry-After", secs);
}

int sl_api_handle(void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp)
{
	struct call c = {0};
	int rc;

	c.api = cls;
	c.req = req;
	c.resp = resp;
	c.seg = req->segments;
	c.n = req->nsegments;
	/* The test endpoints exist only with --enable-fault-injection; they are not counted
	 * and never get faults. */
	if (c.n > 0 && strcmp(c.seg[0], "_srlite") == 0)
		return c.api->faults != NULL
		               ? sl_faults_handle(c.api->faults, req, c.seg, c.n, resp)
		               : sl_reply_not_found(c.resp);
	if (c.api->limit != NULL) {
		long wait = sl_ratelimit_try(c.api->limit, sl_ratelimit_kind_of(req->method));

		if (wait > 0) {
			if (c.api->faults != NULL)
				sl_faults_count_limited(c.api->faults, req);
			return reply_limited(resp, wait);
		}
	}
	if (c.api->faults != NULL && sl_faults_apply(c.api->faults, req, resp))
		return 0;
	rc = dispatch(&c);
	free(c.ctxq);
	for (size_t i = 0; i < c.ntmp; i++)
		free(c.tmp[i]);
	return rc;
}
