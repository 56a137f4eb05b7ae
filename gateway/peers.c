#include "peers.h"
#include "map.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name_count {
	int64_t n;
	char name[];               /* the key it is filed under */
};

struct peers {
	struct map by_name;        /* name -> struct name_count */
	struct map by_conn;        /* "%p" of a connection -> its struct name_count */
};

static void conn_key(const void *conn, char out[32])
{
	snprintf(out, 32, "%p", conn);
}

struct peers *peers_new(void)
{
	struct peers *p = xcalloc(1, sizeof *p);
	map_init(&p->by_name);
	map_init(&p->by_conn);
	return p;
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&p->by_name, &i, &k, &v);)
		free(v);
	map_free(&p->by_name);
	map_free(&p->by_conn);
	free(p);
}

int peers_add(struct peers *p, const void *conn, const char *name, int64_t max)
{
	char key[32];
	conn_key(conn, key);
	if (map_get(&p->by_conn, key))
		return -EEXIST;
	struct name_count *c = map_get(&p->by_name, name);
	if (c && c->n >= max)
		return -EBUSY;
	if (!c && max <= 0)
		return -EBUSY;
	if (!c) {
		size_t len = strlen(name);
		c = xcalloc(1, sizeof *c + len + 1);
		memcpy(c->name, name, len + 1);
		map_put(&p->by_name, name, c);
	}
	c->n++;
	map_put(&p->by_conn, key, c);
	return 0;
}

int peers_has(const struct peers *p, const void *conn)
{
	char key[32];
	conn_key(conn, key);
	return map_get(&p->by_conn, key) != NULL;
}

void peers_remove(struct peers *p, const void *conn)
{
	char key[32];
	conn_key(conn, key);
	struct name_count *c = map_del(&p->by_conn, key);
	if (!c)
		return;
	if (--c->n == 0) {
		map_del(&p->by_name, c->name);
		free(c);
	}
}

int64_t peers_count(const struct peers *p, const char *name)
{
	const struct name_count *c = map_get(&p->by_name, name);
	return c ? c->n : 0;
}
