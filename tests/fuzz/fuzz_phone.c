/* Phone numbers as typed: a normalised number is 11 digits starting 1,
 * and masks without reading past it. */
#include "fuzz.h"
#include "../../handlers/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);
	char out[PHONE_LEN + 1], masked[PHONE_LEN + 1];
	if (users_phone_normalise(in, out) == 0) {
		if (strlen(out) != PHONE_LEN || out[0] != '1')
			abort();
		for (size_t i = 0; i < PHONE_LEN; i++)
			if (out[i] < '0' || out[i] > '9')
				abort();
		users_phone_mask(out, masked); /* only ever given stored numbers */
	}
	free(in);
	return 0;
}
