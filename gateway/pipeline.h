/* pipeline: the path of every REST request, in one place.
 *
 *   transport (http.c) hands over a parsed request
 *   loop    route (404/405, static files, the gateway's own routes)
 *           authenticate the bearer token (a signature: CPU only)
 *   worker  who is calling (the database) -> write limits -> idempotency
 *           -> handler -> commit -> the answer kept for its Idempotency-Key
 *             (api_defer: -> thread pool -> worker: the handler's second half)
 *   loop    publish what committed -> close revoked sessions' sockets
 *           -> the transport writes the answer
 *
 * A request that met a database failure on its way (unreachable, a lock or
 * statement time-out, waited too long for a worker) answers 503 with
 * Retry-After, whatever the handler decided from what it could not read.
 *
 * The domain's ticks take the same way from "worker" on. So does the
 * publication of committed events: one process-wide FIFO, drained a slice
 * per loop turn. Loop thread only, except the api_* functions a handler
 * calls (pipeline.c implements the ones that need the gateway). */
#ifndef LINLI_PIPELINE_H
#define LINLI_PIPELINE_H

#include <stdint.h>
#include <uv.h>

#include "api.h"
#include "dbpool.h"

struct gw;
struct pipeline_req;

/* The transport's: called on the loop once pr->resp is final (for a
 * request pipeline_run did not answer at once). */
typedef void (*pipeline_answer_cb)(struct pipeline_req *pr);

/* One request. The transport embeds it, fills req (method, path, query,
 * body, idempotency_key, peer) and the fields marked "in", and keeps it
 * alive until answered. */
struct pipeline_req {
	struct req req;             /* what the handler sees */
	struct resp resp;           /* the answer */
	const char *authorization;  /* in: the Authorization header, or NULL */
	int idem_too_long;          /* in: the Idempotency-Key was too long */
	pipeline_answer_cb answer;  /* in: see above */
	const char *route_name;     /* out: the matched route, for metrics */
	int replayed;               /* out: an earlier answer for the key */
	/* the pipeline's own */
	const struct route *rt;     /* the matched route */
	int stage;                  /* what the next worker step is */
	struct dbpool_job job;      /* a worker step in flight */
	uv_work_t work;             /* api_defer's step on the thread pool */
	api_work_cb work_cb;        /* it */
	api_done_cb done_cb;        /* then on a worker */
	void *work_data;
	int deferred;               /* api_defer was called */
	int checking;               /* texts out to the content check */
	int checks_out;             /* of them, answers still to come */
};

/* The route table (the gateway's own routes, then the domain's) and the
 * publishing handle. */
void pipeline_init(struct gw *gw);
/* At shutdown: publishes what is still queued, closes the handle. */
void pipeline_shutdown(struct gw *gw);

/* Takes pr on its way. 1: answered already (pr->resp is final; answer is
 * not called); 0: pr->answer will be called. */
int pipeline_run(struct gw *gw, struct pipeline_req *pr);
/* The flags (ROUTE_*) of the route method and path would reach; 0 when
 * none matches. For the HTTP layer, before the body is read. */
unsigned pipeline_route_flags(enum http_method method, const char *path);
/* Frees what the pipeline allocated in pr (params, events, body). */
void pipeline_req_release(struct pipeline_req *pr);

/* Once a second: the domain's ticks, each on a worker unless its last run
 * is still going. */
void pipeline_run_ticks(struct gw *gw);
/* Every retention_interval_s: the domain's housekeeping, expired
 * idempotency records and the event log's retention. */
void pipeline_housekeeping(struct gw *gw);

/* The hub's: ch gained its first local subscriber (live = 1) or lost its
 * last: api_user_live's answer for user:{uid} channels. */
void pipeline_set_live(struct gw *gw, const char *ch, int live);

#endif
