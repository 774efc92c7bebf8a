/* scenario_model.c — pkg/model: objects and a snapshot, qualified subjects, secrets. */
#include "torture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemalink/objects.h"
#include "schemalink/qsubject.h"
#include "schemalink/secret.h"
#include "schemalink/strmap.h"

static char dir[64];

static int setup(void)
{
	char path[128];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sl-torture-model-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("torture: mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/pw", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "s3cret\r\n", 8) != 8) {
		perror("torture: secret file");
		return -1;
	}
	close(fd);
	setenv("SL_TORTURE_TOKEN", "t0k3n", 1);
	return 0;
}

static void teardown(void)
{
	torture_rm_rf(dir);
}

/* An owned key/value pair for a vector of struct sl_kv, or NULL. */
static struct sl_kv *kv_new(const char *k, const char *v)
{
	struct sl_kv *kv = calloc(1, sizeof(*kv));

	if (kv == NULL)
		return NULL;
	kv->key = strdup(k);
	kv->value = strdup(v);
	if (kv->key == NULL || kv->value == NULL) {
		free(kv->key);
		free(kv->value);
		free(kv);
		return NULL;
	}
	return kv;
}

static int push_kv(struct sl_vec *v, const char *k, const char *val)
{
	struct sl_kv *kv = kv_new(k, val);

	if (kv == NULL || sl_vec_push(v, kv) < 0) {
		if (kv != NULL) {
			free(kv->key);
			free(kv->value);
			free(kv);
		}
		return SL_ENOMEM;
	}
	return 0;
}

static int push_str(struct sl_vec *v, const char *s)
{
	char *c = strdup(s);

	if (c == NULL || sl_vec_push(v, c) < 0) {
		free(c);
		return SL_ENOMEM;
	}
	return 0;
}

static int set_str(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? 0 : SL_ENOMEM;
}

/* Builds the four kinds as the decoder would, adds them to s (which takes each). */
static int add_objects(struct sl_snapshot *s, struct sl_error *err)
{
	struct sl_object *o[5];
	size_t i;
	int rc = 0;

	o[0] = sl_object_new(SL_KIND_SCHEMALINK, "src-to-tgt", "links.yaml");
	o[1] = sl_object_new(SL_KIND_REGISTRY, "target", "registries.yaml");
	o[2] = sl_object_new(SL_KIND_REGISTRY, "source", "registries.yaml");
	o[3] = sl_object_new(SL_KIND_CONTEXT, "ctx", "settings.yaml");
	o[4] = sl_object_new(SL_KIND_SUBJECT, "orders", "settings.yaml");
	for (i = 0; i < 5; i++)
		if (o[i] == NULL)
			rc = SL_ENOMEM;
	if (rc == 0) {
		struct sl_link_spec *l = &o[0]->link;
		struct sl_secret_kv *skv;

		if (set_str(&l->source, "source") < 0 || set_str(&l->destination, "target") < 0 ||
		        push_str(&l->subjects, "pageviews-value") < 0 ||
		        push_str(&l->subjects, ":.:orders-*") < 0 ||
		        set_str(&l->context_name, "source") < 0 ||
		        set_str(&l->subject_rename_format, "dc1.${subject}") < 0 ||
		        push_kv(&l->config, "batch.size", "100") < 0 ||
		        push_kv(&o[0]->labels, "app", "pageviews") < 0 ||
		        sl_object_set_pos(o[0], "spec", 5, 1) < 0 ||
		        sl_object_set_pos(o[0], "spec.subjects[1]", 9, 7) < 0)
			rc = SL_ENOMEM;
		skv = rc == 0 ? calloc(1, sizeof(*skv)) : NULL;
		if (rc == 0 && skv == NULL)
			rc = SL_ENOMEM;
		if (skv != NULL) {
			if (set_str(&skv->key, "basic.auth.user.info") < 0 ||
			        sl_secret_ref_set(&skv->ref, SL_SECRET_ENV, "SL_TORTURE_TOKEN") <
			                0 ||
			        sl_vec_push(&l->secret_config, skv) < 0) {
				free(skv->key);
				sl_secret_ref_release(&skv->ref);
				free(skv);
				rc = SL_ENOMEM;
			}
		}
	}
	if (rc == 0) {
		struct sl_registry_spec *r = &o[1]->registry;
		char pw[128];

		snprintf(pw, sizeof(pw), "%s/pw", dir);
		r->auth.kind = SL_AUTH_BASIC;
		if (set_str(&r->url, "http://target.test:8082") < 0 ||
		        set_str(&r->link_url, "http://schemaregistry2:8082") < 0 ||
		        sl_secret_ref_set(&r->auth.username, SL_SECRET_VALUE, "alice") < 0 ||
		        sl_secret_ref_set(&r->auth.password, SL_SECRET_FILE, pw) < 0 ||
		        set_str(&o[2]->registry.url, "http://source.test:8081") < 0 ||
		        set_str(&o[2]->registry.link_url, "http://source.test:8081") < 0)
			rc = SL_ENOMEM;
		r->mode = SL_MODE_READWRITE;
	}
	if (rc == 0) {
		o[3]->context.mode = SL_MODE_IMPORT;
		o[4]->subject.compatibility = SL_COMPAT_FULL;
		if (set_str(&o[3]->context.registry, "target") < 0 ||
		        sl_context_normalize("source", &o[3]->context.context, err) < 0 ||
		        set_str(&o[4]->subject.registry, "source") < 0 ||
		        (o[4]->subject.subject = sl_qsubject_normalize(":.:orders")) == NULL)
			rc = SL_ENOMEM;
	}
	for (i = 0; i < 5; i++) {
		if (rc == 0 && (rc = sl_snapshot_add(s, o[i], err)) == 0)
			continue;
		sl_object_free(o[i]);
	}
	return rc;
}

