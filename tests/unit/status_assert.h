/*
 * status_assert.h — for unit tests: asserts that two struct sl_object_status are equal field
 * by field, strings compared as strings (not their padding).
 */
#ifndef SL_TEST_STATUS_ASSERT_H
#define SL_TEST_STATUS_ASSERT_H

#include "schemalink/status.h"

static inline void assert_same_status(
        const struct sl_object_status *a, const struct sl_object_status *b)
{
	int t, i;

	assert_string_equal(a->key, b->key);
	for (t = 0; t < SL_COND_COUNT; t++) {
		assert_int_equal(a->cond[t].status, b->cond[t].status);
		assert_string_equal(a->cond[t].reason, b->cond[t].reason);
		assert_string_equal(a->cond[t].message, b->cond[t].message);
		assert_int_equal(a->cond[t].error_code, b->cond[t].error_code);
		assert_string_equal(a->cond[t].observed_generation, b->cond[t].observed_generation);
		assert_int_equal(a->cond[t].last_transition_ms, b->cond[t].last_transition_ms);
	}
	assert_string_equal(a->fix, b->fix);
	assert_string_equal(a->exporter_state, b->exporter_state);
	assert_int_equal(a->exporter_offset, b->exporter_offset);
	assert_int_equal(a->exporter_ts, b->exporter_ts);
	assert_string_equal(a->trace_first_line, b->trace_first_line);
	assert_int_equal(a->n_history, b->n_history);
	for (i = 0; i < a->n_history; i++) {
		assert_int_equal(a->history[i].at_ms, b->history[i].at_ms);
		assert_string_equal(a->history[i].reason, b->history[i].reason);
		assert_string_equal(a->history[i].action, b->history[i].action);
	}
	assert_int_equal(a->updated_ms, b->updated_ms);
}

#endif
