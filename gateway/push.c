#include "push.h"
#include "bus.h"
#include "dbpool.h"
#include "metrics.h"
#include "relay.h"
#include "util.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_POLL_MS 250
#define PUSH_BATCH 64 /* outbox rows looked at per poll */

struct push {
	uv_loop_t *loop;
	struct dbpool *pool;        /* the outbox is read and written on workers */
	const struct config *cfg;
	uv_timer_t timer;
	int inflight;               /* leased rows not yet back as outcomes */
	int polling;                /* a poll job is out */
	int stopping;
	struct push_job *outcomes;  /* attempts back, for the next poll to record */
	struct bus *bus;            /* Redis: is the member live on any gateway? */
};

/* One leased outbox row: its POST, then its outcome. */
struct push_job {
	uv_work_t work;
	struct push *p;
	int64_t id;
	int64_t uid;                 /* the member it is for */
	int64_t attempt;
	int64_t created_at;
	char *body;
	long status;                 /* HTTP status, 0 when none came */
	int live;                    /* not sent: the member was live (Redis) */
	char err[RELAY_ERR_MAX];
	struct push_job *next;       /* in outcomes, or a poll's list */
};

/* One poll, on a worker: records the outcomes handed to it, then leases
 * what is due and builds its POSTs. */
struct poll_job {
	struct dbpool_job job;
	struct push *p;
	struct push_job *record;     /* in: outcomes to write (owned) */
	struct push_job *ready;      /* out: leased rows to send */
	int room;                    /* in: POSTs that may start */
	int expired;                 /* out: rows given up (metrics) */
};

/* Thread pool: one POST. Touches only the job and the (read-only) config. */
static void post_cb(uv_work_t *w)
{
	struct push_job *j = w->data;
	const struct config *cfg = j->p->cfg;
	j->status = relay_post(cfg->push_relay_url, cfg->push_relay_secret, cfg->push_timeout_ms,
			       j->id, j->attempt, j->body, j->err);
}

static void set_state(struct store *st, int64_t id, const char *state, const char *error)
{
	struct store_stmt *s = store_prepare(st,
		"UPDATE push_outbox SET state = ?2, done_at = ?3, last_error = ?4 WHERE id = ?1");
	store_bind_int(s, 1, id);
	store_bind_text(s, 2, state);
	store_bind_int(s, 3, util_now_ms());
	store_bind_text(s, 4, error);
	if (store_run(s) < 0)
		log_warn("push %" PRId64 ": could not record %s", id, state);
}

static void retry_later(struct store *st, const struct config *cfg, const struct push_job *j,
			const char *error)
{
	/* Backoff after this attempt, never past the give-up age, where the
	 * next poll expires the row. */
	int64_t wait = relay_backoff(j->attempt + 1, cfg->push_retry_min_ms, cfg->push_retry_max_ms);
	int64_t next = util_now_ms() + wait, deadline = j->created_at + cfg->push_max_age_s * 1000;
	struct store_stmt *s = store_prepare(st,
		"UPDATE push_outbox SET next_at = ?2, last_error = ?3 WHERE id = ?1 AND state = 'pending'");
	store_bind_int(s, 1, j->id);
	store_bind_int(s, 2, next < deadline ? next : deadline);
	store_bind_text(s, 3, error);
	store_run(s);
}

static void job_free(struct push_job *j)
{
	free(j->body);
	free(j);
}

/* On a worker: writes the outcome of one attempt. */
static void record(struct store *st, const struct config *cfg, struct push_job *j)
{
	char error[RELAY_ERR_MAX + 32];
	if (j->live) {
		set_state(st, j->id, "dropped", "the member was live on a gateway");
	} else if (j->status >= 200 && j->status < 300) {
		set_state(st, j->id, "delivered", NULL);
		log_debug("push %" PRId64 ": delivered (attempt %" PRId64 ")", j->id, j->attempt);
	} else {
		if (j->status)
			snprintf(error, sizeof error, "relay answered %ld", j->status);
		else
			snprintf(error, sizeof error, "%s", j->err);
		if (relay_refused(j->status)) {
			set_state(st, j->id, "failed", error);
			log_warn("push %" PRId64 ": %s; not retried", j->id, error);
		} else {
			retry_later(st, cfg, j, error);
			log_info("push %" PRId64 ": attempt %" PRId64 " failed (%s); will retry",
				 j->id, j->attempt, error);
		}
	}
}

