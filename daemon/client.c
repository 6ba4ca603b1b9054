/* client.c -- the client commands of alertnoised: `query episodes|alerts|
 * groups`, `recommendations`, `feedback` and `simulate` ask a running daemon
 * over its HTTP API (libcurl) and print the answer, in the style of
 * Alertmanager's amtool (prometheus/alertmanager cli/): --alertnoise.url
 * (or $ALERTNOISE_URL), -o simple|extended|json, PromQL-style matchers as
 * arguments as `amtool alert query` takes them, sent as one match[]
 * selector.
 *
 * Output: simple is an aligned table of a command's main columns, extended
 * one of every member of the answer's rows, json the answer's "data" as it
 * came. A list answers one page (--limit rows); when more follow, the
 * answer's "next" token goes to stderr, for the next run's --next: nothing
 * is followed automatically. Exit status: 0 done, 1 the daemon answered an error, 2 a usage
 * error, 3 the daemon could not be reached or did not answer in time.
 *
 * Flags go through flags_parse (lib/core/flags.h); the arguments that are
 * not flags (matchers, a fingerprint) are set apart before, and the values
 * of a repeated --set collected, by split_args. It uses lib/core only
 * (flags, buf, the duration parser) and never the store: it speaks the API
 * as any other client would. */
#include "client.h"
#include "flags.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "httpc.h"
#include "webconfig.h"

#define URL_DEFAULT	"http://localhost:9467"
#define URL_ENV		"ALERTNOISE_URL"
#define TIMEOUT_DEFAULT	"30s"
#define ANSWER_MAX	((size_t)64 << 20)	/* one answer, checked as it
						   arrives */
#define OUT_MAX		((size_t)1 << 30)	/* what one table may print */

/* The daemon's parameter names of a time range's ends, which --start and
 * --end set. */
#define PARAM_START	"start"
#define PARAM_END	"end"

enum exit_status {
	EXIT_DONE = 0,
	EXIT_ANSWER = 1,	/* the daemon answered an error */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,	/* no connection, or no answer in time */
};

enum output { OUT_SIMPLE, OUT_EXTENDED, OUT_JSON };

/* What a command takes besides the common flags. */
enum takes {
	T_MATCHERS = 1 << 0,	/* [<matcher>...] */
	T_WINDOW = 1 << 1,	/* --window */
	T_RANGE = 1 << 2,	/* --start, --end */
	T_LIMIT = 1 << 3,	/* --limit, --next */
	T_VERDICT = 1 << 4,	/* FINGERPRINT VERDICT, --note, --starts-at,
				   --by */
	T_SET = 1 << 5,		/* --set */
};

/* One column of a simple table, or one line after it: the value at path in
 * a row ("predicted.pagesBefore"; "members[].alertname": each element's,
 * comma-separated), and with to "value -> value at to". Extended tables
 * have header NULL: the path is a member's name, its header. */
struct column {
	const char *header, *path, *to;
};

/* How a command's answer is shown: a table of the rows at rows ("": the
 * answer is the list; NULL: no table), then lines of the answer's members
 * (simple: lines; extended: every member but the rows). */
struct view {
	const char *rows;
	const struct column *cols;
	size_t ncols;
	const struct column *lines;
	size_t nlines;
};

struct invocation;

struct command {
	const char *name;	/* as typed after "alertnoised" */
	const char *args;	/* the synopsis after [<flags>] */
	const char *about;
	const char *method, *path;
	unsigned takes;
	/* The request body of a POST; -1 and err on a usage error. */
	int (*body)(const struct invocation *, json_t **out, char *err,
	    size_t errlen);
	const struct view *view;
};

/* One run of a command: its flags (pointing into argv) and arguments. */
struct invocation {
	const struct command *cmd;
	char prog[64];		/* "alertnoised query alerts" */
	const char *url, *output, *timeout, *window, *start, *end, *limit;
	const char *next;
	const char *http_config;	/* --http.config.file */
	const char *note, *starts_at, *by, *set;
	const char **pos;	/* the arguments that are not flags */
	int npos;
	const char **sets;	/* every --set value, in order */
	int nsets;
	const char **fv;	/* argv[0] and the flags, for flags_parse */
	int fc;
	enum output out;
	long timeout_ms;
	char *base;		/* the daemon's URL, no trailing '/'; owned */
	char *shown;		/* base without user:password; owned */
	struct webcfg_client *hc;	/* --http.config.file's; owned */
};

/* --- memory: running out ends the command (daemon/ may) ------------------ */

static void
oom(void)
{
	fputs("alertnoised: error: out of memory\n", stderr);
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

static void
put(struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) < 0)
		oom();
}

