/* kpi.h -- the KPI metrics of /metrics: notifications and pages, episodes by
 * class, noise ratios per window, per-alert numbers for the top alertnames,
 * time to resolve, dedup groups and recommendations (README "Metrics";
 * daemon/ only).
 *
 * Everything that needs an analysis is computed by a background thread every
 * metrics.refresh_interval (the first time right after kpi_start) and put in
 * the registry, so a scrape only renders numbers that are already there. */
#ifndef AN_KPI_H
#define AN_KPI_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "webhook.h"

/* Registers the KPI families in d->reg (into d->m), the time-to-resolve
 * histogram split by d->cfg's metrics.severity_label when it is set.
 * Returns 0, or -1 on out-of-memory. */
int kpi_register(struct daemon *d);

/* Sets the KPI counters that count history from the store's durable
 * counters (kpi.c): once at start, after kpi_register and before anything
 * counts. Returns 0, or -1 with a message in err. */
int kpi_resume(struct daemon *d, char *err, size_t errlen);

/* What a webhook notification counts besides alertnoise_notifications_total:
 * a page (a firing one to a receiver of analysis.paging_receivers, else of
 * the sources' pager integrations), and one outside working time. */
struct kpi_note {
	int paging;
	int ooh;
	/* for alertnoise_team_pages_total: the alert label naming the team
	 * (analysis.team_label) and metrics.max_teams; borrowed from the
	 * config, which the caller holds until kpi_notification */
	const char *team_label;
	size_t max_teams;
};

/* Decides *k for n, received at received_ms, under the config cfg it is
 * stored with. n and cfg are borrowed. */
void kpi_classify(const struct an_config *cfg, const struct wh_notification *n,
    int64_t received_ms, struct kpi_note *k);

/* Adds n's counts (k) to the store's durable counters inside the open
 * transaction -- the group commit's savepoint that stored n (not a
 * duplicate) -- so that they are undone with it. A page counts once for
 * each distinct team of its firing alerts; a team not counted before gets
 * a series of its own while fewer than k->max_teams have one, else it is
 * counted under team="other" (kpi.c). Returns 0, or -1 (the caller rolls
 * back; store_errmsg says why, or "out of memory"). */
int kpi_store_notification(struct store *st, const struct wh_notification *n,
    const struct kpi_note *k);

/* Counts n in the registry once the transaction that stored it and its
 * counts (kpi_store_notification) committed: in
 * alertnoise_notifications_total and, as k says, alertnoise_pages_total,
 * alertnoise_team_pages_total (the teams kpi_store_notification counted)
 * and alertnoise_pages_outside_working_time_total. n is borrowed. */
void kpi_notification(struct daemon *d, const struct wh_notification *n,
    const struct kpi_note *k);

/* Starts the refresher thread (d->store must be open). Returns 0, or -1
 * with a message in err. */
int kpi_start(struct daemon *d, char *err, size_t errlen);

/* Tells the refresher to stop without waiting for it: a refresh under way
 * ends at its next window, or at once when its reads fail because of
 * store_cancel_reads. */
void kpi_request_stop(void);

/* Stops the refresher and waits for it. Frees what the refresher holds.
 * Harmless when kpi_start was not called or failed. */
void kpi_stop(void);

#endif
