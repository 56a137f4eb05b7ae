/* notify: the per-user inbox. A notification is a row written in the
 * caller's transaction and an event on user:{uid}, so it is both pushed
 * live and kept for a member who was offline. */
#ifndef LINLI_NOTIFY_H
#define LINLI_NOTIFY_H

#include <stdint.h>
#include <jansson.h>

#include "../gateway/api.h"

/* Writes the row and emits the event; data is borrowed. 0 or -EIO. */
int notify(struct req *req, int64_t uid, const char *type, json_t *data, int64_t cid);

/* The same with data as JSON text, for notifying many users of one thing
 * (formatted once). type must need no JSON escaping (our own names). */
int notify_text(struct req *req, int64_t uid, const char *type, const char *data, int64_t cid);

/* One notification, data formatted once, to every user id the statement's
 * rows name (column 0), inside the caller's transaction: 0 or -EIO; *told
 * (may be NULL) gets how many. data is borrowed; who is run and done. */
int notify_each(struct req *req, struct store_stmt *who, const char *type, json_t *data,
		int64_t cid, int64_t *told);

/* Unread notifications of uid. */
int64_t notify_unread(struct store *st, int64_t uid);

#endif
