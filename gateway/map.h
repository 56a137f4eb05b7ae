/* map: string-keyed hash table (open addressing, linear probing).
 *
 * Keys are copied; values are borrowed pointers the caller owns. Used for
 * the hub's channel table and the store's prepared-statement cache. */
#ifndef LINLI_MAP_H
#define LINLI_MAP_H

#include <stddef.h>

struct map_slot {
	char *key;       /* owned copy; NULL = empty, MAP_TOMB = deleted */
	void *value;     /* borrowed */
	unsigned hash;   /* cached hash of key */
};

struct map {
	struct map_slot *slots; /* cap entries */
	size_t cap;             /* power of two, or 0 before first insert */
	size_t len;             /* live keys */
	size_t used;            /* live keys + tombstones */
};

void map_init(struct map *m);
/* Frees the table and key copies, not the values. */
void map_free(struct map *m);
void *map_get(const struct map *m, const char *key);
/* Inserts or replaces. */
void map_put(struct map *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *map_del(struct map *m, const char *key);

/* Iteration: for (size_t i = 0; map_next(m, &i, &k, &v);) */
int map_next(const struct map *m, size_t *iter, const char **key, void **value);

#endif
