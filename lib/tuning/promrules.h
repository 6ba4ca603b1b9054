/* promrules.h -- the user's Prometheus alerting rules, and patches to them.
 *
 * Reads Prometheus 2.42's rule files (model/rulefmt) and its
 * GET /api/v1/rules answer into one set of groups and alerting rules, so the
 * recommendations can compare what a rule says (for, keep_firing_for, the
 * group's interval) with what its alerts did. Recording rules are counted
 * and skipped. pr_patch_rule rewrites one rule's `for:` or
 * `keep_firing_for:` in the file's text and changes nothing else, so the
 * result can be offered to the user as a diff (udiff.h).
 *
 * Every function takes the text, not a file name: it may come from disk or
 * from Prometheus' API. The file name given is used in messages and kept in
 * the rules. */
#ifndef AN_PROMRULES_H
#define AN_PROMRULES_H

#include <stddef.h>
#include <stdint.h>

/* Limits on untrusted input, checked before it is parsed: a rule file, the
 * API's JSON answer, and the alerting rules one set may hold. */
#define PR_FILE_MAX	(16 * 1024 * 1024)
#define PR_JSON_MAX	(64 * 1024 * 1024)
#define PR_MAX_RULES	100000

struct pr_rules;

struct pr_label {
	const char *name;
	const char *value;
};

/* One alerting rule. Every pointer is borrowed from the set that holds it. */
struct pr_rule {
	const char *alert;
	const char *expr;		/* as written (a file), or the
					   query Prometheus prints (the API) */
	int64_t for_ms;			/* 0 when absent */
	int64_t keep_firing_for_ms;	/* 0 when absent */
	const struct pr_label *labels;	/* static labels, sorted by name */
	size_t n_labels;
	size_t group;			/* index for pr_rules_group */
	const char *group_name;
	const char *file;		/* the name given to pr_rules_add_file,
					   or the API's "file" */
	/* Where the rule is written, for pr_patch_rule; all 0 when it came
	 * from the API. Lines are 1-based, the column 0-based. */
	unsigned long line;		/* the rule's mapping ("- alert: X") */
	unsigned long expr_line;	/* expr:'s value */
	unsigned long for_line;		/* for:'s value, 0 when absent */
	unsigned long kff_line;		/* keep_firing_for:'s value, 0 when
					   absent */
	unsigned long column;		/* where the mapping's keys start */
};

struct pr_group {
	const char *name;
	const char *file;
	int64_t interval_ms;		/* a file: 0 when it inherits the
					   global evaluation_interval; the API
					   reports the interval in effect */
	unsigned long line;		/* 0 from the API */
	size_t first_rule;		/* its alerting rules are
					   first_rule .. first_rule+n_rules-1 */
	size_t n_rules;
	size_t n_recording;		/* recording rules skipped */
};

/* Returns an empty set, or NULL when out of memory. Free with
 * pr_rules_free. */
struct pr_rules *pr_rules_new(void);

void pr_rules_free(struct pr_rules *rs);

/* Parses len bytes of a rule file named file (YAML: groups[].name,
 * interval, limit, rules[].alert|record, expr, for, keep_firing_for, labels,
 * annotations) and appends its groups and alerting rules to rs. Checks what
 * Prometheus' rulefmt.Parse checks, except that expressions are not parsed
 * (only required) and templates are not checked: unknown keys, duplicate
 * keys, an empty or repeated group name, both or neither of alert and
 * record, bad durations, bad label names. Merge keys ("<<") are read as
 * YAML defines them; only the first document may hold anything.
 *
 * Returns 0, or -1 with rs unchanged and "file:line: key: what" (the key a
 * path such as groups[1].rules[0].for) in err. The text must be at most
 * PR_FILE_MAX bytes; file is copied. */
int pr_rules_add_file(struct pr_rules *rs, const char *file, const char *text,
    size_t len, char *err, size_t errlen);

/* Parses Prometheus' GET /api/v1/rules answer (status "success",
 * data.groups[].name, file, interval and rules[] of type "alerting" with
 * name, query, duration, keepFiringFor, labels; web/api/v1/api.go
 * RuleDiscovery) and appends it to rs. Times are seconds; a missing
 * keepFiringFor is 0. Returns 0, or -1 with rs unchanged and
 * "/api/v1/rules: key: what" in err. At most PR_JSON_MAX bytes. */
int pr_rules_add_api(struct pr_rules *rs, const char *json, size_t len,
    char *err, size_t errlen);

size_t pr_rules_count(const struct pr_rules *rs);
size_t pr_rules_group_count(const struct pr_rules *rs);
size_t pr_rules_recording_count(const struct pr_rules *rs);

/* The i-th alerting rule or group, in the order added and written. The
 * pointer is valid until the next add to rs or pr_rules_free. */
const struct pr_rule *pr_rules_get(const struct pr_rules *rs, size_t i);
const struct pr_group *pr_rules_group(const struct pr_rules *rs, size_t i);

/* Reads global.evaluation_interval out of len bytes of prometheus.yml (the
 * file, or data.yaml of GET /api/v1/status/config); 1m when not set. Other
 * keys are not looked at. Returns 0 and *ms, or -1 with "key: what" (or
 * "line N: ..." for YAML syntax) in err. At most PR_FILE_MAX bytes. */
int pr_eval_interval(const char *yaml, size_t len, int64_t *ms, char *err,
    size_t errlen);

/* Returns len bytes of rule file text with rule r's for: set to new_for_ms
 * and its keep_firing_for: to new_kff_ms (-1: leave it), and every other
 * byte as it was: comments, quoting, layout. A value is written as
 * Prometheus prints durations, in the old value's quoting style. A missing
 * key is inserted on its own line at the rule's key indentation: for: after
 * expr:'s value (after the whole block scalar), keep_firing_for: after for:
 * (before expr: or for: when that value ends a text without a final line
 * break).
 * Setting a missing key to 0 inserts nothing; a value already equal is left
 * as written.
 *
 * r may come from an earlier parse of the text, of an older version of it,
 * or from the API: the rule is the alerting rule of group r->group_name (any
 * group when NULL) named r->alert written at r->line; else the one of those
 * whose expr is r->expr; else the only one. Refused, with an error, rather
 * than guessed: a flow-style rule mapping ({alert: x, for: 1m}), a rule using
 * a merge key, a value shared through an anchor or written as a block
 * scalar or with escapes, a text that is not UTF-8. The result is parsed
 * again before it is returned and must hold the new values, with every
 * other rule of the file as before.
 *
 * On success returns 0 and *out (NUL-terminated, caller frees) of *outlen
 * bytes. On failure returns -1, *out NULL, and "file:line: key: what" in
 * err, file being r->file. */
int pr_patch_rule(const char *text, size_t len, const struct pr_rule *r,
    int64_t new_for_ms, int64_t new_kff_ms, char **out, size_t *outlen,
    char *err, size_t errlen);

#endif
