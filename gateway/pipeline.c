#include "pipeline.h"
#include "accesslog.h"
#include "bus.h"
#include "content.h"
#include "frame.h"
#include "map.h"
#include "metrics.h"
#include "ratelimit.h"
#include "router.h"
#include "region.h"
#include "server.h"
#include "sms.h"
#include "static.h"
#include "token.h"
#include "util.h"
#include "ws.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define IDEM_TTL_MS (24LL * 3600 * 1000)   /* the contract's 24 h */

/* A worker step's kind (pipeline_req.stage). */
enum { STAGE_HANDLER, STAGE_DEFERRED_DONE, STAGE_RERUN };

static struct gw *the_gw; /* for the api_* calls handlers make, on any thread */

/* Who is live here (api_user_live), written by the loop and read by
 * workers: channel names "user:{uid}" with local subscribers. */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static struct map live;

/* Password hashes queued or running on the thread pool (work_max_queue);
 * api_defer counts them from workers. */
static atomic_int work_pending;
/* api_offload calls, counted on workers (metrics.offloaded at render). */
static atomic_ulong offloaded;

/* --- the gateway's own routes (answered on the loop, no database) ---------- */

static void route_healthz(struct req *req, struct resp *r)
{
	(void)req;
	api_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void route_readyz(struct req *req, struct resp *r)
{
	(void)req;
	char why[200] = "", dbwhy[128] = "";
	int store_ok = dbpool_ready(the_gw->pool, dbwhy, sizeof dbwhy) == 0;
	int bus_ok = bus_ready(the_gw->bus, why, sizeof why) == 0;
	json_t *j = json_pack("{s:s, s:s}", "status", store_ok && bus_ok ? "ok" : "unavailable",
			      "store", store_ok ? "ok" : dbwhy);
	if (the_gw->cfg->redis_url[0])
		json_object_set_new(j, "redis", json_string(bus_ok ? "ok" : why));
	if (the_gw->shutting_down)
		json_object_set_new(j, "status", json_string("shutting down"));
	api_json(r, store_ok && bus_ok && !the_gw->shutting_down ? 200 : 503, j);
}

static void route_metrics(struct req *req, struct resp *r)
{
	(void)req;
	int busy, waiting, workers;
	dbpool_stats(the_gw->pool, &busy, &waiting, &workers);
	metrics.db_busy = busy;
	metrics.db_waiting = waiting;
	metrics.db_workers = workers;
	char why[64];
	metrics.db_up = dbpool_ready(the_gw->pool, why, sizeof why) == 0;
	metrics.offloaded = atomic_load(&offloaded);
	struct buf b = { 0 };
	metrics_render(&b);
	free(r->body);
	r->status = 200;
	r->body = b.p;
	r->len = b.len;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static const struct route gateway_routes[] = {
	{ HTTP_GET, "/healthz", route_healthz, "GET /healthz", 0 },
	{ HTTP_GET, "/readyz", route_readyz, "GET /readyz", 0 },
	{ HTTP_GET, "/metrics", route_metrics, "GET /metrics", 0 },
};
#define NGATEWAY (sizeof gateway_routes / sizeof gateway_routes[0])

static struct route *routes;
static size_t nroutes;

static int is_gateway_route(const struct route *rt)
{
	return rt >= routes && rt < routes + NGATEWAY;
}

/* --- publishing ---------------------------------------------------------------- */

/* Committed events wait in one process-wide FIFO (so every channel's
 * events keep their order) and go to the bus a slice at a time: a request
 * that notified thousands must not hold the loop for all of them in one
 * turn. The rest continues on the next turns (an idle handle). */
#define PUBLISH_SLICE_US 4000

static void publish_more(uv_idle_t *idle);

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
		uv_idle_start(&gw->pub_idle, publish_more);
	else if (!gw->pubq && uv_is_active((uv_handle_t *)&gw->pub_idle))
		uv_idle_stop(&gw->pub_idle);
}

static void publish_more(uv_idle_t *idle)
{
	publish_drain(idle->data, PUBLISH_SLICE_US);
}

/* Queues what req committed for publication; drops what it left
 * uncommitted. */
static void publish(struct gw *gw, struct req *req)
{
	api_events_free(req->pending);
	req->pending = req->pending_last = NULL;
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

void pipeline_init(struct gw *gw)
{
	the_gw = gw;
	map_init(&live);
	uv_idle_init(gw->loop, &gw->pub_idle);
	gw->pub_idle.data = gw;
	const struct api_domain *d = gw->domain;
	nroutes = NGATEWAY + d->nroutes;
	routes = xmalloc(nroutes * sizeof *routes);
	memcpy(routes, gateway_routes, sizeof gateway_routes);
	memcpy(routes + NGATEWAY, d->routes, d->nroutes * sizeof *routes);
}

void pipeline_shutdown(struct gw *gw)
{
	publish_drain(gw, 0); /* committed events still go out */
	uv_close((uv_handle_t *)&gw->pub_idle, NULL);
	free(routes);
	routes = NULL;
	pthread_mutex_lock(&live_mu);
	map_free(&live);
	pthread_mutex_unlock(&live_mu);
}

/* --- on a worker: who, limits, idempotency, the handler ------------------------------ */

/* --- idempotency: claimed in the handler's transaction, answered from here --- */

static int idem_applies(const struct req *req)
{
	return req->method == HTTP_POST && req->idempotency_key && req->who.uid;
}

/* "POST /v1/.../{id} /v1/.../7": what an Idempotency-Key is bound to. */
static void idem_target(const struct req *req, char *out, size_t cap)
{
	snprintf(out, cap, "%s %s", req->route ? req->route : "", req->path ? req->path : "");
}

/* A POST with an Idempotency-Key claims its key as the first write of the
 * handler's transaction (status -1: applied, answer pending). A second
 * request with the same key, on any worker or gateway, waits there for the
 * first to commit and then finds the key taken; run_step answers it with
 * the first's answer. A crash between commit and the answer being recorded
 * leaves the mark, so a retry can never apply the change twice. 1 claimed
 * (or no key), 0 taken, negative on error. */
static int idem_claim(struct req *req)
{
	if (!idem_applies(req))
		return 1;
	char target[512];
	idem_target(req, target, sizeof target);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO idempotency (user_id, key, route, status, body, created_at) "
		"VALUES (?, ?, ?, -1, '', ?) ON CONFLICT (user_id, key) DO NOTHING");
	store_bind_int(s, 1, req->who.uid);
	store_bind_text(s, 2, req->idempotency_key);
	store_bind_text(s, 3, target);
	store_bind_int(s, 4, util_now_ms());
	int64_t n = store_run(s);
	return n < 0 ? (int)n : n == 1;
}

int api_begin(struct req *req, struct resp *resp)
{
	int rc = store_begin(req->st);
	if (rc == 0) {
		rc = idem_claim(req);
		if (rc == 1 && accesslog_begin(req) == 0)
			return 0;
		if (rc == 1)
			rc = -EIO; /* its access-log row could not be written */
		store_rollback(req->st);
		if (rc == 0) {
			req->idem_taken = 1; /* run_step answers with the first's answer */
			api_error(resp, 409, "conflict",
				  "this request was already applied; fetch the current state", NULL);
			return -EALREADY;
		}
	}
	api_error(resp, 503, "unavailable", "database busy; retry", NULL);
	resp->retry_after = 1;
	return -EBUSY;
}

/* 1 and pr->resp filled when an earlier answer exists for the key; 0 when
 * the request must run. */
static int idem_lookup(struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT route, status, body FROM idempotency "
		"WHERE user_id = ? AND key = ? AND created_at > ?");
	store_bind_int(s, 1, req->who.uid);
	store_bind_text(s, 2, req->idempotency_key);
	store_bind_int(s, 3, util_now_ms() - IDEM_TTL_MS);
	int found = 0;
	if (store_step(s) == STORE_ROW) {
		found = 1;
		char target[512];
		idem_target(req, target, sizeof target);
		if (strcmp(store_col_text(s, 0), target)) {
			api_error(&pr->resp, 409, "conflict",
				  "this Idempotency-Key was used for another request", NULL);
		} else if (store_col_int(s, 1) < 0) {
			/* Applied, but the process died before recording the answer. */
			api_error(&pr->resp, 409, "conflict",
				  "this request was already applied; fetch the current state", NULL);
		} else {
			pr->resp.status = (int)store_col_int(s, 1);
			pr->resp.body = xstrdup(store_col_text(s, 2));
			pr->resp.len = strlen(pr->resp.body);
			pr->replayed = 1;
		}
	}
	store_done(s);
	return found;
}

