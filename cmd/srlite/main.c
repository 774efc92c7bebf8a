/*
 * srlite — a small Confluent-compatible schema registry (MANIFESTS.md §5, REGISTRY-API.md).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "schemalink/error.h"

enum { EXIT_USAGE = 2 };
enum {
	OPT_LISTEN = 256,
	OPT_DATA_DIR,
	OPT_CLUSTER_ID,
	OPT_WILDCARD,
	OPT_AUTH_FILE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_FAULTS,
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
        "      --cluster-id ID             cluster id, names AUTO contexts (default srlite-PORT)\n"
        "      --wildcard-scope SCOPE      what \"*\" in exporter subjects matches:\n"
        "                                  all-contexts (default) or default-context\n"
        "      --basic-auth-file F         require HTTP basic auth; F has user:password lines\n"
        "      --tls-cert F --tls-key F    serve HTTPS\n"
        "      --enable-fault-injection    enable the /_srlite test endpoints\n"
        "  -h, --help                      this help\n"
        "      --version                   print the version\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "srlite: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'srlite --help' for usage.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"listen", required_argument, NULL, OPT_LISTEN},
	        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
	        {"cluster-id", required_argument, NULL, OPT_CLUSTER_ID},
	        {"wildcard-scope", required_argument, NULL, OPT_WILDCARD},
	        {"basic-auth-file", required_argument, NULL, OPT_AUTH_FILE},
	        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	        {"enable-fault-injection", no_argument, NULL, OPT_FAULTS},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *cert = NULL, *key = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
		case OPT_DATA_DIR:
		case OPT_CLUSTER_ID:
		case OPT_AUTH_FILE:
		case OPT_FAULTS: break;
		case OPT_WILDCARD:
			if (strcmp(optarg, "all-contexts") && strcmp(optarg, "default-context"))
				return usage_error("--wildcard-scope: must be all-contexts or "
				                   "default-context (got \"%s\")",
				        optarg);
			break;
		case OPT_TLS_CERT: cert = optarg; break;
		case OPT_TLS_KEY: key = optarg; break;
		case OPT_VERSION: printf("srlite %s\n", SL_VERSION); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return usage_error("flag %s needs a value", argv[optind - 1]);
		default: return usage_error("unknown flag \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((cert == NULL) != (key == NULL))
		return usage_error("%s", "--tls-cert and --tls-key go together");
	fprintf(stderr, "srlite: not implemented yet: the registry server\n");
	return EXIT_USAGE;
}
