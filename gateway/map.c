#include "map.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static char tomb_key;
#define MAP_TOMB (&tomb_key)

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void map_init(struct map *m)
{
	memset(m, 0, sizeof *m);
}

void map_free(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != MAP_TOMB)
			free(m->slots[i].key);
	free(m->slots);
	map_init(m);
}

static struct map_slot *find(const struct map *m, const char *key, unsigned h)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct map_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != MAP_TOMB && s->hash == h && !strcmp(s->key, key))
			return s;
	}
}

void *map_get(const struct map *m, const char *key)
{
	struct map_slot *s = find(m, key, hash_str(key));
	return s ? s->value : NULL;
}

static void rehash(struct map *m, size_t cap)
{
	struct map_slot *old = m->slots;
	size_t oldcap = m->cap;
	m->slots = xcalloc(cap, sizeof *m->slots);
	m->cap = cap;
	m->used = m->len;
	for (size_t i = 0; i < oldcap; i++) {
		struct map_slot *o = &old[i];
		if (!o->key || o->key == MAP_TOMB)
			continue;
		size_t j = o->hash & (cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (cap - 1);
		m->slots[j] = *o;
	}
	free(old);
}

void map_put(struct map *m, const char *key, void *value)
{
	unsigned h = hash_str(key);
	struct map_slot *s = find(m, key, h);
	if (s) {
		s->value = value;
		return;
	}
	if ((m->used + 1) * 4 >= m->cap * 3)
		/* Double when live keys fill half; otherwise just sweep tombstones. */
		rehash(m, m->cap ? (m->len * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
	size_t i = h & (m->cap - 1);
	while (m->slots[i].key && m->slots[i].key != MAP_TOMB)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].key)
		m->used++;
	m->slots[i].key = xstrdup(key);
	m->slots[i].value = value;
	m->slots[i].hash = h;
	m->len++;
}

void *map_del(struct map *m, const char *key)
{
	struct map_slot *s = find(m, key, hash_str(key));
	if (!s)
		return NULL;
	void *v = s->value;
	free(s->key);
	s->key = MAP_TOMB;
	s->value = NULL;
	m->len--;
	return v;
}

int map_next(const struct map *m, size_t *iter, const char **key, void **value)
{
	while (*iter < m->cap) {
		struct map_slot *s = &m->slots[(*iter)++];
		if (s->key && s->key != MAP_TOMB) {
			*key = s->key;
			*value = s->value;
			return 1;
		}
	}
	return 0;
}
