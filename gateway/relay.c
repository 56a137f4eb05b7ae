#include "relay.h"
#include "util.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

void relay_sign(const char *secret, long long t, const char *body, size_t len,
		char *out, size_t cap)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, "%lld.", t);
	unsigned char *msg = xmalloc((size_t)plen + len);
	memcpy(msg, prefix, (size_t)plen);
	memcpy(msg + plen, body, len);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)plen + len, mac, &maclen);
	free(msg);
	int n = snprintf(out, cap, "t=%lld,v1=", t);
	for (unsigned int i = 0; i < maclen && (size_t)n + 2 < cap; i++)
		n += snprintf(out + n, cap - (size_t)n, "%02x", mac[i]);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *data)
{
	(void)ptr;
	(void)data;
	return size * nmemb;
}

struct curl_slist *relay_headers(const char *secret, int64_t delivery, int64_t attempt,
				 const char *body, size_t len)
{
	char sig[160], h1[64], h2[64], h3[200];
	relay_sign(secret, (long long)(util_now_ms() / 1000), body, len, sig, sizeof sig);
	snprintf(h1, sizeof h1, "X-Linli-Delivery: %" PRId64, delivery);
	snprintf(h2, sizeof h2, "X-Linli-Attempt: %" PRId64, attempt);
	snprintf(h3, sizeof h3, "X-Linli-Signature: %s", sig);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, h1);
	hdrs = curl_slist_append(hdrs, h2);
	hdrs = curl_slist_append(hdrs, h3);
	return curl_slist_append(hdrs, "Expect:");
}

long relay_post(const char *url, const char *secret, int64_t timeout_ms, int64_t delivery,
		int64_t attempt, const char *body, char err[RELAY_ERR_MAX])
{
	size_t len = strlen(body);
	char cerr[CURL_ERROR_SIZE] = "";
	long status = 0;
	struct curl_slist *hdrs = relay_headers(secret, delivery, attempt, body, len);
	CURL *c = curl_easy_init();
	err[0] = '\0';
	if (!c || !hdrs) {
		snprintf(err, RELAY_ERR_MAX, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "linli-gateway");
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, RELAY_ERR_MAX, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return status;
}

int relay_refused(long status)
{
	return status >= 400 && status < 500 && status != 408 && status != 429;
}

int64_t relay_backoff(int64_t attempt, int64_t min_ms, int64_t max_ms)
{
	int64_t wait = min_ms;
	for (int64_t i = 2; i < attempt && wait < max_ms; i++)
		wait *= 2;
	if (wait > max_ms)
		wait = max_ms;
	uint32_t r = 0;
	RAND_bytes((unsigned char *)&r, sizeof r);
	return wait - (int64_t)(r % (uint32_t)(wait / 4 + 1));
}
