/* promrules.c -- Prometheus alerting rules: rule files, the rules API, and
 * patches to a rule's for: (see promrules.h).
 *
 * What is reproduced, and from where (prometheus/prometheus v2.42.0):
 *
 *   - model/rulefmt/rulefmt.go: the file format (RuleGroups, RuleGroup,
 *     RuleNode) decoded as yaml.v3 decodes it with KnownFields: unknown and
 *     duplicate keys are errors, a scalar read as a string is its text
 *     whatever it looks like, null reads as "" or 0, "<<" merges mappings.
 *     RuleGroups.Validate and RuleNode.Validate: group names non-empty and
 *     unique in a file, exactly one of alert and record, expr required,
 *     recording rules without for, keep_firing_for and annotations and with
 *     a metric name, label and annotation names valid, label names other
 *     than __name__. Messages are Prometheus' where it has one.
 *   - prometheus/common model.ParseDuration for for, keep_firing_for and
 *     interval (cfg_parse_duration), model.Duration.String to write them.
 *   - web/api/v1/api.go RuleDiscovery, RuleGroup, AlertingRule and
 *     RecordingRule: the JSON of GET /api/v1/rules.
 *   - config/config.go DefaultGlobalConfig: evaluation_interval 1m.
 *
 * Where we are looser: expressions are not parsed, label and annotation
 * templates are not checked, and a file with a second YAML document is
 * refused (Prometheus reads the first and ignores the rest).
 *
 * A set keeps its strings in an arena it owns; pr_rules_add_* parse into a
 * fresh set and move it into the caller's only once the whole input is
 * good, so a failure leaves the caller's set as it was.
 *
 * Patching works on the text, guided by libyaml's marks: a scalar's end
 * mark, converted from characters to bytes, locates the value to replace or
 * the line after which to insert. Anything the marks cannot place exactly
 * is refused, and the result is parsed once more and compared rule by rule
 * with the original before it is handed out. */
#include "promrules.h"

#include <assert.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "yamlnode.h"

/* Further limits: the bytes a set's strings may take (an alias can repeat
 * a long expr into many rules), the YAML nodes one parse may visit once
 * aliases are followed, the labels or annotations of one rule, and how
 * deep merge keys may nest. */
#define PR_MAX_BYTES		(256 * 1024 * 1024)
#define PR_MAX_VISITS		(4 * 1024 * 1024)
#define PR_MAX_LABELS		1024
#define PR_MAX_MERGE_DEPTH	16
/* How much of an offending value an error message quotes. */
#define PR_QUOTE_MAX		64
/* The longest duration written: cfg_format_duration's output. */
#define DUR_TEXT_MAX		64
/* config/config.go DefaultGlobalConfig.EvaluationInterval */
#define DEFAULT_EVAL_MS		(60 * 1000)

/* --- the set --- */

struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	max_align_t	 data[];
};

struct pr_rules {
	struct pr_group	*groups;	/* owned, ngroups of capgroups */
	size_t		 ngroups, capgroups;
	struct pr_rule	*rules;		/* owned, nrules of caprules */
	size_t		 nrules, caprules;
	size_t		 nrecording;
	struct chunk	*arena;		/* owned; every string and label
					   array, newest chunk first */
	size_t		 arena_bytes;
};

struct pr_rules *
pr_rules_new(void)
{
	return calloc(1, sizeof(struct pr_rules));
}

void
pr_rules_free(struct pr_rules *rs)
{
	struct chunk *c, *next;

	if (rs == NULL)
		return;
	for (c = rs->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(rs->groups);
	free(rs->rules);
	free(rs);
}

size_t
pr_rules_count(const struct pr_rules *rs)
{
	return rs->nrules;
}

size_t
pr_rules_group_count(const struct pr_rules *rs)
{
	return rs->ngroups;
}

size_t
pr_rules_recording_count(const struct pr_rules *rs)
{
	return rs->nrecording;
}

const struct pr_rule *
pr_rules_get(const struct pr_rules *rs, size_t i)
{
	assert(i < rs->nrules);
	return &rs->rules[i];
}

const struct pr_group *
pr_rules_group(const struct pr_rules *rs, size_t i)
{
	assert(i < rs->ngroups);
	return &rs->groups[i];
}

/* Returns n bytes, aligned for any type, from rs's arena; NULL when out of
 * memory or past PR_MAX_BYTES. */
static void *
arena_alloc(struct pr_rules *rs, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = rs->arena;
	size_t cap;
	void *p;

	n = n == 0 ? align : (n + align - 1) / align * align;
	if (n > PR_MAX_BYTES)
		return NULL;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > 65536 ? n : 65536;
		if (rs->arena_bytes > PR_MAX_BYTES - cap)
			return NULL;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = rs->arena;
		rs->arena = c;
		rs->arena_bytes += cap;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static const char *
arena_strndup(struct pr_rules *rs, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(rs, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static const char *
arena_strdup(struct pr_rules *rs, const char *s)
{
	return arena_strndup(rs, s, strlen(s));
}

/* Returns p (an array of *cap elements of size sz) grown to hold at least
 * need, and updates *cap; NULL when out of memory, p left as it was. */
static void *
grow(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / sz)
			return NULL;
		ncap *= 2;
	}
	if ((p = realloc(p, ncap * sz)) != NULL)
		*cap = ncap;
	return p;
}

/* Appends src's groups and rules to dst and hands it src's arena; src is
 * left empty. Returns 0, or -1 (out of memory) with both unchanged. */
static int
rules_move(struct pr_rules *dst, struct pr_rules *src)
{
	struct pr_group *g;
	struct pr_rule *r;
	struct chunk **tail;
	size_t i;

	if (src->ngroups > SIZE_MAX - dst->ngroups ||
	    src->nrules > SIZE_MAX - dst->nrules)
		return -1;	/* cannot happen: both are capped */
	if ((g = grow(dst->groups, &dst->capgroups,
	    dst->ngroups + src->ngroups, sizeof(*g))) == NULL)
		return -1;
	dst->groups = g;
	if ((r = grow(dst->rules, &dst->caprules, dst->nrules + src->nrules,
	    sizeof(*r))) == NULL)
		return -1;
	dst->rules = r;
	for (i = 0; i < src->ngroups; i++) {
		g = &dst->groups[dst->ngroups + i];
		*g = src->groups[i];
		g->first_rule += dst->nrules;
	}
	for (i = 0; i < src->nrules; i++) {
		r = &dst->rules[dst->nrules + i];
		*r = src->rules[i];
		r->group += dst->ngroups;
	}
	dst->ngroups += src->ngroups;
	dst->nrules += src->nrules;
	dst->nrecording += src->nrecording;
	for (tail = &src->arena; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = dst->arena;
	dst->arena = src->arena;
	dst->arena_bytes += src->arena_bytes;
	src->arena = NULL;
	src->arena_bytes = 0;
	src->ngroups = src->nrules = src->nrecording = 0;
	return 0;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pr_label *)a)->name,
	    ((const struct pr_label *)b)->name);
}

/* --- errors --- */

/* Writes "file:line: key: message" into err, cut to fit; "file:" is left
 * out when file is NULL (then ":line" reads "line N"), ":line" when line is
 * 0, "key: " when key is NULL. Allocates nothing. Returns -1. */
static int
vfail(char *err, size_t errlen, const char *file, unsigned long line,
    const char *key, const char *fmt, va_list ap)
{
	size_t off = 0;
	int n = 0;

	if (err == NULL || errlen == 0)
		return -1;
	err[0] = '\0';
	if (file != NULL && line > 0)
		n = snprintf(err, errlen, "%s:%lu: ", file, line);
	else if (file != NULL)
		n = snprintf(err, errlen, "%s: ", file);
	else if (line > 0)
		n = snprintf(err, errlen, "line %lu: ", line);
	off = n < 0 ? 0 : (size_t)n;
	if (key != NULL && off < errlen) {
		n = snprintf(err + off, errlen - off, "%s: ", key);
		off += n < 0 ? 0 : (size_t)n;
	}
	if (off < errlen)
		vsnprintf(err + off, errlen - off, fmt, ap);
	return -1;
}

