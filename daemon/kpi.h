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

#include "daemon.h"
#include "webhook.h"

/* Registers the KPI families in d->reg (into d->m), the time-to-resolve
 * histogram split by d->cfg's metrics.severity_label when it is set.
 * Returns 0, or -1 on out-of-memory. */
int kpi_register(struct daemon *d);

/* Counts a notification just stored (not a duplicate) in
 * alertnoise_notifications_total and, when it is a firing one to a receiver
 * of analysis.paging_receivers, in alertnoise_pages_total. Takes the config
 * lock: call it without holding it. n is borrowed. */
void kpi_notification(struct daemon *d, const struct wh_notification *n);

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
