/* http: the REST transport. Collects a request (headers, a body under
 * http_max_body), hands it to the pipeline (pipeline.h: everything from
 * routing to publication), and writes the answer, with CORS, security
 * headers and a metrics record. Knows nothing of the domain, nor of
 * sockets: the door (door.h) reads heads and bodies and writes the bytes
 * of the answer. */
#include "http.h"
#include "door.h"
#include "metrics.h"
#include "pipeline.h"
#include "reqhead.h"
#include "server.h"
#include "static.h"
#include "token.h"
#include "util.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One HTTP request in flight on a connection. Lives until answered, or,
 * when its connection closes while the pipeline has it, until the pipeline
 * is done with it (a worker step cannot be called back). */
struct http_txn {
	struct door_conn *dc;      /* its connection; NULL once it closed */
	int head_only;             /* HEAD: answered as GET is, without the body */
	char *path;                /* decoded path */
	char *query;               /* "a=1&b=2" as sent (api_query decodes), or NULL */
	char *authorization;       /* header value or NULL */
	char *idempotency_key;     /* header value or NULL */
	char *user_agent;          /* header value or NULL */
	char *content_type;        /* header value or NULL */
	char *if_none_match;       /* header value or NULL */
	char *origin;              /* Origin header or NULL */
	int cors;                  /* add CORS headers for origin */
	char host[256];            /* Host header, or "" */
	char peer[64];             /* client address */
	int64_t content_length;    /* -1 when absent */
	struct buf body;           /* collected body */
	int64_t max_body;          /* http_max_body, or upload_max_bytes (ROUTE_UPLOAD) */
	int upload;                /* counted in uploads_inflight */
	int close_after;           /* close the connection after answering */
	int in_pipeline;           /* the pipeline has it: answered later */
	int64_t start_us;          /* for the latency histogram */
	struct pipeline_req pr;    /* the request and its answer */
};

#define IDEM_KEY_MAX 255                   /* longest Idempotency-Key */

static struct gw *the_gw;
static int64_t uploads_inflight; /* ROUTE_UPLOAD requests being read or run (loop thread) */

void http_init(struct gw *gw)
{
	the_gw = gw;
}

static void txn_free(struct http_txn *t)
{
	if (!t)
		return;
	if (t->upload)
		uploads_inflight--;
	pipeline_req_release(&t->pr);
	free(t->path);
	free(t->query);
	free(t->authorization);
	free(t->idempotency_key);
	free(t->user_agent);
	free(t->content_type);
	free(t->if_none_match);
	free(t->origin);
	buf_free(&t->body);
	free(t);
}

/* --- CORS ---------------------------------------------------------------- */

int http_origin_allowed(struct gw *gw, const char *origin, const char *host)
{
	if (!origin)
		return 1; /* not a browser page: apps, mini-programs, curl */
	/* Same origin: the web app this gateway serves. */
	const char *o = strstr(origin, "://");
	if (o && host && !strcmp(o + 3, host))
		return 1;
	const char *list = gw->cfg->cors_origins;
	size_t ol = strlen(origin);
	while (*list) {
		while (*list == ' ' || *list == ',')
			list++;
		size_t n = strcspn(list, ", ");
		if (n == ol && !strncmp(list, origin, n))
			return 1;
		list += n;
	}
	return 0;
}

/* --- answering ------------------------------------------------------------ */

/* Appends "name: v" to an answer's head. */
static void hdr(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "%s: %s\r\n", name, v);
}

