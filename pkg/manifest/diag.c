/* diag.c — diagnostics of a manifest load: collected, capped and formatted. */
#include "schemalink/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_diags_init(struct sl_diags *d)
{
	memset(d, 0, sizeof(*d));
	sl_vec_init(&d->items);
}

static void diag_free(void *p)
{
	struct sl_diag *g = p;

	if (g == NULL)
		return;
	free(g->file);
	free(g->path);
	free(g->msg);
	free(g);
}

void sl_diags_release(struct sl_diags *d)
{
	if (d == NULL)
		return;
	sl_vec_release(&d->items, diag_free);
	sl_diags_init(d);
}

void sl_diags_make_room(struct sl_diags *d)
{
	if (d->items.len >= SL_MANIFEST_MAX_DIAGS) {
		diag_free(sl_vec_pop(&d->items));
		d->dropped++;
	}
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		*oom = true;
	return c;
}

int sl_diags_vadd(struct sl_diags *d, enum sl_diag_severity sev, const char *file, int line,
        int col, const char *path, const char *fmt, va_list ap)
{
	struct sl_buf msg = SL_BUF_INIT;
	struct sl_diag *g = NULL;
	bool oom = false;

	if (sev == SL_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->items.len >= SL_MANIFEST_MAX_DIAGS) {
		d->dropped++;
		return 0;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL || sl_buf_vaddf(&msg, fmt, ap) < 0)
		goto fail;
	g->severity = sev;
	g->line = line;
	g->col = col;
	g->file = dup_or_null(file, &oom);
	g->path = path && *path ? dup_or_null(path, &oom) : NULL;
	g->msg = sl_buf_detach(&msg);
	if (oom || g->msg == NULL || sl_vec_push(&d->items, g) < 0)
		goto fail;
	return 0;
fail:
	sl_buf_release(&msg);
	diag_free(g);
	return SL_ENOMEM;
}

int sl_diags_add(struct sl_diags *d, enum sl_diag_severity sev, const char *file, int line, int col,
        const char *path, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_diags_vadd(d, sev, file, line, col, path, fmt, ap);
	va_end(ap);
	return rc;
}

int sl_diag_format(const struct sl_diag *d, struct sl_buf *out)
{
	int rc = 0;

	if (d->file != NULL && d->line > 0)
		rc = sl_buf_addf(out, "%s:%d:%d: ", d->file, d->line, d->col);
	else if (d->file != NULL)
		rc = sl_buf_addf(out, "%s: ", d->file);
	if (rc == 0 && d->path != NULL)
		rc = sl_buf_addf(out, "%s: ", d->path);
	if (rc == 0 && d->severity == SL_DIAG_WARNING)
		rc = sl_buf_adds(out, "warning: ");
	if (rc == 0)
		rc = sl_buf_adds(out, d->msg);
	return rc;
}
