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
/* accounts.c */
void accounts_register(struct req *req, struct resp *resp);
void accounts_login(struct req *req, struct resp *resp);
void accounts_refresh(struct req *req, struct resp *resp);
void accounts_logout(struct req *req, struct resp *resp);
void accounts_me(struct req *req, struct resp *resp);
/* communities.c */
void communities_create(struct req *req, struct resp *resp);
void communities_get(struct req *req, struct resp *resp);
void communities_invite(struct req *req, struct resp *resp);
void communities_join(struct req *req, struct resp *resp);
void communities_volunteer(struct req *req, struct resp *resp);
void communities_appoint(struct req *req, struct resp *resp);
void communities_set_role(struct req *req, struct resp *resp);
void communities_members(struct req *req, struct resp *resp);
void communities_audit(struct req *req, struct resp *resp);

#endif
