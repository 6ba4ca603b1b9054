/* config.c -- load and validate alertnoised.yml (see config.h).
 *
 * One table, cfg_keys[], describes every key the file may hold: its dotted
 * path, how its value is parsed, where it lives in struct an_config, its
 * default (written the way the file would write it) and an optional range
 * check. The same table drives cfg_defaults(), the loader and cfg_free().
 *
 * The loader reads the file whole (size-capped), has libyaml build the node
 * tree, then walks it joining mapping keys into dotted paths. A path that is a
 * table key is a value; a path that prefixes a table key ("web" of
 * "web.listen_address") is a section and must be a mapping; anything else is
 * an unknown key. So a new key is one table row plus its struct field, and a
 * new section (or a nested one, "analysis.flapping.window") needs nothing
 * more. A new kind of value is an enum constant, its names in cfg_types[] and
 * a case in set_scalar().
 *
 * Two kinds of value are not scalars: the lists (load_list) and the
 * sequences of mappings, loaded entry by entry by load_entries as their
 * struct entry_type says: analysis.overrides, whose keys mirror top-level
 * analysis keys (ov_keys[]), and replay.routes and replay.rules, whose keys
 * are tables of their own (route_keys[], rule_keys[]). Checks that relate
 * two keys run once the whole file is loaded (check_flap_order), or once an
 * entry is (entry_type.check). */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "log.h"
#include "selector.h"
#include "tzone.h"
#include "yamlnode.h"

/* A config file larger than this is refused before parsing. */
#define CFG_FILE_MAX	(1024 * 1024)
/* The longest dotted key path; every cfg_keys[] entry is shorter. */
#define CFG_KEY_MAX	128
/* How much of an offending value an error message quotes. */
#define CFG_QUOTE_MAX	64

#define MS_SECOND	1000LL
#define MS_DAY		(24 * 60 * 60 * MS_SECOND)
/* prometheus/common keeps durations in time.Duration (int64 nanoseconds) and
 * rejects anything longer ("duration out of range", about 292 years). */
#define DUR_MAX_MS	(INT64_MAX / 1000000)

#define GIB		((size_t)1 << 30)

/* Internal results of the setters. */
enum { CFG_OK = 0, CFG_BAD = -1, CFG_NOMEM = -2 };

/* How a value is written in the file and stored in struct an_config. */
enum cfg_type {
	CFG_STRING,		/* char *, heap-owned by the config */
	CFG_DURATION,		/* int64_t ms (cfg_parse_duration) */
	CFG_SIZE,		/* size_t bytes (cfg_parse_size) */
	CFG_LOG_LEVEL,		/* int, LOG_DEBUG.. (log_level_parse) */
	CFG_LOG_FORMAT,		/* int, LOG_FMT_* */
	CFG_COUNT,		/* size_t, a plain integer from 1 to 1e9 */
	CFG_LABEL_LIST,		/* char ** at off, size_t count at off_n; a YAML
				   sequence of distinct label names; the array
				   and each string heap-owned by the config */
	CFG_FLOAT,		/* double, a finite YAML 1.2 number */
	CFG_STRING_LIST,	/* as CFG_LABEL_LIST, of distinct non-empty
				   strings */
	CFG_OVERRIDES,		/* struct cfg_override * at off, size_t count at
				   off_n (load_entries); default empty */
	CFG_BOOL,		/* int, 1 or 0: YAML 1.2 true or false */
	CFG_ROUTES,		/* as CFG_OVERRIDES, of struct cfg_route */
	CFG_RULES,		/* as CFG_OVERRIDES, of struct cfg_rule */
	CFG_HOURS,		/* struct cfg_hours, "HH:MM-HH:MM" (parse_hours) */
	CFG_WEEKDAYS,		/* unsigned, bit 0 Monday .. bit 6 Sunday; a YAML
				   sequence of distinct mon..sun
				   (load_weekdays); default comma-separated */
	CFG_DURATION_LIST,	/* as CFG_STRING_LIST, of at least one
				   duration from 1ms to 366d, distinct in
				   value; kept as written (a metric label) */
	CFG_LIMIT,		/* size_t, a plain integer from 0 to 1e9; 0:
				   no limit */
};

struct cfg_key {
	const char	*key;	/* dotted path, "storage.retention" */
	enum cfg_type	 type;
	size_t		 off;	/* offsetof(struct an_config, field) */
	size_t		 off_n;	/* lists, overrides: offset of the count */
	/* The default, in the file's syntax; for lists comma-separated. */
	const char	*def;
	/* NULL, or returns why the parsed field is out of range. */
	const char	*(*check)(const void *field);
	/* CFG_RESTART: read once at start (cfg_keep_restart_keys) */
	int		 flags;
};
#define CFG_RESTART	1

static const char *check_listen_address(const void *);
static const char *check_nonempty(const void *);
static const char *check_positive_duration(const void *);
static const char *check_busy_timeout(const void *);
static const char *check_body_size(const void *);
static const char *check_label_or_empty(const void *);
static const char *check_percent(const void *);
static const char *check_jaccard(const void *);
static const char *check_at_least_2(const void *);
static const char *check_positive_count(const void *);
static const char *check_concurrency(const void *);
static const char *check_timezone(const void *);
static const char *check_url_or_empty(const void *);

#define F(m)	offsetof(struct an_config, m)

/* Every key, in the order config/alertnoised.yml documents them. */
static const struct cfg_key cfg_keys[] = {
	{ "web.listen_address", CFG_STRING, F(listen_address), 0,
	    ":9467", check_listen_address, CFG_RESTART },
	{ "web.read_timeout", CFG_DURATION, F(read_timeout_ms), 0,
	    "30s", check_positive_duration, CFG_RESTART },
	{ "web.request_timeout", CFG_DURATION, F(request_timeout_ms), 0,
	    "60s", check_positive_duration, 0 },
	{ "web.max_auth_failures_per_minute", CFG_COUNT,
	    F(max_auth_failures), 0, "10", NULL, 0 },
	{ "web.max_connections", CFG_COUNT, F(max_connections), 0,
	    "512", NULL, CFG_RESTART },
	{ "web.max_connections_per_ip", CFG_COUNT,
	    F(max_connections_per_ip), 0, "128", NULL, CFG_RESTART },
	{ "web.max_concurrency", CFG_COUNT, F(max_concurrency), 0,
	    "16", check_concurrency, CFG_RESTART },
	{ "web.max_inflight_bytes", CFG_SIZE, F(max_inflight_bytes), 0,
	    "64MiB", check_body_size, CFG_RESTART },
	/* "*": any user basic_auth_users of --web.config.file knows */
	{ "web.authorization.ingest", CFG_STRING_LIST, F(authz_ingest),
	    F(n_authz_ingest), "*", NULL, 0 },
	{ "web.authorization.read", CFG_STRING_LIST, F(authz_read),
	    F(n_authz_read), "*", NULL, 0 },
	{ "web.authorization.admin", CFG_STRING_LIST, F(authz_admin),
	    F(n_authz_admin), "*", NULL, 0 },

	{ "storage.path", CFG_STRING, F(storage_path), 0,
	    "data/", check_nonempty, CFG_RESTART },
	{ "storage.retention", CFG_DURATION, F(retention_ms), 0,
	    "90d", check_positive_duration, 0 },
	{ "storage.prune_interval", CFG_DURATION, F(prune_interval_ms), 0,
	    "1h", check_positive_duration, 0 },
	{ "storage.busy_timeout", CFG_DURATION, F(busy_timeout_ms), 0,
	    "5s", check_busy_timeout, CFG_RESTART },

	{ "log.level", CFG_LOG_LEVEL, F(log_level), 0, "info", NULL, 0 },
	{ "log.format", CFG_LOG_FORMAT, F(log_format), 0, "logfmt", NULL, 0 },

	{ "webhook.max_body_size", CFG_SIZE, F(webhook_max_body), 0,
	    "4MiB", check_body_size, 0 },
	{ "webhook.dedup_window", CFG_DURATION, F(webhook_dedup_window_ms), 0,
	    "1m", NULL, 0 },

	{ "identity.replica_labels", CFG_LABEL_LIST, F(replica_labels),
	    F(n_replica_labels), "replica,prometheus_replica", NULL, 0 },
	{ "identity.join_tolerance", CFG_DURATION, F(join_tolerance_ms), 0,
	    "10s", NULL, 0 },

	{ "remote_write.max_body_size", CFG_SIZE, F(rw_max_compressed), 0,
	    "32MiB", check_body_size, 0 },
	{ "remote_write.max_decoded_size", CFG_SIZE, F(rw_max_decoded), 0,
	    "32MiB", check_body_size, 0 },
	{ "remote_write.max_series_per_request", CFG_COUNT, F(rw_max_series),
	    0, "100000", check_positive_count, 0 },
	{ "remote_write.max_samples_per_request", CFG_COUNT, F(rw_max_samples),
	    0, "100000", check_positive_count, 0 },
	/* Mimir's defaults: max_label_names_per_series, max_label_name_length,
	 * max_label_value_length */
	{ "remote_write.max_labels_per_series", CFG_COUNT, F(rw_max_labels),
	    0, "30", check_positive_count, 0 },
	{ "remote_write.max_label_name_length", CFG_COUNT,
	    F(rw_max_name_len), 0, "1024", check_positive_count, 0 },
	{ "remote_write.max_label_value_length", CFG_COUNT,
	    F(rw_max_value_len), 0, "2048", check_positive_count, 0 },
	/* live series: what a staleness marker or the staleness timeout
	 * ends (ingest.h) */
	{ "remote_write.max_series", CFG_LIMIT, F(rw_max_live), 0,
	    "10000", NULL, 0 },
	{ "remote_write.max_new_series_per_minute", CFG_LIMIT,
	    F(rw_max_new_per_minute), 0, "10000", NULL, 0 },
	{ "remote_write.staleness_timeout", CFG_DURATION,
	    F(staleness_timeout_ms), 0, "5m", check_positive_duration, 0 },

	{ "analysis.window", CFG_DURATION, F(an_window_ms), 0,
	    "7d", check_positive_duration, 0 },
	{ "analysis.cache_ttl", CFG_DURATION, F(an_cache_ttl_ms), 0,
	    "15s", NULL, 0 },
	{ "analysis.transient_max", CFG_DURATION, F(an_transient_max_ms), 0,
	    "5m", check_positive_duration, 0 },
	{ "analysis.persistent_min", CFG_DURATION, F(an_persistent_min_ms), 0,
	    "24h", check_positive_duration, 0 },
	/* flap_low < flap_high: check_flap_order, after the whole file */
	{ "analysis.flap_high", CFG_FLOAT, F(an_flap_high), 0,
	    "30", check_percent, 0 },
	{ "analysis.flap_low", CFG_FLOAT, F(an_flap_low), 0,
	    "20", check_percent, 0 },
	{ "analysis.flap_min_episodes", CFG_COUNT, F(an_flap_min_episodes), 0,
	    "4", NULL, 0 },
	{ "analysis.flap_window", CFG_DURATION, F(an_flap_window_ms), 0,
	    "1h", check_positive_duration, 0 },
	{ "analysis.paging_receivers", CFG_STRING_LIST, F(paging_receivers),
	    F(n_paging_receivers), "", NULL, 0 },
	{ "analysis.team_label", CFG_STRING, F(team_label), 0,
	    "team", check_label_or_empty, 0 },
	{ "analysis.group_labels", CFG_LABEL_LIST, F(group_labels),
	    F(n_group_labels), "", NULL, 0 },
	{ "analysis.cofire_window", CFG_DURATION, F(cofire_window_ms), 0,
	    "2m", check_positive_duration, 0 },
	{ "analysis.cofire_min_jaccard", CFG_FLOAT, F(cofire_min_jaccard), 0,
	    "0.7", check_jaccard, 0 },
	{ "analysis.cofire_min_support", CFG_COUNT, F(cofire_min_support), 0,
	    "3", NULL, 0 },
	{ "analysis.storm_min", CFG_COUNT, F(storm_min), 0,
	    "10", check_at_least_2, 0 },
	{ "analysis.storm_window", CFG_DURATION, F(storm_window_ms), 0,
	    "5m", check_positive_duration, 0 },
	{ "analysis.overrides", CFG_OVERRIDES, F(overrides), F(n_overrides),
	    "", NULL, 0 },

	{ "report.timezone", CFG_STRING, F(report_timezone), 0,
	    "UTC", check_timezone, 0 },
	{ "report.working_hours", CFG_HOURS, F(report_working_hours), 0,
	    "09:00-18:00", NULL, 0 },
	{ "report.working_days", CFG_WEEKDAYS, F(report_working_days), 0,
	    "mon,tue,wed,thu,fri", NULL, 0 },
	{ "report.top", CFG_COUNT, F(report_top), 0, "10", NULL, 0 },
	{ "report.grafana_url", CFG_STRING, F(report_grafana_url), 0, "",
	    check_url_or_empty, 0 },

	{ "metrics.refresh_interval", CFG_DURATION, F(metrics_refresh_ms), 0,
	    "1m", check_positive_duration, 0 },
	{ "metrics.windows", CFG_DURATION_LIST, F(metrics_windows),
	    F(n_metrics_windows), "1d,7d,28d", NULL, 0 },
	{ "metrics.top_alertnames", CFG_COUNT, F(metrics_top_alertnames), 0,
	    "50", NULL, 0 },
	{ "metrics.max_teams", CFG_COUNT, F(metrics_max_teams), 0, "50",
	    NULL, 0 },
	{ "metrics.severity_label", CFG_STRING, F(metrics_severity_label), 0,
	    "", check_label_or_empty, CFG_RESTART },

	{ "alertmanager.config_file", CFG_STRING, F(am_config_file), 0,
	    "", NULL, 0 },
	{ "alertmanager.url", CFG_STRING, F(am_url), 0, "", check_url_or_empty, 0 },
	{ "prometheus.rule_files", CFG_STRING_LIST, F(prom_rule_files),
	    F(n_prom_rule_files), "", NULL, 0 },
	{ "prometheus.url", CFG_STRING, F(prom_url), 0, "",
	    check_url_or_empty, 0 },
	{ "sources.refresh_interval", CFG_DURATION, F(sources_refresh_ms), 0,
	    "1m", check_positive_duration, 0 },
	{ "sources.timeout", CFG_DURATION, F(sources_timeout_ms), 0,
	    "10s", check_positive_duration, 0 },

	{ "replay.routes", CFG_ROUTES, F(replay_routes), F(n_replay_routes),
	    "", NULL, 0 },
	{ "replay.rules", CFG_RULES, F(replay_rules), F(n_replay_rules),
	    "", NULL, 0 },
};

