#include "dbpool.h"
#include "metrics.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PING_MS 1000

struct queue {
	struct dbpool_job *head, *tail;
	int len;
};

struct worker {
	struct dbpool *p;
	pthread_t th;
	int started;
	struct store *st;           /* this thread's connection */
	int lane;                   /* the queue it takes jobs from */
};

struct dbpool {
	uv_loop_t *loop;
	const struct config *cfg;
	pthread_mutex_t mu;         /* guards everything below it to `done` */
	pthread_cond_t ready[2];    /* a job waits in queue[i] */
	struct queue queue[2];      /* by lane; PostgreSQL uses queue[0] only */
	struct dbpool_job *done, *done_tail; /* finished, for the loop */
	int busy;                   /* jobs running */
	int busy_in[2];             /* of which from queue[i] */
	int workers_in[2];          /* workers serving queue[i] */
	int stopping;               /* no new jobs */
	int finish;                 /* stopping and nothing left: workers exit */
	int lanes;                  /* 2: SQLite's writer apart; 1: shared */
	struct worker *workers;
	int nworkers;
	int inflight;               /* submitted, done not yet called (loop) */
	uv_async_t async;           /* wakes the loop for `done` */
	uv_timer_t ping_timer;      /* health check while idle */
	struct dbpool_job ping;     /* the check's job */
	int ping_inflight;
	int ping_rc;                /* its result */
	atomic_int down;            /* the last check failed, or a job lost the connection */
	int closing_handles;        /* handles still closing at stop */
	dbpool_closed_cb closed_cb;
	void *closed_data;
};

/* The queue a lane's jobs go to. */
static struct queue *queue_of(struct dbpool *p, enum dbpool_lane lane, int *idx)
{
	*idx = p->lanes == 2 && lane == DBPOOL_WRITE ? 1 : 0;
	return &p->queue[*idx];
}

static void push_job(struct queue *q, struct dbpool_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->len++;
}

static struct dbpool_job *pop_job(struct queue *q)
{
	struct dbpool_job *j = q->head;
	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
	}
	return j;
}

/* dbpool_lower_priority's saved state, per worker thread. */
static __thread int lowered, saved_prio;

void dbpool_lower_priority(void)
{
	if (lowered)
		return;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	saved_prio = getpriority(PRIO_PROCESS, (id_t)tid);
	setpriority(PRIO_PROCESS, (id_t)tid, saved_prio + 10); /* Linux nice is per thread */
	lowered = 1;
}

static void restore_priority(void)
{
	if (!lowered)
		return;
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), saved_prio);
	lowered = 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dbpool *p = w->p;
	int64_t timeout_us = p->cfg->db_queue_timeout_ms * 1000;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct queue *q = &p->queue[w->lane];
		while (!q->head && !p->finish)
			pthread_cond_wait(&p->ready[w->lane], &p->mu);
		struct dbpool_job *j = pop_job(q);
		if (!j)
			break; /* finished: nothing left, and nothing more will come */
		p->busy++;
		p->busy_in[w->lane]++;
		pthread_mutex_unlock(&p->mu);

		int64_t start = util_mono_us();
		j->wait_us = start - j->queued_us;
		j->run_us = 0;
		if (j->expires && j->wait_us > timeout_us) {
			j->expired = 1;
		} else {
			int64_t before = store_transient_failures(w->st);
			j->run(j, w->st);
			restore_priority();
			j->store_failures = store_transient_failures(w->st) - before;
			j->run_us = util_mono_us() - start;
		}
		if (store_connection_lost(w->st))
			atomic_store(&p->down, 1);

		pthread_mutex_lock(&p->mu);
		p->busy--;
		p->busy_in[w->lane]--;
		j->next = NULL;
		if (p->done_tail)
			p->done_tail->next = j;
		else
			p->done = j;
		p->done_tail = j;
		uv_async_send(&p->async);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void handle_closed(uv_handle_t *h)
{
	struct dbpool *p = h->data;
	if (--p->closing_handles == 0 && p->closed_cb)
		p->closed_cb(p->closed_data);
}

/* Once stopping and every job's done callback has run (none can submit
 * another step): the workers exit; join them, close the connections and
 * our handles. */
static void maybe_finish(struct dbpool *p)
{
	if (!p->stopping || p->inflight || p->closing_handles)
		return;
	pthread_mutex_lock(&p->mu);
	p->finish = 1;
	pthread_cond_broadcast(&p->ready[0]);
	pthread_cond_broadcast(&p->ready[1]);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++) {
		if (p->workers[i].started)
			pthread_join(p->workers[i].th, NULL);
		p->workers[i].started = 0;
		store_close(p->workers[i].st);
		p->workers[i].st = NULL;
	}
	p->closing_handles = 2;
	uv_close((uv_handle_t *)&p->async, handle_closed);
	uv_close((uv_handle_t *)&p->ping_timer, handle_closed);
}

static void async_cb(uv_async_t *a)
{
	struct dbpool *p = a->data;
	pthread_mutex_lock(&p->mu);
	struct dbpool_job *j = p->done;
	p->done = p->done_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	while (j) {
		struct dbpool_job *next = j->next;
		p->inflight--;
		if (j->expired)
			metrics.db_expired++;
		else
			metrics_db_job(j->wait_us, j->run_us);
		j->done(j);
		j = next;
	}
	if (p->stopping)
		maybe_finish(p);
}

