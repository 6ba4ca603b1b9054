/* test_config.c -- lib/core/config.c: durations, sizes, the shipped config and
 * every class of error, with the exact message an operator would read.
 *
 * Run from the repository root: the inputs are the files under
 * tests/data/config/ and config/alertnoised.yml. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "t.h"

#define DATA	"tests/data/config/"
#define DAY	(24 * 60 * 60 * 1000LL)
#define HOUR	(60 * 60 * 1000LL)
#define MIN	(60 * 1000LL)

static int
parses_to(const char *s, int64_t want)
{
	int64_t ms = -12345;

	return cfg_parse_duration(s, &ms) == 0 && ms == want;
}

TEST(duration_valid)
{
	CHECK(parses_to("0", 0));
	CHECK(parses_to("0s", 0));
	CHECK(parses_to("500ms", 500));
	CHECK(parses_to("30s", 30000));
	CHECK(parses_to("5m", 300000));
	CHECK(parses_to("1h", 3600000));
	CHECK(parses_to("1h30m", 5400000));
	CHECK(parses_to("1h0m", 3600000));
	CHECK(parses_to("7d", 7 * DAY));
	CHECK(parses_to("1w", 7 * DAY));
	CHECK(parses_to("90d", 90 * DAY));
	CHECK(parses_to("2y", 2 * 365 * DAY));
	CHECK(parses_to("1y2w3d4h5m6s7ms",
	    365 * DAY + 14 * DAY + 3 * DAY + 4 * 3600000 + 5 * 60000 +
	    6 * 1000 + 7));
	CHECK(parses_to("0010s", 10000));
	/* the longest time.Duration: INT64_MAX ns */
	CHECK(parses_to("292y", 292 * 365 * DAY));
	CHECK(parses_to("9223372036854ms", 9223372036854LL));
}

TEST(duration_invalid)
{
	static const char *const bad[] = {
		"", "9x", "1", "00", "1.5h", "-1s", "+1s", " 1s", "1s ",
		"1 s", "1s1m", "1h1h", "1m1h", "1hm", "ms", "s", "1S", "1e3s",
		"1mss", "1d 2h", "293y", "9223372036855ms",
		"99999999999999999999999s", "1y1y",
	};
	size_t i;
	int64_t ms;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 777;
		if (cfg_parse_duration(bad[i], &ms) != -1 || ms != 777)
			T_FAIL("cfg_parse_duration(\"%s\") accepted", bad[i]);
	}
}

static const char *
fmt_dur(int64_t ms)
{
	static char out[64];

	cfg_format_duration(ms, out, sizeof(out));
	return out;
}

TEST(duration_format)
{
	char small[3];

	CHECK_STR(fmt_dur(0), "0s");
	CHECK_STR(fmt_dur(500), "500ms");
	CHECK_STR(fmt_dur(30000), "30s");
	CHECK_STR(fmt_dur(5400000), "1h30m");
	CHECK_STR(fmt_dur(3600005), "1h5ms");
	CHECK_STR(fmt_dur(7 * DAY), "1w");
	CHECK_STR(fmt_dur(14 * DAY), "2w");
	CHECK_STR(fmt_dur(8 * DAY), "8d");
	/* years and weeks only when exact (model.Duration.String) */
	CHECK_STR(fmt_dur(90 * DAY), "90d");
	CHECK_STR(fmt_dur(365 * DAY), "1y");
	CHECK_STR(fmt_dur(366 * DAY), "366d");
	CHECK_STR(fmt_dur(365 * DAY + 1), "365d1ms");
	CHECK_STR(fmt_dur(-90000), "-1m30s");
	CHECK_STR(fmt_dur(INT64_MIN), "-106751991167d7h12m55s808ms");

	cfg_format_duration(5400000, small, sizeof(small));
	CHECK_STR(small, "1h");
	cfg_format_duration(5400000, small, 0);	/* must not write */
	CHECK_STR(small, "1h");
}

TEST(duration_round_trip)
{
	static const char *const canon[] = {
		"0s", "500ms", "30s", "1m", "1h30m", "1d12h", "90d", "1w",
		"2y", "365d1s", "3w", "1h1m1s1ms", "292y",
	};
	char out[64];
	size_t i;
	int64_t ms, ms2;

	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		CHECK(cfg_parse_duration(canon[i], &ms) == 0);
		cfg_format_duration(ms, out, sizeof(out));
		CHECK_STR(out, canon[i]);
	}
	/* "7d" and "0" print in the canonical form and parse back equal */
	CHECK(cfg_parse_duration("7d", &ms) == 0);
	cfg_format_duration(ms, out, sizeof(out));
	CHECK_STR(out, "1w");
	CHECK(cfg_parse_duration(out, &ms2) == 0 && ms2 == ms);
	CHECK(cfg_parse_duration("0", &ms) == 0);
	cfg_format_duration(ms, out, sizeof(out));
	CHECK_STR(out, "0s");
}

/* A snapshot lives while anyone holds it (under ASan, a missing free or a
 * double free fails this too). */
TEST(hold_and_release)
{
	struct an_config *c = cfg_defaults();
	const struct an_config *h;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_INT(c->refs, 1);
	h = cfg_hold(c);
	CHECK(h == c);
	CHECK_INT(c->refs, 2);
	cfg_release(h);
	CHECK_INT(c->refs, 1);
	CHECK_STR(c->listen_address, ":9467");	/* still there */
	cfg_release(c);				/* the last: freed */
	cfg_release(NULL);
}

/* Every window parameter (API, UI, simulate, report --window) is this. */
static char changed_keys[256];

