/* channels: POST /v1/channels/{ch}/events — an operator's (or later a
 * staff member's announcement) event, stored, then pushed. */
#include "access.h"
#include "routes.h"

#include <string.h>

#define TYPE_MAX 64 /* longest event type name */

/* Event types: [a-z][a-z0-9_.]{0,63}, e.g. "announcement", "post.created". */
static int type_valid(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > TYPE_MAX || t[0] < 'a' || t[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

void channels_publish(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	const char *ch = api_param(req, "ch");
	if (!ch || access_channel_valid(ch)) {
		api_error(resp, 400, "bad_request",
			  "channel must look like \"thread:42\"", "ch");
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	json_t *jtype = json_object_get(body, "type"), *data = json_object_get(body, "data");
	const char *type = json_string_value(jtype), *why;
	if (!type || !type_valid(type)) {
		api_error(resp, 400, "bad_request",
			  "type must be a string of a-z, 0-9, '_' or '.', starting with a letter, at most 64",
			  "type");
	} else if (!data) {
		api_error(resp, 400, "bad_request", "data is required (any JSON value)", "data");
	} else if (access_channel_publish(req->st, &req->who, ch, type, &why)) {
		api_error(resp, 403, "forbidden", why, NULL);
	} else if (api_begin(req, resp)) {
		/* answered */
	} else if (api_emit(req, ch, type, data, -1) || api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not store the event", NULL);
	} else {
		api_json(resp, 201, json_pack("{s:I}", "seq", (json_int_t)req->committed->ev.seq));
	}
	json_decref(body);
}
