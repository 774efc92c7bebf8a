/* test_manifest.c — the manifest loader: every rule of docs/internals/manifests.md §1-§2 with its position. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/manifest.h"

static struct sl_manifest_loader *L;
static struct sl_snapshot *S;

static void reset(void)
{
	sl_snapshot_free(S);
	S = NULL;
	sl_manifest_loader_free(L);
	L = sl_manifest_loader_new();
	assert_non_null(L);
}

static int teardown(void **state)
{
	(void)state;
	sl_snapshot_free(S);
	S = NULL;
	sl_manifest_loader_free(L);
	L = NULL;
	return 0;
}

static void add(const char *name, const char *text, size_t len)
{
	assert_int_equal(sl_manifest_add_buffer(L, name, "/base", text, len), 0);
}

/* Loads text as t.yaml and finishes the load. */
static const struct sl_diags *load(const char *text)
{
	reset();
	add("t.yaml", text, strlen(text));
	sl_manifest_finish(L, &S);
	return sl_manifest_diags(L);
}

static void dump(void)
{
	const struct sl_diags *d = sl_manifest_diags(L);
	struct sl_buf b = SL_BUF_INIT;
	size_t i;

	for (i = 0; i < d->items.len; i++) {
		sl_buf_reset(&b);
		sl_diag_format(d->items.items[i], &b);
		print_message("  %s\n", b.data);
	}
	sl_buf_release(&b);
}

/* Asserts a diagnostic of severity sev at line:col for path whose message contains msg. */
static void expect(enum sl_diag_severity sev, int line, int col, const char *path, const char *msg)
{
	const struct sl_diags *d = sl_manifest_diags(L);
	size_t i;

	for (i = 0; i < d->items.len; i++) {
		const struct sl_diag *g = d->items.items[i];

		if (g->severity == sev && g->line == line && g->col == col &&
		        ((path == NULL && g->path == NULL) ||
		                (path && g->path && strcmp(path, g->path) == 0)) &&
		        strstr(g->msg, msg) != NULL)
			return;
	}
	print_message("no %s at %d:%d %s \"%s\" among:\n", sev ? "warning" : "error", line, col,
	        path ? path : "-", msg);
	dump();
	fail();
}

static void expect_clean(void)
{
	const struct sl_diags *d = sl_manifest_diags(L);

	if (d->errors || d->warnings) {
		dump();
		fail();
	}
	assert_non_null(S);
}

#define E SL_DIAG_ERROR
#define W SL_DIAG_WARNING

#define HDR "apiVersion: schemalink.io/v1alpha1\n"
/* Two registries on lines 1-8. */
#define REGS \
	HDR "kind: Registry\n" \
	    "metadata: {name: source}\n" \
	    "spec: {url: http://localhost:8081, linkUrl: http://schemaregistry:8081}\n" \
	    "---\n" HDR "kind: Registry\n" \
	    "metadata: {name: target}\n" \
	    "spec: {url: http://localhost:8082}\n" \
	    "---\n"
/* A link document starting at line 9 with spec on line 12; ADD is appended to spec. */
#define LINK(ADD) \
	REGS HDR "kind: SchemaLink\n" \
	         "metadata: {name: l}\n" \
	         "spec:\n" \
	         "  source: source\n" \
	         "  destination: target\n" ADD
/* A registry document whose spec starts on line 4; ADD is appended. */
#define REG(ADD) \
	HDR "kind: Registry\n" \
	    "metadata: {name: source}\n" \
	    "spec:\n" \
	    "  url: http://localhost:8081\n" ADD

/* One test per rule: load text, expect one diagnostic. */
#define RULE(fn, text, sev, line, col, path, msg) \
	static void fn(void **state) \
	{ \
		(void)state; \
		load(text); \
		expect(sev, line, col, path, msg); \
		if (sev == E) \
			assert_null(S); \
	}

/* --- valid manifests and what they load into ------------------------------------------- */

static void walkthrough_active_passive_loads_with_defaults(void **state)
{
	const struct sl_object *l, *r;

	(void)state;
	load(LINK("  context: {type: none}\n"));
	expect_clean();
	assert_int_equal(sl_snapshot_count(S), 3);
	assert_true(S->sealed);
	r = sl_snapshot_get(S, SL_KIND_REGISTRY, "target");
	assert_string_equal(r->registry.link_url, "http://localhost:8082"); /* default: url */
	assert_int_equal(r->registry.reads_per_s, SL_DEFAULT_READS_PER_S);
	assert_int_equal(r->registry.writes_per_s, SL_DEFAULT_WRITES_PER_S);
	l = sl_snapshot_get(S, SL_KIND_SCHEMALINK, "l");
	assert_int_equal(l->link.context_type, SL_CONTEXT_NONE);
	assert_null(l->link.context_name);
	assert_int_equal(l->link.subjects.len, 1);
	assert_string_equal(l->link.subjects.items[0], "*");
	assert_string_equal(l->link.subject_rename_format, "${subject}");
	assert_int_equal(l->link.state, SL_LINK_RUNNING);
	assert_int_equal(l->link.destination_mode, SL_DEST_IMPORT);
	assert_true(l->link.self_heal_enabled);
	assert_int_equal(l->link.max_attempts_per_hour, 6);
	assert_int_equal(strlen(l->spec_hash), 64);
	/* Positions of fields are kept. */
	assert_int_equal(sl_object_pos(l, "spec.destination").line, 16);
	assert_int_equal(sl_object_pos(l, "spec.destination").col, 3);
	assert_string_equal(sl_object_pos(l, "metadata.name").file, "t.yaml");
}

