/* alloc.c — the counting, failing allocator behind the --wrap'ed calls (torture.h). */
#include "torture.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libc (or, under ASan, the sanitizer's) functions behind the wrappers. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_realpath(const char *path, char *resolved);
DIR *__real_opendir(const char *name);
int __real_closedir(DIR *d);
json_t *__real_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__real_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *error);
char *__real_json_dumps(const json_t *json, size_t flags);

/* Present in ASan builds only: symbolized stacks. */
void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out, size_t len)
        __attribute__((weak));
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

int torture_report_fd = 2;

#define NBUCKETS (1u << 16)
#define MAX_FRAMES 24

/* A block allocated in the window and not yet freed. */
struct block {
	void *p;
	size_t size;
	long seq; /* the allocation's number in the window */
	void *pc; /* the caller of the wrapped function */
	int depth;
	void *stack[MAX_FRAMES]; /* verbose only */
	struct block *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct block *buckets[NBUCKETS];
static struct block *spare;
static long live;
static bool window, failing, verbose, injected;
static int held;
static long count, fail_at;

static size_t bucket_of(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ULL;
	return (size_t)(x >> 40) & (NBUCKETS - 1);
}

/* One frame, unless it is in this file. */
static void print_pc(void *pc)
{
	char line[512];

	if (__sanitizer_symbolize_pc != NULL) {
		__sanitizer_symbolize_pc(pc, "%p %F %L", line, sizeof(line));
		if (strstr(line, "tests/torture/alloc.c") == NULL &&
		        strstr(line, "libsanitizer") == NULL)
			dprintf(torture_report_fd, "      %s\n", line);
	} else {
		backtrace_symbols_fd(&pc, 1, torture_report_fd);
	}
}

static void print_stack(void *const *frames, int n)
{
	int i;

	for (i = 0; i < n; i++)
		print_pc(frames[i]);
}

static void print_stack_here(void)
{
	void *frames[MAX_FRAMES];

	print_stack(frames, backtrace(frames, MAX_FRAMES));
}

/* Counts one allocating call; true when this one is to fail. */
static bool should_fail(void *pc)
{
	bool fail;
	long n;

	pthread_mutex_lock(&mu);
	if (!window || held > 0) {
		pthread_mutex_unlock(&mu);
		return false;
	}
	n = ++count;
	fail = failing && n == fail_at;
	if (fail)
		injected = true;
	pthread_mutex_unlock(&mu);
	if (fail && verbose) {
		dprintf(torture_report_fd, "torture: failing allocation %ld, called from\n", n);
		if (__sanitizer_symbolize_pc != NULL)
			print_stack_here();
		else
			print_pc(pc);
	}
	return fail;
}

static void track(void *p, size_t size, void *pc)
{
	struct block *b;
	size_t h;

	if (p == NULL)
		return;
	pthread_mutex_lock(&mu);
	if (!window) {
		pthread_mutex_unlock(&mu);
		return;
	}
	b = spare;
	if (b != NULL)
		spare = b->next;
	else
		b = __real_malloc(sizeof(*b));
	if (b == NULL) {
		pthread_mutex_unlock(&mu);
		dprintf(torture_report_fd, "torture: out of memory for the block table\n");
		abort();
	}
	b->p = p;
	b->size = size;
	b->seq = count;
	b->pc = pc;
	b->depth = verbose ? backtrace(b->stack, MAX_FRAMES) : 0;
	h = bucket_of(p);
	b->next = buckets[h];
	buckets[h] = b;
	live++;
	pthread_mutex_unlock(&mu);
}

/* Removes p from the table; returns its block (owned by the caller) or NULL. */
static struct block *untrack_locked(void *p)
{
	struct block **pp;

