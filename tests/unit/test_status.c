/* test_status.c — conditions keep lastTransitionTime unless status changes; heal history ring. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/status.h"
#include "status_assert.h"

static void transition_time_moves_only_with_status(void **state)
{
	struct sl_object_status st;

	(void)state;
	memset(&st, 0, sizeof(st));
	sl_status_set_condition(
	        &st, SL_COND_READY, SL_COND_UNKNOWN, "Observing", NULL, 0, "g1", 1000);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, 1000);
	sl_status_set_condition(
	        &st, SL_COND_READY, SL_COND_FALSE, "ImportModeRequired", "m", 42205, "g1", 2000);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, 2000);
	/* Same status, other reason and message: time stays. */
	sl_status_set_condition(
	        &st, SL_COND_READY, SL_COND_FALSE, "ReplicationLoop", "m2", 42205, "g2", 3000);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, 2000);
	assert_string_equal(st.cond[SL_COND_READY].reason, "ReplicationLoop");
	assert_string_equal(st.cond[SL_COND_READY].message, "m2");
	assert_string_equal(st.cond[SL_COND_READY].observed_generation, "g2");
	assert_int_equal(st.cond[SL_COND_READY].error_code, 42205);
	sl_status_set_condition(&st, SL_COND_READY, SL_COND_TRUE, "Ready", NULL, 0, "g2", 4000);
	assert_int_equal(st.cond[SL_COND_READY].last_transition_ms, 4000);
	assert_string_equal(st.cond[SL_COND_READY].message, "");
	/* Out-of-range types are ignored. */
	sl_status_set_condition(&st, SL_COND_COUNT, SL_COND_TRUE, "x", NULL, 0, NULL, 1);
	assert_string_equal(sl_cond_type_name(SL_COND_STALLED), "Stalled");
	assert_string_equal(sl_cond_status_name(SL_COND_FALSE), "False");
	assert_string_equal(sl_result_name(SL_RESULT_STALLED), "stalled");
}

static void long_messages_are_cut_not_overflowed(void **state)
{
	struct sl_object_status st;
	char big[4096];

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sl_status_set_condition(&st, SL_COND_STALLED, SL_COND_TRUE, big, big, 0, big, 1);
	assert_int_equal(strlen(st.cond[SL_COND_STALLED].message), SL_COND_MSG_MAX - 1);
	assert_int_equal(strlen(st.cond[SL_COND_STALLED].reason), 63);
	assert_int_equal(strlen(st.cond[SL_COND_STALLED].observed_generation), 64);
	/* Cut at a character boundary: 1,023 bytes would end inside a 2-byte "\xC3\xA9", which
	 * would make the whole status document unencodable as JSON. */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xC3\xA9", 2);
	big[sizeof(big) - 2] = '\0';
	sl_status_set_condition(&st, SL_COND_STALLED, SL_COND_TRUE, "R", big, 0, "g", 2);
	sl_status_add_history(&st, 2, "R", big);
	assert_int_equal(strlen(st.cond[SL_COND_STALLED].message), SL_COND_MSG_MAX - 2);
	assert_int_equal(strlen(st.history[0].action), sizeof(st.history[0].action) - 2);
	{
		json_t *j = json_string(st.cond[SL_COND_STALLED].message);

		assert_non_null(j); /* valid UTF-8 */
		json_decref(j);
	}
}

static void history_keeps_the_newest(void **state)
{
	struct sl_object_status st;
	char reason[32];
	int i;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < SL_HEAL_HISTORY + 5; i++) {
		snprintf(reason, sizeof(reason), "r%d", i);
		sl_status_add_history(&st, i, reason, "action");
	}
	assert_int_equal(st.n_history, SL_HEAL_HISTORY);
	assert_string_equal(st.history[0].reason, "r5");
	assert_int_equal(st.history[SL_HEAL_HISTORY - 1].at_ms, SL_HEAL_HISTORY + 4);
}

/* Fills a buffer with cap - 1 copies of c: a string at its maximum length. */
static void fill(char *dst, size_t cap, char c)
{
	memset(dst, c, cap - 1);
	dst[cap - 1] = '\0';
}

/* Every field set, every string at its maximum length and each one different, so a string
 * unpacked into the wrong field or cut short shows. */
static void full_status(struct sl_object_status *st)
{
	int t, i;

	memset(st, 0, sizeof(*st));
	fill(st->key, sizeof(st->key), 'k');
	for (t = 0; t < SL_COND_COUNT; t++) {
		struct sl_condition *c = &st->cond[t];

		c->status = (enum sl_cond_status)(t % 3);
		fill(c->reason, sizeof(c->reason), (char)('a' + t));
		fill(c->message, sizeof(c->message), (char)('d' + t));
		fill(c->observed_generation, sizeof(c->observed_generation), (char)('g' + t));
		c->error_code = 42201 + t;
		c->last_transition_ms = INT64_C(1700000000000) + t;
	}
	fill(st->fix, sizeof(st->fix), 'f');
	fill(st->exporter_state, sizeof(st->exporter_state), 'e');
	st->exporter_offset = INT64_MAX;
	st->exporter_ts = INT64_MIN;
	fill(st->trace_first_line, sizeof(st->trace_first_line), 't');
	for (i = 0; i < SL_HEAL_HISTORY; i++) {
		fill(st->history[i].reason, sizeof(st->history[i].reason), (char)('A' + i));
		fill(st->history[i].action, sizeof(st->history[i].action), (char)('Q' + i));
		st->history[i].at_ms = -1 - i;
	}
	st->n_history = SL_HEAL_HISTORY;
	st->updated_ms = 123456789;
}

