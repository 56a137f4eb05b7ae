#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sendq.h"

static void bounded_in_bytes(void **state)
{
	(void)state;
	int64_t live0 = frame_live;
	struct sendq q;
	memset(&q, 0, sizeof q);
	struct frame *f = frame_new("0123456789", 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sendq_push(&q, f, 100), 0);
	assert_int_equal(q.bytes, 100);
	assert_int_equal(q.len, 10);
	/* The 101st byte does not fit: refused, nothing changes. */
	assert_int_equal(sendq_push(&q, f, 100), -ENOBUFS);
	assert_int_equal(q.bytes, 100);
	assert_int_equal(q.len, 10);
	assert_int_equal(f->refs, 11); /* creator + ten slots */
	sendq_pop(&q);
	assert_int_equal(q.bytes, 90);
	assert_int_equal(sendq_push(&q, f, 100), 0);
	sendq_clear(&q);
	assert_int_equal(q.len, 0);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(f->refs, 1);
	frame_unref(f);
	assert_int_equal(frame_live, live0);
}

static void fifo_across_growth_and_wrap(void **state)
{
	(void)state;
	struct sendq q;
	memset(&q, 0, sizeof q);
	struct frame *fr[40];
	for (int i = 0; i < 40; i++) {
		char s[8];
		int n = snprintf(s, sizeof s, "%d", i);
		fr[i] = frame_new(s, (size_t)n);
	}
	/* Interleave pushes and pops so the ring wraps before it grows. */
	int next_out = 0;
	for (int i = 0; i < 40; i++) {
		assert_int_equal(sendq_push(&q, fr[i], 1 << 20), 0);
		if (i % 3 == 2) {
			assert_ptr_equal(sendq_peek(&q), fr[next_out++]);
			sendq_pop(&q);
		}
	}
	while (sendq_peek(&q)) {
		assert_ptr_equal(sendq_peek(&q), fr[next_out++]);
		sendq_pop(&q);
	}
	assert_int_equal(next_out, 40);
	sendq_trim(&q, 4);
	assert_null(q.ring);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(fr[i]->refs, 1);
		frame_unref(fr[i]);
	}
}

static void shared_frame_header_room(void **state)
{
	(void)state;
	struct event ev = { .ch = "thread:1", .seq = 3, .type = "post.created",
			    .data = "{\"a\":\"\\u4e2d\"}", .data_len = 14, .at = 5 };
	struct frame *f = frame_event(&ev);
	assert_string_equal((char *)frame_payload(f),
		"{\"op\":\"event\",\"ch\":\"thread:1\",\"seq\":3,\"type\":\"post.created\","
		"\"data\":{\"a\":\"\\u4e2d\"},\"at\":5}");
	assert_int_equal(f->len, strlen((char *)frame_payload(f)));
	frame_unref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounded_in_bytes),
		cmocka_unit_test(fifo_across_growth_and_wrap),
		cmocka_unit_test(shared_frame_header_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
