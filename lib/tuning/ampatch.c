/* ampatch.c -- edits to the user's alertmanager.yml that keep their text
 * (see ampatch.h).
 *
 * The text is read by libyaml's loader (yaml_parser_load), whose node marks
 * say where each key and value is: line and column, both counted in
 * characters, lines broken where libyaml breaks them (\r\n, \r, \n, U+0085,
 * U+2028, U+2029: libyaml 0.2.5 scanner.c SKIP_LINE and READ_LINE), a
 * UTF-8 BOM not counted. A mark is turned back into a byte offset through a
 * table of line starts. The edit is an insertion of whole lines (and, where
 * an empty list is written as ~, null or [], the removal of that token),
 * placed by YAML's block rules (YAML 1.2.2 section 8.2.1, block sequences:
 * each item a "-" at the list's indentation; 8.2.2, block mappings: every
 * key at the mapping's column; both as in YAML 1.1, which yaml.v2 reads):
 *
 *   - a new first child goes before the line of the list's first "-",
 *     and before the comment lines directly above it (they describe that
 *     child), as "- " at that "-"'s column, its keys at the column of the
 *     first child's first key;
 *   - a new last item goes after the line where the last item's last
 *     scalar, or flow collection, ends;
 *   - a new key goes after the line where the mapping's last value ends,
 *     at the column of the mapping's first key; the list under it is
 *     indented as the file indents its other lists of routes (else its
 *     receivers, else by two).
 *
 * Marks of a node reached through an alias are the anchor's, so a place
 * found through one would be wrong, and a node's mark is its tag's or
 * anchor's when it has one: anchors, aliases, merge keys and tags on the
 * way to an edit are refused (an anchor or tag on a route mapping is
 * harmless: its keys give the column). The edit is then checked against
 * am_config_parse's reading of the old and the new text (reload,
 * check_new_route). */
#include "ampatch.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "amroute.h"
#include "buf.h"
#include "config.h"
#include "utf8.h"
#include "yamlnode.h"

/* What is read (am_config_parse's AM_CONFIG_MAX) and what may be added to
 * it; how deep the search for a value's end may go. */
#define AMP_MAX_BYTES	(16 * 1024 * 1024)
#define AMP_MAX_ADD	(1024 * 1024)
#define AMP_MAX_DEPTH	64
/* Indentation of a new list, relative to its key, when the file has no
 * list to copy it from. */
#define AMP_INDENT	2

struct text {
	const char	*s;
	size_t		 len;
	size_t		*line;		/* owned: byte offset of each line */
	size_t		 nline;
	const char	*nl;		/* the first line break, "\n" when it
					   is not "\r\n" */
	yaml_document_t	 doc;
	int		 loaded;
	unsigned	*refs;		/* owned: references to node id i + 1 */
	size_t		 nnodes;
};

/* One edit: delete [del, del_end), insert ins at at (del_end <= at). */
struct edit {
	size_t		 del, del_end, at;
	struct buf	 ins;
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* --- the text and its YAML nodes --- */

/* The length of the line break at s[i], 0 when there is none. */
static size_t
break_len(const char *s, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t left = len - i;

	if (left == 0)
		return 0;
	if (u[0] == '\r')
		return left > 1 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (left > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (left > 2 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

static void
text_close(struct text *t)
{
	if (t->loaded)
		yaml_document_delete(&t->doc);
	free(t->line);
	free(t->refs);
	memset(t, 0, sizeof(*t));
}

static yaml_node_t *
node(struct text *t, int id)
{
	return yaml_document_get_node(&t->doc, id);
}

static void
ref(struct text *t, int id)
{
	if (id >= 1 && (size_t)id <= t->nnodes)
		t->refs[id - 1]++;
}

static unsigned
refs(const struct text *t, int id)
{
	return id >= 1 && (size_t)id <= t->nnodes ? t->refs[id - 1] : 0;
}

/* Indexes the lines of yaml and loads its first document. */
static int
text_open(struct text *t, const char *yaml, size_t len, char *err,
    size_t errlen)
{
	yaml_parser_t parser;
	size_t i, start = 0, n = 1, bl;
	yaml_node_t *nd;
	int ok;

	memset(t, 0, sizeof(*t));
	t->s = yaml;
	t->len = len;
	t->nl = "\n";
	if (len > AMP_MAX_BYTES)
		return fail(err, errlen, "larger than %d bytes",
		    AMP_MAX_BYTES);
	if (memchr(yaml, '\0', len) != NULL)
		return fail(err, errlen, "not UTF-8 text: a NUL byte");
	if (len >= 3 && memcmp(yaml, "\xef\xbb\xbf", 3) == 0)
		start = 3;
	for (i = start; i < len; i += bl ? bl : 1)
		if ((bl = break_len(yaml, len, i)) > 0)
			n++;
	if ((t->line = malloc(n * sizeof(*t->line))) == NULL)
		return fail(err, errlen, "out of memory");
	t->line[t->nline++] = start;
	for (i = start; i < len; i += bl ? bl : 1)
		if ((bl = break_len(yaml, len, i)) > 0) {
			if (t->nline == 1 && bl == 2 && yaml[i] == '\r')
				t->nl = "\r\n";
			t->line[t->nline++] = i + bl;
		}

	if (!yaml_parser_initialize(&parser))
		return fail(err, errlen, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
	    len);
	ok = yaml_parser_load(&parser, &t->doc);
	if (!ok) {
		if (parser.error == YAML_MEMORY_ERROR || parser.problem == NULL)
			fail(err, errlen, "out of memory");
		else
			fail(err, errlen, "line %lu: YAML syntax error: %s",
			    (unsigned long)parser.problem_mark.line + 1,
			    parser.problem);
	}
	yaml_parser_delete(&parser);
	if (!ok)
		return -1;
	t->loaded = 1;
	if (yaml_document_get_root_node(&t->doc) == NULL)
		return fail(err, errlen, "no YAML document");
	t->nnodes = (size_t)(t->doc.nodes.top - t->doc.nodes.start);
	if ((t->refs = calloc(t->nnodes, sizeof(*t->refs))) == NULL)
		return fail(err, errlen, "out of memory");
	ref(t, 1);	/* the root */
	for (nd = t->doc.nodes.start; nd < t->doc.nodes.top; nd++) {
		if (nd->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = nd->data.mapping.pairs.start;
			    p < nd->data.mapping.pairs.top; p++) {
				ref(t, p->key);
				ref(t, p->value);
			}
		} else if (nd->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it =
			    nd->data.sequence.items.start;
			    it < nd->data.sequence.items.top; it++)
				ref(t, *it);
		}
	}
	return 0;
}

/* The byte offset of mark m. */
static size_t
mark_off(const struct text *t, yaml_mark_t m)
{
	size_t p, end;

	if (m.line >= t->nline)
		return t->len;
	p = t->line[m.line];
	end = m.line + 1 < t->nline ? t->line[m.line + 1] : t->len;
	for (size_t k = 0; k < m.column && p < end; k++) {
		unsigned char c = (unsigned char)t->s[p];

		p += c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	}
	return p < t->len ? p : t->len;
}

/* The offset just past the line break that ends line l, or the end. */
static size_t
line_next(const struct text *t, size_t l)
{
	return l + 1 < t->nline ? t->line[l + 1] : t->len;
}

/* Where lines inserted after the content ending at mark e go: the start
 * of e's line when only blanks precede e on it (a block scalar or
 * collection ends at the start of the next line), else the start of the
 * next line. */
static size_t
after_mark(const struct text *t, yaml_mark_t e)
{
	size_t off = mark_off(t, e), l = e.line < t->nline ? e.line :
	    t->nline - 1, p;

	for (p = t->line[l]; p < off && (t->s[p] == ' ' || t->s[p] == '\t');
	    p++)
		;
	return p == off ? t->line[l] : line_next(t, l);
}

static int
scalar_is(const yaml_node_t *n, const char *s)
{
	return n != NULL && n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.length == strlen(s) &&
	    memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

static int
is_flow(const yaml_node_t *n)
{
	return (n->type == YAML_MAPPING_NODE &&
	    n->data.mapping.style == YAML_FLOW_MAPPING_STYLE) ||
	    (n->type == YAML_SEQUENCE_NODE &&
	    n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE);
}

static int
has_merge(struct text *t, const yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if (scalar_is(node(t, p->key), "<<"))
			return 1;
	return 0;
}

/* The pair of mapping map whose key is the scalar name, or NULL. */
static yaml_node_pair_t *
map_pair(struct text *t, const yaml_node_t *map, const char *name)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if (scalar_is(node(t, p->key), name))
			return p;
	return NULL;
}

/* Fails when node id or anything in it is reached twice (an anchor with
 * its aliases), which would make its marks lie about where it is. */
static int
check_unshared(struct text *t, int id, const char *what, size_t depth,
    char *err, size_t errlen)
{
	yaml_node_t *n = node(t, id);

	if (n == NULL || refs(t, id) != 1)
		return fail(err, errlen, "%s uses a YAML anchor or alias "
		    "(line %lu); it cannot be patched in place", what,
		    n != NULL ? (unsigned long)n->start_mark.line + 1 : 0UL);
	if (depth > AMP_MAX_DEPTH)
		return fail(err, errlen, "%s: nested deeper than %d", what,
		    AMP_MAX_DEPTH);
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			if (scalar_is(node(t, p->key), "<<"))
				return fail(err, errlen, "%s uses a YAML "
				    "merge key (<<, line %lu); it cannot be "
				    "patched in place", what, (unsigned long)
				    node(t, p->key)->start_mark.line + 1);
			if (check_unshared(t, p->key, what, depth + 1, err,
			    errlen) < 0 || check_unshared(t, p->value, what,
			    depth + 1, err, errlen) < 0)
				return -1;
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++)
			if (check_unshared(t, *it, what, depth + 1, err,
			    errlen) < 0)
				return -1;
	}
	return 0;
}