/* Packs st and checks the unpacked copy: the same strings and numbers, and, when st is zero
 * after every terminator (built from a zeroed struct), the same bytes. */
static size_t round_trip(const struct sl_object_status *st, bool zero_padded)
{
	struct sl_object_status *back = calloc(1, sizeof(*back));
	struct sl_status_packed *p = sl_status_pack(st);
	size_t size;

	assert_non_null(back);
	assert_non_null(p);
	memset(back, 0x5a, sizeof(*back)); /* unpack must overwrite every byte */
	sl_status_unpack(p, back);
	assert_same_status(back, st);
	if (zero_padded)
		assert_memory_equal(back, st, sizeof(*st));
	assert_true(sl_status_packed_same(p, st));
	size = sl_status_packed_size(p);
	sl_status_packed_free(p);
	free(back);
	return size;
}

static void packed_round_trip_at_maximum_lengths(void **state)
{
	struct sl_object_status *st = calloc(1, sizeof(*st));
	struct sl_status_packed *p;

	(void)state;
	assert_non_null(st);
	full_status(st);
	round_trip(st, true);
	/* The same generation on every condition is stored once and still comes back thrice. */
	fill(st->cond[1].observed_generation, sizeof(st->cond[1].observed_generation), 'g');
	fill(st->cond[2].observed_generation, sizeof(st->cond[2].observed_generation), 'g');
	round_trip(st, true);
	/* same() ignores updated_ms only. */
	p = sl_status_pack(st);
	assert_non_null(p);
	st->updated_ms++;
	assert_true(sl_status_packed_same(p, st));
	st->history[SL_HEAL_HISTORY - 1].action[0] = 'z';
	assert_false(sl_status_packed_same(p, st));
	st->history[SL_HEAL_HISTORY - 1].action[0] = 'Q' + SL_HEAL_HISTORY - 1;
	assert_true(sl_status_packed_same(p, st));
	st->cond[2].observed_generation[3] = 'x';
	assert_false(sl_status_packed_same(p, st));
	st->cond[2].observed_generation[3] = 'g';
	st->cond[1].last_transition_ms++;
	assert_false(sl_status_packed_same(p, st));
	st->cond[1].last_transition_ms--;
	st->exporter_ts = 0;
	assert_false(sl_status_packed_same(p, st));
	sl_status_packed_free(p);
	sl_status_packed_free(NULL);
	free(st);
}

static void packed_empty_status_is_small(void **state)
{
	struct sl_object_status st;
	size_t size;

	(void)state;
	memset(&st, 0, sizeof(st));
	size = round_trip(&st, true);
	/* Numeric fields and a terminator per string: no history, no buffers. */
	assert_true(size < 128);
}

static void packed_history_keeps_count_and_order(void **state)
{
	struct sl_object_status *st = calloc(1, sizeof(*st));
	char reason[32], action[64];
	size_t prev = 0, size;
	int i, n;

	(void)state;
	assert_non_null(st);
	for (n = 0; n <= SL_HEAL_HISTORY; n++) {
		memset(st, 0, sizeof(*st));
		snprintf(st->key, sizeof(st->key), "SchemaLink/x");
		for (i = 0; i < n; i++) {
			snprintf(reason, sizeof(reason), "r%d", i);
			snprintf(action, sizeof(action), "action %d", i);
			sl_status_add_history(st, 1000 + i, reason, action);
		}
		size = round_trip(st, true);
		assert_true(size > prev); /* each record costs its bytes, no more */
		prev = size;
	}
	/* A ring that wrapped: oldest dropped, newest last, in that order after a round trip. */
	for (i = SL_HEAL_HISTORY; i < SL_HEAL_HISTORY + 6; i++) {
		snprintf(reason, sizeof(reason), "r%d", i);
		sl_status_add_history(st, 1000 + i, reason, "wrapped");
	}
	/* The ring's memmove leaves old bytes after some terminators. */
	round_trip(st, false);
	{
		struct sl_status_packed *p = sl_status_pack(st);
		struct sl_object_status *back = calloc(1, sizeof(*back));

		assert_non_null(p);
		assert_non_null(back);
		sl_status_unpack(p, back);
		assert_int_equal(back->n_history, SL_HEAL_HISTORY);
		assert_string_equal(back->history[0].reason, "r6");
		assert_string_equal(back->history[SL_HEAL_HISTORY - 1].reason, "r21");
		assert_int_equal(back->history[SL_HEAL_HISTORY - 1].at_ms, 1021);
		sl_status_packed_free(p);
		free(back);
	}
	free(st);
}

/* Bytes after a terminator and a buffer without one: the packed copy keeps the strings as
 * every reader sees them. */