static void link_context_defaults_to_custom_source(void **state)
{
	const struct sl_object *l;

	(void)state;
	load(LINK("  subjects: [\"pageviews-value\"]\n"));
	expect_clean();
	l = sl_snapshot_get(S, SL_KIND_SCHEMALINK, "l");
	assert_int_equal(l->link.context_type, SL_CONTEXT_CUSTOM);
	assert_string_equal(l->link.context_name, "source");
}

static void full_registry_loads(void **state)
{
	const struct sl_object *r;

	(void)state;
	load(REG("  clusterId: lsrc-1\n"
	         "  auth: {basic: {username: {value: alice}, password: {file: secrets/pw}}}\n"
	         "  linkAuth:\n"
	         "    oauth: {clientId: {value: c}, clientSecret: {env: CS}, issuerUrl: "
	         "https://idp/t, scope: s}\n"
	         "  linkTls: {truststoreFile: /t.jks, truststorePassword: {env: TP}}\n"
	         "  tls: {caFile: ca.pem, certFile: c.pem, keyFile: k.pem}\n"
	         "  timeouts: {connect: 2s, request: 1m}\n"
	         "  rateLimit: {readsPerSecond: 20, writesPerSecond: 0}\n"
	         "  mode: readonly\n"
	         "  forceMode: true\n"
	         "  compatibility: Backward\n"));
	expect_clean();
	r = sl_snapshot_get(S, SL_KIND_REGISTRY, "source");
	assert_int_equal(r->registry.auth.kind, SL_AUTH_BASIC);
	assert_int_equal(r->registry.auth.username.kind, SL_SECRET_VALUE);
	assert_int_equal(r->registry.auth.password.kind, SL_SECRET_FILE);
	/* Relative paths resolve against the manifest's directory. */
	assert_string_equal(r->registry.auth.password.ref, "/base/secrets/pw");
	assert_string_equal(r->registry.tls.ca_file, "/base/ca.pem");
	assert_true(r->registry.has_link_auth);
	assert_int_equal(r->registry.link_auth.kind, SL_AUTH_OAUTH);
	assert_string_equal(r->registry.link_tls.truststore_file, "/t.jks");
	assert_int_equal(r->registry.connect_timeout_ms, 2000);
	assert_int_equal(r->registry.request_timeout_ms, 60000);
	assert_int_equal(r->registry.reads_per_s, 20);
	assert_int_equal(r->registry.writes_per_s, 0);
	assert_int_equal(r->registry.mode, SL_MODE_READONLY);
	assert_true(r->registry.force_mode);
	assert_int_equal(r->registry.compatibility, SL_COMPAT_BACKWARD);
}

static void context_and_subject_are_normalized(void **state)
{
	(void)state;
	load(REGS HDR "kind: Context\nmetadata: {name: c}\nspec: {registry: target, context: "
	              "source, mode: IMPORT}\n---\n" HDR
	              "kind: Subject\nmetadata: {name: s}\nspec: {registry: source, subject: "
	              "\":.:orders\", compatibility: NONE}\n");
	expect_clean();
	assert_string_equal(sl_snapshot_get(S, SL_KIND_CONTEXT, "c")->context.context, ".source");
	assert_string_equal(sl_snapshot_get(S, SL_KIND_SUBJECT, "s")->subject.subject, "orders");
}

static void labels_load_sorted(void **state)
{
	const struct sl_object *r;

	(void)state;
	load(HDR "kind: Registry\nmetadata: {name: source, labels: {team: b, app: a}}\n"
	         "spec: {url: http://x}\n");
	expect_clean();
	r = sl_snapshot_get(S, SL_KIND_REGISTRY, "source");
	assert_int_equal(r->labels.len, 2);
	assert_string_equal(((struct sl_kv *)r->labels.items[0])->key, "app");
}

static void every_error_of_a_load_is_reported(void **state)
{
	(void)state;
	load(REG("  mode: bad\n") "---\n" HDR "kind: Registry\nmetadata: {name: t}\n"
	                          "spec: {url: x, compatibility: worse}\n");
	assert_int_equal(sl_manifest_diags(L)->errors, 3);
	expect(E, 6, 3, "spec.mode", "got \"bad\"");
	expect(E, 11, 8, "spec.url", "http:// or https://");
	expect(E, 11, 16, "spec.compatibility", "got \"worse\"");
}

/* --- document level ---------------------------------------------------------------------- */

RULE(api_version_must_match,
        "apiVersion: v1\nkind: Registry\nmetadata: {name: a}\nspec: {url: "
        "http://x}\n",
        E, 1, 1, "apiVersion", "must be \"schemalink.io/v1alpha1\" (got \"v1\")")
