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
#include <libwebsockets.h>

/* Accepts per loop turn: enough that a reconnect storm does not overflow
 * the listen queue while the loop replays (a SYN dropped is retried a
 * second later, then 3, 7 ... s), few enough to bound the turn. */
#define ACCEPTS_PER_TURN 256

struct door_conn {
	struct door *d;
	struct door_conn *prev, *next;
	uv_poll_t poll;
	int fd;
	int lingering;          /* answered: reading and discarding until EOF */
	int64_t deadline_ms;    /* head due, or lingering ends (util_now_ms) */
	size_t len;             /* bytes peeked into buf */
	char peer[64];
	char buf[];             /* http_max_header + 1 */
};

struct door {
	struct gw *gw;
	struct lws_vhost *vh;
	uv_poll_t poll;
	int fd;
	int paused;             /* out of descriptors: accepting again at the next sweep */
	int closed;
	size_t cap;             /* bytes of a head, and one more */
	struct door_conn *conns;
};

static void conn_freed(uv_handle_t *h)
{
	free(h->data);
}

static void unlink_conn(struct door_conn *c)
{
	struct door *d = c->d;
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

static const char *reason_phrase(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Answers with a JSON error, then reads and discards what the client still
 * sends until it closes or http_linger_ms passes, so that it reads the
 * answer instead of a reset. */
static void refuse(struct door_conn *c, int status, const char *code, const char *message)
{
	char *body = NULL, head[256];
	json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body) {
		conn_close(c);
		return;
	}
	size_t bl = strlen(body);
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
			  "content-length: %zu\r\ncache-control: no-store\r\n"
			  "x-content-type-options: nosniff\r\nconnection: close\r\n\r\n",
			  status, reason_phrase(status), bl);
	struct iovec iov[2] = { { head, (size_t)hl }, { body, bl } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	/* A fresh socket's buffer takes a few hundred bytes whole; what does
	 * not go is lost with the connection, which closes either way. */
	ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(body);
	int one = 1; /* what was peeked now reads as ready, to be discarded */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	int64_t linger = c->d->gw->cfg->http_linger_ms;
	if (n < 0 || linger <= 0 || shutdown(c->fd, SHUT_WR)) {
		conn_close(c);
		return;
	}
	c->lingering = 1;
	c->deadline_ms = util_now_ms() + linger;
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

static void hand_to_lws(struct door_conn *c)
{
	struct door *d = c->d;
	int fd = c->fd, one = 1;
	/* Our poll must be gone from the loop before lws watches the same
	 * descriptor: uv_close drops it from epoll at once (the memory goes
	 * in conn_freed, after this callback). lws counts the connection
	 * under its address again (LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
	 * and reads the head itself: it is still in the socket. */
	unlink_conn(c);
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	/* lws closes the descriptor itself if it cannot adopt it. */
	lws_adopt_socket_vhost(d->vh, fd);
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

/* A WebSocket upgrade on the plain port is answered here, and the socket
 * is then ws.c's with the gateway's own framing (wsplain.h): lws 4.1.6
 * would accept unmasked client frames, and a fan-out round is sent in one
 * submission only on sockets the gateway writes itself. The checks are
 * those lws's path makes (server.c, ws.c). */
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
	/* The client: the peer, or the one a trusted proxy names (counted
	 * under it here, as lws's path counts it on the upgrade). */
	char client[64];
	int port = 0;
	snprintf(client, sizeof client, "%s", c->peer);
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
		proxies_client(gw->proxies, c->peer, xff, nx, client, sizeof client);
		char pv[16];
		int64_t p;
		if (header_copy(c, head_len, "x-client-port", pv, sizeof pv) > 0 &&
		    !util_parse_i64(pv, &p) && p > 0 && p < 65536)
			port = (int)p;
		if (server_count_client(gw, c, client)) {
			metrics.ws_rejected++;
			refuse(c, 429, "rate_limited", "too many connections from this address");
			return;
		}
	} else {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		if (!getpeername(c->fd, (struct sockaddr *)&sa, &sl) && sa.sin_family == AF_INET)
			port = ntohs(sa.sin_port);
	}
	/* The head leaves the socket (it was only peeked at); the same bytes
	 * land where they were, so the strings below still point at them. */
	ssize_t got;
	do
		got = recv(c->fd, c->buf, head_len, 0);
	while (got < 0 && errno == EINTR);
	char answer[160];
	int al = snprintf(answer, sizeof answer,
			  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
	if (got != (ssize_t)head_len ||
	    send(c->fd, answer, (size_t)al, MSG_NOSIGNAL | MSG_DONTWAIT) != al) {
		conn_close(c); /* a fresh socket takes 130 bytes whole: it is gone */
		return;
	}
	struct ws_upgrade up = { .client = client, .client_port = port };
	up.user_agent = reqhead_header(c->buf, head_len, "user-agent", 0, &up.user_agent_len);
	up.authorization = reqhead_header(c->buf, head_len, "authorization", 0, &up.authorization_len);
	int fd = c->fd, one = 1;
	unlink_conn(c); /* its memory stays until this callback returns */
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	if (ws_open_plain(gw, fd, &up)) {
		metrics.ws_rejected++;
		close(fd);
	}
}

/* The head is only peeked at: lws reads it again from the socket. lws
 * 4.1.6 can be handed bytes already read (lws_adopt_socket_readbuf), but
 * it then reads the head a second time as the body of a POST and spins
 * for ever. Until the head is complete, SO_RCVLOWAT keeps the socket from
 * reading as ready before more than what was peeked has come. */
static void conn_cb(uv_poll_t *h, int status, int events)
{
	(void)events;
	struct door_conn *c = h->data;
	if (c->lingering) {
		discard(c);
		return;
	}
	ssize_t n;
	do
		n = recv(c->fd, c->buf, c->d->cap, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && status == 0)
		return;
	if (n <= 0 || (size_t)n == c->len) {
		conn_close(c); /* closed (or reset) before its head was complete */
		return;
	}
	c->len = (size_t)n;
	struct reqhead rh;
	switch (reqhead_check(c->buf, c->len, c->d->cap - 1, (int)c->d->gw->cfg->http_max_header_lines, &rh)) {
	case REQHEAD_MORE: {
		int low = (int)c->len + 1;
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low))
			conn_close(c);
		return;
	}
	case REQHEAD_PASS:
		if (is_upgrade(c, rh.head_len))
			upgrade(c, rh.head_len);
		else
			hand_to_lws(c);
		return;
	case REQHEAD_REFUSE:
		metrics.http_framing_refused++;
		log_debug("door: %s refused with %d: %s", c->peer, rh.status, rh.message);
		refuse(c, rh.status, rh.code, rh.message);
		return;
	}
}

