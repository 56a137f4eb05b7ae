#include "hub.h"
#include "frame.h"
#include "map.h"
#include "metrics.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct hub_chan {
	struct hub *hub;
	char *name;            /* channel name (owned) */
	int64_t last_seq;      /* highest seq fanned out to live subscribers */
	struct sub **subs;     /* subscribers, unordered */
	size_t n, cap;
	int reading;           /* a gap fill's read is out */
	int64_t want;          /* highest seq seen arriving while it was */
	int dead;              /* left the table while reading: freed on return */
};

struct sub {
	struct hub_chan *chan;  /* the channel (not to be touched once dead) */
	struct ws_conn *conn;   /* the subscribing socket */
	struct sub *conn_next;  /* next subscription of the same socket */
	size_t idx;             /* position in chan->subs */
	int64_t last_seq;       /* highest seq queued to this socket */
	int live;               /* 0 while the log is being replayed */
	int reading;            /* a replay page's read is out */
	int dead;               /* removed while reading: freed on return */
	int parked;             /* waits in hub->parked for memory budget */
	struct sub *park_prev, *park_next;
	char *ref;              /* raw JSON echoed in `subbed`, until sent */
};

struct hub {
	const struct config *cfg;   /* replay batch size */
	struct hub_log log;         /* reads, and the bus to tell */
	struct hub_sink sink;       /* the sockets */
	struct map chans;           /* name -> struct hub_chan* */
	int heads_reading;          /* hub_catch_up's read is out */
	struct sub *parked, *parked_tail; /* replays waiting for budget, in order */
	int nparked;
	size_t reserved;            /* bytes reserved for replay pages out */
};

/* The most one replay page may hold: what a queue may take of a replay. */
static size_t page_bytes(const struct hub *hub)
{
	return (size_t)hub->cfg->ws_send_queue_bytes / 2;
}

/* Would another replay page pass ws_memory_budget? Frames alive (queued,
 * or built and not yet queued) plus pages still being read. */
static int over_budget(const struct hub *hub)
{
	int64_t held = atomic_load_explicit(&frame_bytes, memory_order_relaxed);
	return held + (int64_t)(hub->reserved + page_bytes(hub)) > hub->cfg->ws_memory_budget;
}

static void park(struct hub *hub, struct sub *s)
{
	if (s->parked)
		return;
	s->parked = 1;
	s->park_prev = hub->parked_tail;
	s->park_next = NULL;
	if (hub->parked_tail)
		hub->parked_tail->park_next = s;
	else
		hub->parked = s;
	hub->parked_tail = s;
	metrics.replays_parked = ++hub->nparked;
}

static void unpark_one(struct hub *hub, struct sub *s)
{
	if (!s->parked)
		return;
	if (s->park_prev)
		s->park_prev->park_next = s->park_next;
	else
		hub->parked = s->park_next;
	if (s->park_next)
		s->park_next->park_prev = s->park_prev;
	else
		hub->parked_tail = s->park_prev;
	s->parked = 0;
	s->park_prev = s->park_next = NULL;
	metrics.replays_parked = --hub->nparked;
}

struct hub *hub_new(const struct config *cfg, const struct hub_log *log,
		    const struct hub_sink *sink)
{
	struct hub *hub = xcalloc(1, sizeof *hub);
	hub->cfg = cfg;
	hub->log = *log;
	hub->sink = *sink;
	map_init(&hub->chans);
	return hub;
}

static void chan_free(struct hub_chan *c)
{
	free(c->subs);
	free(c->name);
	free(c);
}

void hub_free(struct hub *hub)
{
	if (!hub)
		return;
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&hub->chans, &i, &k, &v);)
		chan_free(v);
	map_free(&hub->chans);
	free(hub);
}

static void rows_free(struct hub_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		frame_unref(rows[i].f);
	free(rows);
}

static void fan_out(struct hub_chan *c, int64_t seq, struct frame *f)
{
	struct sub **subs = c->subs;
	size_t n = c->n;
	int (*send)(struct ws_conn *, struct frame *) = c->hub->sink.send;
	void (*prefetch)(const struct ws_conn *, int) = c->hub->sink.prefetch;
	if (c->hub->sink.round_begin)
		c->hub->sink.round_begin();
	for (size_t i = 0; i < n; i++) {
		/* Each delivery is a system call; while it runs, the memory the
		 * next ones touch is fetched (thousands of subscriptions do not fit
		 * in cache): subscriptions three ahead, their sockets' state two
		 * ahead, the socket's own one ahead (their pointers are cached by then). */
		if (i + 3 < n)
			__builtin_prefetch(subs[i + 3]);
		if (prefetch && i + 2 < n)
			prefetch(subs[i + 2]->conn, 1);
		if (prefetch && i + 1 < n)
			prefetch(subs[i + 1]->conn, 2);
		struct sub *s = subs[i];
		if (!s->live || seq <= s->last_seq)
			continue;
		s->last_seq = seq;
		if (send(s->conn, f) == 0)
			metrics.events_delivered++;
	}
	if (c->hub->sink.round_end)
		c->hub->sink.round_end();
	if (seq > c->last_seq)
		c->last_seq = seq;
}

