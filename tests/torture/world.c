/* world.c — fakes, transports and fixtures shared by the plan and engine scenarios. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "torture.h"
#include "world.h"
#include "../unit/engine_fixture.h"

#define CANARY "canary-Pa55w0rd-7f3e"

const char world_base_yaml[] = FIXTURE_REGISTRIES_YAML;

const char world_link_yaml[] = "---\n"
                               "apiVersion: schemalink.io/v1alpha1\n"
                               "kind: SchemaLink\n"
                               "metadata: {name: src-to-tgt-link}\n"
                               "spec:\n"
                               "  source: source\n"
                               "  destination: target\n"
                               "  subjects: [\"pageviews-value\"]\n"
                               "  context: {type: CUSTOM, name: source}\n";

const struct world_step world_create_steps[] = {
        {"source", "GET /exporters", 200, "[]"},
        {"target", "GET /mode/%3A.source%3A?defaultToGlobal=false", 404, WORLD_NOT_SET_MODE},
        {"target", "GET /subjects?subjectPrefix=%3A.source%3A", 200, "[]"},
        {"target", "PUT /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
        {"source", "POST /exporters", 200, WORLD_NAME_REPLY},
};
const size_t world_n_create_steps = sizeof(world_create_steps) / sizeof(world_create_steps[0]);

const struct world_step world_delete_steps[] = {
        {"source", "PUT /exporters/src-to-tgt-link/pause", 200, WORLD_NAME_REPLY},
        {"source", "DELETE /exporters/src-to-tgt-link", 200, ""},
        {"target", "DELETE /mode/%3A.source%3A", 200, "{\"mode\":\"IMPORT\"}"},
};
const size_t world_n_delete_steps = sizeof(world_delete_steps) / sizeof(world_delete_steps[0]);

int world_setup(struct world *w, const char *name)
{
	char path[128];
	int fd;

	snprintf(w->dir, sizeof(w->dir), "/tmp/sl-torture-%s-XXXXXX", name);
	if (mkdtemp(w->dir) == NULL) {
		perror("torture: mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/pass.txt", w->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, CANARY "\n", strlen(CANARY) + 1) != (ssize_t)strlen(CANARY) + 1) {
		perror("torture: pass.txt");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	sl_clock_fake_init(&w->clock, 1000, 1700000000000LL);
	sl_buf_init(&w->expected);
	return 0;
}

void world_teardown(struct world *w)
{
	sl_buf_release(&w->expected);
	torture_rm_rf(w->dir);
}

int world_script(struct world *w, struct world_fakes *f, const struct world_step *steps, size_t n)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->src = sl_fake_transport_new();
	f->dst = sl_fake_transport_new();
	if (f->src == NULL || f->dst == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		bool src = strcmp(steps[i].reg, "source") == 0;

		if (sl_fake_transport_reply(src ? f->src : f->dst, steps[i].status, steps[i].body) <
		                0 ||
		        sl_buf_addf(&w->expected, "%s %s\n", steps[i].reg, steps[i].req) < 0)
			return -1;
	}
	return 0;
}

void world_fakes_free(struct world_fakes *f)
{
	/* Never taken: each transport the hook hands out borrows them (below). */
	fixture_fake_free(&f->src, &f->src_taken);
	fixture_fake_free(&f->dst, &f->dst_taken);
}

/* ---- the transport the engine gets: a log of requests around a fixture identity ------- */

/* The engine frees a transport when it is done with it, also when a client cannot be made
 * around it (sl_srclient_new), and may ask the hook again later: each transport borrows
 * the scenario's fake, which outlives them all. */
struct borrowed {
	struct sl_transport base;
	struct sl_transport *fake;
};

static int borrowed_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct borrowed *b = (struct borrowed *)t;

	return b->fake->perform(b->fake, req, resp, err);
}

static void borrowed_free(struct sl_transport *t)
{
	free(t);
}

struct logged {
	struct sl_transport base;
	struct sl_transport *inner;
	const char *reg;
};

static int logged_perform(struct sl_transport *t, const struct sl_http_request *req,
        struct sl_http_response *resp, struct sl_error *err)
{
	struct logged *l = (struct logged *)t;
	size_t i;

	if (strcmp(req->path, "/v1/metadata/id") == 0)
		return l->inner->perform(l->inner, req, resp, err); /* not in the scripts */
	/* Bodies too: a write that goes out with a wrong body is a wrong effect; and whether it
	 * has credentials (the target's basic auth). */
	for (i = 0; i < req->nheaders && strncasecmp(req->headers[i], "Authorization:", 14); i++)
		;
	if (req->body != NULL && req->body_len > 0)
		torture_effect("%s %s %s%s %.*s", l->reg, req->method, req->path,
		        i < req->nheaders ? " (auth)" : "", (int)req->body_len, req->body);
	else
		torture_effect("%s %s %s%s", l->reg, req->method, req->path,
		        i < req->nheaders ? " (auth)" : "");
	return l->inner->perform(l->inner, req, resp, err);
}

