/* metrics.c — counters, gauges and histograms, rendered as Prometheus text. */
#include "schemalink/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/strmap.h"
#include "schemalink/vec.h"

struct series {
	char **values; /* nlabels owned strings */
	double value; /* counter, gauge */
	double sum; /* histogram */
	uint64_t count;
	/* Observations per bucket, not cumulative: the family's nbuckets counters, in the same
	 * allocation (none for counters and gauges, the thousands of per-link series). */
	uint64_t *buckets;
};

struct family {
	char *name;
	char *help;
	enum sl_metric_type type;
	char *labels[SL_METRICS_MAX_LABELS];
	size_t nlabels;
	double bounds[SL_METRICS_MAX_BUCKETS];
	size_t nbuckets;
	struct sl_strmap series; /* series key -> struct series * */
};

struct sl_metrics {
	pthread_mutex_t lock;
	struct family *fam[SL_METRICS_MAX_FAMILIES];
	size_t nfam;
};

static void series_free(void *p, size_t nlabels)
{
	struct series *s = p;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < nlabels && s->values != NULL; i++)
		free(s->values[i]);
	free(s->values);
	free(s);
}

static void family_free(struct family *f)
{
	size_t pos = 0, i;
	void *val;

	if (f == NULL)
		return;
	while (sl_strmap_next(&f->series, &pos, NULL, &val))
		series_free(val, f->nlabels);
	sl_strmap_release(&f->series, NULL);
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

struct sl_metrics *sl_metrics_new(void)
{
	struct sl_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void sl_metrics_free(struct sl_metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfam; i++)
		family_free(m->fam[i]);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels the same without ':' and not "__..." */
static bool valid_name(const char *s, bool label)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || (label && strncmp(s, "__", 2) == 0))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		             (!label && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static struct family *find_family(struct sl_metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfam; i++)
		if (strcmp(m->fam[i]->name, name) == 0)
			return m->fam[i];
	return NULL;
}

int sl_metrics_declare(struct sl_metrics *m, const char *name, enum sl_metric_type type,
        const char *help, const char *const *label_names, size_t nlabels, const double *buckets,
        size_t nbuckets, struct sl_error *err)
{
	struct family *f = NULL;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	if (!valid_name(name, false) || find_family(m, name) != NULL) {
		rc = sl_error_set(err, SL_EINVAL, "metric \"%s\": bad or duplicate name", name);
		goto out;
	}
	if (m->nfam == SL_METRICS_MAX_FAMILIES || nlabels > SL_METRICS_MAX_LABELS ||
	        nbuckets > SL_METRICS_MAX_BUCKETS) {
		rc = sl_error_set(err, SL_ELIMIT,
		        "metric \"%s\": too many families, labels or buckets", name);
		goto out;
	}
	if (type != SL_METRIC_HISTOGRAM && nbuckets > 0) {
		rc = sl_error_set(
		        err, SL_EINVAL, "metric \"%s\": buckets on a non-histogram", name);
		goto out;
	}
	for (i = 0; i < nbuckets; i++) {
		if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
			rc = sl_error_set(err, SL_EINVAL,
			        "metric \"%s\": buckets must be finite and increasing", name);
			goto out;
		}
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->name = strdup(name)) == NULL ||
	        (f->help = strdup(help ? help : "")) == NULL) {
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	f->type = type;
	sl_strmap_init(&f->series);
	for (i = 0; i < nlabels; i++) {
		if (!valid_name(label_names[i], true) || strcmp(label_names[i], "le") == 0) {
			rc = sl_error_set(err, SL_EINVAL, "metric \"%s\": bad label name \"%s\"",
			        name, label_names[i]);
			goto out;
		}
		if ((f->labels[i] = strdup(label_names[i])) == NULL) {
			rc = sl_error_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		f->nlabels = i + 1;
	}
	if (nbuckets > 0)
		memcpy(f->bounds, buckets, nbuckets * sizeof(double));
	f->nbuckets = nbuckets;
	m->fam[m->nfam++] = f;
	f = NULL;
out:
	pthread_mutex_unlock(&m->lock);
	family_free(f);
	return rc;
}

/* An unambiguous map key for a list of label values: "<len>:<value>" each. */
static int series_key(const struct family *f, const char *const *values, struct sl_buf *key)
{
	size_t i;

	for (i = 0; i < f->nlabels; i++) {
		const char *v = values[i] != NULL ? values[i] : "";

		if (sl_buf_addf(key, "%zu:", strlen(v)) < 0 || sl_buf_adds(key, v) < 0)
			return SL_ENOMEM;
	}
	return 0;
}

/* The series for values, created at zero when create is set (lock held). */
static struct series *get_series(struct family *f, const char *const *values, bool create, int *rc)
{
	struct sl_buf key = SL_BUF_INIT;
	struct series *s = NULL;
	size_t i;

	*rc = 0;
	if (series_key(f, values, &key) < 0) {
		*rc = SL_ENOMEM;
		goto out;
	}
	s = sl_strmap_get(&f->series, key.data, NULL);
	if (s != NULL || !create)
		goto out;
	if (f->series.len >= SL_METRICS_MAX_SERIES) {
		*rc = SL_ELIMIT;
		goto out;
	}
	s = calloc(1, sizeof(*s) + f->nbuckets * sizeof(uint64_t));
	if (s != NULL)
		s->buckets = (uint64_t *)(s + 1);
	if (s == NULL ||
	        (f->nlabels > 0 && (s->values = calloc(f->nlabels, sizeof(char *))) == NULL))
		goto nomem;
	for (i = 0; i < f->nlabels; i++)
		if ((s->values[i] = strdup(values[i] != NULL ? values[i] : "")) == NULL)
			goto nomem;
	if (sl_strmap_set(&f->series, key.data, s, NULL) < 0)
		goto nomem;
	goto out;
nomem:
	series_free(s, f->nlabels);
	s = NULL;
	*rc = SL_ENOMEM;
out:
	sl_buf_release(&key);
	return s;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static int update(
        struct sl_metrics *m, const char *name, const char *const *values, double v, enum op op)
{
	struct family *f;
	struct series *s;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f == NULL) {
		rc = SL_ENOENT;
		goto out;
	}
	if ((op == OP_OBSERVE) != (f->type == SL_METRIC_HISTOGRAM) ||
	        (op == OP_SET && f->type != SL_METRIC_GAUGE) ||
	        (op == OP_ADD && f->type == SL_METRIC_COUNTER && !(v >= 0)) ||
	        (f->nlabels > 0 && values == NULL)) {
		rc = SL_EINVAL;
		goto out;
	}
	s = get_series(f, values, true, &rc);
	if (s == NULL)
		goto out;
	switch (op) {
	case OP_ADD: s->value += v; break;
	case OP_SET: s->value = v; break;
	case OP_OBSERVE:
		s->sum += v;
		s->count++;
		for (i = 0; i < f->nbuckets; i++) {
			if (v <= f->bounds[i]) {
				s->buckets[i]++;
				break;
			}
		}
		break;
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int sl_metrics_add(struct sl_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, name, values, v, OP_ADD);
}

int sl_metrics_set(struct sl_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, name, values, v, OP_SET);
}

int sl_metrics_observe(struct sl_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, name, values, v, OP_OBSERVE);
}

