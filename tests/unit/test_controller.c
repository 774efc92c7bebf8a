/* test_controller.c — schemalinkd's loop with a fake reconciler and, where possible, a fake
 * clock: loading, debounce, bad loads, result handling (STALLED, RETRY, REQUEUE_AFTER),
 * readiness, status persistence, SIGHUP, SIGTERM drain, /livez while a reconcile stalls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/controller.h"
#include "schemalink/fileio.h"
#include "schemalink/log.h"
#include "schemalink/statusboard.h"
#include "status_assert.h"

static char top[64], mdir[128], status_path[160], logpath[160];
static struct sl_clock fclock;

/* ---- fake reconciler --------------------------------------------------------------------- */

struct fake {
	pthread_mutex_t lock;
	enum sl_result result; /* for every key... */
	char special_key[64]; /* ...except this one, */
	enum sl_result special; /* which gets this */
	bool special_unreachable; /* and, with RETRY, reports RegistryUnreachable */
	int64_t requeue_ms;
	int calls;
	char order[32][64]; /* keys in call order (first 32) */
	int sleep_until_cancel; /* sleep up to 30 s, polling cancel */
	bool term_on_entry; /* send SIGTERM to the process when entered */
	bool term_in_pass; /* in a resync pass: send SIGTERM and sleep until cancelled */
	atomic_bool entered, saw_cancel;
	struct sl_controller *ctl;
	bool last_snap_had_key;
	uint64_t objects_seen;
	char exporter_state[16]; /* reported for SchemaLink keys when set */
	int64_t exporter_offset;
};

static struct fake fk;
static atomic_int passes_begun, passes_ended; /* pass_begin / pass_end calls */

