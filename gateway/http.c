/* http: the REST transport. Collects a request (headers, a body under
 * http_max_body), hands it to the pipeline (pipeline.h: everything from
 * routing to publication), and writes the answer, with CORS, security
 * headers and a metrics record. Knows nothing of the domain. */
#include "http.h"
#include "metrics.h"
#include "pipeline.h"
#include "proxies.h"
#include "server.h"
#include "static.h"
#include "token.h"
#include "util.h"
#include "ws.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libwebsockets.h>

/* One HTTP request in flight on a connection. Lives until answered, or,
 * when its connection closes while the pipeline has it, until the pipeline
 * is done with it (a worker step cannot be called back). */
struct http_txn {
	struct lws *wsi;           /* the connection; NULL once it closed */
	char *path;                /* decoded path */
	char *query;               /* "a=1&b=2" or NULL */
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
	int too_big;               /* body passed max_body */
	int64_t max_body;          /* http_max_body, or upload_max_bytes (ROUTE_UPLOAD) */
	int upload;                /* counted in uploads_inflight */
	int close_after;           /* close the connection after answering */
	int in_pipeline;           /* the pipeline has it: answered later */
	int ready;                 /* its answer waits for writable */
	int discard;               /* answered: the rest of the body is thrown away */
	int expired;               /* lingered long enough: close when writable */
	int64_t start_us;          /* for the latency histogram */
	int64_t deadline_ms;       /* waiting (body or linger): until when; 0: not */
	struct http_txn *wprev, *wnext; /* in the waiting list while deadline_ms */
	struct pipeline_req pr;    /* the request and its answer */
};

#define IDEM_KEY_MAX 255                   /* longest Idempotency-Key */

static struct gw *the_gw;
static int64_t uploads_inflight; /* ROUTE_UPLOAD requests being read or run (loop thread) */

void http_init(struct gw *gw)
{
	the_gw = gw;
}

/* --- deadlines ---------------------------------------------------------- */

/* Transactions waiting for their body, or lingering after a refusal: lws
 * restarts its own timeout on every byte, so a body sent a byte at a time
 * would hold its descriptor for ever. http_sweep enforces ours. */
static struct http_txn *waiting;

static void wait_until(struct http_txn *t, int64_t deadline_ms)
{
	if (!t->deadline_ms) {
		t->wnext = waiting;
		if (waiting)
			waiting->wprev = t;
		waiting = t;
	}
	t->deadline_ms = deadline_ms;
}

static void wait_done(struct http_txn *t)
{
	if (!t->deadline_ms)
		return;
	if (t->wprev)
		t->wprev->wnext = t->wnext;
	else
		waiting = t->wnext;
	if (t->wnext)
		t->wnext->wprev = t->wprev;
	t->wprev = t->wnext = NULL;
	t->deadline_ms = 0;
}

/* --- transactions ------------------------------------------------------ */

#define XFF_LINES 8 /* X-Forwarded-For header lines looked at, at most */

/* The client's address: the peer's, or behind a trusted proxy the one its
 * X-Forwarded-For vouches for (proxies.h). */
/* The socket's peer port, 0 when unknown. */
static int peer_port(struct lws *wsi)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = lws_get_socket_fd(wsi);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void http_client_addr(struct gw *gw, struct lws *wsi, char *out, size_t cap, int *port)
{
	char peer[64];
	lws_get_peer_simple(wsi, peer, sizeof peer);
	if (!gw->proxies || !proxies_trusted(gw->proxies, peer)) {
		snprintf(out, cap, "%s", peer);
		if (port)
			*port = peer_port(wsi);
		return;
	}
	char lines[XFF_LINES][512];
	const char *xff[XFF_LINES];
	int n = 0;
	for (; n < XFF_LINES; n++) {
		if (lws_hdr_copy_fragment(wsi, lines[n], sizeof lines[n], WSI_TOKEN_X_FORWARDED_FOR, n) < 0)
			break;
		xff[n] = lines[n];
	}
	proxies_client(gw->proxies, peer, xff, n, out, cap);
	if (port) {
		/* Behind a proxy the client's port is the proxy's to tell, e.g.
		 * HAProxy: http-request set-header X-Client-Port %[src_port] */
		char v[16];
		int64_t p;
		*port = lws_hdr_custom_copy(wsi, v, sizeof v, "x-client-port:", 14) > 0 &&
			!util_parse_i64(v, &p) && p > 0 && p < 65536 ? (int)p : 0;
	}
}

