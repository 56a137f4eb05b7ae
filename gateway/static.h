/* static: the web app and the JS SDK, served by the gateway itself.
 *
 * GET / and any path outside the API map to files under web_root; /sdk/...
 * maps to web_sdk_root, so the app imports the SDK without a build step.
 * Answers carry a strict Content-Security-Policy (no inline script). */
#ifndef LINLI_STATIC_H
#define LINLI_STATIC_H

#include "api.h"

/* Fills resp with the file PATH names and returns 1; returns 0 when PATH
 * is not a static file (the caller answers 404 as for any unknown path). */
int static_serve(const struct config *cfg, const char *path, struct resp *resp);

/* The Content-Security-Policy sent with static files: connections to this
 * gateway only ('self'); static_csp_for adds ws:// and wss:// for the
 * request's Host (when it is a plain host[:port]) for older browsers. */
extern const char static_csp[];
#define STATIC_CSP_MAX 1024
void static_csp_for(const char *host, char *out, size_t cap);

#endif
