/*
 * schemalinkd — the schemalink daemon (docs/internals/manifests.md §4): watches a manifest directory,
 * reconciles continuously, heals what it may and reports over HTTP. The loop itself is
 * pkg/controller; this file parses flags, checks the state dir, wires the reconciler and maps
 * outcomes to exit codes.
 *
 * Exit codes: 0 after SIGTERM/SIGINT; 64 bad flags; 73 state dir unusable; with --once
 * like slctl apply (0/1/2/3); 70 on an internal failure.
 *
 * Hidden, TEST-ONLY flag: --test-fake-reconciler MODE[,sleep=DUR] replaces the engine with
 * cmd/schemalinkd/fake.c (done | retry | stalled | unreachable), so e2e tests can exercise the
 * loop, endpoints, signals and watcher without registries. It is never the default and is
 * not listed in --help.
 *
 * Hidden, TEST-ONLY flag: --test-rescan-interval DUR sets the period of the content-hash
 * rescan (docs/internals/operations.md: every 5 minutes), so an e2e test can show that a change the watcher
 * cannot see is picked up without waiting 5 minutes. Not listed in --help; never needed in
 * production.
 */
#include <getopt.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake.h"
#include "schemalink/controller.h"
#include "schemalink/duration.h"
#include "schemalink/engine.h"
#include "schemalink/error.h"
#include "schemalink/fileio.h"
#include "schemalink/inventory.h"
#include "schemalink/log.h"

enum { EXIT_BADFLAGS = 64, EXIT_CANTCREAT = 73, EXIT_SOFTWARE = 70 };
enum {
	OPT_MANIFESTS = 256,
	OPT_STATE_DIR,
	OPT_SET,
	OPT_LISTEN,
	OPT_RESYNC,
	OPT_CHECK_INTERVAL,
	OPT_VERIFY_INTERVAL,
	OPT_PRUNE,
	OPT_ADOPT,
	OPT_ALLOW_PRUNE_ALL,
	OPT_MAX_PRUNE,
	OPT_ONCE,
	OPT_DRY_RUN,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_VERSION,
	OPT_TEST_FAKE,
	OPT_TEST_RESCAN,
};

#define DEFAULT_LISTEN "127.0.0.1:9464"
#define WORKERS 4
#define DEFAULT_CHECK_MS 5000 /* docs/internals/reconcile.md "Fast check" */
#define DEFAULT_VERIFY_MS 300000 /* docs/internals/reconcile.md "Replication verification" */

static const char usage_text[] =
        "Usage: schemalinkd --manifests DIR [FLAGS]\n"
        "\n"
        "Watches DIR, reconciles Schema Linking continuously, heals what it may, and serves\n"
        "/livez, /readyz, /metrics, /status and /status/<kind>/<name>.\n"
        "\n"
        "Flags:\n"
        "      --manifests DIR      manifest directory to watch (required)\n"
        "      --state-dir DIR      inventory and status (default $XDG_STATE_HOME/schemalink,\n"
        "                           else ~/.local/state/schemalink)\n"
        "      --set NAME           the manifest set: what DIR owns in the state dir (default:\n"
        "                           derived from DIR's path, NAME-<8 hex>, as slctl does)\n"
        "      --listen ADDR        HTTP listen address (default 127.0.0.1:9464)\n"
        "      --resync DURATION    periodic full reconcile (default 60s)\n"
        "      --check-interval DURATION\n"
        "                           fast check of exporters and destination modes, so an\n"
        "                           out-of-band pause, delete or mode flip is repaired\n"
        "                           between resyncs (default 5s; 0 turns it off)\n"
        "      --verify-interval DURATION\n"
        "                           compare what each link's source holds with its\n"
        "                           destination (InSync, LAG; default 5m; 0 turns it off)\n"
        "      --prune              delete what this set created and no longer declares\n"
        "      --max-prune N        refuse a prune of more than N objects at once (default:\n"
        "                           half of what the set owns, at least 1)\n"
        "      --allow-prune-all    allow a prune of everything the set owns, or past\n"
        "                           --max-prune\n"
        "      --adopt              take over declared exporters this set did not create\n"
        "      --once               one pass, then exit like 'slctl apply' (0/1/2/3)\n"
        "      --dry-run            plan and report, write nothing\n"
        "      --log-format FORMAT  text (default) or json\n"
        "      --log-level LEVEL    debug, info (default), warn, error\n"
        "  -h, --help               this help\n"
        "      --version            print the version\n"
        "\n"
        "Exit codes: 0 after SIGTERM/SIGINT, 64 bad flags, 73 state dir unusable;\n"
        "with --once: 0 all applied, 1 a failure, 2 manifest errors, 3 a registry unreachable.\n";