int dbpool_submit(struct dbpool *p, struct dbpool_job *job)
{
	if (p->stopping && !job->accepted)
		return -ESHUTDOWN;
	int idx;
	pthread_mutex_lock(&p->mu);
	int waiting = p->queue[0].len + p->queue[1].len;
	if (waiting >= p->cfg->db_queue_max && !job->accepted) {
		pthread_mutex_unlock(&p->mu);
		metrics.db_refused++;
		return -EAGAIN;
	}
	struct queue *q = queue_of(p, job->lane, &idx);
	/* A write that waits behind others (on SQLite, behind the one writer). */
	if (job->lane == DBPOOL_WRITE && (q->head || p->busy_in[idx] >= p->workers_in[idx]))
		metrics.writes_parked++;
	job->expired = 0;
	job->store_failures = 0;
	job->queued_us = util_mono_us();
	push_job(q, job);
	pthread_cond_signal(&p->ready[idx]);
	pthread_mutex_unlock(&p->mu);
	p->inflight++;
	return 0;
}

static void ping_run(struct dbpool_job *j, struct store *st)
{
	struct dbpool *p = j->data;
	p->ping_rc = store_ping(st);
}

static void ping_done(struct dbpool_job *j)
{
	struct dbpool *p = j->data;
	p->ping_inflight = 0;
	if (!j->expired)
		atomic_store(&p->down, p->ping_rc != 0);
}

static void ping_cb(uv_timer_t *t)
{
	struct dbpool *p = t->data;
	if (p->ping_inflight)
		return;
	p->ping = (struct dbpool_job){ .run = ping_run, .done = ping_done, .data = p,
				       .lane = DBPOOL_READ, .expires = 1 };
	if (dbpool_submit(p, &p->ping) == 0)
		p->ping_inflight = 1;
}

int dbpool_ready(struct dbpool *p, char *why, size_t len)
{
	if (!atomic_load(&p->down))
		return 0;
	snprintf(why, len, "database unreachable");
	return -ENOTCONN;
}

void dbpool_stats(struct dbpool *p, int *busy, int *waiting, int *workers)
{
	pthread_mutex_lock(&p->mu);
	*busy = p->busy;
	*waiting = p->queue[0].len + p->queue[1].len;
	*workers = p->nworkers;
	pthread_mutex_unlock(&p->mu);
}

struct store_opts dbpool_store_opts(const struct config *cfg, int migrate)
{
	return (struct store_opts){
		.busy_timeout_ms = (int)cfg->sqlite_busy_timeout_ms,
		.connect_timeout_ms = (int)cfg->db_connect_timeout_ms,
		.statement_timeout_ms = (int)cfg->db_statement_timeout_ms,
		.reconnect_min_ms = (int)cfg->db_reconnect_min_ms,
		.reconnect_max_ms = (int)cfg->db_reconnect_max_ms,
		.migrate = migrate,
	};
}

struct dbpool *dbpool_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen)
{
	struct dbpool *p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->cfg = cfg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->ready[0], NULL);
	pthread_cond_init(&p->ready[1], NULL);
	p->nworkers = (int)cfg->db_workers;
	p->workers = xcalloc((size_t)p->nworkers, sizeof *p->workers);
	struct store_opts o = dbpool_store_opts(cfg, 1);
	for (int i = 0; i < p->nworkers; i++) {
		char e[512];
		if (store_open(cfg->db, &o, &p->workers[i].st, e, sizeof e)) {
			snprintf(err, errlen, "database: %s", e);
			goto fail;
		}
		p->workers[i].p = p;
	}
	/* SQLite: worker 0 is the one writer; the rest read. PostgreSQL: one
	 * queue that every worker serves. */
	p->lanes = store_engine(p->workers[0].st) == STORE_SQLITE && p->nworkers > 1 ? 2 : 1;
	for (int i = 0; i < p->nworkers; i++) {
		p->workers[i].lane = p->lanes == 2 && i == 0 ? 1 : 0;
		p->workers_in[p->workers[i].lane]++;
	}
	uv_async_init(loop, &p->async, async_cb);
	p->async.data = p;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->nworkers; i++) {
		if (pthread_create(&p->workers[i].th, NULL, worker_main, &p->workers[i])) {
			snprintf(err, errlen, "cannot start database worker threads");
			p->stopping = p->finish = 1; /* the ones started exit at once */
			pthread_cond_broadcast(&p->ready[0]);
			pthread_cond_broadcast(&p->ready[1]);
			pthread_mutex_unlock(&p->mu);
			/* Closed on the loop's next run; the process is exiting. */
			uv_close((uv_handle_t *)&p->async, NULL);
			for (int k = 0; k < i; k++)
				pthread_join(p->workers[k].th, NULL);
			for (int k = 0; k < p->nworkers; k++)
				p->workers[k].started = 0;
			goto fail;
		}
		p->workers[i].started = 1;
	}
	pthread_mutex_unlock(&p->mu);
	uv_timer_init(loop, &p->ping_timer);
	p->ping_timer.data = p;
	uv_timer_start(&p->ping_timer, ping_cb, PING_MS, PING_MS);
	return p;
fail:
	dbpool_free(p);
	return NULL;
}

void dbpool_stop(struct dbpool *p, dbpool_closed_cb cb, void *data)
{
	if (!p || p->stopping) {
		if (!p && cb)
			cb(data);
		return;
	}
	p->closed_cb = cb;
	p->closed_data = data;
	uv_timer_stop(&p->ping_timer);
	p->stopping = 1; /* loop-only: submit is the loop's */
	maybe_finish(p);
}

void dbpool_free(struct dbpool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nworkers; i++) {
		if (p->workers[i].started)
			pthread_join(p->workers[i].th, NULL);
		store_close(p->workers[i].st);
	}
	free(p->workers);
	pthread_cond_destroy(&p->ready[0]);
	pthread_cond_destroy(&p->ready[1]);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
