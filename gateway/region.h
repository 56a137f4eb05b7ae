/* region: IP属地 from a MaxMind-format database (libmaxminddb).
 *
 * The operator provides the file (ip_region_db, GeoLite2-City layout:
 * country.iso_code, country.names.zh-CN, subdivisions[0].names.zh-CN). A
 * mainland-China (CN) address is its subdivision's Chinese name (广东),
 * anything else its country's Chinese name, English when there is none.
 * The database is memory-mapped once at start and read from any thread. */
#ifndef LINLI_REGION_H
#define LINLI_REGION_H

#include <stddef.h>

/* Opens path ("" = none). 0, or -1 with err set (the gateway refuses to
 * start: a configured database that cannot be read is a mistake). */
int region_open(const char *path, char *err, size_t errlen);
void region_close(void);
/* The region of addr (IPv4, IPv6, or IPv4-mapped IPv6) into out: 0, or
 * -1 when unknown or no database is open. */
int region_lookup(const char *addr, char *out, size_t cap);

#endif
