/* recommend.c -- recommendations from an analysis (recommend.h).
 *
 * Per alertname (episodes of the window, not the context before it, unless
 * said otherwise) and per dedup group, each kind looks for its evidence,
 * builds the change, replays it alone on top of the current settings
 * (replay.h) and keeps it only when the replay removes notifications or
 * pages:
 *
 *   raise_for        noise mostly transient or flapping (at least half of
 *                    the alertname's noise episodes). Tries `for` = 1m 2m
 *                    3m 5m 10m 15m 30m 1h above the current one (the rule's
 *                    in the current settings, else the shortest pending
 *                    phase seen on the evaluation grid, as replay infers
 *                    it: rp_pending_ms) and takes the first whose replay
 *                    suppresses >= for_target of the noise episodes (the
 *                    replay rp_run makes of that `for` alone).
 *   keep_firing_for  flapping noise; the gaps between an identity's
 *                    resolution and its next start (plus the current
 *                    keep_firing_for, which resolution included), nearest-
 *                    rank p90 at most 1h, rounded up to the same steps.
 *   repeat_interval  persistent noise (context included) notified more than
 *                    once a day of firing: repeat_interval 24h on each
 *                    receiver it went to. Firing time and notifications
 *                    are summed over the alertname's instances, and the
 *                    summary says so when there are several.
 *   group_by         a storm: group_by = alertname + its common labels.
 *   inhibit_rule     a co-firing group with a leader: the leader's
 *                    alertname inhibits the others' when equal on every
 *                    label all members carry that had the same value in
 *                    each co-occurrence (a follower episode and a leader
 *                    episode started at most cofire_window before it).
 *   route_away_from_paging  paged, marked noise >= noise_marks_min times,
 *                    never marked actionable: route to a non-paging
 *                    receiver it already went to (most notified), else to
 *                    "ticket".
 *   fix_or_delete    an episode (context included) firing longer than
 *                    persistent_review.
 *   drop_replica_label  replica groups with copies > 1: one recommendation
 *                    for all, the labels of rc_opts.
 *
 * Route changes are replayed as the snippet makes them: the alertname's
 * alerts under a sub-route of their own per receiver. The replay routes
 * them so twice (route.match), with the current settings and with the
 * change, and what the change saves is taken off the current totals; the
 * other alerts of the receiver are left as they are.
 *
 * predicted is the replay's (noise_removed, actionable_delayed and
 * actionable_lost net of what the replay of the unchanged settings
 * counts). route_away_from_paging cannot be replayed (a new receiver):
 * pages_after = pages in the window - the alertname's pages (an episode's
 * pages summed: exact when no page carried two of its alerts).
 * fix_or_delete predicts what deleting the rule does; drop_replica_label
 * predicts nothing.
 *
 * Confidence. support, per kind: raise_for the noise episodes;
 * keep_firing_for the gaps bridged; repeat_interval the notifications
 * recorded on the persistent episodes; group_by the storm's occurrences;
 * inhibit_rule the co-occurrences; route_away_from_paging the noise
 * verdicts. high from 10, medium from 3, else low. A replayed kind is then
 * capped by the replay error of its alertnames (|replayed - recorded| /
 * recorded notifications, replay.h): at most medium when it is unknown
 * (nothing recorded) or above 0.1, low above 0.25; and it loses one step
 * when the replay loses an actionable episode. fix_or_delete and
 * drop_replica_label are high: they rest on what was observed, not on a
 * prediction.
 *
 * Order: pages saved (pages_before - pages_after, 0 when unknown), most
 * first, then id. Two co-firing groups giving the same rule give it once. */
#include "recommend.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "selector.h"
#include "utf8.h"

#define SEC		1000LL
#define MINUTE		(60 * SEC)
#define HOUR		(60 * MINUTE)
#define DAY		(24 * HOUR)
#define REPEAT_PROPOSED	DAY		/* repeat_interval proposed */
#define TEXT_MAX	(256 * 1024)	/* an id, snippet or summary */
#define SUPPORT_HIGH	10
#define SUPPORT_MEDIUM	3
#define ERROR_GOOD	0.1
#define ERROR_FAIR	0.25
#define TICKET		"ticket"	/* receiver when none is known */

/* The durations tried for `for` and keep_firing_for: Prometheus-friendly,
 * the last one also the longest refire gap still called flapping. */
static const int64_t dur_steps[] = { MINUTE, 2 * MINUTE, 3 * MINUTE,
    5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR };
#define NSTEPS	(sizeof(dur_steps) / sizeof(dur_steps[0]))

static const char *const default_replica[] = { "replica",
    "prometheus_replica" };

static const char *const conf_names[] = { "low", "medium", "high" };
static const char *const kind_names[RC_KINDS] = {
	[RC_RAISE_FOR] = "raise_for",
	[RC_KEEP_FIRING_FOR] = "keep_firing_for",
	[RC_REPEAT_INTERVAL] = "repeat_interval",
	[RC_GROUP_BY] = "group_by",
	[RC_INHIBIT_RULE] = "inhibit_rule",
	[RC_ROUTE_AWAY_FROM_PAGING] = "route_away_from_paging",
	[RC_FIX_OR_DELETE] = "fix_or_delete",
	[RC_DROP_REPLICA_LABEL] = "drop_replica_label",
};

const char *
rc_kind_name(enum rc_kind k)
{
	assert((unsigned)k < RC_KINDS);
	return kind_names[k];
}

const char *
rc_conf_name(enum rc_conf c)
{
	assert((unsigned)c <= RC_CONF_HIGH);
	return conf_names[c];
}

void
rc_opts_default(struct rc_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->for_target = 0.8;
	ro->noise_marks_min = 3;
	ro->persistent_review_ms = 7 * DAY;
	ro->replica_labels = default_replica;
	ro->nreplica = sizeof(default_replica) / sizeof(default_replica[0]);
}

/* --- text ---------------------------------------------------------------- */

/* A capped buffer that remembers a failed append, so that a text is built
 * without a check per line and checked once. */
struct text {
	struct buf b;
	int failed;
};

static void
text_init(struct text *t)
{
	buf_init(&t->b, TEXT_MAX);
	t->failed = 0;
}

static const char *
text_str(const struct text *t)
{
	return t->b.data != NULL ? t->b.data : "";
}

static void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&t->b, fmt, ap) < 0)
		t->failed = 1;
	va_end(ap);
}

static void
text_putc(struct text *t, char ch)
{
	if (buf_append(&t->b, &ch, 1) < 0)
		t->failed = 1;
}

/* s as a Go-quoted string, what PromQL and Alertmanager matchers take:
 * "..." with \" \\ \n \r \t and \xHH for other control bytes. */
static void
put_quoted(struct text *t, const char *s)
{
	text_putc(t, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			text_printf(t, "\\%c", ch);
		else if (ch == '\n')
			text_printf(t, "\\n");
		else if (ch == '\r')
			text_printf(t, "\\r");
		else if (ch == '\t')
			text_printf(t, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			text_printf(t, "\\x%02x", ch);
		else
			text_putc(t, (char)ch);
	}
	text_putc(t, '"');
}

/* s matched literally in a regex (Go regexp.QuoteMeta). */
static void
put_re_literal(struct text *t, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s) != NULL)
			text_putc(t, '\\');
		text_putc(t, *s);
	}
}

static int
yaml_plain_ok(const char *s)
{
	static const char *const reserved[] = { "y", "n", "yes", "no", "on",
	    "off", "true", "false", "null" };

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.' || *p == '/'))
			return 0;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(s, reserved[i]) == 0)
			return 0;
	return 1;
}

/* s as a YAML scalar (YAML 1.2 sections 7.3.1, 7.3.2): plain when it is a
 * name ([A-Za-z_][A-Za-z0-9_./-]*) that reads as a string in YAML 1.1 and
 * 1.2 alike, single-quoted when it has no control character, else
 * double-quoted with escapes. */
static void
put_yaml(struct text *t, const char *s)
{
	int ctl = 0;

	if (yaml_plain_ok(s)) {
		text_printf(t, "%s", s);
		return;
	}
	for (const char *p = s; *p; p++)
		ctl |= (unsigned char)*p < 0x20 || *p == 0x7f;
	if (!ctl) {
		text_putc(t, '\'');
		for (const char *p = s; *p; p++) {
			if (*p == '\'')
				text_putc(t, '\'');
			text_putc(t, *p);
		}
		text_putc(t, '\'');
		return;
	}
	put_quoted(t, s);	/* its escapes are YAML's too */
}

