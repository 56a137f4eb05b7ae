#include "bus.h"
#include "map.h"
#include "metrics.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

/* --- our libuv adapter for hiredis 0.14 -----------------------------------
 * The packaged adapters/libuv.h drops poll errors, so a refused connect
 * never reaches the connect callback and the link never comes back
 * (PLATFORM-NOTES). This one passes errors on to hiredis, which then
 * reports them through the connect/disconnect callbacks. */

struct redis_uv {
	redisAsyncContext *ac;  /* NULL once hiredis cleaned up */
	uv_poll_t poll;         /* on ac->c.fd; must stay valid until close_cb */
	int events;             /* UV_READABLE | UV_WRITABLE wanted */
	struct rbus *bus;       /* counts closing handles for shutdown */
};

static void redis_uv_poll_cb(uv_poll_t *h, int status, int events)
{
	struct redis_uv *p = h->data;
	if (status < 0) {
		/* Let hiredis find the error itself: a connecting socket is
		 * waiting to be writable, a connected one to be readable. */
		events = p->events & UV_WRITABLE ? UV_WRITABLE : UV_READABLE;
	}
	if (p->ac && (events & UV_READABLE))
		redisAsyncHandleRead(p->ac);
	if (p->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
}

static void redis_uv_update(struct redis_uv *p)
{
	if (p->events)
		uv_poll_start(&p->poll, p->events, redis_uv_poll_cb);
	else
		uv_poll_stop(&p->poll);
}

static void redis_uv_add_read(void *d) { struct redis_uv *p = d; p->events |= UV_READABLE; redis_uv_update(p); }
static void redis_uv_del_read(void *d) { struct redis_uv *p = d; p->events &= ~UV_READABLE; redis_uv_update(p); }
static void redis_uv_add_write(void *d) { struct redis_uv *p = d; p->events |= UV_WRITABLE; redis_uv_update(p); }
static void redis_uv_del_write(void *d) { struct redis_uv *p = d; p->events &= ~UV_WRITABLE; redis_uv_update(p); }

static void handle_closed(struct rbus *b);

static void redis_uv_closed(uv_handle_t *h)
{
	struct redis_uv *p = h->data;
	struct rbus *b = p->bus;
	free(p);
	handle_closed(b);
}

static void redis_uv_cleanup(void *d)
{
	struct redis_uv *p = d;
	p->ac = NULL;
	uv_close((uv_handle_t *)&p->poll, redis_uv_closed);
}

static int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop, struct rbus *b)
{
	struct redis_uv *p = xcalloc(1, sizeof *p);
	if (uv_poll_init(loop, &p->poll, ac->c.fd)) {
		free(p);
		return -EIO;
	}
	p->ac = ac;
	p->bus = b;
	p->poll.data = p;
	ac->ev.data = p;
	ac->ev.addRead = redis_uv_add_read;
	ac->ev.delRead = redis_uv_del_read;
	ac->ev.addWrite = redis_uv_add_write;
	ac->ev.delWrite = redis_uv_del_write;
	ac->ev.cleanup = redis_uv_cleanup;
	return 0;
}

/* --- the bus ----------------------------------------------------------- */

enum { LINK_PUB, LINK_SUB };

/* Redis-side state of one watched channel in rbus.rsubs. */
enum rsub_state {
	RSUB_ON = 1,          /* SUBSCRIBE sent (and wanted) */
	RSUB_LEAVING = 2,     /* UNSUBSCRIBE sent, not yet confirmed */
	RSUB_RETURNING = 3,   /* UNSUBSCRIBE sent, then wanted again */
};

struct rlink {
	struct rbus *bus;          /* owner */
	int kind;                  /* LINK_PUB or LINK_SUB */
	redisAsyncContext *ac;     /* NULL while disconnected */
	int connected;             /* connect callback said OK */
	uv_timer_t timer;          /* reconnect delay, then connect watchdog */
	int64_t backoff_ms;        /* next reconnect delay */
	int ever_connected;        /* for counting reconnects */
	char err[128];             /* why it is down, for /readyz */
};

struct rbus {
	uv_loop_t *loop;
	const struct config *cfg;
	char host[256];            /* from redis_url */
	int port;
	struct rlink link[2];      /* publish, subscribe */
	uv_timer_t catchup;        /* periodic head check (backstop) */
	struct map rsubs;          /* channel -> enum rsub_state as pointer */
	int closing;               /* bus_close called */
	int open_handles;          /* timers and polls not yet closed */
	bus_close_cb close_cb;     /* called when open_handles reaches 0 */
	void *close_data;
	struct bus *owner;         /* the bus this belongs to */
};

