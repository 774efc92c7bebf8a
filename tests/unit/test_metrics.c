/* test_metrics.c — the metrics registry and its Prometheus text output, checked line by line
 * against the text format 0.0.4 grammar by a small parser in this file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemalink/metrics.h"

/* ---- a strict checker for the exposition format ------------------------------------------ */

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Parses a metric name at *p; returns its length or 0. */
static size_t parse_name(const char *p)
{
	size_t n = 0;

	while (name_char(p[n], n == 0))
		n++;
	return n;
}

/* Parses {a="x",b="y"} at *pp (escapes \\ \" \n only); stores le's value when present. */
static bool parse_labels(const char **pp, char *le, size_t lelen)
{
	const char *p = *pp;

	if (*p != '{')
		return true;
	p++;
	while (*p != '}') {
		size_t n = parse_name(p);
		char val[1024];
		size_t vl = 0;
		bool is_le = n == 2 && strncmp(p, "le", 2) == 0;

		if (n == 0 || p[n] != '=' || p[n + 1] != '"')
			return false;
		p += n + 2;
		while (*p != '"') {
			if (*p == '\0' || *p == '\n')
				return false;
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return false;
			}
			if (vl + 1 < sizeof(val))
				val[vl++] = *p;
			p++;
		}
		val[vl] = '\0';
		if (is_le)
			snprintf(le, lelen, "%.*s", (int)lelen - 1, val);
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return false;
	}
	*pp = p + 1;
	return true;
}

static bool parse_value(const char *s, double *v)
{
	char *end;

	if (strcmp(s, "+Inf") == 0) {
		*v = INFINITY;
		return true;
	}
	if (strcmp(s, "-Inf") == 0) {
		*v = -INFINITY;
		return true;
	}
	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
		return true;
	}
	*v = strtod(s, &end);
	return end != s && *end == '\0';
}

/* Checks the whole text; returns the number of samples, or -1 with a message printed. */
static int check_exposition(const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	char typed[64][128];
	int ntyped = 0, samples = 0;
	double last_bucket = -1, last_le = -INFINITY;

	assert_non_null(copy);
	assert_true(text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_true(parse_name(line + 7) > 0);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			size_t n = parse_name(line + 7);
			const char *t = line + 7 + n + 1;

			assert_true(n > 0 && n < 128);
			assert_true(strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
			            strcmp(t, "histogram") == 0);
			/* A family is typed once, before its samples. */
			for (int i = 0; i < ntyped; i++)
				assert_false(
				        strncmp(typed[i], line + 7, n) == 0 && typed[i][n] == '\0');
			assert_true(ntyped < 64);
			memcpy(typed[ntyped], line + 7, n);
			typed[ntyped++][n] = '\0';
			last_bucket = -1;
			last_le = -INFINITY;
			continue;
		}
		assert_true(line[0] != '#');
		{
			const char *p = line;
			size_t n = parse_name(p);
			char le[64] = "";
			double v;
			bool known = false;

			assert_true(n > 0);
			for (int i = 0; i < ntyped; i++) {
				size_t tl = strlen(typed[i]);

				if (strncmp(line, typed[i], tl) == 0 &&
				        (tl == n || (strncmp(line + tl, "_bucket", 7) == 0) ||
				                strncmp(line + tl, "_sum", 4) == 0 ||
				                strncmp(line + tl, "_count", 6) == 0))
					known = true;
			}
			assert_true(known); /* every sample belongs to the family typed above */
			p += n;
			assert_true(parse_labels(&p, le, sizeof(le)));
			assert_true(*p == ' ');
			assert_true(parse_value(p + 1, &v));
			if (le[0] != '\0') {
				double lev;

				/* Buckets are cumulative with increasing le. */
				assert_true(parse_value(le, &lev));
				if (lev <= last_le)
					last_bucket = -1;
				assert_true(v >= last_bucket);
				last_bucket = v;
				last_le = lev;
			}
			samples++;
		}
	}
	free(copy);
	return samples;
}

/* ---- strtod, counted ----------------------------------------------------------------------- */

/* The program's strtod stands in for the C library's in the metrics code linked into it (and
 * in the libraries it loads), counting the calls: how a test tells that a number was written
 * without the snprintf and strtod search for its shortest form, the cost that made /metrics
 * slow, and not by timing it. */
static unsigned long strtod_calls;

