/* multipart: whatever the bytes (the first line is the Content-Type, the
 * rest the body), a verdict; a part found lies inside the body and is
 * followed there by CRLF and the delimiter. */
#include "fuzz.h"
#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - data) : size;
	char *ct = malloc(ctlen + 1);
	size_t blen = nl ? size - ctlen - 1 : 0;
	char *body = malloc(blen ? blen : 1); /* exactly the body: no NUL after it */
	if (!ct || !body)
		abort();
	memcpy(ct, data, ctlen);
	ct[ctlen] = '\0';
	if (blen)
		memcpy(body, nl + 1, blen);
	const void *out;
	size_t n;
	const char *why = NULL;
	int rc = multipart_file(ct, body, blen, "file", &out, &n, &why);
	if (rc == 0) {
		const char *o = out;
		if (o < body || o + n > body + blen || o + n + 2 > body + blen || o[n] != '\r' || o[n + 1] != '\n')
			abort();
	} else if (!why) {
		abort();
	}
	free(ct);
	free(body);
	return 0;
}
