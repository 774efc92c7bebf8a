/* linkop.c — `slctl pause|resume|reset|promote link NAME`. */
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

/* ---- pause / resume / reset / promote ---------------------------------------------------- */

static int registry_exit(const struct sl_error *err)
{
	return err->code == SL_ECONN || err->code == SL_ETIMEOUT ? SLCTL_EXIT_UNREACHABLE
	       : err->code == SL_ENOENT                          ? SLCTL_EXIT_USAGE
	                                                         : SLCTL_EXIT_FAIL;
}

int slctl_link_op(const struct slctl_ctx *x)
{
	const char *name = x->args->items[1];
	struct sl_snapshot *snap = NULL;
	struct sl_engine *e = NULL;
	struct sl_error err = SL_ERROR_INIT;
	struct sl_buf warn = SL_BUF_INIT;
	int rc;

	if ((rc = slctl_load(x, &snap)) != 0)
		goto out;
	if ((e = slctl_engine(x, false, false, false)) == NULL) {
		rc = SLCTL_EXIT_USAGE;
		goto out;
	}
	if (!strcmp(x->command, "promote")) {
		struct sl_buf change = SL_BUF_INIT;

		if (sl_engine_promote(e, snap, name, &change, &err) < 0) {
			fprintf(stderr, "slctl: promote link %s: %s\n", name, err.msg);
			rc = registry_exit(&err);
		} else {
			fputs(change.data, stdout);
			rc = SLCTL_EXIT_OK;
		}
		sl_buf_release(&change);
		goto out;
	}
	if (sl_engine_link_op(e, snap, name,
	            !strcmp(x->command, "pause")    ? SL_LINK_OP_PAUSE
	            : !strcmp(x->command, "resume") ? SL_LINK_OP_RESUME
	                                            : SL_LINK_OP_RESET,
	            &warn, &err) < 0) {
		fprintf(stderr, "slctl: %s link %s: %s\n", x->command, name, err.msg);
		rc = registry_exit(&err);
		goto out;
	}
	printf("link %s: %s\n", name,
	        !strcmp(x->command, "pause")    ? "paused"
	        : !strcmp(x->command, "resume") ? "resumed"
	                                        : "reset");
	if (warn.len)
		fprintf(stderr, "warning: %s\n", warn.data);
	rc = SLCTL_EXIT_OK;
out:
	sl_buf_release(&warn);
	sl_engine_free(e);
	sl_snapshot_free(snap);
	return rc;
}
