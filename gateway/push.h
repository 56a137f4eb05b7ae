/* push: relays notifications for members who were offline to the
 * operator's push bridge (APNs, vendor push, WeChat subscription messages).
 *
 * notify() writes a push_outbox row in the notification's own transaction
 * when the member has a registered device and no live socket here. This
 * worker polls the outbox (a job on a database worker), sends each row as an HMAC-signed
 * HTTP POST on the thread pool (libcurl, bounded by push_timeout_ms, at
 * most push_concurrency at once), and records the outcome: delivered,
 * retried with exponential backoff, failed on a 4xx, or given up after
 * push_max_age_s. The rows live in SQLite, so a restart resumes them.
 * Delivery is at least once: the relay deduplicates by X-Linli-Delivery.
 *
 * The request (signed and sent as gateway/relay.h says, X-Linli-Delivery
 * the outbox id):
 *   {"delivery":7,"user_id":3,"devices":[{"platform":"ios","token":".."}],
 *    "notification":{"id":..,"type":..,"data":{..},"created_at":..}}
 */
#ifndef LINLI_PUSH_H
#define LINLI_PUSH_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "store.h"

struct push;

/* NULL (and nothing started) when push_relay_url is empty. The outbox is
 * read and written by jobs on pool's workers, never on the loop. With a
 * Redis bus, a row is dropped instead of sent when the member is live on
 * any gateway by the time it is due. */
struct bus;
struct dbpool;
struct push *push_start(uv_loop_t *loop, struct dbpool *pool, const struct config *cfg,
			struct bus *bus);
/* Stops polling and writes the outcomes that are back; deliveries still in
 * flight are retried after their lease (at least once). */
void push_stop(struct push *p);
/* After the loop has ended. */
void push_free(struct push *p);

#endif
