#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "reqhead.h"

#define LINES 64 /* http_max_header_lines by default */

static enum reqhead_verdict check(const char *head, struct reqhead *rh)
{
	return reqhead_check(head, strlen(head), 8192, LINES, rh);
}

static void refused(const char *head, int status, const char *code, const char *words)
{
	struct reqhead rh;
	if (check(head, &rh) != REQHEAD_REFUSE || rh.status != status || strcmp(rh.code, code) ||
	    !strstr(rh.message, words))
		fail_msg("%s: got %d %s \"%s\"", head, rh.status, rh.code ? rh.code : "-", rh.message);
}

static void passes_well_formed_heads(void **state)
{
	(void)state;
	static const char *const heads[] = {
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
		"PATCH /v1/posts/1 HTTP/1.1\r\nHost: x\r\nX-Client-Port: 5\r\nIdempotency-Key: a b\r\n\r\n",
		"DELETE /v1/me HTTP/1.1\nHost: x\n\n",                   /* bare LF */
		"OPTIONS /v1/x?y=1 HTTP/1.1\r\nHost:x\r\nX-Empty:\r\n\r\n",
		"GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nHostx: 1\r\nUser-Agent: caf\xc3\xa9\r\n\r\n", /* obs-text */
		/* Names lws 4.1.6 could not finish (the start of one it knows). */
		"GET / HTTP/1.1\r\nHost: x\r\nX: 1\r\nCon: 1\r\nGe: 1\r\ncontent-lengt: 1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		struct reqhead rh;
		if (check(heads[i], &rh) != REQHEAD_PASS)
			fail_msg("%s: refused %d %s", heads[i], rh.status, rh.message);
		const char *end = strstr(heads[i], "\r\n\r\n");
		size_t want = end ? (size_t)(end - heads[i]) + 4
				  : (size_t)(strstr(heads[i], "\n\n") - heads[i]) + 2;
		assert_int_equal(rh.head_len, want);
	}
}

static void waits_for_the_rest(void **state)
{
	(void)state;
	const char *full = "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	struct reqhead rh;
	/* Every proper prefix of a good head is "more", never a refusal. */
	for (size_t n = 0; n < strlen(full); n++)
		assert_int_equal(reqhead_check(full, n, 8192, LINES, &rh), REQHEAD_MORE);
	assert_int_equal(reqhead_check(full, strlen(full), 8192, LINES, &rh), REQHEAD_PASS);
	/* A bad request line is refused before the headers are complete. */
	assert_int_equal(check("BREW / HTTP/1.1\r\nHo", &rh), REQHEAD_REFUSE);
}

