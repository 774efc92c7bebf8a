/* lint.c — checks across objects (docs/internals/manifests.md §2 "Validation across objects").
 *
 * Each link's subjects filter is turned into selectors: which source contexts and subjects
 * it may read, and which destination contexts and (renamed) subjects it may write. "*" is
 * treated as every context, as the walkthrough's registry did (docs/internals/registry.md §6), so the
 * checks err towards reporting. Objects may be partly filled after per-object errors: every
 * check skips what it cannot judge. The checks of two objects run only on the pairs an index
 * finds ("Which pairs to check" below), so a load stays about linear in its objects. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schemalink/manifest.h"
#include "schemalink/strmap.h"
#include "lint_int.h"

static void lmsg(struct sl_diags *d, int *rc, enum sl_diag_severity sev, const struct sl_object *o,
        const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void lmsg(struct sl_diags *d, int *rc, enum sl_diag_severity sev, const struct sl_object *o,
        const char *path, const char *fmt, ...)
{
	struct sl_pos p = sl_object_pos(o, path);
	va_list ap;

	va_start(ap, fmt);
	if (sl_diags_vadd(d, sev, p.file, p.line, p.col, path, fmt, ap) < 0)
		*rc = SL_ENOMEM;
	va_end(ap);
}

/* "file:line:col" of an object's field, for naming the other side of a conflict. */
static void where(const struct sl_object *o, const char *path, char *out, size_t len)
{
	struct sl_pos p = sl_object_pos(o, path);

	snprintf(out, len, "%s:%d:%d", p.file, p.line, p.col);
}