/* The column of block mapping n's keys: its first key's (n's own mark is
 * its tag's or anchor's when it has one). */
static size_t
key_column(struct text *t, const yaml_node_t *n)
{
	if (n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return n->start_mark.column;
	return node(t, n->data.mapping.pairs.start[0].key)->start_mark.column;
}

/* Whether block list n starts at its first "-" (no tag or anchor before
 * it), so that its mark gives the items' column. */
static int
starts_at_dash(const struct text *t, const yaml_node_t *n)
{
	size_t off = mark_off(t, n->start_mark);

	return off < t->len && t->s[off] == '-';
}

static yaml_mark_t
mark_max(yaml_mark_t a, yaml_mark_t b)
{
	return b.index > a.index ? b : a;
}

/* The end of the last thing written in node n: a scalar (an empty one
 * where it stands), a flow collection's closing bracket. n has passed
 * check_unshared. */
static yaml_mark_t
content_end(struct text *t, const yaml_node_t *n, size_t depth)
{
	yaml_mark_t e = n->start_mark;

	if (depth > AMP_MAX_DEPTH)	/* cannot happen: check_unshared */
		return n->end_mark;
	if (n->type == YAML_SCALAR_NODE)
		return n->data.scalar.length == 0 ? n->start_mark :
		    n->end_mark;
	if (is_flow(n))
		return n->end_mark;
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			e = mark_max(e, content_end(t, node(t, p->key),
			    depth + 1));
			e = mark_max(e, content_end(t, node(t, p->value),
			    depth + 1));
		}
	} else {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++)
			e = mark_max(e, content_end(t, node(t, *it),
			    depth + 1));
	}
	return e;
}

/* The columns of a block list's "-" relative to its key, and of its
 * items' first keys relative to the "-": from the list seq under the key
 * key, when it is a non-empty block list written once. */
static int
list_layout(struct text *t, const yaml_node_t *key, int seq, size_t *dash,
    size_t *col)
{
	yaml_node_t *s = node(t, seq), *first;
	int first_id;

	if (s == NULL || s->type != YAML_SEQUENCE_NODE || is_flow(s) ||
	    refs(t, seq) != 1 || !starts_at_dash(t, s) ||
	    s->data.sequence.items.start == s->data.sequence.items.top ||
	    s->start_mark.column < key->start_mark.column)
		return -1;
	first_id = s->data.sequence.items.start[0];
	first = node(t, first_id);
	*dash = s->start_mark.column - key->start_mark.column;
	*col = AMP_INDENT;
	if (refs(t, first_id) == 1 && first->start_mark.line ==
	    s->start_mark.line && first->start_mark.column >
	    s->start_mark.column)
		*col = first->start_mark.column - s->start_mark.column;
	return 0;
}

/* The layout of the first routes: list in route mapping id's subtree,
 * pre-order. */