RULE(api_version_required, "kind: Registry\nmetadata: {name: a}\nspec: {url: http://x}\n", E, 1, 1,
        "apiVersion", "required")
RULE(kind_must_be_known, HDR "kind: Exporter\nmetadata: {name: a}\nspec: {}\n", E, 2, 1, "kind",
        "must be one of Registry, SchemaLink, Context, Subject (got \"Exporter\")")
RULE(name_required, HDR "kind: Registry\nmetadata: {labels: {}}\nspec: {url: http://x}\n", E, 3, 1,
        "metadata.name", "required")
RULE(name_rules, HDR "kind: Registry\nmetadata: {name: Source}\nspec: {url: http://x}\n", E, 3, 12,
        "metadata.name", "lower-case")
RULE(name_length,
        HDR "kind: Context\nmetadata:\n  name: "
            "a234567890123456789012345678901234567890123456789012345678901234\n"
            "spec: {registry: r, context: c, mode: IMPORT}\n",
        E, 4, 3, "metadata.name", "1-63 characters")
RULE(link_name_rules,
        HDR "kind: SchemaLink\nmetadata: {name: \"x y\"}\nspec: {source: a, "
            "destination: b}\n",
        E, 3, 12, "metadata.name", "1-255 characters")
RULE(spec_required, HDR "kind: Registry\nmetadata: {name: a}\n", E, 1, 1, "spec", "required")
RULE(document_must_be_mapping, "- a\n- b\n", E, 1, 1, NULL, "must be a mapping")
RULE(labels_are_strings,
        HDR "kind: Registry\nmetadata:\n  name: a\n  labels: {n: 5}\nspec: "
            "{url: http://x}\n",
        E, 5, 12, "metadata.labels.n", "must be a string (got integer 5")
RULE(unknown_field, REG("  urls: []\n"), E, 6, 3, "spec.urls", "unknown field \"urls\" (known: url")
RULE(unknown_top_level_field, REG("status: {}\n"), E, 6, 1, "status", "unknown field")
RULE(duplicate_key, REG("  url: http://y\n"), E, 6, 3, "spec.url",
        "duplicate key \"url\" (first at line 5, column 3)")
RULE(merge_keys_unsupported, REG("  <<: {mode: IMPORT}\n"), E, 6, 3, "spec.<<",
        "merge keys are not supported")
RULE(string_field_rejects_integer, REG("  clusterId: 42\n"), E, 6, 3, "spec.clusterId",
        "must be a string (got integer 42; quote it")

/* --- Registry ---------------------------------------------------------------------------- */

RULE(url_required, HDR "kind: Registry\nmetadata: {name: a}\nspec:\n  clusterId: x\n", E, 4, 1,
        "spec.url", "required")
RULE(url_scheme, REG("  linkUrl: schemaregistry:8081\n"), E, 6, 3, "spec.linkUrl",
        "must be an http:// or https:// URL")
RULE(url_without_credentials, REG("  linkUrl: https://u:p@h\n"), E, 6, 3, "spec.linkUrl",
        "credentials in the URL are not allowed")
RULE(auth_one_of, REG("  auth: {}\n"), E, 6, 3, "spec.auth", "set one of basic, bearer")
RULE(auth_only_one,
        REG("  auth:\n    basic: {username: {value: a}, password: {env: P}}\n"
            "    bearer: {token: {env: T}}\n"),
        E, 6, 3, "spec.auth", "set only one of basic, bearer")
RULE(auth_has_no_oauth, REG("  auth: {oauth: {}}\n"), E, 6, 10, "spec.auth.oauth", "unknown field")
RULE(inline_password,
        REG("  auth:\n    basic:\n      username: {value: alice}\n"
            "      password: {value: hunter2}\n"),
        E, 9, 18, "spec.auth.basic.password.value", "inline secret values are not allowed")
RULE(inline_token, REG("  auth: {bearer: {token: {value: t}}}\n"), E, 6, 27,
        "spec.auth.bearer.token.value", "inline secret values are not allowed")
RULE(inline_client_secret,
        REG("  linkAuth:\n    oauth:\n      clientId: {value: c}\n"
            "      clientSecret: {value: s}\n      issuerUrl: https://i\n"),
        E, 9, 22, "spec.linkAuth.oauth.clientSecret.value", "inline secret values")
RULE(inline_truststore_password,
        REG("  linkTls: {truststoreFile: t, truststorePassword: "
            "{value: x}}\n"),
        E, 6, 53, "spec.linkTls.truststorePassword.value", "inline secret values")
RULE(inline_keystore_password,
        REG("  linkTls: {keystoreFile: t, keystorePassword: {value: "
            "x}}\n"),
        E, 6, 49, "spec.linkTls.keystorePassword.value", "inline secret values")
RULE(password_needs_store, REG("  linkTls: {truststorePassword: {env: X}}\n"), E, 6, 13,
        "spec.linkTls.truststorePassword", "needs truststoreFile")
