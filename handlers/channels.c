/* channels: POST /v1/channels/{ch}/events — an operator's (or later a
 * staff member's announcement) event, stored, then pushed. */
#include "access.h"
#include "forums.h"
#include "review.h"
#include "routes.h"
#include "../gateway/util.h"

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

/* An announcement's words: the data's text members, or the data itself
 * when it is text (malloc'd; "" when it has none). */
static char *announcement_text(json_t *data)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return xstrdup("");
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
	return text;
}

/* An announcement the content check holds waits in held_events, told to
 * staff (announcement.pending on mod:{cid}): 202 {held}. */
static void announcement_hold(struct req *req, struct resp *resp, const char *ch, int64_t cid,
			      const char *type, json_t *data, const char *hold)
{
	if (api_begin(req, resp))
		return;
	char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO held_events (community_id, channel, type, data, author_id, hold_reason, "
		"created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, ch);
	store_bind_text(s, 3, type);
	store_bind_text(s, 4, text);
	store_bind_int(s, 5, req->who.uid);
	store_bind_text(s, 6, hold);
	store_bind_int(s, 7, util_now_ms());
	int64_t id = 0;
	int ok = store_run_int(s, &id) == 0;
	free(text);
	json_t *held = json_pack("{s:I, s:s, s:s, s:O, s:s}", "id", (json_int_t)id, "channel", ch,
				 "type", type, "data", data, "hold_reason", hold);
	char mod[48];
	snprintf(mod, sizeof mod, "mod:%" PRId64, cid);
	ok = ok && api_emit(req, mod, "announcement.pending", held, cid) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not hold the announcement")) {
		json_decref(held);
		return;
	}
	api_json(resp, 202, json_pack("{s:o}", "held", held));
}

/* The content check on an announcement's words: its verdict (API_REVIEW:
 * hold says why; API_REJECT: the 400 is set). *cid: the community. */
static enum api_verdict announcement_checked(struct req *req, struct resp *resp, const char *ch,
					     json_t *data, int64_t *cid, char hold[200])
{
	sscanf(ch, "community:%" SCNd64, cid);
	char *text = announcement_text(data);
	enum api_verdict v = text[0] ? held_text(req, resp, "announcement", "data", text, *cid, hold)
				     : API_PASS;
	free(text);
	return v;
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
	enum api_verdict v;
	int64_t cid = 0;
	char hold[200] = "";
	if (!type || !type_valid(type)) {
		api_error(resp, 400, "bad_request",
			  "type must be a string of a-z, 0-9, '_' or '.', starting with a letter, at most 64",
			  "type");
	} else if (!data) {
		api_error(resp, 400, "bad_request", "data is required (any JSON value)", "data");
	} else if (access_channel_publish(req->st, &req->who, ch, type, &why)) {
		api_error(resp, 403, "forbidden", why, NULL);
	} else if (!strcmp(type, "announcement") &&
		   (v = announcement_checked(req, resp, ch, data, &cid, hold)) != API_PASS) {
		if (v == API_REVIEW)
			announcement_hold(req, resp, ch, cid, type, data, hold);
		/* else: waiting for the content check, or refused by it */
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

/* POST /v1/held-events/{id}/release (staff of its community): a held
 * announcement goes to its channel now. 201 {seq}. */
void channels_release(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_require_user(req, resp) || api_id_param(req, "id", &id, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT community_id, channel, type, data FROM held_events WHERE id = ?");
	store_bind_int(s, 1, id);
	int64_t cid = 0;
	char *ch = NULL, *type = NULL, *text = NULL;
	if (store_step(s) == STORE_ROW) {
		cid = store_col_int(s, 0);
		ch = xstrdup(store_col_text(s, 1));
		type = xstrdup(store_col_text(s, 2));
		text = xstrdup(store_col_text(s, 3));
	}
	store_done(s);
	json_t *data = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (!ch) {
		api_error(resp, 404, "not_found", "no such held announcement", NULL);
	} else if (!access_require_staff(req, cid, resp) && !api_begin(req, resp)) {
		s = store_prepare(req->st, "DELETE FROM held_events WHERE id = ?");
		store_bind_int(s, 1, id);
		int ok = data && store_run(s) == 1 && api_emit(req, ch, type, data, -1) == 0 &&
			 forums_mod_log(req, cid, "announcement.release", "announcement", id, "") > 0;
		if (!api_commit_or_fail(req, resp, ok, "could not release the announcement"))
			api_json(resp, 201, json_pack("{s:I}", "seq", (json_int_t)req->committed->ev.seq));
	}
	json_decref(data);
	free(ch);
	free(type);
	free(text);
}

json_t *channels_held(struct store *st, int64_t cid)
{
	json_t *a = json_array();
	struct store_stmt *s = store_prepare(st,
		"SELECT id, channel, type, data, author_id, hold_reason, created_at FROM held_events "
		"WHERE community_id = ? ORDER BY id LIMIT 100");
	store_bind_int(s, 1, cid);
	while (store_step(s) == STORE_ROW) {
		json_t *data = json_loads(store_col_text(s, 3), JSON_DECODE_ANY, NULL);
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:o, s:I, s:s, s:I}",
			"id", (json_int_t)store_col_int(s, 0), "channel", store_col_text(s, 1),
			"type", store_col_text(s, 2), "data", data ? data : json_null(),
			"author_id", (json_int_t)store_col_int(s, 4), "hold_reason", store_col_text(s, 5),
			"created_at", (json_int_t)store_col_int(s, 6)));
	}
	store_done(s);
	return a;
}
