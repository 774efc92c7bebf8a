/* watch.c — inotify over a directory tree, plus the debouncer. */
#include "schemalink/watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/vec.h"

#define DIR_MASK \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | \
	        IN_MOVE_SELF | IN_MODIFY | IN_ATTRIB | IN_ONLYDIR)
#define MAX_WATCHES 4096 /* bound on directories followed (docs/internals/style.md rule 7) */

struct wd_entry {
	int wd;
	char *path;
};

struct sl_watch {
	int fd;
	char *root;
	char *parent; /* dirname(root) */
	char *root_name; /* basename(root) */
	int parent_wd; /* watch on the parent while the root is missing, else -1 */
	struct sl_vec wds; /* struct wd_entry * for the root and its sub-directories */
	uint64_t overflows; /* IN_Q_OVERFLOW events seen */
};

static void wd_free(void *p)
{
	struct wd_entry *e = p;

	if (e != NULL)
		free(e->path);
	free(e);
}

static struct wd_entry *find_wd(struct sl_watch *w, int wd, size_t *idx)
{
	size_t i;

	for (i = 0; i < w->wds.len; i++) {
		struct wd_entry *e = w->wds.items[i];

		if (e->wd == wd) {
			if (idx)
				*idx = i;
			return e;
		}
	}
	return NULL;
}

/* Adds a watch on dir and, recursively, its sub-directories (following symlinks, as the
 * loader does, so ConfigMap "..data" targets are watched too). */
static void add_tree(struct sl_watch *w, const char *dir, int depth)
{
	struct wd_entry *e;
	struct dirent *de;
	DIR *d;
	int wd;

	if (depth > 32 || w->wds.len >= MAX_WATCHES)
		return;
	wd = inotify_add_watch(w->fd, dir, DIR_MASK);
	if (wd < 0)
		return;
	if (find_wd(w, wd, NULL) == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL || (e->path = strdup(dir)) == NULL || sl_vec_push(&w->wds, e) < 0) {
			wd_free(e);
			inotify_rm_watch(w->fd, wd);
			return;
		}
		e->wd = wd;
	}
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(w, sub, depth + 1);
	}
	closedir(d);
}

static void drop_all(struct sl_watch *w)
{
	size_t i;

	for (i = 0; i < w->wds.len; i++)
		inotify_rm_watch(w->fd, ((struct wd_entry *)w->wds.items[i])->wd);
	sl_vec_release(&w->wds, wd_free);
}

/* Brings the watch set up to date: forgets directories that are gone and watches new ones,
 * or watches the parent while the root is missing. Watches are never dropped and re-added
 * wholesale: each removal queues an IN_IGNORED event, which would start another rebuild. */
static void rebuild(struct sl_watch *w)
{
	struct stat st;
	size_t i;

	if (stat(w->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		drop_all(w);
		if (w->parent_wd < 0)
			w->parent_wd = inotify_add_watch(w->fd, w->parent,
			        IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DELETE_SELF |
			                IN_MOVE_SELF);
		return;
	}
	if (w->parent_wd >= 0) {
		inotify_rm_watch(w->fd, w->parent_wd);
		w->parent_wd = -1;
	}
	for (i = w->wds.len; i-- > 0;) {
		struct wd_entry *e = w->wds.items[i];

		if (stat(e->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			inotify_rm_watch(w->fd, e->wd);
			wd_free(sl_vec_remove(&w->wds, i));
		}
	}
	add_tree(w, w->root, 0);
}

struct sl_watch *sl_watch_new(const char *root, struct sl_error *err)
{
	struct sl_watch *w = calloc(1, sizeof(*w));
	const char *slash;
	size_t len;

	if (w == NULL)
		goto nomem;
	w->fd = -1;
	w->parent_wd = -1;
	sl_vec_init(&w->wds);
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	w->root = strndup(root, len);
	if (w->root == NULL)
		goto nomem;
	slash = strrchr(w->root, '/');
	w->parent = slash == NULL      ? strdup(".")
	            : slash == w->root ? strdup("/")
	                               : strndup(w->root, (size_t)(slash - w->root));
	w->root_name = strdup(slash ? slash + 1 : w->root);
	if (w->parent == NULL || w->root_name == NULL)
		goto nomem;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		sl_error_errno(err, errno, "inotify_init1");
		sl_watch_free(w);
		return NULL;
	}
	rebuild(w);
	return w;
nomem:
	sl_error_set(err, SL_ENOMEM, "out of memory");
	sl_watch_free(w);
	return NULL;
}

void sl_watch_free(struct sl_watch *w)
{
	if (w == NULL)
		return;
	sl_vec_release(&w->wds, wd_free);
	if (w->fd >= 0)
		close(w->fd);
	free(w->root);
	free(w->parent);
	free(w->root_name);
	free(w);
}

int sl_watch_fd(const struct sl_watch *w)
{
	return w->fd;
}

int sl_watch_count(const struct sl_watch *w)
{
	return (int)w->wds.len;
}

uint64_t sl_watch_overflows(const struct sl_watch *w)
{
	return w->overflows;
}

bool sl_watch_root_missing(const struct sl_watch *w)
{
	return w->parent_wd >= 0;
}

int sl_watch_process(struct sl_watch *w, bool *changed, struct sl_error *err)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool need_rebuild = false;

	*changed = false;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		char *p;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return sl_error_errno(err, errno, "inotify read");
		if (n == 0)
			break;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Events were lost: rescan everything. */
				w->overflows++;
				need_rebuild = true;
				*changed = true;
				continue;
			}
			if (ev->wd == w->parent_wd && w->parent_wd >= 0) {
				if (ev->len && strcmp(ev->name, w->root_name) == 0) {
					need_rebuild = true;
					*changed = true;
				}
				continue;
			}
			if (ev->mask & IN_IGNORED) {
				size_t idx;

				/* The kernel dropped a watch of ours (its directory went away);
				 * one we removed ourselves is no longer in the table. */
				if (find_wd(w, ev->wd, &idx) != NULL) {
					wd_free(sl_vec_remove(&w->wds, idx));
					need_rebuild = true;
					*changed = true;
				}
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				need_rebuild = true;
				*changed = true;
				continue;
			}
			*changed = true;
			if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && (ev->mask & IN_ISDIR))
				need_rebuild = true;
			/* A symlink swap (ConfigMap ..data) may point at a new directory. */
			if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len && ev->name[0] == '.')
				need_rebuild = true;
			if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) && (ev->mask & IN_ISDIR))
				need_rebuild = true;
		}
	}
	if (need_rebuild)
		rebuild(w);
	return 0;
}

void sl_debounce_event(struct sl_debounce *d, int64_t now)
{
	if (d->first < 0)
		d->first = now;
	d->last = now;
}

int64_t sl_debounce_due(const struct sl_debounce *d, int64_t now)
{
	int64_t at;

	if (d->first < 0)
		return -1;
	at = d->last + d->quiet_ms;
	if (at > d->first + d->max_ms)
		at = d->first + d->max_ms;
	return at <= now ? 0 : at - now;
}

bool sl_debounce_fire(struct sl_debounce *d, int64_t now)
{
	bool pending = d->first >= 0;

	(void)now;
	d->first = -1;
	return pending;
}
