/* links.c -- the links of an alert (links.h): checked and percent-encoded
 * URLs, the Alertmanager silence filter, and their JSON, HTML and Markdown
 * renderings. */
#include "links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fmt.h"
#include "html.h"
#include "store.h"

#define LINK_MAX	((size_t)64 << 10)	/* bytes of one made link */

static const char hex[] = "0123456789ABCDEF";

static int
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* RFC 3986 section 2: the unreserved and reserved characters, and '%'
 * (taken to start an encoding the URL already has). */
static int
url_char(unsigned char c)
{
	return unreserved(c) || (c != 0 && strchr(":/?#[]@!$&'()*+,;=%",
	    c) != NULL);
}

static int
put_pct(struct buf *b, unsigned char c)
{
	char e[3] = { '%', hex[c >> 4], hex[c & 15] };

	return buf_append(b, e, 3);
}

int
links_pct_encode(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((unreserved(c) ? buf_append(b, s, 1) : put_pct(b, c)) < 0)
			return -1;
	}
	return 0;
}

/* A checked URL, its bytes outside url_char percent-encoded, without the
 * trailing slashes when trim. */
static int
put_url(struct buf *b, const char *s, int trim)
{
	size_t n = strlen(s);

	while (trim && n > 0 && s[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((url_char(c) ? buf_append(b, s + i, 1) : put_pct(b, c)) < 0)
			return -1;
	}
	return 0;
}

int
links_url_ok(const char *s)
{
	size_t skip;

	if (s == NULL)
		return 0;
	if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	/* a host: something before the path, query or fragment */
	return s[skip] != '\0' && strchr("/?#", s[skip]) == NULL;
}

/* A JSON string's body, as Alertmanager's UI writes a matcher's value
 * (Elm's Json.Encode.string): quote, backslash and control characters
 * escaped. */
static int
put_json_str(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (c == '"' || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc = buf_puts(b, "\\n");
		else if (c == '\t')
			rc = buf_puts(b, "\\t");
		else if (c == '\r')
			rc = buf_puts(b, "\\r");
		else if (c < 0x20)
			rc = buf_printf(b, "\\u%04x", c);
		else
			rc = buf_append(b, s, 1);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The silence filter of src: {alertname="X"}, or every label of the
 * identity by name, joined by ", " as stringifyFilter does. */
static int
silence_filter(struct buf *f, const struct link_src *src)
{
	const char **names = NULL;
	const char *key;
	json_t *v;
	size_t n = 0;
	int result = -1;

	if (src->labels == NULL || !json_is_object(src->labels) ||
	    json_object_size(src->labels) == 0) {
		if (buf_puts(f, "{alertname=\"") < 0 ||
		    put_json_str(f, src->alertname) < 0 ||
		    buf_puts(f, "\"}") < 0)
			return -1;
		return 0;
	}
	if ((names = calloc(json_object_size(src->labels),
	    sizeof(*names))) == NULL)
		return -1;
	json_object_foreach((json_t *)src->labels, key, v)
		if (json_is_string(v))
			names[n++] = key;
	qsort(names, n, sizeof(*names), cmp_cstr);
	if (buf_puts(f, "{") < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (buf_printf(f, "%s%s=\"", i ? ", " : "", names[i]) < 0 ||
		    put_json_str(f, json_string_value(json_object_get(
		    src->labels, names[i]))) < 0 || buf_puts(f, "\"") < 0)
			goto out;
	if (buf_puts(f, "}") < 0)
		goto out;
	result = 0;
out:
	free(names);
	return result;
}

/* Moves b's text into *dst; -1 when b is empty after a failure. */
static int
take(struct buf *b, char **dst)
{
	if ((*dst = buf_steal(b)) == NULL)
		return -1;
	return 0;
}

int
links_make(const struct link_src *src, struct alert_links *out)
{
	const char *name = src->alertname ? src->alertname : "";
	struct buf b, f;
	int result = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&b, LINK_MAX);
	buf_init(&f, LINK_MAX);
	if (links_url_ok(src->runbook_url) && (put_url(&b,
	    src->runbook_url, 0) < 0 || take(&b, &out->runbook) < 0))
		goto out;
	if (links_url_ok(src->generator_url) && (put_url(&b,
	    src->generator_url, 0) < 0 || take(&b, &out->graph) < 0))
		goto out;
	if (links_url_ok(src->external_url)) {
		if (put_url(&b, src->external_url, 1) < 0 ||
		    buf_puts(&b, "/#/silences/new?filter=") < 0 ||
		    silence_filter(&f, src) < 0 ||
		    links_pct_encode(&b, f.data) < 0 || take(&b, &out->silence) < 0)
			goto out;
	}
	if (buf_puts(&b, "/alerts/") < 0 || links_pct_encode(&b, name) < 0 ||
	    take(&b, &out->page) < 0)
		goto out;
	if (links_url_ok(src->grafana_url)) {
		if (put_url(&b, src->grafana_url, 0) < 0 ||
		    buf_puts(&b, strchr(src->grafana_url, '?') ? "&" : "?") < 0 ||
		    buf_puts(&b, "var-alertname=") < 0 ||
		    links_pct_encode(&b, name) < 0 || take(&b, &out->dashboard) < 0)
			goto out;
	}
	result = 0;
out:
	buf_free(&b);
	buf_free(&f);
	return result;
}

int
links_lookup(struct store *st, const char *alertname, uint64_t identity,
    const char *grafana_url, struct alert_links *out)
{
	struct alert_meta m;
	struct link_src src;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_alert_meta(st, alertname, identity, &m)) < 0)
		return -1;
	memset(&src, 0, sizeof(src));
	src.alertname = alertname;
	src.labels = m.labels;
	src.runbook_url = m.runbook_url;
	src.generator_url = m.generator_url;
	src.external_url = m.external_url;
	src.grafana_url = grafana_url;
	rc = links_make(&src, out);
	if (rc < 0)
		links_free(out);
	store_alert_meta_free(&m);
	return rc;
}

void
links_free(struct alert_links *l)
{
	if (l == NULL)
		return;
	free(l->runbook);
	free(l->graph);
	free(l->silence);
	free(l->page);
	free(l->dashboard);
	memset(l, 0, sizeof(*l));
}

/* The links in the order they are shown, with their names. */
#define NLINKS 5

static void
link_list(const struct alert_links *l, const char *url[NLINKS])
{
	url[0] = l->runbook;
	url[1] = l->graph;
	url[2] = l->silence;
	url[3] = l->page;
	url[4] = l->dashboard;
}

static const char *const link_key[NLINKS] = {
	"runbook", "graph", "silence", "page", "dashboard",
};
static const char *const link_text[NLINKS] = {
	"runbook", "graph", "silence", "alert page", "dashboard",
};

json_t *
links_json(const struct alert_links *l)
{
	const char *url[NLINKS];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	link_list(l, url);
	for (size_t i = 0; i < NLINKS; i++)
		if (url[i] != NULL && json_object_set_new(o, link_key[i],
		    json_string(url[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The links of l to show (the page's only with_page) into url, in order;
 * how many. */
static size_t
links_shown(const struct alert_links *l, int with_page,
    const char *url[NLINKS], const char *text[NLINKS])
{
	const char *all[NLINKS];
	size_t n = 0;

	link_list(l, all);
	for (size_t i = 0; i < NLINKS; i++)
		if (all[i] != NULL && (i != 3 || with_page)) {
			url[n] = all[i];
			text[n++] = link_text[i];
		}
	return n;
}

void
links_html(struct fmt_out *o, const struct alert_links *l, int with_page)
{
	const char *url[NLINKS], *text[NLINKS];
	size_t n = links_shown(l, with_page, url, text);

	for (size_t i = 0; i < n; i++) {
		fmt_put(o, i ? " \xc2\xb7 " : " <span class=\"links\">");
		fmt_put(o, "<a href=\"");
		html_esc(o, url[i]);
		fmt_putf(o, "\" rel=\"noopener noreferrer\">%s</a>", text[i]);
	}
	if (n > 0)
		fmt_put(o, "</span>");
}

void
links_md(struct fmt_out *o, const struct alert_links *l, int with_page)
{
	const char *url[NLINKS], *text[NLINKS];
	size_t n = links_shown(l, with_page, url, text);

	for (size_t i = 0; i < n; i++)
		fmt_putf(o, "%s[%s](<%s>)", i ? " \xc2\xb7 " : " (", text[i],
		    url[i]);
	if (n > 0)
		fmt_put(o, ")");
}
