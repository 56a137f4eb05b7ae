/* server: the process-wide state shared by the lws callbacks (http.c,
 * ws.c), and the lws context on the libuv loop.
 *
 * One `struct gw` per process, created by main; everything in it belongs
 * to the loop thread. */
#ifndef LINLI_SERVER_H
#define LINLI_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "config.h"
#include "hub.h"
#include "ratelimit.h"
#include "store.h"

struct lws_context;
struct ws_conn;
struct push;
struct http_txn;
struct api_event;

struct gw {
	uv_loop_t *loop;              /* the one loop */
	struct lws_context *lws;      /* HTTP + WS on cfg->port */
	struct config *cfg;           /* settings (owned by main) */
	struct store *st;             /* the database */
	struct hub *hub;              /* local subscriptions */
	struct bus *bus;              /* local or Redis */
	unsigned char secret[32];     /* token HMAC key, from the database */
	int shutting_down;            /* SIGTERM seen: refuse new work */
	int fd_ceiling;               /* accepted sockets at or above: closed */
	uint64_t next_req_id;         /* request ids for logs */
	struct ws_conn *conns;        /* every open WS connection (list) */
	struct ws_conn *closing;      /* closes deferred to a safe point */
	uv_timer_t close_timer;       /* runs the deferred closes */
	uv_timer_t sweep_timer;       /* auth time-outs, token expiry (1 s) */
	uv_timer_t retention_timer;   /* event-log trimming */
	uv_timer_t grace_timer;       /* shutdown: time for close frames */
	uv_signal_t sig_term, sig_int; /* shutdown */
	uv_signal_t sig_hup;          /* reload word lists */
	int exit_code;                /* returned by main */
	int64_t work_pending;         /* api_defer jobs queued or running */
	struct ratelimit limits;      /* write and registration rates */
	uv_timer_t session_timer;     /* closes sockets of revoked sessions */
	int64_t sessions_checked_ms;  /* revocations before this were handled */
	uv_prepare_t phase_prepare;   /* with phase_check: counts loop phases */
	uv_check_t phase_check;
	uint64_t loop_phase;          /* +1 before and after each poll (http.c) */
	uint64_t turn_at_ns;          /* last loop iteration's end (uv_hrtime) */
	uint64_t turn_idle_ns;        /* libuv's idle time then */
	int64_t turn_cpu_us;          /* the loop thread's CPU time then */
	struct push *push;            /* the push relay worker, or NULL */
	struct store *st_writer;      /* second connection: offloaded transactions */
	int writes_paused;            /* one runs: other writes wait (parked) */
	struct http_txn *parked, *parked_tail; /* requests waiting to write */
	struct api_event *pubq, *pubq_tail; /* committed, not yet published */
	uv_idle_t pub_idle;           /* publishes the rest on the next turns */
};

/* Starts serving on the loop: creates the lws context and timers. 0 or
 * negative with a message. */
int server_start(struct gw *gw, char *err, size_t errlen);

/* Begins a graceful shutdown (idempotent). */
void server_shutdown(struct gw *gw);

#endif
