/* test_avro.c — Avro schema validation and canonical text (pkg/srlite/avro.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "schemalink/avro.h"
#include "schemalink/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Asserts that in canonicalizes to want, and that want is a fixed point (round trip). */
static void canon_flags(const char *in, unsigned flags, const char *want)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL, *again = NULL;
	int rc = sl_avro_canonical_flags(in, flags, &out, &err);

	if (rc != 0)
		fail_msg("unexpected error for %s: %s", in, err.msg);
	assert_non_null(out);
	if (want != NULL)
		assert_string_equal(out, want);
	rc = sl_avro_canonical_flags(out, flags, &again, &err);
	if (rc != 0)
		fail_msg("canonical text does not parse again: %s: %s", out, err.msg);
	assert_string_equal(again, out);
	free(out);
	free(again);
}

static void canon(const char *in, const char *want)
{
	canon_flags(in, 0, want);
}

/* Asserts that in is rejected with SL_EINVAL and a message containing needle. */
static void invalid_flags(const char *in, unsigned flags, const char *needle)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = (char *)&err; /* must be reset to NULL */
	int rc = sl_avro_canonical_flags(in, flags, &out, &err);

	if (rc == 0)
		fail_msg("accepted invalid schema %s as %s", in, out);
	assert_int_equal(rc, SL_EINVAL);
	assert_int_equal(err.code, SL_EINVAL);
	assert_null(out);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" (schema %s)", err.msg, needle, in);
}

static void invalid(const char *in, const char *needle)
{
	invalid_flags(in, 0, needle);
}

#define PAGEVIEWS \
	"{\"type\":\"record\",\"name\":\"pageviews\",\"namespace\":\"ksql\",\"fields\":[" \
	"{\"name\":\"viewtime\",\"type\":\"long\"},{\"name\":\"userid\",\"type\":\"string\"}," \
	"{\"name\":\"pageid\",\"type\":\"string\"}]}"

/* ---- valid schemas and their exact text ---------------------------------------------------- */

static void test_pageviews(void **state)
{
	(void)state;
	canon(PAGEVIEWS, PAGEVIEWS);
	/* whitespace, member order, {"type":"string"} for "string": byte-identical text */
	canon("{\n  \"fields\" : [\n    {\"type\": \"long\", \"name\": \"viewtime\"},\n"
	      "    {\"name\": \"userid\", \"type\": {\"type\": \"string\"}},\n"
	      "    {\"type\": \"string\", \"name\": \"pageid\"}\n  ],\n"
	      "  \"namespace\": \"ksql\",\t\"name\" : \"pageviews\", \"type\": \"record\"\n}\n",
	        PAGEVIEWS);
	/* a dotted full name is the same type */
	canon("{\"type\":\"record\",\"name\":\"ksql.pageviews\",\"fields\":[{\"name\":\"viewtime\","
	      "\"type\":\"long\"},{\"name\":\"userid\",\"type\":\"string\"},{\"name\":\"pageid\","
	      "\"type\":\"string\"}]}",
	        PAGEVIEWS);
}

static void test_primitives(void **state)
{
	static const char *const prims[] = {
	        "null",
	        "boolean",
	        "int",
	        "long",
	        "float",
	        "double",
	        "bytes",
	        "string",
	};
	char in[128], want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++) {
		snprintf(in, sizeof(in), "\"%s\"", prims[i]);
		canon(in, in);
		snprintf(want, sizeof(want), " { \"type\" : \"%s\" } ", prims[i]);
		canon(want, in);
	}
	/* a custom property keeps the object form; Avro attributes that do not apply are dropped */
	canon("{\"type\":\"int\",\"logicalType\":\"date\"}",
	        "{\"type\":\"int\",\"logicalType\":\"date\"}");
	canon("{\"doc\":\"d\",\"type\":\"string\",\"name\":\"n\",\"aliases\":[\"x\"]}",
	        "\"string\"");
	canon("{\"type\":\"string\",\"avro.java.string\":\"String\",\"default\":\"x\"}",
	        "{\"type\":\"string\",\"avro.java.string\":\"String\",\"default\":\"x\"}");
}

