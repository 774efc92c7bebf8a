/* test_diagnose.c — the self-healing rule table, trace parsing and fix wording. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "schemalink/diagnose.h"

#define RCE "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: "
#define STACK \
	"\n\tat " \
	"io.confluent.kafka.schemaregistry.client.rest.RestService.sendHttpRequest(RestService." \
	"java:297)"

/* The walkthrough's replicated-contexts setup, seen from src-to-tgt-link. */
static const char *const walk_needed[] = {".source"};
static const struct sl_import_context walk_imports[] = {{".target", "tgt-to-src-link"}};

static struct sl_diag_input walk_input(const char *trace)
{
	struct sl_diag_input in = {
	        .link = "src-to-tgt-link",
	        .source_registry = "source",
	        .dest_registry = "target",
	        .link_context = ".source",
	        .state = "PAUSED",
	        .trace = trace,
	        .needed = walk_needed,
	        .n_needed = 1,
	        .imports = walk_imports,
	        .n_imports = 1,
	};
	return in;
}

static void healthy_states(void **state)
{
	struct sl_diag_input in = walk_input(NULL);
	struct sl_diagnosis d;

	(void)state;
	in.state = "RUNNING";
	sl_diagnose(&in, &d);
	assert_null(d.reason);
	in.trace = "";
	sl_diagnose(&in, &d);
	assert_null(d.reason);
	in.state = "STARTING";
	in.trace = RCE "boom; error code: 50001";
	sl_diagnose(&in, &d);
	assert_null(d.reason);
	/* PAUSED without a trace is a pause, not a failure: the engine handles it. */
	in.state = "PAUSED";
	in.trace = NULL;
	sl_diagnose(&in, &d);
	assert_null(d.reason);
}

static void walkthrough_loop_is_replication_loop(void **state)
{
	struct sl_diag_input in = walk_input(RCE "Subject :.source.target:stock_trades-value is "
	                                         "not in import mode; error code: 42205" STACK);
	struct sl_diagnosis d;

	(void)state;
	sl_diagnose(&in, &d);
	assert_string_equal(d.reason, "ReplicationLoop");
	assert_int_equal(d.error_code, 42205);
	assert_int_equal(d.heal, SL_HEAL_NONE);
	assert_string_equal(d.subject, ":.source.target:stock_trades-value");
	assert_string_equal(d.context, ".source.target");
	assert_string_equal(d.peer, "tgt-to-src-link");
	/* Names both links and the filter to change. */
	assert_non_null(strstr(d.message, "src-to-tgt-link"));
	assert_non_null(strstr(d.message, "tgt-to-src-link"));
	assert_non_null(strstr(d.fix, "spec.subjects"));
	assert_non_null(strstr(d.fix, ":.:*"));
	assert_non_null(strstr(d.fix, "src-to-tgt-link"));
}

static void every_import_message_variant(void **state)
{
	static const char *const variants[] = {
	        RCE "Subject :.source:orders is not in import mode; error code: 42205",
	        RCE "Subject :.source:orders is not in import or forward mode; error code: 42205",
	        RCE "Subject :.source:orders in context :.source: is not in import or forward "
	            "mode; error code: 42205",
	        RCE "Subject :.source:orders in context :.source: is not in import mode; error "
	            "code: 42205" STACK,
	};
	struct sl_diagnosis d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct sl_diag_input in = walk_input(variants[i]);

		sl_diagnose(&in, &d);
		assert_string_equal(d.reason, "ImportModeRequired");
		assert_int_equal(d.heal, SL_HEAL_IMPORT_AND_RESUME);
		assert_string_equal(d.subject, ":.source:orders");
		assert_string_equal(d.context, ".source");
		assert_int_equal(d.error_code, 42205);
		assert_non_null(strstr(d.fix, "IMPORT"));
		assert_non_null(strstr(d.fix, "target"));
	}
}

static void none_link_default_context(void **state)
{
	static const char *const needed[] = {"."};
	struct sl_diag_input in =
	        walk_input(RCE "Subject pageviews-value is not in import mode; error code: 42205");
	struct sl_diagnosis d;

	(void)state;
	in.link_context = ".";
	in.needed = needed;
	in.n_needed = 1;
	in.n_imports = 0;
	sl_diagnose(&in, &d);
	assert_string_equal(d.reason, "ImportModeRequired");
	assert_string_equal(d.context, ".");
}

static void unknown_nested_context_stalls_as_loop(void **state)
{
	struct sl_diag_input in = walk_input(
	        RCE "Subject :.source.mystery:x is not in import mode; error code: 42205");
	struct sl_diagnosis d;

	(void)state;
	sl_diagnose(&in, &d);
	assert_string_equal(d.reason, "ReplicationLoop");
	assert_int_equal(d.heal, SL_HEAL_NONE);
	assert_string_equal(d.peer, "");
	assert_non_null(strstr(d.message, "cannot tell"));
	/* A NONE link mirroring an imported context is a loop too. */
	in.link_context = ".";
	in.trace = RCE "Subject :.target:x is not in import mode; error code: 42205";
	sl_diagnose(&in, &d);
	assert_string_equal(d.reason, "ReplicationLoop");
	assert_string_equal(d.peer, "tgt-to-src-link");
}

