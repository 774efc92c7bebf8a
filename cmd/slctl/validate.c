/* validate.c — `slctl validate`: parse and check manifests, print every problem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/manifest.h"
#include "slctl.h"

int slctl_manifest_paths(const struct sl_vec *flags, struct sl_vec *out, char **env_copy)
{
	const char *env = getenv("SLCTL_FILES");
	char *p, *save = NULL, *tok;
	size_t i;

	*env_copy = NULL;
	if (flags->len > 0) {
		for (i = 0; i < flags->len; i++)
			if (sl_vec_push(out, flags->items[i]) < 0)
				return SL_ENOMEM;
		return 0;
	}
	if (env == NULL)
		return 0;
	p = *env_copy = strdup(env);
	if (p == NULL)
		return SL_ENOMEM;
	for (tok = strtok_r(p, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save))
		if (sl_vec_push(out, tok) < 0)
			return SL_ENOMEM;
	return 0;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int slctl_validate(const struct sl_vec *paths, bool strict)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *snap = NULL;
	const struct sl_diags *d;
	struct sl_buf line = SL_BUF_INIT;
	size_t i;
	int rc = SLCTL_EXIT_USAGE, lrc = 0;

	if (l == NULL)
		goto oom;
	for (i = 0; i < paths->len && lrc == 0; i++)
		lrc = sl_manifest_add_path(l, paths->items[i]);
	if (lrc == SL_ENOMEM)
		goto oom;
	lrc = sl_manifest_finish(l, &snap);
	if (lrc == SL_ENOMEM)
		goto oom;
	d = sl_manifest_diags(l);
	for (i = 0; i < d->items.len; i++) {
		sl_buf_reset(&line);
		if (sl_diag_format(d->items.items[i], &line) < 0)
			goto oom;
		fprintf(stderr, "%s\n", line.data);
	}
	if (d->dropped > 0)
		fprintf(stderr, "%zu more %s not shown (at most %d are listed)\n", d->dropped,
		        plural(d->dropped, "problem", "problems"), SL_MANIFEST_MAX_DIAGS);
	if (d->errors == 0 && !(strict && d->warnings > 0))
		rc = SLCTL_EXIT_OK;
	printf("%s%s: %zu %s, %zu %s in %zu %s from %zu %s\n", rc == 0 ? "valid" : "invalid",
	        rc != 0 && d->errors == 0 ? " (--strict: warnings are errors)" : "", d->errors,
	        plural(d->errors, "error", "errors"), d->warnings,
	        plural(d->warnings, "warning", "warnings"), sl_manifest_objects(l),
	        plural(sl_manifest_objects(l), "object", "objects"), sl_manifest_files(l),
	        plural(sl_manifest_files(l), "file", "files"));
	goto out;
oom:
	fprintf(stderr, "slctl: validate: out of memory\n");
	rc = SLCTL_EXIT_USAGE;
out:
	sl_buf_release(&line);
	sl_snapshot_free(snap);
	sl_manifest_loader_free(l);
	return rc;
}
