/* udiff.c -- unified diffs (see udiff.h).
 *
 * The edit script is E. W. Myers, "An O(ND) Difference Algorithm and Its
 * Variations", Algorithmica 1 (1986): the linear-space variant (section 4b)
 * that finds the middle snake of the shortest edit path by searching from
 * both ends at once, then recurses on the two halves; written as GNU
 * diffutils' analyze.c writes it (diag and compareseq, without its
 * heuristics, so the script is a shortest one). Lines are compared by
 * number: equal lines get one id through a hash table first. A line is its
 * bytes with the '\n' that ends it, so a last line without one differs from
 * the same text with one, as in diff.
 *
 * The output is GNU diff's unified format (diffutils context.c
 * pr_unidiff_hunk): changes less than 2 * 3 + 1 lines apart share a hunk,
 * an empty range is written "l,0" with l the line before it, a range of
 * one line "l". */
#include "udiff.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define CONTEXT		3

struct line {
	const char	*p;
	size_t		 len;		/* with its '\n', if it has one */
};

struct text {
	struct line	*l;		/* owned, n lines */
	long		 n;
	unsigned	*id;		/* owned: the lines' ids */
	char		*chg;		/* owned: 1 when deleted (a) or
					   inserted (b) */
};

struct ctx {
	const unsigned	*xv, *yv;	/* a's and b's ids */
	char		*xchg, *ychg;
	long		*fd, *bd;	/* by diagonal, -(nb+1) .. na+1 */
	long long	 work;
	int		 toomuch;
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

/* Splits s into t->l. Fails past UD_MAX_LINES or out of memory. */
static int
split(const char *s, size_t len, struct text *t, const char *which,
    char *err, size_t errlen)
{
	const char *p = s, *end = s + len, *nl;
	size_t n = 0;
	long i;

	for (nl = s; nl < end && (nl = memchr(nl, '\n', (size_t)(end - nl)));
	    nl++)
		n++;
	if (len > 0 && s[len - 1] != '\n')
		n++;
	if (n > UD_MAX_LINES)
		return fail(err, errlen, "%s text has more than %d lines",
		    which, UD_MAX_LINES);
	if ((t->l = calloc(n ? n : 1, sizeof(*t->l))) == NULL ||
	    (t->id = calloc(n ? n : 1, sizeof(*t->id))) == NULL ||
	    (t->chg = calloc(n ? n : 1, 1)) == NULL)
		return fail(err, errlen, "out of memory");
	t->n = (long)n;
	for (i = 0; i < t->n; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		t->l[i].p = p;
		t->l[i].len = nl != NULL ? (size_t)(nl - p) + 1 :
		    (size_t)(end - p);
		p += t->l[i].len;
	}
	assert(p == end);
	return 0;
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_line(const struct line *l)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < l->len; i++) {
		h ^= (unsigned char)l->p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Gives equal lines of a and b equal ids. */
static int
number_lines(struct text *a, struct text *b, char *err, size_t errlen)
{
	struct slot {
		const struct line *l;	/* NULL: empty */
		uint64_t h;
		unsigned id;
	} *tab;
	struct text *t;
	const struct line *l;
	size_t cap = 16, mask, k;
	unsigned next = 0;
	uint64_t h;
	long i;
	int side;

	while (cap < 2 * (size_t)(a->n + b->n))
		cap *= 2;
	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return fail(err, errlen, "out of memory");
	mask = cap - 1;
	for (side = 0; side < 2; side++) {
		t = side == 0 ? a : b;
		for (i = 0; i < t->n; i++) {
			l = &t->l[i];
			h = hash_line(l);
			for (k = (size_t)h & mask; tab[k].l != NULL;
			    k = (k + 1) & mask)
				if (tab[k].h == h && tab[k].l->len == l->len &&
				    memcmp(tab[k].l->p, l->p, l->len) == 0)
					break;
			if (tab[k].l == NULL) {
				tab[k].l = l;
				tab[k].h = h;
				tab[k].id = next++;
			}
			t->id[i] = tab[k].id;
		}
	}
	free(tab);
	return 0;
}

/* Finds the middle snake of the shortest path from (xoff, yoff) to (xlim,
 * ylim), which differ at both ends, and sets (*xmid, *ymid) to a point on
 * it (diffutils analyze.c diag, with find_minimal). Sets c->toomuch
 * instead when the work passes UD_MAX_WORK. */
static void
diag(struct ctx *c, long xoff, long xlim, long yoff, long ylim, long *xmid,
    long *ymid)
{
	long *const fd = c->fd, *const bd = c->bd;
	const unsigned *const xv = c->xv, *const yv = c->yv;
	const long dmin = xoff - ylim, dmax = xlim - yoff;
	const long fmid = xoff - yoff, bmid = xlim - ylim;
	long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	const int odd = (fmid - bmid) & 1;
	long d, x, y, tlo, thi, x0;

	fd[fmid] = xoff;
	bd[bmid] = xlim;
	for (;;) {
		/* extend the forward search by one edit */
		if (fmin > dmin)
			fd[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			fd[++fmax + 1] = -1;
		else
			--fmax;
		for (d = fmax; d >= fmin; d -= 2) {
			tlo = fd[d - 1];
			thi = fd[d + 1];
			x0 = tlo >= thi ? tlo + 1 : thi;
			for (x = x0, y = x0 - d;
			    x < xlim && y < ylim && xv[x] == yv[y]; x++, y++)
				;
			c->work += x - x0 + 1;
			fd[d] = x;
			if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
				*xmid = x;
				*ymid = y;
				return;
			}
		}
		/* and the backward one */
		if (bmin > dmin)
			bd[--bmin - 1] = LONG_MAX;
		else
			++bmin;
		if (bmax < dmax)
			bd[++bmax + 1] = LONG_MAX;
		else
			--bmax;
		for (d = bmax; d >= bmin; d -= 2) {
			tlo = bd[d - 1];
			thi = bd[d + 1];
			x0 = tlo < thi ? tlo : thi - 1;
			for (x = x0, y = x0 - d;
			    xoff < x && yoff < y && xv[x - 1] == yv[y - 1];
			    x--, y--)
				;
			c->work += x0 - x + 1;
			bd[d] = x;
			if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
				*xmid = x;
				*ymid = y;
				return;
			}
		}
		if (c->work > UD_MAX_WORK) {
			c->toomuch = 1;
			return;
		}
	}
}

/* Marks the lines of a[xoff, xlim) and b[yoff, ylim) a shortest edit script
 * deletes and inserts (diffutils analyze.c compareseq). The recursion is
 * as deep as log2 of the number of differences. */
static void
compareseq(struct ctx *c, long xoff, long xlim, long yoff, long ylim)
{
	long xmid, ymid;

	while (xoff < xlim && yoff < ylim && c->xv[xoff] == c->yv[yoff]) {
		xoff++;
		yoff++;
	}
	while (xlim > xoff && ylim > yoff &&
	    c->xv[xlim - 1] == c->yv[ylim - 1]) {
		xlim--;
		ylim--;
	}
	if (xoff == xlim) {
		while (yoff < ylim)
			c->ychg[yoff++] = 1;
	} else if (yoff == ylim) {
		while (xoff < xlim)
			c->xchg[xoff++] = 1;
	} else {
		diag(c, xoff, xlim, yoff, ylim, &xmid, &ymid);
		if (c->toomuch)
			return;
		compareseq(c, xoff, xmid, yoff, ymid);
		if (c->toomuch)
			return;
		compareseq(c, xmid, xlim, ymid, ylim);
	}
}

/* One run of changes: a's lines [a, a+na) replaced by b's [b, b+nb). */
struct block {
	long	a, na, b, nb;
};

static int
put_range(struct buf *o, long lo, long n)
{
	if (n == 0)
		return buf_printf(o, "%ld,0", lo);
	if (n == 1)
		return buf_printf(o, "%ld", lo + 1);
	return buf_printf(o, "%ld,%ld", lo + 1, n);
}

static int
put_line(struct buf *o, char prefix, const struct line *l)
{
	if (buf_append(o, &prefix, 1) < 0 || buf_append(o, l->p, l->len) < 0)
		return -1;
	if (l->len == 0 || l->p[l->len - 1] != '\n')
		return buf_puts(o, "\n\\ No newline at end of file\n");
	return 0;
}

/* Writes the hunks of blocks bl[0..nbl) into o. */
static int
put_hunks(struct buf *o, const struct text *a, const struct text *b,
    const struct block *bl, size_t nbl)
{
	size_t i, j, k;
	long lead, trail, alo, ahi, blo, bhi, x, y;

	for (i = 0; i < nbl; i = j + 1) {
		/* the blocks less than 2 * CONTEXT + 1 lines apart */
		for (j = i; j + 1 < nbl &&
		    bl[j + 1].a - (bl[j].a + bl[j].na) <= 2 * CONTEXT; j++)
			;
		lead = bl[i].a - (i > 0 ? bl[i - 1].a + bl[i - 1].na : 0);
		lead = lead < CONTEXT ? lead : CONTEXT;
		trail = (j + 1 < nbl ? bl[j + 1].a : a->n) -
		    (bl[j].a + bl[j].na);
		trail = trail < CONTEXT ? trail : CONTEXT;
		alo = bl[i].a - lead;
		blo = bl[i].b - lead;
		ahi = bl[j].a + bl[j].na + trail;
		bhi = bl[j].b + bl[j].nb + trail;
		if (buf_puts(o, "@@ -") < 0 || put_range(o, alo, ahi - alo) < 0 ||
		    buf_puts(o, " +") < 0 || put_range(o, blo, bhi - blo) < 0 ||
		    buf_puts(o, " @@\n") < 0)
			return -1;
		x = alo;
		y = blo;
		for (k = i; k <= j; k++) {
			for (; x < bl[k].a; x++, y++)
				if (put_line(o, ' ', &a->l[x]) < 0)
					return -1;
			for (; x < bl[k].a + bl[k].na; x++)
				if (put_line(o, '-', &a->l[x]) < 0)
					return -1;
			for (; y < bl[k].b + bl[k].nb; y++)
				if (put_line(o, '+', &b->l[y]) < 0)
					return -1;
		}
		for (; x < ahi; x++)
			if (put_line(o, ' ', &a->l[x]) < 0)
				return -1;
	}
	return 0;
}

/* Collects the runs of changes of a and b, in order, into *out. */
static int
blocks(const struct text *a, const struct text *b, struct block **out,
    size_t *n)
{
	struct block *bl;
	size_t nbl = 0;
	long i = 0, j = 0, si, sj;

	/* at most one block per unchanged line and one more */
	if ((bl = calloc((size_t)(a->n < b->n ? a->n : b->n) + 1,
	    sizeof(*bl))) == NULL)
		return -1;
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n && !a->chg[i] && !b->chg[j]) {
			i++;
			j++;
			continue;
		}
		si = i;
		sj = j;
		while (i < a->n && a->chg[i])
			i++;
		while (j < b->n && b->chg[j])
			j++;
		/* unchanged lines pair up one to one */
		assert(i > si || j > sj);
		bl[nbl].a = si;
		bl[nbl].na = i - si;
		bl[nbl].b = sj;
		bl[nbl].nb = j - sj;
		nbl++;
	}
	*out = bl;
	*n = nbl;
	return 0;
}

