/* t.h -- a tiny unit-test runner.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_STR(s, "a"); CHECK_INT(n, 3); }
 *   int main(void) { RUN(name); ...; return t_done(); }
 *
 * A failed check prints file:line and what differed, and fails the test (the
 * test goes on, so one run shows every failure). t_done() prints the summary
 * line "N passed, N failed" and returns the exit status. */
#ifndef T_H
#define T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int t_passed, t_failed, t_cur_failed;
static const char *t_cur;

#define TEST(name) static void name(void)

/* Runs a test and prints its result, with its wall time when that is over
 * a tenth of a second (the unit tests together are meant to take seconds). */
#define RUN(name) do {							\
	double t_s = t_clock();						\
	t_cur = #name; t_cur_failed = 0;				\
	name();								\
	if (t_cur_failed) t_failed++; else t_passed++;			\
	t_s = t_clock() - t_s;						\
	if (t_s >= 0.1)							\
		printf("%s %s (%.2f s)\n", t_cur_failed ? "FAIL" :	\
		    "ok  ", #name, t_s);				\
	else								\
		printf("%s %s\n", t_cur_failed ? "FAIL" : "ok  ", #name);\
} while (0)

static inline double
t_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Removes a test's temporary directory with what is in it; says so on
 * stderr when it cannot. */
static inline void
t_rmdir(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#define T_FAIL(...) do {						\
	fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, t_cur);	\
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr);		\
	t_cur_failed = 1;						\
} while (0)

#define CHECK(c) do { if (!(c)) T_FAIL("CHECK(%s)", #c); } while (0)
#define CHECK_INT(a, b) do {						\
	long long t_a = (long long)(a), t_b = (long long)(b);		\
	if (t_a != t_b) T_FAIL("%s == %lld, want %lld", #a, t_a, t_b);	\
} while (0)
#define CHECK_STR(a, b) do {						\
	const char *t_a = (a), *t_b = (b);				\
	if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0)	\
		T_FAIL("%s == \"%s\", want \"%s\"", #a,			\
		    t_a ? t_a : "(null)", t_b ? t_b : "(null)");	\
} while (0)
#define CHECK_CONTAINS(hay, needle) do {				\
	const char *t_h = (hay), *t_n = (needle);			\
	if (t_h == NULL || strstr(t_h, t_n) == NULL)			\
		T_FAIL("%s does not contain \"%s\": \"%s\"", #hay, t_n,	\
		    t_h ? t_h : "(null)");				\
} while (0)

/* Reads path whole, NUL-terminated, its length in *len (len may be NULL);
 * NULL when it cannot be read whole. */
static inline char *
t_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *s = NULL, *ns;
	size_t n = 0, cap = 0, got;
	int bad = 0;

	if (len != NULL)
		*len = 0;
	if (fp == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			if ((ns = realloc(s, cap)) == NULL) {
				bad = 1;
				break;
			}
			s = ns;
		}
		if ((got = fread(s + n, 1, cap - n - 1, fp)) == 0)
			break;
		n += got;
	}
	bad |= ferror(fp);
	fclose(fp);
	if (bad) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}

/* Writes len bytes of s to path: 0, or -1. */
static inline int
t_write_file(const char *path, const char *s, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int ok;

	if (fp == NULL)
		return -1;
	ok = fwrite(s, 1, len, fp) == len;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

static int
t_done(void)
{
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
