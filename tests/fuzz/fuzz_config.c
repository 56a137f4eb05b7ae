/* The config file parser: any text loads or is refused with a message. */
#include "fuzz.h"
#include "config.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct config cfg;
	config_defaults(&cfg);
	char err[512] = "";
	int rc = config_load_stream(&cfg, f, "fuzz.conf", err, sizeof err);
	fclose(f);
	if (rc && !err[0])
		abort();
	if (!rc)
		(void)config_validate(&cfg, err, sizeof err);
	config_free(&cfg);
	return 0;
}
