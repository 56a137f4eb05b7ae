/* hub: channel name -> the local sockets subscribed to it.
 *
 * The hub fans each arriving event out to its channel's subscribers (one
 * shared frame, a queue slot each), replays the log to new subscribers
 * page by page as their send queue drains, and closes gaps by re-reading
 * the log: a subscriber sees every seq exactly once, in order, whatever
 * the bus did. Loop thread only. */
#ifndef LINLI_HUB_H
#define LINLI_HUB_H

#include <stdint.h>

#include "config.h"
#include "frame.h"
#include "store.h"

struct hub;
struct sub;
struct bus;
struct ws_conn;

struct hub *hub_new(struct store *st, const struct config *cfg);
/* The bus the hub asks to watch/unwatch channels. */
void hub_set_bus(struct hub *hub, struct bus *bus);
/* Every subscription must be gone (sockets closed) before this. */
void hub_free(struct hub *hub);

/* Subscribes conn (whose subscription list head is *list) to ch. With
 * since >= 0 the log after since is replayed first; `subbed` (echoing ref,
 * raw JSON text or NULL) is queued when live delivery begins, and `reset`
 * first if since is older than retention. An existing subscription to ch is
 * replaced. 0, or -EIO when the log cannot be read. */
int hub_subscribe(struct hub *hub, struct ws_conn *conn, struct sub **list,
		  const char *ch, int64_t since, const char *ref);
/* -ENOENT when conn holds no subscription to ch. */
int hub_unsubscribe(struct hub *hub, struct sub **list, const char *ch);
void hub_unsubscribe_all(struct hub *hub, struct sub **list);
int hub_sub_count(const struct sub *list);

/* Called by ws when conn's send queue has room: continues replays. */
void hub_replay_more(struct hub *hub, struct sub *list);

/* An event from the bus (or committed locally). f is borrowed; the hub
 * takes its own references. */
void hub_deliver(struct hub *hub, const char *ch, int64_t seq, struct frame *f);

/* Compares every channel's log head with what was delivered and delivers
 * the difference (after a bus outage, and periodically as a backstop). */
void hub_catch_up(struct hub *hub);
/* The same for one channel (when the bus starts forwarding it). */
void hub_catch_up_channel(struct hub *hub, const char *ch);

/* 1 when a socket of this process is subscribed to ch. */
int hub_has_subscribers(struct hub *hub, const char *ch);

/* Calls fn for every channel name with local subscribers. */
typedef void (*hub_channel_cb)(const char *ch, void *data);
void hub_each_channel(struct hub *hub, hub_channel_cb fn, void *data);

#endif
