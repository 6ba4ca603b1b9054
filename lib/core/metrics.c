/* metrics.c -- a small Prometheus metrics registry and its text exposition
 * (see metrics.h).
 *
 * Output format: text format 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/ ("Text format
 * details"). Process metrics reproduce prometheus/client_golang
 * prometheus/process_collector.go and process_collector_other.go (names, help
 * texts, sources in /proc/self).
 *
 * Layout: the registry keeps its families in an array sorted by name; a
 * family keeps its children in an array sorted by label values (compared
 * value by value with strcmp), so lookups are binary searches and rendering
 * is one ordered walk.
 *
 * Bounds: a label value is cut to MET_MAX_VALUE_LEN bytes and a family holds
 * at most MET_MAX_CHILDREN children, so what a sender puts into a label (a
 * receiver name, an alertname) can neither make one line of the exposition
 * megabytes long nor the registry grow without end. A label set refused at
 * the family limit is counted in alertnoise_metrics_series_dropped_total
 * {family} (registered on the first drop) and logged once per family:
 * never silently.
 *
 * Locking: the registry mutex guards the family array; each family's mutex
 * guards its children and their values. met_render takes the registry mutex
 * and then one family mutex at a time; met_add and friends take only their
 * family's mutex, and count a drop only after releasing it. Nothing takes
 * them in the other order. */
#include "metrics.h"

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

/* A family drops new label sets past this many children, so a bug that puts
 * an unbounded value (an id, a URL) into a label cannot exhaust memory. */
#define MET_MAX_CHILDREN	10000

/* A label value longer than this many bytes is cut on a character boundary
 * and ends in MET_CUT_MARKER, within the limit (Prometheus' own
 * label_value_length_limit is per scrape config; this keeps every line of
 * the exposition short whatever the scrape config says). */
#define MET_MAX_VALUE_LEN	256
#define MET_CUT_MARKER		"\xe2\x80\xa6"	/* U+2026 HORIZONTAL ELLIPSIS */

/* Where a family's dropped label sets are counted, by family name. */
#define MET_DROPPED_NAME	"alertnoise_metrics_series_dropped_total"

/* Room for any value fmt_double writes: "-1.2345678901234567e-308". */
#define MET_NUMLEN		32

struct met_child {
	char		**values;	/* nlabels copies, owned; sanitized UTF-8 */
	double		  value;	/* counter, gauge */
	uint64_t	 *counts;	/* histogram: nbuckets + 1 per-bucket
					 * counts (not cumulative), owned;
					 * the last is the +Inf bucket */
	double		  sum;		/* histogram */
	uint64_t	  count;	/* histogram */
	int		  stale;	/* met_mark_stale: not updated since */
};

struct met_family {
	enum met_type	  type;
	char		 *name;
	char		 *help;
	size_t		  nlabels;
	char		**labelnames;
	double		 *buckets;	/* nbuckets finite upper bounds */
	size_t		  nbuckets;
	pthread_mutex_t	  lock;		/* guards everything below */
	struct met_child **children;	/* sorted by label values */
	size_t		  nchildren;
	size_t		  cap;
	int		  warned;	/* the series limit was logged */
	struct met_registry *reg;	/* the registry it is in; NULL until
					   registered */
};

struct met_registry {
	pthread_mutex_t	  lock;		/* guards everything below */
	struct met_family **families;	/* sorted by name */
	size_t		  nfamilies;
	size_t		  cap;
	struct met_family *dropped;	/* MET_DROPPED_NAME, NULL until a
					   first drop */
};

/* Names met_render emits itself; registering them would duplicate a family. */
static const char *const process_names[] = {
	"process_cpu_seconds_total",
	"process_max_fds",
	"process_open_fds",
	"process_resident_memory_bytes",
	"process_start_time_seconds",
	"process_virtual_memory_bytes",
};

/*
 * Names and label values.
 */

/* Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__" (reserved), per
 * https://prometheus.io/docs/concepts/data_model/ */
static int
valid_name(const char *s, int colon)
{
	const char *p;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' ||
		    (colon && *p == ':'))
			continue;
		return 0;
	}
	return 1;
}