/* Records the first answer for the key: fills the mark api_commit left in
 * the handler's transaction, or records an answer that changed nothing
 * (4xx). Transient answers are not the "first response": a retry may
 * succeed. */
static void idem_store(struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	int st = pr->resp.status;
	if (st >= 500 || st == 429 || pr->replayed)
		return;
	char target[512];
	idem_target(req, target, sizeof target);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO idempotency (user_id, key, route, status, body, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, key) DO UPDATE "
		"SET status = ?4, body = ?5 WHERE idempotency.status = -1");
	store_bind_int(s, 1, req->who.uid);
	store_bind_text(s, 2, req->idempotency_key);
	store_bind_text(s, 3, target);
	store_bind_int(s, 4, st);
	store_bind_textn(s, 5, pr->resp.body ? pr->resp.body : "", pr->resp.len);
	store_bind_int(s, 6, util_now_ms());
	if (store_run(s) < 0)
		log_warn("req %" PRIu64 ": idempotency record not stored", req->id);
}

static void unavailable(struct resp *resp, const char *why)
{
	api_error(resp, 503, "unavailable", why, NULL);
	resp->retry_after = 1;
}

/* Who is calling, from the claims the loop verified: 0 to go on, or the
 * answer is set. An unknown user or ended session is anonymous (the
 * handler answers 401 where it needs someone). */