static int fake_reconcile(void *cls, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err)
{
	struct fake *f = cls;
	enum sl_result r;
	bool unreachable;
	const struct sl_object *o = sl_strmap_get(&snap->by_key, key, NULL);

	(void)err;
	atomic_store(&f->entered, true);
	if (f->term_on_entry || (f->term_in_pass && atomic_load(&passes_begun) > 0))
		kill(getpid(), SIGTERM);
	if (f->sleep_until_cancel || (f->term_in_pass && atomic_load(&passes_begun) > 0)) {
		int i;

		for (i = 0; i < 3000; i++) {
			if (f->ctl != NULL && sl_controller_cancelled(f->ctl)) {
				atomic_store(&f->saw_cancel, true);
				break;
			}
			usleep(10000);
		}
	}
	pthread_mutex_lock(&f->lock);
	if (f->calls < 32)
		snprintf(f->order[f->calls], sizeof(f->order[0]), "%s", key);
	f->calls++;
	f->last_snap_had_key = o != NULL;
	f->objects_seen = snap->objects.len;
	r = strcmp(key, f->special_key) == 0 ? f->special : f->result;
	unreachable = strcmp(key, f->special_key) == 0 && f->special_unreachable;
	pthread_mutex_unlock(&f->lock);
	memset(out, 0, sizeof(*out));
	out->result = r;
	out->requeue_ms = f->requeue_ms;
	snprintf(out->status.key, sizeof(out->status.key), "%s", key);
	if (strncmp(key, "SchemaLink/", 11) == 0) {
		snprintf(out->status.exporter_state, sizeof(out->status.exporter_state), "%s",
		        f->exporter_state);
		out->status.exporter_offset = f->exporter_offset;
	}
	sl_status_set_condition(&out->status, SL_COND_READY,
	        r == SL_RESULT_DONE ? SL_COND_TRUE : SL_COND_FALSE,
	        unreachable           ? SL_REASON_REGISTRY_UNREACHABLE
	        : r == SL_RESULT_DONE ? "Reconciled"
	                              : "Broken",
	        "m", 0, o ? o->spec_hash : "", sl_clock_wall_ms(&fclock));
	return 0;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void write_file(const char *name, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", mdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

#define REGS \
	"apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\n" \
	"spec: {url: 'http://127.0.0.1:1'}\n---\n" \
	"apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target}\n" \
	"spec: {url: 'http://127.0.0.1:2'}\n"
#define LINK(subject) \
	"apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l1}\n" \
	"spec: {source: source, destination: target, subjects: ['" subject "']}\n"

static int setup(void **state)
{
	(void)state;
	/* mkdtemp's template ends in six 'X'. */
	snprintf(top, sizeof(top), "/tmp/sl-ctl-%c%c%c%c%c%c", 'X', 'X', 'X', 'X', 'X', 'X');
	if (mkdtemp(top) == NULL)
		return -1;
	snprintf(mdir, sizeof(mdir), "%s/manifests", top);
	snprintf(status_path, sizeof(status_path), "%s/status.json", top);
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	if (mkdir(mdir, 0755) != 0)
		return -1;
	{
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		sl_log_setup(SL_LOG_DEBUG, SL_LOG_TEXT, fd, NULL);
	}
	sl_clock_fake_init(&fclock, 1000000, 1800000000000LL);
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	fk.result = SL_RESULT_DONE;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	sl_log_setup(SL_LOG_INFO, SL_LOG_TEXT, 2, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static struct sl_controller *make(
        int workers, bool watch, const struct sl_clock *clock, const char *listen)
{
	struct sl_controller_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller *c;

	memset(&cfg, 0, sizeof(cfg));
	cfg.manifests = mdir;
	cfg.status_path = status_path;
	cfg.listen = listen;
	cfg.workers = workers;
	cfg.watch = watch;
	cfg.clock = clock;
	cfg.reconcile = fake_reconcile;
	cfg.reconcile_cls = &fk;
	c = sl_controller_new(&cfg, &err);
	if (c == NULL)
		fail_msg("sl_controller_new: %s", err.msg);
	fk.ctl = c;
	return c;
}

/* Runs queued work until none is ready (workers = 0). */
static int work_all(struct sl_controller *c)
{
	int n = 0;

	while (sl_controller_work(c, 0) == 1)
		n++;
	return n;
}

static int count_in_log(const char *needle)
{
	char buf[65536];
	FILE *f = fopen(logpath, "r");
	size_t len;
	int n = 0;
	const char *p;

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	fclose(f);
	for (p = buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static struct sl_controller_stats stats(struct sl_controller *c)
{
	struct sl_controller_stats s;

	sl_controller_stats(c, &s);
	return s;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_load_enqueues_every_key_in_order(void **state)
{
	struct sl_controller *c;
	struct sl_object_status st;

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK("*"));
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(stats(c).generation, 1);
	/* Seeded before the first visit: every condition Unknown. */
	assert_int_equal(sl_statusboard_get(sl_controller_statusboard(c), "SchemaLink/l1", &st), 0);
	assert_int_equal(st.cond[SL_COND_READY].status, SL_COND_UNKNOWN);
	assert_int_equal(work_all(c), 3);
	assert_string_equal(fk.order[0], "Registry/source");
	assert_string_equal(fk.order[1], "Registry/target");
	assert_string_equal(fk.order[2], "SchemaLink/l1");
	assert_int_equal(sl_statusboard_get(sl_controller_statusboard(c), "SchemaLink/l1", &st), 0);
	assert_int_equal(st.cond[SL_COND_READY].status, SL_COND_TRUE);
	/* DONE: nothing comes back before the resync... */
	assert_int_equal(sl_queue_next_due_ms(sl_controller_queue(c)), -1);
	assert_int_equal(work_all(c), 0);
	/* ...which queues everything again. */
	sl_controller_resync(c);
	assert_int_equal(work_all(c), 3);
	sl_controller_free(c);
}

static void test_bad_load_keeps_last_good_snapshot(void **state)
{
	struct sl_controller *c;
	struct sl_buf body = SL_BUF_INIT;
	const char *v[] = {"error"};

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK("*"));
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 3);
	assert_int_equal(sl_controller_readyz(c, &body), 200);
	sl_buf_reset(&body);

	/* Half-written file: the load fails, nothing is queued, the old snapshot stays. */
	write_file("b.yaml",
	        "apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l1\n");
	assert_int_equal(sl_controller_load(c, "change", false), SL_EINVAL);
	assert_int_equal(stats(c).generation, 1);
	assert_int_equal(work_all(c), 0);
	assert_true(sl_metrics_value(sl_controller_metrics(c),
	                    "schemalink_manifest_load_errors_total", NULL) == 1);
	assert_true(sl_metrics_value(
	                    sl_controller_metrics(c), "schemalink_manifest_loads_total", v) == 1);
	assert_int_equal(sl_controller_readyz(c, &body), 503);
	assert_non_null(strstr(body.data, "ManifestsInvalid"));
	assert_non_null(strstr(body.data, "b.yaml"));
	/* A resync still works from the last good snapshot. */
	sl_controller_resync(c);
	assert_int_equal(work_all(c), 3);
	assert_true(fk.last_snap_had_key);
	assert_int_equal(fk.objects_seen, 3);

	/* Logged once: the rescan finds the same content and does nothing; a forced reload of
	 * the same broken content is not logged again either. */
	assert_int_equal(count_in_log("failed, keeping the last good snapshot"), 1);
	assert_int_equal(sl_controller_load(c, "rescan", false), 0);
	assert_int_equal(sl_controller_load(c, "SIGHUP", true), SL_EINVAL);
	assert_int_equal(count_in_log("failed, keeping the last good snapshot"), 1);

	/* Fixed: generation 2, ready once registries answered. */
	write_file("b.yaml", LINK(":.:*"));
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	assert_int_equal(stats(c).generation, 2);
	/* Only the new link is queued: the registries did not change. */
	assert_int_equal(work_all(c), 1);
	sl_buf_reset(&body);
	assert_int_equal(sl_controller_readyz(c, &body), 200);
	sl_buf_release(&body);
	sl_controller_free(c);
}

static void test_debounce_burst_of_writes(void **state)
{
	struct sl_controller *c;
	int i, reloads;

	(void)state;
	write_file("a.yaml", REGS);
	c = make(0, true, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	/* 1000 writes within one second, 1 ms apart on the fake clock. */
	for (i = 0; i < 1000; i++) {
		write_file("b.yaml", "# write %d\n" LINK("*"), i);
		sl_controller_poll(c, 0);
		sl_clock_fake_advance(&fclock, 1);
	}
	for (i = 0; i < 30; i++) {
		sl_clock_fake_advance(&fclock, 100);
		sl_controller_poll(c, 0);
	}
	reloads = (int)(stats(c).loads_ok + stats(c).loads_failed) - 1;
	assert_true(reloads >= 1);
	assert_true(reloads <= 2);
	assert_int_equal(stats(c).loads_failed, 0);
	/* The last reload saw the last write. */
	assert_int_equal(work_all(c), 3);
	assert_int_equal(fk.objects_seen, 3);
	sl_controller_free(c);
}

static void test_watch_sees_new_and_removed_files(void **state)
{
	struct sl_controller *c;
	char path[256];
	int i;

	(void)state;
	write_file("a.yaml", REGS);
	c = make(0, true, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	/* Atomic save into a sub-directory. */
	snprintf(path, sizeof(path), "%s/sub", mdir);
	assert_int_equal(mkdir(path, 0755), 0);
	for (i = 0; i < 5; i++) {
		sl_controller_poll(c, 0);
		sl_clock_fake_advance(&fclock, 50);
	}
	write_file("sub/.l.yaml.tmp", LINK("*"));
	{
		char from[256], to[256];

		snprintf(from, sizeof(from), "%s/sub/.l.yaml.tmp", mdir);
		snprintf(to, sizeof(to), "%s/sub/l.yaml", mdir);
		assert_int_equal(rename(from, to), 0);
	}
	for (i = 0; i < 5; i++) {
		sl_controller_poll(c, 0);
		sl_clock_fake_advance(&fclock, 50);
	}
	assert_int_equal(stats(c).generation, 2);
	assert_int_equal(work_all(c), 1); /* the new link only */
	/* Removed: the link's key is queued once more (for prune) and its status dropped. */
	snprintf(path, sizeof(path), "%s/sub/l.yaml", mdir);
	assert_int_equal(unlink(path), 0);
	for (i = 0; i < 5; i++) {
		sl_controller_poll(c, 0);
		sl_clock_fake_advance(&fclock, 50);
	}
	assert_int_equal(stats(c).generation, 3);
	fk.calls = 0;
	assert_int_equal(work_all(c), 1); /* the registries did not change */
	assert_string_equal(fk.order[0], "SchemaLink/l1");
	assert_false(fk.last_snap_had_key);
	{
		struct sl_object_status st;

		assert_int_equal(
		        sl_statusboard_get(sl_controller_statusboard(c), "SchemaLink/l1", &st),
		        SL_ENOENT);
	}
	sl_controller_free(c);
}

static void test_stalled_is_not_retried(void **state)
{
	struct sl_controller *c;

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK("*"));
	snprintf(fk.special_key, sizeof(fk.special_key), "SchemaLink/l1");
	fk.special = SL_RESULT_STALLED;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 3);
	assert_int_equal(sl_queue_next_due_ms(sl_controller_queue(c)), -1);
	sl_clock_fake_advance(&fclock, 3600 * 1000);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 0);
	assert_int_equal(sl_queue_failures(sl_controller_queue(c), "SchemaLink/l1"), 0);
	/* A new spec brings it back once. */
	write_file("b.yaml", LINK(":.:*"));
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	fk.calls = 0;
	assert_int_equal(work_all(c), 1);
	assert_string_equal(fk.order[0], "SchemaLink/l1");
	assert_int_equal(work_all(c), 0);
	{
		const char *v[] = {"schemalink", "stalled"};

		assert_true(sl_metrics_value(sl_controller_metrics(c),
		                    "controller_runtime_reconcile_total", v) == 2);
	}
	sl_controller_free(c);
}

static void test_retry_backs_off_then_forgets(void **state)
{
	struct sl_controller *c;
	struct sl_queue *q;
	int64_t d;
	const char *v[] = {"registry"};

	(void)state;
	write_file("a.yaml", REGS);
	snprintf(fk.special_key, sizeof(fk.special_key), "Registry/target");
	fk.special = SL_RESULT_RETRY;
	c = make(0, false, &fclock, NULL);
	q = sl_controller_queue(c);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	/* 5 ms x 2^n with +-20 % jitter. */
	d = sl_queue_next_due_ms(q);
	assert_true(d >= 4 && d <= 6);
	assert_int_equal(work_all(c), 0);
	sl_clock_fake_advance(&fclock, 6);
	assert_int_equal(work_all(c), 1);
	d = sl_queue_next_due_ms(q);
	assert_true(d >= 8 && d <= 12);
	sl_clock_fake_advance(&fclock, 12);
	assert_int_equal(work_all(c), 1);
	d = sl_queue_next_due_ms(q);
	assert_true(d >= 16 && d <= 24);
	assert_int_equal(sl_queue_failures(q, "Registry/target"), 3);
	assert_true(sl_metrics_value(sl_controller_metrics(c),
	                    "controller_runtime_reconcile_errors_total", v) == 3);
	/* Success resets the backoff. */
	fk.special = SL_RESULT_DONE;
	sl_clock_fake_advance(&fclock, 24);
	assert_int_equal(work_all(c), 1);
	assert_int_equal(sl_queue_failures(q, "Registry/target"), 0);
	assert_int_equal(sl_queue_next_due_ms(q), -1);
	sl_controller_free(c);
}

/* docs/internals/operations.md: a repeating error is logged once per minute with a count (fake clock). */
static void test_repeating_error_logged_once_per_minute(void **state)
{
	struct sl_controller *c;
	int i;

	(void)state;
	write_file("a.yaml", REGS);
	snprintf(fk.special_key, sizeof(fk.special_key), "Registry/target");
	fk.special = SL_RESULT_RETRY;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	/* The first failure is logged once, by its transition (Ready -> False). */
	assert_int_equal(count_in_log("Ready Unknown -> False: m object=Registry/target"), 1);
	/* 39 retries, one every 1.5 s (a resync adds the key at once): none logged. */
	for (i = 0; i < 39; i++) {
		sl_clock_fake_advance(&fclock, 1500);
		sl_controller_resync(c);
		work_all(c);
	}
	assert_int_equal(count_in_log("still failing"), 0);
	/* The next one, 60 s after the first, is logged with the count of those it stands for. */
	sl_clock_fake_advance(&fclock, 1500);
	sl_controller_resync(c);
	work_all(c);
	assert_int_equal(count_in_log("still failing: m (repeated 39 times in the last minute) "
	                              "object=Registry/target reason=Broken attempt=41"),
	        1);
	/* Another minute: logged again, once. */
	for (i = 0; i < 39; i++) {
		sl_clock_fake_advance(&fclock, 1500);
		sl_controller_resync(c);
		work_all(c);
	}
	assert_int_equal(count_in_log("still failing"), 1);
	sl_clock_fake_advance(&fclock, 1500);
	sl_controller_resync(c);
	work_all(c);
	assert_int_equal(count_in_log("still failing"), 2);
	assert_int_equal(count_in_log("(repeated 39 times in the last minute)"), 2);
	/* A success forgets it; the next failure is news again (its transition logs it). */
	fk.special = SL_RESULT_DONE;
	sl_clock_fake_advance(&fclock, 1500);
	sl_controller_resync(c);
	work_all(c);
	fk.special = SL_RESULT_RETRY;
	sl_clock_fake_advance(&fclock, 1500);
	sl_controller_resync(c);
	work_all(c);
	assert_int_equal(count_in_log("Ready True -> False: m object=Registry/target"), 1);
	sl_clock_fake_advance(&fclock, 1500);
	sl_controller_resync(c);
	work_all(c);
	assert_int_equal(count_in_log("still failing"), 2);
	/* The other key, which succeeds, never logs an error. */
	assert_int_equal(count_in_log("object=Registry/source reason=Broken"), 0);
	sl_controller_free(c);
}

/* A reload queues what changed: one edited link among unchanged objects is queued alone
 * (not behind every other key); a Registry change, a new Registry or a forced reload (SIGHUP)
 * queue everything; a removed key is queued for prune. */
static void test_reload_queues_what_changed(void **state)
{
	struct sl_controller *c;

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK(":.:*"));
	write_file("c.yaml",
	        "apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l2}\n"
	        "spec: {source: target, destination: source, subjects: [':.:*']}\n");
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 4);
	/* Edit l1 only. */
	write_file("b.yaml", LINK("s1"));
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	fk.calls = 0;
	assert_int_equal(work_all(c), 1);
	assert_string_equal(fk.order[0], "SchemaLink/l1");
	/* The same content again: nothing. */
	assert_int_equal(sl_controller_load(c, "rescan", false), 0);
	assert_int_equal(work_all(c), 0);
	/* A Registry's spec changes: every object is queued. */
	write_file("a.yaml", REGS "  # no-op comment\n");
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	assert_int_equal(work_all(c), 0); /* a comment does not change a spec hash */
	write_file("a.yaml",
	        "apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\n"
	        "spec: {url: 'http://127.0.0.1:3'}\n---\n"
	        "apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target}\n"
	        "spec: {url: 'http://127.0.0.1:2'}\n");
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	assert_int_equal(work_all(c), 4);
	/* SIGHUP: a forced reload queues everything. */
	assert_int_equal(sl_controller_load(c, "SIGHUP", true), 1);
	assert_int_equal(work_all(c), 4);
	/* l2 removed: only its key, for prune. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/c.yaml", mdir);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(sl_controller_load(c, "change", false), 1);
	fk.calls = 0;
	assert_int_equal(work_all(c), 1);
	assert_string_equal(fk.order[0], "SchemaLink/l2");
	sl_controller_free(c);
}

static void count_begin(void *cls, const struct sl_snapshot *snap)
{
	(void)cls;
	(void)snap;
	assert_int_equal(passes_begun, passes_ended); /* never nested */
	passes_begun++;
}

static void count_end(void *cls)
{
	(void)cls;
	passes_ended++;
}

/* Two registries and a link, and a config that counts passes (no workers, no watch). */
static void pass_setup(struct sl_controller_config *cfg)
{
	passes_begun = passes_ended = 0;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK(":.:*"));
	memset(cfg, 0, sizeof(*cfg));
	cfg->manifests = mdir;
	cfg->reconcile = fake_reconcile;
	cfg->reconcile_cls = &fk;
	cfg->pass_begin = count_begin;
	cfg->pass_end = count_end;
}