void sl_metrics_remove(struct sl_metrics *m, const char *name, const char *const *values)
{
	struct sl_buf key = SL_BUF_INIT;
	struct family *f;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f != NULL && (f->nlabels == 0 || values != NULL) && series_key(f, values, &key) == 0)
		series_free(sl_strmap_del(&f->series, key.data, NULL), f->nlabels);
	pthread_mutex_unlock(&m->lock);
	sl_buf_release(&key);
}

void sl_metrics_remove_prefix(struct sl_metrics *m, const char *name, const char *first)
{
	struct sl_vec doomed = SL_VEC_INIT;
	struct family *f;
	size_t pos = 0, i;
	const char *key;
	void *val;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f == NULL || f->nlabels == 0)
		goto out;
	while (sl_strmap_next(&f->series, &pos, &key, &val)) {
		struct series *s = val;

		if (strcmp(s->values[0], first) == 0 && sl_vec_push(&doomed, strdup(key)) < 0)
			break;
	}
	for (i = 0; i < doomed.len; i++)
		if (doomed.items[i] != NULL)
			series_free(sl_strmap_del(&f->series, doomed.items[i], NULL), f->nlabels);
out:
	pthread_mutex_unlock(&m->lock);
	sl_vec_release(&doomed, free);
}

double sl_metrics_value(struct sl_metrics *m, const char *name, const char *const *values)
{
	struct family *f;
	struct series *s = NULL;
	double v = 0;
	int rc;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f != NULL && (f->nlabels == 0 || values != NULL))
		s = get_series(f, values, false, &rc);
	if (s != NULL)
		v = f->type == SL_METRIC_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&m->lock);
	return v;
}

