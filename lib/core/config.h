/* config.h -- alertnoised's YAML configuration (libyaml).
 *
 * The file is parsed and validated whole before anything uses it; every error
 * names the file, the line and the key ("alertnoised.yml:12: storage.retention:
 * bad duration \"9x\""). Unknown keys are errors. Every key has a default, so an
 * empty file is a valid configuration. The shipped config/alertnoised.yml
 * documents each key with its default. */
#ifndef AN_CONFIG_H
#define AN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum { LOG_FMT_LOGFMT, LOG_FMT_JSON };

struct an_config {
	char *path;			/* the file this was loaded from, or NULL */
	char *text;			/* that file's text as loaded (NUL-
					   terminated), or NULL; may hold
					   secrets: show it through
					   cfg_yaml_redact */
	int refs;			/* cfg_hold/cfg_release; atomic */

	/* web: */
	char *listen_address;		/* web.listen_address, default ":9467" */
	int64_t read_timeout_ms;	/* web.read_timeout, default 30s */
	int64_t request_timeout_ms;	/* web.request_timeout, default 60s:
					   the most a simulate may compute */
	size_t max_auth_failures;	/* web.max_auth_failures_per_minute,
					   10: per client address */
	size_t max_connections;		/* web.max_connections, 512 */
	size_t max_connections_per_ip;	/* web.max_connections_per_ip, 128 */
	size_t max_concurrency;		/* web.max_concurrency, 16: requests
					   computed at once, per lane */
	size_t max_inflight_bytes;	/* web.max_inflight_bytes, 64MiB: of
					   request bodies held at once */
	/* web.authorization: the users (basic_auth_users of the web config
	 * file) each group of endpoints serves; default ["*"], any user */
	char **authz_ingest;		/* .ingest: webhook, remote write */
	size_t n_authz_ingest;
	char **authz_read;		/* .read: read API, UI, /metrics */
	size_t n_authz_read;
	char **authz_admin;		/* .admin: reload, feedback, simulate */
	size_t n_authz_admin;

	/* storage: */
	char *storage_path;		/* storage.path, default "data/" */
	int64_t retention_ms;		/* storage.retention, default 90d */
	int64_t prune_interval_ms;	/* storage.prune_interval, default 1h */
	int64_t busy_timeout_ms;	/* storage.busy_timeout, default 5s,
					   1ms..24d; changes only at restart */

	/* log: */
	int log_level;			/* log.level (LOG_DEBUG.. in log.h), default info */
	int log_format;			/* log.format, default logfmt */

	/* webhook: */
	size_t webhook_max_body;	/* webhook.max_body_size, default 4MiB */
	int64_t webhook_dedup_window_ms;/* webhook.dedup_window, default 1m */

	/* identity: */
	char **replica_labels;		/* identity.replica_labels, default
					   [replica, prometheus_replica] */
	size_t n_replica_labels;
	int64_t join_tolerance_ms;	/* identity.join_tolerance, default 10s */

	/* remote_write: */
	size_t rw_max_compressed;	/* remote_write.max_body_size, 32MiB */
	size_t rw_max_decoded;		/* remote_write.max_decoded_size, 32MiB */
	size_t rw_max_series;		/* .max_series_per_request, 100000 */
	size_t rw_max_samples;		/* .max_samples_per_request, 100000 */
	size_t rw_max_labels;		/* .max_labels_per_series, 30 */
	size_t rw_max_name_len;		/* .max_label_name_length, 1024 */
	size_t rw_max_value_len;	/* .max_label_value_length, 2048 */
	size_t rw_max_live;		/* .max_series, 100000; 0: none */
	size_t rw_max_new_per_minute;	/* .max_new_series_per_minute,
					   10000; 0: none */
	int64_t staleness_timeout_ms;	/* .staleness_timeout, 5m */

