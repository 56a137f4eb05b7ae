#include "token.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* 43 characters: base64url of 32 bytes, unpadded. */
#define SIG_LEN 43

static void mac(const unsigned char secret[32], const char *msg, size_t n,
		char out[SIG_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof md;
	HMAC(EVP_sha256(), secret, 32, (const unsigned char *)msg, n, md, &mdlen);
	util_b64url(md, sizeof md, out);
}

void token_sign(const unsigned char secret[32], const struct token_claims *c,
		char out[TOKEN_MAX])
{
	int n = snprintf(out, TOKEN_MAX, "v1.%" PRId64 ".%" PRId64 ".%" PRId64 ".",
			 c->uid, c->sid, c->exp);
	mac(secret, out, (size_t)n - 1, out + n);
}

/* Parses a run of digits ending at '.', advancing *p past the dot. */
static int field(const char **p, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	int digits = 0;
	while (*s >= '0' && *s <= '9') {
		if (v > (INT64_MAX - 9) / 10 || ++digits > 18)
			return -EINVAL;
		v = v * 10 + (*s++ - '0');
	}
	if (!digits || *s != '.')
		return -EINVAL;
	*out = v;
	*p = s + 1;
	return 0;
}

int token_verify(const unsigned char secret[32], const char *tok, int64_t now_s,
		 struct token_claims *out)
{
	if (!tok || strncmp(tok, "v1.", 3) || strlen(tok) >= TOKEN_MAX)
		return -EINVAL;
	const char *p = tok + 3;
	struct token_claims c;
	if (field(&p, &c.uid) || field(&p, &c.sid) || field(&p, &c.exp))
		return -EINVAL;
	if (strlen(p) != SIG_LEN)
		return -EINVAL;
	char want[SIG_LEN + 1];
	mac(secret, tok, (size_t)(p - tok) - 1, want);
	if (CRYPTO_memcmp(want, p, SIG_LEN))
		return -EINVAL;
	if (c.exp <= now_s)
		return -EKEYEXPIRED;
	*out = c;
	return 0;
}
