/* import.c -- `alertnoised import`: backfills alert episodes from a
 * Prometheus server's HTTP API (prometheus/docs docs/querying/api.md).
 *
 * The ALERTS and ALERTS_FOR_STATE history is read with /api/v1/query_range,
 * chunk by chunk; a chunk holds at most MAX_STEPS steps, as Prometheus
 * refuses more than 11000 points per series. Each chunk becomes one
 * struct rw_request applied with ingest_samples (one transaction) as source
 * "import", exactly as remote-written samples would be. ingest ignores
 * samples at or before a series' last applied one, so importing a range
 * again stores nothing twice.
 *
 * A range query has no staleness markers: a series is only absent at the
 * steps where PromQL found no sample. They are synthesized, so that ingest
 * sees runs end as it does over remote write:
 * - a series absent at the step after one of its points gets a stale marker
 *   at that step (last point + step), whether the gap is inside a chunk or
 *   at a chunk boundary: the series table keeps every series' last point for
 *   the whole import, so a run crossing a boundary is not split;
 * - a series present at the import's last step gets none: still active;
 * - a series whose first point comes after the import's first step gets one
 *   a step before that point, ending a run the store may still hold open
 *   from an earlier import that did not overlap this one (on a series the
 *   store has not seen, or has seen end, a marker changes nothing).
 *
 * A chunk's samples go to ingest_samples as one request, which applies
 * them in time order across series, as the joins need.
 *
 * Point times are step times: an evaluation at e shows at the first step at
 * or after e, so imported times are up to a step late (pending_at is exact
 * where ALERTS_FOR_STATE gives activeAt). */
#include "flags.h"
#include "import.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "httpc.h"
#include "ingest.h"
#include "intern.h"
#include "log.h"
#include "reload.h"
#include "rw_decode.h"
#include "store.h"
#include "timefmt.h"

#define MAX_BODY	((size_t)256 << 20)	/* one API response */
#define MAX_KEY		((size_t)1 << 20)	/* one series' labels */
#define MAX_LABELS	128	/* labels of a series, as ingest takes */
#define MAX_STEPS	10000	/* points per series per query */
#define TIMEOUT_S	120L	/* one API request */
#define CONNECT_TIMEOUT_S 10L
#define DEFAULT_SINCE	"30d"
#define DEFAULT_STEP_MS	60000LL	/* when no rule group says otherwise */
#define MAX_CHUNK_MS	86400000LL

static const char *const series_names[] = { "ALERTS", "ALERTS_FOR_STATE" };

struct import_flags {
	const char *url, *since, *until, *step, *chunk;
	struct flags common;	/* over the config file (reload.h) */
};

/* --- memory: running out ends the command (daemon/ may; lib/ may not) -- */

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		goto nomem;
	if ((p = realloc(p, n != 0 && size != 0 ? n * size : 1)) == NULL)
		goto nomem;
	return p;