#undef F

/* The keys an analysis.overrides entry may set besides match: each is
 * parsed and checked as the top-level key it overrides and stored in the
 * entry at off (CFG_COUNT as a long); -1 when the entry leaves it out. */
static const struct {
	const char	*name;	/* in the entry, "transient_max" */
	const char	*key;	/* the cfg_keys[] row it mirrors */
	size_t		 off;	/* offsetof(struct cfg_override, field) */
} ov_keys[] = {
	{ "transient_max", "analysis.transient_max",
	    offsetof(struct cfg_override, transient_max_ms) },
	{ "persistent_min", "analysis.persistent_min",
	    offsetof(struct cfg_override, persistent_min_ms) },
	{ "flap_high", "analysis.flap_high",
	    offsetof(struct cfg_override, flap_high) },
	{ "flap_low", "analysis.flap_low",
	    offsetof(struct cfg_override, flap_low) },
	{ "flap_min_episodes", "analysis.flap_min_episodes",
	    offsetof(struct cfg_override, flap_min_episodes) },
	{ "flap_window", "analysis.flap_window",
	    offsetof(struct cfg_override, flap_window_ms) },
};

#define NOVKEYS		(sizeof(ov_keys) / sizeof(ov_keys[0]))

/* The keys of a replay.routes entry: key is the name in the entry, off (and
 * off_n) the field's offset in struct cfg_route; def is unused (route_init
 * sets every field unset). Bounds as alertmanager config.Route validates
 * them. A CFG_LABEL_LIST here is group_by (load_group_by). */
static const struct cfg_key route_keys[] = {
	{ "receiver", CFG_STRING, offsetof(struct cfg_route, receiver), 0,
	    NULL, check_nonempty, 0 },
	{ "group_by", CFG_LABEL_LIST, offsetof(struct cfg_route, group_by),
	    offsetof(struct cfg_route, n_group_by), NULL, NULL, 0 },
	{ "group_wait", CFG_DURATION,
	    offsetof(struct cfg_route, group_wait_ms), 0, NULL, NULL, 0 },
	{ "group_interval", CFG_DURATION,
	    offsetof(struct cfg_route, group_interval_ms), 0, NULL,
	    check_positive_duration, 0 },
	{ "repeat_interval", CFG_DURATION,
	    offsetof(struct cfg_route, repeat_interval_ms), 0, NULL,
	    check_positive_duration, 0 },
	{ "send_resolved", CFG_BOOL, offsetof(struct cfg_route, send_resolved),
	    0, NULL, NULL, 0 },
};

/* The keys of a replay.rules entry besides match, as route_keys[]. */
static const struct cfg_key rule_keys[] = {
	{ "for", CFG_DURATION, offsetof(struct cfg_rule, for_ms), 0,
	    NULL, NULL, 0 },
	{ "keep_firing_for", CFG_DURATION,
	    offsetof(struct cfg_rule, keep_firing_for_ms), 0, NULL, NULL, 0 },
};

#define NROUTEKEYS	(sizeof(route_keys) / sizeof(route_keys[0]))
#define NRULEKEYS	(sizeof(rule_keys) / sizeof(rule_keys[0]))

#define NKEYS		(sizeof(cfg_keys) / sizeof(cfg_keys[0]))
#define FIELD(c, o)	((void *)((char *)(c) + (o)))

/* Names used in "bad NAME \"x\"" and "expected a NAME"; want lists the
 * accepted words where there are few. */
static const struct {
	const char *name;
	const char *want;
} cfg_types[] = {
	[CFG_STRING] = { "string", NULL },
	[CFG_DURATION] = { "duration", NULL },
	[CFG_SIZE] = { "size", NULL },
	[CFG_LOG_LEVEL] = { "log level", "debug, info, warn or error" },
	[CFG_LOG_FORMAT] = { "log format", "logfmt or json" },
	[CFG_COUNT] = { "count", "a whole number from 1 to 1000000000" },
	[CFG_LABEL_LIST] = { "list of label names", NULL },
	[CFG_FLOAT] = { "number", NULL },
	[CFG_STRING_LIST] = { "list of strings", NULL },
	[CFG_OVERRIDES] = { "list of overrides", NULL },
	[CFG_BOOL] = { "boolean", "true or false" },
	[CFG_ROUTES] = { "list of routes", NULL },
	[CFG_RULES] = { "list of rules", NULL },
	[CFG_HOURS] = { "working hours",
	    "HH:MM-HH:MM, the start before the end" },
	[CFG_WEEKDAYS] = { "list of days", NULL },
	[CFG_DURATION_LIST] = { "list of durations", NULL },
	[CFG_LIMIT] = { "limit",
	    "a whole number from 0 (no limit) to 1000000000" },
};

/* --- durations and sizes --- */

/* prometheus/common model/time.go: units largest first, each at most once;
 * y and w are printed only when they divide the value exactly (String()). */
static const struct {
	const char	*unit;
	int64_t		 ms;
	int		 exact;
} dur_units[] = {
	{ "y", 365 * MS_DAY, 1 },
	{ "w", 7 * MS_DAY, 1 },
	{ "d", MS_DAY, 0 },
	{ "h", 60 * 60 * MS_SECOND, 0 },
	{ "m", 60 * MS_SECOND, 0 },
	{ "s", MS_SECOND, 0 },
	{ "ms", 1, 0 },
};

#define NDUR	(sizeof(dur_units) / sizeof(dur_units[0]))

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* prometheus/common model.ParseDuration: "0", or the regex
 * ^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$ with at
 * least one part, and at most DUR_MAX_MS in total. */