static int admit(struct door *d, int fd)
{
	struct gw *gw = d->gw;
	if (fd >= gw->fd_ceiling) {
		server_note_fd_refused(gw);
		return -1;
	}
	/* What lws sets on the sockets it accepts itself, and not on those it
	 * adopts: without it an answer written as headers then body waits
	 * for the client's delayed ACK (40 ms) on a kept-alive connection. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct door_conn *c = xmalloc(sizeof *c + d->cap);
	memset(c, 0, sizeof *c);
	c->d = d;
	c->fd = fd;
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
		free(c);
		return -1;
	}
	if (uv_poll_init(gw->loop, &c->poll, fd)) {
		peers_remove(gw->peers, c);
		free(c);
		return -1;
	}
	c->poll.data = c;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_cb);
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
	/* An interface name, as lws took it: its IPv4 address. */
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

struct door *door_open(struct gw *gw, struct lws_vhost *vh, char *err, size_t errlen)
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
	struct door *d = xcalloc(1, sizeof *d);
	d->gw = gw;
	d->vh = vh;
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
		if (now_ms < c->deadline_ms)
			continue;
		if (c->lingering || c->len == 0) {
			conn_close(c); /* lingered enough; or never sent a byte (a preconnect) */
			continue;
		}
		metrics.http_timeouts++;
		refuse(c, 408, "request_timeout",
		       "the request head did not arrive within http_header_timeout_ms");
	}
}

void door_close(struct door *d)
{
	if (!d || d->closed)
		return;
	d->closed = 1;
	uv_close((uv_handle_t *)&d->poll, NULL);
	close(d->fd);
	while (d->conns)
		conn_close(d->conns);
}

void door_free(struct door *d)
{
	free(d);
}
