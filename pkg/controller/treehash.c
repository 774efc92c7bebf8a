/* treehash.c — the manifest tree hash: one number that changes when any manifest file under
 * the directory changes, so a rescan reloads only when something did. */
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

/* ---- manifest tree hash ------------------------------------------------------------------ */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= FNV_PRIME;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* docs/internals/manifests.md §1: hidden entries and editor files are never read. */
static bool skipped_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || ends_with(name, "~") || ends_with(name, ".swp") ||
	       ends_with(name, ".tmp") || (n >= 2 && name[0] == '#' && name[n - 1] == '#');
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void hash_file(uint64_t *h, const char *path, const char *rel, struct sl_strmap *seen)
{
	char real[PATH_MAX], buf[8192];
	size_t total = 0;
	ssize_t n;
	int fd;

	if (realpath(path, real) == NULL)
		return;
	if (sl_strmap_get(seen, real, NULL) != NULL || sl_strmap_set(seen, real, real, NULL) < 0)
		return;
	fnv(h, rel, strlen(rel) + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fnv(h, "!", 1);
		return;
	}
	/* Past the loader's per-file cap the content no longer matters: the load fails anyway. */
	while (total <= SL_MANIFEST_MAX_FILE_BYTES && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fnv(h, "!", 1);
			break;
		}
		fnv(h, buf, (size_t)n);
		total += (size_t)n;
	}
	fnv(h, &total, sizeof(total));
	close(fd);
}

static void hash_dir(uint64_t *h, const char *dir, const char *rel, struct sl_strmap *seen,
        struct sl_strmap *dirs, int depth)
{
	struct dirent **list = NULL;
	char real[PATH_MAX];
	int n, i;

	if (depth > 32 || realpath(dir, real) == NULL || sl_strmap_get(dirs, real, NULL) != NULL ||
	        sl_strmap_set(dirs, real, real, NULL) < 0)
		return;
	n = scandir(dir, &list, NULL, cmp_dirent);
	if (n < 0) {
		fnv(h, "?", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char *path = NULL, *r = NULL;
		struct stat st;

		if (!skipped_name(name) && asprintf(&path, "%s/%s", dir, name) >= 0 &&
		        asprintf(&r, "%s%s%s", rel, rel[0] ? "/" : "", name) >= 0 &&
		        stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				hash_dir(h, path, r, seen, dirs, depth + 1);
			else if (S_ISREG(st.st_mode) &&
			         (ends_with(name, ".yaml") || ends_with(name, ".yml")))
				hash_file(h, path, r, seen);
		}
		free(path);
		free(r);
		free(list[i]);
	}
	free(list);
}

uint64_t sl_manifest_tree_hash(const char *root)
{
	struct sl_strmap seen = SL_STRMAP_INIT, dirs = SL_STRMAP_INIT;
	uint64_t h = FNV_OFFSET;
	struct stat st;

	if (stat(root, &st) != 0) {
		fnv(&h, "<missing>", 9);
	} else if (S_ISDIR(st.st_mode)) {
		hash_dir(&h, root, "", &seen, &dirs, 0);
	} else {
		hash_file(&h, root, "", &seen);
	}
	/* The maps' values point at stack buffers that are gone: release without freeing. */
	sl_strmap_release(&seen, NULL);
	sl_strmap_release(&dirs, NULL);
	return h;
}
