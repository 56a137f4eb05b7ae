#include "hub.h"
#include "bus.h"
#include "map.h"
#include "metrics.h"
#include "util.h"
#include "ws.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct hub_chan {
	char *name;            /* channel name (owned) */
	int64_t last_seq;      /* highest seq fanned out to live subscribers */
	struct sub **subs;     /* subscribers, unordered */
	size_t n, cap;
};

struct sub {
	struct hub_chan *chan;  /* the channel */
	struct ws_conn *conn;   /* the subscribing socket */
	struct sub *conn_next;  /* next subscription of the same socket */
	size_t idx;             /* position in chan->subs */
	int64_t last_seq;       /* highest seq queued to this socket */
	int live;               /* 0 while the log is being replayed */
	char *ref;              /* raw JSON echoed in `subbed`, until sent */
};

struct hub {
	struct store *st;           /* the event log */
	const struct config *cfg;   /* replay batch size */
	struct bus *bus;            /* watched channels follow local subs */
	struct map chans;           /* name -> struct hub_chan* */
};

struct hub *hub_new(struct store *st, const struct config *cfg)
{
	struct hub *hub = xcalloc(1, sizeof *hub);
	hub->st = st;
	hub->cfg = cfg;
	map_init(&hub->chans);
	return hub;
}

void hub_set_bus(struct hub *hub, struct bus *bus)
{
	hub->bus = bus;
}

void hub_free(struct hub *hub)
{
	if (!hub)
		return;
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&hub->chans, &i, &k, &v);) {
		struct hub_chan *c = v;
		free(c->subs);
		free(c->name);
		free(c);
	}
	map_free(&hub->chans);
	free(hub);
}

static void fan_out(struct hub_chan *c, int64_t seq, struct frame *f)
{
	struct sub **subs = c->subs;
	size_t n = c->n;
	for (size_t i = 0; i < n; i++) {
		/* Each delivery is a system call; while it runs, the memory the
		 * next ones touch is fetched (thousands of subscriptions do not fit
		 * in cache): subscriptions three ahead, their sockets' state two
		 * ahead (its pointer is cached by then), lws's one ahead. */
		if (i + 3 < n)
			__builtin_prefetch(subs[i + 3]);
		if (i + 2 < n)
			ws_prefetch(subs[i + 2]->conn);
		if (i + 1 < n)
			ws_prefetch_lws(subs[i + 1]->conn);
		struct sub *s = subs[i];
		if (!s->live || seq <= s->last_seq)
			continue;
		s->last_seq = seq;
		if (ws_send(s->conn, f) == 0)
			metrics.events_delivered++;
	}
	if (seq > c->last_seq)
		c->last_seq = seq;
}

static void catch_up_row(const struct event *ev, void *data)
{
	struct hub_chan *c = data;
	struct frame *f = frame_event(ev);
	fan_out(c, ev->seq, f);
	frame_unref(f);
}

/* Delivers everything in the log after c->last_seq, in pages. */
static void chan_catch_up(struct hub *hub, struct hub_chan *c)
{
	int batch = (int)hub->cfg->ws_replay_batch, n;
	do {
		n = store_events_after(hub->st, c->name, c->last_seq, batch,
				       catch_up_row, c);
	} while (n == batch);
}

void hub_deliver(struct hub *hub, const char *ch, int64_t seq, struct frame *f)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	if (!c || seq <= c->last_seq)
		return; /* nobody here, or already delivered (our own echo) */
	if (seq > c->last_seq + 1) {
		/* Missed something (bus outage, or another process's publish
		 * still in flight): the log has it, since publish follows commit. */
		metrics.gap_fills++;
		chan_catch_up(hub, c);
		if (seq <= c->last_seq)
			return;
	}
	fan_out(c, seq, f);
}

/* Delivers what the log has beyond c->last_seq, if anything. */
static void chan_check_head(struct hub *hub, struct hub_chan *c)
{
	int64_t head, trimmed;
	if (store_channel_head(hub->st, c->name, &head, &trimmed) == 0 &&
	    head > c->last_seq) {
		metrics.gap_fills++;
		chan_catch_up(hub, c);
	}
}

void hub_catch_up(struct hub *hub)
{
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&hub->chans, &i, &k, &v);)
		chan_check_head(hub, v);
}

void hub_catch_up_channel(struct hub *hub, const char *ch)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	if (c)
		chan_check_head(hub, c);
}

int hub_has_subscribers(struct hub *hub, const char *ch)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	return c && c->n > 0;
}

void hub_each_channel(struct hub *hub, hub_channel_cb fn, void *data)
{
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&hub->chans, &i, &k, &v);)
		fn(k, data);
}

static void send_subbed(struct sub *s)
{
	struct buf b = { 0 };
	buf_puts(&b, "{\"op\":\"subbed\",\"ch\":");
	buf_json_str(&b, s->chan->name);
	buf_printf(&b, ",\"seq\":%" PRId64, s->last_seq);
	if (s->ref) {
		buf_puts(&b, ",\"ref\":");
		buf_puts(&b, s->ref);
		free(s->ref);
		s->ref = NULL;
	}
	buf_puts(&b, "}");
	ws_send_text(s->conn, b.p, b.len);
	buf_free(&b);
}

