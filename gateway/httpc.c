#include "httpc.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct httpc {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;           /* curl's own time-outs */
	int stopping;
	struct xfer *xfers;         /* every transfer in flight */
};

/* One transfer. */
struct xfer {
	struct httpc *c;
	CURL *easy;
	struct curl_slist *headers;
	char *body;                 /* the request's, owned */
	char *reply;                /* the answer's, cut at max_reply */
	size_t len, max_reply;
	char err[CURL_ERROR_SIZE];
	httpc_cb cb;
	void *data;
	struct xfer *prev, *next;
};

/* A socket curl asked us to watch. */
struct watch {
	uv_poll_t poll;
	struct httpc *c;
	curl_socket_t fd;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t n = size * nmemb;
	if (x->len < x->max_reply) {
		size_t take = n < x->max_reply - x->len ? n : x->max_reply - x->len;
		memcpy(x->reply + x->len, ptr, take);
		x->len += take;
		x->reply[x->len] = '\0';
	}
	return n;
}

static void finish(struct xfer *x, long status, const char *err)
{
	struct httpc *c = x->c;
	curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	if (x->prev)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->cb(status, x->reply, x->len, err, x->data);
	free(x->body);
	free(x->reply);
	free(x);
}

/* Hands finished transfers to their callbacks. */
static void reap(struct httpc *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		long status = 0;
		const char *err = NULL;
		if (m->data.result == CURLE_OK)
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		else
			err = x->err[0] ? x->err : curl_easy_strerror(m->data.result);
		finish(x, status, err);
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct watch *w = p->data;
	int flags = status < 0 ? CURL_CSELECT_ERR :
		    ((events & UV_READABLE) ? CURL_CSELECT_IN : 0) |
		    ((events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(w->c->multi, w->fd, flags, &running);
	reap(w->c);
}

static void on_timer(uv_timer_t *t)
{
	struct httpc *c = t->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(c);
}

static void watch_closed(uv_handle_t *h)
{
	free(h->data);
}

/* curl: watch fd for what (or stop watching it). */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct httpc *c = userp;
	struct watch *w = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w) {
			uv_poll_stop(&w->poll);
			uv_close((uv_handle_t *)&w->poll, watch_closed);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (!w) {
		w = xcalloc(1, sizeof *w);
		w->c = c;
		w->fd = fd;
		if (uv_poll_init_socket(c->loop, &w->poll, fd)) {
			free(w);
			return -1;
		}
		w->poll.data = w;
		curl_multi_assign(c->multi, fd, w);
	}
	int events = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
	uv_poll_start(&w->poll, events, on_poll);
	return 0;
}

/* curl: wake me in ms (-1: no need). */
static int timer_cb(CURLM *multi, long ms, void *userp)
{
	struct httpc *c = userp;
	(void)multi;
	if (ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
	return 0;
}

struct httpc *httpc_new(uv_loop_t *loop)
{
	curl_global_init(CURL_GLOBAL_DEFAULT); /* counted: once per httpc_free */
	struct httpc *c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->multi = curl_multi_init();
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	return c;
}

int httpc_post(struct httpc *c, const char *url, struct curl_slist *headers, const char *body,
	       size_t len, int64_t timeout_ms, size_t max_reply, httpc_cb cb, void *data)
{
	if (c->stopping) {
		curl_slist_free_all(headers);
		return -ESHUTDOWN;
	}
	struct xfer *x = xcalloc(1, sizeof *x);
	x->c = c;
	x->headers = headers;
	x->body = xmalloc(len + 1);
	memcpy(x->body, body, len);
	x->body[len] = '\0';
	x->max_reply = max_reply;
	x->reply = xmalloc(max_reply + 1);
	x->reply[0] = '\0';
	x->cb = cb;
	x->data = data;
	x->easy = curl_easy_init();
	if (!x->easy) {
		curl_slist_free_all(headers);
		free(x->body);
		free(x->reply);
		free(x);
		return -ENOMEM;
	}
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "linli-gateway");
	x->next = c->xfers;
	if (c->xfers)
		c->xfers->prev = x;
	c->xfers = x;
	curl_multi_add_handle(c->multi, e); /* the timer callback starts it */
	return 0;
}

void httpc_stop(struct httpc *c)
{
	if (!c || c->stopping)
		return;
	c->stopping = 1;
	while (c->xfers)
		finish(c->xfers, 0, "shutting down");
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, NULL);
}

void httpc_free(struct httpc *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c);
	curl_global_cleanup();
}