/* On the loop: an attempt is back (or was not made); counted now, written
 * by the next poll. */
static void outcome(struct push *p, struct push_job *j)
{
	p->inflight--;
	if (j->live)
		metrics.push_skipped_live++;
	else if (j->status >= 200 && j->status < 300)
		metrics.push_delivered++;
	else
		metrics.push_failures++;
	j->next = p->outcomes;
	p->outcomes = j;
}

static void posted_cb(uv_work_t *w, int status)
{
	struct push_job *j = w->data;
	(void)status;
	outcome(j->p, j);
}

static json_t *devices_of(struct store *st, int64_t uid)
{
	json_t *a = json_array();
	struct store_stmt *s = store_prepare(st,
		"SELECT platform, token FROM devices WHERE user_id = ? ORDER BY seen_at DESC");
	store_bind_int(s, 1, uid);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s}",
			"platform", store_col_text(s, 0), "token", store_col_text(s, 1)));
	store_done(s);
	return a;
}

/* Claims the row for one attempt: pushes next_at past the time the POST
 * can take, so a crash mid-flight only delays the retry. Only a row still
 * due can be claimed: of several gateways on one database polling the same
 * outbox, one wins it. */
static int lease(struct store *st, const struct config *cfg, int64_t id, int64_t now)
{
	struct store_stmt *s = store_prepare(st,
		"UPDATE push_outbox SET attempts = attempts + 1, next_at = ?2 "
		"WHERE id = ?1 AND state = 'pending' AND next_at <= ?3");
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, now + 2 * cfg->push_timeout_ms + 1000);
	store_bind_int(s, 3, now);
	return store_run(s) == 1;
}

struct due { int64_t id, uid, attempts, created_at, nid; char *note; };

static void poll_run(struct dbpool_job *job, struct store *st)
{
	struct poll_job *pj = job->data;
	const struct config *cfg = pj->p->cfg;
	while (pj->record) {
		struct push_job *j = pj->record;
		pj->record = j->next;
		record(st, cfg, j);
		job_free(j);
	}
	if (pj->room <= 0)
		return;
	int64_t now = util_now_ms();
	struct due due[PUSH_BATCH];
	int n = 0;
	struct store_stmt *s = store_prepare(st,
		"SELECT o.id, o.user_id, o.attempts, o.created_at, n.id, n.type, n.data, n.created_at "
		"FROM push_outbox o LEFT JOIN notifications n ON n.id = o.notification_id "
		"WHERE o.state = 'pending' AND o.next_at <= ? ORDER BY o.next_at LIMIT ?");
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, pj->room < PUSH_BATCH ? pj->room : PUSH_BATCH);
	while (n < PUSH_BATCH && store_step(s) == STORE_ROW) {
		struct due *d = &due[n++];
		d->id = store_col_int(s, 0);
		d->uid = store_col_int(s, 1);
		d->attempts = store_col_int(s, 2);
		d->created_at = store_col_int(s, 3);
		d->nid = store_col_int(s, 4);
		d->note = NULL;
		if (d->nid) {
			/* The inbox row as the relay receives it. */
			json_t *data = json_loads(store_col_text(s, 6), 0, NULL);
			json_t *note = json_pack("{s:I, s:s, s:o, s:I}", "id", (json_int_t)d->nid,
				"type", store_col_text(s, 5), "data", data ? data : json_object(),
				"created_at", (json_int_t)store_col_int(s, 7));
			d->note = json_dumps(note, JSON_COMPACT);
			json_decref(note);
		}
	}
	store_done(s);
	for (int i = 0; i < n; i++) {
		struct due *d = &due[i];
		json_t *devices = NULL, *note = NULL;
		if (now >= d->created_at + cfg->push_max_age_s * 1000) {
			set_state(st, d->id, "expired", "gave up: older than push_max_age_s");
			pj->expired++;
			log_warn("push %" PRId64 ": gave up after %" PRId64 " attempts", d->id, d->attempts);
		} else if (!d->nid) {
			set_state(st, d->id, "dropped", "the notification is gone");
		} else if (!json_array_size(devices = devices_of(st, d->uid))) {
			set_state(st, d->id, "dropped", "no device registered");
		} else if ((note = json_loads(d->note, 0, NULL)) && lease(st, cfg, d->id, now)) {
			struct push_job *j = xcalloc(1, sizeof *j);
			j->p = pj->p;
			j->id = d->id;
			j->attempt = d->attempts + 1;
			j->created_at = d->created_at;
			json_t *body = json_pack("{s:I, s:I, s:O, s:O}", "delivery", (json_int_t)d->id,
				"user_id", (json_int_t)d->uid, "devices", devices, "notification", note);
			j->body = json_dumps(body, JSON_COMPACT);
			json_decref(body);
			j->work.data = j;
			j->uid = d->uid;
			j->next = pj->ready;
			pj->ready = j;
		}
		json_decref(devices);
		json_decref(note);
		free(d->note);
	}
}

