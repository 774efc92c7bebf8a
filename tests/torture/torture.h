/*
 * torture.h — allocation-failure ("torture") tests: fail the Nth allocation, for every N.
 *
 * The torture binary is linked with -Wl,--wrap for every allocating libc call pkg/ makes
 * (malloc, calloc, realloc, free, strdup, strndup, asprintf, vasprintf, realpath, opendir
 * and closedir); libyaml's allocator (yaml_malloc & co., which libyaml calls through its PLT)
 * is replaced by definitions here, and jansson allocates through the same counter
 * (json_set_alloc_funcs). jansson's loads and json_dumps fail only as a whole (alloc.c says
 * why). While a
 * window is open (torture_begin) every such call is counted, and the one numbered fail_at
 * fails as it would when memory runs out; every block allocated in the window is tracked
 * until it is freed, so what a scenario leaks is what is still live when its window closes.
 *
 * A scenario (scenario_*.c) is set up outside the window, run inside it, cleaned up inside
 * it with failures off, and torn down outside it. The driver (driver.c) runs it once to
 * count its K allocations and keep its result, then once per N = 1..K, each run in a child
 * process, and checks that no run crashes or leaks, and that each either reports a failure
 * or gives the very result of the first run.
 */
#ifndef SL_TEST_TORTURE_H
#define SL_TEST_TORTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "schemalink/buf.h"

#define TORTURE_RETRY 1
/* A command's exit status n (slctl), a failure reported. */
#define TORTURE_EXIT(n) (100 + (n))

struct torture_scenario {
	const char *name;
	/* Outside the window: fixtures the scenario itself does not test (temp dirs). Returns
	 * 0, or -1 after printing why. May be NULL. */
	int (*setup)(void);
	/* Inside the window: the work under test. Returns 0 with the result (text to compare
	 * between runs) appended to out, or non-zero: a failure reported (an SL_E* code, or
	 * TORTURE_RETRY: a reconcile asked to be retried, or TORTURE_EXIT: a command's exit
	 * status). A result with a line starting
	 * "WRONG:" (a known answer that does not hold) fails the run, the first one too. */
	int (*run)(struct sl_buf *out);
	/* Inside the window with failures off: frees what run kept for later. May be NULL. */
	void (*cleanup)(void);
	/* Outside the window: removes what setup made. May be NULL. */
	void (*teardown)(void);
	/* What the run did to the world (registry calls), also on failure: a failed run's
	 * must be a prefix of the first run's, so a failure never turns into another write.
	 * Valid after run until the next setup. May be NULL. */
	const char *(*effects)(void);
};

extern const struct torture_scenario torture_scenario_manifest;
extern const struct torture_scenario torture_scenario_model;
extern const struct torture_scenario torture_scenario_plan;
extern const struct torture_scenario torture_scenario_engine;
extern const struct torture_scenario torture_scenario_slctl;

/* ---- the counting allocator (alloc.c) ---------------------------------------------------- */

/* Routes jansson through the counter and reports to torture_report_fd; call first thing
 * in main. */
void torture_alloc_init(void);
/* The stderr the torture started with (a scenario may redirect its own). */
extern int torture_report_fd;
/* Opens a window: counts from 0, fails allocation fail_at (0: none), tracks blocks. With
 * verbose, prints the stack of the failed call and keeps a stack for each block. */
void torture_begin(long fail_at, bool verbose);
/* Later calls in the window succeed (cleanup). */
void torture_stop_failing(void);
/* Blocks allocated in the window and still live. */
long torture_live(void);
/* Closes the window: returns the blocks allocated in it and still live (printing each to
 * stderr when report is set) and forgets them. */
long torture_end(bool report);
/* Counts as one allocation, for test code standing in for one (a transport hook): true
 * when this is the one to fail. */
bool torture_fail_point(void);
/* Between hold and release (nested), calls are neither counted nor failed: the test's own
 * fixtures (engine_fixture.h) allocate there. */
void torture_hold(void);
void torture_release(void);
/* Allocations counted in the window so far, and whether the failure was injected. */
long torture_count(void);
bool torture_injected(void);

/* ---- helpers for scenarios (driver.c) ---------------------------------------------------- */

/* Appends one line to a fixed log of what a run did (no allocation, so it survives every
 * failure). */
void torture_effect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *torture_effects(void);
void torture_effects_reset(void);
/* Removes dir and everything below it (outside a window). */
void torture_rm_rf(const char *dir);

/* ---- the wrapped calls (alloc.c) --------------------------------------------------------- */

#include <dirent.h>
#include <stdarg.h>
#include <yaml.h>

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int __wrap_vasprintf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
char *__wrap_realpath(const char *path, char *resolved);
DIR *__wrap_opendir(const char *name);
int __wrap_closedir(DIR *d);
#include <jansson.h>
json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *error);
char *__wrap_json_dumps(const json_t *json, size_t flags);
/* libyaml's allocator, replaced (alloc.c). */
void *yaml_malloc(size_t size);
void *yaml_realloc(void *p, size_t size);
void yaml_free(void *p);
yaml_char_t *yaml_strdup(const yaml_char_t *s);

#endif
