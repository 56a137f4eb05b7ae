/* wsframe: client frame headers read and checked, server headers written,
 * unmasking, close payloads and the handshake's accept key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "wsframe.h"

static const unsigned char MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A masked client frame header for len bytes into out: its length. */
static size_t client_head(unsigned char *out, int b0, uint64_t len)
{
	size_t n;
	out[0] = (unsigned char)b0;
	if (len < 126) {
		out[1] = (unsigned char)(0x80 | len);
		n = 2;
	} else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		n = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		n = 10;
	}
	memcpy(out + n, MASK, 4);
	return n + 4;
}

static void reads_every_length_form_and_waits_for_the_whole_header(void **state)
{
	(void)state;
	static const uint64_t lens[] = { 0, 1, 125, 126, 65535, 65536, 1ull << 40 };
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		unsigned char h[WSFRAME_HEAD_MAX + 4];
		size_t n = client_head(h, 0x81, lens[k]);
		struct wsframe f;
		const char *why = NULL;
		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(wsframe_parse(h, cut, &f, &why), WSFRAME_MORE);
		h[n] = 0xee; /* a payload byte after it is not read */
		assert_int_equal(wsframe_parse(h, n + 1, &f, &why), WSFRAME_OK);
		assert_int_equal(f.head_len, n);
		assert_true(f.len == lens[k]);
		assert_int_equal(f.fin, 1);
		assert_int_equal(f.opcode, WSFRAME_TEXT);
		assert_memory_equal(f.mask, MASK, 4);
	}
}

static void bad(const unsigned char *h, size_t n, const char *words)
{
	struct wsframe f;
	const char *why = NULL;
	if (wsframe_parse(h, n, &f, &why) != WSFRAME_BAD || !why || !strstr(why, words))
		fail_msg("%02x %02x: expected a protocol error about \"%s\", got %s", h[0], h[1], words,
			 why ? why : "none");
}

static void refuses_what_rfc6455_calls_a_protocol_error(void **state)
{
	(void)state;
	unsigned char h[WSFRAME_HEAD_MAX];
	bad((const unsigned char[]){ 0x81, 0x05 }, 2, "masked");           /* unmasked text */
	bad((const unsigned char[]){ 0x82, 0x7e, 0, 200 }, 4, "masked");   /* unmasked binary */
	for (int rsv = 1; rsv < 8; rsv++) {
		client_head(h, 0x81 | rsv << 4, 3);
		bad(h, 6, "reserved");
	}
	static const int unknown[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		client_head(h, 0x80 | unknown[i], 1);
		bad(h, 6, "opcode");
	}
	client_head(h, 0x89, 126); /* a ping of 126 bytes */
	bad(h, 8, "control");
	client_head(h, 0x09, 1);   /* a fragmented ping */
	bad(h, 6, "control");
	client_head(h, 0x88, 1ull << 20); /* a huge close */
	bad(h, 14, "control");
	client_head(h, 0x81, 0);
	h[1] = 0x80 | 127;
	h[2] = 0x80; /* a 64-bit length with its top bit */
	bad(h, 14, "range");
	/* Control frames of 125 bytes and data frames without FIN are fine. */
	struct wsframe f;
	const char *why;
	client_head(h, 0x89, 125);
	assert_int_equal(wsframe_parse(h, 6, &f, &why), WSFRAME_OK);
	client_head(h, 0x01, 10);
	assert_int_equal(wsframe_parse(h, 6, &f, &why), WSFRAME_OK);
	assert_int_equal(f.fin, 0);
	client_head(h, 0x80, 10);
	assert_int_equal(wsframe_parse(h, 6, &f, &why), WSFRAME_OK);
	assert_int_equal(f.opcode, WSFRAME_CONT);
}