int
ud_diff(const char *path, const char *a, size_t alen, const char *b,
    size_t blen, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct text ta = { 0 }, tb = { 0 };
	struct ctx c = { 0 };
	struct block *bl = NULL;
	struct buf o;
	const char *p;
	size_t nbl = 0, limit;
	long *diags = NULL;
	int result = -1;

	assert(path != NULL && out != NULL);
	assert((a != NULL || alen == 0) && (b != NULL || blen == 0));
	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (*path == '/')
		path++;
	if (*path == '\0')
		return fail(err, errlen, "empty path");
	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\\')
			return fail(err, errlen, "path holds a control "
			    "character, a quote or a backslash");
	if (alen > UD_MAX_BYTES || blen > UD_MAX_BYTES)
		return fail(err, errlen, "text larger than %d bytes",
		    UD_MAX_BYTES);
	buf_init(&o, 0);
	if (split(a ? a : "", alen, &ta, "old", err, errlen) < 0 ||
	    split(b ? b : "", blen, &tb, "new", err, errlen) < 0 ||
	    number_lines(&ta, &tb, err, errlen) < 0)
		goto out;
	/* the texts; per line a prefix, a no-newline note and at worst a hunk
	 * header; the two file headers */
	limit = alen + blen + (size_t)(ta.n + tb.n + 1) * 96 +
	    2 * strlen(path) + 64;
	buf_init(&o, limit);

	if ((diags = calloc(2 * (size_t)(ta.n + tb.n + 3),
	    sizeof(*diags))) == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	c.xv = ta.id;
	c.yv = tb.id;
	c.xchg = ta.chg;
	c.ychg = tb.chg;
	c.fd = diags + tb.n + 1;
	c.bd = c.fd + ta.n + tb.n + 3;
	compareseq(&c, 0, ta.n, 0, tb.n);
	if (c.toomuch) {
		fail(err, errlen, "texts too different to diff (more than "
		    "%lld steps)", UD_MAX_WORK);
		goto out;
	}
	if (blocks(&ta, &tb, &bl, &nbl) < 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (nbl > 0 &&
	    (buf_printf(&o, "--- a/%s%s\n+++ b/%s%s\n", path,
	    strchr(path, ' ') ? "\t" : "", path,
	    strchr(path, ' ') ? "\t" : "") < 0 ||
	    put_hunks(&o, &ta, &tb, bl, nbl) < 0)) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (o.data == NULL && buf_append(&o, "", 0) < 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (outlen != NULL)
		*outlen = o.len;
	*out = buf_steal(&o);
	result = 0;
out:
	free(bl);
	free(diags);
	free(ta.l);
	free(ta.id);
	free(ta.chg);
	free(tb.l);
	free(tb.id);
	free(tb.chg);
	buf_free(&o);
	return result;
}
