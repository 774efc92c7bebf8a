/* loop.c — the event loop: epoll over signals, timers, the watch and the wake-up eventfd;
 * run, once, stop and drain. */
#include "controller_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "schemalink/httpd.h"
#include "schemalink/json.h"
#include "schemalink/log.h"
#include "schemalink/manifest.h"
#include "schemalink/sdnotify.h"
#include "schemalink/strmap.h"
#include "schemalink/throttle.h"
#include "schemalink/vec.h"
#include "schemalink/watch.h"

/* ---- the loop ---------------------------------------------------------------------------- */

/* Arms timer t for sl_ctl_mono deadline due (-1 disarms). */
static void arm(struct sl_controller *c, enum timer t, int64_t due)
{
	struct itimerspec its;
	int64_t in;

	memset(&its, 0, sizeof(its));
	c->due[t] = due;
	if (due >= 0) {
		in = due - sl_ctl_mono(c);
		if (in < 1)
			in = 1;
		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000L;
	}
	timerfd_settime(c->tfd[t], 0, &its, NULL);
}

static void drain_fd(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void save_status(struct sl_controller *c)
{
	struct sl_error err = SL_ERROR_INIT;

	if (c->status_path == NULL)
		return;
	if (sl_statusboard_save(c->board, c->status_path, &err) < 0)
		sl_log(SL_LOG_ERROR, NULL, "cannot save the status: %s", err.msg);
}

/* Queues each periodic job whose time has come (as "@name"); returns the earliest time a
 * job is next due, or -1. */
static int64_t queue_jobs(struct sl_controller *c, int64_t now)
{
	int64_t next = -1;
	char key[80];
	int i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->njobs; i++) {
		if (c->job_due[i] >= 0 && now >= c->job_due[i]) {
			c->job_due[i] = -1;
			snprintf(key, sizeof(key), "@%s", c->cfg.jobs[i].name);
			if (sl_queue_add(c->q, key) < 0)
				c->job_due[i] = now + c->cfg.jobs[i].every_ms;
		}
		if (c->job_due[i] >= 0 && (next < 0 || c->job_due[i] < next))
			next = c->job_due[i];
	}
	pthread_mutex_unlock(&c->lock);
	return next;
}

/* Everything whose time has come, checked against the (possibly fake) clock. */
static void run_timers(struct sl_controller *c)
{
	int64_t now = sl_ctl_mono(c), d;

	if (sl_debounce_due(&c->deb, now) == 0) {
		sl_debounce_fire(&c->deb, now);
		sl_controller_load(c, "change", false);
	}
	if (c->due[T_RESYNC] >= 0 && now >= c->due[T_RESYNC]) {
		sl_controller_resync(c);
		c->due[T_RESYNC] = now + c->cfg.resync_ms;
	}
	if (c->due[T_RESCAN] >= 0 && now >= c->due[T_RESCAN]) {
		sl_controller_load(c, "rescan", false);
		c->due[T_RESCAN] = now + c->cfg.rescan_ms;
	}
	if (c->due[T_WATCHDOG] >= 0 && now >= c->due[T_WATCHDOG]) {
		sl_ctl_notify(c, "WATCHDOG=1");
		c->due[T_WATCHDOG] = now + c->watchdog_ms / 2;
	}
	c->due[T_JOBS] = queue_jobs(c, now);
	if (c->due[T_FLUSH] >= 0 && now >= c->due[T_FLUSH]) {
		c->due[T_FLUSH] = -1;
		save_status(c);
	}
	if (c->due[T_FLUSH] < 0 && sl_statusboard_dirty(c->board) && c->status_path != NULL)
		c->due[T_FLUSH] = now + FLUSH_DELAY_MS;
	/* Delayed requeues: sl_ctl_wake the workers when the earliest is due (they also sl_ctl_wake on their
	 * own; with a fake clock only this kick moves them). */
	d = sl_queue_next_due_ms(c->q);
	if (d == 0)
		sl_queue_kick(c->q);
	c->due[T_DELAY] = d > 0 ? now + d : -1;

	/* Re-arm the timerfds from the deadlines. */
	d = sl_debounce_due(&c->deb, now);
	arm(c, T_DEBOUNCE, d >= 0 ? now + d : -1);
	arm(c, T_RESYNC, c->due[T_RESYNC]);
	arm(c, T_RESCAN, c->due[T_RESCAN]);
	arm(c, T_WATCHDOG, c->due[T_WATCHDOG]);
	arm(c, T_FLUSH, c->due[T_FLUSH]);
	arm(c, T_DELAY, c->due[T_DELAY]);
	arm(c, T_JOBS, c->due[T_JOBS]);
}

int sl_controller_poll(struct sl_controller *c, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, i;

	n = epoll_wait(c->epfd, ev, 16, timeout_ms);
	for (i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (c->watch != NULL && fd == sl_watch_fd(c->watch)) {
			struct sl_error err = SL_ERROR_INIT;
			uint64_t lost = sl_watch_overflows(c->watch);
			bool changed = false;

			if (sl_watch_process(c->watch, &changed, &err) < 0)
				sl_log(SL_LOG_WARN, NULL, "watcher: %s", err.msg);
			if (sl_watch_overflows(c->watch) != lost)
				sl_log(SL_LOG_WARN, NULL,
				        "watcher: the inotify queue overflowed and events were "
				        "lost; "
				        "rescanning the manifests");
			if (changed)
				sl_debounce_event(&c->deb, sl_ctl_mono(c));
		} else if (fd == c->sigfd) {
			struct signalfd_siginfo si;

			while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					sl_log(SL_LOG_INFO, NULL,
					        "SIGHUP: reloading the manifests");
					sl_ctl_notify(c, "RELOADING=1");
					sl_controller_load(c, "SIGHUP", true);
					sl_ctl_notify(c, "READY=1");
				} else {
					sl_log(SL_LOG_INFO, NULL, "%s: stopping",
					        si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
					atomic_store(&c->stop_req, 1);
				}
			}
		} else {
			drain_fd(fd);
		}
	}
	run_timers(c);
	return atomic_load(&c->stop_req) != 0;
}

