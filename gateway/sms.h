/* sms: hands verification codes to the operator's SMS relay.
 *
 * A handler queues a code after its transaction commits (api_sms, on a
 * worker); the loop takes it from the request and this module POSTs
 *   {"phone":"13800138000","code":"042137","purpose":"login","ttl_s":300}
 * signed as gateway/relay.h says, X-Linli-Delivery the code's row id, on
 * the thread pool. A failed attempt (network, 408, 429, 5xx) is retried
 * with backoff until the code expires; a 4xx is final. The code itself is
 * only in memory, never in the database (which keeps its keyed hash), so
 * a restart drops what was not sent: the resident asks again.
 *
 * With no sms_relay_url the code is written to the log (development). */
#ifndef LINLI_SMS_H
#define LINLI_SMS_H

#include <stdint.h>
#include <uv.h>

#include "config.h"

struct sms;

/* One code to send; what api_sms queues on a request. */
struct sms_msg {
	int64_t delivery;       /* sms_codes.id */
	char phone[16];
	char code[8];
	char purpose[16];
	int64_t expires_at;     /* ms; no attempt after this */
	struct sms_msg *next;
};

struct sms *sms_start(uv_loop_t *loop, const struct config *cfg);
/* On the loop: takes m (freed when sent, refused or expired). */
void sms_send(struct sms *s, struct sms_msg *m);
/* Reserves one place (any thread): 0, or -EBUSY when sms_queue_max are
 * queued. sms_send (or sms_cancel) consumes it. */
int sms_reserve(const struct config *cfg);
void sms_cancel(struct sms_msg *m);
/* Gives back a reservation no message was made for. */
void sms_release(void);
/* Stops retrying; POSTs in flight finish and are freed by sms_free. */
void sms_stop(struct sms *s);
/* After the loop has ended. */
void sms_free(struct sms *s);

#endif
