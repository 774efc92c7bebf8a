/* loader.c — files, directories and stdin into one snapshot (docs/internals/manifests.md §1). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/strmap.h"
#include "ytree.h"

struct sl_manifest_loader {
	struct sl_snapshot *snap;
	struct sl_diags diags;
	struct sl_strmap seen; /* "f:<realpath>" of files read, "d:<realpath>" of directories */
	size_t files, objects;
	bool over_limit; /* the object limit was hit: nothing more is read */
	bool finished;
};

struct sl_manifest_loader *sl_manifest_loader_new(void)
{
	struct sl_manifest_loader *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->snap = sl_snapshot_new();
	if (l->snap == NULL) {
		free(l);
		return NULL;
	}
	sl_diags_init(&l->diags);
	sl_strmap_init(&l->seen);
	return l;
}

void sl_manifest_loader_free(struct sl_manifest_loader *l)
{
	if (l == NULL)
		return;
	sl_snapshot_free(l->snap);
	sl_diags_release(&l->diags);
	sl_strmap_release(&l->seen, NULL);
	free(l);
}

const struct sl_diags *sl_manifest_diags(const struct sl_manifest_loader *l)
{
	return &l->diags;
}

size_t sl_manifest_files(const struct sl_manifest_loader *l)
{
	return l->files;
}

size_t sl_manifest_objects(const struct sl_manifest_loader *l)
{
	return l->objects;
}

static int ferr(struct sl_manifest_loader *l, const char *file, int line, int col, const char *fmt,
        ...) __attribute__((format(printf, 5, 6)));