	/* analysis: (README "Noise analysis") */
	int64_t an_window_ms;		/* analysis.window, 7d: the default
					   window of the read API */
	int64_t an_cache_ttl_ms;	/* analysis.cache_ttl, 15s */
	int64_t an_transient_max_ms;	/* analysis.transient_max, 5m */
	int64_t an_persistent_min_ms;	/* analysis.persistent_min, 24h */
	double an_flap_high;		/* analysis.flap_high, 30 */
	double an_flap_low;		/* analysis.flap_low, 20 */
	size_t an_flap_min_episodes;	/* analysis.flap_min_episodes, 4 */
	int64_t an_flap_window_ms;	/* analysis.flap_window, 1h */
	char **paging_receivers;	/* analysis.paging_receivers, [] */
	size_t n_paging_receivers;
	char *team_label;		/* analysis.team_label, "team" */
	char **group_labels;		/* analysis.group_labels, [] */
	size_t n_group_labels;
	int64_t cofire_window_ms;	/* analysis.cofire_window, 2m */
	double cofire_min_jaccard;	/* analysis.cofire_min_jaccard, 0.7 */
	size_t cofire_min_support;	/* analysis.cofire_min_support, 3 */
	size_t storm_min;		/* analysis.storm_min, 10 */
	int64_t storm_window_ms;	/* analysis.storm_window, 5m */
	/* analysis.overrides: per-alert thresholds, first match wins */
	struct cfg_override {
		char *match;		/* a label selector (selector.h) */
		int64_t transient_max_ms;	/* -1: not set, inherit */
		int64_t persistent_min_ms;
		double flap_high, flap_low;	/* < 0: not set */
		long flap_min_episodes;		/* < 0: not set */
		int64_t flap_window_ms;
	} *overrides;
	size_t n_overrides;

	/* report: the weekly review (README "Weekly review report") */
	char *report_timezone;		/* report.timezone, "UTC"; else a name
					   under /usr/share/zoneinfo */
	struct tz *report_tz;		/* that zone, loaded once (tzone.h);
					   cfg_load's, NULL in cfg_defaults */
	struct cfg_hours {
		int start, end;		/* minutes of the day, start < end */
	} report_working_hours;		/* report.working_hours, 09:00-18:00 */
	unsigned report_working_days;	/* report.working_days: bit 0 Monday ..
					   bit 6 Sunday; default mon..fri */
	size_t report_top;		/* report.top, 10 */
	char *report_grafana_url;	/* report.grafana_url, "": the dashboard
					   an alert links to (links.h); "" none */

	/* metrics: the KPI gauges of /metrics (README "Metrics") */
	int64_t metrics_refresh_ms;	/* metrics.refresh_interval, 1m */
	char **metrics_windows;		/* metrics.windows, [1d, 7d, 28d]: at
					   least one, as written (the window
					   label); each parses (cfg_parse_duration)
					   to 1ms..366d, distinct in value */
	size_t n_metrics_windows;
	size_t metrics_top_alertnames;	/* metrics.top_alertnames, 50 */
	size_t metrics_max_teams;	/* metrics.max_teams, 50: teams with
					   series of their own (kpi.c) */
	char *metrics_severity_label;	/* metrics.severity_label, "": the
					   label time_to_resolve is split by;
					   "" none; changes only at restart */

	/* sources: the user's own Alertmanager and Prometheus configuration
	 * (README "Sources of truth"); each "" / empty when not given */
	char *am_config_file;		/* alertmanager.config_file */
	char *am_url;			/* alertmanager.url */
	char **prom_rule_files;		/* prometheus.rule_files: globs */
	size_t n_prom_rule_files;
	char *prom_url;			/* prometheus.url */
	int64_t sources_refresh_ms;	/* sources.refresh_interval, 1m */
	int64_t sources_timeout_ms;	/* sources.timeout, 10s: one fetch */

