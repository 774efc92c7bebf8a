/* status.c — conditions and heal history of one object. */
#include "schemalink/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void sl_status_set_condition(struct sl_object_status *st, enum sl_cond_type t,
        enum sl_cond_status status, const char *reason, const char *message, int error_code,
        const char *gen, int64_t now_ms)
{
	struct sl_condition *c;

	if (t < 0 || t >= SL_COND_COUNT)
		return;
	c = &st->cond[t];
	/* lastTransitionTime moves only when status does (ARCHITECTURE.md "Conditions"). */
	if (c->last_transition_ms == 0 || c->status != status)
		c->last_transition_ms = now_ms;
	c->status = status;
	copy(c->reason, sizeof(c->reason), reason);
	copy(c->message, sizeof(c->message), message);
	c->error_code = error_code;
	copy(c->observed_generation, sizeof(c->observed_generation), gen);
}

void sl_status_add_history(
        struct sl_object_status *st, int64_t at_ms, const char *reason, const char *action)
{
	struct sl_heal_record *r;

	if (st->n_history == SL_HEAL_HISTORY) {
		memmove(st->history, st->history + 1,
		        sizeof(st->history[0]) * (SL_HEAL_HISTORY - 1));
		st->n_history--;
	}
	r = &st->history[st->n_history++];
	r->at_ms = at_ms;
	copy(r->reason, sizeof(r->reason), reason);
	copy(r->action, sizeof(r->action), action);
}

const char *sl_cond_type_name(enum sl_cond_type t)
{
	static const char *const names[] = {"Ready", "Reconciling", "Stalled"};

	return t >= 0 && t < SL_COND_COUNT ? names[t] : "Unknown";
}

const char *sl_cond_status_name(enum sl_cond_status s)
{
	switch (s) {
	case SL_COND_TRUE: return "True";
	case SL_COND_FALSE: return "False";
	case SL_COND_UNKNOWN: break;
	}
	return "Unknown";
}

const char *sl_result_name(enum sl_result r)
{
	switch (r) {
	case SL_RESULT_DONE: return "done";
	case SL_RESULT_REQUEUE_AFTER: return "requeue";
	case SL_RESULT_RETRY: return "retry";
	case SL_RESULT_STALLED: return "stalled";
	}
	return "unknown";
}
