#include "server.h"
#include "door.h"
#include "frame.h"
#include "http.h"
#include "metrics.h"
#include "peers.h"
#include "pipeline.h"
#include "proxies.h"
#include "push.h"
#include "sms.h"
#include "httpc.h"
#include "util.h"
#include "ws.h"
#include "sendbatch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Descriptors kept free for the database, Redis, push and log files: an
 * accepted socket numbered at or above limit - this is closed at once. */
#define FD_RESERVE 32

/* Raises the soft RLIMIT_NOFILE to what max_connections needs (within the
 * hard limit). Sets gw->fd_ceiling. */
static void raise_fd_limit(struct gw *gw, const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + 256; /* + database, Redis, HTTP */
	gw->fd_ceiling = INT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_warn("max_connections = %lld needs %llu descriptors; the hard limit is %llu, "
			 "so connections will be refused before that (raise LimitNOFILE / ulimit -Hn)",
			 (long long)cfg->max_connections, (unsigned long long)want,
			 (unsigned long long)rl.rlim_max);
	/* accept() takes the lowest free descriptor, so one numbered N means
	 * N are in use. Closing sockets accepted near the limit keeps the
	 * descriptors the database, Redis and the relays need (the door
	 * also pauses accepting when accept itself fails). */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)INT_MAX)
		gw->fd_ceiling = (int)rl.rlim_cur - FD_RESERVE;
}

static void sweep_cb(uv_timer_t *t)
{
	ws_sweep(t->data);
	door_sweep(((struct gw *)t->data)->door, util_now_ms());
	/* Replays parked for memory: stalled queues holding the budget make
	 * room for them (the most behind first), then they go on. */
	struct gw *gw = t->data;
	if (hub_unpark(gw->hub) ||
	    atomic_load_explicit(&frame_bytes, memory_order_relaxed) > gw->cfg->ws_memory_budget)
		ws_evict_for_budget(gw, hub_reserved(gw->hub));
	hub_unpark(gw->hub);
	pipeline_run_ticks(t->data);
}

static void session_cb(uv_timer_t *t)
{
	ws_check_sessions(t->data);
}

static void retention_cb(uv_timer_t *t)
{
	struct gw *gw = t->data;
	ratelimit_sweep(&gw->limits, util_now_ms());
	pipeline_housekeeping(gw);
}

/* --- the hub's reads, on database workers ------------------------------------ */

struct log_read {
	struct dbpool_job job;
	char *ch;                  /* hub_log.read: the channel */
	int64_t after;
	int limit;
	size_t max_bytes, bytes;   /* page cap (0: none), frame bytes so far */
	int truncated;             /* stopped at max_bytes: more may follow */
	hub_rows_cb rows_done;
	struct hub_row *rows;      /* built on the worker, frames included */
	int n;
	char **names;              /* hub_log.heads: the channels (the hub's) */
	int64_t *heads;
	hub_heads_cb heads_done;
	void *arg;
	int rc;
};

static void collect_row(const struct event *ev, void *data)
{
	struct log_read *r = data;
	if (r->truncated)
		return;
	if (r->max_bytes && r->n && r->bytes >= r->max_bytes) {
		r->truncated = 1; /* at least one row per page, so it moves on */
		return;
	}
	r->rows[r->n].seq = ev->seq;
	r->rows[r->n].f = frame_event(ev);
	r->bytes += r->rows[r->n].f->len;
	r->n++;
}

static void read_run(struct dbpool_job *job, struct store *st)
{
	struct log_read *r = job->data;
	r->rows = xmalloc((size_t)r->limit * sizeof *r->rows);
	r->rc = store_events_after(st, r->ch, r->after, r->limit, collect_row, r);
}

static void read_done(struct dbpool_job *job)
{
	struct log_read *r = job->data;
	r->rows_done(r->arg, r->rows, r->n, job->expired ? -ETIMEDOUT : r->rc < 0 ? r->rc : r->truncated);
	free(r->ch);
	free(r);
}

static int log_read(void *ctx, const char *ch, int64_t after, int limit, size_t max_bytes,
		    hub_rows_cb done, void *arg)
{
	struct gw *gw = ctx;
	struct log_read *r = xcalloc(1, sizeof *r);
	r->ch = xstrdup(ch);
	r->after = after;
	r->limit = limit;
	r->max_bytes = max_bytes;
	r->rows_done = done;
	r->arg = arg;
	r->job = (struct dbpool_job){ .run = read_run, .done = read_done, .data = r,
				      .lane = DBPOOL_READ, .expires = 1 };
	int rc = dbpool_submit(gw->pool, &r->job);
	if (rc) {
		free(r->ch);
		free(r);
	}
	return rc;
}