static void packed_keeps_strings_not_buffers(void **state)
{
	struct sl_object_status *st = calloc(1, sizeof(*st)), *back = calloc(1, sizeof(*back));
	struct sl_status_packed *p;

	(void)state;
	assert_non_null(st);
	assert_non_null(back);
	memset(st, 'x', sizeof(*st));
	for (int t = 0; t < SL_COND_COUNT; t++) {
		st->cond[t].status = SL_COND_FALSE;
		st->cond[t].error_code = 0;
		st->cond[t].last_transition_ms = 0;
	}
	st->n_history = 2;
	snprintf(st->key, sizeof(st->key), "Registry/source");
	st->cond[SL_COND_READY].reason[0] = '\0';
	p = sl_status_pack(st);
	assert_non_null(p);
	assert_true(sl_status_packed_same(p, st));
	sl_status_unpack(p, back);
	assert_string_equal(back->key, "Registry/source");
	assert_string_equal(back->cond[SL_COND_READY].reason, "");
	assert_int_equal(strlen(back->fix), sizeof(back->fix) - 1);
	assert_int_equal(strlen(back->history[1].action), sizeof(back->history[1].action) - 1);
	assert_int_equal(back->n_history, 2);
	assert_int_equal(back->history[2].at_ms, 0);
	sl_status_packed_free(p);
	free(st);
	free(back);
}

/* What the daemon stores per object, twice: a Ready link with no history. */
static void packed_typical_status_is_small(void **state)
{
	const char *gen = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	struct sl_object_status st;
	size_t size;

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.key, sizeof(st.key), "SchemaLink/link-0001");
	sl_status_set_condition(&st, SL_COND_READY, SL_COND_TRUE, "Running",
	        "exporter link-0001 is running", 0, gen, 1700000000000);
	sl_status_set_condition(&st, SL_COND_RECONCILING, SL_COND_FALSE, "", "", 0, gen, 1);
	sl_status_set_condition(&st, SL_COND_STALLED, SL_COND_FALSE, "", "", 0, gen, 1);
	snprintf(st.exporter_state, sizeof(st.exporter_state), "RUNNING");
	st.exporter_offset = 12;
	st.updated_ms = 1700000000000;
	size = round_trip(&st, true);
	assert_true(size < 600);
	assert_true(size < sizeof(st) / 20);
}

/* A filter reads key, statuses and reasons in place, with and without shared generations and
 * history in front of the strings; a copy is the same bytes. */
static void packed_read_in_place(void **state)
{
	struct sl_object_status st, back;
	struct sl_status_packed *p, *d;
	enum sl_cond_status status[SL_COND_COUNT];
	const char *reason[SL_COND_COUNT];
	int t, round;

	(void)state;
	for (round = 0; round < 2; round++) {
		memset(&st, 0, sizeof(st));
		snprintf(st.key, sizeof(st.key), "SchemaLink/l%d", round);
		sl_status_set_condition(&st, SL_COND_READY, SL_COND_FALSE, "DestinationReadOnly",
		        "a long message", 42205, "g1", 1);
		sl_status_set_condition(
		        &st, SL_COND_RECONCILING, SL_COND_FALSE, "", "", 0, round ? "g2" : "g1", 1);
		sl_status_set_condition(
		        &st, SL_COND_STALLED, SL_COND_TRUE, "DestinationReadOnly", "m", 0, "g1", 1);
		if (round == 1) {
			sl_status_add_history(&st, 5, "ModeRestored", "set IMPORT");
			sl_status_add_history(&st, 6, "ExporterResumed", "resumed");
		}
		p = sl_status_pack(&st);
		assert_non_null(p);
		assert_string_equal(sl_status_packed_key(p), st.key);
		sl_status_packed_conditions(p, status, NULL);
		for (t = 0; t < SL_COND_COUNT; t++)
			assert_int_equal(status[t], st.cond[t].status);
		sl_status_packed_conditions(p, status, reason);
		for (t = 0; t < SL_COND_COUNT; t++) {
			assert_int_equal(status[t], st.cond[t].status);
			assert_string_equal(reason[t], st.cond[t].reason);
		}
		d = sl_status_packed_dup(p);
		assert_non_null(d);
		assert_int_equal(sl_status_packed_size(d), sl_status_packed_size(p));
		assert_memory_equal(d, p, sl_status_packed_size(p));
		sl_status_unpack(d, &back);
		assert_true(sl_status_packed_same(p, &back));
		sl_status_packed_free(d);
		sl_status_packed_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(transition_time_moves_only_with_status),
	        cmocka_unit_test(long_messages_are_cut_not_overflowed),
	        cmocka_unit_test(history_keeps_the_newest),
	        cmocka_unit_test(packed_round_trip_at_maximum_lengths),
	        cmocka_unit_test(packed_empty_status_is_small),
	        cmocka_unit_test(packed_history_keeps_count_and_order),
	        cmocka_unit_test(packed_keeps_strings_not_buffers),
	        cmocka_unit_test(packed_typical_status_is_small),
	        cmocka_unit_test(packed_read_in_place),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