static void
note_change(const char *key, const char *running, const char *configured,
    void *arg)
{
	size_t n = strlen(changed_keys);

	(void)arg;
	snprintf(changed_keys + n, sizeof(changed_keys) - n, "%s %s->%s;", key,
	    configured, running);
}

/* A reload keeps the running value of what the key table marks as read
 * only at start, says which, and takes everything else. */
TEST(restart_keys_keep_their_running_value)
{
	struct an_config *running = cfg_defaults(), *next = cfg_defaults();

	free(next->storage_path);
	next->storage_path = strdup("/elsewhere");
	next->busy_timeout_ms = 60000;
	next->retention_ms = 86400000;		/* reloadable */
	changed_keys[0] = '\0';
	CHECK_INT(cfg_keep_restart_keys(next, running, note_change, NULL), 0);
	CHECK_STR(changed_keys, "storage.path /elsewhere->data/;"
	    "storage.busy_timeout 1m->5s;");
	CHECK_STR(next->storage_path, "data/");
	CHECK_INT(next->busy_timeout_ms, 5000);
	CHECK_INT(next->retention_ms, 86400000);
	/* nothing differs: nothing said */
	changed_keys[0] = '\0';
	CHECK_INT(cfg_keep_restart_keys(next, running, note_change, NULL), 0);
	CHECK_STR(changed_keys, "");
	cfg_release(running);
	cfg_release(next);
}

TEST(window_is_1ms_to_366d)
{
	int64_t ms = 777;

	CHECK(cfg_parse_window("1ms", &ms) == 0 && ms == 1);
	CHECK(cfg_parse_window("366d", &ms) == 0 && ms == 366LL * 86400000);
	CHECK(cfg_parse_window("1w", &ms) == 0 && ms == 7LL * 86400000);
	ms = 777;
	CHECK(cfg_parse_window("0s", &ms) == -1 && ms == 777);
	CHECK(cfg_parse_window("366d1ms", &ms) == -1 && ms == 777);
	CHECK(cfg_parse_window("1y1d1ms", &ms) == -1 && ms == 777);
	CHECK(cfg_parse_window("7 d", &ms) == -1 && ms == 777);
}

static int
size_is(const char *s, size_t want)
{
	size_t n = 12345;

	return cfg_parse_size(s, &n) == 0 && n == want;
}

TEST(size_parse)
{
	static const char *const bad[] = {
		"", "B", "MiB", "4 MiB", "4mib", "4M", "4K", "4Mi", "4MiBs",
		"-1", "+1", "1.5MiB", " 1", "1 ", "0x10",
		"18446744073709551616", "17179869184GiB", "18446744073709552KB",
	};
	size_t i, n;

	CHECK(size_is("0", 0));
	CHECK(size_is("1024", 1024));
	CHECK(size_is("1B", 1));
	CHECK(size_is("1KB", 1000));
	CHECK(size_is("3MB", 3000000));
	CHECK(size_is("2GB", 2000000000));
	CHECK(size_is("1KiB", 1024));
	CHECK(size_is("4MiB", 4 * 1024 * 1024));
	CHECK(size_is("1GiB", (size_t)1 << 30));
	CHECK(size_is("18446744073709551615", SIZE_MAX));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 777;
		if (cfg_parse_size(bad[i], &n) != -1 || n != 777)
			T_FAIL("cfg_parse_size(\"%s\") accepted", bad[i]);
	}
}

/* The defaults config.h documents. */
static void
check_defaults(const struct an_config *c)
{
	CHECK_STR(c->listen_address, ":9467");
	CHECK_INT(c->read_timeout_ms, 30000);
	CHECK_STR(c->storage_path, "data/");
	CHECK_INT(c->retention_ms, 90 * DAY);
	CHECK_INT(c->prune_interval_ms, 3600000);
	CHECK_INT(c->log_level, LOG_INFO);
	CHECK_INT(c->log_format, LOG_FMT_LOGFMT);
	CHECK_INT(c->webhook_max_body, 4 * 1024 * 1024);
	CHECK_INT(c->webhook_dedup_window_ms, 60000);
	CHECK_INT(c->rw_max_live, 10000);
	CHECK_INT(c->rw_max_new_per_minute, 10000);
	CHECK_INT(c->n_replica_labels, 2);
	if (c->n_replica_labels == 2) {
		CHECK_STR(c->replica_labels[0], "replica");
		CHECK_STR(c->replica_labels[1], "prometheus_replica");
	}

	CHECK_INT(c->an_window_ms, 7 * DAY);
	CHECK_INT(c->an_cache_ttl_ms, 15000);
	CHECK_INT(c->an_transient_max_ms, 5 * MIN);
	CHECK_INT(c->an_persistent_min_ms, 24 * HOUR);
	CHECK(c->an_flap_high == 30);
	CHECK(c->an_flap_low == 20);
	CHECK_INT(c->an_flap_min_episodes, 4);
	CHECK_INT(c->an_flap_window_ms, HOUR);
	CHECK_INT(c->n_paging_receivers, 0);
	CHECK(c->paging_receivers == NULL);
	CHECK_STR(c->team_label, "team");
	CHECK_INT(c->n_group_labels, 0);
	CHECK(c->group_labels == NULL);
	CHECK_INT(c->cofire_window_ms, 2 * MIN);
	CHECK(c->cofire_min_jaccard == 0.7);
	CHECK_INT(c->cofire_min_support, 3);
	CHECK_INT(c->storm_min, 10);
	CHECK_INT(c->storm_window_ms, 5 * MIN);
	CHECK_INT(c->n_overrides, 0);
	CHECK(c->overrides == NULL);
	CHECK_STR(c->report_timezone, "UTC");
	CHECK_INT(c->report_working_hours.start, 9 * 60);
	CHECK_INT(c->report_working_hours.end, 18 * 60);
	CHECK_INT(c->report_working_days, 0x1f);	/* mon..fri */
	CHECK_INT(c->report_top, 10);
	CHECK_INT(c->metrics_refresh_ms, MIN);
	CHECK_INT(c->n_metrics_windows, 3);
	if (c->n_metrics_windows == 3) {
		CHECK_STR(c->metrics_windows[0], "1d");
		CHECK_STR(c->metrics_windows[1], "7d");
		CHECK_STR(c->metrics_windows[2], "28d");
	}
	CHECK_INT(c->metrics_top_alertnames, 50);
	CHECK_STR(c->metrics_severity_label, "");
	CHECK_INT(c->n_replay_routes, 0);
	CHECK(c->replay_routes == NULL);
	CHECK_INT(c->n_replay_rules, 0);
	CHECK(c->replay_rules == NULL);
}

