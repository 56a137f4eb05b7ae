#include "ws.h"
#include "accesslog.h"
#include "dbpool.h"
#include "frame.h"
#include "http.h"
#include "hub.h"
#include "metrics.h"
#include "peers.h"
#include "sendq.h"
#include "server.h"
#include "token.h"
#include "util.h"
#include "wsmsg.h"
#include "wsframe.h"
#include "wsplain.h"
#include "sendbatch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

struct ws_conn {
	struct gw *gw;             /* process state */
	struct wsplain *px;        /* the socket (wsplain.h); NULL once closed */
	int in_round;              /* a frame of the fan-out round waits to go */
	struct ws_conn *prev, *next; /* gw->conns list */
	struct ws_conn *close_next; /* gw->closing list */
	int closing;               /* on the closing list, or close sent */
	int close_code;            /* code to close with */
	const char *close_reason;  /* static text for the close frame */
	int after_drain;           /* close once the queue is empty */
	int64_t opened_ms;         /* for the auth time-out */
	int64_t heard_ms;          /* last message or pong from the client */
	int64_t pinged_ms;         /* last WebSocket ping sent; < heard_ms: none since */
	int ping_due;              /* a ping waits for the writable callback */
	struct principal who;      /* uid 0 until authenticated */
	int64_t token_exp;         /* expiry of the token that authenticated */
	struct sub *subs;          /* subscriptions, in subscription order */
	struct sendq q;            /* outbound frames, bounded in bytes */
	struct wsmsg_rx rx;        /* reassembly of a fragmented message */
	int64_t rate_window_ms;    /* start of the current one-second window */
	int rate_count;            /* messages in it */
	int busy;                  /* a database job for a message is out */
	struct held *held, *held_tail; /* messages that came meanwhile, in order */
	int nheld;
	int jobs;                  /* database jobs out for this connection */
	int gone;                  /* the socket closed while jobs were out */
	uint64_t id;               /* for logs and the access log */
	char peer[64];             /* client address (after trusted_proxies) */
	int peer_port;             /* and port, 0 when unknown */
	char *user_agent;          /* of the upgrade request, or NULL */
};

/* A client message waiting for the previous one's database job. */
struct held {
	struct held *next;
	size_t len;
	char text[];
};

static void conn_free(struct ws_conn *c);