nomem:
	fputs("alertnoised import: error: out of memory\n", stderr);
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL) {
		fputs("alertnoised import: error: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xreallocarray(NULL, n, 1), s, n);
}

/* --- time ---------------------------------------------------------------- */

static double
stale_marker(void)
{
	uint64_t bits = 0x7ff0000000000002ULL;
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* RFC 3339 without the milliseconds when they are 0. out: 32 bytes. */
static void
fmt_time(int64_t ms, char *out, size_t outlen)
{
	char *dot;

	ts_format_rfc3339(ms, out, outlen);
	if ((dot = strstr(out, ".000Z")) != NULL)
		memcpy(dot, "Z", 2);
}

/* Seconds with milliseconds, as the API takes times and steps. */
static void
fmt_seconds(int64_t ms, char *out, size_t outlen)
{
	snprintf(out, outlen, "%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
}

/* --- the Prometheus HTTP API --------------------------------------------- */

struct prom {
	CURL *curl;
	char *base;		/* URL up to the API, no trailing '/'; owned */
	char *shown;		/* base without user:password, for messages */
	struct httpc_body body;	/* the last response, MAX_BODY at most */
	long code;		/* HTTP status of the last response, or 0 */
	char cerr[CURL_ERROR_SIZE];
};

/* Checks url (http or https, no query or fragment) and sets up p. Returns 0,
 * or -1 with err; p needs prom_close either way. */
static int
prom_open(struct prom *p, const char *url, char *err, size_t errlen)
{
	CURLU *u;
	char *scheme = NULL, *s = NULL, *q = NULL, *frag = NULL;
	int result = -1;

	memset(p, 0, sizeof(*p));
	buf_init(&p->body.buf, MAX_BODY);
	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "--prometheus.url: \"%s\" is not an "
		    "http:// or https:// URL", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "--prometheus.url: \"%s\": give the "
		    "server's address without a query or fragment", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto nomem;
	p->base = httpc_strip_slashes(xstrdup(s));
	curl_free(s);
	s = NULL;
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto nomem;
	p->shown = httpc_strip_slashes(xstrdup(s));

	if ((p->curl = httpc_new(&p->body, MAX_BODY, p->cerr)) == NULL)
		goto nomem;
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, TIMEOUT_S);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	result = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	curl_free(scheme);
	curl_free(s);
	curl_free(q);
	curl_free(frag);
	curl_url_cleanup(u);
	return result;
}

static void
prom_close(struct prom *p)
{
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	free(p->base);
	free(p->shown);
	buf_free(&p->body.buf);
}

/* A printable excerpt of the last response body, for error messages. */
static void
body_excerpt(const struct prom *p, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < p->body.buf.len && n + 4 < outlen && i < 200; i++) {
		unsigned char c = (unsigned char)p->body.buf.data[i];

		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	if (p->body.buf.len > 200 && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Calls the API at path: a GET, or a POST of the url-encoded form when form
 * is not NULL. On success returns 0 and *root (the caller json_decrefs it),
 * whose "data" member is an object. On failure -- transport, HTTP status,
 * size, not JSON, an error envelope -- returns -1 with err (p->code is the
 * HTTP status, 0 when none came). */
static int
prom_call(struct prom *p, const char *path, const char *form, json_t **root,
    char *err, size_t errlen)
{
	const char *method = form != NULL ? "POST" : "GET";
	json_t *j = NULL, *w;
	json_error_t jerr;
	char *url, excerpt[256];
	size_t n = strlen(p->base) + strlen(path) + 1;
	int64_t t0 = ts_now_ms();
	CURLcode cc;
	int result = -1;

	*root = NULL;
	url = xreallocarray(NULL, n, 1);
	snprintf(url, n, "%s%s", p->base, path);
	httpc_body_reset(&p->body);
	p->code = 0;
	p->cerr[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	if (form != NULL)
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, form);
	else
		curl_easy_setopt(p->curl, CURLOPT_HTTPGET, 1L);
	cc = curl_easy_perform(p->curl);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &p->code);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen, "%s %s%s: no complete answer within "
		    "%ld s (connect timeout %ld s)", method, p->shown, path,
		    TIMEOUT_S, CONNECT_TIMEOUT_S);
		goto out;
	}
	if (p->body.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "%s %s%s: the answer is larger than "
		    "%zu MiB; try a smaller --chunk", method, p->shown, path,
		    MAX_BODY >> 20);
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s %s%s: %s%s%s%s", method, p->shown,
		    path, curl_easy_strerror(cc), p->cerr[0] ? " (" : "",
		    p->cerr, p->cerr[0] ? ")" : "");
		goto out;
	}
	j = json_loadb(p->body.buf.data != NULL ? p->body.buf.data : "", p->body.buf.len,
	    0, &jerr);
	if (p->code < 200 || p->code > 299) {
		const char *et = json_string_value(json_object_get(j,
		    "errorType"));
		const char *em = json_string_value(json_object_get(j, "error"));

		if (em != NULL)
			snprintf(err, errlen, "%s %s%s: HTTP %ld: %s%s%s",
			    method, p->shown, path, p->code, et ? et : "",
			    et ? ": " : "", em);
		else {
			body_excerpt(p, excerpt, sizeof(excerpt));
			snprintf(err, errlen, "%s %s%s: HTTP %ld: %s", method,
			    p->shown, path, p->code, excerpt);
		}
		goto out;
	}
	if (j == NULL) {
		body_excerpt(p, excerpt, sizeof(excerpt));
		snprintf(err, errlen, "%s %s%s: not a Prometheus API answer "
		    "(%s at byte %d): %s", method, p->shown, path, jerr.text,
		    jerr.position, excerpt);
		goto out;
	}
	if (!json_is_string(json_object_get(j, "status")) ||
	    strcmp(json_string_value(json_object_get(j, "status")),
	    "success") != 0) {
		const char *em = json_string_value(json_object_get(j, "error"));

		snprintf(err, errlen, "%s %s%s: Prometheus answered: %s",
		    method, p->shown, path, em ? em : "no \"success\" status");
		goto out;
	}
	if (!json_is_object(json_object_get(j, "data"))) {
		snprintf(err, errlen, "%s %s%s: the answer has no \"data\" "
		    "object", method, p->shown, path);
		goto out;
	}
	if (json_is_array(w = json_object_get(j, "warnings"))) {
		size_t i;
		json_t *v;

		json_array_foreach(w, i, v)
			if (json_is_string(v))
				fprintf(stderr, "import: warning: Prometheus: "
				    "%s\n", json_string_value(v));
	}
	{
		char ms[24], bytes[24];

		snprintf(ms, sizeof(ms), "%lld", (long long)(ts_now_ms() - t0));
		snprintf(bytes, sizeof(bytes), "%zu", p->body.buf.len);
		log_debug("Prometheus API answer", "path", path, "bytes",
		    bytes, "duration_ms", ms);
	}
	*root = j;
	j = NULL;
	result = 0;
