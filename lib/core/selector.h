/* selector.h -- PromQL label selectors for the query API's match[].
 *
 * Parses `{team="infra",severity=~"page|critical"}` (optionally preceded
 * by a metric name, which is shorthand for __name__="name" — for alerts,
 * `alertname` is what users write, so a bare name selects alertname)
 * with the operators = != =~ !~ as PromQL does: regexes are anchored at
 * both ends, a matcher on an absent label sees the empty string. */
#ifndef AN_SELECTOR_H
#define AN_SELECTOR_H

#include <stddef.h>

#include <jansson.h>

struct sel;

/* Parses s. On success returns 0 and *out (free with sel_free). On failure
 * returns -1 and writes into err a message naming the 1-based column:
 * "1:12: unexpected character '!' in label matcher". */
int sel_parse(const char *s, struct sel **out, char *err, size_t errlen);

/* 1 when every matcher matches the label set (a JSON object of strings). */
int sel_match_json(const struct sel *s, const json_t *labels);

/* For a selector a request sent (match[]): once one of its regexes costs
 * more than PCRE2's match, depth or heap limit on some value, every later
 * sel_match_json of s answers 0 at once, and sel_too_expensive(s) is 1, so
 * that the caller can refuse the request ("regex too expensive") instead of
 * paying the limit on every label set. Without it a limit fails only the
 * value it was hit on (a selector of the configuration). */
void sel_fail_fast(struct sel *s);
int sel_too_expensive(const struct sel *s);

void sel_free(struct sel *s);

#endif