static void list_add(struct ws_conn **head, struct ws_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void list_del(struct ws_conn **head, struct ws_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* --- the socket ----------------------------------------------------------- */

static int alive(const struct ws_conn *c)
{
	return c->px != NULL;
}

/* Part of a frame is still being written: nothing else may go now. */
static int tx_busy(const struct ws_conn *c)
{
	return wsplain_busy(c->px) || c->in_round;
}

static void tx_want(struct ws_conn *c)
{
	wsplain_want_writable(c->px);
}

/* Writes f now: 0, or -1 when the socket failed. What the kernel did not
 * take is kept by the socket (tx_busy). */
static int tx_write(struct ws_conn *c, struct frame *f)
{
	return wsplain_send(c->px, f) < 0 ? -1 : 0;
}

static int round_add(struct ws_conn *c, struct frame *f);

void ws_wake(struct ws_conn *c)
{
	if (alive(c) && !c->closing)
		tx_want(c);
}

void ws_prefetch(const struct ws_conn *c)
{
	__builtin_prefetch(c);
	__builtin_prefetch((const char *)c + 64);
}

void ws_prefetch_socket(const struct ws_conn *c)
{
	/* What wsplain_busy and wsplain_send read of the socket. */
	const char *w = (const char *)c->px;
	if (w)
		for (int off = 0; off < 256; off += 64)
			__builtin_prefetch(w + off);
}

int ws_has_room(const struct ws_conn *c)
{
	return c->q.bytes < (size_t)c->gw->cfg->ws_send_queue_bytes / 2;
}

/* Closes c (it is behind) for ws_memory_budget: 1008, and its queue
 * dropped now, so the next socket sees the room it frees. */
static void close_for_budget(struct ws_conn *c)
{
	if (metrics.ws_budget_closes++ % 1000 == 0)
		log_warn("ws: queued frames over ws_memory_budget = %lld bytes: closing sockets "
			 "that are behind with 1008 (linli_ws_budget_closes_total)",
			 (long long)c->gw->cfg->ws_memory_budget);
	sendq_clear(&c->q);
	ws_close_later(c, 1008, "server memory budget reached; resume with since", 0);
}

int ws_send(struct ws_conn *c, struct frame *f)
{
	if (c->closing || !alive(c))
		return -EPIPE;
	if (c->q.len == 0 && !tx_busy(c)) {
		/* Fast path: nothing waits and the kernel took all we gave it
		 * last time, so write now rather than ask for POLLOUT (two
		 * epoll_ctl calls and a loop turn per delivery). A short write
		 * is kept by the transport and flushed before its next writable
		 * callback; until then tx_busy sends us to the queue. In a
		 * fan-out round our own sockets' frames go together at its end
		 * (round_end). */
		if (round_add(c, f))
			return 0;
		if (tx_write(c, f) < 0) {
			ws_close_later(c, 1011, "write failed", 0);
			return -EPIPE;
		}
		return 0;
	}
	int was_empty = c->q.len == 0;
	if (atomic_load_explicit(&frame_bytes, memory_order_relaxed) >
	    c->gw->cfg->ws_memory_budget + c->gw->cfg->ws_send_queue_bytes / 2) {
		/* Every queue together past the process's budget (and the room
		 * of one replay page in flight): this socket is behind (it
		 * queues), so it goes; its frames are freed and it resumes with
		 * since once it reads again. The sweep evicts below this. */
		close_for_budget(c);
		return -ENOBUFS;
	}
	if (sendq_push(&c->q, f, (size_t)c->gw->cfg->ws_send_queue_bytes)) {
		/* A reader this slow would make us hold memory without bound. */
		metrics.queue_overflows++;
		log_warn("ws: user %" PRId64 ": send queue over %lld bytes, closing 1008",
			 c->who.uid, (long long)c->gw->cfg->ws_send_queue_bytes);
		ws_close_later(c, 1008, "send queue overflow", 0);
		return -ENOBUFS;
	}
	if (was_empty)
		tx_want(c);
	return 0;
}

static int by_queue_desc(const void *a, const void *b)
{
	size_t x = (*(struct ws_conn *const *)a)->q.bytes, y = (*(struct ws_conn *const *)b)->q.bytes;
	return x < y ? 1 : x > y ? -1 : 0;
}

void ws_evict_for_budget(struct gw *gw, size_t reserved)
{
	int64_t page = gw->cfg->ws_send_queue_bytes / 2;
	int64_t excess = atomic_load_explicit(&frame_bytes, memory_order_relaxed) +
			 (int64_t)reserved + page - gw->cfg->ws_memory_budget;
	if (excess <= 0)
		return;
	size_t n = 0, cap = 64;
	struct ws_conn **behind = xmalloc(cap * sizeof *behind);
	for (struct ws_conn *c = gw->conns; c; c = c->next) {
		if (c->closing || !c->q.bytes)
			continue;
		if (n == cap)
			behind = xrealloc(behind, (cap *= 2) * sizeof *behind);
		behind[n++] = c;
	}
	qsort(behind, n, sizeof *behind, by_queue_desc);
	for (size_t i = 0; i < n && excess > 0; i++) {
		excess -= (int64_t)behind[i]->q.bytes;
		close_for_budget(behind[i]);
	}
	free(behind);
}

int ws_send_text(struct ws_conn *c, const char *text, size_t len)
{
	struct frame *f = frame_new(text, len);
	int rc = ws_send(c, f);
	frame_unref(f);
	return rc;
}

static void close_timer_cb(uv_timer_t *t)
{
	ws_run_closes(t->data);
}

void ws_close_later(struct ws_conn *c, int code, const char *reason, int after_drain)
{
	if (c->closing || !alive(c))
		return;
	c->close_code = code;
	c->close_reason = reason;
	if (after_drain && c->q.len) {
		c->after_drain = 1; /* the writable callback finishes the job */
		return;
	}
	metrics.ws_closed[metrics_close_idx(code)]++;
	c->closing = 1;
	c->close_next = c->gw->closing;
	c->gw->closing = c;
	if (!uv_is_active((uv_handle_t *)&c->gw->close_timer))
		uv_timer_start(&c->gw->close_timer, close_timer_cb, 0, 0);
}

void ws_run_closes(struct gw *gw)
{
	/* From a loop timer, outside every socket callback: a close here
	 * cannot pull a socket out from under its own callback chain. */
	while (gw->closing) {
		struct ws_conn *c = gw->closing;
		gw->closing = c->close_next;
		c->close_next = NULL;
		const char *r = c->close_reason ? c->close_reason : "";
		if (c->px)
			wsplain_close(c->px, c->close_code, r); /* c may be gone after it */
	}
}

/* --- outbound helpers -------------------------------------------------- */

static void send_error(struct ws_conn *c, const char *code, const char *message,
		       const char *ref)
{
	struct buf b = { 0 };
	buf_puts(&b, "{\"op\":\"error\",\"code\":");
	buf_json_str(&b, code);
	buf_puts(&b, ",\"message\":");
	buf_json_str(&b, message);
	if (ref) {
		buf_puts(&b, ",\"ref\":");
		buf_puts(&b, ref);
	}
	buf_puts(&b, "}");
	metrics.ws_errors_sent++;
	ws_send_text(c, b.p, b.len);
	buf_free(&b);
}

static void send_simple(struct ws_conn *c, const char *op, const char *ch,
			const char *ref)
{
	struct buf b = { 0 };
	buf_puts(&b, "{\"op\":");
	buf_json_str(&b, op);
	if (ch) {
		buf_puts(&b, ",\"ch\":");
		buf_json_str(&b, ch);
	}
	if (ref) {
		buf_puts(&b, ",\"ref\":");
		buf_puts(&b, ref);
	}
	buf_puts(&b, "}");
	ws_send_text(c, b.p, b.len);
	buf_free(&b);
}

/* --- database jobs ------------------------------------------------------- */

/* A job for one connection: it stays allocated until the job is back,
 * even if the socket closes meanwhile (then only freed). */
struct conn_job {
	struct dbpool_job job;
	struct ws_conn *c;
	struct principal who;      /* auth: loaded; sub: the caller */
	int64_t uid, sid, exp;     /* auth: the verified token's claims */
	char *ch;                  /* sub: the channel */
	int64_t since;             /* sub: replay after this, or -1 */
	int64_t head, trimmed;     /* sub: the channel's log position */
	char *ref;                 /* raw JSON to echo, or NULL */
	int on_upgrade;            /* auth from the upgrade's header */
	const char *why;           /* sub: why not (static) */
	int rc;
};

static void run_held(struct ws_conn *c);

static int submit(struct ws_conn *c, struct conn_job *j, dbpool_run_cb run, dbpool_done_cb done)
{
	j->c = c;
	j->job = (struct dbpool_job){ .run = run, .done = done, .data = j, .lane = DBPOOL_READ,
				      .expires = 1 };
	int rc = dbpool_submit(c->gw->pool, &j->job);
	if (rc == 0) {
		c->jobs++;
		c->busy = 1;
	}
	return rc;
}

/* Back on the loop: 1 when the connection is still there to answer. */
static int job_back(struct conn_job *j)
{
	struct ws_conn *c = j->c;
	c->jobs--;
	c->busy = 0;
	if (c->gone) {
		if (!c->jobs)
			conn_free(c);
		return 0;
	}
	return 1;
}

static void job_free(struct conn_job *j)
{
	free(j->ch);
	free(j->ref);
	free(j);
}

/* --- authentication ---------------------------------------------------- */

static void send_authed(struct ws_conn *c, const char *ref)
{
	struct buf b = { 0 };
	buf_printf(&b, "{\"op\":\"authed\",\"user_id\":%" PRId64, c->who.uid);
	if (ref) {
		buf_puts(&b, ",\"ref\":");
		buf_puts(&b, ref);
	}
	buf_puts(&b, "}");
	ws_send_text(c, b.p, b.len);
	buf_free(&b);
}

static void auth_run(struct dbpool_job *job, struct store *st)
{
	struct conn_job *j = job->data;
	struct ws_conn *c = j->c; /* its address fields do not change */
	j->rc = c->gw->domain->load_principal(st, j->uid, j->sid, &j->who);
	if (!j->rc || j->rc == -ENOENT || j->rc == -EKEYREVOKED)
		accesslog_ws_auth(st, j->uid, j->sid, c->peer, c->peer_port, c->user_agent,
				  j->rc ? 401 : 200, c->id);
}

/* Counts c under its account: 1 when the account holds ws_max_per_user
 * sockets already. Uncounted when the connection closes (conn_gone). */
static int over_user_cap(struct ws_conn *c, int64_t uid)
{
	char name[32];
	snprintf(name, sizeof name, "u:%" PRId64, uid);
	return peers_add(c->gw->ws_users, c, name, c->gw->cfg->ws_max_per_user) == -EBUSY;
}

static void auth_done(struct dbpool_job *job)
{
	struct conn_job *j = job->data;
	struct ws_conn *c = j->c;
	if (!job_back(j))
		goto out;
	const char *why = NULL;
	if (job->expired || (j->rc && j->rc != -ENOENT && j->rc != -EKEYREVOKED)) {
		/* The database, not the token: the client may try again. */
		send_error(c, "unavailable", "cannot check the token now; retry", j->ref);
	} else if (j->rc) {
		why = j->on_upgrade ? "invalid or expired token" :
		      j->rc == -EKEYREVOKED ? "session revoked" : "unknown user";
	} else if (c->who.uid && c->who.uid != j->who.uid) {
		why = "already authenticated as another user";
	} else if (!c->who.uid && !j->who.is_admin && over_user_cap(c, j->who.uid)) {
		/* One account may not take every socket (others got 503). */
		metrics.ws_refused_per_user++;
		ws_close_later(c, 1008, "too many sockets for this account (ws_max_per_user)", 1);
		goto out;
	} else {
		if (!c->who.uid)
			metrics.ws_authed++;
		c->who = j->who;
		c->token_exp = j->exp;
		send_authed(c, j->ref);
	}
	if (why) /* the close frame's reason says why; no second chance */
		ws_close_later(c, 4001, why, 1);
	else
		run_held(c);
out:
	job_free(j);
}

/* Verifies token (its signature: CPU only) and loads the user it names on
 * a worker. 0 when the job is out; otherwise a close code and *why. */
static int authenticate(struct ws_conn *c, const char *token, const char *ref, int on_upgrade,
			const char **why)
{
	struct token_claims cl;
	int rc = token_verify(c->gw->secret, token, util_now_ms() / 1000, &cl);
	if (rc) {
		*why = rc == -EKEYEXPIRED ? "token expired" : "invalid token";
		return 4001;
	}
	struct conn_job *j = xcalloc(1, sizeof *j);
	j->uid = cl.uid;
	j->sid = cl.sid;
	j->exp = cl.exp;
	j->on_upgrade = on_upgrade;
	j->ref = ref ? xstrdup(ref) : NULL;
	if (submit(c, j, auth_run, auth_done)) {
		job_free(j);
		send_error(c, "unavailable", "server busy; retry", ref);
	}
	return 0;
}

/* --- subscriptions --------------------------------------------------------- */

static void sub_run(struct dbpool_job *job, struct store *st)
{
	struct conn_job *j = job->data;
	j->rc = j->c->gw->domain->may_subscribe(st, &j->who, j->ch, &j->why);
	if (j->rc == 0)
		j->rc = store_channel_head(st, j->ch, &j->head, &j->trimmed);
}

static void sub_done(struct dbpool_job *job)
{
	struct conn_job *j = job->data;
	struct ws_conn *c = j->c;
	if (!job_back(j))
		goto out;
	if (job->expired || (j->rc && j->rc != -EPERM))
		send_error(c, "unavailable", "event log unavailable, try again", j->ref);
	else if (j->rc)
		send_error(c, "forbidden", j->why, j->ref);
	else
		hub_subscribe(c->gw->hub, c, &c->subs, j->ch, j->since, j->ref, j->head, j->trimmed);
	run_held(c);
out:
	job_free(j);
}

/* --- inbound messages -------------------------------------------------- */


/* Handles one whole client message. Returns 0, or a close code (with
 * c->close_reason) for the caller to close with. */
static int handle_message(struct ws_conn *c, const char *msg, size_t len)
{
	struct gw *gw = c->gw;
	struct wsmsg m;
	const char *err;
	int close_code = 0;
	if (wsmsg_parse(msg, len, &m, &err)) {
		send_error(c, "bad_request", err, m.ref);
	} else if (m.op == WSMSG_PING) {
		send_simple(c, "pong", NULL, m.ref);
	} else if (m.op == WSMSG_AUTH) {
		const char *why;
		if ((close_code = authenticate(c, m.token, m.ref, 0, &why)))
			c->close_reason = why;
	} else if (!c->who.uid) {
		send_error(c, "unauthorized", "authenticate first", m.ref);
	} else if (!m.ch || gw->domain->channel_valid(m.ch)) {
		send_error(c, "bad_request", "ch must be a channel name like \"thread:42\"", m.ref);
	} else if (m.op == WSMSG_UNSUB) {
		if (hub_unsubscribe(gw->hub, &c->subs, m.ch))
			send_error(c, "not_found", "not subscribed to this channel", m.ref);
		else
			send_simple(c, "unsubbed", m.ch, m.ref);
	} else if (m.since_bad) {
		send_error(c, "bad_request", "since must be a non-negative integer", m.ref);
	} else if (hub_sub_count(c->subs) >= gw->cfg->ws_max_subs) {
		send_error(c, "bad_request", "too many subscriptions on this connection", m.ref);
	} else {
		/* Who may subscribe, and where the log stands: on a worker. */
		struct conn_job *sj = xcalloc(1, sizeof *sj);
		sj->who = c->who;
		sj->ch = xstrdup(m.ch);
		sj->since = m.since;
		sj->ref = m.ref ? xstrdup(m.ref) : NULL;
		if (submit(c, sj, sub_run, sub_done)) {
			job_free(sj);
			send_error(c, "unavailable", "server busy; retry", m.ref);
		}
	}
	wsmsg_free(&m);
	return close_code;
}

/* A message while a job is out waits its turn (answers keep the order of
 * the questions); at most ws_max_msgs_per_s of them. 0, or a close code. */
static int hold(struct ws_conn *c, const char *msg, size_t len)
{
	if (c->nheld >= c->gw->cfg->ws_max_msgs_per_s) {
		c->close_reason = "too many messages";
		return 4029;
	}
	struct held *h = xmalloc(sizeof *h + len);
	h->next = NULL;
	h->len = len;
	memcpy(h->text, msg, len);
	if (c->held_tail)
		c->held_tail->next = h;
	else
		c->held = h;
	c->held_tail = h;
	c->nheld++;
	return 0;
}

/* After a job: the messages that waited, until one starts another job.
 * Outside the socket's callbacks, so a close goes through ws_close_later. */
static void run_held(struct ws_conn *c)
{
	while (c->held && !c->busy && !c->closing) {
		struct held *h = c->held;
		c->held = h->next;
		if (!c->held)
			c->held_tail = NULL;
		c->nheld--;
		int code = handle_message(c, h->text, h->len);
		free(h);
		if (code)
			ws_close_later(c, code, c->close_reason, 0);
	}
}

/* One whole client message: counted against the rate, then handled now,
 * or held while an earlier one's job is out. 0, or a close code. */
/* Counts one message, text or binary; 4029 past ws_max_msgs_per_s. */
static int message_counted(struct ws_conn *c)
{
	metrics.ws_messages_in++;
	int64_t now = util_now_ms();
	if (now - c->rate_window_ms >= 1000) {
		c->rate_window_ms = now;
		c->rate_count = 0;
	}
	if (++c->rate_count > c->gw->cfg->ws_max_msgs_per_s) {
		c->close_reason = "too many messages";
		return 4029;
	}
	return 0;
}

static int message_in(struct ws_conn *c, const char *msg, size_t len)
{
	int code = message_counted(c);
	if (code)
		return code;
	if (c->busy || c->held)
		return hold(c, msg, len);
	return handle_message(c, msg, len);
}

static void held_free(struct ws_conn *c)
{
	while (c->held) {
		struct held *h = c->held;
		c->held = h->next;
		free(h);
	}
	c->held_tail = NULL;
	c->nheld = 0;
}

/* --- sessions ------------------------------------------------------------- */

static struct ws_conn *conn_new(struct gw *gw)
{
	struct ws_conn *c = xcalloc(1, sizeof *c);
	c->gw = gw;
	c->opened_ms = c->heard_ms = util_now_ms();
	c->id = ++gw->next_req_id;
	return c;
}

/* Open: hello, and the upgrade's Authorization header (hdr[0..hl), hl < 0
 * when it was too long, 0 when there was none). */
static void conn_start(struct ws_conn *c, const char *hdr, int hl)
{
	struct gw *gw = c->gw;
	list_add(&gw->conns, c);
	metrics.ws_connections++;
	metrics.ws_accepted++;
	char hello[64];
	int n = snprintf(hello, sizeof hello, "{\"op\":\"hello\",\"heartbeat_ms\":%lld}",
			 (long long)gw->cfg->ws_heartbeat_ms);
	ws_send_text(c, hello, (size_t)n);
	/* Authorization: Bearer <token> on the upgrade request. */
	if (hl > 0) {
		const char *why;
		if (strncmp(hdr, "Bearer ", 7) || authenticate(c, hdr + 7, NULL, 1, &why))
			ws_close_later(c, 4001, "invalid or expired token", 1);
	} else if (hl < 0) {
		ws_close_later(c, 4001, "authorization header too long", 1);
	}
}

static void conn_free(struct ws_conn *c)
{
	free(c->user_agent);
	held_free(c);
	wsmsg_rx_free(&c->rx);
	free(c);
}

/* The socket is gone (wsplain's closed). */
static void conn_gone(struct gw *gw, struct ws_conn *c)
{
	hub_unsubscribe_all(gw->hub, &c->subs);
	sendq_clear(&c->q);
	list_del(&gw->conns, c);
	if (c->closing) {
		/* Still on the deferred list: unlink it. */
		for (struct ws_conn **pp = &gw->closing; *pp; pp = &(*pp)->close_next)
			if (*pp == c) {
				*pp = c->close_next;
				break;
			}
	}
	metrics.ws_connections--;
	if (c->who.uid)
		metrics.ws_authed--;
	peers_remove(gw->ws_users, c);
	peers_remove(gw->peers, c);
	c->px = NULL;
	if (c->jobs)
		c->gone = 1; /* the last job back frees it */
	else
		conn_free(c);
}

/* The ping carries the time it was sent; the pong echoes it. */
static int write_ping(struct ws_conn *c)
{
	unsigned char ping[8];
	uint64_t t = (uint64_t)util_now_ms();
	for (int i = 0; i < 8; i++)
		ping[i] = (unsigned char)(t >> (56 - 8 * i));
	return wsplain_control(c->px, WSFRAME_PING, ping, 8) < 0 ? -1 : 0;
}

static int conn_writable(struct ws_conn *c)
{
	int budget = 64; /* frames per callback, then let others write */
	struct frame *f;
	if (c->ping_due) {
		if (write_ping(c) < 0)
			return -1;
		c->ping_due = 0;
		if (tx_busy(c)) {
			tx_want(c);
			return 0;
		}
	}
	while (budget-- && (f = sendq_peek(&c->q))) {
		if (tx_write(c, f) < 0)
			return -1;
		sendq_pop(&c->q);
		if (tx_busy(c))
			break; /* the transport holds the rest; wait for the next writable */
	}
	sendq_trim(&c->q, 64); /* give back a ring grown by a burst */
	if (c->subs && ws_has_room(c))
		hub_replay_more(c->gw->hub, c->subs);
	if (c->q.len) {
		tx_want(c);
	} else if (c->after_drain) {
		c->after_drain = 0;
		ws_close_later(c, c->close_code, c->close_reason, 0);
	}
	return 0;
}

/* A chunk of a client's message: 0, or a close
 * code (with c->close_reason) to close with now. */
static int conn_chunk(struct ws_conn *c, const void *in, size_t len, int first, int last,
		      int binary)
{
	int code = 0;
	c->heard_ms = util_now_ms();
	switch (wsmsg_rx_feed(&c->rx, in, len, first, last, binary, (size_t)c->gw->cfg->ws_max_frame)) {
	case WSMSG_MORE:
		return 0;
	case WSMSG_TOO_BIG:
		c->close_reason = "message too big";
		return 1009;
	case WSMSG_BINARY:
		code = message_counted(c);
		if (!code)
			send_error(c, "bad_request", "binary frames are not supported; send JSON text", NULL);
		break;
	case WSMSG_TEXT:
		code = message_in(c, c->rx.text.p ? c->rx.text.p : "", c->rx.text.len);
		wsmsg_rx_reset(&c->rx, 4096); /* keep idle sockets small */
		break;
	}
	return code;
}

/* --- the socket's callbacks (wsplain) ------------------------------------------------ */

static int plain_data(void *ud, const void *p, size_t n, int first, int last, int binary)
{
	struct ws_conn *c = ud;
	int code = conn_chunk(c, p, n, first, last, binary);
	if (!code)
		return 0;
	metrics.ws_closed[metrics_close_idx(code)]++;
	wsplain_close(c->px, code, c->close_reason ? c->close_reason : "");
	return -1;
}

static void plain_heard(void *ud)
{
	((struct ws_conn *)ud)->heard_ms = util_now_ms();
}

static void plain_writable(void *ud)
{
	struct ws_conn *c = ud;
	if (conn_writable(c))
		ws_close_later(c, 1011, "write failed", 0);
}

static void plain_closed(void *ud)
{
	struct ws_conn *c = ud;
	conn_gone(c->gw, c);
}

static const struct wsplain_cb plain_cb = {
	.data = plain_data, .heard = plain_heard, .writable = plain_writable, .closed = plain_closed,
};

int ws_open_plain(struct gw *gw, int fd, const struct ws_upgrade *up)
{
	struct ws_conn *c = conn_new(gw);
	snprintf(c->peer, sizeof c->peer, "%s", up->client);
	c->peer_port = up->client_port;
	if (up->user_agent && up->user_agent_len <= 512)
		c->user_agent = xstrndup(up->user_agent, up->user_agent_len);
	if (server_count_client(gw, c, c->peer) ||
	    !(c->px = wsplain_open(gw->loop, fd, up->tls, &plain_cb, c, (uint64_t)gw->cfg->ws_max_frame,
					 gw->cfg->http_linger_ms))) {
		peers_remove(gw->peers, c);
		conn_free(c);
		return -1;
	}
	char hdr[TOKEN_MAX + 16];
	int hl = 0;
	if (up->authorization) {
		hl = up->authorization_len < sizeof hdr ? (int)up->authorization_len : -1;
		if (hl > 0) {
			memcpy(hdr, up->authorization, (size_t)hl);
			hdr[hl] = '\0';
		}
	}
	conn_start(c, hdr, hl);
	return 0;
}

/* --- a fan-out round: our sockets' frames in one submission -------------------- */

/* Between round_begin and round_end the hub delivers one event to every
 * subscriber of a channel; the frames for our own sockets that would go
 * at once are gathered and sent together (sendbatch: one io_uring
 * submission, or send() each). What the kernel does not take is kept by
 * the socket as after any short write. */
static struct {
	int open;                   /* inside a round */
	struct frame *f;            /* the round's event, referenced while items wait */
	size_t n, cap;
	struct sendbatch_item *items; /* .data: the ws_conn */
} rnd;

static int round_add(struct ws_conn *c, struct frame *f)
{
	if (!rnd.open || !c->gw->batch || (rnd.n && f != rnd.f) || wsplain_fd(c->px) < 0)
		return 0; /* a round is one event, to plain sockets; anything else goes now */
	if (rnd.n == rnd.cap) {
		rnd.cap = rnd.cap ? rnd.cap * 2 : 256;
		rnd.items = xrealloc(rnd.items, rnd.cap * sizeof *rnd.items);
	}
	if (!rnd.n)
		rnd.f = frame_ref(f);
	struct sendbatch_item *it = &rnd.items[rnd.n];
	it->buf = frame_wire(f, &it->len);
	it->fd = wsplain_fd(c->px);
	it->data = c;
	rnd.n++;
	c->in_round = 1;
	return 1;
}

static void round_begin(void)
{
	rnd.open = 1;
}

static void round_end(void)
{
	rnd.open = 0;
	if (!rnd.n)
		return;
	struct gw *gw = ((struct ws_conn *)rnd.items[0].data)->gw;
	sendbatch_run(gw->batch, rnd.items, rnd.n);
	for (size_t i = 0; i < rnd.n; i++) {
		struct ws_conn *c = rnd.items[i].data;
		ssize_t res = rnd.items[i].res;
		c->in_round = 0; /* closes are deferred: c is still open */
		if (res < 0 && res != -EAGAIN && res != -EWOULDBLOCK) {
			ws_close_later(c, 1011, "write failed", 0);
		} else {
			wsplain_sent(c->px, rnd.f, res);
			if (c->q.len) /* queued behind this round's frame */
				tx_want(c);
		}
	}
	frame_unref(rnd.f);
	rnd.f = NULL;
	rnd.n = 0;
}

/* A WebSocket ping to a client silent for ws_ping_secs: now if nothing is
 * waiting to be written, else ahead of the queue on the next writable. */
static void send_ping(struct ws_conn *c, int64_t now)
{
	c->pinged_ms = now;
	if (c->q.len == 0 && !tx_busy(c)) {
		if (write_ping(c) < 0)
			ws_close_later(c, 1011, "write failed", 0);
		return;
	}
	c->ping_due = 1;
	tx_want(c);
}

/* Once a second, over every socket: authentication and token time-outs, and
 * keepalive. One visit per socket per second (lws 4.1's own timers, when it
 * served the sockets, kept one sorted list that every accept and pong
 * walked: 19,000 nodes at 19,000 sockets). */
void ws_sweep(struct gw *gw)
{
	int64_t now = util_now_ms();
	int64_t ping_ms = gw->cfg->ws_ping_secs * 1000, idle_ms = gw->cfg->ws_idle_secs * 1000;
	wsplain_sweep(now);
	for (struct ws_conn *c = gw->conns; c; c = c->next) {
		if (c->closing)
			continue;
		int64_t silent = now - c->heard_ms;
		if (!c->who.uid && now - c->opened_ms >= gw->cfg->ws_auth_timeout_ms)
			ws_close_later(c, 4001, "authentication timeout", 0);
		else if (c->who.uid && c->token_exp * 1000 <= now)
			ws_close_later(c, 4001, "token expired", 0);
		else if (silent >= idle_ms)
			ws_close_later(c, 1001, "idle timeout", 0);
		else if (silent >= ping_ms && c->pinged_ms <= c->heard_ms)
			send_ping(c, now);
	}
}

void ws_close_session(struct gw *gw, int64_t sid)
{
	for (struct ws_conn *c = gw->conns; c; c = c->next)
		if (c->who.uid && c->who.sid == sid)
			ws_close_later(c, 4001, "session revoked", 0);
}

/* The sessions a revocation check found, for the loop. */
struct revoked {
	struct dbpool_job job;
	struct gw *gw;
	int64_t since;             /* revocations at or after this */
	int64_t started;           /* when this check began */
	int64_t *sids;
	size_t n, cap;
};

static void add_revoked(int64_t sid, void *data)
{
	struct revoked *r = data;
	if (r->n == r->cap)
		r->sids = xrealloc(r->sids, (r->cap = r->cap ? r->cap * 2 : 16) * sizeof *r->sids);
	r->sids[r->n++] = sid;
}

static void revoked_run(struct dbpool_job *job, struct store *st)
{
	struct revoked *r = job->data;
	if (r->gw->domain->revoked_sessions(st, r->since, add_revoked, r))
		r->n = 0; /* the next check covers it: it starts where this one did */
}

static void revoked_done(struct dbpool_job *job)
{
	struct revoked *r = job->data;
	struct gw *gw = r->gw;
	for (size_t i = 0; i < r->n; i++)
		ws_close_session(gw, r->sids[i]);
	if (!job->expired && !job->store_failures)
		gw->sessions_checked_ms = r->started; /* else the next check covers it too */
	gw->sessions_checking = 0;
	free(r->sids);
	free(r);
}

void ws_check_sessions(struct gw *gw)
{
	if (gw->sessions_checking)
		return;
	if (!gw->conns) {
		gw->sessions_checked_ms = util_now_ms();
		return;
	}
	/* A little overlap, so a revocation committed by another process
	 * while we looked is not missed; closing twice is harmless. */
	struct revoked *r = xcalloc(1, sizeof *r);
	r->gw = gw;
	r->since = gw->sessions_checked_ms - 2000;
	r->started = util_now_ms();
	r->job = (struct dbpool_job){ .run = revoked_run, .done = revoked_done, .data = r,
				      .lane = DBPOOL_READ, .expires = 1 };
	if (dbpool_submit(gw->pool, &r->job)) {
		free(r);
		return;
	}
	gw->sessions_checking = 1;
}

void ws_drop_plain(struct gw *gw)
{
	for (struct ws_conn *c = gw->conns, *next; c; c = next) {
		next = c->next;
		if (c->px)
			wsplain_close(c->px, 1001, "server going away"); /* c is gone after it */
	}
	wsplain_close_lingering();
}

void ws_close_all(struct gw *gw)
{
	for (struct ws_conn *c = gw->conns; c; c = c->next)
		ws_close_later(c, 1001, "server going away", 1);
}

/* --- the hub's side of the sockets ------------------------------------------ */

static void sink_close(struct ws_conn *c, int code, const char *reason)
{
	ws_close_later(c, code, reason, 0);
}

static void sink_prefetch(const struct ws_conn *c, int level)
{
	if (level == 1)
		ws_prefetch(c);
	else
		ws_prefetch_socket(c);
}

const struct hub_sink ws_hub_sink = {
	.send = ws_send, .send_text = ws_send_text, .has_room = ws_has_room,
	.close = sink_close, .prefetch = sink_prefetch,
	.round_begin = round_begin, .round_end = round_end,
};
