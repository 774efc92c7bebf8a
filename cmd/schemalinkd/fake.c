/* fake.c — the test-only reconciler (see fake.h). */
#include "fake.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schemalink/clock.h"
#include "schemalink/duration.h"

int fake_parse(const char *spec, struct fake_reconciler *f, struct sl_error *err)
{
	char mode[32];
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);

	memset(f, 0, sizeof(*f));
	if (n >= sizeof(mode))
		return sl_error_set(err, SL_EINVAL, "unknown fake mode");
	memcpy(mode, spec, n);
	mode[n] = '\0';
	if (strcmp(mode, "done") == 0)
		f->mode = FAKE_DONE;
	else if (strcmp(mode, "retry") == 0)
		f->mode = FAKE_RETRY;
	else if (strcmp(mode, "stalled") == 0)
		f->mode = FAKE_STALLED;
	else if (strcmp(mode, "unreachable") == 0)
		f->mode = FAKE_UNREACHABLE;
	else
		return sl_error_set(err, SL_EINVAL,
		        "must be one of done, retry, stalled, unreachable (got \"%s\")", mode);
	if (comma != NULL) {
		if (strncmp(comma + 1, "sleep=", 6) != 0)
			return sl_error_set(err, SL_EINVAL, "only \",sleep=DURATION\" may follow");
		return sl_duration_parse(comma + 7, &f->sleep_ms, err);
	}
	return 0;
}

static bool stop(const struct fake_reconciler *f)
{
	return f->cancelled != NULL && f->cancelled(f->cancel_cls);
}

int fake_reconcile(void *cls, const struct sl_snapshot *snap, const char *key,
        struct sl_reconcile_result *out, struct sl_error *err)
{
	const struct fake_reconciler *f = cls;
	const struct sl_object *o = snap ? sl_strmap_get(&snap->by_key, key, NULL) : NULL;
	const char *gen = o ? o->spec_hash : "";
	int64_t now, slept = 0;
	struct timespec tick = {0, 10 * 1000000L};

	/* Sleeps in 10 ms steps so SIGTERM's cancellation is seen at once, as curl's progress
	 * callback would see it. */
	while (slept < f->sleep_ms) {
		if (stop(f))
			return sl_error_set(err, SL_ETIMEOUT, "cancelled: shutting down");
		nanosleep(&tick, NULL);
		slept += 10;
	}
	now = sl_clock_wall_ms(sl_clock_system());
	memset(out, 0, sizeof(*out));
	snprintf(out->status.key, sizeof(out->status.key), "%s", key);
	if (o == NULL) {
		out->result = SL_RESULT_DONE;
		return 0;
	}
	if (f->mode == FAKE_DONE || (f->mode == FAKE_UNREACHABLE && o->kind != SL_KIND_REGISTRY)) {
		out->result = SL_RESULT_DONE;
		sl_status_set_condition(&out->status, SL_COND_READY, SL_COND_TRUE, "Reconciled",
		        "in sync (fake reconciler)", 0, gen, now);
		sl_status_set_condition(&out->status, SL_COND_RECONCILING, SL_COND_FALSE,
		        "Reconciled", "", 0, gen, now);
		sl_status_set_condition(&out->status, SL_COND_STALLED, SL_COND_FALSE, "Reconciled",
		        "", 0, gen, now);
		if (o->kind == SL_KIND_SCHEMALINK)
			snprintf(out->status.exporter_state, sizeof(out->status.exporter_state),
			        "RUNNING");
		return 0;
	}
	if (f->mode == FAKE_STALLED) {
		out->result = SL_RESULT_STALLED;
		sl_status_set_condition(&out->status, SL_COND_READY, SL_COND_FALSE, "FakeStalled",
		        "stalled by the fake reconciler", 42205, gen, now);
		sl_status_set_condition(&out->status, SL_COND_RECONCILING, SL_COND_FALSE,
		        "FakeStalled", "", 0, gen, now);
		sl_status_set_condition(&out->status, SL_COND_STALLED, SL_COND_TRUE, "FakeStalled",
		        "stalled by the fake reconciler", 42205, gen, now);
		return 0;
	}
	out->result = SL_RESULT_RETRY;
	{
		const char *reason =
		        f->mode == FAKE_UNREACHABLE ? SL_REASON_REGISTRY_UNREACHABLE : "FakeRetry";

		sl_status_set_condition(&out->status, SL_COND_READY, SL_COND_FALSE, reason,
		        "failing on purpose (fake reconciler)", 0, gen, now);
		sl_status_set_condition(&out->status, SL_COND_RECONCILING, SL_COND_TRUE, reason,
		        "retrying with backoff", 0, gen, now);
		sl_status_set_condition(
		        &out->status, SL_COND_STALLED, SL_COND_FALSE, reason, "", 0, gen, now);
	}
	return 0;
}