int
cfg_parse_duration(const char *s, int64_t *ms)
{
	int64_t total = 0, n;
	size_t next = 0, i, ulen;
	const char *u;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!is_digit(*s))
			return -1;
		for (n = 0; is_digit(*s); s++) {
			if (n > (DUR_MAX_MS - (*s - '0')) / 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		for (u = s; *s != '\0' && !is_digit(*s); s++)
			;
		ulen = (size_t)(s - u);
		for (i = next; i < NDUR; i++)
			if (strlen(dur_units[i].unit) == ulen &&
			    memcmp(dur_units[i].unit, u, ulen) == 0)
				break;
		if (i == NDUR)
			return -1;	/* unknown, repeated or out of order */
		if (n > (DUR_MAX_MS - total) / dur_units[i].ms)
			return -1;
		total += n * dur_units[i].ms;
		next = i + 1;
	}
	*ms = total;
	return 0;
}

int
cfg_parse_window(const char *s, int64_t *ms)
{
	int64_t v;

	if (cfg_parse_duration(s, &v) < 0 || v <= 0 || v > CFG_WINDOW_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

/* As declared in config.h. */
int
cfg_keep_restart_keys(struct an_config *next, const struct an_config *running,
    void (*changed)(const char *key, const char *running,
    const char *configured, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		const struct cfg_key *k = &cfg_keys[i];
		void *n = (char *)next + k->off;
		const void *r = (const char *)running + k->off;

		if (!(k->flags & CFG_RESTART))
			continue;
		if (k->type == CFG_STRING) {
			char **ns = n, *v;
			char *const *rs = r;

			if (strcmp(*ns, *rs) == 0)
				continue;
			changed(k->key, *rs, *ns, arg);
			if ((v = strdup(*rs)) == NULL)
				return -1;
			free(*ns);
			*ns = v;
		} else if (k->type == CFG_COUNT || k->type == CFG_SIZE) {
			size_t *nz = n;
			const size_t *rz = r;
			char a[32], b[32];

			if (*nz == *rz)
				continue;
			snprintf(a, sizeof(a), "%zu", *rz);
			snprintf(b, sizeof(b), "%zu", *nz);
			changed(k->key, a, b, arg);
			*nz = *rz;
		} else {
			int64_t *nd = n;
			const int64_t *rd = r;
			char a[32], b[32];

			assert(k->type == CFG_DURATION);
			if (*nd == *rd)
				continue;
			cfg_format_duration(*rd, a, sizeof(a));
			cfg_format_duration(*nd, b, sizeof(b));
			changed(k->key, a, b, arg);
			*nd = *rd;
		}
	}
	return 0;
}

/* prometheus/common model.Duration.String(). */
void
cfg_format_duration(int64_t ms, char *out, size_t outlen)
{
	char tmp[64];
	size_t len = 0, i;
	uint64_t v, n, mult;

	if (outlen == 0)
		return;
	if (ms == 0) {
		snprintf(out, outlen, "0s");
		return;
	}
	v = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	if (ms < 0)
		tmp[len++] = '-';
	for (i = 0; i < NDUR; i++) {
		mult = (uint64_t)dur_units[i].ms;
		if (dur_units[i].exact && v % mult != 0)
			continue;
		if ((n = v / mult) == 0)
			continue;
		/* 7 parts of at most 20 digits and 2 letters fit in tmp */
		len += (size_t)snprintf(tmp + len, sizeof(tmp) - len,
		    "%" PRIu64 "%s", n, dur_units[i].unit);
		v -= n * mult;
	}
	tmp[len] = '\0';
	snprintf(out, outlen, "%s", tmp);
}

int
cfg_parse_size(const char *s, size_t *bytes)
{
	static const struct {
		const char	*unit;
		size_t		 mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "KB", 1000 }, { "MB", 1000000 }, { "GB", 1000000000 },
		{ "KiB", 1 << 10 }, { "MiB", 1 << 20 }, { "GiB", 1 << 30 },
	};
	size_t n = 0, i;

	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) {
		if (n > (SIZE_MAX - (size_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (size_t)(*s - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit) != 0)
			continue;
		if (n > SIZE_MAX / units[i].mult)
			return -1;
		*bytes = n * units[i].mult;
		return 0;
	}
	return -1;
}

/* --- range checks (cfg_key.check) --- */

/* host:port as Go's net.Listen takes it: the host may be empty, a name, an
 * IPv4 address or a bracketed IPv6 address; the port is numeric, 0-65535. */
static const char *
check_listen_address(const void *field)
{
	const char *s = *(char *const *)field, *colon, *p;
	long port = 0;

	if ((colon = strrchr(s, ':')) == NULL || colon[1] == '\0')
		return "must be host:port";
	if (s[0] == '[') {
		if (colon == s || colon[-1] != ']' ||
		    memchr(s + 1, ']', (size_t)(colon - s - 2)) != NULL)
			return "must be host:port";
	} else if (memchr(s, ':', (size_t)(colon - s)) != NULL ||
	    memchr(s, ']', (size_t)(colon - s)) != NULL)
		return "must be host:port (IPv6 addresses go in brackets)";
	for (p = colon + 1; *p != '\0'; p++) {
		if (!is_digit(*p) || p - colon > 5)
			return "must be host:port with a numeric port";
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return "port must be at most 65535";
	return NULL;
}

static const char *
check_nonempty(const void *field)
{
	return **(char *const *)field == '\0' ? "must not be empty" : NULL;
}

static const char *
check_positive_duration(const void *field)
{
	return *(const int64_t *)field > 0 ? NULL : "must be greater than 0";
}

/* SQLite's sqlite3_busy_timeout takes an int of milliseconds. */
static const char *
check_busy_timeout(const void *field)
{
	int64_t ms = *(const int64_t *)field;

	if (ms <= 0)
		return "must be greater than 0";
	if (ms > 24 * MS_DAY)
		return "must be at most 24d";
	return NULL;
}

static const char *
check_body_size(const void *field)
{
	size_t n = *(const size_t *)field;

	if (n == 0)
		return "must be greater than 0";
	if (n > GIB)
		return "must be at most 1GiB";
	return NULL;
}

/* web.max_concurrency: a lane's workers are threads. */
static const char *
check_concurrency(const void *field)
{
	if (*(const size_t *)field > 1024)
		return "must be at most 1024";
	return NULL;
}

/* [a-zA-Z_][a-zA-Z0-9_]*, Prometheus model.LabelNameRE. */
static int
is_label_name(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_' || (p > s && is_digit(*p))))
			return 0;
	return p > s;
}

/* A label name, or "" to turn the feature off. */
static const char *
check_label_or_empty(const void *field)
{
	const char *s = *(char *const *)field;

	if (*s == '\0' || is_label_name(s))
		return NULL;
	return "must be a label name ([a-zA-Z_][a-zA-Z0-9_]*) or \"\"";
}

/* A source's URL: http:// or https://, or "" for none. */
static const char *
check_url_or_empty(const void *field)
{
	const char *s = *(char *const *)field;

	if (*s == '\0' || strncmp(s, "http://", 7) == 0 ||
	    strncmp(s, "https://", 8) == 0)
		return NULL;
	return "must be an http:// or https:// URL, or \"\"";
}

/* A percentage: the flapping score runs from 0 to 100. */
static const char *
check_percent(const void *field)
{
	double v = *(const double *)field;

	return v >= 0 && v <= 100 ? NULL : "must be from 0 to 100";
}

static const char *
check_jaccard(const void *field)
{
	double v = *(const double *)field;

	return v > 0 && v <= 1 ? NULL :
	    "must be greater than 0 and at most 1";
}

/* A storm is one alert firing for several identities: one is no storm. */
static const char *
check_at_least_2(const void *field)
{
	return *(const size_t *)field >= 2 ? NULL : "must be at least 2";
}

static const char *
check_positive_count(const void *field)
{
	return *(const size_t *)field > 0 ? NULL : "must be greater than 0";
}

#define ZONEINFO	"/usr/share/zoneinfo"

/* "UTC", or a zone as glibc's tzset finds it for TZ: a TZif file (RFC 8536
 * section 3.1: it starts with "TZif") under ZONEINFO, named by a relative
 * path without "..". cfg_load then loads it (tzone.h) for the report. */
static const char *
check_timezone(const void *field)
{
	const char *s = *(char *const *)field, *p;
	char path[sizeof(ZONEINFO) + 256], magic[4];
	FILE *fp;
	size_t n;

	if (strcmp(s, "UTC") == 0)
		return NULL;
	if (*s == '\0' || *s == '/' || strlen(s) > 255 ||
	    strstr(s, "..") != NULL)
		goto bad;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    is_digit(*p) || strchr("_+-/.", *p) != NULL))
			goto bad;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, s);
	if ((fp = fopen(path, "rb")) == NULL)
		goto bad;
	n = fread(magic, 1, sizeof(magic), fp);	/* 0 for a directory */
	fclose(fp);
	if (n == sizeof(magic) && memcmp(magic, "TZif", 4) == 0)
		return NULL;
bad:
	/* load_scalar quotes at most 63 bytes of this */
	return "must be \"UTC\" or a time zone in " ZONEINFO;
}

/* --- setters: parse one scalar into a field --- */

/* A YAML 1.2 core-schema float or integer, decimal only:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, and finite (".inf",
 * ".nan" and anything overflowing a double are refused). strtod does the
 * conversion once the syntax is known good; under a locale whose decimal
 * point is not '.' it stops early and the value is refused, never misread
 * (the daemon does not call setlocale). Returns 0 or -1 (*out unchanged). */
static int
parse_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	double v;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; is_digit(*p); p++)
		digits++;
	if (*p == '.')
		for (p++; is_digit(*p); p++)
			digits++;
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return -1;
		while (is_digit(*p))
			p++;
	}
	if (*p != '\0')
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* "HH:MM-HH:MM", minutes of the day: hours 00-23 (the end may be 24:00),
 * minutes 00-59, the start before the end. Returns 0 or -1 (*h unchanged). */