TEST(defaults)
{
	struct an_config *c = cfg_defaults();

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(c->path == NULL);
	check_defaults(c);
	cfg_free(c);
	cfg_free(NULL);
}

/* Loads a file that must be valid. Returns NULL (and fails the test) if not. */
static struct an_config *
load_ok(const char *path)
{
	struct an_config *c = (struct an_config *)1;
	char err[512] = "";

	if (cfg_load(path, &c, err, sizeof(err)) != 0) {
		T_FAIL("cfg_load(%s): %s", path, err);
		CHECK(c == NULL);
		return NULL;
	}
	CHECK(c != NULL);
	CHECK_STR(err, "");
	if (c != NULL)
		CHECK_STR(c->path, path);
	return c;
}

TEST(shipped_config_is_defaults)
{
	struct an_config *c = load_ok("config/alertnoised.yml");

	if (c == NULL)
		return;
	check_defaults(c);
	cfg_free(c);
}

TEST(empty_files)
{
	static const char *const files[] = {
		DATA "empty.yml", DATA "comments.yml", DATA "nulls.yml",
	};
	struct an_config *c;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((c = load_ok(files[i])) == NULL)
			continue;
		check_defaults(c);
		cfg_free(c);
	}
}

TEST(every_key)
{
	struct an_config *c = load_ok(DATA "full.yml");

	if (c == NULL)
		return;
	CHECK_STR(c->listen_address, "[::1]:9000");
	CHECK_INT(c->read_timeout_ms, 90000);
	CHECK_STR(c->storage_path, "/var/lib/alertnoise");
	CHECK_INT(c->retention_ms, 365 * DAY);
	CHECK_INT(c->prune_interval_ms, 15 * 60000);
	CHECK_INT(c->log_level, LOG_DEBUG);
	CHECK_INT(c->log_format, LOG_FMT_JSON);
	CHECK_INT(c->webhook_max_body, 512 * 1024);
	CHECK_INT(c->webhook_dedup_window_ms, 0);
	CHECK_INT(c->n_replica_labels, 2);
	if (c->n_replica_labels == 2) {
		CHECK_STR(c->replica_labels[0], "__replica__");
		CHECK_STR(c->replica_labels[1], "ha_pair");
	}

	CHECK_INT(c->an_window_ms, 30 * DAY);
	CHECK_INT(c->an_cache_ttl_ms, 0);
	CHECK_INT(c->an_transient_max_ms, 150000);
	CHECK_INT(c->an_persistent_min_ms, 3 * DAY);
	CHECK(c->an_flap_high == 25);		/* written 2.5e1 */
	CHECK(c->an_flap_low == 12.5);
	CHECK_INT(c->an_flap_min_episodes, 6);
	CHECK_INT(c->an_flap_window_ms, 2 * HOUR);
	CHECK_INT(c->n_paging_receivers, 3);
	if (c->n_paging_receivers == 3) {
		CHECK_STR(c->paging_receivers[0], "pagerduty");
		CHECK_STR(c->paging_receivers[1], "ops pager");
		CHECK_STR(c->paging_receivers[2], "opsgenie-critical");
	}
	CHECK_STR(c->team_label, "owner");
	CHECK_INT(c->n_group_labels, 2);
	if (c->n_group_labels == 2) {
		CHECK_STR(c->group_labels[0], "service");
		CHECK_STR(c->group_labels[1], "cluster");
	}
	CHECK_INT(c->cofire_window_ms, 90000);
	CHECK(c->cofire_min_jaccard == 0.85);	/* written .85 */
	CHECK_INT(c->cofire_min_support, 5);
	CHECK_INT(c->storm_min, 2);
	CHECK_INT(c->storm_window_ms, 10 * MIN);
	cfg_free(c);
}

TEST(overrides)
{
	struct an_config *c = load_ok(DATA "full.yml");
	const struct cfg_override *o;

	if (c == NULL)
		return;
	CHECK_INT(c->n_overrides, 2);
	if (c->n_overrides != 2) {
		cfg_free(c);
		return;
	}
	/* every threshold set */
	o = &c->overrides[0];
	CHECK_STR(o->match,
	    "{alertname=\"DiskSpaceLow\", severity=~\"warning|info\"}");
	CHECK_INT(o->transient_max_ms, 15 * MIN);
	CHECK_INT(o->persistent_min_ms, 7 * DAY);
	CHECK(o->flap_high == 50);
	CHECK(o->flap_low == 40);
	CHECK_INT(o->flap_min_episodes, 10);
	CHECK_INT(o->flap_window_ms, 6 * HOUR);
	/* one set, the rest -1: inherited from the top level */
	o = &c->overrides[1];
	CHECK_STR(o->match, "HostDown");
	CHECK_INT(o->transient_max_ms, -1);
	CHECK_INT(o->persistent_min_ms, -1);
	CHECK(o->flap_high == -1);
	CHECK(o->flap_low == 5);
	CHECK_INT(o->flap_min_episodes, -1);
	CHECK_INT(o->flap_window_ms, -1);
	cfg_free(c);
}

