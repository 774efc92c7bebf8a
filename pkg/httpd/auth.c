/* auth.c — basic-auth credentials: the passwords file and the constant-time check. */
#include "schemalink/httpd.h"
#include "schemalink/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schemalink/buf.h"
#include "schemalink/error.h"

/* A passwords file larger than this is a mistake, not a user list. */
#define AUTH_FILE_MAX ((size_t)1024 * 1024)
#define AUTH_USERS_MAX 10000

struct sl_httpd_auth_entry {
	char *user;
	char *password;
};

struct sl_httpd_auth {
	struct sl_httpd_auth_entry *entries;
	size_t n;
};

struct sl_httpd_auth *sl_httpd_auth_new(void)
{
	return calloc(1, sizeof(struct sl_httpd_auth));
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void sl_httpd_auth_free(struct sl_httpd_auth *auth)
{
	size_t i;

	if (auth == NULL)
		return;
	for (i = 0; i < auth->n; i++) {
		free(auth->entries[i].user);
		wipe_free(auth->entries[i].password);
	}
	free(auth->entries);
	free(auth);
}

size_t sl_httpd_auth_count(const struct sl_httpd_auth *auth)
{
	return auth ? auth->n : 0;
}

int sl_httpd_auth_add(
        struct sl_httpd_auth *auth, const char *user, const char *password, struct sl_error *err)
{
	struct sl_httpd_auth_entry *e;
	char *u = NULL, *p = NULL;
	int rc;

	if (user == NULL || user[0] == '\0' || strchr(user, ':') != NULL) {
		rc = sl_error_set(err, SL_EINVAL, "user name is empty or contains ':'");
		goto out;
	}
	if (password == NULL || password[0] == '\0') {
		rc = sl_error_set(err, SL_EINVAL, "empty password for user '%s'", user);
		goto out;
	}
	if (auth->n >= AUTH_USERS_MAX) {
		rc = sl_error_set(err, SL_ELIMIT, "more than %d users", AUTH_USERS_MAX);
		goto out;
	}
	u = strdup(user);
	p = strdup(password);
	e = realloc(auth->entries, (auth->n + 1) * sizeof(*e));
	if (u == NULL || p == NULL || e == NULL) {
		if (e != NULL)
			auth->entries = e;
		rc = sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	auth->entries = e;
	e[auth->n].user = u;
	e[auth->n].password = p;
	auth->n++;
	u = p = NULL;
	rc = 0;
out:
	free(u);
	wipe_free(p);
	return rc;
}

struct sl_httpd_auth *sl_httpd_auth_load(const char *path, struct sl_error *err)
{
	struct sl_httpd_auth *auth = NULL, *ret = NULL;
	struct sl_buf text = SL_BUF_INIT;
	char *line, *next, *colon;
	size_t lineno = 0, len;
	int rc;

	auth = sl_httpd_auth_new();
	if (auth == NULL) {
		sl_error_set(err, SL_ENOMEM, "out of memory");
		goto out;
	}
	if (sl_file_read(path, AUTH_FILE_MAX, &text, err) < 0)
		goto out;
	if (memchr(text.data, '\0', text.len) != NULL) {
		sl_error_set(err, SL_EINVAL, "'%s': contains a NUL byte", path);
		goto out;
	}
	for (line = text.data; line != NULL && *line != '\0'; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		/* The message names the line, never its text: the text holds a password. */
		colon = strchr(line, ':');
		if (colon == NULL || colon == line || colon[1] == '\0') {
			sl_error_set(err, SL_EINVAL, "'%s' line %zu: expected 'user:password'",
			        path, lineno);
			goto out;
		}
		*colon = '\0';
		rc = sl_httpd_auth_add(auth, line, colon + 1, err);
		if (rc < 0) {
			sl_error_prefix(err, "'%s' line %zu", path, lineno);
			goto out;
		}
	}
	ret = auth;
	auth = NULL;
out:
	if (text.cap)
		explicit_bzero(text.data, text.cap);
	sl_buf_release(&text);
	sl_httpd_auth_free(auth);
	return ret;
}

/* Constant-time equality: the loop runs over the supplied bytes only, so its time depends on
 * what the client sent, not on how much of the secret it guessed. */
static int ct_equal(const char *given, const char *secret)
{
	size_t glen = strlen(given), slen = strlen(secret), i;
	volatile unsigned char diff = 0;

	diff |= (unsigned char)(glen != slen);
	for (i = 0; i < glen; i++)
		diff |= (unsigned char)given[i] ^ (unsigned char)secret[i % slen];
	return diff == 0;
}

int sl_httpd_auth_check(const struct sl_httpd_auth *auth, const char *user, const char *password)
{
	size_t i;
	int ok = 0;

	if (auth == NULL || user == NULL || password == NULL)
		return 0;
	/* Every entry is compared, without stopping at a match, so timing does not tell which
	 * user exists. Entries always have non-empty passwords (auth_add), so slen > 0. */
	for (i = 0; i < auth->n; i++)
		ok |= ct_equal(user, auth->entries[i].user) &
		      ct_equal(password, auth->entries[i].password);
	return ok;
}
