/* amroute.h -- Alertmanager 0.25's routing tree and inhibit rules.
 *
 * Reads an alertmanager.yml (the text, not the file: it may come from disk
 * or from Alertmanager's /api/v2/status) and answers the two questions the
 * replay and the recommendations ask of it: which routes, in which order and
 * with which receiver, group_by and timers, does a label set reach; and does
 * one alert inhibit another. Matching is Alertmanager's own: its matcher
 * syntax (`matchers:`, pkg/labels/parse.go), `match:` and `match_re:`,
 * regexes anchored as "^(?:re)$", `continue`, inheritance down the tree
 * (dispatch/route.go NewRoute), inhibition's equal labels and two-sided
 * exclusion (inhibit/inhibit.go), time intervals as the notification
 * pipeline applies them (timeinterval/timeinterval.go, notify/notify.go).
 *
 * A label set is passed as struct am_labels: parallel arrays of names and
 * values. A label absent from the set and a label with the empty value are
 * the same thing, as in Alertmanager; when a name occurs twice the first
 * occurrence counts. Everything that reads a parsed config only reads it, so
 * any number of threads may route against one config at once. */
#ifndef AN_AMROUTE_H
#define AN_AMROUTE_H

#include <stddef.h>
#include <stdint.h>

struct am_config;
struct am_matchers;

struct am_labels {
	const char *const *names;
	const char *const *values;	/* NUL-terminated, UTF-8 */
	size_t n;
};

enum am_match_type {
	AM_MATCH_EQUAL,		/* = */
	AM_MATCH_NOT_EQUAL,	/* != */
	AM_MATCH_REGEXP,	/* =~ */
	AM_MATCH_NOT_REGEXP	/* !~ */
};

/* --- matchers --- */

/* Parses len bytes of s as Alertmanager's labels.ParseMatchers does: an
 * optional '{' and '}', matchers separated by commas outside double quotes,
 * each `name op value` with the value optionally double-quoted (escapes \"
 * \\ \n; any other backslash is literal). On success returns 0 and *out
 * (free with am_matchers_free), in the order written. On failure returns -1,
 * leaves *out NULL and writes Alertmanager's reason into err ("bad matcher
 * format: x", "matcher value contains unescaped double quote: \"a",
 * "invalid regular expression ..."). */
int am_matchers_parse(const char *s, size_t len, struct am_matchers **out,
    char *err, size_t errlen);

/* 1 when every matcher matches ls (an absent label is ""), 0 when not, -1
 * when out of memory. A regex PCRE2 cannot decide within its match limit
 * fails its matcher, =~ and !~ alike. */
int am_matchers_match(const struct am_matchers *m, const struct am_labels *ls);

size_t am_matchers_count(const struct am_matchers *m);

/* The i-th matcher (i < am_matchers_count). The strings are borrowed from
 * m. A `match_re:` regex reads back as Alertmanager keeps it, "^(?:re)$". */
void am_matchers_get(const struct am_matchers *m, size_t i,
    enum am_match_type *type, const char **name, const char **value);

/* Writes Matchers.String(), `{a="b",c=~"d\n"}` with \ " and newline
 * escaped, into buf as snprintf does (buf may be NULL when size is 0);
 * returns the full length. */
size_t am_matchers_format(const struct am_matchers *m, char *buf, size_t size);

void am_matchers_free(struct am_matchers *m);

/* --- the configuration --- */

/* Parses len bytes of alertmanager.yml. Reads route (the tree), receivers
 * (names, integration kinds and their send_resolved), inhibit_rules,
 * time_intervals and mute_time_intervals (loading the time zone files
 * their locations name); other top-level keys (global, templates, ...)
 * are ignored. Validates what Alertmanager 0.25 validates
 * of those, so a config it loads loads here too (see amroute.c for what is
 * looser). On success returns 0 and *out (free with am_config_free). On
 * failure returns -1, leaves *out NULL and writes "line N: key: what" (or
 * "key: what" without a line) into err, key being the path to the value:
 * "line 12: route.routes[1].matchers[0]: bad matcher format: x". */