out:
	json_decref(j);
	free(url);
	return result;
}

/* The smallest evaluation interval of the rule groups holding alerting
 * rules (/api/v1/rules: data.groups[].interval in seconds), or 0 when there
 * is none. Returns 0, or -1 with err. */
static int
detect_step(struct prom *p, int64_t *step, char *err, size_t errlen)
{
	json_t *root, *groups, *g;
	size_t i;

	*step = 0;
	if (prom_call(p, "/api/v1/rules", NULL, &root, err, errlen) < 0)
		return -1;
	groups = json_object_get(json_object_get(root, "data"), "groups");
	json_array_foreach(groups, i, g) {
		json_t *rules = json_object_get(g, "rules"), *r;
		double iv = json_number_value(json_object_get(g, "interval"));
		int alerting = 0;
		size_t k;
		int64_t ms;

		json_array_foreach(rules, k, r) {
			const char *type = json_string_value(
			    json_object_get(r, "type"));

			if (type != NULL && strcmp(type, "alerting") == 0)
				alerting = 1;
		}
		if (!alerting || !isfinite(iv) || iv <= 0 || iv > 1e9)
			continue;
		ms = llround(iv * 1000.0);
		if (ms > 0 && (*step == 0 || ms < *step))
			*step = ms;
	}
	json_decref(root);
	return 0;
}

/* The value node of key in a YAML mapping node, or NULL. */
static yaml_node_t *
yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(d, pair->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, pair->value);
	}
	return NULL;
}

/* The server's global.external_labels, from /api/v1/status/config: labels
 * remote write and notified alerts carry but range queries do not, and
 * which alert identities include. Appends name, value, ... to *ext (owned
 * by the caller). Returns 0 (also when the server has none), 1 when the
 * server does not tell (err says why), -1 with err. */
static int
external_labels(struct prom *p, char ***ext, size_t *next, char *err,
    size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *el;
	yaml_node_pair_t *pair;
	json_t *root;
	const char *text;
	int result = 1;

	if (prom_call(p, "/api/v1/status/config", NULL, &root, err,
	    errlen) < 0)
		return p->code >= 400 && p->code <= 499 ? 1 : -1;
	text = json_string_value(json_object_get(json_object_get(root,
	    "data"), "yaml"));
	if (text == NULL) {
		snprintf(err, errlen, "/api/v1/status/config has no \"yaml\"");
		json_decref(root);
		return 1;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		json_decref(root);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "/api/v1/status/config: %s",
		    parser.problem ? parser.problem : "bad YAML");
		goto out_parser;
	}
	el = yaml_get(&doc, yaml_get(&doc, yaml_document_get_root_node(&doc),
	    "global"), "external_labels");
	result = 0;
	if (el != NULL && el->type == YAML_MAPPING_NODE) {
		for (pair = el->data.mapping.pairs.start;
		    pair < el->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(&doc,
			    pair->key);
			yaml_node_t *v = yaml_document_get_node(&doc,
			    pair->value);

			if (k == NULL || v == NULL ||
			    k->type != YAML_SCALAR_NODE ||
			    v->type != YAML_SCALAR_NODE ||
			    v->data.scalar.length == 0)
				continue;
			*ext = xreallocarray(*ext, *next + 2, sizeof(**ext));
			(*ext)[(*next)++] = xstrdup(
			    (const char *)k->data.scalar.value);
			(*ext)[(*next)++] = xstrdup(
			    (const char *)v->data.scalar.value);
		}
	}
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	json_decref(root);
	return result;
}

