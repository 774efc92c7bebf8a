/*
 * engine_fixture.h — for the engine's unit tests (test_engine.c, test_engine_pass.c): loading
 * manifest text into a snapshot, and freeing a fake registry the engine did not take.
 * Include after cmocka.h.
 */
#ifndef SL_TEST_ENGINE_FIXTURE_H
#define SL_TEST_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "schemalink/buf.h"
#include "schemalink/manifest.h"
#include "schemalink/srclient.h"

/* The snapshot of manifest text (as file `name` in dir); prints the diagnostics and fails
 * the test when it does not load. */
static inline struct sl_snapshot *fixture_load(
        const char *name, const char *dir, const char *text, size_t len)
{
	struct sl_manifest_loader *l = sl_manifest_loader_new();
	struct sl_snapshot *s = NULL;
	size_t i;

	assert_int_equal(sl_manifest_add_buffer(l, name, dir, text, len), 0);
	if (sl_manifest_finish(l, &s) != 0) {
		const struct sl_diags *d = sl_manifest_diags(l);

		for (i = 0; i < d->items.len; i++) {
			struct sl_buf line = SL_BUF_INIT;

			sl_diag_format(d->items.items[i], &line);
			fprintf(stderr, "%s\n", line.data);
			sl_buf_release(&line);
		}
		fail_msg("manifest did not load");
	}
	sl_manifest_loader_free(l);
	return s;
}

/* Frees *f unless the engine took it (and so frees it), then forgets it. */
static inline void fixture_fake_free(struct sl_fake_transport **f, bool *taken)
{
	if (*f != NULL && !*taken) {
		struct sl_transport *t = sl_fake_transport_base(*f);

		t->free(t);
	}
	*f = NULL;
	*taken = false;
}

#endif
