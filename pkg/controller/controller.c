/* controller.c — schemalinkd's controller: construction, teardown, accessors and the small
 * helpers its parts share (clock, wake-up, systemd notify, snapshot references). */
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

/* ---- small helpers ----------------------------------------------------------------------- */

int64_t sl_ctl_mono(const struct sl_controller *c)
{
	return sl_clock_mono_ms(c->clock);
}

void sl_ctl_wake(struct sl_controller *c)
{
	uint64_t one = 1;
	ssize_t n;

	if (c->evfd >= 0)
		do
			n = write(c->evfd, &one, sizeof(one));
		while (n < 0 && errno == EINTR);
}

void sl_ctl_notify(struct sl_controller *c, const char *fmt, ...)
{
	struct sl_error err = SL_ERROR_INIT;
	char msg[512];
	va_list ap;

	if (!c->cfg.sd_notify)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sl_sd_notify(msg, &err) < 0)
		sl_log(SL_LOG_WARN, NULL, "systemd sl_ctl_notify failed: %s", err.msg);
}

/* "SchemaLink/x" -> "schemalink" (the controller label). */
void sl_ctl_controller_label(const char *key, char *out, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && key[i] != '\0' && key[i] != '/'; i++)
		out[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] - 'A' + 'a' : key[i]);
	out[i] = '\0';
}

bool sl_ctl_key_is(const char *key, const char *kind, const char **name)
{
	size_t n = strlen(kind);

	if (strncmp(key, kind, n) != 0 || key[n] != '/')
		return false;
	*name = key + n + 1;
	return true;
}

/* The object of snapshot s with key "Kind/name", or NULL. */
const struct sl_object *sl_ctl_snap_find(const struct sl_snapshot *s, const char *key)
{
	return s != NULL ? sl_strmap_get(&s->by_key, key, NULL) : NULL;
}

int64_t sl_ctl_real_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct snapref *sl_ctl_snap_acquire(struct sl_controller *c)
{
	struct snapref *r;

	pthread_mutex_lock(&c->lock);
	r = c->cur;
	if (r != NULL)
		r->refs++;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void sl_ctl_snap_release(struct sl_controller *c, struct snapref *r)
{
	bool last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last) {
		sl_snapshot_free(r->snap);
		free(r);
	}
}

/* ---- construction ------------------------------------------------------------------------ */

static int add_fd(struct sl_controller *c, int fd, struct sl_error *err)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return sl_error_errno(err, errno, "epoll_ctl");
	return 0;
}

void sl_ctl_jobs_schedule(struct sl_controller *c, int64_t now)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->njobs; i++)
		if (c->cfg.jobs[i].every_ms > 0 && c->cfg.jobs[i].run != NULL)
			c->job_due[i] = now + c->cfg.jobs[i].every_ms;
	pthread_mutex_unlock(&c->lock);
}

