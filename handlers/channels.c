/* channels: POST /v1/channels/{ch}/events — an operator's (or later a
 * staff member's announcement) event, stored, then pushed. */
#include "access.h"
#include "review.h"
#include "routes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

/* An announcement's words (the data's text members, or the data itself
 * when it is text) go through the content check: 0 to go on, else waiting
 * or refused (review_text). */
static int announcement_checked(struct req *req, struct resp *resp, const char *ch, json_t *data)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return -1;
	if (json_is_string(data)) {
		fputs(json_string_value(data), f);
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(data, k, v)
			if (json_is_string(v))
				fprintf(f, "%s\n", json_string_value(v));
	}
	fclose(f);
	int64_t cid = 0;
	sscanf(ch, "community:%" SCNd64, &cid);
	int rc = n ? review_text(req, resp, "announcement", "data", text, cid) : 0;
	free(text);
	return rc;
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
	} else if (!strcmp(type, "announcement") && announcement_checked(req, resp, ch, data)) {
		/* waiting for the content check, or refused by it */
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