static int objects(struct sl_buf *out)
{
	struct sl_snapshot *s = sl_snapshot_new();
	struct sl_error err = SL_ERROR_INIT;
	struct sl_object *dup = NULL;
	const struct sl_object *o;
	struct sl_pos p;
	char *key;
	size_t i;
	int rc;

	if (s == NULL)
		return SL_ENOMEM;
	rc = add_objects(s, &err);
	if (rc == 0) {
		dup = sl_object_new(SL_KIND_REGISTRY, "source", "again.yaml");
		if (dup == NULL)
			rc = SL_ENOMEM;
		else if (sl_snapshot_add(s, dup, &err) != SL_EEXIST)
			rc = SL_EINVAL; /* must be refused as a duplicate, memory or not */
		else if (sl_buf_addf(out, "dup: %s\n", err.msg) < 0)
			rc = SL_ENOMEM;
		sl_object_free(dup);
	}
	if (rc == 0)
		rc = sl_snapshot_seal(s);
	for (i = 0; rc == 0 && i < sl_snapshot_count(s); i++) {
		o = sl_snapshot_at(s, i);
		if (sl_buf_addf(out, "%s %s %s\n", o->key, o->file, o->spec_hash) < 0)
			rc = SL_ENOMEM;
	}
	if (rc == 0) {
		o = sl_snapshot_get(s, SL_KIND_SCHEMALINK, "src-to-tgt");
		if (o == NULL)
			rc = SL_ENOMEM; /* declared: only memory can hide it */
	}
	if (rc == 0) {
		const struct sl_object *c = sl_snapshot_get(s, SL_KIND_CONTEXT, "ctx");
		const struct sl_object *j = sl_snapshot_get(s, SL_KIND_SUBJECT, "orders");

		p = sl_object_pos(o, "spec.subjects[1]");
		key = sl_object_key(SL_KIND_CONTEXT, "ctx");
		if (key == NULL || c == NULL || j == NULL ||
		        sl_buf_addf(out, "pos %s:%d:%d key %s ctx %s subject %s\n", p.file, p.line,
		                p.col, key, c->context.context, j->subject.subject) < 0)
			rc = SL_ENOMEM;
		free(key);
	}
	sl_snapshot_free(s);
	return rc;
}

/* NULL from a function given valid input means out of memory. */
static int add_owned(struct sl_buf *out, const char *what, char *s)
{
	int rc = s == NULL ? SL_ENOMEM : sl_buf_addf(out, "%s: %s\n", what, s);

	free(s);
	return rc;
}

/* A call that must refuse its input: its message goes to out; another failure is returned. */
static int expect_einval(struct sl_buf *out, const char *what, int rc, const struct sl_error *err)
{
	if (rc == SL_EINVAL)
		return sl_buf_addf(out, "%s: %s\n", what, err->msg);
	return rc == 0 ? SL_EINVAL : rc;
}

