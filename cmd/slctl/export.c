/* export.c — `slctl export --registry NAME`: prints the manifests sl_engine_export makes of
 * what lives on one registry, as YAML documents or (-o json) one JSON array. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/engine.h"
#include "slctl.h"

int slctl_export(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec warnings = SL_VEC_INIT;
	struct sl_buf out = SL_BUF_INIT;
	json_t *docs = NULL;
	const char *reg = x->registry;
	size_t i;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if (!sl_snapshot_get(snap, SL_KIND_REGISTRY, reg)) {
		fprintf(stderr, "slctl: export: registry \"%s\" is not declared in the manifests\n",
		        reg);
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if ((e = slctl_engine(x, true, true, false)) == NULL ||
	        sl_engine_client(e, snap, reg, &err) == NULL) {
		if (e)
			fprintf(stderr, "slctl: export: %s\n", err.msg);
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	rc = sl_engine_export(e, snap, reg, &docs, &warnings, &err);
	for (i = 0; i < warnings.len; i++)
		fprintf(stderr, "slctl: export: %s\n", (char *)warnings.items[i]);
	if (rc < 0) {
		fprintf(stderr, "slctl: export: %s\n", err.msg);
		rc = err.code == SL_ECONN || err.code == SL_ETIMEOUT ? SLCTL_EXIT_UNREACHABLE
		                                                     : SLCTL_EXIT_FAIL;
		goto out;
	}
	if (x->output && !strcmp(x->output, "json")) {
		char *s = json_dumps(docs, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		for (i = 0; i < json_array_size(docs); i++) {
			sl_buf_adds(&out, "---\n");
			slctl_yaml(json_array_get(docs, i), &out);
		}
		fputs(out.data ? out.data : "", stdout);
	}
	rc = SLCTL_EXIT_OK;
out:
	json_decref(docs);
	sl_buf_release(&out);
	sl_vec_release(&warnings, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
