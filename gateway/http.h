/* http: the REST transport — body collection with a size cap, CORS, the
 * answer with its headers, metrics and a log line per request, for the
 * plain port's connections (door.h) and lws's (TLS mode). What
 * happens between reading a request and writing its answer is the
 * pipeline's (pipeline.h). */
#ifndef LINLI_HTTP_H
#define LINLI_HTTP_H

#include <stddef.h>

struct gw;
struct lws;
struct http_txn;
struct door_conn;

/* The lws callback for HTTP reasons (server.c routes them here). */
int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len);

/* May a page from origin (NULL: not a browser) call us? Same-origin pages
 * (Origin matches host) and cors_origins are allowed. */
int http_origin_allowed(struct gw *gw, const char *origin, const char *host);

void http_init(struct gw *gw);

/* The client's address: the peer's, or behind a trusted proxy the one its
 * X-Forwarded-For vouches for (proxies.h). port (may be NULL): the
 * client's source port likewise (the proxy's X-Client-Port), 0 unknown. */
void http_client_addr(struct gw *gw, struct lws *wsi, char *out, size_t cap, int *port);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 0 for websocket; anything else is
 * answered 400 (JSON) and the connection closed (-1). */
int http_refuse_upgrade(struct lws *wsi, const char *upgrade);

/* Once a second: requests whose body is late get 408; connections that
 * lingered after a refusal are closed. */
void http_sweep(struct gw *gw);

/* The plain port (door.h): a request head the door read and checked
 * (head[0..head_len), the client after trusted_proxies, whether the
 * connection may stay open after it). Copies what it keeps of the head and
 * answers through door_http_* now or later. Returns the transaction: the
 * door keeps it (and hands it back below) only while it reads the body
 * asked for or waits for the answer; once answered (door_http_done) it is
 * gone. */
struct http_txn *http_plain_begin(struct gw *gw, struct door_conn *dc, const char *head,
				  size_t head_len, const char *client, int client_port, int keep_alive);
/* Bytes of the body the transaction asked for, in order; then its end. */
void http_plain_body(struct http_txn *t, const void *p, size_t n);
void http_plain_body_end(struct http_txn *t);
/* Its body missed http_body_timeout_ms: answered 408 (the connection closes). */
void http_plain_late(struct http_txn *t);
/* Its connection closed before the answer: what the request does stands. */
void http_plain_gone(struct http_txn *t);

#endif