static int bad_flag(const char *fmt, const char *arg)
{
	fprintf(stderr, "schemalinkd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'schemalinkd --help' for usage.\n");
	return EXIT_BADFLAGS;
}

/* A set name becomes a directory name: keep it to one plain path component. */
static bool valid_set(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		            c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* docs/internals/manifests.md §3's default: $XDG_STATE_HOME/schemalink, else ~/.local/state/schemalink. */
static int default_state_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return snprintf(out, len, "%s/schemalink", xdg) < (int)len ? 0 : -1;
	if (home != NULL && home[0] != '\0')
		return snprintf(out, len, "%s/.local/state/schemalink", home) < (int)len ? 0 : -1;
	return -1;
}

/* Creates DIR/SET and proves it writable with an atomic write, as the status will be. */
static int check_state_dir(const char *dir, struct sl_error *err)
{
	char probe[PATH_MAX + 128];
	int rc;

	rc = sl_mkdir_p(dir, 0700, err);
	if (rc < 0)
		return rc;
	snprintf(probe, sizeof(probe), "%s/.write-probe", dir);
	rc = sl_file_write_atomic(probe, "probe\n", 6, 0600, err);
	if (rc < 0)
		return rc;
	unlink(probe);
	return 0;
}

struct daemon {
	struct sl_controller *ctl;
	struct fake_reconciler fake;
	struct sl_engine *engine;
	bool prune;
	int64_t check_ms; /* the fast check's interval */
	uint64_t refused_snap; /* the snapshot whose refused prune was logged */
	/* The orphans last computed (loop thread only): used again while the engine is busy,
	 * so the loop never waits on a reconcile's registry I/O. */
	struct sl_vec orphans;
};

static bool daemon_cancelled(void *cls)
{
	struct daemon *d = cls;

	return d->ctl != NULL && sl_controller_cancelled(d->ctl);
}

/* A resync pass: the engine reads ahead in the order enqueue_all queued the keys (pkg/controller/load.c). */
static void engine_pass_begin(void *cls, const struct sl_snapshot *snap)
{
	struct daemon *d = cls;
	struct sl_vec keys = SL_VEC_INIT;

	sl_engine_begin_pass(d->engine);
	if (snap != NULL && sl_engine_pass_order(snap, &keys) == 0)
		(void)sl_engine_pass_keys(d->engine, &keys); /* only a saving */
	sl_vec_release(&keys, free);
}

/* The fast check job: the links whose exporter or destination modes changed out of band. */
static int engine_check(void *cls, const struct sl_snapshot *snap, struct sl_vec *keys)
{
	struct daemon *d = cls;
	struct sl_engine_check_stats st;
	struct sl_error err = SL_ERROR_INIT;
	/* A link a reconcile read within one interval is as fresh as this round would make it. */
	int rc = sl_engine_check(d->engine, snap, d->check_ms, keys, &st, &err);

	sl_log(SL_LOG_DEBUG, NULL,
	        "fast check: %d link%s, %d read%s, %d flagged, %d fresh, %d registr%s failed",
	        st.links, st.links == 1 ? "" : "s", st.reads, st.reads == 1 ? "" : "s", st.flagged,
	        st.fresh, st.failed_registries, st.failed_registries == 1 ? "y" : "ies");
	return rc;
}

