/* wsplain: see wsplain.h. */
#include "wsplain.h"
#include "metrics.h"
#include "tlsio.h"
#include "util.h"
#include "wsframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define READS_PER_TURN 4     /* then let other sockets be read */
#define CTL_ROOM 256         /* control frames waiting behind a partial frame */

struct wsplain {
	uv_poll_t poll;
	int fd;
	const struct wsplain_cb *cb;
	void *ud;                  /* NULL once closed was told */
	uint64_t max_frame;
	int64_t linger_ms;         /* after our close frame, for the client's FIN */
	int events;                /* what the poll watches */
	int want;                  /* writable was asked for */
	int in_cb;                 /* inside our poll callback */
	int dead;                  /* descriptor closed; memory freed by the loop */
	int lingering;             /* our close began: the client's bytes are thrown away */
	int shut;                  /* our side shut down (the close frame went) */
	int broken;                /* a write failed: only closing is left */
	struct tlsio *tls;         /* TLS mode: the session (ours to free) */
	int read_wants_write;      /* TLS: a read waits for the socket to take bytes */
	int64_t linger_until;
	struct wsplain *lprev, *lnext; /* the lingering list */
	/* out */
	struct frame *out;         /* a frame part written (frame_wire), referenced */
	size_t out_off;
	unsigned char ctl[CTL_ROOM]; /* control frames waiting, whole */
	size_t ctl_off, ctl_len;
	/* in */
	unsigned char head[WSFRAME_HEAD_MAX];
	size_t head_have;
	struct wsframe fr;         /* the frame being read */
	uint64_t at;               /* payload bytes of it read */
	int in_payload;
	int msg_open, msg_binary;  /* a data message is in progress */
	unsigned char cbuf[WSFRAME_CONTROL_MAX]; /* a control frame's payload */
	size_t clen;
};

static struct wsplain *lingering;

static void poll_cb(uv_poll_t *h, int status, int events);

static void freed(uv_handle_t *h)
{
	struct wsplain *p = h->data;
	tlsio_free(p->tls);
	free(p);
}

static void tell_closed(struct wsplain *p)
{
	void *ud = p->ud;
	if (!ud)
		return;
	p->ud = NULL;
	p->cb->closed(ud);
}

static void linger_del(struct wsplain *p)
{
	if (!p->lingering)
		return;
	if (p->lprev)
		p->lprev->lnext = p->lnext;
	else if (lingering == p)
		lingering = p->lnext;
	if (p->lnext)
		p->lnext->lprev = p->lprev;
	p->lprev = p->lnext = NULL;
}

/* The descriptor goes now, the memory once the loop lets go of the poll. */
static void finish(struct wsplain *p)
{
	if (p->dead)
		return;
	p->dead = 1;
	linger_del(p);
	if (p->out) {
		frame_unref(p->out);
		p->out = NULL;
	}
	uv_close((uv_handle_t *)&p->poll, freed);
	close(p->fd);
	if (!p->in_cb)
		tell_closed(p);
}

static void update_events(struct wsplain *p)
{
	if (p->dead)
		return;
	int ev = UV_READABLE | UV_DISCONNECT;
	if (p->out || p->ctl_len > p->ctl_off || (p->want && !p->lingering) || p->read_wants_write)
		ev |= UV_WRITABLE;
	if (ev != p->events) {
		p->events = ev;
		uv_poll_start(&p->poll, ev, poll_cb);
	}
}

/* Writes what is kept: 0 when all of it went, 1 when some waits, -1 on
 * an error (broken: the socket only closes after it; the owner's calls
 * never see closed told from inside them). */
static int flush(struct wsplain *p)
{
	if (p->broken)
		return -1;
	while (p->out || p->ctl_len > p->ctl_off) {
		const unsigned char *b;
		size_t *off, len;
		if (p->out) {
			b = frame_wire(p->out, &len);
			off = &p->out_off;
		} else {
			b = p->ctl;
			off = &p->ctl_off;
			len = p->ctl_len;
		}
		ssize_t n = tlsio_send(p->fd, p->tls, b + *off, len - *off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0) {
			p->broken = 1;
			return -1;
		}
		metrics.bytes_sent += (uint64_t)n;
		*off += (size_t)n;
		if (*off < len)
			return 1;
		if (p->out) {
			frame_unref(p->out);
			p->out = NULL;
		} else {
			p->ctl_off = p->ctl_len = 0;
		}
	}
	if (p->lingering && !p->shut) {
		p->shut = 1; /* the close frame went: our FIN follows it */
		tlsio_shutdown(p->fd, p->tls);
	}
	return 0;
}

