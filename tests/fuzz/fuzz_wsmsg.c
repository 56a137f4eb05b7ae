/* WebSocket messages: reassembly of the input cut into chunks (the
 * first byte picks the cuts), then parsing of what was assembled. */
#include "fuzz.h"
#include "wsmsg.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned step = data[0] % 16 + 1, binary = data[0] >> 7;
	data++, size--;
	struct wsmsg_rx rx = { 0 };
	enum wsmsg_rx_result res = WSMSG_MORE;
	for (size_t off = 0; off < size || res == WSMSG_MORE;) {
		size_t n = size - off < step ? size - off : step;
		res = wsmsg_rx_feed(&rx, data + off, n, off == 0, off + n >= size, (int)binary, 4096);
		off += n;
		if (res != WSMSG_MORE)
			break;
	}
	if (res == WSMSG_TEXT) {
		if (rx.text.len != size || (size && memcmp(rx.text.p, data, size)))
			abort();
		struct wsmsg m;
		const char *err = NULL;
		int rc = wsmsg_parse(rx.text.p ? rx.text.p : "", rx.text.len, &m, &err);
		if ((rc && (rc != -EINVAL || !err)) || (m.ref && strlen(m.ref) > WSMSG_REF_MAX))
			abort();
		wsmsg_free(&m);
	} else if (res == WSMSG_TOO_BIG && size <= 4096) {
		abort();
	} else if (res == WSMSG_BINARY && !binary) {
		abort();
	}
	wsmsg_rx_free(&rx);
	return 0;
}
