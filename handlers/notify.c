/* notify: the inbox (GET /v1/notifications, POST /v1/notifications/read). */
#include "notify.h"
#include "routes.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int notify_text(struct req *req, int64_t uid, const char *type, const char *data, int64_t cid)
{
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO notifications (user_id, type, data, created_at) VALUES (?, ?, ?, ?) "
		"RETURNING id");
	store_bind_int(s, 1, uid);
	store_bind_text(s, 2, type);
	store_bind_text(s, 3, data);
	store_bind_int(s, 4, now);
	int64_t nid;
	if (store_run_int(s, &nid))
		return -EIO;
	if (req->cfg->push_relay_url[0] && !api_user_live(req, uid)) {
		/* Offline here: the push worker relays it to the member's devices. */
		s = store_prepare(req->st,
			"INSERT INTO push_outbox (notification_id, user_id, next_at, created_at) "
			"SELECT ?1, ?2, ?3, ?3 WHERE EXISTS (SELECT 1 FROM devices WHERE user_id = ?2)");
		store_bind_int(s, 1, nid);
		store_bind_int(s, 2, uid);
		store_bind_int(s, 3, now);
		int64_t queued = store_run(s);
		if (queued < 0)
			return -EIO;
		req->push_queued += queued;
	}
	/* The inbox row as JSON; type is one of ours (no characters to escape). */
	struct buf ev = { 0 };
	buf_printf(&ev, "{\"id\":%" PRId64 ",\"type\":\"%s\",\"data\":%s,\"created_at\":%" PRId64
		   ",\"read\":false}", nid, type, data, now);
	char ch[40];
	snprintf(ch, sizeof ch, "user:%" PRId64, uid);
	return api_emit_raw(req, ch, "notification", ev.p, cid); /* takes the text */
}

int notify(struct req *req, int64_t uid, const char *type, json_t *data, int64_t cid)
{
	char *d = json_dumps(data, JSON_COMPACT);
	int rc = d ? notify_text(req, uid, type, d, cid) : -EINVAL;
	free(d);
	return rc;
}

int notify_each(struct req *req, struct store_stmt *who, const char *type, json_t *data,
		int64_t cid, int64_t *told)
{
	char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int64_t *uids = NULL;
	size_t n = 0;
	int rc = store_run_ids(who, &uids, &n) == 0 && d ? 0 : -EIO;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = notify_text(req, uids[i], type, d, cid);
	if (told)
		*told = rc == 0 ? (int64_t)n : 0;
	free(uids);
	free(d);
	return rc;
}

int64_t notify_unread(struct store *st, int64_t uid)
{
	struct store_stmt *s = store_prepare(st, "SELECT count(*) FROM notifications WHERE user_id = ? AND read = 0");
	store_bind_int(s, 1, uid);
	store_step(s);
	int64_t n = store_col_int(s, 0);
	store_done(s);
	return n;
}

/* GET /v1/notifications ?unread=1&limit=&cursor= : newest first. */
void notify_list(struct req *req, struct resp *resp)
{
	int64_t cursor;
	int limit;
	if (api_require_user(req, resp) || api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	char v[8];
	int unread = api_query(req, "unread", v, sizeof v) > 0 && strcmp(v, "0") && strcmp(v, "false");
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, type, data, created_at, read FROM notifications WHERE user_id = ?1 "
		"AND (?2 = 0 OR id < ?2) AND (?3 = 0 OR read = 0) ORDER BY id DESC LIMIT ?4");
	store_bind_int(s, 1, req->who.uid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, unread);
	store_bind_int(s, 4, limit);
	json_t *items = json_array();
	int64_t last = 0;
	while (store_step(s) == STORE_ROW) {
		last = store_col_int(s, 0);
		json_t *data = json_loads(store_col_text(s, 2), 0, NULL);
		json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:I, s:b}", "id", (json_int_t)last,
			"type", store_col_text(s, 1), "data", data ? data : json_object(),
			"created_at", (json_int_t)store_col_int(s, 3), "read", (int)store_col_int(s, 4)));
	}
	store_done(s);
	json_t *out = api_list(items, limit, last);
	json_object_set_new(out, "unread", json_integer(notify_unread(req->st, req->who.uid)));
	api_json(resp, 200, out);
}

/* POST /v1/notifications/read {up_to}: marks read every notification up
 * to that id, and tells the member's other devices (notifications.read on
 * user:{uid}) so their badges follow. */
void notify_read(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	int64_t up_to;
	if (!body || api_int(body, "up_to", 1, INT64_MAX, 1, 0, &up_to, resp) || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE notifications SET read = 1 WHERE user_id = ? AND id <= ? AND read = 0");
	store_bind_int(s, 1, req->who.uid);
	store_bind_int(s, 2, up_to);
	int64_t changed = store_run(s);
	int ok = changed >= 0;
	int64_t unread = notify_unread(req->st, req->who.uid);
	if (ok && changed) {
		json_t *ev = json_pack("{s:I, s:I}", "up_to", (json_int_t)up_to, "unread", (json_int_t)unread);
		char ch[40];
		snprintf(ch, sizeof ch, "user:%" PRId64, req->who.uid);
		ok = api_emit(req, ch, "notifications.read", ev, -1) == 0;
		json_decref(ev);
	}
	if (api_commit_or_fail(req, resp, ok, "could not mark notifications read"))
		goto out;
	api_json(resp, 200, json_pack("{s:I}", "unread", (json_int_t)unread));
out:
	json_decref(body);
}

/* The inbox keeps notification_retention_days; finished push rows are kept
 * as long as a push may live, for the operator to inspect. A bounded number
 * per run, so a large backlog never holds the write lock for long. */
void notify_housekeeping(struct req *req)
{
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st, "DELETE FROM notifications WHERE id IN "
		"(SELECT id FROM notifications WHERE created_at < ? LIMIT 5000)");
	store_bind_int(s, 1, now - req->cfg->notification_retention_days * 86400000LL);
	store_run(s);
	s = store_prepare(req->st, "DELETE FROM push_outbox WHERE id IN (SELECT id FROM push_outbox "
		"WHERE state != 'pending' AND done_at < ? LIMIT 5000)");
	store_bind_int(s, 1, now - req->cfg->push_max_age_s * 1000);
	store_run(s);
}