/* --- the series seen during the import ----------------------------------- */

/* One series: its labels, where its run stands, and the samples built for
 * the chunk being applied. Owned by the table. */
struct series {
	const char *key;	/* name\0value\0... sorted by name: the
				   table's copy (struct intern) */
	size_t keylen;
	struct rw_label *labels;	/* pointing into key */
	size_t nlabels;
	int64_t last;		/* its last point; INT64_MIN before one */
	int open;		/* no stale marker since last */
	int seen;		/* has points in this chunk */
	struct rw_sample *samples;	/* this chunk's */
	size_t nsamples, cap;
};

/* Series in order of first appearance: v[i] is the one whose key is
 * number i of keys. */
struct table {
	struct intern keys;
	struct series **v;
	size_t n, cap;
};

/* Finds the series with this key, adding it when new. */
static struct series *
table_get(struct table *t, const char *key, size_t keylen)
{
	struct series *s;
	size_t id, i;

	if (intern_put(&t->keys, key, keylen, &id) < 0) {
		fputs("alertnoised import: error: out of memory\n", stderr);
		exit(1);
	}
	if (id < t->n)
		return t->v[id];

	s = xcalloc(1, sizeof(*s));
	s->key = intern_str(&t->keys, id);	/* the table's */
	s->keylen = keylen;
	s->last = INT64_MIN;
	/* key holds name\0value\0 pairs: half its NULs */
	for (i = 0; i < keylen; i++)
		s->nlabels += s->key[i] == '\0';
	s->nlabels /= 2;
	s->labels = xcalloc(s->nlabels, sizeof(*s->labels));
	for (size_t off = 0, k = 0; k < s->nlabels; k++) {
		s->labels[k].name = s->key + off;
		off += strlen(s->key + off) + 1;
		s->labels[k].value = s->key + off;
		off += strlen(s->key + off) + 1;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n++] = s;
	return s;
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i]->labels);
		free(t->v[i]->samples);
		free(t->v[i]);
	}
	free(t->v);
	intern_free(&t->keys);
}

/* --- building and applying chunks ---------------------------------------- */

struct importer {
	struct store *st;
	struct ingest_opts opts;
	int64_t start, end, step, chunk;	/* ms; points at start + k *
						   step, k >= 0, up to end */
	char **ext;		/* external labels: name, value, ...; owned */
	size_t next;
	struct table tab;
	struct buf key;		/* scratch for a series' key */
	size_t chunk_points;
	size_t nskipped;	/* series with too many labels */
	struct ingest_result total;
};

static void
push(struct series *s, int64_t ts, double v)
{
	if (s->nsamples == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->samples = xreallocarray(s->samples, s->cap,
		    sizeof(*s->samples));
	}
	s->samples[s->nsamples].ts_ms = ts;
	s->samples[s->nsamples].value = v;
	s->nsamples++;
}

/* Adds a point of s, with the stale marker of a gap before it. */
static void
add_point(struct importer *im, struct series *s, int64_t ts, double v)
{
	if (ts <= s->last)
		return;		/* cannot happen: points ascend */
	if (s->last == INT64_MIN) {
		if (ts - im->step >= im->start)
			push(s, ts - im->step, stale_marker());
	} else if (s->open && ts - s->last > im->step) {
		push(s, s->last + im->step, stale_marker());
	}
	push(s, ts, v);
	s->last = ts;
	s->open = 1;
	s->seen = 1;
	im->chunk_points++;
}