struct bus {
	struct hub *hub;           /* local delivery */
	struct rbus *redis;        /* NULL for the local bus */
};

struct bus *bus_local_new(struct hub *hub)
{
	struct bus *bus = xcalloc(1, sizeof *bus);
	bus->hub = hub;
	return bus;
}

static void update_up(struct rbus *b)
{
	metrics.redis_up = b->link[LINK_PUB].connected && b->link[LINK_SUB].connected;
}

static void handle_closed(struct rbus *b)
{
	if (--b->open_handles == 0 && b->close_cb)
		b->close_cb(b->close_data);
}

static void link_connect(struct rlink *l);

static void link_timer_cb(uv_timer_t *t)
{
	struct rlink *l = t->data;
	if (l->bus->closing)
		return;
	if (l->ac && !l->connected) {
		/* Watchdog: the connect is stuck; hiredis 0.14 has no time-out. */
		snprintf(l->err, sizeof l->err, "connect timed out");
		log_warn("redis: %s link: connect timed out", l->kind ? "subscribe" : "publish");
		redisAsyncContext *ac = l->ac;
		l->ac = NULL;
		redisAsyncFree(ac); /* no callback for a never-connected context */
	}
	if (!l->ac)
		link_connect(l);
}

static void link_schedule(struct rlink *l, const char *why)
{
	l->ac = NULL;
	l->connected = 0;
	update_up(l->bus);
	if (why)
		snprintf(l->err, sizeof l->err, "%s", why);
	if (l->bus->closing)
		return;
	uv_timer_start(&l->timer, link_timer_cb, (uint64_t)l->backoff_ms, 0);
	l->backoff_ms *= 2;
	if (l->backoff_ms > l->bus->cfg->redis_reconnect_max_ms)
		l->backoff_ms = l->bus->cfg->redis_reconnect_max_ms;
}

static void sub_send(struct rlink *l, const char *verb, const char *ch);

static void resubscribe_one(const char *ch, void *data)
{
	struct rlink *l = data;
	map_put(&l->bus->rsubs, ch, (void *)(intptr_t)RSUB_ON);
	sub_send(l, "SUBSCRIBE", ch);
}

static void connect_cb(const redisAsyncContext *ac, int status)
{
	struct rlink *l = ac->data;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		log_warn("redis: %s link: connect failed: %s",
			 l->kind ? "subscribe" : "publish", ac->errstr);
		link_schedule(l, ac->errstr);
		return;
	}
	l->connected = 1;
	l->err[0] = '\0';
	l->backoff_ms = l->bus->cfg->redis_reconnect_min_ms;
	uv_timer_stop(&l->timer);
	if (l->ever_connected)
		metrics.redis_reconnects++;
	l->ever_connected = 1;
	log_info("redis: %s link connected", l->kind ? "subscribe" : "publish");
	update_up(l->bus);
	if (l->kind == LINK_SUB) {
		/* Fresh link, no subscriptions: subscribe to every channel with
		 * local subscribers; each confirmation triggers a catch-up. */
		map_free(&l->bus->rsubs);
		map_init(&l->bus->rsubs);
		hub_each_channel(l->bus->owner->hub, resubscribe_one, l);
	}
}