static int
parse_hours(const char *s, struct cfg_hours *h)
{
	int v[4];

	if (strlen(s) != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
		return -1;
	for (int i = 0; i < 4; i++) {
		const char *p = s + i * 3;

		if (!is_digit(p[0]) || !is_digit(p[1]))
			return -1;
		v[i] = (p[0] - '0') * 10 + (p[1] - '0');
	}
	if (v[0] > 23 || v[1] > 59 || v[2] > 24 || v[3] > 59 ||
	    (v[2] == 24 && v[3] != 0) || v[0] * 60 + v[1] >= v[2] * 60 + v[3])
		return -1;
	h->start = v[0] * 60 + v[1];
	h->end = v[2] * 60 + v[3];
	return 0;
}

/* The bit of the day name s[0..len) ("mon" is bit 0), 0 when none. */
static unsigned
weekday_bit(const char *s, size_t len)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
	    "sat", "sun" };

	for (unsigned i = 0; i < 7; i++)
		if (len == 3 && memcmp(s, days[i], 3) == 0)
			return 1u << i;
	return 0;
}

static int
log_format_parse(const char *s)
{
	if (strcmp(s, "logfmt") == 0)
		return LOG_FMT_LOGFMT;
	if (strcmp(s, "json") == 0)
		return LOG_FMT_JSON;
	return -1;
}

/* Parses s into field, of a scalar type, replacing (and freeing) what was
 * there. Returns CFG_OK, CFG_BAD when s is not a valid value (the field is
 * unchanged) or CFG_NOMEM. */
static int
set_scalar(void *field, enum cfg_type type, const char *s)
{
	char *dup;
	int v;

	switch (type) {
	case CFG_STRING:
		if ((dup = strdup(s)) == NULL)
			return CFG_NOMEM;
		free(*(char **)field);
		*(char **)field = dup;
		return CFG_OK;
	case CFG_DURATION:
		return cfg_parse_duration(s, field) == 0 ? CFG_OK : CFG_BAD;
	case CFG_SIZE:
		return cfg_parse_size(s, field) == 0 ? CFG_OK : CFG_BAD;
	case CFG_LOG_LEVEL:
		if ((v = log_level_parse(s)) < 0)
			return CFG_BAD;
		*(int *)field = v;
		return CFG_OK;
	case CFG_LOG_FORMAT:
		if ((v = log_format_parse(s)) < 0)
			return CFG_BAD;
		*(int *)field = v;
		return CFG_OK;
	case CFG_COUNT:
	case CFG_LIMIT: {
		size_t n = 0;

		if (*s == '\0' || strlen(s) > 10)
			return CFG_BAD;
		for (const char *p = s; *p; p++) {
			if (*p < '0' || *p > '9')
				return CFG_BAD;
			n = n * 10 + (size_t)(*p - '0');
		}
		if ((n == 0 && type == CFG_COUNT) || n > 1000000000)
			return CFG_BAD;
		*(size_t *)field = n;
		return CFG_OK;
	}
	case CFG_FLOAT:
		return parse_number(s, field) == 0 ? CFG_OK : CFG_BAD;
	case CFG_BOOL:		/* the YAML 1.2 core schema's booleans */
		if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
		    strcmp(s, "TRUE") == 0)
			v = 1;
		else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
		    strcmp(s, "FALSE") == 0)
			v = 0;
		else
			return CFG_BAD;
		*(int *)field = v;
		return CFG_OK;
	case CFG_HOURS:
		return parse_hours(s, field) == 0 ? CFG_OK : CFG_BAD;
	case CFG_LABEL_LIST:
	case CFG_STRING_LIST:
	case CFG_DURATION_LIST:
	case CFG_OVERRIDES:
	case CFG_ROUTES:
	case CFG_RULES:
	case CFG_WEEKDAYS:
		break;
	}
	/* cannot happen: lists are loaded by load_list, sequences of mappings
	 * by load_entries, days by load_weekdays */
	assert(0);
	return CFG_BAD;
}

/* A list being built; moved into the config by list_store. */
struct strv {
	char	**v;
	size_t	  n;
};

/* Appends a copy of the len bytes at s. Returns CFG_OK or CFG_NOMEM (sv
 * unchanged). */
static int
strv_push(struct strv *sv, const char *s, size_t len)
{
	char **nv, *dup;

	if ((dup = strndup(s, len)) == NULL)
		return CFG_NOMEM;
	if ((nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv))) == NULL) {
		free(dup);
		return CFG_NOMEM;
	}
	nv[sv->n++] = dup;
	sv->v = nv;
	return CFG_OK;
}

static int
strv_contains(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

static void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* The kinds of value kept as a struct strv (char ** and a count). */
static int
is_list(enum cfg_type type)
{
	return type == CFG_LABEL_LIST || type == CFG_STRING_LIST ||
	    type == CFG_DURATION_LIST;
}

/* Frees the list field of k in c (the config, or an entry of a sequence of
 * mappings) and moves sv into it; sv is left empty. */
static void
list_store(void *c, const struct cfg_key *k, struct strv *sv)
{
	struct strv old;

	old.v = *(char ***)FIELD(c, k->off);
	old.n = *(size_t *)FIELD(c, k->off_n);
	strv_free(&old);
	*(char ***)FIELD(c, k->off) = sv->v;
	*(size_t *)FIELD(c, k->off_n) = sv->n;
	sv->v = NULL;
	sv->n = 0;
}

/* --- sequences of mappings --- */

struct loader;

/* A kind of value that is a sequence of mappings (CFG_OVERRIDES,
 * CFG_ROUTES, CFG_RULES): an array of entry structs at the key's off, heap-
 * owned by the config, and their count at off_n; loaded by load_entries.
 * Every entry must set the string field named required. */
struct entry_type {
	size_t		 size;		/* of one entry */
	const char	*required;	/* the key every entry must have */
	size_t		 required_off;	/* offset of its char * field */
	/* Sets every field of a zeroed entry to "not set". */
	void		(*init)(void *entry);
	/* Loads vn, the value of the entry's key key (path in errors).
	 * Returns 0, -1 having failed, or 1 when the entry has no such key. */
	int		(*load_key)(struct loader *ld, void *entry,
			    const char *key, const char *path, yaml_node_t *vn);
	/* NULL, or checks entries[i] (item i of seq, named name) against
	 * entries[0..i-1] once all its keys are loaded. */
	int		(*check)(struct loader *ld, const void *entries,
			    size_t i, const yaml_node_t *seq, const char *name);
	/* Frees n entries, what they hold and the array. */
	void		(*free)(void *entries, size_t n);
};

/* The entry_type of type; NULL when type is not a sequence of mappings. */
static const struct entry_type *entry_type_of(enum cfg_type type);

static void
override_init(void *entry)
{
	struct cfg_override *ov = entry;

	ov->transient_max_ms = -1;
	ov->persistent_min_ms = -1;
	ov->flap_high = -1;
	ov->flap_low = -1;
	ov->flap_min_episodes = -1;
	ov->flap_window_ms = -1;
}

static void
overrides_free(void *entries, size_t n)
{
	struct cfg_override *ov = entries;
	size_t i;

	for (i = 0; i < n; i++)
		free(ov[i].match);
	free(ov);
}

static void
route_init(void *entry)
{
	struct cfg_route *r = entry;

	r->group_wait_ms = -1;
	r->group_interval_ms = -1;
	r->repeat_interval_ms = -1;
	r->send_resolved = -1;
}

static void
routes_free(void *entries, size_t n)
{
	struct cfg_route *r = entries;
	struct strv sv;
	size_t i;

	for (i = 0; i < n; i++) {
		free(r[i].receiver);
		sv.v = r[i].group_by;
		sv.n = r[i].n_group_by;
		strv_free(&sv);
	}
	free(r);
}

static void
rule_init(void *entry)
{
	struct cfg_rule *r = entry;

	r->for_ms = -1;
	r->keep_firing_for_ms = -1;
}

static void
rules_free(void *entries, size_t n)
{
	struct cfg_rule *r = entries;
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].match);
	free(r);
}

/* --- defaults and free --- */

void
cfg_free(struct an_config *c)
{
	const struct cfg_key *k;
	const struct entry_type *et;
	struct strv sv;
	void *entries;

	if (c == NULL)
		return;
	for (k = cfg_keys; k < cfg_keys + NKEYS; k++) {
		if (k->type == CFG_STRING) {
			free(*(char **)FIELD(c, k->off));
		} else if (is_list(k->type)) {
			sv.v = *(char ***)FIELD(c, k->off);
			sv.n = *(size_t *)FIELD(c, k->off_n);
			strv_free(&sv);
		} else if ((et = entry_type_of(k->type)) != NULL) {
			/* a struct cfg_route * (or the like), not a void * */
			memcpy(&entries, FIELD(c, k->off), sizeof(entries));
			et->free(entries, *(size_t *)FIELD(c, k->off_n));
		}
	}
	tz_free(c->report_tz);
	free(c->text);
	free(c->path);
	free(c);
}

