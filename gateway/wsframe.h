/* wsframe: WebSocket frame headers (RFC 6455 §5), as the gateway reads and
 * writes them itself on plain sockets (wsplain.c). A leaf: bytes in, a
 * header or a verdict out (tests/unit/test_wsframe.c,
 * tests/fuzz/fuzz_wsframe.c).
 *
 * A client's frame must be masked (§5.1), use no reserved bit (we
 * negotiate no extension), carry a known opcode, and a control frame must
 * be whole (FIN) and at most 125 bytes (§5.5): anything else is a protocol
 * error, closed with 1002. */
#ifndef LINLI_WSFRAME_H
#define LINLI_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

enum wsframe_op {
	WSFRAME_CONT = 0x0, WSFRAME_TEXT = 0x1, WSFRAME_BINARY = 0x2,
	WSFRAME_CLOSE = 0x8, WSFRAME_PING = 0x9, WSFRAME_PONG = 0xA,
};

#define WSFRAME_HEAD_MAX 14      /* a client's header: 2 + 8 length + 4 mask */
#define WSFRAME_SERVER_HEAD_MAX 10 /* ours: unmasked */
#define WSFRAME_CONTROL_MAX 125

struct wsframe {
	int fin;
	int opcode;                /* enum wsframe_op */
	uint64_t len;              /* payload bytes */
	unsigned char mask[4];
	size_t head_len;           /* bytes of the header */
};

enum wsframe_rc {
	WSFRAME_MORE = 0,          /* the header is not complete yet */
	WSFRAME_OK = 1,            /* *f holds the header */
	WSFRAME_BAD = -1,          /* a protocol error: close 1002 with *why */
};

/* Reads the header of a client's frame from p[0..n). */
enum wsframe_rc wsframe_parse(const unsigned char *p, size_t n, struct wsframe *f,
			      const char **why);

/* Unmasks p[0..n), the payload bytes at offset `at` of their frame. */
void wsframe_unmask(unsigned char *p, size_t n, const unsigned char mask[4], uint64_t at);

/* The length of a server frame's header for a payload of len bytes. */
static inline size_t wsframe_head_len(uint64_t len)
{
	return len < 126 ? 2 : len <= 0xffff ? 4 : 10;
}

/* Writes a server frame's header (FIN, unmasked) for a payload of len
 * bytes so that it ends at end: returns its length (wsframe_head_len); the
 * header starts at end - that length. */
size_t wsframe_head(unsigned char *end, int opcode, uint64_t len);

/* A close frame's payload: the code (big-endian) and as much of reason as
 * fits in 123 bytes without cutting a UTF-8 character. Its length. */
size_t wsframe_close_payload(unsigned char out[WSFRAME_CONTROL_MAX], int code, const char *reason);

/* The status code a client's close payload carries: 1005 for none, -1 when
 * the payload is malformed (one byte) or the code is not one a peer may
 * send (§7.4). */
int wsframe_close_code(const unsigned char *p, size_t n);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (§4.2.2): 28 characters and
 * a NUL into out. 0, or -1 when the key is not 16 bytes in base64. */
int wsframe_accept(const char *key, size_t key_len, char out[29]);

#endif
