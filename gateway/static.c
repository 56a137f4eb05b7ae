#include "static.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATIC_MAX_FILE (8 * 1024 * 1024)

/* connect-src: this gateway only. 'self' covers ws: and wss: to the same
 * host in CSP level 3, but older WebKit (iOS 15 and before) reads it as
 * http(s) only, so the page's own host is named for ws: and wss: too. */
#define CSP_HEAD "default-src 'self'; script-src 'self'; style-src 'self'; " \
		 "img-src 'self' data: blob:; connect-src 'self'"
#define CSP_TAIL "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const char static_csp[] = CSP_HEAD CSP_TAIL;

/* A Host header fit to name in a policy: host[:port], no spaces or quotes. */
static int host_plain(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 255)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
		      *h == '.' || *h == '-' || *h == ':' || *h == '[' || *h == ']'))
			return 0;
	return 1;
}

void static_csp_for(const char *host, char *out, size_t cap)
{
	if (host && host_plain(host))
		snprintf(out, cap, CSP_HEAD " ws://%s wss://%s" CSP_TAIL, host, host);
	else
		snprintf(out, cap, "%s", static_csp);
}

static const struct { const char *ext, *type; } types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (!strcmp(dot, types[i].ext))
				return types[i].type;
	return NULL; /* not a type we serve */
}

/* A relative path of plain segments: none empty, none starting with a
 * dot (no "..", no hidden files), no backslash. */
static int safe_rel(const char *rel)
{
	if (!*rel)
		return 0;
	for (const char *p = rel; *p; ) {
		if (*p == '.' || *p == '/')
			return 0;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (memchr(p, '\\', n))
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int read_file(const char *root, const char *rel, struct resp *resp)
{
	char rroot[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
	if (!*root || !realpath(root, rroot))
		return 0;
	if (snprintf(full, sizeof full, "%s/%s", rroot, rel) >= (int)sizeof full)
		return 0;
	/* Symlinks may point anywhere inside the root, nowhere outside. */
	size_t rl = strlen(rroot);
	if (!realpath(full, real) || strncmp(real, rroot, rl) || real[rl] != '/')
		return 0;
	char *body;
	size_t len;
	if (util_read_file(real, STATIC_MAX_FILE, &body, &len))
		return 0;
	resp->status = 200;
	resp->body = body;
	resp->len = len;
	resp->content_type = type_of(real);
	resp->is_static = 1;
	return 1;
}

int static_serve(const struct config *cfg, const char *path, struct resp *resp)
{
	if (strncmp(path, "/v1/", 4) == 0 || path[0] != '/')
		return 0;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!type_of(path))
		return 0;
	if (strncmp(path, "/sdk/", 5) == 0)
		return safe_rel(path + 5) && read_file(cfg->web_sdk_root, path + 5, resp);
	return safe_rel(path + 1) && read_file(cfg->web_root, path + 1, resp);
}