/* The headers every answer carries, after the status, type and length. */
static void answer_headers(struct http_txn *t, struct buf *o)
{
	struct resp *r = &t->pr.resp;
	char v[32], csp[STATIC_CSP_MAX];
	snprintf(v, sizeof v, "%" PRIu64, t->pr.req.id);
	hdr(o, "x-request-id", v);
	hdr(o, "cache-control", r->is_static ? "no-cache" :
	    r->cache_private ? "private, max-age=86400" : "no-store");
	hdr(o, "x-content-type-options", "nosniff");
	if (r->is_static) {
		static_csp_for(t->host, csp, sizeof csp);
		hdr(o, "content-security-policy", csp);
		hdr(o, "referrer-policy", "no-referrer");
		hdr(o, "x-frame-options", "DENY");
	}
	if (the_gw->cfg->tls_cert[0] && the_gw->cfg->hsts_max_age_s > 0) {
		/* Browsers that once reached us over TLS never try plain HTTP. */
		char hsts[48];
		snprintf(hsts, sizeof hsts, "max-age=%lld", (long long)the_gw->cfg->hsts_max_age_s);
		hdr(o, "strict-transport-security", hsts);
	}
	if (r->etag[0])
		hdr(o, "etag", r->etag);
	if (r->retry_after > 0) {
		snprintf(v, sizeof v, "%d", r->retry_after);
		hdr(o, "retry-after", v);
	}
	if (t->pr.replayed)
		hdr(o, "idempotent-replayed", "true");
	if (t->cors) {
		hdr(o, "access-control-allow-origin", t->origin);
		hdr(o, "vary", "Origin");
		hdr(o, "access-control-expose-headers", "X-Request-Id, Retry-After, Idempotent-Replayed");
		if (t->pr.req.method == HTTP_OPTIONS) {
			hdr(o, "access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
			hdr(o, "access-control-allow-headers", "Authorization, Content-Type, Idempotency-Key");
			hdr(o, "access-control-max-age", "600");
		}
	}
	if (t->close_after)
		hdr(o, "connection", "close");
}

static void answer_logged(struct http_txn *t)
{
	struct resp *r = &t->pr.resp;
	int64_t us = util_mono_us() - t->start_us;
	const char *route = t->pr.route_name ? t->pr.route_name : "unmatched";
	metrics_http(route, r->status, us);
	if (r->status >= 500 && r->status != 503)
		log_warn("req %" PRIu64 " %s %d %.1fms", t->pr.req.id, route, r->status, us / 1000.0);
	else
		log_debug("req %" PRIu64 " %s %d %.1fms", t->pr.req.id, route, r->status, us / 1000.0);
}

/* The answer as bytes for the door, and the transaction ended (t is
 * freed). */
static void answer(struct http_txn *t)
{
	struct resp *r = &t->pr.resp;
	struct door_conn *dc = t->dc;
	struct buf b = { 0 };
	if (the_gw->shutting_down)
		t->close_after = 1; /* the door closes after it: say so */
	/* 1xx, 204 and 304 have no body, nor a length (RFC 9110 8.6). */
	int bodyless = r->status == 204 || r->status == 304 || r->status < 200;
	buf_printf(&b, "HTTP/1.1 %d %s\r\n", r->status, reqhead_reason(r->status));
	if (!bodyless) {
		buf_printf(&b, "content-type: %s\r\ncontent-length: %zu\r\n",
			   r->content_type ? r->content_type : "application/json", r->len);
	}
	answer_headers(t, &b);
	buf_append(&b, "\r\n", 2);
	if (r->len && !bodyless && !t->head_only)
		buf_append(&b, r->body, r->len);
	door_http_write(dc, b.p, b.len);
	buf_free(&b);
	answer_logged(t);
	int close = t->close_after;
	t->dc = NULL;
	txn_free(t);
	door_http_done(dc, close);
}

/* --- what every request goes through ----------------------------------------- */

/* What a request's head says of its body. */
struct framing {
	const char *cl;          /* Content-Length's value, or NULL */
	size_t cl_len;
	int cl_repeated;         /* given more than once */
	int encoded;             /* Transfer-Encoding given */
	int expect_continue;     /* Expect: 100-continue */
	int upgrade;             /* an Upgrade other than websocket */
};

/* What comes after the checks. */
enum next { NEXT_ANSWER, NEXT_BODY, NEXT_DISPATCH };

static enum next refusal(struct http_txn *t, int status, const char *code, const char *msg)
{
	t->close_after = 1;
	api_error(&t->pr.resp, status, code, msg, NULL);
	return NEXT_ANSWER;
}

/* A refusal for how the request is framed: counted
 * (linli_http_framing_refused_total). */
static enum next framing_refusal(struct http_txn *t, int status, const char *code, const char *msg)
{
	metrics.http_framing_refused++;
	return refusal(t, status, code, msg);
}

/* Checks a request whose fields are filled, in order: the client's
 * connection count, the framing of its body, shutdown, the body's size.
 * The answer is set unless the body is to be read or the request run. A
 * disputed framing closes the connection, so no byte of a disputed body is
 * ever read as a request of its own. */
static enum next admit(struct gw *gw, struct http_txn *t, const void *conn,
		       const struct framing *f)
{
	enum http_method m = t->pr.req.method;
	if (server_count_client(gw, conn, t->peer))
		return refusal(t, 429, "rate_limited",
			       "too many connections from this address (max_conns_per_ip)");
	if (f->cl) {
		/* "2 ", "2,2", "2.0", a second "Content-Length: 40": a proxy
		 * in front may read another length than ours, and the bytes
		 * between the two would be a request of their own. */
		char cl[20];
		int ok = !f->cl_repeated && f->cl_len > 0 && f->cl_len <= 18;
		for (size_t i = 0; ok && i < f->cl_len; i++)
			ok = f->cl[i] >= '0' && f->cl[i] <= '9';
		if (ok) {
			memcpy(cl, f->cl, f->cl_len);
			cl[f->cl_len] = '\0';
		}
		/* 18 digits at most: always in range. */
		if (!ok || util_parse_i64(cl, &t->content_length))
			return framing_refusal(t, 400, "bad_request",
					       "Content-Length must be given once, as digits only");
	}
	if (f->encoded)
		return framing_refusal(t, 411, "length_required",
				       "send the body with Content-Length; Transfer-Encoding is not supported");
	if (f->upgrade) /* h2c (or anything else): the request's body would be lost */
		return framing_refusal(t, 400, "bad_request",
				       "only Upgrade: websocket is supported (no h2c); send the request without Upgrade");
	if (gw->shutting_down)
		return refusal(t, 503, "unavailable", "server is shutting down");
	t->max_body = gw->cfg->http_max_body;
	/* Only a request with a body can be an upload: the others (every GET)
	 * are not matched twice. */
	if (t->content_length > 0 && pipeline_route_flags(m, t->path) & ROUTE_UPLOAD) {
		t->max_body = gw->cfg->upload_max_bytes;
		if (t->content_length > t->max_body)
			return refusal(t, 413, "payload_too_large",
						 "the file exceeds upload_max_bytes");
		/* Bodies this large are held whole: a bounded number at once. */
		if (uploads_inflight >= gw->cfg->upload_max_inflight) {
			t->pr.resp.retry_after = 2;
			return refusal(t, 503, "unavailable",
						 "too many uploads at once; retry shortly");
		}
		t->upload = 1;
		uploads_inflight++;
	}
	if (t->content_length > t->max_body)
		return refusal(t, 413, "payload_too_large", "request body exceeds http_max_body");
	return t->content_length > 0 ? NEXT_BODY : NEXT_DISPATCH;
}

static struct http_txn *txn_new(struct gw *gw)
{
	struct http_txn *t = xcalloc(1, sizeof *t);
	t->pr.req.id = ++gw->next_req_id;
	t->start_us = util_mono_us();
	t->content_length = -1;
	return t;
}

/* The fields every transport fills, then: CORS. */
static void txn_origin(struct gw *gw, struct http_txn *t)
{
	t->cors = t->origin && http_origin_allowed(gw, t->origin, t->host[0] ? t->host : NULL);
}

/* --- into the pipeline and back -------------------------------------------- */

/* The pipeline's callback, on the loop: the answer is final. A client that
 * left only gets its transaction freed (what the request did stands). */
static void answered(struct pipeline_req *pr)
{
	struct http_txn *t = (struct http_txn *)((char *)pr - offsetof(struct http_txn, pr));
	t->in_pipeline = 0;
	if (!t->dc) {
		txn_free(t);
		return;
	}
	answer(t);
}

/* Into the pipeline: 1 when it answered at once (the answer is set), 0
 * when it answers later (answered()). */
static int dispatch(struct gw *gw, struct http_txn *t)
{
	struct pipeline_req *pr = &t->pr;
	struct req *req = &pr->req;
	req->path = t->path;
	req->query = t->query ? t->query : "";
	req->body = t->body.p ? t->body.p : "";
	req->body_len = t->body.len;
	req->idempotency_key = t->idempotency_key;
	req->user_agent = t->user_agent;
	req->content_type = t->content_type;
	req->if_none_match = t->if_none_match;
	req->peer = t->peer;
	pr->authorization = t->authorization;
	pr->answer = answered;
	if (pipeline_run(gw, pr))
		return 1;
	t->in_pipeline = 1;
	return 0;
}

/* --- the door's requests (door.h) --------------------------------------------------- */

/* A header's value copied, NULL when absent, empty or longer than max. */
static char *head_dup(const char *head, size_t hl, const char *name, size_t max, int *too_long)
{
	size_t n;
	const char *v = reqhead_header(head, hl, name, 0, &n);
	if (too_long)
		*too_long = v && n > max;
	if (!v || !n || n > max)
		return NULL;
	return xstrndup(v, n);
}

static enum http_method method_named(const char *head, int *head_only)
{
	static const struct { const char *name; enum http_method m; } map[] = {
		{ "GET ", HTTP_GET }, { "HEAD ", HTTP_GET }, { "POST ", HTTP_POST },
		{ "PUT ", HTTP_PUT }, { "PATCH ", HTTP_PATCH }, { "DELETE ", HTTP_DELETE },
		{ "OPTIONS ", HTTP_OPTIONS },
	};
	*head_only = !strncmp(head, "HEAD ", 5);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strncmp(head, map[i].name, strlen(map[i].name)))
			return map[i].m;
	return HTTP_OTHER; /* reqhead lets no other method through */
}

