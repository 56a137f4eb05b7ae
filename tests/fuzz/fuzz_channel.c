/* Channel names from clients ("thread:42"). */
#include "fuzz.h"
#include "../../handlers/access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ch = fuzz_cstr(data, size);
	/* kind (1..32) ':' id (1..63) */
	if (access_channel_valid(ch) == 0 && (!strchr(ch, ':') || strlen(ch) > 96))
		abort();
	free(ch);
	return 0;
}