void sl_controller_stop(struct sl_controller *c)
{
	atomic_store(&c->stop_req, 1);
	sl_ctl_wake(c);
}

bool sl_controller_cancelled(void *cls)
{
	struct sl_controller *c = cls;

	return c != NULL && atomic_load(&c->cancel);
}

int sl_controller_abandoned(struct sl_controller *c)
{
	return c->abandoned;
}

/* Waits (real time) until no worker is alive or deadline_ms (CLOCK_MONOTONIC ms) passes. */
static void wait_workers(struct sl_controller *c, int64_t deadline_ms)
{
	struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};

	pthread_mutex_lock(&c->lock);
	while (c->running > 0)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&c->lock);
}

static int64_t real_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain(struct sl_controller *c)
{
	int64_t start = real_now_ms();
	int i, left;

	sl_ctl_notify(c, "STOPPING=1");
	atomic_store(&c->stop_req, 1);
	sl_queue_shutdown(c->q);
	wait_workers(c, start + c->cfg.drain_grace_ms);
	pthread_mutex_lock(&c->lock);
	left = c->running;
	pthread_mutex_unlock(&c->lock);
	if (left > 0) {
		sl_log(SL_LOG_INFO, NULL, "cancelling %d in-flight reconcile%s", left,
		        left == 1 ? "" : "s");
		atomic_store(&c->cancel, true);
		wait_workers(c, start + c->cfg.drain_ms);
	}
	pthread_mutex_lock(&c->lock);
	left = c->running;
	pthread_mutex_unlock(&c->lock);
	if (left > 0) {
		c->abandoned = left;
		sl_log(SL_LOG_WARN, NULL, "%d reconcile%s did not stop in time; exiting anyway",
		        left, left == 1 ? "" : "s");
	} else {
		for (i = 0; i < c->nthreads; i++)
			pthread_join(c->threads[i], NULL);
		c->nthreads = 0;
		/* A pass cut short by the stop still ends, so what it deferred is saved (not
		 * when a worker is stuck: it may hold what pass_end needs). */
		if (c->pass_on && c->cfg.pass_end != NULL) {
			c->pass_on = false;
			c->cfg.pass_end(c->cfg.reconcile_cls);
		}
	}
	save_status(c);
}

int sl_controller_run(struct sl_controller *c)
{
	int64_t now;

	sl_controller_load(c, "start", true);
	now = sl_ctl_mono(c);
	c->due[T_RESYNC] = now + c->cfg.resync_ms;
	c->due[T_RESCAN] = now + c->cfg.rescan_ms;
	if (c->watchdog_ms > 0)
		c->due[T_WATCHDOG] = now;
	sl_ctl_jobs_schedule(c, now);
	sl_ctl_notify(c, "READY=1");
	sl_log(SL_LOG_INFO, NULL, "serving on port %u, watching \"%s\"", sl_controller_port(c),
	        c->manifests);
	while (sl_controller_poll(c, -1) == 0)
		;
	drain(c);
	sl_log(SL_LOG_INFO, NULL, "stopped");
	return 0;
}

int sl_controller_once(struct sl_controller *c)
{
	struct sl_vec keys = SL_VEC_INIT, board_keys = SL_VEC_INIT;
	struct snapref *ref;
	bool failed = false, unreachable = false;
	size_t i;

	if (sl_controller_load(c, "start", true) < 0) {
		save_status(c);
		return 2;
	}
	ref = sl_ctl_snap_acquire(c);
	/* Snapshots are sorted by kind: Registries, Contexts, Subjects, then SchemaLinks. */
	for (i = 0; i < ref->snap->objects.len; i++)
		sl_vec_push(&keys, ((struct sl_object *)ref->snap->objects.items[i])->key);
	sl_statusboard_keys(c->board, &board_keys);
	for (i = 0; i < board_keys.len; i++)
		if (sl_ctl_snap_find(ref->snap, board_keys.items[i]) == NULL)
			sl_vec_push(&keys, board_keys.items[i]);
	if (c->cfg.pass_begin != NULL)
		c->cfg.pass_begin(c->cfg.reconcile_cls, ref->snap);
	for (i = 0; i < keys.len && atomic_load(&c->stop_req) == 0; i++) {
		struct outcome oc;

		sl_ctl_process_key(c, ref, keys.items[i], false, &oc);
		failed |= oc.failed;
		unreachable |= oc.conn_failure;
	}
	if (c->cfg.pass_end != NULL)
		c->cfg.pass_end(c->cfg.reconcile_cls);
	if (atomic_load(&c->stop_req) != 0)
		failed = true;
	sl_ctl_snap_release(c, ref);
	sl_vec_release(&keys, NULL);
	sl_vec_release(&board_keys, free);
	save_status(c);
	return unreachable ? 3 : failed ? 1 : 0;
}
