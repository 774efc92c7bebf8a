/*
 * srlite — a small Confluent-compatible schema registry (docs/internals/manifests.md §5, docs/internals/registry.md).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/api.h"
#include "schemalink/clusterid.h"
#include "schemalink/error.h"
#include "schemalink/exporter.h"
#include "schemalink/faults.h"
#include "schemalink/httpd.h"
#include "schemalink/journal.h"
#include "schemalink/log.h"
#include "schemalink/qsubject.h"
#include "schemalink/ratelimit.h"
#include "schemalink/store.h"

enum { EXIT_USAGE = 2 };
enum {
	OPT_LISTEN = 256,
	OPT_DATA_DIR,
	OPT_CLUSTER_ID,
	OPT_MAX_EXPORTERS,
	OPT_WILDCARD,
	OPT_AUTH_FILE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_FAULTS,
	OPT_RATE_LIMIT,
	OPT_VERSION
};

static const char usage_text[] =
        "Usage: srlite [FLAGS]\n"
        "\n"
        "A Confluent-compatible schema registry with contexts, modes and exporters.\n"
        "\n"
        "Flags:\n"
        "      --listen ADDR               listen address (default 127.0.0.1:8081)\n"
        "      --data-dir DIR              keep data durably in DIR (default: in memory)\n"
        "      --cluster-id ID             the registry's identity at /v1/metadata/id and the\n"
        "                                  name of AUTO contexts; 1-64 of [A-Za-z0-9_-]\n"
        "                                  (default: random, kept in DIR/cluster-id with\n"
        "                                  --data-dir; AUTO contexts then srlite-PORT)\n"
        "      --max-exporters N           refuse to create more than N exporters\n"
        "                                  (default 10000)\n"
        "      --wildcard-scope SCOPE      what \"*\" in exporter subjects matches:\n"
        "                                  all-contexts (default) or default-context\n"
        "      --basic-auth-file F         require HTTP basic auth; F has user:password lines\n"
        "      --tls-cert F --tls-key F    serve HTTPS\n"
        "      --rate-limit READS[:WRITES] answer 429 with Retry-After to requests over\n"
        "                                  READS reads (GET) and WRITES writes per second\n"
        "                                  (WRITES default: READS; 0 = no limit), each with\n"
        "                                  a one-second burst; /_srlite is not limited\n"
        "      --enable-fault-injection    enable the /_srlite test endpoints\n"
        "  -h, --help                      this help\n"
        "      --version                   print the version\n";

struct options {
	const char *listen;
	const char *data_dir;
	const char *cluster_id;
	size_t max_exporters;
	enum sl_wildcard_scope wildcard;
	const char *auth_file;
	const char *cert;
	const char *key;
	bool faults;
	int reads_per_s, writes_per_s; /* --rate-limit; both 0 = none */
};

struct replay_ctx {
	struct sl_store *store;
	struct sl_exporters *exporters;
};

/* Journal records belong to the store or to the exporters; any other op is corruption and
 * stops the start. */
static int replay_record(void *cls, const char *rec, size_t len, struct sl_error *err)
{
	struct replay_ctx *rc = cls;
	int r = sl_store_replay(rc->store, rec, len, err);

	if (r != SL_EUNSUP)
		return r;
	sl_error_clear(err);
	return sl_exporters_replay(rc->exporters, rec, len, err);
}

static void on_httpd_message(void *cls, const char *msg)
{
	(void)cls;
	sl_warn("http server: %s", msg);
}

