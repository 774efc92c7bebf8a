/*
 * internal.h — what the pkg/httpd files share with each other and nothing else.
 *
 * Not installed and not included outside pkg/httpd (tests use only the public header).
 */
#ifndef SCHEMALINK_HTTPD_INTERNAL_H
#define SCHEMALINK_HTTPD_INTERNAL_H

#include <stddef.h>

#include "schemalink/buf.h"
#include "schemalink/httpd.h"

struct sl_httpd_qparam {
	char *name; /* decoded */
	char *value; /* decoded; "" when the parameter had no '=' */
};

/* A request target taken apart. Everything is owned; release with sl_httpd_target_release. */
struct sl_httpd_target {
	char *path;
	char **segments;
	size_t nsegments;
	struct sl_httpd_qparam *query;
	size_t nquery;
};

#define SL_HTTPD_TARGET_INIT \
	{ \
		NULL, NULL, 0, NULL, 0 \
	}

/* Parses an origin-form request target ("/a/b%2Fc/?x=1") as sent on the request line.
 * Returns 0, SL_EINVAL (not origin-form, malformed or NUL percent-escape) or SL_ENOMEM;
 * on failure t is left empty. */
int sl_httpd_target_parse(const char *raw, struct sl_httpd_target *t);
void sl_httpd_target_release(struct sl_httpd_target *t);

struct sl_httpd_header {
	char *name;
	char *value;
};

struct sl_httpd_response {
	int status; /* 0 until a reply function ran */
	char *content_type;
	struct sl_buf body;
	struct sl_httpd_header *headers;
	size_t nheaders;
};

void sl_httpd_response_init(struct sl_httpd_response *resp);
void sl_httpd_response_release(struct sl_httpd_response *resp);

#endif
