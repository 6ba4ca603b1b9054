/* test_udiff.c -- lib/tuning/udiff.c: unified diffs that GNU patch applies.
 *
 * Random texts and random edits (seeded), each diff applied with the real
 * `patch -p1` (no fuzz, no offset allowed) to give the new text byte for
 * byte, and its size compared with `diff --minimal`'s, which is also a
 * shortest edit script. Fixed cases compare the text with `diff -u`'s. */
#include "t.h"
#include "udiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[64];

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t
rnd(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

/* A line: mostly from a few repeated ones, so that texts match in many
 * ways; sometimes unique, empty or with a '\r'. */
static void
random_line(char *out, size_t outlen)
{
	static const char *const common[] = { "a", "b", "c", "  - alert: X",
	    "    for: 5m", "}", "" };
	size_t k = rnd(10);

	if (k < 7)
		snprintf(out, outlen, "%s", common[k]);
	else if (k < 9)
		snprintf(out, outlen, "line %zu", rnd(1000));
	else
		snprintf(out, outlen, "cr\r");
}

struct lines {
	char	**v;
	size_t	  n;
};

static void
lines_push(struct lines *l, size_t at, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
	l->v[at] = strdup(s);
	l->n++;
}

static void
lines_del(struct lines *l, size_t at)
{
	free(l->v[at]);
	memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

static char *
lines_join(const struct lines *l, int final_nl, size_t *n)
{
	size_t i, len = 0;
	char *s;

	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	s = malloc(len + 1);
	*n = 0;
	for (i = 0; i < l->n; i++) {
		memcpy(s + *n, l->v[i], strlen(l->v[i]));
		*n += strlen(l->v[i]);
		if (i + 1 < l->n || final_nl)
			s[(*n)++] = '\n';
	}
	s[*n] = '\0';
	return s;
}

static void
lines_free(struct lines *l)
{
	while (l->n > 0)
		lines_del(l, l->n - 1);
	free(l->v);
	l->v = NULL;
}

/* The number of lines a diff deletes or inserts (not its --- and +++). */
static size_t
count_changes(const char *d)
{
	size_t n = 0;
	const char *p;

	for (p = d; *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	    p + strlen(p)) {
		if ((p[0] == '-' && strncmp(p, "--- ", 4) != 0) ||
		    (p[0] == '+' && strncmp(p, "+++ ", 4) != 0))
			n++;
	}
	return n;
}

/* Applies diff d to a file holding old with `patch -p1` in tmpdir and
 * returns what the file then holds (caller frees), NULL when patch failed
 * or needed fuzz or an offset. */
static char *
apply(const char *old, size_t oldlen, const char *d, size_t dlen,
    size_t *newlen)
{
	char path[128], cmd[512], *log, *res;
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/r.yml", tmpdir);
	if (t_write_file(path, old, oldlen) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/d.patch", tmpdir);
	if (t_write_file(path, d, dlen) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "patch -f -F0 -p1 --no-backup-if-mismatch "
	    "-d %s -i %s/d.patch > %s/patch.log 2>&1", tmpdir, tmpdir,
	    tmpdir);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/patch.log", tmpdir);
	log = t_read_file(path, &n);
	if (rc != 0 || log == NULL || strstr(log, "offset") != NULL ||
	    strstr(log, "fuzz") != NULL) {
		fprintf(stderr, "patch: rc %d: %s\n", rc, log ? log : "");
		free(log);
		return NULL;
	}
	free(log);
	snprintf(path, sizeof(path), "%s/r.yml", tmpdir);
	res = t_read_file(path, newlen);
	if (res == NULL) {	/* patch removed an emptied file */
		res = strdup("");
		*newlen = 0;
	}
	return res;
}

/* The number of changed lines in `diff --minimal` of old and new. */
static long
gnu_minimal_changes(const char *old, size_t oldlen, const char *new,
    size_t newlen)
{
	char a[128], b[128], o[128], cmd[512], *d;
	size_t n;
	long changes;

	snprintf(a, sizeof(a), "%s/old", tmpdir);
	snprintf(b, sizeof(b), "%s/new", tmpdir);
	snprintf(o, sizeof(o), "%s/gnu.diff", tmpdir);
	if (t_write_file(a, old, oldlen) < 0 || t_write_file(b, new, newlen) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "diff -U3 --minimal %s %s > %s", a, b, o);
	if (system(cmd) == -1 || (d = t_read_file(o, &n)) == NULL)
		return -1;
	changes = (long)count_changes(d);
	free(d);
	return changes;
}

/* `diff -u` of old and new, labelled a/path and b/path (caller frees). */
static char *
gnu_diff(const char *old, const char *new)
{
	char a[128], b[128], o[128], cmd[512];
	size_t n;

	snprintf(a, sizeof(a), "%s/old", tmpdir);
	snprintf(b, sizeof(b), "%s/new", tmpdir);
	snprintf(o, sizeof(o), "%s/gnu.diff", tmpdir);
	if (t_write_file(a, old, strlen(old)) < 0 ||
	    t_write_file(b, new, strlen(new)) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "diff -u --label a/r.yml --label b/r.yml "
	    "%s %s > %s", a, b, o);
	if (system(cmd) == -1)
		return NULL;
	return t_read_file(o, &n);
}

TEST(random_edits_apply_with_patch)
{
	struct lines l = { 0 };
	char line[64], err[256], *old, *new, *d, *got;
	size_t oldlen, newlen, dlen, gotlen, i, k, edits, at;
	int case_, old_nl, new_nl, applied = 0;
	long gnu;

	rng_state = 0x5eed1234abcdULL;
	for (case_ = 0; case_ < 300; case_++) {
		lines_free(&l);
		for (i = rnd(case_ % 10 == 0 ? 3 : 40); i > 0; i--) {
			random_line(line, sizeof(line));
			lines_push(&l, l.n, line);
		}
		old_nl = rnd(5) != 0;
		old = lines_join(&l, old_nl, &oldlen);
		if (case_ % 25 == 7) {
			/* something else entirely */
			lines_free(&l);
			for (i = rnd(30); i > 0; i--) {
				random_line(line, sizeof(line));
				lines_push(&l, l.n, line);
			}
		}
		edits = rnd(7);
		for (k = 0; k < edits; k++) {
			at = rnd(l.n + 1);
			switch (rnd(3)) {
			case 0:
				random_line(line, sizeof(line));
				lines_push(&l, at, line);
				break;
			case 1:
				if (at < l.n)
					lines_del(&l, at);
				break;
			default:
				if (at < l.n) {
					lines_del(&l, at);
					random_line(line, sizeof(line));
					lines_push(&l, at, line);
				}
				break;
			}
		}
		new_nl = rnd(5) == 0 ? !old_nl : old_nl;
		new = lines_join(&l, new_nl, &newlen);

		d = NULL;
		if (ud_diff("r.yml", old, oldlen, new, newlen, &d, &dlen, err,
		    sizeof(err)) != 0) {
			T_FAIL("case %d: %s", case_, err);
			goto next;
		}
		CHECK_INT(strlen(d), dlen);
		if (oldlen == newlen && memcmp(old, new, oldlen) == 0) {
			CHECK_INT(dlen, 0);
			goto next;
		}
		CHECK(strncmp(d, "--- a/r.yml\n+++ b/r.yml\n@@ -", 28) == 0);
		if ((got = apply(old, oldlen, d, dlen, &gotlen)) == NULL) {
			T_FAIL("case %d: patch did not apply:\n%s", case_, d);
			goto next;
		}
		applied++;
		if (gotlen != newlen || memcmp(got, new, newlen) != 0)
			T_FAIL("case %d: patched text differs:\n%s\n--- got:\n"
			    "%s\n--- want:\n%s", case_, d, got, new);
		free(got);
		gnu = gnu_minimal_changes(old, oldlen, new, newlen);
		if (gnu != (long)count_changes(d))
			T_FAIL("case %d: %zu changed lines, diff --minimal has "
			    "%ld:\n%s", case_, count_changes(d), gnu, d);
next:
		free(d);
		free(old);
		free(new);
	}
	lines_free(&l);
	CHECK(applied > 200);
}

TEST(equal_texts_give_an_empty_diff)
{
	const char *texts[] = { "", "a\n", "a\nb", "x\r\ny\r\n" };
	char err[128], *d;
	size_t dlen, i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		d = NULL;
		CHECK_INT(ud_diff("r.yml", texts[i], strlen(texts[i]), texts[i],
		    strlen(texts[i]), &d, &dlen, err, sizeof(err)), 0);
		CHECK_STR(d, "");
		CHECK_INT(dlen, 0);
		free(d);
	}
}

TEST(matches_gnu_diff_text)
{
	/* cases whose shortest edit script is unique */
	static const char *const cases[][2] = {
		{ "a\nb\nc\n", "a\nB\nc\n" },
		{ "a\nb", "a\nb\n" },			/* newline added */
		{ "a\nb\n", "a\nb" },			/* and removed */
		{ "a\nb", "a\nc" },
		{ "x\ny", "z\ny" },			/* context without */
		{ "", "new\n" },
		{ "old\n", "" },
		{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
		  "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nX\n16\n" },
		{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n",		/* 6 apart: one */
		  "1\nB\n3\n4\n5\n6\n7\n8\nI\n" },
		{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",	/* 7 apart: two */
		  "1\nB\n3\n4\n5\n6\n7\n8\n9\nJ\n" },
		{ "  - alert: A\n    expr: up == 0\n    labels:\n",
		  "  - alert: A\n    expr: up == 0\n    for: 5m\n    labels:\n" },
	};
	char err[128], *d, *want;
	size_t dlen, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = NULL;
		CHECK_INT(ud_diff("r.yml", cases[i][0], strlen(cases[i][0]),
		    cases[i][1], strlen(cases[i][1]), &d, &dlen, err,
		    sizeof(err)), 0);
		if ((want = gnu_diff(cases[i][0], cases[i][1])) == NULL) {
			T_FAIL("diff -u did not run");
			free(d);
			continue;
		}
		if (d == NULL || strcmp(d, want) != 0)
			T_FAIL("case %zu:\n%s--- diff -u:\n%s", i,
			    d ? d : "(null)", want);
		free(want);
		free(d);
	}
}

TEST(no_newline_marker)
{
	char err[128], *d = NULL;
	size_t dlen;

	CHECK_INT(ud_diff("r.yml", "a\nb", 3, "a\nb\n", 4, &d, &dlen, err,
	    sizeof(err)), 0);
	CHECK_STR(d, "--- a/r.yml\n+++ b/r.yml\n@@ -1,2 +1,2 @@\n a\n-b\n"
	    "\\ No newline at end of file\n+b\n");
	free(d);
	d = NULL;
	/* an unchanged last line without newline is context, marked once */
	CHECK_INT(ud_diff("r.yml", "x\ny", 3, "z\ny", 3, &d, &dlen, err,
	    sizeof(err)), 0);
	CHECK_STR(d, "--- a/r.yml\n+++ b/r.yml\n@@ -1,2 +1,2 @@\n-x\n+z\n y\n"
	    "\\ No newline at end of file\n");
	free(d);
}

TEST(paths)
{
	char err[128], *d = NULL, *got, cmd[512], path[160];
	size_t dlen, n;

	/* an absolute path loses its '/'; a space gets a tab after it */
	CHECK_INT(ud_diff("/etc/prometheus/r.yml", "a\n", 2, "b\n", 2, &d,
	    &dlen, err, sizeof(err)), 0);
	CHECK_CONTAINS(d, "--- a/etc/prometheus/r.yml\n+++ b/etc/prometheus/"
	    "r.yml\n");
	free(d);
	d = NULL;
	CHECK_INT(ud_diff("my rules.yml", "a\n", 2, "b\n", 2, &d, &dlen, err,
	    sizeof(err)), 0);
	CHECK_CONTAINS(d, "--- a/my rules.yml\t\n+++ b/my rules.yml\t\n");
	snprintf(path, sizeof(path), "%s/my rules.yml", tmpdir);
	CHECK_INT(t_write_file(path, "a\n", 2), 0);
	snprintf(path, sizeof(path), "%s/d.patch", tmpdir);
	CHECK_INT(t_write_file(path, d, dlen), 0);
	snprintf(cmd, sizeof(cmd), "patch -s -f -F0 -p1 -d %s -i %s/d.patch",
	    tmpdir, tmpdir);
	CHECK_INT(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/my rules.yml", tmpdir);
	got = t_read_file(path, &n);
	CHECK_STR(got, "b\n");
	free(got);
	free(d);
	d = NULL;

	CHECK_INT(ud_diff("a\nb", "a\n", 2, "b\n", 2, &d, &dlen, err,
	    sizeof(err)), -1);
	CHECK(d == NULL);
	CHECK_CONTAINS(err, "control character");
	CHECK_INT(ud_diff("/", "a\n", 2, "b\n", 2, &d, &dlen, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "empty path");
}

TEST(explicit_file)
{
	const char *old = "groups:\n  - name: g\n    rules:\n      - alert: A\n"
	    "        expr: up == 0\n";
	const char *new = "groups:\n  - name: g\n    rules:\n      - alert: A\n"
	    "        expr: up == 0\n        for: 10m\n";
	char err[128], *d = NULL, *got, cmd[512], path[160];
	size_t dlen, n;

	CHECK_INT(ud_diff("rules/x.yml", old, strlen(old), new, strlen(new),
	    &d, &dlen, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/other-name.yml", tmpdir);
	CHECK_INT(t_write_file(path, old, strlen(old)), 0);
	snprintf(path, sizeof(path), "%s/d.patch", tmpdir);
	CHECK_INT(t_write_file(path, d, dlen), 0);
	snprintf(cmd, sizeof(cmd), "patch -s -f -F0 %s/other-name.yml "
	    "%s/d.patch", tmpdir, tmpdir);
	CHECK_INT(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/other-name.yml", tmpdir);
	got = t_read_file(path, &n);
	CHECK_STR(got, new);
	free(got);
	free(d);
}

TEST(limits)
{
	char err[128], *d = NULL, *a, *b;
	size_t dlen, i, n;
	clock_t t0;

	/* one line too many */
	n = UD_MAX_LINES + 1;
	a = malloc(n + 1);
	memset(a, '\n', n);
	a[n] = '\0';
	CHECK_INT(ud_diff("r.yml", a, n, "x\n", 2, &d, &dlen, err,
	    sizeof(err)), -1);
	CHECK(d == NULL);
	CHECK_CONTAINS(err, "more than 500000 lines");
	free(a);

	/* two texts of 100000 lines, none alike: over the work limit, and
	 * refused soon */
	n = 100000;
	a = malloc(n * 16);
	b = malloc(n * 16);
	for (i = 0, dlen = 0; i < n; i++)
		dlen += (size_t)sprintf(a + dlen, "a%zu\n", i);
	CHECK_INT(ud_diff("r.yml", a, dlen, a, dlen, &d, &n, err,
	    sizeof(err)), 0);
	CHECK_STR(d, "");
	free(d);
	d = NULL;
	for (i = 0, n = 0; i < 100000; i++)
		n += (size_t)sprintf(b + n, "b%zu\n", i);
	t0 = clock();
	CHECK_INT(ud_diff("r.yml", a, dlen, b, n, &d, &i, err, sizeof(err)),
	    -1);
	CHECK(d == NULL);
	CHECK_CONTAINS(err, "too different");
	CHECK((clock() - t0) / CLOCKS_PER_SEC < 30);
	free(a);
	free(b);

	CHECK_INT(ud_diff("r.yml", "", UD_MAX_BYTES + 1, "", 0, &d, &dlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "larger than");
}

int
main(void)
{
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_udiff.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(random_edits_apply_with_patch);
	RUN(equal_texts_give_an_empty_diff);
	RUN(matches_gnu_diff_text);
	RUN(no_newline_marker);
	RUN(paths);
	RUN(explicit_file);
	RUN(limits);
	rc = t_done();
	t_rmdir(tmpdir);
	return rc;
}
