#include "router.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Matches one pattern; on success fills params. */
static int match(const char *pat, const char *path, struct req *req)
{
	int np = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t sl = se ? (size_t)(se - path) : strlen(path);
		if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			if (!sl || np == API_MAX_PARAMS)
				goto fail;
			/* The name is the pattern text between the braces; the
			 * pattern is a static string, so point into a copy of it. */
			req->params[np].name = NULL;
			req->params[np].value = xstrndup(path, sl);
			req->params[np].name = (const char *)xstrndup(pat + 1, pl - 2);
			np++;
		} else if (pl != sl || memcmp(pat, path, pl)) {
			goto fail;
		}
		pat += pl;
		path += sl;
	}
	if (*pat || (*path && strcmp(path, "/")))
		goto fail;
	req->nparams = np;
	return 1;
fail:
	req->nparams = np;
	router_params_free(req);
	return 0;
}

void router_params_free(struct req *req)
{
	for (int i = 0; i < req->nparams; i++) {
		free((char *)req->params[i].name);
		free(req->params[i].value);
	}
	req->nparams = 0;
}

const struct route *router_match(const struct route *routes, size_t n,
				 enum http_method method, const char *path,
				 struct req *req, int *status)
{
	int path_matched = 0;
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, path, req))
			continue;
		if (routes[i].method == method)
			return &routes[i];
		router_params_free(req);
		path_matched = 1;
	}
	*status = path_matched ? 405 : 404;
	return NULL;
}