RULE(secret_one_of, REG("  auth: {bearer: {token: {env: A, file: b}}}\n"), E, 6, 35,
        "spec.auth.bearer.token.file", "set only one of value, env, file")
RULE(secret_must_be_mapping, REG("  auth: {bearer: {token: abc}}\n"), E, 6, 19,
        "spec.auth.bearer.token", "must be a secret reference")
RULE(secret_env_name, REG("  auth: {bearer: {token: {env: 1BAD}}}\n"), E, 6, 27,
        "spec.auth.bearer.token.env", "environment variable name")
RULE(basic_needs_password, REG("  auth: {basic: {username: {value: a}}}\n"), E, 6, 10,
        "spec.auth.basic.password", "required")
RULE(oauth_needs_issuer,
        REG("  linkAuth: {oauth: {clientId: {value: c}, clientSecret: {env: "
            "S}}}\n"),
        E, 6, 14, "spec.linkAuth.oauth.issuerUrl", "required")
RULE(tls_cert_and_key, REG("  tls: {keyFile: k.pem}\n"), E, 6, 9, "spec.tls.keyFile",
        "certFile and keyFile go together")
RULE(tls_bool, REG("  tls: {insecureSkipVerify: yes please}\n"), E, 6, 9,
        "spec.tls.insecureSkipVerify", "must be true or false")
RULE(timeout_syntax, REG("  timeouts: {connect: 5 s}\n"), E, 6, 14, "spec.timeouts.connect",
        "invalid duration")
RULE(timeout_positive, REG("  timeouts: {request: 0s}\n"), E, 6, 14, "spec.timeouts.request",
        "must be longer than 0")
RULE(rate_limit_mapping, REG("  rateLimit: 20\n"), E, 6, 3, "spec.rateLimit",
        "must be a mapping (got integer)")
RULE(rate_limit_fields, REG("  rateLimit: {reads: 20}\n"), E, 6, 15, "spec.rateLimit.reads",
        "unknown field \"reads\" (known: readsPerSecond, writesPerSecond)")
RULE(rate_limit_negative, REG("  rateLimit: {readsPerSecond: -1}\n"), E, 6, 15,
        "spec.rateLimit.readsPerSecond", "must be an integer between 0 and 100000 (got \"-1\")")
RULE(rate_limit_range, REG("  rateLimit: {writesPerSecond: 100001}\n"), E, 6, 15,
        "spec.rateLimit.writesPerSecond", "must be between 0 and 100000 (got 100001)")
RULE(rate_limit_number, REG("  rateLimit: {readsPerSecond: fast}\n"), E, 6, 15,
        "spec.rateLimit.readsPerSecond", "must be an integer between 0 and 100000 (got \"fast\")")
RULE(rate_limit_whole, REG("  rateLimit: {readsPerSecond: 2.5}\n"), E, 6, 15,
        "spec.rateLimit.readsPerSecond", "must be an integer between 0 and 100000")
RULE(mode_enum, REG("  mode: IMPROT\n"), E, 6, 3, "spec.mode",
        "must be one of READWRITE, READONLY, READONLY_OVERRIDE, IMPORT, FORWARD, INHERIT (got "
        "\"IMPROT\")")
RULE(forward_only_global, REG("  mode: FORWARD\n"), E, 6, 3, "spec.mode",
        "FORWARD is only supported on the global level")
RULE(compat_enum, REG("  compatibility: BACKWARDS\n"), E, 6, 3, "spec.compatibility",
        "(got \"BACKWARDS\")")
RULE(force_mode_without_mode, REG("  forceMode: true\n"), W, 6, 3, "spec.forceMode",
        "has no effect without mode")

/* --- SchemaLink -------------------------------------------------------------------------- */

RULE(link_source_required,
        REGS HDR "kind: SchemaLink\nmetadata: {name: l}\nspec:\n  "
                 "destination: target\n",
        E, 14, 1, "spec.source", "required")
RULE(subjects_not_empty, LINK("  subjects: []\n"), E, 17, 3, "spec.subjects", "at least one entry")
RULE(subjects_entry_valid, LINK("  subjects: [\"*\", \":*:orders\"]\n"), E, 17, 19,
        "spec.subjects[1]", "not valid")
RULE(subjects_no_duplicates, LINK("  subjects:\n    - a\n    - a\n"), E, 19, 7, "spec.subjects[1]",
        "duplicate entry \"a\"")
RULE(subjects_are_a_list, LINK("  subjects: \"*\"\n"), E, 17, 3, "spec.subjects", "must be a list")
RULE(context_type_enum, LINK("  context:\n    type: CUTSOM\n    name: source\n"), E, 18, 5,
        "spec.context.type", "must be one of AUTO, CUSTOM, NONE (got \"CUTSOM\")")
RULE(custom_needs_name, LINK("  context:\n    type: CUSTOM\n"), E, 18, 5, "spec.context.name",
        "required")
RULE(name_only_for_custom, LINK("  context: {type: NONE, name: x}\n"), E, 17, 25,
        "spec.context.name", "only allowed when type is CUSTOM")