static int qsubjects(struct sl_buf *out)
{
	static const char *const inputs[] = {
	        ":.source:orders", ":.source", ":.:foo", ":*:bar", "plain", ":.a:b:c"};
	struct sl_error err = SL_ERROR_INIT;
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	char *s = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		rc = sl_qsubject_parse(inputs[i], &q, &err);
		if (rc == 0)
			rc = sl_buf_addf(out, "parse %s: ctx=%s subject=%s wild=%d ctxonly=%d\n",
			        inputs[i], q.context ? q.context : "-", q.subject, q.wildcard,
			        q.context_only);
		sl_qsubject_release(&q);
		if (rc == 0)
			rc = add_owned(out, "normalize", sl_qsubject_normalize(inputs[i]));
	}
	if (rc == 0)
		rc = expect_einval(out, "control", sl_qsubject_parse("bad\x01", &q, &err), &err);
	if (rc == 0)
		rc = add_owned(out, "format", sl_qsubject_format(".src", "orders"));
	if (rc == 0)
		rc = add_owned(out, "format", sl_qsubject_format(".", ":.x:y"));
	if (rc == 0)
		rc = add_owned(out, "context", sl_qsubject_context(":.src.b:orders"));
	if (rc == 0 && (rc = sl_context_normalize(":.c:", &s, &err)) == 0)
		rc = add_owned(out, "ctxnorm", s);
	if (rc == 0 && (rc = sl_export_dest_context(
	                        SL_CONTEXT_CUSTOM, "source", ".target", &s, &err)) == 0)
		rc = add_owned(out, "destctx", s);
	if (rc == 0 && (rc = sl_export_dest_subject(SL_CONTEXT_CUSTOM, "source", "dc1.${subject}",
	                        ":.target:stock_trades-value", &s, &err)) == 0)
		rc = add_owned(out, "destsubj", s);
	if (rc == 0 &&
	        (rc = sl_export_dest_subject(SL_CONTEXT_NONE, NULL, NULL, "orders", &s, &err)) == 0)
		rc = add_owned(out, "destsubj", s);
	if (rc == 0)
		rc = expect_einval(out, "rename",
		        sl_export_dest_subject(
		                SL_CONTEXT_CUSTOM, "source", "no-variable", "orders", &s, &err),
		        &err);
	if (rc == 0)
		rc = sl_filter_check(":.src:*", &err);
	if (rc == 0)
		rc = sl_qsubject_check_registrable(":.src:orders", &err);
	if (rc == 0)
		rc = sl_buf_addf(out, "match %d %d %d\n",
		        sl_filter_match(":.src:*", ":.src:orders", SL_WILDCARD_ALL_CONTEXTS),
		        sl_filter_match("*", ":.src:orders", SL_WILDCARD_DEFAULT_CONTEXT),
		        sl_filter_may_select_nondefault(":*:"));
	return rc;
}

static int secrets(struct sl_buf *out)
{
	struct sl_secret_ref a = SL_SECRET_REF_INIT, b = SL_SECRET_REF_INIT;
	struct sl_error err = SL_ERROR_INIT;
	char path[128], desc[256], hash[65], *v = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/pw", dir);
	rc = sl_secret_ref_set(&a, SL_SECRET_FILE, path);
	if (rc == 0)
		rc = sl_secret_ref_copy(&b, &a);
	if (rc == 0 && !sl_secret_ref_equal(&a, &b))
		rc = SL_EINVAL;
	if (rc == 0)
		rc = sl_secret_resolve(&b, &v, &err);
	if (rc == 0) {
		sl_secret_describe(&b, desc, sizeof(desc));
		rc = sl_buf_addf(
		        out, "file: [%s] %s\n", v, strstr(desc, "secret from file") ? "ok" : desc);
	}
	sl_secret_free(v);
	v = NULL;
	if (rc == 0)
		rc = sl_secret_hash(&a, hash, &err);
	if (rc == 0)
		rc = sl_buf_addf(out, "hash: %s\n", hash);
	if (rc == 0)
		rc = sl_secret_ref_set(&a, SL_SECRET_ENV, "SL_TORTURE_TOKEN");
	if (rc == 0)
		rc = sl_secret_resolve(&a, &v, &err);
	if (rc == 0)
		rc = sl_buf_addf(out, "env: [%s]\n", v);
	sl_secret_free(v);
	v = NULL;
	if (rc == 0)
		rc = sl_secret_ref_set(&a, SL_SECRET_VALUE, "inline");
	if (rc == 0)
		rc = sl_secret_resolve(&a, &v, &err);
	if (rc == 0)
		rc = sl_buf_addf(out, "value: [%s]\n", v);
	sl_secret_free(v);
	v = NULL;
	if (rc == 0)
		rc = sl_secret_ref_set(&a, SL_SECRET_ENV, "SL_TORTURE_UNSET");
	if (rc == 0) {
		rc = sl_secret_resolve(&a, &v, &err);
		rc = rc == SL_ENOENT ? sl_buf_addf(out, "unset: %s\n", err.msg)
		     : rc == 0       ? SL_EINVAL
		                     : rc;
	}
	sl_secret_free(v);
	sl_secret_ref_release(&a);
	sl_secret_ref_release(&b);
	return rc;
}

static int run(struct sl_buf *out)
{
	int rc = objects(out);

	if (rc == 0)
		rc = qsubjects(out);
	if (rc == 0)
		rc = secrets(out);
	return rc;
}

const struct torture_scenario torture_scenario_model = {
        .name = "model",
        .setup = setup,
        .run = run,
        .teardown = teardown,
};
