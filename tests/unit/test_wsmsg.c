#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "wsmsg.h"

static int parse(const char *text, struct wsmsg *m, const char **err)
{
	return wsmsg_parse(text, strlen(text), m, err);
}

static void parses_each_op(void **state)
{
	(void)state;
	struct wsmsg m;
	const char *err = NULL;
	assert_int_equal(parse("{\"op\":\"ping\",\"ref\":{\"a\":[1,2]}}", &m, &err), 0);
	assert_int_equal(m.op, WSMSG_PING);
	assert_string_equal(m.ref, "{\"a\":[1,2]}");
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"auth\",\"token\":\"v1.x\"}", &m, &err), 0);
	assert_int_equal(m.op, WSMSG_AUTH);
	assert_string_equal(m.token, "v1.x");
	assert_null(m.ref);
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"sub\",\"ch\":\"thread:4\",\"since\":17}", &m, &err), 0);
	assert_int_equal(m.op, WSMSG_SUB);
	assert_string_equal(m.ch, "thread:4");
	assert_int_equal(m.since, 17);
	assert_false(m.since_bad);
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"sub\",\"ch\":\"thread:4\",\"since\":null}", &m, &err), 0);
	assert_int_equal(m.since, -1);
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"sub\",\"ch\":\"thread:4\",\"since\":-1}", &m, &err), 0);
	assert_true(m.since_bad);
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"sub\",\"ch\":\"thread:4\",\"since\":\"5\"}", &m, &err), 0);
	assert_true(m.since_bad);
	wsmsg_free(&m);
	assert_int_equal(parse("{\"op\":\"unsub\",\"ch\":7}", &m, &err), 0);
	assert_int_equal(m.op, WSMSG_UNSUB);
	assert_null(m.ch); /* not a string: the caller answers bad_request */
	wsmsg_free(&m);
}

static void refuses_with_a_reason(void **state)
{
	(void)state;
	static const struct { const char *text, *why; int has_ref; } cases[] = {
		{ "not json", "not valid JSON", 0 },
		{ "[1,2]", "JSON object", 0 },
		{ "{\"op\":\"ping\",\"op\":\"auth\"}", "not valid JSON", 0 }, /* duplicate key */
		{ "{\"ref\":1}", "op is required", 1 },
		{ "{\"op\":42,\"ref\":\"r\"}", "op is required", 1 },
		{ "{\"op\":\"auth\",\"token\":5}", "token is required", 0 },
		{ "{\"op\":\"fly\",\"ref\":[]}", "unknown op", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wsmsg m;
		const char *err = NULL;
		assert_int_equal(parse(cases[i].text, &m, &err), -EINVAL);
		assert_non_null(strstr(err, cases[i].why));
		assert_int_equal(m.ref != NULL, cases[i].has_ref);
		wsmsg_free(&m);
	}
	/* A ref longer than WSMSG_REF_MAX serialised is refused, not echoed. */
	char big[600];
	snprintf(big, sizeof big, "{\"op\":\"ping\",\"ref\":\"%0300d\"}", 0);
	struct wsmsg m;
	const char *err;
	assert_int_equal(parse(big, &m, &err), -EINVAL);
	assert_non_null(strstr(err, "ref is too long"));
	assert_null(m.ref);
	wsmsg_free(&m);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(wsmsg_parse("{\"op\":\"ping\"}garbage", 13, &m, &err), 0);
	wsmsg_free(&m);
}

static void reassembles_fragments_under_the_limit(void **state)
{
	(void)state;
	struct wsmsg_rx rx = { 0 };
	/* Three fragments of one text message; lws may also split a fragment. */
	assert_int_equal(wsmsg_rx_feed(&rx, "{\"op\"", 5, 1, 0, 0, 64), WSMSG_MORE);
	assert_int_equal(wsmsg_rx_feed(&rx, ":\"pi", 4, 0, 0, 1, 64), WSMSG_MORE); /* type read at the start */
	assert_int_equal(wsmsg_rx_feed(&rx, "ng\"}", 4, 1, 1, 1, 64), WSMSG_TEXT);
	assert_int_equal(rx.text.len, 13);
	assert_memory_equal(rx.text.p, "{\"op\":\"ping\"}", 13);
	wsmsg_rx_reset(&rx, 4096);
	assert_int_equal(rx.text.len, 0);
	/* Exactly at the limit is fine; one byte over is not. */
	char buf[65];
	memset(buf, 'a', sizeof buf);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 32, 1, 0, 0, 64), WSMSG_MORE);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 32, 0, 1, 0, 64), WSMSG_TEXT);
	wsmsg_rx_reset(&rx, 4096);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 40, 1, 0, 0, 64), WSMSG_MORE);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 25, 0, 1, 0, 64), WSMSG_TOO_BIG);
	wsmsg_rx_free(&rx);
	/* Binary: counted against the same limit, never kept. */
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 40, 1, 0, 1, 64), WSMSG_MORE);
	assert_null(rx.text.p);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 24, 0, 1, 1, 64), WSMSG_BINARY);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 60, 1, 0, 1, 64), WSMSG_MORE);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 5, 0, 1, 1, 64), WSMSG_TOO_BIG);
	wsmsg_rx_free(&rx);
	/* A huge length cannot wrap the check. */
	assert_int_equal(wsmsg_rx_feed(&rx, buf, 1, 1, 0, 0, 64), WSMSG_MORE);
	assert_int_equal(wsmsg_rx_feed(&rx, buf, SIZE_MAX, 0, 1, 0, 64), WSMSG_TOO_BIG);
	wsmsg_rx_free(&rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_each_op),
		cmocka_unit_test(refuses_with_a_reason),
		cmocka_unit_test(reassembles_fragments_under_the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
