/* patches.c -- recommendations as patches to the user's files (patches.h).
 *
 * Every edit is made on the text the source was read from and checked
 * with the same code that reads it (amroute.c, promrules.c); diffs are
 * against that text, labelled with its path (the file), or with
 * "alertmanager.yml" when it came from Alertmanager's API. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ampatch.h"
#include "amroute.h"
#include "log.h"
#include "patches.h"
#include "promrules.h"
#include "routing.h"
#include "sources.h"
#include "udiff.h"

#define MAX_PARENTS	64	/* routes one recommendation edits */

/* The text of rule file path in the Prometheus source, or NULL. */
static const struct src_file *
rule_file(const struct src_prom *prom, const char *path)
{
	for (size_t i = 0; i < prom->nfiles; i++)
		if (strcmp(prom->files[i].path, path) == 0)
			return &prom->files[i];
	return NULL;
}

/* Patches a rule recommendation: per rule file that defines alertname,
 * the unified diff that sets `for` (or keep_firing_for) of every rule of
 * that name in it and changes nothing else. A file a patch cannot be made
 * for is named with its error instead. */
static void
rule_patches(struct rc_rec *rec, const struct src_prom *prom,
    const char *alertname, int64_t for_ms, int64_t kff_ms)
{
	size_t n = pr_rules_count(prom->rules);

	rec->patched = 1;	/* none when no file defines it */

	for (size_t i = 0; i < n; i++) {
		const struct pr_rule *r = pr_rules_get(prom->rules, i);
		const struct src_file *f;
		char *text, *next, *diff, err[512];
		size_t len, nlen, dlen;
		int failed = 0;

		if (strcmp(r->alert, alertname) != 0 || r->line == 0 ||
		    (f = rule_file(prom, r->file)) == NULL)
			continue;
		/* the first rule of this file with that name: patch all of
		 * them in this file at once */
		{
			size_t j;

			for (j = 0; j < i; j++)
				if (strcmp(pr_rules_get(prom->rules,
				    j)->alert, alertname) == 0 &&
				    strcmp(pr_rules_get(prom->rules, j)->file,
				    r->file) == 0)
					break;
			if (j < i)
				continue;
		}
		if ((text = malloc(f->len + 1)) == NULL)
			break;
		memcpy(text, f->text, f->len + 1);
		len = f->len;
		for (size_t j = i; j < n && !failed; j++) {
			const struct pr_rule *x = pr_rules_get(prom->rules, j);

			if (strcmp(x->alert, alertname) != 0 ||
			    strcmp(x->file, r->file) != 0)
				continue;
			if (pr_patch_rule(text, len, x, for_ms >= 0 ? for_ms :
			    x->for_ms, kff_ms, &next, &nlen, err,
			    sizeof(err)) < 0) {
				failed = 1;
				break;
			}
			free(text);
			text = next;
			len = nlen;
		}
		if (!failed && ud_diff(r->file, f->text, f->len, text, len,
		    &diff, &dlen, err, sizeof(err)) < 0)
			failed = 1;
		free(text);
		/* out of memory: the patch is left out */
		if (failed) {
			(void)rc_add_patch(rec, r->file, NULL, 0, err);
			continue;
		}
		(void)rc_add_patch(rec, r->file, diff, dlen, NULL);
		free(diff);
	}
}

/* The label a diff of the Alertmanager source carries. */
static const char *
am_path(const struct src_am *am)
{
	return strncmp(am->file.path, "http://", 7) == 0 ||
	    strncmp(am->file.path, "https://", 8) == 0 ? "alertmanager.yml" :
	    am->file.path;
}

/* The routes that send identities named alertname to receiver today
 * (every match with that receiver), deepest first (by descending id:
 * inserting under one leaves the ids of the others). */