static void other_reasons(void **state)
{
	static const struct {
		const char *trace;
		const char *reason;
		int code;
		enum sl_heal heal;
	} cases[] = {
	        {RCE "Cannot import since found existing subjects; error code: 42205" STACK,
	                "DestinationNotEmpty", 42205, SL_HEAL_NONE},
	        {RCE "Subject :.source:x in context :.source: is in read-only mode; error code: "
	             "42205",
	                "DestinationReadOnly", 42205, SL_HEAL_NONE},
	        {"java.net.ConnectException: Connection refused" STACK, "DestinationUnavailable", 0,
	                SL_HEAL_RESUME_BACKOFF},
	        {"java.net.SocketTimeoutException: Read timed out", "DestinationUnavailable", 0,
	                SL_HEAL_RESUME_BACKOFF},
	        {RCE "Internal Server Error; error code: 500", "DestinationUnavailable", 500,
	                SL_HEAL_RESUME_BACKOFF},
	        {RCE "Error while forwarding the request to the leader; error code: 50003",
	                "DestinationUnavailable", 50003, SL_HEAL_RESUME_BACKOFF},
	        {RCE "HTTP 404 Not Found; error code: 404", "DestinationUnavailable", 404,
	                SL_HEAL_RESUME_BACKOFF},
	        {RCE "Unauthorized; error code: 401", "DestinationUnauthorized", 401, SL_HEAL_NONE},
	        {RCE "Forbidden; error code: 403", "DestinationUnauthorized", 403, SL_HEAL_NONE},
	        {RCE "Schema being registered is incompatible; error code: 40901", "ExporterFailed",
	                40901, SL_HEAL_RESUME_BACKOFF},
	        {"java.lang.NullPointerException", "ExporterFailed", 0, SL_HEAL_RESUME_BACKOFF},
	};
	struct sl_diagnosis d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_diag_input in = walk_input(cases[i].trace);

		sl_diagnose(&in, &d);
		assert_string_equal(d.reason, cases[i].reason);
		assert_int_equal(d.error_code, cases[i].code);
		assert_int_equal(d.heal, cases[i].heal);
		assert_true(strlen(d.message) > 0);
		assert_true(strlen(d.fix) > 0);
		/* Messages carry the first line of the trace, never the stack. */
		assert_null(strstr(d.message, "\tat "));
	}
}

static void force_import_allows_heal_of_not_empty(void **state)
{
	struct sl_diag_input in =
	        walk_input(RCE "Cannot import since found existing subjects; error code: 42205");
	struct sl_diagnosis d;

	(void)state;
	in.force_import = true;
	sl_diagnose(&in, &d);
	assert_string_equal(d.reason, "DestinationNotEmpty");
	assert_int_equal(d.heal, SL_HEAL_IMPORT_AND_RESUME);
}

static void trace_parsing(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sl_trace_error_code(NULL), 0);
	assert_int_equal(sl_trace_error_code("no code here"), 0);
	assert_int_equal(
	        sl_trace_error_code("a; error code: 40401 then; error code: 42205"), 42205);
	assert_true(sl_trace_subject("Subject :.a:b is not in import mode", out, sizeof(out)));
	assert_string_equal(out, ":.a:b");
	assert_true(sl_trace_subject("Subject s in context :.c: is not in import mode", out, 64));
	assert_string_equal(out, "s");
	assert_false(sl_trace_subject("Subject  is not in import mode", out, sizeof(out)));
	assert_false(sl_trace_subject("nothing", out, sizeof(out)));
	assert_false(sl_trace_subject("Subject x", out, sizeof(out)));
	assert_false(sl_trace_subject("Subject abcdefgh is not in import mode", out, 4));
	sl_trace_first_line("line one\n\tat x\n", out, sizeof(out));
	assert_string_equal(out, "line one");
	sl_trace_first_line("0123456789", out, 5);
	assert_string_equal(out, "0123");
	sl_trace_first_line(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(healthy_states),
	        cmocka_unit_test(walkthrough_loop_is_replication_loop),
	        cmocka_unit_test(every_import_message_variant),
	        cmocka_unit_test(none_link_default_context),
	        cmocka_unit_test(unknown_nested_context_stalls_as_loop),
	        cmocka_unit_test(other_reasons),
	        cmocka_unit_test(force_import_allows_heal_of_not_empty),
	        cmocka_unit_test(trace_parsing),
	};
	return cmocka_run_group_tests_name("diagnose", tests, NULL, NULL);
}