static atomic_int job_calls;

/* A periodic job: names the link, as the fast check names one that drifted. */
static int job_names_link(void *cls, const struct sl_snapshot *snap, struct sl_vec *keys)
{
	char *k = strdup("SchemaLink/l1");

	assert_ptr_equal(cls, &fk);
	assert_non_null(snap);
	atomic_fetch_add(&job_calls, 1);
	return k != NULL && sl_vec_push(keys, k) == 0 ? 0 : SL_ENOMEM;
}

/* A periodic job runs every_ms after its previous run ended, in a worker (queued as @name),
 * and the keys it names are reconciled at once; it counts in schemalink_job_runs_total. */
static void test_periodic_job(void **state)
{
	struct sl_controller_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller *c;
	const char *lv[] = {"probe"};
	int calls;

	(void)state;
	write_file("a.yaml", REGS "---\n" LINK("a"));
	memset(&cfg, 0, sizeof(cfg));
	cfg.manifests = mdir;
	cfg.clock = &fclock;
	cfg.reconcile = fake_reconcile;
	cfg.reconcile_cls = &fk;
	cfg.jobs[0] = (struct sl_controller_job){"probe", 5000, job_names_link, false};
	atomic_store(&job_calls, 0);
	c = sl_controller_new(&cfg, &err);
	assert_non_null(c);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 3);
	calls = fk.calls;
	sl_clock_fake_advance(&fclock, 4999);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 0);
	sl_clock_fake_advance(&fclock, 1);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 2); /* the job, then the key it named */
	assert_int_equal(atomic_load(&job_calls), 1);
	assert_int_equal(fk.calls, calls + 1);
	assert_string_equal(fk.order[calls], "SchemaLink/l1");
	/* Due again every_ms after that run ended, not before. */
	sl_clock_fake_advance(&fclock, 4999);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 0);
	sl_clock_fake_advance(&fclock, 1);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 2);
	assert_int_equal(atomic_load(&job_calls), 2);
	assert_int_equal(
	        sl_metrics_value(sl_controller_metrics(c), "schemalink_job_runs_total", lv), 2);
	assert_int_equal(
	        sl_metrics_value(sl_controller_metrics(c), "schemalink_job_flagged_total", lv), 2);
	/* --once runs no job. */
	assert_int_equal(sl_controller_once(c), 0);
	assert_int_equal(atomic_load(&job_calls), 2);
	sl_controller_free(c);
}

