/* ws: WebSocket sessions on /v1/ws — hello, auth, sub/unsub, ping, error
 * frames with `ref`, bounded send queues and deferred closes.
 *
 * A connection's outbound frames wait in a queue of shared frame
 * references, bounded in bytes (ws_send_queue_bytes). A socket whose queue
 * overflows is closed with 1008 (where a close frame can still get out)
 * and the client resumes later with `since`.
 *
 * The sockets are the gateway's own (wsplain.h, after the door answered
 * the upgrade, with TLS or without); the sends of one fan-out round to
 * plain sockets go together (sendbatch.h, ws_io_uring). */
#ifndef LINLI_WS_H
#define LINLI_WS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct gw;
struct ws_conn;
struct hub_sink;
struct tlsio;

/* Queues f (taking a reference). 0; -ENOBUFS when the queue would exceed
 * its limit (the socket is then scheduled to close with 1008); -EPIPE when
 * the socket is already closing. */
int ws_send(struct ws_conn *c, struct frame *f);
/* Copies text into a new frame and queues it. */
int ws_send_text(struct ws_conn *c, const char *text, size_t len);
/* Asks for a writable callback on the next loop turn (replay continues
 * from there). */
void ws_wake(struct ws_conn *c);
/* Cache hints for the fan-out loop: start loading c's own state, then (once
 * that has arrived) its socket's. No effect otherwise. */
void ws_prefetch(const struct ws_conn *c);
void ws_prefetch_socket(const struct ws_conn *c);
/* True while the queue is under half its limit (replay may add more). */
int ws_has_room(const struct ws_conn *c);

/* Closes c with code and reason at the next safe point (never inside its
 * own callback chain). after_drain: first let queued frames go out. */
void ws_close_later(struct ws_conn *c, int code, const char *reason, int after_drain);

/* Runs the deferred closes (close_timer). */
void ws_run_closes(struct gw *gw);
/* Closes sockets whose auth time-out passed or whose token expired. */
void ws_sweep(struct gw *gw);
/* Closes (4001) every socket authenticated with session sid. */
void ws_close_session(struct gw *gw, int64_t sid);
/* Closes the sockets of sessions revoked since the last check, by any
 * process (session_timer). */
void ws_check_sessions(struct gw *gw);
/* Shutdown: closes every socket with 1001 after its queue drains. */
void ws_close_all(struct gw *gw);

/* Closes sockets that are behind, the most behind first, until the frames
 * held plus reserved bytes (replay pages being read) leave room for one
 * more page under ws_memory_budget. Each is closed 1008 and resumes with
 * since. */
void ws_evict_for_budget(struct gw *gw, size_t reserved);

/* A WebSocket upgrade the front door answered itself (door.c): what ws
 * keeps of its head. Strings point into the head (not NUL-terminated). */
struct ws_upgrade {
	const char *client;         /* address, after trusted_proxies */
	int client_port;            /* 0 when unknown */
	const char *user_agent;     /* or NULL */
	size_t user_agent_len;
	const char *authorization;  /* or NULL */
	size_t authorization_len;
	struct tlsio *tls;          /* TLS mode: the session, the socket's once open */
};
/* Takes fd, upgraded (the 101 sent), as a session with our own framing
 * (wsplain.h). 0, or -1 (over max_conns_per_ip): the caller closes fd. */
int ws_open_plain(struct gw *gw, int fd, const struct ws_upgrade *up);
/* Shutdown's end: the sockets still open are closed now. */
void ws_drop_plain(struct gw *gw);

/* The sockets as the hub sees them (hub.h): main hands it to hub_new. */
extern const struct hub_sink ws_hub_sink;

#endif