static int load_caller(struct gw *gw, struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	if (!req->who.uid)
		return 0;
	int64_t uid = req->who.uid, sid = req->who.sid;
	memset(&req->who, 0, sizeof req->who);
	int rc = gw->domain->load_principal(req->st, uid, sid, &req->who);
	if (rc == -ENOENT || rc == -EKEYREVOKED) {
		req->auth_error = -EINVAL;
		memset(&req->who, 0, sizeof req->who);
		return 0;
	}
	if (rc) {
		unavailable(&pr->resp, "database unavailable; retry");
		return -EIO;
	}
	return 0;
}

/* Per-user and per-address limits on writes. Admins (operators) are exempt.
 * 0, or a 429 already set. */
static int limit_writes(struct gw *gw, struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	if (req->method == HTTP_GET || req->method == HTTP_OPTIONS || req->who.is_admin)
		return 0;
	char key[96];
	if (req->who.uid) {
		snprintf(key, sizeof key, "%" PRId64, req->who.uid);
		if (api_rate_limit(req, &pr->resp, "writes-user", key,
				   gw->cfg->rate_writes_per_user, 60))
			return -EAGAIN;
	}
	return api_rate_limit(req, &pr->resp, "writes-ip", req->peer,
			      gw->cfg->rate_writes_per_ip, 60);
}

/* The domain's say on writes: 0 to go on, or the answer is set. */
static int admit(struct gw *gw, struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	if (req->method == HTTP_GET || req->method == HTTP_OPTIONS || !gw->domain->admit)
		return 0;
	return gw->domain->admit(req, &pr->resp);
}

static void run_step(struct dbpool_job *job, struct store *st)
{
	struct pipeline_req *pr = job->data;
	struct req *req = &pr->req;
	struct gw *gw = the_gw;
	req->st = st;
	req->limits_seen = 0; /* this run's api_rate_limit calls, in order */
	if (pr->stage == STAGE_DEFERRED_DONE) {
		pr->deferred = 0;
		pr->done_cb(req, &pr->resp, pr->work_data);
	} else if (load_caller(gw, pr) == 0 && admit(gw, pr) == 0 && limit_writes(gw, pr) == 0 &&
		   !(idem_applies(req) && idem_lookup(pr))) {
		pr->rt->handler(req, &pr->resp);
		/* Texts to check and no answer yet: the handler runs again once
		 * the content check has judged them. */
		pr->checking = !pr->resp.status && api_content_waiting(req);
	}
	if (store_in_txn(st)) {
		log_error("req %" PRIu64 ": %s left a transaction open; rolled back",
			  req->id, pr->route_name);
		api_rollback(req);
	}
	if (!pr->deferred && !pr->checking) {
		if (req->idem_taken) {
			/* Another request with the key committed first: its answer. */
			struct resp mine = pr->resp;
			memset(&pr->resp, 0, sizeof pr->resp);
			if (idem_lookup(pr))
				free(mine.body);
			else
				pr->resp = mine;
		}
		if (!pr->resp.status)
			api_error(&pr->resp, 500, "internal", "handler gave no answer", NULL);
		if (idem_applies(req))
			idem_store(pr);
		accesslog_end(req, pr->resp.status);
	}
	req->st = NULL;
}

