/* reqhead: see reqhead.h. */
#define _GNU_SOURCE /* memmem */
#include "reqhead.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The methods the gateway serves (HEAD as GET, without the body). */
static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};

static int is_tchar(unsigned char c)
{
	/* RFC 9110 5.6.2 */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

static enum reqhead_verdict refuse(struct reqhead *out, int status, const char *code,
				   const char *fmt, ...)
{
	out->status = status;
	out->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof out->message, fmt, ap);
	va_end(ap);
	return REQHEAD_REFUSE;
}

/* The line starting at p: its length without the line end in *n, the
 * offset of the next line returned; 0 when no line end is in buf yet. */
static size_t line_at(const char *buf, size_t len, size_t p, size_t *n)
{
	const char *lf = memchr(buf + p, '\n', len - p);
	if (!lf)
		return 0;
	size_t e = (size_t)(lf - buf);
	*n = e - p - (e > p && buf[e - 1] == '\r');
	return e + 1;
}

static enum reqhead_verdict check_request_line(const char *l, size_t n, struct reqhead *out)
{
	const char *sp1 = memchr(l, ' ', n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
	size_t ml = sp1 ? (size_t)(sp1 - l) : 0;
	int ok = sp1 && sp2 && ml > 0 && ml <= 16 && sp2 > sp1 + 1;
	for (size_t i = 0; ok && i < ml; i++)
		ok = is_tchar((unsigned char)l[i]);
	for (const char *c = ok ? sp1 + 1 : l; ok && c < sp2; c++)
		ok = *c > ' ' && *c < 0x7f;
	const char *ver = ok ? sp2 + 1 : NULL;
	size_t vl = ok ? n - (size_t)(ver - l) : 0;
	if (ok && (vl != 8 || memcmp(ver, "HTTP/", 5) || ver[5] < '0' || ver[5] > '9' ||
		   ver[6] != '.' || ver[7] < '0' || ver[7] > '9'))
		ok = 0;
	if (!ok)
		return refuse(out, 400, "bad_request",
			      "the request line must read METHOD /path HTTP/1.1");
	if (memcmp(ver, "HTTP/1.1", 8) && memcmp(ver, "HTTP/1.0", 8))
		return refuse(out, 505, "http_version_not_supported",
			      "HTTP/%c.%c is not served here: use HTTP/1.1", ver[5], ver[7]);
	size_t i = 0;
	while (i < sizeof methods / sizeof methods[0] &&
	       (strlen(methods[i]) != ml || memcmp(methods[i], l, ml)))
		i++;
	if (i == sizeof methods / sizeof methods[0])
		return refuse(out, 501, "not_implemented",
			      "method %.*s is not served: use GET, POST, PUT, PATCH, DELETE or OPTIONS",
			      (int)ml, l);
	const char *target = sp1 + 1;
	size_t tl = (size_t)(sp2 - target);
	if (target[0] == '/')
		return REQHEAD_PASS;
	if (memmem(target, tl, "://", 3))
		return refuse(out, 400, "bad_request",
			      "send the path (/v1/...) as the request target, not an absolute URI; "
			      "the host goes in the Host header");
	return refuse(out, 400, "bad_request", "the request target must be a path starting with /");
}

static enum reqhead_verdict check_header_line(const char *l, size_t n, struct reqhead *out)
{
	if (l[0] == ' ' || l[0] == '\t')
		return refuse(out, 400, "bad_request",
			      "a header line may not start with a space (obsolete line folding)");
	const char *colon = memchr(l, ':', n);
	if (!colon)
		return refuse(out, 400, "bad_request", "header line without a colon: %.*s",
			      (int)(n > 40 ? 40 : n), l);
	size_t nl = (size_t)(colon - l);
	int ok = nl > 0;
	for (size_t i = 0; ok && i < nl; i++)
		ok = is_tchar((unsigned char)l[i]);
	if (!ok)
		return refuse(out, 400, "bad_request",
			      "header name \"%.*s\" is not a token (no spaces or separators)",
			      (int)(nl > 40 ? 40 : nl), l);
	for (const char *c = colon + 1; c < l + n; c++)
		if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f)
			return refuse(out, 400, "bad_request",
				      "header %.*s holds a control character",
				      (int)(nl > 40 ? 40 : nl), l);
	return REQHEAD_PASS;
}

