#include "routes.h"

const struct route handler_routes[] = {
	{ HTTP_POST, "/v1/channels/{ch}/events", channels_publish,
	  "POST /v1/channels/{ch}/events" },
};

const size_t handler_routes_count = sizeof handler_routes / sizeof handler_routes[0];
