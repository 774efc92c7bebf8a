/* scenario_manifest.c — pkg/manifest: a directory of manifests (examples/), one of its files
 * given again, and a buffer with the other kinds; the load's diagnostics (the example's loop
 * warnings, NONE links both ways, two names for one URL) and what it loaded, then a lint pass
 * over the sealed snapshot. */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schemalink/manifest.h"

#define EXAMPLE "examples/active-active-contexts"

#define HDR "apiVersion: schemalink.io/v1alpha1\n"
static const char more_yaml[] =
        HDR "kind: Context\nmetadata: {name: c}\nspec: {registry: target, context: "
            "source, mode: IMPORT}\n"
            "---\n" HDR "kind: Subject\nmetadata: {name: s, labels: {team: b, app: a}}\n"
            "spec: {registry: source, subject: \":.:orders\", compatibility: NONE}\n"
            "---\n" HDR "kind: Registry\nmetadata: {name: third}\n"
            "spec:\n"
            "  url: http://localhost:8083\n"
            "  auth: {basic: {username: {value: alice}, password: {file: secrets/pw}}}\n"
            "  linkAuth:\n"
            "    oauth: {clientId: {value: c}, clientSecret: {env: CS}, issuerUrl: "
            "https://idp/t, scope: s}\n"
            "  linkTls: {truststoreFile: /t.jks, truststorePassword: {env: TP}}\n"
            "  timeouts: {connect: 2s, request: 1m}\n"
            "  mode: readonly\n"
            "---\n" HDR "kind: SchemaLink\nmetadata: {name: to-third}\n"
            "spec:\n"
            "  source: source\n"
            "  destination: third\n"
            "  subjects: [\"pageviews-value\", &s \":.:orders\"]\n"
            "  context: {type: NONE}\n"
            "  destinationMode: Unmanaged\n"
            "  config: {batch.size: 100, a: *s}\n"
            "  secretConfig: {basic.auth.user.info: {env: UI}}\n"
            "---\n" HDR "kind: SchemaLink\nmetadata: {name: back}\n"
            "spec: {source: third, destination: source, subjects: [pageviews-value],\n"
            "       context: {type: NONE}, destinationMode: Unmanaged}\n"
            "---\n" HDR "kind: Registry\nmetadata: {name: alias}\n"
            "spec: {url: \"HTTP://127.0.0.1:8081/\"}\n";

static int setup(void)
{
	struct stat st;

	if (stat(EXAMPLE "/links.yaml", &st) != 0) {
		perror("torture: " EXAMPLE " (run from the top of the tree)");
		return -1;
	}
	return 0;
}

static int add_diags(const struct sl_diags *d, struct sl_buf *out)
{
	size_t i;

	if (sl_buf_addf(out, "%zu errors, %zu warnings, %zu dropped\n", d->errors, d->warnings,
	            d->dropped) < 0)
		return SL_ENOMEM;
	for (i = 0; i < d->items.len; i++)
		if (sl_diag_format(d->items.items[i], out) < 0 || sl_buf_addch(out, '\n') < 0)
			return SL_ENOMEM;
	return 0;
}

static int run(struct sl_buf *out)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *s = NULL;
	struct sl_diags lint;
	size_t i;
	int rc;

	sl_diags_init(&lint);
	if (l == NULL)
		return SL_ENOMEM;
	rc = sl_manifest_add_path(l, EXAMPLE);
	if (rc == 0)
		rc = sl_manifest_add_path(l, EXAMPLE "/links.yaml"); /* read once */
	if (rc == 0)
		rc = sl_manifest_add_buffer(l, "more.yaml", "/base", more_yaml, strlen(more_yaml));
	if (rc == 0)
		rc = sl_manifest_finish(l, &s);
	if (rc == 0)
		rc = add_diags(sl_manifest_diags(l), out);
	if (rc == 0 && sl_buf_addf(out, "%zu files, %zu objects\n", sl_manifest_files(l),
	                       sl_snapshot_count(s)) < 0)
		rc = SL_ENOMEM;
	for (i = 0; rc == 0 && i < sl_snapshot_count(s); i++) {
		const struct sl_object *o = sl_snapshot_at(s, i);

		if (sl_buf_addf(out, "%s %s:%d:%d %s\n", o->key, o->file, o->line, o->col,
		            o->spec_hash) < 0)
			rc = SL_ENOMEM;
	}
	if (rc == 0)
		rc = sl_manifest_lint(s, &lint);
	if (rc == 0)
		rc = add_diags(&lint, out);
	sl_diags_release(&lint);
	sl_snapshot_free(s);
	sl_manifest_loader_free(l);
	return rc;
}

const struct torture_scenario torture_scenario_manifest = {
        .name = "manifest",
        .setup = setup,
        .run = run,
};
