/* http: the REST transport — body collection with a size cap, CORS, the
 * answer with its headers, metrics and a log line per request. What
 * happens between reading a request and writing its answer is the
 * pipeline's (pipeline.h). */
#ifndef LINLI_HTTP_H
#define LINLI_HTTP_H

#include <stddef.h>

struct gw;
struct lws;
struct http_txn;

/* The lws callback for HTTP reasons (server.c routes them here). */
int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len);

/* May a page from origin (NULL: not a browser) call us? Same-origin pages
 * (Origin matches host) and cors_origins are allowed. */
int http_origin_allowed(struct gw *gw, const char *origin, const char *host);

void http_init(struct gw *gw);

#endif
