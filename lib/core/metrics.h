/* metrics.h -- a small Prometheus metrics registry and text exposition
 * (format 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Families have fixed label names; children are created on first use from
 * their label values. All operations are thread-safe. Rendering output passes
 * `promtool check metrics`: HELP and TYPE per family, families sorted by name,
 * label values escaped, histograms with _bucket{le}, _sum, _count. */
#ifndef AN_METRICS_H
#define AN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum met_type { MET_COUNTER, MET_GAUGE, MET_HISTOGRAM };

struct met_registry;
struct met_family;

/* Creates an empty registry; NULL on out-of-memory. */
struct met_registry *met_registry_new(void);
/* Frees the registry and every family in it. */
void met_registry_free(struct met_registry *r);

/* Registers a family. labelnames has nlabels entries (copied). For
 * histograms, buckets holds nbuckets strictly increasing upper bounds
 * (copied; +Inf is implicit). The registry owns the family. Returns NULL on
 * out-of-memory or a name already registered. */
struct met_family *met_register(struct met_registry *r, enum met_type type,
    const char *name, const char *help, size_t nlabels,
    const char *const *labelnames, const double *buckets, size_t nbuckets);

/* Adds v to a counter or gauge child, or sets a gauge, or observes v in a
 * histogram. values holds one label value per label name (copied on first
 * use). Ignored (never crashes) on out-of-memory. */
void met_add(struct met_family *f, const char *const *values, double v);
void met_set(struct met_family *f, const char *const *values, double v);
void met_observe(struct met_family *f, const char *const *values, double v);
/* Adds to a histogram child n observations that fall in v's bucket and
 * whose values sum to sum (n 0: only the sum), as if observed one by one:
 * for a histogram restored from saved bucket counts and sum. */
void met_observe_many(struct met_family *f, const char *const *values,
    double v, uint64_t n, double sum);

/* Replacing a family's whole set of children (gauges recomputed from
 * scratch, where a label set that is not set again must disappear):
 * met_mark_stale marks every child of f stale; met_add, met_set and
 * met_observe unmark the child they touch; met_drop_stale then removes (and
 * frees) the children still marked and returns how many. A scrape in between
 * sees every child -- an old value until it is set again -- so a refresh
 * never makes a live series vanish for one scrape. The one child of a
 * label-less family is never marked; a child another thread updates in
 * between is kept. f NULL is allowed (nothing happens, 0). */
void met_mark_stale(struct met_family *f);
size_t met_drop_stale(struct met_family *f);

/* Returns the current value of a counter/gauge child, 0 if it does not exist. */
double met_get(struct met_family *f, const char *const *values);

/* Appends the whole registry in text format 0.0.4, followed by the process_*
 * metrics of the calling process (as client_golang's process collector:
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_start_time_seconds,
 * process_open_fds, process_max_fds). Returns 0 or -1 (buffer limit). */
int met_render(struct met_registry *r, struct buf *out);

/* The same as OpenMetrics 1.0.0 text (application/openmetrics-text;
 * version=1.0.0), for scrapers that ask for it: counter families are named
 * without _total and the exposition ends with "# EOF". Returns 0 or -1. */
int met_render_openmetrics(struct met_registry *r, struct buf *out);

#endif
