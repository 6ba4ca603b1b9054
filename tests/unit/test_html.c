/* test_html.c -- lib/render/html.c and fmt.c: the HTML and text pieces the
 * weekly report shares with the daemon's web pages. Escaping and cutting
 * on a UTF-8 boundary, the document's sticky error at its limit, the
 * numbers and durations as the report shows them, a recommendation's
 * fields as one line, and the page head and chart frame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fmt.h"
#include "html.h"
#include "report.h"
#include "t.h"

#define MAX	((size_t)1 << 20)

TEST(escapes_the_five_characters)
{
	struct fmt_out o;
	char *s;

	fmt_init(&o, MAX);
	html_esc(&o, "<a href=\"x\">Tom & Jerry's</a>");
	s = fmt_finish(&o);
	CHECK_STR(s, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s"
	    "&lt;/a&gt;");
	free(s);
	/* NULL is nothing; text without the five is written as it is */
	fmt_init(&o, MAX);
	html_esc(&o, NULL);
	html_esc(&o, "plain \xc3\xa9t\xc3\xa9");
	s = fmt_finish(&o);
	CHECK_STR(s, "plain \xc3\xa9t\xc3\xa9");
	free(s);
}

TEST(cuts_on_a_utf8_boundary)
{
	struct fmt_out o;
	char *s;

	/* "ab" then é (2 bytes): 3 bytes would split é, so the cut is at 2 */
	fmt_init(&o, MAX);
	html_esc_cut(&o, "ab\xc3\xa9" "cd", 3);
	s = fmt_finish(&o);
	CHECK_STR(s, "ab\xe2\x80\xa6");
	free(s);
	/* what fits is not cut; the cut text is escaped */
	fmt_init(&o, MAX);
	html_esc_cut(&o, "<b>", 3);
	html_esc_cut(&o, "<<<<", 2);
	s = fmt_finish(&o);
	CHECK_STR(s, "&lt;b&gt;&lt;&lt;\xe2\x80\xa6");
	free(s);
}

TEST(document_error_is_sticky)
{
	struct fmt_out o;
	char *s;

	fmt_init(&o, 8);
	fmt_put(&o, "1234");
	fmt_putf(&o, "%d", 56);
	fmt_putn(&o, "78xyz", 2);
	CHECK_INT(o.err, 0);
	CHECK_INT(o.b.len, 8);
	fmt_put(&o, "9");		/* past the limit */
	CHECK_INT(o.err, 1);
	fmt_put(&o, "");		/* later appends do not clear it */
	CHECK_INT(o.err, 1);
	CHECK(fmt_finish(&o) == NULL);

	fmt_init(&o, 8);
	html_esc(&o, "<<");		/* 8 bytes: fits */
	s = fmt_finish(&o);
	CHECK_STR(s, "&lt;&lt;");
	free(s);
	fmt_init(&o, 8);
	html_esc(&o, "a<<");		/* 9 bytes */
	CHECK_INT(o.err, 1);
	CHECK(fmt_finish(&o) == NULL);
}

