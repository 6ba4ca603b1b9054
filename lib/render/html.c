/* html.c -- pieces of HTML shared by the weekly report and the daemon's
 * web UI (html.h): escaping, the page head with the report's CSS, and the
 * frame and legend of an SVG chart. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#include "fmt.h"

void
html_esc(struct fmt_out *o, const char *s)
{
	const char *run;

	if (s == NULL)
		return;
	for (run = s; *s; s++) {
		const char *ent;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		fmt_putn(o, run, (size_t)(s - run));
		fmt_put(o, ent);
		run = s + 1;
	}
	fmt_put(o, run);
}

void
html_esc_cut(struct fmt_out *o, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	char *t;

	if (n <= max) {
		html_esc(o, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if ((t = strndup(s, max)) == NULL) {
		o->err = 1;
		return;
	}
	html_esc(o, t);
	fmt_put(o, "\xe2\x80\xa6");
	free(t);
}

static const char head[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"generator\" content=\"alertnoised\">\n"
    "<style>\n"
    "body{font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "margin:0;padding:1rem;color:#1f2328;background:#f4f5f7}\n"
    "main{max-width:80rem;margin:0 auto;background:#fff;border:1px solid "
    "#d0d7de;border-radius:8px;padding:1rem 2rem 2rem;"
    "overflow-wrap:break-word}\n"
    "h1{font-size:1.6rem;margin:.3rem 0 .2rem}\n"
    "h2{font-size:1.15rem;margin:1.4rem 0 .5rem;padding-bottom:.2rem;"
    "border-bottom:1px solid #eaeef2}\n"
    "h3{font-size:1rem;margin:1.2rem 0 .3rem}\n"
    ".brand,.muted{color:#656d76;font-size:.9rem;margin:0}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem;"
    "margin:.5rem 0}\n"
    "th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid "
    "#eaeef2;vertical-align:top}\n"
    "th{font-weight:600}\n"
    "td code,td.id{overflow-wrap:anywhere}\n"
    ".tw{overflow-x:auto}\n"
    ".links{font-size:.8rem;white-space:nowrap}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:.85rem}\n"
    "pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;"
    "padding:.6rem .8rem;overflow:auto}\n"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(10rem,1fr));gap:.8rem}\n"
    ".kpi{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}\n"
    ".kpi .l{color:#656d76;font-size:.85rem}\n"
    ".kpi .v{font-size:1.6rem;font-weight:600;line-height:1.2}\n"
    ".kpi .c{font-size:.9rem}\n"
    ".worse{color:#cf222e}\n"
    ".better{color:#1a7f37}\n"
    "figure{margin:.5rem 0 1rem}\n"
    "figcaption{color:#656d76;font-size:.85rem}\n"
    "svg{display:block;width:100%;max-width:60rem;height:auto}\n"
    "svg text{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "font-size:11px;fill:#1f2328}\n"
    ".charts,.recs{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(28rem,1fr));gap:0 1.2rem}\n"
    "#top-noisy svg{max-width:45rem}\n"
    "article{border:1px solid #d0d7de;border-radius:6px;"
    "padding:.2rem 1rem .6rem;margin:.6rem 0}\n"
    "article h3{margin:.5rem 0 .3rem}\n"
    "article p{margin:.3rem 0}\n"
    "ul{padding-left:1.4rem}\n"
    "@media print{\n"
    "body{background:#fff;padding:0;font-size:10pt}\n"
    "main{border:0;border-radius:0;max-width:none;padding:0}\n"
    ".charts,.recs{display:block}\n"
    "section,figure,article,.kpi,tr{break-inside:avoid}\n"
    "h2,h3{break-after:avoid}\n"
    "pre{white-space:pre-wrap;overflow:visible}\n"
    ".tw{overflow:visible}\n"
    "}\n"
    "</style>\n";

void
html_head(struct fmt_out *o)
{
	fmt_put(o, head);
}

void
html_svg_open(struct fmt_out *o, const char *id, int h, const char *title)
{
	fmt_putf(o, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-labelledby=\"%s\">\n<title id=\"%s\">",
	    HTML_SVG_WIDTH, h, HTML_SVG_WIDTH, h, id, id);
	html_esc(o, title);
	fmt_put(o, "</title>\n");
}

void
html_svg_legend(struct fmt_out *o, double x, const char *color,
    const char *text)
{
	fmt_putf(o, "<rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" "
	    "fill=\"%s\"/><text x=\"%.1f\" y=\"15\">", x, color, x + 14);
	html_esc(o, text);
	fmt_put(o, "</text>\n");
}
