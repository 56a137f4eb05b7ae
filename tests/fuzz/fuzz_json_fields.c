/* Request bodies: the JSON field validators (strings with character
 * limits, integers with ranges) and the UTF-8 checks they rely on. */
#include "fuzz.h"
#include "api.h"
#include "util.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)util_utf8_valid((const char *)data, size);
	char *text = fuzz_cstr(data, size);
	(void)util_utf8_chars(text);
	struct req req = { .body = text, .body_len = size };
	struct resp resp = { 0 };
	json_t *body = api_body_object(&req, &resp);
	free(resp.body);
	if (body) {
		static const char *const fields[] = { "title", "body", "phone", "reason", "display_name" };
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			struct resp r = { 0 };
			const char *v = api_str(body, fields[i], 1, 50, 0, &r);
			if (v && (util_utf8_chars(v) < 1 || util_utf8_chars(v) > 50))
				abort();
			free(r.body);
		}
		struct resp r = { 0 };
		int64_t x;
		if (api_int(body, "option", 0, 9, 0, 3, &x, &r) == 0 && (x < 0 || x > 9))
			abort();
		free(r.body);
		json_decref(body);
	}
	free(text);
	return 0;
}