TEST(replay)
{
	struct an_config *c = load_ok(DATA "replay.yml");
	const struct cfg_route *r;
	const struct cfg_rule *u;

	if (c == NULL)
		return;
	CHECK_INT(c->n_replay_routes, 2);
	CHECK_INT(c->n_replay_rules, 2);
	if (c->n_replay_routes != 2 || c->n_replay_rules != 2) {
		cfg_free(c);
		return;
	}
	/* "..." (every label) is kept as the list ["..."] */
	r = &c->replay_routes[0];
	CHECK_STR(r->receiver, "team-pager");
	CHECK_INT(r->n_group_by, 1);
	if (r->n_group_by == 1)
		CHECK_STR(r->group_by[0], "...");
	CHECK_INT(r->group_wait_ms, 10000);
	CHECK_INT(r->group_interval_ms, MIN);
	CHECK_INT(r->repeat_interval_ms, 90 * MIN);
	CHECK_INT(r->send_resolved, -1);
	/* unset timings are -1: Alertmanager's defaults */
	r = &c->replay_routes[1];
	CHECK_STR(r->receiver, "ops mail");
	CHECK_INT(r->n_group_by, 2);
	if (r->n_group_by == 2) {
		CHECK_STR(r->group_by[0], "alertname");
		CHECK_STR(r->group_by[1], "cluster");
	}
	CHECK_INT(r->group_wait_ms, -1);
	CHECK_INT(r->group_interval_ms, -1);
	CHECK_INT(r->repeat_interval_ms, -1);
	CHECK_INT(r->send_resolved, 0);

	u = &c->replay_rules[0];
	CHECK_STR(u->match,
	    "{alertname=\"HostDown\", severity=~\"critical|page\"}");
	CHECK_INT(u->for_ms, 5 * MIN);
	CHECK_INT(u->keep_firing_for_ms, 0);
	u = &c->replay_rules[1];
	CHECK_STR(u->match, "DiskSpaceLow");
	CHECK_INT(u->for_ms, -1);
	CHECK_INT(u->keep_firing_for_ms, 15 * MIN);
	cfg_free(c);
}

TEST(replay_group_by)
{
	struct an_config *c = load_ok(DATA "replay_group_by.yml");
	const struct cfg_route *r;

	if (c == NULL)
		return;
	CHECK_INT(c->n_replay_routes, 3);
	if (c->n_replay_routes != 3) {
		cfg_free(c);
		return;
	}
	/* alertmanager's own spelling, ['...'] */
	r = &c->replay_routes[0];
	CHECK_INT(r->n_group_by, 1);
	if (r->n_group_by == 1)
		CHECK_STR(r->group_by[0], "...");
	CHECK_INT(r->send_resolved, 1);
	/* [] is one group for everything: set, unlike an absent group_by */
	r = &c->replay_routes[1];
	CHECK(r->group_by != NULL);
	CHECK_INT(r->n_group_by, 0);
	r = &c->replay_routes[2];
	CHECK_STR(r->receiver, "as-seen");
	CHECK(r->group_by == NULL);
	CHECK_INT(r->n_group_by, 0);
	cfg_free(c);
}

TEST(team_label_off)
{
	struct an_config *c = load_ok(DATA "team_label_off.yml");

	if (c == NULL)
		return;
	CHECK_STR(c->team_label, "");
	CHECK_INT(c->n_overrides, 0);
	CHECK(c->overrides == NULL);
	cfg_free(c);
}

TEST(empty_label_list)
{
	struct an_config *c = load_ok(DATA "empty_list.yml");

	if (c == NULL)
		return;
	CHECK_INT(c->n_replica_labels, 0);
	CHECK(c->replica_labels == NULL);
	cfg_free(c);
}

/* Loads a file that must be refused with exactly want. */
static void
load_fails(const char *path, const char *want)
{
	struct an_config *c = (struct an_config *)1;
	char err[512] = "";

	if (cfg_load(path, &c, err, sizeof(err)) != -1) {
		T_FAIL("cfg_load(%s) accepted it", path);
		cfg_free(c);
		return;
	}
	CHECK(c == NULL);
	CHECK_STR(err, want);
}

TEST(error_unknown_key)
{
	load_fails(DATA "unknown_key.yml",
	    DATA "unknown_key.yml:3: web.foo: unknown key");
	load_fails(DATA "unknown_section.yml",
	    DATA "unknown_section.yml:4: alerting: unknown key");
	/* a dotted name is not a shortcut for the nested key */
	load_fails(DATA "dotted_key.yml",
	    DATA "dotted_key.yml:1: web.listen_address: unknown key");
}

TEST(error_bad_duration)
{
	load_fails(DATA "bad_duration.yml",
	    DATA "bad_duration.yml:7: storage.retention: bad duration \"9x\"");
	load_fails(DATA "zero_duration.yml",
	    DATA "zero_duration.yml:2: storage.prune_interval: "
	    "must be greater than 0, got \"0\"");
}

