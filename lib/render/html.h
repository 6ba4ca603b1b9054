/* html.h -- pieces of HTML shared by the weekly report's HTML rendering
 * (report_html.c) and the daemon's web UI (daemon/ui.c), so that its pages
 * look and print like the report: escaping, the page head with the
 * report's CSS, and the frame, legend and colours of its SVG charts.
 *
 * Each function appends to a document being built (fmt.h): a failure (out
 * of memory, the document's limit) sets o->err, for the caller to check
 * once, at the end. */
#ifndef AN_HTML_H
#define AN_HTML_H

#include <stddef.h>

struct fmt_out;

/* Width of the SVG charts' coordinate system; they scale to the page. */
#define HTML_SVG_WIDTH		720
/* The charts' colours. */
#define HTML_COLOR_NOISE	"#cf222e"
#define HTML_COLOR_OTHER	"#0969da"
#define HTML_COLOR_GRID		"#eaeef2"
#define HTML_COLOR_AXIS		"#8c959f"
#define HTML_COLOR_TOTAL	"#d0d7de"

/* s HTML-escaped (& < > " '), for element content and quoted attributes;
 * NULL writes nothing. _cut cuts s to at most max bytes on a UTF-8
 * boundary first, marking a cut with "…". */
void html_esc(struct fmt_out *o, const char *s);
void html_esc_cut(struct fmt_out *o, const char *s, size_t max);

/* The start of a page: "<!doctype html>" through the report's <style>
 * element (screen and print CSS), inside an open <head>; the caller adds
 * its <title> (and any more style) and closes the head. */
void html_head(struct fmt_out *o);

/* Opens an <svg> of HTML_SVG_WIDTH by height with an accessible title
 * (id: the title element's id, unique in the page and written as it is, so
 * a constant; title: plain text); the caller closes it. A legend entry: a
 * colour square at x and its text (plain text). */
void html_svg_open(struct fmt_out *o, const char *id, int height,
    const char *title);
void html_svg_legend(struct fmt_out *o, double x, const char *color,
    const char *text);

#endif
