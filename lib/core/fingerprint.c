/* fingerprint.c -- label-set fingerprint (see fingerprint.h).
 * Reference: prometheus/common model/signature.go, model/fnv.go. */
#include "fingerprint.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
fnv_add(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= FP_PRIME64;
	}
	return h;
}

static uint64_t
fnv_sep(uint64_t h)
{
	h ^= 0xff;
	return h * FP_PRIME64;
}

struct pair {
	const char *name, *value;
};

static int
pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->name,
	    ((const struct pair *)b)->name);
}

static int
dropped(const char *name, const char *const *drop, size_t ndrop)
{
	for (size_t i = 0; i < ndrop; i++)
		if (strcmp(name, drop[i]) == 0)
			return 1;
	return 0;
}

/* Sorts the pairs by name, stably: an insertion sort, linear for the
 * already sorted label sets of remote write; qsort past 16. glibc's qsort
 * is a stable merge sort too, so equal names (which valid label sets do
 * not have) keep their order either way. */
static void
sort_pairs(struct pair *p, size_t n)
{
	if (n > 16) {
		qsort(p, n, sizeof(*p), pair_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct pair t = p[i];
		size_t j = i;

		while (j > 0 && strcmp(p[j - 1].name, t.name) > 0) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = t;
	}
}

/* Hashes the pairs after sorting them in place. */
static uint64_t
fp_pairs(struct pair *p, size_t n)
{
	uint64_t h = FP_OFFSET64;

	sort_pairs(p, n);
	for (size_t i = 0; i < n; i++) {
		h = fnv_sep(fnv_add(h, p[i].name));
		h = fnv_sep(fnv_add(h, p[i].value));
	}
	return h;
}

uint64_t
fp_add_label(uint64_t h, const char *name, const char *value)
{
	return fnv_sep(fnv_add(fnv_sep(fnv_add(h, name)), value));
}

int
fp_labels(const char *const *names, const char *const *values, size_t n,
    const char *const *drop, size_t ndrop, uint64_t *fp)
{
	struct pair stack[64], *p = stack;
	size_t k = 0;

	if (n > 64 && (p = malloc(n * sizeof(*p))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (dropped(names[i], drop, ndrop))
			continue;
		p[k].name = names[i];
		p[k].value = values[i];
		k++;
	}
	*fp = fp_pairs(p, k);
	if (p != stack)
		free(p);
	return 0;
}

int
fp_json(const json_t *labels, const char *const *drop, size_t ndrop,
    uint64_t *fp)
{
	struct pair stack[64], *p = stack;
	const char *name;
	json_t *v;
	size_t n, k = 0;
	int result = -1;

	if (!json_is_object(labels))
		return -1;
	n = json_object_size(labels);
	if (n > 64 && (p = malloc(n * sizeof(*p))) == NULL)
		return -1;
	json_object_foreach((json_t *)labels, name, v) {
		if (!json_is_string(v))
			goto out;
		if (dropped(name, drop, ndrop))
			continue;
		p[k].name = name;
		p[k].value = json_string_value(v);
		k++;
	}
	*fp = fp_pairs(p, k);
	result = 0;
out:
	if (p != stack)
		free(p);
	return result;
}

/* As snprintf "%016llx", which was a tenth of storing a series. */
void
fp_format(uint64_t fp, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		out[i] = hex[fp & 0xf];
		fp >>= 4;
	}
	out[16] = '\0';
}

int
fp_parse(const char *s, uint64_t *fp)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (s[16] != '\0')
		return -1;
	*fp = v;
	return 0;
}