static int ferr(
        struct sl_manifest_loader *l, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sl_diags_vadd(&l->diags, SL_DIAG_ERROR, file, line, col, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* 1-based line and column (in UTF-8 characters) of byte offset off. */
static void byte_pos(const unsigned char *data, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if ((data[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static int add_object(struct sl_manifest_loader *l, struct sl_object *o)
{
	struct sl_error e = SL_ERROR_INIT;
	const struct sl_object *first;
	struct sl_pos p;
	int rc = sl_snapshot_add(l->snap, o, &e);

	if (rc != SL_EEXIST) {
		if (rc < 0)
			sl_object_free(o);
		return rc;
	}
	first = sl_snapshot_get(l->snap, o->kind, o->name);
	p = sl_object_pos(o, "metadata.name");
	if (first != NULL) {
		struct sl_pos fp = sl_object_pos(first, "metadata.name");

		rc = sl_diags_add(&l->diags, SL_DIAG_ERROR, p.file, p.line, p.col, "metadata.name",
		        "%s is declared twice (first at %s:%d:%d)", o->key, fp.file, fp.line,
		        fp.col);
	}
	sl_object_free(o);
	return rc;
}

int sl_manifest_add_buffer(struct sl_manifest_loader *l, const char *name, const char *base_dir,
        const void *data, size_t len)
{
	const unsigned char *p = data;
	const unsigned char *nul;
	struct ystream *ys = NULL;
	char cwd[PATH_MAX];
	int rc = 0, line, col;

	if (l->over_limit)
		return 0;
	l->files++;
	if (base_dir == NULL)
		base_dir = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	if (len > SL_MANIFEST_MAX_FILE_BYTES)
		return ferr(l, name, 0, 0, "file is %zu bytes, over the limit of 1 MiB (%d bytes)",
		        len, SL_MANIFEST_MAX_FILE_BYTES);
	/* Byte order marks: UTF-8 is accepted (YAML allows it); UTF-16/32 are refused, as the
	 * loader reads UTF-8 only. */
	if ((len >= 4 && memcmp(p, "\x00\x00\xFE\xFF", 4) == 0) ||
	        (len >= 4 && memcmp(p, "\xFF\xFE\x00\x00", 4) == 0))
		return ferr(l, name, 1, 1, "file is UTF-32 encoded; save it as UTF-8");
	if (len >= 2 && (memcmp(p, "\xFE\xFF", 2) == 0 || memcmp(p, "\xFF\xFE", 2) == 0))
		return ferr(l, name, 1, 1, "file is UTF-16 encoded; save it as UTF-8");
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		len -= 3;
	}
	nul = memchr(p, '\0', len);
	if (nul != NULL) {
		byte_pos(p, (size_t)(nul - p), &line, &col);
		return ferr(l, name, line, col,
		        "NUL byte in file (binary file?); manifests must be UTF-8 text");
	}
	ys = sl_ystream_new(name, p, len);
	if (ys == NULL)
		return SL_ENOMEM;
	for (;;) {
		struct ydoc *doc = NULL;
		struct sl_object *o = NULL;
		size_t errors = 0;

		rc = sl_ystream_next(ys, &doc, &l->diags);
		if (rc < 0 || doc == NULL)
			break;
		if (doc->root == NULL) { /* empty document: nothing declared */
			sl_ydoc_free(doc);
			continue;
		}
		if (l->objects >= SL_MANIFEST_MAX_OBJECTS) {
			sl_diags_make_room(&l->diags);
			rc = ferr(l, name, doc->root->line, doc->root->col,
			        "more than %d objects in one load", SL_MANIFEST_MAX_OBJECTS);
			l->over_limit = true;
			sl_ydoc_free(doc);
			break;
		}
		l->objects++;
		rc = sl_decode_object(doc, name, base_dir, &l->diags, &o, &errors);
		sl_ydoc_free(doc);
		if (rc == 0 && o != NULL)
			rc = add_object(l, o);
		if (rc < 0)
			break;
	}
	sl_ystream_free(ys);
	/* A YAML problem was reported; the objects before it stay for further checks. */
	return rc == SL_ENOMEM ? rc : 0;
}

/* Reads fd to its end, failing past max bytes. */
static int read_capped(int fd, size_t max, struct sl_buf *out, bool *too_big, int *errnum)
{
	char chunk[65536];

	*too_big = false;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*errnum = errno;
			return SL_EIO;
		}
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max) {
			*too_big = true;
			return SL_ELIMIT;
		}
		if (sl_buf_add(out, chunk, (size_t)n) < 0)
			return SL_ENOMEM;
	}
}

/* The absolute directory of display path p (not resolving symlinks, so a ConfigMap's
 * `links.yaml -> ..data/links.yaml` keeps the visible directory). */
static int base_dir_of(const char *p, struct sl_buf *out)
{
	const char *slash = strrchr(p, '/');
	char cwd[PATH_MAX];

	if (p[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return SL_EIO;
		if (sl_buf_adds(out, cwd) < 0)
			return SL_ENOMEM;
		if (slash != NULL && sl_buf_addch(out, '/') < 0)
			return SL_ENOMEM;
	}
	if (slash != NULL && sl_buf_add(out, p, slash == p ? 1 : (size_t)(slash - p)) < 0)
		return SL_ENOMEM;
	return 0;
}

static int seen_before(struct sl_manifest_loader *l, char prefix, const char *path, bool *seen)
{
	char real[PATH_MAX + 3];
	char *r = realpath(path, NULL);
	bool found = false;

	*seen = false;
	if (r == NULL) /* the open below reports a bad path; without memory, nothing can */
		return errno == ENOMEM ? SL_ENOMEM : 0;
	snprintf(real, sizeof(real), "%c:%s", prefix, r);
	free(r);
	sl_strmap_get(&l->seen, real, &found);
	if (found) {
		*seen = true;
		return 0;
	}
	return sl_strmap_set(&l->seen, real, NULL, NULL);
}

static int add_fd(struct sl_manifest_loader *l, int fd, const char *display, const char *base)
{
	struct sl_buf data = SL_BUF_INIT;
	bool too_big = false;
	int errnum = 0, rc;

	rc = read_capped(fd, SL_MANIFEST_MAX_FILE_BYTES, &data, &too_big, &errnum);
	if (too_big)
		rc = ferr(l, display, 0, 0, "file is larger than the limit of 1 MiB (%d bytes)",
		        SL_MANIFEST_MAX_FILE_BYTES);
	else if (rc == SL_EIO)
		rc = ferr(l, display, 0, 0, "cannot read: %s", strerror(errnum));
	else if (rc == 0)
		rc = sl_manifest_add_buffer(l, display, base, data.data, data.len);
	sl_buf_release(&data);
	return rc;
}

static int add_file(struct sl_manifest_loader *l, const char *path)
{
	struct sl_buf base = SL_BUF_INIT;
	struct stat st;
	bool seen;
	int fd = -1, rc;

	rc = seen_before(l, 'f', path, &seen);
	if (rc < 0 || seen)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ferr(l, path, 0, 0, "cannot open: %s", strerror(errno));
	/* Refuse a huge file before reading any of it. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > SL_MANIFEST_MAX_FILE_BYTES) {
		rc = ferr(l, path, 0, 0, "file is %lld bytes, over the limit of 1 MiB (%d bytes)",
		        (long long)st.st_size, SL_MANIFEST_MAX_FILE_BYTES);
		l->files++;
		goto out;
	}
	rc = base_dir_of(path, &base);
	if (rc == SL_EIO) {
		rc = ferr(l, path, 0, 0, "cannot find the current directory: %s", strerror(errno));
		goto out;
	}
	if (rc == 0)
		rc = add_fd(l, fd, path, base.data);
out:
	close(fd);
	sl_buf_release(&base);
	return rc;
}

/* Editor and hidden files a directory walk skips (docs/internals/manifests.md §1). */
static bool skipped_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.' || len == 0 || n[len - 1] == '~')
		return true;
	if (len >= 4 && (strcmp(n + len - 4, ".swp") == 0 || strcmp(n + len - 4, ".tmp") == 0))
		return true;
	return len >= 2 && n[0] == '#' && n[len - 1] == '#';
}

static bool yaml_name(const char *n)
{
	size_t len = strlen(n);

	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(n + len - 4, ".yml") == 0);
}

static int add_dir(struct sl_manifest_loader *l, const char *dir)
{
	struct sl_vec names = SL_VEC_INIT;
	struct dirent *ent;
	DIR *dp = NULL;
	size_t i, dlen = strlen(dir);
	bool seen;
	int rc;

	rc = seen_before(l, 'd', dir, &seen);
	if (rc < 0 || seen)
		return rc; /* a symlink loop or a directory given twice */
	dp = opendir(dir);
	if (dp == NULL)
		return ferr(l, dir, 0, 0, "cannot open directory: %s", strerror(errno));
	while ((ent = readdir(dp)) != NULL) {
		char *n;

		if (skipped_name(ent->d_name))
			continue;
		n = strdup(ent->d_name);
		if (n == NULL || sl_vec_push(&names, n) < 0) {
			free(n);
			rc = SL_ENOMEM;
			goto out;
		}
	}
	sl_vec_sort(&names, sl_vec_cmp_str);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	for (i = 0; i < names.len && rc == 0 && !l->over_limit; i++) {
		struct sl_buf child = SL_BUF_INIT;
		struct stat st;

		if (sl_buf_add(&child, dir, dlen) < 0 ||
		        sl_buf_addf(&child, "%s%s", dir[dlen - 1] == '/' ? "" : "/",
		                (const char *)names.items[i]) < 0) {
			rc = SL_ENOMEM;
		} else if (stat(child.data, &st) < 0) {
			if (yaml_name(names.items[i]))
				rc = ferr(l, child.data, 0, 0, "cannot open: %s", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_dir(l, child.data);
		} else if (yaml_name(names.items[i])) {
			rc = add_file(l, child.data);
		}
		sl_buf_release(&child);
	}
out:
	if (dp != NULL)
		closedir(dp);
	sl_vec_release(&names, free);
	return rc;
}

int sl_manifest_add_path(struct sl_manifest_loader *l, const char *path)
{
	struct stat st;

	if (l->over_limit)
		return 0;
	if (strcmp(path, "-") == 0)
		return add_fd(l, 0, SL_MANIFEST_STDIN_NAME, NULL);
	if (stat(path, &st) < 0)
		return ferr(l, path, 0, 0, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_dir(l, path);
	return add_file(l, path);
}

int sl_manifest_finish(struct sl_manifest_loader *l, struct sl_snapshot **out)
{
	int rc;

	if (out != NULL)
		*out = NULL;
	if (l->finished)
		return SL_ESTATE;
	l->finished = true;
	if (l->objects == 0 && l->diags.errors == 0)
		sl_diags_add(&l->diags, SL_DIAG_WARNING, NULL, 0, 0, NULL,
		        "no objects found in %zu file%s", l->files, l->files == 1 ? "" : "s");
	rc = sl_manifest_lint(l->snap, &l->diags);
	if (rc < 0)
		return rc;
	if (l->diags.errors > 0)
		return SL_EINVAL;
	l->snap->files = l->files;
	if (sl_snapshot_seal(l->snap) < 0)
		return SL_ENOMEM;
	if (out != NULL) {
		*out = l->snap;
		l->snap = NULL;
	}
	return 0;
}