RULE(context_name_not_default, LINK("  context: {type: CUSTOM, name: \".\"}\n"), E, 17, 27,
        "spec.context.name", "other than the default context")
RULE(context_name_no_colon, LINK("  context: {type: CUSTOM, name: \"a:b\"}\n"), E, 17, 27,
        "spec.context.name", "':'")
RULE(rename_format_needs_subject, LINK("  subjectRenameFormat: dc_\n"), E, 17, 3,
        "spec.subjectRenameFormat", "must contain ${subject}")
RULE(config_rejects_secrets, LINK("  config:\n    basic.auth.user.info: \"u:p\"\n"), E, 18, 5,
        "spec.config.basic.auth.user.info", "holds a secret; move it to secretConfig")
RULE(config_values_scalars, LINK("  config:\n    a: [1]\n"), E, 18, 5, "spec.config.a",
        "must be a string")
RULE(secret_config_no_inline, LINK("  secretConfig:\n    x.password: {value: p}\n"), E, 18, 18,
        "spec.secretConfig.x.password.value", "inline secret values")
RULE(secret_config_not_twice, LINK("  config: {a: b}\n  secretConfig:\n    a: {env: A}\n"), E, 19,
        5, "spec.secretConfig.a", "also set in spec.config")
RULE(state_enum, LINK("  state: Stopped\n"), E, 17, 3, "spec.state",
        "must be one of Running, Paused (got \"Stopped\")")
RULE(destination_mode_enum, LINK("  destinationMode: Readonly\n"), E, 17, 3, "spec.destinationMode",
        "must be one of Import, Unmanaged")
RULE(suspend_bool, LINK("  suspend: 1\n"), E, 17, 3, "spec.suspend", "must be true or false")
RULE(max_attempts_range, LINK("  selfHeal: {maxAttemptsPerHour: 100000}\n"), E, 17, 14,
        "spec.selfHeal.maxAttemptsPerHour", "between 0 and 3600")
RULE(max_attempts_integer, LINK("  selfHeal: {maxAttemptsPerHour: six}\n"), E, 17, 14,
        "spec.selfHeal.maxAttemptsPerHour", "must be an integer")
RULE(self_heal_fields, LINK("  selfHeal: {enable: true}\n"), E, 17, 14, "spec.selfHeal.enable",
        "unknown field")

/* --- Context and Subject ----------------------------------------------------------------- */

RULE(context_required,
        REGS HDR "kind: Context\nmetadata: {name: c}\nspec:\n  registry: target\n"
                 "  mode: IMPORT\n",
        E, 14, 1, "spec.context", "required")
RULE(context_valid,
        REGS HDR "kind: Context\nmetadata: {name: c}\nspec:\n  registry: target\n"
                 "  context: \":*:\"\n  mode: IMPORT\n",
        E, 16, 3, "spec.context", "")
RULE(context_manages_something,
        REGS HDR "kind: Context\nmetadata: {name: c}\nspec:\n  "
                 "registry: target\n  context: .x\n",
        W, 14, 1, "spec", "manages nothing")
RULE(subject_registrable,
        REGS HDR "kind: Subject\nmetadata: {name: s}\nspec:\n  registry: "
                 "target\n  subject: __GLOBAL\n  mode: READONLY\n",
        E, 16, 3, "spec.subject", "not valid")
RULE(subject_required,
        REGS HDR "kind: Subject\nmetadata: {name: s}\nspec:\n  registry: "
                 "target\n  mode: READONLY\n",
        E, 14, 1, "spec.subject", "required")

/* --- across objects ---------------------------------------------------------------------- */

RULE(undeclared_registry,
        REGS HDR "kind: SchemaLink\nmetadata: {name: l}\nspec:\n  source: "
                 "source\n  destination: targte\n",
        E, 16, 3, "spec.destination", "Registry \"targte\" is not declared")
RULE(undeclared_registry_of_context,
        HDR "kind: Context\nmetadata: {name: c}\nspec: {registry: "
            "r, context: x, mode: IMPORT}\n",
        E, 4, 8, "spec.registry", "Registry \"r\" is not declared")
RULE(same_source_and_destination,
        REGS HDR "kind: SchemaLink\nmetadata: {name: l}\nspec:\n  "
                 "source: source\n  destination: source\n",
        E, 16, 3, "spec.destination", "same Registry as spec.source")
RULE(same_url_warns,
        REGS HDR "kind: Registry\nmetadata: {name: again}\nspec: {url: "
                 "http://LOCALHOST:8081/}\n",
        W, 4, 8, "spec.url", "same URL as Registry/again (t.yaml:14:8)")
RULE(auto_needs_cluster_id, LINK("  context: {type: AUTO}\n"), E, 17, 13, "spec.context.type",
        "AUTO needs the source Registry \"source\" to set spec.clusterId")
RULE(same_scope_twice,
        REG("  mode: READONLY\n") "---\n" HDR "kind: Context\nmetadata: {name: c}\nspec: "
                                  "{registry: source, context: \".\", mode: "
                                  "IMPORT}\n",
        E, 11, 40, "spec.mode",
        "the mode of context \".\" on Registry \"source\" is also managed by Registry/source")