static void
puts_b(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* --- the commands -------------------------------------------------------- */

static int feedback_body(const struct invocation *, json_t **, char *,
    size_t);
static int simulate_body(const struct invocation *, json_t **, char *,
    size_t);

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const struct column episode_cols[] = {
	{ "ALERTNAME", "alertname", NULL },
	{ "FINGERPRINT", "fingerprint", NULL },
	{ "FIRING AT", "firingAt", NULL },
	{ "RESOLVED AT", "resolvedAt", NULL },
	{ "CLASS", "class", NULL },
	{ "NOTIFICATIONS", "notifications", NULL },
};
static const struct column alert_cols[] = {
	{ "ALERTNAME", "alertname", NULL },
	{ "EPISODES", "episodes", NULL },
	{ "NOISE RATIO", "noiseRatio", NULL },
	{ "NOTIFICATIONS", "notifications", NULL },
	{ "PAGES", "pages", NULL },
	{ "NOISE PAGES", "noisePages", NULL },
	{ "FLAP SCORE", "flapScore", NULL },
};
static const struct column group_cols[] = {
	{ "KIND", "kind", NULL },
	{ "LEADER", "leader.alertname", NULL },
	{ "MEMBERS", "members[].alertname", NULL },
	{ "SUPPORT", "support", NULL },
	{ "JACCARD", "jaccard", NULL },
};
static const struct column rec_cols[] = {
	{ "KIND", "kind", NULL },
	{ "ALERTNAME", "alertname", NULL },
	{ "CONFIDENCE", "confidence", NULL },
	{ "PAGES", "predicted.pagesBefore", "predicted.pagesAfter" },
	{ "SUMMARY", "summary", NULL },
};
static const struct column sim_cols[] = {
	{ "ALERTNAME", "alertname", NULL },
	{ "RECEIVER", "receiver", NULL },
	{ "NOTIFICATIONS", "notificationsBefore", "notificationsAfter" },
	{ "PAGES", "pagesBefore", "pagesAfter" },
	{ "RECORDED", "recorded", NULL },
};
static const struct column sim_lines[] = {
	{ "notifications", "notificationsBefore", "notificationsAfter" },
	{ "pages", "pagesBefore", "pagesAfter" },
	{ "recorded notifications", "recordedNotifications", NULL },
	{ "replay error", "replayError", NULL },
	{ "noise removed", "noiseRemoved", NULL },
	{ "actionable delayed", "actionableDelayed", NULL },
	{ "added delay p50 (s)", "addedDelaySeconds.p50", NULL },
	{ "added delay max (s)", "addedDelaySeconds.max", NULL },
	{ "actionable lost", "actionableLost", NULL },
};
static const struct column feedback_lines[] = {
	{ "verdict", "verdict", NULL },
	{ "fingerprint", "episode.fingerprint", NULL },
	{ "firing at", "episode.firingAt", NULL },
	{ "pending at", "episode.pendingAt", NULL },
};

static const struct view episode_view = { "", episode_cols, N(episode_cols),
    NULL, 0 };
static const struct view alert_view = { "", alert_cols, N(alert_cols), NULL,
    0 };
static const struct view group_view = { "", group_cols, N(group_cols), NULL,
    0 };
static const struct view rec_view = { "", rec_cols, N(rec_cols), NULL, 0 };
static const struct view sim_view = { "counts", sim_cols, N(sim_cols),
    sim_lines, N(sim_lines) };
static const struct view feedback_view = { NULL, NULL, 0, feedback_lines,
    N(feedback_lines) };

static const struct command commands[] = {
	{ "query episodes", "[<matcher>...]",
	  "Lists alert episodes (one firing period of one alert identity),\n"
	  "newest first, with their class: GET /api/v1/episodes.",
	  "GET", "/api/v1/episodes", T_MATCHERS | T_RANGE | T_LIMIT, NULL,
	  &episode_view },
	{ "query alerts", "[<matcher>...]",
	  "Shows the statistics of each alertname over the window: episodes,\n"
	  "noise ratio, notifications, pages, flap score: GET /api/v1/alertnames.",
	  "GET", "/api/v1/alertnames", T_MATCHERS | T_WINDOW | T_LIMIT, NULL,
	  &alert_view },
	{ "query groups", "",
	  "Lists the dedup groups of the window (replica, cofiring, storm):\n"
	  "GET /api/v1/groups.",
	  "GET", "/api/v1/groups", T_WINDOW | T_LIMIT, NULL, &group_view },
	{ "recommendations", "",
	  "Lists the recommended changes to rules and routes, by pages saved:\n"
	  "GET /api/v1/recommendations (-o json has the snippets).",
	  "GET", "/api/v1/recommendations", T_WINDOW | T_LIMIT, NULL,
	  &rec_view },
	{ "feedback", "FINGERPRINT actionable|noise",
	  "Records a verdict on an alert's episode (the latest, or the one\n"
	  "firing at --starts-at): POST /api/v1/feedback. FINGERPRINT is the\n"
	  "identity's (query episodes) or Alertmanager's fingerprint of it.",
	  "POST", "/api/v1/feedback", T_VERDICT, feedback_body,
	  &feedback_view },
	{ "simulate", "[--set KEY=VALUE...] [<matcher>...]",
	  "Replays the window's history under changed settings and shows the\n"
	  "notifications and pages before and after: POST /api/v1/simulate.\n"
	  "Keys for the rule of the alerts the matchers select: for,\n"
	  "keep_firing_for. Keys for their route (every alert's, without\n"
	  "matchers): receiver, group_by (a,b,...), group_wait, group_interval,\n"
	  "repeat_interval, send_resolved (true|false). Durations as in\n"
	  "Prometheus: 5m, 1h30m.",
	  "POST", "/api/v1/simulate", T_MATCHERS | T_WINDOW | T_SET,
	  simulate_body, &sim_view },
};

/* The flags' help lines; takes 0: every command's. */
static const struct {
	unsigned takes;
	const char *text;
} flag_help[] = {
	{ 0, "  -h, --help                 Show this help and exit.\n" },
	{ 0, "      --alertnoise.url=URL   The daemon (default $" URL_ENV ", "
	     "else\n                             " URL_DEFAULT ").\n" },
	{ 0, "      --http.config.file=FILE\n"
	     "                             Credentials and TLS settings for "
	     "the daemon,\n                             as promtool's "
	     "(basic_auth, authorization,\n                             "
	     "tls_config).\n" },
	{ 0, "  -o, --output=FORMAT        simple (a table), extended (every\n"
	     "                             column) or json (the answer's "
	     "data).\n" },
	{ 0, "      --timeout=DURATION     How long to wait for the answer "
	     "(default\n                             " TIMEOUT_DEFAULT ").\n" },
	{ T_WINDOW, "      --window=DURATION      The window analysed "
	     "(default the daemon's\n                             "
	     "analysis.window).\n" },
	{ T_RANGE, "      --start=TIME           Only episodes active at or "
	     "after TIME (RFC\n                             3339 or Unix "
	     "seconds).\n" },
	{ T_RANGE, "      --end=TIME             Only episodes that started at "
	     "or before TIME.\n" },
	{ T_LIMIT, "      --limit=N              At most N rows (default: query "
	     "episodes\n                             100, the others all).\n" },
	{ T_LIMIT, "      --next=TOKEN           The page after the one that "
	     "printed\n                             \"more rows: --next=TOKEN\" "
	     "on stderr.\n" },
	{ T_VERDICT, "      --note=TEXT            Why (at most 1024 bytes).\n"
	     },
	{ T_VERDICT, "      --starts-at=TIME       A time the episode was "
	     "firing at (default\n                             the latest "
	     "episode).\n" },
	{ T_VERDICT, "      --by=NAME              Who gives the verdict.\n" },
	{ T_SET, "      --set=KEY=VALUE        A setting to change; "
	     "repeatable.\n" },
};

static const char matcher_help[] =
"\n"
"Matchers are PromQL label matchers, all of which an alert must match:\n"
"alertname=DiskFull, severity=~\"crit|warn\", team!=db; a bare word is an\n"
"alertname. Quote them for the shell.\n";

static void
command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "usage: alertnoised %s [<flags>]%s%s\n\n%s\n", c->name,
	    c->args[0] ? " " : "", c->args, c->about);
	if (c->takes & T_MATCHERS)
		fputs(matcher_help, f);
	fputs("\nFlags:\n", f);
	for (size_t i = 0; i < N(flag_help); i++)
		if ((flag_help[i].takes & c->takes) == flag_help[i].takes)
			fputs(flag_help[i].text, f);
}

