/* door: see door.h. */
#define _GNU_SOURCE /* accept4 */
#include "door.h"
#include "metrics.h"
#include "peers.h"
#include "proxies.h"
#include "reqhead.h"
#include "server.h"
#include "util.h"
#include "http.h"
#include "tlsio.h"
#include "wsframe.h"
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* Accepts per loop turn: enough that a reconnect storm does not overflow
 * the listen queue while the loop replays (a SYN dropped is retried a
 * second later, then 3, 7 ... s), few enough to bound the turn. */
#define ACCEPTS_PER_TURN 256

enum conn_state {
	CONN_HANDSHAKE, /* TLS mode: the handshake, before the first head */
	CONN_HEAD,     /* reading a request head (or idle between requests) */
	CONN_BODY,     /* reading the body http.c asked for */
	CONN_BUSY,     /* the request is http.c's: waiting for its answer */
	CONN_SENDING,  /* answered: the rest of the answer goes, then the next head */
	CONN_LINGER,   /* answered with close: reading and discarding until EOF */
};

struct door_conn {
	struct door *d;
	struct door_conn *prev, *next;
	uv_poll_t poll;
	int fd;
	enum conn_state state;
	int events;             /* what the poll watches */
	int close_after;        /* close once the answer is out */
	int in_advance;         /* advance() is on the stack */
	int gone;               /* closed: its memory goes when the poll's close is done */
	struct tlsio *tls;      /* TLS mode: the session; NULL on the plain port */
	int read_wants_write;   /* TLS: a read waits for the socket to take bytes */
	unsigned served;        /* requests answered on this connection */
	struct http_txn *txn;   /* BODY, BUSY: the request */
	int64_t body_left;      /* BODY: bytes still to read */
	int64_t deadline_ms;    /* head due, body due, a stalled answer, or lingering ends */
	struct buf out;         /* answer bytes not yet taken by the socket */
	size_t out_off;         /* of them, sent */
	char peer[64];
	size_t len;             /* bytes read into buf, not yet consumed */
	char *buf;              /* http_max_header + 1, while a head is read; NULL when idle */
};

struct door {
	struct gw *gw;
	struct tlsio_ctx *tls;  /* TLS mode (tls_cert): every connection has TLS */
	uv_poll_t poll;
	int fd;
	int paused;             /* out of descriptors: accepting again at the next sweep */
	int closed;
	size_t cap;             /* bytes of a head, and one more */
	struct door_conn *conns;
};

static void conn_freed(uv_handle_t *h)
{
	struct door_conn *c = h->data;
	buf_free(&c->out);
	free(c->buf);
	tlsio_free(c->tls);
	free(c);
}