/* --- gap fills: the channel reads the log past what it delivered ---------- */

static void fill_done(void *arg, struct hub_row *rows, int n, int rc);

static void fill(struct hub_chan *c)
{
	if (c->reading)
		return;
	if (c->hub->log.read(c->hub->log.ctx, c->name, c->last_seq, (int)c->hub->cfg->ws_replay_batch,
			     0, fill_done, c) == 0)
		c->reading = 1;
	/* else the periodic catch-up tries again */
}

static void fill_done(void *arg, struct hub_row *rows, int n, int rc)
{
	struct hub_chan *c = arg;
	c->reading = 0;
	if (c->dead) {
		rows_free(rows, n);
		chan_free(c);
		return;
	}
	if (rc < 0) {
		log_warn("hub: %s: the log could not be read (%d); the next catch-up retries",
			 c->name, rc);
		rows_free(rows, n);
		return;
	}
	for (int i = 0; i < n; i++)
		if (rows[i].seq > c->last_seq)
			fan_out(c, rows[i].seq, rows[i].f);
	rows_free(rows, n);
	/* A full page may have more behind it; an event that arrived past
	 * what the page held is in the log too. */
	if (n == (int)c->hub->cfg->ws_replay_batch || c->want > c->last_seq)
		fill(c);
}

void hub_deliver(struct hub *hub, const char *ch, int64_t seq, struct frame *f)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	if (!c || seq <= c->last_seq)
		return; /* nobody here, or already delivered (our own echo) */
	if (c->reading) {
		if (seq > c->want)
			c->want = seq; /* the fill reads it from the log */
		return;
	}
	if (seq > c->last_seq + 1) {
		/* Missed something (bus outage, or another process's publish
		 * still in flight): the log has it, since publish follows commit. */
		metrics.gap_fills++;
		c->want = seq;
		fill(c);
		return;
	}
	fan_out(c, seq, f);
}

void hub_catch_up_channel(struct hub *hub, const char *ch)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	if (c)
		fill(c);
}

static void heads_done(void *arg, char **names, int64_t *heads, int n, int rc)
{
	struct hub *hub = arg;
	hub->heads_reading = 0;
	for (int i = 0; i < n; i++) {
		struct hub_chan *c = rc < 0 ? NULL : map_get(&hub->chans, names[i]);
		if (c && heads[i] > c->last_seq) {
			metrics.gap_fills++;
			fill(c);
		}
		free(names[i]);
	}
	free(names);
	free(heads);
}

void hub_catch_up(struct hub *hub)
{
	if (hub->heads_reading || !hub->chans.len)
		return;
	char **names = xmalloc(hub->chans.len * sizeof *names);
	int n = 0;
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&hub->chans, &i, &k, &v);)
		names[n++] = xstrdup(k);
	if (hub->log.heads(hub->log.ctx, names, n, heads_done, hub) == 0)
		hub->heads_reading = 1;
	else {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
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

/* --- subscriptions ----------------------------------------------------------- */

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
	s->chan->hub->sink.send_text(s->conn, b.p, b.len);
	buf_free(&b);
}

static void page_done(void *arg, struct hub_row *rows, int n, int rc);

/* Asks for the next replay page, unless one is out or the socket's queue
 * is half full (ws calls hub_replay_more once it drains). */
static void page(struct sub *s)
{
	struct hub *hub = s->chan->hub;
	if (s->reading || s->live || s->parked || !hub->sink.has_room(s->conn))
		return;
	if (over_budget(hub)) {
		park(hub, s); /* hub_unpark goes on when memory frees */
		return;
	}
	int rc = hub->log.read(hub->log.ctx, s->chan->name, s->last_seq,
			       (int)hub->cfg->ws_replay_batch, page_bytes(hub), page_done, s);
	if (rc == 0) {
		s->reading = 1;
		hub->reserved += page_bytes(hub);
		return;
	}
	/* The database cannot take the read now: the client resumes later. */
	hub->sink.close(s->conn, 1011, "event log unavailable, resume later");
}

static void sub_free(struct sub *s)
{
	free(s->ref);
	free(s);
}