RULE(same_subject_twice,
        REGS HDR "kind: Subject\nmetadata: {name: a}\nspec: {registry: "
                 "source, subject: x, compatibility: FULL}\n---\n" HDR
                 "kind: Subject\nmetadata: {name: b}\nspec: {registry: "
                 "source, subject: \":.:x\", compatibility: NONE}\n",
        E, 19, 43, "spec.compatibility", "also managed by Subject/a")
RULE(overlapping_writes,
        LINK("  subjects: [\"orders\"]\n") "---\n" HDR
                                           "kind: SchemaLink\nmetadata: {name: m}\nspec: {source: "
                                           "source, destination: target, "
                                           "subjects: [\":.:*\"]}\n",
        E, 22, 56, "spec.subjects[0]",
        "writes into context \".source\" on Registry \"target\" with subjects that overlap "
        "SchemaLink/l")
RULE(import_vs_context_mode,
        LINK("  subjects: [\":.:*\"]\n") "---\n" HDR "kind: Context\nmetadata: {name: c}\nspec: "
                                         "{registry: target, context: .source, mode: "
                                         "READWRITE}\n",
        E, 16, 3, "spec.destination",
        "destinationMode Import needs IMPORT on context \".source\" of Registry \"target\", but "
        "Context/c sets it to READWRITE")
RULE(import_vs_subject_mode,
        LINK("  subjects: [orders]\n  destinationMode: Import\n") "---\n" HDR
                                                                  "kind: Subject\nmetadata: {name: "
                                                                  "s}\nspec: {registry: target, "
                                                                  "subject: "
                                                                  "\":.source:orders\", mode: "
                                                                  "READONLY}\n",
        E, 18, 3, "spec.destinationMode", "Subject/s sets it to READONLY")
RULE(none_both_ways_warns,
        LINK("  context: {type: NONE}\n  subjects: [a]\n") "---\n" HDR
                                                           "kind: SchemaLink\nmetadata: {name: "
                                                           "m}\nspec: {source: target, "
                                                           "destination: source, "
                                                           "context: {type: NONE}}\n",
        W, 23, 1, "spec.subjects", "NONE links in both directions with overlapping subjects")

/* The walkthrough's active/active with replicated contexts: both links keep subjects ["*"]. */
static void loop_risk_names_both_links(void **state)
{
	(void)state;
	load(REGS HDR "kind: SchemaLink\nmetadata: {name: src-to-tgt-link}\nspec:\n"
	              "  source: source\n  destination: target\n"
	              "  context: {type: CUSTOM, name: source}\n---\n" HDR
	              "kind: SchemaLink\nmetadata: {name: tgt-to-src-link}\nspec:\n"
	              "  source: target\n  destination: source\n"
	              "  context: {type: CUSTOM, name: target}\n");
	assert_int_equal(sl_manifest_diags(L)->errors, 0);
	assert_int_equal(sl_manifest_diags(L)->warnings, 2);
	assert_non_null(S); /* warnings do not stop a load */
	expect(W, 14, 1, "spec.subjects",
	        "replication loop risk: \"*\" can select context \".target\" (and contexts below "
	        "it), which SchemaLink/tgt-to-src-link (t.yaml:21:12) writes into Registry "
	        "\"source\"; SchemaLink/src-to-tgt-link would send those subjects back to "
	        "\"target\" "
	        "nested as \".source.target\"; restrict spec.subjects to \":.:*\" or explicit "
	        "subjects");
	expect(W, 22, 1, "spec.subjects", "SchemaLink/src-to-tgt-link (t.yaml:13:12)");
}

static void no_loop_risk_with_default_context_filters(void **state)
{
	(void)state;
	load(REGS HDR "kind: SchemaLink\nmetadata: {name: a}\nspec: {source: source, destination: "
	              "target, subjects: [\":.:*\"]}\n---\n" HDR
	              "kind: SchemaLink\nmetadata: {name: b}\nspec: {source: target, destination: "
	              "source, subjects: [\":.:*\"]}\n");
	expect_clean();
}

/* --- limits and hostile input ------------------------------------------------------------ */

static void file_over_one_mib(void **state)
{
	size_t n = SL_MANIFEST_MAX_FILE_BYTES + 1;
	char *big = malloc(n);

	(void)state;
	memset(big, ' ', n);
	reset();
	add("big.yaml", big, n);
	free(big);
	sl_manifest_finish(L, &S);
	expect(E, 0, 0, NULL, "over the limit of 1 MiB");
}

