/* wsplain and sendbatch on real sockets (socketpairs and a libuv loop):
 * client frames read however the bytes arrive, pings answered, protocol
 * errors closed 1002, partial writes finished in order before anything
 * else, and a batch's sends each reported (a full socket: -EAGAIN). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "sendbatch.h"
#include "util.h"
#include "wsframe.h"
#include "wsplain.h"

static uv_loop_t loop;

struct owner {
	struct buf msg;            /* the message being received */
	char got[8][256];          /* whole messages */
	int msgs, heard, writable, closed;
};

static int on_data(void *ud, const void *p, size_t n, int first, int last, int binary)
{
	(void)first;
	(void)binary;
	struct owner *o = ud;
	buf_append(&o->msg, p, n);
	if (last) {
		snprintf(o->got[o->msgs++ % 8], 256, "%s", o->msg.p ? o->msg.p : "");
		o->msg.len = 0;
	}
	return 0;
}
static void on_heard(void *ud) { ((struct owner *)ud)->heard++; }
static void on_writable(void *ud) { ((struct owner *)ud)->writable++; }
static void on_closed(void *ud) { ((struct owner *)ud)->closed++; }
static const struct wsplain_cb cb = { on_data, on_heard, on_writable, on_closed };

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static size_t client_frame(unsigned char *out, int b0, const char *payload, size_t n)
{
	static const unsigned char m[4] = { 9, 8, 7, 6 };
	out[0] = (unsigned char)b0;
	out[1] = (unsigned char)(0x80 | n); /* n < 126 here */
	memcpy(out + 2, m, 4);
	for (size_t i = 0; i < n; i++)
		out[6 + i] = (unsigned char)payload[i] ^ m[i & 3];
	return 6 + n;
}

static void turn(void)
{
	uv_run(&loop, UV_RUN_NOWAIT);
}

/* Everything the peer can read now. */
static size_t drain(int fd, unsigned char *out, size_t cap)
{
	size_t have = 0;
	for (;;) {
		ssize_t n = recv(fd, out + have, cap - have, 0);
		if (n <= 0)
			return have;
		have += (size_t)n;
	}
}

static void reads_a_message_split_anyhow_and_answers_pings(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct owner o = { 0 };
	struct wsplain *p = wsplain_open(&loop, sv[0], NULL, &cb, &o, 4096, 2000);
	unsigned char b[256];
	size_t n = client_frame(b, 0x01, "{\"op\":", 6);           /* text, not final */
	n += client_frame(b + n, 0x89, "between", 7);               /* a ping inside it */
	n += client_frame(b + n, 0x80, "\"ping\"}", 7);             /* the final continuation */
	n += client_frame(b + n, 0x81, "", 0);                      /* an empty message */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(send(sv[1], b + i, 1, 0), 1);
		turn();
	}
	assert_int_equal(o.msgs, 2);
	assert_string_equal(o.got[0], "{\"op\":\"ping\"}");
	assert_string_equal(o.got[1], "");
	assert_int_equal(o.heard, 1);
	unsigned char r[64];
	assert_int_equal(drain(sv[1], r, sizeof r), 9);
	assert_memory_equal(r, "\x8a\x07" "between", 9);
	/* The client closes: its code is echoed, then our side shuts down. */
	n = client_frame(b, 0x88, "\x0f\xa0" "bye", 5);
	assert_int_equal(send(sv[1], b, n, 0), (ssize_t)n);
	turn();
	assert_int_equal(o.closed, 1);
	assert_int_equal(drain(sv[1], r, sizeof r), 4);
	assert_memory_equal(r, "\x88\x02\x0f\xa0", 4);
	assert_int_equal(recv(sv[1], r, 1, 0), 0); /* EOF: our FIN after the close */
	close(sv[1]);
	turn();
	turn();
	buf_free(&o.msg);
	(void)p;
}

static void closes_1002_on_an_unmasked_frame(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct owner o = { 0 };
	wsplain_open(&loop, sv[0], NULL, &cb, &o, 4096, 2000);
	assert_int_equal(send(sv[1], "\x81\x02hi", 4, 0), 4);
	turn();
	assert_int_equal(o.msgs, 0);
	assert_int_equal(o.closed, 1);
	unsigned char r[200];
	size_t n = drain(sv[1], r, sizeof r);
	assert_true(n > 4);
	assert_int_equal(r[0], 0x88);
	assert_int_equal(r[2] << 8 | r[3], 1002);
	/* Lingering: what the client still sends is thrown away, then its
	 * close ends it. */
	assert_int_equal(send(sv[1], "\x81\x82xxxxxx", 8, 0), 8);
	turn();
	assert_int_equal(o.msgs, 0);
	assert_int_equal(o.closed, 1);
	close(sv[1]);
	turn();
	turn();
}