TEST(error_bad_level_and_format)
{
	load_fails(DATA "bad_level.yml",
	    DATA "bad_level.yml:3: log.level: bad log level \"verbose\" "
	    "(want debug, info, warn or error)");
	load_fails(DATA "bad_format.yml",
	    DATA "bad_format.yml:2: log.format: bad log format \"text\" "
	    "(want logfmt or json)");
}

TEST(error_bad_size)
{
	load_fails(DATA "bad_size.yml",
	    DATA "bad_size.yml:2: webhook.max_body_size: bad size \"4 MiB\"");
	load_fails(DATA "big_size.yml",
	    DATA "big_size.yml:2: webhook.max_body_size: "
	    "must be at most 1GiB, got \"2GiB\"");
}

/* remote_write.max_series, .max_new_series_per_minute: 0 is no limit */
TEST(remote_write_series_caps)
{
	struct an_config *c = load_ok(DATA "rw_caps_zero.yml");

	if (c != NULL) {
		CHECK_INT(c->rw_max_live, 0);
		CHECK_INT(c->rw_max_new_per_minute, 0);
		cfg_free(c);
	}
	load_fails(DATA "rw_caps_negative.yml",
	    DATA "rw_caps_negative.yml:3: "
	    "remote_write.max_new_series_per_minute: bad limit \"-5\" "
	    "(want a whole number from 0 (no limit) to 1000000000)");
}

TEST(error_bad_string)
{
	load_fails(DATA "bad_listen.yml",
	    DATA "bad_listen.yml:2: web.listen_address: "
	    "must be host:port, got \"9467\"");
	load_fails(DATA "empty_path.yml",
	    DATA "empty_path.yml:2: storage.path: must not be empty, got \"\"");
}

TEST(error_bad_label)
{
	/* the line is the offending item's, not the key's */
	load_fails(DATA "bad_label.yml",
	    DATA "bad_label.yml:4: identity.replica_labels: "
	    "bad label name \"prometheus-replica\"");
	load_fails(DATA "duplicate_label.yml",
	    DATA "duplicate_label.yml:2: identity.replica_labels: "
	    "duplicate label \"replica\"");
}

TEST(error_bad_number)
{
	load_fails(DATA "bad_float.yml",
	    DATA "bad_float.yml:3: analysis.flap_high: bad number \"thirty\"");
	/* YAML's infinity and NaN, and what strtod alone would take */
	load_fails(DATA "bad_float_inf.yml",
	    DATA "bad_float_inf.yml:2: analysis.flap_low: bad number \".inf\"");
	load_fails(DATA "bad_float_nan.yml",
	    DATA "bad_float_nan.yml:2: analysis.cofire_min_jaccard: "
	    "bad number \"nan\"");
	load_fails(DATA "bad_float_huge.yml",
	    DATA "bad_float_huge.yml:2: analysis.flap_high: "
	    "bad number \"1e999\"");
	load_fails(DATA "bad_float_hex.yml",
	    DATA "bad_float_hex.yml:2: analysis.cofire_min_jaccard: "
	    "bad number \"0x1p-1\"");
}

TEST(error_analysis_range)
{
	load_fails(DATA "flap_high_range.yml",
	    DATA "flap_high_range.yml:3: analysis.flap_high: "
	    "must be from 0 to 100, got \"150\"");
	load_fails(DATA "jaccard_zero.yml",
	    DATA "jaccard_zero.yml:2: analysis.cofire_min_jaccard: "
	    "must be greater than 0 and at most 1, got \"0\"");
	load_fails(DATA "storm_min_one.yml",
	    DATA "storm_min_one.yml:2: analysis.storm_min: "
	    "must be at least 2, got \"1\"");
}

TEST(error_flap_order)
{
	/* checked once the whole file is read: flap_high comes after */
	load_fails(DATA "flap_order.yml",
	    DATA "flap_order.yml:3: analysis.flap_low: "
	    "must be less than flap_high (35), got \"35\"");
	/* only flap_high written: it is the one named */
	load_fails(DATA "flap_order_default.yml",
	    DATA "flap_order_default.yml:3: analysis.flap_high: "
	    "must be greater than flap_low (20), got \"15\"");
	/* an override against the flap_high it inherits */
	load_fails(DATA "flap_order_override.yml",
	    DATA "flap_order_override.yml:6: analysis.overrides[1].flap_low: "
	    "must be less than flap_high (40), got \"45\"");
}

TEST(error_overrides)
{
	load_fails(DATA "override_bad_match.yml",
	    DATA "override_bad_match.yml:5: analysis.overrides[1].match: "
	    "1:6: unexpected character '!' in label matcher, expected one "
	    "of \"=\", \"!=\", \"=~\", \"!~\"");
	load_fails(DATA "override_unknown_key.yml",
	    DATA "override_unknown_key.yml:5: "
	    "analysis.overrides[0].storm_min: unknown key");
	load_fails(DATA "override_missing_match.yml",
	    DATA "override_missing_match.yml:4: analysis.overrides[1]: "
	    "missing key \"match\"");
	load_fails(DATA "override_bad_value.yml",
	    DATA "override_bad_value.yml:4: "
	    "analysis.overrides[0].persistent_min: "
	    "must be greater than 0, got \"0\"");
	load_fails(DATA "override_duplicate_key.yml",
	    DATA "override_duplicate_key.yml:5: "
	    "analysis.overrides[0].flap_high: duplicate key (first on line 4)");
	load_fails(DATA "override_not_mapping.yml",
	    DATA "override_not_mapping.yml:3: analysis.overrides[0]: "
	    "expected a mapping, got a scalar");
	load_fails(DATA "overrides_not_sequence.yml",
	    DATA "overrides_not_sequence.yml:3: analysis.overrides: "
	    "expected a sequence of mappings, got a mapping");
}

