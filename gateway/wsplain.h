/* wsplain: a WebSocket's socket, framed by the gateway.
 *
 * The door (door.c) answers the upgrade and gives the socket here, with its
 * TLS session in TLS mode (tlsio.h). Our own framing closes unmasked client
 * frames with 1002 (RFC 6455 §5.1; lws 4.1.6 accepted them), and a send
 * batched over many sockets (issue 18, sendbatch.h) needs the socket and
 * its partial writes in our hands.
 *
 * One wsplain is one socket: it reads and checks client frames
 * (wsframe.h), hands data to its owner in chunks, answers pings
 * and the close handshake, and writes frames whole or keeps the rest of
 * one that went in part, sending it before anything else. Loop thread. */
#ifndef LINLI_WSPLAIN_H
#define LINLI_WSPLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "frame.h"

struct wsplain;

struct wsplain_cb {
	/* A chunk of a data message's payload, unmasked. first: it starts a
	 * frame; last: it ends the message; binary: the message's type.
	 * Return 0, or -1 after closing (wsplain_close): no more chunks. */
	int (*data)(void *ud, const void *p, size_t n, int first, int last, int binary);
	/* The client was heard at the WebSocket level (a ping or a pong). */
	void (*heard)(void *ud);
	/* Asked for (wsplain_want_writable) and everything kept has gone. */
	void (*writable)(void *ud);
	/* The socket is gone for its owner (the client closed, an error, or
	 * our close began): no call for ud after this one. */
	void (*closed)(void *ud);
};

struct tlsio;

/* Takes fd (non-blocking, after the 101) and its TLS session (NULL on the
 * plain port; freed with the socket once this succeeded) and watches it on loop. Frames longer
 * than max_frame are closed with 1009 before their payload is read; after
 * our close, the client has linger_ms to close its side. */
struct wsplain *wsplain_open(uv_loop_t *loop, int fd, struct tlsio *tls,
			     const struct wsplain_cb *cb, void *ud, uint64_t max_frame,
			     int64_t linger_ms);

/* Sends f (frame_wire: header and payload): 0 when all of it went, 1 when
 * part did (the rest is kept and goes first, wsplain_busy), -1 when the
 * socket failed (only closing is left: wsplain_close). Only when not busy. */
int wsplain_send(struct wsplain *p, struct frame *f);
/* The descriptor a batch (sendbatch) may write to; -1 with TLS (its bytes
 * go through OpenSSL, one socket at a time). */
int wsplain_fd(const struct wsplain *p);
/* For a send of frame_wire(f) made elsewhere (sendbatch): what it returned
 * (bytes, or -errno), taken as wsplain_send takes it. */
int wsplain_sent(struct wsplain *p, struct frame *f, ssize_t res);
/* A ping or pong with payload n <= 125 bytes, after what is kept. */
int wsplain_control(struct wsplain *p, int opcode, const void *payload, size_t n);
/* Part of a frame is kept: nothing else may be written now. */
int wsplain_busy(const struct wsplain *p);
/* Calls writable once what is kept has gone and the socket takes more. */
void wsplain_want_writable(struct wsplain *p);
/* Sends a close frame (if what is kept can go first), stops reading the
 * client's data, and closes the socket once the client has closed its side
 * or after the linger time. closed is called (now, or when the current
 * callback returns). */
void wsplain_close(struct wsplain *p, int code, const char *reason);

/* Once a second: sockets lingering after a close past their time. */
void wsplain_sweep(int64_t now_ms);
/* Shutdown: every lingering socket closed now. */
void wsplain_close_lingering(void);

#endif