static int obj_cmp(const void *a, const void *b)
{
	const struct sl_object *x = *(const struct sl_object *const *)a;
	const struct sl_object *y = *(const struct sl_object *const *)b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool fam_contains(const char *fam, const char *c)
{
	size_t n = strlen(fam);

	return strcmp(fam, c) == 0 || (strncmp(c, fam, n) == 0 && c[n] == '.');
}

static bool ctx_overlap(const struct sel *a, const struct sel *b)
{
	if (a->kind == CTX_ALL || b->kind == CTX_ALL)
		return true;
	if (a->kind == CTX_EXACT && b->kind == CTX_EXACT)
		return strcmp(a->ctx, b->ctx) == 0;
	if (a->kind == CTX_FAMILY && b->kind == CTX_FAMILY)
		return fam_contains(a->ctx, b->ctx) || fam_contains(b->ctx, a->ctx);
	return a->kind == CTX_FAMILY ? fam_contains(a->ctx, b->ctx) : fam_contains(b->ctx, a->ctx);
}

/* Prefix and suffix around the first ${subject} of a rename format. */
static void fmt_split(const char *f, size_t *plen, const char **suffix)
{
	const char *at = strstr(f, "${subject}");

	if (at == NULL) {
		*plen = 0;
		*suffix = "";
		return;
	}
	*plen = (size_t)(at - f);
	*suffix = at + strlen("${subject}");
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Whether a name renamed with format f can equal name n. */
static bool fmt_can_make(const char *f, const char *n)
{
	size_t plen;
	const char *suf;

	fmt_split(f, &plen, &suf);
	return strncmp(n, f, plen) == 0 && strlen(n) >= plen + strlen(suf) && ends_with(n, suf);
}

/* Whether two "any subject" writes with formats f and g can produce the same name. */
static bool fmts_overlap(const char *f, const char *g)
{
	size_t fp, gp;
	const char *fs, *gs;

	fmt_split(f, &fp, &fs);
	fmt_split(g, &gp, &gs);
	return strncmp(f, g, fp < gp ? fp : gp) == 0 && (ends_with(fs, gs) || ends_with(gs, fs));
}

static bool subj_overlap(const struct sel *a, const char *fa, const struct sel *b, const char *fb)
{
	if (a->subj_any && b->subj_any)
		return fmts_overlap(fa, fb);
	if (a->subj_any)
		return fmt_can_make(fa, b->subj);
	if (b->subj_any)
		return fmt_can_make(fb, a->subj);
	return strcmp(a->subj, b->subj) == 0;
}

/* Renames name with format f (every ${subject} replaced). */
static char *rename_subject(const char *f, const char *name)
{
	struct sl_buf b = SL_BUF_INIT;
	const char *p = f, *at;

	while ((at = strstr(p, "${subject}")) != NULL) {
		if (sl_buf_add(&b, p, (size_t)(at - p)) < 0 || sl_buf_adds(&b, name) < 0) {
			sl_buf_release(&b);
			return NULL;
		}
		p = at + strlen("${subject}");
	}
	if (sl_buf_adds(&b, p) < 0) {
		sl_buf_release(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

static void sel_release(struct sel *s)
{
	free(s->ctx);
	free(s->subj);
}

static void linfo_release(struct linfo *li)
{
	size_t i;

	for (i = 0; i < li->n; i++) {
		sel_release(&li->reads[i]);
		sel_release(&li->writes[i]);
	}
	free(li->reads);
	free(li->writes);
}

/* The context name a CUSTOM / AUTO link writes under, or NULL when unknown. */
static const char *link_ctx_name(const struct linfo *li)
{
	const struct sl_link_spec *l = &li->o->link;

	if (l->context_type == SL_CONTEXT_CUSTOM)
		return l->context_name;
	if (l->context_type == SL_CONTEXT_AUTO && li->src != NULL)
		return li->src->registry.cluster_id;
	return NULL;
}

static int linfo_build(struct linfo *li, const struct sl_snapshot *s, const struct sl_object *o)
{
	const struct sl_link_spec *l = &o->link;
	const char *name;
	size_t i;
	int rc;

	memset(li, 0, sizeof(*li));
	li->o = o;
	li->src = l->source ? sl_snapshot_get(s, SL_KIND_REGISTRY, l->source) : NULL;
	li->dst = l->destination ? sl_snapshot_get(s, SL_KIND_REGISTRY, l->destination) : NULL;
	name = link_ctx_name(li);
	if (l->subjects.len == 0 || l->subject_rename_format == NULL ||
	        (l->context_type != SL_CONTEXT_NONE && name == NULL))
		return 0;
	li->reads = calloc(l->subjects.len, sizeof(*li->reads));
	li->writes = calloc(l->subjects.len, sizeof(*li->writes));
	if (li->reads == NULL || li->writes == NULL)
		return SL_ENOMEM;
	li->n = l->subjects.len;
	for (i = 0; i < li->n; i++) {
		const char *e = l->subjects.items[i];
		struct sel *r = &li->reads[i], *w = &li->writes[i];
		struct sl_qsubject q = SL_QSUBJECT_INIT;
		bool star = strcmp(e, "*") == 0 || strcmp(e, ":*:") == 0;

		if (star) {
			r->kind = CTX_ALL;
			r->subj_any = true;
		} else {
			rc = sl_qsubject_parse(e, &q, NULL);
			if (rc == SL_ENOMEM)
				return rc;
			if (rc < 0 || q.context == NULL)
				return 0; /* rejected by the per-object check already */
			r->kind = CTX_EXACT;
			r->ctx = strdup(q.context);
			r->subj_any = strcmp(q.subject, "*") == 0;
			if (!r->subj_any)
				r->subj = strdup(q.subject);
			sl_qsubject_release(&q);
			if (r->ctx == NULL || (!r->subj_any && r->subj == NULL))
				return SL_ENOMEM;
		}
		w->subj_any = r->subj_any;
		if (!w->subj_any &&
		        (w->subj = rename_subject(l->subject_rename_format, r->subj)) == NULL)
			return SL_ENOMEM;
		if (l->context_type == SL_CONTEXT_NONE) {
			w->kind = r->kind;
			if (r->ctx != NULL && (w->ctx = strdup(r->ctx)) == NULL)
				return SL_ENOMEM;
		} else if (r->kind == CTX_ALL) {
			w->kind = CTX_FAMILY;
			rc = sl_export_dest_context(l->context_type, name, ".", &w->ctx, NULL);
			if (rc < 0)
				return rc == SL_ENOMEM ? rc : 0;
		} else {
			w->kind = CTX_EXACT;
			rc = sl_export_dest_context(l->context_type, name, r->ctx, &w->ctx, NULL);
			if (rc < 0)
				return rc == SL_ENOMEM ? rc : 0;
		}
	}
	li->ok = true;
	return 0;
}

static void check_refs(const struct sl_object *o, const char *path, const char *name,
        const struct sl_snapshot *s, struct sl_diags *d, int *rc)
{
	char q[256];

	if (name == NULL || sl_snapshot_get(s, SL_KIND_REGISTRY, name) != NULL)
		return;
	sl_quote(name, q, sizeof(q));
	lmsg(d, rc, SL_DIAG_ERROR, o, path, "Registry %s is not declared", q);
}

char *sl_lint_url_key(const char *u)
{
	char *k = strdup(u);
	size_t i, n;
	char *host;

	if (k == NULL)
		return NULL;
	host = strstr(k, "://");
	host = host ? host + 3 : k;
	for (i = 0; k + i < host + strcspn(host, "/?#"); i++)
		k[i] = (char)tolower((unsigned char)k[i]);
	n = strlen(k);
	while (n > 0 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

/* One setting (mode or compatibility) of one scope, declared by at most one object. */
static void claim(struct sl_strmap *m, const char *setting, const char *reg, const char *scope,
        const char *shown, const struct sl_object *o, const char *path, struct sl_diags *d, int *rc)
{
	struct sl_buf key = SL_BUF_INIT;
	const struct sl_object *first;
	char q[256], w[600];
	bool found = false;

	if (reg == NULL || scope == NULL)
		return;
	if (sl_buf_addf(&key, "%s\x1f%s\x1f%s", setting, reg, scope) < 0) {
		*rc = SL_ENOMEM;
		goto out;
	}
	first = sl_strmap_get(m, key.data, &found);
	if (!found) {
		if (sl_strmap_set(m, key.data, (void *)(uintptr_t)o, NULL) < 0)
			*rc = SL_ENOMEM;
		goto out;
	}
	sl_quote(reg, q, sizeof(q));
	where(first, path, w, sizeof(w));
	lmsg(d, rc, SL_DIAG_ERROR, o, path,
	        "the %s of %s on Registry %s is also managed by %s (%s); let one object manage it",
	        setting, shown, q, first->key, w);
out:
	sl_buf_release(&key);
}

static void check_scopes(const struct sl_object *const *objs, size_t n, struct sl_diags *d, int *rc)
{
	struct sl_strmap m = SL_STRMAP_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct sl_object *o = objs[i];
		const char *reg = NULL, *scope = NULL;
		char shown[400], q[256];
		enum sl_mode mode = SL_MODE_UNSET;
		enum sl_compat compat = SL_COMPAT_UNSET;

		switch (o->kind) {
		case SL_KIND_REGISTRY:
			reg = o->name;
			scope = ".";
			mode = o->registry.mode;
			compat = o->registry.compatibility;
			break;
		case SL_KIND_CONTEXT:
			reg = o->context.registry;
			scope = o->context.context;
			mode = o->context.mode;
			compat = o->context.compatibility;
			break;
		case SL_KIND_SUBJECT:
			reg = o->subject.registry;
			scope = o->subject.subject;
			mode = o->subject.mode;
			compat = o->subject.compatibility;
			break;
		default: continue;
		}
		if (scope == NULL)
			continue;
		sl_quote(scope, q, sizeof(q));
		snprintf(shown, sizeof(shown), "%s %s",
		        o->kind == SL_KIND_SUBJECT ? "subject" : "context", q);
		if (o->kind == SL_KIND_SUBJECT) {
			/* Subjects and contexts live in different key spaces. */
			char sk[300];

			snprintf(sk, sizeof(sk), "subject:%s", scope);
			if (mode != SL_MODE_UNSET)
				claim(&m, "mode", reg, sk, shown, o, "spec.mode", d, rc);
			if (compat != SL_COMPAT_UNSET)
				claim(&m, "compatibility", reg, sk, shown, o, "spec.compatibility",
				        d, rc);
			continue;
		}
		if (mode != SL_MODE_UNSET)
			claim(&m, "mode", reg, scope, shown, o, "spec.mode", d, rc);
		if (compat != SL_COMPAT_UNSET)
			claim(&m, "compatibility", reg, scope, shown, o, "spec.compatibility", d,
			        rc);
	}
	sl_strmap_release(&m, NULL);
}

static const char *entry_of(const struct linfo *li, size_t i)
{
	return li->o->link.subjects.items[i];
}

/* Whether the manifest wrote field path (defaults have no position of their own). */
static bool written(const struct sl_object *o, const char *path)
{
	size_t i;

	for (i = 0; i < o->fields.len; i++)
		if (strcmp(((const struct sl_field_pos *)o->fields.items[i])->path, path) == 0)
			return true;
	return false;
}

static void subjects_path(const struct linfo *li, size_t i, char *out, size_t len)
{
	snprintf(out, len, "spec.subjects[%zu]", i);
	if (!written(li->o, out))
		snprintf(out, len, "spec.subjects");
}

/* Two links writing the same subjects into the same destination context. */
void sl_lint_overlapping_writes(
        const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc)
{
	size_t i, j;
	char w[600], q[256], path[64];

	if (!a->ok || !b->ok || a->o->link.destination == NULL || b->o->link.destination == NULL ||
	        strcmp(a->o->link.destination, b->o->link.destination) != 0)
		return;
	for (j = 0; j < b->n; j++) {
		for (i = 0; i < a->n; i++) {
			const struct sel *x = &a->writes[i], *y = &b->writes[j];

			if (!ctx_overlap(x, y) || !subj_overlap(x, a->o->link.subject_rename_format,
			                                  y, b->o->link.subject_rename_format))
				continue;
			sl_quote(b->o->link.destination, q, sizeof(q));
			where(a->o, "metadata.name", w, sizeof(w));
			subjects_path(b, j, path, sizeof(path));
			lmsg(d, rc, SL_DIAG_ERROR, b->o, path,
			        "writes into %s%s%s on Registry %s with subjects that overlap %s "
			        "(%s); "
			        "two exporters would write the same subjects",
			        y->kind == CTX_ALL ? "every context" : "context \"",
			        y->kind == CTX_ALL ? "" : y->ctx, y->kind == CTX_ALL ? "" : "\"", q,
			        a->o->key, w);
			return;
		}
	}
}

/* The scope of Registry, Context or Subject object o whose mode o sets to something other
 * than IMPORT, as a selector t, with that mode and the Registry the scope belongs to. *q may
 * hold t's strings: release it either way. Returns 1, 0 when o sets no such mode (removing a
 * subject's override leaves the context's IMPORT), or SL_ENOMEM. */
static int mode_target(const struct sl_object *o, struct sel *t, struct sl_qsubject *q,
        const char **reg, enum sl_mode *mode)
{
	int rc;

	*t = (struct sel){CTX_EXACT, NULL, true, NULL};
	*mode = SL_MODE_UNSET;
	if (o->kind == SL_KIND_REGISTRY) {
		*reg = o->name;
		*mode = o->registry.mode;
		t->ctx = (char *)(uintptr_t) ".";
	} else if (o->kind == SL_KIND_CONTEXT && o->context.registry != NULL &&
	           o->context.context != NULL) {
		*reg = o->context.registry;
		*mode = o->context.mode;
		t->ctx = o->context.context;
	} else if (o->kind == SL_KIND_SUBJECT && o->subject.registry != NULL &&
	           o->subject.subject != NULL && o->subject.mode != SL_MODE_INHERIT) {
		rc = sl_qsubject_parse(o->subject.subject, q, NULL);
		if (rc == SL_ENOMEM)
			return rc;
		if (rc < 0 || q->context == NULL)
			return 0;
		*reg = o->subject.registry;
		*mode = o->subject.mode;
		t->ctx = q->context;
		t->subj_any = false;
		t->subj = q->subject;
	}
	return *mode != SL_MODE_UNSET && *mode != SL_MODE_IMPORT;
}

/* destinationMode Import against a declared mode other than IMPORT on a scope it writes. */
void sl_lint_import_conflict(
        const struct linfo *li, const struct sl_object *o, struct sl_diags *d, int *rc)
{
	const struct sl_link_spec *l = &li->o->link;
	struct sl_qsubject q = SL_QSUBJECT_INIT;
	struct sel target;
	enum sl_mode mode;
	const char *reg = NULL;
	size_t i;
	char w[600];
	int has;

	if (!li->ok || li->dst == NULL || l->destination_mode != SL_DEST_IMPORT)
		return;
	has = mode_target(o, &target, &q, &reg, &mode);
	if (has == SL_ENOMEM)
		*rc = SL_ENOMEM;
	if (has <= 0 ||
	        (o->kind == SL_KIND_REGISTRY ? o != li->dst : strcmp(reg, li->dst->name) != 0))
		goto out;
	for (i = 0; i < li->n; i++) {
		const struct sel *x = &li->writes[i];

		if (!ctx_overlap(x, &target))
			continue;
		if (!target.subj_any && !x->subj_any && strcmp(x->subj, target.subj) != 0)
			continue;
		if (!target.subj_any && x->subj_any &&
		        !fmt_can_make(l->subject_rename_format, target.subj))
			continue;
		where(o, "spec.mode", w, sizeof(w));
		lmsg(d, rc, SL_DIAG_ERROR, li->o,
		        written(li->o, "spec.destinationMode") ? "spec.destinationMode"
		                                               : "spec.destination",
		        "destinationMode Import needs IMPORT on %s \"%s\" of Registry \"%s\", but "
		        "%s sets it to %s (%s); set destinationMode: Unmanaged or drop that mode",
		        o->kind == SL_KIND_SUBJECT ? "subject" : "context",
		        o->kind == SL_KIND_SUBJECT ? o->subject.subject : target.ctx, li->dst->name,
		        o->key, sl_mode_name(mode), w);
		break;
	}
out:
	sl_qsubject_release(&q);
}

/* Link a reads from the registry that link b writes into: can a's filter pick up what b
 * imported and send it on (nested one level deeper each round trip)? */
void sl_lint_loop(const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc)
{
	const struct sl_link_spec *la = &a->o->link, *lb = &b->o->link;
	size_t i, j;
	char path[64], qe[256], w[600];

	if (!a->ok || !b->ok || a == b || la->source == NULL || lb->destination == NULL ||
	        strcmp(la->source, lb->destination) != 0)
		return;
	for (i = 0; i < a->n; i++) {
		if (!sl_filter_may_select_nondefault(entry_of(a, i)))
			continue;
		for (j = 0; j < b->n; j++) {
			const struct sel *imp = &b->writes[j];
			char *nested = NULL;

			if (imp->kind == CTX_EXACT && strcmp(imp->ctx, ".") == 0)
				continue; /* imports into the default context do not nest */
			if (!ctx_overlap(&a->reads[i], imp))
				continue;
			if (imp->kind != CTX_ALL && la->context_type != SL_CONTEXT_NONE &&
			        sl_export_dest_context(la->context_type, link_ctx_name(a), imp->ctx,
			                &nested, NULL) == SL_ENOMEM)
				*rc = SL_ENOMEM;
			sl_quote(entry_of(a, i), qe, sizeof(qe));
			where(b->o, "metadata.name", w, sizeof(w));
			subjects_path(a, i, path, sizeof(path));
			lmsg(d, rc, SL_DIAG_WARNING, a->o, path,
			        "replication loop risk: %s can select %s%s%s%s, which %s (%s) "
			        "writes into "
			        "Registry \"%s\"; %s would send those subjects back to "
			        "\"%s\"%s%s%s; "
			        "restrict spec.subjects to \":.:*\" or explicit subjects",
			        qe, imp->kind == CTX_ALL ? "non-default contexts" : "context \"",
			        imp->kind == CTX_ALL ? "" : imp->ctx,
			        imp->kind == CTX_ALL ? "" : "\"",
			        imp->kind == CTX_FAMILY ? " (and contexts below it)" : "",
			        b->o->key, w, la->source, a->o->key,
			        la->destination ? la->destination : "?",
			        nested ? " nested as \"" : "", nested ? nested : "",
			        nested ? "\"" : "");
			free(nested);
			return;
		}
	}
}

/* NONE links in both directions whose subjects overlap collide rather than nest. */
void sl_lint_none_pair(const struct linfo *a, const struct linfo *b, struct sl_diags *d, int *rc)
{
	const struct sl_link_spec *la = &a->o->link, *lb = &b->o->link;
	size_t i, j;
	char w[600], qa[256], qb[256];

	if (!a->ok || !b->ok || la->context_type != SL_CONTEXT_NONE ||
	        lb->context_type != SL_CONTEXT_NONE || la->source == NULL || lb->source == NULL ||
	        la->destination == NULL || lb->destination == NULL ||
	        strcmp(la->source, lb->destination) != 0 ||
	        strcmp(la->destination, lb->source) != 0)
		return;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			if (!ctx_overlap(&a->writes[i], &b->reads[j]) ||
			        !subj_overlap(
			                &a->writes[i], "${subject}", &b->reads[j], "${subject}"))
				continue;
			sl_quote(entry_of(a, i), qa, sizeof(qa));
			sl_quote(entry_of(b, j), qb, sizeof(qb));
			where(a->o, "metadata.name", w, sizeof(w));
			lmsg(d, rc, SL_DIAG_WARNING, b->o, "spec.subjects",
			        "NONE links in both directions with overlapping subjects: %s (%s) "
			        "copies "
			        "%s from \"%s\" to \"%s\" and %s copies %s back; a subject written "
			        "on "
			        "one side collides with its copy; give each link its own subjects",
			        a->o->key, w, qa, la->source, la->destination, b->o->key, qb);
			return;
		}
	}
}

int sl_lint_begin(struct sl_lint *t, const struct sl_snapshot *s, struct sl_diags *d)
{
	size_t n = s->objects.len, i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->objs = calloc(n + 1, sizeof(*t->objs));
	t->links = calloc(n + 1, sizeof(*t->links));
	if (t->objs == NULL || t->links == NULL)
		return SL_ENOMEM;
	t->n = n;
	if (n > 0)
		memcpy(t->objs, s->objects.items, n * sizeof(*t->objs));
	qsort(t->objs, n, sizeof(*t->objs), obj_cmp);

	for (i = 0; i < n && rc == 0; i++) {
		const struct sl_object *o = t->objs[i];

		switch (o->kind) {
		case SL_KIND_SCHEMALINK:
			check_refs(o, "spec.source", o->link.source, s, d, &rc);
			check_refs(o, "spec.destination", o->link.destination, s, d, &rc);
			rc = rc < 0 ? rc : linfo_build(&t->links[t->nl++], s, o);
			break;
		case SL_KIND_CONTEXT:
			check_refs(o, "spec.registry", o->context.registry, s, d, &rc);
			break;
		case SL_KIND_SUBJECT:
			check_refs(o, "spec.registry", o->subject.registry, s, d, &rc);
			break;
		default: break;
		}
	}
	return rc;
}

void sl_lint_end(struct sl_lint *t)
{
	size_t i;

	for (i = 0; t->links != NULL && i < t->nl; i++)
		linfo_release(&t->links[i]);
	free(t->links);
	free(t->objs);
	memset(t, 0, sizeof(*t));
}

void sl_lint_same_url(
        const struct sl_object *o, const struct sl_object *first, struct sl_diags *d, int *rc)
{
	char w[600];

	where(first, "spec.url", w, sizeof(w));
	lmsg(d, rc, SL_DIAG_WARNING, o, "spec.url",
	        "same URL as %s (%s): two names for one registry", first->key, w);
}

void sl_lint_each(const struct sl_lint *t, struct sl_diags *d, int *rc)
{
	size_t i;

	for (i = 0; i < t->nl; i++) {
		const struct linfo *li = &t->links[i];
		const struct sl_link_spec *l = &li->o->link;

		if (l->source != NULL && l->destination != NULL &&
		        strcmp(l->source, l->destination) == 0)
			lmsg(d, rc, SL_DIAG_ERROR, li->o, "spec.destination",
			        "same Registry as spec.source (\"%s\"); a link copies between two "
			        "registries",
			        l->source);
		if (l->context_type == SL_CONTEXT_AUTO && li->src != NULL &&
		        li->src->registry.cluster_id == NULL)
			lmsg(d, rc, SL_DIAG_ERROR, li->o, "spec.context.type",
			        "AUTO needs the source Registry \"%s\" to set spec.clusterId (or "
			        "use "
			        "CUSTOM with a name)",
			        li->src->name);
	}
	check_scopes(t->objs, t->n, d, rc);
}

/* ---- Which pairs to check ------------------------------------------------------------------
 *
 * Trying the pair checks on every pair of links made `slctl validate` of 10,000 links spend
 * 1.3 s in here. Instead a pair is tried only when an index of selectors says the two may
 * overlap: the candidates of a selector y are a superset of the selectors x that
 * ctx_overlap(x, y) accepts (and, when subjects are asked for, subj_overlap too), so the
 * checks report what the all-pairs loops reported, in the same order when the candidates are
 * tried in ascending order (tests/unit/test_lint.c compares the two).
 *
 * An index lists items (link or object indexes, ascending) under strings "tag group [context
 * [subject]]", each part but the tag length-prefixed. group is a destination Registry, or a
 * source and destination pair. Tags:
 *   D  every item of the group              A  CTX_ALL selectors
 *   C  CTX_EXACT selectors of one context   X  ... of it that write any subject
 *   E  ... of it that write one subject     F  CTX_FAMILY selectors of one context
 *   S  selectors in one context or below it: each selector is listed under every family
 *      that contains its context
 * The families that contain context c (fam_contains) are c and each prefix of c that a '.'
 * follows, so a selector's candidates take a lookup per level of its context. */

/* Items are kept in struct sl_vec as pointer-sized integers. */
static size_t item_at(const struct sl_vec *v, size_t k)
{
	return (size_t)(uintptr_t)v->items[k];
}

static int item_push(struct sl_vec *v, size_t item)
{
	if (v->len > 0 && item_at(v, v->len - 1) == item)
		return 0; /* the same item again: items add all their selectors in a row */
	return sl_vec_push(v, (void *)(uintptr_t)item);
}

static void items_free(void *p)
{
	sl_vec_release(p, NULL);
	free(p);
}

static int item_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and drops repeated items. */
static void items_sort_unique(struct sl_vec *v)
{
	size_t i, k = 0;

	if (v->len == 0)
		return;
	sl_vec_sort(v, item_cmp);
	for (i = 1; i < v->len; i++)
		if (v->items[i] != v->items[k])
			v->items[++k] = v->items[i];
	v->len = k + 1;
}

struct selindex {
	struct sl_strmap lists; /* key -> struct sl_vec * of items */
	struct sl_buf key; /* scratch */
};
#define SELINDEX_INIT \
	{ \
		SL_STRMAP_INIT, SL_BUF_INIT \
	}

static void selindex_release(struct selindex *ix)
{
	sl_strmap_release(&ix->lists, items_free);
	sl_buf_release(&ix->key);
}

/* Appends len bytes of s after their length ("5:.ctx1"), so that no part can run into the
 * next. Without printf: keys are made for every selector of every link. */
static int key_part(struct sl_buf *k, const char *s, size_t len)
{
	char num[24];
	size_t i = sizeof(num), n = len;

	num[--i] = ':';
	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	if (sl_buf_add(k, num + i, sizeof(num) - i) < 0 || sl_buf_add(k, s, len) < 0)
		return SL_ENOMEM;
	return 0;
}

/* Writes a group string: tag, then a and b (when not NULL). */
static int group_key(struct sl_buf *g, char tag, const char *a, const char *b)
{
	sl_buf_reset(g);
	if (sl_buf_addch(g, tag) < 0 || key_part(g, a, strlen(a)) < 0 ||
	        (b != NULL && key_part(g, b, strlen(b)) < 0))
		return SL_ENOMEM;
	return 0;
}

/* The list under tag, group g, the first clen bytes of ctx (when not NULL) and subj (when not
 * NULL); created when create is set, else NULL when absent. */
static int selindex_list(struct selindex *ix, char tag, const char *g, const char *ctx, size_t clen,
        const char *subj, bool create, struct sl_vec **out)
{
	struct sl_buf *k = &ix->key;
	struct sl_vec *l;

	*out = NULL;
	sl_buf_reset(k);
	if (sl_buf_addch(k, tag) < 0 || sl_buf_adds(k, g) < 0 ||
	        (ctx != NULL && key_part(k, ctx, clen) < 0) ||
	        (subj != NULL && key_part(k, subj, strlen(subj)) < 0))
		return SL_ENOMEM;
	l = sl_strmap_get(&ix->lists, k->data, NULL);
	if (l == NULL && create) {
		l = calloc(1, sizeof(*l)); /* zeroed: an empty vector (SL_VEC_INIT) */
		if (l == NULL || sl_strmap_set(&ix->lists, k->data, l, NULL) < 0) {
			free(l);
			return SL_ENOMEM;
		}
	}
	*out = l;
	return 0;
}

static int selindex_add(struct selindex *ix, char tag, const char *g, const char *ctx, size_t clen,
        const char *subj, size_t item)
{
	struct sl_vec *l;
	int rc = selindex_list(ix, tag, g, ctx, clen, subj, true, &l);

	return rc < 0 ? rc : item_push(l, item);
}

/* Appends the items listed under tag, g, ctx, subj to out. */
static int selindex_get(struct selindex *ix, char tag, const char *g, const char *ctx, size_t clen,
        const char *subj, struct sl_vec *out)
{
	struct sl_vec *l;
	size_t i;
	int rc = selindex_list(ix, tag, g, ctx, clen, subj, false, &l);

	for (i = 0; rc == 0 && l != NULL && i < l->len; i++)
		rc = item_push(out, item_at(l, i));
	return rc;
}

/* Lists item, one of whose selectors is x, in group g. */
static int selindex_put(struct selindex *ix, const char *g, const struct sel *x, size_t item)
{
	size_t k, len;
	int rc = selindex_add(ix, 'D', g, NULL, 0, NULL, item);

	if (rc < 0 || x->kind == CTX_ALL)
		return rc < 0 ? rc : selindex_add(ix, 'A', g, NULL, 0, NULL, item);
	len = strlen(x->ctx);
	if (x->kind == CTX_FAMILY) {
		rc = selindex_add(ix, 'F', g, x->ctx, len, NULL, item);
	} else {
		rc = selindex_add(ix, 'C', g, x->ctx, len, NULL, item);
		if (rc == 0)
			rc = selindex_add(ix, x->subj_any ? 'X' : 'E', g, x->ctx, len,
			        x->subj_any ? NULL : x->subj, item);
	}
	for (k = 0; rc == 0 && k <= len; k++)
		if (x->ctx[k] == '.' || k == len)
			rc = selindex_add(ix, 'S', g, x->ctx, k, NULL, item);
	return rc;
}

/* Appends to out the items of group g with a selector x that may overlap y: every x that
 * ctx_overlap(x, y) accepts, and when subjects is set only those subj_overlap may accept. */
static int selindex_find(
        struct selindex *ix, const char *g, const struct sel *y, bool subjects, struct sl_vec *out)
{
	size_t k, len;
	int rc;

	if (y->kind == CTX_ALL)
		return selindex_get(ix, 'D', g, NULL, 0, NULL, out);
	rc = selindex_get(ix, 'A', g, NULL, 0, NULL, out);
	len = strlen(y->ctx);
	for (k = 0; rc == 0 && k <= len; k++)
		if (y->ctx[k] == '.' || k == len)
			rc = selindex_get(ix, 'F', g, y->ctx, k, NULL, out);
	if (rc < 0)
		return rc;
	if (y->kind == CTX_FAMILY)
		return selindex_get(ix, 'S', g, y->ctx, len, NULL, out);
	if (!subjects || y->subj_any)
		return selindex_get(ix, 'C', g, y->ctx, len, NULL, out);
	rc = selindex_get(ix, 'X', g, y->ctx, len, NULL, out);
	return rc < 0 ? rc : selindex_get(ix, 'E', g, y->ctx, len, y->subj, out);
}

struct lint_index {
	struct selindex writes; /* link writes, by destination ('w') */
	struct selindex none; /* NONE link writes, by source and destination ('n') */
	struct selindex modes; /* mode targets of Registry, Context, Subject objects ('i') */
	struct sl_buf g; /* scratch group string */
};
#define LINT_INDEX_INIT \
	{ \
		SELINDEX_INIT, SELINDEX_INIT, SELINDEX_INIT, SL_BUF_INIT \
	}

static void lint_index_release(struct lint_index *x)
{
	selindex_release(&x->writes);
	selindex_release(&x->none);
	selindex_release(&x->modes);
	sl_buf_release(&x->g);
}

static int lint_index_build(struct lint_index *x, const struct sl_lint *t)
{
	size_t i, e;
	int rc = 0;

	for (i = 0; rc == 0 && i < t->nl; i++) {
		const struct linfo *li = &t->links[i];
		const struct sl_link_spec *l = &li->o->link;

		if (!li->ok || l->destination == NULL)
			continue;
		rc = group_key(&x->g, 'w', l->destination, NULL);
		for (e = 0; rc == 0 && e < li->n; e++)
			rc = selindex_put(&x->writes, x->g.data, &li->writes[e], i);
		if (rc < 0 || l->context_type != SL_CONTEXT_NONE || l->source == NULL)
			continue;
		rc = group_key(&x->g, 'n', l->source, l->destination);
		for (e = 0; rc == 0 && e < li->n; e++)
			rc = selindex_put(&x->none, x->g.data, &li->writes[e], i);
	}
	/* Objects whose mode an Import link may conflict with, by the Registry they set it on. */
	for (i = 0; rc == 0 && i < t->n; i++) {
		struct sl_qsubject q = SL_QSUBJECT_INIT;
		struct sel target;
		enum sl_mode mode;
		const char *reg = NULL;

		rc = mode_target(t->objs[i], &target, &q, &reg, &mode);
		if (rc > 0 && (rc = group_key(&x->g, 'i', reg, NULL)) == 0)
			rc = selindex_put(&x->modes, x->g.data, &target, i);
		sl_qsubject_release(&q);
	}
	return rc;
}

/* Sets c to the items, ascending, that selindex_find gives for the n selectors sels in
 * group g. */
static int find_each(struct selindex *ix, const char *g, const struct sel *sels, size_t n,
        bool subjects, struct sl_vec *c)
{
	size_t e;
	int rc = 0;

	c->len = 0;
	for (e = 0; rc == 0 && e < n; e++)
		rc = selindex_find(ix, g, &sels[e], subjects, c);
	items_sort_unique(c);
	return rc;
}

/* Overlapping writes with each earlier link, then Import conflicts, link after link. */
static int lint_writes(const struct sl_lint *t, struct lint_index *x, struct sl_vec *c,
        struct sl_diags *d, int *rc)
{
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < t->nl; i++) {
		const struct linfo *b = &t->links[i];
		const char *dest = b->o->link.destination;

		c->len = 0;
		if (b->ok && dest != NULL && (r = group_key(&x->g, 'w', dest, NULL)) == 0)
			r = find_each(&x->writes, x->g.data, b->writes, b->n, true, c);
		for (k = 0; r == 0 && k < c->len && item_at(c, k) < i; k++)
			sl_lint_overlapping_writes(&t->links[item_at(c, k)], b, d, rc);

		c->len = 0;
		if (r == 0 && b->ok && b->dst != NULL &&
		        b->o->link.destination_mode == SL_DEST_IMPORT &&
		        (r = group_key(&x->g, 'i', b->dst->name, NULL)) == 0)
			r = find_each(&x->modes, x->g.data, b->writes, b->n, true, c);
		for (k = 0; r == 0 && k < c->len; k++)
			sl_lint_import_conflict(b, t->objs[item_at(c, k)], d, rc);
	}
	return r;
}

/* Each link against every link writing into its source. Only the entries that may select a
 * non-default context can read such writes (sl_lint_loop skips the others). */
static int lint_loops(const struct sl_lint *t, struct lint_index *x, struct sl_vec *c,
        struct sl_diags *d, int *rc)
{
	size_t i, e, k;
	int r = 0;

	for (i = 0; r == 0 && i < t->nl; i++) {
		const struct linfo *a = &t->links[i];

		if (!a->ok || a->o->link.source == NULL)
			continue;
		c->len = 0;
		r = group_key(&x->g, 'w', a->o->link.source, NULL);
		for (e = 0; r == 0 && e < a->n; e++)
			if (sl_filter_may_select_nondefault(entry_of(a, e)))
				r = selindex_find(&x->writes, x->g.data, &a->reads[e], false, c);
		items_sort_unique(c);
		for (k = 0; r == 0 && k < c->len; k++)
			sl_lint_loop(a, &t->links[item_at(c, k)], d, rc);
	}
	return r;
}

/* Each NONE link's reads against the writes of the earlier NONE links the other way. */
static int lint_none_pairs(const struct sl_lint *t, struct lint_index *x, struct sl_vec *c,
        struct sl_diags *d, int *rc)
{
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < t->nl; i++) {
		const struct linfo *b = &t->links[i];
		const struct sl_link_spec *l = &b->o->link;

		c->len = 0;
		if (b->ok && l->context_type == SL_CONTEXT_NONE && l->source != NULL &&
		        l->destination != NULL &&
		        (r = group_key(&x->g, 'n', l->destination, l->source)) == 0)
			r = find_each(&x->none, x->g.data, b->reads, b->n, true, c);
		for (k = 0; r == 0 && k < c->len && item_at(c, k) < i; k++)
			sl_lint_none_pair(&t->links[item_at(c, k)], b, d, rc);
	}
	return r;
}

/* Registries with one URL: each one after the first is reported against the first. */
static int same_urls(const struct sl_lint *t, struct sl_diags *d, int *rc)
{
	struct sl_strmap first = SL_STRMAP_INIT; /* URL key -> first Registry with it */
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < t->n; i++) {
		const struct sl_object *o = t->objs[i], *f;
		bool found = false;
		char *k;

		if (o->kind != SL_KIND_REGISTRY || o->registry.url == NULL)
			continue;
		k = sl_lint_url_key(o->registry.url);
		if (k == NULL) {
			r = SL_ENOMEM;
			break;
		}
		f = sl_strmap_get(&first, k, &found);
		if (found)
			sl_lint_same_url(o, f, d, rc);
		else if (sl_strmap_set(&first, k, (void *)(uintptr_t)o, NULL) < 0)
			r = SL_ENOMEM;
		free(k);
	}
	sl_strmap_release(&first, NULL);
	return r;
}

int sl_manifest_lint(const struct sl_snapshot *s, struct sl_diags *d)
{
	struct lint_index x = LINT_INDEX_INIT;
	struct sl_vec c = SL_VEC_INIT;
	struct sl_lint t;
	int rc, r = 0;

	rc = sl_lint_begin(&t, s, d);
	if (rc == 0)
		r = same_urls(&t, d, &rc);
	if (r == 0 && rc == 0)
		sl_lint_each(&t, d, &rc);
	if (r == 0 && rc == 0)
		r = lint_index_build(&x, &t);
	if (r == 0 && rc == 0)
		r = lint_writes(&t, &x, &c, d, &rc);
	if (r == 0 && rc == 0)
		r = lint_loops(&t, &x, &c, d, &rc);
	if (r == 0 && rc == 0)
		r = lint_none_pairs(&t, &x, &c, d, &rc);
	sl_vec_release(&c, NULL);
	lint_index_release(&x);
	sl_lint_end(&t);
	return r < 0 ? r : rc;
}
