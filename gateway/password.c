#include "password.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SALT_LEN 16
#define KEY_LEN 32

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decodes exactly n bytes from in; 0 or -EINVAL. */
static int dec(const char *in, unsigned char *out, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (; *in && o < n; in++) {
		const char *c = strchr(b64, *in);
		if (!c || !*in)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o == n ? 0 : -EINVAL;
}

static int derive(const char *pw, const unsigned char *salt, int log2_n, int r,
		  int p, unsigned char key[KEY_LEN])
{
	uint64_t n = 1ULL << log2_n;
	/* OpenSSL caps memory at 32 MiB unless told (PLATFORM-NOTES). */
	uint64_t maxmem = 128ULL * r * (n + (uint64_t)p + 2) + (1 << 20);
	return EVP_PBE_scrypt(pw, strlen(pw), salt, SALT_LEN, n, (uint64_t)r,
			      (uint64_t)p, maxmem, key, KEY_LEN) == 1 ? 0 : -EIO;
}

int password_hash(const char *pw, int log2_n, int r, int p,
		  char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	if (RAND_bytes(salt, sizeof salt) != 1 || derive(pw, salt, log2_n, r, p, key))
		return -EIO;
	char s64[32], k64[48];
	util_b64url(salt, sizeof salt, s64);
	util_b64url(key, sizeof key, k64);
	snprintf(out, PASSWORD_HASH_MAX, "scrypt$%d$%d$%d$%s$%s", log2_n, r, p, s64, k64);
	OPENSSL_cleanse(key, sizeof key);
	return 0;
}

int password_verify(const char *pw, const char *encoded)
{
	int log2_n, r, p, used = 0;
	char s64[32], k64[48];
	if (!encoded ||
	    sscanf(encoded, "scrypt$%d$%d$%d$%31[^$]$%47s%n", &log2_n, &r, &p, s64, k64, &used) != 5 ||
	    log2_n < 1 || log2_n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
		return 0;
	unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
	if (dec(s64, salt, sizeof salt) || dec(k64, want, sizeof want) ||
	    derive(pw, salt, log2_n, r, p, got))
		return 0;
	int ok = CRYPTO_memcmp(want, got, KEY_LEN) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}
