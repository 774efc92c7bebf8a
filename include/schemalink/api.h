/*
 * api.h — srlite's REST routing: the Confluent Schema Registry endpoints of docs/internals/registry.md
 * §0, §1, §2.1-§2.6 mapped onto the store, the exporters (exporter.h) and the test
 * endpoints (faults.h), and GET /v1/metadata/id (the registry's identity, clusterid.h).
 *
 * Owns: request parsing (paths, query parameters, JSON bodies), schema validation before the
 * store (Avro canonical form, JSON well-formedness, non-empty Protobuf) and the JSON answers.
 * Depends on store, avro, httpd, model, base and jansson. Never logs.
 *
 * Malformed JSON bodies answer 400 {"error_code":400,...} (what Confluent's JSON parse mapper
 * sends); well-formed bodies with missing or mistyped fields answer 422 with the registry code
 * of the thing that is wrong (42201 schema, 42203 compatibility, 42204 mode).
 */
#ifndef SCHEMALINK_API_H
#define SCHEMALINK_API_H

#include <stdbool.h>

#include "schemalink/exporter.h"
#include "schemalink/faults.h"
#include "schemalink/httpd.h"
#include "schemalink/ratelimit.h"
#include "schemalink/store.h"

struct sl_api {
	struct sl_store *store; /* borrowed */
	struct sl_exporters *exporters; /* borrowed; NULL answers /exporters with 404 */
	/* Borrowed; non-NULL only with --enable-fault-injection: then every request outside
	 * /_srlite is counted and may get a fault, and /_srlite answers. NULL: /_srlite is 404. */
	struct sl_faults *faults;
	/* Borrowed; the registry's identity for GET /v1/metadata/id. NULL answers it 404, as a
	 * registry older than that endpoint does. */
	const char *cluster_id;
	/* Borrowed; --rate-limit (docs/internals/registry.md §8.2): a registry request over
	 * its kind's rate is answered 429 with Retry-After, before any fault rule, and counted
	 * as "limited" when faults is set. NULL: no limit. /_srlite is never limited. */
	struct sl_ratelimit *limit;
};

/* The sl_httpd_handler for srlite; cls is a struct sl_api *. Thread-safe. */
int sl_api_handle(void *cls, const struct sl_httpd_request *req, struct sl_httpd_response *resp);

#endif
