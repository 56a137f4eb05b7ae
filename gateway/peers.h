/* peers: how many connections each client address (or account) holds,
 * for max_conns_per_ip and ws_max_per_user. A leaf: connections are opaque
 * pointers, names are strings (an address, "u:7"). Loop thread only. */
#ifndef LINLI_PEERS_H
#define LINLI_PEERS_H

#include <stdint.h>

struct peers;

struct peers *peers_new(void);
void peers_free(struct peers *p);

/* Counts conn under name unless name holds max already: 0, -EBUSY (over
 * the cap; nothing counted) or -EEXIST (conn is counted already). */
int peers_add(struct peers *p, const void *conn, const char *name, int64_t max);
/* Whether conn is counted. */
int peers_has(const struct peers *p, const void *conn);
/* Uncounts conn; nothing when it was not counted. */
void peers_remove(struct peers *p, const void *conn);
/* Connections counted under name. */
int64_t peers_count(const struct peers *p, const char *name);

#endif
