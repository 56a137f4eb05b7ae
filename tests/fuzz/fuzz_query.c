/* Query strings: percent-decoding into a bounded buffer, paging params. */
#include "fuzz.h"
#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = fuzz_cstr(data, size);
	struct req req = { .query = q };
	char out[64];
	static const char *const names[] = { "q", "limit", "cursor", "status", "" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		int n = api_query(&req, names[i], out, sizeof out);
		if (n >= (int)sizeof out || (n >= 0 && strlen(out) > (size_t)n))
			abort();
	}
	struct resp resp = { 0 };
	int limit;
	int64_t cursor;
	if (api_page(&req, 20, 100, &limit, &cursor, &resp) == 0 && (limit < 1 || limit > 100 || cursor < 0))
		abort();
	free(resp.body);
	free(q);
	return 0;
}