static void
query_usage(FILE *f)
{
	fputs("usage: alertnoised query episodes [<flags>] [<matcher>...]\n"
	    "       alertnoised query alerts [<flags>] [<matcher>...]\n"
	    "       alertnoised query groups [<flags>]\n"
	    "\n"
	    "Asks a running alertnoised (--alertnoise.url) for its episodes,\n"
	    "per-alertname statistics or dedup groups. See\n"
	    "alertnoised query COMMAND --help.\n", f);
}

int
client_is_command(const char *name)
{
	if (strcmp(name, "query") == 0)
		return 1;
	for (size_t i = 0; i < N(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return 1;
	return 0;
}

/* --- arguments ----------------------------------------------------------- */

/* Sets argv[1..argc)'s arguments that are not flags apart (in->pos; all
 * after "--"), and the flags, with a FLAG_VALUE flag's separate value, in
 * in->fv for flags_parse; collects every --set value in in->sets. */
static void
split_args(int argc, char **argv, const struct flag_def *defs, size_t n,
    struct invocation *in)
{
	in->fv = xcalloc((size_t)argc + 1, sizeof(*in->fv));
	in->pos = xcalloc((size_t)argc + 1, sizeof(*in->pos));
	in->sets = xcalloc((size_t)argc + 1, sizeof(*in->sets));
	in->fv[in->fc++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int j = i;

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				in->pos[in->npos++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			in->pos[in->npos++] = a;
			continue;
		}
		in->fv[in->fc++] = a;
		for (size_t k = 0; k < n; k++) {
			if (defs[k].kind != FLAG_VALUE ||
			    flag_value(argc, argv, &j, defs[k].name, &v) != 1)
				continue;
			if (j > i)
				in->fv[in->fc++] = argv[j];
			if (strcmp(defs[k].name, "--set") == 0)
				in->sets[in->nsets++] = v;
			break;
		}
		i = j;
	}
}

static int
usage_error(const struct invocation *in, const char *msg)
{
	fprintf(stderr, "%s: error: %s, try --help\n", in->prog, msg);
	return EXIT_USAGE;
}

/* Checks url (http or https) and sets in->base and in->shown. */
static int
set_url(struct invocation *in, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *s = NULL, msg[512];
	int rc = -1;

	if (u == NULL)
		oom();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(msg, sizeof(msg), "--alertnoise.url: \"%.300s\" is not "
		    "an http:// or https:// URL", url);
		usage_error(in, msg);
		goto out;
	}
	in->base = xstrdup(url);
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		oom();
	in->shown = httpc_strip_slashes(xstrdup(s));
	httpc_strip_slashes(in->base);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

/* Parses argv (argv[0] the command's last word) for c into in. Returns 0,
 * 1 after --help, or the exit status 2 after printing what is wrong. */
static int
parse(int argc, char **argv, const struct command *c, struct invocation *in)
{
	struct flag_def defs[16];
	const char *env = getenv(URL_ENV);
	int help = 0, rc;
	size_t n = 0;
	int64_t ms;

	in->cmd = c;
	snprintf(in->prog, sizeof(in->prog), "alertnoised %s", c->name);
	in->url = env != NULL && env[0] != '\0' ? env : URL_DEFAULT;
	in->output = "simple";
	in->timeout = TIMEOUT_DEFAULT;
	defs[n++] = (struct flag_def){ "-h", FLAG_STOP, .on = &help };
	defs[n++] = (struct flag_def){ "--help", FLAG_STOP, .on = &help };
	defs[n++] = (struct flag_def){ "--alertnoise.url", FLAG_VALUE,
	    .value = &in->url };
	defs[n++] = (struct flag_def){ "--http.config.file", FLAG_VALUE,
	    .value = &in->http_config };
	defs[n++] = (struct flag_def){ "-o", FLAG_VALUE, .value = &in->output };
	defs[n++] = (struct flag_def){ "--output", FLAG_VALUE,
	    .value = &in->output };
	defs[n++] = (struct flag_def){ "--timeout", FLAG_VALUE,
	    .value = &in->timeout };
	if (c->takes & T_WINDOW)
		defs[n++] = (struct flag_def){ "--window", FLAG_VALUE,
		    .value = &in->window };
	if (c->takes & T_RANGE) {
		defs[n++] = (struct flag_def){ "--start", FLAG_VALUE,
		    .value = &in->start };
		defs[n++] = (struct flag_def){ "--end", FLAG_VALUE,
		    .value = &in->end };
	}
	if (c->takes & T_LIMIT) {
		defs[n++] = (struct flag_def){ "--limit", FLAG_VALUE,
		    .value = &in->limit };
		defs[n++] = (struct flag_def){ "--next", FLAG_VALUE,
		    .value = &in->next };
	}
	if (c->takes & T_VERDICT) {
		defs[n++] = (struct flag_def){ "--note", FLAG_VALUE,
		    .value = &in->note };
		defs[n++] = (struct flag_def){ "--starts-at", FLAG_VALUE,
		    .value = &in->starts_at };
		defs[n++] = (struct flag_def){ "--by", FLAG_VALUE,
		    .value = &in->by };
	}
	if (c->takes & T_SET)
		defs[n++] = (struct flag_def){ "--set", FLAG_VALUE,
		    .value = &in->set };

	split_args(argc, argv, defs, n, in);
	rc = flags_parse(in->fc, (char **)in->fv, defs, n, in->prog, stderr);
	if (rc == 1)
		command_usage(stdout, c);
	if (rc != 0)
		return rc;
	if (strcmp(in->output, "simple") == 0)
		in->out = OUT_SIMPLE;
	else if (strcmp(in->output, "extended") == 0)
		in->out = OUT_EXTENDED;
	else if (strcmp(in->output, "json") == 0)
		in->out = OUT_JSON;
	else
		return usage_error(in, "--output: want simple, extended or "
		    "json");
	if (cfg_parse_duration(in->timeout, &ms) < 0 || ms <= 0)
		return usage_error(in, "--timeout: want a duration such as "
		    "30s");
	in->timeout_ms = ms > 86400000 ? 86400000 : (long)ms;
	if (in->npos > 0 && !(c->takes & (T_MATCHERS | T_VERDICT))) {
		char msg[160];

		snprintf(msg, sizeof(msg), "unexpected argument \"%.60s\"",
		    in->pos[0]);
		return usage_error(in, msg);
	}
	if (set_url(in, in->url) < 0)
		return EXIT_USAGE;
	if (in->http_config != NULL) {
		char err[1024];

		if ((in->hc = webcfg_client_load(in->http_config, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "%s: error: --http.config.file: %s\n",
			    in->prog, err);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Appends one matcher argument to a selector's body: name op value, op one
 * of = != =~ !~ (Prometheus promql/parser), a value not in double quotes
 * quoted with \ and " escaped; a bare word is an alertname (amtool's
 * habit); "{...}" is taken as it is, without its braces. Anything else is
 * passed on for the daemon to judge. */
static void
put_matcher(struct buf *b, const char *a)
{
	size_t n = strlen(a), k = 0;
	const char *v;

	if (n >= 2 && a[0] == '{' && a[n - 1] == '}') {
		put(b, a + 1, n - 2);
		return;
	}
	while (is_name_char(a[k]))
		k++;
	if (a[k] == '\0') {
		puts_b(b, "alertname=");
		v = a;
	} else if (strncmp(a + k, "=~", 2) == 0 ||
	    strncmp(a + k, "!~", 2) == 0 || strncmp(a + k, "!=", 2) == 0) {
		put(b, a, k + 2);
		v = a + k + 2;
	} else if (a[k] == '=') {
		put(b, a, k + 1);
		v = a + k + 1;
	} else {
		puts_b(b, a);
		return;
	}
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		puts_b(b, v);
		return;
	}
	put(b, "\"", 1);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			put(b, "\\", 1);
		put(b, v, 1);
	}
	put(b, "\"", 1);
}

/* The selector of the matcher arguments, "{m1,m2}"; NULL without any. The
 * caller frees it. */
static char *
selector(const struct invocation *in)
{
	struct buf b;

	if (in->npos == 0 || !(in->cmd->takes & T_MATCHERS))
		return NULL;
	buf_init(&b, OUT_MAX);
	put(&b, "{", 1);
	for (int i = 0; i < in->npos; i++) {
		if (i > 0)
			put(&b, ",", 1);
		put_matcher(&b, in->pos[i]);
	}
	put(&b, "}", 1);
	return buf_steal(&b);
}

static int
feedback_body(const struct invocation *in, json_t **out, char *err,
    size_t errlen)
{
	json_t *o;

	if (in->npos != 2) {
		snprintf(err, errlen, "want FINGERPRINT and a verdict, "
		    "actionable or noise");
		return -1;
	}
	if (strcmp(in->pos[1], "actionable") != 0 &&
	    strcmp(in->pos[1], "noise") != 0) {
		snprintf(err, errlen, "verdict \"%.40s\": want actionable or "
		    "noise", in->pos[1]);
		return -1;
	}
	if ((o = json_pack("{s:s, s:s}", "fingerprint", in->pos[0],
	    "verdict", in->pos[1])) == NULL)
		oom();
	if (in->note != NULL)
		json_object_set_new(o, "note", json_string(in->note));
	if (in->starts_at != NULL)
		json_object_set_new(o, "startsAt", json_string(in->starts_at));
	if (in->by != NULL)
		json_object_set_new(o, "by", json_string(in->by));
	*out = o;
	return 0;
}

/* Whether key (of length n) is one of names. */
static int
key_in(const char *key, size_t n, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strlen(*names) == n && strncmp(key, *names, n) == 0)
			return 1;
	return 0;
}

/* The body of POST /api/v1/simulate (README "POST /api/v1/simulate"): the
 * rule keys make one rule of the matchers' alerts, the route keys one route
 * (a sub-route for the matchers' alerts when there are matchers). */
static int
simulate_body(const struct invocation *in, json_t **out, char *err,
    size_t errlen)
{
	static const char *const rule_keys[] = { "for", "keep_firing_for",
	    NULL };
	static const char *const route_keys[] = { "receiver", "group_by",
	    "group_wait", "group_interval", "repeat_interval",
	    "send_resolved", NULL };
	json_t *body = json_object(), *rule = json_object(),
	    *route = json_object(), *v;
	char *sel = selector(in);

	if (body == NULL || rule == NULL || route == NULL)
		oom();
	for (int i = 0; i < in->nsets; i++) {
		const char *s = in->sets[i], *eq = strchr(s, '=');
		size_t n = eq != NULL ? (size_t)(eq - s) : 0;
		char key[64];

		if (n == 0 || n >= sizeof(key)) {
			snprintf(err, errlen, "--set \"%.60s\": want KEY=VALUE",
			    s);
			goto fail;
		}
		memcpy(key, s, n);
		key[n] = '\0';
		if (strcmp(key, "group_by") == 0) {
			const char *p = eq + 1;

			v = json_array();
			while (v != NULL && *p != '\0') {
				size_t k = strcspn(p, ",");

				json_array_append_new(v, json_stringn(p, k));
				p += k + (p[k] == ',');
			}
		} else if (strcmp(key, "send_resolved") == 0) {
			if (strcmp(eq + 1, "true") != 0 &&
			    strcmp(eq + 1, "false") != 0) {
				snprintf(err, errlen, "--set send_resolved: "
				    "want true or false");
				goto fail;
			}
			v = json_boolean(strcmp(eq + 1, "true") == 0);
		} else {
			v = json_string(eq + 1);
		}
		if (v == NULL)
			oom();
		if (key_in(s, n, rule_keys))
			json_object_set_new(rule, key, v);
		else if (key_in(s, n, route_keys))
			json_object_set_new(route, key, v);
		else {
			json_decref(v);
			snprintf(err, errlen, "--set %s: unknown key; want for, "
			    "keep_firing_for, receiver, group_by, group_wait, "
			    "group_interval, repeat_interval or send_resolved",
			    key);
			goto fail;
		}
	}
	if (in->window != NULL)
		json_object_set_new(body, "window", json_string(in->window));
	if (json_object_size(rule) > 0) {
		if (sel == NULL) {
			snprintf(err, errlen, "--set for and keep_firing_for "
			    "need matchers: the alerts whose rule changes");
			goto fail;
		}
		json_object_set_new(rule, "match", json_string(sel));
		json_object_set_new(body, "rules", json_pack("[O]", rule));
	}
	if (json_object_size(route) > 0) {
		if (sel != NULL)
			json_object_set_new(route, "matchers",
			    json_string(sel));
		json_object_set_new(body, "routes", json_pack("[O]", route));
	}
	json_decref(rule);
	json_decref(route);
	free(sel);
	*out = body;
	return 0;
fail:
	json_decref(body);
	json_decref(rule);
	json_decref(route);
	free(sel);
	return -1;
}

/* --- the request --------------------------------------------------------- */

/* Appends "&name=value" (no '&' first) to q, value URL-encoded. */
static void
param(CURL *h, struct buf *q, const char *name, const char *value)
{
	char *e;

	if (value == NULL)
		return;
	if ((e = curl_easy_escape(h, value, 0)) == NULL)
		oom();
	if (q->len > 0)
		put(q, "&", 1);
	puts_b(q, name);
	put(q, "=", 1);
	puts_b(q, e);
	curl_free(e);
}

/* --http.config.file's TLS versions (0 TLS 1.0 .. 3 TLS 1.3) as curl's */
static const long tls_min[] = { CURL_SSLVERSION_TLSv1_0,
    CURL_SSLVERSION_TLSv1_1, CURL_SSLVERSION_TLSv1_2,
    CURL_SSLVERSION_TLSv1_3 };
static const long tls_max[] = { CURL_SSLVERSION_MAX_TLSv1_0,
    CURL_SSLVERSION_MAX_TLSv1_1, CURL_SSLVERSION_MAX_TLSv1_2,
    CURL_SSLVERSION_MAX_TLSv1_3 };

/* url with its host replaced by server_name (the caller frees it), and in
 * *connect the CURLOPT_CONNECT_TO entry that still connects to the URL's
 * host and port: curl sends the URL's host as SNI and checks the
 * certificate against it, and has no option of its own for another name
 * (Go's tls.Config.ServerName). NULL for a URL that is not https: there
 * the name means nothing, as in Go. */
static char *
with_server_name(const char *url, const char *name,
    struct curl_slist **connect)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *s = NULL, *out = NULL;
	struct buf e;

	if (u == NULL)
		oom();
	buf_init(&e, OUT_MAX);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    strcmp(scheme, "https") != 0)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || curl_url_set(u, CURLUPART_HOST, name, 0) !=
	    CURLUE_OK || curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	if (buf_printf(&e, "%s:%s:%s:%s", name, port, host, port) < 0 ||
	    (*connect = curl_slist_append(*connect, e.data)) == NULL)
		oom();
	out = xstrdup(s);
out:
	buf_free(&e);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* Sets h up as --http.config.file says: the credentials, the CA to trust,
 * the client certificate, verification, TLS versions, redirects (to http
 * and https only; curl sends the credentials to the URL's host alone). The
 * Authorization header goes into *hdr. */
static void
http_config(const struct webcfg_client *hc, CURL *h, struct curl_slist **hdr)
{
	struct buf a;

	if (hc->username != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, hc->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    hc->password ? hc->password : "");
	}
	if (hc->authorization != NULL) {
		buf_init(&a, OUT_MAX);
		puts_b(&a, "Authorization: ");
		puts_b(&a, hc->authorization);
		if ((*hdr = curl_slist_append(*hdr, a.data)) == NULL)
			oom();
		explicit_bzero(a.data, a.len);
		buf_free(&a);
	}
	if (hc->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, hc->ca_file);
	if (hc->cert_file != NULL) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, hc->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, hc->key_file);
	}
	if (hc->insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (hc->min_version >= 0 || hc->max_version >= 0)
		curl_easy_setopt(h, CURLOPT_SSLVERSION,
		    (hc->min_version >= 0 ? tls_min[hc->min_version] :
		    CURL_SSLVERSION_TLSv1_2) | (hc->max_version >= 0 ?
		    tls_max[hc->max_version] : CURL_SSLVERSION_MAX_DEFAULT));
	if (hc->follow_redirects) {
		/* to the same daemon only: credentials stay with its host */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
		    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	}
}