/* --- back on the loop ------------------------------------------------------------------ */

static void step_done(struct dbpool_job *job);
static void check_texts(struct gw *gw, struct pipeline_req *pr);

static int submit_step(struct gw *gw, struct pipeline_req *pr, int stage)
{
	pr->stage = stage;
	pr->job = (struct dbpool_job){
		.run = run_step, .done = step_done, .data = pr,
		.lane = pr->req.method == HTTP_GET ? DBPOOL_READ : DBPOOL_WRITE,
		.expires = stage == STAGE_HANDLER, /* a second half must finish */
		.accepted = stage != STAGE_HANDLER,
	};
	return dbpool_submit(gw->pool, &pr->job);
}

static void hash_work(uv_work_t *w)
{
	struct pipeline_req *pr = w->data;
	pr->work_cb(pr->work_data);
}

static void hash_done(uv_work_t *w, int status)
{
	struct pipeline_req *pr = w->data;
	(void)status;
	atomic_fetch_sub(&work_pending, 1);
	submit_step(the_gw, pr, STAGE_DEFERRED_DONE); /* accepted: never refused */
}

/* --- the content check --------------------------------------------------------------------- */

static void rerun(struct pipeline_req *pr)
{
	pr->checking = 0;
	pr->req.rerun = 1;
	submit_step(the_gw, pr, STAGE_RERUN); /* accepted: never refused */
}

static void checked(struct api_check *c, void *data)
{
	struct pipeline_req *pr = data;
	(void)c;
	if (--pr->checks_out == 0)
		rerun(pr);
}

/* On the loop: every text the handler asked about goes to the checker at
 * once; the handler runs again when the last answer is in. */
static void check_texts(struct gw *gw, struct pipeline_req *pr)
{
	pr->checks_out = 1; /* held until every check is started */
	for (struct api_check *c = pr->req.checks; c; c = c->next) {
		if (c->verdict != API_WAIT)
			continue;
		pr->checks_out++;
		if (content_start(gw->httpc, gw->cfg, (int64_t)pr->req.id, c, checked, pr)) {
			c->verdict = content_fail_verdict(gw->cfg);
			snprintf(c->label, sizeof c->label, "content check unavailable");
			content_release();
			metrics.content_check_failures++;
			pr->checks_out--;
		}
	}
	if (--pr->checks_out == 0)
		rerun(pr);
}

/* The codes a request committed go to the SMS relay. */
static void send_codes(struct gw *gw, struct req *req)
{
	while (req->sms) {
		struct sms_msg *m = req->sms;
		req->sms = m->next;
		m->next = NULL;
		sms_send(gw->sms, m);
	}
}

static void step_done(struct dbpool_job *job)
{
	struct pipeline_req *pr = job->data;
	struct gw *gw = the_gw;
	struct req *req = &pr->req;
	if (job->expired) {
		unavailable(&pr->resp, "the database is slow to answer; retry");
		metrics.db_unavailable++;
	} else if (pr->checking) {
		check_texts(gw, pr);
		return; /* answered after the handler's next run */
	} else if (pr->deferred) {
		pr->work.data = pr;
		if (uv_queue_work(gw->loop, &pr->work, hash_work, hash_done)) {
			/* Cannot happen with valid arguments; never skip the work. */
			hash_work(&pr->work);
			hash_done(&pr->work, 0);
		}
		return; /* answered after its second half */
	} else if (job->store_failures && pr->resp.status != 503) {
		/* A statement failed under the handler for a reason outside the
		 * request (the database unreachable, a time-out): whatever it then
		 * decided, or failed with (a 500 for a commit that could not be
		 * made), is not its answer; the client retries. What it did commit
		 * stays committed, and is published. */
		free(pr->resp.body);
		memset(&pr->resp, 0, sizeof pr->resp);
		unavailable(&pr->resp, "database unavailable; retry");
		metrics.db_unavailable++;
	}
	publish(gw, req);
	send_codes(gw, req);
	if (req->revoked_sid)
		ws_close_session(gw, req->revoked_sid);
	pr->answer(pr);
}

