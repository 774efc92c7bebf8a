/*
 * engine_fixture.h — for the engine's unit tests (test_engine.c, test_engine_pass.c): loading
 * manifest text into a snapshot, and freeing a fake registry the engine did not take.
 * Include after cmocka.h.
 */
#ifndef SL_TEST_ENGINE_FIXTURE_H
#define SL_TEST_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"
#include "schemalink/engine.h"
#include "schemalink/manifest.h"
#include "schemalink/srclient.h"

/* The two registries every engine fixture starts from: "source", and "target" with basic auth
 * whose password is read from pass.txt in the manifest directory. A string literal, so a
 * fixture appends its own documents to it. */
#define FIXTURE_REGISTRIES_YAML \
	"apiVersion: schemalink.io/v1alpha1\n" \
	"kind: Registry\n" \
	"metadata: {name: source}\n" \
	"spec: {url: \"http://source.test:8081\", linkUrl: \"http://schemaregistry:8081\"}\n" \
	"---\n" \
	"apiVersion: schemalink.io/v1alpha1\n" \
	"kind: Registry\n" \
	"metadata: {name: target}\n" \
	"spec:\n" \
	"  url: http://target.test:8082\n" \
	"  linkUrl: http://schemaregistry2:8082\n" \
	"  auth: {basic: {username: {value: alice}, password: {file: pass.txt}}}\n"

/* The snapshot of manifest text (as file `name` in dir); prints the diagnostics and fails
 * the test when it does not load. */
static inline struct sl_snapshot *fixture_load(
        const char *name, const char *dir, const char *text, size_t len)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *s = NULL;
	size_t i;

	assert_int_equal(sl_manifest_add_buffer(l, name, dir, text, len), 0);
	if (sl_manifest_finish(l, &s) != 0) {
		const struct sl_diags *d = sl_manifest_diags(l);

		for (i = 0; i < d->items.len; i++) {
			struct sl_buf line = SL_BUF_INIT;

			sl_diag_format(d->items.items[i], &line);
			fprintf(stderr, "%s\n", line.data);
			sl_buf_release(&line);
		}
		fail_msg("manifest did not load");
	}
	sl_manifest_loader_free(l);
	return s;
}

/* Frees *f unless the engine took it (and so frees it), then forgets it. */
static inline void fixture_fake_free(struct sl_fake_transport **f, bool *taken)
{
	if (*f != NULL && !*taken) {
		struct sl_transport *t = sl_fake_transport_base(*f);

		t->free(t);
	}
	*f = NULL;
	*taken = false;
}

/* A registry's identity (GET /v1/metadata/id) answered beside the scripted exchanges, so the
 * tests keep asserting their exact call lists while each read of the identity is counted in
 * *reads (the engine reads it only before a write or an ownership decision: the tests check
 * the count where it matters, and that a pass without writes made none). */
struct fixture_identity {
	struct sl_transport base;
	struct sl_transport *inner;
	const char *cluster_id; /* borrowed */
	int *reads;
};

static inline int fixture_identity_perform(struct sl_transport *t,
        const struct sl_http_request *req, struct sl_http_response *resp, struct sl_error *err)
{
	struct fixture_identity *fi = (struct fixture_identity *)t;

	if (strcmp(req->method, "GET") != 0 || strcmp(req->path, "/v1/metadata/id") != 0)
		return fi->inner->perform(fi->inner, req, resp, err);
	(*fi->reads)++;
	resp->status = 200;
	resp->retry_after_s = -1;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	return sl_buf_addf(&resp->body, "{\"id\":\"%s\"}", fi->cluster_id);
}

static inline void fixture_identity_free(struct sl_transport *t)
{
	struct fixture_identity *fi = (struct fixture_identity *)t;

	fi->inner->free(fi->inner);
	free(fi);
}

/* Wraps inner (taken) so the registry answers cluster_id as its identity. */
static inline struct sl_transport *fixture_identity_wrap(
        struct sl_transport *inner, const char *cluster_id, int *reads)
{
	struct fixture_identity *fi = calloc(1, sizeof(*fi));

	assert_non_null(fi);
	fi->base.perform = fixture_identity_perform;
	fi->base.free = fixture_identity_free;
	fi->inner = inner;
	fi->cluster_id = cluster_id;
	fi->reads = reads;
	return &fi->base;
}

/* The usual test engine on a fake clock: transport(cls) makes every client's transport and
 * sleep(cls) records the waits, so nothing sleeps; state_dir NULL keeps the inventory in
 * memory. Fails the test when the engine cannot be made. */
static inline struct sl_engine *fixture_engine(const char *state_dir, const char *set,
        const struct sl_clock *clock,
        struct sl_transport *(*transport)(void *cls, const char *registry,
                const struct sl_srclient_config *cfg, struct sl_error *err),
        void (*sleep)(void *cls, long ms), void *cls)
{
	struct sl_engine_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_engine *e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = state_dir;
	cfg.set = set;
	cfg.clock = clock;
	cfg.transport = transport;
	cfg.transport_cls = cls;
	cfg.sleep_ms = sleep;
	cfg.sleep_arg = cls;
	e = sl_engine_new(&cfg, &err);
	if (e == NULL)
		fail_msg("sl_engine_new: %s", err.msg);
	return e;
}

#endif
