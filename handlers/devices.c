/* devices: push tokens of members' phones (POST/GET/DELETE /v1/devices).
 * The push worker (gateway/push.c) reads them when it relays a
 * notification to a member who was offline. */
#include "routes.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_MIN 8
#define TOKEN_MAX_CHARS 512

static const char *const platforms[] = { "ios", "android", "harmony", "wechat", "web" };

static int known_platform(const char *p)
{
	for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
		if (!strcmp(p, platforms[i]))
			return 1;
	return 0;
}

/* Printable ASCII without spaces: what every push service issues. */
static int token_ok(const char *t)
{
	for (; *t; t++)
		if (*t <= ' ' || *t > '~')
			return 0;
	return 1;
}

/* The token is the owner's own secret; answers show only its end. */
static json_t *device_json(struct store_stmt *s)
{
	const char *tok = store_col_text(s, 2);
	size_t n = strlen(tok);
	char tail[16];
	snprintf(tail, sizeof tail, "…%s", tok + (n > 6 ? n - 6 : 0));
	return json_pack("{s:I, s:s, s:s, s:I, s:I}",
		"id", (json_int_t)store_col_int(s, 0),
		"platform", store_col_text(s, 1),
		"token_tail", tail,
		"created_at", (json_int_t)store_col_int(s, 3),
		"seen_at", (json_int_t)store_col_int(s, 4));
}

static json_t *device_get(struct store *st, int64_t id)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT id, platform, token, created_at, seen_at FROM devices WHERE id = ?");
	store_bind_int(s, 1, id);
	json_t *j = store_step(s) == STORE_ROW ? device_json(s) : NULL;
	store_done(s);
	return j;
}

/* POST /v1/devices {platform, token}: 201 for a new token, 200 when the
 * token was known (it now belongs to the caller). Past max_devices_per_user
 * the caller's least recently registered devices are forgotten. */
void devices_register(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *platform = api_str(body, "platform", 1, 16, 1, resp);
	const char *token = platform ? api_str(body, "token", TOKEN_MIN, TOKEN_MAX_CHARS, 1, resp) : NULL;
	if (!token)
		goto out;
	if (!known_platform(platform)) {
		api_error(resp, 400, "bad_request",
			  "platform must be one of ios, android, harmony, wechat, web", "platform");
		goto out;
	}
	if (!token_ok(token)) {
		api_error(resp, 400, "bad_request",
			  "token must be printable ASCII without spaces", "token");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	/* Inserted, or else (known token; or an app's retry racing it on
	 * another worker: the insert waits for that one's commit) moved to
	 * the caller. */
	int64_t now = util_now_ms(), id = 0;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO devices (user_id, platform, token, created_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?4) "
		"ON CONFLICT (platform, token) DO NOTHING RETURNING id");
	store_bind_int(s, 1, req->who.uid);
	store_bind_text(s, 2, platform);
	store_bind_text(s, 3, token);
	store_bind_int(s, 4, now);
	int rc = store_run_int(s, &id);
	int created = rc == 0, ok = created || rc == -ENOENT;
	if (ok && !created) {
		s = store_prepare(req->st,
			"UPDATE devices SET user_id = ?3, seen_at = ?4 WHERE platform = ?1 AND token = ?2 RETURNING id");
		store_bind_text(s, 1, platform);
		store_bind_text(s, 2, token);
		store_bind_int(s, 3, req->who.uid);
		store_bind_int(s, 4, now);
		ok = store_run_int(s, &id) == 0;
	}
	s = store_prepare(req->st,
		"DELETE FROM devices WHERE user_id = ?1 AND id NOT IN "
		"(SELECT id FROM devices WHERE user_id = ?1 ORDER BY seen_at DESC, id DESC LIMIT ?2)");
	store_bind_int(s, 1, req->who.uid);
	store_bind_int(s, 2, req->cfg->max_devices_per_user);
	ok = ok && store_step(s) == STORE_DONE;
	store_done(s);
	if (api_commit_or_fail(req, resp, ok, "could not register the device"))
		goto out;
	api_json(resp, created ? 201 : 200, json_pack("{s:o}", "device", device_get(req->st, id)));
out:
	json_decref(body);
}

/* GET /v1/devices: the caller's devices, most recently registered first. */
void devices_list(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, platform, token, created_at, seen_at FROM devices WHERE user_id = ? "
		"ORDER BY seen_at DESC, id DESC");
	store_bind_int(s, 1, req->who.uid);
	json_t *items = json_array();
	while (store_step(s) == STORE_ROW)
		json_array_append_new(items, device_json(s));
	store_done(s);
	api_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* DELETE /v1/devices/{id}: on logout, or when the app loses its token.
 * Someone else's device is answered as missing. */
void devices_delete(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_require_user(req, resp) || api_id_param(req, "id", &id, resp))
		return;
	struct store_stmt *s = store_prepare(req->st, "DELETE FROM devices WHERE id = ? AND user_id = ?");
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, req->who.uid);
	int64_t deleted = store_run(s);
	if (deleted < 0) {
		api_error(resp, 500, "internal", "could not delete the device", NULL);
		return;
	}
	if (deleted == 0) {
		api_error(resp, 404, "not_found", "no such device", NULL);
		return;
	}
	api_json(resp, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
}