static void page_landed(struct sub *s, struct hub *hub, struct hub_row *rows, int n, int rc);

/* A page is back: its reservation frees room for a parked replay at once
 * (a reconnect storm parks thousands; waiting for the once-a-second
 * hub_unpark would pace them at a page per parked replay per second). */
static void page_done(void *arg, struct hub_row *rows, int n, int rc)
{
	struct sub *s = arg;
	s->reading = 0;
	struct hub *hub = s->dead ? NULL : s->chan->hub;
	if (!hub) {
		rows_free(rows, n);
		sub_free(s);
		return;
	}
	hub->reserved -= page_bytes(hub);
	page_landed(s, hub, rows, n, rc); /* s goes on first: it was reading */
	if (hub->parked)
		hub_unpark(hub);
}

static void page_landed(struct sub *s, struct hub *page_hub, struct hub_row *rows, int n, int rc)
{
	if (rc < 0) {
		rows_free(rows, n);
		page_hub->sink.close(s->conn, 1011, "event log unavailable, resume later");
		return;
	}
	int stopped = 0;
	for (int i = 0; i < n && !stopped; i++) {
		if (rows[i].seq <= s->last_seq)
			continue;
		if (!page_hub->sink.has_room(s->conn) || page_hub->sink.send(s->conn, rows[i].f)) {
			stopped = 1; /* the rest waits until the queue drains */
			break;
		}
		s->last_seq = rows[i].seq;
		metrics.events_replayed++;
	}
	rows_free(rows, n);
	if (stopped)
		return;
	if (rc == 0 && n < (int)s->chan->hub->cfg->ws_replay_batch && s->last_seq >= s->chan->last_seq) {
		/* Caught up with the log, which was at or ahead of everything the
		 * channel had fanned out: live from here, no gap, no duplicate. */
		s->live = 1;
		send_subbed(s);
		return;
	}
	page(s); /* a full page, or events fanned out while this one was read */
}

int hub_unpark(struct hub *hub)
{
	while (hub->parked && !over_budget(hub)) {
		struct sub *s = hub->parked;
		unpark_one(hub, s);
		page(s);
	}
	return hub->nparked;
}

size_t hub_reserved(const struct hub *hub)
{
	return hub->reserved;
}

void hub_replay_more(struct hub *hub, struct sub *list)
{
	for (struct sub *s = list; s; s = s->conn_next) {
		if (!hub->sink.has_room(s->conn))
			return;
		page(s);
	}
}

static struct hub_chan *chan_get(struct hub *hub, const char *ch, int64_t head, int *created)
{
	struct hub_chan *c = map_get(&hub->chans, ch);
	*created = !c;
	if (c)
		return c;
	c = xcalloc(1, sizeof *c);
	c->hub = hub;
	c->name = xstrdup(ch);
	c->last_seq = head;
	map_put(&hub->chans, ch, c);
	metrics.channels++;
	if (hub->log.watch)
		hub->log.watch(hub->log.ctx, ch, 1);
	return c;
}

static void sub_remove(struct hub *hub, struct sub *s)
{
	struct hub_chan *c = s->chan;
	c->subs[s->idx] = c->subs[--c->n];
	c->subs[s->idx]->idx = s->idx;
	metrics.subscriptions--;
	unpark_one(hub, s);
	if (s->reading) {
		s->dead = 1; /* page_done frees it */
		hub->reserved -= page_bytes(hub); /* its page is no one's */
	} else {
		sub_free(s);
	}
	if (c->n == 0) {
		if (hub->log.watch)
			hub->log.watch(hub->log.ctx, c->name, 0);
		map_del(&hub->chans, c->name);
		metrics.channels--;
		if (c->reading)
			c->dead = 1; /* fill_done frees it */
		else
			chan_free(c);
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

void hub_subscribe(struct hub *hub, struct ws_conn *conn, struct sub **list,
		   const char *ch, int64_t since, const char *ref, int64_t head,
		   int64_t trimmed)
{
	hub_unsubscribe(hub, list, ch);
	int created;
	struct hub_chan *c = chan_get(hub, ch, head, &created);
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
		hub->sink.send_text(conn, b.p, b.len);
		buf_free(&b);
		since = -1;
	}
	if (since < 0) {
		/* Live from the head, or from what this channel has already fanned
		 * out if that is further (events delivered here after the head was
		 * read went out before this subscription existed). */
		s->last_seq = head > c->last_seq ? head : c->last_seq;
		s->live = 1;
		send_subbed(s);
	} else {
		s->last_seq = since;
		page(s);
	}
	/* A channel new here heard nothing while its head was being read (the
	 * bus dropped its events: no subscriber yet); the log has them. */
	if (created)
		fill(c);
}