/* The verification job: every link's copy compared with its source; the links whose result
 * changed are reconciled (InSync, and a reset of what was lost), and the gauges follow. */
static int engine_verify(void *cls, const struct sl_snapshot *snap, struct sl_vec *keys)
{
	struct daemon *d = cls;
	struct sl_engine_verify_stats st;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_metrics *m = sl_controller_metrics(d->ctl);
	int rc = sl_engine_verify(d->engine, snap, keys, &st, &err);

	for (size_t i = 0; rc == 0 && i < snap->objects.len; i++) {
		const struct sl_object *o = snap->objects.items[i];
		struct sl_link_verification v;
		const char *lv[] = {o->name};

		if (o->kind != SL_KIND_SCHEMALINK ||
		        sl_engine_verification(d->engine, o->key, &v) != 1 || !v.verified)
			continue;
		sl_metrics_set(m, SL_METRIC_LINK_MISSING, lv, (double)v.missing);
		sl_metrics_set(m, SL_METRIC_LINK_VERIFIED, lv, (double)v.at_ms / 1000.0);
	}
	sl_log(SL_LOG_DEBUG, NULL, "verification: %d link%s, %d read%s, %d changed", st.links,
	        st.links == 1 ? "" : "s", st.reads, st.reads == 1 ? "" : "s", st.changed);
	return rc;
}

/* With --prune, what the set owns and no longer declares is reconciled (deleted, or kept
 * with PruneRefused by the guard rails) at every load and resync. */
static int engine_extra_keys(void *cls, const struct sl_snapshot *snap, struct sl_vec *out)
{
	struct daemon *d = cls;
	struct sl_vec now = SL_VEC_INIT;
	char why[512];
	size_t i;

	if (!d->prune)
		return 0;
	/* Logged once per snapshot, not at every resync. */
	if (sl_engine_prune_allowed_try(d->engine, snap, why, sizeof(why)) == 0 &&
	        d->refused_snap != snap->id) {
		d->refused_snap = snap->id;
		sl_log(SL_LOG_WARN, NULL, "%s", why);
	}
	if (sl_engine_orphans_try(d->engine, snap, &now, NULL) == 0) {
		sl_vec_release(&d->orphans, free);
		d->orphans = now;
	} else {
		sl_vec_release(&now, free);
	}
	/* A stale entry is harmless: a key declared again, or already pruned, reconciles to
	 * nothing; one still missing is found at the next resync. */
	for (i = 0; i < d->orphans.len; i++) {
		char *c = strdup(d->orphans.items[i]);

		if (c == NULL || sl_vec_push(out, c) < 0) {
			free(c);
			return SL_ENOMEM;
		}
	}
	return 0;
}

static void engine_pass_end(void *cls)
{
	struct sl_error err = SL_ERROR_INIT;

	/* A failed save is retried by the next one (every write saves, and so does the next
	 * pass); the status itself is served and persisted by the controller. */
	if (sl_engine_end_pass(((struct daemon *)cls)->engine, &err) < 0)
		sl_log(SL_LOG_ERROR, NULL, "cannot save the inventory: %s", err.msg);
}

static int engine_reconcile(void *cls, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err)
{
	struct daemon *d = cls;

	return sl_engine_reconcile(d->engine, snap, key, out, err);
}

/* What the command line asks for. */
struct options {
	const char *manifests, *state_dir, *set, *listen, *fake_spec;
	bool prune, once, dry_run, adopt, allow_prune_all;
	int max_prune;
	int64_t resync_ms, rescan_ms, check_ms, verify_ms;
	enum sl_log_level level;
	enum sl_log_format format;
	char set_buf[80], state_buf[PATH_MAX];
};

/* The duration flag c (its value in optarg) into o; -1 when it is good, else the exit code
 * after saying what is wrong. The resync and rescan must be positive; 0 turns a check off. */