struct label_ref {
	const char *name, *value;
};

static int
label_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label_ref *)a)->name,
	    ((const struct label_ref *)b)->name);
}

/* Appends the points of one matrix result element (query name) to its
 * series. Returns 0, or -1 with err. */
static int
add_result(struct importer *im, const char *name, json_t *item, char *err,
    size_t errlen)
{
	json_t *metric = json_object_get(item, "metric");
	json_t *values = json_object_get(item, "values"), *v, *pt;
	struct label_ref l[MAX_LABELS];
	const char *k;
	struct series *s;
	size_t n = 0, i;
	int has_name = 0;

	if (!json_is_object(metric) || !json_is_array(values)) {
		snprintf(err, errlen, "query %s: a result without \"metric\" "
		    "and \"values\"", name);
		return -1;
	}
	json_object_foreach(metric, k, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			continue;
		if (n == MAX_LABELS)
			goto toomany;
		if (strcmp(k, "__name__") == 0)
			has_name = 1;
		l[n].name = k;
		l[n++].value = json_string_value(v);
	}
	if (!has_name) {
		if (n == MAX_LABELS)
			goto toomany;
		l[n].name = "__name__";
		l[n++].value = name;
	}
	/* what remote write adds: the external labels the series lacks */
	for (i = 0; i < im->next; i += 2) {
		if (json_object_get(metric, im->ext[i]) != NULL)
			continue;
		if (n == MAX_LABELS)
			goto toomany;
		l[n].name = im->ext[i];
		l[n++].value = im->ext[i + 1];
	}
	qsort(l, n, sizeof(*l), label_ref_cmp);
	buf_reset(&im->key);
	for (i = 0; i < n; i++)
		if (buf_append(&im->key, l[i].name, strlen(l[i].name) + 1) < 0 ||
		    buf_append(&im->key, l[i].value,
		    strlen(l[i].value) + 1) < 0) {
			snprintf(err, errlen, "query %s: a series' labels are "
			    "larger than %zu bytes", name, MAX_KEY);
			return -1;
		}
	s = table_get(&im->tab, im->key.data, im->key.len);

	json_array_foreach(values, i, pt) {
		json_t *jt = json_array_get(pt, 0), *jv = json_array_get(pt, 1);
		const char *sv = json_string_value(jv);
		char *end;
		double t, val;

		if (!json_is_array(pt) || !json_is_number(jt) || sv == NULL) {
			snprintf(err, errlen, "query %s: a point is not "
			    "[time, \"value\"]", name);
			return -1;
		}
		t = json_number_value(jt);
		val = strtod(sv, &end);
		if (!isfinite(t) || end == sv || *end != '\0') {
			snprintf(err, errlen, "query %s: a bad point [%g, "
			    "\"%.40s\"]", name, t, sv);
			return -1;
		}
		add_point(im, s, llround(t * 1000.0), val);
	}
	return 0;
toomany:
	im->nskipped++;
	return 0;
}

/* Ends the runs of the chunk [cs, ce] and applies its samples, every series
 * in one request (ingest_samples applies them in time order). Returns 0, or
 * -1 with err. */
static int
apply_chunk(struct importer *im, int64_t ce, size_t *nseries, char *err,
    size_t errlen)
{
	struct rw_request req;
	struct ingest_result res;
	size_t i;
	int result = -1;

	*nseries = 0;
	memset(&req, 0, sizeof(req));
	req.version = RW_V1;
	req.series = xcalloc(im->tab.n ? im->tab.n : 1, sizeof(*req.series));
	for (i = 0; i < im->tab.n; i++) {
		struct series *s = im->tab.v[i];
		struct rw_series *rs;

		/* absent at the step after its last point, which this chunk
		 * covers: the run ended there */
		if (s->open && s->last < ce) {
			push(s, s->last + im->step, stale_marker());
			s->open = 0;
		}
		*nseries += s->seen;
		if (s->nsamples == 0)
			continue;
		rs = &req.series[req.nseries++];
		rs->labels = s->labels;
		rs->nlabels = s->nlabels;
		rs->samples = s->samples;
		rs->nsamples = s->nsamples;
		rs->valid = 1;
		req.nsamples += s->nsamples;
	}
	if (req.nseries > 0 && ingest_samples(im->st, &req, ts_now_ms(),
	    &im->opts, &res) < 0) {
		snprintf(err, errlen, "storing the samples failed: %s",
		    store_errmsg(im->st));
		goto out;
	}
	if (req.nseries > 0) {
		im->total.samples_applied += res.samples_applied;
		im->total.samples_old += res.samples_old;
		im->total.samples_ignored += res.samples_ignored;
		im->total.episodes_opened += res.episodes_opened;
		im->total.episodes_resolved += res.episodes_resolved;
	}
	result = 0;
out:
	for (i = 0; i < im->tab.n; i++) {
		im->tab.v[i]->nsamples = 0;
		im->tab.v[i]->seen = 0;
	}
	free(req.series);
	return result;
}