/* --- the entry ------------------------------------------------------------------------------- */

/* Authenticates the bearer token: its signature and expiry (no database;
 * the caller's row is read on the worker). */
static void authenticate(struct gw *gw, struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	if (!pr->authorization)
		return;
	if (strncmp(pr->authorization, "Bearer ", 7)) {
		req->auth_error = -EINVAL;
		return;
	}
	struct token_claims cl;
	req->auth_error = token_verify(gw->secret, pr->authorization + 7,
				       util_now_ms() / 1000, &cl);
	if (!req->auth_error) {
		req->who.uid = cl.uid;
		req->who.sid = cl.sid;
	}
}

unsigned pipeline_route_flags(enum http_method method, const char *path)
{
	struct req scratch = { 0 };
	int status;
	const struct route *rt = router_match(routes, nroutes, method, path, &scratch, &status);
	unsigned flags = rt ? rt->flags : 0;
	router_params_free(&scratch);
	return flags;
}

int pipeline_run(struct gw *gw, struct pipeline_req *pr)
{
	struct req *req = &pr->req;
	req->cfg = gw->cfg;
	req->server = pr;
	if (req->method == HTTP_OPTIONS) {
		/* CORS preflight; an origin not on the list gets no CORS
		 * headers, so the browser refuses the real request. */
		pr->route_name = "OPTIONS";
		pr->resp.status = 204;
		return 1;
	}
	if (pr->idem_too_long) {
		pr->route_name = "unmatched";
		api_error(&pr->resp, 400, "bad_request", "Idempotency-Key is longer than 255 bytes", NULL);
		return 1;
	}
	int status = 404;
	const struct route *rt = router_match(routes, nroutes, req->method, req->path, req, &status);
	if (!rt && req->method == HTTP_GET && static_serve(gw->cfg, req->path, &pr->resp)) {
		pr->route_name = "GET static";
		return 1;
	}
	if (!rt) {
		pr->route_name = "unmatched";
		if (status == 405)
			api_error(&pr->resp, 405, "method_not_allowed",
				  "this path does not accept that method", NULL);
		else
			api_error(&pr->resp, 404, "not_found", "no such endpoint", NULL);
		return 1;
	}
	pr->route_name = rt->name;
	pr->rt = rt;
	req->route = rt->pattern;
	if (is_gateway_route(rt)) {
		rt->handler(req, &pr->resp);
		return 1;
	}
	authenticate(gw, pr);
	int rc = submit_step(gw, pr, STAGE_HANDLER);
	if (rc) {
		unavailable(&pr->resp, rc == -EAGAIN ? "server busy; retry" : "server is shutting down");
		metrics.db_unavailable++;
		return 1;
	}
	return 0;
}

void pipeline_req_release(struct pipeline_req *pr)
{
	router_params_free(&pr->req);
	api_events_free(pr->req.pending);
	api_events_free(pr->req.committed);
	pr->req.pending = pr->req.pending_last = pr->req.committed = NULL;
	while (pr->req.sms) {
		struct sms_msg *m = pr->req.sms;
		pr->req.sms = m->next;
		sms_cancel(m);
	}
	content_free_list(pr->req.checks);
	pr->req.checks = NULL;
	free(pr->resp.body);
	pr->resp.body = NULL;
}

/* --- ticks and housekeeping ------------------------------------------------------------------- */

/* One periodic job: a request of no user, run on the write lane. */
struct periodic {
	struct dbpool_job job;
	struct req req;
	api_tick_cb tick;           /* the domain's, or NULL */
	int housekeeping;           /* also the gateway's own upkeep */
	int trimmed;                /* events retention deleted (out) */
	int *busy;                  /* cleared when done */
};

