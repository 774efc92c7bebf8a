/*
 * fuzz_srclient.c — libFuzzer harness for the registry JSON decoders behind srclient's typed
 * calls, fed through the scripted fake transport (no network).
 *
 * Input layout: byte 0 with its high bit clear means HTTP 200 and the body starts at byte 1;
 * with it set, bytes 0-1 give a status 100 + ((b0 & 0x7f) << 8 | b1) % 500 and the body starts
 * at byte 2. The same reply (status + body, NUL bytes kept) is answered to every typed call:
 * exporters list, exporter info, status and config, mode and compatibility (top level and
 * scoped), mode delete, contexts, subjects, subject versions, one version, a register, and
 * the cluster id (into a small buffer, so the cap is exercised).
 * Each result is checked against srclient.h's contract: a failure sets err->code to the
 * returned code with a message, and whenever the server answered, err->http_status holds its
 * status.
 *
 * tests/unit/test_fuzz_regressions.c includes this file with SL_FUZZ_NO_ENTRY defined.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/srclient.h"

struct fuzz_srclient_input {
	int status;
	const char *body;
	size_t len;
};

static void fuzz_srclient_no_sleep(void *arg, long ms)
{
	(void)arg;
	(void)ms;
}

/* Traps when a call's result breaks the error contract. */
static void fuzz_srclient_check(int rc, const struct sl_error *err, int status)
{
	if (rc >= 0)
		return;
	if (err->code != rc || err->msg[0] == '\0')
		__builtin_trap();
	if (rc != SL_ENOMEM && err->http_status != status)
		__builtin_trap();
}

static int fuzz_srclient_push(struct sl_fake_transport *f, const struct fuzz_srclient_input *in)
{
	/* An empty body is sent as NULL: body_len 0 would mean strlen(body). */
	struct sl_fake_reply r = {in->status, in->len ? in->body : NULL, -1, NULL, 0, in->len};

	sl_fake_transport_reset(f);
	return sl_fake_transport_push(f, &r);
}

static void fuzz_srclient_calls(
        struct sl_srclient *c, struct sl_fake_transport *f, const struct fuzz_srclient_input *in)
{
	struct sl_error err = SL_ERROR_INIT;
	struct sl_vec names = SL_VEC_INIT;
	struct sl_exporter e = SL_EXPORTER_INIT;
	struct sl_exporter_status st = SL_EXPORTER_STATUS_INIT;
	struct sl_strmap cfg = SL_STRMAP_INIT;
	struct sl_schema_version v = SL_SCHEMA_VERSION_INIT;
	struct sl_register_request reg = {
	        "\"string\"", NULL, NULL, NULL, NULL, -1, -1, false, true};
	char *value = NULL;
	int *versions = NULL, id = 0, ver = 0, rc;
	size_t n = 0, i;
	static const char *const scopes[] = {NULL, ":.ctx:subj"};

	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_exporters_list(c, &names, &err);
		fuzz_srclient_check(rc, &err, in->status);
		sl_vec_release(&names, free);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_exporter_get(c, "ex", &e, &err);
		fuzz_srclient_check(rc, &err, in->status);
		sl_exporter_release(&e);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_exporter_status(c, "ex", &st, &err);
		fuzz_srclient_check(rc, &err, in->status);
		if (rc == 0 && (st.state_raw == NULL || st.trace == NULL))
			__builtin_trap();
		sl_exporter_status_release(&st);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_exporter_config_get(c, "ex", &cfg, &err);
		fuzz_srclient_check(rc, &err, in->status);
		sl_strmap_release(&cfg, free);
	}
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (fuzz_srclient_push(f, in) == 0) {
			rc = sl_srclient_mode_get(c, scopes[i], &value, &err);
			fuzz_srclient_check(rc, &err, in->status);
			if ((rc == 1) != (value != NULL))
				__builtin_trap();
			free(value);
			value = NULL;
		}
		if (fuzz_srclient_push(f, in) == 0) {
			rc = sl_srclient_config_get(c, scopes[i], &value, &err);
			fuzz_srclient_check(rc, &err, in->status);
			if ((rc == 1) != (value != NULL))
				__builtin_trap();
			free(value);
			value = NULL;
		}
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_mode_delete(c, ":.ctx:", &err);
		fuzz_srclient_check(rc, &err, in->status);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_contexts_list(c, &names, &err);
		fuzz_srclient_check(rc, &err, in->status);
		sl_vec_release(&names, free);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_subjects_list(c, ":*:", true, &names, &err);
		fuzz_srclient_check(rc, &err, in->status);
		sl_vec_release(&names, free);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_subject_versions(c, "s", false, &versions, &n, &err);
		fuzz_srclient_check(rc, &err, in->status);
		if (rc < 0 && (versions != NULL || n != 0))
			__builtin_trap();
		free(versions);
		versions = NULL;
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_subject_version_get(c, "s", "latest", &v, &err);
		fuzz_srclient_check(rc, &err, in->status);
		if (rc == 0 && (v.schema == NULL || v.schema_type == NULL))
			__builtin_trap();
		sl_schema_version_release(&v);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		rc = sl_srclient_register(c, "s", &reg, &id, &ver, &err);
		fuzz_srclient_check(rc, &err, in->status);
	}
	if (fuzz_srclient_push(f, in) == 0) {
		char cid[16];

		rc = sl_srclient_cluster_id(c, cid, sizeof(cid), &err);
		fuzz_srclient_check(rc, &err, in->status);
		/* 1: a non-empty id without C0 controls; otherwise out is "". */
		if (rc > 1 || (rc == 1) != (cid[0] != '\0') || (rc >= 0 && err.code != 0))
			__builtin_trap();
		for (i = 0; rc == 1 && cid[i] != '\0'; i++)
			if ((unsigned char)cid[i] < 0x20 || cid[i] == 0x7f)
				__builtin_trap();
	}
}

static int fuzz_srclient_one(const uint8_t *data, size_t size)
{
	struct sl_srclient_config cfg;
	struct sl_fake_transport *f;
	struct sl_srclient *c;
	struct fuzz_srclient_input in = {200, NULL, 0};

	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		if (size < 2)
			return 0;
		in.status = 100 + (((data[0] & 0x7f) << 8) | data[1]) % 500;
		data += 2;
		size -= 2;
	} else {
		data++;
		size--;
	}
	in.body = (const char *)data;
	in.len = size;

	memset(&cfg, 0, sizeof(cfg));
	cfg.base_url = "http://127.0.0.1:8081";
	cfg.max_attempts = 1; /* one reply per call; retries are srclient's own tests' business */
	cfg.sleep_ms = fuzz_srclient_no_sleep;
	f = sl_fake_transport_new();
	if (f == NULL)
		return 0;
	c = sl_srclient_new(&cfg, sl_fake_transport_base(f), NULL);
	if (c == NULL)
		return 0;
	fuzz_srclient_calls(c, f, &in);
	sl_srclient_free(c);
	return 0;
}

#ifndef SL_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_srclient_one(data, size);
}
#endif