/* A job marked skip_in_pass does not run while a resync pass reads the same: its round is
 * counted in schemalink_job_skipped_total and it is due every_ms later, when it runs. */
static void test_job_skipped_during_pass(void **state)
{
	struct sl_controller_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller *c;
	const char *lv[] = {"probe"};

	(void)state;
	pass_setup(&cfg);
	cfg.clock = &fclock;
	cfg.jobs[0] = (struct sl_controller_job){"probe", 5000, job_names_link, true};
	atomic_store(&job_calls, 0);
	c = sl_controller_new(&cfg, &err);
	assert_non_null(c);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 3);
	sl_controller_resync(c);
	assert_int_equal(sl_controller_work(c, 0), 1);
	assert_int_equal(passes_begun, 1);
	sl_clock_fake_advance(&fclock, 5000);
	sl_controller_poll(c, 0);
	/* The pass's two other keys, then the job, still inside the pass. */
	assert_int_equal(work_all(c), 3);
	assert_int_equal(passes_ended, 1);
	assert_int_equal(atomic_load(&job_calls), 0);
	assert_int_equal(
	        sl_metrics_value(sl_controller_metrics(c), "schemalink_job_skipped_total", lv), 1);
	assert_int_equal(
	        sl_metrics_value(sl_controller_metrics(c), "schemalink_job_runs_total", lv), 0);
	/* Outside a pass it runs, every_ms after the skipped round. */
	sl_clock_fake_advance(&fclock, 4999);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 0);
	sl_clock_fake_advance(&fclock, 1);
	sl_controller_poll(c, 0);
	assert_int_equal(work_all(c), 2);
	assert_int_equal(atomic_load(&job_calls), 1);
	sl_controller_free(c);
}

/* A resync runs as one pass: begun before its first key, ended once the queue is idle. */
static void test_resync_is_one_pass(void **state)
{
	struct sl_controller_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller *c;

	(void)state;
	pass_setup(&cfg);
	cfg.clock = &fclock;
	c = sl_controller_new(&cfg, &err);
	assert_non_null(c);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	/* Keys queued by a load are not a pass. */
	assert_int_equal(work_all(c), 3);
	assert_int_equal(passes_begun, 0);
	sl_controller_resync(c);
	assert_int_equal(sl_controller_work(c, 0), 1);
	assert_int_equal(passes_begun, 1);
	assert_int_equal(passes_ended, 0); /* two keys still ready */
	assert_int_equal(work_all(c), 2);
	assert_int_equal(passes_ended, 1);
	/* Two resyncs before any work: still one pass. */
	sl_controller_resync(c);
	sl_controller_resync(c);
	assert_int_equal(work_all(c), 3);
	assert_int_equal(passes_begun, 2);
	assert_int_equal(passes_ended, 2);
	/* --once is one pass. */
	assert_int_equal(sl_controller_once(c), 0);
	assert_int_equal(passes_begun, 3);
	assert_int_equal(passes_ended, 3);
	sl_controller_free(c);
}

/* schemalink_exporter_state: one series at 1 for the state last seen, the others 0; an
 * unchanged state only moves the offset. */
static void test_exporter_state_metrics(void **state)
{
	struct sl_controller *c;
	struct sl_metrics *m;
	const char *running[] = {"l1", "RUNNING"}, *paused[] = {"l1", "PAUSED"};
	const char *odd[] = {"l1", "WEIRD"}, *link[] = {"l1"};

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK(":.:*"));
	c = make(0, false, &fclock, NULL);
	m = sl_controller_metrics(c);
	snprintf(fk.exporter_state, sizeof(fk.exporter_state), "RUNNING");
	fk.exporter_offset = 3;
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	work_all(c);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", running) == 1);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", paused) == 0);
	assert_true(sl_metrics_value(m, "schemalink_exporter_offset", link) == 3);
	/* Same state, new offset. */
	fk.exporter_offset = 7;
	sl_controller_resync(c);
	work_all(c);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", running) == 1);
	assert_true(sl_metrics_value(m, "schemalink_exporter_offset", link) == 7);
	/* PAUSED: the series swap. */
	snprintf(fk.exporter_state, sizeof(fk.exporter_state), "PAUSED");
	sl_controller_resync(c);
	work_all(c);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", running) == 0);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", paused) == 1);
	/* An unknown state gets its own series, which goes away with the next known one. */
	snprintf(fk.exporter_state, sizeof(fk.exporter_state), "WEIRD");
	sl_controller_resync(c);
	work_all(c);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", odd) == 1);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", paused) == 0);
	snprintf(fk.exporter_state, sizeof(fk.exporter_state), "RUNNING");
	sl_controller_resync(c);
	work_all(c);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", odd) == 0);
	assert_true(sl_metrics_value(m, "schemalink_exporter_state", running) == 1);
	{
		struct sl_buf out = SL_BUF_INIT;

		assert_int_equal(sl_metrics_render(m, &out), 0);
		assert_null(strstr(out.data, "WEIRD"));
		sl_buf_release(&out);
	}
	sl_controller_free(c);
}

static void test_requeue_after(void **state)
{
	struct sl_controller *c;
	int64_t d;

	(void)state;
	write_file("a.yaml", REGS);
	fk.result = SL_RESULT_REQUEUE_AFTER;
	fk.requeue_ms = 1000;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	d = sl_queue_next_due_ms(sl_controller_queue(c));
	assert_int_equal(d, 1000);
	sl_clock_fake_advance(&fclock, 999);
	assert_int_equal(work_all(c), 0);
	sl_clock_fake_advance(&fclock, 1);
	assert_int_equal(work_all(c), 2);
	sl_controller_free(c);
}

static void test_readyz_follows_registry_answers(void **state)
{
	struct sl_controller *c;
	struct sl_buf body = SL_BUF_INIT;

	(void)state;
	write_file("a.yaml", REGS);
	snprintf(fk.special_key, sizeof(fk.special_key), "Registry/target");
	fk.special = SL_RESULT_RETRY;
	fk.special_unreachable = true;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_readyz(c, &body), 503);
	assert_non_null(strstr(body.data, "ManifestsNotLoaded"));
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	sl_buf_reset(&body);
	assert_int_equal(sl_controller_readyz(c, &body), 503);
	assert_non_null(strstr(body.data, "\"reason\":\"RegistryUnreachable\""));
	assert_non_null(strstr(body.data, "target"));
	assert_null(strstr(body.data, "\\\"source\\\""));
	fk.special = SL_RESULT_DONE;
	fk.special_unreachable = false;
	sl_clock_fake_advance(&fclock, 10);
	assert_int_equal(work_all(c), 1);
	sl_buf_reset(&body);
	assert_int_equal(sl_controller_readyz(c, &body), 200);
	/* Not heard from within the last resync (60 s + slack): not ready. */
	sl_clock_fake_advance(&fclock, 71 * 1000);
	sl_buf_reset(&body);
	assert_int_equal(sl_controller_readyz(c, &body), 503);
	assert_non_null(strstr(body.data, "RegistryNotAnswered"));
	sl_buf_release(&body);
	sl_controller_free(c);
}

