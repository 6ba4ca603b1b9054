/* sources.h -- the user's own Alertmanager configuration and Prometheus
 * rules, kept current in the background (README "Sources of truth").
 *
 * A refresher thread reads each configured source at start, on every
 * reload and every sources.refresh_interval: alertmanager.config_file or
 * alertmanager.url (GET /api/v2/status: config.original; and its
 * silences, GET /api/v2/silences, which are stored), and
 * prometheus.rule_files (globs) or prometheus.url (GET /api/v1/rules). What
 * it read is published as an immutable, reference-counted snapshot: a
 * reader takes the current one (sources_get), uses it for as long as its
 * request lasts, and puts it back; a new load swaps the pointer, never
 * changes a published snapshot. A source that fails to load keeps its last
 * good copy in the next snapshot; the failure is logged, counted and shown
 * by GET /api/v1/status/sources. No lock is held across a read or fetch. */
#ifndef AN_SOURCES_H
#define AN_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon.h"
#include "routing.h"

struct am_config;
struct pr_rules;

/* One file a snapshot was read from, with its text: what patches are made
 * against. */
struct src_file {
	char *path;			/* the path, or the URL it came from */
	char *text;
	size_t len;
};

/* What one Alertmanager source held when it last loaded. Shared by the
 * snapshots that keep it (a failed load keeps the last good copy). */
struct src_am {
	int refs;			/* atomic */
	struct am_config *cfg;		/* the routing tree, receivers,
					   inhibit rules */
	struct src_file file;		/* the alertmanager.yml text */
	/* its receivers with a pager integration (pagerduty, opsgenie,
	 * victorops, pushover) */
	char **pagers;
	size_t npagers;
};

/* What the Prometheus source held when it last loaded. */
struct src_prom {
	int refs;			/* atomic */
	struct pr_rules *rules;		/* the alerting rules */
	struct src_file *files;		/* the rule files read; none when
					   the rules came from a URL */
	size_t nfiles;
	struct src_file answer;		/* the URL's /api/v1/rules answer */
};

/* The silences alertnoise knows of (polled from alertmanager.url's
 * /api/v2/silences and kept in the store), those in effect within
 * storage.retention. */
struct src_sil {
	int refs;			/* atomic */
	struct rt_silence *v;		/* v[i].m points into m[i] */
	struct am_matchers **m;
	size_t n;
};

struct sources {
	int refs;			/* atomic */
	uint64_t gen;			/* 0 at start, then +1 per change */
	struct src_am *am;		/* NULL: no source, or never loaded */
	struct src_prom *prom;		/* likewise */
	struct src_sil *sil;		/* NULL: none stored */
};

/* Registers the source metrics and starts the refresher, which loads every
 * source at once. Returns 0, or -1 with err. */
int sources_start(struct daemon *d, char *err, size_t errlen);

/* Asks the refresher to read every source now (a reload: the config may
 * name others) and waits until it has, at most timeout_ms. */
void sources_refresh(int64_t timeout_ms);

/* Stops the refresher and drops the current snapshot. */
void sources_stop(void);

/* The current snapshot, never NULL once started (an empty one before the
 * first load), NULL when not started (a subcommand); give it back with
 * sources_put (NULL is fine). */
struct sources *sources_get(void);
void sources_put(struct sources *s);

/* The receivers that page: analysis.paging_receivers when set, else the
 * Alertmanager source's receivers with a pager integration. Borrowed from
 * cfg and s. *n 0: none. */
const char *const *sources_paging(const struct sources *s,
    const struct an_config *cfg, size_t *n);

/* Whether alertnoise knows a source of pages: an Alertmanager source is
 * configured (alertmanager.config_file or alertmanager.url), or the store
 * holds an episode, which every webhook and every remote write of an ALERTS
 * series leaves (within storage.retention; open ones are never pruned).
 * Returns 1, 0 when none is known (nothing connected yet: the empty UI and
 * the start-up warning say what to connect), or -1 when the store could not
 * be read (store_errmsg). */
int sources_pages_known(struct store *st, const struct an_config *cfg);

/* GET /api/v1/status/sources's data: one object per source. */
json_t *sources_status_json(void);

#endif