static char *hdr_dup(struct lws *wsi, enum lws_token_indexes h, size_t max)
{
	int n = lws_hdr_total_length(wsi, h);
	if (n <= 0 || (size_t)n > max)
		return NULL;
	char *s = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, s, n + 1, h) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The query string, "a=1&b=2": lws keeps each parameter as a fragment. */
static char *query_dup(struct lws *wsi)
{
	struct buf b = { 0 };
	char frag[1024];
	for (int i = 0; b.len < 4096; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (i)
			buf_append(&b, "&", 1);
		buf_append(&b, frag, (size_t)n);
	}
	return b.p;
}

/* A header lws has no token for; name lower-case with the colon. */
static char *custom_hdr_dup(struct lws *wsi, const char *name, size_t max)
{
	int nl = (int)strlen(name);
	int n = lws_hdr_custom_length(wsi, name, nl);
	if (n <= 0 || (size_t)n > max)
		return NULL;
	char *s = xmalloc((size_t)n + 1);
	if (lws_hdr_custom_copy(wsi, s, n + 1, name, nl) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static enum http_method method_of(struct lws *wsi)
{
	static const struct { enum lws_token_indexes tok; enum http_method m; } map[] = {
		{ WSI_TOKEN_GET_URI, HTTP_GET }, { WSI_TOKEN_POST_URI, HTTP_POST },
		{ WSI_TOKEN_PUT_URI, HTTP_PUT }, { WSI_TOKEN_PATCH_URI, HTTP_PATCH },
		{ WSI_TOKEN_DELETE_URI, HTTP_DELETE }, { WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (lws_hdr_total_length(wsi, map[i].tok))
			return map[i].m;
	return HTTP_OTHER;
}

static void txn_free(struct http_txn *t)
{
	if (!t)
		return;
	wait_done(t);
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

/* --- pipelining guard --------------------------------------------------- */

/* Connections answered recently, with the loop phase of the answer. lws
 * gives each transaction a fresh pss, so this lives outside it. */
#define RECENT 64
static struct { struct lws *wsi; uint64_t phase; } recent[RECENT];
static unsigned recent_next;

static void note_answered(struct lws *wsi)
{
	recent[recent_next % RECENT].wsi = wsi;
	recent[recent_next % RECENT].phase = the_gw->loop_phase;
	recent_next++;
}

/* True when wsi's new request came out of the same read as its previous
 * answer (pipelined): processed in the very poll phase that answered it,
 * or outside any poll phase, from lws's buffered input (idle phase). */
static int answered_just_now(struct lws *wsi)
{
	uint64_t now = the_gw->loop_phase;
	for (unsigned i = 0; i < RECENT; i++)
		if (recent[i].wsi == wsi && (recent[i].phase == now || now % 2 == 0))
			return 1;
	return 0;
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

static int add_hdr(struct lws *wsi, const char *name, const char *v,
		   unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)v, (int)strlen(v), p, end);
}

static int write_response(struct lws *wsi, struct http_txn *t)
{
	unsigned char hbuf[LWS_PRE + 4096];
	char csp[STATIC_CSP_MAX];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	struct resp *r = &t->pr.resp;
	const char *ctype = r->content_type ? r->content_type : "application/json";
	char v[32];
	if (lws_add_http_common_headers(wsi, (unsigned int)r->status, ctype, r->len, &p, end))
		return -1;
	snprintf(v, sizeof v, "%" PRIu64, t->pr.req.id);
	if (add_hdr(wsi, "x-request-id:", v, &p, end) ||
	    add_hdr(wsi, "cache-control:", r->is_static ? "no-cache" :
		    r->cache_private ? "private, max-age=86400" : "no-store", &p, end) ||
	    add_hdr(wsi, "x-content-type-options:", "nosniff", &p, end))
		return -1;
	if (r->is_static)
		static_csp_for(t->host, csp, sizeof csp);
	if (r->is_static &&
	    (add_hdr(wsi, "content-security-policy:", csp, &p, end) ||
	     add_hdr(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	     add_hdr(wsi, "x-frame-options:", "DENY", &p, end)))
		return -1;
	if (the_gw->cfg->tls_cert[0] && the_gw->cfg->hsts_max_age_s > 0) {
		/* Browsers that once reached us over TLS never try plain HTTP. */
		char hsts[48];
		snprintf(hsts, sizeof hsts, "max-age=%lld", (long long)the_gw->cfg->hsts_max_age_s);
		if (add_hdr(wsi, "strict-transport-security:", hsts, &p, end))
			return -1;
	}
	if (r->etag[0] && add_hdr(wsi, "etag:", r->etag, &p, end))
		return -1;
	if (r->retry_after > 0) {
		snprintf(v, sizeof v, "%d", r->retry_after);
		if (add_hdr(wsi, "retry-after:", v, &p, end))
			return -1;
	}
	if (t->pr.replayed && add_hdr(wsi, "idempotent-replayed:", "true", &p, end))
		return -1;
	if (t->cors) {
		if (add_hdr(wsi, "access-control-allow-origin:", t->origin, &p, end) ||
		    add_hdr(wsi, "vary:", "Origin", &p, end) ||
		    add_hdr(wsi, "access-control-expose-headers:",
			    "X-Request-Id, Retry-After, Idempotent-Replayed", &p, end))
			return -1;
		if (t->pr.req.method == HTTP_OPTIONS &&
		    (add_hdr(wsi, "access-control-allow-methods:",
			     "GET, POST, PUT, PATCH, DELETE, OPTIONS", &p, end) ||
		     add_hdr(wsi, "access-control-allow-headers:",
			     "Authorization, Content-Type, Idempotency-Key", &p, end) ||
		     add_hdr(wsi, "access-control-max-age:", "600", &p, end)))
			return -1;
	}
	if (t->close_after &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
					 (unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (r->len) {
		unsigned char *body = xmalloc(LWS_PRE + r->len);
		memcpy(body + LWS_PRE, r->body, r->len);
		int n = lws_write(wsi, body + LWS_PRE, r->len, LWS_WRITE_HTTP_FINAL);
		free(body);
		if (n < 0)
			return -1;
	}
	int64_t us = util_mono_us() - t->start_us;
	const char *route = t->pr.route_name ? t->pr.route_name : "unmatched";
	metrics_http(route, r->status, us);
	if (r->status >= 500 && r->status != 503)
		log_warn("req %" PRIu64 " %s %d %.1fms", t->pr.req.id, route, r->status, us / 1000.0);
	else
		log_debug("req %" PRIu64 " %s %d %.1fms", t->pr.req.id, route, r->status, us / 1000.0);
	return 0;
}

/* Writes the answer from inside one of the connection's own callbacks and
 * ends the transaction. Answers never wait for a writable callback when
 * they can go now: lws 4.1 spins on a pipelined request left in its input
 * buffer while an answer waits. Returns what the callback must return. */
static int respond(struct lws *wsi, struct http_txn *t)
{
	struct ws_pss *pss = lws_wsi_user(wsi);
	int close = t->close_after;
	int rc = write_response(wsi, t);
	txn_free(t);
	pss->txn = NULL;
	if (rc || close)
		return -1;
	note_answered(wsi);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int respond_error(struct lws *wsi, struct http_txn *t, int status,
			 const char *code, const char *msg)
{
	api_error(&t->pr.resp, status, code, msg, NULL);
	return respond(wsi, t);
}

/* A refusal whose body may still be on its way (413, 408): answers with
 * Connection: close, then reads and discards what comes for at most
 * http_linger_ms before closing, so the client is not reset before it
 * reads the answer. */
static int refuse_lingering(struct lws *wsi, struct http_txn *t, int status,
			    const char *code, const char *msg)
{
	t->close_after = 1;
	api_error(&t->pr.resp, status, code, msg, NULL);
	if (the_gw->cfg->http_linger_ms <= 0)
		return respond(wsi, t);
	if (write_response(wsi, t))
		return -1;
	t->discard = 1;
	wait_until(t, util_now_ms() + the_gw->cfg->http_linger_ms);
	return 0;
}

/* What lws 4.1 lets through about a request's framing, checked before
 * anything else: 0, or the refusal is set (the connection then closes, so
 * no byte of a disputed body is ever read as a request of its own). */
static int framing_refused(struct lws *wsi, struct http_txn *t, enum http_method m)
{
	const char *msg = NULL;
	int status = 400;
	char cl[24];
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (n > 0) {
		/* lws joins repeated headers with ',' and reads the number with
		 * atoll: "2 ", "2,2", "2.0", "2\r\nContent-Length: 40" all
		 * read as 2 and leave the rest for a second request. */
		int ok = n <= 18 && lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) == n &&
			 lws_hdr_copy_fragment(wsi, cl + 20, 4, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) < 0;
		for (int i = 0; ok && i < n; i++)
			ok = cl[i] >= '0' && cl[i] <= '9';
		/* 18 digits at most: always in range. */
		if (!ok || util_parse_i64(cl, &t->content_length))
			msg = "Content-Length must be given once, as digits only";
	}
	if (!msg && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
		status = 411;
		msg = "send the body with Content-Length; Transfer-Encoding is not supported";
	}
	if (!msg && (m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH) && t->content_length < 0)
		/* No length and no encoding: no body (RFC 9112 6.3), but lws
		 * would read the connection's next bytes as one. Answer it, then
		 * close. */
		t->close_after = 1;
	if (!msg)
		return 0;
	metrics.http_framing_refused++;
	t->close_after = 1;
	api_error(&t->pr.resp, status, status == 411 ? "length_required" : "bad_request", msg, NULL);
	respond(wsi, t);
	return -1;
}

int http_refuse_upgrade(struct lws *wsi, const char *upgrade)
{
	if (upgrade && !strcasecmp(upgrade, "websocket"))
		return 0;
	/* h2c (or anything else): lws 4.1 would switch protocols (h2c) or
	 * answer an HTML 403, and the request's body would be lost. */
	static const char body[] = "{\"error\":{\"code\":\"bad_request\",\"message\":"
		"\"only Upgrade: websocket is supported (no h2c); send the request without Upgrade\"}}";
	unsigned char hbuf[LWS_PRE + 512 + sizeof body];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + LWS_PRE + 512;
	metrics.http_framing_refused++;
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_BAD_REQUEST, "application/json",
					sizeof body - 1, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return -1;
	memcpy(p, body, sizeof body - 1);
	p += sizeof body - 1;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
	return -1; /* hang up */
}

void http_sweep(struct gw *gw)
{
	int64_t now = util_now_ms();
	for (struct http_txn *t = waiting, *next; t; t = next) {
		next = t->wnext;
		if (t->deadline_ms > now)
			continue;
		wait_done(t);
		if (t->discard || t->ready) {
			/* Lingered long enough (or the answer could not go): close
			 * from its writable callback (lws_set_timeout from outside
			 * lws's service would wait for lws's own next timer). */
			t->expired = 1;
			lws_callback_on_writable(t->wsi);
			continue;
		}
		metrics.http_timeouts++;
		t->close_after = 1;
		t->discard = 1;
		api_error(&t->pr.resp, 408, "request_timeout",
			  "the request body did not arrive within http_body_timeout_ms", NULL);
		t->ready = 1;
		wait_until(t, now + gw->cfg->http_linger_ms + 1000);
		lws_callback_on_writable(t->wsi);
	}
}

/* --- into the pipeline and back -------------------------------------------- */

/* The pipeline's callback, on the loop: the answer is final. A client that
 * left only gets its transaction freed (what the request did stands). */
static void answered(struct pipeline_req *pr)
{
	struct http_txn *t = (struct http_txn *)((char *)pr - offsetof(struct http_txn, pr));
	t->in_pipeline = 0;
	if (!t->wsi) {
		txn_free(t);
		return;
	}
	t->ready = 1;
	lws_callback_on_writable(t->wsi);
}

static int dispatch(struct gw *gw, struct lws *wsi, struct http_txn *t)
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
		return respond(wsi, t);
	t->in_pipeline = 1;
	return 0;
}

/* --- lws callbacks --------------------------------------------------------------- */

int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len)
{
	struct ws_pss *pss = user;
	struct http_txn *t = pss ? pss->txn : NULL;
	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		txn_free(t);
		t = pss->txn = xcalloc(1, sizeof *t);
		t->wsi = wsi;
		t->pr.req.id = ++gw->next_req_id;
		t->start_us = util_mono_us();
		t->pr.req.method = method_of(wsi);
		t->path = xstrdup(in ? (const char *)in : "/");
		t->query = query_dup(wsi);
		t->authorization = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, TOKEN_MAX + 16);
		t->idempotency_key = custom_hdr_dup(wsi, "idempotency-key:", IDEM_KEY_MAX);
		t->pr.idem_too_long = !t->idempotency_key &&
			lws_hdr_custom_length(wsi, "idempotency-key:", 16) > IDEM_KEY_MAX;
		t->origin = hdr_dup(wsi, WSI_TOKEN_ORIGIN, 512);
		t->user_agent = hdr_dup(wsi, WSI_TOKEN_HTTP_USER_AGENT, 512);
		t->content_type = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, 256);
		t->if_none_match = hdr_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, 128);
		int hl = lws_hdr_copy(wsi, t->host, sizeof t->host, WSI_TOKEN_HOST);
		if (hl <= 0)
			t->host[0] = '\0';
		t->cors = t->origin && http_origin_allowed(gw, t->origin, hl > 0 ? t->host : NULL);
		http_client_addr(gw, wsi, t->peer, sizeof t->peer, &t->pr.req.peer_port);
		t->content_length = -1;
		if (server_count_client(gw, wsi, t->peer)) {
			t->close_after = 1;
			return respond_error(wsi, t, 429, "rate_limited",
					     "too many connections from this address (max_conns_per_ip)");
		}
		if (framing_refused(wsi, t, t->pr.req.method))
			return -1; /* answered; the connection closes */
		if (gw->shutting_down) {
			t->close_after = 1;
			return respond_error(wsi, t, 503, "unavailable", "server is shutting down");
		}
		if (t->content_length > 0 && answered_just_now(wsi)) {
			/* A body pipelined behind the previous request: lws 4.1
			 * spins forever on such a body once it is buffered. Answer,
			 * and close instead of reading it. Browsers and mobile HTTP
			 * stacks do not pipeline. */
			t->close_after = 1;
			return respond_error(wsi, t, 400, "bad_request",
					     "pipelined requests with a body are not supported; "
					     "wait for each answer");
		}
		t->max_body = gw->cfg->http_max_body;
		/* Only a request with a body can be an upload: the others (every
		 * GET) are not matched twice. */
		if (t->content_length > 0 && pipeline_route_flags(t->pr.req.method, t->path) & ROUTE_UPLOAD) {
			t->max_body = gw->cfg->upload_max_bytes;
			if (t->content_length > t->max_body)
				return refuse_lingering(wsi, t, 413, "payload_too_large",
							"the file exceeds upload_max_bytes");
			/* Bodies this large are held whole: a bounded number at once. */
			if (uploads_inflight >= gw->cfg->upload_max_inflight) {
				t->pr.resp.retry_after = 2;
				return refuse_lingering(wsi, t, 503, "unavailable",
							"too many uploads at once; retry shortly");
			}
			t->upload = 1;
			uploads_inflight++;
		}
		if (t->content_length > t->max_body)
			return refuse_lingering(wsi, t, 413, "payload_too_large",
						"request body exceeds http_max_body");
		if (t->content_length > 0) {
			/* The client may wait for our go-ahead before the body. */
			char expect[32];
			if (lws_hdr_copy(wsi, expect, sizeof expect, WSI_TOKEN_HTTP_EXPECT) > 0 &&
			    !strcasecmp(expect, "100-continue")) {
				static const char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
				unsigned char b[LWS_PRE + sizeof go];
				memcpy(b + LWS_PRE, go, sizeof go - 1);
				if (lws_write(wsi, b + LWS_PRE, sizeof go - 1, LWS_WRITE_HTTP) < 0)
					return -1;
			}
			wait_until(t, util_now_ms() + gw->cfg->http_body_timeout_ms);
			return 0; /* wait for HTTP_BODY ... HTTP_BODY_COMPLETION */
		}
		return dispatch(gw, wsi, t);
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!t || t->in_pipeline || t->discard)
			return 0;
		if (t->body.len + len > (size_t)t->max_body) {
			t->too_big = 1;
			return 0;
		}
		buf_append(&t->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!t || t->in_pipeline)
			return 0;
		if (t->discard)
			return t->ready ? 0 : -1; /* lingered to the end: close */
		wait_done(t);
		if (t->too_big)
			return refuse_lingering(wsi, t, 413, "payload_too_large", t->upload ?
						"the file exceeds upload_max_bytes" :
						"request body exceeds http_max_body");
		return dispatch(gw, wsi, t);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (t && t->expired)
			return -1;
		if (!t || !t->ready)
			return 0;
		return respond(wsi, t);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss && pss->txn) {
			if (pss->txn->in_pipeline)
				pss->txn->wsi = NULL; /* freed when the pipeline answers */
			else
				txn_free(pss->txn);
			pss->txn = NULL;
		}
		return 0;
	default:
		return 0;
	}
}