struct sl_controller *sl_controller_new(
        const struct sl_controller_config *cfg, struct sl_error *err)
{
	struct sl_controller *c = calloc(1, sizeof(*c));
	struct sl_debounce deb = SL_DEBOUNCE_INIT;
	pthread_condattr_t ca;
	sigset_t mask;
	int i;

	if (c == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	c->epfd = c->sigfd = c->evfd = -1;
	for (i = 0; i < T_COUNT; i++) {
		c->tfd[i] = -1;
		c->due[i] = -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	sl_strmap_init(&c->regs);
	sl_buf_init(&c->last_fail);
	c->cfg = *cfg;
	if (c->cfg.resync_ms <= 0)
		c->cfg.resync_ms = DEFAULT_RESYNC_MS;
	if (c->cfg.rescan_ms <= 0)
		c->cfg.rescan_ms = DEFAULT_RESCAN_MS;
	if (c->cfg.drain_grace_ms <= 0)
		c->cfg.drain_grace_ms = DEFAULT_GRACE_MS;
	if (c->cfg.drain_ms <= 0)
		c->cfg.drain_ms = DEFAULT_DRAIN_MS;
	while (c->njobs < SL_CONTROLLER_MAX_JOBS && cfg->jobs[c->njobs].name != NULL)
		c->njobs++;
	for (i = 0; i < SL_CONTROLLER_MAX_JOBS; i++)
		c->job_due[i] = -1;
	c->clock = cfg->clock != NULL ? cfg->clock : sl_clock_system();
	sl_ctl_jobs_schedule(c, sl_ctl_mono(c));
	c->deb = deb;
	c->start_time_s = sl_ctl_process_start_time();
	if (cfg->manifests == NULL || cfg->reconcile == NULL) {
		sl_error_set(err, SL_EINVAL, "controller: manifests and reconcile are required");
		goto fail;
	}
	c->manifests = strdup(cfg->manifests);
	c->status_path = cfg->status_path ? strdup(cfg->status_path) : NULL;
	c->q = sl_queue_new(c->clock, cfg->limits);
	c->m = sl_metrics_new();
	c->board = sl_statusboard_new();
	c->thr = sl_throttle_new(c->clock, 0, 0);
	if (c->manifests == NULL || (cfg->status_path && c->status_path == NULL) || c->q == NULL ||
	        c->m == NULL || c->board == NULL || c->thr == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (sl_ctl_declare_metrics(c, err) < 0)
		goto fail;
	if (c->status_path != NULL) {
		int n = sl_statusboard_load(c->board, c->status_path, err);

		if (n < 0) {
			/* A damaged status file costs history, not the daemon. */
			sl_log(SL_LOG_WARN, NULL, "ignoring the saved status: %s", err->msg);
			sl_error_clear(err);
		}
	}

	/* Signals arrive on the signalfd: block them here, before any thread starts. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &mask, &c->oldmask) == 0)
		c->masked = true;
	signal(SIGPIPE, SIG_IGN);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	c->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->epfd < 0 || c->sigfd < 0 || c->evfd < 0) {
		sl_error_errno(err, errno, "epoll/signalfd/eventfd");
		goto fail;
	}
	if (add_fd(c, c->sigfd, err) < 0 || add_fd(c, c->evfd, err) < 0)
		goto fail;
	for (i = 0; i < T_COUNT; i++) {
		c->tfd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (c->tfd[i] < 0) {
			sl_error_errno(err, errno, "timerfd_create");
			goto fail;
		}
		if (add_fd(c, c->tfd[i], err) < 0)
			goto fail;
	}
	if (cfg->watch) {
		c->watch = sl_watch_new(c->manifests, err);
		if (c->watch == NULL || add_fd(c, sl_watch_fd(c->watch), err) < 0)
			goto fail;
	}
	if (cfg->sd_notify)
		c->watchdog_ms = sl_sd_watchdog_ms();
	if (cfg->listen != NULL) {
		struct sl_httpd_config hc = SL_HTTPD_CONFIG_INIT;

		hc.listen = cfg->listen;
		/* One polling thread: handlers only copy under short locks, so /livez answers
		 * at once however long a reconcile takes. */
		hc.threading = SL_HTTPD_SINGLE_THREAD;
		hc.max_connections = 64;
		hc.max_body = 4096;
		hc.idle_timeout_s = 30;
		hc.handler = sl_ctl_http_handle;
		hc.handler_cls = c;
		hc.on_message = sl_ctl_on_httpd_message;
		c->httpd = sl_httpd_start(&hc, err);
		if (c->httpd == NULL) {
			sl_error_prefix(err, "--listen %s", cfg->listen);
			goto fail;
		}
	}
	if (cfg->workers > 0) {
		c->threads = calloc((size_t)cfg->workers, sizeof(pthread_t));
		if (c->threads == NULL) {
			sl_error_set(err, SL_ENOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; i < cfg->workers; i++) {
			pthread_mutex_lock(&c->lock);
			c->running++;
			pthread_mutex_unlock(&c->lock);
			if (pthread_create(&c->threads[i], NULL, sl_ctl_worker_main, c) != 0) {
				pthread_mutex_lock(&c->lock);
				c->running--;
				pthread_mutex_unlock(&c->lock);
				sl_error_set(err, SL_EIO, "cannot start worker threads");
				goto fail;
			}
			c->nthreads++;
		}
	}
	return c;
fail:
	sl_controller_free(c);
	return NULL;
}

void sl_controller_free(struct sl_controller *c)
{
	int i;

	if (c == NULL)
		return;
	atomic_store(&c->stop_req, 1);
	atomic_store(&c->cancel, true);
	if (c->q != NULL)
		sl_queue_shutdown(c->q);
	for (i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	free(c->threads);
	sl_httpd_stop(c->httpd);
	sl_watch_free(c->watch);
	for (i = 0; i < T_COUNT; i++)
		if (c->tfd[i] >= 0)
			close(c->tfd[i]);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->masked)
		pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
	if (c->cur != NULL)
		sl_ctl_snap_release(c, c->cur);
	sl_strmap_release(&c->regs, free);
	sl_buf_release(&c->last_fail);
	sl_statusboard_free(c->board);
	sl_throttle_free(c->thr);
	sl_metrics_free(c->m);
	sl_queue_free(c->q);
	free(c->manifests);
	free(c->status_path);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct sl_metrics *sl_controller_metrics(struct sl_controller *c)
{
	return c->m;
}

struct sl_statusboard *sl_controller_statusboard(struct sl_controller *c)
{
	return c->board;
}

struct sl_queue *sl_controller_queue(struct sl_controller *c)
{
	return c->q;
}

unsigned sl_controller_port(struct sl_controller *c)
{
	return c->httpd != NULL ? sl_httpd_port(c->httpd) : 0;
}

void sl_controller_stats(struct sl_controller *c, struct sl_controller_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