TEST(error_replay)
{
	load_fails(DATA "replay_missing_receiver.yml",
	    DATA "replay_missing_receiver.yml:4: replay.routes[1]: "
	    "missing key \"receiver\"");
	load_fails(DATA "replay_duplicate_receiver.yml",
	    DATA "replay_duplicate_receiver.yml:7: "
	    "replay.routes[2].receiver: duplicate receiver \"team-pager\" "
	    "(first on line 3)");
	load_fails(DATA "replay_bad_duration.yml",
	    DATA "replay_bad_duration.yml:4: "
	    "replay.routes[0].repeat_interval: bad duration \"4 hours\"");
	load_fails(DATA "replay_zero_group_interval.yml",
	    DATA "replay_zero_group_interval.yml:5: "
	    "replay.routes[0].group_interval: "
	    "must be greater than 0, got \"0s\"");
	load_fails(DATA "replay_bad_send_resolved.yml",
	    DATA "replay_bad_send_resolved.yml:4: "
	    "replay.routes[0].send_resolved: bad boolean \"yes please\" "
	    "(want true or false)");
	load_fails(DATA "replay_bad_match.yml",
	    DATA "replay_bad_match.yml:3: replay.rules[0].match: "
	    "1:23: unexpected end of input inside braces");
	load_fails(DATA "replay_unknown_key.yml",
	    DATA "replay_unknown_key.yml:6: "
	    "replay.routes[1].matchers: unknown key");
	load_fails(DATA "replay_group_by_mixed.yml",
	    DATA "replay_group_by_mixed.yml:6: replay.routes[0].group_by: "
	    "\"...\" (every label) cannot be combined with other labels");
	load_fails(DATA "replay_rule_missing_match.yml",
	    DATA "replay_rule_missing_match.yml:3: replay.rules[0]: "
	    "missing key \"match\"");
}

TEST(error_analysis_lists)
{
	load_fails(DATA "duplicate_receiver.yml",
	    DATA "duplicate_receiver.yml:5: analysis.paging_receivers: "
	    "duplicate entry \"pagerduty\"");
	load_fails(DATA "empty_receiver.yml",
	    DATA "empty_receiver.yml:2: analysis.paging_receivers: "
	    "expected a non-empty string, got \"\"");
	load_fails(DATA "bad_group_label.yml",
	    DATA "bad_group_label.yml:2: analysis.group_labels: "
	    "bad label name \"k8s.namespace\"");
	load_fails(DATA "bad_team_label.yml",
	    DATA "bad_team_label.yml:2: analysis.team_label: "
	    "must be a label name ([a-zA-Z_][a-zA-Z0-9_]*) or \"\", "
	    "got \"owning-team\"");
}

TEST(report_keys)
{
	struct an_config *c = load_ok(DATA "report.yml");

	if (c != NULL) {
		CHECK_STR(c->report_timezone, "Europe/Berlin");
		CHECK_INT(c->report_working_hours.start, 8 * 60 + 30);
		CHECK_INT(c->report_working_hours.end, 24 * 60);
		/* bit 0 Monday .. bit 6 Sunday */
		CHECK_INT(c->report_working_days, 1 << 0 | 1 << 5 | 1 << 6);
		CHECK_INT(c->report_top, 25);
		cfg_free(c);
	}
	/* no working day: every page is out of hours */
	if ((c = load_ok(DATA "report_no_days.yml")) != NULL) {
		CHECK_INT(c->report_working_days, 0);
		cfg_free(c);
	}
}

TEST(error_report)
{
	static const char *const tz_bad[] = {
		"report_bad_timezone.yml", "report_timezone_dotdot.yml",
		"report_timezone_dir.yml", "report_timezone_not_tzif.yml",
	};
	static const char *const tz_value[] = {
		"Mars/Olympus_Mons", "../../../etc/passwd", "Europe",
		"zone.tab",
	};
	char path[128], want[256];

	/* a name that is no TZif file under /usr/share/zoneinfo: unknown,
	 * escaping it, a directory, a table */
	for (size_t i = 0; i < sizeof(tz_bad) / sizeof(tz_bad[0]); i++) {
		snprintf(path, sizeof(path), DATA "%s", tz_bad[i]);
		snprintf(want, sizeof(want), "%s:2: report.timezone: must be "
		    "\"UTC\" or a time zone in /usr/share/zoneinfo, got "
		    "\"%s\"", path, tz_value[i]);
		load_fails(path, want);
	}
	load_fails(DATA "report_bad_hours.yml",
	    DATA "report_bad_hours.yml:2: report.working_hours: bad working "
	    "hours \"9-17\" (want HH:MM-HH:MM, the start before the end)");
	load_fails(DATA "report_hours_order.yml",
	    DATA "report_hours_order.yml:2: report.working_hours: bad "
	    "working hours \"18:00-09:00\" (want HH:MM-HH:MM, the start "
	    "before the end)");
	load_fails(DATA "report_hours_past_midnight.yml",
	    DATA "report_hours_past_midnight.yml:2: report.working_hours: bad "
	    "working hours \"09:00-24:30\" (want HH:MM-HH:MM, the start "
	    "before the end)");
	load_fails(DATA "report_bad_day.yml",
	    DATA "report_bad_day.yml:4: report.working_days: bad day "
	    "\"Tuesday\" (want mon, tue, wed, thu, fri, sat or sun)");
	load_fails(DATA "report_duplicate_day.yml",
	    DATA "report_duplicate_day.yml:2: report.working_days: "
	    "duplicate day \"mon\"");
	load_fails(DATA "report_days_scalar.yml",
	    DATA "report_days_scalar.yml:2: report.working_days: expected a "
	    "sequence of days, got a scalar");
	load_fails(DATA "report_top_zero.yml",
	    DATA "report_top_zero.yml:2: report.top: bad count \"0\" (want "
	    "a whole number from 1 to 1000000000)");
}