int am_config_parse(const char *yaml, size_t len, struct am_config **out,
    char *err, size_t errlen);

void am_config_free(struct am_config *c);

/* --- routes --- */

#define AM_NO_PARENT	((size_t)-1)

/* One node of the routing tree with its effective settings: what it sets,
 * else its parent's, else Alertmanager's defaults. Every pointer is borrowed
 * from the config and valid until am_config_free. */
struct am_route_info {
	size_t id;		/* 0 the root, then depth-first pre-order:
				   Route.Walk's order */
	size_t parent;		/* AM_NO_PARENT for the root */
	size_t depth;		/* 0 the root */
	const char *path;	/* where it is in the YAML: "route",
				   "route.routes[2].routes[0]"; unique */
	const char *key;	/* Alertmanager's Route.Key(), as its logs and
				   group keys print it: `{}/{team="db"}`; not
				   unique (siblings may match alike) */
	unsigned long line;	/* 1-based line of the route's mapping */
	const struct am_matchers *matchers;	/* its own, sorted as
				   Alertmanager sorts them; empty for the root */
	int cont;		/* continue: true */
	size_t n_children;

	const char *receiver;
	/* group_by as written by the nearest route that set a list of label
	 * names; with group_by_all (`['...']`) Alertmanager keeps that
	 * inherited list but groups by every label. */
	const char *const *group_by;
	size_t n_group_by;
	int group_by_all;
	int64_t group_wait_ms;		/* default 30s */
	int64_t group_interval_ms;	/* default 5m */
	int64_t repeat_interval_ms;	/* default 4h */
	/* the route's own time interval names: Alertmanager 0.25 does not
	 * inherit them */
	const char *const *mute_time_intervals;
	size_t n_mute_time_intervals;
	const char *const *active_time_intervals;
	size_t n_active_time_intervals;
};

/* The number of routes, the root included (at least 1). */
size_t am_route_count(const struct am_config *c);

/* Fills *out for route id (< am_route_count). */
void am_route_get(const struct am_config *c, size_t id,
    struct am_route_info *out);

/* The id of the k-th child (k < n_children) of route id. */
size_t am_route_child(const struct am_config *c, size_t id, size_t k);

/* Routes ls as Alertmanager's Route.Match does: depth first, left to right,
 * a child that matches ends the search among its siblings unless it has
 * continue, and a matching route none of whose children match is itself a
 * match. Writes the first max matches, in that order, to out[]. Returns the
 * number of matches (at least 1: the root matches everything), which may
 * exceed max; -1 when out of memory. */
int am_route(const struct am_config *c, const struct am_labels *ls,
    struct am_route_info *out, size_t max);

/* --- receivers and time intervals --- */

size_t am_receiver_count(const struct am_config *c);
const char *am_receiver_name(const struct am_config *c, size_t i);

/* The receiver's integration kinds, each once, in the order the file lists
 * them: "pagerduty" for a non-empty pagerduty_configs, "webhook", "email",
 * ... (any key ending in _configs). *n 0: a receiver that notifies no one. */
const char *const *am_receiver_integrations(const struct am_config *c,
    size_t i, size_t *n);

/* The index of the receiver named name, or -1. */
long am_receiver_find(const struct am_config *c, const char *name);

/* Whether receiver i's first integration (the first item of its first
 * non-empty *_configs, in file order: am_receiver_integrations' first kind)
 * sends resolved notifications: 1 or 0, its send_resolved when written,
 * else Alertmanager 0.25's default for the kind (config/notifiers.go):
 *
 *   true:  webhook, pagerduty, opsgenie, victorops, pushover, sns,
 *          telegram, discord, webex
 *   false: email, slack, wechat
 *
 * Kinds 0.25 does not know take their default in later versions (msteams,
 * msteamsv2, jira, mattermost, incidentio true; rocketchat false), any
 * other kind true. -1 when the receiver has no integration. */
int am_receiver_send_resolved(const struct am_config *c, size_t i);

