/* content: the content check (内容安全) a write waits for.
 *
 * api_content (api.h) records every user-written text of a request; with
 * content_check_url set, the pipeline sends each one not yet judged as
 *   POST {content_check_url}    (signed as gateway/relay.h says,
 *                                X-Linli-Delivery the request id)
 *   {"kind":"post","text":"...","user_id":7,"community_id":3}
 * and reads {"result":"pass"|"review"|"reject","label"?}. No answer within
 * content_check_timeout_ms, a non-2xx answer or one it cannot read:
 * content_check_fail decides. Sent from the loop without blocking it
 * (gateway/httpc.h); the request waits, nothing else does. */
#ifndef LINLI_CONTENT_H
#define LINLI_CONTENT_H

#include <stdint.h>

#include "api.h"
#include "config.h"

struct httpc;

struct api_check {
	char kind[24];
	char field[32];
	char *text;                 /* owned; for a photo its thumbnail in base64 */
	int image;                  /* a photo: sent as image_base64, kind "image" */
	int64_t cid, uid;
	enum api_verdict verdict;   /* API_WAIT until judged */
	char label[64];             /* the checker's label, or why it failed */
	struct api_check *next;
};

typedef void (*content_cb)(struct api_check *c, void *data);

/* Any thread: reserves one check in flight: 0 or -EBUSY past
 * content_check_max_inflight. content_start's callback (or
 * content_release) gives it back. */
int content_reserve(const struct config *cfg);
void content_release(void);
/* On the loop: sends c; cb(c, data) on the loop once c->verdict is set.
 * 0, or negative (cb not called; the caller decides by content_check_fail). */
int content_start(struct httpc *h, const struct config *cfg, int64_t delivery,
		  struct api_check *c, content_cb cb, void *data);
/* content_check_fail as a verdict. */
enum api_verdict content_fail_verdict(const struct config *cfg);
void content_free_list(struct api_check *list);

#endif
