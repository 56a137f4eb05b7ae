#include "http.h"
#include "api.h"
#include "bus.h"
#include "frame.h"
#include "metrics.h"
#include "router.h"
#include "server.h"
#include "token.h"
#include "util.h"
#include "ws.h"
#include "../handlers/access.h"
#include "../handlers/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>

/* One HTTP request in flight on a connection. */
struct http_txn {
	enum http_method method;
	char *path;                /* decoded path */
	char *query;               /* "a=1&b=2" or "" */
	char *authorization;       /* header value or NULL */
	char *idempotency_key;     /* header value or NULL */
	int64_t content_length;    /* -1 when absent */
	struct buf body;           /* collected body */
	int too_big;               /* body passed http_max_body */
	struct resp resp;          /* the answer, once computed */
	int close_after;           /* close the connection after answering */
	uint64_t id;               /* request id */
	int64_t start_us;          /* for the latency histogram */
	const char *route_name;    /* for metrics */
};

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
	free(t->path);
	free(t->query);
	free(t->authorization);
	free(t->idempotency_key);
	buf_free(&t->body);
	free(t->resp.body);
	free(t);
}

static int write_response(struct gw *gw, struct lws *wsi, struct http_txn *t);

/* Connections answered in the current or previous loop phase. lws gives
 * every transaction a fresh pss, so this lives outside it. */
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

static int respond(struct lws *wsi, struct http_txn *t)
{
	struct ws_pss *pss = lws_wsi_user(wsi);
	int close = t->close_after;
	int rc = write_response(the_gw, wsi, t);
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

static void publish_committed(struct gw *gw, struct req *req)
{
	for (struct api_event *e = req->committed; e; e = e->next) {
		struct frame *f = frame_event(&e->ev);
		bus_publish(gw->bus, e->ev.ch, e->ev.seq, f);
		frame_unref(f);
	}
}

static int dispatch(struct gw *gw, struct lws *wsi, struct http_txn *t)
{
	struct req req = {
		.id = t->id,
		.method = t->method,
		.path = t->path,
		.query = t->query ? t->query : "",
		.body = t->body.p ? t->body.p : "",
		.body_len = t->body.len,
		.idempotency_key = t->idempotency_key,
		.st = gw->st,
		.cfg = gw->cfg,
	};
	int status = 404;
	const struct route *rt = router_match(routes, nroutes, t->method, t->path,
					      &req, &status);
	if (!rt) {
		t->route_name = "unmatched";
		if (status == 405)
			return respond_error(wsi, t, 405, "method_not_allowed",
					     "this path does not accept that method");
		return respond_error(wsi, t, 404, "not_found", "no such endpoint");
	}
	t->route_name = rt->name;
	req.route = rt->pattern;
	if (t->authorization) {
		struct token_claims cl;
		if (strncmp(t->authorization, "Bearer ", 7)) {
			req.auth_error = -EINVAL;
		} else {
			req.auth_error = token_verify(gw->secret, t->authorization + 7,
						      util_now_ms() / 1000, &cl);
			if (!req.auth_error &&
			    access_load_principal(gw->st, cl.uid, cl.sid, &req.who))
				req.auth_error = -EINVAL;
		}
	}
	rt->handler(&req, &t->resp);
	if (!sqlite3_get_autocommit(store_db(gw->st))) {
		log_error("req %" PRIu64 ": %s left a transaction open; rolled back",
			  t->id, rt->name);
		api_rollback(&req);
	}
	api_events_free(req.pending);
	publish_committed(gw, &req);
	api_events_free(req.committed);
	router_params_free(&req);
	if (!t->resp.status)
		api_error(&t->resp, 500, "internal", "handler gave no answer", NULL);
	return respond(wsi, t);
}

static int write_response(struct gw *gw, struct lws *wsi, struct http_txn *t)
{
	unsigned char hbuf[LWS_PRE + 1024];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	struct resp *r = &t->resp;
	const char *ctype = r->content_type ? r->content_type : "application/json";
	if (lws_add_http_common_headers(wsi, (unsigned int)r->status, ctype, r->len, &p, end))
		return -1;
	char v[32];
	int n = snprintf(v, sizeof v, "%" PRIu64, t->id);
	if (lws_add_http_header_by_name(wsi, (unsigned char *)"x-request-id:",
					(unsigned char *)v, n, &p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, (unsigned char *)"cache-control:",
					(unsigned char *)"no-store", 8, &p, end))
		return -1;
	if (r->retry_after > 0) {
		n = snprintf(v, sizeof v, "%d", r->retry_after);
		if (lws_add_http_header_by_name(wsi, (unsigned char *)"retry-after:",
						(unsigned char *)v, n, &p, end))
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
		n = lws_write(wsi, body + LWS_PRE, r->len, LWS_WRITE_HTTP_FINAL);
		free(body);
		if (n < 0)
			return -1;
	}
	int64_t us = util_mono_us() - t->start_us;
	metrics_http(t->route_name ? t->route_name : "unmatched", r->status, us);
	if (r->status >= 500)
		log_warn("req %" PRIu64 " %s %d %.1fms", t->id, t->path, r->status, us / 1000.0);
	else
		log_debug("req %" PRIu64 " %s %d %.1fms", t->id, t->path, r->status, us / 1000.0);
	(void)gw;
	return 0;
}

int http_callback(struct gw *gw, struct lws *wsi, int reason, void *user,
		  void *in, size_t len)
{
	struct ws_pss *pss = user;
	struct http_txn *t = pss ? pss->txn : NULL;
	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		txn_free(t);
		t = pss->txn = xcalloc(1, sizeof *t);
		t->id = ++gw->next_req_id;
		t->start_us = util_mono_us();
		t->method = method_of(wsi);
		t->path = xstrdup(in ? (const char *)in : "/");
		t->query = hdr_dup(wsi, WSI_TOKEN_HTTP_URI_ARGS, 4096);
		t->authorization = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, TOKEN_MAX + 16);
		t->idempotency_key = custom_hdr_dup(wsi, "idempotency-key:", 256);
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
			/* A request with a body that arrived in the same read as
			 * the previous one (pipelined): lws 4.1 spins forever on
			 * such a body once it has been buffered. Answer it, and
			 * close the connection instead of reading on. Browsers
			 * and mobile HTTP stacks do not pipeline. */
			t->close_after = 1;
			return respond_error(wsi, t, 400, "bad_request",
					     "pipelined requests with a body are not supported; "
					     "wait for each answer");
		}
		if (t->content_length > gw->cfg->http_max_body) {
			t->close_after = 1;
			t->route_name = "unmatched";
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
		if (!t)
			return 0;
		if (t->too_big) {
			t->close_after = 1;
			return respond_error(wsi, t, 413, "payload_too_large",
					     "request body exceeds http_max_body");
		}
		return dispatch(gw, wsi, t);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss) {
			txn_free(pss->txn);
			pss->txn = NULL;
		}
		return 0;
	default:
		return 0;
	}
}
