/* u64map.h -- a hash map from uint64_t keys to uint64_t values.
 *
 * Open addressing with linear probing, at most half full; every key is
 * allowed (0 included). No deletion: its users rebuild instead. A zeroed
 * struct u64map is an empty map. Not thread-safe: its owner locks. */
#ifndef AN_U64MAP_H
#define AN_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys, *vals;
	unsigned char *used;
	size_t cap, n;			/* cap: 0 or a power of two */
};

/* Sets key's value: 0, or -1 when out of memory (the map is unchanged). */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* Makes room for n keys in all, so that as many puts allocate nothing:
 * 0, or -1 when out of memory (the map is unchanged). */
int u64map_reserve(struct u64map *m, size_t n);
/* 1 and *val when key is in the map, else 0. */
int u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Bytes allocated. */
size_t u64map_bytes(const struct u64map *m);
void u64map_free(struct u64map *m);

#endif