static int
routes_layout(struct text *t, int id, size_t depth, size_t *dash,
    size_t *col)
{
	yaml_node_t *n = node(t, id), *seq;
	yaml_node_pair_t *p;

	if (n == NULL || n->type != YAML_MAPPING_NODE || depth > 100 ||
	    (p = map_pair(t, n, "routes")) == NULL)
		return -1;
	if (list_layout(t, node(t, p->key), p->value, dash, col) == 0)
		return 0;
	seq = node(t, p->value);
	if (seq->type != YAML_SEQUENCE_NODE || refs(t, p->value) != 1)
		return -1;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	    it < seq->data.sequence.items.top; it++)
		if (refs(t, *it) == 1 && routes_layout(t, *it, depth + 1, dash,
		    col) == 0)
			return 0;
	return -1;
}

/* How the file indents a list: its routes, else its receivers, else by
 * AMP_INDENT. */
static void
file_layout(struct text *t, size_t *dash, size_t *col)
{
	yaml_node_t *root = yaml_document_get_root_node(&t->doc);
	yaml_node_pair_t *p;

	*dash = *col = AMP_INDENT;
	if (root->type != YAML_MAPPING_NODE)
		return;
	if ((p = map_pair(t, root, "route")) != NULL &&
	    routes_layout(t, p->value, 0, dash, col) == 0)
		return;
	if ((p = map_pair(t, root, "receivers")) != NULL &&
	    list_layout(t, node(t, p->key), p->value, dash, col) == 0)
		return;
	*dash = *col = AMP_INDENT;
}

/* --- writing YAML --- */

static int
is_plain_safe(const char *s)
{
	static const char *const words[] = { "y", "n", "yes", "no", "true",
	    "false", "on", "off", "null" };

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-'))
			return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	return 1;
}

/* Whether code point c may stand as itself in a one-line quoted scalar:
 * libyaml's printable set (reader.c) without line breaks, tab and BOM. */
static int
is_literal(uint32_t c)
{
	return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff &&
	    c != 0x2028 && c != 0x2029) || (c >= 0xe000 && c <= 0xfffd &&
	    c != 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Appends s as a YAML scalar: plain when allowed and YAML reads it back
 * as the same string, else single-quoted, else (a character that cannot
 * stand as itself) double-quoted with escapes. */
static int
put_scalar(struct buf *b, const char *s, int plain_ok, const char *what,
    char *err, size_t errlen)
{
	size_t len = strlen(s), i, n;
	int literal = 1, r = 0;
	uint32_t c;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &c)) == 0)
			return fail(err, errlen, "%s: not UTF-8", what);
		if (!is_literal(c))
			literal = 0;
	}
	if (plain_ok && is_plain_safe(s))
		r = buf_puts(b, s);
	else if (literal) {
		r |= buf_puts(b, "'");
		for (i = 0; i < len; i++)
			r |= s[i] == '\'' ? buf_puts(b, "''") :
			    buf_append(b, s + i, 1);
		r |= buf_puts(b, "'");
	} else {
		r |= buf_puts(b, "\"");
		for (i = 0; i < len; i += n) {
			n = utf8_decode(s + i, len - i, &c);
			if (c == '"' || c == '\\')
				r |= buf_printf(b, "\\%c", (char)c);
			else if (c == '\n')
				r |= buf_puts(b, "\\n");
			else if (c == '\t')
				r |= buf_puts(b, "\\t");
			else if (c == '\r')
				r |= buf_puts(b, "\\r");
			else if (c < 0x20 || c == 0x7f)
				r |= buf_printf(b, "\\x%02x", (unsigned)c);
			else if (!is_literal(c))
				r |= buf_printf(b, "\\u%04x", (unsigned)c);
			else
				r |= buf_append(b, s + i, n);
		}
		r |= buf_puts(b, "\"");
	}
	return r < 0 ? fail(err, errlen, "out of memory") : 0;
}

/* Appends `[a, b]`, quoted (matchers always are). */
static int
put_list(struct buf *b, const char *const *v, size_t n, int plain_ok,
    const char *what, char *err, size_t errlen)
{
	if (buf_puts(b, "[") < 0)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char w[64];

		if (v[i] == NULL)
			return fail(err, errlen, "%s[%zu]: NULL", what, i);
		if (i > 0 && buf_puts(b, ", ") < 0)
			return fail(err, errlen, "out of memory");
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (put_scalar(b, v[i], plain_ok, w, err, errlen) < 0)
			return -1;
	}
	return buf_puts(b, "]") < 0 ? fail(err, errlen, "out of memory") : 0;
}

static int
put_spaces(struct buf *b, size_t n)
{
	static const char sp[] = "                                ";

	for (; n > 0; n -= n < 32 ? n : 32)
		if (buf_append(b, sp, n < 32 ? n : 32) < 0)
			return -1;
	return 0;
}

/* The start of the next key of a list item: "-" at dash and the key at
 * col for the first, the key at col after. */
struct item {
	struct buf	*b;
	size_t		 dash, col;
	int		 started;
	const char	*nl;
};

static int
item_key(struct item *it, const char *key)
{
	int r;

	if (!it->started) {
		r = put_spaces(it->b, it->dash);
		r |= buf_puts(it->b, "-");
		r |= put_spaces(it->b, it->col - it->dash - 1);
		it->started = 1;
	} else
		r = put_spaces(it->b, it->col);
	return r | buf_printf(it->b, "%s: ", key);
}

static int
item_end(struct item *it)
{
	return buf_puts(it->b, it->nl);
}

static int
item_duration(struct item *it, const char *key, int64_t ms)
{
	char d[64];

	if (ms < 0)
		return 0;
	cfg_format_duration(ms, d, sizeof(d));
	return item_key(it, key) | buf_puts(it->b, d) | item_end(it);
}

