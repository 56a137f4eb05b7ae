/* http: REST requests — body collection with a size cap, routing,
 * authentication, the handler call, publication of committed events, the
 * response, metrics and a log line per request. */
#ifndef LINLI_HTTP_H
#define LINLI_HTTP_H

#include <stddef.h>
#include <uv.h>

struct gw;
struct lws;
struct http_txn;

/* The lws callback for HTTP reasons (server.c routes them here). */
int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len);

/* May a page from origin (NULL: not a browser) call us? Same-origin pages
 * (Origin matches host) and cors_origins are allowed. */
int http_origin_allowed(struct gw *gw, const char *origin, const char *host);

/* Runs the handlers' ticks (deadlines) and publishes what they commit. */
void http_run_ticks(struct gw *gw);

/* Builds the route table (gateway routes + handlers/), and the handle
 * that publishes committed events a slice per loop turn. */
void http_init(struct gw *gw);
/* At shutdown: publishes what is still queued, closes the handle. */
void http_shutdown(struct gw *gw);
/* The idle callback that continues publishing (internal). */
void http_publish_more(uv_idle_t *idle);

#endif
