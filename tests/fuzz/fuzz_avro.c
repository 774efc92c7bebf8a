/*
 * fuzz_avro.c — libFuzzer harness for sl_avro_canonical: srlite parses schemas sent by any
 * client, so the parser sees untrusted text.
 *
 * The input (cut at its first NUL, as the C-string API sees it) is parsed with and without
 * SL_AVRO_STRICT_LOGICAL. Canonical text must be a fixed point: canonicalizing it again gives
 * the same bytes, or the harness traps. Strict mode accepting what lenient mode refuses is a
 * bug too.
 *
 * tests/unit/test_fuzz_regressions.c includes this file with SL_FUZZ_NO_ENTRY defined.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/avro.h"

static int fuzz_avro_flags(const char *text, unsigned flags)
{
	struct sl_error err = SL_ERROR_INIT;
	char *out = NULL, *again = NULL;
	int rc = sl_avro_canonical_flags(text, flags, &out, &err);

	if (rc == 0) {
		if (out == NULL)
			__builtin_trap();
		if (sl_avro_canonical_flags(out, flags, &again, &err) != 0)
			__builtin_trap(); /* canonical text that does not parse again */
		if (strcmp(out, again) != 0)
			__builtin_trap(); /* canonical text that is not a fixed point */
	} else if (out != NULL || err.code != rc || err.msg[0] == '\0') {
		__builtin_trap();
	}
	free(out);
	free(again);
	return rc;
}

static int fuzz_avro_one(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int lenient, strict;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	lenient = fuzz_avro_flags(text, 0);
	strict = fuzz_avro_flags(text, SL_AVRO_STRICT_LOGICAL);
	if (strict == 0 && lenient != 0 && lenient != SL_ENOMEM)
		__builtin_trap();
	sl_json_schema_check(text, NULL);
	free(text);
	return 0;
}

#ifndef SL_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_avro_one(data, size);
}
#endif
