/* http: the REST transport. Collects a request (headers, a body under
 * http_max_body), hands it to the pipeline (pipeline.h: everything from
 * routing to publication), and writes the answer, with CORS, security
 * headers and a metrics record. Knows nothing of the domain. Requests come
 * from two sockets: the plain port's, read by the door (door.h: heads,
 * bodies and answers as bytes), and lws's in TLS mode (its callbacks). */
#include "http.h"
#include "door.h"
#include "metrics.h"
#include "pipeline.h"
#include "proxies.h"
#include "reqhead.h"
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
	struct lws *wsi;           /* lws's connection (TLS mode); NULL once it closed */
	struct door_conn *dc;      /* or the door's (plain port); NULL once it closed */
	int plain;                 /* the door's */
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

/* The query string, "a=1&b=2", as api_query reads it: lws keeps each
 * parameter as a fragment, already percent-decoded, so what the decoding
 * would read differently is escaped again ("a%26b" stays one value). */
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
		for (int j = 0; j < n; j++) {
			if (strchr("%&+ #", frag[j]) && frag[j])
				buf_printf(&b, "%%%02X", (unsigned char)frag[j]);
			else
				buf_append(&b, frag + j, 1);
		}
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

/* Where an answer's headers go: lws's header buffer (TLS mode), or the
 * bytes the door writes. */
struct hdr_out {
	struct lws *wsi;
	unsigned char **p, *end;
	struct buf *b;
	int failed;
};

static void hdr(struct hdr_out *o, const char *name, const char *v)
{
	if (o->b) {
		buf_printf(o->b, "%s: %s\r\n", name, v);
		return;
	}
	char n[64];
	snprintf(n, sizeof n, "%s:", name);
	if (!o->failed)
		o->failed = lws_add_http_header_by_name(o->wsi, (const unsigned char *)n,
							 (const unsigned char *)v, (int)strlen(v),
							 o->p, o->end);
}

/* The headers every answer carries, after the status, type and length. */
static void answer_headers(struct http_txn *t, struct hdr_out *o)
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