static void test_complex_unnamed(void **state)
{
	(void)state;
	canon("[\"null\",\"string\"]", "[\"null\",\"string\"]");
	canon("[]", "[]");
	canon("{\"items\":\"int\",\"type\":\"array\"}", "{\"type\":\"array\",\"items\":\"int\"}");
	canon("{\"type\":\"map\",\"x\":1,\"values\":{\"type\":\"array\",\"items\":\"long\"},"
	      "\"doc\":\"z\"}",
	        "{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"long\"},\"x\":1}");
	canon("{\"type\":\"array\",\"items\":[\"null\",{\"type\":\"map\",\"values\":\"bytes\"}]}",
	        "{\"type\":\"array\",\"items\":[\"null\",{\"type\":\"map\",\"values\":\"bytes\"}]"
	        "}");
	canon("[\"int\",{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"map\",\"values\":"
	      "\"int\"}]",
	        "[\"int\",{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"map\",\"values\":"
	        "\"int\"}]");
}

static void test_enum_and_fixed(void **state)
{
	(void)state;
	canon("{\"symbols\":[\"A\",\"B\",\"_c9\"],\"aliases\":[\"Old\",\"other.Older\"],\"x\":true,"
	      "\"default\":\"B\",\"doc\":\"an "
	      "enum\",\"namespace\":\"n.s\",\"name\":\"E\",\"type\":\"enum\"}",
	        "{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"n.s\",\"doc\":\"an enum\","
	        "\"symbols\":[\"A\",\"B\",\"_c9\"],\"default\":\"B\",\"x\":true,"
	        "\"aliases\":[\"Old\",\"other.Older\"]}");
	canon("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]}",
	        "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]}");
	canon("{\"size\":16,\"type\":\"fixed\",\"name\":\"a.b.MD5\",\"aliases\":[\"a.b.Hash\","
	      "\"Hash\"],"
	      "\"doc\":\"d\"}",
	        "{\"type\":\"fixed\",\"name\":\"MD5\",\"namespace\":\"a.b\",\"doc\":\"d\",\"size\":"
	        "16,"
	        "\"aliases\":[\"Hash\"]}");
	canon("{\"type\":\"fixed\",\"name\":\"Z\",\"size\":0}",
	        "{\"type\":\"fixed\",\"name\":\"Z\",\"size\":0}");
	canon("{\"type\":\"fixed\",\"name\":\"Big\",\"size\":2147483647}",
	        "{\"type\":\"fixed\",\"name\":\"Big\",\"size\":2147483647}");
}

static void test_record_field_order(void **state)
{
	(void)state;
	/* fields print name, type, doc, default, order, aliases, then custom properties in the
	 * order sent; "ascending" is omitted; the record's aliases come last */
	canon("{\"aliases\":[\"R0\"],\"zz\":1,\"fields\":[{\"aliases\":[\"a1\",\"a0\",\"a1\"],\"x-"
	      "b\":2,"
	      "\"order\":\"IGNORE\",\"default\":3,\"doc\":\"the f\",\"type\":\"int\",\"x-a\":1,"
	      "\"name\":\"f\"},{\"name\":\"g\",\"type\":\"int\",\"order\":\"ascending\"}],"
	      "\"doc\":\"rec\",\"name\":\"R\",\"type\":\"record\",\"aa\":[null]}",
	        "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"rec\",\"fields\":[{\"name\":\"f\","
	        "\"type\":\"int\",\"doc\":\"the f\",\"default\":3,\"order\":\"ignore\","
	        "\"aliases\":[\"a1\",\"a0\"],\"x-b\":2,\"x-a\":1},{\"name\":\"g\",\"type\":\"int\"}"
	        "],"
	        "\"zz\":1,\"aa\":[null],\"aliases\":[\"R0\"]}");
	canon("{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[]}",
	        "{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[]}");
	canon("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"int\","
	      "\"order\":\"descending\"}]}",
	        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"int\","
	        "\"order\":\"descending\"}]}");
}

