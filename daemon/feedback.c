/* feedback.c -- human verdicts on alert episodes: POST /api/v1/feedback and
 * the one-click page GET /feedback.
 *
 * A verdict ("actionable" or "noise") is about one episode, named by a
 * fingerprint (the identity's, or Alertmanager's fingerprint of one alert)
 * and optionally a time it was firing at (else the latest episode). Every
 * verdict is kept; the last one on an episode is the one that counts
 * (store_scan_feedback).
 *
 * The API takes JSON, or an application/x-www-form-urlencoded body: what
 * the page's two buttons post (WHATWG URL Standard, section 5.1
 * "application/x-www-form-urlencoded parsing"). The page is what a link in a
 * notification opens (config/alertmanager/alertnoise-feedback.tmpl): plain
 * HTML5, inline CSS, no script, no external assets; a form post from it is
 * answered 303 See Other back to the page, so reloading it re-posts nothing.
 * A form is what any site can make a browser post, so a post a browser
 * marks as from another site (Sec-Fetch-Site, Origin) is refused before it
 * gets here (http.c cross_origin: 403).
 *
 * Rejections are answered with the JSON error envelope and logged at debug;
 * there is no rejection metric (a person typed them, nothing to alert on). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fingerprint.h"
#include "fmt.h"
#include "html.h"
#include "log.h"
#include "respond.h"
#include "routes.h"
#include "store.h"
#include "timefmt.h"
#include "utf8.h"

#define FEEDBACK_MAX_BODY	(64 * 1024)
#define NOTE_MAX		1024	/* bytes */
#define BY_MAX			256	/* bytes */
#define PAGE_MAX		(8 << 20)	/* an identity's labels are capped
						   by webhook.max_body_size */

#define CT_JSON	"application/json"
#define CT_FORM	"application/x-www-form-urlencoded"

/* What a verdict request says, validated or not yet. The strings point into
 * the request body (a form, decoded in place) or the parsed JSON document;
 * NULL: absent. */
struct verdict_req {
	const char *fingerprint, *starts_at, *verdict, *note, *by;
	const char *starts_key;	/* the name starts_at came by, for messages */
	int64_t starts_ms;	/* 0: the latest episode */
	int whole_second;	/* starts_at named a second, not a millisecond */
	int from_page;		/* form field return=1: answer 303 to the page */
};

/* A rejection: the reason logged and the message answered. */
struct failure {
	const char *reason;
	char msg[512];
};