static void unlink_conn(struct door_conn *c)
{
	struct door *d = c->d;
	c->gone = 1;
	if (c->txn) {
		http_request_gone(c->txn);
		c->txn = NULL;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	peers_remove(d->gw->peers, c);
	uv_close((uv_handle_t *)&c->poll, conn_freed);
}

static void conn_close(struct door_conn *c)
{
	unlink_conn(c);
	close(c->fd);
}

/* --- the poll, and what is written ------------------------------------------ */

static void conn_cb(uv_poll_t *h, int status, int events);

/* Watches what the connection's state waits for: its bytes while a head or
 * a body (or a lingering close) is read, the socket's room while an answer
 * is going out, nothing while http.c has the request (a pipelined request
 * then waits in the socket: the poll is level-triggered). */
static void watch(struct door_conn *c)
{
	int ev = c->out.len > c->out_off || c->read_wants_write ? UV_WRITABLE : 0;
	if (c->state == CONN_HANDSHAKE)
		ev = tlsio_wants_write(c->tls) ? UV_WRITABLE : UV_READABLE | UV_DISCONNECT;
	else if (c->state == CONN_HEAD || c->state == CONN_BODY || c->state == CONN_LINGER)
		ev |= UV_READABLE | UV_DISCONNECT;
	if (ev == c->events)
		return;
	c->events = ev;
	if (ev)
		uv_poll_start(&c->poll, ev, conn_cb);
	else
		uv_poll_stop(&c->poll);
}

/* Sends what the socket takes of the answer: 0, or -1 when the connection
 * is gone (the caller closes it). */
static int flush(struct door_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = tlsio_send(c->fd, c->tls, c->out.p + c->out_off, c->out.len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
		/* A reader that takes nothing for this long is gone. */
		c->deadline_ms = util_now_ms() + c->d->gw->cfg->http_body_timeout_ms;
	}
	c->out.len = c->out_off = 0;
	if (c->out.cap > 65536)
		buf_free(&c->out); /* a photo's bytes are not kept for the next answer */
	return 0;
}

/* Answered with close: what the client still sends is read and discarded
 * until it closes or http_linger_ms passes, so that it reads the answer
 * instead of a reset. */
static void linger(struct door_conn *c)
{
	int64_t ms = c->d->gw->cfg->http_linger_ms;
	if (ms <= 0 || c->d->closed || tlsio_shutdown(c->fd, c->tls)) {
		conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	c->len = 0;
	c->deadline_ms = util_now_ms() + ms;
	watch(c);
}

static void refuse(struct door_conn *c, int status, const char *code, const char *message)
{
	char *body = NULL;
	json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body) {
		conn_close(c);
		return;
	}
	size_t bl = strlen(body);
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
		   "content-length: %zu\r\ncache-control: no-store\r\n"
		   "x-content-type-options: nosniff\r\nconnection: close\r\n\r\n",
		   status, reqhead_reason(status), bl);
	buf_append(&c->out, body, bl);
	free(body);
	c->close_after = 1;
	c->state = CONN_SENDING;
	if (flush(c)) {
		conn_close(c);
		return;
	}
	if (c->out.len)
		watch(c);
	else
		linger(c);
}

/* At most 64 KiB a turn: a client sending as fast as it is read would
 * otherwise keep the loop here (the poll is level-triggered: the rest is
 * read on the next turn, until http_linger_ms). */
static void discard(struct door_conn *c)
{
	char sink[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, sink, sizeof sink, 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(c); /* EOF or error */
		return;
	}
}

#define WS_PATH "/v1/ws"
#define XFF_LINES 8

/* A header's value copied NUL-terminated into out (cap bytes): its length,
 * 0 when absent, -1 when longer than fits. */
static int header_copy(const struct door_conn *c, size_t head_len, const char *name,
		       char *out, size_t cap)
{
	size_t n;
	const char *v = reqhead_header(c->buf, head_len, name, 0, &n);
	if (!v)
		return out[0] = '\0', 0;
	if (n >= cap)
		return out[0] = '\0', -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return (int)n;
}

static int is_upgrade(const struct door_conn *c, size_t head_len)
{
	size_t n;
	const char *v = reqhead_header(c->buf, head_len, "upgrade", 0, &n);
	return v && reqhead_lists(v, n, "websocket");
}

/* The client: the peer, or the one a trusted proxy names in
 * X-Forwarded-For (and its port in X-Client-Port); the peer's port. */
static void client_of(const struct door_conn *c, size_t head_len, char *out, size_t cap, int *port)
{
	struct gw *gw = c->d->gw;
	size_t n;
	*port = 0;
	snprintf(out, cap, "%s", c->peer);
	if (gw->proxies && proxies_trusted(gw->proxies, c->peer)) {
		char lines[XFF_LINES][512];
		const char *xff[XFF_LINES];
		int nx = 0;
		for (; nx < XFF_LINES; nx++) {
			const char *v = reqhead_header(c->buf, head_len, "x-forwarded-for", nx, &n);
			if (!v)
				break;
			snprintf(lines[nx], sizeof lines[nx], "%.*s", (int)n, v);
			xff[nx] = lines[nx];
		}
		proxies_client(gw->proxies, c->peer, xff, nx, out, cap);
		/* Behind a proxy the client's port is the proxy's to tell, e.g.
		 * HAProxy: http-request set-header X-Client-Port %[src_port] */
		char pv[16];
		int64_t p;
		if (header_copy(c, head_len, "x-client-port", pv, sizeof pv) > 0 &&
		    !util_parse_i64(pv, &p) && p > 0 && p < 65536)
			*port = (int)p;
		return;
	}
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	if (!getpeername(c->fd, (struct sockaddr *)&sa, &sl) && sa.sin_family == AF_INET)
		*port = ntohs(sa.sin_port);
}

