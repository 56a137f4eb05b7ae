/* wsmsg: what a client sends over the WebSocket, as data. A leaf (jansson
 * only, no sockets), so the parser and the reassembly are unit-tested and
 * fuzzed on their own (tests/unit/test_wsmsg.c, tests/fuzz/).
 *
 * Reassembly: a message arrives in fragments (and the socket hands a long
 * fragment over in chunks); wsmsg_rx_feed collects a text message up to a
 * size limit and counts a binary one without keeping it. Parsing: one
 * text message into an op and its fields, or the error to answer. */
#ifndef LINLI_WSMSG_H
#define LINLI_WSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define WSMSG_REF_MAX 256 /* bytes of a client's `ref`, serialised */

struct wsmsg_rx {
	struct buf text;           /* the text message so far */
	size_t skipped;            /* bytes of a binary message so far */
	int binary;                /* the message being received is binary */
	int started;               /* a message is being received */
};

enum wsmsg_rx_result {
	WSMSG_MORE,                /* nothing to do yet */
	WSMSG_TEXT,                /* rx->text holds a whole text message */
	WSMSG_BINARY,              /* a whole binary message went by (refused) */
	WSMSG_TOO_BIG,             /* over max bytes: close 1009 */
};

/* Feeds one chunk. first: it starts a frame;
 * last: it ends the message; binary: the message's type (read at its
 * start). After WSMSG_TEXT the caller reads rx->text and calls
 * wsmsg_rx_reset. */
enum wsmsg_rx_result wsmsg_rx_feed(struct wsmsg_rx *rx, const void *in, size_t len,
				   int first, int last, int binary, size_t max);
/* Forgets the message; frees a buffer grown past keep bytes. */
void wsmsg_rx_reset(struct wsmsg_rx *rx, size_t keep);
void wsmsg_rx_free(struct wsmsg_rx *rx);

enum wsmsg_op { WSMSG_PING, WSMSG_AUTH, WSMSG_SUB, WSMSG_UNSUB };

struct wsmsg {
	enum wsmsg_op op;
	char *ref;                 /* raw JSON of `ref`, or NULL (owned) */
	const char *token;         /* auth (points into the parsed JSON) */
	const char *ch;            /* sub, unsub: not yet checked as a name */
	int64_t since;             /* sub: replay after this, or -1 */
	int since_bad;             /* sub: since given, not a non-negative integer */
	void *json;                /* the parsed message (json_t *) */
};

/* Parses a text message. 0, or -EINVAL with *err the message to answer
 * (bad_request; m->ref is set when the message had a usable one, so the
 * answer can echo it). Either way wsmsg_free(m) afterwards. What depends
 * on the connection (authenticated? a valid channel? since_bad, in that
 * order) is the caller's to check. */
int wsmsg_parse(const char *text, size_t len, struct wsmsg *m, const char **err);
void wsmsg_free(struct wsmsg *m);

#endif