double strtod(const char *restrict s, char **restrict end)
{
	static double (*real)(const char *restrict, char **restrict);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "strtod");
	strtod_calls++;
	return real(s, end);
}

/* What the registry prints for a number that is not an integer: the "%.*g" of the fewest
 * digits that read back as v, found the slow way. */
static void shortest_ref(char *out, size_t len, double v)
{
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(out, len, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_render_parses_and_escapes(void **state)
{
	static const char *const lr[] = {"link", "reason"};
	static const char *const c1[] = {"controller"};
	static const double b[] = {0.005, 0.1, 1};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf out = SL_BUF_INIT;
	const char *hostile[] = {"we\"ird\\link\nname", "Reason"};
	const char *c[] = {"schemalink"};

	(void)state;
	assert_non_null(m);
	assert_int_equal(sl_metrics_declare(m, "schemalink_self_heal_total", SL_METRIC_COUNTER,
	                         "Heals.\nSecond line \\ here.", lr, 2, NULL, 0, &err),
	        0);
	assert_int_equal(sl_metrics_declare(m, "controller_runtime_reconcile_time_seconds",
	                         SL_METRIC_HISTOGRAM, "Time.", c1, 1, b, 3, &err),
	        0);
	assert_int_equal(sl_metrics_declare(m, "workqueue_depth", SL_METRIC_GAUGE, "Depth.", NULL,
	                         0, NULL, 0, &err),
	        0);
	assert_int_equal(sl_metrics_add(m, "schemalink_self_heal_total", hostile, 2), 0);
	assert_int_equal(
	        sl_metrics_observe(m, "controller_runtime_reconcile_time_seconds", c, 0.003), 0);
	assert_int_equal(
	        sl_metrics_observe(m, "controller_runtime_reconcile_time_seconds", c, 0.5), 0);
	assert_int_equal(
	        sl_metrics_observe(m, "controller_runtime_reconcile_time_seconds", c, 7), 0);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_int_equal(check_exposition(out.data), 1 + 4 + 2 + 1);
	assert_non_null(strstr(out.data, "schemalink_self_heal_total{link="
	                                 "\"we\\\"ird\\\\link\\nname\",reason=\"Reason\"} 2\n"));
	assert_non_null(strstr(
	        out.data, "# HELP schemalink_self_heal_total Heals.\\nSecond line \\\\ here.\n"));
	assert_non_null(strstr(out.data, "controller_runtime_reconcile_time_seconds_bucket{"
	                                 "controller=\"schemalink\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(out.data, "controller_runtime_reconcile_time_seconds_bucket{"
	                                 "controller=\"schemalink\",le=\"1\"} 2\n"));
	assert_non_null(strstr(out.data, "controller_runtime_reconcile_time_seconds_bucket{"
	                                 "controller=\"schemalink\",le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(out.data,
	        "controller_runtime_reconcile_time_seconds_count{controller=\"schemalink\"} 3\n"));
	assert_non_null(strstr(out.data, "workqueue_depth 0\n"));
	sl_buf_release(&out);
	sl_metrics_free(m);
}

/* A histogram's buckets live with each of its series; a label-less one renders its zero
 * series (every bucket 0) before the first observation, and counts after it. Bounds print as
 * Prometheus clients print them: 10 as "10" (not %g's "1e+01"), 0.1 as "0.1". */
static void test_histogram_without_labels(void **state)
{
	static const double b[] = {0.1, 0.5, 1, 5, 10, 60};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT;

	(void)state;
	assert_non_null(m);
	assert_int_equal(
	        sl_metrics_declare(m, "t_seconds", SL_METRIC_HISTOGRAM, "T.", NULL, 0, b, 6, NULL),
	        0);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_int_equal(check_exposition(out.data), 6 + 1 + 2);
	assert_non_null(strstr(out.data, "t_seconds_bucket{le=\"0.1\"} 0\n"
	                                 "t_seconds_bucket{le=\"0.5\"} 0\n"
	                                 "t_seconds_bucket{le=\"1\"} 0\n"
	                                 "t_seconds_bucket{le=\"5\"} 0\n"
	                                 "t_seconds_bucket{le=\"10\"} 0\n"
	                                 "t_seconds_bucket{le=\"60\"} 0\n"
	                                 "t_seconds_bucket{le=\"+Inf\"} 0\n"
	                                 "t_seconds_sum 0\nt_seconds_count 0\n"));
	assert_int_equal(sl_metrics_observe(m, "t_seconds", NULL, 0.25), 0);
	assert_int_equal(sl_metrics_observe(m, "t_seconds", NULL, 2), 0);
	assert_int_equal(sl_metrics_observe(m, "t_seconds", NULL, 50), 0);
	sl_buf_reset(&out);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_non_null(strstr(out.data, "t_seconds_bucket{le=\"0.1\"} 0\n"
	                                 "t_seconds_bucket{le=\"0.5\"} 1\n"
	                                 "t_seconds_bucket{le=\"1\"} 1\n"
	                                 "t_seconds_bucket{le=\"5\"} 2\n"
	                                 "t_seconds_bucket{le=\"10\"} 2\n"
	                                 "t_seconds_bucket{le=\"60\"} 3\n"
	                                 "t_seconds_bucket{le=\"+Inf\"} 3\n"
	                                 "t_seconds_sum 52.25\nt_seconds_count 3\n"));
	sl_buf_release(&out);
	sl_metrics_free(m);
}

static void test_python_validates_when_available(void **state)
{
	static const char *const l[] = {"link", "state"};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT;
	const char *v[] = {"a\"b", "RUNNING"};
	char path[64];
	char cmd[512];
	FILE *f;
	int fd, rc;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0) {
		sl_metrics_free(m);
		skip();
	}
	assert_int_equal(sl_metrics_declare(m, "schemalink_exporter_state", SL_METRIC_GAUGE, "S.",
	                         l, 2, NULL, 0, NULL),
	        0);
	assert_int_equal(sl_metrics_set(m, "schemalink_exporter_state", v, 1), 0);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	/* mkstemp's template ends in six 'X'. */
	snprintf(path, sizeof(path), "/tmp/sl-metrics-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X', 'X');
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(out.data, f);
	fclose(f);
	/* An independent reading of the grammar: a regular expression per sample line. */
	f = fopen("/tmp/sl-metrics-check.py", "w");
	assert_non_null(f);
	fputs("import re, sys\n"
	      "lab = r'[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"'\n"
	      "pat = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{' + lab + r'(,' + lab + "
	      "r')*\\})? \\S+$')\n"
	      "for l in open(sys.argv[1]).read().splitlines():\n"
	      "    if l.startswith('# HELP ') or l.startswith('# TYPE '):\n"
	      "        continue\n"
	      "    if not pat.match(l):\n"
	      "        sys.exit('bad line: ' + l)\n"
	      "    float(l.rsplit(' ', 1)[1])\n",
	        f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 /tmp/sl-metrics-check.py %s", path);
	rc = system(cmd);
	unlink(path);
	unlink("/tmp/sl-metrics-check.py");
	assert_int_equal(rc, 0);
	sl_buf_release(&out);
	sl_metrics_free(m);
}

static void test_rules(void **state)
{
	static const char *const l[] = {"link"};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT;
	const char *a[] = {"a"}, *b2[] = {"b"};

	(void)state;
	assert_int_equal(
	        sl_metrics_declare(m, "bad name", SL_METRIC_GAUGE, "", NULL, 0, NULL, 0, NULL),
	        SL_EINVAL);
	assert_int_equal(
	        sl_metrics_declare(m, "c_total", SL_METRIC_COUNTER, "", l, 1, NULL, 0, NULL), 0);
	assert_int_equal(
	        sl_metrics_declare(m, "c_total", SL_METRIC_COUNTER, "", l, 1, NULL, 0, NULL),
	        SL_EINVAL);
	assert_int_equal(sl_metrics_add(m, "c_total", a, -1), SL_EINVAL);
	assert_int_equal(sl_metrics_set(m, "c_total", a, 1), SL_EINVAL);
	assert_int_equal(sl_metrics_add(m, "nope", a, 1), SL_ENOENT);
	assert_int_equal(sl_metrics_add(m, "c_total", a, 1), 0);
	assert_int_equal(sl_metrics_add(m, "c_total", b2, 3), 0);
	assert_true(sl_metrics_value(m, "c_total", b2) == 3);
	sl_metrics_remove_prefix(m, "c_total", "b");
	assert_true(sl_metrics_value(m, "c_total", b2) == 0);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_null(strstr(out.data, "link=\"b\""));
	assert_non_null(strstr(out.data, "c_total{link=\"a\"} 1\n"));
	sl_buf_release(&out);
	sl_metrics_free(m);
}

/* Series render sorted by their labels; the order is kept between renders and follows every
 * series that comes or goes. remove_prefix takes exactly the series whose first value is the
 * one given, not those it is a prefix of. */
static void test_order_and_remove_prefix(void **state)
{
	static const char *const l[] = {"link", "state"};
	static const char *const names[] = {"b", "a", "ab", "a,b", "a\"b", "a\\"};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT, again = SL_BUF_INIT;
	const char *p;
	size_t i;

	(void)state;
	assert_int_equal(sl_metrics_declare(m, "s", SL_METRIC_GAUGE, "S.", l, 2, NULL, 0, NULL), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v[] = {names[i], "RUNNING"}, *w[] = {names[i], "PAUSED"};

		assert_int_equal(sl_metrics_set(m, "s", v, (double)i), 0);
		assert_int_equal(sl_metrics_set(m, "s", w, 0), 0);
	}
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_int_equal(check_exposition(out.data), 12);
	p = strstr(out.data, "s{link=\"a\",state=\"PAUSED\"} 0\n"
	                     "s{link=\"a\",state=\"RUNNING\"} 1\n"
	                     "s{link=\"a,b\",state=\"PAUSED\"} 0\n"
	                     "s{link=\"a,b\",state=\"RUNNING\"} 3\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "s{link=\"ab\",state=\"RUNNING\"} 2\n"
	                          "s{link=\"b\",state=\"PAUSED\"} 0\n"
	                          "s{link=\"b\",state=\"RUNNING\"} 0\n"));
	/* The same text again, from the kept order. */
	assert_int_equal(sl_metrics_render(m, &again), 0);
	assert_string_equal(again.data, out.data);
	sl_metrics_remove_prefix(m, "s", "a");
	sl_metrics_remove_prefix(m, "s", "a\"b");
	{
		const char *v[] = {"aa", "STARTING"};

		assert_int_equal(sl_metrics_set(m, "s", v, -0.0), 0);
	}
	sl_buf_reset(&out);
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_int_equal(check_exposition(out.data), 9);
	assert_null(strstr(out.data, "link=\"a\","));
	assert_null(strstr(out.data, "link=\"a\\\"b\""));
	assert_non_null(strstr(out.data, "s{link=\"a,b\",state=\"RUNNING\"} 3\n"
	                                 "s{link=\"a\\\\\",state=\"PAUSED\"} 0\n"
	                                 "s{link=\"a\\\\\",state=\"RUNNING\"} 5\n"
	                                 "s{link=\"aa\",state=\"STARTING\"} -0\n"
	                                 "s{link=\"ab\",state=\"PAUSED\"} 0\n"));
	sl_buf_release(&out);
	sl_buf_release(&again);
	sl_metrics_free(m);
}

/* Values print as "%.0f" would for integers (every digit, a sign) and in the shortest exact
 * form otherwise. */
static void test_number_forms(void **state)
{
	static const double vals[] = {0, 7, -12, 123456789012345, 1e15, 0.25, -1.5, 1e-7};
	static const char *const want[] = {"v{i=\"0\"} 0\n", "v{i=\"1\"} 7\n", "v{i=\"2\"} -12\n",
	        "v{i=\"3\"} 123456789012345\n", "v{i=\"4\"} 1e+15\n", "v{i=\"5\"} 0.25\n",
	        "v{i=\"6\"} -1.5\n", "v{i=\"7\"} 1e-07\n"};
	static const char *const l[] = {"i"};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(sl_metrics_declare(m, "v", SL_METRIC_GAUGE, "V.", l, 1, NULL, 0, NULL), 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char name[8];
		const char *v[] = {name};

		snprintf(name, sizeof(name), "%zu", i);
		assert_int_equal(sl_metrics_set(m, "v", v, vals[i]), 0);
	}
	assert_int_equal(sl_metrics_render(m, &out), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(out.data, want[i]) == NULL)
			fail_msg("no [%s] in:\n%s", want[i], out.data);
	sl_buf_release(&out);
	sl_metrics_free(m);
}

/* A gauge's value as one render of a family without labels writes it. */
static void render_one(struct sl_metrics *m, double v, char *out, size_t len)
{
	struct sl_buf text = SL_BUF_INIT;
	const char *p, *nl;

	assert_int_equal(sl_metrics_set(m, "g", NULL, v), 0);
	assert_int_equal(sl_metrics_render(m, &text), 0);
	p = strstr(text.data, "\ng ");
	assert_non_null(p);
	p += 3;
	nl = strchr(p, '\n');
	assert_non_null(nl);
	assert_true((size_t)(nl - p) < len);
	snprintf(out, len, "%.*s", (int)(nl - p), p);
	sl_buf_release(&text);
}

/* Numbers with a few decimal places are written by hand, and exactly as the shortest "%.*g"
 * writes them: checked on values made to sit where the hand-written form could go wrong (just
 * off a decimal, near powers of ten, with up to 17 places, at both ends of the range it
 * takes) and on arbitrary doubles. */
static void test_decimal_places_match_shortest(void **state)
{
	struct sl_metrics *m = sl_metrics_new();
	uint64_t x = 88172645463325252ULL;
	int i;

	(void)state;
	assert_int_equal(
	        sl_metrics_declare(m, "g", SL_METRIC_GAUGE, "G.", NULL, 0, NULL, 0, NULL), 0);
	for (i = 0; i < 40000; i++) {
		char got[64], want[64];
		uint64_t r, bits;
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = x;
		switch (i % 6) {
		case 0: v = (double)(r % 4000000000000ULL) / 1000.0; break; /* a timestamp in ms */
		case 1: v = (double)(r % (1ULL << 53)) / pow(10, 1 + (int)(r >> 58) % 17); break;
		case 2: v = (double)(r % 100000) / pow(10, 1 + (int)(r >> 60) % 8); break;
		case 3: v = pow(10, (int)(r % 21) - 5); break;
		default:
			memcpy(&bits, &x, sizeof(bits));
			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				continue;
			if (i % 6 == 4) { /* a neighbour of a decimal or power of ten */
				v = (double)(r % 100000) / pow(10, (int)(r >> 59) % 9);
				memcpy(&bits, &v, sizeof(bits));
				bits += (r >> 32) % 5 - 2;
				memcpy(&v, &bits, sizeof(v));
			}
			break;
		}
		if (r & 1)
			v = -v;
		if (v == floor(v) && fabs(v) < 1e15)
			continue; /* integers: test_number_forms */
		render_one(m, v, got, sizeof(got));
		shortest_ref(want, sizeof(want), v);
		if (strcmp(got, want) != 0)
			fail_msg("%.17g: wrote %s, the shortest form is %s", v, got, want);
	}
	sl_metrics_free(m);
}

/* A link's last-verified timestamp (seconds with milliseconds) is written without searching
 * for its shortest form: with 10,000 links that search was 90% of a /metrics render. */
static void test_timestamps_render_without_search(void **state)
{
	static const char *const l[] = {"link"};
	struct sl_metrics *m = sl_metrics_new();
	struct sl_buf out = SL_BUF_INIT;
	unsigned long before;
	int i;

	(void)state;
	assert_int_equal(sl_metrics_declare(m, "t", SL_METRIC_GAUGE, "T.", l, 1, NULL, 0, NULL), 0);
	for (i = 0; i < 1000; i++) {
		char name[24];
		const char *v[] = {name};

		snprintf(name, sizeof(name), "link-%04d", i);
		assert_int_equal(
		        sl_metrics_set(m, "t", v, (double)(1764876543210LL + 7 * i) / 1000.0), 0);
	}
	before = strtod_calls;
	assert_int_equal(sl_metrics_render(m, &out), 0);
	assert_int_equal(strtod_calls - before, 0);
	assert_int_equal(check_exposition(out.data), 1000);
	assert_non_null(strstr(out.data, "t{link=\"link-0000\"} 1764876543.21\n"
	                                 "t{link=\"link-0001\"} 1764876543.217\n"));
	assert_non_null(strstr(out.data, "t{link=\"link-0999\"} 1764876550.203\n"));
	sl_buf_release(&out);
	sl_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_render_parses_and_escapes),
	        cmocka_unit_test(test_histogram_without_labels),
	        cmocka_unit_test(test_python_validates_when_available),
	        cmocka_unit_test(test_rules),
	        cmocka_unit_test(test_order_and_remove_prefix),
	        cmocka_unit_test(test_number_forms),
	        cmocka_unit_test(test_decimal_places_match_shortest),
	        cmocka_unit_test(test_timestamps_render_without_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