static int duration_flag(int c, struct options *o)
{
	static const struct {
		int opt;
		const char *name;
		bool zero_ok;
	} flags[] = {
	        {OPT_RESYNC, "--resync", false},
	        {OPT_CHECK_INTERVAL, "--check-interval", true},
	        {OPT_VERIFY_INTERVAL, "--verify-interval", true},
	        {OPT_TEST_RESCAN, "--test-rescan-interval", false},
	};
	int64_t *out[] = {&o->resync_ms, &o->check_ms, &o->verify_ms, &o->rescan_ms};
	struct sl_error err = SL_ERROR_INIT;
	char msg[640];
	size_t i;

	for (i = 0; flags[i].opt != c; i++)
		;
	if (sl_duration_parse(optarg, out[i], &err) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", flags[i].name, err.msg);
		return bad_flag("%s", msg);
	}
	if (*out[i] < 0 || (*out[i] == 0 && !flags[i].zero_ok)) {
		snprintf(msg, sizeof(msg), "%s: must be %s (got \"%s\")", flags[i].name,
		        flags[i].zero_ok ? "0 or more" : "positive", optarg);
		return bad_flag("%s", msg);
	}
	return -1;
}

/* Reads the flags into o (defaults first). Returns -1 to go on, else the exit code (after
 * printing the usage, the version or what is wrong). */
static int parse_options(int argc, char **argv, struct options *o, struct daemon *d)
{
	static const struct option longopts[] = {
	        {"manifests", required_argument, NULL, OPT_MANIFESTS},
	        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	        {"set", required_argument, NULL, OPT_SET},
	        {"listen", required_argument, NULL, OPT_LISTEN},
	        {"resync", required_argument, NULL, OPT_RESYNC},
	        {"check-interval", required_argument, NULL, OPT_CHECK_INTERVAL},
	        {"verify-interval", required_argument, NULL, OPT_VERIFY_INTERVAL},
	        {"prune", no_argument, NULL, OPT_PRUNE},
	        {"adopt", no_argument, NULL, OPT_ADOPT},
	        {"allow-prune-all", no_argument, NULL, OPT_ALLOW_PRUNE_ALL},
	        {"max-prune", required_argument, NULL, OPT_MAX_PRUNE},
	        {"once", no_argument, NULL, OPT_ONCE},
	        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {"test-fake-reconciler", required_argument, NULL, OPT_TEST_FAKE},
	        {"test-rescan-interval", required_argument, NULL, OPT_TEST_RESCAN},
	        {NULL, 0, NULL, 0},
	};
	struct sl_error err = SL_ERROR_INIT;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->listen = DEFAULT_LISTEN;
	o->resync_ms = 60000;
	o->check_ms = DEFAULT_CHECK_MS;
	o->verify_ms = DEFAULT_VERIFY_MS;
	o->level = SL_LOG_INFO;
	o->format = SL_LOG_TEXT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MANIFESTS: o->manifests = optarg; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_SET: o->set = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_PRUNE: o->prune = true; break;
		case OPT_ADOPT: o->adopt = true; break;
		case OPT_ALLOW_PRUNE_ALL: o->allow_prune_all = true; break;
		case OPT_MAX_PRUNE: {
			char *end = NULL;
			long n = strtol(optarg, &end, 10);

			if (end == optarg || *end || n < 1 || n > 1000000)
				return bad_flag(
				        "--max-prune: a whole number from 1 to 1000000, not "
				        "\"%s\"",
				        optarg);
			o->max_prune = (int)n;
			break;
		}
		case OPT_ONCE: o->once = true; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_TEST_FAKE: o->fake_spec = optarg; break;
		case OPT_RESYNC:
		case OPT_CHECK_INTERVAL:
		case OPT_VERIFY_INTERVAL:
		case OPT_TEST_RESCAN:
			if ((rc = duration_flag(c, o)) >= 0)
				return rc;
			break;
		case OPT_LOG_FORMAT:
			if (sl_log_format_parse(optarg, &o->format, &err) < 0)
				return bad_flag("--log-format: %s", err.msg);
			break;
		case OPT_LOG_LEVEL:
			if (sl_log_level_parse(optarg, &o->level, &err) < 0)
				return bad_flag("--log-level: %s", err.msg);
			break;
		case OPT_VERSION: printf("schemalinkd %s\n", SL_VERSION); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return bad_flag("flag %s needs a value", argv[optind - 1]);
		default: return bad_flag("unknown flag \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_flag("unexpected argument \"%s\"", argv[optind]);
	if (o->manifests == NULL || o->manifests[0] == '\0')
		return bad_flag("%s", "--manifests DIR is required");
	if (o->set == NULL) {
		/* Two folders never share a set; the same folder always gets the same one. */
		const char *paths[1] = {o->manifests};

		if (sl_inventory_derive_set(paths, 1, o->set_buf, sizeof(o->set_buf), &err) < 0)
			return bad_flag("--manifests: %s", err.msg);
		o->set = o->set_buf;
	}
	if (!valid_set(o->set))
		return bad_flag("--set: must be 1-63 letters, digits, '-', '_' or '.' (got \"%s\")",
		        o->set);
	if (o->listen[0] == '\0')
		return bad_flag("%s", "--listen: empty address");
	if (o->fake_spec != NULL && fake_parse(o->fake_spec, &d->fake, &err) < 0)
		return bad_flag("--test-fake-reconciler: %s", err.msg);
	if (o->state_dir == NULL) {
		if (default_state_dir(o->state_buf, sizeof(o->state_buf)) < 0)
			return bad_flag("%s", "--state-dir DIR is required when neither "
			                      "$XDG_STATE_HOME nor $HOME is set");
		o->state_dir = o->state_buf;
	}
	return -1;
}