static void refuses_malformed_heads_with_a_reason(void **state)
{
	(void)state;
	refused("GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request", "absolute URI");
	refused("GET healthz HTTP/1.1\r\n\r\n", 400, "bad_request", "starting with /");
	refused("BREW /healthz HTTP/1.1\r\n\r\n", 501, "not_implemented", "BREW");
	refused("CONNECT x:443 HTTP/1.1\r\n\r\n", 501, "not_implemented", "CONNECT");
	refused("get / HTTP/1.1\r\n\r\n", 501, "not_implemented", "get"); /* methods are case-sensitive */
	refused("GET / HTTP/2.0\r\n\r\n", 505, "http_version_not_supported", "HTTP/2.0");
	refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version_not_supported", "HTTP/2.0");
	refused("GET / HTTP/1.1 \r\n\r\n", 400, "bad_request", "request line");
	refused("GET  / HTTP/1.1\r\n\r\n", 400, "bad_request", "request line");
	refused("GET /a b HTTP/1.1\r\n\r\n", 400, "bad_request", "request line");
	refused("GET /\x01 HTTP/1.1\r\n\r\n", 400, "bad_request", "request line");
	refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad_request", "not a token");
	refused("GET / HTTP/1.1\r\n: x\r\n\r\n", 400, "bad_request", "not a token");
	refused("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad_request", "without a colon");
	refused("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "bad_request", "folding");
	refused("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "bad_request", "control character");
	refused("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "bad_request", "control character");
	refused("\r\nGET / HTTP/1.1\r\n\r\n", 400, "bad_request", "empty line");
	refused("GET / HTTP/1.1\r\nHostx: a\r\n\r\n", 400, "bad_request", "needs a Host");
	refused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "bad_request", "more than once");
	refused("GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n", 400, "bad_request", "more than once");
}

static void bounds_the_head(void **state)
{
	(void)state;
	struct reqhead rh;
	char big[9000];
	int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', sizeof big - (size_t)n - 1);
	big[sizeof big - 1] = '\0';
	/* Over the limit with no end in sight: refused at once. */
	assert_int_equal(reqhead_check(big, 8193, 8192, LINES, &rh), REQHEAD_REFUSE);
	assert_int_equal(rh.status, 431);
	assert_string_equal(rh.code, "headers_too_large");
	/* A head exactly at the limit passes; one byte more does not. */
	char exact[200];
	const char *pre = "GET / HTTP/1.1\r\nHost: x\r\nY-A: ";
	size_t max = 100, pl = strlen(pre);
	memcpy(exact, pre, pl);
	memset(exact + pl, 'b', max - pl - 4);
	memcpy(exact + max - 4, "\r\n\r\n", 4);
	assert_int_equal(reqhead_check(exact, max, max, LINES, &rh), REQHEAD_PASS);
	assert_int_equal(rh.head_len, max);
	assert_int_equal(reqhead_check(exact, max, max - 1, LINES, &rh), REQHEAD_REFUSE);
	assert_int_equal(rh.status, 431);
	/* Header lines are counted. */
	char many[4096];
	size_t m = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= LINES; i++)
		m += (size_t)snprintf(many + m, sizeof many - m, "X-H%d: v\r\n", i);
	snprintf(many + m, sizeof many - m, "\r\n");
	assert_int_equal(check(many, &rh), REQHEAD_REFUSE);
	assert_int_equal(rh.status, 431);
	assert_non_null(strstr(rh.message, "header lines"));
}

static void reads_headers_of_a_passed_head(void **state)
{
	(void)state;
	static const char h[] = "GET /v1/ws?x=1 HTTP/1.1\r\nHost: a\r\nUPGRADE:  WebSocket \r\n"
		"Connection: keep-alive, Upgrade\r\nX-Forwarded-For: 1.2.3.4\r\n"
		"x-forwarded-for:5.6.7.8\r\nEmpty:\r\n\r\nBody: not a header";
	size_t len = sizeof h - 1, n;
	struct reqhead rh;
	assert_int_equal(reqhead_check(h, len, 8192, LINES, &rh), REQHEAD_PASS);
	const char *v = reqhead_header(h, rh.head_len, "upgrade", 0, &n);
	assert_non_null(v);
	assert_int_equal(n, 9);
	assert_memory_equal(v, "WebSocket", 9);
	assert_true(reqhead_lists(v, n, "websocket"));
	v = reqhead_header(h, rh.head_len, "Connection", 0, &n);
	assert_true(reqhead_lists(v, n, "upgrade"));
	assert_true(reqhead_lists(v, n, "keep-alive"));
	assert_false(reqhead_lists(v, n, "close"));
	assert_false(reqhead_lists("upgrade-x, up", 13, "upgrade"));
	v = reqhead_header(h, rh.head_len, "x-forwarded-for", 1, &n);
	assert_memory_equal(v, "5.6.7.8", n);
	assert_null(reqhead_header(h, rh.head_len, "x-forwarded-for", 2, &n));
	assert_null(reqhead_header(h, rh.head_len, "body", 0, &n)); /* past the head */
	assert_null(reqhead_header(h, rh.head_len, "host:", 0, &n));
	assert_null(reqhead_header(h, rh.head_len, "hos", 0, &n));
	v = reqhead_header(h, rh.head_len, "empty", 0, &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	v = reqhead_target(h, rh.head_len, &n);
	assert_memory_equal(v, "/v1/ws?x=1", n);
	assert_int_equal(n, 10);
}

static void path_is(const char *target, const char *path, const char *query)
{
	char out[256];
	const char *q;
	size_t ql;
	const char *why = reqhead_path(target, strlen(target), out, &q, &ql);
	if (why)
		fail_msg("%s: refused: %s", target, why);
	if (strcmp(out, path))
		fail_msg("%s: path \"%s\", not \"%s\"", target, out, path);
	if (!query ? q != NULL : !q || ql != strlen(query) || memcmp(q, query, ql))
		fail_msg("%s: query \"%.*s\", not \"%s\"", target, q ? (int)ql : 4,
			 q ? q : "NULL", query ? query : "NULL");
}

static void path_refused(const char *target, const char *words)
{
	char out[256];
	const char *q;
	size_t ql;
	const char *why = reqhead_path(target, strlen(target), out, &q, &ql);
	if (!why || !strstr(why, words))
		fail_msg("%s: %s", target, why ? why : "passed");
}

static void decodes_the_path_and_keeps_the_query_raw(void **state)
{
	(void)state;
	path_is("/", "/", NULL);
	path_is("/healthz", "/healthz", NULL);
	path_is("/v1/threads?limit=5", "/v1/threads", "limit=5");
	path_is("/v1/x?", "/v1/x", "");
	/* The query is handed on as sent: decoding it twice cut values. */
	path_is("/v1/search?q=a%26b%2526c+d&x=1", "/v1/search", "q=a%26b%2526c+d&x=1");
	path_is("/v1/x?a=1#frag", "/v1/x", "a=1");
	path_is("/v1/x#frag?no", "/v1/x", NULL);
	path_is("/v1/channels/thread%3A12/events", "/v1/channels/thread:12/events", NULL);
	path_is("/%E9%82%BB", "/\xe9\x82\xbb", NULL);
	path_is("/a+b", "/a+b", NULL); /* not a space in a path */
	path_is("/a;b&c", "/a;b&c", NULL);
	/* Dot segments and empty segments: never above the root. */
	path_is("//a///b", "/a/b", NULL);
	path_is("/a/./b/../c", "/a/c", NULL);
	path_is("/a/b/", "/a/b/", NULL);
	path_is("/a/b/.", "/a/b/", NULL);
	path_is("/a/b/..", "/a/", NULL);
	path_is("/../../etc/passwd", "/etc/passwd", NULL);
	path_is("/%2e%2e/%2E%2E/etc", "/etc", NULL);
	path_is("/a/%2e%2e%2f%2e%2e%2fb", "/b", NULL);
	path_is("/..", "/", NULL);
	path_is("/x/..?a=1", "/", "a=1");
	path_is("/..a/.b", "/..a/.b", NULL);
	path_refused("/a%2", "malformed");
	path_refused("/a%zz", "malformed");
	path_refused("/a%", "malformed");
	path_refused("/a%00b", "%00");
	path_refused("%2fa", "start with /");
}

static void tells_whether_the_connection_stays(void **state)
{
	(void)state;
	static const struct { const char *head; int keep; } cases[] = {
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: te\r\nConnection: x, close\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct reqhead rh;
		assert_int_equal(check(cases[i].head, &rh), REQHEAD_PASS);
		if (reqhead_keep_alive(cases[i].head, rh.head_len) != cases[i].keep)
			fail_msg("%s: keep-alive should be %d", cases[i].head, cases[i].keep);
	}
	assert_string_equal(reqhead_reason(404), "Not Found");
	assert_string_equal(reqhead_reason(431), "Request Header Fields Too Large");
	assert_string_equal(reqhead_reason(499), "Client Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes_well_formed_heads),
		cmocka_unit_test(waits_for_the_rest),
		cmocka_unit_test(refuses_malformed_heads_with_a_reason),
		cmocka_unit_test(bounds_the_head),
		cmocka_unit_test(reads_headers_of_a_passed_head),
		cmocka_unit_test(decodes_the_path_and_keeps_the_query_raw),
		cmocka_unit_test(tells_whether_the_connection_stays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