/* Reads the chunk [cs, ce] of both series names and applies it. */
static int
import_chunk(struct importer *im, struct prom *p, int64_t cs, int64_t ce,
    size_t *nseries, char *err, size_t errlen)
{
	char start[32], end[32], step[32], form[256];

	fmt_seconds(cs, start, sizeof(start));
	fmt_seconds(ce, end, sizeof(end));
	fmt_seconds(im->step, step, sizeof(step));
	im->chunk_points = 0;
	for (size_t q = 0; q < 2; q++) {
		json_t *root, *data, *result, *item;
		const char *rt;
		size_t i;

		snprintf(form, sizeof(form), "query=%s&start=%s&end=%s&step=%s",
		    series_names[q], start, end, step);
		if (prom_call(p, "/api/v1/query_range", form, &root, err,
		    errlen) < 0) {
			size_t len = strlen(err);

			if (p->code == 422 || p->code == 503)
				snprintf(err + len, errlen - len, "; a smaller "
				    "--chunk may help");
			return -1;
		}
		data = json_object_get(root, "data");
		rt = json_string_value(json_object_get(data, "resultType"));
		result = json_object_get(data, "result");
		if (rt == NULL || strcmp(rt, "matrix") != 0 ||
		    !json_is_array(result)) {
			snprintf(err, errlen, "query %s: the answer is not a "
			    "matrix", series_names[q]);
			json_decref(root);
			return -1;
		}
		json_array_foreach(result, i, item)
			if (add_result(im, series_names[q], item, err,
			    errlen) < 0) {
				json_decref(root);
				return -1;
			}
		json_decref(root);
	}
	return apply_chunk(im, ce, nseries, err, errlen);
}

/* --- the command ---------------------------------------------------------- */

static void
usage(FILE *f, const char *default_config)
{
	fprintf(f,
"usage: alertnoised import --prometheus.url=URL [<flags>]\n"
"\n"
"Backfills alert episodes from the ALERTS and ALERTS_FOR_STATE history of a\n"
"Prometheus server (its HTTP API, /api/v1/query_range), as source \"import\".\n"
"Works with the daemon running or stopped. Importing a range again stores\n"
"nothing twice.\n"
"\n"
"Flags:\n"
"  -h, --help                 Show this help and exit.\n"
"      --prometheus.url=URL   The Prometheus server (http:// or https://).\n"
"      --since=DURATION       How far back from --until to start (default\n"
"                             " DEFAULT_SINCE ").\n"
"      --until=TIME           Where to end: RFC 3339 or Unix seconds\n"
"                             (default now).\n"
"      --step=DURATION        Query resolution (default: the smallest\n"
"                             evaluation interval of the server's alerting\n"
"                             rule groups, else 1m).\n"
"      --chunk=DURATION       Time range per query and transaction (default\n"
"                             the smaller of 1d and 10000 steps; at most\n"
"                             10000 steps).\n"
"      --config.file=PATH     Configuration file (default \"%s\").\n"
"      --storage.path=DIR     Directory of the embedded store (default from\n"
"                             the config).\n"
"      --log.level=LEVEL      debug, info, warn or error (default info).\n"
"      --log.format=FORMAT    logfmt or json (default logfmt).\n",
	    default_config);
}

