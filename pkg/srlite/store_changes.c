/*
 * store_changes.c — the store's change log: one entry per registration in any context, in
 * apply order, which exporters read and wait on (see store.h).
 */
#include "schemalink/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemalink/qsubject.h"

#include "store_int.h"

void sl_change_free(void *p)
{
	struct sl_change *c = p;

	if (c == NULL)
		return;
	free(c->context);
	free(c->subject);
	free(c);
}

int sl_st_log_append(struct sl_store *st, const char *ctx, const char *subj, int version, int id)
{
	struct sl_change *c = calloc(1, sizeof(*c));
	int rc = SL_ENOMEM;

	if (c == NULL)
		return SL_ENOMEM;
	c->context = strdup(ctx);
	c->subject = sl_qsubject_format(ctx, subj);
	c->version = version;
	c->id = id;
	if (c->context == NULL || c->subject == NULL)
		goto fail;
	pthread_mutex_lock(&st->log_mu);
	c->index = st->log.len;
	rc = sl_vec_push(&st->log, c);
	pthread_cond_broadcast(&st->log_cv);
	pthread_mutex_unlock(&st->log_mu);
	if (rc == 0)
		return 0;
fail:
	sl_change_free(c);
	return rc;
}

uint64_t sl_store_changes_count(struct sl_store *st)
{
	uint64_t n;

	pthread_mutex_lock(&st->log_mu);
	n = st->log.len;
	pthread_mutex_unlock(&st->log_mu);
	return n;
}

int sl_store_changes_since(
        struct sl_store *st, uint64_t from, size_t max, struct sl_vec *out, struct sl_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&st->log_mu);
	for (uint64_t i = from; i < st->log.len && max > 0; i++, max--) {
		const struct sl_change *c = sl_vec_get(&st->log, (size_t)i);
		struct sl_change *cp = calloc(1, sizeof(*cp));

		if (cp != NULL) {
			*cp = *c;
			cp->context = strdup(c->context);
			cp->subject = strdup(c->subject);
		}
		if (cp == NULL || cp->context == NULL || cp->subject == NULL ||
		        sl_vec_push(out, cp) != 0) {
			sl_change_free(cp);
			rc = sl_st_nomem(err);
			break;
		}
	}
	pthread_mutex_unlock(&st->log_mu);
	return rc;
}

uint64_t sl_store_changes_wait(struct sl_store *st, uint64_t from, int64_t timeout_ms)
{
	struct timespec deadline;
	uint64_t n;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&st->log_mu);
	while (st->log.len <= from && !st->woken) {
		if (pthread_cond_timedwait(&st->log_cv, &st->log_mu, &deadline) == ETIMEDOUT)
			break;
	}
	n = st->log.len;
	pthread_mutex_unlock(&st->log_mu);
	return n;
}

void sl_store_changes_wake(struct sl_store *st)
{
	pthread_mutex_lock(&st->log_mu);
	st->woken = true;
	pthread_cond_broadcast(&st->log_cv);
	pthread_mutex_unlock(&st->log_mu);
}
