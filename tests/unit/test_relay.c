#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "relay.h"

/* Known answer, computed independently with Python's hmac module:
 * hmac.new(b'relay-secret-0123456789', b'1795766400.{"delivery":1}',
 *          hashlib.sha256).hexdigest() */
static void signature_known_answer(void **state)
{
	(void)state;
	const char *body = "{\"delivery\":1}";
	char sig[160];
	relay_sign("relay-secret-0123456789", 1795766400LL, body, strlen(body), sig, sizeof sig);
	assert_string_equal(sig, "t=1795766400,v1=455963e2bb74472f1f754fb2239dd54fa8c207722656a74208baeb45bbeaf199");
}

static void signature_covers_time_and_body(void **state)
{
	(void)state;
	const char *body = "{\"delivery\":1}";
	char a[160], b[160], c[160];
	relay_sign("relay-secret-0123456789", 1795766400LL, body, strlen(body), a, sizeof a);
	relay_sign("relay-secret-0123456789", 1795766401LL, body, strlen(body), b, sizeof b);
	relay_sign("relay-secret-0123456789", 1795766400LL, "{\"delivery\":2}", strlen(body), c, sizeof c);
	assert_string_not_equal(strchr(a, ',') , strchr(b, ','));
	assert_string_not_equal(a, c);
}

/* Worth a retry: network errors (0), 408, 429, 5xx; final: other 4xx. */
static void refused_statuses(void **state)
{
	(void)state;
	const long final[] = { 400, 401, 403, 404, 410, 413, 422 };
	const long retried[] = { 0, 408, 429, 500, 502, 503, 504 };
	for (size_t i = 0; i < sizeof final / sizeof *final; i++)
		assert_true(relay_refused(final[i]));
	for (size_t i = 0; i < sizeof retried / sizeof *retried; i++)
		assert_false(relay_refused(retried[i]));
	assert_false(relay_refused(200));
	assert_false(relay_refused(204));
}

/* min * 2^(attempt-2), capped, less at most a quarter: every draw within
 * its band, many times over (the jitter is random). */
static void backoff_doubles_with_bounded_jitter(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++) {
		int64_t want = 500;
		for (int64_t attempt = 2; attempt <= 12; attempt++) {
			int64_t w = relay_backoff(attempt, 500, 30000);
			int64_t cap = want < 30000 ? want : 30000;
			assert_true(w <= cap);
			assert_true(w >= cap - cap / 4);
			want *= 2;
		}
	}
	assert_true(relay_backoff(1, 1000, 1000) <= 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_known_answer),
		cmocka_unit_test(signature_covers_time_and_body),
		cmocka_unit_test(refused_statuses),
		cmocka_unit_test(backoff_doubles_with_bounded_jitter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