static void heads_run(struct dbpool_job *job, struct store *st)
{
	struct log_read *r = job->data;
	int64_t trimmed;
	for (int i = 0; i < r->n && !r->rc; i++)
		r->rc = store_channel_head(st, r->names[i], &r->heads[i], &trimmed);
}

static void heads_done(struct dbpool_job *job)
{
	struct log_read *r = job->data;
	r->heads_done(r->arg, r->names, r->heads, r->n, job->expired ? -ETIMEDOUT : r->rc);
	free(r);
}

static int log_heads(void *ctx, char **names, int n, hub_heads_cb done, void *arg)
{
	struct gw *gw = ctx;
	struct log_read *r = xcalloc(1, sizeof *r);
	r->names = names;
	r->n = n;
	r->heads = xcalloc((size_t)n, sizeof *r->heads);
	r->heads_done = done;
	r->arg = arg;
	r->job = (struct dbpool_job){ .run = heads_run, .done = heads_done, .data = r,
				      .lane = DBPOOL_READ, .expires = 1 };
	int rc = dbpool_submit(gw->pool, &r->job);
	if (rc) {
		free(r->heads);
		free(r);
	}
	return rc;
}

/* A channel's first local subscriber, or its last gone: the bus forwards
 * what this process holds, and api_user_live knows who is here. */
static void log_watch(void *ctx, const char *ch, int on)
{
	struct gw *gw = ctx;
	if (on)
		bus_watch(gw->bus, ch);
	else
		bus_unwatch(gw->bus, ch);
	pipeline_set_live(gw, ch, on);
}

const struct hub_log server_hub_log = {
	.read = log_read, .heads = log_heads, .watch = log_watch,
};

/* Once per loop iteration, right after poll: the iteration's length minus
 * the time spent waiting in epoll (libuv's idle-time metric) is how long
 * the loop was busy running callbacks, deaf to every other socket. */
static void phase_check_cb(uv_check_t *c)
{
	struct gw *gw = c->data;
	uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(gw->loop);
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	int64_t cpu = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (gw->turn_at_ns)
		metrics_loop_turn((int64_t)((now - gw->turn_at_ns) - (idle - gw->turn_idle_ns)) / 1000,
				  cpu - gw->turn_cpu_us);
	gw->turn_at_ns = now;
	gw->turn_idle_ns = idle;
	gw->turn_cpu_us = cpu;
}

static void hup_cb(uv_signal_t *s, int signum)
{
	struct gw *gw = s->data;
	(void)signum;
	gw->domain->reload(gw->cfg);
}

static void signal_cb(uv_signal_t *s, int signum)
{
	log_info("signal %d: shutting down", signum);
	server_shutdown(s->data);
}

int server_start(struct gw *gw, char *err, size_t errlen)
{
	const struct config *cfg = gw->cfg;
	gw->peers = peers_new();
	gw->ws_users = peers_new();
	if (proxies_parse(cfg->trusted_proxies, &gw->proxies, err, errlen))
		return -EINVAL;
	http_init(gw);
	pipeline_init(gw);

	raise_fd_limit(gw, cfg);
	/* The door (door.c) listens and serves, with TLS (tlsio.h) when
	 * tls_cert is set. */
	if (!(gw->door = door_open(gw, err, errlen)))
		return -EIO;
	/* The sockets are ours (wsplain.c): the fan-out rounds to plain ones
	 * go through one io_uring submission where it can. */
	const char *why = NULL;
	gw->batch = sendbatch_new((int)cfg->ws_io_uring, &why);
	metrics.ws_io_uring = sendbatch_uring(gw->batch);
	if (why)
		log_warn("ws_io_uring: io_uring unavailable (%s): fan-out sends one by one", why);

	uv_timer_init(gw->loop, &gw->close_timer);
	gw->close_timer.data = gw;
	uv_timer_init(gw->loop, &gw->sweep_timer);
	gw->sweep_timer.data = gw;
	uv_timer_start(&gw->sweep_timer, sweep_cb, 1000, 1000);
	uv_timer_init(gw->loop, &gw->retention_timer);
	gw->retention_timer.data = gw;
	uint64_t rint = (uint64_t)cfg->retention_interval_s * 1000;
	uv_timer_start(&gw->retention_timer, retention_cb, rint, rint);
	ratelimit_init(&gw->limits, 100000);
	gw->sessions_checked_ms = util_now_ms();
	uv_timer_init(gw->loop, &gw->session_timer);
	gw->session_timer.data = gw;
	uv_timer_start(&gw->session_timer, session_cb, (uint64_t)cfg->session_check_ms,
		       (uint64_t)cfg->session_check_ms);
	uv_timer_init(gw->loop, &gw->grace_timer);
	gw->grace_timer.data = gw;
	uv_check_init(gw->loop, &gw->phase_check);
	gw->phase_check.data = gw;
	uv_check_start(&gw->phase_check, phase_check_cb);
	uv_signal_init(gw->loop, &gw->sig_term);
	gw->sig_term.data = gw;
	uv_signal_start(&gw->sig_term, signal_cb, SIGTERM);
	uv_signal_init(gw->loop, &gw->sig_hup);
	gw->sig_hup.data = gw;
	uv_signal_start(&gw->sig_hup, hup_cb, SIGHUP);
	gw->domain->reload(cfg);
	uv_signal_init(gw->loop, &gw->sig_int);
	gw->sig_int.data = gw;
	uv_signal_start(&gw->sig_int, signal_cb, SIGINT);
	return 0;
}