static void test_namespaces(void **state)
{
	(void)state;
	/* inherited namespace: not repeated; references in the same namespace are short */
	canon("{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a\",\"fields\":["
	      "{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[]}},"
	      "{\"name\":\"j\",\"type\":\"Inner\"},{\"name\":\"k\",\"type\":\"a.Inner\"},"
	      "{\"name\":\"o\",\"type\":{\"type\":\"enum\",\"name\":\"b.E\",\"symbols\":[\"X\"]}},"
	      "{\"name\":\"p\",\"type\":\"b.E\"},"
	      "{\"name\":\"q\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"\","
	      "\"size\":1}},"
	      "{\"name\":\"r\",\"type\":\"F\"}]}",
	        "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a\",\"fields\":["
	        "{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[]}},"
	        "{\"name\":\"j\",\"type\":\"Inner\"},{\"name\":\"k\",\"type\":\"Inner\"},"
	        "{\"name\":\"o\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"b\","
	        "\"symbols\":[\"X\"]}},{\"name\":\"p\",\"type\":\"b.E\"},"
	        "{\"name\":\"q\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"\","
	        "\"size\":1}},{\"name\":\"r\",\"type\":\"F\"}]}");
	/* a type defined in another namespace sets the default for what it contains */
	canon("{\"type\":\"record\",\"name\":\"x.A\",\"fields\":[{\"name\":\"b\",\"type\":"
	      "{\"type\":\"record\",\"name\":\"B\",\"namespace\":\"y\",\"fields\":[{\"name\":\"c\","
	      "\"type\":{\"type\":\"record\",\"name\":\"C\",\"fields\":[{\"name\":\"a\",\"type\":"
	      "\"x.A\"}]}}]}},"
	      "{\"name\":\"c\",\"type\":\"y.C\"}]}",
	        "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"x\",\"fields\":[{\"name\":"
	        "\"b\","
	        "\"type\":{\"type\":\"record\",\"name\":\"B\",\"namespace\":\"y\",\"fields\":[{"
	        "\"name\":"
	        "\"c\",\"type\":{\"type\":\"record\",\"name\":\"C\",\"fields\":[{\"name\":\"a\","
	        "\"type\":\"x.A\"}]}}]}},{\"name\":\"c\",\"type\":\"y.C\"}]}");
	/* an explicit namespace is ignored when the name is dotted */
	canon("{\"type\":\"fixed\",\"name\":\"p.F\",\"namespace\":\"q\",\"size\":1}",
	        "{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"p\",\"size\":1}");
	/* a simple reference falls back to the null namespace */
	canon("[{\"type\":\"fixed\",\"name\":\"G\",\"size\":1},{\"type\":\"record\",\"name\":\"R\","
	      "\"namespace\":\"n\",\"fields\":[{\"name\":\"g\",\"type\":\"G\"}]}]",
	        "[{\"type\":\"fixed\",\"name\":\"G\",\"size\":1},{\"type\":\"record\",\"name\":"
	        "\"R\","
	        "\"namespace\":\"n\",\"fields\":[{\"name\":\"g\",\"type\":\"G\"}]}]");
	/* {"type":"Name"} is a reference too; its other attributes go with it */
	canon("[{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},{\"type\":\"array\","
	      "\"items\":"
	      "{\"type\":\"E\",\"doc\":\"ignored\"}}]",
	        "[{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},{\"type\":\"array\","
	        "\"items\":\"E\"}]");
}

static void test_recursive_and_unions(void **state)
{
	(void)state;
	canon("{\"type\":\"record\",\"name\":\"LongList\",\"aliases\":[\"LinkedLongs\"],\"fields\":"
	      "["
	      "{\"name\":\"value\",\"type\":\"long\"},{\"name\":\"next\",\"type\":[\"null\","
	      "\"LongList\"],"
	      "\"default\":null}]}",
	        "{\"type\":\"record\",\"name\":\"LongList\",\"fields\":[{\"name\":\"value\","
	        "\"type\":"
	        "\"long\"},{\"name\":\"next\",\"type\":[\"null\",\"LongList\"],\"default\":null}],"
	        "\"aliases\":[\"LinkedLongs\"]}");
	/* named types in a union are told apart by full name */
	canon("[{\"type\":\"record\",\"name\":\"a.X\",\"fields\":[]},{\"type\":\"record\",\"name\":"
	      "\"b.X\",\"fields\":[]}]",
	        NULL);
	invalid("[{\"type\":\"record\",\"name\":\"a.X\",\"fields\":[]},\"a.X\"]",
	        "'a.X' more than once");
}

