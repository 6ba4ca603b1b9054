/* ampatch.h -- edits to the user's own alertmanager.yml.
 *
 * A recommendation to route some alerts elsewhere, or to inhibit them, is
 * handed to the user as a patch to the file they maintain, not as a file
 * we wrote: every byte the edit does not need (comments, quoting, key
 * order, blank lines) stays as it was. Each edit is checked before it is
 * returned: the new text loads (am_config_parse) and routes every alert it
 * does not name exactly as the old text did.
 *
 * The text is edited, not re-emitted: the node to change is found with
 * libyaml's marks and the new lines are inserted in block style at its
 * indentation. What cannot be edited that way without guessing is refused
 * with a reason: a flow-style route ({receiver: x}), a non-empty flow-style
 * list to add to, YAML anchors, aliases and merge keys (<<) on the way to
 * the edit. */
#ifndef AN_AMPATCH_H
#define AN_AMPATCH_H

#include <stddef.h>
#include <stdint.h>

struct am_config;

/* A new route. Strings are borrowed; arrays may be NULL when their count
 * is 0. */
struct amp_route {
	/* Alertmanager matchers ('team="db"', 'severity=~"crit.*"', or
	 * several in one string as in `matchers:`); none: every alert that
	 * reaches the parent */
	const char *const *matchers;
	size_t n_matchers;
	const char *receiver;		/* NULL: the parent's */
	/* label names, or the one name "..."; NULL or none: the parent's */
	const char *const *group_by;
	size_t n_group_by;
	int64_t group_wait_ms;		/* -1: the parent's */
	int64_t group_interval_ms;	/* -1: the parent's */
	int64_t repeat_interval_ms;	/* -1: the parent's */
	int cont;			/* continue: true */
};

/* A new inhibit rule: alerts matching target_matchers are muted while an
 * alert matching source_matchers fires with the same equal labels. */
struct amp_inhibit {
	const char *const *source_matchers;
	size_t n_source_matchers;
	const char *const *target_matchers;
	size_t n_target_matchers;
	const char *const *equal;	/* label names; none: no equal: */
	size_t n_equal;
};

/* Returns the len bytes of yaml (an alertmanager.yml) with sub inserted as
 * the first child of route parent_route_id, so that it is tried before
 * the parent's other children. c is yaml parsed by am_config_parse; the
 * route id is its (am_route_get). The route is written as one block
 * sequence item at the indentation of the parent's other children:
 *
 *     - matchers: ['team="db"', 'severity=~"critical|page"']
 *       receiver: db-pager
 *       group_by: [alertname, cluster]
 *       group_wait: 10s
 *       continue: true
 *
 * (keys the route leaves to the parent omitted, matchers single-quoted,
 * other strings plain when YAML reads them back as the same string,
 * durations as Prometheus writes them). It goes before the first child and
 * the comment lines just above it; a parent without `routes:` gets one
 * after its last key, a `routes:` that is empty (null, ~, []) gets a block
 * list. Every other byte of yaml is kept. Line breaks are written as the
 * file's first one ("\n" or "\r\n").
 *
 * Refused (-1 and why in err): a parent written as a flow mapping, a
 * non-empty flow-style routes list, an anchor, alias or merge key (<<) on
 * the parent, on a route or routes list between it and the root, or on
 * `route:`; a matcher Alertmanager cannot parse, an undefined receiver, a
 * route that sets nothing; a c that is not yaml's; and any result that does
 * not pass the check: it must load with am_config_parse, hold the new
 * route at the parent's path + ".routes[0]" with exactly the settings of
 * sub, and hold every other route with the same matchers, receiver,
 * group_by, timers, continue, time intervals and children as before (its
 * path's index under the parent shifted by one), the receivers and the
 * inhibit rules as they were.
 *
 * On success returns 0 and *out, NUL-terminated, of *outlen bytes (caller
 * frees). On failure returns -1, *out NULL, and the reason in err. */
int amp_add_subroute(const char *yaml, size_t len, const struct am_config *c,
    size_t parent_route_id, const struct amp_route *sub, char **out,
    size_t *outlen, char *err, size_t errlen);

/* Returns the len bytes of yaml with r appended to inhibit_rules, in block
 * style after the last rule, at its indentation:
 *
 *     - source_matchers: ['severity="critical"']
 *       target_matchers: ['severity="warning"']
 *       equal: [alertname, cluster]
 *
 * An empty inhibit_rules (null, ~, []) gets a block list; a file without
 * it gets a top-level `inhibit_rules:` after the first document's content
 * (at the end of the file when it has one document). Every other byte is
 * kept. Refused (-1 and why in err): a non-empty flow-style inhibit_rules,
 * an alias or merge key on the way to it, a flow-style top level, a matcher
 * Alertmanager cannot parse, and a result that does not load or does not
 * hold the old rules, then r, with the routes and receivers unchanged.
 *
 * On success returns 0 and *out, NUL-terminated, of *outlen bytes (caller
 * frees). On failure returns -1, *out NULL, and the reason in err. */
int amp_add_inhibit_rule(const char *yaml, size_t len,
    const struct amp_inhibit *r, char **out, size_t *outlen, char *err,
    size_t errlen);

#endif