/* The reconciler: the fake one of the tests, or the engine on the state dir. Returns -1 to
 * go on, else the exit code. */
static int start_reconciler(
        const struct options *o, struct daemon *d, struct sl_controller_config *cfg)
{
	struct sl_engine_config ec = {0};
	struct sl_error err = SL_ERROR_INIT;

	if (o->fake_spec != NULL) {
		sl_log(SL_LOG_WARN, NULL,
		        "TEST ONLY: --test-fake-reconciler %s: no registry is read or written",
		        o->fake_spec);
		d->fake.cancelled = daemon_cancelled;
		d->fake.cancel_cls = d;
		cfg->reconcile = fake_reconcile;
		cfg->reconcile_cls = &d->fake;
		return -1;
	}
	ec.state_dir = o->state_dir;
	ec.set = o->set;
	ec.dry_run = o->dry_run;
	ec.prune = o->prune;
	ec.holder = "schemalinkd";
	ec.adopt = o->adopt;
	ec.allow_prune_all = o->allow_prune_all;
	ec.max_prune = o->max_prune;
	ec.cancelled = daemon_cancelled;
	ec.cancel_cls = d;
	d->engine = sl_engine_new(&ec, &err);
	if (d->engine == NULL) {
		sl_log(SL_LOG_ERROR, NULL, "cannot start the engine: %s", err.msg);
		return err.code == SL_EIO || err.code == SL_ESTATE ? EXIT_CANTCREAT : EXIT_SOFTWARE;
	}
	cfg->reconcile = engine_reconcile;
	cfg->reconcile_cls = d;
	cfg->pass_begin = engine_pass_begin;
	cfg->pass_end = engine_pass_end;
	cfg->extra_keys = engine_extra_keys;
	cfg->jobs[0] = (struct sl_controller_job){"check", o->check_ms, engine_check, true};
	cfg->jobs[1] = (struct sl_controller_job){"verify", o->verify_ms, engine_verify, false};
	d->prune = o->prune;
	d->check_ms = o->check_ms;
	return -1;
}