int sl_metrics_escape_label(struct sl_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		int rc;

		switch (*s) {
		case '\\': rc = sl_buf_adds(out, "\\\\"); break;
		case '"': rc = sl_buf_adds(out, "\\\""); break;
		case '\n': rc = sl_buf_adds(out, "\\n"); break;
		default: rc = sl_buf_addch(out, *s); break;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* HELP text escapes only '\\' and newline. */
static int escape_help(struct sl_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		int rc = *s == '\\'   ? sl_buf_adds(out, "\\\\")
		         : *s == '\n' ? sl_buf_adds(out, "\\n")
		                      : sl_buf_addch(out, *s);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The shortest decimal that reads back as v ("0.005", not "0.0050000000000000001"). */
static void shortest(char *out, size_t len, double v)
{
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(out, len, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* A finite number as Prometheus clients print it: integers in full ("10", not "1e+01", which
 * %g gives for a bucket bound of 10), others in the shortest form that reads back exactly. */
static void number(char *out, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, len, "%.0f", v);
	else
		shortest(out, len, v);
}

static int add_value(struct sl_buf *out, double v)
{
	char s[64];

	if (isnan(v))
		return sl_buf_adds(out, "NaN");
	if (isinf(v))
		return sl_buf_adds(out, v > 0 ? "+Inf" : "-Inf");
	number(s, sizeof(s), v);
	return sl_buf_adds(out, s);
}

/* "{a="x",b="y"" plus an optional le, then "}"; nothing at all without labels. */
static int add_labels(
        struct sl_buf *out, const struct family *f, const struct series *s, const char *le)
{
	size_t i;

	if (f->nlabels == 0 && le == NULL)
		return 0;
	if (sl_buf_addch(out, '{') < 0)
		return SL_ENOMEM;
	for (i = 0; i < f->nlabels; i++) {
		if (sl_buf_addf(out, "%s%s=\"", i > 0 ? "," : "", f->labels[i]) < 0 ||
		        sl_metrics_escape_label(out, s->values[i]) < 0 ||
		        sl_buf_addch(out, '"') < 0)
			return SL_ENOMEM;
	}
	if (le != NULL && sl_buf_addf(out, "%sle=\"%s\"", f->nlabels > 0 ? "," : "", le) < 0)
		return SL_ENOMEM;
	return sl_buf_addch(out, '}');
}

static int render_series(struct sl_buf *out, const struct family *f, const struct series *s)
{
	uint64_t cum = 0;
	size_t i;
	char le[64];

	if (f->type != SL_METRIC_HISTOGRAM) {
		if (sl_buf_adds(out, f->name) < 0 || add_labels(out, f, s, NULL) < 0 ||
		        sl_buf_addch(out, ' ') < 0 || add_value(out, s->value) < 0)
			return SL_ENOMEM;
		return sl_buf_addch(out, '\n');
	}
	for (i = 0; i <= f->nbuckets; i++) {
		if (i < f->nbuckets) {
			cum += s->buckets[i];
			number(le, sizeof(le), f->bounds[i]);
		} else {
			cum = s->count;
			snprintf(le, sizeof(le), "+Inf");
		}
		if (sl_buf_addf(out, "%s_bucket", f->name) < 0 || add_labels(out, f, s, le) < 0 ||
		        sl_buf_addf(out, " %llu\n", (unsigned long long)cum) < 0)
			return SL_ENOMEM;
	}
	if (sl_buf_addf(out, "%s_sum", f->name) < 0 || add_labels(out, f, s, NULL) < 0 ||
	        sl_buf_addch(out, ' ') < 0 || add_value(out, s->sum) < 0 ||
	        sl_buf_addf(out, "\n%s_count", f->name) < 0 || add_labels(out, f, s, NULL) < 0 ||
	        sl_buf_addf(out, " %llu\n", (unsigned long long)s->count) < 0)
		return SL_ENOMEM;
	return 0;
}

int sl_metrics_render(struct sl_metrics *m, struct sl_buf *out)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	struct sl_vec keys = SL_VEC_INIT;
	size_t i, j;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nfam && rc == 0; i++) {
		struct family *f = m->fam[i];
		uint64_t no_buckets[SL_METRICS_MAX_BUCKETS] = {0};
		struct series zero = {.buckets = no_buckets};

		if (sl_buf_addf(out, "# HELP %s ", f->name) < 0 || escape_help(out, f->help) < 0 ||
		        sl_buf_addf(out, "\n# TYPE %s %s\n", f->name, types[f->type]) < 0) {
			rc = SL_ENOMEM;
			break;
		}
		/* A family without labels always shows its one series, even before any update. */
		if (f->nlabels == 0 && f->series.len == 0) {
			rc = render_series(out, f, &zero);
			continue;
		}
		keys.len = 0;
		if (sl_strmap_keys(&f->series, &keys) < 0) {
			rc = SL_ENOMEM;
			break;
		}
		for (j = 0; j < keys.len && rc == 0; j++)
			rc = render_series(out, f, sl_strmap_get(&f->series, keys.items[j], NULL));
	}
	pthread_mutex_unlock(&m->lock);
	sl_vec_release(&keys, NULL);
	return rc;
}