/* A WebSocket upgrade is answered here (RFC 6455 4.2), and the socket is
 * then ws.c's with the gateway's own framing (wsplain.h). */
static void upgrade(struct door_conn *c, size_t head_len)
{
	struct door *d = c->d;
	struct gw *gw = d->gw;
	size_t tl, n;
	const char *target = reqhead_target(c->buf, head_len, &tl);
	const char *conn = reqhead_header(c->buf, head_len, "connection", 0, &n);
	char key[32], version[8], origin[512], host[256], accept[29];
	if (memcmp(c->buf, "GET ", 4) || !conn || !reqhead_lists(conn, n, "upgrade")) {
		refuse(c, 400, "bad_request", "a WebSocket upgrade is a GET with Connection: Upgrade");
		return;
	}
	size_t pl = strcspn(target, "? ");
	if (pl > tl)
		pl = tl;
	if (pl != strlen(WS_PATH) || memcmp(target, WS_PATH, pl)) {
		refuse(c, 404, "not_found", "WebSocket only on " WS_PATH);
		return;
	}
	if (header_copy(c, head_len, "sec-websocket-version", version, sizeof version) <= 0 ||
	    strcmp(version, "13")) {
		refuse(c, 426, "upgrade_required", "Sec-WebSocket-Version must be 13");
		return;
	}
	int kl = header_copy(c, head_len, "sec-websocket-key", key, sizeof key);
	if (kl <= 0 || wsframe_accept(key, (size_t)kl, accept)) {
		refuse(c, 400, "bad_request", "Sec-WebSocket-Key must be 16 bytes in base64");
		return;
	}
	if (c->len > head_len) {
		/* RFC 6455 4.1: no frame before the 101. */
		refuse(c, 400, "bad_request", "send nothing after a WebSocket upgrade until its 101");
		return;
	}
	if (gw->shutting_down || metrics.ws_connections >= gw->cfg->max_connections) {
		metrics.ws_rejected++;
		refuse(c, 503, "unavailable", gw->shutting_down ? "shutting down" : "too many connections");
		return;
	}
	int ol = header_copy(c, head_len, "origin", origin, sizeof origin);
	int hl = header_copy(c, head_len, "host", host, sizeof host);
	if (ol != 0 && (ol < 0 || !http_origin_allowed(gw, origin, hl > 0 ? host : NULL))) {
		metrics.ws_rejected++;
		log_info("ws: upgrade from origin %s refused (not in cors_origins)", origin);
		refuse(c, 403, "forbidden", "origin not allowed");
		return;
	}
	/* Counted under the client a trusted proxy names (the peer was
	 * counted from the start otherwise). */
	char client[64];
	int port;
	client_of(c, head_len, client, sizeof client, &port);
	if (server_count_client(gw, c, client)) {
		metrics.ws_rejected++;
		refuse(c, 429, "rate_limited", "too many connections from this address");
		return;
	}
	char answer[160];
	int al = snprintf(answer, sizeof answer,
			  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
	if (c->out.len || tlsio_send(c->fd, c->tls, answer, (size_t)al) != al) {
		conn_close(c); /* an idle socket takes 130 bytes whole: it is gone */
		return;
	}
	struct ws_upgrade up = { .client = client, .client_port = port, .tls = c->tls };
	up.user_agent = reqhead_header(c->buf, head_len, "user-agent", 0, &up.user_agent_len);
	up.authorization = reqhead_header(c->buf, head_len, "authorization", 0, &up.authorization_len);
	int fd = c->fd;
	c->tls = NULL; /* the socket's now, with its session */
	unlink_conn(c); /* its memory (and the head) stays until this callback returns */
	if (ws_open_plain(gw, fd, &up)) {
		metrics.ws_rejected++;
		tlsio_free(up.tls);
		close(fd);
	}
}

/* --- requests --------------------------------------------------------------- */

/* Drops the first n bytes read. */
static void consume(struct door_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Waits for the next request: a connection with nothing of it yet holds
 * no buffers (an idle kept-alive connection costs its socket and this). */
static void next_request(struct door_conn *c)
{
	struct gw *gw = c->d->gw;
	c->state = CONN_HEAD;
	if (c->len == 0) {
		free(c->buf);
		c->buf = NULL;
		buf_free(&c->out);
		c->deadline_ms = util_now_ms() + gw->cfg->http_keepalive_timeout_ms;
	} else {
		c->deadline_ms = util_now_ms() + gw->cfg->http_header_timeout_ms;
	}
}

/* Serves what has been read, request after request (pipelined ones too,
 * each answered before the next head is looked at), until it needs more
 * bytes, an answer is on its way, or the connection is gone. */
static void advance(struct door_conn *c)
{
	struct gw *gw = c->d->gw;
	c->in_advance = 1;
	while (!c->gone) {
		if (c->state == CONN_SENDING) {
			if (c->out_off < c->out.len)
				break; /* the rest when the socket has room */
			if (c->close_after) {
				c->in_advance = 0;
				linger(c);
				return;
			}
			next_request(c);
			continue;
		}
		if (c->state == CONN_BODY && c->len) {
			size_t n = c->len < (uint64_t)c->body_left ? c->len : (size_t)c->body_left;
			c->body_left -= (int64_t)n;
			http_request_body(c->txn, c->buf, n);
			consume(c, n);
			if (c->body_left == 0) {
				c->state = CONN_BUSY;
				http_request_body_end(c->txn); /* may answer at once */
			}
			continue;
		}
		if (c->state != CONN_HEAD || c->len == 0)
			break;
		/* RFC 9112 2.2: empty lines before a request line are skipped
		 * (a client's CRLF after a body). */
		size_t skip = 0;
		while (skip < c->len && (c->buf[skip] == '\r' || c->buf[skip] == '\n'))
			skip++;
		consume(c, skip);
		if (!c->len)
			break;
		struct reqhead rh;
		enum reqhead_verdict v = reqhead_check(c->buf, c->len, c->d->cap - 1,
						       (int)gw->cfg->http_max_header_lines, &rh);
		if (v == REQHEAD_MORE)
			break;
		c->in_advance = 0;
		if (v == REQHEAD_REFUSE) {
			metrics.http_framing_refused++;
			log_debug("door: %s refused with %d: %s", c->peer, rh.status, rh.message);
			refuse(c, rh.status, rh.code, rh.message);
			return;
		}
		if (is_upgrade(c, rh.head_len)) {
			upgrade(c, rh.head_len);
			return;
		}
		c->in_advance = 1;
		char client[64];
		int port;
		client_of(c, rh.head_len, client, sizeof client, &port);
		c->state = CONN_BUSY;
		/* http.c copies what it keeps of the head: it may answer at
		 * once, ask for the body, or take the request away. */
		struct http_txn *t = http_request_begin(gw, c, c->buf, rh.head_len, client, port,
						      reqhead_keep_alive(c->buf, rh.head_len));
		if (c->gone)
			break;
		if (c->state == CONN_BUSY || c->state == CONN_BODY)
			c->txn = t;
		consume(c, rh.head_len);
	}
	c->in_advance = 0;
	if (!c->gone)
		watch(c);
}

void door_http_write(struct door_conn *c, const void *p, size_t n)
{
	buf_append(&c->out, p, n);
}

void door_http_read_body(struct door_conn *c, int64_t n)
{
	c->state = CONN_BODY;
	c->body_left = n;
	c->deadline_ms = util_now_ms() + c->d->gw->cfg->http_body_timeout_ms;
}

void door_http_done(struct door_conn *c, int close_after)
{
	c->txn = NULL;
	c->served++;
	c->close_after |= close_after; /* door_close set it on every busy connection */
	c->state = CONN_SENDING;
	c->deadline_ms = util_now_ms() + c->d->gw->cfg->http_body_timeout_ms;
	if (flush(c)) {
		conn_close(c);
		return;
	}
	if (!c->in_advance)
		advance(c); /* an answer from the pipeline: go on from here */
}


/* Reads what has come (with TLS: also what OpenSSL decrypted and holds,
 * which the socket does not show) and serves it. */
static void read_more(struct door_conn *c)
{
	struct gw *gw = c->d->gw;
	if (!c->buf) {
		c->buf = xmalloc(c->d->cap);
		c->len = 0;
	}
	if (c->state == CONN_HEAD && c->len == 0 && c->served)
		/* A kept-alive connection's next head: as long as the first. */
		c->deadline_ms = util_now_ms() + gw->cfg->http_header_timeout_ms;
	for (int turn = 0; turn < 16; turn++) {
		/* A body is read a head buffer at a time; a head up to the buffer. */
		size_t room = c->d->cap - c->len;
		if (c->state == CONN_BODY && (uint64_t)c->body_left < room)
			room = (size_t)c->body_left;
		ssize_t n;
		do
			n = tlsio_recv(c->fd, c->tls, c->buf + c->len, room);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->read_wants_write = tlsio_wants_write(c->tls);
			watch(c);
			return;
		}
		c->read_wants_write = 0;
		if (n <= 0) {
			conn_close(c); /* closed or reset: a request half read is dropped */
			return;
		}
		c->len += (size_t)n;
		advance(c);
		if (c->gone || (c->state != CONN_HEAD && c->state != CONN_BODY) ||
		    !tlsio_pending(c->tls) || !c->buf)
			return;
	}
}

/* TLS mode: the handshake goes on; once done, the first head is read. */
static void handshake(struct door_conn *c)
{
	int r = tlsio_handshake(c->tls);
	if (r < 0) {
		conn_close(c); /* not TLS (plain HTTP on the TLS port), or refused */
		return;
	}
	if (r == 0) {
		watch(c);
		return;
	}
	c->state = CONN_HEAD;
	watch(c);
	read_more(c); /* the request may have come with the handshake's end */
}

static void conn_cb(uv_poll_t *h, int status, int events)
{
	struct door_conn *c = h->data;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		handshake(c);
		return;
	}
	if ((events & UV_WRITABLE) && c->read_wants_write) {
		read_more(c);
		return;
	}
	if (events & UV_WRITABLE) {
		if (flush(c)) {
			conn_close(c);
			return;
		}
		if (c->out_off < c->out.len)
			return;
		if (c->state == CONN_SENDING) {
			advance(c);
			return;
		}
		watch(c);
	}
	if (!(events & (UV_READABLE | UV_DISCONNECT)))
		return;
	if (c->state == CONN_LINGER)
		discard(c);
	else if (c->state == CONN_HEAD || c->state == CONN_BODY)
		read_more(c);
}