static void logged_free(struct sl_transport *t)
{
	struct logged *l = (struct logged *)t;

	l->inner->free(l->inner);
	free(l);
}

struct sl_transport *world_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	struct world_fakes *f = cls;
	bool src = strcmp(registry, "source") == 0;
	struct borrowed *b;
	struct logged *l;

	(void)cfg;
	/* The hook may fail (engine.h): it does where an allocation would. */
	if (torture_fail_point()) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	/* The fixtures' own allocations are not under test. */
	torture_hold();
	l = calloc(1, sizeof(*l));
	b = calloc(1, sizeof(*b));
	if (l == NULL || b == NULL)
		abort();
	b->base.perform = borrowed_perform;
	b->base.free = borrowed_free;
	b->fake = sl_fake_transport_base(src ? f->src : f->dst);
	l->base.perform = logged_perform;
	l->base.free = logged_free;
	l->reg = src ? "source" : "target";
	l->inner = fixture_identity_wrap(
	        &b->base, src ? "kc-source/srlite" : "kc-target/srlite", &f->id_reads);
	torture_release();
	return &l->base;
}

static void no_sleep(void *arg, long ms)
{
	(void)arg;
	(void)ms;
}

void world_config(struct world *w, struct world_fakes *f, struct sl_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = w->dir;
	cfg->set = "default";
	cfg->clock = &w->clock;
	cfg->transport = world_transport;
	cfg->transport_cls = f;
	cfg->sleep_ms = no_sleep;
	cfg->holder = "torture";
}

struct sl_snapshot *world_load(struct world *w, const char *text)
{
	return fixture_load("links.yaml", w->dir, text, strlen(text));
}

int world_add_result(struct sl_buf *out, const char *what, const struct sl_reconcile_result *r)
{
	const struct sl_object_status *st = &r->status;
	int i, rc;

	/* Not r->reads: the reads are in the effects but for the registries' identity, which
	 * the engine reads again when it cannot tell without (out of memory). */
	rc = sl_buf_addf(out,
	        "%s: %s requeue=%lld writes=%d heals=%d drift=%d %s op=%d planned=%d%s%s%s\n", what,
	        sl_result_name(r->result), (long long)r->requeue_ms, r->writes, r->heals,
	        r->drift_corrections, r->heal_reason, r->op, r->planned,
	        r->unreachable ? " unreachable" : "", r->prune_refused ? " prune-refused" : "",
	        r->released ? " released" : "");
	for (i = 0; rc == 0 && i < SL_COND_COUNT; i++)
		rc = sl_buf_addf(out, "  %s=%s %s %d: %s\n",
		        sl_cond_type_name((enum sl_cond_type)i),
		        sl_cond_status_name(st->cond[i].status), st->cond[i].reason,
		        st->cond[i].error_code, st->cond[i].message);
	if (rc == 0)
		rc = sl_buf_addf(out, "  fix: %s\n  exporter: %s %lld %s\n", st->fix,
		        st->exporter_state, (long long)st->exporter_offset, st->trace_first_line);
	for (i = 0; rc == 0 && i < st->n_history; i++)
		rc = sl_buf_addf(
		        out, "  history: %s %s\n", st->history[i].reason, st->history[i].action);
	return rc;
}

int world_check_effects(struct world *w, struct sl_buf *out)
{
	const char *got = torture_effects(), *want = w->expected.data;
	size_t i = 0;

	/* Compared without bodies: the scripts name method and path only. */
	while (*got != '\0' || *want != '\0') {
		size_t gl = strcspn(got, "\n"), wl = strcspn(want, "\n"), glen = gl;
		const char *sp = memchr(got, ' ', gl);

		sp = sp ? memchr(sp + 1, ' ', gl - (size_t)(sp + 1 - got)) : NULL;
		sp = sp ? memchr(sp + 1, ' ', gl - (size_t)(sp + 1 - got)) : NULL;
		if (sp != NULL)
			glen = (size_t)(sp - got);
		if (glen != wl || strncmp(got, want, wl) != 0)
			return sl_buf_addf(out,
			        "WRONG: call %zu is \"%.*s\", the script has \"%.*s\"\n", i,
			        (int)glen, got, (int)wl, want);
		got += gl + (got[gl] == '\n');
		want += wl + (want[wl] == '\n');
		i++;
	}
	return 0;
}
