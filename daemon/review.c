/* review.c -- the span and selection of a review (review.h). */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "report.h"
#include "selector.h"
#include "timefmt.h"

void
review_scope_free(struct review_scope *s)
{
	for (size_t i = 0; i < s->nmatch; i++)
		free(s->match[i]);
	s->nmatch = 0;
	s->key.match = NULL;
	s->key.nmatch = 0;
}

/* v, or NULL when it is empty: an empty parameter is one not given (the
 * overview's form sends "team=" for every team). */
static const char *
given(const char *v)
{
	return v != NULL && *v != '\0' ? v : NULL;
}

/* The span: one of window, week, start/end. */
static int
span(struct review_scope *s, const struct review_params *p,
    const char *default_window, const struct tz *tz, int64_t now, char *msg,
    size_t msglen)
{
	int given = (p->window != NULL) + (p->week != NULL) +
	    (p->start != NULL || p->end != NULL);
	const char *w = p->window ? p->window : default_window;

	if (given > 1) {
		snprintf(msg, msglen, "give one of window, week, or start and "
		    "end");
		return -1;
	}
	if (p->week != NULL) {
		if (report_week_span(tz, p->week, &s->key.from,
		    &s->key.to) < 0) {
			snprintf(msg, msglen, "invalid week \"%.32s\": want an "
			    "ISO week such as 2026-W48", p->week);
			return -1;
		}
		snprintf(s->week, sizeof(s->week), "%s", p->week);
		return 0;
	}
	if (p->start != NULL || p->end != NULL) {
		if (p->start == NULL) {
			snprintf(msg, msglen, "end without start");
			return -1;
		}
		if (ts_parse_param(p->start, &s->key.from) < 0 ||
		    (p->end != NULL && ts_parse_param(p->end,
		    &s->key.to) < 0)) {
			snprintf(msg, msglen, "invalid time \"%.64s\": want RFC "
			    "3339 or Unix seconds", ts_parse_param(p->start,
			    &s->key.from) < 0 ? p->start : p->end);
			return -1;
		}
		if (p->end == NULL)
			s->key.to = now;
		if (s->key.to <= s->key.from ||
		    s->key.to - s->key.from > CFG_WINDOW_MAX_MS) {
			snprintf(msg, msglen, "end must be after start, by at "
			    "most 366d");
			return -1;
		}
		return 0;
	}
	if (param_window(w, &s->key.window_ms, msg, msglen) < 0)
		return -1;
	snprintf(s->window, sizeof(s->window), "%.31s", w);
	return 0;
}

/* The selector {label="value"}, value escaped as a PromQL string. */
static char *
team_selector(const char *label, const char *value)
{
	size_t n = strlen(label) + 2 * strlen(value) + 8;
	char *s = malloc(n), *p;

	if (s == NULL)
		return NULL;
	p = s + snprintf(s, n, "{%s=\"", label);
	for (const char *v = value; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			*p++ = '\\';
		if (*v == '\n') {
			*p++ = '\\';
			*p++ = 'n';
			continue;
		}
		*p++ = *v;
	}
	*p++ = '"';
	*p++ = '}';
	*p = '\0';
	return s;
}

int
review_scope_parse(struct review_scope *s, const struct review_params *pp,
    const char *default_window, const struct tz *tz, const char *team_label,
    int64_t now, char *msg, size_t msglen)
{
	struct review_params q = *pp, *p = &q;
	char err[256];

	memset(s, 0, sizeof(*s));
	q.window = given(q.window);
	q.week = given(q.week);
	q.start = given(q.start);
	q.end = given(q.end);
	q.team = given(q.team);
	if (span(s, p, default_window, tz, now, msg, msglen) < 0)
		return -1;
	if (p->team != NULL && p->nmatch > 0) {
		snprintf(msg, msglen, "give team or match[], not both (a team "
		    "is the selector {%s=\"...\"})", team_label);
		return -1;
	}
	if (p->nmatch > REVIEW_MATCH_MAX) {
		snprintf(msg, msglen, "at most %d match[] parameters",
		    REVIEW_MATCH_MAX);
		return -1;
	}
	if (p->team != NULL) {
		if (team_label == NULL || *team_label == '\0') {
			snprintf(msg, msglen, "team= needs analysis.team_label");
			return -1;
		}
		if ((s->match[0] = team_selector(team_label, p->team)) == NULL)
			goto nomem;
		s->nmatch = 1;
	}
	for (size_t i = 0; i < p->nmatch; i++) {
		if ((s->match[s->nmatch] = strdup(p->match[i])) == NULL)
			goto nomem;
		s->nmatch++;
	}
	/* checked here, so that a bad one is the caller's 400 */
	for (size_t i = 0; i < s->nmatch; i++) {
		struct sel *sel;

		if (sel_parse(s->match[i], &sel, err, sizeof(err)) < 0) {
			snprintf(msg, msglen, "invalid match[] \"%.200s\": %s",
			    s->match[i], err);
			return -1;
		}
		sel_free(sel);
	}
	s->key.match = (const char *const *)s->match;
	s->key.nmatch = s->nmatch;
	return 0;
nomem:
	snprintf(msg, msglen, "out of memory");
	return -1;
}

int
review_recommendation_of(const struct rc_rec *r, const struct analysis *a)
{
	if (r->alertname == NULL)
		return 0;
	for (size_t k = 0; k < a->nids; k++)
		if (strcmp(a->ids[k].alertname, r->alertname) == 0)
			return 1;
	return 0;
}

json_t *
review_recommendations(const struct rc_list *recs, const struct analysis *a)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < recs->n; i++) {
		const struct rc_rec *r = &recs->rows[i];

		if (review_recommendation_of(r, a) &&
		    json_array_append_new(out, rc_rec_json(r)) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}