/* Returns the length of the well-formed UTF-8 sequence (RFC 3629 table 3-7:
 * no overlongs, surrogates or code points past U+10FFFF) starting at s, or 0
 * if there is none. s is NUL-terminated; a NUL is never a continuation byte,
 * so the checks stop before reading past it. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ?
		    3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		    (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* Whether label value s must be changed before it is kept: not UTF-8, or
 * longer than MET_MAX_VALUE_LEN bytes. */
static int
value_needs_clean(const char *s)
{
	size_t len = strlen(s);

	return len > MET_MAX_VALUE_LEN || !utf8_valid(s, len);
}

/* Returns a malloc'ed copy of label value s (owned by the caller) with every
 * byte that is not part of well-formed UTF-8 replaced by U+FFFD, as the
 * exposition format requires UTF-8 label values, and cut to at most
 * MET_MAX_VALUE_LEN bytes, on a character boundary, ending in
 * MET_CUT_MARKER when it was longer. Reads at most about MET_MAX_VALUE_LEN
 * bytes of s, however long s is. NULL on out-of-memory. */
static char *
value_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, len = 0, cut;
	char *r;

	/* copied up to one character (at most 4 bytes) past the limit */
	if ((r = malloc(MET_MAX_VALUE_LEN + 4 + 1)) == NULL)
		return NULL;
	for (; *p != '\0' && len <= MET_MAX_VALUE_LEN; p += n) {
		if ((n = utf8_len(p)) == 0) {
			memcpy(r + len, "\xef\xbf\xbd", 3);
			len += 3;
			n = 1;
		} else {
			memcpy(r + len, p, n);
			len += n;
		}
	}
	if (len > MET_MAX_VALUE_LEN) {
		/* r is UTF-8 now: back off over continuation bytes */
		cut = MET_MAX_VALUE_LEN - (sizeof(MET_CUT_MARKER) - 1);
		while (cut > 0 && ((unsigned char)r[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(r + cut, MET_CUT_MARKER, sizeof(MET_CUT_MARKER) - 1);
		len = cut + sizeof(MET_CUT_MARKER) - 1;
	}
	r[len] = '\0';
	return r;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Returns a malloc'ed array of n malloc'ed strings (owned by the caller,
 * freed with strv_free): copies of v, made label values by value_clean if
 * sanitize is set. NULL on out-of-memory. */
static char **
strv_dup(const char *const *v, size_t n, int sanitize)
{
	char **r;
	size_t i;

	if ((r = calloc(n ? n : 1, sizeof(*r))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		r[i] = sanitize ? value_clean(v[i]) : strdup(v[i]);
		if (r[i] == NULL) {
			strv_free(r, i);
			return NULL;
		}
	}
	return r;
}

/* Compares two label value tuples of n entries, value by value. */
static int
values_cmp(const char *const *a, const char *const *b, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++)
		if ((c = strcmp(a[i], b[i])) != 0)
			return c;
	return 0;
}

/*
 * Number formatting.
 */

/* Writes v to dst (MET_NUMLEN bytes) as the text format wants a float:
 * "+Inf", "-Inf", "NaN"; integers below 1e17 in full ("3", "1000000", never
 * "1e+06" or "3.0"); anything else in the shortest "%.{15,16,17}g" that reads
 * back as the same double (like Go's strconv.FormatFloat(v, 'g', -1, 64),
 * which client_golang uses). Assumes the "C" LC_NUMERIC locale. */
static void
fmt_double(char *dst, double v)
{
	int prec;

	if (isnan(v)) {
		strcpy(dst, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(dst, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		strcpy(dst, "0");	/* also for -0 */
		return;
	}
	if (fabs(v) < 1e17 && v == trunc(v)) {
		snprintf(dst, MET_NUMLEN, "%.0f", v);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(dst, MET_NUMLEN, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
	snprintf(dst, MET_NUMLEN, "%.17g", v);
}

/*
 * Families and children.
 */

static void
child_free(struct met_child *c, size_t nlabels)
{
	if (c == NULL)
		return;
	strv_free(c->values, nlabels);
	free(c->counts);
	free(c);
}

static void
family_free(struct met_family *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nchildren; i++)
		child_free(f->children[i], f->nlabels);
	free(f->children);
	strv_free(f->labelnames, f->nlabels);
	free(f->buckets);
	free(f->help);
	free(f->name);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Finds where the child with label values v is or belongs in f->children
 * (f->lock held). Sets *found. */
static size_t
child_pos(struct met_family *f, const char *const *v, int *found)
{
	size_t lo = 0, hi = f->nchildren, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = values_cmp((const char *const *)f->children[mid]->values,
		    v, f->nlabels);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Returns the child of f (f->lock held) with label values v, creating it if
 * create is set. v holds f->nlabels strings (copied through value_clean:
 * invalid UTF-8 replaced by U+FFFD, cut past MET_MAX_VALUE_LEN). Returns
 * NULL if the child does not exist and create is not set, on out-of-memory,
 * and past MET_MAX_CHILDREN: then *dropped is set (dropped may be NULL
 * without create) and the first time, the limit is logged. */
static struct met_child *
child_get(struct met_family *f, const char *const *v, int create,
    int *dropped)
{
	struct met_child *c = NULL, **nv;
	char **clean = NULL;
	const char *const *key = v;
	size_t i, pos, ncap;
	int found, sanitize = 0;

	assert(f->nlabels == 0 || v != NULL);
	for (i = 0; i < f->nlabels; i++) {
		assert(v[i] != NULL);
		if (value_needs_clean(v[i]))
			sanitize = 1;
	}
	if (sanitize) {
		if ((clean = strv_dup(v, f->nlabels, 1)) == NULL)
			goto out;
		key = (const char *const *)clean;
	}

	pos = child_pos(f, key, &found);
	if (found) {
		c = f->children[pos];
		goto out;
	}
	if (!create)
		goto out;
	if (f->nchildren >= MET_MAX_CHILDREN) {
		if (!f->warned) {
			char limit[24];

			snprintf(limit, sizeof(limit), "%d", MET_MAX_CHILDREN);
			log_warn("metric family reached its series limit; "
			    "new label sets are dropped and counted in "
			    MET_DROPPED_NAME, "family", f->name, "limit",
			    limit);
		}
		f->warned = 1;
		*dropped = 1;
		goto out;
	}

	if (f->nchildren == f->cap) {
		ncap = f->cap ? f->cap * 2 : 4;
		if ((nv = realloc(f->children, ncap * sizeof(*nv))) == NULL)
			goto out;
		f->children = nv;
		f->cap = ncap;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	if ((c->values = strv_dup(key, f->nlabels, 0)) == NULL ||
	    (f->type == MET_HISTOGRAM &&
	    (c->counts = calloc(f->nbuckets + 1, sizeof(*c->counts))) ==
	    NULL)) {
		child_free(c, f->nlabels);
		c = NULL;
		goto out;
	}
	memmove(&f->children[pos + 1], &f->children[pos],
	    (f->nchildren - pos) * sizeof(*f->children));
	f->children[pos] = c;
	f->nchildren++;
out:
	strv_free(clean, f->nlabels);
	return c;
}

/* Returns a new family holding copies of its arguments (validated by the
 * caller), with the one child of a label-less family already created; NULL
 * on out-of-memory. */
static struct met_family *
family_new(enum met_type type, const char *name, const char *help,
    size_t nlabels, const char *const *labelnames, const double *buckets,
    size_t nbuckets)
{
	struct met_family *f;
	int dropped = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return NULL;
	}
	f->type = type;
	f->nlabels = nlabels;
	f->nbuckets = nbuckets;
	if ((f->name = strdup(name)) == NULL ||
	    (f->help = strdup(help)) == NULL ||
	    (f->labelnames = strv_dup(labelnames, nlabels, 0)) == NULL)
		goto fail;
	if (nbuckets > 0) {
		if ((f->buckets = calloc(nbuckets, sizeof(*f->buckets))) ==
		    NULL)
			goto fail;
		memcpy(f->buckets, buckets, nbuckets * sizeof(*buckets));
	}
	/* a family without labels exists, at zero, from the start */
	if (nlabels == 0 && child_get(f, NULL, 1, &dropped) == NULL)
		goto fail;
	return f;
fail:
	family_free(f);
	return NULL;
}

/* Finds where the family called name is or belongs in r->families (r->lock
 * held). Sets *found. */
static size_t
family_pos(struct met_registry *r, const char *name, int *found)
{
	size_t lo = 0, hi = r->nfamilies, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(r->families[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inserts family f, named as no other, in r (r->lock held) and makes r its
 * registry. Returns 0, or -1 (f not inserted) on a name already there or
 * out-of-memory. */
static int
family_insert(struct met_registry *r, struct met_family *f)
{
	struct met_family **nv;
	size_t pos, ncap;
	int found;

	pos = family_pos(r, f->name, &found);
	if (found)
		return -1;
	if (r->nfamilies == r->cap) {
		ncap = r->cap ? r->cap * 2 : 16;
		if ((nv = realloc(r->families, ncap * sizeof(*nv))) == NULL)
			return -1;
		r->families = nv;
		r->cap = ncap;
	}
	memmove(&r->families[pos + 1], &r->families[pos],
	    (r->nfamilies - pos) * sizeof(*r->families));
	r->families[pos] = f;
	r->nfamilies++;
	f->reg = r;
	return 0;
}

struct met_registry *
met_registry_new(void)
{
	struct met_registry *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* Frees r (NULL is allowed) and its families. No other thread may be using
 * r or any of its families. */
void
met_registry_free(struct met_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nfamilies; i++)
		family_free(r->families[i]);
	free(r->families);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* As declared in metrics.h. Besides out-of-memory and a duplicate name, also
 * returns NULL for arguments the exposition format cannot carry: an invalid
 * metric or label name, a label name repeated, "le" as a histogram label,
 * one of the process_* names met_render emits itself, a NaN bucket,
 * buckets not strictly increasing, an unknown type. A trailing +Inf bucket
 * is dropped (it is implicit), as client_golang does. A label-less family
 * starts with its one child at zero. */
struct met_family *
met_register(struct met_registry *r, enum met_type type, const char *name,
    const char *help, size_t nlabels, const char *const *labelnames,
    const double *buckets, size_t nbuckets)
{
	struct met_family *f = NULL;
	size_t i, j;
	int locked = 0;

	assert(r != NULL && name != NULL && help != NULL);
	assert(nlabels == 0 || labelnames != NULL);
	assert(nbuckets == 0 || buckets != NULL);

	if ((type != MET_COUNTER && type != MET_GAUGE &&
	    type != MET_HISTOGRAM) || !valid_name(name, 1))
		goto fail;
	for (i = 0; i < sizeof(process_names) / sizeof(process_names[0]); i++)
		if (strcmp(name, process_names[i]) == 0)
			goto fail;
	for (i = 0; i < nlabels; i++) {
		if (labelnames[i] == NULL || !valid_name(labelnames[i], 0) ||
		    strncmp(labelnames[i], "__", 2) == 0 ||
		    (type == MET_HISTOGRAM && strcmp(labelnames[i], "le") == 0))
			goto fail;
		for (j = 0; j < i; j++)
			if (strcmp(labelnames[i], labelnames[j]) == 0)
				goto fail;
	}
	if (type != MET_HISTOGRAM)
		nbuckets = 0;
	if (nbuckets > 0 && isinf(buckets[nbuckets - 1]) &&
	    buckets[nbuckets - 1] > 0)
		nbuckets--;
	for (i = 0; i < nbuckets; i++)
		if (isnan(buckets[i]) || (i > 0 && !(buckets[i - 1] <
		    buckets[i])))
			goto fail;

	if ((f = family_new(type, name, help, nlabels, labelnames, buckets,
	    nbuckets)) == NULL)
		goto fail;

	pthread_mutex_lock(&r->lock);
	locked = 1;
	if (family_insert(r, f) < 0)
		goto fail;
	pthread_mutex_unlock(&r->lock);
	return f;
fail:
	if (locked)
		pthread_mutex_unlock(&r->lock);
	family_free(f);
	return NULL;
}

/* Counts one label set of f refused at MET_MAX_CHILDREN (f->lock not
 * held), registering MET_DROPPED_NAME on the first drop in the registry. */
static void
count_dropped(struct met_family *f)
{
	static const char *const label[] = { "family" };
	struct met_registry *r = f->reg;
	struct met_family *d, *nf = NULL;
	const char *v[] = { f->name };

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	if ((d = r->dropped) == NULL) {
		nf = family_new(MET_COUNTER, MET_DROPPED_NAME, "Label sets a "
		    "metric family refused because it already had its limit "
		    "of series, by family.", 1, label, NULL, 0);
		if (nf != NULL && family_insert(r, nf) == 0) {
			r->dropped = d = nf;
			nf = NULL;
		}
	}
	pthread_mutex_unlock(&r->lock);
	family_free(nf);
	/* never at its own limit: it has one child per family at most */
	if (d != NULL && d != f)
		met_add(d, v, 1);
}

/*
 * Updates. All of them accept f == NULL (a family whose registration failed
 * on out-of-memory) and do nothing, so callers need not check.
 */

/* As declared in metrics.h. Only for counters and gauges; a counter ignores
 * a negative or NaN v (counters only go up). */
void
met_add(struct met_family *f, const char *const *values, double v)
{
	struct met_child *c;
	int dropped = 0;

	if (f == NULL || f->type == MET_HISTOGRAM)
		return;
	if (f->type == MET_COUNTER && !(v >= 0))
		return;
	pthread_mutex_lock(&f->lock);
	if ((c = child_get(f, values, 1, &dropped)) != NULL) {
		c->value += v;
		c->stale = 0;
	}
	pthread_mutex_unlock(&f->lock);
	if (dropped)
		count_dropped(f);
}

/* As declared in metrics.h. Only for gauges. */
void
met_set(struct met_family *f, const char *const *values, double v)
{
	struct met_child *c;
	int dropped = 0;

	if (f == NULL || f->type != MET_GAUGE)
		return;
	pthread_mutex_lock(&f->lock);
	if ((c = child_get(f, values, 1, &dropped)) != NULL) {
		c->value = v;
		c->stale = 0;
	}
	pthread_mutex_unlock(&f->lock);
	if (dropped)
		count_dropped(f);
}

/* As declared in metrics.h. Only for histograms. v goes into the first
 * bucket whose upper bound is >= v (bounds are inclusive: "le"); NaN and
 * values past the last bound go into the +Inf bucket only. */
void
met_observe(struct met_family *f, const char *const *values, double v)
{
	met_observe_many(f, values, v, 1, v);
}

/* As declared in metrics.h. */
void
met_observe_many(struct met_family *f, const char *const *values, double v,
    uint64_t n, double sum)
{
	struct met_child *c;
	size_t i;
	int dropped = 0;

	if (f == NULL || f->type != MET_HISTOGRAM)
		return;
	for (i = 0; i < f->nbuckets; i++)
		if (v <= f->buckets[i])
			break;
	pthread_mutex_lock(&f->lock);
	if ((c = child_get(f, values, 1, &dropped)) != NULL) {
		c->counts[i] += n;
		c->sum += sum;
		c->count += n;
		c->stale = 0;
	}
	pthread_mutex_unlock(&f->lock);
	if (dropped)
		count_dropped(f);
}

/* As declared in metrics.h. */
void
met_mark_stale(struct met_family *f)
{
	size_t i;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nchildren; i++)
		f->children[i]->stale = f->nlabels > 0;
	pthread_mutex_unlock(&f->lock);
}

/* As declared in metrics.h. One pass keeping the unmarked children in
 * order, so the array stays sorted. */
size_t
met_drop_stale(struct met_family *f)
{
	size_t i, kept = 0, dropped;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nchildren; i++) {
		if (f->children[i]->stale)
			child_free(f->children[i], f->nlabels);
		else
			f->children[kept++] = f->children[i];
	}
	dropped = f->nchildren - kept;
	f->nchildren = kept;
	pthread_mutex_unlock(&f->lock);
	return dropped;
}

/* As declared in metrics.h; for a histogram child, returns its number of
 * observations. Never creates the child. */
double
met_get(struct met_family *f, const char *const *values)
{
	struct met_child *c;
	double v = 0;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	if ((c = child_get(f, values, 0, NULL)) != NULL)
		v = f->type == MET_HISTOGRAM ? (double)c->count : c->value;
	pthread_mutex_unlock(&f->lock);
	return v;
}

/*
 * Rendering. Every helper returns 0 or -1 (buffer limit) and may leave
 * partial output behind; met_render truncates it.
 */

/* Appends s with each of the characters in special escaped as the text
 * format wants: backslash, newline, and (in label values) double quote. */
static int
put_escaped(struct buf *out, const char *s, const char *special)
{
	const char *p;

	for (p = s; *p != '\0'; s = ++p) {
		p += strcspn(p, special);
		if (buf_append(out, s, (size_t)(p - s)) < 0)
			return -1;
		if (*p == '\0')
			break;
		if (buf_puts(out, *p == '\n' ? "\\n" : *p == '"' ? "\\\"" :
		    "\\\\") < 0)
			return -1;
	}
	return 0;
}

/* Set while met_render_openmetrics renders, on its own thread. */
static _Thread_local int openmetrics;

/* HELP and TYPE. OpenMetrics names a counter's family without the _total
 * its samples carry. */
static int
put_header(struct buf *out, const char *name, const char *help,
    const char *type)
{
	size_t n = strlen(name);

	if (openmetrics && strcmp(type, "counter") == 0 && n > 6 &&
	    strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	if (buf_printf(out, "# HELP %.*s ", (int)n, name) < 0 ||
	    put_escaped(out, help, "\\\n") < 0 ||
	    buf_printf(out, "\n# TYPE %.*s %s\n", (int)n, name, type) < 0)
		return -1;
	return 0;
}

/* Appends one sample line: name suffix{labels of c[,le="le"]} value. */
static int
put_sample(struct buf *out, const struct met_family *f,
    const struct met_child *c, const char *suffix, const char *le,
    const char *value)
{
	size_t i;

	if (buf_printf(out, "%s%s", f->name, suffix) < 0)
		return -1;
	if (f->nlabels > 0 || le != NULL) {
		if (buf_puts(out, "{") < 0)
			return -1;
		for (i = 0; i < f->nlabels; i++) {
			if (buf_printf(out, "%s%s=\"", i ? "," : "",
			    f->labelnames[i]) < 0 ||
			    put_escaped(out, c->values[i], "\\\"\n") < 0 ||
			    buf_puts(out, "\"") < 0)
				return -1;
		}
		if (le != NULL && buf_printf(out, "%sle=\"%s\"",
		    f->nlabels ? "," : "", le) < 0)
			return -1;
		if (buf_puts(out, "}") < 0)
			return -1;
	}
	return buf_printf(out, " %s\n", value);
}

static int
put_histogram(struct buf *out, const struct met_family *f,
    const struct met_child *c)
{
	char le[MET_NUMLEN], num[MET_NUMLEN];
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= f->nbuckets; i++) {
		cum += c->counts[i];
		if (i < f->nbuckets)
			fmt_double(le, f->buckets[i]);
		else
			strcpy(le, "+Inf");
		snprintf(num, sizeof(num), "%" PRIu64, cum);
		if (put_sample(out, f, c, "_bucket", le, num) < 0)
			return -1;
	}
	fmt_double(num, c->sum);
	if (put_sample(out, f, c, "_sum", NULL, num) < 0)
		return -1;
	snprintf(num, sizeof(num), "%" PRIu64, c->count);
	return put_sample(out, f, c, "_count", NULL, num);
}

/* Appends family f, taking its lock. */
static int
put_family(struct buf *out, struct met_family *f)
{
	static const char *const types[] = {
		[MET_COUNTER] = "counter",
		[MET_GAUGE] = "gauge",
		[MET_HISTOGRAM] = "histogram",
	};
	char num[MET_NUMLEN];
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&f->lock);
	if (put_header(out, f->name, f->help, types[f->type]) < 0)
		goto out;
	for (i = 0; i < f->nchildren; i++) {
		if (f->type == MET_HISTOGRAM) {
			if (put_histogram(out, f, f->children[i]) < 0)
				goto out;
			continue;
		}
		fmt_double(num, f->children[i]->value);
		if (put_sample(out, f, f->children[i], "", NULL, num) < 0)
			goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/*
 * Process metrics, as client_golang's process collector on Linux
 * (process_collector_other.go, via prometheus/procfs proc_stat.go).
 */

/* The fields of /proc/self/stat we use, see proc(5). */
struct proc_stat {
	unsigned long		utime, stime;	/* clock ticks */
	unsigned long long	starttime;	/* ticks after boot */
	unsigned long		vsize;		/* bytes */
	long			rss;		/* pages */
};

/* Reads a whole small file into dst (size bytes, NUL-terminated). Returns
 * the length, or -1 if it cannot be read or does not fit. */
static ssize_t
read_small_file(const char *path, char *dst, size_t size)
{
	ssize_t n = 0, len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((size_t)len < size - 1 &&
	    (n = read(fd, dst + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	if (n < 0 || (size_t)len == size - 1)
		return -1;
	dst[len] = '\0';
	return len;
}

static int
read_proc_stat(struct proc_stat *ps)
{
	char line[4096], *p;

	if (read_small_file("/proc/self/stat", line, sizeof(line)) < 0)
		return -1;
	/* the command name (field 2) may hold spaces and parentheses */
	if ((p = strrchr(line, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
	    " %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
	    &ps->utime, &ps->stime, &ps->starttime, &ps->vsize,
	    &ps->rss) != 5)
		return -1;
	return 0;
}

/* Reads the boot time ("btime", seconds since the epoch) from /proc/stat. */
static int
read_btime(unsigned long long *btime)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	if ((fp = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) > 0)
		if (sscanf(line, "btime %llu", btime) == 1) {
			rc = 0;
			break;
		}
	free(line);
	fclose(fp);
	return rc;
}

/* Counts the entries of /proc/self/fd, leaving out the descriptor this
 * count itself holds open (client_golang counts it). */
static int
count_open_fds(double *n)
{
	struct dirent *de;
	char self[24];
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	snprintf(self, sizeof(self), "%d", dirfd(d));
	*n = 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, self) != 0)
			(*n)++;
	closedir(d);
	return 0;
}

static int
put_process_metric(struct buf *out, const char *name, const char *type,
    const char *help, double v)
{
	char num[MET_NUMLEN];

	fmt_double(num, v);
	if (put_header(out, name, help, type) < 0 ||
	    buf_printf(out, "%s %s\n", name, num) < 0)
		return -1;
	return 0;
}

/* Appends the process_* families, sorted by name; a metric whose source
 * cannot be read (no /proc) is left out. */
static int
put_process(struct buf *out)
{
	struct proc_stat ps;
	struct rlimit rl;
	unsigned long long btime;
	long tck, pagesize;
	double fds;
	int have_stat;

	tck = sysconf(_SC_CLK_TCK);
	pagesize = sysconf(_SC_PAGESIZE);
	have_stat = tck > 0 && pagesize > 0 && read_proc_stat(&ps) == 0;

	if (have_stat && put_process_metric(out, "process_cpu_seconds_total",
	    "counter", "Total user and system CPU time spent in seconds.",
	    (double)(ps.utime + ps.stime) / (double)tck) < 0)
		return -1;
	/* RLIM_INFINITY prints as 2^64-1, as client_golang via procfs */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    put_process_metric(out, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors.",
	    (double)rl.rlim_cur) < 0)
		return -1;
	if (count_open_fds(&fds) == 0 &&
	    put_process_metric(out, "process_open_fds", "gauge",
	    "Number of open file descriptors.", fds) < 0)
		return -1;
	if (have_stat && put_process_metric(out,
	    "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.",
	    (double)ps.rss * (double)pagesize) < 0)
		return -1;
	if (have_stat && read_btime(&btime) == 0 &&
	    put_process_metric(out, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.",
	    (double)btime + (double)ps.starttime / (double)tck) < 0)
		return -1;
	if (have_stat && put_process_metric(out,
	    "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.", (double)ps.vsize) < 0)
		return -1;
	return 0;
}

/* As declared in metrics.h. On -1, out is left as it was before the call. */
int
met_render(struct met_registry *r, struct buf *out)
{
	size_t start, i;
	int rc = 0;

	assert(r != NULL && out != NULL);
	start = out->len;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nfamilies && rc == 0; i++)
		rc = put_family(out, r->families[i]);
	pthread_mutex_unlock(&r->lock);
	if (rc < 0 || (rc = put_process(out)) < 0)
		goto out;
out:
	if (rc < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return rc;
}

int
met_render_openmetrics(struct met_registry *r, struct buf *out)
{
	size_t start = out->len;
	int rc;

	openmetrics = 1;
	rc = met_render(r, out);
	openmetrics = 0;
	if (rc == 0 && buf_puts(out, "# EOF\n") < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		rc = -1;
	}
	return rc;
}