static int admit(struct door *d, int fd)
{
	struct gw *gw = d->gw;
	if (fd >= gw->fd_ceiling) {
		server_note_fd_refused(gw);
		return -1;
	}
	/* An answer goes in one write, but a WebSocket frame after a short
	 * write, or a 100 Continue, would otherwise wait for the client's
	 * delayed ACK (40 ms). */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct door_conn *c = xcalloc(1, sizeof *c);
	c->d = d;
	c->fd = fd;
	c->state = CONN_HEAD;
	if (d->tls) {
		if (!(c->tls = tlsio_new(d->tls, fd))) {
			free(c);
			return -1;
		}
		c->state = CONN_HANDSHAKE;
	}
	c->deadline_ms = util_now_ms() + gw->cfg->http_header_timeout_ms;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) || sa.sin_family != AF_INET ||
	    !inet_ntop(AF_INET, &sa.sin_addr, c->peer, sizeof c->peer))
		snprintf(c->peer, sizeof c->peer, "unknown");
	/* By address from the start, unless the peer is a trusted proxy:
	 * then by the client its first request names (http.c). */
	if (!(gw->proxies && proxies_trusted(gw->proxies, c->peer)) &&
	    server_count_client(gw, c, c->peer)) {
		tlsio_free(c->tls);
		free(c);
		return -1;
	}
	if (uv_poll_init(gw->loop, &c->poll, fd)) {
		peers_remove(gw->peers, c);
		tlsio_free(c->tls);
		free(c);
		return -1;
	}
	c->poll.data = c;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	watch(c);
	return 0;
}

