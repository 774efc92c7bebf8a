/*
 * fake.h — TEST-ONLY reconciler behind schemalinkd's hidden --test-fake-reconciler flag.
 *
 * Lets the e2e tests drive the daemon's loop, endpoints, signals and watcher without a
 * registry or the engine. It touches no registry and writes nothing but the status. Never the
 * default: without the flag the daemon uses the engine (sl_engine_reconcile).
 */
#ifndef SCHEMALINKD_FAKE_H
#define SCHEMALINKD_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/controller.h"

struct fake_reconciler {
	enum { FAKE_DONE, FAKE_RETRY, FAKE_STALLED, FAKE_UNREACHABLE } mode;
	int64_t sleep_ms; /* each reconcile first sleeps this long (cancellable) */
	bool (*cancelled)(void *cls);
	void *cancel_cls;
};

/* Parses "done", "retry", "stalled" or "unreachable", optionally followed by ",sleep=DUR".
 * Returns 0 or SL_EINVAL with err set. */
int fake_parse(const char *spec, struct fake_reconciler *f, struct sl_error *err);

/* An sl_reconcile_fn; cls is a struct fake_reconciler. */
int fake_reconcile(void *cls, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err);

#endif
