/*
 * world.h — what the plan and engine scenarios share: the unit tests' fixtures
 * (tests/unit/engine_fixture.h: manifests loaded into a snapshot, a registry identity beside
 * the fake transport's script) and a transport hook that hands the engine scripted fakes
 * while logging every request it makes as an effect (torture.h).
 */
#ifndef SL_TEST_TORTURE_WORLD_H
#define SL_TEST_TORTURE_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/engine.h"
#include "schemalink/srclient.h"

/* One scripted exchange, as tests/unit/test_engine.c writes them: the registry, the expected
 * "METHOD path" (the effect it must give), the reply. */
struct world_step {
	const char *reg;
	const char *req;
	int status;
	const char *body;
};

/* The two registries of one engine's life, lent to each transport the hook makes. */
struct world_fakes {
	struct sl_fake_transport *src, *dst;
	bool src_taken, dst_taken;
	int id_reads;
};

struct world {
	char dir[64]; /* the state dir, with pass.txt for the target's password */
	struct sl_clock clock;
	struct sl_buf expected; /* the effects the scripts ask for, in order */
};

/* ---- test_engine.c's manifests and replies, shared by the scenarios ------------------- */

/* Registries source and target (basic auth from pass.txt), and the link between them. */
extern const char world_base_yaml[];
extern const char world_link_yaml[];

#define WORLD_NOT_SET_MODE \
	"{\"error_code\":40409,\"message\":\"Subject ':.source:' does not have subject-level " \
	"mode configured\"}"
#define WORLD_INFO_OK \
	"{\"name\":\"src-to-tgt-link\",\"contextType\":\"CUSTOM\",\"context\":\"source\"," \
	"\"subjects\":[\"pageviews-value\"],\"subjectRenameFormat\":\"${subject}\",\"config\":{" \
	"\"schema.registry.url\":\"http://schemaregistry2:8082\"," \
	"\"basic.auth.credentials.source\":\"USER_INFO\",\"basic.auth.user.info\":\"[hidden]\"}}"
#define WORLD_STATUS_RUNNING \
	"{\"name\":\"src-to-tgt-link\",\"state\":\"RUNNING\",\"offset\":4,\"ts\":1701292093264," \
	"\"trace\":\"\"}"
#define WORLD_NAME_REPLY "{\"name\":\"src-to-tgt-link\"}"

/* test_engine.c: create_steps (the link created: mode, then exporter) and the delete of
 * test_delete_restores_unset_mode (exporter paused and deleted, mode restored). */
extern const struct world_step world_create_steps[];
extern const size_t world_n_create_steps;
extern const struct world_step world_delete_steps[];
extern const size_t world_n_delete_steps;

/* Outside the window: the temp dir, pass.txt, the fake clock. Returns 0 or -1. */
int world_setup(struct world *w, const char *name);
/* Outside the window: removes the temp dir. */
void world_teardown(struct world *w);

/* Outside the window: new fakes answering steps in order (also appended to w->expected).
 * Returns 0 or -1. */
int world_script(struct world *w, struct world_fakes *f, const struct world_step *steps, size_t n);
/* Frees what the engine did not take. */
void world_fakes_free(struct world_fakes *f);

/* The engine's transport hook (cls: struct world_fakes *): a transport that logs each
 * request as an effect and lends f's fake of that registry, with its identity beside it. */
struct sl_transport *world_transport(void *cls, const char *registry,
        const struct sl_srclient_config *cfg, struct sl_error *err);

/* An engine configuration for w handing out f's registries. */
void world_config(struct world *w, struct world_fakes *f, struct sl_engine_config *cfg);

/* Outside the window: the snapshot of manifest text (as links.yaml in w->dir). */
struct sl_snapshot *world_load(struct world *w, const char *text);

/* Appends a reconcile result to out: everything but timestamps. Returns 0 or SL_ENOMEM. */
int world_add_result(struct sl_buf *out, const char *what, const struct sl_reconcile_result *r);

/* "WRONG: ..." lines (known answers that do not hold) make a run fail: appends one when the
 * effects so far are not w->expected. Returns 0 or SL_ENOMEM. */
int world_check_effects(struct world *w, struct sl_buf *out);

#endif
