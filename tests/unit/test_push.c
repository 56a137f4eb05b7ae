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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_known_answer),
		cmocka_unit_test(signature_covers_time_and_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