static void test_defaults(void **state)
{
	(void)state;
#define REC1(type, def) \
	"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":" type \
	",\"default\":" def "}]}"
	canon(REC1("\"null\"", "null"), REC1("\"null\"", "null"));
	canon(REC1("\"boolean\"", "false"), REC1("\"boolean\"", "false"));
	canon(REC1("\"int\"", "-2147483648"), REC1("\"int\"", "-2147483648"));
	canon(REC1("\"int\"", "2147483647"), REC1("\"int\"", "2147483647"));
	canon(REC1("\"long\"", "-9223372036854775808"), REC1("\"long\"", "-9223372036854775808"));
	canon(REC1("\"float\"", "1"), REC1("\"float\"", "1"));
	canon(REC1("\"double\"", "1.0"), REC1("\"double\"", "1.0"));
	canon(REC1("\"double\"", "1e3"), REC1("\"double\"", "1000.0"));
	canon(REC1("\"double\"", "\"2.5\""), REC1("\"double\"", "2.5"));
	canon(REC1("\"float\"", "\"-Infinity\""), REC1("\"float\"", "\"-Infinity\""));
	canon(REC1("\"double\"", "\"NaN\""), REC1("\"double\"", "\"NaN\""));
	canon(REC1("\"bytes\"", "\"\\u00ff\""), REC1("\"bytes\"", "\"\xc3\xbf\""));
	canon(REC1("\"string\"", "\"\""), REC1("\"string\"", "\"\""));
	canon(REC1("[\"null\",\"int\"]", "null"), REC1("[\"null\",\"int\"]", "null"));
	canon(REC1("[\"int\",\"null\"]", "4"), REC1("[\"int\",\"null\"]", "4"));
	canon(REC1("{\"type\":\"array\",\"items\":\"int\"}", "[1,2]"),
	        REC1("{\"type\":\"array\",\"items\":\"int\"}", "[1,2]"));
	canon(REC1("{\"type\":\"map\",\"values\":\"string\"}", "{\"b\":\"x\",\"a\":\"y\"}"),
	        REC1("{\"type\":\"map\",\"values\":\"string\"}", "{\"b\":\"x\",\"a\":\"y\"}"));
	canon(REC1("{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}", "\"ab\""), NULL);
	canon(REC1("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "\"A\""), NULL);
	/* record defaults: fields with defaults of their own may be left out */
	canon("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"p\",\"type\":{\"type\":"
	      "\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"},{\"name\":"
	      "\"y\","
	      "\"type\":\"int\",\"default\":0}]},\"default\":{\"x\":1}},{\"name\":\"q\",\"type\":"
	      "\"P\","
	      "\"default\":{\"x\":2,\"y\":3,\"extra\":true}}]}",
	        NULL);
#undef REC1
}

static void test_number_format(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	        {"0.0", "0.0"},
	        {"-0.0", "-0.0"},
	        {"1.0", "1.0"},
	        {"0.1", "0.1"},
	        {"100", "100"},
	        {"1E2", "100.0"},
	        {"0.001", "0.001"},
	        {"0.0001", "1.0E-4"},
	        {"9999999.0", "9999999.0"},
	        {"1e7", "1.0E7"},
	        {"123456789.5", "1.234567895E8"},
	        {"-2.5e-10", "-2.5E-10"},
	        {"1.7976931348623157e308", "1.7976931348623157E308"},
	        {"4.9e-324", "4.9E-324"},
	        {"3.141592653589793", "3.141592653589793"},
	        {"0.30000000000000004", "0.30000000000000004"},
	        {"12345.678", "12345.678"},
	        {"1e23", "1.0E23"},
	        {"-5e-5", "-5.0E-5"},
	        {"2e-3", "0.002"},
	        {"1e-3", "0.001"},
	        {"9.999999e-4", "9.999999E-4"},
	        {"1e22", "1.0E22"},
	        {"8.41e21", "8.41E21"},
	};
	char in[256], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(in, sizeof(in), "{\"type\":\"int\",\"x\":[%s]}", cases[i].in);
		snprintf(want, sizeof(want), "{\"type\":\"int\",\"x\":[%s]}", cases[i].want);
		canon(in, want);
	}
}

static void test_string_escapes(void **state)
{
	(void)state;
	/* Jackson escapes quote, backslash and control characters; "/" and non-ASCII stay */
	canon("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"q\\\" b\\\\ \\/ \\n\\t\\r\\b\\f "
	      "\\u0001"
	      " \\u001f \\u007f \\u00e9 \\u20ac \\ud83d\\ude00\",\"fields\":[]}",
	        "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"q\\\" b\\\\ / \\n\\t\\r\\b\\f "
	        "\\u0001"
	        " \\u001F \x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"fields\":[]}");
	canon("{\"type\":\"int\",\"k\\u00e9y\\n\":\"v\"}",
	        "{\"type\":\"int\",\"k\xc3\xa9y\\n\":\"v\"}");
}

