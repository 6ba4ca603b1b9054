/* daemon.h -- state shared by alertnoised's main loop and HTTP routes, and
 * the running config read from it (daemon.c). */
#ifndef AN_DAEMON_H
#define AN_DAEMON_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"
#include "store.h"

/* Flags given on the command line; they override the config file. */
struct flags {
	const char *config_file;
	const char *listen_address;
	const char *storage_path;
	const char *log_level;
	const char *log_format;
	int test_clock;			/* --test.clock: POST /-/test/clock */
	int enable_lifecycle;		/* --web.enable-lifecycle: /-/reload */
	const char *web_config_file;	/* --web.config.file: TLS, basic auth
					   (webconfig.h); NULL none */
};

struct daemon_metrics {
	struct met_family *build_info;
	struct met_family *http_requests;	/* {handler, code} */
	struct met_family *http_duration;	/* {handler} */
	struct met_family *http_in_flight;
	struct met_family *wh_notifications;	/* {result} */
	struct met_family *wh_alerts;		/* {result} */
	struct met_family *wh_rejected;		/* {reason} */
	struct met_family *storage_errors;	/* {operation} */
	struct met_family *storage_duration;	/* {operation} */
	struct met_family *pruned_rows;		/* {table} */
	struct met_family *episodes_opened;
	struct met_family *episodes_resolved;
	struct met_family *model_rows;		/* {kind} */
	struct met_family *model_bytes;
	struct met_family *model_current;
	struct met_family *model_scans;		/* {answered_by} */
	struct met_family *reload_success;
	struct met_family *reload_success_ts;
	struct met_family *reloads;		/* {result} */
	struct met_family *auth_failures;	/* {reason} */
	struct met_family *ready;
	struct met_family *rw_samples;		/* {result} */
	struct met_family *rw_rejected;		/* {reason} */
	struct met_family *rw_expired;
	struct met_family *rw_live;		/* gauge */
	struct met_family *feedback;		/* {verdict} */
	/* the KPIs (kpi.c) */
	struct met_family *notifications;	/* {receiver, status} */
	struct met_family *pages;		/* {receiver} */
	struct met_family *ooh_pages;		/* {receiver} */
	struct met_family *episodes;		/* {class} */
	struct met_family *firing_alerts;
	struct met_family *pending_alerts;
	struct met_family *noise_ratio;		/* {window} */
	struct met_family *page_noise_ratio;	/* {window} */
	struct met_family *feedback_coverage;	/* {window} */
	struct met_family *pages_saved;		/* {window} */
	struct met_family *alert_noise_ratio;	/* {alertname, window} */
	struct met_family *alert_episodes;	/* {alertname, window, class} */
	struct met_family *alert_mttr;		/* {alertname, window} */
	struct met_family *alert_flap_score;	/* {alertname} */
	struct met_family *time_to_resolve;	/* {severity} or none */
	struct met_family *dedup_groups;	/* {kind} */
	struct met_family *recommendations;	/* {kind} */
	struct met_family *team_pages;		/* {team} */
	struct met_family *team_episodes;	/* {team, window} */
	struct met_family *team_noise_ratio;	/* {team, window} */
	struct met_family *team_window_pages;	/* {team, window} */
	struct met_family *team_page_noise_ratio;	/* {team, window} */
	struct met_family *team_other_teams;	/* {window} */
	struct met_family *kpi_refreshes;	/* {result} */
	struct met_family *kpi_last_refresh;
	struct met_family *kpi_refresh_duration;
};

struct webconfig;

struct daemon {
	struct flags flags;
	pthread_mutex_t cfg_mu;		/* guards the cfg and web pointers,
					   nothing else: see daemon_config */
	struct an_config *cfg;		/* the running config; read it
					   through daemon_config, except
					   single-threaded at start-up */
	struct webconfig *web;		/* the running --web.config.file, or
					   NULL; held and swapped as cfg */
	struct store *store;
	int ready;			/* store open: atomic */
	struct met_registry *reg;
	struct daemon_metrics m;
	int64_t start_ms;
	/* Bumped by every change an analysis would see: a cached analysis
	 * older than a human verdict is never served (atomic). */
	uint64_t feedback_gen;
};

/* The running configuration, held for the caller: immutable, valid until
 * the caller's cfg_release, however many reloads happen meanwhile. A
 * request takes it once and reads everything from that one snapshot. */
const struct an_config *daemon_config(struct daemon *d);

/* analysis.window of the running configuration: the read API's default. */
int64_t daemon_default_window(struct daemon *d);

#endif