int wsplain_fd(const struct wsplain *p)
{
	return p->tls ? -1 : p->fd;
}

int wsplain_busy(const struct wsplain *p)
{
	return p->out || p->ctl_len > p->ctl_off || p->dead || p->lingering || p->broken;
}

int wsplain_sent(struct wsplain *p, struct frame *f, ssize_t res)
{
	size_t total;
	frame_wire(f, &total);
	if (res >= 0)
		metrics.bytes_sent += (uint64_t)res;
	if (res == (ssize_t)total)
		return 0;
	if (res >= 0 || res == -EAGAIN || res == -EWOULDBLOCK) {
		p->out = frame_ref(f);
		p->out_off = res > 0 ? (size_t)res : 0;
		update_events(p);
		return 1;
	}
	p->broken = 1;
	return -1;
}

int wsplain_send(struct wsplain *p, struct frame *f)
{
	if (p->dead || p->lingering || p->broken)
		return -1;
	size_t n;
	const unsigned char *b = frame_wire(f, &n);
	ssize_t res;
	do
		res = tlsio_send(p->fd, p->tls, b, n);
	while (res < 0 && errno == EINTR);
	return wsplain_sent(p, f, res < 0 ? -errno : res);
}

/* Queues a whole control frame behind what is kept, then writes. */
static int control(struct wsplain *p, int opcode, const void *payload, size_t n)
{
	if (p->dead || n > WSFRAME_CONTROL_MAX)
		return -1;
	if (p->ctl_len + 2 + n > sizeof p->ctl)
		return 1; /* a client pinging faster than it reads: this pong is dropped */
	p->ctl_len += wsframe_head(p->ctl + p->ctl_len + 2, opcode, n);
	memcpy(p->ctl + p->ctl_len, payload, n);
	p->ctl_len += n;
	int rc = flush(p);
	update_events(p);
	return rc;
}

int wsplain_control(struct wsplain *p, int opcode, const void *payload, size_t n)
{
	if (p->lingering)
		return -1;
	return control(p, opcode, payload, n);
}

void wsplain_want_writable(struct wsplain *p)
{
	if (p->dead || p->lingering)
		return;
	p->want = 1;
	update_events(p);
}

void wsplain_close(struct wsplain *p, int code, const char *reason)
{
	if (p->dead || p->lingering)
		return;
	if (p->broken || (p->out && flush(p))) {
		/* A frame the client is not reading is still part written: no
		 * close frame can follow it. */
		finish(p);
		return;
	}
	unsigned char pl[WSFRAME_CONTROL_MAX];
	size_t n = wsframe_close_payload(pl, code, reason);
	p->want = 0;
	p->lingering = 1;
	p->linger_until = util_now_ms() + p->linger_ms;
	p->lnext = lingering;
	if (lingering)
		lingering->lprev = p;
	lingering = p;
	p->ctl_off = p->ctl_len = 0; /* a pong not yet gone is not needed now */
	if (control(p, WSFRAME_CLOSE, pl, n) < 0)
		finish(p);
	else if (!p->in_cb)
		tell_closed(p);
}

static int close_with(struct wsplain *p, int code, const char *why)
{
	metrics.ws_closed[metrics_close_idx(code)]++;
	wsplain_close(p, code, why);
	return -1;
}

/* The frame just read is whole. 0, or -1 when the socket is closing. */
static int frame_end(struct wsplain *p)
{
	p->in_payload = 0;
	struct wsframe *fr = &p->fr;
	switch (fr->opcode) {
	case WSFRAME_PING:
		if (p->ud)
			p->cb->heard(p->ud);
		if (control(p, WSFRAME_PONG, p->cbuf, p->clen) >= 0)
			return 0;
		finish(p);
		return -1;
	case WSFRAME_PONG:
		if (p->ud)
			p->cb->heard(p->ud);
		return 0;
	case WSFRAME_CLOSE: {
		int code = wsframe_close_code(p->cbuf, p->clen);
		if (code < 0)
			return close_with(p, 1002, "invalid close frame");
		/* The client's close, echoed (§5.5.1). */
		wsplain_close(p, code == 1005 ? 1000 : code, "");
		return -1;
	}
	default:
		if (fr->fin)
			p->msg_open = 0;
		if (fr->len == 0 && p->ud)
			return p->cb->data(p->ud, "", 0, 1, fr->fin, p->msg_binary);
		return 0;
	}
}

/* Bytes read from the client (unmasked here, in place). 0, or -1 when the
 * socket is closing. */
