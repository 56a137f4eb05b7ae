#include "sms.h"
#include "metrics.h"
#include "relay.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#define SMS_RETRY_MIN_MS 500
#define SMS_RETRY_MAX_MS 30000

static atomic_int_fast64_t queued;

struct sms_job {
	uv_work_t work;
	uv_timer_t timer;          /* the wait before a retry */
	struct sms *s;
	struct sms_msg *m;
	int64_t attempt;
	long status;
	char err[RELAY_ERR_MAX];
	enum { J_WAITING, J_POSTING, J_RETRY } state;
	struct sms_job *next;      /* waiting for a slot */
	struct sms_job *all_prev, *all_next; /* every open job */
};

struct sms {
	uv_loop_t *loop;
	const struct config *cfg;
	int inflight;
	int stopping;
	struct sms_job *wait_head, *wait_tail; /* ready to POST, FIFO */
	struct sms_job *all;       /* every job not yet finished */
};

int sms_reserve(const struct config *cfg)
{
	if (atomic_fetch_add(&queued, 1) >= cfg->sms_queue_max) {
		atomic_fetch_sub(&queued, 1);
		return -EBUSY;
	}
	return 0;
}

void sms_release(void)
{
	atomic_fetch_sub(&queued, 1);
}

void sms_cancel(struct sms_msg *m)
{
	OPENSSL_cleanse(m->code, sizeof m->code);
	free(m);
	sms_release();
}

static void job_closed(uv_handle_t *h)
{
	struct sms_job *j = h->data;
	sms_cancel(j->m);
	free(j);
}

static void finish(struct sms_job *j)
{
	struct sms *s = j->s;
	if (j->all_prev)
		j->all_prev->all_next = j->all_next;
	else
		s->all = j->all_next;
	if (j->all_next)
		j->all_next->all_prev = j->all_prev;
	uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void post_cb(uv_work_t *w)
{
	struct sms_job *j = w->data;
	const struct config *cfg = j->s->cfg;
	json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "phone", j->m->phone, "code", j->m->code,
				 "purpose", j->m->purpose,
				 "ttl_s", (json_int_t)((j->m->expires_at - util_now_ms()) / 1000));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	j->status = relay_post(cfg->sms_relay_url, cfg->sms_relay_secret, cfg->sms_timeout_ms,
			       j->m->delivery, j->attempt, text, j->err);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
}

static void pump(struct sms *s);

static void retry_cb(uv_timer_t *t)
{
	struct sms_job *j = t->data;
	if (j->s->stopping) {
		finish(j);
		return;
	}
	j->next = NULL;
	j->state = J_WAITING;
	if (j->s->wait_tail)
		j->s->wait_tail->next = j;
	else
		j->s->wait_head = j;
	j->s->wait_tail = j;
	pump(j->s);
}

static void posted_cb(uv_work_t *w, int status)
{
	struct sms_job *j = w->data;
	struct sms *s = j->s;
	(void)status;
	s->inflight--;
	if (j->status >= 200 && j->status < 300) {
		metrics.sms_delivered++;
		log_info("sms %" PRId64 ": delivered to the relay (attempt %" PRId64 ")",
			 j->m->delivery, j->attempt);
		finish(j);
	} else if (relay_refused(j->status)) {
		metrics.sms_failures++;
		log_warn("sms %" PRId64 ": the relay answered %ld; not retried", j->m->delivery, j->status);
		finish(j);
	} else {
		metrics.sms_failures++;
		int64_t wait = relay_backoff(j->attempt + 1, SMS_RETRY_MIN_MS, SMS_RETRY_MAX_MS);
		if (j->status)
			snprintf(j->err, sizeof j->err, "relay answered %ld", j->status);
		if (s->stopping || util_now_ms() + wait >= j->m->expires_at) {
			log_warn("sms %" PRId64 ": attempt %" PRId64 " failed (%s); the code expires "
				 "before another, given up", j->m->delivery, j->attempt, j->err);
			finish(j);
		} else {
			log_info("sms %" PRId64 ": attempt %" PRId64 " failed (%s); retry in %" PRId64 " ms",
				 j->m->delivery, j->attempt, j->err, wait);
			j->attempt++;
			j->state = J_RETRY;
			uv_timer_start(&j->timer, retry_cb, (uint64_t)wait, 0);
		}
	}
	pump(s);
}

static void pump(struct sms *s)
{
	while (s->inflight < s->cfg->sms_concurrency && s->wait_head) {
		struct sms_job *j = s->wait_head;
		s->wait_head = j->next;
		if (!s->wait_head)
			s->wait_tail = NULL;
		if (s->stopping || util_now_ms() >= j->m->expires_at) {
			finish(j);
			continue;
		}
		j->work.data = j;
		if (uv_queue_work(s->loop, &j->work, post_cb, posted_cb)) {
			finish(j);
			continue;
		}
		j->state = J_POSTING;
		s->inflight++;
	}
}

void sms_send(struct sms *s, struct sms_msg *m)
{
	if (!s->cfg->sms_relay_url[0]) {
		char masked[16];
		snprintf(masked, sizeof masked, "%.3s****%s", m->phone,
			 strlen(m->phone) >= 11 ? m->phone + 7 : "");
		log_warn("sms %" PRId64 " (no sms_relay_url; development only): %s code %s for %s",
			 m->delivery, m->purpose, m->code, masked);
		sms_cancel(m);
		return;
	}
	struct sms_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->m = m;
	j->attempt = 1;
	uv_timer_init(s->loop, &j->timer);
	j->timer.data = j;
	j->all_next = s->all;
	if (s->all)
		s->all->all_prev = j;
	s->all = j;
	retry_cb(&j->timer);
}

struct sms *sms_start(uv_loop_t *loop, const struct config *cfg)
{
	struct sms *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->cfg = cfg;
	if (cfg->sms_relay_url[0]) {
		curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread uses curl */
		log_info("sms relay: %s", cfg->sms_relay_url);
	} else {
		log_warn("no sms_relay_url: verification codes are written to this log "
			 "(development only; set sms_relay_url for real use)");
	}
	return s;
}

void sms_stop(struct sms *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = 1;
	/* Waiting codes and retries end at once; POSTs in flight end when
	 * they return. */
	s->wait_head = s->wait_tail = NULL;
	for (struct sms_job *j = s->all, *next; j; j = next) {
		next = j->all_next;
		if (j->state != J_POSTING)
			finish(j);
	}
}

void sms_free(struct sms *s)
{
	if (!s)
		return;
	if (s->cfg->sms_relay_url[0])
		curl_global_cleanup();
	free(s);
}