static void test_status_persisted_and_transition_time_kept(void **state)
{
	struct sl_controller *c;
	struct sl_object_status st;
	int64_t t1;
	FILE *f;
	char buf[8192];
	size_t n;
	int i;

	(void)state;
	write_file("a.yaml", REGS);
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	assert_int_equal(work_all(c), 2);
	assert_int_equal(
	        sl_statusboard_get(sl_controller_statusboard(c), "Registry/source", &st), 0);
	t1 = st.cond[SL_COND_READY].last_transition_ms;
	/* Written by the flush timer, within a second. */
	for (i = 0; i < 4; i++) {
		sl_controller_poll(c, 0);
		sl_clock_fake_advance(&fclock, 400);
	}
	f = fopen(status_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\"lastTransitionTime\": \"2027-"));
	assert_non_null(strstr(buf, "\"kind\": \"Registry\""));
	/* Same status later: lastTransitionTime stays. */
	sl_clock_fake_advance(&fclock, 5000);
	sl_controller_resync(c);
	assert_int_equal(work_all(c), 2);
	assert_int_equal(
	        sl_statusboard_get(sl_controller_statusboard(c), "Registry/source", &st), 0);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, t1);
	assert_int_equal(count_in_log("Ready Unknown -> True"), 2);
	/* Status changes: it moves, and one line is logged for the transition. */
	snprintf(fk.special_key, sizeof(fk.special_key), "Registry/source");
	fk.special = SL_RESULT_STALLED;
	sl_controller_resync(c);
	assert_int_equal(work_all(c), 2);
	assert_int_equal(
	        sl_statusboard_get(sl_controller_statusboard(c), "Registry/source", &st), 0);
	assert_true(st.cond[SL_COND_READY].last_transition_ms > t1);
	assert_int_equal(count_in_log("Ready True -> False"), 1);
	sl_controller_free(c);

	/* A restart reads the saved status back. */
	c = make(0, false, &fclock, NULL);
	assert_int_equal(
	        sl_statusboard_get(sl_controller_statusboard(c), "Registry/target", &st), 0);
	assert_int_equal(st.cond[SL_COND_READY].status, SL_COND_TRUE);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, t1);
	sl_controller_free(c);
}

static void test_sighup_reloads(void **state)
{
	struct sl_controller *c;
	int i;

	(void)state;
	write_file("a.yaml", REGS);
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	kill(getpid(), SIGHUP);
	for (i = 0; i < 50 && stats(c).loads_ok < 2; i++)
		sl_controller_poll(c, 20);
	assert_int_equal(stats(c).loads_ok, 2);
	assert_int_equal(stats(c).generation, 2);
	sl_controller_free(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_sigterm_drains_within_10s(void **state)
{
	struct sl_controller *c;
	int64_t t0;

	(void)state;
	write_file("a.yaml", REGS);
	fk.sleep_until_cancel = 1;
	fk.term_on_entry = true;
	c = make(1, true, NULL, NULL);
	t0 = now_ms();
	assert_int_equal(sl_controller_run(c), 0);
	assert_true(now_ms() - t0 < 10000);
	assert_true(atomic_load(&fk.saw_cancel));
	assert_int_equal(sl_controller_abandoned(c), 0);
	sl_controller_free(c);
}

/* SIGTERM in the middle of a resync pass: the in-flight reconcile is cancelled and the pass
 * still ends, so what the engine deferred to the pass's end (the inventory save) happens. */
static void test_sigterm_ends_the_pass(void **state)
{
	struct sl_controller_config cfg;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller *c;

	(void)state;
	pass_setup(&cfg);
	fk.term_in_pass = true;
	cfg.status_path = status_path;
	cfg.workers = 1;
	cfg.watch = true;
	cfg.resync_ms = 300; /* longer than the cancelled reconcile: the pass is not over by time */
	cfg.drain_grace_ms = 10;
	c = sl_controller_new(&cfg, &err);
	assert_non_null(c);
	fk.ctl = c;
	assert_int_equal(sl_controller_run(c), 0);
	assert_true(atomic_load(&fk.saw_cancel));
	assert_int_equal(sl_controller_abandoned(c), 0);
	assert_int_equal(passes_begun, 1);
	assert_int_equal(passes_ended, 1);
	sl_controller_free(c);
}

static void test_livez_answers_while_reconcile_stalls(void **state)
{
	struct sl_controller *c;
	struct sockaddr_in sa;
	char buf[512];
	int64_t t0, took;
	ssize_t n;
	int fd, i;

	(void)state;
	write_file("a.yaml", REGS);
	fk.sleep_until_cancel = 1;
	c = make(2, true, NULL, "127.0.0.1:0");
	assert_int_equal(sl_controller_load(c, "start", true), 1);
	for (i = 0; i < 200 && !atomic_load(&fk.entered); i++)
		usleep(10000);
	assert_true(atomic_load(&fk.entered));
	t0 = now_ms();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)sl_controller_port(c));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(write(fd, "GET /livez HTTP/1.0\r\n\r\n", 23) == 23);
	n = read(fd, buf, sizeof(buf) - 1);
	took = now_ms() - t0;
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, " 200 "));
	assert_true(took < 100);
	sl_controller_free(c); /* cancels the stalled reconciles */
	assert_true(atomic_load(&fk.saw_cancel));
}

static void test_once_exit_codes(void **state)
{
	struct sl_controller *c;

	(void)state;
	write_file("a.yaml", REGS);
	write_file("b.yaml", LINK("*"));
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_once(c), 0);
	assert_string_equal(fk.order[2], "SchemaLink/l1");
	sl_controller_free(c);

	snprintf(fk.special_key, sizeof(fk.special_key), "SchemaLink/l1");
	fk.special = SL_RESULT_STALLED;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_once(c), 1);
	sl_controller_free(c);

	snprintf(fk.special_key, sizeof(fk.special_key), "Registry/target");
	fk.special = SL_RESULT_RETRY;
	fk.special_unreachable = true;
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_once(c), 3);
	sl_controller_free(c);

	write_file("b.yaml", "kind: [\n");
	c = make(0, false, &fclock, NULL);
	assert_int_equal(sl_controller_once(c), 2);
	sl_controller_free(c);
}

static void test_tree_hash(void **state)
{
	uint64_t h0, h1;

	(void)state;
	write_file("a.yaml", REGS);
	h0 = sl_manifest_tree_hash(mdir);
	write_file(".hidden.yaml", "x");
	write_file("a.yaml.swp", "x");
	write_file("notes.txt", "x");
	assert_true(sl_manifest_tree_hash(mdir) == h0);
	write_file("a.yaml", REGS "\n");
	h1 = sl_manifest_tree_hash(mdir);
	assert_true(h1 != h0);
	assert_true(sl_manifest_tree_hash("/nonexistent/sl") != h1);
}