enum reqhead_verdict reqhead_check(const char *buf, size_t len, size_t max, int max_lines,
				   struct reqhead *out)
{
	memset(out, 0, sizeof *out);
	size_t n = 0, next = line_at(buf, len, 0, &n);
	if (next && n == 0)
		/* RFC 9112 2.2 lets a server skip it: the door does, between
		 * requests (a client's stray CRLF after a body). */
		return refuse(out, 400, "bad_request", "the request starts with an empty line");
	if (next && next <= max) {
		enum reqhead_verdict v = check_request_line(buf, n, out);
		if (v != REQHEAD_PASS)
			return v;
		/* RFC 9112 3.2: one Host, required from HTTP/1.1 clients (a
		 * proxy and we must not disagree on which one counts). */
		int lines = 0, hosts = 0, v11 = buf[n - 1] == '1';
		for (size_t p = next; (next = line_at(buf, len, p, &n)) && next <= max; p = next) {
			if (n == 0) {
				if (hosts > 1 || (v11 && !hosts))
					return refuse(out, 400, "bad_request", hosts ? "Host given more than once"
						      : "an HTTP/1.1 request needs a Host header");
				out->head_len = next;
				return REQHEAD_PASS;
			}
			if (++lines > max_lines)
				return refuse(out, 431, "headers_too_large", "more than %d header lines",
					      max_lines);
			v = check_header_line(buf + p, n, out);
			if (v != REQHEAD_PASS)
				return v;
			hosts += n >= 5 && !strncasecmp(buf + p, "host:", 5);
		}
	}
	if (len > max || next > max)
		return refuse(out, 431, "headers_too_large",
			      "the request head is over http_max_header (%zu bytes)", max);
	return REQHEAD_MORE;
}

const char *reqhead_header(const char *head, size_t len, const char *name, int idx, size_t *n)
{
	size_t nl = strlen(name), ll, p = line_at(head, len, 0, &ll);
	size_t next;
	for (; p && (next = line_at(head, len, p, &ll)) && ll; p = next) {
		const char *l = head + p;
		if (ll <= nl || l[nl] != ':')
			continue;
		size_t j = 0;
		while (j < nl && lower(l[j]) == lower(name[j]))
			j++;
		if (j < nl || idx-- > 0)
			continue;
		const char *v = l + nl + 1, *e = l + ll;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*n = (size_t)(e - v);
		return v;
	}
	return NULL;
}

const char *reqhead_target(const char *head, size_t len, size_t *n)
{
	size_t ll;
	if (!line_at(head, len, 0, &ll))
		return NULL;
	const char *sp1 = memchr(head, ' ', ll);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - head)) : NULL;
	if (!sp2)
		return NULL;
	*n = (size_t)(sp2 - sp1 - 1);
	return sp1 + 1;
}

int reqhead_lists(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);
	for (size_t i = 0; i < n;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && !strncasecmp(v + s, token, tl))
			return 1;
	}
	return 0;
}

const char *reqhead_path(const char *target, size_t tl, char *out, const char **query,
			 size_t *qlen)
{
	size_t pl = 0;
	while (pl < tl && target[pl] != '?' && target[pl] != '#')
		pl++;
	*query = NULL;
	*qlen = 0;
	if (pl < tl && target[pl] == '?') {
		size_t q = pl + 1, e = q;
		while (e < tl && target[e] != '#')
			e++;
		*query = target + q;
		*qlen = e - q;
	}
	if (pl == 0 || target[0] != '/')
		return "the path must start with /";
	/* Decoded first, then the dot segments resolved: "%2e%2e" climbs
	 * like "..", so nothing below can climb past the root either way. */
	size_t o = 0;
	for (size_t i = 0; i < pl; i++) {
		char c = target[i];
		if (c == '%') {
			int hi = i + 2 < pl ? util_hexval(target[i + 1]) : -1;
			int lo = hi >= 0 ? util_hexval(target[i + 2]) : -1;
			if (lo < 0)
				return "malformed percent escape in the path (% must be followed by two hex digits)";
			c = (char)(hi * 16 + lo);
			if (!c)
				return "the path may not hold %00";
			i += 2;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	/* RFC 3986 5.2.4, and empty segments ("//") dropped. */
	size_t w = 0, r = 0;
	while (r < o) {
		while (r < o && out[r] == '/')
			r++;
		size_t s = r;
		while (r < o && out[r] != '/')
			r++;
		size_t n = r - s;
		if (n == 1 && out[s] == '.')
			continue;
		if (n == 2 && out[s] == '.' && out[s + 1] == '.') {
			while (w > 0 && out[--w] != '/')
				;
			continue;
		}
		if (n == 0)
			continue;
		out[w++] = '/';
		memmove(out + w, out + s, n);
		w += n;
	}
	/* A path that ended in a slash (or in a dot segment) keeps one. */
	int slash = out[o - 1] == '/' ||
		    (o >= 2 && out[o - 1] == '.' && out[o - 2] == '/') ||
		    (o >= 3 && out[o - 1] == '.' && out[o - 2] == '.' && out[o - 3] == '/');
	if (w == 0 || slash)
		out[w++] = '/';
	out[w] = '\0';
	return NULL;
}

int reqhead_keep_alive(const char *head, size_t len)
{
	size_t n, tl;
	const char *t = reqhead_target(head, len, &tl);
	/* The request line ends "HTTP/1.x": 1.0 closes (no keep-alive
	 * negotiation here). */
	if (!t || memcmp(t + tl + 1, "HTTP/1.1", 8))
		return 0;
	for (int i = 0; i < 8; i++) {
		const char *v = reqhead_header(head, len, "connection", i, &n);
		if (!v)
			break;
		if (reqhead_lists(v, n, "close"))
			return 0;
	}
	return 1;
}

const char *reqhead_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
	}
}
