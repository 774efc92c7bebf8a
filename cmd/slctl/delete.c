/* delete.c — `slctl delete`: undo what this manifest set did, in the engine's delete order. */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schemalink/buf.h"
#include "schemalink/clock.h"
#include "schemalink/engine.h"
#include "schemalink/inventory.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/qsubject.h"
#include "slctl.h"

/* ---- delete ------------------------------------------------------------------------------ */

int slctl_delete(const struct slctl_ctx *x)
{
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_vec keys = SL_VEC_INIT;
	struct sl_error oom = SL_ERROR_INIT;
	bool unreachable = false, failed = false;
	size_t i;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, false, false, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (x->args->len == 2) {
		struct sl_buf b = SL_BUF_INIT;
		char *key;

		if (!sl_snapshot_get(snap, SL_KIND_SCHEMALINK, x->args->items[1])) {
			fprintf(stderr, "slctl: delete: no link named \"%s\" in the manifests\n",
			        (char *)x->args->items[1]);
			rc = SLCTL_EXIT_FAIL;
			goto out;
		}
		key = sl_buf_addf(&b, "SchemaLink/%s", (char *)x->args->items[1]) == 0
		              ? sl_buf_detach(&b)
		              : NULL;
		sl_buf_release(&b);
		if (key == NULL || sl_vec_push(&keys, key) < 0) {
			free(key);
			rc = sl_error_set(&oom, SL_ENOMEM, "out of memory");
		}
	} else {
		rc = sl_engine_delete_order(snap, &keys);
	}
	if (rc < 0) {
		fprintf(stderr, "slctl: delete: out of memory; nothing was deleted\n");
		rc = SLCTL_EXIT_FAIL;
		goto out;
	}
	sl_engine_begin_pass(e);
	for (i = 0; i < keys.len; i++) {
		struct sl_reconcile_result r;
		struct sl_error err = SL_ERROR_INIT;

		if (sl_engine_delete(e, snap, keys.items[i], &r, &err) < 0) {
			fprintf(stderr, "slctl: %s: %s\n", (char *)keys.items[i], err.msg);
			failed = true;
			continue;
		}
		if (r.unreachable) {
			unreachable = true;
			fprintf(stderr, "slctl: %s: %s\n", r.status.key,
			        r.status.cond[SL_COND_READY].message);
		} else if (r.result == SL_RESULT_RETRY) {
			failed = true;
			fprintf(stderr, "slctl: %s: %s\n", r.status.key,
			        r.status.cond[SL_COND_READY].message);
		} else {
			printf("%s: %s\n", (char *)keys.items[i],
			        r.planned ? "deleted"
			                  : "nothing to delete (schemalink changed nothing)");
		}
	}
	{
		struct sl_error err = SL_ERROR_INIT;

		if (sl_engine_end_pass(e, &err) < 0) {
			fprintf(stderr, "slctl: delete: %s\n", err.msg);
			failed = true;
		}
	}
	rc = unreachable ? SLCTL_EXIT_UNREACHABLE : failed ? SLCTL_EXIT_FAIL : SLCTL_EXIT_OK;
out:
	sl_vec_release(&keys, free);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
