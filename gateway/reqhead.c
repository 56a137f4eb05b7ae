/* reqhead: see reqhead.h. */
#define _GNU_SOURCE /* memmem */
#include "reqhead.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every name lws 4.1.6's header parser matches, whichever build options
 * Debian chose: methods end with a space, headers with a colon. A header
 * whose name is one of these with the colon is fine; one whose name is a
 * shorter start of any of them ("x", "con", "get") makes lws wait for
 * another colon that never comes. */
static const char *const lws_names[] = {
	"get ", "post ", "options ", "put ", "patch ", "delete ", "connect ", "head ",
	"proxy ", "uri-args", "http/1.0 ", "http/1.1 ",
	"host:", "connection:", "upgrade:", "origin:", "sec-websocket-draft:",
	"sec-websocket-extensions:", "sec-websocket-key1:", "sec-websocket-key2:",
	"sec-websocket-protocol:", "sec-websocket-accept:", "sec-websocket-nonce:",
	"http2-settings:", "accept:", "access-control-request-headers:",
	"if-modified-since:", "if-none-match:", "accept-encoding:", "accept-language:",
	"pragma:", "cache-control:", "authorization:", "cookie:", "content-length:",
	"content-type:", "date:", "range:", "referer:", "sec-websocket-key:",
	"sec-websocket-version:", "sec-websocket-origin:", "accept-charset:",
	"accept-ranges:", "access-control-allow-origin:", "age:", "allow:",
	"content-disposition:", "content-encoding:", "content-language:",
	"content-location:", "content-range:", "etag:", "expect:", "expires:", "from:",
	"if-match:", "if-range:", "if-unmodified-since:", "last-modified:", "link:",
	"location:", "max-forwards:", "proxy-authenticate:", "proxy-authorization:",
	"refresh:", "retry-after:", "server:", "set-cookie:", "strict-transport-security:",
	"transfer-encoding:", "user-agent:", "vary:", "via:", "www-authenticate:",
	"x-real-ip:", "x-forwarded-for:", "te:", "replay-nonce:", "x-auth-token:",
};

/* The methods the gateway serves (HEAD is lws's to answer). */
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

/* Whether name[0..n) is the start of entry k; exactly k (with its colon)
 * when whole is set. */
static int starts(const char *k, const char *name, size_t n, int whole)
{
	size_t kl = strlen(k);
	if (kl < n + (size_t)whole)
		return 0;
	for (size_t j = 0; j < n; j++)
		if (lower(name[j]) != k[j])
			return 0;
	return whole ? kl == n + 1 && k[n] == ':' : kl > n;
}

/* Whether lws would hang on a header named name[0..n). */
static int lws_cannot_parse(const char *name, size_t n)
{
	size_t i, count = sizeof lws_names / sizeof lws_names[0];
	for (i = 0; i < count; i++)
		if (starts(lws_names[i], name, n, 1))
			return 0;          /* a name lws knows */
	for (i = 0; i < count; i++)
		if (starts(lws_names[i], name, n, 0))
			return 1;          /* the start of a longer one */
	return 0;
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
	if (lws_cannot_parse(l, nl))
		return refuse(out, 400, "bad_request",
			      "header name \"%.*s\" is the start of a longer one this server's HTTP "
			      "parser knows, which it cannot read: rename it", (int)nl, l);
	return REQHEAD_PASS;
}

enum reqhead_verdict reqhead_check(const char *buf, size_t len, size_t max, int max_lines,
				   struct reqhead *out)
{
	memset(out, 0, sizeof *out);
	size_t n = 0, next = line_at(buf, len, 0, &n);
	if (next && n == 0)
		/* RFC 9112 2.2 lets a server skip it; lws 4.1.6 hangs up. */
		return refuse(out, 400, "bad_request", "the request starts with an empty line");
	if (next && next <= max) {
		enum reqhead_verdict v = check_request_line(buf, n, out);
		if (v != REQHEAD_PASS)
			return v;
		int lines = 0;
		for (size_t p = next; (next = line_at(buf, len, p, &n)) && next <= max; p = next) {
			if (n == 0) {
				out->head_len = next;
				return REQHEAD_PASS;
			}
			if (++lines > max_lines)
				return refuse(out, 431, "headers_too_large", "more than %d header lines",
					      max_lines);
			v = check_header_line(buf + p, n, out);
			if (v != REQHEAD_PASS)
				return v;
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