const struct an_config *
cfg_hold(const struct an_config *c)
{
	/* the count is the one member a holder writes */
	__atomic_add_fetch(&((struct an_config *)c)->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
cfg_release(const struct an_config *c)
{
	if (c != NULL && __atomic_sub_fetch(&((struct an_config *)c)->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		cfg_free((struct an_config *)c);
}

/* Sets the default of k: its def string, parsed like the file's value. */
static int
set_default(struct an_config *c, const struct cfg_key *k)
{
	struct strv sv = { NULL, 0 };
	const char *p, *comma;
	int result;

	if (entry_type_of(k->type) != NULL) {
		assert(*k->def == '\0');	/* only the empty list */
		return CFG_OK;
	}
	if (k->type == CFG_WEEKDAYS) {
		unsigned mask = 0, bit;

		for (p = k->def; *p != '\0'; p = *comma ? comma + 1 : comma) {
			if ((comma = strchr(p, ',')) == NULL)
				comma = p + strlen(p);
			bit = weekday_bit(p, (size_t)(comma - p));
			assert(bit != 0 && !(mask & bit));	/* the table */
			mask |= bit;
		}
		*(unsigned *)FIELD(c, k->off) = mask;
		return CFG_OK;
	}
	if (!is_list(k->type)) {
		result = set_scalar(FIELD(c, k->off), k->type, k->def);
		assert(result != CFG_BAD);	/* the table is wrong */
		goto out;
	}
	for (p = k->def; *p != '\0'; p = *comma ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		if ((result = strv_push(&sv, p, (size_t)(comma - p))) != CFG_OK)
			goto out;
		assert(k->type != CFG_LABEL_LIST ?
		    *sv.v[sv.n - 1] != '\0' : is_label_name(sv.v[sv.n - 1]));
	}
	list_store(c, k, &sv);
	result = CFG_OK;
out:
	strv_free(&sv);
	assert(result != CFG_OK || k->check == NULL ||
	    k->check(FIELD(c, k->off)) == NULL);
	return result;
}

struct an_config *
cfg_defaults(void)
{
	struct an_config *c;
	const struct cfg_key *k;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->refs = 1;
	for (k = cfg_keys; k < cfg_keys + NKEYS; k++) {
		assert(strlen(k->key) < CFG_KEY_MAX);
		if (set_default(c, k) != CFG_OK) {
			cfg_free(c);
			return NULL;
		}
	}
	return c;
}

/* --- the loader --- */

struct loader {
	const char	*file;		/* as given, for messages */
	const char	*text;		/* the file, NUL-terminated */
	size_t		 len;
	yaml_document_t	*doc;
	struct an_config *c;
	char		*err;
	size_t		 errlen;
};

/* Writes "file:line: key: message" into ld->err, cut to fit; ":line" is
 * left out when line is 0, "key: " when key is NULL. Allocates nothing, so it
 * can report running out of memory. Returns -1. */
static int
fail(struct loader *ld, unsigned long line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct loader *ld, unsigned long line, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	size_t off;
	int n;

	if (ld->err == NULL || ld->errlen == 0)
		return -1;
	if (line > 0)
		n = snprintf(ld->err, ld->errlen, "%s:%lu: ", ld->file, line);
	else
		n = snprintf(ld->err, ld->errlen, "%s: ", ld->file);
	off = n < 0 ? 0 : (size_t)n;
	if (key != NULL && off < ld->errlen) {
		n = snprintf(ld->err + off, ld->errlen - off, "%s: ", key);
		off += n < 0 ? 0 : (size_t)n;
	}
	if (off < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + off, ld->errlen - off, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The text of a scalar node, or NULL when it holds a NUL byte (an escaped
 * "\0") and so cannot be a C string. */
static const char *
scalar_text(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	assert(n->type == YAML_SCALAR_NODE);
	return strlen(s) == n->data.scalar.length ? s : NULL;
}

/* Fails with "key: what \"value\"tail" at n's line, quoting at most
 * CFG_QUOTE_MAX bytes of the value. */
static int
fail_value(struct loader *ld, const yaml_node_t *n, const char *key,
    const char *what, const char *s, const char *tail)
{
	return fail(ld, yn_line(n), key, "%s \"%.*s%s\"%s", what,
	    CFG_QUOTE_MAX, s, strlen(s) > CFG_QUOTE_MAX ? "..." : "", tail);
}

/* The longest window a duration list takes: the read API's limit. */
#define DUR_LIST_MAX_MS	CFG_WINDOW_MAX_MS

/* Whether s, an item of a CFG_DURATION_LIST, means the same duration as one
 * of sv's (all valid). */
static int
strv_contains_duration(const struct strv *sv, const char *s)
{
	int64_t a, b;
	size_t i;

	if (cfg_parse_duration(s, &a) < 0)
		return 0;
	for (i = 0; i < sv->n; i++)
		if (cfg_parse_duration(sv->v[i], &b) == 0 && a == b)
			return 1;
	return 0;
}

/* Loads a CFG_LABEL_LIST, CFG_STRING_LIST or CFG_DURATION_LIST: a sequence
 * of distinct label names, of distinct non-empty strings, or of at least one
 * duration from 1ms to 366d distinct in value ("1d" and "24h" are the same),
 * into k's field in base (the config, or an entry of a sequence of
 * mappings), naming it name in errors. */
static int
load_list(struct loader *ld, const struct cfg_key *k, const char *name,
    yaml_node_t *n, void *base)
{
	int labels = k->type == CFG_LABEL_LIST;
	int durations = k->type == CFG_DURATION_LIST;
	const char *item_name = labels ? "label name" : durations ?
	    "duration" : "string";
	struct strv sv = { NULL, 0 };
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *s;
	int64_t ms;
	int result = -1;

	assert(is_list(k->type));
	if (n->type != YAML_SEQUENCE_NODE) {
		fail(ld, yn_line(n), name,
		    "expected a sequence of %s, got %s",
		    labels ? "label names" : durations ? "durations" :
		    "strings", yn_kind(n));
		goto out;
	}
	if (durations && n->data.sequence.items.start ==
	    n->data.sequence.items.top) {
		fail(ld, yn_line(n), name, "expected at least one duration");
		goto out;
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		item = yaml_document_get_node(ld->doc, *it);
		if (item->type != YAML_SCALAR_NODE || yn_is_null(item)) {
			fail(ld, yn_line(item), name,
			    "expected a %s, got %s", item_name,
			    yn_is_null(item) ? "null" : yn_kind(item));
			goto out;
		}
		s = scalar_text(item);
		if (labels && (s == NULL || !is_label_name(s))) {
			fail_value(ld, item, name, "bad label name",
			    s ? s : "\\0", "");
			goto out;
		}
		if (durations && (s == NULL || cfg_parse_duration(s, &ms) < 0 ||
		    ms <= 0 || ms > DUR_LIST_MAX_MS)) {
			fail_value(ld, item, name, "bad duration", s ? s : "\\0",
			    " (want e.g. 7d, from 1ms to 366d)");
			goto out;
		}
		if (!labels && !durations && (s == NULL || *s == '\0')) {
			fail_value(ld, item, name,
			    "expected a non-empty string, got", s ? s : "\\0",
			    "");
			goto out;
		}
		if (durations && strv_contains_duration(&sv, s)) {
			fail_value(ld, item, name, "duplicate duration", s,
			    "");
			goto out;
		}
		if (strv_contains(&sv, s)) {
			fail_value(ld, item, name, labels ?
			    "duplicate label" : "duplicate entry", s, "");
			goto out;
		}
		if (strv_push(&sv, s, strlen(s)) != CFG_OK) {
			fail(ld, 0, NULL, "out of memory");
			goto out;
		}
	}
	list_store(base, k, &sv);
	result = 0;
out:
	strv_free(&sv);
	return result;
}

/* Loads a CFG_WEEKDAYS: a sequence of distinct day names, mon..sun. */
static int
load_weekdays(struct loader *ld, const struct cfg_key *k, yaml_node_t *n)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	unsigned mask = 0, bit;
	const char *s;

	assert(k->type == CFG_WEEKDAYS);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, yn_line(n), k->key,
		    "expected a sequence of days, got %s", yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		item = yaml_document_get_node(ld->doc, *it);
		if (item->type != YAML_SCALAR_NODE || yn_is_null(item))
			return fail(ld, yn_line(item), k->key,
			    "expected a day, got %s",
			    yn_is_null(item) ? "null" : yn_kind(item));
		s = scalar_text(item);
		if (s == NULL || (bit = weekday_bit(s, strlen(s))) == 0)
			return fail_value(ld, item, k->key, "bad day",
			    s ? s : "\\0",
			    " (want mon, tue, wed, thu, fri, sat or sun)");
		if (mask & bit)
			return fail_value(ld, item, k->key, "duplicate day", s,
			    "");
		mask |= bit;
	}
	*(unsigned *)FIELD(ld->c, k->off) = mask;
	return 0;
}

/* Parses the scalar node n as a value of the scalar-typed key k into field,
 * naming the key name in errors (k->key, or an override's
 * "analysis.overrides[0].flap_high"); then runs k's check on it. */
static int
load_scalar(struct loader *ld, const struct cfg_key *k, const char *name,
    yaml_node_t *n, void *field)
{
	const char *s, *why;
	char what[64], tail[64] = "";
	int r;

	if (yn_is_null(n))
		return fail(ld, yn_line(n), name, "missing value");
	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, yn_line(n), name, "expected a %s, got %s",
		    cfg_types[k->type].name, yn_kind(n));

	snprintf(what, sizeof(what), "bad %s", cfg_types[k->type].name);
	if (cfg_types[k->type].want != NULL)
		snprintf(tail, sizeof(tail), " (want %s)",
		    cfg_types[k->type].want);
	if ((s = scalar_text(n)) == NULL)
		return fail_value(ld, n, name, what, "\\0", tail);
	if ((r = set_scalar(field, k->type, s)) == CFG_NOMEM)
		return fail(ld, 0, NULL, "out of memory");
	if (r == CFG_BAD)
		return fail_value(ld, n, name, what, s, tail);
	if (k->check != NULL && (why = k->check(field)) != NULL) {
		snprintf(what, sizeof(what), "%s, got", why);
		return fail_value(ld, n, name, what, s, "");
	}
	return 0;
}

/* Fails when the key of pair (named name) was already a key of map before
 * it; prefix is map's dotted path. */
static int
check_duplicate(struct loader *ld, const yaml_node_t *map,
    const yaml_node_pair_t *pair, const char *prefix, const char *name)
{
	const char *dot = *prefix ? "." : "";
	yaml_node_pair_t *prev;
	yaml_node_t *kn, *pkn;

	kn = yaml_document_get_node(ld->doc, pair->key);
	for (prev = map->data.mapping.pairs.start; prev < pair; prev++) {
		pkn = yaml_document_get_node(ld->doc, prev->key);
		if (pkn->type == YAML_SCALAR_NODE &&
		    pkn->data.scalar.length == kn->data.scalar.length &&
		    memcmp(pkn->data.scalar.value, kn->data.scalar.value,
		    kn->data.scalar.length) == 0)
			return fail(ld, yn_line(kn), NULL,
			    "%s%s%.*s: duplicate key (first on line %lu)",
			    prefix, dot, CFG_QUOTE_MAX, name, yn_line(pkn));
	}
	return 0;
}

/* The table entry for key, which must exist. */
static const struct cfg_key *
cfg_key_get(const char *key)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k < cfg_keys + NKEYS; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	assert(0);	/* cannot happen: ov_keys[] names a missing row */
	return NULL;
}

/* Loads the label selector vn (selector.h), named path in errors, into
 * *match: a copy of its text, replacing (and freeing) what was there. */
static int
load_selector(struct loader *ld, const char *path, yaml_node_t *vn,
    char **match)
{
	char serr[128], *dup;
	struct sel *sel;
	const char *s;

	if (yn_is_null(vn))
		return fail(ld, yn_line(vn), path, "missing value");
	if (vn->type != YAML_SCALAR_NODE)
		return fail(ld, yn_line(vn), path,
		    "expected a label selector, got %s", yn_kind(vn));
	if ((s = scalar_text(vn)) == NULL)
		return fail_value(ld, vn, path, "bad label selector", "\\0",
		    "");
	if (sel_parse(s, &sel, serr, sizeof(serr)) < 0)
		return fail(ld, yn_line(vn), path, "%s", serr);
	sel_free(sel);
	if ((dup = strdup(s)) == NULL)
		return fail(ld, 0, NULL, "out of memory");
	free(*match);
	*match = dup;
	return 0;
}

/* The row of keys[] (n rows) named key; NULL when there is none. */
static const struct cfg_key *
entry_key_find(const struct cfg_key *keys, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

/* entry_type.load_key of analysis.overrides: match, or a key of
 * ov_keys[]. */
static int
override_key(struct loader *ld, void *entry, const char *key,
    const char *path, yaml_node_t *vn)
{
	union {
		int64_t	 ms;
		double	 d;
		size_t	 count;
	} v;
	struct cfg_override *ov = entry;
	const struct cfg_key *k;
	size_t i;
	void *field;

	if (strcmp(key, "match") == 0)
		return load_selector(ld, path, vn, &ov->match);
	for (i = 0; i < NOVKEYS; i++)
		if (strcmp(key, ov_keys[i].name) == 0)
			break;
	if (i == NOVKEYS)
		return 1;
	k = cfg_key_get(ov_keys[i].key);
	memset(&v, 0, sizeof(v));
	if (load_scalar(ld, k, path, vn, &v) < 0)
		return -1;
	field = (char *)ov + ov_keys[i].off;
	switch (k->type) {
	case CFG_DURATION:
		*(int64_t *)field = v.ms;
		break;
	case CFG_FLOAT:
		*(double *)field = v.d;
		break;
	case CFG_COUNT:		/* at most 1e9: fits a long */
		*(long *)field = (long)v.count;
		break;
	default:
		assert(0);	/* cannot happen: no such ov_keys[] */
		return -1;
	}
	return 0;
}

/* Loads a route's group_by (k, its route_keys[] row) into r: label names as
 * load_list does, or alertmanager's "..." (every label), alone or as the
 * only item of the list, kept as the list ["..."]. An empty list (one group
 * for all the route's alerts) is kept as an array of none, not NULL, which
 * means "as seen in history". */
static int
load_group_by(struct loader *ld, const struct cfg_key *k, const char *path,
    yaml_node_t *vn, struct cfg_route *r)
{
	struct strv sv = { NULL, 0 };
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *s;
	int all = 0;

	if (yn_is_null(vn))
		return fail(ld, yn_line(vn), path, "missing value");
	if (vn->type == YAML_SCALAR_NODE) {
		all = (s = scalar_text(vn)) != NULL && strcmp(s, "...") == 0;
	} else if (vn->type == YAML_SEQUENCE_NODE) {
		for (it = vn->data.sequence.items.start;
		    it < vn->data.sequence.items.top; it++) {
			item = yaml_document_get_node(ld->doc, *it);
			if (item->type != YAML_SCALAR_NODE ||
			    (s = scalar_text(item)) == NULL ||
			    strcmp(s, "...") != 0)
				continue;
			if (vn->data.sequence.items.top -
			    vn->data.sequence.items.start > 1)
				return fail(ld, yn_line(item), path,
				    "\"...\" (every label) cannot be "
				    "combined with other labels");
			all = 1;
		}
	}
	if (all) {
		if (strv_push(&sv, "...", 3) != CFG_OK)
			return fail(ld, 0, NULL, "out of memory");
		list_store(r, k, &sv);
		return 0;
	}
	if (load_list(ld, k, path, vn, r) < 0)
		return -1;
	if (r->group_by == NULL &&
	    (r->group_by = calloc(1, sizeof(*r->group_by))) == NULL)
		return fail(ld, 0, NULL, "out of memory");
	return 0;
}

/* entry_type.load_key of replay.routes: a key of route_keys[]. */
static int
route_key(struct loader *ld, void *entry, const char *key, const char *path,
    yaml_node_t *vn)
{
	const struct cfg_key *k;

	if ((k = entry_key_find(route_keys, NROUTEKEYS, key)) == NULL)
		return 1;
	if (k->type == CFG_LABEL_LIST)
		return load_group_by(ld, k, path, vn, entry);
	return load_scalar(ld, k, path, vn, FIELD(entry, k->off));
}

static yaml_node_t *map_get(const struct loader *, const yaml_node_t *,
    const char *);

/* The node of item i of the sequence seq. */
static yaml_node_t *
seq_item(const struct loader *ld, const yaml_node_t *seq, size_t i)
{
	assert(seq->type == YAML_SEQUENCE_NODE);
	return yaml_document_get_node(ld->doc,
	    seq->data.sequence.items.start[i]);
}

/* entry_type.check of replay.routes: a receiver is listed once, so that its
 * notifications are replayed with one set of timings. */
static int
route_check(struct loader *ld, const void *entries, size_t i,
    const yaml_node_t *seq, const char *name)
{
	const struct cfg_route *r = entries;
	char key[CFG_KEY_MAX + sizeof(".receiver")], tail[64];
	yaml_node_t *first, *dup;
	size_t j;

	for (j = 0; j < i; j++) {
		if (strcmp(r[j].receiver, r[i].receiver) != 0)
			continue;
		first = map_get(ld, seq_item(ld, seq, j), "receiver");
		dup = map_get(ld, seq_item(ld, seq, i), "receiver");
		assert(first != NULL && dup != NULL);	/* both loaded */
		snprintf(key, sizeof(key), "%s.receiver", name);
		snprintf(tail, sizeof(tail), " (first on line %lu)",
		    yn_line(first));
		return fail_value(ld, dup, key, "duplicate receiver",
		    r[i].receiver, tail);
	}
	return 0;
}

/* entry_type.load_key of replay.rules: match, or a key of rule_keys[]. */
static int
rule_key(struct loader *ld, void *entry, const char *key, const char *path,
    yaml_node_t *vn)
{
	struct cfg_rule *r = entry;
	const struct cfg_key *k;

	if (strcmp(key, "match") == 0)
		return load_selector(ld, path, vn, &r->match);
	if ((k = entry_key_find(rule_keys, NRULEKEYS, key)) == NULL)
		return 1;
	return load_scalar(ld, k, path, vn, FIELD(entry, k->off));
}

static const struct entry_type override_type = {
	.size = sizeof(struct cfg_override),
	.required = "match",
	.required_off = offsetof(struct cfg_override, match),
	.init = override_init,
	.load_key = override_key,
	.check = NULL,
	.free = overrides_free,
};

static const struct entry_type route_type = {
	.size = sizeof(struct cfg_route),
	.required = "receiver",
	.required_off = offsetof(struct cfg_route, receiver),
	.init = route_init,
	.load_key = route_key,
	.check = route_check,
	.free = routes_free,
};

static const struct entry_type rule_type = {
	.size = sizeof(struct cfg_rule),
	.required = "match",
	.required_off = offsetof(struct cfg_rule, match),
	.init = rule_init,
	.load_key = rule_key,
	.check = NULL,
	.free = rules_free,
};

static const struct entry_type *
entry_type_of(enum cfg_type type)
{
	switch (type) {
	case CFG_OVERRIDES:
		return &override_type;
	case CFG_ROUTES:
		return &route_type;
	case CFG_RULES:
		return &rule_type;
	default:
		return NULL;
	}
}

/* Loads one entry of a sequence of mappings, the mapping n named name
 * ("analysis.overrides[i]"), into entry, which et->init has set. On failure
 * entry may hold allocations: the caller frees them (et->free). */
static int
load_entry(struct loader *ld, const struct entry_type *et, const char *name,
    yaml_node_t *n, void *entry)
{
	char path[CFG_KEY_MAX + 1 + CFG_QUOTE_MAX + 1];
	yaml_node_pair_t *pair;
	yaml_node_t *kn, *vn;
	const char *key;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return fail(ld, yn_line(n), name,
		    "expected a mapping, got %s",
		    yn_is_null(n) ? "null" : yn_kind(n));
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		kn = yaml_document_get_node(ld->doc, pair->key);
		vn = yaml_document_get_node(ld->doc, pair->value);
		if (kn->type != YAML_SCALAR_NODE)
			return fail(ld, yn_line(kn), name,
			    "expected a key, got %s", yn_kind(kn));
		if ((key = scalar_text(kn)) == NULL)
			key = "\\0";
		if (check_duplicate(ld, n, pair, name, key) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s.%.*s", name, CFG_QUOTE_MAX,
		    key);
		if ((r = et->load_key(ld, entry, key, path, vn)) < 0)
			return -1;
		if (r > 0)
			return fail(ld, yn_line(kn), NULL,
			    "%s.%.*s: unknown key", name, CFG_QUOTE_MAX, key);
	}
	if (*(char **)FIELD(entry, et->required_off) == NULL)
		return fail(ld, yn_line(n), name, "missing key \"%s\"",
		    et->required);
	return 0;
}

/* Loads n, the value of k: a sequence of mappings, each an entry as k's
 * entry_type says. Replaces (and frees) the entries k had. */
static int
load_entries(struct loader *ld, const struct cfg_key *k, yaml_node_t *n)
{
	const struct entry_type *et = entry_type_of(k->type);
	char name[CFG_KEY_MAX];
	void *entries = NULL, *old;
	size_t i, count;
	int result = -1;

	assert(et != NULL);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, yn_line(n), k->key,
		    "expected a sequence of mappings, got %s", yn_kind(n));
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (count > 0 && (entries = calloc(count, et->size)) == NULL)
		return fail(ld, 0, NULL, "out of memory");
	for (i = 0; i < count; i++)
		et->init((char *)entries + i * et->size);
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s[%zu]", k->key, i);
		if (load_entry(ld, et, name, seq_item(ld, n, i),
		    (char *)entries + i * et->size) < 0)
			goto out;
		if (et->check != NULL &&
		    et->check(ld, entries, i, n, name) < 0)
			goto out;
	}
	/* the field is a struct cfg_route * (or the like), not a void * */
	memcpy(&old, FIELD(ld->c, k->off), sizeof(old));
	et->free(old, *(size_t *)FIELD(ld->c, k->off_n));
	memcpy(FIELD(ld->c, k->off), &entries, sizeof(entries));
	*(size_t *)FIELD(ld->c, k->off_n) = count;
	entries = NULL;
	count = 0;
	result = 0;
out:
	et->free(entries, count);
	return result;
}

