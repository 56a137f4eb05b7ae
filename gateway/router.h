/* router: (method, path) -> route, with {name} path parameters.
 *
 * Patterns are literal segments and {name} segments that match one
 * non-empty segment. The path arrives percent-decoded (reqhead_path on
 * the door's head). */
#ifndef LINLI_ROUTER_H
#define LINLI_ROUTER_H

#include <stddef.h>

#include "api.h"

/* Finds the route for method and path in routes[0..n). On a match fills
 * req->params (values malloc'd; free with router_params_free) and returns
 * it. Otherwise NULL and *status: 404 (no pattern matches the path) or
 * 405 (a pattern matches, with another method). */
const struct route *router_match(const struct route *routes, size_t n,
				 enum http_method method, const char *path,
				 struct req *req, int *status);
void router_params_free(struct req *req);

#endif
