#include "routes.h"

#define R(m, path, fn) { HTTP_##m, path, fn, #m " " path }

const struct route handler_routes[] = {
	R(POST, "/v1/channels/{ch}/events", channels_publish),
	/* accounts */
	R(POST, "/v1/auth/register", accounts_register),
	R(POST, "/v1/auth/login", accounts_login),
	R(POST, "/v1/auth/refresh", accounts_refresh),
	R(POST, "/v1/auth/logout", accounts_logout),
	R(GET, "/v1/me", accounts_me),
	/* communities */
	R(POST, "/v1/communities", communities_create),
	R(GET, "/v1/communities/{cid}", communities_get),
	R(POST, "/v1/communities/{cid}/invites", communities_invite),
	R(POST, "/v1/communities/{cid}/join", communities_join),
	R(PUT, "/v1/communities/{cid}/volunteer", communities_volunteer),
	R(POST, "/v1/communities/{cid}/staff", communities_appoint),
	R(PUT, "/v1/communities/{cid}/members/{uid}", communities_set_role),
	R(GET, "/v1/communities/{cid}/members", communities_members),
	R(GET, "/v1/communities/{cid}/audit", communities_audit),
};

const size_t handler_routes_count = sizeof handler_routes / sizeof handler_routes[0];