/* s in a comment or a sentence: control bytes become '?'. */
static void
put_plain(struct text *t, const char *s)
{
	for (; *s; s++)
		text_putc(t, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* A duration as Prometheus writes it (model.Duration), largest unit first:
 * 24h, 1m30s; with days, 10d1h (for sentences; Prometheus takes d too). */
static void
put_dur(struct text *t, int64_t ms, int days)
{
	static const struct {
		int64_t ms;
		char unit;
	} u[] = { { DAY, 'd' }, { HOUR, 'h' }, { MINUTE, 'm' }, { SEC, 's' } };
	int any = 0;

	if (ms < 0)
		ms = 0;
	for (size_t i = days ? 0 : 1; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ms >= u[i].ms) {
			text_printf(t, "%" PRId64 "%c", ms / u[i].ms,
			    u[i].unit);
			ms %= u[i].ms;
			any = 1;
		}
	}
	if (ms > 0)
		text_printf(t, "%" PRId64 "ms", ms);
	else if (!any)
		text_printf(t, "0s");
}

/* alertname="X" for one name, alertname=~"A|B" for several. */
static void
put_matcher(struct text *t, const char *const *names, size_t n)
{
	struct text re;

	if (n == 1) {
		text_printf(t, "alertname=");
		put_quoted(t, names[0]);
		return;
	}
	text_init(&re);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			text_putc(&re, '|');
		put_re_literal(&re, names[i]);
	}
	text_printf(t, "alertname=~");
	put_quoted(t, text_str(&re));
	t->failed |= re.failed;
	buf_free(&re.b);
}

/* FNV-1a 64 of the names, each followed by 0xff: ids of several alerts. */
static uint64_t
names_hash(const char *const *names, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = names[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

/* --- per-alertname statistics -------------------------------------------- */

struct name {
	const char *name;		/* borrowed from the analysis */
	long episodes, noise, noise_short, noise_flapping, actionable;
	long fb_noise, fb_actionable, pages;
	long persistent, persistent_notifications;	/* context too */
	long persistent_ids;		/* identities with such episodes */
	int64_t persistent_ms;		/* their firing time summed: not
					   wall time when ids > 1 */
	long long_eps;			/* over persistent_review, context
					   too */
	int64_t longest_ms;
	int long_open;
	int64_t cur_for, cur_kff;	/* the rule's, as replay infers them */
	long pending_only;		/* episodes that ended while pending */
	int64_t *gaps;			/* refire gaps, sorted; owned */
	size_t ngaps, capgaps;
};

struct rc {
	const struct analysis *a;
	const struct rp_history *h;
	const struct an_opts *o;
	const struct rp_settings *cur;
	const struct rc_opts *ro;
	struct rp_base *rb;		/* what each replay starts from */
	struct rp_result base;		/* the current settings replayed */
	struct name *names;		/* sorted by name */
	size_t nnames;
	size_t *name_of;		/* per identity */
	struct rc_list out;		/* emitted so far */
	size_t cap;			/* out.rows allocated */
};

struct name_key {
	const char *name;
	size_t ident;
};

static int
name_key_cmp(const void *x, const void *y)
{
	const struct name_key *p = x, *q = y;
	int d = strcmp(p->name, q->name);

	if (d != 0)
		return d;
	return p->ident < q->ident ? -1 : p->ident > q->ident;
}

static int
name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct name *)x)->name,
	    ((const struct name *)y)->name);
}

static int
i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static const char *
alertname_of(const struct analysis *a, size_t ident)
{
	return a->ids[ident].alertname != NULL ? a->ids[ident].alertname : "";
}

/* The current settings' `for` (-1: none given) and keep_firing_for of an
 * identity: the last matching rule wins, as in replay.c. */
static void
current_rule(const struct rc *c, size_t ident, int64_t *for_ms,
    int64_t *kff_ms)
{
	*for_ms = -1;
	*kff_ms = 0;
	for (size_t i = 0; i < c->cur->nrules; i++) {
		const struct rp_rule *r = &c->cur->rules[i];

		if (r->match != NULL &&
		    !sel_match_json(r->match, c->a->ids[ident].labels))
			continue;
		if (r->for_ms >= 0)
			*for_ms = r->for_ms;
		if (r->keep_firing_for_ms >= 0)
			*kff_ms = r->keep_firing_for_ms;
	}
}

static int
push_gap(struct name *n, int64_t gap)
{
	if (n->ngaps == n->capgaps) {
		size_t cap = n->capgaps ? n->capgaps * 2 : 16;
		int64_t *p = realloc(n->gaps, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		n->gaps = p;
		n->capgaps = cap;
	}
	n->gaps[n->ngaps++] = gap;
	return 0;
}

/* Fills c->names and c->name_of from the analysis. Returns 0 or -1
 * (out of memory). */
static int
name_stats(struct rc *c)
{
	const struct analysis *a = c->a;
	struct name_key *keys = NULL;
	int64_t *rec_for = NULL, *kff = NULL;
	size_t *last = NULL;
	unsigned char *pers = NULL;	/* per identity: persistent noise */
	int result = -1;

	if (a->nids == 0)
		return 0;
	keys = malloc(a->nids * sizeof(*keys));
	c->name_of = malloc(a->nids * sizeof(*c->name_of));
	c->names = calloc(a->nids, sizeof(*c->names));
	rec_for = malloc(a->nids * sizeof(*rec_for));
	kff = malloc(a->nids * sizeof(*kff));
	last = malloc(a->nids * sizeof(*last));
	pers = calloc(a->nids, 1);
	if (keys == NULL || c->name_of == NULL || c->names == NULL ||
	    rec_for == NULL || kff == NULL || last == NULL || pers == NULL)
		goto out;
	for (size_t k = 0; k < a->nids; k++) {
		keys[k] = (struct name_key){ alertname_of(a, k), k };
		rec_for[k] = -1;
		last[k] = SIZE_MAX;
	}
	qsort(keys, a->nids, sizeof(*keys), name_key_cmp);
	for (size_t i = 0; i < a->nids; i++) {
		if (i == 0 || strcmp(keys[i].name, keys[i - 1].name) != 0)
			c->names[c->nnames++].name = keys[i].name;
		c->name_of[keys[i].ident] = c->nnames - 1;
	}

	/* the `for` replay infers: the shortest pending phase, on the
	 * evaluation grid (rp_pending_ms) */
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int64_t p = rp_pending_ms(a, e);

		if (p >= 0 && (rec_for[e->ident] < 0 || p < rec_for[e->ident]))
			rec_for[e->ident] = p;
	}
	/* pending-only episodes, of the identities that fired and of those
	 * that only went pending (after them in a->ids) */
	for (size_t k = 0; k < a->nids + a->nids_pending; k++) {
		struct name key = { .name = alertname_of(a, k) }, *n;

		n = k < a->nids ? &c->names[c->name_of[k]] :
		    bsearch(&key, c->names, c->nnames, sizeof(*c->names),
		    name_cmp);
		if (n != NULL)
			n->pending_only += a->ids[k].pending_only;
	}
	for (size_t k = 0; k < a->nids; k++) {
		struct name *n = &c->names[c->name_of[k]];
		int64_t f;

		current_rule(c, k, &f, &kff[k]);
		if (f < 0)
			f = rec_for[k] < 0 ? 0 : rec_for[k];
		if (f > n->cur_for)
			n->cur_for = f;
		if (kff[k] > n->cur_kff)
			n->cur_kff = kff[k];
	}

	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		struct name *n = &c->names[c->name_of[e->ident]];
		int noise = an_is_noise(e->cls);
		int64_t firing;

		if (e->firing_at == 0)
			continue;	/* never fired: cannot happen */
		firing = an_firing_ms(a, e);
		if ((e->reasons & R_PERSISTENT) && noise) {
			n->persistent++;
			n->persistent_notifications += e->notifications;
			n->persistent_ms += firing;
			n->persistent_ids += !pers[e->ident];
			pers[e->ident] = 1;
		}
		if (firing > c->ro->persistent_review_ms) {
			n->long_eps++;
			if (firing > n->longest_ms) {
				n->longest_ms = firing;
				n->long_open = e->resolved_at == 0;
			}
		}
		/* resolution to the next start, as keep_firing_for must
		 * bridge it */
		if (last[e->ident] != SIZE_MAX && !e->context) {
			const struct an_episode *p = &a->eps[last[e->ident]];
			int64_t start = e->pending_at ? e->pending_at :
			    e->firing_at;

			if (p->resolved_at != 0 && start >= p->resolved_at &&
			    push_gap(n, start - p->resolved_at +
			    kff[e->ident]) < 0)
				goto out;
		}
		last[e->ident] = i;
		if (e->context)
			continue;
		n->episodes++;
		if (noise) {
			n->noise++;
			if (e->reasons & (R_TRANSIENT | R_FLAPPING))
				n->noise_short++;
			if (e->reasons & R_FLAPPING)
				n->noise_flapping++;
		} else {
			n->actionable++;
		}
		n->fb_noise += e->feedback == FB_NOISE;
		n->fb_actionable += e->feedback == FB_ACTIONABLE;
		n->pages += e->pages;
	}
	for (size_t i = 0; i < c->nnames; i++)
		if (c->names[i].ngaps > 1)
			qsort(c->names[i].gaps, c->names[i].ngaps,
			    sizeof(int64_t), i64_cmp);
	result = 0;
out:
	free(keys);
	free(rec_for);
	free(kff);
	free(last);
	free(pers);
	return result;
}

/* The replay error of alertnames' notifications under the current settings
 * (replay.h), or -1 when nothing of them was recorded. */
