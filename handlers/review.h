/* review: the content check on texts that have no held state.
 *
 * A post the checker wants reviewed is stored pending (posts.c). A thread,
 * a help request, an outcome, an announcement or a display name has no
 * pending state, so a review verdict refuses it like a reject: nothing
 * unchecked is published, and the author may rephrase. */
#ifndef LINLI_REVIEW_H
#define LINLI_REVIEW_H

#include <stdint.h>

#include "../gateway/api.h"

/* 0: passed, go on. 1: waiting for the checker (ask about every text,
 * then return: the handler runs again). -1: refused, the 400 (reason
 * content_rejected, naming field) is set. */
int review_text(struct req *req, struct resp *resp, const char *kind, const char *field,
		const char *text, int64_t cid);

#endif