TEST(metrics_keys)
{
	struct an_config *c = load_ok(DATA "metrics.yml");

	if (c == NULL)
		return;
	CHECK_INT(c->metrics_refresh_ms, 1000);
	/* kept as written: they are the window label's values */
	CHECK_INT(c->n_metrics_windows, 4);
	if (c->n_metrics_windows == 4) {
		CHECK_STR(c->metrics_windows[0], "1h");
		CHECK_STR(c->metrics_windows[1], "7d");
		CHECK_STR(c->metrics_windows[2], "2w");
		CHECK_STR(c->metrics_windows[3], "366d");
	}
	CHECK_INT(c->metrics_top_alertnames, 2);
	CHECK_STR(c->metrics_severity_label, "severity");
	cfg_free(c);
}

TEST(error_metrics)
{
	load_fails(DATA "metrics_windows_empty.yml",
	    DATA "metrics_windows_empty.yml:2: metrics.windows: expected at "
	    "least one duration");
	load_fails(DATA "metrics_windows_bad.yml",
	    DATA "metrics_windows_bad.yml:4: metrics.windows: bad duration "
	    "\"367d\" (want e.g. 7d, from 1ms to 366d)");
	load_fails(DATA "metrics_windows_zero.yml",
	    DATA "metrics_windows_zero.yml:2: metrics.windows: bad duration "
	    "\"0\" (want e.g. 7d, from 1ms to 366d)");
	/* the same window written twice would be two label values */
	load_fails(DATA "metrics_windows_duplicate.yml",
	    DATA "metrics_windows_duplicate.yml:2: metrics.windows: "
	    "duplicate duration \"24h\"");
	load_fails(DATA "metrics_windows_scalar.yml",
	    DATA "metrics_windows_scalar.yml:2: metrics.windows: expected a "
	    "sequence of durations, got a scalar");
	load_fails(DATA "metrics_bad_severity_label.yml",
	    DATA "metrics_bad_severity_label.yml:2: metrics.severity_label: "
	    "must be a label name ([a-zA-Z_][a-zA-Z0-9_]*) or \"\", got "
	    "\"severity-level\"");
	load_fails(DATA "metrics_zero_refresh.yml",
	    DATA "metrics_zero_refresh.yml:2: metrics.refresh_interval: must "
	    "be greater than 0, got \"0s\"");
}

TEST(error_yaml_syntax)
{
	load_fails(DATA "syntax.yml",
	    DATA "syntax.yml:5: YAML syntax error: "
	    "did not find expected ',' or ']'");
	load_fails(DATA "bad_utf8.yml",
	    DATA "bad_utf8.yml:4: YAML syntax error: "
	    "invalid leading UTF-8 octet");
}

TEST(error_wrong_kind)
{
	load_fails(DATA "wrong_kind_value.yml",
	    DATA "wrong_kind_value.yml:4: storage.retention: "
	    "expected a duration, got a mapping");
	load_fails(DATA "wrong_kind_section.yml",
	    DATA "wrong_kind_section.yml:1: web: "
	    "expected a mapping, got a scalar");
	load_fails(DATA "wrong_kind_list.yml",
	    DATA "wrong_kind_list.yml:2: identity.replica_labels: "
	    "expected a sequence of label names, got a scalar");
	load_fails(DATA "wrong_kind_item.yml",
	    DATA "wrong_kind_item.yml:4: identity.replica_labels: "
	    "expected a label name, got a sequence");
	load_fails(DATA "wrong_kind_top.yml",
	    DATA "wrong_kind_top.yml:1: top level: "
	    "expected a mapping, got a sequence");
	load_fails(DATA "missing_value.yml",
	    DATA "missing_value.yml:3: storage.retention: missing value");
}

TEST(error_duplicate_key)
{
	load_fails(DATA "duplicate_key.yml",
	    DATA "duplicate_key.yml:4: log.level: "
	    "duplicate key (first on line 2)");
	load_fails(DATA "duplicate_section.yml",
	    DATA "duplicate_section.yml:5: web: "
	    "duplicate key (first on line 1)");
}

TEST(error_two_documents)
{
	load_fails(DATA "two_documents.yml",
	    DATA "two_documents.yml:4: only one YAML document is allowed");
}

TEST(error_missing_file)
{
	load_fails(DATA "does-not-exist.yml",
	    DATA "does-not-exist.yml: No such file or directory");
	load_fails("tests/data/config", "tests/data/config: Is a directory");
}

/* GET /api/v1/status/config's YAML: secrets hidden as Prometheus hides its
 * own, everything else the same data. */