static void test_statusboard_merge(void **state)
{
	struct sl_statusboard *b = sl_statusboard_new();
	struct sl_object_status st, got;
	struct sl_status_change chg;
	struct sl_buf out = SL_BUF_INIT;

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.key, sizeof(st.key), "SchemaLink/x");
	sl_status_set_condition(&st, SL_COND_READY, SL_COND_TRUE, "Ok", "fine", 0, "g1", 1000);
	st.updated_ms = 1000;
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	assert_true(chg.changed && chg.is_new);
	/* The engine stamps a fresh pass with its own time; the board keeps the first. */
	memset(&st.cond[SL_COND_READY], 0, sizeof(st.cond[0]));
	sl_status_set_condition(&st, SL_COND_READY, SL_COND_TRUE, "Ok", "fine", 0, "g1", 5000);
	st.updated_ms = 5000;
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	assert_false(chg.changed);
	assert_int_equal(chg.n, 0);
	assert_int_equal(sl_statusboard_get(b, "SchemaLink/x", &got), 0);
	assert_int_equal(got.cond[SL_COND_READY].last_transition_ms, 1000);
	/* History accumulates without duplicates. */
	sl_status_add_history(&st, 6000, "ImportModeRequired", "set IMPORT; resumed");
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	assert_true(chg.changed);
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	assert_false(chg.changed);
	assert_int_equal(sl_statusboard_get(b, "SchemaLink/x", &got), 0);
	assert_int_equal(got.n_history, 1);
	/* Secrets in a message are redacted on the way out. */
	sl_status_set_condition(&st, SL_COND_READY, SL_COND_FALSE, "Bad",
	        "connect http://alice:s3cret@host failed password=hunter2", 40101, "g1", 7000);
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	assert_int_equal(chg.n, 1);
	assert_int_equal(sl_statusboard_json(b, "SchemaLink/x", &out), 0);
	assert_null(strstr(out.data, "s3cret"));
	assert_null(strstr(out.data, "hunter2"));
	assert_non_null(strstr(out.data, "\"errorCode\": 40101"));
	assert_non_null(strstr(out.data, "\"lastTransitionTime\": \"1970-01-01T00:00:07.000Z\""));
	/* Bytes that are not UTF-8 (which jansson refuses) come out as U+FFFD, the rest as it
	 * was, still redacted, and the document is still served. */
	snprintf(st.cond[SL_COND_READY].message, sizeof(st.cond[0].message),
	        "bad \xff byte password=hunter2");
	assert_int_equal(sl_statusboard_update(b, &st, &chg), 0);
	sl_buf_reset(&out);
	assert_int_equal(sl_statusboard_json(b, "SchemaLink/x", &out), 0);
	assert_null(strstr(out.data, "hunter2"));
	assert_non_null(strstr(out.data, "bad \\ufffd byte password=[redacted]"));
	assert_int_equal(sl_statusboard_json(b, "SchemaLink/nope", &out), SL_ENOENT);
	sl_buf_release(&out);
	sl_statusboard_free(b);
}

/* status.json is streamed entry by entry: the bytes json_dumps gives for the whole board (what
 * the save wrote when it built one tree), the same as GET /status, and read back exactly. */
static void test_statusboard_save_streams_whole_board(void **state)
{
	struct sl_statusboard *b = sl_statusboard_new(), *back = sl_statusboard_new();
	struct sl_object_status st, a, z;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf file = SL_BUF_INIT, all = SL_BUF_INIT;
	struct sl_vec keys = SL_VEC_INIT;
	json_error_t je;
	json_t *root;
	char *again, key[64];
	struct stat sb;
	size_t i;
	int n;

	(void)state;
	assert_non_null(b);
	assert_non_null(back);
	/* Empty: still a document. */
	assert_int_equal(sl_statusboard_json(b, NULL, &all), 0);
	assert_string_equal(all.data, "{\n  \"objects\": []\n}\n");
	sl_buf_reset(&all);
	for (n = 0; n < 60; n++) {
		snprintf(key, sizeof(key), "%s/obj-%02d", n % 3 ? "SchemaLink" : "Subject",
		        (n * 7) % 60);
		if (n % 4 == 0) {
			assert_int_equal(sl_statusboard_seed(b, key, "g0", 1800000000000 + n), 1);
			continue;
		}
		memset(&st, 0, sizeof(st));
		snprintf(st.key, sizeof(st.key), "%s", key);
		sl_status_set_condition(&st, SL_COND_READY, n % 2 ? SL_COND_TRUE : SL_COND_FALSE,
		        "Running", "exporter \"x\" is running \xe2\x9c\x93", n % 2 ? 0 : 42205,
		        "0123abcd", 1800000000000 + n);
		sl_status_set_condition(&st, SL_COND_RECONCILING, SL_COND_FALSE, "", "", 0,
		        "0123abcd", 1800000000000 + n);
		sl_status_set_condition(&st, SL_COND_STALLED, SL_COND_UNKNOWN, "Pending",
		        "line one\nline two", 0, "other", 1800000000000 + n);
		if (n % 5 == 0)
			snprintf(st.fix, sizeof(st.fix), "set spec.subjects");
		if (n % 3) {
			snprintf(st.exporter_state, sizeof(st.exporter_state), "RUNNING");
			st.exporter_offset = n;
			st.exporter_ts = 1800000000000 + n;
			snprintf(st.trace_first_line, sizeof(st.trace_first_line),
			        "at x.y(Z.java:%d)", n);
		}
		for (i = 0; i < (size_t)(n % 5); i++)
			sl_status_add_history(&st, 1800000001000 + (int64_t)i, "ExporterRecreated",
			        "created\tagain");
		st.updated_ms = 1800000002000 + n;
		assert_int_equal(sl_statusboard_update(b, &st, NULL), 0);
	}
	assert_true(sl_statusboard_remove(b, "SchemaLink/obj-07"));
	assert_int_equal(sl_statusboard_save(b, status_path, &err), 1);
	assert_int_equal(sl_statusboard_save(b, status_path, &err), 0); /* clean: not rewritten */
	assert_int_equal(stat(status_path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sl_file_read(status_path, 1 << 24, &file, NULL), 0);
	root = json_loadb(file.data, file.len, 0, &je);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "objects")), 59);
	again = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(again);
	assert_int_equal(file.len, strlen(again) + 1);
	assert_memory_equal(file.data, again, strlen(again));
	assert_int_equal(file.data[file.len - 1], '\n');
	free(again);
	json_decref(root);
	assert_int_equal(sl_statusboard_json(b, NULL, &all), 0);
	assert_string_equal(all.data, file.data);
	/* Read back: every entry as it was. */
	assert_int_equal(sl_statusboard_load(back, status_path, &err), 59);
	assert_int_equal(sl_statusboard_keys(b, &keys), 0);
	assert_int_equal(keys.len, 59);
	for (i = 0; i < keys.len; i++) {
		assert_int_equal(sl_statusboard_get(b, keys.items[i], &a), 0);
		assert_int_equal(sl_statusboard_get(back, keys.items[i], &z), 0);
		assert_same_status(&a, &z);
	}
	sl_buf_reset(&all);
	assert_int_equal(sl_statusboard_json(back, NULL, &all), 0);
	assert_string_equal(all.data, file.data);
	sl_vec_release(&keys, free);
	sl_buf_release(&file);
	sl_buf_release(&all);
	sl_statusboard_free(b);
	sl_statusboard_free(back);
}

/* ---- GET /status: pages, filters, query parameters ---------------------------------------- */

/* One status for key: Ready with ready/reason; reason also on Stalled when not ready; an
 * InSync condition when insync is set. */