/* Runs the registry until SIGTERM or SIGINT. Returns the exit status. */
static int serve(const struct options *o)
{
	struct sl_httpd_config cfg = SL_HTTPD_CONFIG_INIT;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_journal_stats stats;
	struct sl_httpd_auth *auth = NULL;
	struct sl_journal *journal = NULL;
	struct sl_httpd *srv = NULL;
	struct sl_store *store = NULL;
	struct sl_exporters *exporters = NULL;
	struct sl_faults *faults = NULL;
	struct sl_ratelimit *limit = NULL;
	struct replay_ctx rctx;
	struct sl_api api;
	char auto_name[SL_CLUSTER_ID_MAX + 1]; /* names AUTO contexts */
	char identity[SL_CLUSTER_ID_MAX + 1]; /* GET /v1/metadata/id */
	int r;
	sigset_t sigs;
	int sig = 0, status = 1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* Block before any thread starts, so only sigwait below sees them. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	store = sl_store_new();
	exporters = store != NULL ? sl_exporters_new(store, o->wildcard) : NULL;
	faults = o->faults ? sl_faults_new() : NULL;
	if (store == NULL || exporters == NULL || (o->faults && faults == NULL)) {
		sl_errorf("out of memory");
		goto out;
	}
	if (o->reads_per_s > 0 || o->writes_per_s > 0) {
		/* A one-second burst: a server-side token bucket as registries keep them
		 * (docs/internals/registry.md §8.2). */
		struct sl_ratelimit_config lc = {
		        o->reads_per_s, o->writes_per_s, 1000, NULL, NULL, NULL};

		limit = sl_ratelimit_new(&lc, &err);
		if (limit == NULL) {
			sl_errorf("--rate-limit: %s", err.msg);
			goto out;
		}
	}
	if (sl_exporters_set_max(exporters, o->max_exporters, &err) != 0) {
		sl_errorf("--max-exporters: %s", err.msg);
		goto out;
	}
	if (o->data_dir != NULL) {
		rctx.store = store;
		rctx.exporters = exporters;
		journal = sl_journal_open(o->data_dir, replay_record, &rctx, &stats, &err);
		if (journal == NULL) {
			sl_errorf("cannot open the journal in %s: %s", o->data_dir, err.msg);
			goto out;
		}
		if (stats.dropped_bytes > 0)
			sl_warn("journal %s/journal: dropped a torn last record (%llu bytes: %s); "
			        "it was never acknowledged",
			        o->data_dir, (unsigned long long)stats.dropped_bytes,
			        stats.dropped_reason);
		sl_info("journal %s/journal: replayed %llu records", o->data_dir,
		        (unsigned long long)stats.records);
		sl_store_attach_journal(store, journal);
	}
	/* The identity: the flag's, else the one kept with the data (made at first start),
	 * else a new one per start, since an in-memory registry restarted empty is another
	 * registry to anyone who remembers the old one. */
	if (o->cluster_id != NULL) {
		snprintf(identity, sizeof(identity), "%s", o->cluster_id);
	} else if (o->data_dir != NULL) {
		r = sl_cluster_id_load(o->data_dir, identity, sizeof(identity), &err);
		if (r < 0) {
			sl_errorf("cannot read the cluster id: %s", err.msg);
			goto out;
		}
		if (r == 1)
			sl_info("generated cluster id %s in %s/%s", identity, o->data_dir,
			        SL_CLUSTER_ID_FILE);
	} else if (sl_cluster_id_generate(identity, sizeof(identity), &err) != 0) {
		sl_errorf("cannot generate a cluster id: %s", err.msg);
		goto out;
	}
	if (o->auth_file != NULL) {
		auth = sl_httpd_auth_load(o->auth_file, &err);
		if (auth == NULL) {
			sl_errorf("--basic-auth-file: %s", err.msg);
			goto out;
		}
	}
	api.store = store;
	api.exporters = exporters;
	api.faults = faults;
	api.cluster_id = identity;
	api.limit = limit;
	cfg.listen = o->listen;
	cfg.threading = SL_HTTPD_THREAD_PER_CONNECTION;
	cfg.tls_cert_file = o->cert;
	cfg.tls_key_file = o->key;
	cfg.auth = auth;
	cfg.auth_realm = "srlite";
	cfg.handler = sl_api_handle;
	cfg.handler_cls = &api;
	cfg.on_message = on_httpd_message;
	srv = sl_httpd_start(&cfg, &err);
	if (srv == NULL) {
		sl_errorf("cannot serve on %s: %s", o->listen, err.msg);
		goto out;
	}
	/* AUTO contexts keep their srlite-PORT default when no id is given (docs/internals/registry.md
	 * §8): manifests name them through spec.clusterId, and a random name would change
	 * with every in-memory start. */
	if (o->cluster_id != NULL)
		snprintf(auto_name, sizeof(auto_name), "%s", o->cluster_id);
	else
		snprintf(auto_name, sizeof(auto_name), "srlite-%u", sl_httpd_port(srv));
	if (sl_exporters_start(exporters, auto_name, &err) != 0) {
		sl_errorf("cannot start the exporters: %s", err.msg);
		goto out;
	}
	{
		const char *host = o->listen;
		const char *colon = strrchr(host, ':');
		int hlen = colon != NULL ? (int)(colon - host) : (int)strlen(host);
		char rates[48];

		snprintf(rates, sizeof(rates), "%d:%d/s", o->reads_per_s, o->writes_per_s);

		fprintf(stderr,
		        "srlite: listening on %s://%.*s:%u (cluster id %s%s%s, wildcard scope "
		        "%s%s%s%s)\n",
		        o->cert != NULL ? "https" : "http", hlen, host, sl_httpd_port(srv),
		        identity, o->cluster_id != NULL ? "" : ", AUTO contexts .",
		        o->cluster_id != NULL ? "" : auto_name,
		        o->wildcard == SL_WILDCARD_ALL_CONTEXTS ? "all-contexts"
		                                                : "default-context",
		        auth != NULL ? ", basic auth" : "", limit != NULL ? ", rate limit " : "",
		        limit != NULL ? rates : "");
	}
	while (sigwait(&sigs, &sig) != 0)
		;
	sl_info("received signal %d, shutting down", sig);
	status = 0;
out:
	sl_httpd_stop(srv);
	/* Stops the workers (and wakes the change-log waiters) before the store goes away. */
	sl_exporters_free(exporters);
	if (store != NULL)
		sl_store_changes_wake(store);
	sl_store_free(store);
	sl_faults_free(faults);
	sl_ratelimit_free(limit);
	sl_journal_close(journal);
	sl_httpd_auth_free(auth);
	return status;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "srlite: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'srlite --help' for usage.\n");
	return EXIT_USAGE;
}