static void accept_cb(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	struct door *d = h->data;
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		int fd = accept4(d->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* The connection stays queued and the listener readable:
				 * stop watching it until the next sweep, or this spins. */
				if (metrics.accepts_refused++ % 1000 == 0)
					log_warn("accept: %s: pausing new connections for a second",
						 strerror(errno));
				uv_poll_stop(&d->poll);
				d->paused = 1;
			}
			return;
		}
		if (d->gw->shutting_down || admit(d, fd))
			close(fd);
	}
}

static int parse_listen(const char *listen, struct in_addr *a, char *err, size_t errlen)
{
	if (!listen[0]) {
		a->s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, listen, a) == 1)
		return 0;
	/* An interface name (as lws took it, before): its IPv4 address. */
	struct ifaddrs *ifs, *i;
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    !strcmp(i->ifa_name, listen)) {
				*a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
				break;
			}
		freeifaddrs(ifs);
		if (i)
			return 0;
	}
	snprintf(err, errlen, "listen = \"%s\" is neither an IPv4 address nor an interface with one",
		 listen);
	return -1;
}

struct door *door_open(struct gw *gw, char *err, size_t errlen)
{
	const struct config *cfg = gw->cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port) };
	if (parse_listen(cfg->listen, &sa.sin_addr, err, errlen))
		return NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, SOMAXCONN)) {
		snprintf(err, errlen, "cannot listen on %s:%lld: %s", cfg->listen[0] ? cfg->listen : "*",
			 (long long)cfg->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct tlsio_ctx *tls = NULL;
	if (cfg->tls_cert[0] && !(tls = tlsio_ctx_new(cfg->tls_cert, cfg->tls_key, err, errlen))) {
		close(fd);
		return NULL;
	}
	struct door *d = xcalloc(1, sizeof *d);
	d->gw = gw;
	d->tls = tls;
	d->fd = fd;
	d->cap = (size_t)cfg->http_max_header + 1;
	uv_poll_init(gw->loop, &d->poll, fd);
	d->poll.data = d;
	uv_poll_start(&d->poll, UV_READABLE, accept_cb);
	return d;
}

void door_sweep(struct door *d, int64_t now_ms)
{
	if (!d || d->closed)
		return;
	if (d->paused) {
		d->paused = 0;
		uv_poll_start(&d->poll, UV_READABLE, accept_cb);
	}
	for (struct door_conn *c = d->conns, *next; c; c = next) {
		next = c->next;
		if (now_ms < c->deadline_ms || c->state == CONN_BUSY)
			continue;
		switch (c->state) {
		case CONN_HEAD:
			if (c->len == 0) {
				conn_close(c); /* idle, or never sent a byte (a preconnect) */
				break;
			}
			metrics.http_timeouts++;
			refuse(c, 408, "request_timeout",
			       "the request head did not arrive within http_header_timeout_ms");
			break;
		case CONN_BODY:
			http_request_late(c->txn); /* 408, then a lingering close */
			break;
		default:
			conn_close(c); /* lingered long enough; or a reader that took nothing */
			break;
		}
	}
}

int door_busy(const struct door *d)
{
	for (const struct door_conn *c = d ? d->conns : NULL; c; c = c->next)
		if (c->state == CONN_BUSY || c->state == CONN_SENDING)
			return 1;
	return 0;
}

/* Stops accepting. Connections between requests close now; a request
 * being answered gets its answer (with Connection: close) within the
 * shutdown grace, door_drop ends the rest. */
void door_close(struct door *d)
{
	if (!d || d->closed)
		return;
	d->closed = 1;
	uv_close((uv_handle_t *)&d->poll, NULL);
	close(d->fd);
	for (struct door_conn *c = d->conns, *next; c; c = next) {
		next = c->next;
		if (c->state != CONN_BUSY && c->state != CONN_SENDING)
			conn_close(c);
		else
			c->close_after = 1;
	}
}

void door_drop(struct door *d)
{
	while (d && d->conns)
		conn_close(d->conns);
}

void door_free(struct door *d)
{
	if (d)
		tlsio_ctx_free(d->tls);
	free(d);
}