static void test_logical_types(void **state)
{
	(void)state;
	/* valid ones, in both modes */
	static const char *const ok[] = {
	        "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4,\"scale\":2}",
	        "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}",
	        "{\"type\":\"fixed\",\"name\":\"D\",\"size\":2,\"logicalType\":\"decimal\","
	        "\"precision\":4}",
	        "{\"type\":\"string\",\"logicalType\":\"uuid\"}",
	        "{\"type\":\"int\",\"logicalType\":\"date\"}",
	        "{\"type\":\"int\",\"logicalType\":\"time-millis\"}",
	        "{\"type\":\"long\",\"logicalType\":\"time-micros\"}",
	        "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}",
	        "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}",
	        "{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}",
	        "{\"type\":\"long\",\"logicalType\":\"local-timestamp-micros\"}",
	        "{\"type\":\"fixed\",\"name\":\"Dur\",\"size\":12,\"logicalType\":\"duration\"}",
	        "{\"type\":\"string\",\"logicalType\":\"some-future-type\"}",
	};
	/* invalid ones: ignored and kept by default, rejected in strict mode */
	static const struct {
		const char *in, *needle;
	} bad[] = {
	        {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4,\"scale\":5}",
	                "'scale' 5 exceeds 'precision' 4"},
	        {"{\"type\":\"bytes\",\"logicalType\":\"decimal\"}", "requires 'precision'"},
	        {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":0}",
	                "positive integer"},
	        {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":3,\"scale\":-1}",
	                "non-negative integer"},
	        {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":\"3\"}",
	                "positive integer"},
	        {"{\"type\":\"fixed\",\"name\":\"D\",\"size\":2,\"logicalType\":\"decimal\","
	         "\"precision\":5}",
	                "does not fit in fixed of size 2 (at most 4)"},
	        {"{\"type\":\"string\",\"logicalType\":\"decimal\",\"precision\":5}",
	                "requires bytes or fixed, got string"},
	        {"{\"type\":\"long\",\"logicalType\":\"date\"}", "'date' requires int, got long"},
	        {"{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}", "requires long"},
	        {"{\"type\":\"bytes\",\"logicalType\":\"uuid\"}", "requires string"},
	        {"{\"type\":\"fixed\",\"name\":\"Dur\",\"size\":8,\"logicalType\":\"duration\"}",
	                "fixed of size 12"},
	        {"{\"type\":\"int\",\"logicalType\":5}", "'logicalType' must be a string"},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		canon(ok[i], ok[i]);
		canon_flags(ok[i], SL_AVRO_STRICT_LOGICAL, ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		canon(bad[i].in, bad[i].in);
		invalid_flags(bad[i].in, SL_AVRO_STRICT_LOGICAL, bad[i].needle);
	}
	/* strict mode checks nested types too, and names where */
	invalid_flags("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"ts\",\"type\":"
	              "{\"type\":\"int\",\"logicalType\":\"timestamp-micros\"}}]}",
	        SL_AVRO_STRICT_LOGICAL, "R.ts: logical type 'timestamp-micros' requires long");
	/* a logicalType on the field, not its type, is just a field property (Java warns) */
	canon_flags(
	        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"long\","
	        "\"logicalType\":\"date\"}]}",
	        SL_AVRO_STRICT_LOGICAL,
	        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"long\","
	        "\"logicalType\":\"date\"}]}");
}

/* ---- invalid schemas ----------------------------------------------------------------------- */

static void test_invalid_json_and_shape(void **state)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL;

	(void)state;
	invalid("{\"type\":", "schema: invalid json");
	invalid("{\"type\":\"int\"} trailing", "invalid json");
	invalid("", "invalid json");
	invalid("{\"type\":\"int\",\"x\":99999999999999999999}", "too big integer");
	invalid("42", "schema: a schema must be a string, object or array, got integer");
	invalid("null", "got null");
	invalid("{}", "schema object has no 'type'");
	invalid("{\"type\":{\"type\":\"int\"}}",
	        "'type' must be a string naming a type, got object");
	invalid("{\"type\":[\"int\"]}", "got array");
	invalid("\"Foo\"", "undefined name 'Foo'");
	invalid("{\"type\":\"Foo\"}", "unknown type 'Foo'");
	invalid("{\"type\":\"union\"}", "unknown type 'union'");
	assert_int_equal(sl_avro_canonical(NULL, &out, &err), SL_EINVAL);
	assert_int_equal(sl_avro_canonical("\"int\"", NULL, NULL), SL_EINVAL);
}

