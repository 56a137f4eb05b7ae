/* token: HMAC-SHA256 signed access tokens.
 *
 * Format: "v1.<user id>.<session id>.<expiry, s since epoch>.<signature>",
 * the signature being base64url(HMAC-SHA256(secret, everything before the
 * last dot)). The token says who and until when; what the user may do is
 * always read from the database. */
#ifndef LINLI_TOKEN_H
#define LINLI_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX 128 /* longest token, NUL included */

struct token_claims {
	int64_t uid;   /* user id */
	int64_t sid;   /* session id (0: minted by an operator, no session) */
	int64_t exp;   /* expiry, seconds since the epoch */
};

/* Writes the token for c into out (TOKEN_MAX bytes). */
void token_sign(const unsigned char secret[32], const struct token_claims *c,
		char out[TOKEN_MAX]);

/* 0 when tok is well-formed, signed with secret and not expired at now_s;
 * -EINVAL for malformed or tampered, -EKEYEXPIRED when expired. */
int token_verify(const unsigned char secret[32], const char *tok, int64_t now_s,
		 struct token_claims *out);

#endif