static size_t
parents_of(const struct am_config *c, const struct analysis *a,
    const char *alertname, const char *receiver, size_t *out, size_t max)
{
	struct am_route_info m[64];
	size_t n = 0;

	for (size_t k = 0; k < a->nids; k++) {
		int nm;

		if (strcmp(a->ids[k].alertname, alertname) != 0)
			continue;
		if ((nm = rt_route(c, a->ids[k].labels, m, 64)) < 0)
			return 0;
		for (int j = 0; j < nm && j < 64; j++) {
			size_t i;

			if (strcmp(m[j].receiver, receiver) != 0)
				continue;
			for (i = 0; i < n && out[i] != m[j].id; i++)
				;
			if (i == n && n < max)
				out[n++] = m[j].id;
		}
	}
	for (size_t i = 1; i < n; i++)	/* few: insertion sort, descending */
		for (size_t j = i; j > 0 && out[j] > out[j - 1]; j--) {
			size_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* How many identities of a not named alertname change receivers between
 * c0 and c1 (and the first one's labels into who); -1 out of memory. */
static long
moved(const struct am_config *c0, const struct am_config *c1,
    const struct analysis *a, const char *alertname, int named_too,
    char *who, size_t wholen)
{
	long n = 0;

	for (size_t k = 0; k < a->nids + a->nids_pending; k++) {
		const char *r0[32], *r1[32];
		int n0, n1, same;

		if (!named_too && strcmp(a->ids[k].alertname, alertname) == 0)
			continue;
		n0 = rt_receivers(c0, a->ids[k].labels, r0, 32);
		n1 = rt_receivers(c1, a->ids[k].labels, r1, 32);
		if (n0 < 0 || n1 < 0)
			return -1;
		same = n0 == n1;
		for (int i = 0; same && i < n0 && i < 32; i++)
			same = strcmp(r0[i], r1[i]) == 0;
		if (!same && n++ == 0) {
			char *t = json_dumps(a->ids[k].labels, JSON_COMPACT |
			    JSON_SORT_KEYS);

			snprintf(who, wholen, "%s", t ? t : "");
			free(t);
		}
	}
	return n;
}

/* What becomes of rec when its patch was made (keep), failed the safety
 * check (unsafe: dropped, logged), or could not be made (kept without a
 * patch, its safety saying why). Returns 1 to keep rec. */
static int
outcome(struct rc_rec *rec, int keep, int unsafe, const char *err)
{
	if (unsafe) {
		log_info("Recommendation not proposed", "id", rec->id, "why",
		    err);
		return 0;
	}
	if (!keep) {
		rec->patched = 1;	/* none */
		(void)rc_set_safety(rec, RC_CHECK_NOT_MADE, err, 0, 0, 0);
	}
	return 1;
}

/* A route recommendation as an edit of the tree: a sub-route under each
 * route that sends the alert to a receiver concerned. Returns 1 to keep
 * rec (its patch and safety set; no patch when the edit could not be
 * made, with why), 0 to drop it: it would move another alert. */
static int
route_patch(struct rc_rec *rec, const struct src_am *am,
    const struct analysis *a)
{
	const struct rc_change *ch = &rec->change;
	const char *name = rec->alertname;
	const struct rc_strings *recv;
	size_t ids[MAX_PARENTS], routes = 0;
	char matcher[512], err[512] = "", who[512] = "";
	const char *mv[1] = { matcher };
	struct amp_route sub;
	char *text, *diff;
	size_t len, dlen;
	struct am_config *c = NULL;
	long n;
	int keep = 0, unsafe = 0;

	memset(&sub, 0, sizeof(sub));
	sub.group_wait_ms = sub.group_interval_ms = sub.repeat_interval_ms =
	    -1;
	sub.matchers = mv;
	sub.n_matchers = 1;
	snprintf(matcher, sizeof(matcher), "alertname=\"%s\"", name);
	switch (rec->kind) {
	case RC_ROUTE_AWAY_FROM_PAGING:
		recv = &ch->paging_receivers;
		sub.receiver = ch->receiver;
		break;
	case RC_GROUP_BY:
		recv = &ch->receivers;
		sub.group_by = (const char *const *)ch->group_by.v;
		sub.n_group_by = ch->group_by.n;
		break;
	default:
		assert(rec->kind == RC_REPEAT_INTERVAL);
		recv = &ch->receivers;
		sub.repeat_interval_ms = ch->repeat_interval_ms;
		break;
	}
	if ((text = malloc(am->file.len + 1)) == NULL)
		return 1;
	memcpy(text, am->file.text, am->file.len + 1);
	len = am->file.len;
	for (size_t r = 0; r < recv->n; r++) {
		size_t np;

		am_config_free(c);
		c = NULL;
		if (am_config_parse(text, len, &c, err, sizeof(err)) < 0)
			goto out;
		np = parents_of(c, a, name, recv->v[r], ids, MAX_PARENTS);
		for (size_t i = 0; i < np; i++) {
			char *next;
			size_t nlen;

			if (i > 0) {
				am_config_free(c);
				c = NULL;
				if (am_config_parse(text, len, &c, err,
				    sizeof(err)) < 0)
					goto out;
			}
			if (amp_add_subroute(text, len, c, ids[i], &sub, &next,
			    &nlen, err, sizeof(err)) < 0)
				goto out;
			free(text);
			text = next;
			len = nlen;
			routes++;
		}
	}
	if (routes == 0) {
		snprintf(err, sizeof(err), "no route sends %s to %s today",
		    name, recv->n ? recv->v[0] : "a paging receiver");
		goto out;
	}
	am_config_free(c);
	c = NULL;
	if (am_config_parse(text, len, &c, err, sizeof(err)) < 0)
		goto out;
	if ((n = moved(am->cfg, c, a, name, 0, who, sizeof(who))) != 0) {
		snprintf(err, sizeof(err), "%ld other alert%s would change "
		    "receivers, e.g. %.400s", n, n == 1 ? "" : "s", who);
		unsafe = 1;
		goto out;
	}
	if (ud_diff(am_path(am), am->file.text, am->file.len, text, len,
	    &diff, &dlen, err, sizeof(err)) < 0)
		goto out;
	/* out of memory: the patch, or the safety, is left out */
	(void)rc_add_patch(rec, am_path(am), diff, dlen, NULL);
	free(diff);
	(void)rc_set_safety(rec, RC_CHECK_RECEIVERS, NULL,
	    (long)(a->nids + a->nids_pending), 0, (long)routes);
	keep = 1;
out:
	keep = outcome(rec, keep, unsafe, err);
	am_config_free(c);
	free(text);
	return keep;
}

/* An inhibit rule recommendation added to *text (the rules kept so far):
 * 1 to keep rec (its patch against the file as it is), 0 to drop it. */
static int
inhibit_patch(struct rc_rec *rec, const struct src_am *am,
    const struct analysis *a, const struct rt_label_sets *ls, char **text,
    size_t *len)
{
	const char *src = rec->change.source;
	const char *const *tg = (const char *const *)rec->change.targets.v;
	size_t ntg = rec->change.targets.n;
	char sm[512], tm[4096], err[512] = "";
	const char *sv[1] = { sm }, *tv[1] = { tm };
	struct amp_inhibit r = { sv, 1, tv, 1,
	    (const char *const *)rec->change.equal.v, rec->change.equal.n };
	struct am_config *c = NULL;
	char *next = NULL, *one = NULL, *diff;
	size_t nlen, olen, dlen, at;
	int unsafe = 0, keep = 0;

	if (src == NULL || ntg == 0)
		return 1;
	snprintf(sm, sizeof(sm), "alertname=\"%s\"", src);
	at = (size_t)snprintf(tm, sizeof(tm), "alertname%s\"", ntg == 1 ?
	    "=" : "=~");
	for (size_t i = 0; i < ntg && at < sizeof(tm); i++)
		at += (size_t)snprintf(tm + at, sizeof(tm) - at, "%s%s",
		    i ? "|" : "", tg[i]);
	if (at + 2 >= sizeof(tm))
		return 0;
	snprintf(tm + at, sizeof(tm) - at, "\"");
	if (amp_add_inhibit_rule(*text, *len, &r, &next, &nlen, err,
	    sizeof(err)) < 0 ||
	    am_config_parse(next, nlen, &c, err, sizeof(err)) < 0)
		goto out;
	switch (am_inhibit_unsafe(c, ls->ls, a->nids + a->nids_pending, err,
	    sizeof(err))) {
	case 0:
		break;
	case 1:
		unsafe = 1;
		goto out;
	default:
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	/* the patch of this rule alone, against the file as it is */
	if (amp_add_inhibit_rule(am->file.text, am->file.len, &r, &one, &olen,
	    err, sizeof(err)) < 0 ||
	    ud_diff(am_path(am), am->file.text, am->file.len, one, olen,
	    &diff, &dlen, err, sizeof(err)) < 0)
		goto out;
	/* out of memory: the patch, or the safety, is left out */
	(void)rc_add_patch(rec, am_path(am), diff, dlen, NULL);
	free(diff);
	(void)rc_set_safety(rec, RC_CHECK_INHIBIT, NULL,
	    (long)(a->nids + a->nids_pending), 0, 0);
	free(*text);
	*text = next;
	*len = nlen;
	next = NULL;
	keep = 1;
out:
	keep = outcome(rec, keep, unsafe, err);
	am_config_free(c);
	free(next);
	free(one);
	return keep;
}

void
patches_add(struct rc_list *recs, const struct sources *src,
    const struct analysis *a)
{
	const struct src_am *am = src ? src->am : NULL;
	const struct src_prom *prom = src ? src->prom : NULL;
	struct rt_label_sets ls = { 0 };
	char *inh = NULL;
	size_t inh_len = 0, i = 0;

	if (am != NULL && (rt_label_sets(a, a->nids + a->nids_pending,
	    &ls) < 0 || (inh = malloc(am->file.len + 1)) == NULL))
		am = NULL;	/* out of memory: snippets only */
	if (am != NULL) {
		memcpy(inh, am->file.text, am->file.len + 1);
		inh_len = am->file.len;
	}
	while (i < recs->n) {
		struct rc_rec *rec = &recs->rows[i];
		const char *name = rec->alertname;
		int rules = prom != NULL && prom->nfiles > 0 && name != NULL;
		int keep = 1;

		switch (rec->kind) {
		case RC_RAISE_FOR:
			if (rules)
				rule_patches(rec, prom, name,
				    rec->change.for_ms, -1);
			break;
		case RC_KEEP_FIRING_FOR:
			if (rules)
				rule_patches(rec, prom, name, -1,
				    rec->change.keep_firing_for_ms);
			break;
		case RC_REPEAT_INTERVAL:
		case RC_GROUP_BY:
		case RC_ROUTE_AWAY_FROM_PAGING:
			if (am != NULL && name != NULL)
				keep = route_patch(rec, am, a);
			break;
		case RC_INHIBIT_RULE:
			if (am != NULL)
				keep = inhibit_patch(rec, am, a, &ls, &inh,
				    &inh_len);
			break;
		default:
			break;	/* nothing of the user's files to patch */
		}
		if (keep)
			i++;
		else
			rc_list_remove(recs, i);
	}
	free(inh);
	rt_label_sets_free(&ls);
	/* one that loses an actionable episode is never first: the first
	 * that loses none goes before it */
	if (recs->n > 1 && recs->rows[0].pred.lost > 0)
		for (i = 1; i < recs->n; i++)
			if (recs->rows[i].pred.lost <= 0) {
				struct rc_rec x = recs->rows[i];

				memmove(&recs->rows[1], &recs->rows[0],
				    i * sizeof(*recs->rows));
				recs->rows[0] = x;
				break;
			}
}
