/* replay_int.h -- what the files of the replay share (internal).
 *
 * replay.h is the replay's API; this header is included only by the files
 * that implement it, in lib/tuning:
 *
 *   replay_history.c  what history says of routing (rp_history_*), and
 *                     the key buffer the files build interned keys in
 *   replay_rules.c    the rule model: firings under rule settings, and
 *                     what they do to the recorded episodes
 *   replay_am.c       the Alertmanager model: routes, aggregation groups,
 *                     inhibition, one group replayed over the window
 *   replay.c          the base and a run (rp_base_*, rp_run,
 *                     rp_notifications), the results and their JSON
 *
 * Each calls only the ones above it in this list (replay_rules.c none of
 * them). It holds the structures more than one of them reads, and the
 * rp__ functions one file defines and another calls. */
#ifndef AN_REPLAY_INT_H
#define AN_REPLAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "intern.h"
#include "replay.h"

#define OPEN			INT64_MAX
#define NONE			SIZE_MAX	/* no group, key or tuple */

/* --- history (replay_history.c) ------------------------------------------ */

/* A key being built: bytes, length-prefixed where they vary. */
struct kbuf {
	char *p;
	size_t n, cap;
	int failed;
};

struct rp_receiver {
	char *name;
	char **group_by;		/* the keys of its groups' labels */
	size_t ngroup_by;
	int group_seen;			/* group_by given by hand */
	int recorded;			/* history holds its notifications: its
					   replay can be compared with them */
};

struct rp_recorded {
	char *alertname;
	size_t receiver;
	long n;
	int64_t last_notification;	/* counts a notification once */
};

/* A silence in effect for identity ident over [from, to). */
struct rp_sil {
	size_t ident;
	int64_t from, to;
};

struct rp_history {
	struct rp_receiver *recv;
	size_t nrecv;
	struct rp_sil *sil;		/* sorted by ident when replayed */
	size_t nsil;
	/* routed[ident * cols + r]: identity ident was notified to r */
	unsigned char *routed;
	size_t cols;
	struct rp_recorded *rec;
	size_t nrec;
	long recorded;			/* notifications in the window */
	int64_t last_notification;
};

/* Appends p[0..n) to the key k; on out-of-memory k->failed is set and
 * nothing more is appended (check it once the key is built). */
void rp__kb_put(struct kbuf *k, const void *p, size_t n);

/* Whether history notified identity ident to receiver r. */
int rp__routed(const struct rp_history *h, size_t ident, size_t r);

/* --- the rule model (replay_rules.c) ------------------------------------- */

/* A firing of an identity under some settings: [at, end), end OPEN while
 * it still fires. */
struct firing {
	int64_t at, end;
};

/* Firings of many identities. An identity's are a slot of v in the order
 * the rule model gives them (what episode effects read); the Alertmanager
 * model reads them sorted by start (stably), which is v's slot itself
 * unless a copy in alt was needed; mx[i] is the latest end among the
 * sorted ones up to i, so that "does any fire at t" is a binary search. */
struct fset {
	struct firing *v, *alt;
	int64_t *mx;
	size_t n, cap, nalt, capalt;
};

struct slot {
	size_t off, n;			/* in v and mx */
	size_t aoff;			/* in alt, when sorted_copy */
	int sorted_copy;
};

struct fview {
	const struct firing *raw, *am;	/* rule model / start order */
	const int64_t *mx;
	size_t n;
};

struct rp_base;

/* Frees f's arrays; f is an empty set again. */
void rp__fset_free(struct fset *f);

/* The rule settings that apply to an identity: the last rule of s whose
 * selector matches wins over earlier ones (a proposal is applied after the
 * current settings). */
void rp__rule_for(const struct rp_settings *s, const struct an_identity *id,
    int64_t *for_ms, int64_t *kff_ms);

/* The evaluation interval of identity k's rule. */
int64_t rp__interval_of(const struct analysis *a, size_t k);

/* The `for` history shows: the shortest pending phase of the identity's
 * fired episodes (list[0..n) of a->eps), rp_pending_ms. */
int64_t rp__recorded_for(const struct analysis *a, const size_t *list,
    size_t n);

/* Identity k's firings as b replays them now: the run's when its rules
 * changed them (b->fstamp[k] is the run's stamp), else the base's. */
void rp__view(const struct rp_base *b, size_t k, struct fview *v);
/* How many firings that view has. */
size_t rp__nfirings(const struct rp_base *b, size_t k);

/* Whether identity k fires at t. */
int rp__fires_at(const struct rp_base *b, size_t k, int64_t t);

/* Appends identity k's firings under for_ms and kff to f, in slot s.
 * Returns 0, or -1 on out-of-memory. */
