/* yaml.c — block YAML from a JSON value, for -o yaml and slctl export. */
#include <ctype.h>
#include <string.h>

#include "schemalink/json.h"
#include "schemalink/log.h"
#include "slctl.h"

static bool plain_safe(const char *s)
{
	static const char *const reserved[] = {
	        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", NULL};
	size_t i;

	if (*s == '\0' || !(isalpha((unsigned char)*s) || *s == '_' || *s == '.' || *s == '/'))
		return false;
	for (i = 0; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_./-", s[i])))
			return false;
	for (i = 0; reserved[i]; i++)
		if (!strcasecmp(s, reserved[i]))
			return false;
	return true;
}

int slctl_yaml_scalar(const char *s, struct sl_buf *out)
{
	int rc;

	if (plain_safe(s))
		return sl_buf_adds(out, s);
	rc = sl_buf_addch(out, '"');
	rc = rc ? rc : sl_json_escape(out, s);
	return rc ? rc : sl_buf_addch(out, '"');
}

static int scalar(json_t *v, struct sl_buf *out)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return slctl_yaml_scalar(json_string_value(v), out);
	case JSON_INTEGER: return sl_buf_addf(out, "%lld", (long long)json_integer_value(v));
	case JSON_REAL: return sl_buf_addf(out, "%g", json_real_value(v));
	case JSON_TRUE: return sl_buf_adds(out, "true");
	case JSON_FALSE: return sl_buf_adds(out, "false");
	case JSON_NULL: return sl_buf_adds(out, "null");
	case JSON_OBJECT: return sl_buf_adds(out, "{}");
	default: return sl_buf_adds(out, "[]");
	}
}

static bool nested(json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

/* Writes the entries of v at indent; first_prefix replaces the first line's indentation
 * (used after "- "). */
static int node(json_t *v, int indent, bool after_dash, struct sl_buf *out)
{
	int rc = 0;
	bool first = true;

	if (json_is_object(v)) {
		const char *k;
		json_t *c;

		json_object_foreach(v, k, c)
		{
			if (!(first && after_dash))
				rc = rc ? rc : sl_buf_addf(out, "%*s", indent, "");
			first = false;
			rc = rc ? rc : slctl_yaml_scalar(k, out);
			rc = rc ? rc : sl_buf_addch(out, ':');
			if (nested(c)) {
				rc = rc ? rc : sl_buf_addch(out, '\n');
				rc = rc ? rc
				        : node(c, json_is_array(c) ? indent : indent + 2, false,
				                  out);
			} else {
				rc = rc ? rc : sl_buf_addch(out, ' ');
				rc = rc ? rc : scalar(c, out);
				rc = rc ? rc : sl_buf_addch(out, '\n');
			}
		}
		return rc;
	}
	if (json_is_array(v)) {
		size_t i;

		for (i = 0; i < json_array_size(v); i++) {
			json_t *c = json_array_get(v, i);

			if (!(i == 0 && after_dash))
				rc = rc ? rc : sl_buf_addf(out, "%*s", indent, "");
			rc = rc ? rc : sl_buf_adds(out, "- ");
			if (nested(c)) {
				rc = rc ? rc : node(c, indent + 2, true, out);
			} else {
				rc = rc ? rc : scalar(c, out);
				rc = rc ? rc : sl_buf_addch(out, '\n');
			}
		}
		return rc;
	}
	rc = scalar(v, out);
	return rc ? rc : sl_buf_addch(out, '\n');
}

int slctl_yaml(json_t *v, struct sl_buf *out)
{
	return node(v, 0, false, out);
}