/* Loads the value node n of key k into the config. */
static int
load_value(struct loader *ld, const struct cfg_key *k, yaml_node_t *n)
{
	if (yn_is_null(n))
		return fail(ld, yn_line(n), k->key, "missing value");
	if (is_list(k->type))
		return load_list(ld, k, k->key, n, ld->c);
	if (entry_type_of(k->type) != NULL)
		return load_entries(ld, k, n);
	if (k->type == CFG_WEEKDAYS)
		return load_weekdays(ld, k, n);
	return load_scalar(ld, k, k->key, n, FIELD(ld->c, k->off));
}

/* The table entry whose key is path; NULL and *section set when path is a
 * section (a proper prefix of some key, up to a dot); NULL and *section clear
 * when path is unknown. */
static const struct cfg_key *
cfg_key_find(const char *path, int *section)
{
	const struct cfg_key *k;
	size_t len = strlen(path);

	*section = 0;
	for (k = cfg_keys; k < cfg_keys + NKEYS; k++) {
		if (strncmp(k->key, path, len) != 0)
			continue;
		if (k->key[len] == '\0')
			return k;
		if (k->key[len] == '.')
			*section = 1;
	}
	return NULL;
}

int
cfg_key_known(const char *path)
{
	int section;

	return cfg_key_find(path, &section) != NULL || section;
}