static void bus_closed(void *data)
{
	(void)data;
}

static void pool_closed(void *data)
{
	struct gw *gw = data;
	pipeline_shutdown(gw);
	bus_close(gw->bus, bus_closed, gw);
}

static int64_t shutdown_started_us;

static void grace_cb(uv_timer_t *t)
{
	struct gw *gw = t->data;
	int64_t waited = (util_mono_us() - shutdown_started_us) / 1000;
	int busy = gw->conns || door_busy(gw->door);
	if (busy && waited < gw->cfg->shutdown_grace_ms)
		return; /* close frames and answers still on their way */
	if (busy)
		log_warn("shutdown: %lld ms grace over, dropping the remaining sockets",
			 (long long)gw->cfg->shutdown_grace_ms);
	uv_timer_stop(t);
	/* The sockets first, then our handles, then the bus. */
	door_drop(gw->door);
	ws_drop_plain(gw);
	uv_close((uv_handle_t *)&gw->close_timer, NULL);
	uv_close((uv_handle_t *)&gw->sweep_timer, NULL);
	uv_close((uv_handle_t *)&gw->retention_timer, NULL);
	uv_close((uv_handle_t *)&gw->grace_timer, NULL);
	uv_close((uv_handle_t *)&gw->session_timer, NULL);
	uv_close((uv_handle_t *)&gw->phase_check, NULL);
	uv_close((uv_handle_t *)&gw->sig_term, NULL);
	uv_close((uv_handle_t *)&gw->sig_int, NULL);
	uv_close((uv_handle_t *)&gw->sig_hup, NULL);
	push_stop(gw->push);
	sms_stop(gw->sms);
	httpc_stop(gw->httpc); /* checks still out: content_check_fail */
	/* Jobs still out finish (their answers have nowhere to go), then
	 * what they committed is published, then the bus closes. */
	dbpool_stop(gw->pool, pool_closed, gw);
}

void server_note_fd_refused(struct gw *gw)
{
	if (metrics.accepts_refused++ % 1000 == 0)
		log_warn("out of descriptors (limit %d): closing new connections "
			 "(linli_accepts_refused_total counts them)", gw->fd_ceiling + FD_RESERVE);
}

int server_count_client(struct gw *gw, const void *conn, const char *client)
{
	if (peers_has(gw->peers, conn))
		return 0;
	if (peers_add(gw->peers, conn, client, gw->cfg->max_conns_per_ip) == -EBUSY) {
		if (metrics.conns_refused_per_ip++ % 1000 == 0)
			log_warn("%s holds max_conns_per_ip = %lld connections: refusing new ones "
				 "(linli_connections_refused_per_ip_total counts them)",
				 client, (long long)gw->cfg->max_conns_per_ip);
		return -EBUSY;
	}
	return 0;
}

void server_shutdown(struct gw *gw)
{
	if (gw->shutting_down)
		return;
	gw->shutting_down = 1;
	shutdown_started_us = util_mono_us();
	door_close(gw->door);
	ws_close_all(gw);
	uv_timer_start(&gw->grace_timer, grace_cb, 20, 20);
}