TEST(yaml_redact)
{
	static const char text[] =
	    "# a comment: hunter0\n"
	    "web:\n"
	    "  listen_address: \":9467\"\n"
	    "auth:\n"
	    "  password: hunter1\n"
	    "  bearer_token: &tok hunter2\n"
	    "  api_key: [hunter3, hunter4]\n"
	    "  credentials: {user: u, pass: hunter5}\n"
	    "  client_secret: hunter6\n"
	    "  password_file: /etc/pw\n"
	    "  again: *tok\n"
	    "alertmanager:\n"
	    "  url: http://am:hunter7@am.example:9093/path?q=a@b\n"
	    "prometheus:\n"
	    "  url: http://prom.example:9090/\n";
	char err[256], *y;

	y = cfg_yaml_redact(text, strlen(text), err, sizeof(err));
	CHECK(y != NULL);
	if (y == NULL)
		return;
	CHECK(strstr(y, "hunter") == NULL);
	CHECK_CONTAINS(y, "password: <secret>");
	CHECK_CONTAINS(y, "bearer_token: &tok <secret>");
	CHECK_CONTAINS(y, "api_key: <secret>");
	CHECK_CONTAINS(y, "credentials: <secret>");
	CHECK_CONTAINS(y, "client_secret: <secret>");
	CHECK_CONTAINS(y, "password_file: /etc/pw");
	CHECK_CONTAINS(y, "again: *tok");
	CHECK_CONTAINS(y, "http://am:<secret>@am.example:9093/path?q=a@b");
	CHECK_CONTAINS(y, "url: http://prom.example:9090/");
	CHECK_CONTAINS(y, "listen_address: \":9467\"");
	free(y);

	y = cfg_yaml_redact("", 0, err, sizeof(err));
	CHECK_STR(y, "");
	free(y);
	CHECK(cfg_yaml_redact("a: [", 4, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "expected node content");

	/* the non-specific tag "!" (a string) redacts to itself: libyaml
	 * emits it as "!<%21>", another tag once read back (found by
	 * tests/fuzz/fuzz_config.c) */
	{
		static const char *const tagged[] = {
			"metrics:\n  windows: [!, 7]\n",
			"a: ! b\nc: ! {d: 1}\ne: ! [f]\n",
			"metrics:\n  windows: [1d, 7://d, 24h]\n",
		};
		/* a UTF-16 byte order mark: written out as UTF-8 */
		static const char u16[] =
		    "\xfe\xff\x00""a\x00:\x00 \x00""b\x00\n";

		y = cfg_yaml_redact(u16, sizeof(u16) - 1, err, sizeof(err));
		CHECK(y != NULL);
		if (y != NULL)
			CHECK_STR(y, "a: b\n");
		free(y);
		for (size_t i = 0; i < 3; i++) {
			char *y2;

			y = cfg_yaml_redact(tagged[i], strlen(tagged[i]), err,
			    sizeof(err));
			CHECK(y != NULL);
			if (y == NULL)
				continue;
			CHECK(strstr(y, "%21") == NULL && strstr(y, "! ") == NULL);
			y2 = cfg_yaml_redact(y, strlen(y), err, sizeof(err));
			CHECK(y2 != NULL);
			if (y2 != NULL)
				CHECK_STR(y2, y);
			free(y2);
			free(y);
		}
	}
}

/* The loaded file's text is kept for GET /api/v1/status/config. */
TEST(text_is_kept)
{
	struct an_config *c = NULL;
	char err[256], *want;

	CHECK(cfg_load("config/alertnoised.yml", &c, err, sizeof(err)) == 0);
	want = t_read_file("config/alertnoised.yml", NULL);
	CHECK(c != NULL && want != NULL);
	if (c != NULL && want != NULL)
		CHECK_STR(c->text, want);
	free(want);
	cfg_free(c);
	c = cfg_defaults();
	CHECK(c != NULL && c->text == NULL);
	cfg_free(c);
}

TEST(error_buffer)
{
	struct an_config *c = (struct an_config *)1;
	char err[16];

	/* a short buffer gets the message cut, a missing one nothing */
	memset(err, 'x', sizeof(err));
	CHECK_INT(cfg_load(DATA "unknown_key.yml", &c, err, sizeof(err)), -1);
	CHECK(c == NULL);
	CHECK_STR(err, "tests/data/conf");
	CHECK_INT(cfg_load(DATA "unknown_key.yml", &c, NULL, 0), -1);
	CHECK(c == NULL);
}

int
main(void)
{
	RUN(duration_valid);
	RUN(duration_invalid);
	RUN(duration_format);
	RUN(duration_round_trip);
	RUN(window_is_1ms_to_366d);
	RUN(hold_and_release);
	RUN(restart_keys_keep_their_running_value);
	RUN(size_parse);
	RUN(defaults);
	RUN(shipped_config_is_defaults);
	RUN(empty_files);
	RUN(every_key);
	RUN(empty_label_list);
	RUN(overrides);
	RUN(replay);
	RUN(replay_group_by);
	RUN(team_label_off);
	RUN(error_unknown_key);
	RUN(error_bad_duration);
	RUN(error_bad_level_and_format);
	RUN(error_bad_size);
	RUN(remote_write_series_caps);
	RUN(error_bad_string);
	RUN(error_bad_label);
	RUN(error_bad_number);
	RUN(error_analysis_range);
	RUN(error_flap_order);
	RUN(error_overrides);
	RUN(error_replay);
	RUN(error_analysis_lists);
	RUN(report_keys);
	RUN(error_report);
	RUN(metrics_keys);
	RUN(error_metrics);
	RUN(error_yaml_syntax);
	RUN(error_wrong_kind);
	RUN(error_duplicate_key);
	RUN(error_two_documents);
	RUN(error_missing_file);
	RUN(error_buffer);
	RUN(yaml_redact);
	RUN(text_is_kept);
	return t_done();
}
