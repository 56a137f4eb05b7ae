/* The static path resolver: whatever the path, nothing outside the web
 * roots is served (a file "outside" sits beside them). */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"
#include "config.h"
#include "static.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static struct config cfg;
static char dir[] = "/tmp/linli-fuzz-static-XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = { "web/index.html", "web/link.js", "web", "sdk", "outside.js", "" };
	char p[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		if (remove(p) && files[i][0])
			continue;
	}
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	char p[256], target[256];
	snprintf(p, sizeof p, "%s/web", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/web/index.html", dir);
	FILE *f = fopen(p, "w");
	fputs("<html>inside</html>", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/sdk", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/outside.js", dir);
	f = fopen(p, "w");
	fputs("SECRET-OUTSIDE", f);
	fclose(f);
	snprintf(target, sizeof target, "%s/outside.js", dir);
	snprintf(p, sizeof p, "%s/web/link.js", dir);
	if (symlink(target, p))
		abort();
	config_defaults(&cfg);
	char err[256];
	snprintf(p, sizeof p, "%s/web", dir);
	config_set(&cfg, "web_root", p, err, sizeof err);
	snprintf(p, sizeof p, "%s/sdk", dir);
	config_set(&cfg, "web_sdk_root", p, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg.port)
		setup();
	char *path = fuzz_cstr(data, size);
	struct resp r = { 0 };
	if (static_serve(&cfg, path, &r) && r.body && memmem(r.body, r.len, "SECRET-OUTSIDE", 14))
		abort();
	free(r.body);
	free(path);
	return 0;
}
