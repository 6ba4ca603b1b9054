/* sources.c -- the user's Alertmanager configuration and Prometheus rules,
 * read in the background (sources.h).
 *
 * One thread, the refresher, does every read: it copies what the config
 * snapshot names (daemon_config), lets the snapshot go, reads (files, or libcurl GETs
 * bounded by sources.timeout and a size limit), parses, and publishes a
 * new snapshot under `lock`, which guards only the pointer to the current
 * snapshot and the status rows. A snapshot is published only when its
 * content changed; then the analysis generation (feedback_gen) is bumped
 * so that no cached analysis made with the old routing is served. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "amroute.h"
#include "buf.h"
#include "httpc.h"
#include "log.h"
#include "promrules.h"
#include "sources.h"
#include "timefmt.h"

#define SRC_MAX_BYTES	(8u << 20)	/* one file or one answer */
#define SRC_MAX_FILES	1000		/* rule files a glob may name */

enum { SRC_AM, SRC_PROM, SRC_SIL, SRC_COUNT };

static const char *const src_names[SRC_COUNT] = { "alertmanager",
    "prometheus", "silences" };

#define SIL_MAX		100000	/* silences one answer may hold */

/* What the last attempt at one source found. */
struct src_status {
	char *origin;			/* file, globs or URL; NULL: none */
	int64_t last_attempt, last_success;	/* ms, 0: never */
	int ok;				/* the last attempt succeeded */
	char error[512];
	json_t *holds;			/* what the good copy holds */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct sources *current;		/* guarded by lock; never NULL
					   while started */
static struct src_status status[SRC_COUNT];	/* guarded by lock */
static uint64_t wanted, done;		/* refresh requests, loads finished */
static int stopping, started;
static pthread_t thread;
static struct met_family *m_ok, *m_ts, *m_fail;

/* --- snapshots ----------------------------------------------------------- */

static void
file_free(struct src_file *f)
{
	free(f->path);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

static void
am_unref(struct src_am *x)
{
	if (x == NULL || __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	am_config_free(x->cfg);
	file_free(&x->file);
	for (size_t i = 0; i < x->npagers; i++)
		free(x->pagers[i]);
	free(x->pagers);
	free(x);
}

static void
prom_unref(struct src_prom *x)
{
	if (x == NULL || __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	pr_rules_free(x->rules);
	for (size_t i = 0; i < x->nfiles; i++)
		file_free(&x->files[i]);
	free(x->files);
	file_free(&x->answer);
	free(x);
}

static void
sil_unref(struct src_sil *x)
{
	if (x == NULL || __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < x->n; i++)
		am_matchers_free(x->m[i]);
	free(x->m);
	free(x->v);
	free(x);
}

struct sources *
sources_get(void)
{
	struct sources *s;

	pthread_mutex_lock(&lock);
	if ((s = current) != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&lock);
	return s;
}

void
sources_put(struct sources *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	am_unref(s->am);
	prom_unref(s->prom);
	sil_unref(s->sil);
	free(s);
}

const char *const *
sources_paging(const struct sources *s, const struct an_config *cfg,
    size_t *n)
{
	if (cfg->n_paging_receivers > 0) {
		*n = cfg->n_paging_receivers;
		return (const char *const *)cfg->paging_receivers;
	}
	*n = s != NULL && s->am != NULL ? s->am->npagers : 0;
	return *n > 0 ? (const char *const *)s->am->pagers : NULL;
}

static int
take_any_episode(const struct episode_row *row, void *arg)
{
	(void)row;
	*(int *)arg = 1;
	return 1;
}

int
sources_pages_known(struct store *st, const struct an_config *cfg)
{
	struct episode_filter f;
	int found = 0;

	if ((cfg->am_config_file != NULL && *cfg->am_config_file != '\0') ||
	    (cfg->am_url != NULL && *cfg->am_url != '\0'))
		return 1;
	/* a webhook's alerts and a remote write's ALERTS series each open
	 * an episode; pruning keeps the open ones */
	memset(&f, 0, sizeof(f));
	if (store_query_episodes(st, &f, take_any_episode, &found) < 0)
		return -1;
	return found;
}

/* The receivers of x->cfg with a pager integration, into x->pagers. */
static int
find_pagers(struct src_am *x)
{
	static const char *const pagers[] = { "pagerduty", "opsgenie",
	    "victorops", "pushover" };
	size_t nr = am_receiver_count(x->cfg);

	if ((x->pagers = calloc(nr + 1, sizeof(*x->pagers))) == NULL)
		return -1;
	for (size_t i = 0; i < nr; i++) {
		size_t nk;
		const char *const *k = am_receiver_integrations(x->cfg, i, &nk);
		int pager = 0;

		for (size_t j = 0; j < nk && !pager; j++)
			for (size_t p = 0; p < sizeof(pagers) /
			    sizeof(pagers[0]); p++)
				pager |= strcmp(k[j], pagers[p]) == 0;
		if (pager && (x->pagers[x->npagers++] =
		    strdup(am_receiver_name(x->cfg, i))) == NULL)
			return -1;
	}
	return 0;
}

/* --- reading ------------------------------------------------------------- */

/* Reads path whole, at most SRC_MAX_BYTES. */
static int
read_file(const char *path, struct src_file *f, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	memset(f, 0, sizeof(*f));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SRC_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "larger than 8 MiB");
		close(fd);
		return -1;
	}
	if ((f->text = malloc((size_t)st.st_size + 1)) == NULL)
		goto nomem;
	while (len < (size_t)st.st_size && (n = read(fd, f->text + len,
	    (size_t)st.st_size - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			file_free(f);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	f->text[len] = '\0';
	f->len = len;
	if ((f->path = strdup(path)) == NULL)
		goto nomem;
	return 0;
nomem:
	close(fd);
	file_free(f);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* url without the user and password it may carry (http://u:p@host/...):
 * what logs, errors and the status show. */
static char *
redacted(const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;
	char *s;

	if (host == NULL)
		return strdup(url);
	host += 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (at == NULL || (slash != NULL && at > slash))
		return strdup(url);
	if ((s = malloc(strlen(url) + 1)) == NULL)
		return NULL;
	memcpy(s, url, (size_t)(host - url));
	strcpy(s + (host - url), at + 1);
	return s;
}

/* GETs base + path: 0 and the answer's body in *out (a 2xx), or -1 and
 * why. The URL's user and password (if any) go as basic auth and are never
 * printed. */
static int
fetch(const char *base, const char *path, int64_t timeout_ms,
    struct src_file *out, char *err, size_t errlen)
{
	struct httpc_body f;
	char *url = NULL, cerr[CURL_ERROR_SIZE];
	size_t n = strlen(base) + strlen(path) + 1;
	CURL *c;
	CURLcode cc;
	long code = 0;
	int result = -1;

	memset(out, 0, sizeof(*out));
	if ((c = httpc_new(&f, SRC_MAX_BYTES, cerr)) == NULL ||
	    (url = malloc(n)) == NULL) {
		if (c != NULL)
			curl_easy_cleanup(c);
		buf_free(&f.buf);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, n, "%s%s", base, path);
	/* base ends without a slash: a trailing one was dropped */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (f.toobig || cc == CURLE_FILESIZE_EXCEEDED)
		snprintf(err, errlen, "GET %s: the answer is larger than "
		    "8 MiB", path);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(err, errlen, "GET %s: no complete answer within %lld "
		    "ms (sources.timeout)", path, (long long)timeout_ms);
	else if (cc != CURLE_OK)
		snprintf(err, errlen, "GET %s: %s%s%s%s", path,
		    curl_easy_strerror(cc), cerr[0] ? " (" : "", cerr,
		    cerr[0] ? ")" : "");
	else if (code < 200 || code > 299)
		snprintf(err, errlen, "GET %s: HTTP status %ld", path, code);
	else {
		out->len = f.buf.len;
		out->text = malloc(f.buf.len + 1);
		out->path = redacted(url);
		if (out->text == NULL || out->path == NULL) {
			file_free(out);
			snprintf(err, errlen, "out of memory");
		} else {
			if (f.buf.len > 0)
				memcpy(out->text, f.buf.data, f.buf.len);
			out->text[f.buf.len] = '\0';
			result = 0;
		}
	}
	curl_easy_cleanup(c);
	buf_free(&f.buf);
	free(url);
	return result;
}

/* The URL without a trailing slash, as the base of API paths. */
static char *
url_base(const char *url)
{
	char *s = strdup(url);

	return s != NULL ? httpc_strip_slashes(s) : NULL;
}

/* What the refresher copies out of the config before it reads. */
struct plan {
	char *am_file, *am_url, *prom_url;
	char **globs;
	size_t nglobs;
	int64_t timeout_ms, refresh_ms;
};

static void
plan_free(struct plan *p)
{
	free(p->am_file);
	free(p->am_url);
	free(p->prom_url);
	for (size_t i = 0; i < p->nglobs; i++)
		free(p->globs[i]);
	free(p->globs);
	memset(p, 0, sizeof(*p));
}

static int
plan_read(struct daemon *d, struct plan *p)
{
	const struct an_config *c;
	int failed = 0;

	memset(p, 0, sizeof(*p));
	c = daemon_config(d);
	p->am_file = c->am_config_file[0] ? strdup(c->am_config_file) : NULL;
	p->am_url = c->am_url[0] ? url_base(c->am_url) : NULL;
	p->prom_url = c->prom_url[0] ? url_base(c->prom_url) : NULL;
	failed |= (c->am_config_file[0] && p->am_file == NULL) ||
	    (c->am_url[0] && p->am_url == NULL) ||
	    (c->prom_url[0] && p->prom_url == NULL);
	if (c->n_prom_rule_files > 0 && (p->globs = calloc(
	    c->n_prom_rule_files, sizeof(*p->globs))) == NULL)
		failed = 1;
	for (size_t i = 0; !failed && i < c->n_prom_rule_files; i++)
		failed |= (p->globs[p->nglobs++] =
		    strdup(c->prom_rule_files[i])) == NULL;
	p->timeout_ms = c->sources_timeout_ms;
	p->refresh_ms = c->sources_refresh_ms;
	cfg_release(c);
	if (failed)
		plan_free(p);
	return failed ? -1 : 0;
}

/* The origin a status row shows: the file, the URL, or the globs. */
static char *
origin_of(const struct plan *p, int src)
{
	struct buf b;
	char *s;
	int rc = 0;

	if (src == SRC_AM)
		return p->am_file ? strdup(p->am_file) : p->am_url ?
		    redacted(p->am_url) : NULL;
	if (src == SRC_SIL) {
		char *u = p->am_url ? redacted(p->am_url) : NULL;
		size_t n = u ? strlen(u) + 18 : 0;

		if (n > 0 && (s = malloc(n)) != NULL)
			snprintf(s, n, "%s/api/v2/silences", u);
		free(u);
		return n > 0 ? s : NULL;
	}
	if (p->nglobs == 0)
		return p->prom_url ? redacted(p->prom_url) : NULL;
	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < p->nglobs; i++) {
		if (i > 0)
			rc |= buf_append(&b, ", ", 2);
		rc |= buf_append(&b, p->globs[i], strlen(p->globs[i]));
	}
	s = rc == 0 && b.data != NULL ? strdup(b.data) : NULL;
	buf_free(&b);
	return s;
}

/* Loads the Alertmanager source: 0 and *out, or -1 with err. */
static int
load_am(const struct plan *p, struct src_am **out, char *err, size_t errlen)
{
	struct src_am *x;
	struct src_file f;
	char perr[512];

	*out = NULL;
	if (p->am_file != NULL) {
		if (read_file(p->am_file, &f, err, errlen) < 0)
			return -1;
	} else {
		struct src_file st;
		json_error_t je;
		json_t *j;
		const char *orig;

		if (fetch(p->am_url, "/api/v2/status", p->timeout_ms, &st, err,
		    errlen) < 0)
			return -1;
		j = json_loadb(st.text, st.len, 0, &je);
		orig = json_string_value(json_object_get(json_object_get(j,
		    "config"), "original"));
		memset(&f, 0, sizeof(f));
		if (orig != NULL) {
			f.len = strlen(orig);
			f.text = strdup(orig);
			f.path = st.path;
			st.path = NULL;
		}
		file_free(&st);
		json_decref(j);
		if (orig == NULL) {
			snprintf(err, errlen, "GET /api/v2/status: no "
			    "config.original in the answer");
			return -1;
		}
		if (f.text == NULL) {
			file_free(&f);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		file_free(&f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->refs = 1;
	x->file = f;
	if (am_config_parse(f.text, f.len, &x->cfg, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: %s", f.path, perr);
		am_unref(x);
		return -1;
	}
	if (find_pagers(x) < 0) {
		snprintf(err, errlen, "out of memory");
		am_unref(x);
		return -1;
	}
	*out = x;
	return 0;
}

/* Appends the files glob pattern names to x, read and parsed. */
static int
load_glob(const char *pattern, struct src_prom *x, char *err, size_t errlen)
{
	glob_t g;
	int rc = glob(pattern, GLOB_ERR, NULL, &g), result = -1;

	if (rc == GLOB_NOMATCH)
		return 0;	/* as Prometheus: no file, no rules */
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", pattern, rc == GLOB_NOSPACE ?
		    "out of memory" : "cannot read the directory");
		globfree(&g);
		return -1;
	}
	for (size_t k = 0; k < g.gl_pathc; k++) {
		struct src_file *v;

		if (x->nfiles == SRC_MAX_FILES) {
			snprintf(err, errlen, "more than %d rule files",
			    SRC_MAX_FILES);
			goto out;
		}
		if ((v = realloc(x->files, (x->nfiles + 1) * sizeof(*v))) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		x->files = v;
		if (read_file(g.gl_pathv[k], &v[x->nfiles], err, errlen) < 0)
			goto out;
		v += x->nfiles++;
		if (pr_rules_add_file(x->rules, v->path, v->text, v->len, err,
		    errlen) < 0)
			goto out;
	}
	result = 0;
out:
	globfree(&g);
	return result;
}

/* Loads the Prometheus source: 0 and *out, or -1 with err. */
static int
load_prom(const struct plan *p, struct src_prom **out, char *err,
    size_t errlen)
{
	struct src_prom *x;
	char perr[512];

	*out = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->rules = pr_rules_new()) == NULL) {
		free(x);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->refs = 1;
	if (p->nglobs == 0) {
		struct src_file f;

		if (fetch(p->prom_url, "/api/v1/rules?type=alert",
		    p->timeout_ms, &f, err, errlen) < 0) {
			prom_unref(x);
			return -1;
		}
		x->answer = f;
		if (pr_rules_add_api(x->rules, f.text, f.len, perr,
		    sizeof(perr)) < 0) {
			snprintf(err, errlen, "GET /api/v1/rules: %s", perr);
			prom_unref(x);
			return -1;
		}
	}
	for (size_t i = 0; i < p->nglobs; i++)
		if (load_glob(p->globs[i], x, err, errlen) < 0) {
			prom_unref(x);
			return -1;
		}
	*out = x;
	return 0;
}

/* --- silences ------------------------------------------------------------ */

/* A silence's matchers array (name, value, isRegex, isEqual) as matcher
 * text, {a="b",c!~"d"}; NULL when malformed or out of memory. */
static char *
matchers_text(const json_t *arr)
{
	struct buf b;
	size_t i;
	json_t *m;
	char *s = NULL;
	int rc;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return NULL;
	buf_init(&b, 1 << 20);
	rc = buf_append(&b, "{", 1);
	json_array_foreach(arr, i, m) {
		const char *name = json_string_value(json_object_get(m,
		    "name"));
		const char *value = json_string_value(json_object_get(m,
		    "value"));
		json_t *eq = json_object_get(m, "isEqual");
		int re = json_is_true(json_object_get(m, "isRegex"));
		int neg = eq != NULL && json_is_false(eq);

		if (name == NULL || value == NULL) {
			rc = -1;
			break;
		}
		rc |= (i > 0 ? buf_append(&b, ",", 1) : 0) |
		    buf_append(&b, name, strlen(name)) |
		    buf_append(&b, neg ? "!" : "=", 1) |
		    (neg || re ? buf_append(&b, re ? "~" : "=", 1) : 0) |
		    rt_quote(&b, value);
	}
	rc |= buf_append(&b, "}", 1);
	if (rc == 0 && b.data != NULL)
		s = strdup(b.data);
	buf_free(&b);
	return s;
}

/* Fetches alertmanager.url's silences and stores them. Returns how many
 * rows changed, or -1 with err. *n: how many the answer held. */
static int
poll_silences(struct daemon *d, const struct plan *p, size_t *n, char *err,
    size_t errlen)
{
	struct src_file f;
	struct silence *v = NULL;
	char **texts = NULL;
	json_error_t je;
	json_t *j, *x;
	size_t i, k = 0;
	int rc = -1;

	*n = 0;
	if (fetch(p->am_url, "/api/v2/silences", p->timeout_ms, &f, err,
	    errlen) < 0)
		return -1;
	j = json_loadb(f.text, f.len, 0, &je);
	file_free(&f);
	if (!json_is_array(j) || json_array_size(j) > SIL_MAX) {
		snprintf(err, errlen, "GET /api/v2/silences: %s",
		    j == NULL ? "not JSON" : "want an array of at most 100000 "
		    "silences");
		goto out;
	}
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	texts = calloc(json_array_size(j) + 1, sizeof(*texts));
	if (v == NULL || texts == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(j, i, x) {
		struct silence *s = &v[k];
		const char *st = json_string_value(json_object_get(x,
		    "startsAt"));
		const char *en = json_string_value(json_object_get(x,
		    "endsAt"));
		const char *up = json_string_value(json_object_get(x,
		    "updatedAt"));

		s->id = json_string_value(json_object_get(x, "id"));
		s->created_by = json_string_value(json_object_get(x,
		    "createdBy"));
		s->comment = json_string_value(json_object_get(x, "comment"));
		if (s->id == NULL || st == NULL || en == NULL ||
		    ts_parse_rfc3339(st, &s->starts_at) < 0 ||
		    ts_parse_rfc3339(en, &s->ends_at) < 0 ||
		    (texts[k] = matchers_text(json_object_get(x,
		    "matchers"))) == NULL) {
			snprintf(err, errlen, "GET /api/v2/silences: "
			    "silence %zu: want id, startsAt, endsAt and "
			    "matchers", i);
			goto out;
		}
		if (up == NULL || ts_parse_rfc3339(up, &s->updated_at) < 0)
			s->updated_at = s->starts_at;
		if (s->created_by == NULL)
			s->created_by = "";
		if (s->comment == NULL)
			s->comment = "";
		s->matchers = texts[k++];
	}
	*n = k;
	if ((rc = store_put_silences(d->store, v, k)) < 0)
		snprintf(err, errlen, "storing silences: %s",
		    store_errmsg(d->store));
out:
	for (i = 0; texts != NULL && i < k + 1; i++)
		free(texts[i]);
	free(texts);
	free(v);
	json_decref(j);
	return rc;
}

struct sil_load {
	struct src_sil *x;
	size_t cap;
	int failed;
};

static int
sil_row(const struct silence *s, void *arg)
{
	struct sil_load *l = arg;
	struct src_sil *x = l->x;
	char err[256];

	if (x->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct rt_silence *v = realloc(x->v, cap * sizeof(*v));
		struct am_matchers **m;

		if (v == NULL)
			goto nomem;
		x->v = v;
		if ((m = realloc(x->m, cap * sizeof(*m))) == NULL)
			goto nomem;
		x->m = m;
		l->cap = cap;
	}
	if (am_matchers_parse(s->matchers, strlen(s->matchers),
	    &x->m[x->n], err, sizeof(err)) < 0)
		return 0;	/* Alertmanager accepted it; we cannot read it */
	x->v[x->n].m = x->m[x->n];
	x->v[x->n].starts_at = s->starts_at;
	x->v[x->n].ends_at = s->ends_at;
	x->n++;
	return 0;
nomem:
	l->failed = 1;
	return 1;
}

/* The stored silences in effect since now - retention: 0 and *out (NULL
 * when there is none), or -1. */
static int
load_silences(struct daemon *d, int64_t now, struct src_sil **out)
{
	struct sil_load l = { NULL, 0, 0 };
	const struct an_config *c = daemon_config(d);
	int64_t retention = c->retention_ms;

	cfg_release(c);
	*out = NULL;
	if ((l.x = calloc(1, sizeof(*l.x))) == NULL)
		return -1;
	l.x->refs = 1;
	if (store_scan_silences(d->store, now - retention, INT64_MAX,
	    sil_row, &l) < 0 || l.failed) {
		sil_unref(l.x);
		return -1;
	}
	if (l.x->n == 0) {
		sil_unref(l.x);
		return 0;
	}
	*out = l.x;
	return 0;
}

static int
same_file(const struct src_file *x, const struct src_file *y)
{
	return x->len == y->len && (x->len == 0 ||
	    memcmp(x->text, y->text, x->len) == 0) &&
	    strcmp(x->path, y->path) == 0;
}

static int
same_am(const struct src_am *x, const struct src_am *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return same_file(&x->file, &y->file);
}

static int
same_prom(const struct src_prom *x, const struct src_prom *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	if (x->nfiles != y->nfiles || (x->answer.path == NULL) !=
	    (y->answer.path == NULL) || (x->answer.path != NULL &&
	    !same_file(&x->answer, &y->answer)))
		return 0;
	for (size_t i = 0; i < x->nfiles; i++)
		if (!same_file(&x->files[i], &y->files[i]))
			return 0;
	return 1;
}

static json_t *
am_holds(const struct src_am *x)
{
	json_t *pagers = json_array();

	for (size_t i = 0; i < x->npagers; i++)
		json_array_append_new(pagers, json_string(x->pagers[i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:o}",
	    "routes", (json_int_t)am_route_count(x->cfg),
	    "receivers", (json_int_t)am_receiver_count(x->cfg),
	    "inhibitRules", (json_int_t)am_inhibit_rule_count(x->cfg),
	    "timeIntervals", (json_int_t)am_time_interval_count(x->cfg),
	    "pagerReceivers", pagers);
}

static json_t *
prom_holds(const struct src_prom *x)
{
	return json_pack("{s:I, s:I, s:I}",
	    "ruleFiles", (json_int_t)x->nfiles,
	    "ruleGroups", (json_int_t)pr_rules_group_count(x->rules),
	    "alertingRules", (json_int_t)pr_rules_count(x->rules));
}

/* Records one attempt at src in status[] and the metrics. origin NULL:
 * the config names no such source. Takes origin and holds. */
static void
note_attempt(int src, char *origin, int64_t now, const char *err,
    json_t *holds)
{
	struct src_status *st = &status[src];
	const char *lv[] = { src_names[src] };
	int ok = err == NULL;

	pthread_mutex_lock(&lock);
	free(st->origin);
	st->origin = origin;
	st->last_attempt = origin != NULL ? now : 0;
	st->ok = ok;
	snprintf(st->error, sizeof(st->error), "%s", ok ? "" : err);
	if (ok || origin == NULL) {
		st->last_success = origin != NULL ? now : 0;
		json_decref(st->holds);
		st->holds = holds;
	} else {
		json_decref(holds);
	}
	pthread_mutex_unlock(&lock);
	if (origin == NULL)
		return;
	met_set(m_ok, lv, ok);
	if (ok)
		met_set(m_ts, lv, (double)now / 1000.0);
	else
		met_add(m_fail, lv, 1);
}

/* One round: reads every source the config names into a new snapshot,
 * keeping the current copy of those that fail, and publishes it when
 * something changed. Returns the refresh interval to wait next. */
static int64_t
refresh_once(struct daemon *d)
{
	struct sources *old = sources_get(), *s;
	struct src_am *am = NULL;
	struct src_prom *prom = NULL;
	struct src_sil *sil;
	struct plan p;
	char err[1024];
	int64_t now = ts_now_ms(), refresh;

	if (plan_read(d, &p) < 0) {
		log_error("Reading the sources failed", "err", "out of memory");
		sources_put(old);
		return 60000;
	}
	refresh = p.refresh_ms;
	if (p.am_file != NULL || p.am_url != NULL) {
		if (load_am(&p, &am, err, sizeof(err)) < 0) {
			log_error("Loading a source failed", "source",
			    "alertmanager", "err", err);
			note_attempt(SRC_AM, origin_of(&p, SRC_AM), now, err,
			    NULL);
			if ((am = old->am) != NULL)	/* the last good copy */
				__atomic_add_fetch(&am->refs, 1,
				    __ATOMIC_ACQ_REL);
		} else {
			note_attempt(SRC_AM, origin_of(&p, SRC_AM), now, NULL,
			    am_holds(am));
		}
	} else {
		note_attempt(SRC_AM, NULL, now, NULL, NULL);
	}
	if (p.nglobs > 0 || p.prom_url != NULL) {
		if (load_prom(&p, &prom, err, sizeof(err)) < 0) {
			log_error("Loading a source failed", "source",
			    "prometheus", "err", err);
			note_attempt(SRC_PROM, origin_of(&p, SRC_PROM), now,
			    err, NULL);
			if ((prom = old->prom) != NULL)
				__atomic_add_fetch(&prom->refs, 1,
				    __ATOMIC_ACQ_REL);
		} else {
			note_attempt(SRC_PROM, origin_of(&p, SRC_PROM), now,
			    NULL, prom_holds(prom));
		}
	} else {
		note_attempt(SRC_PROM, NULL, now, NULL, NULL);
	}
	/* silences: polled when Alertmanager is a URL, read from the store
	 * at start and whenever a poll changed some */
	sil = old->sil;
	if (sil != NULL)
		__atomic_add_fetch(&sil->refs, 1, __ATOMIC_ACQ_REL);
	if (p.am_url != NULL) {
		size_t n;
		int changed = poll_silences(d, &p, &n, err, sizeof(err));

		if (changed < 0) {
			log_error("Loading a source failed", "source",
			    "silences", "err", err);
			note_attempt(SRC_SIL, origin_of(&p, SRC_SIL), now, err,
			    NULL);
		} else {
			note_attempt(SRC_SIL, origin_of(&p, SRC_SIL), now, NULL,
			    json_pack("{s:I}", "silences", (json_int_t)n));
		}
		if (changed > 0) {
			sil_unref(sil);
			sil = NULL;
		}
	} else {
		note_attempt(SRC_SIL, NULL, now, NULL, NULL);
	}
	if (sil == NULL && load_silences(d, now, &sil) < 0)
		log_error("Reading the stored silences failed", "err",
		    store_errmsg(d->store));
	plan_free(&p);
	if (same_am(am, old->am) && same_prom(prom, old->prom) &&
	    sil == old->sil) {
		am_unref(am);
		prom_unref(prom);
		sil_unref(sil);
		sources_put(old);
		return refresh;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_error("Reading the sources failed", "err", "out of memory");
		am_unref(am);
		prom_unref(prom);
		sil_unref(sil);
		sources_put(old);
		return refresh;
	}
	s->refs = 1;
	s->gen = old->gen + 1;
	s->am = am;
	s->prom = prom;
	s->sil = sil;
	sources_put(old);
	pthread_mutex_lock(&lock);
	old = current;
	current = s;
	pthread_mutex_unlock(&lock);
	sources_put(old);
	/* cached analyses were made with the old routing */
	__atomic_add_fetch(&d->feedback_gen, 1, __ATOMIC_SEQ_CST);
	{
		char g[24], nf[24];

		snprintf(g, sizeof(g), "%llu", (unsigned long long)s->gen);
		snprintf(nf, sizeof(nf), "%zu", s->prom ? s->prom->nfiles : 0);
		log_info("Sources changed", "generation", g, "alertmanager",
		    s->am != NULL ? s->am->file.path : "", "rule_files", nf);
	}
	return refresh;
}

static void *
refresher(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&lock);
	while (!stopping) {
		uint64_t round = wanted;
		int64_t refresh;
		struct timespec ts;

		pthread_mutex_unlock(&lock);
		refresh = refresh_once(d);
		pthread_mutex_lock(&lock);
		done = round;
		pthread_cond_broadcast(&cond);
		if (stopping || wanted != round)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts_add_ms(&ts, refresh);
		while (!stopping && wanted == round &&
		    pthread_cond_timedwait(&cond, &lock, &ts) == 0)
			;
		if (wanted == round)
			wanted++;	/* the timer: a round of its own */
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void
sources_refresh(int64_t timeout_ms)
{
	struct timespec ts;
	uint64_t want;

	if (!started)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts_add_ms(&ts, timeout_ms);
	pthread_mutex_lock(&lock);
	want = ++wanted;
	pthread_cond_broadcast(&cond);
	while (!stopping && done < want &&
	    pthread_cond_timedwait(&cond, &lock, &ts) == 0)
		;
	pthread_mutex_unlock(&lock);
}

int
sources_start(struct daemon *d, char *err, size_t errlen)
{
	static const char *const lab[] = { "source" };
	pthread_condattr_t ca;

	m_ok = met_register(d->reg, MET_GAUGE,
	    "alertnoise_source_last_load_successful", "Whether the last "
	    "load of the source (alertmanager, prometheus) succeeded; a "
	    "failed one keeps its last good copy.", 1, lab, NULL, 0);
	m_ts = met_register(d->reg, MET_GAUGE,
	    "alertnoise_source_last_load_success_timestamp_seconds",
	    "When the source last loaded successfully.", 1, lab, NULL, 0);
	m_fail = met_register(d->reg, MET_COUNTER,
	    "alertnoise_source_load_failures_total", "Loads of the source "
	    "that failed.", 1, lab, NULL, 0);
	if ((current = calloc(1, sizeof(*current))) == NULL || m_ok == NULL ||
	    m_ts == NULL || m_fail == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	current->refs = 1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&cond);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);
	wanted = 1;
	done = 0;
	stopping = 0;
	if (pthread_create(&thread, NULL, refresher, d) != 0) {
		snprintf(err, errlen, "cannot start the sources thread");
		return -1;
	}
	started = 1;
	return 0;
}

void
sources_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	started = 0;
	sources_put(current);
	current = NULL;
	for (int i = 0; i < SRC_COUNT; i++) {
		free(status[i].origin);
		json_decref(status[i].holds);
		memset(&status[i], 0, sizeof(status[i]));
	}
}

json_t *
sources_status_json(void)
{
	json_t *arr = json_array();

	pthread_mutex_lock(&lock);
	for (int i = 0; i < SRC_COUNT; i++) {
		const struct src_status *st = &status[i];
		char at[40] = "", ok[40] = "";
		json_t *o;

		if (st->last_attempt > 0)
			ts_format_rfc3339(st->last_attempt, at, sizeof(at));
		if (st->last_success > 0)
			ts_format_rfc3339(st->last_success, ok, sizeof(ok));
		o = json_pack("{s:s, s:b, s:s?, s:s?, s:s?, s:b, s:s, s:O?}",
		    "source", src_names[i],
		    "configured", st->origin != NULL,
		    "origin", st->origin,
		    "lastAttempt", at[0] ? at : NULL,
		    "lastSuccess", ok[0] ? ok : NULL,
		    "healthy", st->origin == NULL || st->ok,
		    "lastError", st->error,
		    "holds", st->holds);
		json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&lock);
	return arr;
}