static double
replay_error(const struct rc *c, const char *const *names, size_t n)
{
	long diff = 0, rec = 0;

	for (size_t i = 0; i < c->base.ncounts; i++) {
		const struct rp_count *k = &c->base.counts[i];

		if (!k->observed)
			continue;	/* never recorded: nothing to compare */
		for (size_t j = 0; j < n; j++)
			if (strcmp(k->alertname, names[j]) == 0) {
				diff += labs(k->before - k->recorded);
				rec += k->recorded;
			}
	}
	return rec > 0 ? (double)diff / (double)rec : -1;
}

/* The receivers alertname went to (or is routed to) in the replay of the
 * current settings: pointers into c->base, sorted, *n of them. The array is
 * the caller's to free; NULL with *n 0 when there is none or on
 * out-of-memory (*oom set). */
static const char **
receivers_of(const struct rc *c, const char *alertname, size_t *n, int *oom)
{
	const char **r = NULL;

	*n = 0;
	for (size_t i = 0; i < c->base.ncounts; i++) {
		const struct rp_count *k = &c->base.counts[i];
		const char **p;

		if (strcmp(k->alertname, alertname) != 0)
			continue;
		if ((p = realloc(r, (*n + 1) * sizeof(*p))) == NULL) {
			free(r);
			*n = 0;
			*oom = 1;
			return NULL;
		}
		r = p;
		r[(*n)++] = k->receiver;
	}
	return r;
}

/* --- a recommendation ---------------------------------------------------- */

/* A recommendation being built; emit makes it a row of the list. */
struct rec {
	enum rc_kind kind;
	const char *target;
	const char *alertname;		/* NULL: several; borrowed */
	struct rc_strings matchers;	/* owned */
	json_t *evidence;		/* owned */
	struct rc_pred pred;
	enum rc_conf conf;
	struct rc_change ch;		/* owned */
	struct text id, snippet, summary;
	int failed;			/* out of memory on the way */
};

static void
pred_none(struct rc_pred *p)
{
	p->pages_before = p->pages_after = p->notif_before = -1;
	p->notif_after = p->noise_removed = p->delayed = p->lost = -1;
	p->p50 = p->max = p->replay_error = -1;
}

static void
strings_free(struct rc_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Copies s[0..n) into *dst (empty). Returns 0, or -1 on out-of-memory
 * (*dst empty). */
static int
strings_copy(struct rc_strings *dst, const char *const *s, size_t n)
{
	assert(dst->v == NULL && dst->n == 0);
	if ((dst->v = calloc(n ? n : 1, sizeof(*dst->v))) == NULL)
		return -1;
	for (; dst->n < n; dst->n++)
		if ((dst->v[dst->n] = strdup(s[dst->n])) == NULL) {
			strings_free(dst);
			return -1;
		}
	return 0;
}

static void
change_free(struct rc_change *ch)
{
	strings_free(&ch->receivers);
	strings_free(&ch->group_by);
	strings_free(&ch->paging_receivers);
	free(ch->receiver);
	free(ch->source);
	strings_free(&ch->targets);
	strings_free(&ch->equal);
	memset(ch, 0, sizeof(*ch));
	ch->for_ms = ch->keep_firing_for_ms = ch->repeat_interval_ms = -1;
}

static void
rec_init(struct rec *r, enum rc_kind kind, const char *target,
    const char *alertname)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->target = target;
	r->alertname = alertname;
	r->evidence = json_object();
	r->failed = r->evidence == NULL;
	pred_none(&r->pred);
	change_free(&r->ch);	/* the empty change */
	text_init(&r->id);
	text_init(&r->snippet);
	text_init(&r->summary);
}

static void
rec_free(struct rec *r)
{
	strings_free(&r->matchers);
	json_decref(r->evidence);
	change_free(&r->ch);
	buf_free(&r->id.b);
	buf_free(&r->snippet.b);
	buf_free(&r->summary.b);
}

/* Sets the change's strings *dst to a copy of s[0..n). */
static void
ch_strings(struct rec *r, struct rc_strings *dst, const char *const *s,
    size_t n)
{
	if (strings_copy(dst, s, n) < 0)
		r->failed = 1;
}

/* Sets the change's string *dst to a copy of s. */
static void
ch_string(struct rec *r, char **dst, const char *s)
{
	assert(*dst == NULL);
	if ((*dst = strdup(s)) == NULL)
		r->failed = 1;
}

/* Sets evidence[k] = v, taking v. */
static void
ev_set(struct rec *r, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(r->evidence, k, v) < 0)
		r->failed = 1;
}

static void
ev_int(struct rec *r, const char *k, long long v)
{
	ev_set(r, k, json_integer((json_int_t)v));
}

/* Seconds, as an integer when whole. */
static json_t *
seconds_json(int64_t ms)
{
	return ms % SEC == 0 ? json_integer((json_int_t)(ms / SEC)) :
	    json_real((double)ms / SEC);
}