static int
failf(char *err, size_t errlen, const char *file, unsigned long line,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int
failf(char *err, size_t errlen, const char *file, unsigned long line,
    const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, errlen, file, line, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- YAML --- */

/* The nodes that lead to one alerting rule, for pr_patch_rule. */
struct where {
	yaml_node_t	*groups, *group, *rules, *rule;
};

struct loader {
	const char	*file;		/* for messages; NULL: "line N" */
	yaml_document_t	*doc;
	struct pr_rules	*rs;		/* a fresh set being filled */
	size_t		 base_rules;	/* in the set it is for */
	size_t		 visits;
	char		*err;
	size_t		 errlen;
	struct where	*where;		/* owned; one per alerting rule, when
					   want_where */
	size_t		 capwhere;
	int		 want_where;
};

static int
fail(struct loader *ld, const yaml_node_t *n, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fails with "file:line: key: what", line being n's (none when NULL). */
static int
fail(struct loader *ld, const yaml_node_t *n, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld->err, ld->errlen, ld->file,
	    n != NULL ? (unsigned long)n->start_mark.line + 1 : 0, key, fmt,
	    ap);
	va_end(ap);
	return -1;
}

/* A "<<" key: plain, or tagged !!merge. */
static int
is_merge_key(const yaml_node_t *k)
{
	if (k->type != YAML_SCALAR_NODE)
		return 0;
	if (k->tag != NULL && strcmp((const char *)k->tag,
	    "tag:yaml.org,2002:merge") == 0)
		return 1;
	return k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

static yaml_node_t *
get_node(const struct loader *ld, int id)
{
	return yaml_document_get_node(ld->doc, id);
}

/* Counts a visit to a node; fails past PR_MAX_VISITS (aliases repeat). */
static int
visit(struct loader *ld, const yaml_node_t *n, const char *key)
{
	if (++ld->visits > PR_MAX_VISITS)
		return fail(ld, n, key, "more than %d YAML nodes once aliases "
		    "are followed", PR_MAX_VISITS);
	return 0;
}

/* Sets *s to the text of scalar n ("" for null), borrowed from the
 * document. Fails on anything else, and on a text holding a NUL byte. */
static int
get_string(struct loader *ld, const yaml_node_t *n, const char *key,
    const char **s)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, n, key, "expected a string, got %s",
		    yn_kind(n));
	if (yn_is_null(n)) {
		*s = "";
		return 0;
	}
	*s = (const char *)n->data.scalar.value;
	if (strlen(*s) != n->data.scalar.length)
		return fail(ld, n, key, "string holds a NUL byte");
	return 0;
}

/* Parses scalar n as a Prometheus duration; null is 0. */
static int
get_duration(struct loader *ld, const yaml_node_t *n, const char *key,
    int64_t *ms)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, n, key, "expected a duration, got %s",
		    yn_kind(n));
	if (yn_is_null(n)) {
		*ms = 0;
		return 0;
	}
	if (get_string(ld, n, key, &s) < 0)
		return -1;
	if (cfg_parse_duration(s, ms) < 0)
		return fail(ld, n, key, "not a valid duration string: \"%.*s%s\"",
		    PR_QUOTE_MAX, s, strlen(s) > PR_QUOTE_MAX ? "..." : "");
	return 0;
}

/* One known key of a mapping: where it was found. */
struct field {
	const char	*name;
	yaml_node_t	*key, *val;	/* NULL when absent */
};

/* Fills f[] (nf known keys, at most 8) from mapping map at path: first its
 * own keys, then, for keys still absent, those of the mappings merged in
 * with "<<" (a mapping or a sequence of them, earlier ones first). Fails
 * on an unknown key, a key repeated in one mapping, a bad merge. */
static int
get_fields(struct loader *ld, yaml_node_t *map, const char *path,
    struct field *f, size_t nf, int depth)
{
	yaml_node_t *own_key[8] = { 0 }, *own_val[8] = { 0 }, *k, *v, *m;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	char key[256];
	const char *s;
	size_t i;

