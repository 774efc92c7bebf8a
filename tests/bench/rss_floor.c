/*
 * rss_floor.c — the resident memory a program pays for the libraries schemalinkd links, before
 * it holds any data of its own: it loads libcurl, libmicrohttpd, jansson and libyaml, runs
 * curl_global_init (OpenSSL's initialisation) and creates one easy handle, then prints its
 * VmRSS, RssAnon and RssFile in KiB. bench_daemon.sh prints it next to the daemon's figures.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static long field(const char *name)
{
	char line[256];
	long v = -1;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			sscanf(line + n + 1, "%ld", &v);
	fclose(f);
	return v;
}

int main(void)
{
	yaml_parser_t p;
	json_t *j;
	CURL *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (h = curl_easy_init()) == NULL)
		return 1;
	j = json_pack("{s:s}", "libmicrohttpd", MHD_get_version());
	yaml_parser_initialize(&p);
	printf("%ld %ld %ld\n", field("VmRSS"), field("RssAnon"), field("RssFile"));
	yaml_parser_delete(&p);
	json_decref(j);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