static void test_invalid_names(void **state)
{
	(void)state;
	invalid("{\"type\":\"record\",\"fields\":[]}", "record has no 'name'");
	invalid("{\"type\":\"enum\",\"name\":3,\"symbols\":[]}", "enum 'name' must be a string");
	invalid("{\"type\":\"record\",\"name\":\"1abc\",\"fields\":[]}",
	        "invalid record name '1abc'");
	invalid("{\"type\":\"record\",\"name\":\"a-b\",\"fields\":[]}",
	        "invalid record name 'a-b'");
	invalid("{\"type\":\"record\",\"name\":\"\",\"fields\":[]}", "invalid record name ''");
	invalid("{\"type\":\"record\",\"name\":\"a.\",\"fields\":[]}", "invalid record name 'a.'");
	invalid("{\"type\":\"record\",\"name\":\"caf\xc3\xa9\",\"fields\":[]}",
	        "invalid record name");
	invalid("{\"type\":\"fixed\",\"name\":\"a..b.F\",\"size\":1}", "invalid namespace 'a..b'");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"9x\",\"size\":1}",
	        "invalid namespace '9x'");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":7,\"size\":1}",
	        "'namespace' must be a string, got integer");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"doc\":[],\"size\":1}",
	        "'doc' must be a string");
	invalid("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}",
	        "record may not be named after the primitive type 'int'");
	invalid("{\"type\":\"enum\",\"name\":\"x.string\",\"symbols\":[]}",
	        "primitive type 'string'");
	invalid("[{\"type\":\"fixed\",\"name\":\"F\",\"size\":1},{\"type\":\"fixed\",\"name\":"
	        "\"F\","
	        "\"size\":2}]",
	        "schema[1]: redefinition of 'F'");
	invalid("{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[{\"name\":\"r\",\"type\":{"
	        "\"type\":"
	        "\"record\",\"name\":\"R\",\"fields\":[]}}]}",
	        "a.R.r: redefinition of 'a.R'");
	/* a reference must follow its definition */
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"E\"},{"
	        "\"name\":"
	        "\"b\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}}]}",
	        "R.a: undefined name 'E'");
	/* a name in another namespace needs its full name */
	invalid("[{\"type\":\"fixed\",\"name\":\"p.F\",\"size\":1},{\"type\":\"record\",\"name\":"
	        "\"q.R\","
	        "\"fields\":[{\"name\":\"f\",\"type\":\"F\"}]}]",
	        "q.R.f: undefined name 'F'");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":1,\"aliases\":\"G\"}",
	        "'aliases' must be an array");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":1,\"aliases\":[1]}",
	        "alias 0 must be a string");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":1,\"aliases\":[\"a b\"]}",
	        "invalid alias 'a b'");
}

static void test_invalid_records(void **state)
{
	(void)state;
	invalid("{\"type\":\"record\",\"name\":\"R\"}", "R: record has no 'fields'");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":{}}", "'fields' must be an array");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[\"int\"]}",
	        "R.fields[0]: a field must be an object, got string");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"type\":\"int\"}]}",
	        "R.fields[0]: field has no 'name'");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
	        "R.a: field has no 'type'");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
	        "{\"name\":\"a\",\"type\":\"long\"}]}",
	        "R.fields[1]: duplicate field name 'a' in record 'R'");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a.b\",\"type\":"
	        "\"int\"}]}",
	        "invalid field name 'a.b'");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
	        "\"order\":\"up\"}]}",
	        "R.a: 'order' must be");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
	        "\"aliases\":[2]}]}",
	        "alias 0 must be a string");
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
	        "\"doc\":1}]}",
	        "R.a: 'doc' must be a string");
	/* the path names nested fields through named types, unions, arrays and maps */
	invalid("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":[{\"name\":"
	        "\"u\","
	        "\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":"
	        "\"Nope\"}}]}]}",
	        "n.R.u[1].items.values: undefined name 'Nope'");
}

static void test_invalid_unions(void **state)
{
	(void)state;
	invalid("[\"int\",[\"null\"]]",
	        "schema[1]: a union may not directly contain another union");
	invalid("[\"int\",\"string\",{\"type\":\"int\",\"x\":1}]",
	        "schema[2]: union contains 'int'");
	invalid("[{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"array\",\"items\":\"long\"}]",
	        "union contains 'array' more than once");
	invalid("[{\"type\":\"map\",\"values\":\"int\"},{\"type\":\"map\",\"values\":\"long\"}]",
	        "union contains 'map' more than once");
	/* a union inside an array inside a union is fine */
	canon("[\"null\",{\"type\":\"array\",\"items\":[\"int\",\"null\"]}]",
	        "[\"null\",{\"type\":\"array\",\"items\":[\"int\",\"null\"]}]");
}

static void test_invalid_enum_fixed_array_map(void **state)
{
	(void)state;
	invalid("{\"type\":\"enum\",\"name\":\"E\"}", "E: enum has no 'symbols'");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":\"A\"}",
	        "'symbols' must be an array");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",1]}",
	        "symbol 1 must be a string");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"b-c\"]}",
	        "invalid symbol 'b-c'");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"A\"]}",
	        "duplicate symbol 'A'");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"Z\"}",
	        "enum default 'Z' is not one of the symbols");
	invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":0}",
	        "enum 'default' must be a string");
	invalid("{\"type\":\"fixed\",\"name\":\"F\"}", "F: fixed has no 'size'");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}",
	        "'size' must be a non-negative integer");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4.0}",
	        "'size' must be a non-negative");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":\"4\"}",
	        "'size' must be a non-negative");
	invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":2147483648}", "'size' must be");
	invalid("{\"type\":\"array\"}", "schema: array has no 'items'");
	invalid("{\"type\":\"map\",\"items\":\"int\"}", "schema: map has no 'values'");
}