static void unmasks_from_any_offset(void **state)
{
	(void)state;
	unsigned char plain[100], buf[100];
	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = (unsigned char)(i * 7 + 3);
	/* Masked in one go, unmasked in pieces of every size from every offset. */
	for (size_t piece = 1; piece <= 33; piece++) {
		for (size_t i = 0; i < sizeof plain; i++)
			buf[i] = plain[i] ^ MASK[i & 3];
		for (size_t at = 0; at < sizeof buf; at += piece) {
			size_t n = sizeof buf - at < piece ? sizeof buf - at : piece;
			wsframe_unmask(buf + at, n, MASK, at);
		}
		assert_memory_equal(buf, plain, sizeof plain);
	}
}

static void writes_server_headers_unmasked(void **state)
{
	(void)state;
	unsigned char b[WSFRAME_SERVER_HEAD_MAX + 1];
	unsigned char *end = b + WSFRAME_SERVER_HEAD_MAX;
	assert_int_equal(wsframe_head(end, WSFRAME_TEXT, 5), 2);
	assert_memory_equal(end - 2, ((unsigned char[]){ 0x81, 5 }), 2);
	assert_int_equal(wsframe_head(end, WSFRAME_TEXT, 126), 4);
	assert_memory_equal(end - 4, ((unsigned char[]){ 0x81, 126, 0, 126 }), 4);
	assert_int_equal(wsframe_head(end, WSFRAME_PONG, 125), 2);
	assert_memory_equal(end - 2, ((unsigned char[]){ 0x8a, 125 }), 2);
	assert_int_equal(wsframe_head(end, WSFRAME_TEXT, 70000), 10);
	assert_memory_equal(end - 10, ((unsigned char[]){ 0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70 }), 10);
}

static void close_payloads_and_codes(void **state)
{
	(void)state;
	unsigned char p[WSFRAME_CONTROL_MAX];
	size_t n = wsframe_close_payload(p, 1008, "send queue overflow");
	assert_int_equal(n, 2 + strlen("send queue overflow"));
	assert_int_equal(p[0] << 8 | p[1], 1008);
	/* 60 three-byte characters: cut before 123 bytes, at a character. */
	char zh[200] = "";
	for (int i = 0; i < 60; i++)
		strcat(zh, "满");
	n = wsframe_close_payload(p, 4001, zh);
	assert_true(n <= WSFRAME_CONTROL_MAX);
	assert_int_equal((n - 2) % 3, 0);
	assert_int_equal(n - 2, 123 / 3 * 3);
	assert_int_equal(wsframe_close_code(p, 0), 1005);
	assert_int_equal(wsframe_close_code(p, 1), -1);
	static const struct { int code, ok; } codes[] = {
		{ 1000, 1 }, { 1001, 1 }, { 1003, 1 }, { 1004, 0 }, { 1005, 0 }, { 1006, 0 },
		{ 1007, 1 }, { 1011, 1 }, { 1015, 0 }, { 999, 0 }, { 2999, 0 }, { 3000, 1 },
		{ 4999, 1 }, { 5000, 0 },
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		unsigned char c[2] = { (unsigned char)(codes[i].code >> 8), (unsigned char)codes[i].code };
		assert_int_equal(wsframe_close_code(c, 2), codes[i].ok ? codes[i].code : -1);
	}
}

static void accept_key_as_rfc6455_shows(void **state)
{
	(void)state;
	char out[29];
	/* RFC 6455 §1.3's example. */
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ=", 23, out), -1);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ!!", 24, out), -1);
	assert_int_equal(wsframe_accept("c2hvcnQ=", 8, out), -1);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25j*Q==", 24, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_every_length_form_and_waits_for_the_whole_header),
		cmocka_unit_test(refuses_what_rfc6455_calls_a_protocol_error),
		cmocka_unit_test(unmasks_from_any_offset),
		cmocka_unit_test(writes_server_headers_unmasked),
		cmocka_unit_test(close_payloads_and_codes),
		cmocka_unit_test(accept_key_as_rfc6455_shows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
