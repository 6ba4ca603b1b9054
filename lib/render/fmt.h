/* fmt.h -- text for people, shared by the weekly report's renderers
 * (report.h) and the daemon's web pages (daemon/ui.c): a document being
 * built, whose appends remember a failure instead of returning it, and
 * numbers, durations and JSON fields as the report shows them.
 *
 * Nothing here escapes: what these functions write is plain text, safe in
 * Markdown and HTML as it is except where a function says otherwise
 * (fmt_fields_text's text comes from the JSON; html.h escapes it). */
#ifndef AN_FMT_H
#define AN_FMT_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* A document being built: text appended to b (buf.h: b's limit bounds
 * it). err is set once an append failed (out of memory, or past the
 * limit) and checked once, at the end, so that a writer need not check
 * each append. Its fields are public: a writer may append to b itself and
 * set err when that fails. */
struct fmt_out {
	struct buf b;
	int err;
};

/* o empty, its text bounded by max bytes. */
void fmt_init(struct fmt_out *o, size_t max);

/* Append s; n bytes of s; printf's output (o->err set on failure). */
void fmt_put(struct fmt_out *o, const char *s);
void fmt_putn(struct fmt_out *o, const char *s, size_t n);
void fmt_putf(struct fmt_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The document, NUL-terminated, for the caller to free; NULL when an
 * append failed, or when nothing was appended. o's buffer is given away
 * or freed either way. */
char *fmt_finish(struct fmt_out *o);

/* Numbers as the report shows them, into out (outlen bytes), plain text:
 *   fmt_dec    v with at most dec decimals, trailing zeros dropped
 *              ("62.5", "100", never "-0"); "n/a" for NAN;
 *   fmt_pct    a ratio as a percentage with one decimal at most ("62.5%");
 *              "n/a" for NAN;
 *   fmt_dur    seconds for people: "42s", "4m 05s", "3h 20m", "2d 04h"
 *              ("-" in front when negative);
 *   fmt_num    a JSON number as fmt_dec, "n/a" for anything else;
 *   fmt_ratio  a JSON number as fmt_pct, "n/a" for anything else. */
void fmt_dec(double v, int dec, char *out, size_t outlen);
void fmt_pct(double ratio, char *out, size_t outlen);
void fmt_dur(double seconds, char *out, size_t outlen);
void fmt_num(const json_t *v, int dec, char *out, size_t outlen);
void fmt_ratio(const json_t *v, char *out, size_t outlen);

/* A recommendation's evidence or predicted savings, or a group's
 * evidence, as one line of text (not escaped): a string as it is; an
 * object's "summary", else its scalar members as "key: value, ..." (a
 * camelCase key written as snake_case words, "noiseEpisodes" as
 * "noise_episodes"; a pair "xBefore"/"xAfter" as one "x: before → after";
 * null members and
 * containers of containers left out); an array of scalars as "[a, b]".
 * NULL when there is nothing to show (or no memory); else the caller
 * frees. */
char *fmt_fields_text(const json_t *v);

#endif
