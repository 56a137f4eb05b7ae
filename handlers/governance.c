/* governance: what the regulations ask of a forum's operator -- the
 * retained access log read by admins (网络日志留存), and suspensions with
 * the blacklist they keep. Warnings and appeals are with the other staff
 * actions in posts.c. */
#include "access.h"
#include "forums.h"
#include "routes.h"
#include "../gateway/accesslog.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query parameter that must be an integer (min..max) when present. */
static int query_int(const struct req *req, const char *name, int64_t min, int64_t max,
		     int64_t def, int64_t *out, struct resp *resp)
{
	char v[32];
	*out = def;
	if (api_query(req, name, v, sizeof v) < 0)
		return 0;
	if (util_parse_i64(v, out) || *out < min || *out > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "%s must be a whole number from %lld to %lld", name,
			 (long long)min, (long long)max);
		api_error(resp, 400, "bad_request", msg, name);
		return -EINVAL;
	}
	return 0;
}

/* GET /v1/admin/access-log?user_id=&since=&until=&limit=&cursor= (admins):
 * newest first; since/until in ms (until exclusive). */
void governance_access_log(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp) || api_require_admin(req, resp))
		return;
	int64_t uid, since, until;
	int limit;
	int64_t cursor;
	if (query_int(req, "user_id", 1, INT64_MAX, 0, &uid, resp) ||
	    query_int(req, "since", 0, INT64_MAX, 0, &since, resp) ||
	    query_int(req, "until", 0, INT64_MAX, INT64_MAX, &until, resp) ||
	    api_page(req, 100, 1000, &limit, &cursor, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT " ACCESSLOG_COLUMNS " FROM access_log WHERE at >= ?1 AND at < ?2 "
		"AND (?3 = 0 OR user_id = ?3) AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5");
	store_bind_int(s, 1, since);
	store_bind_int(s, 2, until);
	store_bind_int(s, 3, uid);
	store_bind_int(s, 4, cursor);
	store_bind_int(s, 5, limit);
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0, rc;
	while ((rc = store_step(s)) == STORE_ROW) {
		last = store_col_int(s, 0);
		json_array_append_new(items, accesslog_row_json(s));
		n++;
	}
	store_done(s);
	if (rc < 0) {
		json_decref(items);
		api_error(resp, 503, "unavailable", "database unavailable; retry", NULL);
		resp->retry_after = 1;
		return;
	}
	api_json(resp, 200, api_list(items, limit, n == limit ? last : 0));
}

/* --- suspensions (admins) --------------------------------------------------------- */

/* Every community the member belongs to records the action (their staff
 * read the moderation log); none: community 0. */
static int log_everywhere(struct req *req, int64_t uid, const char *action, const char *reason)
{
	int64_t *cids;
	size_t n;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT community_id FROM memberships WHERE user_id = ? ORDER BY community_id");
	store_bind_int(s, 1, uid);
	if (store_run_ids(s, &cids, &n))
		return -EIO;
	int rc = 0;
	for (size_t i = 0; i < (n ? n : 1) && !rc; i++)
		rc = forums_mod_log(req, n ? cids[i] : 0, action, "user", uid, reason) > 0 ? 0 : -EIO;
	free(cids);
	return rc;
}

/* POST /v1/admin/suspensions {user_id, reason, days?}: no sign-in until it
 * ends (no days: permanent, and the phone is blacklisted); every session
 * revoked now, so their sockets close with 4001. */
void governance_suspend(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp) || api_require_admin(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	int64_t uid, days;
	const char *reason = NULL;
	if (api_int(body, "user_id", 1, INT64_MAX, 1, 0, &uid, resp) ||
	    !(reason = api_str(body, "reason", 1, 500, 1, resp)) ||
	    api_int(body, "days", 1, 3650, 0, 0, &days, resp))
		goto out;
	if (uid == req->who.uid) {
		api_error(resp, 409, "conflict", "an admin cannot suspend themselves", "user_id");
		goto out;
	}
	char phone[16] = "";
	struct store_stmt *s = store_prepare(req->st,
		"SELECT phone FROM users WHERE id = ? AND deleted_at IS NULL");
	store_bind_int(s, 1, uid);
	int found = store_step(s) == STORE_ROW;
	if (found && store_col_text(s, 0))
		snprintf(phone, sizeof phone, "%s", store_col_text(s, 0));
	store_done(s);
	if (!found) {
		api_error(resp, 404, "not_found", "no such user", "user_id");
		goto out;
	}
	int64_t now = util_now_ms(), until = days ? now + days * 86400 * 1000 : 0;
	if (api_begin(req, resp))
		goto out;
	s = store_prepare(req->st,
		"INSERT INTO suspensions (user_id, actor_id, reason, at, until) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (user_id) DO UPDATE SET actor_id = ?2, reason = ?3, at = ?4, until = ?5");
	store_bind_int(s, 1, uid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, reason);
	store_bind_int(s, 4, now);
	store_bind_int_or_null(s, 5, until);
	int ok = store_run(s) == 1;
	s = store_prepare(req->st, "UPDATE sessions SET revoked_at = ?, revoke_reason = 'suspended' "
			  "WHERE user_id = ? AND revoked_at IS NULL");
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, uid);
	ok = ok && store_run(s) >= 0;
	if (ok && !until && phone[0]) {
		unsigned char h[32];
		api_mac(req, "linli blacklist v1", phone, strlen(phone), h);
		s = store_prepare(req->st,
			"INSERT INTO blacklist (phone_hash, user_id, reason, at) VALUES (?1, ?2, ?3, ?4) "
			"ON CONFLICT (phone_hash) DO UPDATE SET user_id = ?2, reason = ?3, at = ?4");
		store_bind_blob(s, 1, h, sizeof h);
		store_bind_int(s, 2, uid);
		store_bind_text(s, 3, reason);
		store_bind_int(s, 4, now);
		ok = store_run(s) == 1;
	}
	ok = ok && log_everywhere(req, uid, until ? "member.suspend" : "member.suspend_permanent",
				  reason) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not suspend"))
		goto out;
	log_info("req %" PRIu64 ": admin %" PRId64 " suspended user %" PRId64 " %s", req->id,
		 req->who.uid, uid, until ? "for a time" : "permanently");
	api_json(resp, 201, json_pack("{s:{s:I, s:s, s:I, s:o}}", "suspension", "user_id", (json_int_t)uid,
				      "reason", reason, "at", (json_int_t)now,
				      "until", until ? json_integer(until) : json_null()));
out:
	json_decref(body);
}

/* DELETE /v1/admin/suspensions/{uid}: lifts it (and the phone's blacklisting). */
void governance_lift(struct req *req, struct resp *resp)
{
	int64_t uid;
	if (api_require_user(req, resp) || api_require_admin(req, resp) ||
	    api_id_param(req, "uid", &uid, resp) || api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st, "DELETE FROM suspensions WHERE user_id = ?");
	store_bind_int(s, 1, uid);
	int64_t n = store_run(s);
	if (n == 0) {
		api_rollback(req);
		api_error(resp, 404, "not_found", "this user is not suspended", NULL);
		return;
	}
	s = store_prepare(req->st, "DELETE FROM blacklist WHERE user_id = ?");
	store_bind_int(s, 1, uid);
	int ok = n == 1 && store_run(s) >= 0 && log_everywhere(req, uid, "member.unsuspend", "") == 0;
	if (api_commit_or_fail(req, resp, ok, "could not lift the suspension"))
		return;
	api_json(resp, 200, json_pack("{s:I, s:b}", "user_id", (json_int_t)uid, "suspended", 0));
}
