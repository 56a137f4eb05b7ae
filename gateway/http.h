/* http: the REST transport — body collection with a size cap, CORS, the
 * answer with its headers, metrics and a log line per request, for the
 * door's connections (door.h: plain or TLS). What happens between reading
 * a request and writing its answer is the pipeline's (pipeline.h). */
#ifndef LINLI_HTTP_H
#define LINLI_HTTP_H

#include <stddef.h>

struct gw;
struct http_txn;
struct door_conn;

/* May a page from origin (NULL: not a browser) call us? Same-origin pages
 * (Origin matches host) and cors_origins are allowed. */
int http_origin_allowed(struct gw *gw, const char *origin, const char *host);

void http_init(struct gw *gw);

/* A request head the door (door.h) read and checked
 * (head[0..head_len), the client after trusted_proxies, whether the
 * connection may stay open after it). Copies what it keeps of the head and
 * answers through door_http_* now or later. Returns the transaction: the
 * door keeps it (and hands it back below) only while it reads the body
 * asked for or waits for the answer; once answered (door_http_done) it is
 * gone. */
struct http_txn *http_request_begin(struct gw *gw, struct door_conn *dc, const char *head,
				  size_t head_len, const char *client, int client_port, int keep_alive);
/* Bytes of the body the transaction asked for, in order; then its end. */
void http_request_body(struct http_txn *t, const void *p, size_t n);
void http_request_body_end(struct http_txn *t);
/* Its body missed http_body_timeout_ms: answered 408 (the connection closes). */
void http_request_late(struct http_txn *t);
/* Its connection closed before the answer: what the request does stands. */
void http_request_gone(struct http_txn *t);

#endif
