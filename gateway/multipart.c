#define _GNU_SOURCE /* memmem, strncasecmp */
#include "multipart.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* RFC 2046's bchars (a space is allowed, not as the last one). */
static int bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

/* The value of parameter key in a header's "; key=value" list (quoted or
 * a token) into out: its length, or -1 when absent or malformed. */
static int param(const char *s, size_t n, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), i = 0;
	while (i < n) {
		while (i < n && s[i] != ';')
			i++;
		if (i >= n)
			return -1;
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (n - i <= klen || strncasecmp(s + i, key, klen) || s[i + klen] != '=')
			continue;
		i += klen + 1;
		size_t len = 0;
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				if (len + 1 >= cap)
					return -1;
				out[len++] = s[i];
			}
			if (i >= n)
				return -1; /* unterminated quote */
		} else {
			for (; i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'; i++) {
				if (len + 1 >= cap)
					return -1;
				out[len++] = s[i];
			}
		}
		out[len] = '\0';
		return (int)len;
	}
	return -1;
}

/* Whether a part's headers (h[0..n), lines by CRLF) name it name. */
static int named(const char *h, size_t n, const char *name)
{
	static const char cd[] = "content-disposition:";
	size_t i = 0;
	while (i < n) {
		const char *eol = memmem(h + i, n - i, "\r\n", 2);
		size_t line = eol ? (size_t)(eol - (h + i)) : n - i;
		if (line >= sizeof cd - 1 && !strncasecmp(h + i, cd, sizeof cd - 1)) {
			char v[256];
			return param(h + i, line, "name", v, sizeof v) >= 0 && !strcmp(v, name);
		}
		i += line + 2;
	}
	return 0;
}

int multipart_file(const char *content_type, const void *body, size_t len, const char *name,
		   const void **out, size_t *n, const char **why)
{
	char delim[2 + MULTIPART_BOUNDARY_MAX + 2] = "--";
	char *boundary = delim + 2;
	int bl = content_type ? param(content_type, strlen(content_type), "boundary", boundary,
				      MULTIPART_BOUNDARY_MAX + 1) : -1;
	int ok = bl >= 1 && bl <= MULTIPART_BOUNDARY_MAX && boundary[bl - 1] != ' ';
	for (int i = 0; ok && i < bl; i++)
		ok = bchar(boundary[i]);
	if (!ok) {
		*why = "multipart/form-data needs a boundary of 1 to 70 allowed characters";
		return -EINVAL;
	}
	size_t dl = 2 + (size_t)bl;
	const char *b = body, *end = b + len;
	/* The first delimiter: at the start, or after a preamble's CRLF. */
	const char *p = NULL;
	if (len >= dl && !memcmp(b, delim, dl))
		p = b + dl;
	else {
		char first[4 + MULTIPART_BOUNDARY_MAX + 1] = "\r\n";
		memcpy(first + 2, delim, dl);
		const char *f = memmem(b, len, first, dl + 2);
		p = f ? f + 2 + dl : NULL;
	}
	if (!p) {
		*why = "the multipart body has no part (no boundary line)";
		return -EINVAL;
	}
	char next[4 + MULTIPART_BOUNDARY_MAX + 1] = "\r\n";
	memcpy(next + 2, delim, dl);
	for (int parts = 0; parts < MULTIPART_PARTS_MAX; parts++) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the close delimiter: no more parts */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++; /* transport padding */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			*why = "a multipart boundary line must end with CRLF";
			return -EINVAL;
		}
		const char *h = p + 2, *content;
		size_t hlen;
		if (end - h >= 2 && h[0] == '\r' && h[1] == '\n') {
			hlen = 0; /* a part without headers */
			content = h + 2;
		} else {
			size_t room = (size_t)(end - h) < MULTIPART_HEADERS_MAX ? (size_t)(end - h) : MULTIPART_HEADERS_MAX;
			const char *e = memmem(h, room, "\r\n\r\n", 4);
			if (!e) {
				*why = "a multipart part's headers are unterminated or longer than 8 KiB";
				return -EINVAL;
			}
			hlen = (size_t)(e - h);
			content = e + 4;
		}
		const char *stop = memmem(content, (size_t)(end - content), next, dl + 2);
		if (!stop) {
			*why = "the multipart body is cut short (a part has no closing boundary)";
			return -EINVAL;
		}
		if (named(h, hlen, name)) {
			*out = content;
			*n = (size_t)(stop - content);
			return 0;
		}
		p = stop + 2 + dl;
	}
	*why = "the multipart body has no part named file";
	return -EINVAL;
}