static int write_response(struct lws *wsi, struct http_txn *t)
{
	unsigned char hbuf[LWS_PRE + 4096];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	struct resp *r = &t->pr.resp;
	const char *ctype = r->content_type ? r->content_type : "application/json";
	if (lws_add_http_common_headers(wsi, (unsigned int)r->status, ctype, r->len, &p, end))
		return -1;
	struct hdr_out o = { .wsi = wsi, .p = &p, .end = end };
	answer_headers(t, &o);
	if (o.failed || lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (r->len) {
		unsigned char *body = xmalloc(LWS_PRE + r->len);
		memcpy(body + LWS_PRE, r->body, r->len);
		int n = lws_write(wsi, body + LWS_PRE, r->len, LWS_WRITE_HTTP_FINAL);
		free(body);
		if (n < 0)
			return -1;
	}
	answer_logged(t);
	return 0;
}

/* The plain port: the answer as bytes for the door, and the transaction
 * ended (t is freed). */
static void plain_answer(struct http_txn *t)
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
	struct hdr_out o = { .b = &b };
	answer_headers(t, &o);
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

/* --- what every request goes through ----------------------------------------- */

#define NOT_UPGRADED "only Upgrade: websocket is supported (no h2c); send the request without Upgrade"

/* What a request's head says of its body. */
struct framing {
	const char *cl;          /* Content-Length's value, or NULL */
	size_t cl_len;
	int cl_repeated;         /* given more than once */
	int encoded;             /* Transfer-Encoding given */
	int expect_continue;     /* Expect: 100-continue */
	int upgrade;             /* an Upgrade other than websocket (plain port) */
	int pipelined;           /* lws: read with the previous answer */
};

/* What comes after the checks. */
enum next { NEXT_ANSWER, NEXT_LINGER, NEXT_BODY, NEXT_DISPATCH };

static enum next refusal(struct http_txn *t, int status, const char *code, const char *msg)
{
	t->close_after = 1;
	api_error(&t->pr.resp, status, code, msg, NULL);
	return NEXT_ANSWER;
}

/* A refusal whose body may still be on its way (413, 503 for an upload):
 * answered with Connection: close, then what comes is read and discarded
 * for at most http_linger_ms before closing, so the client is not reset
 * before it reads the answer. */
static enum next refusal_lingering(struct http_txn *t, int status, const char *code,
				   const char *msg)
{
	refusal(t, status, code, msg);
	return NEXT_LINGER;
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
		/* lws joins repeated headers with ',' and reads the number with
		 * atoll: "2 ", "2,2", "2.0", "2\r\nContent-Length: 40" all
		 * read as 2 and would leave the rest for a second request. */
		char cl[20];
		int ok = !f->cl_repeated && f->cl_len > 0 && f->cl_len <= 18;
		for (size_t i = 0; ok && i < f->cl_len; i++)
			ok = f->cl[i] >= '0' && f->cl[i] <= '9';
		if (ok) {
			memcpy(cl, f->cl, f->cl_len);
			cl[f->cl_len] = '\0';
		}
		/* 18 digits at most: always in range. */
		if (!ok || util_parse_i64(cl, &t->content_length)) {
			metrics.http_framing_refused++;
			return refusal(t, 400, "bad_request",
				       "Content-Length must be given once, as digits only");
		}
	}
	if (f->encoded) {
		metrics.http_framing_refused++;
		return refusal(t, 411, "length_required",
			       "send the body with Content-Length; Transfer-Encoding is not supported");
	}
	if (f->upgrade) {
		/* h2c (or anything else): the request's body would be lost. */
		metrics.http_framing_refused++;
		return refusal(t, 400, "bad_request", NOT_UPGRADED);
	}
	if (!t->plain && (m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH) && t->content_length < 0)
		/* No length and no encoding: no body (RFC 9112 6.3), but lws
		 * would read the connection's next bytes as one. Answer it, then
		 * close. */
		t->close_after = 1;
	if (gw->shutting_down)
		return refusal(t, 503, "unavailable", "server is shutting down");
	if (t->content_length > 0 && f->pipelined)
		/* A body pipelined behind the previous request: lws 4.1 spins
		 * forever on such a body once it is buffered. Answer, and close
		 * instead of reading it. (The plain port reads pipelined
		 * requests in turn.) */
		return refusal(t, 400, "bad_request",
			       "pipelined requests with a body are not supported; wait for each answer");
	t->max_body = gw->cfg->http_max_body;
	/* Only a request with a body can be an upload: the others (every GET)
	 * are not matched twice. */
	if (t->content_length > 0 && pipeline_route_flags(m, t->path) & ROUTE_UPLOAD) {
		t->max_body = gw->cfg->upload_max_bytes;
		if (t->content_length > t->max_body)
			return refusal_lingering(t, 413, "payload_too_large",
						 "the file exceeds upload_max_bytes");
		/* Bodies this large are held whole: a bounded number at once. */
		if (uploads_inflight >= gw->cfg->upload_max_inflight) {
			t->pr.resp.retry_after = 2;
			return refusal_lingering(t, 503, "unavailable",
						 "too many uploads at once; retry shortly");
		}
		t->upload = 1;
		uploads_inflight++;
	}
	if (t->content_length > t->max_body)
		return refusal_lingering(t, 413, "payload_too_large", "request body exceeds http_max_body");
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

int http_refuse_upgrade(struct lws *wsi, const char *upgrade)
{
	if (upgrade && !strcasecmp(upgrade, "websocket"))
		return 0;
	/* h2c (or anything else): lws 4.1 would switch protocols (h2c) or
	 * answer an HTML 403, and the request's body would be lost. */
	static const char body[] = "{\"error\":{\"code\":\"bad_request\",\"message\":"
		"\"" NOT_UPGRADED "\"}}";
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
	if (t->plain ? !t->dc : !t->wsi) {
		txn_free(t);
		return;
	}
	if (t->plain) {
		plain_answer(t);
		return;
	}
	t->ready = 1;
	lws_callback_on_writable(t->wsi);
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

/* --- the plain port (door.h) --------------------------------------------------- */

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

static void plain_next(struct gw *gw, struct http_txn *t, enum next next, int expect_continue)
{
	switch (next) {
	case NEXT_ANSWER:
	case NEXT_LINGER: /* the door lingers on every close */
		plain_answer(t);
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
			plain_answer(t);
		return;
	}
}

struct http_txn *http_plain_begin(struct gw *gw, struct door_conn *dc, const char *head,
				  size_t head_len, const char *client, int client_port, int keep_alive)
{
	struct http_txn *t = txn_new(gw);
	t->dc = dc;
	t->plain = 1;
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
	if (why && (next == NEXT_BODY || next == NEXT_DISPATCH)) {
		metrics.http_framing_refused++;
		next = refusal(t, 400, "bad_request", why);
	}
	plain_next(gw, t, next, f.expect_continue);
	return t;
}

void http_plain_body(struct http_txn *t, const void *p, size_t n)
{
	buf_append(&t->body, p, n);
}

void http_plain_body_end(struct http_txn *t)
{
	plain_next(the_gw, t, NEXT_DISPATCH, 0);
}

void http_plain_late(struct http_txn *t)
{
	metrics.http_timeouts++;
	refusal(t, 408, "request_timeout",
		"the request body did not arrive within http_body_timeout_ms");
	plain_answer(t);
}

void http_plain_gone(struct http_txn *t)
{
	t->dc = NULL;
	if (!t->in_pipeline)
		txn_free(t);
}

/* --- lws callbacks --------------------------------------------------------------- */

static int lws_next(struct gw *gw, struct lws *wsi, struct http_txn *t, enum next next,
		    int expect_continue)
{
	switch (next) {
	case NEXT_ANSWER:
		return respond(wsi, t);
	case NEXT_LINGER:
		if (gw->cfg->http_linger_ms <= 0)
			return respond(wsi, t);
		if (write_response(wsi, t))
			return -1;
		t->discard = 1;
		wait_until(t, util_now_ms() + gw->cfg->http_linger_ms);
		return 0;
	case NEXT_BODY:
		if (expect_continue) {
			static const char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
			unsigned char b[LWS_PRE + sizeof go];
			memcpy(b + LWS_PRE, go, sizeof go - 1);
			if (lws_write(wsi, b + LWS_PRE, sizeof go - 1, LWS_WRITE_HTTP) < 0)
				return -1;
		}
		wait_until(t, util_now_ms() + gw->cfg->http_body_timeout_ms);
		return 0; /* wait for HTTP_BODY ... HTTP_BODY_COMPLETION */
	case NEXT_DISPATCH:
		return dispatch(gw, t) ? respond(wsi, t) : 0;
	}
	return -1;
}

int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len)
{
	struct ws_pss *pss = user;
	struct http_txn *t = pss ? pss->txn : NULL;
	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		txn_free(t);
		t = pss->txn = txn_new(gw);
		t->wsi = wsi;
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
		if (lws_hdr_copy(wsi, t->host, sizeof t->host, WSI_TOKEN_HOST) <= 0)
			t->host[0] = '\0';
		txn_origin(gw, t);
		http_client_addr(gw, wsi, t->peer, sizeof t->peer, &t->pr.req.peer_port);
		struct framing f = { 0 };
		char cl[24], frag[4], expect[32];
		int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
		if (n > 0) {
			f.cl = cl;
			f.cl_len = n < (int)sizeof cl &&
				   lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) == n ?
				   (size_t)n : sizeof cl; /* too long: refused */
			f.cl_repeated = lws_hdr_copy_fragment(wsi, frag, sizeof frag,
							      WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) >= 0;
		}
		f.encoded = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
		f.expect_continue = lws_hdr_copy(wsi, expect, sizeof expect, WSI_TOKEN_HTTP_EXPECT) > 0 &&
				    !strcasecmp(expect, "100-continue");
		f.pipelined = answered_just_now(wsi);
		return lws_next(gw, wsi, t, admit(gw, t, wsi, &f), f.expect_continue);
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
			return lws_next(gw, wsi, t, refusal_lingering(t, 413, "payload_too_large", t->upload ?
						"the file exceeds upload_max_bytes" :
						"request body exceeds http_max_body"), 0);
		return lws_next(gw, wsi, t, NEXT_DISPATCH, 0);
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
