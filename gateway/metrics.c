#include "metrics.h"
#include "frame.h"
#include "store.h"
#include <stdlib.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct metrics metrics;

static const int close_codes[9] = { 1000, 1001, 1002, 1008, 1009, 1011, 4001, 4029, 0 };

int metrics_close_idx(int code)
{
	for (int i = 0; i < 8; i++)
		if (close_codes[i] == code)
			return i;
	return 8; /* other */
}

/* Latency bucket bounds in microseconds. */
static const int64_t bounds[] = { 500, 1000, 2500, 5000, 10000, 25000, 50000,
				  100000, 250000, 500000, 1000000, 2500000 };
#define NB (sizeof bounds / sizeof bounds[0])
#define MAX_ROUTES 96
#define MAX_STATUS 16

struct route_stats {
	const char *route;        /* static pattern string; NULL = unused */
	int status[MAX_STATUS];   /* distinct statuses seen */
	uint64_t count[MAX_STATUS]; /* requests per status */
	uint64_t bucket[NB + 1];  /* latency histogram, last = +Inf */
	int64_t sum_us;           /* total latency */
	uint64_t n;               /* requests */
};

static struct route_stats routes[MAX_ROUTES];

/* The histogram bucket of v: the first bound it does not exceed, or nb
 * (+Inf). */
static size_t bucket_of(const int64_t *bound, size_t nb, int64_t v)
{
	size_t b = 0;
	while (b < nb && v > bound[b])
		b++;
	return b;
}

/* Loop turns: one iteration's time outside epoll (busy, deaf to sockets),
 * as wall time and as the loop thread's own CPU time (the difference is
 * time the thread was runnable but not running). Bounds in microseconds. */
static const int64_t turn_bounds[] = { 1000, 5000, 10000, 20000, 50000, 100000, 250000, 1000000 };
#define NT (sizeof turn_bounds / sizeof turn_bounds[0])
struct turn_hist {
	uint64_t bucket[NT + 1];
	int64_t sum_us, max_us;
};
static struct turn_hist turn_wall, turn_cpu;

static void turn_add(struct turn_hist *h, int64_t usec)
{
	h->bucket[bucket_of(turn_bounds, NT, usec)]++;
	h->sum_us += usec;
	if (usec > h->max_us)
		h->max_us = usec;
}

void metrics_loop_turn(int64_t wall_us, int64_t cpu_us)
{
	turn_add(&turn_wall, wall_us);
	turn_add(&turn_cpu, cpu_us);
}

/* Database jobs (a request's handler, a replay page, a tick): how long each
 * waited for a worker and how long it ran there, statements included. */
static const int64_t db_bounds[] = { 100, 250, 500, 1000, 2500, 5000, 10000, 25000,
				     50000, 100000, 250000, 1000000 };
#define NDB (sizeof db_bounds / sizeof db_bounds[0])
struct db_hist {
	uint64_t bucket[NDB + 1];
	int64_t sum_us;
};
static struct db_hist db_wait, db_run;

static void db_add(struct db_hist *h, int64_t usec)
{
	h->bucket[bucket_of(db_bounds, NDB, usec)]++;
	h->sum_us += usec;
}

void metrics_db_job(int64_t wait_us, int64_t run_us)
{
	db_add(&db_wait, wait_us);
	db_add(&db_run, run_us);
}

static void db_render(struct buf *o, const char *name, const char *help, const struct db_hist *h)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t n = 0;
	for (size_t b = 0; b < NDB; b++) {
		n += h->bucket[b];
		buf_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, (double)db_bounds[b] / 1e6, n);
	}
	n += h->bucket[NDB];
	buf_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %g\n%s_count %" PRIu64 "\n",
		   name, n, name, (double)h->sum_us / 1e6, name, n);
}

static void turn_render(struct buf *o, const char *name, const char *help, const struct turn_hist *h)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t turns = 0;
	for (size_t b = 0; b < NT; b++) {
		turns += h->bucket[b];
		buf_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			   (double)turn_bounds[b] / 1e6, turns);
	}
	turns += h->bucket[NT];
	buf_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %g\n%s_count %" PRIu64 "\n",
		   name, turns, name, (double)h->sum_us / 1e6, name, turns);
	buf_printf(o, "# HELP %s_max The longest since start.\n# TYPE %s_max gauge\n%s_max %g\n",
		   name, name, name, (double)h->max_us / 1e6);
}

