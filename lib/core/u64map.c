/* u64map.c -- a hash map from uint64_t to uint64_t (u64map.h). */
#include "u64map.h"

#include <stdlib.h>

/* Fibonacci hashing: the top bits of key * 2^64/phi. */
static size_t
slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >>
	    (64 - __builtin_ctzll(cap)));
}

static size_t
find(const struct u64map *m, uint64_t key)
{
	size_t i = slot_of(key, m->cap);

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
rehash(struct u64map *m, size_t cap)
{
	struct u64map g = { NULL, NULL, NULL, cap, m->n };

	g.keys = malloc(cap * sizeof(*g.keys));
	g.vals = malloc(cap * sizeof(*g.vals));
	g.used = calloc(cap, 1);
	if (g.keys == NULL || g.vals == NULL || g.used == NULL) {
		u64map_free(&g);
		return -1;
	}
	for (size_t k = 0; k < m->cap; k++) {
		size_t i;

		if (!m->used[k])
			continue;
		i = find(&g, m->keys[k]);
		g.used[i] = 1;
		g.keys[i] = m->keys[k];
		g.vals[i] = m->vals[k];
	}
	u64map_free(m);
	*m = g;
	return 0;
}

int
u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap &&
	    rehash(m, m->cap ? m->cap * 2 : 64) < 0)
		return -1;
	i = find(m, key);
	if (!m->used[i]) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

int
u64map_reserve(struct u64map *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while (n * 2 > cap)
		cap *= 2;
	return cap > m->cap ? rehash(m, cap) : 0;
}

int
u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = find(m, key);
	if (!m->used[i])
		return 0;
	*val = m->vals[i];
	return 1;
}

size_t
u64map_bytes(const struct u64map *m)
{
	return m->cap * (2 * sizeof(uint64_t) + 1);
}

void
u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	m->keys = m->vals = NULL;
	m->used = NULL;
	m->cap = m->n = 0;
}