int rp__ident_firings(const struct rp_base *b, size_t k, int64_t for_ms,
    int64_t kff, struct fset *f, struct slot *s);

/* The episode effects of every identity under the current settings'
 * firings: b->eff, eff_total, delays. Returns 0, or -1 on out-of-memory. */
int rp__base_effects(struct rp_base *b);

/* The firings of the identities p's rules give other settings: where they
 * differ from the base's, the run's (b->rf, clist). Returns 0, or -1 on
 * out-of-memory. */
int rp__run_rules(struct rp_base *b, const struct rp_settings *p);

/* The episode effects: the base's, those of the changed identities
 * recomputed, into res. Returns 0, or -1 on out-of-memory. */
int rp__run_effects(struct rp_base *b, struct rp_result *res);

/* --- the Alertmanager model (replay_am.c) -------------------------------- */

/* How a receiver's notifications are grouped and timed, on one route. */
struct route_eff {
	const char *const *group_by;
	size_t ngroup_by;
	int all_labels;
	int64_t wait, interval, repeat;
	int send_resolved;
	const struct am_config *tree;	/* with route_id: muted when its
					   time intervals say so */
	size_t route_id;
};

/* Group keys of the identities under one group_by: ids[k] is identity
 * k's (NONE until asked for). */
struct gspec {
	int all_labels;
	char **by;			/* copies */
	size_t nby;
	size_t *ids;
	struct intern keys;
	struct gspec *next;
};

/* An inhibit rule, indexed: which identities are its sources and targets,
 * and their `equal` values as a number (tuple), with the sources and the
 * targets of each tuple. */
struct inh {
	unsigned char *src, *tgt;
	size_t *tuple;			/* NONE: neither source nor target */
	size_t ntuples;
	size_t *sfirst, *sidx;		/* sources of tuple u: sidx[sfirst[u]..
					   sfirst[u + 1]), ascending */
	size_t *tfirst, *tidx;		/* targets, likewise */
};

/* A selector's verdict on every identity, computed once per run. */
struct mvec {
	const struct sel *s;
	unsigned char *v;
};

/* An alert of a group: one identity, its firings in time order, and what
 * the receiver last heard of it. Alertmanager knows an alert by its labels,
 * so a re-firing is the same alert again, not a new one. */
struct member {
	size_t ident;
	const struct firing *iv;	/* its firings, sorted by start */
	size_t niv;
	size_t k;			/* the firing that matters now */
	int present;			/* in the group */
	int told_firing;		/* in the last notification, firing */
	int told_resolved;		/* in the last notification, resolved */
};

/* What a group's replay reads and where it counts. */
struct gctx {
	const struct rp_base *b;
	const struct inh *const *inh;	/* the inhibit rules in effect */
	size_t ninh;
	const struct route_eff *r;
	int paging;
	long *n, *p;			/* per identity, added to */
	long total, pages;		/* the group's */
	size_t *heap, *pres;		/* scratch, room for a group's alerts */
	/* rp_notifications': told every delivered notification */
	const char *receiver;
	size_t *eps;			/* scratch, room for a group's alerts */
};

struct gk {
	size_t key, ident;
};

/* Frees the list of group-key specs g. */
void rp__specs_free(struct gspec *g);

/* Indexes inhibit rule ih over the identities, into x (free it with
 * rp__inh_free whether this succeeded or not). Returns 0, or -1 on
 * out-of-memory. */
int rp__inh_build(const struct analysis *a, const struct rp_inhibit *ih,
    struct inh *x);
void rp__inh_free(struct inh *x);

/* Whether routes x and y group and time notifications alike. */
int rp__same_route(const struct route_eff *x, const struct route_eff *y);

/* Replays the group of identities ids[0..n) (ascending): those that fire
 * are its alerts. m has room for n. */
void rp__replay_group(struct gctx *g, const size_t *ids, size_t n,
    struct member *m);

/* A run's spending against its rp_limits. */
struct rp_budget {
	const struct rp_limits *lim;
	uint64_t steps;
	int status;			/* RP_OK until a limit is hit */
};

/* Spends one step of budget b (NULL: unlimited). Returns non-zero once a
 * limit is hit (b->status says which); every later call too. */
int rp__spend(struct rp_budget *b);

/* Whether a route of s names receiver, or no receiver (all of them);
 * with matchers non-zero, only a route with matchers counts. */
int rp__routes_to(const struct rp_settings *s, const char *receiver,
    int matchers);