/* The usage error for a --cluster-id that sl_cluster_id_check refused: the value is shown
 * with anything but printable ASCII as '?' and cut at 80 bytes, so the message stays one
 * readable line whatever was passed. */
static int bad_cluster_id(const char *arg, const struct sl_error *err)
{
	char shown[84], msg[SL_ERROR_MSG_MAX + 128];
	size_t i;

	for (i = 0; arg[i] != '\0' && i < 80; i++)
		shown[i] = arg[i] > 0x20 && arg[i] < 0x7f ? arg[i] : '?';
	snprintf(shown + i, sizeof(shown) - i, "%s", arg[i] != '\0' ? "..." : "");
	snprintf(msg, sizeof(msg), "--cluster-id \"%s\": %s", shown, err->msg);
	return usage_error("%s", msg);
}

/* One rate of --rate-limit: digits only, 0..SL_RATELIMIT_MAX_RATE. */
static int parse_rate(const char *s, const char *end, int *out)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) > SL_RATELIMIT_MAX_RATE)
			return -1;
	}
	*out = (int)v;
	return 0;
}

/* "READS" (writes the same) or "READS:WRITES". */
static int parse_rate_limit(const char *arg, int *reads, int *writes)
{
	const char *colon = strchr(arg, ':'), *end = arg + strlen(arg);

	if (parse_rate(arg, colon ? colon : end, reads) < 0)
		return -1;
	if (colon == NULL) {
		*writes = *reads;
		return 0;
	}
	return parse_rate(colon + 1, end, writes);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"listen", required_argument, NULL, OPT_LISTEN},
	        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
	        {"cluster-id", required_argument, NULL, OPT_CLUSTER_ID},
	        {"max-exporters", required_argument, NULL, OPT_MAX_EXPORTERS},
	        {"wildcard-scope", required_argument, NULL, OPT_WILDCARD},
	        {"basic-auth-file", required_argument, NULL, OPT_AUTH_FILE},
	        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	        {"enable-fault-injection", no_argument, NULL, OPT_FAULTS},
	        {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct options o = {"127.0.0.1:8081", NULL, NULL, SL_EXPORTERS_DEFAULT_MAX,
	        SL_WILDCARD_ALL_CONTEXTS, NULL, NULL, NULL, false, 0, 0};
	struct sl_error err = SL_ERROR_INIT;
	char *end = NULL;
	long n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN: o.listen = optarg; break;
		case OPT_DATA_DIR: o.data_dir = optarg; break;
		case OPT_CLUSTER_ID:
			if (sl_cluster_id_check(optarg, &err) != 0)
				return bad_cluster_id(optarg, &err);
			o.cluster_id = optarg;
			break;
		case OPT_MAX_EXPORTERS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0 ||
			        n < 1 || n > SL_EXPORTERS_LIMIT_MAX)
				return usage_error("--max-exporters: must be a whole number from 1 "
				                   "to 1000000 (got \"%s\")",
				        optarg);
			o.max_exporters = (size_t)n;
			break;
		case OPT_AUTH_FILE: o.auth_file = optarg; break;
		case OPT_FAULTS: o.faults = true; break;
		case OPT_RATE_LIMIT:
			if (parse_rate_limit(optarg, &o.reads_per_s, &o.writes_per_s) < 0)
				return usage_error(
				        "--rate-limit: must be READS or READS:WRITES, whole "
				        "numbers of requests per second from 0 to 100000 "
				        "(got \"%s\")",
				        optarg);
			break;
		case OPT_WILDCARD:
			if (sl_wildcard_scope_parse(optarg, &o.wildcard, NULL) != 0)
				return usage_error("--wildcard-scope: must be all-contexts or "
				                   "default-context (got \"%s\")",
				        optarg);
			break;
		case OPT_TLS_CERT: o.cert = optarg; break;
		case OPT_TLS_KEY: o.key = optarg; break;
		case OPT_VERSION: printf("srlite %s\n", SL_VERSION); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return usage_error("flag %s needs a value", argv[optind - 1]);
		default: return usage_error("unknown flag \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((o.cert == NULL) != (o.key == NULL))
		return usage_error("%s", "--tls-cert and --tls-key go together");
	sl_log_setup(SL_LOG_INFO, SL_LOG_TEXT, 2, NULL);
	return serve(&o);
}
