/* hub: channel name -> the local sockets subscribed to it.
 *
 * The hub fans each arriving event out to its channel's subscribers (one
 * shared frame, a queue slot each), replays the log to new subscribers
 * page by page as their send queue drains, and closes gaps by re-reading
 * the log: a subscriber sees every seq exactly once, in order, whatever
 * the bus did. Loop thread only.
 *
 * The hub reads the log through hub_log (the server's, on database
 * workers): every read is asynchronous, so the loop never waits for the
 * database. While a read is out, what it will answer for can change:
 *   - a replaying subscription turns live only when a page finds nothing
 *     beyond what the channel has fanned out meanwhile (else it reads on);
 *   - a channel filling a gap ignores arriving events (the log has them:
 *     publication follows commit) and reads again if one went past it;
 *   - a subscription or channel removed meanwhile is freed when its read
 *     comes back.
 *
 * A leaf: it is handed its two sides at start, the log (hub_log: the
 * server's reads) and the sockets (hub_sink: ws.c's queues), and knows
 * neither's internals; tests/unit/test_hub.c drives it with fakes. */
#ifndef LINLI_HUB_H
#define LINLI_HUB_H

#include <stdint.h>

#include "config.h"
#include "frame.h"

struct hub;
struct sub;
struct ws_conn;

/* One event read from the log, as its wire frame (the reader's reference). */
struct hub_row {
	int64_t seq;
	struct frame *f;
};

/* rows[0..n) in seq order, or rc < 0 when the read failed; rc 1 when the
 * page stopped at max_bytes before limit rows (more may follow). The hub
 * takes the rows' frame references and frees rows. */
typedef void (*hub_rows_cb)(void *arg, struct hub_row *rows, int n, int rc);
/* heads[i] is the log head of names[i] (0: no events), or rc < 0. The hub
 * frees names (and each name) and heads. */
typedef void (*hub_heads_cb)(void *arg, char **names, int64_t *heads, int n, int rc);

/* How the hub reads the log and tells the bus what to watch. */
struct hub_log {
	/* Events of ch after `after`, at most limit rows and (max_bytes > 0)
	 * about max_bytes of frames; done later, on the loop. 0, or negative
	 * when the read could not be queued (done is not called then). */
	int (*read)(void *ctx, const char *ch, int64_t after, int limit, size_t max_bytes,
		    hub_rows_cb done, void *arg);
	/* The heads of names (taken); done later, on the loop. 0 or negative. */
	int (*heads)(void *ctx, char **names, int n, hub_heads_cb done, void *arg);
	/* ch gained its first local subscriber (on = 1) or lost its last. */
	void (*watch)(void *ctx, const char *ch, int on);
	void *ctx;
};

/* Where deliveries go: the sockets' side (ws.c's ws_hub_sink). A socket
 * is opaque to the hub. */
struct hub_sink {
	/* Queues f for conn (taking a reference): 0, or negative when conn
	 * is closing or its queue overflowed (its owner then closes it and
	 * unsubscribes it). */
	int (*send)(struct ws_conn *conn, struct frame *f);
	/* The same for a control message (subbed, reset) of len bytes. */
	int (*send_text)(struct ws_conn *conn, const char *text, size_t len);
	/* May a replay queue more for conn now? (Under half its queue.) */
	int (*has_room)(const struct ws_conn *conn);
	/* Closes conn with a WebSocket close code, at its owner's next safe
	 * point (the hub's subscriptions of it are then removed). */
	void (*close)(struct ws_conn *conn, int code, const char *reason);
	/* Cache hints for the fan-out loop (may be NULL): level 1 loads
	 * conn's own state, level 2 what it points to. */
	void (*prefetch)(const struct ws_conn *conn, int level);
	/* Around the sends of one event to a channel's subscribers (may be
	 * NULL): the sink may hold the sends and make them together at the
	 * end (ws.c: one io_uring submission). Nothing but send is called
	 * between them. */
	void (*round_begin)(void);
	void (*round_end)(void);
};

struct hub *hub_new(const struct config *cfg, const struct hub_log *log,
		    const struct hub_sink *sink);
/* Every subscription must be gone (sockets closed) before this; reads
 * still out are the server's to finish first (dbpool_stop). */
void hub_free(struct hub *hub);

/* Subscribes conn (whose subscription list head is *list) to ch, whose
 * log head and trimmed position were just read. With since >= 0 the log
 * after since is replayed first; `subbed` (echoing ref, raw JSON text or
 * NULL) is queued when live delivery begins, and `reset` first if since is
 * older than retention. An existing subscription to ch is replaced. */
void hub_subscribe(struct hub *hub, struct ws_conn *conn, struct sub **list,
		   const char *ch, int64_t since, const char *ref, int64_t head,
		   int64_t trimmed);
/* -ENOENT when conn holds no subscription to ch. */
int hub_unsubscribe(struct hub *hub, struct sub **list, const char *ch);
void hub_unsubscribe_all(struct hub *hub, struct sub **list);
int hub_sub_count(const struct sub *list);

/* Called by ws when conn's send queue has room: continues replays. */
void hub_replay_more(struct hub *hub, struct sub *list);

/* Replays wait (parked) while the frames held and the pages being read
 * would pass ws_memory_budget. Once a second: resumes parked replays in
 * order while there is room. The number still parked. */
int hub_unpark(struct hub *hub);
/* Bytes reserved for replay pages being read. */
size_t hub_reserved(const struct hub *hub);

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