/* Receiver r's routes under cur, then p's on top (p may be NULL). The
 * routes naming r or no receiver apply in order, each over what the ones
 * before it set (over Alertmanager's defaults and history's group_by): one
 * without matchers to all of r's alerts, one with matchers only to the
 * alerts it matches, which then form aggregation groups of their own, as
 * under a sub-route (alertmanager dispatch/dispatch.go keeps aggregation
 * groups per route). Node 0 is the route of the alerts no matcher route
 * matches; each set of matcher routes some alert matches is one node more.
 * An alert reaches r when history notified it to r or a matcher route
 * naming r matches it. Fills of[k], identity k's node (NONE: it does not
 * reach r), and *node (the caller frees it; intervals defaulted). Returns
 * 0, or -1 on out-of-memory. */
int rp__route_nodes(struct rp_base *b, size_t r, const struct rp_settings *cur,
    const struct rp_settings *p, struct mvec **mv, size_t *nmv,
    struct route_eff **node, size_t *nnode, size_t *of);

/* Groups the identities ids[0..n) by their route, node[of[k]], then by
 * their key under it: *out as group_ids', node 0's groups first. Returns
 * the number of groups, or NONE on out-of-memory. */
size_t rp__group_routed(struct rp_base *b, const struct route_eff *node,
    size_t nnode, const size_t *of, const size_t *ids, size_t n,
    struct gk **out);

/* --- the base (replay.c) ------------------------------------------------- */

/* A receiver under the current settings, and a run's changes to it. */
struct recv {
	struct route_eff *node;		/* its routes (rp__route_nodes) */
	size_t nnode;
	int paging;
	size_t *gid;			/* per identity: its group, NONE: not
					   routed here */
	size_t ngroups;
	size_t *gnode;			/* per group: its route */
	size_t *gfirst, *gmem;		/* group g: gmem[gfirst[g]..gfirst[g + 1])
					   ascending */
	long *gtotal, *gpages;		/* what each group sent */
	size_t *gnf;			/* its identities that fire */
	long *n, *p;			/* per identity: notifications and pages
					   it was the first of its alertname
					   in (carried), so that an
					   alertname's sum counts each once */
	long total, pages;
	long *bsum_n, *bsum_p;		/* per alertname: the count's before */
	unsigned char *bused;		/* per alertname: a count exists */
	/* a run's */
	int full;			/* replayed whole under new settings */
	long rtotal, rpages;
	unsigned long *ostamp;		/* per identity: on / op are the run's */
	long *on, *op;
	unsigned long *gstamp;		/* per group: replayed again */
	unsigned long *nstamp;		/* per alertname: recount */
};

/* One member in the per-identity episode effects. */
struct effect {
	long noise_removed, delayed, lost;
};

struct rp_base {
	const struct analysis *a;
	const struct rp_history *h;
	const struct an_opts *o;
	const struct rp_settings *cur;
	int no_counts;			/* rp_base_counts(b, 0) */
	size_t nids;
	struct an_by_ident by;
	int64_t *cur_for_raw, *cur_for, *cur_kff;	/* per identity */
	struct fset f;			/* the current settings' firings */
	struct slot *fs;		/* per identity */
	struct inh *inh;		/* the current inhibit rules */
	size_t ninh;
	struct recv *recv;		/* h->nrecv of them */
	size_t *rorder;			/* receivers by name */
	struct gspec *specs;
	/* alertnames */
	size_t nnames;
	size_t *nfirst, *nidx;		/* identities of name n, CSR */
	unsigned char *nmark;		/* per name: flush's scratch */
	size_t *name_of;		/* per identity */
	const char **names;		/* sorted */
	long *recorded;			/* [r * nnames + n] */
	/* episode effects under the current settings */
	struct effect *eff;		/* per identity */
	struct effect eff_total;
	double *delays;			/* per identity: delays[dfirst[k]..
					   dfirst[k + 1]) */
	size_t *dfirst;
	long nbase_delays;
	/* a run's */
	unsigned long stamp;
	unsigned long *fstamp;		/* per identity: rf/rfs are the run's */
	struct fset rf;
	struct slot *rfs;
	unsigned long *astamp;		/* per identity: affected */
	size_t *alist, *clist;		/* affected, changed identities */
	size_t nalist, nclist;
	size_t *ids, *of;		/* scratch, nids of each */
	struct member *m;
	size_t *heap, *pres;
	/* silences per identity: sil[sfirst[k]..sfirst[k + 1]) */
	size_t *sfirst;
	const struct rp_sil **sil;
	/* rp_notifications' hook, NULL for a replay that only counts */
	rp_note_fn note;
	void *note_arg;
	size_t *note_eps;		/* scratch, nids */
	int note_failed;
	struct rp_budget *budget;	/* NULL: unlimited */
	struct rp_budget *own_budget;	/* rp_base_new_limited's: freed
					   with the base */
};

#endif
