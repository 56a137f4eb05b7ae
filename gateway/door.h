/* door: the gateway's port and its connections.
 *
 * The gateway listens itself and serves HTTP/1.1 on its own sockets: each
 * request head is read and checked (reqhead.c: malformed, absolute-form,
 * unknown methods, oversized heads get a JSON error), handed to http.c,
 * which may ask for a body of Content-Length bytes (read exactly, never
 * past it), and its answer written; then the connection waits for the
 * next request (kept alive, pipelined requests answered in order), or
 * closes, lingering so that the client reads the answer. A WebSocket
 * upgrade the door answers itself: the socket is then ws.c's, framed by
 * the gateway (wsplain.h). With tls_cert every connection first runs
 * its TLS handshake (tlsio.h), then is served the same way.
 *
 * Connections count under their address (max_conns_per_ip; a trusted
 * proxy's under the client its first request names). Deadlines:
 * http_header_timeout_ms for a head, http_body_timeout_ms for a body and
 * for a reader that takes nothing of its answer, http_keepalive_timeout_ms
 * between requests, http_linger_ms for a lingering close. */
#ifndef LINLI_DOOR_H
#define LINLI_DOOR_H

#include <stddef.h>
#include <stdint.h>

struct gw;
struct door;
struct door_conn;

/* Listens on cfg->listen:cfg->port. NULL with err set when it cannot. */
struct door *door_open(struct gw *gw, char *err, size_t errlen);
/* Once a second: heads and bodies past their deadline get 408, idle and
 * lingering connections close. */
void door_sweep(struct door *d, int64_t now_ms);
/* Stops accepting (shutdown): idle connections close, answers being made
 * go out with Connection: close. */
void door_close(struct door *d);
/* Whether a request is still being answered (shutdown waits for it). */
int door_busy(const struct door *d);
/* The shutdown grace is over: every connection closes. */
void door_drop(struct door *d);
/* Frees it once the loop has run its last close callbacks (after door_close). */
void door_free(struct door *d);

/* What http.c does with the request door handed it (http_request_begin):
 * queue answer bytes (door_http_write: a 100 Continue, or an answer); ask
 * for its body, which comes through http_request_body and
 * http_request_body_end (door_http_read_body); end it (door_http_done, after
 * the answer is queued: the connection then serves the next request, or
 * closes when close_after). After door_http_done the door forgets the
 * transaction; if the connection closes before, it calls http_request_gone. */
void door_http_write(struct door_conn *c, const void *p, size_t n);
void door_http_read_body(struct door_conn *c, int64_t n);
void door_http_done(struct door_conn *c, int close_after);

#endif
