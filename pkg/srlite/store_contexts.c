/*
 * store_contexts.c — contexts as a whole: listing them (GET /contexts) and deleting an empty
 * one (see store.h).
 */
#include "schemalink/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schemalink/qsubject.h"
#include "schemalink/vec.h"

#include "store_int.h"

void sl_st_apply_delete_context(struct sl_store *st, const char *cname)
{
	struct context *c;

	if (sl_context_is_default(cname)) {
		c = ctx_get(st, cname);
		c->mode = MODE_UNSET;
		c->compat = 0;
		return;
	}
	sl_st_context_free(sl_strmap_del(&st->contexts, cname, NULL));
}

int sl_store_list_contexts(
        struct sl_store *st, const char *prefix, struct sl_vec *out, struct sl_error *err)
{
	struct sl_vec names = SL_VEC_INIT;
	int rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	if (sl_strmap_keys(&st->contexts, &names) != 0)
		rc = sl_st_nomem(err);
	/* "." sorts first in byte order among names that all start with '.'. */
	for (size_t i = 0; rc == 0 && i < names.len; i++) {
		const char *name = names.items[i];
		struct context *c = ctx_get(st, name);
		char *cp;

		if (!sl_context_is_default(name) && !c->listed)
			continue;
		if (prefix != NULL && strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		cp = strdup(name);
		if (cp == NULL || sl_vec_push(out, cp) != 0) {
			free(cp);
			rc = sl_st_nomem(err);
		}
	}
	pthread_rwlock_unlock(&st->lock);
	sl_vec_release(&names, NULL);
	return rc;
}

int sl_store_delete_context(struct sl_store *st, const char *ctx, struct sl_error *err)
{
	struct sl_journal *j;
	struct context *c;
	char *name = NULL;
	uint64_t seq = 0;
	size_t pos = 0;
	const char *key;
	void *val;
	int rc;

	if (sl_context_normalize(ctx, &name, NULL) != 0)
		return sl_registry_error(
		        err, 42208, "The specified subject '%s' is not a valid.", ctx);
	pthread_rwlock_wrlock(&st->lock);
	j = st->journal;
	c = ctx_get(st, name);
	while (c != NULL && sl_strmap_next(&c->subjects, &pos, &key, &val)) {
		if (subj_exists(val)) {
			rc = sl_registry_error(
			        err, 42211, "The specified context '%s' is not empty.", name);
			goto out;
		}
	}
	rc = 0;
	if (c == NULL)
		goto out;
	rc = sl_st_journal_write(
	        st, json_pack("{s:s, s:s}", "op", "delete_context", "ctx", name), &seq, err);
	if (rc == 0)
		sl_st_apply_delete_context(st, name);
out:
	pthread_rwlock_unlock(&st->lock);
	free(name);
	return rc != 0 ? rc : sl_st_journal_wait(st, j, seq, err);
}