static int
write_route(struct buf *b, const struct amp_route *r, size_t dash, size_t col,
    const char *nl, char *err, size_t errlen)
{
	struct item it = { b, dash, col, 0, nl };

	if (r->n_matchers > 0 && (item_key(&it, "matchers") < 0 ||
	    put_list(b, r->matchers, r->n_matchers, 0, "matchers", err,
	    errlen) < 0 || item_end(&it) < 0))
		return -1;
	if (r->receiver != NULL && (item_key(&it, "receiver") < 0 ||
	    put_scalar(b, r->receiver, 1, "receiver", err, errlen) < 0 ||
	    item_end(&it) < 0))
		return -1;
	if (r->n_group_by > 0 && (item_key(&it, "group_by") < 0 ||
	    put_list(b, r->group_by, r->n_group_by, 1, "group_by", err,
	    errlen) < 0 || item_end(&it) < 0))
		return -1;
	if (item_duration(&it, "group_wait", r->group_wait_ms) < 0 ||
	    item_duration(&it, "group_interval", r->group_interval_ms) < 0 ||
	    item_duration(&it, "repeat_interval", r->repeat_interval_ms) < 0 ||
	    (r->cont && (item_key(&it, "continue") < 0 ||
	    buf_puts(b, "true") < 0 || item_end(&it) < 0)))
		return fail(err, errlen, "out of memory");
	assert(it.started);
	return 0;
}

static int
write_rule(struct buf *b, const struct amp_inhibit *r, size_t dash,
    size_t col, const char *nl, char *err, size_t errlen)
{
	struct item it = { b, dash, col, 0, nl };

	if (item_key(&it, "source_matchers") < 0 ||
	    put_list(b, r->source_matchers, r->n_source_matchers, 0,
	    "source_matchers", err, errlen) < 0 || item_end(&it) < 0 ||
	    item_key(&it, "target_matchers") < 0 ||
	    put_list(b, r->target_matchers, r->n_target_matchers, 0,
	    "target_matchers", err, errlen) < 0 || item_end(&it) < 0)
		return -1;
	if (r->n_equal > 0 && (item_key(&it, "equal") < 0 ||
	    put_list(b, r->equal, r->n_equal, 1, "equal", err, errlen) < 0 ||
	    item_end(&it) < 0))
		return -1;
	return 0;
}

/* Applies e to t's text into *out. */
static int
apply(const struct text *t, const struct edit *e, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	struct buf b;

	assert(e->del <= e->del_end && e->del_end <= e->at && e->at <= t->len);
	buf_init(&b, AMP_MAX_BYTES + AMP_MAX_ADD);
	if (buf_append(&b, t->s, e->del) < 0 ||
	    buf_append(&b, t->s + e->del_end, e->at - e->del_end) < 0 ||
	    buf_append(&b, e->ins.data, e->ins.len) < 0 ||
	    buf_append(&b, t->s + e->at, t->len - e->at) < 0 ||
	    b.data == NULL) {
		buf_free(&b);
		return fail(err, errlen, "out of memory or too large");
	}
	*outlen = b.len;
	*out = buf_steal(&b);
	return 0;
}

/* Sets e to replace the empty value v of key k (null, ~, []) by the
 * lines in e->ins: the token goes, the lines follow the line it was on. */
static void
edit_empty(struct text *t, const yaml_node_t *k, const yaml_node_t *v,
    struct edit *e)
{
	size_t ke = mark_off(t, k->end_mark), vs = mark_off(t, v->start_mark),
	    ve = mark_off(t, v->end_mark);

	if (ve < vs)
		ve = vs;
	if (vs < ke)	/* an empty scalar where the key ends */
		vs = ve = ke;
	e->del_end = ve;
	while (vs > ke && (t->s[vs - 1] == ' ' || t->s[vs - 1] == '\t'))
		vs--;
	e->del = vs;
	e->at = after_mark(t, mark_max(k->end_mark, v->end_mark));
	if (e->at < e->del_end)	/* cannot happen */
		e->at = e->del_end;
}

/* Ends e's insertion point with a line break when it is at the end of a
 * text that has none there. */
static int
edit_break_before(const struct text *t, struct edit *e)
{
	if (e->at == t->len && t->line[t->nline - 1] < t->len)
		return buf_puts(&e->ins, t->nl);
	return 0;
}

/* --- checking the result --- */

static int
strv_eq(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}


/* A list of matchers, copied: what a route or rule side should hold. */
struct mlist {
	struct mtrip {
		enum am_match_type	 type;
		char			*name, *value;
	}		*v;
	size_t		 n;
};

