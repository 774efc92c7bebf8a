/*
 * fuzz_manifest.c — libFuzzer harness for the manifest loader (docs/internals/architecture.md "Testing
 * layers", 4).
 *
 * The input is one manifest file's bytes: sl_manifest_add_buffer, sl_manifest_finish (which
 * runs the cross-object lint), a second sl_manifest_lint over a sealed snapshot, and every
 * diagnostic formatted, so the YAML tree, the decoders, lint and the diagnostic printer all
 * see hostile input. Everything is freed, so leaks show up too.
 *
 * tests/unit/test_fuzz_regressions.c includes this file with SL_FUZZ_NO_ENTRY defined and
 * calls fuzz_manifest_one on every saved input, so the same code runs under make test/asan.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "schemalink/manifest.h"
#include "schemalink/objects.h"

static void fuzz_manifest_format_all(const struct sl_diags *d)
{
	struct sl_buf line = SL_BUF_INIT;
	size_t i;

	for (i = 0; i < d->items.len; i++) {
		sl_buf_reset(&line);
		if (sl_diag_format(d->items.items[i], &line) == 0 && line.len != strlen(line.data))
			__builtin_trap(); /* a diagnostic line with a NUL inside */
	}
	sl_buf_release(&line);
}

static int fuzz_manifest_one(const uint8_t *data, size_t size)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *snap = NULL;
	struct sl_diags again;
	int rc;

	if (l == NULL)
		return 0;
	sl_diags_init(&again);
	if (sl_manifest_add_buffer(l, "fuzz.yaml", "/fuzz", data, size) < 0)
		goto out;
	rc = sl_manifest_finish(l, &snap);
	fuzz_manifest_format_all(sl_manifest_diags(l));
	/* A load either succeeds with a snapshot or reports at least one error. */
	if ((rc == 0) != (snap != NULL))
		__builtin_trap();
	if (rc == SL_EINVAL && sl_manifest_diags(l)->errors == 0)
		__builtin_trap();
	if (snap != NULL) {
		/* Lint over the sealed (sorted) snapshot must not find new errors. */
		if (sl_manifest_lint(snap, &again) == 0 && again.errors != 0)
			__builtin_trap();
		fuzz_manifest_format_all(&again);
	}
out:
	sl_diags_release(&again);
	sl_snapshot_free(snap);
	sl_manifest_loader_free(l);
	return 0;
}

#ifndef SL_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_manifest_one(data, size);
}
#endif