static int
fail_with(struct failure *f, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_with(struct failure *f, const char *reason, const char *fmt, ...)
{
	va_list ap;

	f->reason = reason;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* 1 when ct is the media type want, parameters (";...") allowed. */
static int
is_type(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* RFC 3339 or Unix seconds (with fraction), as Prometheus' parseTime (and
 * api.c). *whole is set when no fraction of a second was written: such a
 * time names the whole second, since Go's time.Unix() and RFC 3339 without
 * fraction both truncate an alert's startsAt to it. */
static int
parse_time(const char *s, int64_t *ms, int *whole)
{
	*whole = strchr(s, '.') == NULL && strpbrk(s, "eE") == NULL;
	return ts_parse_param(s, ms);
}

/* --- request bodies ------------------------------------------------------ */

/* The member key of o as a string: 0 and *out (left NULL when absent or
 * null), or -1 when it has another type. */
static int
json_field(json_t *o, const char *key, const char **out, struct failure *f)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail_with(f, "bad_value", "%s: want a string", key);
	*out = json_string_value(v);
	return 0;
}

/* Fills q from a JSON object; *root owns the strings (the caller decrefs). */
static int
parse_json(const char *body, size_t len, struct verdict_req *q,
    json_t **root, struct failure *f)
{
	json_error_t je;
	json_t *o, *s;
	const char *sk = "startsAt";

	o = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	if (o == NULL)
		return fail_with(f, "invalid_json", "invalid JSON: %s (line %d, "
		    "column %d)", je.text, je.line, je.column);
	*root = o;
	if (!json_is_object(o))
		return fail_with(f, "invalid_json", "the body must be a JSON "
		    "object");
	if (json_field(o, "fingerprint", &q->fingerprint, f) < 0 ||
	    json_field(o, "verdict", &q->verdict, f) < 0 ||
	    json_field(o, "note", &q->note, f) < 0 ||
	    json_field(o, "by", &q->by, f) < 0)
		return -1;
	/* startsAt; its old spelling starts_at is still read (one release) */
	if ((s = json_object_get(o, sk)) == NULL &&
	    (s = json_object_get(o, "starts_at")) != NULL)
		sk = "starts_at";
	if (json_is_number(s)) {
		double v = json_number_value(s);

		if (!isfinite(v) || v < 0 || v > 1e13)
			return fail_with(f, "bad_value", "%s: %g is out "
			    "of range (Unix seconds)", sk, v);
		q->starts_ms = (int64_t)llround(v * 1000.0);
		q->whole_second = json_is_integer(s);
		q->starts_at = "";
		return 0;
	}
	if (s != NULL && !json_is_null(s) && !json_is_string(s))
		return fail_with(f, "bad_value", "%s: want RFC 3339 or "
		    "Unix seconds", sk);
	q->starts_key = sk;
	return json_field(o, sk, &q->starts_at, f);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes an x-www-form-urlencoded name or value in place: '+' is a space,
 * %XX the byte XX. Returns 0, or -1 on a malformed escape or %00 (the
 * strings are C strings). */
static int
form_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

/* Fills q from a form body, decoding it in place (body is NUL-terminated at
 * len). Unknown fields are ignored, a repeated one is an error. */
static int
parse_form(char *body, size_t len, struct verdict_req *q, struct failure *f)
{
	static const char *const names[] = { "fingerprint", "starts_at",
	    "verdict", "note", "by", "return" };
	const char **slots[] = { &q->fingerprint, &q->starts_at, &q->verdict,
	    &q->note, &q->by, NULL };
	const char *ret = NULL;
	char *p = body, *end = body + len;

	if (memchr(body, '\0', len) != NULL)
		return fail_with(f, "bad_value", "the form contains a NUL byte");
	slots[5] = &ret;
	while (p < end) {
		char *amp = strchr(p, '&'), *eq;
		size_t i;

		if (amp != NULL)
			*amp = '\0';
		if (*p != '\0') {
			if ((eq = strchr(p, '=')) != NULL)
				*eq++ = '\0';
			else
				eq = p + strlen(p);	/* "name": value "" */
			if (form_unescape(p) < 0 || form_unescape(eq) < 0)
				return fail_with(f, "invalid_form", "malformed "
				    "percent-encoding (or %%00) in field "
				    "\"%.40s\"", p);
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strcmp(p, names[i]) == 0)
					break;
			if (i < sizeof(names) / sizeof(names[0])) {
				if (*slots[i] != NULL)
					return fail_with(f, "invalid_form",
					    "%s: given more than once", p);
				if (!utf8_valid(eq, strlen(eq)))
					return fail_with(f, "bad_value",
					    "%s: not valid UTF-8", p);
				*slots[i] = eq;
			}
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	q->from_page = ret != NULL && strcmp(ret, "1") == 0;
	return 0;
}

/* Checks what both body formats share; sets *fp. */
static int
check_req(struct verdict_req *q, uint64_t *fp, struct failure *f)
{
	if (q->fingerprint == NULL)
		return fail_with(f, "missing_field", "fingerprint: missing");
	if (fp_parse(q->fingerprint, fp) < 0)
		return fail_with(f, "bad_value", "fingerprint: want 16 hex "
		    "digits, got \"%.40s\"", q->fingerprint);
	if (q->starts_at != NULL && q->starts_at[0] != '\0' &&
	    parse_time(q->starts_at, &q->starts_ms, &q->whole_second) < 0)
		return fail_with(f, "bad_value", "%s: invalid time \"%.64s\": "
		    "want RFC 3339 or Unix seconds", q->starts_key ?
		    q->starts_key : "starts_at", q->starts_at);
	if (q->verdict == NULL)
		return fail_with(f, "missing_field", "verdict: missing");
	if (strcmp(q->verdict, "actionable") != 0 &&
	    strcmp(q->verdict, "noise") != 0)
		return fail_with(f, "bad_value", "verdict: want \"actionable\" "
		    "or \"noise\", got \"%.40s\"", q->verdict);
	if (q->note == NULL)
		q->note = "";
	if (q->by == NULL)
		q->by = "";
	if (strlen(q->note) > NOTE_MAX)
		return fail_with(f, "bad_value", "note: longer than %d bytes",
		    NOTE_MAX);
	if (strlen(q->by) > BY_MAX)
		return fail_with(f, "bad_value", "by: longer than %d bytes",
		    BY_MAX);
	return 0;
}

/* The episode firing at starts_ms (0: the latest). A whole second is tried
 * at its last millisecond first, so an episode that started within it is
 * found; then at its start (an episode that also ended within it). */
static int
find_episode(struct store *st, uint64_t fp, int64_t starts_ms, int whole,
    struct episode *e)
{
	int rc;

	if (starts_ms != 0 && whole) {
		rc = store_find_feedback_episode(st, fp, starts_ms + 999, e);
		if (rc != 0)
			return rc;
	}
	return store_find_feedback_episode(st, fp, starts_ms, e);
}

/* What a verdict's starts_at names the episode by: the time the lookup
 * matches, coalesce(firing_at, pending_at). */
static int64_t
episode_at(const struct episode *e)
{
	return e->firing_at ? e->firing_at : e->pending_at;
}

/* --- POST /api/v1/feedback ----------------------------------------------- */

static enum MHD_Result
feedback_reject(struct MHD_Connection *c, struct request *r, int code,
    const char *reason, const char *msg)
{
	log_debug("feedback rejected", "reason", reason, "err", msg);
	return respond_json_error(c, r, code, code == 404 ? "not_found" :
	    code >= 500 ? "unavailable" : "bad_data", msg);
}

enum MHD_Result
feedback_headers(struct MHD_Connection *c, struct request *r)
{
	const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char msg[160];

	r->reject = feedback_reject;
	r->body.limit = FEEDBACK_MAX_BODY;
	if (!is_type(ct, CT_JSON) && !is_type(ct, CT_FORM)) {
		snprintf(msg, sizeof(msg), "Content-Type must be " CT_JSON
		    " or " CT_FORM ", got \"%.60s\"", ct ? ct : "");
		return feedback_reject(c, r, 415, "unsupported_media_type",
		    msg);
	}
	if (cl != NULL && strtoull(cl, NULL, 10) > r->body.limit) {
		snprintf(msg, sizeof(msg), "body of %.20s bytes exceeds the "
		    "limit of %zu bytes", cl, r->body.limit);
		return feedback_reject(c, r, 413, "too_large", msg);
	}
	return MHD_YES;
}

static json_t *
json_time(int64_t ms)
{
	char s[40];

	if (ms == 0)
		return json_null();
	ts_format_rfc3339(ms, s, sizeof(s));
	return json_string(s);
}

/* 303 See Other to the page of the episode, showing the verdict. */
static enum MHD_Result
see_page(struct MHD_Connection *c, struct request *r, const struct episode *e,
    const char *verdict)
{
	char fp[17], at[40], loc[160], body[320];

	fp_format(e->identity, fp);
	ts_format_rfc3339(episode_at(e), at, sizeof(at));
	/* all of it is [0-9a-zA-Z.:-]: nothing to percent-encode */
	snprintf(loc, sizeof(loc), "/feedback?fingerprint=%s&starts_at=%s"
	    "&recorded=%s", fp, at, verdict);
	snprintf(body, sizeof(body), "<!DOCTYPE html>\n<title>See Other"
	    "</title>\n<a href=\"/feedback?fingerprint=%s&amp;starts_at=%s"
	    "&amp;recorded=%s\">Recorded: %s</a>\n", fp, at, verdict, verdict);
	return respond_header(c, r, 303, "text/html; charset=utf-8", body,
	    strlen(body), MHD_HTTP_HEADER_LOCATION, loc);
}

enum MHD_Result
h_feedback(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	struct verdict_req q;
	struct failure f;
	struct episode e;
	struct timespec t0;
	json_t *root = NULL, *ep;
	const char *op = "put_feedback", *ct, *labels[1];
	char *body = r->body.data ? r->body.data : (char *)"";
	char fp_s[17], at[40];
	enum MHD_Result ret;
	uint64_t fp = 0;
	int rc;

	memset(&q, 0, sizeof(q));
	ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	rc = is_type(ct, CT_JSON) ?
	    parse_json(body, r->body.len, &q, &root, &f) :
	    parse_form(body, r->body.len, &q, &f);
	if (rc == 0)
		rc = check_req(&q, &fp, &f);
	if (rc < 0) {
		ret = feedback_reject(c, r, 400, f.reason, f.msg);
		goto out;
	}

	rc = find_episode(d->store, fp, q.starts_ms, q.whole_second, &e);
	if (rc < 0) {
		log_error("looking up an episode for feedback failed", "err",
		    store_errmsg(d->store));
		ret = feedback_reject(c, r, 503, "storage",
		    store_errmsg(d->store));
		goto out;
	}
	if (rc == 0) {
		if (q.starts_ms != 0) {
			ts_format_rfc3339(q.starts_ms, at, sizeof(at));
			snprintf(f.msg, sizeof(f.msg), "no alert with "
			    "fingerprint %s firing at %s", q.fingerprint, at);
		} else {
			snprintf(f.msg, sizeof(f.msg), "no alert with "
			    "fingerprint %s", q.fingerprint);
		}
		ret = feedback_reject(c, r, 404, "not_found", f.msg);
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = store_add_feedback(d->store, &e, q.verdict, q.note, q.by,
	    ts_now_ms());
	met_observe(d->m.storage_duration, &op, elapsed_seconds(&t0));
	if (rc < 0) {
		met_add(d->m.storage_errors, &op, 1);
		log_error("storing feedback failed", "err",
		    store_errmsg(d->store));
		ret = feedback_reject(c, r, 503, "storage",
		    store_errmsg(d->store));
		goto out;
	}
	labels[0] = q.verdict;
	met_add(d->m.feedback, labels, 1);
	__atomic_add_fetch(&d->feedback_gen, 1, __ATOMIC_SEQ_CST);
	fp_format(e.identity, fp_s);
	ts_format_rfc3339(episode_at(&e), at, sizeof(at));
	log_info("feedback recorded", "fingerprint", fp_s, "episode_at", at,
	    "verdict", q.verdict, "by", q.by);

	if (q.from_page) {
		ret = see_page(c, r, &e, q.verdict);
		goto out;
	}
	ep = json_pack("{s:s, s:o, s:o, s:o}", "fingerprint", fp_s,
	    "firingAt", json_time(e.firing_at),
	    "pendingAt", json_time(e.pending_at),
	    "resolvedAt", json_time(e.resolved_at));
	ret = respond_json_data(c, r, 200, json_pack("{s:o, s:s}", "episode",
	    ep, "verdict", q.verdict));
out:
	json_decref(root);
	return ret;
}

/* --- GET /feedback ------------------------------------------------------- */

static const char page_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"robots\" content=\"noindex\">\n"
    "<style>\n"
    "body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "margin:0;padding:1rem;color:#1f2328;background:#f4f5f7}\n"
    "main{max-width:44rem;margin:0 auto;background:#fff;border:1px solid "
    "#d0d7de;border-radius:8px;padding:1rem 1.5rem}\n"
    "h1{font-size:1.4rem;margin:.2rem 0 .8rem;overflow-wrap:anywhere}\n"
    "h2{font-size:1rem;margin:1.2rem 0 .3rem}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
    "th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid "
    "#eaeef2;vertical-align:top}\n"
    "th{font-weight:600;white-space:nowrap;width:1%}\n"
    "td{overflow-wrap:anywhere}\n"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace}\n"
    ".brand,.muted{color:#656d76;font-size:.85rem;margin:0}\n"
    ".ok{background:#dafbe1;border:1px solid #aceebb;border-radius:6px;"
    "padding:.5rem .8rem}\n"
    ".err{background:#ffebe9;border:1px solid #ffcecb;border-radius:6px;"
    "padding:.5rem .8rem}\n"
    ".choices{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0 1rem}\n"
    "form{flex:1 1 15rem;border:1px solid #d0d7de;border-radius:6px;"
    "padding:.8rem}\n"
    "label{display:block;font-size:.85rem;color:#656d76;"
    "margin-bottom:.5rem}\n"
    "input[type=text]{display:block;width:100%;box-sizing:border-box;"
    "font:inherit;padding:.3rem .4rem;border:1px solid #d0d7de;"
    "border-radius:4px}\n"
    "button{font:inherit;font-weight:600;width:100%;padding:.6rem;border:0;"
    "border-radius:6px;color:#fff;cursor:pointer}\n"
    ".actionable button{background:#cf222e}\n"
    ".noise button{background:#57606a}\n"
    "</style>\n";

static void
put_title(struct fmt_out *p, const char *title)
{
	fmt_put(p, page_head);
	fmt_put(p, "<title>");
	html_esc(p, title);
	fmt_put(p, " \xc2\xb7 alertnoise feedback</title>\n</head>\n<body>\n"
	    "<main>\n<p class=\"brand\">alertnoise \xc2\xb7 feedback</p>\n");
}

/* Queues the page (respond_html's headers). p stays the caller's. */
static enum MHD_Result
respond_page(struct MHD_Connection *c, struct request *r, int code,
    struct fmt_out *p)
{
	if (p->err)
		return respond_text(c, r, 500, "rendering the page failed\n");
	return respond_html(c, r, code, p->b.data ? p->b.data : "", p->b.len);
}

/* An error page: title, then what (HTML-escaped). */
static enum MHD_Result
page_error(struct MHD_Connection *c, struct request *r, int code,
    const char *title, const char *what)
{
	struct fmt_out p;
	enum MHD_Result ret;

	fmt_init(&p, PAGE_MAX);
	put_title(&p, title);
	fmt_put(&p, "<h1>");
	html_esc(&p, title);
	fmt_put(&p, "</h1>\n<p class=\"err\">");
	html_esc(&p, what);
	fmt_put(&p, "</p>\n</main>\n</body>\n</html>\n");
	ret = respond_page(c, r, code, &p);
	buf_free(&p.b);
	return ret;
}

/* What the page shows of the episode beyond struct episode: its identity's
 * alertname and labels, the receivers notified (copies, owned here), and
 * the last verdict given. */
struct ep_info {
	int64_t id;
	char *alertname;
	json_t *labels, *receivers;
	char verdict[16];
};

static int
take_row(const struct episode_row *row, void *arg)
{
	struct ep_info *in = arg;

	if (row->e.id != in->id)
		return 0;
	in->alertname = strdup(row->alertname ? row->alertname : "");
	in->labels = json_deep_copy(row->labels);
	in->receivers = json_deep_copy(row->receivers);
	return 1;
}

static int
take_verdict(int64_t episode, const char *verdict, void *arg)
{
	struct ep_info *in = arg;

	if (episode != in->id)
		return 0;
	snprintf(in->verdict, sizeof(in->verdict), "%s", verdict);
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The labels, sorted by name, as table rows. */
static void
put_labels(struct fmt_out *p, json_t *labels)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!json_is_object(labels) || json_object_size(labels) == 0)
		return;
	if ((keys = calloc(json_object_size(labels), sizeof(*keys))) == NULL) {
		p->err = 1;
		return;
	}
	json_object_foreach(labels, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	fmt_put(p, "<h2>Labels</h2>\n<table>\n");
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(labels, keys[i]);
		fmt_put(p, "<tr><th><code>");
		html_esc(p, keys[i]);
		fmt_put(p, "</code></th><td><code>");
		html_esc(p, json_is_string(v) ? json_string_value(v) : "");
		fmt_put(p, "</code></td></tr>\n");
	}
	fmt_put(p, "</table>\n");
	free(keys);
}

static void
put_time_row(struct fmt_out *p, const char *what, int64_t ms, const char *none)
{
	char s[40];

	if (ms == 0 && none == NULL)
		return;
	fmt_putf(p, "<tr><th>%s</th><td>", what);
	if (ms != 0) {
		ts_format_rfc3339(ms, s, sizeof(s));
		fmt_putf(p, "<time datetime=\"%s\">%s</time>", s, s);
	} else {
		html_esc(p, none);
	}
	fmt_put(p, "</td></tr>\n");
}

/* One of the two buttons: a form posting the verdict on the episode. */
static void
put_form(struct fmt_out *p, const char *fp, const char *at, const char *verdict,
    const char *button)
{
	fmt_putf(p, "<form class=\"%s\" method=\"post\" action=\"/api/v1/feedback\""
	    " accept-charset=\"utf-8\">\n", verdict);
	fmt_putf(p, "<input type=\"hidden\" name=\"fingerprint\" value=\"%s\">\n",
	    fp);
	fmt_putf(p, "<input type=\"hidden\" name=\"starts_at\" value=\"%s\">\n",
	    at);
	fmt_putf(p, "<input type=\"hidden\" name=\"verdict\" value=\"%s\">\n",
	    verdict);
	fmt_put(p, "<input type=\"hidden\" name=\"return\" value=\"1\">\n");
	fmt_putf(p, "<label>Note (optional)<input type=\"text\" name=\"note\" "
	    "maxlength=\"%d\"></label>\n", NOTE_MAX);
	fmt_putf(p, "<label>Your name (optional)<input type=\"text\" name=\"by\" "
	    "maxlength=\"%d\" autocomplete=\"name\"></label>\n", BY_MAX);
	fmt_putf(p, "<button type=\"submit\">%s</button>\n</form>\n", button);
}

static void
put_episode(struct fmt_out *p, const struct episode *e, const struct ep_info *in,
    const char *recorded)
{
	const char *name = in->alertname && in->alertname[0] ?
	    in->alertname : "Alert";
	char fp[17], at[40];

	fp_format(e->identity, fp);
	ts_format_rfc3339(episode_at(e), at, sizeof(at));
	put_title(p, name);
	fmt_put(p, "<h1>");
	html_esc(p, name);
	fmt_put(p, "</h1>\n");
	if (recorded != NULL) {
		fmt_put(p, "<p class=\"ok\" role=\"status\">Recorded: <strong>");
		html_esc(p, recorded);
		fmt_put(p, "</strong>. Thank you.</p>\n");
	} else if (in->verdict[0] != '\0') {
		fmt_put(p, "<p>Last verdict given: <strong>");
		html_esc(p, in->verdict);
		fmt_put(p, "</strong></p>\n");
	}
	fmt_put(p, "<table>\n");
	put_time_row(p, "Pending since", e->pending_at, NULL);
	put_time_row(p, "Firing since", e->firing_at, e->resolved_at ?
	    "never fired (ended while pending)" : "not yet (pending)");
	put_time_row(p, "Resolved", e->resolved_at,
	    e->firing_at ? "not yet" : NULL);
	fmt_putf(p, "<tr><th>Notifications</th><td>%lld",
	    (long long)e->notifications);
	if (json_array_size(in->receivers) > 0) {
		size_t i;
		json_t *v;

		fmt_put(p, " (");
		json_array_foreach(in->receivers, i, v) {
			if (i > 0)
				fmt_put(p, ", ");
			html_esc(p, json_is_string(v) ? json_string_value(v) :
			    "");
		}
		fmt_put(p, ")");
	}
	fmt_put(p, "</td></tr>\n");
	fmt_putf(p, "<tr><th>Fingerprint</th><td><code>%s</code></td></tr>\n", fp);
	fmt_put(p, "</table>\n");
	put_labels(p, in->labels);
	fmt_put(p, "<h2>Did this alert need someone to act on it?</h2>\n"
	    "<div class=\"choices\">\n");
	put_form(p, fp, at, "actionable", "Actionable");
	put_form(p, fp, at, "noise", "Noise");
	fmt_put(p, "</div>\n<p class=\"muted\">Every verdict is kept; the last "
	    "one given on an episode counts.</p>\n</main>\n</body>\n</html>\n");
}

enum MHD_Result
page_feedback(struct MHD_Connection *c, struct request *r)
{
	struct store *st = r->d->store;
	const char *fps, *starts, *recorded;
	struct ep_info in;
	struct episode e;
	struct episode_filter f;
	struct fmt_out p;
	char msg[256], at[40];
	enum MHD_Result ret;
	int64_t starts_ms = 0;
	int whole = 0, rc;
	uint64_t fp;

	fps = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "fingerprint");
	starts = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "starts_at");
	recorded = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "recorded");
	if (fps == NULL || fp_parse(fps, &fp) < 0) {
		snprintf(msg, sizeof(msg), "The link must carry fingerprint= "
		    "with 16 hex digits; got \"%.40s\".", fps ? fps : "");
		return page_error(c, r, 400, "Malformed fingerprint", msg);
	}
	if (starts != NULL && starts[0] != '\0' &&
	    parse_time(starts, &starts_ms, &whole) < 0) {
		snprintf(msg, sizeof(msg), "starts_at must be RFC 3339 or Unix "
		    "seconds; got \"%.64s\".", starts);
		return page_error(c, r, 400, "Malformed time", msg);
	}
	if (recorded != NULL && strcmp(recorded, "actionable") != 0 &&
	    strcmp(recorded, "noise") != 0)
		recorded = NULL;

	rc = find_episode(st, fp, starts_ms, whole, &e);
	if (rc < 0) {
		log_error("looking up an episode for feedback failed", "err",
		    store_errmsg(st));
		return page_error(c, r, 503, "Store unavailable",
		    store_errmsg(st));
	}
	if (rc == 0) {
		if (starts_ms != 0) {
			ts_format_rfc3339(starts_ms, at, sizeof(at));
			snprintf(msg, sizeof(msg), "alertnoise knows no alert "
			    "with fingerprint %s firing at %s. It may be older "
			    "than the store's retention, or alertnoise never "
			    "received it.", fps, at);
		} else {
			snprintf(msg, sizeof(msg), "alertnoise knows no alert "
			    "with fingerprint %s. It may be older than the "
			    "store's retention, or alertnoise never received "
			    "it.", fps);
		}
		return page_error(c, r, 404, "Unknown alert", msg);
	}

	/* the identity's labels: the episodes under way when this one
	 * started, this one among the first (latest start first) */
	memset(&in, 0, sizeof(in));
	in.id = e.id;
	memset(&f, 0, sizeof(f));
	f.since = f.until = EPISODE_START(&e);
	if (store_query_episodes(st, &f, take_row, &in) < 0)
		log_error("querying an episode for the feedback page failed",
		    "err", store_errmsg(st));
	if (e.firing_at != 0 && store_scan_feedback(st, e.firing_at,
	    e.firing_at + 1, take_verdict, &in) < 0)
		log_error("reading feedback for the feedback page failed",
		    "err", store_errmsg(st));

	fmt_init(&p, PAGE_MAX);
	put_episode(&p, &e, &in, recorded);
	ret = respond_page(c, r, 200, &p);
	buf_free(&p.b);
	free(in.alertname);
	json_decref(in.labels);
	json_decref(in.receivers);
	return ret;
}
