/*
 * scenario_slctl.c — `slctl delete` (cmd/slctl/ops.c: slctl_delete), the torture binary being
 * linked with slctl's objects but main.c. The link is created in a state dir beforehand (an
 * engine with the fakes, outside the window, test_engine.c's create); then `slctl delete`
 * deletes what the manifests declare (links first: the exporter paused and deleted, the mode
 * restored; the registries own nothing) and `slctl delete src-to-tgt-link` finds nothing
 * left. slctl's hidden --observed transport hook is --wrap'ed to lend the fakes instead.
 */
#include "torture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/engine.h"
#include "schemalink/inventory.h"
#include "../../cmd/slctl/slctl.h"
#include "world.h"

#define KEY "SchemaLink/src-to-tgt-link"

static struct world w;
static struct world_fakes created, deleting;
static char manifest[128], state[128], captured[2][128];

struct sl_transport *__wrap_slctl_observed_transport(void *cls, const char *registry,
        const struct sl_srclient_config *cfg, struct sl_error *err);

struct sl_transport *__wrap_slctl_observed_transport(
        void *cls, const char *registry, const struct sl_srclient_config *cfg, struct sl_error *err)
{
	(void)cls; /* the --observed file name slctl was given */
	return world_transport(&deleting, registry, cfg, err);
}

/* Creates the link in the state dir as `slctl apply` would. */
static int create(void)
{
	struct sl_buf b = SL_BUF_INIT;
	struct sl_engine_config cfg;
	struct sl_reconcile_result r;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_snapshot *snap;
	struct sl_engine *e;
	int rc = -1;

	if (sl_buf_adds(&b, world_base_yaml) < 0 || sl_buf_adds(&b, world_link_yaml) < 0)
		return -1;
	snap = world_load(&w, b.data);
	world_config(&w, &created, &cfg);
	cfg.state_dir = state;
	e = sl_engine_new(&cfg, &err);
	if (e != NULL && sl_engine_reconcile(e, snap, KEY, &r, &err) == 0 && r.writes == 2)
		rc = 0;
	else
		fprintf(stderr, "torture: slctl: creating the link: %s\n", err.msg);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	sl_buf_release(&b);
	return rc;
}

static int setup(void)
{
	int fd;

	if (world_setup(&w, "slctl") < 0)
		return -1;
	snprintf(manifest, sizeof(manifest), "%s/links.yaml", w.dir);
	snprintf(state, sizeof(state), "%s/state", w.dir);
	snprintf(captured[0], sizeof(captured[0]), "%s/stdout", w.dir);
	snprintf(captured[1], sizeof(captured[1]), "%s/stderr", w.dir);
	fd = open(manifest, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, world_base_yaml, strlen(world_base_yaml)) < 0 ||
	        write(fd, world_link_yaml, strlen(world_link_yaml)) < 0) {
		perror("torture: slctl: links.yaml");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (mkdir(state, 0700) < 0 ||
	        world_script(&w, &created, world_create_steps, world_n_create_steps) < 0 ||
	        create() < 0)
		return -1;
	/* What the window is to do: the delete's script and effects only. */
	sl_buf_reset(&w.expected);
	torture_effects_reset();
	return world_script(&w, &deleting, world_delete_steps, world_n_delete_steps);
}

static void cleanup(void)
{
	world_fakes_free(&created);
	world_fakes_free(&deleting);
}

static void teardown(void)
{
	world_teardown(&w);
}

static const char *effects(void)
{
	return torture_effects();
}

/* slctl's stdout and stderr (the FILE *s: a sanitizer's report still goes to fd 2) go to
 * files in the temp dir while it runs. */
static FILE *saved[2];

static void capture(void)
{
	int i;

	fflush(NULL);
	for (i = 0; i < 2; i++) {
		FILE *f = fopen(captured[i], "w");

		if (f == NULL) {
			perror("torture: slctl: capture");
			abort();
		}
		saved[i] = i ? stderr : stdout;
		if (i)
			stderr = f;
		else
			stdout = f;
	}
}

/* Restores stdout and stderr and appends what slctl wrote to out. */
static int release(struct sl_buf *out)
{
	char text[4096];
	ssize_t n;
	int i, fd, rc = 0;

	fclose(stdout);
	fclose(stderr);
	stdout = saved[0];
	stderr = saved[1];
	for (i = 0; i < 2; i++) {
		fd = open(captured[i], O_RDONLY);
		n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		text[n > 0 ? n : 0] = '\0';
		torture_hold(); /* the scenario's own result, not slctl's */
		rc = rc ? rc : sl_buf_addf(out, "%s:\n%s", i ? "stderr" : "stdout", text);
		torture_release();
	}
	return rc;
}

static int run_delete(const char *link, struct sl_buf *out)
{
	struct sl_vec paths = SL_VEC_INIT, args = SL_VEC_INIT;
	struct slctl_ctx x;
	int rc;

	/* The vectors' own allocations are main.c's, not slctl_delete's. */
	torture_hold();
	rc = sl_vec_push(&paths, manifest) | sl_vec_push(&args, (void *)(uintptr_t) "delete") |
	     (link ? sl_vec_push(&args, (void *)(uintptr_t)link) : 0);
	torture_release();
	if (rc != 0)
		abort();
	memset(&x, 0, sizeof(x));
	x.command = "delete";
	x.paths = &paths;
	x.args = &args;
	x.state_dir = state;
	x.set = "default";
	x.observed = "fakes"; /* __wrap_slctl_observed_transport */
	capture();
	rc = slctl_delete(&x);
	rc = release(out) ? SL_ENOMEM : rc;
	if (rc >= 0 && sl_buf_addf(out, "exit %d\n", rc) < 0)
		rc = SL_ENOMEM;
	sl_vec_release(&paths, NULL);
	sl_vec_release(&args, NULL);
	return rc;
}

static int run(struct sl_buf *out)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_inventory *inv;
	int rc = run_delete(NULL, out);

	if (rc == 0)
		rc = run_delete("src-to-tgt-link", out);
	if (rc > 0)
		return TORTURE_EXIT(rc);
	if (rc < 0)
		return rc;
	inv = sl_inventory_load(state, "default", &err);
	if (inv == NULL)
		return err.code ? err.code : SL_ENOMEM;
	if (inv->owned.len + inv->scopes.len + inv->objects.len != 0)
		rc = sl_buf_addf(out, "WRONG: %zu owned, %zu scopes, %zu objects left\n",
		        inv->owned.len, inv->scopes.len, inv->objects.len);
	sl_inventory_free(inv);
	if (rc == 0 && strstr(out->data, KEY ": deleted\n") == NULL)
		rc = sl_buf_adds(out, "WRONG: the link was not reported deleted\n");
	return rc ? rc : world_check_effects(&w, out);
}

const struct torture_scenario torture_scenario_slctl = {
        .name = "slctl",
        .setup = setup,
        .run = run,
        .cleanup = cleanup,
        .teardown = teardown,
        .effects = effects,
};
