#include "http.h"
#include "api.h"
#include "bus.h"
#include "frame.h"
#include "metrics.h"
#include "ratelimit.h"
#include "router.h"
#include "static.h"
#include "server.h"
#include "token.h"
#include "util.h"
#include "ws.h"
#include "../handlers/access.h"
#include "../handlers/routes.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>

/* One HTTP request in flight on a connection. Lives until answered, or,
 * when its connection closes while deferred work runs, until that work is
 * done (uv work cannot be cancelled once started). */
struct http_txn {
	struct lws *wsi;           /* the connection; NULL once it closed */
	char *path;                /* decoded path */
	char *query;               /* "a=1&b=2" or NULL */
	char *authorization;       /* header value or NULL */
	char *idempotency_key;     /* header value or NULL */
	int idem_too_long;         /* Idempotency-Key longer than IDEM_KEY_MAX */
	char *origin;              /* Origin header or NULL */
	int cors;                  /* add CORS headers for origin */
	char peer[64];             /* client address */
	int64_t content_length;    /* -1 when absent */
	struct buf body;           /* collected body */
	int too_big;               /* body passed http_max_body */
	struct req req;            /* what the handler sees */
	struct resp resp;          /* the answer */
	int close_after;           /* close the connection after answering */
	int replayed;              /* answer replayed for an Idempotency-Key */
	int deferred;              /* api_defer/api_offload work in flight, or parked */
	int ready;                 /* deferred answer waits for writable */
	uv_work_t work;            /* the deferred job; valid until after_work */
	api_work_cb work_cb;       /* runs on the thread pool */
	api_txn_cb txn_cb;         /* or: runs on the writer connection */
	api_done_cb done_cb;       /* then on the loop */
	void *work_data;           /* their argument */
	const struct route *rt;    /* the matched route */
	enum { PARK_HANDLER = 1, PARK_DONE } parked; /* what resumes it */
	struct http_txn *parked_next; /* FIFO of parked requests */
	int64_t start_us;          /* for the latency histogram */
	const char *route_name;    /* for metrics */
};

#define IDEM_KEY_MAX 255                   /* longest Idempotency-Key */
#define IDEM_TTL_MS (24LL * 3600 * 1000)   /* the contract's 24 h */

static struct gw *the_gw; /* for the gateway's own routes */

/* --- the gateway's own routes ------------------------------------------ */

