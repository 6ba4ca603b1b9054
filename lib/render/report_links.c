/* report_links.c -- the links of the report's alertname rows (report.h
 * report_add_links; links.h makes them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "links.h"
#include "report.h"
#include "store.h"

/* Distinct alertnames looked up for one report: its lists are short (the
 * top is report.top), this bounds the rest. */
#define REPORT_LINKS_MAX	500

/* A row to give links: its alertname and where they go. */
struct link_slot {
	const char *name;
	struct alert_links *links;
};

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

/* *dst a copy of src; -1 on out-of-memory (dst freed). */
static int
links_copy(struct alert_links *dst, const struct alert_links *src)
{
	int oom = 0;

	dst->runbook = dup_or_null(src->runbook, &oom);
	dst->graph = dup_or_null(src->graph, &oom);
	dst->silence = dup_or_null(src->silence, &oom);
	dst->page = dup_or_null(src->page, &oom);
	dst->dashboard = dup_or_null(src->dashboard, &oom);
	if (oom)
		links_free(dst);
	return oom ? -1 : 0;
}

int
report_add_links(struct report *r, struct store *st, const char *grafana_url,
    char *err, size_t errlen)
{
	size_t n = r->ntop + r->nflapping + r->npersistent + r->nnewly_noisy +
	    r->nno_longer_noisy, k = 0, looked = 0;
	struct link_slot *v = calloc(n ? n : 1, sizeof(*v));
	int result = -1;

	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->ntop; i++)
		v[k++] = (struct link_slot){ r->top[i].alertname,
		    &r->top[i].links };
	for (size_t i = 0; i < r->nflapping; i++)
		v[k++] = (struct link_slot){ r->flapping[i].alertname,
		    &r->flapping[i].links };
	for (size_t i = 0; i < r->npersistent; i++)
		v[k++] = (struct link_slot){ r->persistent[i].alertname,
		    &r->persistent[i].links };
	for (size_t i = 0; i < r->nnewly_noisy; i++)
		v[k++] = (struct link_slot){ r->newly_noisy[i].alertname,
		    &r->newly_noisy[i].links };
	for (size_t i = 0; i < r->nno_longer_noisy; i++)
		v[k++] = (struct link_slot){ r->no_longer_noisy[i].alertname,
		    &r->no_longer_noisy[i].links };
	for (size_t i = 0; i < n; i++) {
		const struct alert_links *seen = NULL;

		links_free(v[i].links);
		for (size_t j = 0; j < i && seen == NULL; j++)
			if (v[j].links->page != NULL &&
			    strcmp(v[j].name, v[i].name) == 0)
				seen = v[j].links;
		if (seen != NULL) {
			if (links_copy(v[i].links, seen) < 0) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			continue;
		}
		if (looked++ >= REPORT_LINKS_MAX)
			continue;
		if (links_lookup(st, v[i].name, 0, grafana_url,
		    v[i].links) < 0) {
			snprintf(err, errlen, "%s", store_errmsg(st));
			goto out;
		}
	}
	result = 0;
out:
	free(v);
	return result;
}

/* l's page link in the scope query q ("?week=...&team=..."): 0, or -1 on
 * out-of-memory (l unchanged). */
static int
scope_page(struct alert_links *l, const char *q)
{
	size_t n;
	char *page;

	if (l->page == NULL || strchr(l->page, '?') != NULL)
		return 0;	/* none, or scoped already */
	n = strlen(l->page) + strlen(q) + 1;
	if ((page = malloc(n)) == NULL)
		return -1;
	snprintf(page, n, "%s%s", l->page, q);
	free(l->page);
	l->page = page;
	return 0;
}

int
report_scope_links(struct report *r, const char *week, const char *team)
{
	struct buf q;
	int result = -1;

	if ((week == NULL || *week == '\0') && (team == NULL ||
	    *team == '\0'))
		return 0;
	buf_init(&q, (size_t)1 << 20);
	if (week != NULL && *week != '\0' && (buf_puts(&q, "?week=") < 0 ||
	    links_pct_encode(&q, week) < 0))
		goto out;
	if (team != NULL && *team != '\0' && (buf_puts(&q, q.len ? "&team=" :
	    "?team=") < 0 || links_pct_encode(&q, team) < 0))
		goto out;
	for (size_t i = 0; i < r->ntop; i++)
		if (scope_page(&r->top[i].links, q.data) < 0)
			goto out;
	for (size_t i = 0; i < r->nflapping; i++)
		if (scope_page(&r->flapping[i].links, q.data) < 0)
			goto out;
	for (size_t i = 0; i < r->npersistent; i++)
		if (scope_page(&r->persistent[i].links, q.data) < 0)
			goto out;
	for (size_t i = 0; i < r->nnewly_noisy; i++)
		if (scope_page(&r->newly_noisy[i].links, q.data) < 0)
			goto out;
	for (size_t i = 0; i < r->nno_longer_noisy; i++)
		if (scope_page(&r->no_longer_noisy[i].links, q.data) < 0)
			goto out;
	result = 0;
out:
	buf_free(&q);
	return result;
}