/* Parses argv into f. Returns 0, 1 after --help, or 2 (the exit status)
 * after printing what is wrong. */
static int
parse_flags(int argc, char **argv, struct import_flags *f,
    const char *default_config)
{
	int help = 0, rc;
	const struct flag_def defs[] = {
		{ "-h", FLAG_STOP, .on = &help },
		{ "--help", FLAG_STOP, .on = &help },
		{ "--prometheus.url", FLAG_VALUE, .value = &f->url },
		{ "--since", FLAG_VALUE, .value = &f->since },
		{ "--until", FLAG_VALUE, .value = &f->until },
		{ "--step", FLAG_VALUE, .value = &f->step },
		{ "--chunk", FLAG_VALUE, .value = &f->chunk },
		{ "--config.file", FLAG_VALUE,
		    .value = &f->common.config_file },
		{ "--storage.path", FLAG_VALUE,
		    .value = &f->common.storage_path },
		{ "--log.level", FLAG_VALUE,
		    .value = &f->common.log_level },
		{ "--log.format", FLAG_VALUE,
		    .value = &f->common.log_format },
	};

	memset(f, 0, sizeof(*f));
	f->common.config_file = default_config;
	f->since = DEFAULT_SINCE;
	rc = flags_parse(argc, argv, defs, sizeof(defs) / sizeof(defs[0]),
	    "alertnoised import", stderr);
	if (rc == 1)
		usage(stdout, default_config);
	if (rc != 0)
		return rc;
	if (f->url == NULL) {
		fprintf(stderr, "alertnoised import: error: --prometheus.url "
		    "is required, try --help\n");
		return 2;
	}
	return 0;
}

/* Sets the import's range and step from the flags (the step detected on
 * the server unless given). Returns 0; or the exit status with err: 2 for a
 * bad flag, 1 when the server failed. */
static int
plan(struct importer *im, const struct import_flags *f, struct prom *p,
    char *err, size_t errlen)
{
	int64_t since, until, r;

	if (cfg_parse_duration(f->since, &since) < 0 || since <= 0) {
		snprintf(err, errlen, "--since: \"%s\" is not a positive "
		    "duration", f->since);
		return 2;
	}
	until = ts_now_ms();
	if (f->until != NULL && ts_parse_param(f->until, &until) < 0) {
		snprintf(err, errlen, "--until: \"%s\" is neither an RFC 3339 "
		    "time nor Unix seconds", f->until);
		return 2;
	}
	if (f->step != NULL) {
		if (cfg_parse_duration(f->step, &im->step) < 0 ||
		    im->step <= 0) {
			snprintf(err, errlen, "--step: \"%s\" is not a positive "
			    "duration", f->step);
			return 2;
		}
	} else {
		if (detect_step(p, &im->step, err, errlen) < 0) {
			if (p->code < 400 || p->code > 499)
				return 1;
			fprintf(stderr, "import: warning: no rule groups (%s); "
			    "--step 1m\n", err);
			im->step = 0;
		}
		if (im->step == 0)
			im->step = DEFAULT_STEP_MS;
	}
	if (f->chunk != NULL) {
		if (cfg_parse_duration(f->chunk, &im->chunk) < 0 ||
		    im->chunk < im->step || im->chunk / im->step > MAX_STEPS) {
			snprintf(err, errlen, "--chunk: \"%s\" is not a duration "
			    "of 1 to %d steps", f->chunk, MAX_STEPS);
			return 2;
		}
	} else {
		im->chunk = MAX_CHUNK_MS;
		if (im->chunk / im->step > MAX_STEPS)
			im->chunk = MAX_STEPS * im->step;
		if (im->chunk < im->step)
			im->chunk = im->step;
	}
	im->chunk -= im->chunk % im->step;
	if (since > until) {
		snprintf(err, errlen, "--since reaches before 1970");
		return 2;
	}
	r = until - since;
	im->start = r - r % im->step;	/* r >= 0 */
	im->end = im->start + (until - im->start) / im->step * im->step;
	return 0;
}