static void go_on(struct gw *gw, struct http_txn *t, enum next next, int expect_continue)
{
	switch (next) {
	case NEXT_ANSWER: /* a refusal closes: the door lingers, reading what comes */
		answer(t);
		return;
	case NEXT_BODY:
		if (expect_continue) {
			/* The client may wait for our go-ahead before the body. */
			static const char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
			door_http_write(t->dc, go, sizeof go - 1);
		}
		door_http_read_body(t->dc, t->content_length);
		return;
	case NEXT_DISPATCH:
		if (dispatch(gw, t))
			answer(t);
		return;
	}
}

struct http_txn *http_request_begin(struct gw *gw, struct door_conn *dc, const char *head,
				  size_t head_len, const char *client, int client_port, int keep_alive)
{
	struct http_txn *t = txn_new(gw);
	t->dc = dc;
	t->close_after = !keep_alive;
	t->pr.req.method = method_named(head, &t->head_only);
	snprintf(t->peer, sizeof t->peer, "%s", client);
	t->pr.req.peer_port = client_port;
	size_t tl, n;
	const char *target = reqhead_target(head, head_len, &tl);
	char *path = xmalloc(tl + 2);
	const char *query;
	size_t ql;
	const char *why = reqhead_path(target, tl, path, &query, &ql);
	t->path = path;
	t->query = query ? xstrndup(query, ql) : NULL;
	int idem_long;
	t->authorization = head_dup(head, head_len, "authorization", TOKEN_MAX + 16, NULL);
	t->idempotency_key = head_dup(head, head_len, "idempotency-key", IDEM_KEY_MAX, &idem_long);
	t->pr.idem_too_long = idem_long;
	t->origin = head_dup(head, head_len, "origin", 512, NULL);
	t->user_agent = head_dup(head, head_len, "user-agent", 512, NULL);
	t->content_type = head_dup(head, head_len, "content-type", 256, NULL);
	t->if_none_match = head_dup(head, head_len, "if-none-match", 128, NULL);
	const char *host = reqhead_header(head, head_len, "host", 0, &n);
	if (host && n < sizeof t->host)
		snprintf(t->host, sizeof t->host, "%.*s", (int)n, host);
	txn_origin(gw, t);
	struct framing f = { 0 };
	f.cl = reqhead_header(head, head_len, "content-length", 0, &f.cl_len);
	if (f.cl && f.cl[f.cl_len] != '\r' && f.cl[f.cl_len] != '\n')
		f.cl_len = 0; /* "2 ": refused with the other malformed lengths */
	f.cl_repeated = f.cl && reqhead_header(head, head_len, "content-length", 1, &n);
	f.encoded = reqhead_header(head, head_len, "transfer-encoding", 0, &n) != NULL;
	const char *v = reqhead_header(head, head_len, "expect", 0, &n);
	f.expect_continue = v && n == 12 && !strncasecmp(v, "100-continue", 12);
	f.upgrade = reqhead_header(head, head_len, "upgrade", 0, &n) != NULL;
	enum next next = admit(gw, t, dc, &f);
	if (why && (next == NEXT_BODY || next == NEXT_DISPATCH))
		next = framing_refusal(t, 400, "bad_request", why);
	go_on(gw, t, next, f.expect_continue);
	return t;
}

void http_request_body(struct http_txn *t, const void *p, size_t n)
{
	buf_append(&t->body, p, n);
}

void http_request_body_end(struct http_txn *t)
{
	go_on(the_gw, t, NEXT_DISPATCH, 0);
}

void http_request_late(struct http_txn *t)
{
	metrics.http_timeouts++;
	refusal(t, 408, "request_timeout",
		"the request body did not arrive within http_body_timeout_ms");
	answer(t);
}

void http_request_gone(struct http_txn *t)
{
	t->dc = NULL;
	if (!t->in_pipeline)
		txn_free(t);
}

