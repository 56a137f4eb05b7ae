/* httpc: HTTP POSTs made from the loop without blocking it (libcurl's
 * multi interface driven by libuv: curl tells which sockets to watch and
 * when to wake it; the loop tells curl what happened).
 *
 * For calls a request waits on (the content check): the loop goes on
 * serving while the answer is outstanding, and no thread is held. */
#ifndef LINLI_HTTPC_H
#define LINLI_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct curl_slist;
struct httpc;

/* The outcome: status (0 when no answer came, err then says why) and the
 * answer's body (NUL-terminated, at most max_reply bytes kept). On the
 * loop. */
typedef void (*httpc_cb)(long status, const char *body, size_t len, const char *err,
			 void *data);

struct httpc *httpc_new(uv_loop_t *loop);
/* POSTs body to url within timeout_ms; takes headers (freed when done).
 * cb is called exactly once, later, on the loop. 0 or -ENOMEM. */
int httpc_post(struct httpc *c, const char *url, struct curl_slist *headers, const char *body,
	       size_t len, int64_t timeout_ms, size_t max_reply, httpc_cb cb, void *data);
/* Ends every transfer (their callbacks get status 0, "shutting down") and
 * closes the handles; free with httpc_free after the loop has run them
 * closed. */
void httpc_stop(struct httpc *c);
void httpc_free(struct httpc *c);

#endif
