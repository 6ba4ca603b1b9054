/* links.h -- the links of an alert, wherever it appears (README "Links"):
 * its runbook, the Prometheus graph of its rule, a prefilled Alertmanager
 * silence form, its page in alertnoise and an optional dashboard.
 *
 * The runbook (a runbook_url annotation), the graph (generatorURL) and the
 * Alertmanager (externalURL) come from webhooks: untrusted strings. Only an
 * http:// or https:// URL with a host is linked; every byte outside RFC
 * 3986's characters is percent-encoded, so a made link holds no space,
 * quote, angle bracket, backslash or control character and fits an HTML
 * attribute (still HTML-escaped: & and ') and a Markdown <destination>
 * as it is. A javascript: or data: URL is never a link.
 *
 * The silence form is Alertmanager's UI route "#/silences/new?filter=",
 * the filter a PromQL-style matcher list {name="value", ...} (values
 * written as JSON strings), percent-encoded: prometheus/alertmanager
 * ui/app/src/Views/SilenceForm/Parsing.elm newSilenceFromAlertLabels and
 * ui/app/src/Utils/Filter.elm stringifyFilter. */
#ifndef AN_LINKS_H
#define AN_LINKS_H

#include <stdint.h>

#include <jansson.h>

struct buf;
struct fmt_out;

/* What an alert's links are made of; every field borrowed. */
struct link_src {
	const char *alertname;		/* required */
	const json_t *labels;		/* an identity's labels (an object of
					   strings): the silence matches them
					   all; NULL: {alertname="..."} */
	const char *runbook_url;	/* untrusted; NULL: none */
	const char *generator_url;	/* untrusted; NULL: none */
	const char *external_url;	/* Alertmanager's, untrusted; NULL:
					   no silence link */
	const char *grafana_url;	/* report.grafana_url; NULL or "":
					   no dashboard link */
};

/* An alert's links, each a string owned by the struct; NULL: none. page
 * is a path ("/alerts/<name>", the name percent-encoded). */
struct alert_links {
	char *runbook, *graph, *silence, *page, *dashboard;
};

/* Makes the links of src into *out (freed with links_free, also after a
 * failure). The dashboard is grafana_url with var-alertname=<name> added
 * to its query ("?" or, when it has one, "&"). Returns 0, or -1 on
 * out-of-memory. */
int links_make(const struct link_src *src, struct alert_links *out);

struct store;

/* links_make of the alertname (identity 0) or of the identity, from what
 * its latest notified alert said (store_alert_meta: one index seek, for
 * the rows a page shows). An alert never notified has its page and
 * dashboard links only. Returns 0, or -1 (*out empty: links_free is
 * harmless) when the store failed (store_errmsg) or memory ran out. */
int links_lookup(struct store *st, const char *alertname, uint64_t identity,
    const char *grafana_url, struct alert_links *out);

/* Frees what l holds and empties it; NULL is a no-op. */
void links_free(struct alert_links *l);

/* s percent-encoded as a path segment or a query value (RFC 3986: all
 * but the unreserved characters), appended to b; nothing in the result
 * needs HTML escaping. Returns 0, or -1 (b's limit, out of memory). */
int links_pct_encode(struct buf *b, const char *s);

/* Whether s is a URL links_make would link: http:// or https://
 * (any case) and a host. */
int links_url_ok(const char *s);

/* l as the JSON APIs answer it: {"runbook", "graph", "silence", "page",
 * "dashboard"}, a key absent when l has no such link. A new object, or
 * NULL on out-of-memory. */
json_t *links_json(const struct alert_links *l);

/* l as a run of small links, "runbook · graph · silence · dashboard"
 * (page too when with_page), in a <span class="links">; nothing when l has
 * none. HTML-escaped; appends to o (o->err on failure). */
void links_html(struct fmt_out *o, const struct alert_links *l,
    int with_page);

/* The same in Markdown, " ([runbook](<url>) · ...)"; nothing when l has
 * none. */
void links_md(struct fmt_out *o, const struct alert_links *l,
    int with_page);

#endif