void metrics_http(const char *route, int status, int64_t usec)
{
	struct route_stats *r = NULL;
	for (int i = 0; i < MAX_ROUTES; i++) {
		if (routes[i].route == route || !routes[i].route) {
			r = &routes[i];
			break;
		}
	}
	if (!r)
		return; /* more routes than slots: drop, never grow */
	r->route = route;
	for (int i = 0; i < MAX_STATUS; i++) {
		if (r->status[i] == status || !r->status[i]) {
			r->status[i] = status;
			r->count[i]++;
			break;
		}
	}
	r->bucket[bucket_of(bounds, NB, usec)]++;
	r->sum_us += usec;
	r->n++;
}

static void counter(struct buf *o, const char *name, const char *help, uint64_t v)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n",
		   name, help, name, name, v);
}

static void gauge(struct buf *o, const char *name, const char *help, int64_t v)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRId64 "\n",
		   name, help, name, name, v);
}

void metrics_render(struct buf *o)
{
	struct metrics *m = &metrics;
	gauge(o, "linli_ws_connections", "Open WebSocket connections.", m->ws_connections);
	gauge(o, "linli_ws_authenticated", "Authenticated WebSocket connections.", m->ws_authed);
	gauge(o, "linli_subscriptions", "Channel subscriptions held by local sockets.", m->subscriptions);
	gauge(o, "linli_channels", "Channels with at least one local subscriber.", m->channels);
	counter(o, "linli_ws_accepted_total", "WebSocket upgrades accepted.", m->ws_accepted);
	counter(o, "linli_ws_rejected_total", "WebSocket upgrades refused (connection limit or shutdown).", m->ws_rejected);
	counter(o, "linli_ws_messages_in_total", "Client WebSocket messages processed.", m->ws_messages_in);
	counter(o, "linli_ws_errors_sent_total", "Error frames sent to clients.", m->ws_errors_sent);
	buf_printf(o, "# HELP linli_ws_closed_total Sockets closed by the server, by close code.\n"
		      "# TYPE linli_ws_closed_total counter\n");
	for (int i = 0; i < 9; i++) {
		char code[8];
		snprintf(code, sizeof code, "%d", close_codes[i]);
		buf_printf(o, "linli_ws_closed_total{code=\"%s\"} %" PRIu64 "\n",
			   close_codes[i] ? code : "other", m->ws_closed[i]);
	}
	counter(o, "linli_events_stored_total", "Events appended to the event log.", m->events_stored);
	counter(o, "linli_events_published_total", "Events handed to the bus after commit.", m->events_published);
	counter(o, "linli_events_received_total", "Events received from the bus.", m->events_received);
	counter(o, "linli_events_delivered_total", "Event frames queued to live subscribers.", m->events_delivered);
	counter(o, "linli_events_replayed_total", "Event frames queued from the log on subscribe.", m->events_replayed);
	counter(o, "linli_gap_fills_total", "Catch-ups from the event log after a sequence gap or bus outage.", m->gap_fills);
	counter(o, "linli_send_queue_overflows_total", "Sockets dropped because their send queue overflowed.", m->queue_overflows);
	counter(o, "linli_accepts_refused_total", "TCP connections closed on accept because descriptors were nearly out.", m->accepts_refused);
	counter(o, "linli_http_framing_refused_total", "Requests refused for their framing: Content-Length, Transfer-Encoding, upgrades (400, 411), and request heads refused (400, 431, 501, 505).", m->http_framing_refused);
	counter(o, "linli_http_timeouts_total", "Requests whose head or body did not arrive within http_header_timeout_ms or http_body_timeout_ms (408).", m->http_timeouts);
	counter(o, "linli_connections_refused_per_ip_total", "Connections refused because their client address held max_conns_per_ip.", m->conns_refused_per_ip);
	counter(o, "linli_ws_refused_per_user_total", "WebSockets closed 1008 because their account held ws_max_per_user.", m->ws_refused_per_user);
	counter(o, "linli_ws_budget_closes_total", "WebSockets closed 1008 because queued frames reached ws_memory_budget.", m->ws_budget_closes);
	gauge(o, "linli_replays_parked", "Replays waiting for room under ws_memory_budget.", m->replays_parked);
	gauge(o, "linli_frame_bytes", "Heap bytes of outbound frames alive (queued or being built), each counted once.",
	      atomic_load_explicit(&frame_bytes, memory_order_relaxed));
	counter(o, "linli_ws_bytes_sent_total", "WebSocket bytes written (frame headers and payloads).", m->bytes_sent);
	gauge(o, "linli_ws_io_uring", "1 when fan-out rounds to plain (non-TLS) sockets are sent with io_uring (ws_io_uring).", m->ws_io_uring);
	counter(o, "linli_ws_send_batches_total", "io_uring submissions of fan-out sends.", m->send_batches);
	gauge(o, "linli_redis_configured", "1 when a Redis bus is configured.", m->redis_configured);
	gauge(o, "linli_redis_up", "1 when the Redis publish and subscribe links are connected.", m->redis_up);
	counter(o, "linli_redis_reconnects_total", "Redis reconnects after a lost link.", m->redis_reconnects);
	counter(o, "linli_redis_publish_errors_total", "Events not published to Redis because the link was down.", m->redis_publish_errors);
	counter(o, "linli_retention_deleted_total", "Events removed by retention.", m->retention_deleted);
	counter(o, "linli_push_outbox_added_total", "Notifications queued for the push relay.", m->push_outbox_added);
	counter(o, "linli_push_delivered_total", "Pushes the relay accepted (2xx).", m->push_delivered);
	counter(o, "linli_push_failures_total", "Push attempts that failed (retried or not).", m->push_failures);
	counter(o, "linli_sms_delivered_total", "Verification codes the SMS relay accepted (2xx).", m->sms_delivered);
	counter(o, "linli_sms_failures_total", "SMS relay attempts that failed (retried or not).", m->sms_failures);
	counter(o, "linli_content_checks_total", "Texts the content check judged.", m->content_checks);
	counter(o, "linli_content_check_failures_total", "Content checks without a usable answer (content_check_fail applied).", m->content_check_failures);
	counter(o, "linli_push_expired_total", "Pushes given up after push_max_age_s.", m->push_expired);
	counter(o, "linli_push_skipped_live_total", "Pushes not sent: the member was live on a gateway (Redis).", m->push_skipped_live);
	counter(o, "linli_offloaded_total", "Large transactions run at a lower thread priority.", m->offloaded);
	counter(o, "linli_writes_parked_total", "Writes that waited for a database worker (on SQLite: for the one writer).", m->writes_parked);
	gauge(o, "linli_db_workers", "Database worker threads (one connection each).", m->db_workers);
	gauge(o, "linli_db_busy", "Database workers running a job now (the pool in use).", m->db_busy);
	gauge(o, "linli_db_waiting", "Jobs waiting for a database worker.", m->db_waiting);
	gauge(o, "linli_db_up", "1 when the database answered the last check.", m->db_up);
	counter(o, "linli_db_reconnects_total", "Database reconnects after a lost connection.", store_reconnects());
	counter(o, "linli_db_expired_total", "Jobs dropped unrun after waiting db_queue_timeout_ms.", m->db_expired);
	counter(o, "linli_db_refused_total", "Jobs refused because db_queue_max were waiting.", m->db_refused);
	counter(o, "linli_db_unavailable_total", "Requests answered 503 because the database failed them.", m->db_unavailable);
	counter(o, "linli_ticks_total", "Domain ticks run (deadlines, escalation, expiry).", m->ticks);
	db_render(o, "linli_db_wait_seconds", "Time database jobs waited for a worker.", &db_wait);
	db_render(o, "linli_db_job_seconds", "Time database jobs ran on a worker, statements included.", &db_run);

	turn_render(o, "linli_loop_busy_seconds",
		    "Wall time of each event-loop iteration spent outside epoll (deaf to sockets).", &turn_wall);
	turn_render(o, "linli_loop_cpu_seconds",
		    "CPU time the loop thread used in each iteration.", &turn_cpu);

	buf_printf(o, "# HELP linli_http_requests_total HTTP requests by route and status.\n"
		      "# TYPE linli_http_requests_total counter\n");
	for (int i = 0; i < MAX_ROUTES && routes[i].route; i++)
		for (int s = 0; s < MAX_STATUS && routes[i].status[s]; s++)
			buf_printf(o, "linli_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
				   routes[i].route, routes[i].status[s], routes[i].count[s]);
	buf_printf(o, "# HELP linli_http_request_duration_seconds HTTP request latency by route.\n"
		      "# TYPE linli_http_request_duration_seconds histogram\n");
	for (int i = 0; i < MAX_ROUTES && routes[i].route; i++) {
		struct route_stats *r = &routes[i];
		uint64_t cum = 0;
		for (size_t b = 0; b <= NB; b++) {
			cum += r->bucket[b];
			if (b < NB)
				buf_printf(o, "linli_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n",
					   r->route, (double)bounds[b] / 1e6, cum);
			else
				buf_printf(o, "linli_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
					   r->route, cum);
		}
		buf_printf(o, "linli_http_request_duration_seconds_sum{route=\"%s\"} %g\n",
			   r->route, (double)r->sum_us / 1e6);
		buf_printf(o, "linli_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
			   r->route, r->n);
	}
}
