/* WebSocket frame headers as wsplain reads them: the input is a stream of
 * client bytes, read header by header (a header arriving in pieces of the
 * size the first byte picks) with the payloads skipped; unmasking must
 * undo itself from any offset. */
#include "fuzz.h"
#include "wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] % 15 + 1;
	data++, size--;
	size_t off = 0;
	while (off < size) {
		struct wsframe f;
		const char *why = NULL;
		enum wsframe_rc rc = WSFRAME_MORE;
		size_t have = 0;
		while (rc == WSFRAME_MORE && have < size - off) {
			have += step;
			if (have > size - off)
				have = size - off;
			rc = wsframe_parse(data + off, have, &f, &why);
		}
		if (rc == WSFRAME_BAD) {
			if (!why)
				abort();
			return 0;
		}
		if (rc == WSFRAME_MORE)
			return 0;
		if (f.head_len < 6 || f.head_len > WSFRAME_HEAD_MAX || f.head_len > have ||
		    ((f.opcode & 8) && (!f.fin || f.len > WSFRAME_CONTROL_MAX)))
			abort();
		off += f.head_len;
		size_t n = f.len < size - off ? (size_t)f.len : size - off;
		unsigned char *copy = malloc(n + 1);
		memcpy(copy, data + off, n);
		size_t cut = n ? data[off] % (n + 1) : 0;
		wsframe_unmask(copy, cut, f.mask, 0);
		wsframe_unmask(copy + cut, n - cut, f.mask, cut);
		wsframe_unmask(copy, n, f.mask, 0);
		if (n && memcmp(copy, data + off, n))
			abort();
		free(copy);
		off += n;
	}
	return 0;
}