int
import_run(int argc, char **argv, const char *default_config)
{
	struct import_flags f;
	struct an_config *cfg = NULL;
	struct importer im;
	struct prom p;
	char err[2048], a[32], b[32], step[32], chunk[32];
	size_t nchunks, k;
	int rc, result = 1, curl_up = 0;

	memset(&p, 0, sizeof(p));
	memset(&im, 0, sizeof(im));
	buf_init(&p.body.buf, MAX_BODY);
	buf_init(&im.key, MAX_KEY);
	if ((rc = parse_flags(argc, argv, &f, default_config)) != 0)
		return rc == 1 ? 0 : rc;
	if ((cfg = daemon_load_config(&f.common, err, sizeof(err))) == NULL) {
		fprintf(stderr, "alertnoised import: error: %s\n", err);
		return 1;
	}
	log_setup(cfg->log_level, cfg->log_format);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, sizeof(err), "initializing libcurl failed");
		goto fail;
	}
	curl_up = 1;
	if (prom_open(&p, f.url, err, sizeof(err)) < 0) {
		result = 2;
		goto fail;
	}
	if ((rc = plan(&im, &f, &p, err, sizeof(err))) != 0) {
		result = rc;
		goto fail;
	}
	if ((rc = external_labels(&p, &im.ext, &im.next, err,
	    sizeof(err))) < 0)
		goto fail;
	if (rc == 1)
		fprintf(stderr, "import: warning: the server's external labels "
		    "are unknown (%s); importing without them\n", err);

	if (store_open("sqlite", cfg->storage_path, &im.st, err,
	    sizeof(err)) < 0)
		goto fail;
	im.opts.replica_labels = (const char *const *)cfg->replica_labels;
	im.opts.nreplica = cfg->n_replica_labels;
	im.opts.join_tolerance_ms = cfg->join_tolerance_ms;
	im.opts.source = EP_SRC_IMPORT;

	nchunks = (size_t)((im.end - im.start) / im.chunk) + 1;
	fmt_time(im.start, a, sizeof(a));
	fmt_time(im.end, b, sizeof(b));
	cfg_format_duration(im.step, step, sizeof(step));
	cfg_format_duration(im.chunk, chunk, sizeof(chunk));
	fprintf(stderr, "import: %s from %s .. %s, step %s, %zu chunk%s of "
	    "%s, into %s\n", p.shown, a, b, step, nchunks,
	    nchunks == 1 ? "" : "s", chunk, cfg->storage_path);
	for (k = 0; k < nchunks; k++) {
		int64_t cs = im.start + (int64_t)k * im.chunk;
		int64_t ce = cs + im.chunk - im.step;
		size_t nseries;

		if (ce > im.end)
			ce = im.end;
		if (import_chunk(&im, &p, cs, ce, &nseries, err,
		    sizeof(err)) < 0) {
			size_t len = strlen(err);

			snprintf(err + len, sizeof(err) - len, " (chunk %zu of "
			    "%zu; the chunks before it are stored, running "
			    "the import again is safe)", k + 1, nchunks);
			goto fail;
		}
		fmt_time(cs, a, sizeof(a));
		fmt_time(ce, b, sizeof(b));
		fprintf(stderr, "import: %s .. %s  %zu samples  %zu series  "
		    "(%zu/%zu chunks)\n", a, b, im.chunk_points, nseries,
		    k + 1, nchunks);
	}
	if (im.nskipped)
		fprintf(stderr, "import: warning: %zu series with more than %d "
		    "labels skipped\n", im.nskipped, MAX_LABELS);
	fprintf(stderr, "import: done: %zu samples applied, %zu episodes "
	    "opened, %zu resolved\n", im.total.samples_applied,
	    im.total.episodes_opened, im.total.episodes_resolved);
	if (im.total.samples_old)
		fprintf(stderr, "import: %zu samples were at or before what "
		    "the store already had of their series, and skipped\n",
		    im.total.samples_old);
	result = 0;
	goto out;
fail:
	fprintf(stderr, "alertnoised import: error: %s\n", err);
out:
	store_close(im.st);
	table_free(&im.tab);
	for (k = 0; k < im.next; k++)
		free(im.ext[k]);
	free(im.ext);
	buf_free(&im.key);
	prom_close(&p);
	if (curl_up)
		curl_global_cleanup();
	cfg_free(cfg);
	return result;
}
