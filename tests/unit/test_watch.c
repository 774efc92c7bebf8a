/* test_watch.c — inotify watcher over real directories, and the debouncer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/watch.h"

static char top[64];
static char root[128];

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/sl-watch-XXXXXX");
	if (mkdtemp(top) == NULL)
		return -1;
	snprintf(root, sizeof(root), "%s/manifests", top);
	return mkdir(root, 0755);
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Polls the watcher for up to ms and reports whether a change was seen. */
static bool saw_change(struct sl_watch *w, int ms)
{
	struct pollfd pfd = {sl_watch_fd(w), POLLIN, 0};
	bool changed = false, any = false;

	while (poll(&pfd, 1, ms) > 0) {
		assert_int_equal(sl_watch_process(w, &changed, NULL), 0);
		any = any || changed;
		ms = 50; /* drain what follows quickly */
	}
	return any;
}

static void writes_renames_and_deletes(void **state)
{
	struct sl_watch *w;

	(void)state;
	w = sl_watch_new(root, NULL);
	assert_non_null(w);
	assert_false(saw_change(w, 50));
	sh("echo a > %s/links.yaml", root);
	assert_true(saw_change(w, 1000));
	/* An editor-style save: write a temp file, rename over the original. */
	sh("echo b > %s/.links.yaml.swp && mv %s/.links.yaml.swp %s/links.yaml", root, root, root);
	assert_true(saw_change(w, 1000));
	/* In-place write. */
	sh("echo c >> %s/links.yaml", root);
	assert_true(saw_change(w, 1000));
	sh("rm %s/links.yaml", root);
	assert_true(saw_change(w, 1000));
	/* Moved out and back. */
	sh("echo d > %s/x.yaml && mv %s/x.yaml %s/ && mv %s/x.yaml %s/", root, root, top, top,
	        root);
	assert_true(saw_change(w, 1000));
	sl_watch_free(w);
}

static void new_subdirectories_are_watched(void **state)
{
	struct sl_watch *w;

	(void)state;
	w = sl_watch_new(root, NULL);
	assert_int_equal(sl_watch_count(w), 1);
	sh("mkdir -p %s/team-a/deep", root);
	assert_true(saw_change(w, 1000));
	assert_int_equal(sl_watch_count(w), 3);
	sh("echo x > %s/team-a/deep/l.yaml", root);
	assert_true(saw_change(w, 1000));
	sh("rm -rf %s/team-a", root);
	assert_true(saw_change(w, 1000));
	assert_int_equal(sl_watch_count(w), 1);
	sl_watch_free(w);
}

static void root_deleted_and_recreated(void **state)
{
	struct sl_watch *w;

	(void)state;
	w = sl_watch_new(root, NULL);
	sh("rm -rf %s", root);
	assert_true(saw_change(w, 1000));
	assert_true(sl_watch_root_missing(w));
	sh("mkdir %s", root);
	assert_true(saw_change(w, 1000));
	assert_false(sl_watch_root_missing(w));
	sh("echo y > %s/l.yaml", root);
	assert_true(saw_change(w, 1000));
	sl_watch_free(w);
	/* Starting on a root that does not exist yet. */
	sh("rm -rf %s", root);
	w = sl_watch_new(root, NULL);
	assert_non_null(w);
	assert_true(sl_watch_root_missing(w));
	sh("mkdir %s && echo z > %s/l.yaml", root, root);
	assert_true(saw_change(w, 1000));
	assert_false(sl_watch_root_missing(w));
	sh("echo w >> %s/l.yaml", root);
	assert_true(saw_change(w, 1000));
	sl_watch_free(w);
}

static void configmap_data_swap(void **state)
{
	struct sl_watch *w;

	(void)state;
	/* The kubelet's layout: ..2026_1/links.yaml, ..data -> ..2026_1, links.yaml -> ..data/links.yaml */
	sh("cd %s && mkdir ..2026_1 && echo v1 > ..2026_1/links.yaml && ln -s ..2026_1 ..data && "
	   "ln -s ..data/links.yaml links.yaml",
	        root);
	w = sl_watch_new(root, NULL);
	assert_non_null(w);
	sh("cd %s && mkdir ..2026_2 && echo v2 > ..2026_2/links.yaml && ln -s ..2026_2 ..data_tmp "
	   "&& "
	   "mv -T ..data_tmp ..data && rm -rf ..2026_1",
	        root);
	assert_true(saw_change(w, 1000));
	sl_watch_free(w);
}

static void debounce_quiet_period(void **state)
{
	struct sl_debounce d = SL_DEBOUNCE_INIT;

	(void)state;
	assert_int_equal(sl_debounce_due(&d, 0), -1);
	assert_false(sl_debounce_fire(&d, 0));
	sl_debounce_event(&d, 1000);
	assert_int_equal(sl_debounce_due(&d, 1000), 100);
	sl_debounce_event(&d, 1050);
	assert_int_equal(sl_debounce_due(&d, 1060), 90);
	assert_int_equal(sl_debounce_due(&d, 1150), 0);
	assert_true(sl_debounce_fire(&d, 1150));
	assert_int_equal(sl_debounce_due(&d, 1150), -1);
}

static void debounce_storm_fires_at_most_twice_a_second(void **state)
{
	struct sl_debounce d = SL_DEBOUNCE_INIT;
	int64_t t;
	int fires = 0;

	(void)state;
	/* 1,000 writes in one second, one per millisecond, then quiet. */
	for (t = 0; t < 1000; t++) {
		sl_debounce_event(&d, t);
		if (sl_debounce_due(&d, t) == 0 && sl_debounce_fire(&d, t))
			fires++;
	}
	for (; t < 5000; t++)
		if (sl_debounce_due(&d, t) == 0 && sl_debounce_fire(&d, t))
			fires++;
	assert_int_equal(fires, 1);
	/* A storm longer than the 2 s cap fires during it, not only after. */
	d = (struct sl_debounce)SL_DEBOUNCE_INIT;
	fires = 0;
	for (t = 0; t < 3000; t++) {
		sl_debounce_event(&d, t);
		if (sl_debounce_due(&d, t) == 0 && sl_debounce_fire(&d, t)) {
			fires++;
			assert_int_equal(t, 2000);
		}
	}
	assert_int_equal(fires, 1);
	for (; t < 4000; t++)
		if (sl_debounce_due(&d, t) == 0 && sl_debounce_fire(&d, t))
			fires++;
	assert_int_equal(fires, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(writes_renames_and_deletes, setup, teardown),
	        cmocka_unit_test_setup_teardown(new_subdirectories_are_watched, setup, teardown),
	        cmocka_unit_test_setup_teardown(root_deleted_and_recreated, setup, teardown),
	        cmocka_unit_test_setup_teardown(configmap_data_swap, setup, teardown),
	        cmocka_unit_test(debounce_quiet_period),
	        cmocka_unit_test(debounce_storm_fires_at_most_twice_a_second),
	};
	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
