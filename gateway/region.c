#include "region.h"

#include <maxminddb.h>
#include <stdio.h>
#include <string.h>

static MMDB_s db;
static int opened;

int region_open(const char *path, char *err, size_t errlen)
{
	if (!path || !path[0])
		return 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "ip_region_db: cannot open %s: %s", path, MMDB_strerror(rc));
		return -1;
	}
	opened = 1;
	return 0;
}

void region_close(void)
{
	if (opened)
		MMDB_close(&db);
	opened = 0;
}

/* The UTF-8 string at path under entry into out: 0 or -1. */
static int string_at(MMDB_entry_s *entry, char *out, size_t cap, const char *const *path)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || !d.data_size || d.data_size >= cap)
		return -1;
	memcpy(out, d.utf8_string, d.data_size);
	out[d.data_size] = '\0';
	return 0;
}

int region_lookup(const char *addr, char *out, size_t cap)
{
	if (!opened || !addr || !addr[0])
		return -1;
	if (!strncmp(addr, "::ffff:", 7) && strchr(addr + 7, '.'))
		addr += 7; /* an IPv4 client on a dual-stack socket */
	int gai = 0, mmdb = 0;
	MMDB_lookup_result_s r = MMDB_lookup_string(&db, addr, &gai, &mmdb);
	if (gai || mmdb != MMDB_SUCCESS || !r.found_entry)
		return -1;
	static const char *const iso[] = { "country", "iso_code", NULL };
	static const char *const sub_zh[] = { "subdivisions", "0", "names", "zh-CN", NULL };
	static const char *const country_zh[] = { "country", "names", "zh-CN", NULL };
	static const char *const country_en[] = { "country", "names", "en", NULL };
	char code[8];
	if (!string_at(&r.entry, code, sizeof code, iso) && !strcmp(code, "CN") &&
	    !string_at(&r.entry, out, cap, sub_zh))
		return 0;
	if (!string_at(&r.entry, out, cap, country_zh) || !string_at(&r.entry, out, cap, country_en))
		return 0;
	return -1;
}
