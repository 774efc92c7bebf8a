/*
 * driver.c — runs each scenario once to count its allocations K and keep its result, then
 * again for N = 1..K with allocation N failing. The first run has a process of its own
 * (LeakSanitizer checks it at exit); the others run in JOBS worker processes that take every
 * JOBS-th N in turn, one after the other in-process (a fork per run costs more than most
 * runs under ASan). A worker that dies is replaced by one that goes on after the N it died
 * in. Checks of each run (torture.h):
 *   - it does not crash (signals, sanitizer reports: the worker's exit status);
 *   - it reports a failure, or succeeds with the first run's result and effects;
 *   - a failed run's effects (registry calls) are a prefix of the first run's;
 *   - nothing allocated in the window is live after cleanup, and no file descriptor is left
 *     open after teardown;
 *   - allocation N was reached (the scenario is deterministic).
 * Prints a line per scenario and ends with "N passed, N failed" (one test per run).
 *
 *   torture [-ev] [-j JOBS] [-s SCENARIO[,SCENARIO...]] [-n N]
 * -n N runs only that N; -v prints the stack of each failed call and of each leaked block;
 * -e names each run that reported another failure than SL_ENOMEM (a misleading message?).
 */
#include "torture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/error.h"

static const struct torture_scenario *const scenarios[] = {
        &torture_scenario_model,
        &torture_scenario_manifest,
        &torture_scenario_plan,
        &torture_scenario_engine,
        &torture_scenario_slctl,
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* ---- effects ------------------------------------------------------------------------------ */

static char effects_buf[1 << 16];
static size_t effects_len;
static bool effects_cut;

void torture_effect(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (effects_cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(effects_buf + effects_len, sizeof(effects_buf) - effects_len - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(effects_buf) - effects_len - 2) {
		effects_cut = true;
		snprintf(effects_buf + effects_len, sizeof(effects_buf) - effects_len,
		        "(effects log full)\n");
		return;
	}
	effects_len += (size_t)n;
	effects_buf[effects_len++] = '\n';
	effects_buf[effects_len] = '\0';
}

const char *torture_effects(void)
{
	return effects_buf;
}

void torture_effects_reset(void)
{
	effects_len = 0;
	effects_buf[0] = '\0';
	effects_cut = false;
}

void torture_rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	char path[4096];
	struct stat st;

	if (d != NULL) {
		while ((ent = readdir(d)) != NULL) {
			if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				torture_rm_rf(path);
			else
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* ---- one run ------------------------------------------------------------------------------- */

enum verdict {
	V_NONE, /* not written: the worker died in this run */
	V_FAILED, /* reported a failure: fine */
	V_SURVIVED, /* succeeded with the right result despite the failure: fine */
	V_OK, /* the counting run */
	V_LEAK,
	V_FDLEAK,
	V_WRONG, /* succeeded with another result or other effects */
	V_EFFECTS, /* failed after effects the first run did not have */
	V_UNREACHED, /* fewer than N allocations: not deterministic */
	V_SPURIOUS, /* failed although nothing failed */
	V_SETUP, /* setup failed */
};

static const char *const verdict_names[] = {"died", "failed cleanly", "succeeded anyway", "ok",
        "leak", "file descriptor leak", "wrong result", "unexpected effects",
        "allocation not reached", "failed without an injected failure", "setup failed"};

struct slot {
	int verdict;
	int rc;
	long count;
	long leaks;
};

/* -e: name each run that failed with another code than SL_ENOMEM. */
static bool show_codes;

/* The counting run's result, in every worker started after it. */
static char *ref_out, *ref_eff;
static size_t ref_out_len;

/* The counting run hands its result back through this shared map. */
#define REF_MAX (4u << 20)
struct ref_area {
	size_t out_len, eff_len;
	char data[REF_MAX];
};

static const char *rc_name(int rc)
{
	static const char *const exits[] = {"exit status 1", "exit status 2", "exit status 3"};

	if (rc >= TORTURE_EXIT(1) && rc <= TORTURE_EXIT(3))
		return exits[rc - TORTURE_EXIT(1)];
	return rc < 0                ? sl_code_name(rc)
	       : rc == 0             ? "ok"
	       : rc == TORTURE_RETRY ? "retry"
	                             : "non-zero";
}

/* A run's report is put together here and written at once, so the two workers' reports do
 * not interleave. */
static char report_buf[8192];
static size_t report_len;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(report_buf + report_len, sizeof(report_buf) - report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		report_len += (size_t)n < sizeof(report_buf) - report_len
		                      ? (size_t)n
		                      : sizeof(report_buf) - report_len - 1;
}

static void say_done(void)
{
	if (report_len > 0 && write(torture_report_fd, report_buf, report_len) < 0)
		perror("torture: write");
	report_len = 0;
}

/* First line where a and b differ, for the report. */
static void say_first_diff(const char *what, const char *a, size_t alen, const char *b)
{
	size_t i = 0, line = 1, start = 0, blen = strlen(b);

	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	say("  %s differs at line %zu:\n    got:  %.*s\n    want: %.*s\n", what, line,
	        (int)strcspn(a + start, "\n"), a + start, (int)strcspn(b + start, "\n"), b + start);
}

static bool is_line_prefix(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && (n == 0 || a[n - 1] == '\n');
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((ent = readdir(d)) != NULL)
		n += ent->d_name[0] != '.';
	closedir(d);
	return n;
}

static void run_one(const struct torture_scenario *s, long n, bool verbose, struct slot *slot,
        struct ref_area *ref)
{
	struct sl_buf out = SL_BUF_INIT;
	const char *eff, *diff = NULL, *da = NULL, *db = NULL;
	size_t dalen = 0;
	int rc, v, fds = count_fds();
	bool injected;

	torture_effects_reset();
	if (s->setup != NULL && s->setup() != 0) {
		slot->verdict = V_SETUP;
		return;
	}
	torture_begin(n, verbose);
	rc = s->run(&out);
	torture_stop_failing();
	injected = torture_injected();
	slot->count = torture_count();
	slot->rc = rc;
	eff = s->effects != NULL ? s->effects() : "";
	if (rc == 0 && strstr(out.data, "WRONG:") != NULL) {
		v = V_WRONG; /* a known answer does not hold (world.h) */
	} else if (n == 0) {
		v = rc == 0 ? V_OK : V_SPURIOUS;
		if (out.len + strlen(eff) + 2 > REF_MAX) {
			say("torture: %s: result too long\n", s->name);
			v = V_SETUP;
		} else {
			ref->out_len = out.len;
			ref->eff_len = strlen(eff);
			memcpy(ref->data, out.data, out.len);
			memcpy(ref->data + out.len, eff, ref->eff_len + 1);
		}
	} else if (!injected) {
		v = rc == 0 ? V_UNREACHED : V_SPURIOUS;
	} else if (rc == 0) {
		v = V_SURVIVED;
		if (out.len != ref_out_len || memcmp(out.data, ref_out, out.len) != 0)
			v = V_WRONG, diff = "result", da = out.data, dalen = out.len, db = ref_out;
		else if (strcmp(eff, ref_eff) != 0)
			v = V_WRONG, diff = "effects", da = eff, dalen = strlen(eff), db = ref_eff;
	} else {
		v = V_FAILED;
		if (!is_line_prefix(eff, ref_eff))
			v = V_EFFECTS, diff = "effects", da = eff, dalen = strlen(eff),
			db = ref_eff;
	}
	if (v >= V_LEAK || (v == V_SPURIOUS && n == 0))
		say("torture: %s N=%ld: %s (run returned %s)\n", s->name, n, verdict_names[v],
		        rc_name(rc));
	if (v == V_WRONG && rc == 0 && strstr(out.data, "WRONG:") != NULL)
		say("  %.*s\n", (int)strcspn(strstr(out.data, "WRONG:"), "\n"),
		        strstr(out.data, "WRONG:"));
	if (diff != NULL)
		say_first_diff(diff, da, dalen, db);
	if (show_codes && v == V_FAILED && rc != SL_ENOMEM)
		say("torture: %s N=%ld: failed with %s\n", s->name, n, rc_name(rc));
	if (verbose && n == 0)
		say("torture: %s: result\n%.4000s%.2000s", s->name, out.data, eff);
	say_done();
	if (s->cleanup != NULL)
		s->cleanup();
	sl_buf_release(&out);
	slot->leaks = torture_live();
	if (slot->leaks > 0) {
		say("torture: %s N=%ld: %ld blocks leaked (run returned %s)%s:\n", s->name, n,
		        slot->leaks, rc_name(rc), verbose ? "" : "; -v prints their stacks");
		say_done();
	}
	torture_end(slot->leaks > 0);
	if (slot->leaks > 0 && v < V_LEAK)
		v = V_LEAK;
	if (s->teardown != NULL)
		s->teardown();
	if (fds >= 0 && count_fds() != fds) {
		say("torture: %s N=%ld: %d file descriptors before, %d after\n", s->name, n, fds,
		        count_fds());
		say_done();
		if (v < V_LEAK)
			v = V_FDLEAK;
	}
	slot->verdict = v;
}

/* ---- the parent ---------------------------------------------------------------------------- */

#define MAX_JOBS 64
/* Failure codes counted for the summary: SL_EUNSUP (-12) .. TORTURE_RETRY (1), slctl's exit
 * statuses 1..3, other. */
#define CODE_MIN SL_EUNSUP
#define NCODES (TORTURE_RETRY - CODE_MIN + 1 + 3 + 1)

static int code_slot(int rc)
{
	if (rc >= CODE_MIN && rc <= TORTURE_RETRY)
		return rc - CODE_MIN;
	if (rc >= TORTURE_EXIT(1) && rc <= TORTURE_EXIT(3))
		return TORTURE_RETRY - CODE_MIN + rc - TORTURE_EXIT(0);
	return NCODES - 1;
}

static const char *code_name(int slot)
{
	if (slot == NCODES - 1)
		return "other";
	if (slot > TORTURE_RETRY - CODE_MIN)
		return rc_name(TORTURE_EXIT(slot - (TORTURE_RETRY - CODE_MIN)));
	return rc_name(slot + CODE_MIN);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Why a worker's exit status is not a clean exit, or NULL. */
static const char *death(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(buf, len, "exited %d (a sanitizer report above?)", WEXITSTATUS(status));
	else
		return NULL;
	return buf;
}

/* Runs n = first, first + step, ... <= last; *cur tells the parent where it is. */
static pid_t spawn_worker(const struct torture_scenario *s, long first, long step, long last,
        bool verbose, struct slot *slots, long *cur)
{
	pid_t pid;
	long n;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("torture: fork");
		exit(2);
	}
	if (pid > 0)
		return pid;
	for (n = first; n <= last; n += step) {
		*cur = n;
		run_one(s, n, verbose, &slots[n], NULL);
	}
	fflush(NULL);
	/* Without exit's LeakSanitizer pass: the tracked blocks were checked run by run, and
	 * whatever a failing run leaked was reported there. */
	_exit(0);
}

/* The counting run, in a process of its own; returns K, or -1. */
static long count_run(const struct torture_scenario *s, bool verbose)
{
	struct ref_area *ref;
	struct slot *slot;
	char why[128];
	int status;
	pid_t pid;
	long k = -1;

	ref = mmap(NULL, sizeof(*ref), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	slot = mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ref == MAP_FAILED || slot == MAP_FAILED) {
		perror("torture: mmap");
		exit(2);
	}
	memset(slot, 0, sizeof(*slot));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("torture: fork");
		exit(2);
	}
	if (pid == 0) {
		run_one(s, 0, verbose, slot, ref);
		exit(0); /* with LeakSanitizer's check, when built with it */
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("torture: waitpid");
		exit(2);
	}
	if (death(status, why, sizeof(why)) != NULL)
		printf("FAIL %s: the run without failures %s\n", s->name, why);
	else if (slot->verdict != V_OK)
		printf("FAIL %s: the run without failures: %s (returned %s, %ld leaked)\n", s->name,
		        verdict_names[slot->verdict], rc_name(slot->rc), slot->leaks);
	else
		k = slot->count;
	if (k >= 0) {
		ref_out_len = ref->out_len;
		ref_out = malloc(ref->out_len + 1);
		ref_eff = malloc(ref->eff_len + 1);
		if (ref_out == NULL || ref_eff == NULL) {
			perror("torture");
			exit(2);
		}
		memcpy(ref_out, ref->data, ref->out_len);
		ref_out[ref->out_len] = '\0';
		memcpy(ref_eff, ref->data + ref->out_len, ref->eff_len + 1);
	}
	munmap(ref, sizeof(*ref));
	munmap(slot, sizeof(*slot));
	return k;
}

static void run_scenario(const struct torture_scenario *s, long only, bool verbose, int jobs,
        long *passed, long *failed)
{
	struct slot *slots;
	long *cur;
	pid_t pids[MAX_JOBS];
	long k, n, first, last, runs = 0, survived = 0, bad = 0, codes[NCODES];
	int status, alive = 0, w;
	double t0 = now_s();
	char why[128];

	k = count_run(s, verbose);
	if (k < 0) {
		(*failed)++;
		return;
	}
	(*passed)++;
	if (only > k) {
		printf("FAIL %s: N=%ld is past K=%ld\n", s->name, only, k);
		(*failed)++;
		return;
	}
	first = only > 0 ? only : 1;
	last = only > 0 ? only : k;
	slots = mmap(NULL, (size_t)(k + 1) * sizeof(*slots), PROT_READ | PROT_WRITE,
	        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cur = mmap(NULL, MAX_JOBS * sizeof(*cur), PROT_READ | PROT_WRITE,
	        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED || cur == MAP_FAILED) {
		perror("torture: mmap");
		exit(2);
	}
	memset(slots, 0, (size_t)(k + 1) * sizeof(*slots));
	for (w = 0; w < jobs; w++) {
		pids[w] = -1;
		if (first + w <= last) {
			cur[w] = first + w;
			pids[w] = spawn_worker(s, first + w, jobs, last, verbose, slots, &cur[w]);
			alive++;
		}
	}
	while (alive > 0) {
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("torture: waitpid");
			exit(2);
		}
		for (w = 0; w < jobs && pids[w] != pid; w++)
			;
		if (w == jobs)
			continue;
		pids[w] = -1;
		alive--;
		if (death(status, why, sizeof(why)) == NULL)
			continue;
		n = cur[w];
		printf("FAIL %s N=%ld: %s\n", s->name, n, why);
		slots[n].verdict = V_NONE;
		if (n + jobs <= last) {
			cur[w] = n + jobs;
			pids[w] = spawn_worker(s, n + jobs, jobs, last, verbose, slots, &cur[w]);
			alive++;
		}
	}
	memset(codes, 0, sizeof(codes));
	for (n = first; n <= last; n++) {
		struct slot *sl = &slots[n];

		runs++;
		if (sl->verdict == V_FAILED || sl->verdict == V_SURVIVED) {
			survived += sl->verdict == V_SURVIVED;
			if (sl->verdict == V_FAILED)
				codes[code_slot(sl->rc)]++;
			(*passed)++;
			continue;
		}
		(*failed)++;
		bad++;
		if (sl->verdict != V_NONE)
			printf("FAIL %s N=%ld: %s (run returned %s, %ld allocations, %ld leaked)\n",
			        s->name, n, verdict_names[sl->verdict], rc_name(sl->rc), sl->count,
			        sl->leaks);
	}
	printf("torture: %-8s K=%ld: %ld runs, %ld failed cleanly, %ld succeeded anyway, %ld bad "
	       "(%.1f s)\n",
	        s->name, k, runs, runs - survived - bad, survived, bad, now_s() - t0);
	if (verbose || only == 0) {
		const char *sep = ":";

		printf("  failures reported as");
		for (w = 0; w < NCODES; w++) {
			if (codes[w] == 0)
				continue;
			printf("%s %s %ld", sep, code_name(w), codes[w]);
			sep = ",";
		}
		printf("\n");
	}
	munmap(slots, (size_t)(k + 1) * sizeof(*slots));
	munmap(cur, MAX_JOBS * sizeof(*cur));
	free(ref_out);
	free(ref_eff);
	ref_out = ref_eff = NULL;
}

static bool selected(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (list == NULL)
		return true;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *only_s = NULL;
	long only_n = 0, passed = 0, failed = 0;
	int jobs = 2, opt;
	bool verbose = false;
	size_t i;

	torture_alloc_init();
	if (getenv("TORTURE_JOBS") != NULL)
		jobs = atoi(getenv("TORTURE_JOBS"));
	while ((opt = getopt(argc, argv, "evj:s:n:")) != -1) {
		switch (opt) {
		case 'e': show_codes = true; break;
		case 'v': verbose = true; break;
		case 'j': jobs = atoi(optarg); break;
		case 's': only_s = optarg; break;
		case 'n': only_n = atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-ev] [-j JOBS] [-s SCENARIO[,...]] [-n N]\n",
			        argv[0]);
			return 2;
		}
	}
	jobs = jobs < 1 ? 1 : jobs > MAX_JOBS ? MAX_JOBS : jobs;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NSCENARIOS; i++)
		if (selected(only_s, scenarios[i]->name))
			run_scenario(scenarios[i], only_n, verbose, jobs, &passed, &failed);
	printf("%ld passed, %ld failed\n", passed, failed);
	return failed ? 1 : 0;
}
