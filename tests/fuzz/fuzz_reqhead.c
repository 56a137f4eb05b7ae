/* The plain port's check of a request head: whatever the bytes, a verdict;
 * a head that passes ends inside the input at an empty line, within the
 * limit, and starts with a method and a path. Its path then decodes into
 * no more than its target's bytes, starts with '/', and holds no dot
 * segment, no empty segment and no NUL: nothing climbs above the root. */
#include "fuzz.h"
#include "reqhead.h"

static void check_path(const char *buf, size_t head_len)
{
	size_t tl;
	const char *target = reqhead_target(buf, head_len, &tl);
	if (!target)
		abort(); /* a passed head has a request line */
	char *out = malloc(tl + 2);
	const char *q;
	size_t ql;
	if (!out)
		abort();
	memset(out, 0x7f, tl + 2);
	if (!reqhead_path(target, tl, out, &q, &ql)) {
		size_t n = strnlen(out, tl + 2);
		if (n > tl + 1 || out[0] != '/' || strstr(out, "//") || strstr(out, "/./") ||
		    strstr(out, "/../") || (n >= 2 && !strcmp(out + n - 2, "/.")) ||
		    (n >= 3 && !strcmp(out + n - 3, "/..")))
			abort();
		if (q && (q < target || q + ql > target + tl))
			abort();
	}
	free(out);
	(void)reqhead_keep_alive(buf, head_len);
}

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
		check_path(buf, rh.head_len);
	} else if (v == REQHEAD_REFUSE) {
		if (rh.status < 400 || rh.status > 505 || !rh.code || !rh.message[0])
			abort();
	} else if (size > max) {
		abort(); /* more than the limit is never "more" */
	}
	free(buf);
	return 0;
}