/* Loads the mapping map, whose dotted path is prefix ("" at the top). */
static int
load_mapping(struct loader *ld, const char *prefix, yaml_node_t *map)
{
	const struct cfg_key *k;
	yaml_node_pair_t *pair;
	yaml_node_t *kn, *vn;
	const char *name, *dot = *prefix ? "." : "";
	char path[CFG_KEY_MAX];
	int section, n;

	assert(map->type == YAML_MAPPING_NODE);
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		kn = yaml_document_get_node(ld->doc, pair->key);
		vn = yaml_document_get_node(ld->doc, pair->value);
		if (kn->type != YAML_SCALAR_NODE)
			return fail(ld, yn_line(kn), *prefix ? prefix : NULL,
			    "expected a key, got %s", yn_kind(kn));
		if ((name = scalar_text(kn)) == NULL)
			name = "\\0";
		n = snprintf(path, sizeof(path), "%s%s%s", prefix, dot, name);

		if (check_duplicate(ld, map, pair, prefix, name) < 0)
			return -1;

		/* a dot inside a name must not reach another key's path */
		k = NULL;
		section = 0;
		if (*name != '\0' && strchr(name, '.') == NULL &&
		    (size_t)n < sizeof(path))
			k = cfg_key_find(path, &section);
		if (k == NULL && !section)
			return fail(ld, yn_line(kn), NULL,
			    "%s%s%.*s: unknown key", prefix, dot,
			    CFG_QUOTE_MAX, name);

		if (k != NULL) {
			if (load_value(ld, k, vn) < 0)
				return -1;
		} else if (vn->type == YAML_MAPPING_NODE) {
			if (load_mapping(ld, path, vn) < 0)
				return -1;
		} else if (!yn_is_null(vn)) {
			/* an empty section ("web:") keeps every default */
			return fail(ld, yn_line(vn), path,
			    "expected a mapping, got %s", yn_kind(vn));
		}
	}
	return 0;
}

/* The value node of key name in map; NULL when map is NULL, not a mapping
 * or has no such key. */
static yaml_node_t *
map_get(const struct loader *ld, const yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;
	const char *s;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		kn = yaml_document_get_node(ld->doc, pair->key);
		if (kn->type == YAML_SCALAR_NODE &&
		    (s = scalar_text(kn)) != NULL && strcmp(s, name) == 0)
			return yaml_document_get_node(ld->doc, pair->value);
	}
	return NULL;
}

/* Fails unless low < high, the flapping thresholds in effect for the
 * mapping map (named prefix): the error names map's flap_low when it sets
 * one, else its flap_high. */
static int
flap_order(struct loader *ld, const yaml_node_t *map, const char *prefix,
    double low, double high)
{
	char key[CFG_KEY_MAX], what[96];
	yaml_node_t *n;

	if (low < high)
		return 0;
	if ((n = map_get(ld, map, "flap_low")) != NULL) {
		snprintf(key, sizeof(key), "%s.flap_low", prefix);
		snprintf(what, sizeof(what),
		    "must be less than flap_high (%g), got", high);
	} else {
		n = map_get(ld, map, "flap_high");
		assert(n != NULL);	/* the defaults are in order */
		snprintf(key, sizeof(key), "%s.flap_high", prefix);
		snprintf(what, sizeof(what),
		    "must be greater than flap_low (%g), got", low);
	}
	return fail_value(ld, n, key, what, scalar_text(n), "");
}

/* Checks, once the whole file (root) is loaded, that flap_low < flap_high:
 * at the top level, and in every override with what it inherits. */
static int
check_flap_order(struct loader *ld, const yaml_node_t *root)
{
	const struct an_config *c = ld->c;
	const struct cfg_override *ov;
	yaml_node_t *an, *seq;
	char name[CFG_KEY_MAX];
	size_t i;

	an = map_get(ld, root, "analysis");
	if (flap_order(ld, an, "analysis", c->an_flap_low, c->an_flap_high) < 0)
		return -1;
	if ((seq = map_get(ld, an, "overrides")) == NULL)
		return 0;
	assert(seq->type == YAML_SEQUENCE_NODE &&
	    (size_t)(seq->data.sequence.items.top -
	    seq->data.sequence.items.start) == c->n_overrides);
	for (i = 0; i < c->n_overrides; i++) {
		ov = &c->overrides[i];
		snprintf(name, sizeof(name), "analysis.overrides[%zu]", i);
		if (flap_order(ld, yaml_document_get_node(ld->doc,
		    seq->data.sequence.items.start[i]), name,
		    ov->flap_low >= 0 ? ov->flap_low : c->an_flap_low,
		    ov->flap_high >= 0 ? ov->flap_high : c->an_flap_high) < 0)
			return -1;
	}
	return 0;
}

/* The 1-based line of byte offset off in the file. */
static unsigned long
line_at(const struct loader *ld, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off && i < ld->len; i++)
		if (ld->text[i] == '\n')
			line++;
	return line;
}

/* Describes the parser's error in ld->err. Returns -1. */
static int
fail_yaml(struct loader *ld, const yaml_parser_t *p)
{
	unsigned long line;

	/* libyaml gives every syntax error a problem; some of its allocation
	 * failures set no error at all */
	if (p->error == YAML_MEMORY_ERROR || p->problem == NULL)
		return fail(ld, 0, NULL, "out of memory");
	if (p->error == YAML_READER_ERROR)	/* bad encoding: no mark */
		line = line_at(ld, p->problem_offset);
	else
		line = (unsigned long)p->problem_mark.line + 1;
	return fail(ld, line, NULL, "YAML syntax error: %s", p->problem);
}

/* Reads path whole into b (capped at CFG_FILE_MAX). */
static int
read_file(struct loader *ld, const char *path, struct buf *b)
{
	char chunk[8192];
	FILE *fp;
	size_t n;
	int result = -1;

	if ((fp = fopen(path, "rb")) == NULL)
		return fail(ld, 0, NULL, "%s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (n > CFG_FILE_MAX - b->len) {
			fail(ld, 0, NULL, "larger than %d bytes",
			    CFG_FILE_MAX);
			goto out;
		}
		if (buf_append(b, chunk, n) < 0) {
			fail(ld, 0, NULL, "out of memory");
			goto out;
		}
	}
	if (ferror(fp)) {
		fail(ld, 0, NULL, "%s", strerror(errno));
		goto out;
	}
	/* so that an empty file, too, has a NUL-terminated b->data */
	if (buf_append(b, "", 0) < 0) {
		fail(ld, 0, NULL, "out of memory");
		goto out;
	}
	result = 0;
out:
	fclose(fp);
	return result;
}