/* The answer's "error" text, else an excerpt of the body. */
static void
answer_error(const struct httpc_body *a, json_t *j, long code, char *out,
    size_t outlen)
{
	const char *em = json_string_value(json_object_get(j, "error"));
	size_t n = 0;

	if (em != NULL) {
		snprintf(out, outlen, "%s", em);
		return;
	}
	n = (size_t)snprintf(out, outlen, "HTTP %ld: ", code);
	for (size_t i = 0; i < a->buf.len && i < 200 && n + 4 < outlen; i++) {
		unsigned char c = (unsigned char)a->buf.data[i];

		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* Sends the request; on a success answer sets *data (the caller decrefs)
 * and *next, the answer's "next" token (the caller frees; NULL: none), and
 * returns 0, else prints one line on stderr and returns the exit status. */
static int
call(const struct invocation *in, json_t *body, json_t **data, char **next)
{
	const struct command *c = in->cmd;
	struct httpc_body a;
	struct buf url, q;
	struct curl_slist *hdr = NULL, *connect = NULL;
	char *sel = NULL, *text = NULL, *named = NULL, msg[1024];
	char errbuf[CURL_ERROR_SIZE];
	const char *status;
	json_t *j = NULL;
	json_error_t je;
	CURLcode cc;
	long code = 0;
	CURL *h;
	int rc = EXIT_ANSWER;

	*data = NULL;
	*next = NULL;
	if ((h = httpc_new(&a, ANSWER_MAX, errbuf)) == NULL)
		oom();
	buf_init(&url, OUT_MAX);
	buf_init(&q, OUT_MAX);
	if (body == NULL) {
		sel = selector(in);
		param(h, &q, "match%5B%5D", sel);
		param(h, &q, "window", in->window);
		param(h, &q, PARAM_START, in->start);
		param(h, &q, PARAM_END, in->end);
		param(h, &q, "limit", in->limit);
		param(h, &q, "next", in->next);
	}
	puts_b(&url, in->base);
	puts_b(&url, c->path);
	if (q.len > 0) {
		put(&url, "?", 1);
		puts_b(&url, q.data);
	}
	if (in->hc != NULL && in->hc->server_name != NULL &&
	    (named = with_server_name(url.data, in->hc->server_name,
	    &connect)) != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect);
	curl_easy_setopt(h, CURLOPT_URL, named != NULL ? named : url.data);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, in->timeout_ms);
	if (in->hc != NULL)
		http_config(in->hc, h, &hdr);
	if (body != NULL) {
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL ||
		    (hdr = curl_slist_append(hdr, "Content-Type: "
		    "application/json")) == NULL)
			oom();
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	}
	if (hdr != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(msg, sizeof(msg), "could not connect to %s: is "
		    "alertnoised running there? (--alertnoise.url, $" URL_ENV
		    ")", in->shown);
		rc = EXIT_UNREACHABLE;
		goto fail;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(msg, sizeof(msg), "no answer from %s within %s "
		    "(--timeout)", in->shown, in->timeout);
		rc = EXIT_UNREACHABLE;
		goto fail;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(msg, sizeof(msg), "TLS with %s failed: %s (tls_config "
		    "in --http.config.file)", in->shown, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		rc = EXIT_UNREACHABLE;
		goto fail;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
		if (strncmp(in->shown, "http:", 5) == 0) {
			snprintf(msg, sizeof(msg), "talking to %s failed: %s "
			    "(a daemon with TLS wants https://)", in->shown,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
			rc = EXIT_UNREACHABLE;
			goto fail;
		}
		/* FALLTHROUGH */
	default:
		if (a.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(msg, sizeof(msg), "the answer from %s is "
			    "larger than %zu MiB", in->shown, ANSWER_MAX >> 20);
			goto fail;
		}
		snprintf(msg, sizeof(msg), "talking to %s failed: %s",
		    in->shown, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		rc = EXIT_UNREACHABLE;
		goto fail;
	}
	j = json_loadb(a.buf.data ? a.buf.data : "", a.buf.len, 0, &je);
	status = json_string_value(json_object_get(j, "status"));
	if (code < 200 || code > 299 || (status != NULL &&
	    strcmp(status, "success") != 0)) {
		answer_error(&a, j, code, msg, sizeof(msg));
		if (code == 401 && (in->hc == NULL || (in->hc->username ==
		    NULL && in->hc->authorization == NULL)))
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			    " (credentials: basic_auth in --http.config.file)");
		goto fail;
	}
	if (j == NULL || json_object_get(j, "data") == NULL) {
		snprintf(msg, sizeof(msg), "%s%s answered no alertnoised API "
		    "answer (no JSON with \"data\")", in->shown, c->path);
		goto fail;
	}
	*data = json_incref(json_object_get(j, "data"));
	if (json_string_value(json_object_get(j, "next")) != NULL)
		*next = xstrdup(json_string_value(json_object_get(j, "next")));
	rc = EXIT_DONE;
	goto out;
fail:
	fprintf(stderr, "%s: error: %s\n", in->prog, msg);
out:
	json_decref(j);
	curl_slist_free_all(hdr);
	curl_slist_free_all(connect);
	curl_easy_cleanup(h);
	free(named);
	free(text);
	free(sel);
	buf_free(&a.buf);
	buf_free(&url);
	buf_free(&q);
	return rc;
}

/* --- the output ---------------------------------------------------------- */

/* The member key of o; a camelCase key is also looked for in snake_case,
 * the spelling a daemon of the release before answered with. */
static json_t *
member(json_t *o, const char *key, size_t n)
{
	char k[64], snake[128];
	size_t m = 0;
	json_t *v;

	if (!json_is_object(o) || n >= sizeof(k))
		return NULL;
	memcpy(k, key, n);
	k[n] = '\0';
	if ((v = json_object_get(o, k)) != NULL)
		return v;
	for (size_t i = 0; i < n; i++) {
		if (k[i] >= 'A' && k[i] <= 'Z') {
			snake[m++] = '_';
			snake[m++] = (char)(k[i] - 'A' + 'a');
		} else
			snake[m++] = k[i];
	}
	snake[m] = '\0';
	return m > n ? json_object_get(o, snake) : NULL;
}

/* Appends the text of v: "-" for null or absent, numbers as a person reads
 * them (reals to two decimals), arrays comma-separated, objects as
 * key=value pairs; control characters escaped, so a cell is one line. */
static void
put_value(struct buf *b, json_t *v)
{
	char s[64];
	const char *k;
	json_t *x;
	size_t i;

	switch (v != NULL ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		for (k = json_string_value(v); *k; k++) {
			if (*k == '\n')
				puts_b(b, "\\n");
			else if ((unsigned char)*k < 0x20 || *k == 0x7f)
				put(b, " ", 1);
			else
				put(b, k, 1);
		}
		return;
	case JSON_INTEGER:
		snprintf(s, sizeof(s), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL: {
		double d = json_real_value(v);

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(s, sizeof(s), "%.0f", d);
		else {
			size_t n;

			snprintf(s, sizeof(s), "%.2f", d);
			for (n = strlen(s); s[n - 1] == '0'; n--)
				s[n - 1] = '\0';
		}
		break;
	}
	case JSON_TRUE:
		snprintf(s, sizeof(s), "true");
		break;
	case JSON_FALSE:
		snprintf(s, sizeof(s), "false");
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			break;
		json_array_foreach(v, i, x) {
			if (i > 0)
				put(b, ",", 1);
			put_value(b, x);
		}
		return;
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			break;
		i = 0;
		json_object_foreach(v, k, x) {
			if (i++ > 0)
				put(b, ",", 1);
			puts_b(b, k);
			put(b, "=", 1);
			put_value(b, x);
		}
		return;
	default:
		snprintf(s, sizeof(s), "-");
		break;
	}
	puts_b(b, s);
}

/* Appends the text of the value at path in v (struct column). */
static void
put_path(struct buf *b, json_t *v, const char *path)
{
	while (*path != '\0' && v != NULL) {
		size_t n = strcspn(path, ".[");

		if (n > 0)
			v = member(v, path, n);
		path += n;
		if (strncmp(path, "[]", 2) == 0 && json_is_array(v)) {
			json_t *x;
			size_t i;

			path += 2 + (path[2] == '.');
			json_array_foreach(v, i, x) {
				if (i > 0)
					put(b, ",", 1);
				put_path(b, x, path);
			}
			return;
		}
		path += strspn(path, ".[]");
	}
	put_value(b, v);
}

/* The text of a column's value in row; the caller frees it. */
static char *
cell(json_t *row, const struct column *col)
{
	struct buf b;

	buf_init(&b, OUT_MAX);
	put_path(&b, row, col->path);
	if (b.data == NULL)
		return xstrdup("");
	if (col->to != NULL && strcmp(b.data, "-") != 0) {
		puts_b(&b, " -> ");
		put_path(&b, row, col->to);
	}
	return buf_steal(&b);
}

/* Width on a terminal: UTF-8 code points. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		put(b, " ", 1);
}

/* Whether path's first member is k ("leader" of "leader.alertname"). */
static int
path_starts(const char *path, const char *k)
{
	size_t n = strlen(k);

	return strncmp(path, k, n) == 0 && (path[n] == '\0' ||
	    path[n] == '.' || path[n] == '[');
}

/* The columns of an extended table: every member's name of any row, those
 * the simple table shows (first) first, then in the order they appear. *n
 * is set; the caller frees the array. */
static struct column *
all_columns(json_t *rows, const struct column *first, size_t nfirst,
    size_t *n)
{
	struct column *cols;
	size_t cap = 0, i;
	const char *k;
	json_t *row, *x;

	json_array_foreach(rows, i, row)
		cap += json_object_size(row);
	cols = xcalloc(cap, sizeof(*cols));
	*n = 0;
	for (size_t f = 0; f <= nfirst; f++) {
		json_array_foreach(rows, i, row) {
			json_object_foreach(row, k, x) {
				size_t j = 0;

				if (f < nfirst && !path_starts(first[f].path,
				    k))
					continue;
				while (j < *n && strcmp(cols[j].path, k) != 0)
					j++;
				if (j == *n)
					cols[(*n)++].path = k;
			}
		}
	}
	return cols;
}

/* A table of rows by cols (extended: every member, cols' first) to out: a
 * header line, then a line per row, columns two spaces apart. */
static void
table(struct buf *out, json_t *rows, const struct column *cols, size_t ncols,
    int extended)
{
	struct column *own = NULL;
	size_t nrows = json_array_size(rows), *w, i, c;
	char **cells;

	if (extended)
		cols = own = all_columns(rows, cols, ncols, &ncols);
	if (ncols == 0) {
		free(own);
		return;
	}
	cells = xcalloc((nrows + 1) * ncols, sizeof(*cells));
	w = xcalloc(ncols, sizeof(*w));
	for (c = 0; c < ncols; c++) {
		const char *h = cols[c].header ? cols[c].header : cols[c].path;
		char *s = xcalloc(2 * strlen(h) + 1, 1), *q = s;

		/* a member's name as words: "pendingOnly" is "PENDING ONLY" */
		for (const char *p = h; *p; p++) {
			if (*p >= 'A' && *p <= 'Z' && p > h && p[-1] >= 'a' &&
			    p[-1] <= 'z')
				*q++ = ' ';
			*q++ = *p == '_' ? ' ' : (char)(*p >= 'a' &&
			    *p <= 'z' ? *p - 'a' + 'A' : *p);
		}
		cells[c] = s;
	}
	for (i = 0; i < nrows; i++)
		for (c = 0; c < ncols; c++)
			cells[(i + 1) * ncols + c] = cell(json_array_get(rows,
			    i), &cols[c]);
	for (i = 0; i < (nrows + 1) * ncols; i++)
		if (width(cells[i]) > w[i % ncols])
			w[i % ncols] = width(cells[i]);
	for (i = 0; i <= nrows; i++) {
		for (c = 0; c < ncols; c++) {
			const char *s = cells[i * ncols + c];

			puts_b(out, s);
			if (c + 1 < ncols)
				pad(out, w[c] - width(s) + 2);
		}
		put(out, "\n", 1);
	}
	for (i = 0; i < (nrows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
	free(w);
	free(own);
}

/* Extended lines: "name: value" for every member of o but skip, the
 * members of an object member as "name.member: value". */
static void
all_lines(struct buf *out, json_t *o, const char *prefix, const char *skip)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (skip != NULL && strcmp(k, skip) == 0)
			continue;
		if (json_is_object(v) && json_object_size(v) > 0) {
			struct buf p;

			buf_init(&p, OUT_MAX);
			puts_b(&p, prefix);
			puts_b(&p, k);
			put(&p, ".", 1);
			all_lines(out, v, p.data, NULL);
			buf_free(&p);
			continue;
		}
		puts_b(out, prefix);
		puts_b(out, k);
		puts_b(out, ": ");
		put_value(out, v);
		put(out, "\n", 1);
	}
}

/* Prints data as in->out says. */
static int
render(const struct invocation *in, json_t *data)
{
	const struct view *v = in->cmd->view;
	struct buf out;
	json_t *rows = NULL;

	buf_init(&out, OUT_MAX);
	if (in->out == OUT_JSON) {
		char *s = json_dumps(data, JSON_INDENT(2) | JSON_ENCODE_ANY);

		if (s == NULL)
			oom();
		puts_b(&out, s);
		put(&out, "\n", 1);
		free(s);
	} else {
		if (v->rows != NULL)
			rows = v->rows[0] ? member(data, v->rows,
			    strlen(v->rows)) : data;
		if (json_is_array(rows))
			table(&out, rows, v->cols, v->ncols,
			    in->out == OUT_EXTENDED);
		if (json_is_object(data) && in->out == OUT_EXTENDED) {
			if (rows != NULL && rows != data)
				put(&out, "\n", 1);
			all_lines(&out, data, "", v->rows);
		} else if (json_is_object(data) && v->nlines > 0) {
			size_t lw = 0;

			if (rows != NULL)
				put(&out, "\n", 1);
			for (size_t i = 0; i < v->nlines; i++)
				if (strlen(v->lines[i].header) > lw)
					lw = strlen(v->lines[i].header);
			for (size_t i = 0; i < v->nlines; i++) {
				char *s = cell(data, &v->lines[i]);

				puts_b(&out, v->lines[i].header);
				put(&out, ":", 1);
				pad(&out, lw - strlen(v->lines[i].header) + 1);
				puts_b(&out, s);
				put(&out, "\n", 1);
				free(s);
			}
		}
	}
	if (out.len > 0 && (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0)) {
		fprintf(stderr, "%s: error: writing stdout failed\n", in->prog);
		buf_free(&out);
		return EXIT_ANSWER;
	}
	buf_free(&out);
	return EXIT_DONE;
}

/* --- the command --------------------------------------------------------- */

int
client_run(int argc, char **argv)
{
	const struct command *c = NULL;
	struct invocation in;
	json_t *body = NULL, *data = NULL;
	char name[64], err[512], *next = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	snprintf(name, sizeof(name), "%s", argv[0]);
	if (strcmp(argv[0], "query") == 0) {
		if (argc < 2 || argv[1][0] == '-') {
			if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
			    strcmp(argv[1], "--help") == 0)) {
				query_usage(stdout);
				return EXIT_DONE;
			}
			fputs("alertnoised query: error: want episodes, alerts "
			    "or groups, try --help\n", stderr);
			return EXIT_USAGE;
		}
		snprintf(name, sizeof(name), "query %.40s", argv[1]);
		argc--;
		argv++;
	}
	for (size_t i = 0; i < N(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			c = &commands[i];
	if (c == NULL) {
		fprintf(stderr, "alertnoised: error: unknown command \"%s\", "
		    "try alertnoised help\n", name);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "alertnoised %s: error: initializing libcurl "
		    "failed\n", name);
		return EXIT_ANSWER;
	}
	if ((rc = parse(argc, argv, c, &in)) != 0) {
		rc = rc == 1 ? EXIT_DONE : rc;
		goto out;
	}
	if (c->body != NULL && c->body(&in, &body, err, sizeof(err)) < 0) {
		rc = usage_error(&in, err);
		goto out;
	}
	if ((rc = call(&in, body, &data, &next)) == EXIT_DONE)
		rc = render(&in, data);
	/* after the rows, where a terminal shows it last; stdout stays the
	 * rows alone */
	if (rc == EXIT_DONE && next != NULL)
		fprintf(stderr, "%s: more rows: --next=%s\n", in.prog, next);
out:
	free(next);
	curl_global_cleanup();
	json_decref(body);
	json_decref(data);
	free(in.fv);
	free(in.pos);
	free(in.sets);
	free(in.base);
	free(in.shown);
	webcfg_client_free(in.hc);
	return rc;
}
