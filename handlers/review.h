/* review: the content check's verdict, by what the item can do with it.
 *
 * A post, thread, help request, outcome or announcement the checker wants
 * reviewed is stored held (posts.c, forums.c, help.c, channels.c): its
 * author and staff see it, nobody is told, until staff release it. A
 * display name has no held state, so review refuses it like reject (the
 * contract says so): the member chooses another. */
#ifndef LINLI_REVIEW_H
#define LINLI_REVIEW_H

#include <stdint.h>

#include "../gateway/api.h"

/* For texts without a held state (display names). 0: passed, go on. 1:
 * waiting for the checker (ask about every text,
 * then return: the handler runs again). -1: refused, the 400 (reason
 * content_rejected, naming field) is set. */
int review_text(struct req *req, struct resp *resp, const char *kind, const char *field,
		const char *text, int64_t cid);

/* For items with a held state: the verdict, and on review the hold
 * reason into hold (left as it is when already set: the first held text
 * of an item says why). API_REJECT: the 400 is set. */
enum api_verdict held_text(struct req *req, struct resp *resp, const char *kind, const char *field,
			   const char *text, int64_t cid, char hold[200]);

#endif
