/*
 * store_int.h — what the parts of srlite's store (store*.c) share and nobody else sees: the
 * state's types and the helpers more than one part calls.
 */
#ifndef SCHEMALINK_STORE_INT_H
#define SCHEMALINK_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "schemalink/store.h"
#include "schemalink/strmap.h"
#include "schemalink/vec.h"

enum mode {
	MODE_UNSET = 0,
	MODE_READWRITE,
	MODE_READONLY,
	MODE_READONLY_OVERRIDE,
	MODE_IMPORT,
	MODE_FORWARD,
};

struct schema {
	int id;
	char *type;
	char *text;
	struct sl_schema_ref *refs;
	size_t nrefs;
	char *key; /* identity: type, references and text */
	int uses; /* versions (soft-deleted too) holding it; 0 = hidden from id lookups */
};

struct version {
	int version;
	struct schema *schema;
	bool deleted;
};

struct subject {
	char *name; /* unqualified */
	struct sl_vec versions; /* struct version *, ascending by number */
	int mode;
	int compat;
};

struct context {
	char *name;
	bool listed; /* created by a registration: shown by /contexts until deleted */
	struct sl_strmap subjects; /* name -> struct subject * */
	struct sl_strmap by_key; /* identity key -> struct schema * (owned here) */
	struct sl_strmap by_id; /* decimal id -> struct schema * (borrowed) */
	int max_id;
	int mode; /* for "." this is the top-level mode */
	int compat;
};

struct sl_store {
	pthread_rwlock_t lock;
	struct sl_strmap contexts; /* name -> struct context *; "." always present */
	int global_mode;
	int global_compat;
	struct sl_journal *journal;

	pthread_mutex_t log_mu; /* guards log and woken; taken inside lock, never around it */
	pthread_cond_t log_cv;
	struct sl_vec log; /* struct sl_change * */
	bool woken;
};

#endif