static void put_status(struct sl_statusboard *b, const char *key, enum sl_cond_status ready,
        const char *reason, const char *insync)
{
	struct sl_object_status st;

	memset(&st, 0, sizeof(st));
	snprintf(st.key, sizeof(st.key), "%s", key);
	sl_status_set_condition(&st, SL_COND_READY, ready, reason, "msg", 0, "g", 1000);
	sl_status_set_condition(&st, SL_COND_STALLED,
	        ready == SL_COND_TRUE ? SL_COND_FALSE : SL_COND_TRUE, reason, "", 0, "g", 1000);
	if (insync != NULL)
		sl_status_set_condition(
		        &st, SL_COND_IN_SYNC, SL_COND_FALSE, insync, "2 missing", 0, "g", 1000);
	st.updated_ms = 2000;
	assert_int_equal(sl_statusboard_update(b, &st, NULL), 0);
}

/* Follows every page of f with limit, appending "Kind/name" of each object to keys (owned)
 * and checking the counts each page carries. Returns the number of pages. */
static int walk_pages(struct sl_statusboard *b, const struct sl_status_filter *f, size_t limit,
        size_t want_total, size_t want_matched, struct sl_vec *keys)
{
	char *after = NULL;
	int pages = 0;

	for (;;) {
		struct sl_buf out = SL_BUF_INIT;
		json_t *root, *o;
		const char *cont;
		size_t i;

		assert_int_equal(sl_statusboard_page_json(b, f, after, limit, &out), 0);
		root = json_loads(out.data, 0, NULL);
		assert_non_null(root);
		pages++;
		assert_int_equal(json_integer_value(json_object_get(root, "total")), want_total);
		assert_int_equal(
		        json_integer_value(json_object_get(root, "matched")), want_matched);
		assert_int_equal(json_integer_value(json_object_get(root, "limit")), limit);
		assert_true(json_array_size(json_object_get(root, "objects")) <= limit);
		json_array_foreach(json_object_get(root, "objects"), i, o)
		{
			char k[128];

			snprintf(k, sizeof(k), "%s/%s",
			        json_string_value(json_object_get(o, "kind")),
			        json_string_value(json_object_get(o, "name")));
			sl_vec_push(keys, strdup(k));
		}
		free(after);
		after = NULL;
		cont = json_string_value(json_object_get(root, "continue"));
		if (cont != NULL) {
			/* A page with a continuation is full, and it names its last object. */
			assert_int_equal(json_array_size(json_object_get(root, "objects")), limit);
			assert_string_equal(cont, keys->items[keys->len - 1]);
			after = strdup(cont);
		}
		json_decref(root);
		sl_buf_release(&out);
		if (after == NULL)
			return pages;
	}
}

static void test_status_pages_and_filters(void **state)
{
	struct sl_statusboard *b = sl_statusboard_new();
	struct sl_vec keys = SL_VEC_INIT, all = SL_VEC_INIT;
	struct sl_status_filter f;
	struct sl_buf whole = SL_BUF_INIT, out = SL_BUF_INIT;
	json_t *doc, *page;
	char key[64];
	size_t i;
	int n;

	(void)state;
	assert_non_null(b);
	/* 40 SchemaLinks arriving out of order (seeds, then statuses, some replacing a seed),
	 * 3 Registries and a Subject: the kept order follows inserts in the middle. */
	for (n = 0; n < 40; n++) {
		snprintf(key, sizeof(key), "SchemaLink/l%02d", (n * 17) % 40);
		assert_int_equal(sl_statusboard_seed(b, key, "g", 1000), 1);
	}
	for (n = 0; n < 40; n += 2) {
		snprintf(key, sizeof(key), "SchemaLink/l%02d", n);
		put_status(b, key, n % 10 == 0 ? SL_COND_FALSE : SL_COND_TRUE,
		        n % 10 == 0 ? "DestinationReadOnly" : "Running",
		        n == 4 ? "VersionsMissing" : NULL);
	}
	put_status(b, "Registry/r2", SL_COND_TRUE, "Reachable", NULL);
	put_status(b, "Subject/s0", SL_COND_TRUE, "Applied", NULL);
	put_status(b, "Registry/r0", SL_COND_TRUE, "Reachable", NULL);
	put_status(b, "Registry/r1", SL_COND_FALSE, "RegistryUnreachable", NULL);
	assert_true(sl_statusboard_remove(b, "SchemaLink/l39"));
	assert_int_equal(sl_statusboard_len(b), 43);
	assert_int_equal(sl_statusboard_keys(b, &all), 0);
	assert_int_equal(all.len, 43);

	/* No filter, 7 a page: every key once, in key order, over 7 pages. */
	assert_int_equal(walk_pages(b, NULL, 7, 43, 43, &keys), 7);
	assert_int_equal(keys.len, all.len);
	for (i = 0; i < keys.len; i++)
		assert_string_equal(keys.items[i], all.items[i]);
	sl_vec_release(&keys, free);
	/* One page as large as the board: no continuation. */
	assert_int_equal(walk_pages(b, NULL, 43, 43, 43, &keys), 1);
	sl_vec_release(&keys, free);
	/* The pages hold what the whole document holds, object for object. */
	assert_int_equal(sl_statusboard_json(b, NULL, &whole), 0);
	doc = json_loads(whole.data, 0, NULL);
	assert_int_equal(sl_statusboard_page_json(b, NULL, NULL, 43, &out), 0);
	page = json_loads(out.data, 0, NULL);
	assert_true(json_equal(json_object_get(doc, "objects"), json_object_get(page, "objects")));
	json_decref(page);
	json_decref(doc);

	/* notReady: Ready not True, seeds (Unknown, Pending) included: 19 odd seeds + 4 False
	 * links + Registry/r1. */
	f = (struct sl_status_filter){NULL, NULL, true};
	assert_int_equal(walk_pages(b, &f, 5, 43, 24, &keys), 5);
	for (i = 0; i < keys.len; i++) {
		struct sl_object_status st;

		assert_int_equal(sl_statusboard_get(b, keys.items[i], &st), 0);
		assert_true(st.cond[SL_COND_READY].status != SL_COND_TRUE);
	}
	sl_vec_release(&keys, free);
	/* reason, in any case, on any condition: DestinationReadOnly on Ready and Stalled;
	 * VersionsMissing only on InSync. */
	f = (struct sl_status_filter){NULL, "destinationreadonly", false};
	assert_int_equal(walk_pages(b, &f, 500, 43, 4, &keys), 1);
	assert_string_equal(keys.items[0], "SchemaLink/l00");
	assert_string_equal(keys.items[3], "SchemaLink/l30");
	sl_vec_release(&keys, free);
	f = (struct sl_status_filter){NULL, "VersionsMissing", false};
	assert_int_equal(walk_pages(b, &f, 500, 43, 1, &keys), 1);
	assert_string_equal(keys.items[0], "SchemaLink/l04");
	sl_vec_release(&keys, free);
	f = (struct sl_status_filter){NULL, "NoSuchReason", false};
	assert_int_equal(walk_pages(b, &f, 500, 43, 0, &keys), 1);
	assert_int_equal(keys.len, 0);
	/* kind, alone and with notReady. */
	f = (struct sl_status_filter){"Registry", NULL, false};
	assert_int_equal(walk_pages(b, &f, 2, 43, 3, &keys), 2);
	assert_string_equal(keys.items[2], "Registry/r2");
	sl_vec_release(&keys, free);
	f = (struct sl_status_filter){"registry", NULL, true};
	assert_int_equal(walk_pages(b, &f, 2, 43, 1, &keys), 1);
	assert_string_equal(keys.items[0], "Registry/r1");
	sl_vec_release(&keys, free);
	f = (struct sl_status_filter){"Subject", NULL, false};
	assert_int_equal(walk_pages(b, &f, 1, 43, 1, &keys), 1);
	sl_vec_release(&keys, free);

	/* A continuation whose object went away meanwhile still goes on after it. */
	sl_buf_reset(&out);
	assert_true(sl_statusboard_remove(b, "SchemaLink/l10"));
	assert_int_equal(sl_statusboard_page_json(b, NULL, "SchemaLink/l10", 1, &out), 0);
	assert_non_null(strstr(out.data, "\"name\": \"l11\""));
	assert_non_null(strstr(out.data, "\"continue\": \"SchemaLink/l11\""));
	/* An update after the order was made is what the next page shows. */
	put_status(b, "SchemaLink/l11", SL_COND_FALSE, "ReplicationLoop", NULL);
	sl_buf_reset(&out);
	assert_int_equal(sl_statusboard_page_json(b, NULL, "SchemaLink/l10", 1, &out), 0);
	assert_non_null(strstr(out.data, "\"reason\": \"ReplicationLoop\""));
	assert_int_equal(sl_statusboard_page_json(b, NULL, NULL, 0, &out), SL_EINVAL);

	sl_vec_release(&all, free);
	sl_buf_release(&whole);
	sl_buf_release(&out);
	sl_statusboard_free(b);
}