static void test_invalid_defaults(void **state)
{
	(void)state;
#define REC1(type, def) \
	"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":" type \
	",\"default\":" def "}]}"
	invalid(REC1("\"int\"", "2147483648"),
	        "R.f: invalid default value: 2147483648 is out of range");
	invalid(REC1("\"int\"", "-2147483649"), "out of range for int");
	invalid(REC1("\"int\"", "1.0"), "expected int, got number");
	invalid(REC1("\"long\"", "\"1\""), "expected long, got string");
	invalid(REC1("\"float\"", "true"), "expected float, got boolean");
	invalid(REC1("\"double\"", "\"abc\""), "\"abc\" is not a number");
	invalid(REC1("\"double\"", "\"0x1p3\""), "is not a number");
	invalid(REC1("\"double\"", "\"inf\""), "is not a number");
	invalid(REC1("\"string\"", "1"), "expected string, got integer");
	invalid(REC1("\"bytes\"", "[1]"), "expected bytes, got array");
	invalid(REC1("\"boolean\"", "0"), "expected boolean");
	invalid(REC1("\"null\"", "\"null\""), "expected null, got string");
	invalid(REC1("[\"null\",\"string\"]", "\"x\""), "expected null, got string");
	invalid(REC1("[\"string\",\"null\"]", "null"), "expected string, got null");
	invalid(REC1("[]", "null"), "empty union");
	invalid(REC1("{\"type\":\"array\",\"items\":\"int\"}", "[1,\"2\"]"),
	        "expected int, got string");
	invalid(REC1("{\"type\":\"array\",\"items\":\"int\"}", "{}"), "expected array, got object");
	invalid(REC1("{\"type\":\"map\",\"values\":\"int\"}", "{\"a\":null}"),
	        "expected int, got null");
	invalid(REC1("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "1"),
	        "expected enum 'E', got integer");
	invalid(REC1("{\"type\":\"fixed\",\"name\":\"F\",\"size\":1}", "null"),
	        "expected fixed 'F'");
	invalid(REC1("{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"x\",\"type\":"
	             "\"int\"}]}",
	                "{}"),
	        "field 'x' of record 'P' is missing and has no default");
	invalid(REC1("{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"x\",\"type\":"
	             "\"int\"}]}",
	                "[]"),
	        "expected record 'P', got array");
	invalid(REC1("{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"x\",\"type\":"
	             "\"int\"}]}",
	                "{\"x\":\"1\"}"),
	        "expected int, got string");
	/* a default of the record being defined: Java fails the same way */
	invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"me\",\"type\":\"R\","
	        "\"default\":{}}]}",
	        "record 'R' is still being defined");
#undef REC1
}

/* ---- bounds and size ----------------------------------------------------------------------- */

/* levels nested arrays around "int": levels + 1 schema levels in all */
static char *nested_arrays(int levels)
{
	struct sl_buf b = SL_BUF_INIT;

	for (int i = 0; i < levels; i++)
		assert_int_equal(sl_buf_adds(&b, "{\"type\":\"array\",\"items\":"), 0);
	assert_int_equal(sl_buf_adds(&b, "\"int\""), 0);
	for (int i = 0; i < levels; i++)
		assert_int_equal(sl_buf_addch(&b, '}'), 0);
	return sl_buf_detach(&b);
}

