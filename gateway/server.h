/* server: the process-wide state shared by the sockets (door.c, http.c,
 * ws.c) and the pipeline, on the libuv loop.
 *
 * One `struct gw` per process, created by main, which hands it the domain
 * (api.h: routes, ticks, who is calling, who may subscribe) and the
 * database pool: the server decides nothing about the domain itself.
 * Everything in it belongs to the loop thread, but for what a field says
 * workers read (secret, cfg, limits: read-only or locked). */
#ifndef LINLI_SERVER_H
#define LINLI_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "api.h"
#include "bus.h"
#include "config.h"
#include "dbpool.h"
#include "hub.h"
#include "ratelimit.h"

struct peers;
struct door;
struct ws_conn;
struct push;
struct http_txn;
struct api_event;

struct gw {
	uv_loop_t *loop;              /* the one loop */
	struct door *door;            /* cfg->port: HTTP/1.1, and WebSocket upgrades */
	struct sendbatch *batch;      /* fan-out rounds to plain sockets (sendbatch.h) */
	struct config *cfg;           /* settings (owned by main; workers read it) */
	const struct api_domain *domain; /* the handlers' table (main's) */
	struct dbpool *pool;          /* the database, on worker threads */
	struct hub *hub;              /* local subscriptions */
	struct bus *bus;              /* local or Redis */
	unsigned char secret[32];     /* token HMAC key, from the database (workers read it) */
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
	struct ratelimit limits;      /* write and registration rates (locked) */
	struct proxies *proxies;      /* trusted_proxies, or NULL */
	struct peers *peers;          /* connections per client address */
	struct peers *ws_users;       /* authenticated WebSockets per account */
	uv_timer_t session_timer;     /* closes sockets of revoked sessions */
	int64_t sessions_checked_ms;  /* revocations before this were handled */
	int sessions_checking;        /* that check's job is out */
	uv_check_t phase_check;       /* after each poll: the loop turn's metrics */
	uint64_t turn_at_ns;          /* last loop iteration's end (uv_hrtime) */
	uint64_t turn_idle_ns;        /* libuv's idle time then */
	int64_t turn_cpu_us;          /* the loop thread's CPU time then */
	struct push *push;            /* the push relay worker, or NULL */
	struct sms *sms;              /* the SMS relay's sender */
	struct httpc *httpc;          /* HTTP calls a request waits on (content check) */
	struct api_event *pubq, *pubq_tail; /* committed, not yet published */
	uv_idle_t pub_idle;           /* publishes the rest on the next turns */
};

/* Starts serving on the loop: opens the door (the port) and the timers. gw's
 * loop, cfg, domain, pool, hub and bus are set. 0 or negative with a
 * message. */
int server_start(struct gw *gw, char *err, size_t errlen);

/* The hub's way to the log: reads on database workers (hub.h); ctx is the
 * struct gw. */
extern const struct hub_log server_hub_log;

/* Counts a connection (the door's, or a WebSocket's) under its
 * client address (max_conns_per_ip): at accept, or for a connection from
 * a trusted proxy once its first request names the client. 0, or -EBUSY:
 * the address holds its share; the caller refuses (closes, or 429). */
int server_count_client(struct gw *gw, const void *conn, const char *client);
/* A connection accepted at or past fd_ceiling is being closed: counted,
 * and logged once per 1000. */
void server_note_fd_refused(struct gw *gw);

/* Begins a graceful shutdown (idempotent). */
void server_shutdown(struct gw *gw);

#endif