	if (live == 0)
		return NULL;
	for (pp = &buckets[bucket_of(p)]; *pp != NULL; pp = &(*pp)->next) {
		struct block *b = *pp;

		if (b->p == p) {
			*pp = b->next;
			live--;
			return b;
		}
	}
	return NULL;
}

static void untrack(void *p)
{
	struct block *b;

	pthread_mutex_lock(&mu);
	b = untrack_locked(p);
	if (b != NULL) {
		b->next = spare;
		spare = b;
	}
	pthread_mutex_unlock(&mu);
}

static void *alloc_block(size_t n, void *pc)
{
	void *p;

	if (should_fail(pc)) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_malloc(n);
	track(p, n, pc);
	return p;
}

#define CALLER __builtin_return_address(0)

void *__wrap_malloc(size_t n)
{
	return alloc_block(n, CALLER);
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *pc = CALLER, *p;

	if (should_fail(pc)) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_calloc(n, size);
	track(p, n * size, pc);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *pc = CALLER, *q;
	struct block *b = NULL;

	if (should_fail(pc)) {
		errno = ENOMEM;
		return NULL;
	}
	if (p == NULL) {
		q = __real_malloc(n);
		track(q, n, pc);
		return q;
	}
	pthread_mutex_lock(&mu);
	b = untrack_locked(p);
	pthread_mutex_unlock(&mu);
	q = __real_realloc(p, n);
	if (b == NULL)
		return q; /* allocated before the window: not ours to count */
	pthread_mutex_lock(&mu);
	if (q != NULL || n != 0) {
		size_t h;

		/* Moved, or (a real failure) p still valid: track what is live now. */
		b->p = q != NULL ? q : p;
		b->size = q != NULL ? n : b->size;
		h = bucket_of(b->p);
		b->next = buckets[h];
		buckets[h] = b;
		live++;
	} else {
		b->next = spare; /* realloc(p, 0) freed p */
		spare = b;
	}
	pthread_mutex_unlock(&mu);
	return q;
}

void __wrap_free(void *p)
{
	if (p == NULL)
		return;
	untrack(p);
	__real_free(p);
}

char *__wrap_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = alloc_block(n, CALLER);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

char *__wrap_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = alloc_block(len + 1, CALLER);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int vasprintf_at(void *pc, char **out, const char *fmt, va_list ap)
{
	va_list cp;
	char *p;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	p = alloc_block((size_t)n + 1, pc);
	if (p == NULL)
		return -1;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	*out = p;
	return n;
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	return vasprintf_at(CALLER, out, fmt, ap);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf_at(CALLER, out, fmt, ap);
	va_end(ap);
	return n;
}

char *__wrap_realpath(const char *path, char *resolved)
{
	void *pc = CALLER;
	char *r;

	if (resolved != NULL)
		return __real_realpath(path, resolved);
	if (should_fail(pc)) {
		errno = ENOMEM;
		return NULL;
	}
	r = __real_realpath(path, NULL);
	if (r != NULL)
		track(r, strlen(r) + 1, pc);
	return r;
}

/* libc frees a DIR in closedir: tracked by its address from one to the other. */
DIR *__wrap_opendir(const char *name)
{
	void *pc = CALLER;
	DIR *d;

	if (should_fail(pc)) {
		errno = ENOMEM;
		return NULL;
	}
	d = __real_opendir(name);
	track(d, sizeof(void *), pc);
	return d;
}

int __wrap_closedir(DIR *d)
{
	if (d != NULL)
		untrack(d);
	return __real_closedir(d);
}

/* libyaml allocates through these four (api.c), called through its PLT: the executable's
 * definitions take their place, so libyaml's own allocations are counted and fail too. */
void *yaml_malloc(size_t size)
{
	return alloc_block(size ? size : 1, CALLER);
}

void *yaml_realloc(void *p, size_t size)
{
	return __wrap_realloc(p, size ? size : 1);
}

void yaml_free(void *p)
{
	__wrap_free(p);
}

yaml_char_t *yaml_strdup(const yaml_char_t *s)
{
	size_t n;
	yaml_char_t *p;

	if (s == NULL)
		return NULL;
	n = strlen((const char *)s) + 1;
	p = alloc_block(n, CALLER);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* jansson 2.14 ignores two failed appends to its string buffers: the lexer's (lex_save), so
 * one failed allocation inside a load drops a character from a string ("target.est") and the
 * load succeeds, and json_dumps's for an object key (do_dump ignores dump_string's result),
 * so the text comes out without the key ({"name":"l",":"CUSTOM"}). Not ours to fix, and they
 * would drown what is: a load or a json_dumps fails only as a whole, where it starts, as a
 * correct jansson would; what it allocates inside is tracked, not failed. (json_dump_callback
 * is left alone: our callbacks keep their first failure, so a lost key fails the document.) */
static json_t *load_failed(json_error_t *error)
{
	if (error != NULL) {
		memset(error, 0, sizeof(*error));
		error->line = error->column = -1;
		snprintf(error->text, sizeof(error->text), "out of memory");
		error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
	}
	errno = ENOMEM;
	return NULL;
}

json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error)
{
	json_t *v;

	if (should_fail(CALLER))
		return load_failed(error);
	torture_hold();
	v = __real_json_loads(input, flags, error);
	torture_release();
	return v;
}

json_t *__wrap_json_loadb(const char *buffer, size_t len, size_t flags, json_error_t *error)
{
	json_t *v;

	if (should_fail(CALLER))
		return load_failed(error);
	torture_hold();
	v = __real_json_loadb(buffer, len, flags, error);
	torture_release();
	return v;
}

char *__wrap_json_dumps(const json_t *json, size_t flags)
{
	char *s;

	if (should_fail(CALLER)) {
		errno = ENOMEM;
		return NULL;
	}
	torture_hold();
	s = __real_json_dumps(json, flags);
	torture_release();
	return s;
}

static void *json_malloc_fn(size_t n)
{
	return alloc_block(n, CALLER);
}

static void json_free_fn(void *p)
{
	__wrap_free(p);
}

bool torture_fail_point(void)
{
	return should_fail(CALLER);
}

void torture_hold(void)
{
	pthread_mutex_lock(&mu);
	held++;
	pthread_mutex_unlock(&mu);
}

void torture_release(void)
{
	pthread_mutex_lock(&mu);
	held--;
	pthread_mutex_unlock(&mu);
}

void torture_alloc_init(void)
{
	int fd = fcntl(2, F_DUPFD_CLOEXEC, 10);

	json_set_alloc_funcs(json_malloc_fn, json_free_fn);
	/* Reports go to the stderr the torture started with, also while a scenario has its
	 * own (slctl's is captured), and so do the sanitizers'. */
	if (fd >= 0) {
		torture_report_fd = fd;
		if (__sanitizer_set_report_fd != NULL)
			__sanitizer_set_report_fd((void *)(intptr_t)fd);
	}
}

void torture_begin(long n, bool v)
{
	pthread_mutex_lock(&mu);
	window = true;
	failing = n > 0;
	fail_at = n;
	count = 0;
	held = 0;
	injected = false;
	verbose = v;
	pthread_mutex_unlock(&mu);
}

void torture_stop_failing(void)
{
	pthread_mutex_lock(&mu);
	failing = false;
	pthread_mutex_unlock(&mu);
}

long torture_count(void)
{
	long n;

	pthread_mutex_lock(&mu);
	n = count;
	pthread_mutex_unlock(&mu);
	return n;
}

bool torture_injected(void)
{
	bool i;

	pthread_mutex_lock(&mu);
	i = injected;
	pthread_mutex_unlock(&mu);
	return i;
}

long torture_live(void)
{
	long n;

	pthread_mutex_lock(&mu);
	n = live;
	pthread_mutex_unlock(&mu);
	return n;
}

long torture_end(bool report)
{
	long n;
	size_t h;

	pthread_mutex_lock(&mu);
	window = false;
	failing = false;
	n = live;
	for (h = 0; h < NBUCKETS; h++) {
		while (buckets[h] != NULL) {
			struct block *b = buckets[h];

			buckets[h] = b->next;
			if (report) {
				dprintf(torture_report_fd,
				        "  leaked %zu bytes from allocation %ld, made at\n",
				        b->size, b->seq);
				if (b->depth > 0)
					print_stack(b->stack, b->depth);
				else
					print_pc(b->pc);
			}
			b->next = spare;
			spare = b;
		}
	}
	live = 0;
	pthread_mutex_unlock(&mu);
	return n;
}
