/* Shared by the libFuzzer targets: the input as a NUL-terminated string
 * (most parsers here take C strings), freed by the caller. */
#ifndef LINLI_FUZZ_H
#define LINLI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
