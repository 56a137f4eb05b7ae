/* routes: every REST endpoint the domain serves, in one table.
 * The gateway adds its own (/healthz, /readyz, /metrics) in front. */
#ifndef LINLI_ROUTES_H
#define LINLI_ROUTES_H

#include <stddef.h>

#include "../gateway/api.h"

extern const struct route handler_routes[];
extern const size_t handler_routes_count;

/* channels.c */
void channels_publish(struct req *req, struct resp *resp);

#endif
