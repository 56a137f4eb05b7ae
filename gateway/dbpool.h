/* dbpool: the database on worker threads, so that no statement ever runs
 * on the loop (a round trip to PostgreSQL, or a failover's connect time-out,
 * must not stall sockets).
 *
 * Each worker thread owns one store connection. Work is a job: run() on a
 * worker with that connection, then done() back on the loop. Jobs go to one
 * of two lanes:
 *   DBPOOL_WRITE  for anything that may write. On SQLite one worker takes
 *                 them in arrival order (SQLite has one writer: writes queue
 *                 here instead of spinning on its lock). On PostgreSQL every
 *                 worker takes them (row locks order what must be ordered).
 *   DBPOOL_READ   for reads only: the other SQLite workers (WAL readers), or
 *                 every PostgreSQL worker.
 * A job that waited longer than db_queue_timeout_ms is not run: done() sees
 * job->expired and answers 503. Past db_queue_max waiting jobs, submit
 * refuses. Loop thread only, except where a function says otherwise. */
#ifndef LINLI_DBPOOL_H
#define LINLI_DBPOOL_H

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "store.h"

enum dbpool_lane { DBPOOL_READ, DBPOOL_WRITE };

struct dbpool;
struct dbpool_job;

/* On a worker, with its connection; touches no loop object. */
typedef void (*dbpool_run_cb)(struct dbpool_job *job, struct store *st);
/* Back on the loop, once run returned (or the job expired unrun). */
typedef void (*dbpool_done_cb)(struct dbpool_job *job);

/* Embedded in the caller's own struct, which must stay valid until done
 * runs (find it with container_of-style arithmetic, or through data). */
struct dbpool_job {
	dbpool_run_cb run;
	dbpool_done_cb done;
	void *data;                 /* the caller's */
	enum dbpool_lane lane;
	int expires;                /* may be dropped after db_queue_timeout_ms */
	int accepted;               /* a later step of work the pool took already
				     * (a request's second half): never refused,
				     * not even while stopping */
	int expired;                /* set: run() was skipped (out: for done) */
	int64_t queued_us;          /* when submitted (pool's) */
	int64_t wait_us, run_us;    /* how long it waited, and ran (pool's) */
	int64_t store_failures;     /* store_failures() grew while it ran (out) */
	struct dbpool_job *next;    /* queue link (pool's) */
};

/* The store options cfg names; migrate as in struct store_opts. */
struct store_opts dbpool_store_opts(const struct config *cfg, int migrate);

/* Opens cfg->db_workers connections (each migrated store, one thread
 * each) and starts the workers. NULL and a message on failure. */
struct dbpool *dbpool_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen);

/* Queues job. 0; -EAGAIN when db_queue_max jobs already wait; -ESHUTDOWN
 * once stopping (done is not called then). An `accepted` job is always
 * queued. */
int dbpool_submit(struct dbpool *p, struct dbpool_job *job);

/* 0 when the database answered the last check (a ping every second while
 * idle, and every job's statements); otherwise -ENOTCONN and why. Any thread. */
int dbpool_ready(struct dbpool *p, char *why, size_t len);

/* Workers busy right now, jobs waiting, connections (gauges for /metrics). */
void dbpool_stats(struct dbpool *p, int *busy, int *waiting, int *workers);

/* Starts stopping: no new jobs. Jobs already queued, and the later steps
 * their done callbacks submit, still run and their done callbacks still
 * come; close_cb runs once none is left and the workers have exited. */
typedef void (*dbpool_closed_cb)(void *data);
void dbpool_stop(struct dbpool *p, dbpool_closed_cb cb, void *data);
/* After close_cb (or if never started): frees the pool. */
void dbpool_free(struct dbpool *p);

/* On a worker: lowers this thread's CPU priority for a job too big for one
 * loop turn (a help request notifying thousands), restored by the pool
 * when the job ends, so the loop and its sockets win the CPU meanwhile. */
void dbpool_lower_priority(void);

#endif
