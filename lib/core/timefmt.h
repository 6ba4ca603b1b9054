/* timefmt.h -- RFC 3339 timestamps <-> milliseconds since the Unix epoch.
 *
 * Alertmanager writes Go's time.RFC3339Nano ("2026-11-26T21:37:29.123456789Z",
 * offsets allowed); Go's zero time "0001-01-01T00:00:00Z" means "unset".
 *
 * ts_now_ms is the one wall clock; tests move it forward (ts_clock_advance)
 * instead of waiting. */
#ifndef AN_TIMEFMT_H
#define AN_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Go's zero time.Time in epoch milliseconds. */
#define TS_GO_ZERO_MS (-62135596800000LL)

/* Parses an RFC 3339 date-time (fraction optional, any number of digits,
 * truncated to ms; "Z" or +hh:mm/-hh:mm). Returns 0 and *ms, or -1. */
int ts_parse_rfc3339(const char *s, int64_t *ms);

/* Formats ms as RFC 3339 UTC with milliseconds ("2026-11-26T21:37:29.123Z")
 * into out (at least 32 bytes). */
void ts_format_rfc3339(int64_t ms, char *out, size_t outlen);

/* Parses a time as Prometheus' HTTP API takes it (parseTime): RFC 3339 or
 * Unix seconds with an optional fraction. Returns 0 and *ms, or -1. */
int ts_parse_param(const char *s, int64_t *ms);

/* Adds ms (>= 0) to *t, normalized: deadlines for pthread_cond_timedwait
 * from a clock_gettime reading. */
void ts_add_ms(struct timespec *t, int64_t ms);

/* Current wall-clock time in ms, plus what ts_clock_advance added. Every
 * wall-clock read of lib/ and daemon/ goes through here. */
int64_t ts_now_ms(void);

/* CLOCK_MONOTONIC in ms: the clock of deadlines and timeouts, which
 * --test.clock does not move. */
int64_t ts_mono_ms(void);

/* For tests only (alertnoised --test.clock): moves what ts_now_ms returns
 * ms further (ms >= 0), from any thread. The real clock keeps running under
 * the offset; nothing can move it back. */
void ts_clock_advance(int64_t ms);

/* lib/-internal: days since 1970-01-01 of a proleptic Gregorian date (month
 * and day 1-based), and back (H. Hinnant's days_from_civil and
 * civil_from_days); report_build.c counts local days with them. */
int64_t ts__days_from_civil(int64_t y, unsigned m, unsigned d);
void ts__civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
