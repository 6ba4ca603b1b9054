/* intern.h -- byte strings numbered 0, 1, ... in order of arrival.
 *
 * A set of distinct byte strings (any bytes, NUL included), each known by
 * a dense number: the first string put is 0, the next new one 1, and so
 * on, so a caller can index arrays by them. Equal strings (same length,
 * same bytes) get one number and one stored copy. Each copy is allocated
 * once, NUL-terminated, and stays where it is until intern_free: a table
 * of text can hand out its pointer (intern_put_str, intern_str) as the one
 * copy of a string. Open addressing with linear probing on the FNV-1a
 * 64-bit hash (Fowler, Noll, Vo), at most half full; no deletion. A zeroed
 * struct intern is an empty table; read it through the functions. Not
 * thread-safe: its owner locks. */
#ifndef AN_INTERN_H
#define AN_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern_key;

struct intern {
	struct intern_key **slot;	/* cap of them, NULL: empty */
	size_t cap;			/* 0 or a power of two */
	struct intern_key **key;	/* per number: its copy */
	size_t n, kcap;			/* numbers given, room for */
	size_t bytes;			/* allocated for the copies */
};

/* The number of s[0..len) in t, a copy added when it is new (s may hold
 * NUL bytes; s is the caller's and may go after the call). Returns 0 and
 * *id, or -1 on out-of-memory (t still holds what it held). */
int intern_put(struct intern *t, const void *s, size_t len, size_t *id);

/* As intern_put, but returns the stored copy of s (intern_str of its
 * number), or NULL on out-of-memory: for a table of text that hands out
 * one copy of each string. */
const char *intern_put_str(struct intern *t, const void *s, size_t len);

/* 1 and *id when s[0..len) is in t, else 0 (t unchanged either way). */
int intern_find(const struct intern *t, const void *s, size_t len,
    size_t *id);

/* How many strings t holds: their numbers are 0 .. that - 1. */
size_t intern_count(const struct intern *t);

/* The stored copy of string id (< intern_count), its len bytes followed
 * by a NUL; owned by t, valid and unmoved until intern_free. */
const char *intern_str(const struct intern *t, size_t id);
size_t intern_len(const struct intern *t, size_t id);

/* Bytes allocated: the copies and the table. */
size_t intern_bytes(const struct intern *t);

/* Frees the copies and the table; t is an empty table again. */
void intern_free(struct intern *t);

#endif