	/* replay: the settings history was made under (README "Replay") */
	struct cfg_route {		/* replay.routes */
		char *receiver;		/* required */
		char **group_by;	/* NULL: as seen in history */
		size_t n_group_by;
		int64_t group_wait_ms;	/* -1: Alertmanager's default, 30s */
		int64_t group_interval_ms;	/* -1: 5m */
		int64_t repeat_interval_ms;	/* -1: 4h */
		int send_resolved;	/* -1: true */
	} *replay_routes;
	size_t n_replay_routes;
	struct cfg_rule {		/* replay.rules */
		char *match;		/* a label selector */
		int64_t for_ms;		/* -1: as history shows */
		int64_t keep_firing_for_ms;	/* -1: 0 */
	} *replay_rules;
	size_t n_replay_rules;
};

/* Returns a configuration holding every default; NULL on out-of-memory.
 * The caller owns it (cfg_free). */
struct an_config *cfg_defaults(void);

/* Loads and validates path. On success returns 0 and *out (caller frees with
 * cfg_free). On failure returns -1, writes "file:line: key: what is wrong" (or
 * "file: what is wrong" when there is no line) into err and leaves *out NULL. */
int cfg_load(const char *path, struct an_config **out, char *err, size_t errlen);

void cfg_free(struct an_config *c);

/* A loaded configuration is immutable once shared: any number of threads
 * read one, each holding it. cfg_hold adds a holder and returns c;
 * cfg_release drops one, and the last frees c (cfg_load and cfg_defaults
 * hand out the first). NULL is allowed in cfg_release. */
const struct an_config *cfg_hold(const struct an_config *c);
void cfg_release(const struct an_config *c);

/* Whether path ("webhook.dedup_window", "analysis") is a key or a section of
 * the key table: a name that may be shown where the file's own text may
 * not. */
int cfg_key_known(const char *path);

/* Parses a Prometheus duration ("30s", "5m", "1h30m", "7d", "1w", "2y", "0",
 * "500ms"): units y w d h m s ms, each at most once, largest first, as
 * prometheus/common model.ParseDuration. Returns 0 and milliseconds in *ms,
 * or -1. */
int cfg_parse_duration(const char *s, int64_t *ms);

/* The longest window of history anything analyses: a request's window,
 * `report --window`, metrics.windows. */
#define CFG_WINDOW_MAX_MS	(366LL * 86400000)

/* s as a window: a duration from 1ms to CFG_WINDOW_MAX_MS (366d). Returns 0
 * and *ms, or -1 with *ms unchanged. */
int cfg_parse_window(const char *s, int64_t *ms);

/* The keys the key table marks as read only at start (web.listen_address,
 * web.read_timeout, storage.path, storage.busy_timeout,
 * metrics.severity_label): for each whose value in next differs from
 * running, calls changed with both values as text and puts running's value
 * into next, so that a reloaded config says what is in effect. Returns 0,
 * or -1 when out of memory (next is then partly reverted). */
int cfg_keep_restart_keys(struct an_config *next,
    const struct an_config *running, void (*changed)(const char *key,
    const char *running, const char *configured, void *arg), void *arg);

/* Formats ms the way Prometheus prints durations ("1h30m", "7d", "0s"). */
void cfg_format_duration(int64_t ms, char *out, size_t outlen);

/* text (len bytes of YAML, as a config file holds) with every secret
 * replaced by "<secret>", as Prometheus shows its own config: the value of
 * a key named password, token, secret, credentials, bearer_token or
 * api_key, or ending in _password, _token or _secret (the whole value, a
 * mapping or a list included), and the password of a URL's user
 * information ("http://user:<secret>@host/"). The answer is YAML of the
 * same data, re-emitted: comments (which may hold anything) are dropped,
 * anchors and aliases kept. Returns a string the caller frees, or NULL with
 * err (text is not YAML, out of memory). */
char *cfg_yaml_redact(const char *text, size_t len, char *err,
    size_t errlen);

/* Parses a byte size: a plain integer, or an integer with a unit B, KB, MB, GB
 * (powers of 1000) or KiB, MiB, GiB (powers of 1024). Returns 0 or -1. */
int cfg_parse_size(const char *s, size_t *bytes);

#endif