static void test_depth_guard(void **state)
{
	char *ok = nested_arrays(SL_AVRO_MAX_DEPTH - 1);
	char *deep = nested_arrays(SL_AVRO_MAX_DEPTH);
	char *very = nested_arrays(1500);
	struct sl_buf unions = SL_BUF_INIT;

	(void)state;
	canon(ok, ok);
	invalid(deep, "schema nested deeper than 64 levels");
	invalid(very, "nested deeper than 64 levels");
	/* records nested in records count too */
	for (int i = 0; i < 70; i++)
		assert_true(sl_buf_addf(&unions,
		                    "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":"
		                    "[{\"name\":\"f\",\"type\":",
		                    i) == 0);
	assert_int_equal(sl_buf_adds(&unions, "\"int\""), 0);
	for (int i = 0; i < 70; i++)
		assert_int_equal(sl_buf_adds(&unions, "}]}"), 0);
	invalid(unions.data, "nested deeper than 64 levels");
	sl_buf_release(&unions);
	free(ok);
	free(deep);
	free(very);
}

static void test_large(void **state)
{
	struct sl_buf in = SL_BUF_INIT, want = SL_BUF_INIT;
	char *doc = NULL;
	const size_t doclen = 1 << 20;

	(void)state;
	/* a record with 5000 fields */
	assert_int_equal(
	        sl_buf_adds(&in, "{ \"type\" : \"record\", \"name\" : \"Wide\", \"fields\" : ["),
	        0);
	assert_int_equal(
	        sl_buf_adds(&want, "{\"type\":\"record\",\"name\":\"Wide\",\"fields\":["), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(sl_buf_addf(&in, "%s{ \"type\" : \"long\", \"name\" : \"f%d\" }",
		                         i ? ", " : "", i),
		        0);
		assert_int_equal(sl_buf_addf(&want, "%s{\"name\":\"f%d\",\"type\":\"long\"}",
		                         i ? "," : "", i),
		        0);
	}
	assert_int_equal(sl_buf_adds(&in, "] }"), 0);
	assert_int_equal(sl_buf_adds(&want, "]}"), 0);
	canon(in.data, want.data);

	/* an enum with 20000 symbols, then a union of 1000 records */
	sl_buf_reset(&in);
	assert_int_equal(sl_buf_adds(&in, "{\"type\":\"enum\",\"name\":\"Many\",\"symbols\":["), 0);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(sl_buf_addf(&in, "%s\"S%d\"", i ? "," : "", i), 0);
	assert_int_equal(sl_buf_adds(&in, "]}"), 0);
	canon(in.data, in.data);
	sl_buf_reset(&in);
	assert_int_equal(sl_buf_addch(&in, '['), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(
		        sl_buf_addf(&in,
		                "%s{\"type\":\"record\",\"name\":\"ns%d.R\",\"fields\":[]}",
		                i ? "," : "", i),
		        0);
	assert_int_equal(sl_buf_addch(&in, ']'), 0);
	canon(in.data, NULL);

	/* a 1 MiB doc string */
	doc = malloc(doclen + 1);
	assert_non_null(doc);
	memset(doc, 'x', doclen);
	doc[doclen] = '\0';
	sl_buf_reset(&in);
	assert_int_equal(
	        sl_buf_addf(
	                &in, "{\"type\":\"fixed\",\"name\":\"F\",\"doc\":\"%s\",\"size\":1}", doc),
	        0);
	canon(in.data, in.data);
	free(doc);
	sl_buf_release(&in);
	sl_buf_release(&want);
}

static void test_json_schema_check(void **state)
{
	struct sl_error err = SL_ERROR_INIT;

	(void)state;
	assert_int_equal(sl_json_schema_check("{\"type\":\"object\",\"properties\":{}}", &err), 0);
	assert_int_equal(sl_json_schema_check("true", &err), 0);
	assert_int_equal(sl_json_schema_check("{\"type\":\n\"object\",}", &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "json schema: invalid json"));
	assert_non_null(strstr(err.msg, "line 2"));
	assert_int_equal(sl_json_schema_check(NULL, NULL), SL_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pageviews),
	        cmocka_unit_test(test_primitives),
	        cmocka_unit_test(test_complex_unnamed),
	        cmocka_unit_test(test_enum_and_fixed),
	        cmocka_unit_test(test_record_field_order),
	        cmocka_unit_test(test_namespaces),
	        cmocka_unit_test(test_recursive_and_unions),
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_number_format),
	        cmocka_unit_test(test_string_escapes),
	        cmocka_unit_test(test_logical_types),
	        cmocka_unit_test(test_invalid_json_and_shape),
	        cmocka_unit_test(test_invalid_names),
	        cmocka_unit_test(test_invalid_records),
	        cmocka_unit_test(test_invalid_unions),
	        cmocka_unit_test(test_invalid_enum_fixed_array_map),
	        cmocka_unit_test(test_invalid_defaults),
	        cmocka_unit_test(test_depth_guard),
	        cmocka_unit_test(test_large),
	        cmocka_unit_test(test_json_schema_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