static void disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct rlink *l = ac->data;
	(void)status;
	if (!l->bus->closing)
		log_warn("redis: %s link lost: %s", l->kind ? "subscribe" : "publish",
			 ac->errstr[0] ? ac->errstr : "closed");
	link_schedule(l, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void link_connect(struct rlink *l)
{
	struct rbus *b = l->bus;
	redisAsyncContext *ac = redisAsyncConnect(b->host, b->port);
	if (!ac) {
		link_schedule(l, "out of memory");
		return;
	}
	if (ac->err) {
		snprintf(l->err, sizeof l->err, "%s", ac->errstr);
		redisAsyncFree(ac);
		link_schedule(l, NULL);
		return;
	}
	ac->data = l;
	if (redis_uv_attach(ac, b->loop, b)) {
		redisAsyncFree(ac);
		link_schedule(l, "cannot watch socket");
		return;
	}
	b->open_handles++; /* the poll handle, closed through cleanup */
	redisAsyncSetConnectCallback(ac, connect_cb);
	redisAsyncSetDisconnectCallback(ac, disconnect_cb);
	l->ac = ac;
	uv_timer_start(&l->timer, link_timer_cb,
		       (uint64_t)b->cfg->redis_connect_timeout_ms, 0);
}

static void sub_reply_cb(redisAsyncContext *ac, void *r, void *privdata);

static void sub_send(struct rlink *l, const char *verb, const char *ch)
{
	if (!l->connected)
		return; /* connect_cb subscribes everything */
	redisAsyncCommand(l->ac, sub_reply_cb, NULL, "%s " BUS_REDIS_PREFIX "%s", verb, ch);
}

static void sub_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	struct rlink *l = ac->data;
	struct rbus *b = l->bus;
	struct bus *bus = b->owner;
	(void)privdata;
	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return;
	const char *kind = reply->element[0]->str;
	const char *rch = reply->element[1]->str;
	if (!kind || !rch || strncmp(rch, BUS_REDIS_PREFIX, strlen(BUS_REDIS_PREFIX)))
		return;
	const char *ch = rch + strlen(BUS_REDIS_PREFIX);
	if (!strcmp(kind, "message")) {
		redisReply *p = reply->element[2];
		if (p->type != REDIS_REPLY_STRING)
			return;
		char *sp = memchr(p->str, ' ', p->len);
		int64_t seq = 0;
		for (const char *c = p->str; c < sp; c++)
			seq = seq * 10 + (*c - '0');
		if (!sp || seq <= 0)
			return;
		metrics.events_received++;
		struct frame *f = frame_new(sp + 1, p->len - (size_t)(sp + 1 - p->str));
		hub_deliver(bus->hub, ch, seq, f);
		frame_unref(f);
	} else if (!strcmp(kind, "subscribe")) {
		/* From here on Redis forwards this channel; whatever was
		 * published before is in the log. */
		hub_catch_up_channel(bus->hub, ch);
	} else if (!strcmp(kind, "unsubscribe")) {
		intptr_t st = (intptr_t)map_get(&b->rsubs, ch);
		if (st == RSUB_RETURNING) {
			map_put(&b->rsubs, ch, (void *)(intptr_t)RSUB_ON);
			sub_send(l, "SUBSCRIBE", ch);
		} else if (st == RSUB_LEAVING) {
			map_del(&b->rsubs, ch);
		}
	}
}

static int parse_url(const char *url, char *host, size_t hostlen, int *port)
{
	if (strncmp(url, "redis://", 8))
		return -EINVAL;
	const char *h = url + 8, *colon = strrchr(h, ':'), *slash = strchr(h, '/');
	size_t hl = colon ? (size_t)(colon - h) : slash ? (size_t)(slash - h) : strlen(h);
	if (!hl || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = 6379;
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (p <= 0 || p > 65535 || (*end && *end != '/'))
			return -EINVAL;
		*port = (int)p;
	}
	return 0;
}

static void catchup_cb(uv_timer_t *t)
{
	struct rbus *b = t->data;
	hub_catch_up(b->owner->hub);
}

int bus_redis_new(uv_loop_t *loop, struct hub *hub, const struct config *cfg,
		  struct bus **out, char *err, size_t errlen)
{
	struct rbus *b = xcalloc(1, sizeof *b);
	if (parse_url(cfg->redis_url, b->host, sizeof b->host, &b->port)) {
		snprintf(err, errlen, "redis_url: expected redis://HOST:PORT, got \"%s\"",
			 cfg->redis_url);
		free(b);
		return -EINVAL;
	}
	struct bus *bus = xcalloc(1, sizeof *bus);
	bus->hub = hub;
	bus->redis = b;
	b->owner = bus;
	b->loop = loop;
	b->cfg = cfg;
	map_init(&b->rsubs);
	metrics.redis_configured = 1;
	for (int i = 0; i < 2; i++) {
		struct rlink *l = &b->link[i];
		l->bus = b;
		l->kind = i;
		l->backoff_ms = cfg->redis_reconnect_min_ms;
		snprintf(l->err, sizeof l->err, "connecting");
		uv_timer_init(loop, &l->timer);
		l->timer.data = l;
		b->open_handles++;
		link_connect(l);
	}
	uv_timer_init(loop, &b->catchup);
	b->catchup.data = b;
	b->open_handles++;
	uv_timer_start(&b->catchup, catchup_cb, (uint64_t)cfg->catchup_interval_ms,
		       (uint64_t)cfg->catchup_interval_ms);
	*out = bus;
	return 0;
}

