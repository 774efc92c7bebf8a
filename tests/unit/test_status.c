/* test_status.c — conditions keep lastTransitionTime unless status changes; heal history ring. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "schemalink/status.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(transition_time_moves_only_with_status),
	        cmocka_unit_test(long_messages_are_cut_not_overflowed),
	        cmocka_unit_test(history_keeps_the_newest),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
