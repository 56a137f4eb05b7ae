/* door: the front door of the plain-HTTP port.
 *
 * The gateway listens itself, reads each new connection's first request
 * head (reqhead.c checks it), answers what lws 4.1.6 would refuse in HTML
 * or not at all with a JSON error, and hands the connection to lws, which
 * reads the head again from the socket. Later requests on a kept-alive
 * connection are lws's to parse (docs/http-limits.md). A WebSocket upgrade
 * the door answers itself: the socket is then ws.c's, framed by the
 * gateway (wsplain.h). In TLS mode lws listens itself: the head is only
 * readable after the handshake.
 *
 * The door counts its connections under their address (max_conns_per_ip,
 * as lws's accept did) and gives each http_header_timeout_ms for its head. */
#ifndef LINLI_DOOR_H
#define LINLI_DOOR_H

#include <stddef.h>
#include <stdint.h>

struct gw;
struct lws_vhost;
struct door;

/* Listens on cfg->listen:cfg->port. NULL with err set when it cannot. */
struct door *door_open(struct gw *gw, struct lws_vhost *vh, char *err, size_t errlen);
/* Once a second: heads past their deadline get 408, lingering closes end. */
void door_sweep(struct door *d, int64_t now_ms);
/* Stops accepting (shutdown); connections still at the door are closed. */
void door_close(struct door *d);
/* Frees it once the loop has run its last close callbacks (after door_close). */
void door_free(struct door *d);

#endif