static void send_job(struct push *p, struct push_job *j)
{
	if (p->stopping || uv_queue_work(p->loop, &j->work, post_cb, posted_cb)) {
		p->inflight--; /* the lease runs out; a later poll (or start) retries */
		job_free(j);
	}
}

/* With several gateways, the one that wrote the notification only knew its
 * own sockets. Every gateway subscribes in Redis to user:{uid} while it has
 * a live subscriber there, so a count above zero means the member had it
 * on a socket (live or replayed): no push. */
static void counted_cb(long long n, void *data)
{
	struct push_job *j = data;
	if (n <= 0) {
		send_job(j->p, j);
		return;
	}
	j->live = 1;
	outcome(j->p, j);
}

static void poll_done(struct dbpool_job *job)
{
	struct poll_job *pj = job->data;
	struct push *p = pj->p;
	p->polling = 0;
	metrics.push_expired += (uint64_t)pj->expired;
	if (job->expired) {
		/* Not run: the outcomes go back for the next poll. */
		while (pj->record) {
			struct push_job *j = pj->record;
			pj->record = j->next;
			j->next = p->outcomes;
			p->outcomes = j;
		}
	}
	while (pj->ready) {
		struct push_job *j = pj->ready;
		pj->ready = j->next;
		j->next = NULL;
		p->inflight++; /* from here until its outcome is back */
		char ch[40];
		snprintf(ch, sizeof ch, "user:%" PRId64, j->uid);
		if (!p->bus || bus_subscribers(p->bus, ch, counted_cb, j))
			send_job(p, j); /* no Redis to ask: this gateway's view stands */
	}
	free(pj);
}

static void poll_cb(uv_timer_t *t)
{
	struct push *p = t->data;
	int room = (int)p->cfg->push_concurrency - p->inflight;
	if (p->polling || (room <= 0 && !p->outcomes))
		return;
	struct poll_job *pj = xcalloc(1, sizeof *pj);
	pj->p = p;
	pj->room = p->stopping ? 0 : room;
	pj->record = p->outcomes;
	pj->job = (struct dbpool_job){ .run = poll_run, .done = poll_done, .data = pj,
				       .lane = DBPOOL_WRITE, .expires = 1 };
	if (dbpool_submit(p->pool, &pj->job)) {
		free(pj);
		return;
	}
	p->outcomes = NULL;
	p->polling = 1;
}

struct push *push_start(uv_loop_t *loop, struct dbpool *pool, const struct config *cfg,
			struct bus *bus)
{
	if (!cfg->push_relay_url[0])
		return NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread uses curl */
	struct push *p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->pool = pool;
	p->cfg = cfg;
	p->bus = bus;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, poll_cb, PUSH_POLL_MS, PUSH_POLL_MS);
	log_info("push relay: %s (at most %" PRId64 " at once, give up after %" PRId64 " s)",
		 cfg->push_relay_url, cfg->push_concurrency, cfg->push_max_age_s);
	return p;
}

void push_stop(struct push *p)
{
	if (!p || p->stopping)
		return;
	p->stopping = 1;
	uv_close((uv_handle_t *)&p->timer, NULL);
	/* What came back is written now; what is still out is retried after
	 * its lease (at least once: the relay deduplicates). */
	if (p->outcomes && !p->polling)
		poll_cb(&p->timer);
}

void push_free(struct push *p)
{
	if (!p)
		return;
	while (p->outcomes) {
		struct push_job *j = p->outcomes;
		p->outcomes = j->next;
		job_free(j);
	}
	free(p);
	curl_global_cleanup();
}