static void depth_bomb(void **state)
{
	char buf[20001];

	(void)state;
	memset(buf, '[', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	load(buf);
	expect(E, 1, 65, NULL, "nesting deeper than 64 levels");
}

static void alias_bomb(void **state)
{
	(void)state;
	load("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
	expect(E, 4, 29, NULL, "alias expansion exceeds the limit of 10000 nodes");
}

static void aliases_within_limits_work(void **state)
{
	(void)state;
	load(HDR "kind: Registry\nmetadata: {name: source}\nspec: &s {url: http://x}\n---\n" HDR
	         "kind: Registry\nmetadata: {name: target}\nspec: {url: &u http://y, linkUrl: "
	         "*u}\n");
	expect_clean();
}

/* A redefined anchor names its latest complete definition, in its own document only. */
static void anchor_redefined_latest_wins(void **state)
{
	const struct sl_object *o;
	(void)state;
	load(HDR "kind: Registry\nmetadata: {name: &n source}\nspec: {url: &u http://x, linkUrl: "
	         "&u http://y, clusterId: *u}\n---\n" HDR
	         "kind: Registry\nmetadata: {name: &n target}\nspec: {url: http://z, linkUrl: "
	         "http://w, clusterId: *n}\n");
	expect_clean();
	o = sl_snapshot_get(S, SL_KIND_REGISTRY, "source");
	assert_non_null(o);
	assert_string_equal(o->registry.cluster_id, "http://y");
	o = sl_snapshot_get(S, SL_KIND_REGISTRY, "target");
	assert_non_null(o);
	assert_string_equal(o->registry.cluster_id, "target");
}

static void scalar_over_64_kib(void **state)
{
	size_t n = SL_MANIFEST_MAX_SCALAR_BYTES + 100;
	char *buf = malloc(n + 1);

	(void)state;
	memcpy(buf, "a: ", 3);
	memset(buf + 3, 'x', n - 3);
	buf[n] = '\0';
	load(buf);
	free(buf);
	expect(E, 1, 4, NULL, "over the limit of 64 KiB");
}

static void too_many_objects(void **state)
{
	struct sl_buf b = SL_BUF_INIT;
	int i;

	(void)state;
	reset();
	for (i = 0; i < 50; i++) {
		int j;

		sl_buf_reset(&b);
		for (j = 0; j < 1001; j++)
			sl_buf_adds(&b, "--- {}\n");
		add("many.yaml", b.data, b.len);
	}
	sl_buf_release(&b);
	sl_manifest_finish(L, &S);
	expect(E, 952, 5, NULL, "more than 50000 objects in one load");
	assert_int_equal(sl_manifest_objects(L), 50000);
}

static void nul_byte(void **state)
{
	static const char text[] = "a: 1\nb: x\0y\n";

	(void)state;
	reset();
	add("bin.yaml", text, sizeof(text) - 1);
	sl_manifest_finish(L, &S);
	expect(E, 2, 5, NULL, "NUL byte in file (binary file?)");
}

static void utf8_bom_accepted(void **state)
{
	(void)state;
	load("\xEF\xBB\xBF" REG(""));
	expect_clean();
}

static void utf16_refused(void **state)
{
	(void)state;
	reset();
	add("w.yaml",
	        "\xFF\xFE"
	        "a\0:\0",
	        6);
	sl_manifest_finish(L, &S);
	expect(E, 1, 1, NULL, "UTF-16");
}

static void tabs_in_indentation(void **state)
{
	(void)state;
	load(HDR "kind: Registry\nmetadata:\n\tname: a\n");
	expect(E, 4, 1, NULL, "tab character; YAML indents with spaces only");
}

static void truncated_document(void **state)
{
	(void)state;
	load(REG("  linkUrl: \"http://x\n"));
	expect(E, 7, 1, NULL, "found unexpected end of stream");
}

static void invalid_utf8(void **state)
{
	(void)state;
	load("a: \xC3\x28\n");
	expect(E, 1, 5, NULL, "must be UTF-8 text");
}

static void unknown_alias(void **state)
{
	(void)state;
	load("a: *nope\n");
	expect(E, 1, 4, NULL, "alias \"nope\" names no complete anchor");
}

static void duplicates_across_files(void **state)
{
	static const char a[] = REG("");

	(void)state;
	reset();
	add("a.yaml", a, strlen(a));
	add("b.yaml", "\n" REG(""), strlen(a) + 1);
	sl_manifest_finish(L, &S);
	expect(E, 4, 12, "metadata.name",
	        "Registry/source is declared twice (first at a.yaml:3:12)");
}

/* --- files and directories --------------------------------------------------------------- */

static char dir[] = "/tmp/sl-manifest-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void configmap_directory_layout(void **state)
{
	char p[512], q[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/..2026_11_27", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put("..2026_11_27/links.yaml", REG("  auth: {bearer: {token: {file: tok}}}\n"));
	snprintf(p, sizeof(p), "%s/..data", dir);
	assert_int_equal(symlink("..2026_11_27", p), 0);
	snprintf(p, sizeof(p), "%s/links.yaml", dir);
	assert_int_equal(symlink("..data/links.yaml", p), 0);
	put("links.yaml~", "junk: [");
	put("#links.yaml#", "junk: [");
	put("x.tmp", "junk: [");
	put("readme.txt", "junk: [");
	reset();
	assert_int_equal(sl_manifest_add_path(L, dir), 0);
	snprintf(q, sizeof(q), "%s/links.yaml", dir);
	assert_int_equal(sl_manifest_add_path(L, q), 0); /* the same real file: read once */
	sl_manifest_finish(L, &S);
	expect_clean();
	assert_int_equal(sl_manifest_files(L), 1);
	/* Relative secret files resolve against the visible directory, not ..2026_11_27. */
	snprintf(q, sizeof(q), "%s/tok", dir);
	assert_string_equal(
	        sl_snapshot_get(S, SL_KIND_REGISTRY, "source")->registry.auth.token.ref, q);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

static void missing_path(void **state)
{
	(void)state;
	reset();
	assert_int_equal(sl_manifest_add_path(L, "/nonexistent/x.yaml"), 0);
	sl_manifest_finish(L, &S);
	expect(E, 0, 0, NULL, "cannot open");
}

static void diag_format(void **state)
{
	struct sl_diags d;
	struct sl_buf b = SL_BUF_INIT;

	(void)state;
	sl_diags_init(&d);
	sl_diags_add(&d, E, "links.yaml", 14, 5, "spec.context.type", "must be %s", "x");
	sl_diags_add(&d, W, "a.yaml", 0, 0, NULL, "hmm");
	sl_diag_format(d.items.items[0], &b);
	assert_string_equal(b.data, "links.yaml:14:5: spec.context.type: must be x");
	sl_buf_reset(&b);
	sl_diag_format(d.items.items[1], &b);
	assert_string_equal(b.data, "a.yaml: warning: hmm");
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 1);
	sl_buf_release(&b);
	sl_diags_release(&d);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(walkthrough_active_passive_loads_with_defaults),
	        T(link_context_defaults_to_custom_source),
	        T(full_registry_loads),
	        T(context_and_subject_are_normalized),
	        T(labels_load_sorted),
	        T(every_error_of_a_load_is_reported),
	        T(api_version_must_match),
	        T(api_version_required),
	        T(kind_must_be_known),
	        T(name_required),
	        T(name_rules),
	        T(name_length),
	        T(link_name_rules),
	        T(spec_required),
	        T(document_must_be_mapping),
	        T(labels_are_strings),
	        T(unknown_field),
	        T(unknown_top_level_field),
	        T(duplicate_key),
	        T(merge_keys_unsupported),
	        T(string_field_rejects_integer),
	        T(url_required),
	        T(url_scheme),
	        T(url_without_credentials),
	        T(auth_one_of),
	        T(auth_only_one),
	        T(auth_has_no_oauth),
	        T(inline_password),
	        T(inline_token),
	        T(inline_client_secret),
	        T(inline_truststore_password),
	        T(inline_keystore_password),
	        T(password_needs_store),
	        T(secret_one_of),
	        T(secret_must_be_mapping),
	        T(secret_env_name),
	        T(basic_needs_password),
	        T(oauth_needs_issuer),
	        T(tls_cert_and_key),
	        T(tls_bool),
	        T(timeout_syntax),
	        T(rate_limit_mapping),
	        T(rate_limit_fields),
	        T(rate_limit_negative),
	        T(rate_limit_range),
	        T(rate_limit_number),
	        T(rate_limit_whole),
	        T(timeout_positive),
	        T(mode_enum),
	        T(forward_only_global),
	        T(compat_enum),
	        T(force_mode_without_mode),
	        T(link_source_required),
	        T(subjects_not_empty),
	        T(subjects_entry_valid),
	        T(subjects_no_duplicates),
	        T(subjects_are_a_list),
	        T(context_type_enum),
	        T(custom_needs_name),
	        T(name_only_for_custom),
	        T(context_name_not_default),
	        T(context_name_no_colon),
	        T(rename_format_needs_subject),
	        T(config_rejects_secrets),
	        T(config_values_scalars),
	        T(secret_config_no_inline),
	        T(secret_config_not_twice),
	        T(state_enum),
	        T(destination_mode_enum),
	        T(suspend_bool),
	        T(max_attempts_range),
	        T(max_attempts_integer),
	        T(self_heal_fields),
	        T(context_required),
	        T(context_valid),
	        T(context_manages_something),
	        T(subject_registrable),
	        T(subject_required),
	        T(undeclared_registry),
	        T(undeclared_registry_of_context),
	        T(same_source_and_destination),
	        T(same_url_warns),
	        T(auto_needs_cluster_id),
	        T(same_scope_twice),
	        T(same_subject_twice),
	        T(overlapping_writes),
	        T(import_vs_context_mode),
	        T(import_vs_subject_mode),
	        T(none_both_ways_warns),
	        T(loop_risk_names_both_links),
	        T(no_loop_risk_with_default_context_filters),
	        T(file_over_one_mib),
	        T(depth_bomb),
	        T(alias_bomb),
	        T(aliases_within_limits_work),
	        T(anchor_redefined_latest_wins),
	        T(scalar_over_64_kib),
	        T(too_many_objects),
	        T(nul_byte),
	        T(utf8_bom_accepted),
	        T(utf16_refused),
	        T(tabs_in_indentation),
	        T(truncated_document),
	        T(invalid_utf8),
	        T(unknown_alias),
	        T(duplicates_across_files),
	        T(configmap_directory_layout),
	        T(missing_path),
	        T(diag_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