static void periodic_run(struct dbpool_job *job, struct store *st)
{
	struct periodic *p = job->data;
	struct gw *gw = the_gw;
	p->req.st = st;
	if (p->tick)
		p->tick(&p->req);
	if (store_in_txn(st)) {
		log_error("a tick left a transaction open; rolled back");
		api_rollback(&p->req);
	}
	if (p->housekeeping) {
		/* Idempotency records live 24 h (the contract). */
		struct store_stmt *s = store_prepare(st, "DELETE FROM idempotency WHERE created_at < ?");
		store_bind_int(s, 1, util_now_ms() - IDEM_TTL_MS);
		store_run(s);
		int logged = accesslog_trim(st, util_now_ms(), gw->cfg->access_log_retention_days, 20);
		if (logged > 0)
			log_info("access log: %d entries past access_log_retention_days deleted", logged);
		int n = store_retention(st, util_now_ms(), gw->cfg->retention_max_age_s * 1000,
					gw->cfg->retention_max_events, 5000);
		if (n > 0)
			log_info("retention: trimmed %d events", n);
		p->trimmed = n > 0 ? n : 0;
	}
	p->req.st = NULL;
}

static void periodic_done(struct dbpool_job *job)
{
	struct periodic *p = job->data;
	metrics.retention_deleted += (uint64_t)p->trimmed;
	metrics.ticks += p->tick && !p->housekeeping && !job->expired;
	publish(the_gw, &p->req);
	*p->busy = 0;
	free(p);
}

static void submit_periodic(struct gw *gw, api_tick_cb tick, int housekeeping, int *busy)
{
	if (*busy)
		return; /* the last run is still going: this one is skipped */
	struct periodic *p = xcalloc(1, sizeof *p);
	p->req = (struct req){ .id = ++gw->next_req_id, .cfg = gw->cfg, .query = "", .body = "",
			       .peer = "", .server = NULL };
	p->tick = tick;
	p->housekeeping = housekeeping;
	p->busy = busy;
	p->job = (struct dbpool_job){ .run = periodic_run, .done = periodic_done, .data = p,
				      .lane = DBPOOL_WRITE };
	if (dbpool_submit(gw->pool, &p->job)) {
		free(p);
		return;
	}
	*busy = 1;
}

#define MAX_TICKS 16

static int tick_busy[MAX_TICKS], housekeeping_busy;

void pipeline_run_ticks(struct gw *gw)
{
	for (size_t i = 0; i < gw->domain->nticks && i < MAX_TICKS; i++)
		submit_periodic(gw, gw->domain->ticks[i], 0, &tick_busy[i]);
}

void pipeline_housekeeping(struct gw *gw)
{
	submit_periodic(gw, gw->domain->housekeeping, 1, &housekeeping_busy);
}

/* --- what handlers ask of the gateway (any thread) ---------------------------------------------- */

void pipeline_set_live(struct gw *gw, const char *ch, int on)
{
	(void)gw;
	if (strncmp(ch, "user:", 5))
		return;
	pthread_mutex_lock(&live_mu);
	if (on)
		map_put(&live, ch, (void *)1);
	else
		map_del(&live, ch);
	pthread_mutex_unlock(&live_mu);
}

int api_user_live(const struct req *req, int64_t uid)
{
	(void)req;
	char ch[40];
	snprintf(ch, sizeof ch, "user:%" PRId64, uid);
	pthread_mutex_lock(&live_mu);
	int yes = map_get(&live, ch) != NULL;
	pthread_mutex_unlock(&live_mu);
	return yes;
}

int api_defer(struct req *req, api_work_cb work, api_done_cb done, void *data)
{
	struct pipeline_req *pr = req->server;
	if (!pr || atomic_fetch_add(&work_pending, 1) >= the_gw->cfg->work_max_queue) {
		if (pr)
			atomic_fetch_sub(&work_pending, 1);
		return -EBUSY;
	}
	pr->work_cb = work;
	pr->done_cb = done;
	pr->work_data = data;
	pr->deferred = 1;
	return 0;
}

int api_offload(struct req *req, struct resp *resp, api_txn_cb txn, void *data)
{
	/* Already on a worker: the lower priority is what is left to do (the
	 * pool restores it when the job ends). */
	dbpool_lower_priority();
	atomic_fetch_add(&offloaded, 1);
	txn(req, resp, data);
	return 0;
}