int
cfg_load(const char *path, struct an_config **out, char *err, size_t errlen)
{
	struct loader ld;
	struct buf text;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int have_parser = 0, have_doc = 0, result = -1;

	assert(path != NULL && out != NULL);
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.err = err;
	ld.errlen = errlen;
	buf_init(&text, CFG_FILE_MAX);

	if (read_file(&ld, path, &text) < 0)
		goto out;
	ld.text = text.data;
	ld.len = text.len;
	if ((ld.c = cfg_defaults()) == NULL ||
	    (ld.c->path = strdup(path)) == NULL) {
		fail(&ld, 0, NULL, "out of memory");
		goto out;
	}

	if (!yaml_parser_initialize(&parser)) {
		fail(&ld, 0, NULL, "out of memory");
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data,
	    text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		fail_yaml(&ld, &parser);
		goto out;
	}
	have_doc = 1;
	ld.doc = &doc;

	/* a second document would be silently ignored: refuse it */
	if ((root = yaml_document_get_root_node(&doc)) != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			fail_yaml(&ld, &parser);
			goto out;
		}
		root = yaml_document_get_root_node(&extra);
		if (root != NULL)
			fail(&ld, yn_line(root), NULL,
			    "only one YAML document is allowed");
		yaml_document_delete(&extra);
		if (root != NULL)
			goto out;
	}

	/* no document, or only comments, or a bare null: every default */
	if ((root = yaml_document_get_root_node(&doc)) != NULL &&
	    !yn_is_null(root)) {
		if (root->type != YAML_MAPPING_NODE) {
			fail(&ld, yn_line(root), NULL,
			    "top level: expected a mapping, got %s",
			    yn_kind(root));
			goto out;
		}
		if (load_mapping(&ld, "", root) < 0)
			goto out;
	}
	if (check_flap_order(&ld, root) < 0)
		goto out;
	/* derived once per load: every reader of the config shares it */
	{
		char why[256];

		if (tz_load(ld.c->report_timezone, &ld.c->report_tz, why,
		    sizeof(why)) < 0) {
			fail(&ld, 0, "report.timezone", "%s", why);
			goto out;
		}
	}

	ld.c->text = buf_steal(&text);	/* for GET /api/v1/status/config */
	*out = ld.c;
	ld.c = NULL;
	result = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	cfg_free(ld.c);
	buf_free(&text);
	return result;
}

/* --- cfg_yaml_redact ------------------------------------------------------ */

/* The keys whose values are secrets, as prometheus/common config.Secret
 * marks them in Prometheus' own configuration. */
static int
secret_key(const char *k)
{
	static const char *const names[] = { "password", "token", "secret",
	    "credentials", "bearer_token", "api_key" };
	static const char *const suffixes[] = { "_password", "_token",
	    "_secret" };
	size_t n = strlen(k);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(k, names[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sn = strlen(suffixes[i]);

		if (n > sn && strcmp(k + n - sn, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* v with the password of its URL's user information replaced
 * ("http://user:pass@host/" -> "http://user:<secret>@host/"), as
 * net/url's URL.Redacted does: a new string, or NULL when v has none (or
 * out of memory: *nomem set). */
static char *
redact_url(const char *v, size_t len, int *nomem)
{
	const char *auth, *end, *at = NULL, *colon;
	char *out;
	size_t n;

	if ((auth = strstr(v, "://")) == NULL)
		return NULL;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL ||
	    (colon = memchr(auth, ':', (size_t)(at - auth))) == NULL)
		return NULL;
	n = (size_t)(colon + 1 - v) + strlen("<secret>") +
	    (len - (size_t)(at - v)) + 1;
	if ((out = malloc(n)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	snprintf(out, n, "%.*s<secret>%s", (int)(colon + 1 - v), v, at);
	return out;
}

static int
redact_write(void *data, unsigned char *p, size_t n)
{
	return buf_append(data, p, n) == 0;
}

/* Replaces *ev (a node: scalar, alias, or the start of a collection whose
 * other events the caller skips) by the scalar value, keeping its anchor.
 * Returns 0 or -1 (out of memory; *ev is then deleted). */
static int
redact_node(yaml_event_t *ev, const char *value)
{
	yaml_char_t *anchor = NULL;
	yaml_event_t r;
	int ok;

	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	ok = yaml_scalar_event_initialize(&r, anchor, NULL,
	    (yaml_char_t *)value, (int)strlen(value), 1, 1,
	    YAML_ANY_SCALAR_STYLE);
	yaml_event_delete(ev);
	if (!ok)
		return -1;
	*ev = r;
	return 0;
}

/* The tag of a node's event (a scalar, a mapping's or a sequence's start),
 * or NULL. */
static const char *
event_tag(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.tag;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.tag;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.tag;
	default:
		return NULL;
	}
}

/* The non-specific tag "!" (YAML 1.2 section 6.9.1: the node is a string,
 * a plain mapping or a plain sequence) dropped from *ev: libyaml's emitter
 * writes it as the verbatim "!<%21>", which reads back as another tag, so
 * a redacted text would not redact to itself. A scalar stays a string by
 * being quoted, and the emitter may quote any untagged scalar without
 * adding the tag. Returns 0 or -1 (out of memory; *ev is then deleted). */
static int
untag_nonspecific(yaml_event_t *ev)
{
	const char *tag = event_tag(ev);
	yaml_event_t r;
	int ok;

	if (ev->type == YAML_SCALAR_EVENT && tag == NULL) {
		/* an untagged plain scalar the emitter must quote (a flow
		 * sequence's 7://d) is quoted, not written as "! '7://d'" */
		ev->data.scalar.quoted_implicit = 1;
		return 0;
	}
	if (tag == NULL || strcmp(tag, "!") != 0)
		return 0;
	if (ev->type == YAML_SCALAR_EVENT)
		ok = yaml_scalar_event_initialize(&r, ev->data.scalar.anchor,
		    NULL, ev->data.scalar.value, (int)ev->data.scalar.length,
		    0, 1, ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ?
		    YAML_SINGLE_QUOTED_SCALAR_STYLE : ev->data.scalar.style);
	else if (ev->type == YAML_MAPPING_START_EVENT)
		ok = yaml_mapping_start_event_initialize(&r,
		    ev->data.mapping_start.anchor, NULL, 1,
		    ev->data.mapping_start.style);
	else
		ok = yaml_sequence_start_event_initialize(&r,
		    ev->data.sequence_start.anchor, NULL, 1,
		    ev->data.sequence_start.style);
	yaml_event_delete(ev);
	if (!ok)
		return -1;
	*ev = r;
	return 0;
}

/* As declared in config.h. The parser's events go to the emitter as they
 * come, but for a secret's: a stack of open collections says whether the
 * next node of a mapping is a key or a value. */
char *
cfg_yaml_redact(const char *text, size_t len, char *err, size_t errlen)
{
	enum { DEPTH_MAX = 64 };
	struct level {
		int mapping;	/* else a sequence */
		int is_key;	/* a mapping's next node is a key */
		int secret;	/* that key names a secret */
	} st[DEPTH_MAX];
	yaml_parser_t parser;
	yaml_emitter_t emitter;
	yaml_event_t ev;
	struct buf out;
	char *result = NULL;
	int depth = 0, done = 0, nomem = 0;

	assert(text != NULL || len == 0);
	buf_init(&out, 4 * CFG_FILE_MAX);
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!yaml_emitter_initialize(&emitter)) {
		yaml_parser_delete(&parser);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)
	    (text ? text : ""), len);
	yaml_emitter_set_output(&emitter, redact_write, &out);
	/* UTF-8 whatever the input's byte order mark says: the text is a C
	 * string in a JSON answer (UTF-16 would hold NULs) */
	yaml_emitter_set_encoding(&emitter, YAML_UTF8_ENCODING);
	yaml_emitter_set_unicode(&emitter, 1);
	yaml_emitter_set_width(&emitter, -1);
	while (!done) {
		struct level *l = depth > 0 ? &st[depth - 1] : NULL;
		int node, secret = 0;
		char *url = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "line %zu: %s",
			    parser.problem_mark.line + 1, parser.problem ?
			    parser.problem : "not YAML");
			goto out;
		}
		if (untag_nonspecific(&ev) < 0) {
			nomem = 1;
			goto out;
		}
		node = ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_ALIAS_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT;
		if (node && l != NULL && l->mapping) {
			if (l->is_key)
				l->secret = ev.type == YAML_SCALAR_EVENT &&
				    secret_key((const char *)
				    ev.data.scalar.value);
			else
				secret = l->secret;
			l->is_key = !l->is_key;
		}
		if (secret) {
			/* a collection's events up to its end are dropped */
			int skip = ev.type == YAML_MAPPING_START_EVENT ||
			    ev.type == YAML_SEQUENCE_START_EVENT;

			if (redact_node(&ev, "<secret>") < 0) {
				nomem = 1;
				goto out;
			}
			while (skip > 0) {
				yaml_event_t in;

				if (!yaml_parser_parse(&parser, &in)) {
					yaml_event_delete(&ev);
					snprintf(err, errlen, "line %zu: %s",
					    parser.problem_mark.line + 1,
					    parser.problem ? parser.problem :
					    "not YAML");
					goto out;
				}
				if (in.type == YAML_MAPPING_START_EVENT ||
				    in.type == YAML_SEQUENCE_START_EVENT)
					skip++;
				else if (in.type == YAML_MAPPING_END_EVENT ||
				    in.type == YAML_SEQUENCE_END_EVENT)
					skip--;
				yaml_event_delete(&in);
			}
		} else if (ev.type == YAML_SCALAR_EVENT &&
		    (url = redact_url((const char *)ev.data.scalar.value,
		    ev.data.scalar.length, &nomem)) != NULL) {
			int r = redact_node(&ev, url);

			free(url);
			if (r < 0) {
				nomem = 1;
				goto out;
			}
		} else if (nomem) {
			yaml_event_delete(&ev);
			goto out;
		} else if (ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT) {
			if (depth == DEPTH_MAX) {
				yaml_event_delete(&ev);
				snprintf(err, errlen, "nested over %d deep",
				    DEPTH_MAX);
				goto out;
			}
			st[depth].mapping = ev.type ==
			    YAML_MAPPING_START_EVENT;
			st[depth].is_key = 1;
			st[depth].secret = 0;
			depth++;
		} else if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			depth--;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		/* the emitter deletes the event, emitted or not */
		if (!yaml_emitter_emit(&emitter, &ev)) {
			snprintf(err, errlen, "%s", emitter.error ==
			    YAML_MEMORY_ERROR || emitter.error ==
			    YAML_WRITER_ERROR ? "out of memory" :
			    emitter.problem ? emitter.problem : "emitting");
			goto out;
		}
	}
	if ((result = buf_steal(&out)) == NULL)
		result = strdup("");
	if (result == NULL)
		nomem = 1;
out:
	if (nomem)
		snprintf(err, errlen, "out of memory");
	yaml_emitter_delete(&emitter);
	yaml_parser_delete(&parser);
	buf_free(&out);
	return result;
}
