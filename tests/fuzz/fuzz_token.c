/* Access tokens: anything a client sends verifies or is refused, and a
 * refused one never yields claims. Tokens signed here verify. */
#include "fuzz.h"
#include "token.h"

#include <errno.h>

static const unsigned char secret[32] = "fuzzing-secret-0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok = fuzz_cstr(data, size);
	struct token_claims c;
	int rc = token_verify(secret, tok, 1800000000, &c);
	if (rc != 0 && rc != -EINVAL && rc != -EKEYEXPIRED)
		abort();
	if (rc == 0 && c.uid <= 0)
		abort();
	if (size >= 8) {
		struct token_claims mine = { 0 };
		memcpy(&mine.uid, data, sizeof mine.uid);
		mine.uid = mine.uid < 0 ? -(mine.uid + 1) : mine.uid;
		mine.uid = mine.uid % 1000000000 + 1;
		mine.exp = 1900000000;
		char out[TOKEN_MAX];
		token_sign(secret, &mine, out);
		struct token_claims back;
		if (token_verify(secret, out, 1800000000, &back) || back.uid != mine.uid)
			abort();
	}
	free(tok);
	return 0;
}