static json_t *
strings_json(const char *const *s, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, json_string(s[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static void
add_matcher(struct rec *r, const char *const *names, size_t n)
{
	struct text t;
	char **v;

	text_init(&t);
	put_matcher(&t, names, n);
	if (t.failed || (v = realloc(r->matchers.v, (r->matchers.n + 1) *
	    sizeof(*v))) == NULL) {
		r->failed = 1;
		buf_free(&t.b);
		return;
	}
	r->matchers.v = v;
	if ((v[r->matchers.n] = buf_steal(&t.b)) == NULL)
		r->failed = 1;	/* cannot happen: a matcher is never empty */
	else
		r->matchers.n++;
}

static int
helps(const struct rc_pred *p)
{
	return p->pages_after < p->pages_before ||
	    p->notif_after < p->notif_before;
}

/* The confidence rule of the file comment. err < 0: unknown. */
static enum rc_conf
confidence(long support, int replayed, double err, long lost)
{
	enum rc_conf k = support >= SUPPORT_HIGH ? RC_CONF_HIGH :
	    support >= SUPPORT_MEDIUM ? RC_CONF_MEDIUM : RC_CONF_LOW;

	if (!replayed)
		return k;
	if ((err < 0 || err > ERROR_GOOD) && k > RC_CONF_MEDIUM)
		k = RC_CONF_MEDIUM;
	if (err > ERROR_FAIR)
		k = RC_CONF_LOW;
	if (lost > 0 && k > RC_CONF_LOW)
		k--;
	return k;
}

static void
row_free(struct rc_rec *o)
{
	free(o->id);
	free(o->alertname);
	strings_free(&o->matchers);
	free(o->snippet);
	free(o->summary);
	change_free(&o->change);
	json_decref(o->evidence);
	for (size_t i = 0; i < o->npatches; i++) {
		free(o->patches[i].file);
		free(o->patches[i].diff);
		free(o->patches[i].error);
	}
	free(o->patches);
	free(o->safety.why);
}

/* t's string, taken from it ("" when empty); NULL on out-of-memory. */
static char *
text_take(struct text *t)
{
	char *s = buf_steal(&t->b);

	return s != NULL ? s : strdup("");
}

/* Appends r to c->out (once per id), moving what it owns there, and frees
 * what is left. Returns 0, or -1 on out-of-memory. */
static int
emit(struct rc *c, struct rec *r)
{
	struct rc_rec *o;
	int result = -1;

	if (r->failed || r->id.failed || r->snippet.failed ||
	    r->summary.failed)
		goto out;
	for (size_t i = 0; i < c->out.n; i++)
		if (strcmp(c->out.rows[i].id, text_str(&r->id)) == 0) {
			result = 0;
			goto out;
		}
	if (c->out.n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct rc_rec *rows = realloc(c->out.rows,
		    cap * sizeof(*rows));

		if (rows == NULL)
			goto out;
		c->out.rows = rows;
		c->cap = cap;
	}
	o = &c->out.rows[c->out.n];
	memset(o, 0, sizeof(*o));
	o->kind = r->kind;
	o->target = r->target;
	o->pred = r->pred;
	o->conf = r->conf;
	o->id = text_take(&r->id);
	o->snippet = text_take(&r->snippet);
	o->summary = text_take(&r->summary);
	o->alertname = r->alertname != NULL ? strdup(r->alertname) : NULL;
	o->matchers = r->matchers;
	o->evidence = r->evidence;
	o->change = r->ch;
	memset(&r->matchers, 0, sizeof(r->matchers));
	r->evidence = NULL;
	memset(&r->ch, 0, sizeof(r->ch));
	if (o->id == NULL || o->snippet == NULL || o->summary == NULL ||
	    (r->alertname != NULL && o->alertname == NULL)) {
		row_free(o);
		goto out;
	}
	c->out.n++;
	result = 0;
out:
	rec_free(r);
	return result;
}

/* --- replays ------------------------------------------------------------- */

static struct sel *
selector_for(const char *const *names, size_t n)
{
	struct text t;
	struct sel *s = NULL;
	char err[128];

	text_init(&t);
	text_putc(&t, '{');
	put_matcher(&t, names, n);
	text_putc(&t, '}');
	if (!t.failed && sel_parse(text_str(&t), &s, err, sizeof(err)) < 0)
		s = NULL;	/* out of memory: what we write parses */
	buf_free(&t.b);
	return s;
}

/* Replays the current settings plus rules, routes and one inhibit rule
 * (a proposal's inhibit rules add to the current ones). */
static int
replay(const struct rc *c, const struct rp_rule *rules, size_t nrules,
    const struct rp_route *routes, size_t nroutes,
    const struct rp_inhibit *inhibit, struct rp_result *res)
{
	struct rp_settings p = { rules, nrules, routes, nroutes, inhibit,
	    inhibit != NULL };

	return rp_base_run(c->rb, &p, res);
}

static long
net(long v, long base)
{
	return v > base ? v - base : 0;
}

/* Pages as the window recorded them: before is the analysis' pages (those
 * GET /api/v1/summary, the report, the UI and /metrics count), after is
 * that less what the replay saves (its pages under the current settings
 * less under the change), never below 0. A replay that does not match the
 * record (replay_error) changes what is saved, never what was paged. */
static void
pages_recorded(const struct rc *c, long replayed_before, long replayed_after,
    struct rc_pred *p)
{
	long saved = replayed_before - replayed_after;

	p->pages_before = (long)c->a->npages;
	p->pages_after = p->pages_before > saved ? p->pages_before - saved : 0;
}

static void
pred_from(const struct rc *c, const struct rp_result *r, double err,
    struct rc_pred *p)
{
	pages_recorded(c, r->pages_before, r->pages_after, p);
	p->notif_before = r->notifications_before;
	p->notif_after = r->notifications_after;
	p->noise_removed = net(r->noise_removed, c->base.noise_removed);
	p->delayed = net(r->actionable_delayed, c->base.actionable_delayed);
	p->lost = net(r->actionable_lost, c->base.actionable_lost);
	p->p50 = r->delay_p50_s;
	p->max = r->delay_max_s;
	p->replay_error = err;
}

/* Replays a route change for one alertname as the snippet makes it (see
 * the file comment): change's settings on a sub-route per receiver. */
static int
route_replay(const struct rc *c, const char *alertname,
    const char *const *recv, size_t nrecv, const struct rp_route *change,
    struct rc_pred *p)
{
	struct rp_route *ra = calloc(nrecv, sizeof(*ra));
	struct rp_route *rb = calloc(nrecv, sizeof(*rb));
	struct sel *s = selector_for(&alertname, 1);
	struct rp_result A, B;
	int result = -1;

	assert(nrecv > 0);
	if (ra == NULL || rb == NULL || s == NULL)
		goto out;
	for (size_t i = 0; i < nrecv; i++) {
		ra[i] = (struct rp_route){ recv[i], s, NULL, 0, 0, -1, -1, -1,
		    -1, NULL, 0 };
		rb[i] = *change;
		rb[i].receiver = recv[i];
		rb[i].match = s;
	}
	if (replay(c, NULL, 0, ra, nrecv, NULL, &A) < 0)
		goto out;
	if (replay(c, NULL, 0, rb, nrecv, NULL, &B) < 0) {
		rp_result_free(&A);
		goto out;
	}
	pred_from(c, &B, replay_error(c, &alertname, 1), p);
	p->notif_before = c->base.notifications_before;
	p->notif_after = p->notif_before -
	    (A.notifications_after - B.notifications_after);
	pages_recorded(c, A.pages_after, B.pages_after, p);
	rp_result_free(&A);
	rp_result_free(&B);
	result = 0;
out:
	free(ra);
	free(rb);
	sel_free(s);
	return result;
}

/* " (notifications 22 → 6, pages 11 → 3)" */
static void
put_effect(struct text *t, const struct rc_pred *p)
{
	text_printf(t, " (notifications %ld → %ld", p->notif_before,
	    p->notif_after);
	if (p->pages_before >= 0 && p->pages_after != p->pages_before)
		text_printf(t, ", pages %ld → %ld", p->pages_before,
		    p->pages_after);
	text_printf(t, ")");
}

/* The first lines of a route snippet. */
static void
put_route_head(struct text *t, const char *alertname)
{
	text_printf(t, "# alertnoise: add under route.routes, above the "
	    "routes that match ");
	put_plain(t, alertname);
	text_printf(t, " today\nroutes:\n");
}

static void
put_route_matchers(struct text *t, const char *alertname)
{
	struct text m;

	text_init(&m);
	put_matcher(&m, &alertname, 1);
	text_printf(t, "  - matchers: [");
	put_yaml(t, text_str(&m));
	text_printf(t, "]\n");
	t->failed |= m.failed;
	buf_free(&m.b);
}

/* --- the kinds ----------------------------------------------------------- */

static int
rec_raise_for(struct rc *c, const struct name *n)
{
	struct sel *s;
	struct rp_result res;
	struct rec r;
	json_t *tried;
	int64_t chosen = -1;
	double err;
	int result = -1;

	if (n->noise == 0 || n->noise_short == 0 ||
	    2 * n->noise_short < n->noise)
		return 0;
	if ((s = selector_for(&n->name, 1)) == NULL)
		return -1;
	if ((tried = json_array()) == NULL) {
		sel_free(s);
		return -1;
	}
	for (size_t i = 0; i < NSTEPS && chosen < 0; i++) {
		struct rp_rule rule = { s, dur_steps[i], -1 };
		long removed;

		if (dur_steps[i] <= n->cur_for)
			continue;
		if (replay(c, &rule, 1, NULL, 0, NULL, &res) < 0)
			goto out;
		removed = net(res.noise_removed, c->base.noise_removed);
		if (json_array_append_new(tried, json_pack("{s:o, s:I}",
		    "forSeconds", seconds_json(dur_steps[i]),
		    "noiseRemoved", (json_int_t)removed)) < 0) {
			rp_result_free(&res);
			goto out;
		}
		if ((double)removed >= c->ro->for_target * (double)n->noise)
			chosen = dur_steps[i];
		else
			rp_result_free(&res);
	}
	if (chosen < 0) {
		result = 0;
		goto out;
	}
	err = replay_error(c, &n->name, 1);
	rec_init(&r, RC_RAISE_FOR, "prometheus_rule", n->name);
	pred_from(c, &res, err, &r.pred);
	rp_result_free(&res);
	if (!helps(&r.pred)) {
		rec_free(&r);
		result = 0;
		goto out;
	}
	text_printf(&r.id, "raise_for:%s", n->name);
	add_matcher(&r, &n->name, 1);
	ev_int(&r, "episodes", n->episodes);
	ev_int(&r, "noiseEpisodes", n->noise);
	ev_int(&r, "transientOrFlapping", n->noise_short);
	ev_set(&r, "currentForSeconds", seconds_json(n->cur_for));
	/* its condition held, but for less than the current `for`: more of
	 * the same short periods, already kept from firing */
	ev_int(&r, "pendingOnly", n->pending_only);
	ev_set(&r, "forSeconds", seconds_json(chosen));
	ev_set(&r, "candidates", tried);
	r.ch.for_ms = chosen;
	tried = NULL;
	r.conf = confidence(n->noise, 1, err, r.pred.lost);

	text_printf(&r.snippet, "- alert: ");
	put_yaml(&r.snippet, n->name);
	text_printf(&r.snippet, "\n  # keep your expr, labels and annotations"
	    "\n  for: ");
	put_dur(&r.snippet, chosen, 0);
	text_putc(&r.snippet, '\n');

	text_printf(&r.summary, "Raise `for` of ");
	put_plain(&r.summary, n->name);
	text_printf(&r.summary, " to ");
	put_dur(&r.summary, chosen, 0);
	text_printf(&r.summary, ": %ld of its %ld noise episodes would not "
	    "fire", r.pred.noise_removed, n->noise);
	if (n->pending_only > 0)
		text_printf(&r.summary, " (%ld more went pending and ended "
		    "before firing under the current `for`)", n->pending_only);
	put_effect(&r.summary, &r.pred);
	if (r.pred.delayed > 0) {
		text_printf(&r.summary, "; %ld actionable episode%s would fire "
		    "up to ", r.pred.delayed, r.pred.delayed == 1 ? "" : "s");
		put_dur(&r.summary, (int64_t)(r.pred.max * SEC), 1);
		text_printf(&r.summary, " later");
	}
	if (r.pred.lost > 0)
		text_printf(&r.summary, "; %ld actionable episode%s would "
		    "never fire", r.pred.lost, r.pred.lost == 1 ? "" : "s");
	text_printf(&r.summary, ".");
	result = emit(c, &r);
out:
	json_decref(tried);
	sel_free(s);
	return result;
}

static int
rec_keep_firing_for(struct rc *c, const struct name *n)
{
	struct sel *s;
	struct rp_result res;
	struct rec r;
	int64_t p90, kff = -1;
	size_t bridged = 0;
	double err;

	if (n->noise_flapping == 0 || n->ngaps == 0)
		return 0;
	/* nearest rank: the ceil(0.9 n)-th smallest */
	p90 = n->gaps[(size_t)ceil(0.9 * (double)n->ngaps) - 1];
	for (size_t i = 0; i < NSTEPS && kff < 0; i++)
		if (dur_steps[i] >= p90 && dur_steps[i] > n->cur_kff)
			kff = dur_steps[i];
	if (kff < 0)
		return 0;	/* gaps too long to call it flapping */
	while (bridged < n->ngaps && n->gaps[bridged] <= kff)
		bridged++;
	if ((s = selector_for(&n->name, 1)) == NULL)
		return -1;
	{
		struct rp_rule rule = { s, -1, kff };

		if (replay(c, &rule, 1, NULL, 0, NULL, &res) < 0) {
			sel_free(s);
			return -1;
		}
	}
	sel_free(s);
	err = replay_error(c, &n->name, 1);
	rec_init(&r, RC_KEEP_FIRING_FOR, "prometheus_rule", n->name);
	pred_from(c, &res, err, &r.pred);
	rp_result_free(&res);
	if (!helps(&r.pred)) {
		rec_free(&r);
		return 0;
	}
	text_printf(&r.id, "keep_firing_for:%s", n->name);
	add_matcher(&r, &n->name, 1);
	ev_int(&r, "flappingEpisodes", n->noise_flapping);
	ev_int(&r, "gaps", (long long)n->ngaps);
	ev_set(&r, "gapP50Seconds", seconds_json(
	    n->gaps[(size_t)ceil(0.5 * (double)n->ngaps) - 1]));
	ev_set(&r, "gapP90Seconds", seconds_json(p90));
	ev_int(&r, "gapsBridged", (long long)bridged);
	ev_set(&r, "currentKeepFiringForSeconds",
	    seconds_json(n->cur_kff));
	ev_set(&r, "keepFiringForSeconds", seconds_json(kff));
	r.ch.keep_firing_for_ms = kff;
	r.conf = confidence((long)bridged, 1, err, r.pred.lost);

	text_printf(&r.snippet, "- alert: ");
	put_yaml(&r.snippet, n->name);
	text_printf(&r.snippet, "\n  # keep your expr, labels and annotations"
	    "\n  keep_firing_for: ");
	put_dur(&r.snippet, kff, 0);
	text_putc(&r.snippet, '\n');

	text_printf(&r.summary, "Give ");
	put_plain(&r.summary, n->name);
	text_printf(&r.summary, " keep_firing_for: ");
	put_dur(&r.summary, kff, 0);
	text_printf(&r.summary, ": 90%% of the gaps before it fired again "
	    "were at most ");
	put_dur(&r.summary, p90, 1);
	text_printf(&r.summary, ", so a run of flaps would fire once");
	put_effect(&r.summary, &r.pred);
	text_printf(&r.summary, ".");
	return emit(c, &r);
}

static int
rec_repeat_interval(struct rc *c, const struct name *n)
{
	struct rp_route change = { NULL, NULL, NULL, 0, 0, -1, -1,
	    REPEAT_PROPOSED, -1, NULL, 0 };
	const char **recv;
	size_t nrecv;
	int oom = 0;
	struct rec r;
	long once_a_day;

	if (n->persistent == 0)
		return 0;
	/* a notification a day of firing, plus the first */
	once_a_day = n->persistent + (long)(n->persistent_ms / DAY);
	if (n->persistent_notifications <= once_a_day)
		return 0;
	recv = receivers_of(c, n->name, &nrecv, &oom);
	if (oom)
		return -1;
	if (nrecv == 0)
		return 0;
	rec_init(&r, RC_REPEAT_INTERVAL, "alertmanager_route", n->name);
	if (route_replay(c, n->name, recv, nrecv, &change, &r.pred) < 0) {
		rec_free(&r);
		free(recv);
		return -1;
	}
	if (!helps(&r.pred)) {
		rec_free(&r);
		free(recv);
		return 0;
	}
	text_printf(&r.id, "repeat_interval:%s", n->name);
	add_matcher(&r, &n->name, 1);
	ev_int(&r, "persistentEpisodes", n->persistent);
	ev_int(&r, "notifications", n->persistent_notifications);
	ev_set(&r, "firingSeconds", seconds_json(n->persistent_ms));
	ev_int(&r, "instances", n->persistent_ids);
	ev_set(&r, "notificationsPerDay", json_real(
	    (double)n->persistent_notifications * DAY /
	    (double)(n->persistent_ms > 0 ? n->persistent_ms : 1)));
	ev_set(&r, "receivers", strings_json(recv, nrecv));
	ev_set(&r, "repeatIntervalSeconds", seconds_json(REPEAT_PROPOSED));
	ch_strings(&r, &r.ch.receivers, recv, nrecv);
	r.ch.repeat_interval_ms = REPEAT_PROPOSED;
	r.conf = confidence(n->persistent_notifications, 1,
	    r.pred.replay_error, r.pred.lost);

	put_route_head(&r.snippet, n->name);
	for (size_t i = 0; i < nrecv; i++) {
		put_route_matchers(&r.snippet, n->name);
		text_printf(&r.snippet, "    receiver: ");
		put_yaml(&r.snippet, recv[i]);
		text_printf(&r.snippet, "\n    repeat_interval: ");
		put_dur(&r.snippet, REPEAT_PROPOSED, 0);
		text_putc(&r.snippet, '\n');
		if (i + 1 < nrecv)
			text_printf(&r.snippet, "    continue: true\n");
	}

	text_printf(&r.summary, "Re-notify ");
	put_plain(&r.summary, n->name);
	text_printf(&r.summary, " once a day (repeat_interval ");
	put_dur(&r.summary, REPEAT_PROPOSED, 0);
	text_printf(&r.summary, "): ");
	if (n->persistent_ids > 1)	/* not wall time: say so */
		text_printf(&r.summary, "summed over its %ld instances, ",
		    n->persistent_ids);
	text_printf(&r.summary, "it stayed firing for ");
	put_dur(&r.summary, n->persistent_ms, 1);
	text_printf(&r.summary, " and was notified %ld times",
	    n->persistent_notifications);
	put_effect(&r.summary, &r.pred);
	text_printf(&r.summary, ".");
	free(recv);
	return emit(c, &r);
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A storm's common labels as an object, in their order. */
static json_t *
labels_json(const struct an_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < n; i++)
		if (json_object_set_new(o, l[i].name,
		    json_string(l[i].value)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static int
rec_group_by(struct rc *c, const struct an_group *g)
{
	const char *name = g->nmembers > 0 ? g->members[0].alertname : NULL;
	const char **by = NULL, **recv = NULL;
	size_t nby = 0, nrecv = 0;
	int oom = 0, result = -1;
	struct rp_route change = { NULL, NULL, NULL, 0, 1, -1, -1, -1, -1,
	    NULL, 0 };
	struct rec r;

	if (name == NULL)
		return 0;	/* cannot happen: a storm has members */
	assert(g->kind == GROUP_STORM);
	if ((by = malloc((g->storm.ncommon + 1) * sizeof(*by))) == NULL)
		return -1;
	by[nby++] = "alertname";
	for (size_t i = 0; i < g->storm.ncommon; i++)
		if (strcmp(g->storm.common[i].name, "alertname") != 0)
			by[nby++] = g->storm.common[i].name;
	qsort(by + 1, nby - 1, sizeof(*by), str_cmp);
	recv = receivers_of(c, name, &nrecv, &oom);
	if (oom)
		goto out;
	if (nrecv == 0) {
		result = 0;
		goto out;
	}
	change.group_by = by;
	change.ngroup_by = nby;
	rec_init(&r, RC_GROUP_BY, "alertmanager_route", name);
	if (route_replay(c, name, recv, nrecv, &change, &r.pred) < 0) {
		rec_free(&r);
		goto out;
	}
	if (!helps(&r.pred)) {
		rec_free(&r);
		result = 0;
		goto out;
	}
	text_printf(&r.id, "group_by:%s", name);
	add_matcher(&r, &name, 1);
	ev_int(&r, "occurrences", g->support);
	ev_int(&r, "maxIdentities", (long long)g->storm.max_identities);
	ev_int(&r, "identities", (long long)g->storm.identities);
	ev_set(&r, "commonLabels", labels_json(g->storm.common,
	    g->storm.ncommon));
	ev_set(&r, "varyingLabels", strings_json(g->storm.varying,
	    g->storm.nvarying));
	ev_set(&r, "receivers", strings_json(recv, nrecv));
	ev_set(&r, "group_by", strings_json(by, nby));
	ch_strings(&r, &r.ch.receivers, recv, nrecv);
	ch_strings(&r, &r.ch.group_by, by, nby);
	r.conf = confidence(g->support, 1, r.pred.replay_error, r.pred.lost);

	put_route_head(&r.snippet, name);
	for (size_t i = 0; i < nrecv; i++) {
		put_route_matchers(&r.snippet, name);
		text_printf(&r.snippet, "    receiver: ");
		put_yaml(&r.snippet, recv[i]);
		text_printf(&r.snippet, "\n    group_by: [");
		for (size_t j = 0; j < nby; j++) {
			if (j > 0)
				text_printf(&r.snippet, ", ");
			put_yaml(&r.snippet, by[j]);
		}
		text_printf(&r.snippet, "]\n");
		if (i + 1 < nrecv)
			text_printf(&r.snippet, "    continue: true\n");
	}

	text_printf(&r.summary, "Group ");
	put_plain(&r.summary, name);
	text_printf(&r.summary, " by ");
	for (size_t j = 0; j < nby; j++) {
		if (j > 0)
			text_printf(&r.summary, ", ");
		put_plain(&r.summary, by[j]);
	}
	text_printf(&r.summary, ": its storm%s of up to %lld alerts would be "
	    "notified together", g->support == 1 ? "" : "s",
	    (long long)g->storm.max_identities);
	put_effect(&r.summary, &r.pred);
	text_printf(&r.summary, ".");
	result = emit(c, &r);
out:
	free(by);
	free(recv);
	return result;
}

/* Whether identity id belongs to group member m: the member's alertname,
 * and its value of every label the member shows. */
static int
in_member(const struct an_identity *id, const struct an_member *m)
{
	json_t *v;
	const char *k;

	if (id->alertname == NULL || strcmp(m->alertname, id->alertname) != 0)
		return 0;
	json_object_foreach(m->labels, k, v) {
		json_t *w = json_object_get(id->labels, k);

		if (w == NULL || !json_equal(v, w))
			return 0;
	}
	return 1;
}

/* The inhibit rule's equal: see the file comment. role[ident] is 1 for the
 * leader's identities, 2 for the followers'. Fills eq (names borrowed from
 * the analysis), returns how many, or -1 on out-of-memory; *ndup gets the
 * follower episodes looked at. */
static long
inhibit_equal(const struct rc *c, long gi, const unsigned char *role,
    const char ***eq, long *ndup)
{
	const struct analysis *a = c->a;
	const json_t *first = NULL;
	const char *k, **cand;
	json_t *v;
	unsigned char *ok;
	size_t ncand = 0, n = 0;

	*eq = NULL;
	*ndup = 0;
	for (size_t i = 0; i < a->nids && first == NULL; i++)
		if (role[i])
			first = a->ids[i].labels;
	cand = malloc((json_object_size(first) + 1) * sizeof(*cand));
	ok = malloc(json_object_size(first) + 1);
	if (cand == NULL || ok == NULL) {
		free(cand);
		free(ok);
		return -1;
	}
	json_object_foreach((json_t *)first, k, v) {
		size_t i;

		if (strcmp(k, "alertname") == 0)
			continue;
		for (i = 0; i < a->nids; i++)
			if (role[i] && json_object_get(a->ids[i].labels, k) ==
			    NULL)
				break;
		if (i == a->nids) {
			ok[ncand] = 1;
			cand[ncand++] = k;
		}
	}
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int64_t t = e->firing_at;

		if (e->group != gi || role[e->ident] != 2)
			continue;
		(*ndup)++;
		for (size_t l = 0; l < ncand; l++) {
			const json_t *want = json_object_get(
			    a->ids[e->ident].labels, cand[l]);
			int found = 0;

			/* leader episodes started in [t - window, t] */
			for (size_t j = i + 1; j-- > 0 && !found;) {
				const struct an_episode *f = &a->eps[j];

				if (f->firing_at < t - c->o->cofire_window_ms)
					break;
				found = role[f->ident] == 1 && json_equal(want,
				    json_object_get(a->ids[f->ident].labels,
				    cand[l]));
			}
			for (size_t j = i + 1; j < a->neps && !found &&
			    a->eps[j].firing_at == t; j++)
				found = role[a->eps[j].ident] == 1 &&
				    json_equal(want, json_object_get(
				    a->ids[a->eps[j].ident].labels, cand[l]));
			if (!found)
				ok[l] = 0;
		}
	}
	for (size_t l = 0; l < ncand; l++)
		if (ok[l])
			cand[n++] = cand[l];
	free(ok);
	qsort(cand, n, sizeof(*cand), str_cmp);
	*eq = cand;
	return (long)n;
}

static int
rec_inhibit(struct rc *c, const struct an_group *g, long gi)
{
	const struct analysis *a = c->a;
	const struct an_member *lm = g->leader < 0 ? NULL :
	    &g->members[g->leader];
	const char *src = lm != NULL ? lm->alertname : NULL;
	const char **tg = NULL, **eq = NULL;
	size_t ntg = 0;
	long neq = 0, ndup = 0;
	unsigned char *role = NULL;
	struct sel *ss = NULL, *ts = NULL;
	struct rp_result res;
	struct rec r;
	double err;
	int result = -1;

	if (src == NULL)
		return 0;	/* no leader: no source to inhibit with */
	tg = malloc((g->nmembers + 1) * sizeof(*tg));
	role = calloc(a->nids ? a->nids : 1, 1);
	if (tg == NULL || role == NULL)
		goto out;
	for (size_t i = 0; i < g->nmembers; i++) {
		const char *m = g->members[i].alertname;
		size_t j;

		if (strcmp(m, src) == 0)
			continue;
		for (j = 0; j < ntg && strcmp(tg[j], m) != 0; j++)
			;
		if (j == ntg)
			tg[ntg++] = m;
	}
	if (ntg == 0) {
		result = 0;
		goto out;
	}
	qsort(tg, ntg, sizeof(*tg), str_cmp);
	for (size_t k = 0; k < a->nids; k++) {
		if (in_member(&a->ids[k], lm)) {
			role[k] = 1;
			continue;
		}
		for (size_t i = 0; i < g->nmembers; i++)
			if ((long)i != g->leader && strcmp(alertname_of(a, k),
			    src) != 0 && in_member(&a->ids[k], &g->members[i]))
				role[k] = 2;
	}
	if ((neq = inhibit_equal(c, gi, role, &eq, &ndup)) < 0)
		goto out;
	ss = selector_for(&src, 1);
	ts = selector_for(tg, ntg);
	if (ss == NULL || ts == NULL)
		goto out;
	{
		struct rp_inhibit ih = { ss, ts, eq, (size_t)neq };

		if (replay(c, NULL, 0, NULL, 0, &ih, &res) < 0)
			goto out;
	}
	{
		const char **all = malloc((ntg + 1) * sizeof(*all));

		if (all == NULL) {
			rp_result_free(&res);
			goto out;
		}
		all[0] = src;
		memcpy(all + 1, tg, ntg * sizeof(*all));
		err = replay_error(c, all, ntg + 1);
		rec_init(&r, RC_INHIBIT_RULE, "alertmanager_inhibit_rule",
		    NULL);
		text_printf(&r.id, "inhibit_rule:%s:%016" PRIx64, src,
		    names_hash(all, ntg + 1));
		free(all);
	}
	pred_from(c, &res, err, &r.pred);
	rp_result_free(&res);
	if (!helps(&r.pred)) {
		rec_free(&r);
		result = 0;
		goto out;
	}
	add_matcher(&r, tg, ntg);
	ev_set(&r, "source", json_string(src));
	ev_set(&r, "targets", strings_json(tg, ntg));
	ev_set(&r, "equal", strings_json(eq, (size_t)neq));
	ch_string(&r, &r.ch.source, src);
	ch_strings(&r, &r.ch.targets, tg, ntg);
	ch_strings(&r, &r.ch.equal, eq, (size_t)neq);
	ev_int(&r, "coOccurrences", g->support);
	ev_set(&r, "jaccard", json_real(g->jaccard));
	ev_int(&r, "followerEpisodes", ndup);
	ev_set(&r, "windowSeconds", seconds_json(c->o->cofire_window_ms));
	r.conf = confidence(g->support, 1, err, r.pred.lost);

	text_printf(&r.snippet, "inhibit_rules:\n  - source_matchers: [");
	{
		struct text m;

		text_init(&m);
		put_matcher(&m, &src, 1);
		put_yaml(&r.snippet, text_str(&m));
		text_printf(&r.snippet, "]\n    target_matchers: [");
		buf_reset(&m.b);
		put_matcher(&m, tg, ntg);
		put_yaml(&r.snippet, text_str(&m));
		r.snippet.failed |= m.failed;
		buf_free(&m.b);
	}
	text_printf(&r.snippet, "]\n    equal: [");
	for (long i = 0; i < neq; i++) {
		if (i > 0)
			text_printf(&r.snippet, ", ");
		put_yaml(&r.snippet, eq[i]);
	}
	text_printf(&r.snippet, "]\n");

	text_printf(&r.summary, "Let ");
	put_plain(&r.summary, src);
	text_printf(&r.summary, " inhibit ");
	for (size_t i = 0; i < ntg; i++) {
		if (i > 0)
			text_printf(&r.summary, i + 1 < ntg ? ", " : " and ");
		put_plain(&r.summary, tg[i]);
	}
	if (neq > 0) {
		text_printf(&r.summary, " with equal ");
		for (long i = 0; i < neq; i++) {
			if (i > 0)
				text_printf(&r.summary, ", ");
			put_plain(&r.summary, eq[i]);
		}
	}
	text_printf(&r.summary, ": they started within ");
	put_dur(&r.summary, c->o->cofire_window_ms, 1);
	text_printf(&r.summary, " after it %d times", g->support);
	put_effect(&r.summary, &r.pred);
	text_printf(&r.summary, ".");
	result = emit(c, &r);
out:
	free(tg);
	free(eq);
	free(role);
	sel_free(ss);
	sel_free(ts);
	return result;
}

static int
rec_route_away(struct rc *c, const struct name *n)
{
	const char **recv, *to = NULL;
	const char **paging = NULL;
	size_t nrecv, npg = 0;
	long best = -1;
	int oom = 0;
	struct rec r;

	if (n->pages <= 0 || n->fb_noise < c->ro->noise_marks_min ||
	    n->fb_actionable > 0)
		return 0;
	recv = receivers_of(c, n->name, &nrecv, &oom);
	if (oom)
		return -1;
	if ((paging = malloc((nrecv ? nrecv : 1) * sizeof(*paging))) == NULL) {
		free(recv);
		return -1;
	}
	/* the non-paging receiver it went to most, the first by name on a
	 * tie (recv is sorted) */
	for (size_t i = 0; i < nrecv; i++) {
		long k = 0;

		if (an_is_paging(c->o, recv[i])) {
			paging[npg++] = recv[i];
			continue;
		}
		for (size_t j = 0; j < c->base.ncounts; j++)
			if (strcmp(c->base.counts[j].alertname, n->name) == 0 &&
			    strcmp(c->base.counts[j].receiver, recv[i]) == 0)
				k = c->base.counts[j].recorded;
		if (k > best) {
			best = k;
			to = recv[i];
		}
	}
	rec_init(&r, RC_ROUTE_AWAY_FROM_PAGING, "alertmanager_route", n->name);
	text_printf(&r.id, "route_away_from_paging:%s", n->name);
	add_matcher(&r, &n->name, 1);
	r.pred.pages_before = (long)c->a->npages;
	r.pred.pages_after = (long)c->a->npages > n->pages ?
	    (long)c->a->npages - n->pages : 0;
	ev_int(&r, "pages", n->pages);
	ev_int(&r, "noiseVerdicts", n->fb_noise);
	ev_int(&r, "actionableVerdicts", n->fb_actionable);
	ev_int(&r, "episodes", n->episodes);
	ev_set(&r, "pagingReceivers", strings_json(paging, npg));
	ev_set(&r, "receiver", json_string(to ? to : TICKET));
	ch_strings(&r, &r.ch.paging_receivers, paging, npg);
	ch_string(&r, &r.ch.receiver, to ? to : TICKET);
	r.conf = confidence(n->fb_noise, 0, -1, 0);

	put_route_head(&r.snippet, n->name);
	put_route_matchers(&r.snippet, n->name);
	text_printf(&r.snippet, "    receiver: ");
	put_yaml(&r.snippet, to ? to : TICKET);
	text_printf(&r.snippet, "%s\n", to ? "" :
	    "  # a receiver that does not page: create it");

	text_printf(&r.summary, "Stop paging for ");
	put_plain(&r.summary, n->name);
	text_printf(&r.summary, ": people marked it noise %ld times and never "
	    "actionable; route it to ", n->fb_noise);
	put_plain(&r.summary, to ? to : TICKET);
	text_printf(&r.summary, " (pages %ld → %ld).", r.pred.pages_before,
	    r.pred.pages_after);
	free(recv);
	free(paging);
	return emit(c, &r);
}

static int
rec_fix_or_delete(struct rc *c, const struct name *n)
{
	struct rec r;

	if (n->long_eps == 0)
		return 0;
	rec_init(&r, RC_FIX_OR_DELETE, "prometheus_rule", n->name);
	text_printf(&r.id, "fix_or_delete:%s", n->name);
	add_matcher(&r, &n->name, 1);
	/* what deleting the rule does */
	r.pred.pages_before = (long)c->a->npages;
	r.pred.pages_after = (long)c->a->npages > n->pages ?
	    (long)c->a->npages - n->pages : 0;
	r.pred.noise_removed = n->noise;
	r.pred.lost = n->actionable;
	ev_int(&r, "episodesOverReview", n->long_eps);
	ev_set(&r, "longestFiringSeconds", seconds_json(n->longest_ms));
	ev_set(&r, "stillFiring", json_boolean(n->long_open));
	ev_set(&r, "reviewAfterSeconds",
	    seconds_json(c->ro->persistent_review_ms));
	ev_int(&r, "noiseVerdicts", n->fb_noise);
	ev_int(&r, "actionableVerdicts", n->fb_actionable);
	r.conf = RC_CONF_HIGH;

	text_printf(&r.snippet, "# alertnoise: ");
	put_plain(&r.snippet, n->name);
	text_printf(&r.snippet, " %s for ", n->long_open ? "has been firing" :
	    "fired");
	put_dur(&r.snippet, n->longest_ms, 1);
	text_printf(&r.snippet, " (review after ");
	put_dur(&r.snippet, c->ro->persistent_review_ms, 1);
	text_printf(&r.snippet, ").\n# An alert that fires for days is not "
	    "acted on: fix what it reports,\n# or delete the rule:\n"
	    "# - alert: ");
	put_yaml(&r.snippet, n->name);	/* one line: escapes, if any */
	text_putc(&r.snippet, '\n');

	put_plain(&r.summary, n->name);
	text_printf(&r.summary, " %s for ", n->long_open ? "has been firing" :
	    "fired");
	put_dur(&r.summary, n->longest_ms, 1);
	text_printf(&r.summary, ", longer than the ");
	put_dur(&r.summary, c->ro->persistent_review_ms, 1);
	text_printf(&r.summary, " review limit: fix the cause or delete the "
	    "rule.");
	return emit(c, &r);
}

static int
rec_drop_replica(struct rc *c)
{
	const struct analysis *a = c->a;
	const char **names;
	size_t nn = 0, idents = 0;
	json_int_t maxc = 0;
	struct rec r;

	if (c->ro->nreplica == 0 || a->ngroups == 0)
		return 0;
	if ((names = malloc(a->ngroups * sizeof(*names))) == NULL)
		return -1;
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct an_group *g = &a->groups[i];
		json_int_t copies;
		const char *m;
		size_t j;

		if (g->kind != GROUP_REPLICA || g->nmembers == 0)
			continue;
		copies = g->replica.copies;
		m = g->members[0].alertname;
		if (copies <= 1)
			continue;
		idents++;
		if (copies > maxc)
			maxc = copies;
		for (j = 0; j < nn && strcmp(names[j], m) != 0; j++)
			;
		if (j == nn)
			names[nn++] = m;
	}
	if (nn == 0) {
		free(names);
		return 0;
	}
	qsort(names, nn, sizeof(*names), str_cmp);
	rec_init(&r, RC_DROP_REPLICA_LABEL, "prometheus_config",
	    nn == 1 ? names[0] : NULL);
	text_printf(&r.id, "drop_replica_label");
	add_matcher(&r, names, nn);
	ev_int(&r, "identities", (long long)idents);
	ev_int(&r, "maxCopies", maxc);
	ev_set(&r, "alertnames", strings_json(names, nn));
	ev_set(&r, "replicaLabels", strings_json(c->ro->replica_labels,
	    c->ro->nreplica));
	r.conf = RC_CONF_HIGH;

	text_printf(&r.snippet, "alerting:\n  alert_relabel_configs:\n"
	    "    - action: labeldrop\n      regex: ");
	{
		struct text re;

		text_init(&re);
		for (size_t i = 0; i < c->ro->nreplica; i++) {
			if (i > 0)
				text_putc(&re, '|');
			put_re_literal(&re, c->ro->replica_labels[i]);
		}
		/* label names joined by '|' read as one plain string (no
		 * indicator first, no ": " or " #"); anything else is quoted */
		if (strspn(text_str(&re), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_|") == re.b.len &&
		    re.b.len > 0 && text_str(&re)[0] != '|')
			text_printf(&r.snippet, "%s", text_str(&re));
		else
			put_yaml(&r.snippet, text_str(&re));
		r.snippet.failed |= re.failed;
		buf_free(&re.b);
	}
	text_putc(&r.snippet, '\n');

	text_printf(&r.summary, "Drop the replica label%s (",
	    c->ro->nreplica == 1 ? "" : "s");
	for (size_t i = 0; i < c->ro->nreplica; i++) {
		if (i > 0)
			text_printf(&r.summary, ", ");
		put_plain(&r.summary, c->ro->replica_labels[i]);
	}
	text_printf(&r.summary, ") before alerts leave Prometheus: %zu "
	    "alert%s arrived from up to %lld replicas at once.", idents,
	    idents == 1 ? "" : "s", (long long)maxc);
	free(names);
	return emit(c, &r);
}

/* --- rc_recommend -------------------------------------------------------- */

/* Pages saved, most first, then id (qsort). */
static int
row_cmp(const void *x, const void *y)
{
	const struct rc_rec *p = x, *q = y;
	long sp = rc_pages_saved(p), sq = rc_pages_saved(q);

	if (sp != sq)
		return sp > sq ? -1 : 1;
	return strcmp(p->id, q->id);
}

int
rc_recommend(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rc_opts *ro, struct rc_list *out)
{
	static const struct rp_settings none = { NULL, 0, NULL, 0, NULL, 0 };
	struct rc_opts def;
	struct rc c;
	int result = -1, based = 0;

	assert(a != NULL && h != NULL && o != NULL && out != NULL);
	out->rows = NULL;
	out->n = 0;
	if (ro == NULL) {
		rc_opts_default(&def);
		ro = &def;
	}
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.h = h;
	c.o = o;
	c.cur = current != NULL ? current : &none;
	c.ro = ro;
	if (ro->lim != NULL) {
		if ((result = rp_base_new_limited(a, h, o, c.cur, ro->lim,
		    &c.rb)) != RP_OK) {
			result = result == RP_ENOMEM ? -1 : result;
			goto out;
		}
		result = -1;
	} else if (rp_base_new(a, h, o, c.cur, &c.rb) < 0)
		goto out;
	if (rp_base_run(c.rb, NULL, &c.base) < 0)
		goto out;
	based = 1;
	/* the candidates are judged by their totals against c.base's counts:
	 * theirs would cost a walk of every alertname each */
	rp_base_counts(c.rb, 0);
	/* past a limit every candidate's replay would stop at once: the
	 * list is not worth the rest */
	if (rp_base_status(c.rb) != RP_OK || name_stats(&c) < 0)
		goto out;
	for (size_t i = 0; i < c.nnames; i++) {
		const struct name *n = &c.names[i];

		if (rp_base_status(c.rb) != RP_OK)
			goto out;
		if (rec_raise_for(&c, n) < 0 ||
		    rec_keep_firing_for(&c, n) < 0 ||
		    rec_repeat_interval(&c, n) < 0 ||
		    rec_route_away(&c, n) < 0 ||
		    rec_fix_or_delete(&c, n) < 0)
			goto out;
	}
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct an_group *g = &a->groups[i];

		if (g->kind == GROUP_STORM && rec_group_by(&c, g) < 0)
			goto out;
		if (g->kind == GROUP_COFIRING &&
		    rec_inhibit(&c, g, (long)i) < 0)
			goto out;
	}
	if (rec_drop_replica(&c) < 0)
		goto out;
	/* a replay stopped by a limit counted only part of its window */
	if (rp_base_status(c.rb) != RP_OK) {
		result = rp_base_status(c.rb);
		goto out;
	}
	qsort(c.out.rows, c.out.n, sizeof(*c.out.rows), row_cmp);
	*out = c.out;
	memset(&c.out, 0, sizeof(c.out));
	result = 0;
out:
	if (result == -1 && rp_base_status(c.rb) != RP_OK)
		result = rp_base_status(c.rb);
	rc_list_free(&c.out);
	if (based)
		rp_result_free(&c.base);
	rp_base_free(c.rb);
	for (size_t i = 0; i < c.nnames; i++)
		free(c.names[i].gaps);
	free(c.names);
	free(c.name_of);
	return result;
}

void
rc_list_free(struct rc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		row_free(&l->rows[i]);
	free(l->rows);
	l->rows = NULL;
	l->n = 0;
}

void
rc_list_remove(struct rc_list *l, size_t i)
{
	assert(i < l->n);
	row_free(&l->rows[i]);
	memmove(&l->rows[i], &l->rows[i + 1],
	    (l->n - i - 1) * sizeof(*l->rows));
	l->n--;
}

long
rc_pages_saved(const struct rc_rec *r)
{
	if (r->pred.pages_before < 0 || r->pred.pages_after < 0)
		return 0;
	return r->pred.pages_before - r->pred.pages_after;
}

int
rc_add_patch(struct rc_rec *r, const char *file, const char *diff,
    size_t dlen, const char *error)
{
	struct rc_patch *p, n = { NULL, NULL, 0, NULL };

	r->patched = 1;
	if (!utf8_valid(file, strlen(file)) || (diff != NULL &&
	    !utf8_valid(diff, dlen)) || (error != NULL &&
	    !utf8_valid(error, strlen(error))))
		return -1;
	n.file = strdup(file);
	if (diff != NULL && (n.diff = malloc(dlen + 1)) != NULL) {
		memcpy(n.diff, diff, dlen);
		n.diff[dlen] = '\0';
		n.difflen = dlen;
	}
	if (diff == NULL)
		n.error = strdup(error != NULL ? error : "");
	if (n.file == NULL || (diff != NULL ? n.diff == NULL :
	    n.error == NULL) || (p = realloc(r->patches, (r->npatches + 1) *
	    sizeof(*p))) == NULL) {
		free(n.file);
		free(n.diff);
		free(n.error);
		return -1;
	}
	r->patches = p;
	r->patches[r->npatches++] = n;
	return 0;
}

int
rc_set_safety(struct rc_rec *r, enum rc_check check, const char *why,
    long identities_checked, long identities_moved, long routes_added)
{
	char *w = NULL;

	if (why != NULL && (w = strdup(why)) == NULL)
		return -1;
	free(r->safety.why);
	r->safety = (struct rc_safety){ check, w, identities_checked,
	    identities_moved, routes_added };
	return 0;
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *
count_json(long v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *
real_json(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *
rc_pred_json(const struct rc_pred *p)
{
	json_t *o = json_object(), *d = NULL;
	int bad = o == NULL;

	if (p->p50 >= 0 || p->max >= 0) {
		d = json_object();
		bad |= d == NULL ||
		    json_object_set_new(d, "p50", real_json(p->p50)) < 0 ||
		    json_object_set_new(d, "max", real_json(p->max)) < 0;
	}
	bad |= json_object_set_new(o, "pagesBefore",
	    count_json(p->pages_before)) < 0;
	bad |= json_object_set_new(o, "pagesAfter",
	    count_json(p->pages_after)) < 0;
	bad |= json_object_set_new(o, "notificationsBefore",
	    count_json(p->notif_before)) < 0;
	bad |= json_object_set_new(o, "notificationsAfter",
	    count_json(p->notif_after)) < 0;
	bad |= json_object_set_new(o, "noiseRemoved",
	    count_json(p->noise_removed)) < 0;
	bad |= json_object_set_new(o, "actionableDelayed",
	    count_json(p->delayed)) < 0;
	bad |= json_object_set_new(o, "actionableLost",
	    count_json(p->lost)) < 0;
	bad |= json_object_set_new(o, "addedDelaySeconds",
	    d != NULL ? d : json_null()) < 0;
	bad |= json_object_set_new(o, "replayError",
	    real_json(p->replay_error)) < 0;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* evidence.safety: what was checked. */
static json_t *
safety_json(const struct rc_safety *sf)
{
	switch (sf->check) {
	case RC_CHECK_NOT_MADE:
		return json_pack("{s:s, s:s}", "check", "not made", "why",
		    sf->why != NULL ? sf->why : "");
	case RC_CHECK_RECEIVERS:
		return json_pack("{s:s, s:I, s:I, s:I}", "check",
		    "every other alert keeps its receivers",
		    "identitiesChecked", (json_int_t)sf->identities_checked,
		    "identitiesMoved", (json_int_t)sf->identities_moved,
		    "routesAdded", (json_int_t)sf->routes_added);
	case RC_CHECK_INHIBIT:
		return json_pack("{s:s, s:I}", "check", "no alert can mute its "
		    "own source (mirror pairs, cycles, equal labels an alert "
		    "lacks), with the rules already there and the other "
		    "recommended ones", "identitiesChecked",
		    (json_int_t)sf->identities_checked);
	case RC_CHECK_NONE:
		break;
	}
	return NULL;	/* cannot happen: called when checked */
}

static json_t *
patches_json(const struct rc_rec *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < r->npatches; i++) {
		const struct rc_patch *p = &r->patches[i];
		json_t *o = p->diff != NULL ?
		    json_pack("{s:s, s:s%}", "file", p->file, "diff", p->diff,
		    p->difflen) :
		    json_pack("{s:s, s:s}", "file", p->file, "error", p->error);

		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *
rc_rec_json(const struct rc_rec *r)
{
	json_t *matchers = strings_json((const char *const *)r->matchers.v,
	    r->matchers.n);
	json_t *ev = json_deep_copy(r->evidence), *pr = rc_pred_json(&r->pred);
	json_t *o = NULL;

	if (matchers == NULL || ev == NULL || pr == NULL)
		goto fail;
	if (r->safety.check != RC_CHECK_NONE &&
	    json_object_set_new(ev, "safety", safety_json(&r->safety)) < 0)
		goto fail;
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s}",
	    "id", r->id, "kind", rc_kind_name(r->kind),
	    "alertname", r->alertname ? json_string(r->alertname) : json_null(),
	    "matchers", matchers, "evidence", ev, "predicted", pr,
	    "confidence", rc_conf_name(r->conf), "snippet", r->snippet,
	    "target", r->target, "summary", r->summary);
	/* json_pack took the o values, also when it failed */
	matchers = ev = pr = NULL;
	if (o == NULL || (r->patched &&
	    json_object_set_new(o, "patches", patches_json(r)) < 0))
		goto fail;
	return o;
fail:
	json_decref(o);
	json_decref(matchers);
	json_decref(ev);
	json_decref(pr);
	return NULL;
}

json_t *
rc_list_json(const struct rc_list *l)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < l->n; i++)
		if (json_array_append_new(arr, rc_rec_json(&l->rows[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}
