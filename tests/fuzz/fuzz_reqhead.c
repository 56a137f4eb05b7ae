/* The front door's check of a connection's first request head: whatever
 * the bytes, a verdict; a head that passes ends inside the input at an
 * empty line, within the limit, and starts with a method and a path. */
#include "fuzz.h"
#include "reqhead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes: a head need not be NUL-terminated. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	struct reqhead rh;
	size_t max = 512;
	enum reqhead_verdict v = reqhead_check(buf, size, max, 16, &rh);
	if (v == REQHEAD_PASS) {
		if (rh.head_len > size || rh.head_len > max || rh.head_len < 2 ||
		    buf[rh.head_len - 1] != '\n' || !memchr(buf, '/', rh.head_len))
			abort();
	} else if (v == REQHEAD_REFUSE) {
		if (rh.status < 400 || rh.status > 505 || !rh.code || !rh.message[0])
			abort();
	} else if (size > max) {
		abort(); /* more than the limit is never "more" */
	}
	free(buf);
	return 0;
}