struct replay_ctx {
	struct sub *s;   /* the replaying subscription */
	int stop;        /* the socket's queue overflowed */
};

static void replay_row(const struct event *ev, void *data)
{
	struct replay_ctx *r = data;
	if (r->stop || !ws_has_room(r->s->conn)) {
		r->stop = 1; /* the rest waits until the queue drains */
		return;
	}
	struct frame *f = frame_event(ev);
	if (ws_send(r->s->conn, f) == 0) {
		r->s->last_seq = ev->seq;
		metrics.events_replayed++;
	} else {
		r->stop = 1;
	}
	frame_unref(f);
}

/* Pages replayed per call before yielding the loop to other sockets. */
#define REPLAY_PAGES_PER_TURN 4

/* Replays page after page until the log has no more (then live), the
 * socket's queue is half full (ws calls hub_replay_more once it drains),
 * or REPLAY_PAGES_PER_TURN pages went out (a writable callback on the next
 * loop turn continues), so a long resume never stalls everyone else. */
static int replay_step(struct hub *hub, struct sub *s)
{
	int batch = (int)hub->cfg->ws_replay_batch;
	struct replay_ctx r = { s, 0 };
	for (int page = 0; page < REPLAY_PAGES_PER_TURN; page++) {
		int n = store_events_after(hub->st, s->chan->name, s->last_seq, batch,
					   replay_row, &r);
		if (n < 0)
			return n;
		if (r.stop)
			return 0;
		if (n < batch) {
			/* Caught up with the log, which is at or ahead of anything
			 * the channel has fanned out: live from here, no gap, no
			 * duplicate. */
			s->live = 1;
			send_subbed(s);
			return 0;
		}
	}
	ws_wake(s->conn);
	return 0;
}

void hub_replay_more(struct hub *hub, struct sub *list)
{
	for (struct sub *s = list; s; s = s->conn_next) {
		if (s->live)
			continue;
		if (!ws_has_room(s->conn))
			return;
		replay_step(hub, s);
	}
}

static struct hub_chan *chan_get(struct hub *hub, const char *ch, int64_t head)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	if (c)
		return c;
	c = xcalloc(1, sizeof *c);
	c->name = xstrdup(ch);
	c->last_seq = head;
	map_put(&hub->chans, ch, c);
	metrics.channels++;
	if (hub->bus)
		bus_watch(hub->bus, ch);
	return c;
}

static void sub_remove(struct hub *hub, struct sub *s)
{
	struct hub_chan *c = s->chan;
	c->subs[s->idx] = c->subs[--c->n];
	c->subs[s->idx]->idx = s->idx;
	free(s->ref);
	free(s);
	metrics.subscriptions--;
	if (c->n == 0) {
		if (hub->bus)
			bus_unwatch(hub->bus, c->name);
		map_del(&hub->chans, c->name);
		metrics.channels--;
		free(c->subs);
		free(c->name);
		free(c);
	}
}

int hub_unsubscribe(struct hub *hub, struct sub **list, const char *ch)
{
	for (struct sub **pp = list; *pp; pp = &(*pp)->conn_next) {
		struct sub *s = *pp;
		if (strcmp(s->chan->name, ch))
			continue;
		*pp = s->conn_next;
		sub_remove(hub, s);
		return 0;
	}
	return -ENOENT;
}

void hub_unsubscribe_all(struct hub *hub, struct sub **list)
{
	while (*list) {
		struct sub *s = *list;
		*list = s->conn_next;
		sub_remove(hub, s);
	}
}

int hub_sub_count(const struct sub *list)
{
	int n = 0;
	for (; list; list = list->conn_next)
		n++;
	return n;
}

int hub_subscribe(struct hub *hub, struct ws_conn *conn, struct sub **list,
		  const char *ch, int64_t since, const char *ref)
{
	int64_t head, trimmed;
	if (store_channel_head(hub->st, ch, &head, &trimmed))
		return -EIO;
	hub_unsubscribe(hub, list, ch);
	struct hub_chan *c = chan_get(hub, ch, head);
	struct sub *s = xcalloc(1, sizeof *s);
	s->chan = c;
	s->conn = conn;
	s->ref = ref ? xstrdup(ref) : NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4;
		c->subs = xrealloc(c->subs, c->cap * sizeof *c->subs);
	}
	s->idx = c->n;
	c->subs[c->n++] = s;
	/* Append, so replays proceed in subscription order. */
	struct sub **tail = list;
	while (*tail)
		tail = &(*tail)->conn_next;
	*tail = s;
	metrics.subscriptions++;

	if (since >= 0 && (since < trimmed || since > head)) {
		/* Older than retention (or from another database): the client
		 * must refetch over REST; live delivery starts at the head. */
		struct buf b = { 0 };
		buf_puts(&b, "{\"op\":\"reset\",\"ch\":");
		buf_json_str(&b, ch);
		buf_puts(&b, "}");
		ws_send_text(conn, b.p, b.len);
		buf_free(&b);
		since = -1;
	}
	if (since < 0) {
		s->last_seq = head;
		s->live = 1;
		send_subbed(s);
		return 0;
	}
	s->last_seq = since;
	return replay_step(hub, s);
}