static void
mlist_free(struct mlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
mlist_add(struct mlist *l, const struct am_matchers *m)
{
	size_t n = am_matchers_count(m);
	struct mtrip *v;

	if (n == 0)
		return 0;
	if (n > AMP_MAX_BYTES - l->n ||
	    (v = realloc(l->v, (l->n + n) * sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	for (size_t i = 0; i < n; i++) {
		const char *name, *value;
		struct mtrip *x = &l->v[l->n];

		am_matchers_get(m, i, &x->type, &name, &value);
		x->name = strdup(name);
		x->value = strdup(value);
		l->n++;
		if (x->name == NULL || x->value == NULL)
			return -1;
	}
	return 0;
}

/* Parses the n matcher strings v (each as one `matchers:` item) into l. */
static int
mlist_parse(struct mlist *l, const char *const *v, size_t n,
    const char *what, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		struct am_matchers *m = NULL;
		char merr[256];
		int r;

		if (v == NULL || v[i] == NULL)
			return fail(err, errlen, "%s[%zu]: NULL", what, i);
		if (am_matchers_parse(v[i], strlen(v[i]), &m, merr,
		    sizeof(merr)) < 0)
			return fail(err, errlen, "%s[%zu]: %s", what, i, merr);
		r = mlist_add(l, m);
		am_matchers_free(m);
		if (r < 0)
			return fail(err, errlen, "out of memory");
	}
	return 0;
}

/* Whether m holds the matchers of l, in any order. */
static int
mlist_same(const struct mlist *l, const struct am_matchers *m)
{
	size_t n = am_matchers_count(m);
	unsigned char *used;
	int same = 1;

	if (n != l->n)
		return 0;
	if (n == 0)
		return 1;
	if ((used = calloc(n, 1)) == NULL)
		return 0;
	for (size_t i = 0; i < n && same; i++) {
		size_t j;

		for (j = 0; j < n; j++) {
			enum am_match_type type;
			const char *name, *value;

			if (used[j])
				continue;
			am_matchers_get(m, j, &type, &name, &value);
			if (type == l->v[i].type &&
			    strcmp(name, l->v[i].name) == 0 &&
			    strcmp(value, l->v[i].value) == 0)
				break;
		}
		if (j == n)
			same = 0;
		else
			used[j] = 1;
	}
	free(used);
	return same;
}

/* Whether a and b hold the same matchers in the same order. */
static int
matchers_eq(const struct am_matchers *a, const struct am_matchers *b)
{
	size_t n = am_matchers_count(a);

	if (n != am_matchers_count(b))
		return 0;
	for (size_t i = 0; i < n; i++) {
		enum am_match_type ta, tb;
		const char *na, *va, *nb, *vb;

		am_matchers_get(a, i, &ta, &na, &va);
		am_matchers_get(b, i, &tb, &nb, &vb);
		if (ta != tb || strcmp(na, nb) != 0 || strcmp(va, vb) != 0)
			return 0;
	}
	return 1;
}

/* What differs between route a and route b (NULL: nothing) but their
 * ids, paths, lines and parents. */
static const char *
route_diff(const struct am_route_info *a, const struct am_route_info *b,
    size_t b_children)
{
	if (a->depth != b->depth)
		return "depth";
	if (strcmp(a->key, b->key) != 0 || !matchers_eq(a->matchers,
	    b->matchers))
		return "matchers";
	if (a->cont != b->cont)
		return "continue";
	if (b_children != b->n_children)
		return "children";
	if (strcmp(a->receiver, b->receiver) != 0)
		return "receiver";
	if (a->group_by_all != b->group_by_all || !strv_eq(a->group_by,
	    a->n_group_by, b->group_by, b->n_group_by))
		return "group_by";
	if (a->group_wait_ms != b->group_wait_ms)
		return "group_wait";
	if (a->group_interval_ms != b->group_interval_ms)
		return "group_interval";
	if (a->repeat_interval_ms != b->repeat_interval_ms)
		return "repeat_interval";
	if (!strv_eq(a->mute_time_intervals, a->n_mute_time_intervals,
	    b->mute_time_intervals, b->n_mute_time_intervals))
		return "mute_time_intervals";
	if (!strv_eq(a->active_time_intervals, a->n_active_time_intervals,
	    b->active_time_intervals, b->n_active_time_intervals))
		return "active_time_intervals";
	return NULL;
}

/* Checks that every route of old is in nw with the same settings: at the
 * same id and path when parent is AM_NO_PARENT, else shifted by the new
 * route at id parent + 1 (the parent's first child), the index of a path
 * under the parent one higher. */
static int
check_routes(const struct am_config *old, const struct am_config *nw,
    size_t parent, char *err, size_t errlen)
{
	size_t n = am_route_count(old), add = parent != AM_NO_PARENT;
	struct am_route_info a, b;
	char *prefix = NULL, *want = NULL;
	size_t plen = 0;
	int result = -1;

	if (am_route_count(nw) != n + add) {
		fail(err, errlen, "the patched file has %zu routes, not %zu",
		    am_route_count(nw), n + add);
		goto out;
	}
	if (add) {
		am_route_get(old, parent, &a);
		plen = strlen(a.path) + 8;
		if ((prefix = malloc(plen + 1)) == NULL) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		snprintf(prefix, plen + 1, "%s.routes[", a.path);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = add && i > parent ? i + 1 : i, wl;
		size_t wparent, kids;
		const char *what;

		am_route_get(old, i, &a);
		am_route_get(nw, j, &b);
		wl = strlen(a.path) + 24;
		free(want);
		if ((want = malloc(wl)) == NULL) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		snprintf(want, wl, "%s", a.path);
		if (add && i != parent && strncmp(a.path, prefix, plen) == 0) {
			char *end;
			unsigned long k = strtoul(a.path + plen, &end, 10);

			snprintf(want, wl, "%s%lu%s", prefix, k + 1, end);
		}
		wparent = a.parent == AM_NO_PARENT || !add ||
		    a.parent <= parent ? a.parent : a.parent + 1;
		kids = a.n_children + (add && i == parent);
		if (strcmp(b.path, want) != 0 || b.parent != wparent)
			what = "place";
		else
			what = route_diff(&a, &b, kids);
		if (what != NULL) {
			fail(err, errlen, "internal error: the patch would "
			    "change %s (line %lu): its %s", a.path, a.line,
			    what);
			goto out;
		}
	}
	result = 0;
out:
	free(prefix);
	free(want);
	return result;
}

/* Checks that nw holds the receivers, time intervals and the first n
 * inhibit rules of old. */
static int
check_rest(const struct am_config *old, const struct am_config *nw,
    size_t n, char *err, size_t errlen)
{
	size_t nr = am_receiver_count(old), nt = am_time_interval_count(old);

	if (am_receiver_count(nw) != nr || am_time_interval_count(nw) != nt)
		return fail(err, errlen, "internal error: the patch would "
		    "change the receivers or time intervals");
	for (size_t i = 0; i < nr; i++)
		if (strcmp(am_receiver_name(old, i),
		    am_receiver_name(nw, i)) != 0)
			return fail(err, errlen, "internal error: the patch "
			    "would change receiver %zu", i);
	for (size_t i = 0; i < nt; i++)
		if (strcmp(am_time_interval_name(old, i),
		    am_time_interval_name(nw, i)) != 0)
			return fail(err, errlen, "internal error: the patch "
			    "would change time interval %zu", i);
	for (size_t i = 0; i < n; i++) {
		const struct am_matchers *os, *ot, *ns, *nt_;
		const char *const *oe, *const *ne;
		size_t noe, nne;

		am_inhibit_rule_matchers(old, i, &os, &ot);
		am_inhibit_rule_matchers(nw, i, &ns, &nt_);
		oe = am_inhibit_rule_equal(old, i, &noe);
		ne = am_inhibit_rule_equal(nw, i, &nne);
		if (!matchers_eq(os, ns) || !matchers_eq(ot, nt_) ||
		    !strv_eq(oe, noe, ne, nne))
			return fail(err, errlen, "internal error: the patch "
			    "would change inhibit_rules[%zu]", i);
	}
	return 0;
}

/* Checks that route parent + 1 of nw is sub, as the parent's first
 * child. */
static int
check_new_route(const struct am_config *nw, size_t parent,
    const struct amp_route *sub, const struct mlist *want, char *err,
    size_t errlen)
{
	struct am_route_info p, r;
	const char *what = NULL;
	size_t wl;
	char *path;

	am_route_get(nw, parent, &p);
	am_route_get(nw, parent + 1, &r);
	wl = strlen(p.path) + 16;
	if ((path = malloc(wl)) == NULL)
		return fail(err, errlen, "out of memory");
	snprintf(path, wl, "%s.routes[0]", p.path);
	if (r.parent != parent || strcmp(r.path, path) != 0 ||
	    r.n_children != 0)
		what = "place";
	else if (!mlist_same(want, r.matchers))
		what = "matchers";
	else if (strcmp(r.receiver, sub->receiver != NULL ? sub->receiver :
	    p.receiver) != 0)
		what = "receiver";
	else if (sub->n_group_by == 1 && strcmp(sub->group_by[0], "...") == 0 ?
	    !r.group_by_all : sub->n_group_by > 0 ? r.group_by_all ||
	    !strv_eq(r.group_by, r.n_group_by, sub->group_by,
	    sub->n_group_by) : r.group_by_all != p.group_by_all ||
	    !strv_eq(r.group_by, r.n_group_by, p.group_by, p.n_group_by))
		what = "group_by";
	else if (r.group_wait_ms != (sub->group_wait_ms >= 0 ?
	    sub->group_wait_ms : p.group_wait_ms))
		what = "group_wait";
	else if (r.group_interval_ms != (sub->group_interval_ms >= 0 ?
	    sub->group_interval_ms : p.group_interval_ms))
		what = "group_interval";
	else if (r.repeat_interval_ms != (sub->repeat_interval_ms >= 0 ?
	    sub->repeat_interval_ms : p.repeat_interval_ms))
		what = "repeat_interval";
	else if (r.cont != (sub->cont != 0))
		what = "continue";
	else if (r.n_mute_time_intervals != 0 || r.n_active_time_intervals != 0)
		what = "time intervals";
	if (what != NULL)
		fail(err, errlen, "internal error: the new route at %s (line "
		    "%lu) is not the one asked for: its %s", r.path, r.line,
		    what);
	free(path);
	return what != NULL ? -1 : 0;
}

/* Loads the patched text and checks the parts of it the edit must not
 * change: the routes (shifted by the new route under parent, unless
 * AM_NO_PARENT), the receivers, time intervals and the first nrules
 * inhibit rules. On success *nw is the loaded config. */
static int
reload(const struct am_config *old, const char *text, size_t len,
    size_t parent, size_t nrules, struct am_config **nw, char *err,
    size_t errlen)
{
	char perr[512];

	if (am_config_parse(text, len, nw, perr, sizeof(perr)) < 0)
		return fail(err, errlen, "the patched file does not load: %s",
		    perr);
	if (check_routes(old, *nw, parent, err, errlen) < 0 ||
	    check_rest(old, *nw, nrules, err, errlen) < 0) {
		am_config_free(*nw);
		*nw = NULL;
		return -1;
	}
	return 0;
}

/* --- placing the edit --- */

static int
is_comment_line(const struct text *t, size_t l)
{
	size_t p = t->line[l], end = line_next(t, l);

	while (p < end && (t->s[p] == ' ' || t->s[p] == '\t'))
		p++;
	return p < end && t->s[p] == '#';
}

/* Finds the mapping of the route at path ("route", then ".routes[i]"
 * steps, as amroute names routes) and returns its node id, or 0 with
 * why in err. Nothing on the way may be shared or merged. */
static int
find_route(struct text *t, const char *path, char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(&t->doc), *n, *seq;
	yaml_node_pair_t *p;
	const char *s = path;
	int id;

	if (root->type != YAML_MAPPING_NODE || is_flow(root) ||
	    has_merge(t, root)) {
		fail(err, errlen, "the top level is not a block mapping "
		    "without merge keys (<<); it cannot be patched in place");
		return 0;
	}
	if ((p = map_pair(t, root, "route")) == NULL ||
	    strncmp(path, "route", 5) != 0) {
		fail(err, errlen, "%s: not in the text", path);
		return 0;
	}
	id = p->value;
	for (s += 5;; s = strchr(s + 8, ']') + 1) {
		unsigned long k;
		char *end;

		n = node(t, id);
		if (refs(t, id) != 1) {
			fail(err, errlen, "%.*s (line %lu) uses a YAML anchor "
			    "or alias; it cannot be patched in place",
			    (int)(s - path), path,
			    (unsigned long)n->start_mark.line + 1);
			return 0;
		}
		if (n->type != YAML_MAPPING_NODE) {
			fail(err, errlen, "%.*s (line %lu): not a mapping",
			    (int)(s - path), path,
			    (unsigned long)n->start_mark.line + 1);
			return 0;
		}
		if (has_merge(t, n)) {
			fail(err, errlen, "%.*s (line %lu) uses a YAML merge "
			    "key (<<); it cannot be patched in place",
			    (int)(s - path), path,
			    (unsigned long)n->start_mark.line + 1);
			return 0;
		}
		if (*s == '\0')
			return id;
		k = strtoul(s + 8, &end, 10);
		if (strncmp(s, ".routes[", 8) != 0 || *end != ']' ||
		    (p = map_pair(t, n, "routes")) == NULL) {
			fail(err, errlen, "%s: not in the text", path);
			return 0;
		}
		seq = node(t, p->value);
		if (refs(t, p->value) != 1) {
			fail(err, errlen, "%.*s.routes (line %lu) uses a YAML "
			    "anchor or alias; it cannot be patched in place",
			    (int)(s - path), path,
			    (unsigned long)seq->start_mark.line + 1);
			return 0;
		}
		if (seq->type != YAML_SEQUENCE_NODE || k >= (unsigned long)
		    (seq->data.sequence.items.top -
		    seq->data.sequence.items.start)) {
			fail(err, errlen, "%s: not in the text", path);
			return 0;
		}
		id = seq->data.sequence.items.start[k];
	}
}

/* Sets e to add sub as the first child of the route mapping id at
 * path. */
static int
place_route(struct text *t, int id, const char *path,
    const struct amp_route *sub, struct edit *e, char *err, size_t errlen)
{
	yaml_node_t *n = node(t, id), *k, *v;
	yaml_node_pair_t *rp = NULL;
	size_t kc, dash, col, l;

	if (is_flow(n))
		return fail(err, errlen, "%s (line %lu) is written as a flow "
		    "mapping ({...}); only a block mapping can be patched in "
		    "place", path, (unsigned long)n->start_mark.line + 1);
	kc = key_column(t, n);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	    p < n->data.mapping.pairs.top; p++) {
		if (scalar_is(node(t, p->key), "routes")) {
			rp = p;
			continue;
		}
		if (check_unshared(t, p->key, path, 0, err, errlen) < 0 ||
		    check_unshared(t, p->value, path, 0, err, errlen) < 0)
			return -1;
	}
	file_layout(t, &dash, &col);
	if (rp == NULL) {
		e->at = after_mark(t, content_end(t, n, 0));
		if (edit_break_before(t, e) < 0 || put_spaces(&e->ins, kc) < 0 ||
		    buf_printf(&e->ins, "routes:%s", t->nl) < 0)
			return fail(err, errlen, "out of memory");
		return write_route(&e->ins, sub, kc + dash, kc + dash + col,
		    t->nl, err, errlen);
	}
	k = node(t, rp->key);
	v = node(t, rp->value);
	if (refs(t, rp->key) != 1 || refs(t, rp->value) != 1)
		return fail(err, errlen, "%s.routes (line %lu) uses a YAML "
		    "anchor or alias; it cannot be patched in place", path,
		    (unsigned long)k->start_mark.line + 1);
	if (yn_is_null(v) || (v->type == YAML_SEQUENCE_NODE && is_flow(v) &&
	    v->data.sequence.items.start == v->data.sequence.items.top)) {
		edit_empty(t, k, v, e);
		if (edit_break_before(t, e) < 0)
			return fail(err, errlen, "out of memory");
		return write_route(&e->ins, sub, kc + dash, kc + dash + col,
		    t->nl, err, errlen);
	}
	if (v->type != YAML_SEQUENCE_NODE)	/* cannot happen: it loads */
		return fail(err, errlen, "%s.routes (line %lu): not a list",
		    path, (unsigned long)v->start_mark.line + 1);
	if (is_flow(v))
		return fail(err, errlen, "%s.routes (line %lu) is a flow-style "
		    "list ([...]); only a block list can be patched in place",
		    path, (unsigned long)v->start_mark.line + 1);
	if (!starts_at_dash(t, v))
		return fail(err, errlen, "%s.routes (line %lu) has a YAML tag "
		    "or anchor; it cannot be patched in place", path,
		    (unsigned long)v->start_mark.line + 1);
	if (list_layout(t, k, rp->value, &dash, &col) < 0)
		col = AMP_INDENT;
	/* before the first "-" and the comment lines right above it */
	for (l = v->start_mark.line; l > k->start_mark.line + 1 &&
	    is_comment_line(t, l - 1); l--)
		;
	e->at = t->line[l];
	return write_route(&e->ins, sub, v->start_mark.column,
	    v->start_mark.column + col, t->nl, err, errlen);
}

/* Checks sub before anything is written: its matchers parse (into want),
 * its receiver is c's, it sets something. */
static int
check_sub(const struct amp_route *sub, const struct am_config *c,
    struct mlist *want, char *err, size_t errlen)
{
	if (mlist_parse(want, sub->matchers, sub->n_matchers, "matchers",
	    err, errlen) < 0)
		return -1;
	if (sub->receiver != NULL && am_receiver_find(c, sub->receiver) < 0)
		return fail(err, errlen, "receiver \"%s\" is not defined in "
		    "receivers:", sub->receiver);
	if (sub->n_group_by > 0 && sub->group_by == NULL)
		return fail(err, errlen, "group_by: NULL");
	for (size_t i = 0; i < sub->n_group_by; i++)
		if (sub->group_by[i] == NULL)
			return fail(err, errlen, "group_by[%zu]: NULL", i);
	if (sub->group_wait_ms < -1 || sub->group_interval_ms < -1 ||
	    sub->repeat_interval_ms < -1)
		return fail(err, errlen, "a negative duration");
	if (sub->n_matchers == 0 && sub->receiver == NULL &&
	    sub->n_group_by == 0 && sub->group_wait_ms < 0 &&
	    sub->group_interval_ms < 0 && sub->repeat_interval_ms < 0 &&
	    !sub->cont)
		return fail(err, errlen, "the route sets nothing");
	return 0;
}

int
amp_add_subroute(const char *yaml, size_t len, const struct am_config *c,
    size_t parent_route_id, const struct amp_route *sub, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct am_config *old = NULL, *nw = NULL;
	struct am_route_info pc, po;
	struct mlist want = { NULL, 0 };
	struct text t;
	struct edit e;
	char perr[512];
	int id, result = -1;

	assert(yaml != NULL && c != NULL && sub != NULL && out != NULL &&
	    outlen != NULL);
	*out = NULL;
	*outlen = 0;
	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	buf_init(&e.ins, AMP_MAX_ADD);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (parent_route_id >= am_route_count(c)) {
		fail(err, errlen, "route %zu: no such route (there are %zu)",
		    parent_route_id, am_route_count(c));
		goto out;
	}
	am_route_get(c, parent_route_id, &pc);
	if (check_sub(sub, c, &want, err, errlen) < 0)
		goto out;
	if (am_config_parse(yaml, len, &old, perr, sizeof(perr)) < 0) {
		fail(err, errlen, "the file does not load: %s", perr);
		goto out;
	}
	if (am_route_count(old) == am_route_count(c))
		am_route_get(old, parent_route_id, &po);
	if (am_route_count(old) != am_route_count(c) ||
	    strcmp(po.path, pc.path) != 0 || po.line != pc.line) {
		fail(err, errlen, "route %zu (%s, line %lu) is not in this "
		    "text: the config was read from another one",
		    parent_route_id, pc.path, pc.line);
		goto out;
	}
	if (text_open(&t, yaml, len, err, errlen) < 0 ||
	    (id = find_route(&t, po.path, err, errlen)) == 0)
		goto out;
	if (node(&t, id)->start_mark.line + 1 != po.line) {
		fail(err, errlen, "internal error: %s found at line %lu, not "
		    "%lu", po.path, (unsigned long)node(&t, id)->start_mark.line
		    + 1, po.line);
		goto out;
	}
	if (place_route(&t, id, po.path, sub, &e, err, errlen) < 0 ||
	    apply(&t, &e, out, outlen, err, errlen) < 0 ||
	    reload(old, *out, *outlen, parent_route_id,
	    am_inhibit_rule_count(old), &nw, err, errlen) < 0 ||
	    check_new_route(nw, parent_route_id, sub, &want, err, errlen) < 0)
		goto out;
	if (am_inhibit_rule_count(nw) != am_inhibit_rule_count(old)) {
		fail(err, errlen, "internal error: the patch would change "
		    "the inhibit rules");
		goto out;
	}
	result = 0;
out:
	if (result < 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	buf_free(&e.ins);
	text_close(&t);
	mlist_free(&want);
	am_config_free(old);
	am_config_free(nw);
	return result;
}

/* Where a new top-level key goes: after the first document's content,
 * before a "---" or "..." that ends it. */
static size_t
doc_end(const struct text *t)
{
	yaml_mark_t m = t->doc.end_mark;
	size_t off = mark_off(t, m), l;

	if (off >= t->len || m.line >= t->nline)
		return t->len;
	l = m.line;
	if (t->len - t->line[l] >= 3 &&
	    (memcmp(t->s + t->line[l], "---", 3) == 0 ||
	    memcmp(t->s + t->line[l], "...", 3) == 0))
		return t->line[l];
	return after_mark(t, m);
}

int
amp_add_inhibit_rule(const char *yaml, size_t len,
    const struct amp_inhibit *r, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct am_config *old = NULL, *nw = NULL;
	struct mlist src = { NULL, 0 }, tgt = { NULL, 0 };
	const struct am_matchers *ns, *nt;
	const char *const *eq;
	yaml_node_t *root, *k, *v;
	yaml_node_pair_t *p;
	struct text t;
	struct edit e;
	char perr[512];
	size_t kc, dash, col, n, neq;
	int result = -1;

	assert(yaml != NULL && r != NULL && out != NULL && outlen != NULL);
	*out = NULL;
	*outlen = 0;
	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	buf_init(&e.ins, AMP_MAX_ADD);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (mlist_parse(&src, r->source_matchers, r->n_source_matchers,
	    "source_matchers", err, errlen) < 0 ||
	    mlist_parse(&tgt, r->target_matchers, r->n_target_matchers,
	    "target_matchers", err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < r->n_equal; i++)
		if (r->equal == NULL || r->equal[i] == NULL) {
			fail(err, errlen, "equal[%zu]: NULL", i);
			goto out;
		}
	if (am_config_parse(yaml, len, &old, perr, sizeof(perr)) < 0) {
		fail(err, errlen, "the file does not load: %s", perr);
		goto out;
	}
	if (text_open(&t, yaml, len, err, errlen) < 0)
		goto out;
	root = yaml_document_get_root_node(&t.doc);
	if (root->type != YAML_MAPPING_NODE || is_flow(root)) {
		fail(err, errlen, "the top level is not a block mapping");
		goto out;
	}
	if (has_merge(&t, root)) {
		fail(err, errlen, "the top level uses a YAML merge key (<<); "
		    "it cannot be patched in place");
		goto out;
	}
	kc = key_column(&t, root);
	dash = col = AMP_INDENT;
	if ((p = map_pair(&t, root, "receivers")) == NULL ||
	    list_layout(&t, node(&t, p->key), p->value, &dash, &col) < 0)
		file_layout(&t, &dash, &col);
	n = am_inhibit_rule_count(old);
	if ((p = map_pair(&t, root, "inhibit_rules")) == NULL) {
		e.at = doc_end(&t);
		if (edit_break_before(&t, &e) < 0 ||
		    put_spaces(&e.ins, kc) < 0 ||
		    buf_printf(&e.ins, "inhibit_rules:%s", t.nl) < 0) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (write_rule(&e.ins, r, kc + dash, kc + dash + col, t.nl,
		    err, errlen) < 0)
			goto out;
	} else {
		k = node(&t, p->key);
		v = node(&t, p->value);
		if (refs(&t, p->key) != 1 || refs(&t, p->value) != 1) {
			fail(err, errlen, "inhibit_rules (line %lu) uses a "
			    "YAML anchor or alias; it cannot be patched in "
			    "place", (unsigned long)k->start_mark.line + 1);
			goto out;
		}
		if (yn_is_null(v) || (v->type == YAML_SEQUENCE_NODE &&
		    v->data.sequence.items.start ==
		    v->data.sequence.items.top)) {
			edit_empty(&t, k, v, &e);
			if (edit_break_before(&t, &e) < 0) {
				fail(err, errlen, "out of memory");
				goto out;
			}
			if (write_rule(&e.ins, r, kc + dash, kc + dash + col,
			    t.nl, err, errlen) < 0)
				goto out;
		} else if (v->type != YAML_SEQUENCE_NODE || is_flow(v)) {
			fail(err, errlen, "inhibit_rules (line %lu) is a "
			    "flow-style list ([...]); only a block list can "
			    "be patched in place",
			    (unsigned long)v->start_mark.line + 1);
			goto out;
		} else {
			int last = v->data.sequence.items.top[-1];
			char what[64];

			snprintf(what, sizeof(what), "inhibit_rules[%zu]",
			    (size_t)(v->data.sequence.items.top -
			    v->data.sequence.items.start) - 1);
			if (!starts_at_dash(&t, v)) {
				fail(err, errlen, "inhibit_rules (line %lu) "
				    "has a YAML tag or anchor; it cannot be "
				    "patched in place",
				    (unsigned long)v->start_mark.line + 1);
				goto out;
			}
			if (check_unshared(&t, last, what, 0, err, errlen) < 0)
				goto out;
			if (list_layout(&t, k, p->value, &dash, &col) < 0)
				col = AMP_INDENT;
			e.at = after_mark(&t, content_end(&t, node(&t, last),
			    0));
			if (edit_break_before(&t, &e) < 0) {
				fail(err, errlen, "out of memory");
				goto out;
			}
			if (write_rule(&e.ins, r, v->start_mark.column,
			    v->start_mark.column + col, t.nl, err, errlen) < 0)
				goto out;
		}
	}
	if (apply(&t, &e, out, outlen, err, errlen) < 0 ||
	    reload(old, *out, *outlen, AM_NO_PARENT, n, &nw, err, errlen) < 0)
		goto out;
	if (am_inhibit_rule_count(nw) != n + 1) {
		fail(err, errlen, "internal error: the patched file has %zu "
		    "inhibit rules, not %zu", am_inhibit_rule_count(nw), n + 1);
		goto out;
	}
	am_inhibit_rule_matchers(nw, n, &ns, &nt);
	eq = am_inhibit_rule_equal(nw, n, &neq);
	if (!mlist_same(&src, ns) || !mlist_same(&tgt, nt) ||
	    !strv_eq(eq, neq, r->equal, r->n_equal)) {
		fail(err, errlen, "internal error: the new inhibit rule is not "
		    "the one asked for");
		goto out;
	}
	result = 0;
out:
	if (result < 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	buf_free(&e.ins);
	text_close(&t);
	mlist_free(&src);
	mlist_free(&tgt);
	am_config_free(old);
	am_config_free(nw);
	return result;
}
