#include "wsframe.h"

#include <string.h>
#include <openssl/evp.h>

enum wsframe_rc wsframe_parse(const unsigned char *p, size_t n, struct wsframe *f,
			      const char **why)
{
	if (n < 2)
		return WSFRAME_MORE;
	f->fin = p[0] >> 7;
	f->opcode = p[0] & 0x0f;
	if (p[0] & 0x70) {
		*why = "reserved bits set (no extension was negotiated)";
		return WSFRAME_BAD;
	}
	int control = f->opcode & 0x8;
	if (f->opcode > WSFRAME_BINARY &&
	    f->opcode != WSFRAME_CLOSE && f->opcode != WSFRAME_PING && f->opcode != WSFRAME_PONG) {
		*why = "unknown opcode";
		return WSFRAME_BAD;
	}
	if (!(p[1] & 0x80)) {
		*why = "client frames must be masked";
		return WSFRAME_BAD;
	}
	uint64_t len = p[1] & 0x7f;
	size_t at = 2;
	if (control && (!f->fin || len > WSFRAME_CONTROL_MAX)) {
		*why = "control frames must be whole and at most 125 bytes";
		return WSFRAME_BAD;
	}
	if (len == 126) {
		if (n < 4)
			return WSFRAME_MORE;
		len = (uint64_t)p[2] << 8 | p[3];
		at = 4;
	} else if (len == 127) {
		if (n < 10)
			return WSFRAME_MORE;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
		if (len >> 63) {
			*why = "frame length out of range";
			return WSFRAME_BAD;
		}
		at = 10;
	}
	if (n < at + 4)
		return WSFRAME_MORE;
	memcpy(f->mask, p + at, 4);
	f->len = len;
	f->head_len = at + 4;
	return WSFRAME_OK;
}

void wsframe_unmask(unsigned char *p, size_t n, const unsigned char mask[4], uint64_t at)
{
	size_t i = 0;
	unsigned k = (unsigned)(at & 3);
	/* Eight bytes at a time once aligned with the mask. */
	for (; i < n && k; i++, k = (k + 1) & 3)
		p[i] ^= mask[k];
	if (n - i >= 8) {
		uint64_t m8;
		unsigned char m[8] = { mask[0], mask[1], mask[2], mask[3],
				       mask[0], mask[1], mask[2], mask[3] };
		memcpy(&m8, m, 8);
		for (; n - i >= 8; i += 8) {
			uint64_t v;
			memcpy(&v, p + i, 8);
			v ^= m8;
			memcpy(p + i, &v, 8);
		}
	}
	for (k = 0; i < n; i++, k = (k + 1) & 3)
		p[i] ^= mask[k];
}

size_t wsframe_head(unsigned char *end, int opcode, uint64_t len)
{
	size_t n = wsframe_head_len(len);
	unsigned char *h = end - n;
	h[0] = (unsigned char)(0x80 | opcode);
	if (n == 2) {
		h[1] = (unsigned char)len;
	} else if (n == 4) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	}
	return n;
}

size_t wsframe_close_payload(unsigned char out[WSFRAME_CONTROL_MAX], int code, const char *reason)
{
	out[0] = (unsigned char)(code >> 8);
	out[1] = (unsigned char)code;
	size_t n = reason ? strlen(reason) : 0;
	if (n > WSFRAME_CONTROL_MAX - 2) {
		n = WSFRAME_CONTROL_MAX - 2;
		while (n && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--; /* not inside a character */
	}
	memcpy(out + 2, reason, n);
	return n + 2;
}

int wsframe_close_code(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 1005;
	if (n == 1)
		return -1;
	int code = p[0] << 8 | p[1];
	if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
	    (code >= 3000 && code <= 4999))
		return code;
	return -1;
}

int wsframe_accept(const char *key, size_t key_len, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char raw[18], sha[EVP_MAX_MD_SIZE], in[24 + sizeof guid];
	unsigned int shalen = 0;
	if (key_len != 24 || key[22] != '=' || key[23] != '=' ||
	    EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
		return -1;
	memcpy(in, key, 24);
	memcpy(in + 24, guid, sizeof guid - 1);
	if (!EVP_Digest(in, 24 + sizeof guid - 1, sha, &shalen, EVP_sha1(), NULL) || shalen != 20)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, sha, 20);
	return 0;
}
