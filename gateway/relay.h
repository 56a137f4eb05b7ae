/* relay: one signed POST to an operator's bridge (push, SMS).
 *
 * The request, for every relay:
 *   POST {url}
 *   Content-Type: application/json
 *   X-Linli-Delivery: <id>       X-Linli-Attempt: <1, 2, ...>
 *   X-Linli-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * Any 2xx is delivered; 408, 429, 5xx and network errors are worth a
 * retry; any other 4xx is the relay refusing the message.
 *
 * relay_post blocks (libcurl): call it on the thread pool, never on the
 * loop. curl_global_init must have run before the first call. */
#ifndef LINLI_RELAY_H
#define LINLI_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_ERR_MAX 256

/* The signature header value for body at unix time t. */
void relay_sign(const char *secret, long long t, const char *body, size_t len,
		char *out, size_t cap);

/* POSTs body (JSON) to url within timeout_ms. Returns the HTTP status, or
 * 0 with err set when no answer came. */
long relay_post(const char *url, const char *secret, int64_t timeout_ms, int64_t delivery,
		int64_t attempt, const char *body, char err[RELAY_ERR_MAX]);

/* The request headers of a relay POST of body (JSON), signed now; the
 * caller frees them (curl_slist_free_all). */
struct curl_slist;
struct curl_slist *relay_headers(const char *secret, int64_t delivery, int64_t attempt,
				 const char *body, size_t len);

/* 1 when status is final for a failure (a 4xx other than 408 and 429). */
int relay_refused(long status);

/* The wait before attempt (2, 3, ...): min_ms * 2^(attempt-2), capped at
 * max_ms, less up to 25 % jitter. */
int64_t relay_backoff(int64_t attempt, int64_t min_ms, int64_t max_ms);

#endif