int api_rate_limit(struct req *req, struct resp *resp, const char *bucket,
		   const char *key, int64_t limit, int64_t window_s)
{
	/* A handler run again after the content check makes the same calls
	 * in the same order: what the first run counted is not counted twice. */
	if (req->rerun && req->limits_seen < req->limits_counted) {
		req->limits_seen++;
		return 0;
	}
	char k[160];
	snprintf(k, sizeof k, "%s:%s", bucket, key);
	int wait = ratelimit_hit(&the_gw->limits, k, limit, window_s * 1000, util_now_ms());
	if (!wait) {
		req->limits_counted++;
		req->limits_seen++;
		return 0;
	}
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

/* --- verification codes, keyed hashes, regions ------------------------------------------------- */

int api_sms_reserve(struct req *req)
{
	return sms_reserve(req->cfg);
}

void api_sms_release(struct req *req)
{
	(void)req;
	sms_release();
}

void api_sms_queue(struct req *req, int64_t delivery, const char *phone, const char *code,
		   const char *purpose, int64_t expires_at)
{
	struct sms_msg *m = xcalloc(1, sizeof *m);
	m->delivery = delivery;
	snprintf(m->phone, sizeof m->phone, "%s", phone);
	snprintf(m->code, sizeof m->code, "%s", code);
	snprintf(m->purpose, sizeof m->purpose, "%s", purpose);
	m->expires_at = expires_at;
	m->next = req->sms;
	req->sms = m;
}

void api_mac(const struct req *req, const char *label, const void *msg, size_t len,
	     unsigned char out[32])
{
	(void)req;
	unsigned char key[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), the_gw->secret, sizeof the_gw->secret, (const unsigned char *)label,
	     strlen(label), key, &n);
	HMAC(EVP_sha256(), key, sizeof key, msg, len, out, &n);
	OPENSSL_cleanse(key, sizeof key);
}

const char *api_ip_region(struct req *req)
{
	if (!req->ip_region_state)
		req->ip_region_state = region_lookup(req->peer, req->ip_region,
						     sizeof req->ip_region) ? -1 : 1;
	return req->ip_region_state > 0 ? req->ip_region : NULL;
}

static enum api_verdict check(struct req *req, struct resp *resp, const char *kind, const char *field,
			      const void *bytes, size_t n, int image, int64_t cid, const char **label)
{
	struct api_check *c, **tail = &req->checks;
	for (c = req->checks; c; tail = &c->next, c = c->next)
		if (!strcmp(c->field, field))
			break;
	if (!c) {
		int checking = req->cfg->content_check_url[0] != 0;
		if (checking && content_reserve(req->cfg)) {
			unavailable(resp, "too many texts waiting for the content check; retry");
			return API_REJECT;
		}
		c = xcalloc(1, sizeof *c);
		snprintf(c->kind, sizeof c->kind, "%s", kind);
		snprintf(c->field, sizeof c->field, "%s", field);
		if (image) {
			c->text = xmalloc(4 * ((n + 2) / 3) + 1);
			EVP_EncodeBlock((unsigned char *)c->text, bytes, (int)n);
			c->image = 1;
		} else {
			c->text = xstrdup(bytes);
		}
		c->cid = cid;
		c->uid = req->who.uid;
		c->verdict = checking ? API_WAIT : API_PASS;
		*tail = c;
	}
	if (c->verdict == API_WAIT)
		return API_WAIT;
	if (label)
		*label = c->label[0] ? c->label : "content check";
	if (c->verdict == API_REJECT)
		api_error_field_reason(resp, 400, "bad_request", image ? "the content check refused this photo" :
				       "the content check refused this text", image ? "attachments" : field,
				       "content_rejected");
	return c->verdict;
}

enum api_verdict api_content(struct req *req, struct resp *resp, const char *kind,
			     const char *field, const char *text, int64_t cid, const char **label)
{
	return check(req, resp, kind, field, text, 0, 0, cid, label);
}

enum api_verdict api_content_image(struct req *req, struct resp *resp, const char *key,
				   const void *thumb, size_t n, int64_t cid, const char **label)
{
	return check(req, resp, "image", key, thumb, n, 1, cid, label);
}

int api_content_waiting(const struct req *req)
{
	for (const struct api_check *c = req->checks; c; c = c->next)
		if (c->verdict == API_WAIT)
			return 1;
	return 0;
}