void bus_publish(struct bus *bus, const char *ch, int64_t seq, struct frame *f)
{
	metrics.events_published++;
	hub_deliver(bus->hub, ch, seq, f);
	struct rbus *b = bus->redis;
	if (!b)
		return;
	struct rlink *l = &b->link[LINK_PUB];
	if (!l->connected) {
		/* Others catch up from the log once they notice (gap or timer). */
		metrics.redis_publish_errors++;
		return;
	}
	char head[24];
	int hl = snprintf(head, sizeof head, "%" PRId64 " ", seq);
	/* One buffer: "<seq> <payload>". */
	char *msg = xmalloc((size_t)hl + f->len);
	memcpy(msg, head, (size_t)hl);
	memcpy(msg + hl, frame_payload(f), f->len);
	redisAsyncCommand(l->ac, NULL, NULL, "PUBLISH " BUS_REDIS_PREFIX "%s %b", ch, msg,
			  (size_t)hl + f->len);
	free(msg);
}

struct numsub_req {
	bus_count_cb cb;
	void *data;
};

static void numsub_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct numsub_req *q = privdata;
	redisReply *reply = r;
	long long n = -1; /* unknown: the link went down, or an odd answer */
	(void)ac;
	if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_INTEGER)
		n = reply->element[1]->integer;
	q->cb(n, q->data);
	free(q);
}

int bus_subscribers(struct bus *bus, const char *ch, bus_count_cb cb, void *data)
{
	struct rbus *b = bus->redis;
	if (!b)
		return -ENOTSUP;
	struct rlink *l = &b->link[LINK_PUB];
	if (!l->connected || b->closing)
		return -ENOTCONN;
	struct numsub_req *q = xmalloc(sizeof *q);
	q->cb = cb;
	q->data = data;
	if (redisAsyncCommand(l->ac, numsub_reply_cb, q, "PUBSUB NUMSUB " BUS_REDIS_PREFIX "%s", ch)) {
		free(q);
		return -EIO;
	}
	return 0;
}

void bus_watch(struct bus *bus, const char *ch)
{
	struct rbus *b = bus->redis;
	if (!b)
		return;
	intptr_t st = (intptr_t)map_get(&b->rsubs, ch);
	if (st == RSUB_ON || st == RSUB_RETURNING)
		return;
	if (st == RSUB_LEAVING) {
		/* hiredis drops the channel's callback when the UNSUBSCRIBE
		 * reply arrives, so subscribe again only after it. */
		map_put(&b->rsubs, ch, (void *)(intptr_t)RSUB_RETURNING);
		return;
	}
	map_put(&b->rsubs, ch, (void *)(intptr_t)RSUB_ON);
	sub_send(&b->link[LINK_SUB], "SUBSCRIBE", ch);
}

void bus_unwatch(struct bus *bus, const char *ch)
{
	struct rbus *b = bus->redis;
	if (!b)
		return;
	intptr_t st = (intptr_t)map_get(&b->rsubs, ch);
	if (st == RSUB_RETURNING) {
		map_put(&b->rsubs, ch, (void *)(intptr_t)RSUB_LEAVING);
		return;
	}
	if (st != RSUB_ON)
		return;
	if (!b->link[LINK_SUB].connected) {
		map_del(&b->rsubs, ch);
		return;
	}
	map_put(&b->rsubs, ch, (void *)(intptr_t)RSUB_LEAVING);
	sub_send(&b->link[LINK_SUB], "UNSUBSCRIBE", ch);
}

int bus_ready(struct bus *bus, char *why, size_t len)
{
	struct rbus *b = bus->redis;
	if (!b || (b->link[0].connected && b->link[1].connected))
		return 0;
	struct rlink *l = b->link[0].connected ? &b->link[1] : &b->link[0];
	snprintf(why, len, "redis %s link down: %s", l->kind ? "subscribe" : "publish",
		 l->err[0] ? l->err : "unknown");
	return -ENOTCONN;
}

static void timer_closed(uv_handle_t *h)
{
	handle_closed(((struct rlink *)h->data)->bus);
}

static void catchup_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

void bus_close(struct bus *bus, bus_close_cb cb, void *data)
{
	struct rbus *b = bus->redis;
	if (!b) {
		if (cb)
			cb(data);
		return;
	}
	b->closing = 1;
	b->close_cb = cb;
	b->close_data = data;
	b->open_handles++; /* held until everything below has started */
	for (int i = 0; i < 2; i++) {
		struct rlink *l = &b->link[i];
		if (l->ac) {
			redisAsyncContext *ac = l->ac;
			l->ac = NULL;
			redisAsyncFree(ac);
		}
		l->connected = 0;
		uv_close((uv_handle_t *)&l->timer, timer_closed);
	}
	update_up(b);
	uv_close((uv_handle_t *)&b->catchup, catchup_closed);
	map_free(&b->rsubs);
	handle_closed(b);
}

void bus_free(struct bus *bus)
{
	if (!bus)
		return;
	free(bus->redis);
	free(bus);
}
