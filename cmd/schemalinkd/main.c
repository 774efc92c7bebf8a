/*
 * schemalinkd — the schemalink daemon (MANIFESTS.md §4): watches a manifest directory,
 * reconciles continuously, heals what it may and reports over HTTP.
 *
 * Exit codes: 0 after SIGTERM/SIGINT; 64 bad flags; 73 state dir unusable; with --once
 * like slctl apply (0/1/2/3).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "schemalink/duration.h"
#include "schemalink/error.h"
#include "schemalink/log.h"

enum { EXIT_BADFLAGS = 64, EXIT_NOTYET = 2 };
enum {
	OPT_MANIFESTS = 256,
	OPT_STATE_DIR,
	OPT_SET,
	OPT_LISTEN,
	OPT_RESYNC,
	OPT_PRUNE,
	OPT_ONCE,
	OPT_DRY_RUN,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_VERSION
};

static const char usage_text[] =
        "Usage: schemalinkd --manifests DIR [FLAGS]\n"
        "\n"
        "Watches DIR, reconciles Schema Linking continuously, heals what it may, and serves\n"
        "/livez, /readyz, /metrics, /status and /status/<kind>/<name>.\n"
        "\n"
        "Flags:\n"
        "      --manifests DIR      manifest directory to watch (required)\n"
        "      --state-dir DIR      inventory and status (default $XDG_STATE_HOME/schemalink)\n"
        "      --set NAME           manifest set name (default \"default\")\n"
        "      --listen ADDR        HTTP listen address (default 127.0.0.1:9464)\n"
        "      --resync DURATION    periodic full reconcile (default 60s)\n"
        "      --prune              delete what this set created and no longer declares\n"
        "      --once               one pass, then exit like 'slctl apply' (0/1/2/3)\n"
        "      --dry-run            plan and report, write nothing\n"
        "      --log-format FORMAT  text (default) or json\n"
        "      --log-level LEVEL    debug, info (default), warn, error\n"
        "  -h, --help               this help\n"
        "      --version            print the version\n"
        "\n"
        "Exit codes: 0 after SIGTERM/SIGINT, 64 bad flags, 73 state dir unusable.\n";

static int bad_flag(const char *fmt, const char *arg)
{
	fprintf(stderr, "schemalinkd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'schemalinkd --help' for usage.\n");
	return EXIT_BADFLAGS;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"manifests", required_argument, NULL, OPT_MANIFESTS},
	        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	        {"set", required_argument, NULL, OPT_SET},
	        {"listen", required_argument, NULL, OPT_LISTEN},
	        {"resync", required_argument, NULL, OPT_RESYNC},
	        {"prune", no_argument, NULL, OPT_PRUNE},
	        {"once", no_argument, NULL, OPT_ONCE},
	        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct sl_error err = SL_ERROR_INIT;
	const char *manifests = NULL;
	enum sl_log_level level = SL_LOG_INFO;
	enum sl_log_format format = SL_LOG_TEXT;
	int64_t resync_ms = 60000;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MANIFESTS: manifests = optarg; break;
		case OPT_STATE_DIR:
		case OPT_SET:
		case OPT_LISTEN:
		case OPT_PRUNE:
		case OPT_ONCE:
		case OPT_DRY_RUN: break;
		case OPT_RESYNC:
			if (sl_duration_parse(optarg, &resync_ms, &err) < 0)
				return bad_flag("--resync: %s", err.msg);
			if (resync_ms <= 0)
				return bad_flag("--resync: must be positive (got \"%s\")", optarg);
			break;
		case OPT_LOG_FORMAT:
			if (sl_log_format_parse(optarg, &format, &err) < 0)
				return bad_flag("--log-format: %s", err.msg);
			break;
		case OPT_LOG_LEVEL:
			if (sl_log_level_parse(optarg, &level, &err) < 0)
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
	if (manifests == NULL)
		return bad_flag("%s", "--manifests DIR is required");
	sl_log_setup(level, format, 2, NULL);
	fprintf(stderr, "schemalinkd: not implemented yet: the reconcile daemon\n");
	return EXIT_NOTYET;
}
