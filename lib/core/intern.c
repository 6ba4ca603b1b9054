/* intern.c -- byte strings numbered in order of arrival (intern.h).
 *
 * A slot points to a copy, which holds its hash, number and length before
 * its bytes: a lookup reads the slots of its probe sequence and the copies
 * they point to, as a table of string pointers would, and never a
 * per-number array; growing rehashes from the stored hashes. */
#include "intern.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct intern_key {
	uint64_t hash;
	size_t id, len;
	char s[];			/* len bytes and a NUL */
};

static uint64_t
fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
intern_grow(struct intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct intern_key **s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t x = 0; x < t->cap; x++) {
		size_t i;

		if (t->slot[x] == NULL)
			continue;
		i = (size_t)t->slot[x]->hash & (cap - 1);
		while (s[i] != NULL)
			i = (i + 1) & (cap - 1);
		s[i] = t->slot[x];
	}
	free(t->slot);
	t->slot = s;
	t->cap = cap;
	return 0;
}

/* The slot of s[0..len) (hash h) in t: the one holding its copy, else
 * the empty one that ends its probe sequence. t->cap > t->n. */
static size_t
intern_slot(const struct intern *t, const void *s, size_t len, uint64_t h)
{
	size_t i;

	for (i = (size_t)h & (t->cap - 1); t->slot[i] != NULL;
	    i = (i + 1) & (t->cap - 1)) {
		const struct intern_key *k = t->slot[i];

		if (k->hash == h && k->len == len &&
		    memcmp(k->s, s, len) == 0)
			break;
	}
	return i;
}

/* The copy of s[0..len) in t, made when s is new; NULL on out-of-memory
 * (t still holds what it held). */
static struct intern_key *
put(struct intern *t, const void *s, size_t len)
{
	uint64_t h = fnv1a(s, len);
	struct intern_key *k;
	size_t i;

	assert(s != NULL);
	if (2 * (t->n + 1) > t->cap && intern_grow(t) < 0)
		return NULL;
	i = intern_slot(t, s, len, h);
	if (t->slot[i] != NULL)
		return t->slot[i];
	if (t->n == t->kcap) {
		size_t cap = t->kcap ? t->kcap * 2 : 64;
		struct intern_key **pk = realloc(t->key, cap * sizeof(*pk));

		if (pk == NULL)
			return NULL;
		t->key = pk;
		t->kcap = cap;
	}
	if ((k = malloc(sizeof(*k) + len + 1)) == NULL)
		return NULL;
	k->hash = h;
	k->id = t->n;
	k->len = len;
	memcpy(k->s, s, len);
	k->s[len] = '\0';
	t->key[t->n++] = k;
	t->slot[i] = k;
	t->bytes += sizeof(*k) + len + 1;
	return k;
}

int
intern_put(struct intern *t, const void *s, size_t len, size_t *id)
{
	const struct intern_key *k = put(t, s, len);

	if (k == NULL)
		return -1;
	*id = k->id;
	return 0;
}

const char *
intern_put_str(struct intern *t, const void *s, size_t len)
{
	const struct intern_key *k = put(t, s, len);

	return k != NULL ? k->s : NULL;
}

int
intern_find(const struct intern *t, const void *s, size_t len, size_t *id)
{
	size_t i;

	assert(s != NULL);
	if (t->n == 0)
		return 0;
	i = intern_slot(t, s, len, fnv1a(s, len));
	if (t->slot[i] == NULL)
		return 0;
	*id = t->slot[i]->id;
	return 1;
}

size_t
intern_count(const struct intern *t)
{
	return t->n;
}

const char *
intern_str(const struct intern *t, size_t id)
{
	assert(id < t->n);
	return t->key[id]->s;
}

size_t
intern_len(const struct intern *t, size_t id)
{
	assert(id < t->n);
	return t->key[id]->len;
}

size_t
intern_bytes(const struct intern *t)
{
	return t->bytes + t->cap * sizeof(*t->slot) +
	    t->kcap * sizeof(*t->key);
}

void
intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->key[i]);
	free(t->key);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
