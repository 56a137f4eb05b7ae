/* reqhead: HTTP/1.1 request heads, as the port's connections
 * (door.c) read them: the head checked (a JSON error for what is wrong:
 * absolute-form targets, unknown methods, malformed lines, oversized
 * heads), its headers and target read, the path decoded. A leaf: bytes in,
 * a verdict out (tests/unit/test_reqhead.c, tests/fuzz/fuzz_reqhead.c). */
#ifndef LINLI_REQHEAD_H
#define LINLI_REQHEAD_H

#include <stddef.h>

enum reqhead_verdict {
	REQHEAD_MORE,   /* the head is not complete yet, and nothing is wrong so far */
	REQHEAD_PASS,   /* a well-formed head: serve it */
	REQHEAD_REFUSE, /* answer status with the error code and message, then close */
};

struct reqhead {
	int status;             /* REFUSE: 400, 431, 501 or 505 */
	const char *code;       /* REFUSE: the error code of the answer */
	char message[160];      /* REFUSE: what is wrong, for the client */
	size_t head_len;        /* PASS: bytes of the head, its empty line included */
};

/* Checks buf[0..len), the bytes a connection has sent so far: max is the
 * largest head accepted, in bytes, up to and including its empty line
 * (http_max_header); max_lines the most header lines (http_max_header_lines).
 * Bytes after the head (a body) are not looked at. */
enum reqhead_verdict reqhead_check(const char *buf, size_t len, size_t max, int max_lines,
				   struct reqhead *out);

/* In a head that passed (head[0..len)): the value of the idx-th header line
 * named name (any case, no colon), its surrounding blanks trimmed, and its
 * length in *n; NULL when there are not that many. */
const char *reqhead_header(const char *head, size_t len, const char *name, int idx, size_t *n);

/* The request line's target in *n (a passed head). */
const char *reqhead_target(const char *head, size_t len, size_t *n);

/* Whether the comma-separated value v[0..n) lists token (any case). */
int reqhead_lists(const char *v, size_t n, const char *token);

/* The target's path percent-decoded, its dot segments resolved and empty
 * segments dropped (never above the root), into out (at least tl + 2
 * bytes); the raw query (after '?', before any '#') in *query and *qlen, NULL
 * when there is none. NULL, or what is wrong with the path (a malformed
 * escape, %00, no leading slash). '+' stays '+' in a path (RFC 3986); a
 * query is decoded by whoever reads its parameters (api_query). */
const char *reqhead_path(const char *target, size_t tl, char *out, const char **query,
			 size_t *qlen);

/* Whether the connection may carry another request after this one: HTTP/1.1
 * without "Connection: close" (an HTTP/1.0 client gets one answer). */
int reqhead_keep_alive(const char *head, size_t len);

/* The reason phrase of an HTTP status ("Not Found"). */
const char *reqhead_reason(int status);

#endif
