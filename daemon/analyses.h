/* analyses.h -- cached analyses for the read API (daemon/ only). */
#ifndef AN_ANALYSES_H
#define AN_ANALYSES_H

#include <stdio.h>

#include "analysis.h"
#include "daemon.h"

/* The analysis of the window_ms up to now, from the cache when fresh.
 * Returns it and a handle to release with analysis_put, or NULL with err.
 * The analysis stays valid until the handle is released. */
const struct analysis *analysis_get(struct daemon *d, int64_t window_ms,
    void **handle, char *err, size_t errlen);
void analysis_put(void *handle);

/* What an analysis is of: the window_ms up to now (window_ms > 0), or the
 * span [from, to) (window_ms 0); with nmatch > 0 only the identities one
 * of the selectors match[] (their text, Prometheus' match[]) selects
 * (an_opts.match). Selectors are parsed again in the cache entry: check
 * them first (sel_parse) to answer a bad one with 400. */
struct analysis_key {
	int64_t window_ms;
	int64_t from, to;
	const char *const *match;
	size_t nmatch;
};

/* analysis_get of any key. On a worker thread (respond.h
 * request_current) a request waiting for the same key's computation gives
 * up at its deadline, when its client is gone or at shutdown (NULL; its
 * request_stopping says why), and the computation stops when every
 * request that wanted it gave up (it is not cached: the next request
 * computes it again). */
const struct analysis *analysis_get_key(struct daemon *d,
    const struct analysis_key *k, void **handle, char *err, size_t errlen);

/* What handle's analysis was run with: the config snapshot and the options
 * (overrides and sources included) it was computed under, valid as long as
 * the handle. Another window analysed with them (the report's previous
 * one) is analysed exactly alike. */
const struct an_config *analysis_handle_config(void *handle);
const struct an_opts *analysis_handle_opts(void *handle);
const struct analysis *analysis_handle_analysis(void *handle);

struct sources;

/* The analysis options of the config and the sources (src may be NULL:
 * none); they point into both: use them while holding cfg
 * (daemon_config) and src. With an Alertmanager source, an_run adds the notifications its
 * routing tree sent to receivers alertnoise does not see (pages among
 * them): o->post. */
void analysis_opts(const struct an_config *cfg, const struct sources *src,
    struct an_opts *o);

/* Adds the config's analysis.overrides to o (as analysis_opts filled it):
 * their selectors parsed into *ov (*nov of them), which the caller frees
 * with analysis_overrides_free after the last use of o. Returns 0, or -1
 * with err (and nothing to free). */
int analysis_overrides(const struct an_config *cfg, struct an_opts *o,
    struct an_override **ov, size_t *nov, char *err, size_t errlen);
void analysis_overrides_free(struct an_override *ov, size_t n);

/* What is derived from a cached analysis and kept with it. */
enum analysis_memo {
	ANALYSIS_SUMMARY,		/* analysis_summary */
	ANALYSIS_ALERTS,		/* analysis_alerts */
	ANALYSIS_RECOMMENDATIONS,	/* recommendations_cached */
	ANALYSIS_MEMOS
};

/* The result which of handle's analysis: computed by compute(handle, arg,
 * err, errlen) on the first call (NULL with err: failed), the same pointer
 * for every later call with any handle of the same cache entry, released
 * with release when the entry goes. A call meanwhile waits for the first
 * (NULL when its request stops first: request_stopping); no lock is held
 * while it computes; a failure is not kept. compute should stop when
 * analysis_work_stops says so (then return NULL). The result is shared:
 * read it, never change it. Valid as long as the handle. */
void *analysis_memo(void *handle, enum analysis_memo which,
    void *(*compute)(void *handle, void *arg, char *err, size_t errlen),
    void (*release)(void *), void *arg, char *err, size_t errlen);

struct an_summary;
struct an_alerts;

/* handle's an_summary_view, and its an_alerts_view (every identity, by
 * identity: rows[].idents filled); NULL with err on out-of-memory. */
const struct an_summary *analysis_summary(void *handle, char *err,
    size_t errlen);
const struct an_alerts *analysis_alerts(void *handle, char *err,
    size_t errlen);

/* Registers alertnoise_analysis_cancelled_total{reason}: 0, or -1 on
 * out-of-memory. Before the first analysis_get (http_start). */
struct met_registry;
int analysis_metrics(struct met_registry *reg);

/* Why the work the calling thread does for the cache (or its request)
 * was given up, as "WHAT took longer than web.request_timeout (Nms)" or
 * "WHAT was given up: REASON", for an error or a log. */
void analysis_stop_message(const char *what, char *err, size_t errlen);

/* Whether the work the calling thread does for the cache should stop now:
 * an_opts.stop and rp_limits.stop_fn (arg unused) of every analysis and
 * replay the daemon runs for a request. Computing an entry or a memo
 * (shared): when the daemon stops, or when every request that wanted it
 * gave up (its starter, checked here, past its deadline or with its
 * client gone; those waiting, while they wait). Else: when the calling
 * request stops (respond.h request_stopping); for no request (the KPI
 * refresher), at shutdown only. */
int analysis_work_stops(const void *arg);

/* Drops every cached analysis (at exit, and when the config changes). */
void analysis_cache_clear(void);

/* Gives freed analyses' memory back to the system when none was freed since
 * the previous call (the main loop's 5 s tick): after a quiet interval, not
 * between the requests of a burst. Main thread only. */
void analysis_trim_idle(void);

#endif
