/* reqhead: the head of a connection's first HTTP request, checked before
 * lws 4.1.6 parses it (the front door, door.c, calls it). lws answers an
 * absolute-form target or an unknown method with an HTML 403, drops a
 * connection whose headers overflow without answering, and never finishes
 * a request with a header named like the start of one it knows ("X:",
 * "Con:"); these are refused here with the gateway's JSON errors. A leaf:
 * bytes in, a verdict out (tests/unit/test_reqhead.c,
 * tests/fuzz/fuzz_reqhead.c). */
#ifndef LINLI_REQHEAD_H
#define LINLI_REQHEAD_H

#include <stddef.h>

enum reqhead_verdict {
	REQHEAD_MORE,   /* the head is not complete yet, and nothing is wrong so far */
	REQHEAD_PASS,   /* a head lws parses as it should: hand the bytes over */
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
 * (http_max_header); max_lines the most header lines (http_max_header_lines:
 * lws 4.1 keeps about 90 header fragments). Bytes after the head (a body) are not looked at. */
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

#endif
