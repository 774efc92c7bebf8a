/*
 * watch.h — watching a manifest directory with inotify, and debouncing what it reports.
 *
 * Owns: the inotify descriptor and one watch per directory under the root (directories, never
 * single files: editors replace files by rename), the re-adding of watches for new
 * sub-directories and after IN_IGNORED, a full rescan request on IN_Q_OVERFLOW, and noticing
 * the root itself deleted or moved (it then watches the parent until the root comes back).
 * Kubernetes ConfigMap volumes swap a "..data" symlink: that rename is an event in the root.
 * The debouncer (docs/internals/operations.md: 100 ms after the last event, at most 2 s into a storm) is
 * separate and pure so tests drive it with a fake clock.
 * Depends on base. Not thread-safe: owned by the controller's event loop.
 */
#ifndef SCHEMALINK_WATCH_H
#define SCHEMALINK_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "schemalink/error.h"

struct sl_watch;

/* Starts watching root (which need not exist yet: then its parent is watched).
 * Returns an owned watcher or NULL with err set. */
struct sl_watch *sl_watch_new(const char *root, struct sl_error *err);
void sl_watch_free(struct sl_watch *w);

/* The non-blocking inotify descriptor to poll for readability. */
int sl_watch_fd(const struct sl_watch *w);

/* Reads all pending events. Sets *changed when anything that may affect the manifests
 * happened (writes, creates, deletes, renames, the root disappearing or reappearing,
 * overflow). Returns 0 or a negative code (read errors other than EAGAIN). */
int sl_watch_process(struct sl_watch *w, bool *changed, struct sl_error *err);

/* Number of directories currently watched (tests, metrics). */
int sl_watch_count(const struct sl_watch *w);
/* Number of times the kernel's event queue overflowed (events were lost and everything was
 * rescanned). */
uint64_t sl_watch_overflows(const struct sl_watch *w);
/* True while the root does not exist (only its parent is watched). */
bool sl_watch_root_missing(const struct sl_watch *w);

struct sl_debounce {
	int64_t quiet_ms; /* fire this long after the last event (100) */
	int64_t max_ms; /* ... but no later than this after the first unfired event (2000) */
	int64_t first; /* time of the first unfired event, or -1 */
	int64_t last; /* time of the last event */
};

#define SL_DEBOUNCE_INIT \
	{ \
		100, 2000, -1, 0 \
	}

/* Records an event at now (monotonic ms). */
void sl_debounce_event(struct sl_debounce *d, int64_t now);
/* Milliseconds until it should fire (0 = now), or -1 when nothing is pending. */
int64_t sl_debounce_due(const struct sl_debounce *d, int64_t now);
/* Call when firing: clears the pending state. Returns true if something was pending. */
bool sl_debounce_fire(struct sl_debounce *d, int64_t now);

#endif