static void route_healthz(struct req *req, struct resp *r)
{
	(void)req;
	api_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void route_readyz(struct req *req, struct resp *r)
{
	(void)req;
	char why[200] = "";
	int store_ok = store_ping(the_gw->st) == 0;
	int bus_ok = bus_ready(the_gw->bus, why, sizeof why) == 0;
	json_t *j = json_pack("{s:s, s:s}", "status", store_ok && bus_ok ? "ok" : "unavailable",
			      "store", store_ok ? "ok" : "unavailable");
	if (the_gw->cfg->redis_url[0])
		json_object_set_new(j, "redis", json_string(bus_ok ? "ok" : why));
	if (the_gw->shutting_down)
		json_object_set_new(j, "status", json_string("shutting down"));
	api_json(r, store_ok && bus_ok && !the_gw->shutting_down ? 200 : 503, j);
}

static void route_metrics(struct req *req, struct resp *r)
{
	(void)req;
	struct buf b = { 0 };
	metrics_render(&b);
	free(r->body);
	r->status = 200;
	r->body = b.p;
	r->len = b.len;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static const struct route gateway_routes[] = {
	{ HTTP_GET, "/healthz", route_healthz, "GET /healthz" },
	{ HTTP_GET, "/readyz", route_readyz, "GET /readyz" },
	{ HTTP_GET, "/metrics", route_metrics, "GET /metrics" },
};

static struct route *routes;
static size_t nroutes;

void http_init(struct gw *gw)
{
	the_gw = gw;
	uv_idle_init(gw->loop, &gw->pub_idle);
	gw->pub_idle.data = gw;
	size_t ng = sizeof gateway_routes / sizeof gateway_routes[0];
	nroutes = ng + handler_routes_count;
	routes = xmalloc(nroutes * sizeof *routes);
	memcpy(routes, gateway_routes, sizeof gateway_routes);
	memcpy(routes + ng, handler_routes, handler_routes_count * sizeof *routes);
}

/* --- transactions ------------------------------------------------------ */

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
	router_params_free(&t->req);
	api_events_free(t->req.pending);
	api_events_free(t->req.committed);
	free(t->path);
	free(t->query);
	free(t->authorization);
	free(t->idempotency_key);
	free(t->origin);
	buf_free(&t->body);
	free(t->resp.body);
	free(t->req.live);
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
	unsigned char hbuf[LWS_PRE + 2048];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	struct resp *r = &t->resp;
	const char *ctype = r->content_type ? r->content_type : "application/json";
	char v[32];
	if (lws_add_http_common_headers(wsi, (unsigned int)r->status, ctype, r->len, &p, end))
		return -1;
	snprintf(v, sizeof v, "%" PRIu64, t->req.id);
	if (add_hdr(wsi, "x-request-id:", v, &p, end) ||
	    add_hdr(wsi, "cache-control:", r->is_static ? "no-cache" : "no-store", &p, end) ||
	    add_hdr(wsi, "x-content-type-options:", "nosniff", &p, end))
		return -1;
	if (r->is_static &&
	    (add_hdr(wsi, "content-security-policy:", static_csp, &p, end) ||
	     add_hdr(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	     add_hdr(wsi, "x-frame-options:", "DENY", &p, end)))
		return -1;
	if (r->retry_after > 0) {
		snprintf(v, sizeof v, "%d", r->retry_after);
		if (add_hdr(wsi, "retry-after:", v, &p, end))
			return -1;
	}
	if (t->replayed && add_hdr(wsi, "idempotent-replayed:", "true", &p, end))
		return -1;
	if (t->cors) {
		if (add_hdr(wsi, "access-control-allow-origin:", t->origin, &p, end) ||
		    add_hdr(wsi, "vary:", "Origin", &p, end) ||
		    add_hdr(wsi, "access-control-expose-headers:",
			    "X-Request-Id, Retry-After, Idempotent-Replayed", &p, end))
			return -1;
		if (t->req.method == HTTP_OPTIONS &&
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
	const char *route = t->route_name ? t->route_name : "unmatched";
	metrics_http(route, r->status, us);
	if (r->status >= 500 && r->status != 503)
		log_warn("req %" PRIu64 " %s %d %.1fms", t->req.id, route, r->status, us / 1000.0);
	else
		log_debug("req %" PRIu64 " %s %d %.1fms", t->req.id, route, r->status, us / 1000.0);
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
	api_error(&t->resp, status, code, msg, NULL);
	return respond(wsi, t);
}

/* --- idempotency ------------------------------------------------------------ */

/* 1 and t->resp filled when an earlier answer exists for the key; 0 when
 * the request must run. */
static int idem_lookup(struct gw *gw, struct http_txn *t)
{
	struct store_stmt *s = store_prepare(gw->st,
		"SELECT route, status, body FROM idempotency "
		"WHERE user_id = ? AND key = ? AND created_at > ?");
	store_bind_int(s, 1, t->req.who.uid);
	store_bind_text(s, 2, t->idempotency_key);
	store_bind_int(s, 3, util_now_ms() - IDEM_TTL_MS);
	int found = 0;
	if (store_step(s) == STORE_ROW) {
		found = 1;
		const char *route = store_col_text(s, 0);
		char target[512];
		api_idem_target(&t->req, target, sizeof target);
		if (strcmp(route, target)) {
			api_error(&t->resp, 409, "conflict",
				  "this Idempotency-Key was used for another request", NULL);
		} else if ((int)store_col_int(s, 1) < 0) {
			/* Applied, but the process died before recording the answer. */
			api_error(&t->resp, 409, "conflict",
				  "this request was already applied; fetch the current state", NULL);
		} else {
			t->resp.status = (int)store_col_int(s, 1);
			t->resp.body = xstrdup(store_col_text(s, 2));
			t->resp.len = strlen(t->resp.body);
			t->replayed = 1;
		}
	}
	store_done(s);
	return found;
}

static void idem_store(struct gw *gw, struct http_txn *t)
{
	int st = t->resp.status;
	/* Transient answers are not the "first response": a retry may succeed. */
	if (st >= 500 || st == 429 || t->replayed)
		return;
	char target[512];
	api_idem_target(&t->req, target, sizeof target);
	/* Fills the mark api_commit left, or records an answer that changed
	 * nothing (4xx). */
	struct store_stmt *s = store_prepare(gw->st,
		"INSERT INTO idempotency (user_id, key, route, status, body, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, key) DO UPDATE "
		"SET status = ?4, body = ?5 WHERE idempotency.status = -1");
	store_bind_int(s, 1, t->req.who.uid);
	store_bind_text(s, 2, t->idempotency_key);
	store_bind_text(s, 3, target);
	store_bind_int(s, 4, st);
	store_bind_textn(s, 5, t->resp.body ? t->resp.body : "", t->resp.len);
	store_bind_int(s, 6, util_now_ms());
	if (store_step(s) != STORE_DONE)
		log_warn("req %" PRIu64 ": idempotency record not stored", t->req.id);
	store_done(s);
}

static int idem_applies(const struct http_txn *t)
{
	return t->req.method == HTTP_POST && t->idempotency_key && t->req.who.uid;
}

/* --- dispatch ---------------------------------------------------------------- */

/* Committed events wait in one process-wide FIFO (so every channel's
 * events keep their order) and go to the bus a slice at a time: a request
 * that notified thousands must not hold the loop for all of them in one
 * turn. The rest continues on the next turns (an idle handle). */
#define PUBLISH_SLICE_US 4000

static void publish_drain(struct gw *gw, int64_t budget_us)
{
	int64_t until = util_mono_us() + budget_us;
	unsigned n = 0;
	while (gw->pubq) {
		struct api_event *e = gw->pubq;
		gw->pubq = e->next;
		e->next = NULL;
		struct frame *f = frame_event(&e->ev);
		bus_publish(gw->bus, e->ev.ch, e->ev.seq, f);
		frame_unref(f);
		api_events_free(e);
		if ((++n & 31) == 0 && budget_us && util_mono_us() > until)
			break;
	}
	if (!gw->pubq)
		gw->pubq_tail = NULL;
	if (gw->pubq && !uv_is_active((uv_handle_t *)&gw->pub_idle))
		uv_idle_start(&gw->pub_idle, (uv_idle_cb)http_publish_more);
	else if (!gw->pubq && uv_is_active((uv_handle_t *)&gw->pub_idle))
		uv_idle_stop(&gw->pub_idle);
}

void http_publish_more(uv_idle_t *idle)
{
	publish_drain(idle->data, PUBLISH_SLICE_US);
}

/* Queues what req committed for publication; drops what it left
 * uncommitted. */
static void publish_events(struct gw *gw, struct req *req)
{
	api_events_free(req->pending);
	req->pending = NULL;
	metrics.push_outbox_added += (uint64_t)req->push_queued;
	req->push_queued = 0;
	if (!req->committed)
		return;
	struct api_event *last = NULL;
	for (struct api_event *e = req->committed; e; e = e->next) {
		metrics.events_stored++;
		last = e;
	}
	if (gw->pubq_tail)
		gw->pubq_tail->next = req->committed;
	else
		gw->pubq = req->committed;
	gw->pubq_tail = last;
	req->committed = NULL;
	publish_drain(gw, gw->shutting_down ? 0 : PUBLISH_SLICE_US);
}

void http_shutdown(struct gw *gw)
{
	publish_drain(gw, 0); /* committed events still go out */
	uv_close((uv_handle_t *)&gw->pub_idle, NULL);
}

void http_run_ticks(struct gw *gw)
{
	if (gw->writes_paused)
		return; /* the writer connection is busy; next second */
	for (size_t i = 0; i < handler_ticks_count; i++) {
		struct req req = { .id = ++gw->next_req_id, .st = gw->st, .cfg = gw->cfg,
				   .query = "", .body = "", .peer = "" };
		handler_ticks[i](&req);
		if (store_in_txn(gw->st)) {
			log_error("tick %zu left a transaction open; rolled back", i);
			api_rollback(&req);
		}
		publish_events(gw, &req);
	}
}

/* After the handler (or its deferred part): publish what committed, record
 * the answer for its Idempotency-Key, close revoked sessions' sockets. */
static void finish(struct gw *gw, struct http_txn *t)
{
	struct req *req = &t->req;
	if (store_in_txn(gw->st)) {
		log_error("req %" PRIu64 ": %s left a transaction open; rolled back",
			  req->id, t->route_name);
		api_rollback(req);
	}
	publish_events(gw, req);
	if (req->revoked_sid)
		ws_close_session(gw, req->revoked_sid);
	if (!t->resp.status)
		api_error(&t->resp, 500, "internal", "handler gave no answer", NULL);
	if (idem_applies(t))
		idem_store(gw, t);
}

/* Authenticates from the Authorization header into t->req.who. */
static void authenticate(struct gw *gw, struct http_txn *t)
{
	struct req *req = &t->req;
	if (!t->authorization)
		return;
	struct token_claims cl;
	if (strncmp(t->authorization, "Bearer ", 7)) {
		req->auth_error = -EINVAL;
		return;
	}
	req->auth_error = token_verify(gw->secret, t->authorization + 7,
				       util_now_ms() / 1000, &cl);
	if (!req->auth_error &&
	    access_load_principal(gw->st, cl.uid, cl.sid, &req->who))
		req->auth_error = -EINVAL;
}

/* Per-user and per-address limits on writes. Admins (operators) are exempt.
 * 0, or a 429 already set in t->resp. */
static int limit_writes(struct gw *gw, struct http_txn *t)
{
	struct req *req = &t->req;
	if (req->method == HTTP_GET || req->method == HTTP_OPTIONS || req->who.is_admin)
		return 0;
	char key[96];
	if (req->who.uid) {
		snprintf(key, sizeof key, "%" PRId64, req->who.uid);
		if (api_rate_limit(req, &t->resp, "writes-user", key,
				   gw->cfg->rate_writes_per_user, 60))
			return -EAGAIN;
	}
	return api_rate_limit(req, &t->resp, "writes-ip", t->peer,
			      gw->cfg->rate_writes_per_ip, 60);
}

static void park(struct gw *gw, struct http_txn *t, int kind);
static int run_handler(struct gw *gw, struct http_txn *t);

static int dispatch(struct gw *gw, struct lws *wsi, struct http_txn *t)
{
	struct req *req = &t->req;
	req->path = t->path;
	req->query = t->query ? t->query : "";
	req->body = t->body.p ? t->body.p : "";
	req->body_len = t->body.len;
	req->idempotency_key = t->idempotency_key;
	req->peer = t->peer;
	req->st = gw->st;
	req->cfg = gw->cfg;
	req->server = t;

	if (req->method == HTTP_OPTIONS) {
		/* CORS preflight; an origin not on the list gets no CORS
		 * headers, so the browser refuses the real request. */
		t->route_name = "OPTIONS";
		t->resp.status = 204;
		return respond(wsi, t);
	}
	if (t->idem_too_long)
		return respond_error(wsi, t, 400, "bad_request",
				     "Idempotency-Key is longer than 255 bytes");
	int status = 404;
	const struct route *rt = router_match(routes, nroutes, req->method, t->path,
					      req, &status);
	if (!rt && req->method == HTTP_GET && static_serve(gw->cfg, t->path, &t->resp)) {
		t->route_name = "GET static";
		return respond(wsi, t);
	}
	if (!rt) {
		t->route_name = "unmatched";
		if (status == 405)
			return respond_error(wsi, t, 405, "method_not_allowed",
					     "this path does not accept that method");
		return respond_error(wsi, t, 404, "not_found", "no such endpoint");
	}
	t->route_name = rt->name;
	t->rt = rt;
	req->route = rt->pattern;
	authenticate(gw, t);
	if (limit_writes(gw, t))
		return respond(wsi, t);
	if (gw->writes_paused && req->method != HTTP_GET) {
		park(gw, t, PARK_HANDLER); /* resumed by run_parked */
		return 0;
	}
	if (run_handler(gw, t))
		return 0; /* answered when its work is done */
	return respond(wsi, t);
}

/* --- deferred work ------------------------------------------------------------ */

/* Answers t from outside its connection's callbacks (after deferred work):
 * on writable. A client that left only gets its transaction freed. */
static void answer_later(struct http_txn *t)
{
	if (!t->wsi) {
		txn_free(t); /* the client left; the work's effects stand */
		return;
	}
	t->ready = 1;
	lws_callback_on_writable(t->wsi);
}

/* While the writer connection runs an offloaded transaction, every other
 * write of this process waits here, in arrival order: SQLite allows one
 * writer, and the loop must never block on the lock. */
static void park(struct gw *gw, struct http_txn *t, int kind)
{
	t->deferred = 1; /* a close now only clears t->wsi */
	t->parked = kind;
	metrics.writes_parked++;
	t->parked_next = NULL;
	if (gw->parked_tail)
		gw->parked_tail->parked_next = t;
	else
		gw->parked = t;
	gw->parked_tail = t;
}

static void run_parked(struct gw *gw)
{
	while (gw->parked && !gw->writes_paused) {
		struct http_txn *t = gw->parked;
		gw->parked = t->parked_next;
		if (!gw->parked)
			gw->parked_tail = NULL;
		t->deferred = 0;
		if (t->parked == PARK_DONE) {
			t->done_cb(&t->req, &t->resp, t->work_data);
			finish(gw, t);
		} else if (!t->wsi) {
			txn_free(t); /* left before its turn: nothing was done */
			continue;
		} else if (run_handler(gw, t)) {
			continue; /* deferred or offloaded again */
		}
		answer_later(t);
	}
}

/* The Idempotency-Key lookup, the handler and the publication of what it
 * committed. 1 when the handler deferred its answer. */
static int run_handler(struct gw *gw, struct http_txn *t)
{
	if (idem_applies(t) && idem_lookup(gw, t))
		return 0;
	t->rt->handler(&t->req, &t->resp);
	if (t->deferred)
		return 1;
	finish(gw, t);
	return 0;
}

static void work_cb(uv_work_t *w)
{
	struct http_txn *t = w->data;
	t->work_cb(t->work_data);
}

static void after_work_cb(uv_work_t *w, int status)
{
	struct http_txn *t = w->data;
	struct gw *gw = the_gw;
	(void)status;
	gw->work_pending--;
	if (gw->writes_paused) {
		park(gw, t, PARK_DONE); /* done may write */
		return;
	}
	t->deferred = 0;
	t->done_cb(&t->req, &t->resp, t->work_data);
	finish(gw, t);
	answer_later(t);
}

static void offload_work_cb(uv_work_t *w)
{
	struct http_txn *t = w->data;
	struct req *req = &t->req;
	struct store *loop_st = req->st;
	req->st = the_gw->st_writer;
	req->offloaded = 1;
	/* Lower this thread's priority while it writes: on a busy machine the
	 * loop (and its sockets) must win the CPU. Linux nice is per thread. */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int prio = getpriority(PRIO_PROCESS, (id_t)tid);
	setpriority(PRIO_PROCESS, (id_t)tid, prio + 10);
	t->txn_cb(req, &t->resp, t->work_data);
	if (store_in_txn(req->st)) {
		log_error("req %" PRIu64 ": %s left a transaction open; rolled back",
			  req->id, t->route_name);
		api_rollback(req);
	}
	setpriority(PRIO_PROCESS, (id_t)tid, prio);
	req->offloaded = 0;
	req->st = loop_st;
}

static void offload_after_cb(uv_work_t *w, int status)
{
	struct http_txn *t = w->data;
	struct gw *gw = the_gw;
	(void)status;
	gw->work_pending--;
	gw->writes_paused = 0;
	t->deferred = 0;
	finish(gw, t);
	answer_later(t);
	run_parked(gw);
}

int api_offload(struct req *req, api_txn_cb txn, void *data)
{
	struct http_txn *t = req->server;
	struct gw *gw = the_gw;
	if (gw->writes_paused || !gw->st_writer)
		return -EBUSY; /* cannot happen for a handler: writes wait */
	t->txn_cb = txn;
	t->work_data = data;
	t->work.data = t;
	if (uv_queue_work(gw->loop, &t->work, offload_work_cb, offload_after_cb))
		return -EIO;
	t->deferred = 1;
	gw->work_pending++;
	gw->writes_paused = 1;
	metrics.offloaded++;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int api_user_live(const struct req *req, int64_t uid)
{
	if (req->offloaded) /* on the writer thread: the snapshot the handler took */
		return req->nlive && bsearch(&uid, req->live, req->nlive, sizeof *req->live, cmp_i64);
	char ch[40];
	snprintf(ch, sizeof ch, "user:%" PRId64, uid);
	return hub_has_subscribers(the_gw->hub, ch);
}

struct live_ids { int64_t *ids; size_t n, cap; };

static void collect_user(const char *ch, void *data)
{
	struct live_ids *l = data;
	int64_t uid;
	if (strncmp(ch, "user:", 5) || util_parse_i64(ch + 5, &uid))
		return;
	if (l->n == l->cap)
		l->ids = xrealloc(l->ids, (l->cap = l->cap ? l->cap * 2 : 256) * sizeof *l->ids);
	l->ids[l->n++] = uid;
}

void api_snapshot_live(struct req *req)
{
	struct live_ids l = { 0 };
	hub_each_channel(the_gw->hub, collect_user, &l);
	if (l.n)
		qsort(l.ids, l.n, sizeof *l.ids, cmp_i64);
	free(req->live);
	req->live = l.ids;
	req->nlive = l.n;
}

int api_defer(struct req *req, api_work_cb work, api_done_cb done, void *data)
{
	struct http_txn *t = req->server;
	struct gw *gw = the_gw;
	if (gw->work_pending >= gw->cfg->work_max_queue)
		return -EBUSY;
	t->work_cb = work;
	t->done_cb = done;
	t->work_data = data;
	t->work.data = t;
	if (uv_queue_work(gw->loop, &t->work, work_cb, after_work_cb))
		return -EIO;
	t->deferred = 1;
	gw->work_pending++;
	return 0;
}

int api_rate_limit(struct req *req, struct resp *resp, const char *bucket,
		   const char *key, int64_t limit, int64_t window_s)
{
	char k[160];
	snprintf(k, sizeof k, "%s:%s", bucket, key);
	int wait = ratelimit_hit(&the_gw->limits, k, limit, window_s * 1000, util_now_ms());
	if (!wait)
		return 0;
	(void)req;
	api_error(resp, 429, "rate_limited", "too many requests; retry later", NULL);
	resp->retry_after = wait;
	return -EAGAIN;
}

int64_t api_sign_access(const struct req *req, int64_t uid, int64_t sid,
			char out[TOKEN_MAX])
{
	struct token_claims c = { .uid = uid, .sid = sid,
				  .exp = util_now_ms() / 1000 + req->cfg->token_ttl_s };
	token_sign(the_gw->secret, &c, out);
	return c.exp;
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
		t->req.id = ++gw->next_req_id;
		t->start_us = util_mono_us();
		t->req.method = method_of(wsi);
		t->path = xstrdup(in ? (const char *)in : "/");
		t->query = query_dup(wsi);
		t->authorization = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, TOKEN_MAX + 16);
		t->idempotency_key = custom_hdr_dup(wsi, "idempotency-key:", IDEM_KEY_MAX);
		t->idem_too_long = !t->idempotency_key &&
			lws_hdr_custom_length(wsi, "idempotency-key:", 16) > IDEM_KEY_MAX;
		t->origin = hdr_dup(wsi, WSI_TOKEN_ORIGIN, 512);
		char host[256];
		int hl = lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
		t->cors = t->origin && http_origin_allowed(gw, t->origin, hl > 0 ? host : NULL);
		lws_get_peer_simple(wsi, t->peer, sizeof t->peer);
		t->content_length = -1;
		char cl[24];
		if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
		    util_parse_i64(cl, &t->content_length))
			t->content_length = -1;
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
		if (t->content_length > gw->cfg->http_max_body) {
			t->close_after = 1;
			return respond_error(wsi, t, 413, "payload_too_large",
					     "request body exceeds http_max_body");
		}
		if (t->content_length > 0)
			return 0; /* wait for HTTP_BODY ... HTTP_BODY_COMPLETION */
		return dispatch(gw, wsi, t);
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!t)
			return 0;
		if (t->body.len + len > (size_t)gw->cfg->http_max_body) {
			t->too_big = 1;
			return 0;
		}
		buf_append(&t->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!t || t->deferred)
			return 0;
		if (t->too_big) {
			t->close_after = 1;
			return respond_error(wsi, t, 413, "payload_too_large",
					     "request body exceeds http_max_body");
		}
		return dispatch(gw, wsi, t);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!t || !t->ready)
			return 0;
		return respond(wsi, t);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss && pss->txn) {
			if (pss->txn->deferred)
				pss->txn->wsi = NULL; /* after_work_cb frees it */
			else
				txn_free(pss->txn);
			pss->txn = NULL;
		}
		return 0;
	default:
		return 0;
	}
}