/* Keys that sort into the middle of a large board are not moved one by one: the order is made
 * again, once, for the next page, and is right. */
static void test_status_order_remade_after_bulk_inserts(void **state)
{
	struct sl_statusboard *b = sl_statusboard_new();
	struct sl_vec keys = SL_VEC_INIT;
	char key[64];
	size_t i;
	int n;

	(void)state;
	for (n = 0; n < 4200; n++) {
		snprintf(key, sizeof(key), "SchemaLink/z-%04d", n);
		assert_int_equal(sl_statusboard_seed(b, key, "g", 1), 1);
	}
	/* In front of 4,200: more than a move is worth. Then removed from the front likewise. */
	assert_int_equal(sl_statusboard_seed(b, "Context/a", "g", 1), 1);
	assert_int_equal(sl_statusboard_seed(b, "SchemaLink/a", "g", 1), 1);
	assert_int_equal(sl_statusboard_keys(b, &keys), 0);
	assert_int_equal(keys.len, 4202);
	assert_string_equal(keys.items[0], "Context/a");
	assert_string_equal(keys.items[1], "SchemaLink/a");
	for (i = 1; i < keys.len; i++)
		assert_true(strcmp(keys.items[i - 1], keys.items[i]) < 0);
	sl_vec_release(&keys, free);
	assert_true(sl_statusboard_remove(b, "Context/a"));
	assert_true(sl_statusboard_remove(b, "SchemaLink/z-4199"));
	assert_int_equal(walk_pages(b, NULL, 500, 4200, 4200, &keys), 9);
	assert_string_equal(keys.items[0], "SchemaLink/a");
	assert_string_equal(keys.items[keys.len - 1], "SchemaLink/z-4198");
	for (i = 1; i < keys.len; i++)
		assert_true(strcmp(keys.items[i - 1], keys.items[i]) < 0);
	sl_vec_release(&keys, free);
	sl_statusboard_free(b);
}

static void test_status_query_parameters(void **state)
{
	static const struct {
		const char *name, *value;
		int rc;
		const char *msg; /* in the error message */
	} cases[] = {
	        {"kind", "schemaLINK", 0, NULL},
	        {"kind", "Links", SL_EINVAL, "kind=\"Links\""},
	        {"reason", "ImportModeRequired", 0, NULL},
	        {"reason", "", SL_EINVAL, "reason=\"\""},
	        {"notReady", "true", 0, NULL},
	        {"notReady", "false", 0, NULL},
	        {"notReady", "maybe", SL_EINVAL, "notReady=\"maybe\": must be true or false"},
	        {"notReady", "", SL_EINVAL, "notReady=\"\""},
	        {"limit", "1", 0, NULL},
	        {"limit", "2000", 0, NULL},
	        {"limit", "abc", SL_EINVAL, "limit=\"abc\": must be a whole number from 1 to 2000"},
	        {"limit", "0", SL_EINVAL, "limit=\"0\""},
	        {"limit", "2001", SL_EINVAL, "limit=\"2001\""},
	        {"limit", "-1", SL_EINVAL, "limit=\"-1\""},
	        {"limit", "+5", SL_EINVAL, "limit=\"+5\""},
	        {"limit", "5x", SL_EINVAL, "limit=\"5x\""},
	        {"limit", "", SL_EINVAL, "limit=\"\""},
	        {"limit", "99999999999999999999999", SL_EINVAL, "limit=\"9999"},
	        {"continue", "SchemaLink/l-0499", 0, NULL},
	        {"continue", "l-0499", SL_EINVAL, "continue=\"l-0499\""},
	        {"continue", "", SL_EINVAL, "continue=\"\""},
	        {"notready", "true", SL_ENOENT, "unknown query parameter \"notready\"=\"true\""},
	        {"bad\nname", "v\x01", SL_ENOENT, "\"bad\\x0Aname\"=\"v\\x01\""},
	};
	struct sl_status_query q = SL_STATUS_QUERY_INIT;
	size_t i;

	(void)state;
	assert_int_equal(q.limit, SL_STATUS_PAGE_DEFAULT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_error err = SL_ERROR_INIT;
		int rc = sl_status_query_set(&q, cases[i].name, cases[i].value, &err);

		if (rc != cases[i].rc)
			fail_msg("%s=%s: rc %d, want %d (%s)", cases[i].name, cases[i].value, rc,
			        cases[i].rc, err.msg);
		if (cases[i].msg != NULL && strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("%s=%s: message [%s] lacks [%s]", cases[i].name, cases[i].value,
			        err.msg, cases[i].msg);
	}
	/* What the good ones left: the last of each. */
	assert_string_equal(q.filter.kind, "SchemaLink");
	assert_string_equal(q.filter.reason, "ImportModeRequired");
	assert_false(q.filter.not_ready);
	assert_int_equal(q.limit, 2000);
	assert_string_equal(q.after, "SchemaLink/l-0499");
	for (i = 0; i < SL_STATUS_QUERY_NPARAMS; i++)
		assert_int_not_equal(
		        sl_status_query_set(&q, sl_status_query_names[i], "x", NULL), SL_ENOENT);
	assert_string_equal(sl_status_kind("context"), "Context");
	assert_null(sl_status_kind("Contexts"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_load_enqueues_every_key_in_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_bad_load_keeps_last_good_snapshot, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_debounce_burst_of_writes, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_watch_sees_new_and_removed_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stalled_is_not_retried, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_backs_off_then_forgets, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_requeue_after, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exporter_state_metrics, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resync_is_one_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_periodic_job, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_job_skipped_during_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload_queues_what_changed, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_repeating_error_logged_once_per_minute, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_readyz_follows_registry_answers, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_status_persisted_and_transition_time_kept, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sighup_reloads, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sigterm_drains_within_10s, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sigterm_ends_the_pass, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_livez_answers_while_reconcile_stalls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_once_exit_codes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tree_hash, setup, teardown),
	        cmocka_unit_test(test_statusboard_merge),
	        cmocka_unit_test_setup_teardown(
	                test_statusboard_save_streams_whole_board, setup, teardown),
	        cmocka_unit_test(test_status_pages_and_filters),
	        cmocka_unit_test(test_status_order_remade_after_bulk_inserts),
	        cmocka_unit_test(test_status_query_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