TEST(numbers_as_the_report_shows_them)
{
	static const struct {
		double s;
		const char *want;
	} durs[] = {
		{ 0, "0s" }, { 9.94, "9.9s" }, { 42, "42s" }, { 59.4, "59s" },
		{ 59.5, "1m 00s" }, { 245, "4m 05s" }, { 12000, "3h 20m" },
		{ 187200, "2d 04h" }, { -30, "-30s" },
	};
	json_t *third = json_real(1.0 / 3), *null = json_null();
	json_t *big = json_integer(1234567);
	char t[48];

	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		fmt_dur(durs[i].s, t, sizeof(t));
		CHECK_STR(t, durs[i].want);
	}
	fmt_pct(0.625, t, sizeof(t));
	CHECK_STR(t, "62.5%");
	fmt_pct(1, t, sizeof(t));
	CHECK_STR(t, "100%");
	fmt_dec(-0.001, 2, t, sizeof(t));
	CHECK_STR(t, "0");
	fmt_dec(2.50, 2, t, sizeof(t));
	CHECK_STR(t, "2.5");
	/* NAN is what is not a number (an_ratio of no episodes) */
	fmt_dec(NAN, 1, t, sizeof(t));
	CHECK_STR(t, "n/a");
	fmt_pct(NAN, t, sizeof(t));
	CHECK_STR(t, "n/a");
	fmt_ratio(third, t, sizeof(t));
	CHECK_STR(t, "33.3%");
	fmt_ratio(null, t, sizeof(t));
	CHECK_STR(t, "n/a");
	fmt_ratio(NULL, t, sizeof(t));
	CHECK_STR(t, "n/a");
	fmt_num(third, 2, t, sizeof(t));
	CHECK_STR(t, "0.33");
	fmt_num(big, 1, t, sizeof(t));
	CHECK_STR(t, "1234567");
	fmt_num(null, 1, t, sizeof(t));
	CHECK_STR(t, "n/a");
	json_decref(third);
	json_decref(null);
	json_decref(big);
}

TEST(fields_as_one_line)
{
	json_t *pred = json_pack("{s:i, s:i, s:i, s:n, s:f, s:[{s:i}]}",
	    "pagesBefore", 9, "pagesAfter", 2, "noiseRemoved", 7,
	    "addedDelaySeconds", "replayError", 0.05, "candidates", "n", 1);
	json_t *sum = json_pack("{s:s, s:i}", "summary", "as said", "x", 1);
	json_t *arr = json_pack("[i, s, b, n, {s:i}]", 1, "a", 1, "k", 2);
	json_t *empty = json_object(), *null = json_null();
	char *s;

	/* jansson keeps insertion order: the pair joined where _before is */
	s = fmt_fields_text(pred);
	CHECK_STR(s, "pages: 9 \xe2\x86\x92 2, noise_removed: 7, "
	    "replay_error: 0.05");
	free(s);
	s = fmt_fields_text(sum);
	CHECK_STR(s, "as said");
	free(s);
	s = fmt_fields_text(arr);
	CHECK_STR(s, "[1, a, true, n/a]");
	free(s);
	CHECK(fmt_fields_text(empty) == NULL);
	CHECK(fmt_fields_text(null) == NULL);
	CHECK(fmt_fields_text(NULL) == NULL);
	json_decref(pred);
	json_decref(sum);
	json_decref(arr);
	json_decref(empty);
	json_decref(null);
}

TEST(page_head_and_chart_frame)
{
	struct fmt_out o;
	char *s;

	fmt_init(&o, MAX);
	html_head(&o);
	s = fmt_finish(&o);
	CHECK(s != NULL && strncmp(s, "<!doctype html>\n<html lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n", 57) == 0);
	CHECK_CONTAINS(s, "@media print{");
	CHECK(s != NULL && strlen(s) > 9 &&
	    strcmp(s + strlen(s) - 9, "</style>\n") == 0);
	free(s);

	fmt_init(&o, MAX);
	html_svg_open(&o, "c1", 100, "a <b> & c");
	html_svg_legend(&o, 4, HTML_COLOR_NOISE, "x<y");
	s = fmt_finish(&o);
	CHECK_STR(s, "<svg viewBox=\"0 0 720 100\" width=\"720\" height=\"100\" "
	    "role=\"img\" aria-labelledby=\"c1\">\n<title id=\"c1\">a &lt;b&gt; "
	    "&amp; c</title>\n<rect x=\"4.0\" y=\"6\" width=\"10\" height=\"10\" "
	    "fill=\"#cf222e\"/><text x=\"18.0\" y=\"15\">x&lt;y</text>\n");
	free(s);
}

int
main(void)
{
	RUN(escapes_the_five_characters);
	RUN(cuts_on_a_utf8_boundary);
	RUN(document_error_is_sticky);
	RUN(numbers_as_the_report_shows_them);
	RUN(fields_as_one_line);
	RUN(page_head_and_chart_frame);
	return t_done();
}