	assert(nf <= 8);
	if (depth > PR_MAX_MERGE_DEPTH)
		return fail(ld, map, path, "merge keys nested deeper than %d",
		    PR_MAX_MERGE_DEPTH);
	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, map, path, "expected a mapping, got %s",
		    yn_kind(map));
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = get_node(ld, p->key);
		if (visit(ld, k, path) < 0)
			return -1;
		if (is_merge_key(k))
			continue;
		if (k->type != YAML_SCALAR_NODE)
			return fail(ld, k, path, "expected a key, got %s",
			    yn_kind(k));
		s = (const char *)k->data.scalar.value;
		snprintf(key, sizeof(key), "%s.%.*s", path, PR_QUOTE_MAX, s);
		for (i = 0; i < nf; i++)
			if (strcmp(f[i].name, s) == 0)
				break;
		if (i == nf)
			return fail(ld, k, key, "unknown key");
		if (own_key[i] != NULL)
			return fail(ld, k, key, "duplicate key (first on line "
			    "%lu)", yn_line(own_key[i]));
		own_key[i] = k;
		own_val[i] = get_node(ld, p->value);
	}
	for (i = 0; i < nf; i++)
		if (f[i].key == NULL && own_key[i] != NULL) {
			f[i].key = own_key[i];
			f[i].val = own_val[i];
		}
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = get_node(ld, p->key);
		if (!is_merge_key(k))
			continue;
		v = get_node(ld, p->value);
		if (v->type == YAML_MAPPING_NODE) {
			if (get_fields(ld, v, path, f, nf, depth + 1) < 0)
				return -1;
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(ld, v, path, "merge key: expected a mapping "
			    "or a sequence of mappings, got %s", yn_kind(v));
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			m = get_node(ld, *it);
			if (visit(ld, m, path) < 0)
				return -1;
			if (m->type != YAML_MAPPING_NODE)
				return fail(ld, m, path, "merge key: expected a "
				    "mapping, got %s", yn_kind(m));
			if (get_fields(ld, m, path, f, nf, depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

/* [a-zA-Z_][a-zA-Z0-9_]*, and with ':' too when colons (a metric name). */
static int
valid_name(const char *s, int colons)
{
	const char *p;

	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_' || (colons && *p == ':'))
			continue;
		if (p > s && *p >= '0' && *p <= '9')
			continue;
		return 0;
	}
	return 1;
}

struct pairs {
	struct pr_label	*v;		/* owned array; strings borrowed
					   from the document */
	size_t		 n, cap;
};

/* Appends the pairs of mapping map (labels or annotations at path) to pl,
 * own keys first, then merged ones not already there. Fails on a non-scalar
 * value, a bad or repeated name. */
static int
get_pairs(struct loader *ld, yaml_node_t *map, const char *path,
    int annotations, struct pairs *pl, int depth)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *m;
	struct pr_label *nv;
	char key[256];
	const char *name, *value;
	size_t own = pl->n, i;

	if (depth > PR_MAX_MERGE_DEPTH)
		return fail(ld, map, path, "merge keys nested deeper than %d",
		    PR_MAX_MERGE_DEPTH);
	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, map, path, "expected a mapping, got %s",
		    yn_kind(map));
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = get_node(ld, p->key);
		v = get_node(ld, p->value);
		if (visit(ld, k, path) < 0)
			return -1;
		if (is_merge_key(k))
			continue;
		if (get_string(ld, k, path, &name) < 0)
			return -1;
		snprintf(key, sizeof(key), "%s.%.*s", path, PR_QUOTE_MAX, name);
		if (!valid_name(name, 0) ||
		    (!annotations && strcmp(name, "__name__") == 0))
			return fail(ld, k, path, "invalid %s name: %.*s",
			    annotations ? "annotation" : "label", PR_QUOTE_MAX,
			    name);
		if (get_string(ld, v, key, &value) < 0)
			return -1;
		for (i = 0; i < pl->n; i++)
			if (strcmp(pl->v[i].name, name) == 0)
				break;
		if (i < own)
			continue;	/* merged: set already */
		if (i < pl->n)
			return fail(ld, k, key, "duplicate key");
		if (pl->n >= PR_MAX_LABELS)
			return fail(ld, k, path, "more than %d keys",
			    PR_MAX_LABELS);
		if ((nv = grow(pl->v, &pl->cap, pl->n + 1, sizeof(*nv))) ==
		    NULL)
			return fail(ld, NULL, NULL, "out of memory");
		pl->v = nv;
		pl->v[pl->n].name = name;
		pl->v[pl->n].value = value;
		pl->n++;
	}
	/* the merged mappings' keys count as set for those merged later */
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		if (!is_merge_key(get_node(ld, p->key)))
			continue;
		v = get_node(ld, p->value);
		if (v->type == YAML_MAPPING_NODE) {
			if (get_pairs(ld, v, path, annotations, pl, depth + 1) <
			    0)
				return -1;
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(ld, v, path, "merge key: expected a mapping "
			    "or a sequence of mappings, got %s", yn_kind(v));
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			m = get_node(ld, *it);
			if (visit(ld, m, path) < 0 ||
			    get_pairs(ld, m, path, annotations, pl, depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

enum { R_RECORD, R_ALERT, R_EXPR, R_FOR, R_KFF, R_LABELS, R_ANNOTATIONS,
    R_N };

static void
rule_fields(struct field *f)
{
	static const char *const names[R_N] = { "record", "alert", "expr",
	    "for", "keep_firing_for", "labels", "annotations" };
	size_t i;

	memset(f, 0, R_N * sizeof(*f));
	for (i = 0; i < R_N; i++)
		f[i].name = names[i];
}

/* Loads one rule (mapping n at path) of group gi into ld->rs: an alerting
 * rule is appended, a recording rule counted. */
static int
load_rule(struct loader *ld, struct where *w, size_t gi, const char *path)
{
	struct pr_rules *rs = ld->rs;
	struct pr_group *g = &rs->groups[gi];
	struct field f[R_N];
	struct pairs labels = { 0 }, annotations = { 0 };
	struct pr_rule *r, *nr;
	struct where *nw;
	struct pr_label *lv;
	yaml_node_t *n = w->rule;
	const char *alert = "", *record = "", *expr = "";
	char key[256];
	int64_t for_ms = 0, kff_ms = 0;
	size_t i;
	int result = -1;

	rule_fields(f);
	if (get_fields(ld, n, path, f, R_N, 0) < 0)
		goto out;
#define KEY(i) (snprintf(key, sizeof(key), "%s.%s", path, f[i].name), key)
	if ((f[R_ALERT].val != NULL &&
	    get_string(ld, f[R_ALERT].val, KEY(R_ALERT), &alert) < 0) ||
	    (f[R_RECORD].val != NULL &&
	    get_string(ld, f[R_RECORD].val, KEY(R_RECORD), &record) < 0) ||
	    (f[R_EXPR].val != NULL &&
	    get_string(ld, f[R_EXPR].val, KEY(R_EXPR), &expr) < 0) ||
	    (f[R_FOR].val != NULL &&
	    get_duration(ld, f[R_FOR].val, KEY(R_FOR), &for_ms) < 0) ||
	    (f[R_KFF].val != NULL &&
	    get_duration(ld, f[R_KFF].val, KEY(R_KFF), &kff_ms) < 0))
		goto out;
	if (f[R_LABELS].val != NULL && !yn_is_null(f[R_LABELS].val) &&
	    get_pairs(ld, f[R_LABELS].val, KEY(R_LABELS), 0, &labels, 0) < 0)
		goto out;
	if (f[R_ANNOTATIONS].val != NULL && !yn_is_null(f[R_ANNOTATIONS].val) &&
	    get_pairs(ld, f[R_ANNOTATIONS].val, KEY(R_ANNOTATIONS), 1,
	    &annotations, 0) < 0)
		goto out;
#undef KEY
	if (*alert != '\0' && *record != '\0') {
		fail(ld, n, path, "only one of 'record' and 'alert' must be set");
		goto out;
	}
	if (*alert == '\0' && *record == '\0') {
		fail(ld, n, path, "one of 'record' or 'alert' must be set");
		goto out;
	}
	if (*expr == '\0') {
		fail(ld, n, path, "field 'expr' must be set in rule");
		goto out;
	}
	if (*record != '\0') {
		if (annotations.n > 0)
			fail(ld, n, path, "invalid field 'annotations' in "
			    "recording rule");
		else if (for_ms != 0)
			fail(ld, n, path, "invalid field 'for' in recording "
			    "rule");
		else if (kff_ms != 0)
			fail(ld, n, path, "invalid field 'keep_firing_for' in "
			    "recording rule");
		else if (!valid_name(record, 1))
			fail(ld, n, path, "invalid recording rule name: %.*s",
			    PR_QUOTE_MAX, record);
		else {
			g->n_recording++;
			rs->nrecording++;
			result = 0;
		}
		goto out;
	}

	if (ld->base_rules + rs->nrules >= PR_MAX_RULES) {
		fail(ld, n, path, "more than %d alerting rules", PR_MAX_RULES);
		goto out;
	}
	if ((nr = grow(rs->rules, &rs->caprules, rs->nrules + 1,
	    sizeof(*nr))) == NULL)
		goto oom;
	rs->rules = nr;
	if (ld->want_where) {
		if ((nw = grow(ld->where, &ld->capwhere, rs->nrules + 1,
		    sizeof(*nw))) == NULL)
			goto oom;
		ld->where = nw;
		ld->where[rs->nrules] = *w;
	}
	r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	r->for_ms = for_ms;
	r->keep_firing_for_ms = kff_ms;
	r->group = gi;
	r->group_name = g->name;
	r->file = g->file;
	r->line = yn_line(n);
	r->column = (unsigned long)n->start_mark.column;
	r->expr_line = yn_line(f[R_EXPR].val);
	if (f[R_FOR].val != NULL)
		r->for_line = yn_line(f[R_FOR].val);
	if (f[R_KFF].val != NULL)
		r->kff_line = yn_line(f[R_KFF].val);
	if ((r->alert = arena_strdup(rs, alert)) == NULL ||
	    (r->expr = arena_strdup(rs, expr)) == NULL)
		goto oom;
	if (labels.n > 0) {
		if ((lv = arena_alloc(rs, labels.n * sizeof(*lv))) == NULL)
			goto oom;
		for (i = 0; i < labels.n; i++)
			if ((lv[i].name = arena_strdup(rs,
			    labels.v[i].name)) == NULL ||
			    (lv[i].value = arena_strdup(rs,
			    labels.v[i].value)) == NULL)
				goto oom;
		qsort(lv, labels.n, sizeof(*lv), label_cmp);
		r->labels = lv;
		r->n_labels = labels.n;
	}
	rs->nrules++;
	g->n_rules++;
	result = 0;
	goto out;
oom:
	fail(ld, NULL, NULL, "out of memory (or more than %d bytes of "
	    "rules)", PR_MAX_BYTES);
out:
	free(labels.v);
	free(annotations.v);
	return result;
}

enum { G_NAME, G_INTERVAL, G_LIMIT, G_RULES, G_N };

/* An integer as yaml.v3 reads one into an int, in its plain decimal
 * form: -?[0-9]+. */
static int
is_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

struct name_ix {
	const char	*name;
	size_t		 i;
};

static int
name_ix_cmp(const void *a, const void *b)
{
	const struct name_ix *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* Fails when two groups of the file have one name, at the second one in
 * the file of the earliest such pair (RuleGroups.Validate). */
static int
check_group_names(struct loader *ld, yaml_node_t *const *gnodes)
{
	struct pr_rules *rs = ld->rs;
	struct name_ix *ix;
	size_t i, bad = SIZE_MAX, first = 0;
	char key[64];

	if (rs->ngroups < 2)
		return 0;
	if ((ix = malloc(rs->ngroups * sizeof(*ix))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	for (i = 0; i < rs->ngroups; i++) {
		ix[i].name = rs->groups[i].name;
		ix[i].i = i;
	}
	qsort(ix, rs->ngroups, sizeof(*ix), name_ix_cmp);
	for (i = 1; i < rs->ngroups; i++)
		if (strcmp(ix[i].name, ix[i - 1].name) == 0 &&
		    (bad == SIZE_MAX || ix[i].i < bad)) {
			bad = ix[i].i;
			first = ix[i - 1].i;
		}
	free(ix);
	if (bad == SIZE_MAX)
		return 0;
	snprintf(key, sizeof(key), "groups[%zu].name", bad);
	return fail(ld, gnodes[bad], key, "groupname: \"%.*s\" is repeated in "
	    "the same file (first on line %lu)", PR_QUOTE_MAX,
	    rs->groups[bad].name, rs->groups[first].line);
}

/* Loads the document's root (a mapping with groups:, or null) into
 * ld->rs. */
static int
load_root(struct loader *ld, yaml_node_t *root)
{
	struct pr_rules *rs = ld->rs;
	struct field top[1] = { { "groups", NULL, NULL } };
	struct field gf[G_N];
	struct pr_group *g;
	struct where w = { 0 };
	yaml_node_t **gnodes = NULL, **ng;
	yaml_node_item_t *it, *rit;
	const char *s, *file;
	char path[128], key[160];
	size_t gi, ri, capg = 0;
	int result = -1;

	if (root == NULL || yn_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, root, NULL, "top level: expected a mapping, "
		    "got %s", yn_kind(root));
	if (get_fields(ld, root, "", top, 1, 0) < 0)
		return -1;
	if (top[0].val == NULL || yn_is_null(top[0].val))
		return 0;
	w.groups = top[0].val;
	if (w.groups->type != YAML_SEQUENCE_NODE)
		return fail(ld, w.groups, "groups", "expected a sequence, "
		    "got %s", yn_kind(w.groups));
	if ((file = arena_strdup(rs, ld->file)) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	for (it = w.groups->data.sequence.items.start, gi = 0;
	    it < w.groups->data.sequence.items.top; it++, gi++) {
		w.group = get_node(ld, *it);
		snprintf(path, sizeof(path), "groups[%zu]", gi);
		if (visit(ld, w.group, path) < 0)
			goto out;
		memset(gf, 0, sizeof(gf));
		gf[G_NAME].name = "name";
		gf[G_INTERVAL].name = "interval";
		gf[G_LIMIT].name = "limit";
		gf[G_RULES].name = "rules";
		if (get_fields(ld, w.group, path, gf, G_N, 0) < 0)
			goto out;
		if ((g = grow(rs->groups, &rs->capgroups, rs->ngroups + 1,
		    sizeof(*g))) == NULL) {
			fail(ld, NULL, NULL, "out of memory");
			goto out;
		}
		rs->groups = g;
		if ((ng = grow(gnodes, &capg, rs->ngroups + 1,
		    sizeof(*ng))) == NULL) {
			fail(ld, NULL, NULL, "out of memory");
			goto out;
		}
		gnodes = ng;
		g = &rs->groups[gi];
		memset(g, 0, sizeof(*g));
		g->file = file;
		g->line = yn_line(w.group);
		g->first_rule = rs->nrules;
		gnodes[gi] = gf[G_NAME].val != NULL ? gf[G_NAME].val : w.group;
		s = "";
		snprintf(key, sizeof(key), "%s.name", path);
		if (gf[G_NAME].val != NULL &&
		    get_string(ld, gf[G_NAME].val, key, &s) < 0)
			goto out;
		if (*s == '\0') {
			fail(ld, gnodes[gi], key, "Groupname must not be empty");
			goto out;
		}
		if ((g->name = arena_strdup(rs, s)) == NULL) {
			fail(ld, NULL, NULL, "out of memory (or more than %d "
			    "bytes of rules)", PR_MAX_BYTES);
			goto out;
		}
		rs->ngroups++;
		snprintf(key, sizeof(key), "%s.interval", path);
		if (gf[G_INTERVAL].val != NULL &&
		    get_duration(ld, gf[G_INTERVAL].val, key,
		    &g->interval_ms) < 0)
			goto out;
		snprintf(key, sizeof(key), "%s.limit", path);
		if (gf[G_LIMIT].val != NULL && !yn_is_null(gf[G_LIMIT].val) &&
		    (get_string(ld, gf[G_LIMIT].val, key, &s) < 0 ||
		    (!is_int(s) && fail(ld, gf[G_LIMIT].val, key,
		    "expected an integer, got \"%.*s\"", PR_QUOTE_MAX, s))))
			goto out;
		if ((w.rules = gf[G_RULES].val) == NULL || yn_is_null(w.rules))
			continue;
		snprintf(key, sizeof(key), "%s.rules", path);
		if (w.rules->type != YAML_SEQUENCE_NODE) {
			fail(ld, w.rules, key, "expected a sequence, got %s",
			    yn_kind(w.rules));
			goto out;
		}
		for (rit = w.rules->data.sequence.items.start, ri = 0;
		    rit < w.rules->data.sequence.items.top; rit++, ri++) {
			w.rule = get_node(ld, *rit);
			snprintf(key, sizeof(key), "%s.rules[%zu]", path, ri);
			if (visit(ld, w.rule, key) < 0 ||
			    load_rule(ld, &w, gi, key) < 0)
				goto out;
		}
	}
	result = check_group_names(ld, gnodes);
out:
	free(gnodes);
	return result;
}

/* The 1-based line of byte offset off in text. */
static unsigned long
line_at(const char *text, size_t len, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Describes the parser's error. Returns -1. */
static int
fail_yaml(struct loader *ld, const yaml_parser_t *p, const char *text,
    size_t len)
{
	unsigned long line;

	if (p->error == YAML_MEMORY_ERROR || p->problem == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	if (p->error == YAML_READER_ERROR)	/* bad encoding: no mark */
		line = line_at(text, len, p->problem_offset);
	else
		line = (unsigned long)p->problem_mark.line + 1;
	return failf(ld->err, ld->errlen, ld->file, line, NULL,
	    "YAML syntax error: %s", p->problem);
}

/* Parses len bytes of text into *doc (the caller deletes it when this
 * returns 0) and refuses a second document. */
static int
parse_doc(struct loader *ld, yaml_parser_t *parser, const char *text,
    size_t len, yaml_document_t *doc)
{
	yaml_document_t extra;
	yaml_node_t *root;

	if (len > PR_FILE_MAX)
		return fail(ld, NULL, NULL, "larger than %d bytes",
		    PR_FILE_MAX);
	yaml_parser_set_input_string(parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(parser, doc))
		return fail_yaml(ld, parser, text, len);
	if (yaml_document_get_root_node(doc) == NULL)
		return 0;
	if (!yaml_parser_load(parser, &extra)) {
		fail_yaml(ld, parser, text, len);
		goto bad;
	}
	root = yaml_document_get_root_node(&extra);
	if (root != NULL)
		fail(ld, root, NULL, "only one YAML document is allowed");
	yaml_document_delete(&extra);
	if (root == NULL)
		return 0;
bad:
	yaml_document_delete(doc);
	return -1;
}

/* Parses a rule file into a fresh set *out (freed by the caller, also on
 * failure). With want_where, *where gets one entry per alerting rule and
 * the document stays in *doc (the caller deletes both when this returns
 * 0). */
static int
load_file(struct loader *ld, yaml_parser_t *parser, const char *text,
    size_t len, yaml_document_t *doc)
{
	int result;

	if (parse_doc(ld, parser, text, len, doc) < 0)
		return -1;
	ld->doc = doc;
	result = load_root(ld, yaml_document_get_root_node(doc));
	if (result < 0 || !ld->want_where)
		yaml_document_delete(doc);
	return result;
}

/* Parses text into a fresh set, *out on success (caller frees). */
static int
parse_rules(const char *file, const char *text, size_t len,
    size_t base_rules, struct pr_rules **out, char *err, size_t errlen)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_document_t doc;
	int result = -1;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	ld.err = err;
	ld.errlen = errlen;
	ld.base_rules = base_rules;
	if ((ld.rs = pr_rules_new()) == NULL)
		return fail(&ld, NULL, NULL, "out of memory");
	if (!yaml_parser_initialize(&parser)) {
		pr_rules_free(ld.rs);
		return fail(&ld, NULL, NULL, "out of memory");
	}
	if (load_file(&ld, &parser, text, len, &doc) == 0) {
		*out = ld.rs;
		ld.rs = NULL;
		result = 0;
	}
	yaml_parser_delete(&parser);
	pr_rules_free(ld.rs);
	return result;
}

int
pr_rules_add_file(struct pr_rules *rs, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct pr_rules *tmp;
	int result;

	assert(rs != NULL && file != NULL && (text != NULL || len == 0));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > PR_FILE_MAX)
		return failf(err, errlen, file, 0, NULL, "larger than %d bytes",
		    PR_FILE_MAX);
	if (parse_rules(file, text ? text : "", len, rs->nrules, &tmp, err,
	    errlen) < 0)
		return -1;
	result = rules_move(rs, tmp);
	pr_rules_free(tmp);
	if (result < 0)
		return failf(err, errlen, file, 0, NULL, "out of memory");
	return 0;
}

/* --- evaluation_interval --- */

/* The value of key in mapping map: own pairs first, then merged ones; NULL
 * when absent. */
static yaml_node_t *
map_find(struct loader *ld, yaml_node_t *map, const char *key, int depth)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *found;

	if (map->type != YAML_MAPPING_NODE || depth > PR_MAX_MERGE_DEPTH)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = get_node(ld, p->key);
		if (k->type == YAML_SCALAR_NODE && !is_merge_key(k) &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return get_node(ld, p->value);
	}
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		if (!is_merge_key(get_node(ld, p->key)))
			continue;
		v = get_node(ld, p->value);
		if (v->type == YAML_MAPPING_NODE &&
		    (found = map_find(ld, v, key, depth + 1)) != NULL)
			return found;
		if (v->type != YAML_SEQUENCE_NODE)
			continue;
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++)
			if ((found = map_find(ld, get_node(ld, *it), key,
			    depth + 1)) != NULL)
				return found;
	}
	return NULL;
}

int
pr_eval_interval(const char *yaml, size_t len, int64_t *ms, char *err,
    size_t errlen)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *global, *v;
	int result = -1;

	assert(ms != NULL && (yaml != NULL || len == 0));
	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	ld.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*ms = DEFAULT_EVAL_MS;
	if (!yaml_parser_initialize(&parser))
		return fail(&ld, NULL, NULL, "out of memory");
	if (parse_doc(&ld, &parser, yaml ? yaml : "", len, &doc) < 0)
		goto out;
	ld.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || yn_is_null(root))
		result = 0;
	else if (root->type != YAML_MAPPING_NODE)
		fail(&ld, root, NULL, "top level: expected a mapping, got %s",
		    yn_kind(root));
	else if ((global = map_find(&ld, root, "global", 0)) == NULL ||
	    yn_is_null(global))
		result = 0;
	else if (global->type != YAML_MAPPING_NODE)
		fail(&ld, global, "global", "expected a mapping, got %s",
		    yn_kind(global));
	else if ((v = map_find(&ld, global, "evaluation_interval", 0)) ==
	    NULL || yn_is_null(v))
		result = 0;
	else
		result = get_duration(&ld, v, "global.evaluation_interval", ms);
	if (result == 0 && *ms == 0)
		result = fail(&ld, NULL, "global.evaluation_interval",
		    "must be greater than 0");
	yaml_document_delete(&doc);
out:
	if (result < 0)
		*ms = DEFAULT_EVAL_MS;
	yaml_parser_delete(&parser);
	return result;
}

/* --- /api/v1/rules --- */

#define API_NAME	"/api/v1/rules"

/* Converts Prometheus' float seconds to milliseconds. */
static int
seconds_ms(const json_t *v, int64_t *ms)
{
	double s;

	if (!json_is_number(v))
		return -1;
	s = json_number_value(v);
	if (!isfinite(s) || s < 0 || s > 9.2e15 / 1000)
		return -1;
	*ms = llround(s * 1000);
	return 0;
}

static const char *
api_string(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Loads one alerting rule (JSON object jr at path) of group gi. */
static int
api_rule(struct pr_rules *rs, size_t base_rules, const json_t *jr,
    size_t gi, const char *path, char *err, size_t errlen)
{
	struct pr_group *g = &rs->groups[gi];
	struct pr_rule *r;
	struct pr_label *lv = NULL;
	const json_t *labels, *v;
	const char *name, *query, *lname;
	int64_t for_ms, kff_ms = 0;
	size_t i;

	if ((name = api_string(jr, "name")) == NULL)
		return failf(err, errlen, API_NAME, 0, path, "name: expected "
		    "a string");
	if ((query = api_string(jr, "query")) == NULL)
		return failf(err, errlen, API_NAME, 0, path, "query: expected "
		    "a string");
	if (seconds_ms(json_object_get(jr, "duration"), &for_ms) < 0)
		return failf(err, errlen, API_NAME, 0, path, "duration: "
		    "expected seconds");
	if ((v = json_object_get(jr, "keepFiringFor")) != NULL &&
	    !json_is_null(v) && seconds_ms(v, &kff_ms) < 0)
		return failf(err, errlen, API_NAME, 0, path, "keepFiringFor: "
		    "expected seconds");
	labels = json_object_get(jr, "labels");
	if (labels != NULL && !json_is_null(labels) &&
	    !json_is_object(labels))
		return failf(err, errlen, API_NAME, 0, path, "labels: "
		    "expected an object");
	if (json_object_size(labels) > PR_MAX_LABELS)
		return failf(err, errlen, API_NAME, 0, path, "labels: more "
		    "than %d", PR_MAX_LABELS);
	if (base_rules + rs->nrules >= PR_MAX_RULES)
		return failf(err, errlen, API_NAME, 0, path, "more than %d "
		    "alerting rules", PR_MAX_RULES);
	if ((r = grow(rs->rules, &rs->caprules, rs->nrules + 1,
	    sizeof(*r))) == NULL)
		goto oom;
	rs->rules = r;
	r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	r->for_ms = for_ms;
	r->keep_firing_for_ms = kff_ms;
	r->group = gi;
	r->group_name = g->name;
	r->file = g->file;
	if ((r->alert = arena_strdup(rs, name)) == NULL ||
	    (r->expr = arena_strdup(rs, query)) == NULL)
		goto oom;
	if (json_object_size(labels) > 0) {
		if ((lv = arena_alloc(rs, json_object_size(labels) *
		    sizeof(*lv))) == NULL)
			goto oom;
		i = 0;
		json_object_foreach((json_t *)labels, lname, v) {
			if (!json_is_string(v))
				return failf(err, errlen, API_NAME, 0, path,
				    "labels.%.*s: expected a string",
				    PR_QUOTE_MAX, lname);
			if ((lv[i].name = arena_strdup(rs, lname)) == NULL ||
			    (lv[i].value = arena_strdup(rs,
			    json_string_value(v))) == NULL)
				goto oom;
			i++;
		}
		qsort(lv, i, sizeof(*lv), label_cmp);
		r->labels = lv;
		r->n_labels = i;
	}
	rs->nrules++;
	g->n_rules++;
	return 0;
oom:
	return failf(err, errlen, API_NAME, 0, NULL, "out of memory (or more "
	    "than %d bytes of rules)", PR_MAX_BYTES);
}

static int
api_rule_groups(struct pr_rules *rs, size_t base_rules, const json_t *root,
    char *err, size_t errlen)
{
	const json_t *data, *groups, *jg, *rules, *jr;
	struct pr_group *g;
	const char *status, *s, *type;
	char path[96];
	size_t gi, ri;

	if (!json_is_object(root))
		return failf(err, errlen, API_NAME, 0, NULL, "expected an "
		    "object");
	if ((status = api_string(root, "status")) == NULL ||
	    strcmp(status, "success") != 0) {
		s = api_string(root, "error");
		return failf(err, errlen, API_NAME, 0, NULL, "status \"%.*s\": "
		    "%.*s", PR_QUOTE_MAX, status ? status : "",
		    4 * PR_QUOTE_MAX, s ? s : "no error given");
	}
	data = json_object_get(root, "data");
	if (!json_is_object(data) ||
	    !json_is_array(groups = json_object_get(data, "groups")))
		return failf(err, errlen, API_NAME, 0, "data.groups",
		    "expected an array");
	json_array_foreach(groups, gi, jg) {
		snprintf(path, sizeof(path), "data.groups[%zu]", gi);
		if (!json_is_object(jg))
			return failf(err, errlen, API_NAME, 0, path, "expected "
			    "an object");
		if ((g = grow(rs->groups, &rs->capgroups, rs->ngroups + 1,
		    sizeof(*g))) == NULL)
			return failf(err, errlen, API_NAME, 0, NULL, "out of "
			    "memory");
		rs->groups = g;
		g = &rs->groups[rs->ngroups];
		memset(g, 0, sizeof(*g));
		g->first_rule = rs->nrules;
		if ((s = api_string(jg, "name")) == NULL)
			return failf(err, errlen, API_NAME, 0, path, "name: "
			    "expected a string");
		if ((g->name = arena_strdup(rs, s)) == NULL)
			return failf(err, errlen, API_NAME, 0, NULL, "out of "
			    "memory");
		if ((s = api_string(jg, "file")) == NULL)
			return failf(err, errlen, API_NAME, 0, path, "file: "
			    "expected a string");
		if ((g->file = arena_strdup(rs, s)) == NULL)
			return failf(err, errlen, API_NAME, 0, NULL, "out of "
			    "memory");
		if (seconds_ms(json_object_get(jg, "interval"),
		    &g->interval_ms) < 0)
			return failf(err, errlen, API_NAME, 0, path, "interval: "
			    "expected seconds");
		rs->ngroups++;
		rules = json_object_get(jg, "rules");
		if (json_is_null(rules) || rules == NULL)
			continue;
		if (!json_is_array(rules))
			return failf(err, errlen, API_NAME, 0, path, "rules: "
			    "expected an array");
		json_array_foreach(rules, ri, jr) {
			snprintf(path, sizeof(path), "data.groups[%zu]."
			    "rules[%zu]", gi, ri);
			if (!json_is_object(jr) ||
			    (type = api_string(jr, "type")) == NULL)
				return failf(err, errlen, API_NAME, 0, path,
				    "expected an object with a type");
			if (strcmp(type, "recording") == 0) {
				g->n_recording++;
				rs->nrecording++;
			} else if (strcmp(type, "alerting") != 0) {
				return failf(err, errlen, API_NAME, 0, path,
				    "type: unknown \"%.*s\"", PR_QUOTE_MAX,
				    type);
			} else if (api_rule(rs, base_rules, jr, rs->ngroups - 1,
			    path, err, errlen) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

int
pr_rules_add_api(struct pr_rules *rs, const char *json, size_t len,
    char *err, size_t errlen)
{
	struct pr_rules *tmp;
	json_error_t jerr;
	json_t *root;
	int result = -1;

	assert(rs != NULL && (json != NULL || len == 0));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > PR_JSON_MAX)
		return failf(err, errlen, API_NAME, 0, NULL, "larger than %d "
		    "bytes", PR_JSON_MAX);
	if ((root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		return failf(err, errlen, API_NAME, 0, NULL, "invalid JSON at "
		    "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
	if ((tmp = pr_rules_new()) == NULL) {
		failf(err, errlen, API_NAME, 0, NULL, "out of memory");
		goto out;
	}
	if (api_rule_groups(tmp, rs->nrules, root, err, errlen) < 0)
		goto out;
	if (rules_move(rs, tmp) < 0) {
		failf(err, errlen, API_NAME, 0, NULL, "out of memory");
		goto out;
	}
	result = 0;
out:
	pr_rules_free(tmp);
	json_decref(root);
	return result;
}

/* --- patching --- */

/* One change to the text: del bytes at off replaced by ins. */
struct edit {
	size_t	 off, del;
	char	 ins[2 * (DUR_TEXT_MAX + 64) + 2 * 256];
};

struct patcher {
	const char	*file;
	const char	*text;
	size_t		 len;
	size_t		 bom;		/* bytes of a UTF-8 BOM libyaml skips */
	yaml_document_t	*doc;
	char		*err;
	size_t		 errlen;
};

/* The byte offset of libyaml's character index idx (a mark's index counts
 * code points, from after any BOM). The text is UTF-8: libyaml checked. */
static size_t
byte_at(const struct patcher *pt, size_t idx)
{
	size_t off = pt->bom;

	while (off < pt->len && idx > 0) {
		off++;
		while (off < pt->len &&
		    ((unsigned char)pt->text[off] & 0xC0) == 0x80)
			off++;
		idx--;
	}
	return off;
}

/* The line break the text uses where the line before off ends ("\r\n" or
 * "\n"); off 0 or one without a break before it takes the text's first. */
static const char *
eol_at(const struct patcher *pt, size_t off)
{
	const char *nl;

	if (off > 0 && pt->text[off - 1] == '\n')
		return off > 1 && pt->text[off - 2] == '\r' ? "\r\n" : "\n";
	nl = memchr(pt->text, '\n', pt->len);
	return nl != NULL && nl > pt->text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Sets *off to where lines inserted after the pair k: v go: the start of
 * the line after v's value (a block scalar's end mark is already there,
 * past its trailing lines). A value that ends the text without a line
 * break would lose that (a block scalar would even take the break into its
 * value): then they go before k's line, when only indentation precedes k
 * there, else (not a block scalar) at the end. Returns 0, or -1 when no
 * place works. */
static int
insert_point(const struct patcher *pt, const yaml_node_t *k,
    const yaml_node_t *v, size_t *off)
{
	size_t e = byte_at(pt, v->end_mark.index), p = e;
	int block = v->type == YAML_SCALAR_NODE &&
	    (v->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    v->data.scalar.style == YAML_FOLDED_SCALAR_STYLE);

	while (p > 0 && (pt->text[p - 1] == ' ' || pt->text[p - 1] == '\t'))
		p--;
	if (p == 0 || pt->text[p - 1] == '\n') {
		*off = p;
		return 0;
	}
	while (e < pt->len && pt->text[e] != '\n')
		e++;
	if (e < pt->len) {
		*off = e + 1;
		return 0;
	}
	p = byte_at(pt, k->start_mark.index);
	while (p > 0 && pt->text[p - 1] == ' ')
		p--;
	if (p == 0 || pt->text[p - 1] == '\n') {
		*off = p;
		return 0;
	}
	*off = e;
	return block ? -1 : 0;
}

/* Sets e to insert lines (each "indent key: value") at off. */
static void
insert_lines(const struct patcher *pt, struct edit *e, size_t off,
    unsigned long col, const char *const *lines, size_t n)
{
	const char *eol = eol_at(pt, off);
	int at_eof = off == pt->len && (off == 0 || pt->text[off - 1] != '\n');
	size_t i, l = 0;
	int w;

	/* the indentation is at most the line's width, which the caller
	 * capped */
	e->off = off;
	e->del = 0;
	for (i = 0; i < n; i++) {
		w = snprintf(e->ins + l, sizeof(e->ins) - l, "%s%*s%s%s",
		    at_eof ? eol : "", (int)col, "", lines[i],
		    at_eof ? "" : eol);
		assert(w > 0 && (size_t)w < sizeof(e->ins) - l);
		l += (size_t)w;
	}
}

/* Sets e to replace scalar v's text (the value of key at path) with
 * value, in v's quoting style. Refuses a block scalar, escapes, anything
 * the marks do not place exactly. */
static int
replace_value(const struct patcher *pt, const yaml_node_t *v,
    const char *path, const char *value, struct edit *e)
{
	const char *s = (const char *)v->data.scalar.value, *t = pt->text;
	size_t n = v->data.scalar.length, end = byte_at(pt, v->end_mark.index);
	char q;

	switch (v->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE:
		if (n == 0 && v->start_mark.index == v->end_mark.index) {
			/* "for:" with nothing after it: a null */
			e->off = end;
			e->del = 0;
			snprintf(e->ins, sizeof(e->ins), "%s%s%s",
			    end > 0 && t[end - 1] == ' ' ? "" : " ", value,
			    end < pt->len && !strchr(" \t\r\n", t[end]) ?
			    " " : "");
			return 0;
		}
		if (n == 0 || n > end || memcmp(t + end - n, s, n) != 0)
			break;
		e->off = end - n;
		e->del = n;
		snprintf(e->ins, sizeof(e->ins), "%s", value);
		return 0;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		q = v->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ?
		    '\'' : '"';
		if (n + 2 > end || t[end - 1] != q || t[end - n - 2] != q ||
		    memcmp(t + end - n - 1, s, n) != 0)
			break;
		e->off = end - n - 1;
		e->del = n;
		snprintf(e->ins, sizeof(e->ins), "%s", value);
		return 0;
	default:
		break;
	}
	return failf(pt->err, pt->errlen, pt->file, yn_line(v), path,
	    "written as a block scalar or with escapes: change it by hand");
}

/* How many times each node of doc is referenced (an alias adds one);
 * refs[id - 1]. NULL when out of memory. */
static unsigned *
node_refs(const yaml_document_t *doc)
{
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);
	const yaml_node_t *nd;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	unsigned *refs;

	if ((refs = calloc(n ? n : 1, sizeof(*refs))) == NULL)
		return NULL;
	for (nd = doc->nodes.start; nd < doc->nodes.top; nd++) {
		if (nd->type == YAML_MAPPING_NODE)
			for (p = nd->data.mapping.pairs.start;
			    p < nd->data.mapping.pairs.top; p++) {
				refs[p->key - 1]++;
				refs[p->value - 1]++;
			}
		else if (nd->type == YAML_SEQUENCE_NODE)
			for (it = nd->data.sequence.items.start;
			    it < nd->data.sequence.items.top; it++)
				refs[*it - 1]++;
	}
	return refs;
}

static unsigned
refs_of(const unsigned *refs, const yaml_document_t *doc,
    const yaml_node_t *n)
{
	return refs[n - doc->nodes.start];
}

/* Finds r's rule in rs (see pr_patch_rule). */
static int
find_rule(const struct pr_rules *rs, const struct pr_rule *r, size_t *at,
    const char *file, char *err, size_t errlen)
{
	const struct pr_rule *c;
	size_t i, n = 0, n_expr = 0, one = 0, one_expr = 0;

	for (i = 0; i < rs->nrules; i++) {
		c = &rs->rules[i];
		if (strcmp(c->alert, r->alert) != 0 || (r->group_name != NULL &&
		    strcmp(c->group_name, r->group_name) != 0))
			continue;
		if (r->line > 0 && c->line == r->line) {
			*at = i;
			return 0;
		}
		n++;
		one = i;
		if (r->expr != NULL && strcmp(c->expr, r->expr) == 0) {
			n_expr++;
			one_expr = i;
		}
	}
	if (n_expr == 1 || n == 1) {
		*at = n_expr == 1 ? one_expr : one;
		return 0;
	}
	if (n == 0)
		return failf(err, errlen, file, 0, NULL, "no alerting rule "
		    "\"%.*s\"%s%.*s%s", PR_QUOTE_MAX, r->alert,
		    r->group_name ? " in group \"" : "", PR_QUOTE_MAX,
		    r->group_name ? r->group_name : "",
		    r->group_name ? "\"" : "");
	return failf(err, errlen, file, 0, NULL, "%zu alerting rules \"%.*s\" "
	    "and none at line %lu with that expr: cannot tell which to change",
	    n, PR_QUOTE_MAX, r->alert, r->line);
}

static int
labels_equal(const struct pr_rule *a, const struct pr_rule *b)
{
	size_t i;

	if (a->n_labels != b->n_labels)
		return 0;
	for (i = 0; i < a->n_labels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}

/* 1 when after holds what before holds with rule at changed to for_ms and
 * kff_ms (-1: unchanged), and nothing else. */
static int
only_changed(const struct pr_rules *before, const struct pr_rules *after,
    size_t at, int64_t for_ms, int64_t kff_ms)
{
	const struct pr_group *gb, *ga;
	const struct pr_rule *b, *a;
	size_t i;

	if (before->ngroups != after->ngroups ||
	    before->nrules != after->nrules ||
	    before->nrecording != after->nrecording)
		return 0;
	for (i = 0; i < before->ngroups; i++) {
		gb = &before->groups[i];
		ga = &after->groups[i];
		if (strcmp(gb->name, ga->name) != 0 ||
		    gb->interval_ms != ga->interval_ms ||
		    gb->n_rules != ga->n_rules ||
		    gb->n_recording != ga->n_recording)
			return 0;
	}
	for (i = 0; i < before->nrules; i++) {
		b = &before->rules[i];
		a = &after->rules[i];
		if (strcmp(b->alert, a->alert) != 0 ||
		    strcmp(b->expr, a->expr) != 0 || b->group != a->group ||
		    !labels_equal(a, b))
			return 0;
		if (a->for_ms != (i == at && for_ms >= 0 ? for_ms : b->for_ms))
			return 0;
		if (a->keep_firing_for_ms != (i == at && kff_ms >= 0 ? kff_ms :
		    b->keep_firing_for_ms))
			return 0;
	}
	return 1;
}

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

/* The own (not merged) value of key in rule mapping map, and in *kn (when
 * not NULL) its key node; NULL when absent. */
static yaml_node_t *
own_value(const yaml_document_t *doc, const yaml_node_t *map,
    const char *key, yaml_node_t **kn)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (kn != NULL)
		*kn = NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node((yaml_document_t *)doc, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0) {
			if (kn != NULL)
				*kn = k;
			return yaml_document_get_node((yaml_document_t *)doc,
			    p->value);
		}
	}
	return NULL;
}

static int
has_merge_key(const yaml_document_t *doc, const yaml_node_t *map)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if (is_merge_key(yaml_document_get_node(
		    (yaml_document_t *)doc, p->key)))
			return 1;
	return 0;
}

/* Plans the edits for rule cur (nodes w) of the parsed text: *nedits, at
 * most 2, into e[]. */
static int
plan_edits(struct patcher *pt, const struct pr_rule *cur,
    const struct where *w, int64_t new_for, int64_t new_kff,
    struct edit *e, size_t *nedits)
{
	const yaml_document_t *doc = pt->doc;
	const yaml_node_t *path_nodes[4] = { w->groups, w->group, w->rules,
	    w->rule };
	yaml_node_t *expr_k, *expr_v, *for_k, *for_v, *kff_v;
	const char *lines[2];
	char for_line[DUR_TEXT_MAX + 32], kff_line[DUR_TEXT_MAX + 32];
	char dur[DUR_TEXT_MAX];
	unsigned *refs;
	size_t i, n = 0, nlines = 0, at;
	unsigned long line = cur->line;
	int result = -1;

	*nedits = 0;
	if ((refs = node_refs(doc)) == NULL)
		return failf(pt->err, pt->errlen, pt->file, 0, NULL,
		    "out of memory");
	if (w->rule->data.mapping.style == YAML_FLOW_MAPPING_STYLE) {
		failf(pt->err, pt->errlen, pt->file, line, cur->alert,
		    "a flow-style rule ({alert: ..., for: ...}) cannot be "
		    "changed in place: write it in block style first");
		goto out;
	}
	if (has_merge_key(doc, w->rule)) {
		failf(pt->err, pt->errlen, pt->file, line, cur->alert,
		    "the rule uses a merge key (<<): change it by hand");
		goto out;
	}
	for (i = 0; i < 4; i++)
		if (refs_of(refs, doc, path_nodes[i]) > 1) {
			failf(pt->err, pt->errlen, pt->file, line, cur->alert,
			    "the rule is shared through a YAML alias: change "
			    "it by hand");
			goto out;
		}
	expr_v = own_value(doc, w->rule, "expr", &expr_k);
	for_v = own_value(doc, w->rule, "for", &for_k);
	kff_v = own_value(doc, w->rule, "keep_firing_for", NULL);
	assert(expr_v != NULL);	/* no merge key, and expr is required */
	if (refs_of(refs, doc, expr_v) > 1 ||
	    (for_v != NULL && refs_of(refs, doc, for_v) > 1) ||
	    (kff_v != NULL && refs_of(refs, doc, kff_v) > 1)) {
		failf(pt->err, pt->errlen, pt->file, line, cur->alert,
		    "a value of the rule is shared through a YAML alias: "
		    "change it by hand");
		goto out;
	}
	if (cur->column > 256) {
		/* keeps the inserted lines within struct edit */
		failf(pt->err, pt->errlen, pt->file, line, cur->alert,
		    "indented by more than 256 columns");
		goto out;
	}

	if (new_for >= 0 && new_for != cur->for_ms) {
		cfg_format_duration(new_for, dur, sizeof(dur));
		if (for_v != NULL) {
			if (replace_value(pt, for_v, "for", dur, &e[n]) < 0)
				goto out;
			n++;
		} else if (new_for > 0) {
			snprintf(for_line, sizeof(for_line), "for: %s", dur);
			lines[nlines++] = for_line;
		}
	}
	if (new_kff >= 0 && new_kff != cur->keep_firing_for_ms) {
		cfg_format_duration(new_kff, dur, sizeof(dur));
		if (kff_v != NULL) {
			if (replace_value(pt, kff_v, "keep_firing_for", dur,
			    &e[n]) < 0)
				goto out;
			n++;
		} else if (new_kff > 0) {
			snprintf(kff_line, sizeof(kff_line),
			    "keep_firing_for: %s", dur);
			lines[nlines++] = kff_line;
		}
	}
	if (nlines > 0) {
		/* a new for: goes after expr:, a new keep_firing_for: after
		 * for: (new or old) */
		if (insert_point(pt, for_v != NULL ? for_k : expr_k,
		    for_v != NULL ? for_v : expr_v, &at) < 0) {
			failf(pt->err, pt->errlen, pt->file, line, cur->alert,
			    "no place for a new line after a block scalar at "
			    "the end of the file: change it by hand");
			goto out;
		}
		insert_lines(pt, &e[n++], at, cur->column, lines, nlines);
	}
	*nedits = n;
	result = 0;
out:
	free(refs);
	return result;
}

int
pr_patch_rule(const char *text, size_t len, const struct pr_rule *r,
    int64_t new_for_ms, int64_t new_kff_ms, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	struct loader ld;
	struct patcher pt;
	struct pr_rules *after = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	struct edit e[2];
	struct buf b;
	const char *file;
	size_t at = 0, n = 0, i, off;
	int have_parser = 0, have_doc = 0, result = -1;

	assert(r != NULL && r->alert != NULL && out != NULL);
	assert(text != NULL || len == 0);
	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	file = r->file != NULL ? r->file : "rules";
	text = text != NULL ? text : "";
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	ld.err = err;
	ld.errlen = errlen;
	ld.want_where = 1;
	buf_init(&b, PR_FILE_MAX + 4096);

	if (new_for_ms < -1 || new_kff_ms < -1)
		return failf(err, errlen, file, 0, NULL, "negative duration");
	if (len > PR_FILE_MAX)
		return failf(err, errlen, file, 0, NULL, "larger than %d bytes",
		    PR_FILE_MAX);
	if ((ld.rs = pr_rules_new()) == NULL ||
	    !yaml_parser_initialize(&parser)) {
		failf(err, errlen, file, 0, NULL, "out of memory");
		goto out;
	}
	have_parser = 1;
	if (load_file(&ld, &parser, text, len, &doc) < 0)
		goto out;
	have_doc = 1;
	if (parser.encoding != YAML_UTF8_ENCODING) {
		failf(err, errlen, file, 0, NULL, "not UTF-8: change it by "
		    "hand");
		goto out;
	}
	if (find_rule(ld.rs, r, &at, file, err, errlen) < 0)
		goto out;

	memset(&pt, 0, sizeof(pt));
	pt.file = file;
	pt.text = text;
	pt.len = len;
	pt.bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	pt.doc = &doc;
	pt.err = err;
	pt.errlen = errlen;
	if (plan_edits(&pt, &ld.rs->rules[at], &ld.where[at], new_for_ms,
	    new_kff_ms, e, &n) < 0)
		goto out;
	qsort(e, n, sizeof(e[0]), edit_cmp);
	for (i = 0, off = 0; i < n; i++) {
		assert(e[i].off >= off && e[i].off + e[i].del <= len);
		if (buf_append(&b, text + off, e[i].off - off) < 0 ||
		    buf_puts(&b, e[i].ins) < 0)
			goto oom;
		off = e[i].off + e[i].del;
	}
	if (buf_append(&b, text + off, len - off) < 0)
		goto oom;

	/* the check: parse what we wrote, compare with what was */
	if (parse_rules(file, b.data, b.len, 0, &after, err, errlen) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err != NULL ? err : "");
		failf(err, errlen, file, r->line, NULL, "the change would not "
		    "parse (%s): change it by hand", why);
		goto out;
	}
	if (!only_changed(ld.rs, after, at, new_for_ms, new_kff_ms)) {
		failf(err, errlen, file, ld.rs->rules[at].line, NULL, "the "
		    "change would change more than rule \"%.*s\" (YAML "
		    "aliases?): change it by hand", PR_QUOTE_MAX, r->alert);
		goto out;
	}
	if (outlen != NULL)
		*outlen = b.len;
	*out = buf_steal(&b);
	if (*out == NULL && (*out = strdup("")) == NULL)
		goto oom;
	result = 0;
	goto out;
oom:
	failf(err, errlen, file, 0, NULL, "out of memory");
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	pr_rules_free(ld.rs);
	pr_rules_free(after);
	free(ld.where);
	buf_free(&b);
	return result;
}
