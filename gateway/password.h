/* password: scrypt password hashes (OpenSSL EVP_PBE_scrypt).
 *
 * A hash records its own parameters, so they can be raised later:
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<key, base64url>
 * Both functions are slow (tens of milliseconds) and touch nothing but
 * their arguments: call them on the thread pool (api_defer). */
#ifndef LINLI_PASSWORD_H
#define LINLI_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 160 /* longest encoded hash, NUL included */

/* Hashes pw with a fresh salt. 0, or -EIO when scrypt fails. */
int password_hash(const char *pw, int log2_n, int r, int p,
		  char out[PASSWORD_HASH_MAX]);

/* 1 when pw matches encoded (compared in constant time), 0 when not or
 * when encoded is malformed. */
int password_verify(const char *pw, const char *encoded);

#endif