/* Names of mute_time_intervals then time_intervals, each list in file
 * order: the order Alertmanager reads them in. */
size_t am_time_interval_count(const struct am_config *c);
const char *am_time_interval_name(const struct am_config *c, size_t i);

/* Whether Alertmanager 0.25 would send none of route route_id's
 * notifications at t_ms (Unix milliseconds): 1 when the route has
 * active_time_intervals and no interval of them contains t (TimeActiveStage)
 * or when an interval of its mute_time_intervals contains t
 * (TimeMuteStage), else 0. A route's own lists only: Alertmanager 0.25
 * does not inherit them. An interval contains t as TimeInterval.ContainsTime
 * decides it, in its location (UTC when none is given; "Local" is the zone
 * of /etc/localtime, read when the config was parsed): every field it sets
 * (times, weekdays, days_of_month, months, years) has a range holding t; a
 * field given as an empty list holds nothing. Negative days_of_month count
 * from the month's end with Alertmanager 0.25's month length, the whole
 * days between its first and the next month's first local midnight, so
 * that a month that loses an hour to DST has a day less (-1 is March 30 in
 * Europe/Berlin). Any number of threads may ask at once. */
int am_route_muted(const struct am_config *c, size_t route_id, int64_t t_ms);

/* --- inhibition --- */

size_t am_inhibit_rule_count(const struct am_config *c);

/* The rule's equal label names, as written. */
const char *const *am_inhibit_rule_equal(const struct am_config *c, size_t i,
    size_t *n);

/* Rule i's source and target matchers (the old source_match and
 * source_match_re forms included), borrowed from c. */
void am_inhibit_rule_matchers(const struct am_config *c, size_t i,
    const struct am_matchers **source, const struct am_matchers **target);

/* Whether a firing alert with labels source inhibits one with labels
 * target, as inhibit.go's Mutes decides with source in the rule's cache: for
 * some rule, target matches the target side, source the source side, every
 * equal label has the same value in both (absent counts as ""), and not
 * both alerts match both sides. Returns 1 and that rule's index in *rule
 * (when rule is not NULL; the first such rule), 0 when no rule inhibits,
 * -1 when out of memory. */
int am_inhibits(const struct am_config *c, const struct am_labels *source,
    const struct am_labels *target, size_t *rule);

#define AM_INHIBIT_SOURCE	1
#define AM_INHIBIT_TARGET	2

/* Which sides of rule i match ls: AM_INHIBIT_SOURCE | AM_INHIBIT_TARGET, or
 * -1 when out of memory. Both: an alert that can be inhibited by alerts
 * like itself only when they do not match the target side (the two-sided
 * exclusion), the case a mirror or cycle check looks for. */
int am_inhibit_sides(const struct am_config *c, size_t i,
    const struct am_labels *ls);

/* Checks the config's inhibit rules against the label sets of every alert
 * identity seen (sets[0..n)) before more rules are proposed. Returns 1 and
 * writes a one-line reason naming the rule indexes and the alerts into why
 * (as snprintf; why may be NULL when whylen is 0) when:
 *
 *   - an alert can mute one that can, directly or through a chain, mute it
 *     back (a mirror pair A <-> B, a cycle A -> B -> C -> A): firing
 *     together, they all stay muted, since an inhibited alert still
 *     inhibits; "mutes" is am_inhibits' (two-sided exclusion included);
 *   - a rule's equal label is absent (or "") in an alert that matches
 *     the rule's source or target side: "" equals "", so that alert mutes,
 *     or is muted by, alerts of every cluster (or whatever the label
 *     tells apart) that lack it too.
 *
 * The first problem found is reported. Returns 0 when there is none, -1
 * when out of memory. Cost: O(n * rules) matcher evaluations, then
 * O(n^2 * rules) comparisons of equal labels at worst; memory O(n * (rules
 * + equal labels)). */
int am_inhibit_unsafe(const struct am_config *c, const struct am_labels *sets,
    size_t n, char *why, size_t whylen);

#endif