static int consume(struct wsplain *p, unsigned char *b, size_t n)
{
	size_t i = 0;
	while (i < n) {
		struct wsframe *fr = &p->fr;
		if (!p->in_payload) {
			size_t take = WSFRAME_HEAD_MAX - p->head_have;
			if (take > n - i)
				take = n - i;
			memcpy(p->head + p->head_have, b + i, take);
			const char *why = NULL;
			switch (wsframe_parse(p->head, p->head_have + take, fr, &why)) {
			case WSFRAME_MORE:
				p->head_have += take;
				i += take;
				continue;
			case WSFRAME_BAD:
				return close_with(p, 1002, why);
			case WSFRAME_OK:
				break;
			}
			i += fr->head_len - p->head_have;
			p->head_have = 0;
			int data = !(fr->opcode & 0x8);
			if (fr->opcode == WSFRAME_CONT && !p->msg_open)
				return close_with(p, 1002, "continuation frame outside a message");
			if (data && fr->opcode != WSFRAME_CONT && p->msg_open)
				return close_with(p, 1002, "a new message before the last one ended");
			if (data && fr->len > p->max_frame)
				return close_with(p, 1009, "message too big");
			if (data && fr->opcode != WSFRAME_CONT) {
				p->msg_open = 1;
				p->msg_binary = fr->opcode == WSFRAME_BINARY;
			}
			p->in_payload = 1;
			p->at = 0;
			p->clen = 0;
			if (fr->len == 0 && frame_end(p))
				return -1;
			continue;
		}
		uint64_t left = fr->len - p->at;
		size_t k = left < n - i ? (size_t)left : n - i;
		wsframe_unmask(b + i, k, fr->mask, p->at);
		if (fr->opcode & 0x8) {
			memcpy(p->cbuf + p->clen, b + i, k);
			p->clen += k;
		} else if (p->ud && p->cb->data(p->ud, b + i, k, p->at == 0,
						fr->fin && p->at + k == fr->len, p->msg_binary)) {
			return -1;
		}
		p->at += k;
		i += k;
		if (p->at == fr->len && frame_end(p))
			return -1;
	}
	return 0;
}

static void readable(struct wsplain *p)
{
	unsigned char buf[READ_CHUNK];
	for (int r = 0; r < READS_PER_TURN && !p->dead; r++) {
		/* A TLS record's text is at most 16 KiB, READ_CHUNK: each read
		 * takes what OpenSSL decrypted whole, none is left unseen. */
		ssize_t n = tlsio_recv(p->fd, p->tls, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			p->read_wants_write = tlsio_wants_write(p->tls);
			return;
		}
		p->read_wants_write = 0;
		if (n <= 0) {
			finish(p); /* closed (after our close: as it should) or reset */
			return;
		}
		if (!p->lingering && consume(p, buf, (size_t)n))
			continue; /* closing: what follows is read and thrown away */
		if ((size_t)n < sizeof buf)
			return;
	}
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct wsplain *p = h->data;
	p->in_cb = 1;
	if (status < 0) {
		finish(p);
	} else {
		if (events & UV_WRITABLE) {
			int rc = flush(p);
			if (rc < 0)
				finish(p);
			if (rc == 0 && p->want && !p->lingering) {
				p->want = 0;
				update_events(p);
				if (p->ud)
					p->cb->writable(p->ud);
			}
		}
		if (!p->dead && ((events & (UV_READABLE | UV_DISCONNECT)) ||
				 (p->read_wants_write && (events & UV_WRITABLE))))
			readable(p);
	}
	p->in_cb = 0;
	if (p->dead || p->lingering)
		tell_closed(p);
	update_events(p);
}

struct wsplain *wsplain_open(uv_loop_t *loop, int fd, struct tlsio *tls,
			     const struct wsplain_cb *cb, void *ud, uint64_t max_frame,
			     int64_t linger_ms)
{
	struct wsplain *p = xcalloc(1, sizeof *p);
	if (uv_poll_init(loop, &p->poll, fd)) {
		free(p);
		return NULL;
	}
	p->poll.data = p;
	p->fd = fd;
	p->tls = tls;
	p->cb = cb;
	p->ud = ud;
	p->max_frame = max_frame;
	p->linger_ms = linger_ms;
	update_events(p);
	return p;
}

void wsplain_sweep(int64_t now_ms)
{
	for (struct wsplain *p = lingering, *next; p; p = next) {
		next = p->lnext;
		if (p->linger_until <= now_ms)
			finish(p);
	}
}

void wsplain_close_lingering(void)
{
	while (lingering)
		finish(lingering);
}
