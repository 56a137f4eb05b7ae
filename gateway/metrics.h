/* metrics: process counters and gauges, rendered in the Prometheus text
 * format at GET /metrics. Loop thread only; plain integers, no locks. */
#ifndef LINLI_METRICS_H
#define LINLI_METRICS_H

#include <stdint.h>

#include "util.h"

struct metrics {
	int64_t ws_connections;    /* gauge: open WebSocket connections */
	int64_t ws_authed;         /* gauge: of which authenticated */
	int64_t subscriptions;     /* gauge: channel subscriptions */
	int64_t channels;          /* gauge: channels with local subscribers */
	uint64_t ws_accepted;      /* WebSocket upgrades accepted */
	uint64_t ws_rejected;      /* upgrades refused (limit, shutdown) */
	uint64_t ws_messages_in;   /* client messages processed */
	uint64_t ws_errors_sent;   /* error frames sent */
	uint64_t ws_closed[9];     /* closes we initiated, by close_idx() */
	uint64_t events_stored;    /* events appended to the log */
	uint64_t events_published; /* events handed to the bus after commit */
	uint64_t events_received;  /* events arriving from the bus */
	uint64_t events_delivered; /* event frames queued to subscribers */
	uint64_t events_replayed;  /* event frames queued from the log on sub */
	uint64_t gap_fills;        /* catch-ups from the log after a seq gap */
	uint64_t queue_overflows;  /* sockets dropped for a full send queue */
	uint64_t accepts_refused;  /* TCP connections closed: descriptors nearly out */
	uint64_t http_framing_refused; /* requests refused for their framing or head (400, 411, 431, 501, 505) */
	uint64_t http_timeouts;    /* requests whose head or body missed its time-out (408) */
	uint64_t conns_refused_per_ip; /* connections refused: max_conns_per_ip */
	uint64_t ws_refused_per_user; /* sockets closed: ws_max_per_user */
	uint64_t ws_budget_closes; /* sockets closed: ws_memory_budget reached */
	int64_t replays_parked;    /* gauge: replays waiting for memory budget */
	uint64_t bytes_sent;       /* WebSocket bytes written */
	uint64_t send_batches;     /* io_uring submissions of fan-out sends */
	int ws_io_uring;           /* 1 when fan-out rounds go through io_uring */
	int redis_configured;      /* 1 when redis_url is set */
	int redis_up;              /* 1 when both Redis links are connected */
	uint64_t redis_reconnects; /* successful reconnects after a drop */
	uint64_t redis_publish_errors; /* PUBLISH not sent (link down) */
	uint64_t retention_deleted; /* events trimmed by retention */
	uint64_t push_delivered;   /* push relay POSTs answered 2xx */
	uint64_t push_failures;    /* push relay attempts that failed */
	uint64_t sms_delivered;    /* codes the SMS relay accepted (2xx) */
	uint64_t sms_failures;     /* SMS relay attempts that failed */
	uint64_t content_checks;   /* texts the content check judged */
	uint64_t content_check_failures; /* no usable answer: content_check_fail */
	uint64_t push_expired;     /* pushes given up (too old) */
	uint64_t push_skipped_live; /* not sent: the member was live on a gateway */
	uint64_t push_outbox_added; /* outbox rows written for offline members */
	uint64_t offloaded;        /* large transactions run at a lower priority */
	uint64_t writes_parked;    /* writes that waited for a worker (another write) */
	int64_t db_workers;        /* gauge: database worker threads */
	int64_t db_busy;           /* gauge: of which running a job (set at render) */
	int64_t db_waiting;        /* gauge: jobs waiting for a worker (at render) */
	int db_up;                 /* gauge: 1 when the database answers */
	uint64_t db_expired;       /* jobs not run: waited past db_queue_timeout_ms */
	uint64_t db_refused;       /* jobs refused: db_queue_max waiting */
	uint64_t db_unavailable;   /* requests answered 503 for a database failure */
	uint64_t ticks;            /* the domain's ticks run (each once a second) */
};

extern struct metrics metrics;

/* Close codes we count; index into metrics.ws_closed. */
int metrics_close_idx(int code);

/* Records one HTTP request: route pattern (e.g. "POST /v1/channels/{ch}/events"
 * or "unmatched"), status, and duration. route must be a static string. */
void metrics_http(const char *route, int status, int64_t usec);

/* Records one loop iteration's busy wall time and CPU time (server.c). */
void metrics_loop_turn(int64_t wall_us, int64_t cpu_us);

/* Records one database job: time waiting for a worker, time running. */
void metrics_db_job(int64_t wait_us, int64_t run_us);

/* Appends the whole exposition to out. */
void metrics_render(struct buf *out);

#endif
