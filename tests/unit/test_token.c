#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "token.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";

static void sign_then_verify(void **state)
{
	(void)state;
	struct token_claims c = { .uid = 42, .sid = 7, .exp = 2000000000 }, out;
	char tok[TOKEN_MAX];
	token_sign(secret, &c, tok);
	assert_int_equal(strncmp(tok, "v1.42.7.2000000000.", 19), 0);
	assert_int_equal(token_verify(secret, tok, 1999999999, &out), 0);
	assert_int_equal(out.uid, 42);
	assert_int_equal(out.sid, 7);
	assert_int_equal(out.exp, 2000000000);
}

static void expired(void **state)
{
	(void)state;
	struct token_claims c = { .uid = 1, .sid = 0, .exp = 1000 }, out;
	char tok[TOKEN_MAX];
	token_sign(secret, &c, tok);
	assert_int_equal(token_verify(secret, tok, 1000, &out), -EKEYEXPIRED);
	assert_int_equal(token_verify(secret, tok, 999, &out), 0);
}

static void tampered_or_malformed(void **state)
{
	(void)state;
	struct token_claims c = { .uid = 5, .sid = 1, .exp = 2000000000 }, out;
	char tok[TOKEN_MAX], bad[TOKEN_MAX];
	token_sign(secret, &c, tok);
	/* Another user id, same signature. */
	strcpy(bad, tok);
	bad[3] = '6';
	assert_int_equal(token_verify(secret, bad, 0, &out), -EINVAL);
	/* A flipped signature character. */
	strcpy(bad, tok);
	size_t n = strlen(bad);
	bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(secret, bad, 0, &out), -EINVAL);
	/* Another secret. */
	unsigned char other[32];
	memcpy(other, secret, 32);
	other[0] ^= 1;
	assert_int_equal(token_verify(other, tok, 0, &out), -EINVAL);
	/* Truncated, empty, garbage, overflow. */
	tok[n - 2] = '\0';
	assert_int_equal(token_verify(secret, tok, 0, &out), -EINVAL);
	assert_int_equal(token_verify(secret, "", 0, &out), -EINVAL);
	assert_int_equal(token_verify(secret, NULL, 0, &out), -EINVAL);
	assert_int_equal(token_verify(secret, "v1....", 0, &out), -EINVAL);
	assert_int_equal(token_verify(secret, "v1.99999999999999999999.1.1.x", 0, &out), -EINVAL);
	assert_int_equal(token_verify(secret, "v2.1.1.1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_then_verify),
		cmocka_unit_test(expired),
		cmocka_unit_test(tampered_or_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