int main(int argc, char **argv)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_controller_config cfg;
	static struct daemon d;
	static struct options o;
	char set_dir[PATH_MAX + 70], status_path[PATH_MAX + 100];
	int rc;

	if ((rc = parse_options(argc, argv, &o, &d)) >= 0)
		return rc;
	sl_log_setup(o.level, o.format, 2, NULL);
	sl_log(SL_LOG_INFO, NULL, "manifest set \"%s\" in state dir %s", o.set, o.state_dir);
	if (o.set == o.set_buf && sl_inventory_has_legacy_default(o.state_dir) &&
	        snprintf(set_dir, sizeof(set_dir), "%s/%s", o.state_dir, o.set) <
	                (int)sizeof(set_dir) &&
	        access(set_dir, F_OK) < 0)
		sl_log(SL_LOG_WARN, NULL,
		        "%s holds the set \"default\" of an earlier version, and %s is set \"%s\"; "
		        "if that state is its, restart with --set default",
		        o.state_dir, o.manifests, o.set);
#ifdef __GLIBC__
	/* glibc gives each thread that allocates its own arena (64 MiB reserved, and pages
	 * kept after use): with 4 workers and the HTTP thread that was about 10 MiB of idle RSS
	 * for nothing. The workers spend their time waiting on registries, not in malloc, so
	 * two arenas are plenty (docs/internals/operations.md: idle RSS target). */
	mallopt(M_ARENA_MAX, 2);
#endif

	/* 73: the state dir (and this set's directory in it) must be creatable and writable. */
	if (snprintf(set_dir, sizeof(set_dir), "%s/%s", o.state_dir, o.set) >=
	                (int)sizeof(set_dir) ||
	        check_state_dir(set_dir, &err) < 0) {
		sl_log(SL_LOG_ERROR, NULL, "state dir \"%s\" is not usable: %s", o.state_dir,
		        err.msg[0] ? err.msg : "path too long");
		return EXIT_CANTCREAT;
	}
	snprintf(status_path, sizeof(status_path), "%s/status.json", set_dir);

	memset(&cfg, 0, sizeof(cfg));
	cfg.manifests = o.manifests;
	cfg.status_path = status_path;
	cfg.listen = o.once ? NULL : o.listen;
	cfg.resync_ms = o.resync_ms;
	cfg.rescan_ms = o.rescan_ms;
	if (o.rescan_ms > 0)
		sl_log(SL_LOG_WARN, NULL,
		        "TEST ONLY: --test-rescan-interval: rescanning every %lld ms",
		        (long long)o.rescan_ms);
	cfg.workers = o.once ? 0 : WORKERS;
	cfg.watch = !o.once;
	cfg.sd_notify = !o.once;
	if ((rc = start_reconciler(&o, &d, &cfg)) >= 0)
		return rc;

	d.ctl = sl_controller_new(&cfg, &err);
	if (d.ctl == NULL) {
		sl_log(SL_LOG_ERROR, NULL, "cannot start: %s", err.msg);
		rc = cfg.listen != NULL && strstr(err.msg, "--listen") == err.msg ? EXIT_BADFLAGS
		                                                                  : EXIT_SOFTWARE;
		goto out;
	}
#ifdef __GLIBC__
	/* The engine and the controller read inventory.json and status.json whole (text and
	 * jansson tree) and kept only the records: glibc holds on to the freed pages between
	 * them. Handed back once here; with 1,000 links that was about 5 MiB of idle RSS after
	 * every restart (docs/internals/operations.md: idle RSS target). */
	malloc_trim(0);
#endif
	if (o.once) {
		rc = sl_controller_once(d.ctl);
	} else {
		rc = sl_controller_run(d.ctl) < 0 ? EXIT_SOFTWARE : 0;
		/* A reconcile that ignored cancellation still holds the controller: leave without
		 * freeing what it uses (the status was saved). */
		if (sl_controller_abandoned(d.ctl) > 0)
			_exit(rc);
	}
	sl_controller_free(d.ctl);
	d.ctl = NULL;
out:
	sl_engine_free(d.engine);
	sl_vec_release(&d.orphans, free);
	return rc;
}
