/*
 * slctl.h — internal to cmd/slctl: commands implemented in their own files.
 */
#ifndef SLCTL_SLCTL_H
#define SLCTL_SLCTL_H

#include <stdbool.h>

#include "schemalink/vec.h"

enum { SLCTL_EXIT_OK = 0, SLCTL_EXIT_FAIL = 1, SLCTL_EXIT_USAGE = 2, SLCTL_EXIT_UNREACHABLE = 3 };

/* Appends the manifest paths to load to out: the -f values (borrowed from argv) or, when none
 * were given, the colon-separated entries of $SLCTL_FILES (copied into *env_copy, which the
 * caller frees; empty entries are skipped). */
int slctl_manifest_paths(const struct sl_vec *flags, struct sl_vec *out, char **env_copy);

/* slctl validate: loads paths, prints every diagnostic to stderr and a summary line to
 * stdout. Returns 0 (valid; warnings allowed unless strict) or 2. */
int slctl_validate(const struct sl_vec *paths, bool strict);

#endif
