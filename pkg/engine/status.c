/* status.c — conditions and heal history of one object. */
#include "schemalink/status.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/buf.h"

/* Cut at a character boundary: a message cut inside a UTF-8 sequence would make the whole
 * status document unencodable as JSON. */
static void copy(char *dst, size_t len, const char *src)
{
	sl_strlcpy_utf8(dst, len, src);
}

void sl_status_set_condition(struct sl_object_status *st, enum sl_cond_type t,
        enum sl_cond_status status, const char *reason, const char *message, int error_code,
        const char *gen, int64_t now_ms)
{
	struct sl_condition *c;

	if (t < 0 || t >= SL_COND_COUNT)
		return;
	c = &st->cond[t];
	/* lastTransitionTime moves only when status does (docs/internals/architecture.md "Conditions"). */
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

/* ---- packed form ------------------------------------------------------------------------ */

/* The numeric fields, then data: n_history heal times (int64_t, unaligned), then every string
 * of string_fields() in that order, each with its terminator. An observed generation equal to
 * the Ready condition's (the usual case: one spec hash) is not stored again. */
struct sl_status_packed {
	int64_t exporter_offset;
	int64_t exporter_ts;
	int64_t updated_ms;
	int64_t transition_ms[SL_COND_COUNT];
	int32_t error_code[SL_COND_COUNT];
	uint8_t cond_status[SL_COND_COUNT];
	uint8_t n_history;
	uint8_t gen_shared; /* bit t: cond[t].observed_generation is cond[0]'s */
	uint32_t size; /* of the whole allocation */
	unsigned char data[];
};

/* Where one string lives in struct sl_object_status, and its buffer size. */
struct field {
	size_t off, cap;
};

#define MAX_FIELDS (1 + 3 * SL_COND_COUNT + 3 + 2 * SL_HEAL_HISTORY)
#define COND_FIELD(t, f) \
	(offsetof(struct sl_object_status, cond) + (size_t)(t) * sizeof(struct sl_condition) + \
	        offsetof(struct sl_condition, f))
#define HIST_FIELD(i, f) \
	(offsetof(struct sl_object_status, history) + \
	        (size_t)(i) * sizeof(struct sl_heal_record) + offsetof(struct sl_heal_record, f))
#define FIELD_CAP(type, f) sizeof(((type *)NULL)->f)

/* The string fields a packed status stores, in order; returns their number. */
static int string_fields(int n_history, unsigned gen_shared, struct field *f)
{
	int n = 0, t, i;

	f[n++] = (struct field){
	        offsetof(struct sl_object_status, key), FIELD_CAP(struct sl_object_status, key)};
	for (t = 0; t < SL_COND_COUNT; t++) {
		f[n++] = (struct field){
		        COND_FIELD(t, reason), FIELD_CAP(struct sl_condition, reason)};
		f[n++] = (struct field){
		        COND_FIELD(t, message), FIELD_CAP(struct sl_condition, message)};
		if (!(gen_shared & (1u << t)))
			f[n++] = (struct field){COND_FIELD(t, observed_generation),
			        FIELD_CAP(struct sl_condition, observed_generation)};
	}
	f[n++] = (struct field){
	        offsetof(struct sl_object_status, fix), FIELD_CAP(struct sl_object_status, fix)};
	f[n++] = (struct field){offsetof(struct sl_object_status, exporter_state),
	        FIELD_CAP(struct sl_object_status, exporter_state)};
	f[n++] = (struct field){offsetof(struct sl_object_status, trace_first_line),
	        FIELD_CAP(struct sl_object_status, trace_first_line)};
	for (i = 0; i < n_history; i++) {
		f[n++] = (struct field){
		        HIST_FIELD(i, reason), FIELD_CAP(struct sl_heal_record, reason)};
		f[n++] = (struct field){
		        HIST_FIELD(i, action), FIELD_CAP(struct sl_heal_record, action)};
	}
	return n;
}

/* The string at off in st, and its length: at most cap - 1 bytes, as a terminated buffer
 * holds (a buffer missing its terminator is cut there, as every reader of it would). */
static const char *field_str(const struct sl_object_status *st, struct field f, size_t *len)
{
	const char *s = (const char *)st + f.off;

	*len = strnlen(s, f.cap - 1);
	return s;
}

static int clamp_history(int n)
{
	return n < 0 ? 0 : n > SL_HEAL_HISTORY ? SL_HEAL_HISTORY : n;
}

static unsigned shared_gens(const struct sl_object_status *st)
{
	unsigned bits = 0;
	int t;

	for (t = 1; t < SL_COND_COUNT; t++)
		if (strncmp(st->cond[t].observed_generation, st->cond[0].observed_generation,
		            sizeof(st->cond[0].observed_generation) - 1) == 0)
			bits |= 1u << t;
	return bits;
}

struct sl_status_packed *sl_status_pack(const struct sl_object_status *st)
{
	struct field f[MAX_FIELDS];
	struct sl_status_packed *p;
	int n_history = clamp_history(st->n_history), nf, i, t;
	unsigned gen_shared = shared_gens(st);
	size_t size = sizeof(*p) + (size_t)n_history * sizeof(int64_t), len;
	unsigned char *d;

	nf = string_fields(n_history, gen_shared, f);
	for (i = 0; i < nf; i++) {
		field_str(st, f[i], &len);
		size += len + 1;
	}
	/* Zeroed, padding too, so equal statuses are equal bytes. */
	p = calloc(1, size);
	if (p == NULL)
		return NULL;
	p->exporter_offset = st->exporter_offset;
	p->exporter_ts = st->exporter_ts;
	p->updated_ms = st->updated_ms;
	for (t = 0; t < SL_COND_COUNT; t++) {
		p->transition_ms[t] = st->cond[t].last_transition_ms;
		p->error_code[t] = st->cond[t].error_code;
		p->cond_status[t] = (uint8_t)st->cond[t].status;
	}
	p->n_history = (uint8_t)n_history;
	p->gen_shared = (uint8_t)gen_shared;
	p->size = (uint32_t)size;
	d = p->data;
	for (i = 0; i < n_history; i++, d += sizeof(int64_t))
		memcpy(d, &st->history[i].at_ms, sizeof(int64_t));
	for (i = 0; i < nf; i++) {
		const char *s = field_str(st, f[i], &len);

		memcpy(d, s, len);
		d[len] = '\0';
		d += len + 1;
	}
	return p;
}

void sl_status_unpack(const struct sl_status_packed *p, struct sl_object_status *out)
{
	struct field f[MAX_FIELDS];
	const unsigned char *d = p->data;
	int nf, i, t;

	memset(out, 0, sizeof(*out));
	out->exporter_offset = p->exporter_offset;
	out->exporter_ts = p->exporter_ts;
	out->updated_ms = p->updated_ms;
	for (t = 0; t < SL_COND_COUNT; t++) {
		out->cond[t].last_transition_ms = p->transition_ms[t];
		out->cond[t].error_code = p->error_code[t];
		out->cond[t].status = (enum sl_cond_status)p->cond_status[t];
	}
	out->n_history = p->n_history;
	for (i = 0; i < p->n_history; i++, d += sizeof(int64_t))
		memcpy(&out->history[i].at_ms, d, sizeof(int64_t));
	nf = string_fields(p->n_history, p->gen_shared, f);
	for (i = 0; i < nf; i++) {
		size_t len = strlen((const char *)d);

		memcpy((char *)out + f[i].off, d, len);
		d += len + 1;
	}
	for (t = 1; t < SL_COND_COUNT; t++)
		if (p->gen_shared & (1u << t))
			memcpy(out->cond[t].observed_generation, out->cond[0].observed_generation,
			        sizeof(out->cond[t].observed_generation));
}

void sl_status_packed_free(struct sl_status_packed *p)
{
	free(p);
}

struct sl_status_packed *sl_status_packed_dup(const struct sl_status_packed *p)
{
	struct sl_status_packed *d = malloc(p->size);

	if (d != NULL)
		memcpy(d, p, p->size);
	return d;
}

/* The key is the first string, after the heal times (string_fields). */
const char *sl_status_packed_key(const struct sl_status_packed *p)
{
	return (const char *)p->data + (size_t)p->n_history * sizeof(int64_t);
}

void sl_status_packed_conditions(const struct sl_status_packed *p,
        enum sl_cond_status status[SL_COND_COUNT], const char *reason[SL_COND_COUNT])
{
	const char *d;
	int t;

	for (t = 0; t < SL_COND_COUNT; t++)
		status[t] = (enum sl_cond_status)p->cond_status[t];
	if (reason == NULL)
		return;
	/* key, then per condition: reason, message, and the generation unless shared. */
	d = sl_status_packed_key(p);
	d += strlen(d) + 1;
	for (t = 0; t < SL_COND_COUNT; t++) {
		reason[t] = d;
		d += strlen(d) + 1;
		d += strlen(d) + 1;
		if (!(p->gen_shared & (1u << t)))
			d += strlen(d) + 1;
	}
}

size_t sl_status_packed_size(const struct sl_status_packed *p)
{
	return p->size;
}

bool sl_status_packed_same(const struct sl_status_packed *p, const struct sl_object_status *st)
{
	struct field f[MAX_FIELDS];
	const unsigned char *d = p->data;
	int nf, i, t;

	if (p->exporter_offset != st->exporter_offset || p->exporter_ts != st->exporter_ts ||
	        p->n_history != st->n_history || p->gen_shared != shared_gens(st))
		return false;
	for (t = 0; t < SL_COND_COUNT; t++)
		if (p->transition_ms[t] != st->cond[t].last_transition_ms ||
		        p->error_code[t] != st->cond[t].error_code ||
		        (int)p->cond_status[t] != (int)st->cond[t].status)
			return false;
	for (i = 0; i < p->n_history; i++, d += sizeof(int64_t))
		if (memcmp(d, &st->history[i].at_ms, sizeof(int64_t)) != 0)
			return false;
	nf = string_fields(p->n_history, p->gen_shared, f);
	for (i = 0; i < nf; i++) {
		size_t len, plen = strlen((const char *)d);
		const char *s = field_str(st, f[i], &len);

		if (len != plen || memcmp(s, d, len) != 0)
			return false;
		d += len + 1;
	}
	return true;
}

const char *sl_cond_type_name(enum sl_cond_type t)
{
	static const char *const names[] = {"Ready", "Reconciling", "Stalled", "InSync"};

	return t >= 0 && t < SL_COND_COUNT ? names[t] : "Unknown";
}

bool sl_condition_present(const struct sl_condition *c)
{
	return c->status != SL_COND_UNKNOWN || c->reason[0] != '\0';
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