/* Decodes server frames from b[0..n): their payload lengths and first bytes. */
static int frames_in(const unsigned char *b, size_t n, size_t *lens, unsigned char *firsts, int max)
{
	int k = 0;
	for (size_t at = 0; at < n && k < max;) {
		uint64_t len = b[at + 1] & 0x7f;
		size_t hl = 2;
		if (len == 126) {
			len = (uint64_t)b[at + 2] << 8 | b[at + 3];
			hl = 4;
		} else if (len == 127) {
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | b[at + 2 + i];
			hl = 10;
		}
		lens[k] = (size_t)len;
		firsts[k++] = b[at + hl];
		at += hl + (size_t)len;
	}
	return k;
}

static void a_partial_write_finishes_first_and_in_order(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	struct owner o = { 0 };
	struct wsplain *p = wsplain_open(&loop, sv[0], NULL, &cb, &o, 4096, 2000);
	size_t big = 3 << 20;
	char *payload = malloc(big);
	memset(payload, 'a', big);
	struct frame *f1 = frame_new(payload, big);
	memset(payload, 'b', 100);
	struct frame *f2 = frame_new(payload, 100);
	free(payload);
	/* More than the socket holds: part goes, the rest is kept. */
	assert_int_equal(wsplain_send(p, f1), 1);
	assert_true(wsplain_busy(p));
	assert_int_equal(wsplain_control(p, WSFRAME_PING, "12345678", 8), 1); /* behind it */
	wsplain_want_writable(p);
	unsigned char *r = malloc(big + 1024);
	size_t have = 0;
	for (int turns = 0; !o.writable; turns++) {
		assert_true(turns < 100000); /* the rest goes as the peer reads */
		have += drain(sv[1], r + have, big + 1024 - have);
		turn();
	}
	assert_false(wsplain_busy(p));
	assert_int_equal(wsplain_send(p, f2), 0);
	have += drain(sv[1], r + have, big + 1024 - have);
	size_t lens[4];
	unsigned char firsts[4];
	assert_int_equal(frames_in(r, have, lens, firsts, 4), 3);
	assert_int_equal(lens[0], big);
	assert_int_equal(firsts[0], 'a');
	assert_int_equal(r[10 + big], 0x89); /* the ping came after the whole frame */
	assert_int_equal(lens[2], 100);
	assert_int_equal(firsts[2], 'b');
	assert_int_equal(have, 10 + big + 10 + 2 + 100);
	frame_unref(f1);
	frame_unref(f2);
	free(r);
	wsplain_close(p, 1000, "done");
	assert_int_equal(o.closed, 1);
	close(sv[1]);
	turn();
	wsplain_close_lingering();
	turn();
}

static void batch(int use_uring)
{
	enum { N = 64 };
	int sv[N][2];
	struct sendbatch_item it[N];
	const char *why = NULL;
	struct sendbatch *b = sendbatch_new(use_uring, &why);
	if (use_uring && !sendbatch_uring(b))
		print_message("io_uring unavailable here (%s): the batch sends one by one\n", why);
	for (int i = 0; i < N; i++) {
		pair(sv[i]);
		it[i] = (struct sendbatch_item){ .fd = sv[i][0], .buf = "hello, neighbours", .len = 17 };
	}
	/* Socket 5's buffer is full: it answers -EAGAIN, the others go. */
	static char fill[65536];
	while (send(sv[5][0], fill, sizeof fill, MSG_DONTWAIT) > 0)
		;
	sendbatch_run(b, it, N);
	for (int i = 0; i < N; i++) {
		if (i == 5) {
			assert_int_equal(it[i].res, -EAGAIN);
			continue;
		}
		assert_int_equal(it[i].res, 17);
		char r[32];
		assert_int_equal(recv(sv[i][1], r, sizeof r, 0), 17);
		assert_memory_equal(r, "hello, neighbours", 17);
	}
	/* A closed peer: an error for that one only. */
	close(sv[7][1]);
	sendbatch_run(b, it, 10);
	assert_int_equal(it[7].res, -EPIPE);
	assert_int_equal(it[6].res, 17);
	for (int i = 0; i < N; i++) {
		close(sv[i][0]);
		if (i != 7)
			close(sv[i][1]);
	}
	sendbatch_free(b);
}

static void a_batch_reports_each_send_with_io_uring(void **state)
{
	(void)state;
	batch(1);
}

static void a_batch_reports_each_send_one_by_one(void **state)
{
	(void)state;
	batch(0);
}

int main(void)
{
	uv_loop_init(&loop);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_a_message_split_anyhow_and_answers_pings),
		cmocka_unit_test(closes_1002_on_an_unmasked_frame),
		cmocka_unit_test(a_partial_write_finishes_first_and_in_order),
		cmocka_unit_test(a_batch_reports_each_send_with_io_uring),
		cmocka_unit_test(a_batch_reports_each_send_one_by_one),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return rc;
}
