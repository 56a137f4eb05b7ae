/* privacy: the member's rights over what is stored about them (个人信息
 *保护法): consent to the privacy policy, a copy of everything (export),
 * and the end of a deleted account (注销), anonymised by a tick.
 *
 * The export holds the caller's own data; other people appear only as an
 * id (and a display name where one helps), never with a phone or contact.
 * Anonymising keeps what the community wrote together -- threads and posts
 * stay, authored by 已注销用户 -- and removes what identifies the person. */
#include "access.h"
#include "routes.h"
#include "users.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DELETED_NAME "已注销用户"
#define GONE_PER_TICK 16 /* accounts anonymised per tick, each its own transaction */

/* POST /v1/me/consent {version} */
void privacy_consent(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *policy = req->cfg->privacy_policy_version;
	const char *version = api_str(body, "version", 1, 63, 1, resp);
	int64_t now = util_now_ms();
	if (!version)
		goto out;
	if (strcmp(version, policy)) {
		api_error(resp, 400, "bad_request", policy[0] ?
			  "version must be the current privacy policy's version" :
			  "no privacy policy version is configured", "version");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	if (api_commit_or_fail(req, resp, !accounts_consent_record(req, req->who.uid, version, now),
			       "could not record the consent"))
		goto out;
	api_json(resp, 200, json_pack("{s:{s:s, s:I}}", "consent", "version", version,
				      "at", (json_int_t)now));
out:
	json_decref(body);
}

/* --- export ------------------------------------------------------------------ */

/* Rows of sql (?1 = uid) as objects. spec names the columns in order,
 * each with its type: "id:i,body:s,read:b,data:j" (i integer, s text,
 * b boolean, j JSON text; NULL is null). */
static json_t *rows(struct store *st, const char *sql, int64_t uid, const char *spec)
{
	json_t *a = json_array();
	struct store_stmt *s = store_prepare(st, sql);
	store_bind_int(s, 1, uid);
	while (store_step(s) == STORE_ROW) {
		json_t *o = json_object();
		int col = 0;
		for (const char *p = spec; *p; col++) {
			size_t n = strcspn(p, ":");
			char name[40];
			snprintf(name, sizeof name, "%.*s", (int)n, p);
			char type = p[n + 1];
			p += n + 2;
			if (*p == ',')
				p++;
			json_t *v;
			if (store_col_null(s, col))
				v = json_null();
			else if (type == 'i')
				v = json_integer(store_col_int(s, col));
			else if (type == 'b')
				v = json_boolean(store_col_int(s, col));
			else if (type == 'j')
				v = json_loads(store_col_text(s, col), 0, NULL);
			else
				v = json_string(store_col_text(s, col));
			json_object_set_new(o, name, v ? v : json_null());
		}
		json_array_append_new(a, o);
	}
	store_done(s);
	return a;
}

/* The caller's posts, each with its earlier versions (oldest first). */
static json_t *posts_with_versions(struct store *st, int64_t uid)
{
	json_t *posts = rows(st,
		"SELECT id, thread_id, reply_to, body, status, hold_reason, created_at, edited_at, "
		"ip_region FROM posts WHERE author_id = ?1 ORDER BY id",
		uid, "id:i,thread_id:i,reply_to:i,body:s,status:s,hold_reason:s,created_at:i,"
		"edited_at:i,ip_region:s");
	json_t *by_id = json_object();
	size_t i;
	json_t *p;
	json_array_foreach(posts, i, p) {
		char key[24];
		snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(p, "id")));
		json_t *versions = json_array();
		json_object_set_new(p, "versions", versions);
		json_object_set(by_id, key, versions);
	}
	struct store_stmt *s = store_prepare(st,
		"SELECT e.post_id, e.body, e.edited_at FROM post_edits e JOIN posts p ON p.id = e.post_id "
		"WHERE p.author_id = ? ORDER BY e.post_id, e.edited_at");
	store_bind_int(s, 1, uid);
	while (store_step(s) == STORE_ROW) {
		char key[24];
		snprintf(key, sizeof key, "%" PRId64, store_col_int(s, 0));
		json_t *versions = json_object_get(by_id, key);
		if (versions)
			json_array_append_new(versions, json_pack("{s:s, s:I}", "body",
				store_col_text(s, 1), "replaced_at", (json_int_t)store_col_int(s, 2)));
	}
	store_done(s);
	json_decref(by_id);
	return posts;
}

void privacy_export(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	char key[24];
	snprintf(key, sizeof key, "%" PRId64, req->who.uid);
	if (api_rate_limit(req, resp, "export", key, req->cfg->export_per_user_per_day, 86400))
		return;
	struct store *st = req->st;
	int64_t uid = req->who.uid;
	json_t *user = users_json(st, &req->who, uid);
	json_t *more = rows(st,
		"SELECT created_at, phone_verified_at, consent_version, consent_at, deletes_at "
		"FROM users WHERE id = ?1", uid,
		"created_at:i,phone_verified_at:i,consent_version:s,consent_at:i,deletes_at:i");
	if (user && json_array_size(more))
		json_object_update(user, json_array_get(more, 0));
	json_decref(more);
	json_t *doc = json_pack("{s:I, s:o}", "exported_at", (json_int_t)util_now_ms(),
				"user", user ? user : json_null());
	json_object_set_new(doc, "memberships", rows(st,
		"SELECT m.community_id, c.name, m.role, m.joined_at FROM memberships m "
		"JOIN communities c ON c.id = m.community_id WHERE m.user_id = ?1 ORDER BY m.community_id",
		uid, "community_id:i,community:s,role:s,joined_at:i"));
	json_object_set_new(doc, "volunteer_profiles", rows(st,
		"SELECT community_id, categories, grids, active, quiet_start, quiet_end, updated_at "
		"FROM volunteers WHERE user_id = ?1 ORDER BY community_id", uid,
		"community_id:i,categories:j,grids:j,active:b,quiet_start:i,quiet_end:i,updated_at:i"));
	json_object_set_new(doc, "threads", rows(st,
		"SELECT id, community_id, kind, title, body, status, created_at, ip_region FROM threads "
		"WHERE author_id = ?1 ORDER BY id", uid,
		"id:i,community_id:i,kind:s,title:s,body:s,status:s,created_at:i,ip_region:s"));
	json_object_set_new(doc, "posts", posts_with_versions(st, uid));
	json_object_set_new(doc, "votes", rows(st,
		"SELECT v.thread_id, t.title, v.option_idx, o.label, v.reason, v.updated_at, v.source, "
		"v.entered_by FROM votes v JOIN threads t ON t.id = v.thread_id "
		"LEFT JOIN thread_options o ON o.thread_id = v.thread_id AND o.idx = v.option_idx "
		"WHERE v.user_id = ?1 ORDER BY v.thread_id", uid,
		"thread_id:i,thread_title:s,option:i,option_label:s,reason:s,updated_at:i,source:s,"
		"entered_by:i"));
	json_object_set_new(doc, "reports", rows(st,
		"SELECT post_id, reason, at FROM reports WHERE reporter_id = ?1 ORDER BY at", uid,
		"post_id:i,reason:s,at:i"));
	json_object_set_new(doc, "help_requests", rows(st,
		"SELECT h.id, h.community_id, h.category, h.title, h.details, h.grid, h.urgency, "
		"h.contact, h.status, h.volunteer_id, u.display_name, h.rating, h.thanks, h.created_at, "
		"h.ip_region FROM help_requests h LEFT JOIN users u ON u.id = h.volunteer_id "
		"WHERE h.requester_id = ?1 ORDER BY h.id", uid,
		"id:i,community_id:i,category:s,title:s,details:s,grid:s,urgency:s,contact:s,status:s,"
		"volunteer_id:i,volunteer_name:s,rating:i,thanks:s,created_at:i,ip_region:s"));
	/* Requests the caller helped with: never the requester's contact. */
	json_object_set_new(doc, "help_claimed", rows(st,
		"SELECT h.id, h.community_id, h.category, h.title, h.status, h.requester_id, "
		"u.display_name, h.claimed_at, h.done_at, h.rating FROM help_requests h "
		"JOIN users u ON u.id = h.requester_id "
		"WHERE h.volunteer_id = ?1 OR h.id IN (SELECT request_id FROM service_ledger "
		"  WHERE user_id = ?1) ORDER BY h.id", uid,
		"id:i,community_id:i,category:s,title:s,status:s,requester_id:i,requester_name:s,"
		"claimed_at:i,done_at:i,rating:i"));
	json_object_set_new(doc, "service", rows(st,
		"SELECT community_id, request_id, minutes, rating, at FROM service_ledger "
		"WHERE user_id = ?1 ORDER BY at", uid,
		"community_id:i,request_id:i,minutes:i,rating:i,at:i"));
	json_object_set_new(doc, "notifications", rows(st,
		"SELECT id, type, data, created_at, read FROM notifications WHERE user_id = ?1 "
		"ORDER BY id", uid, "id:i,type:s,data:j,created_at:i,read:b"));
	/* Device tokens by their last six characters: enough to recognise a
	 * phone, not to push to it. */
	json_object_set_new(doc, "devices", rows(st,
		"SELECT id, platform, substr(token, length(token) - 5), created_at, seen_at "
		"FROM devices WHERE user_id = ?1 ORDER BY id", uid,
		"id:i,platform:s,token_tail:s,created_at:i,seen_at:i"));
	json_object_set_new(doc, "sessions", rows(st,
		"SELECT id, created_at, refreshed_at, ip, user_agent, revoked_at, revoke_reason "
		"FROM sessions WHERE user_id = ?1 ORDER BY id", uid,
		"id:i,created_at:i,last_seen_at:i,ip:s,user_agent:s,revoked_at:i,revoke_reason:s"));
	json_object_set_new(doc, "consents", rows(st,
		"SELECT version, at, ip FROM consents WHERE user_id = ?1 ORDER BY id", uid,
		"version:s,at:i,ip:s"));
	json_object_set_new(doc, "verification_codes", rows(st,
		"SELECT c.purpose, c.created_at, c.used_at, c.ip FROM sms_codes c "
		"JOIN users u ON u.phone = c.phone WHERE u.id = ?1 ORDER BY c.id", uid,
		"purpose:s,created_at:i,used_at:i,ip:s"));
	/* Staff actions on the caller, their posts and threads; and on their
	 * membership. The acting staff member by id and name. */
	json_object_set_new(doc, "moderation", rows(st,
		"SELECT l.community_id, l.action, l.target_kind, l.target_id, l.reason, l.at, l.actor_id, "
		"a.display_name FROM moderation_log l LEFT JOIN users a ON a.id = l.actor_id "
		"WHERE (l.target_kind = 'user' AND l.target_id = ?1) "
		"   OR (l.target_kind = 'post' AND l.target_id IN (SELECT id FROM posts WHERE author_id = ?1)) "
		"   OR (l.target_kind = 'thread' AND l.target_id IN (SELECT id FROM threads WHERE author_id = ?1)) "
		"UNION ALL SELECT g.community_id, g.action, 'membership', g.target_user, '', g.at, g.actor_id, "
		"a.display_name FROM audit_log g LEFT JOIN users a ON a.id = g.actor_id "
		"WHERE g.target_user = ?1 ORDER BY 6", uid,
		"community_id:i,action:s,target_kind:s,target_id:i,reason:s,at:i,actor_id:i,actor_name:s"));
	json_object_set_new(doc, "mutes", rows(st,
		"SELECT community_id, until, reason FROM mutes WHERE user_id = ?1", uid,
		"community_id:i,until:i,reason:s"));
	json_object_set_new(doc, "appeals", rows(st,
		"SELECT a.id, a.action_id, a.community_id, a.reason, a.status, a.decision_reason, "
		"a.created_at, a.decided_at FROM appeals a WHERE a.appellant_id = ?1 ORDER BY a.id", uid,
		"id:i,action_id:i,community_id:i,reason:s,status:s,decision_reason:s,created_at:i,"
		"decided_at:i"));
	json_object_set_new(doc, "warnings", rows(st,
		"SELECT id, community_id, reason, at, withdrawn_at FROM warnings WHERE user_id = ?1 "
		"ORDER BY id", uid, "id:i,community_id:i,reason:s,at:i,withdrawn_at:i"));
	json_object_set_new(doc, "suspensions", rows(st,
		"SELECT reason, at, until FROM suspensions WHERE user_id = ?1", uid,
		"reason:s,at:i,until:i"));
	json_object_set_new(doc, "announcements", rows(st,
		"SELECT id, community_id, title, body, pinned, created_at FROM announcements "
		"WHERE author_id = ?1 ORDER BY id", uid,
		"id:i,community_id:i,title:s,body:s,pinned:b,created_at:i"));
	json_object_set_new(doc, "announcements_read", rows(st,
		"SELECT announcement_id, read_at FROM announcement_reads WHERE user_id = ?1 "
		"ORDER BY announcement_id", uid, "announcement_id:i,read_at:i"));
	json_object_set_new(doc, "objections", rows(st,
		"SELECT id, thread_id, community_id, reason, created_at, answer, answered_at "
		"FROM objections WHERE user_id = ?1 ORDER BY id", uid,
		"id:i,thread_id:i,community_id:i,reason:s,created_at:i,answer:s,answered_at:i"));
	/* 居民诉求 and meetings (issue 17): the caller's requests, what they
	 * wrote on them and what staff answered; their check-ins. */
	json_object_set_new(doc, "requests", rows(st,
		"SELECT id, community_id, category, title, body, grid, status, created_at, resolved_at, "
		"summary, satisfaction, rating_comment, reopen_reason FROM tickets WHERE author_id = ?1 "
		"ORDER BY id", uid,
		"id:i,community_id:i,category:s,title:s,body:s,grid:s,status:s,created_at:i,"
		"resolved_at:i,summary:s,satisfaction:i,rating_comment:s,reopen_reason:s"));
	json_object_set_new(doc, "request_replies", rows(st,
		"SELECT r.ticket_id, r.author_id, r.body, r.is_public, r.created_at FROM ticket_replies r "
		"JOIN tickets t ON t.id = r.ticket_id WHERE t.author_id = ?1 OR r.author_id = ?1 "
		"ORDER BY r.id", uid, "ticket_id:i,author_id:i,body:s,public:b,created_at:i"));
	json_object_set_new(doc, "meeting_checkins", rows(st,
		"SELECT c.meeting_id, m.title, c.checked_in_at FROM meeting_checkins c "
		"JOIN meetings m ON m.id = c.meeting_id WHERE c.user_id = ?1 ORDER BY c.meeting_id", uid,
		"meeting_id:i,meeting_title:s,checked_in_at:i"));
	json_object_set_new(doc, "uploads", json_array());
	api_json(resp, 200, doc);
}

/* --- the end of a deleted account --------------------------------------------- */

/* Statements run in order with ?1 = uid and, where used, ?2 = now; each
 * may change any number of rows. */
static const char *const anonymise_sql[] = {
	("UPDATE sessions SET revoked_at = ?2, revoke_reason = 'account deleted' "
	 "WHERE user_id = ?1 AND revoked_at IS NULL"),
	"UPDATE sessions SET ip = NULL, user_agent = NULL WHERE user_id = ?1",
	"DELETE FROM refresh_spent WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?1)",
	"DELETE FROM devices WHERE user_id = ?1",
	"DELETE FROM push_outbox WHERE user_id = ?1 AND state = 'pending'",
	"DELETE FROM volunteers WHERE user_id = ?1",
	"DELETE FROM memberships WHERE user_id = ?1",
	"DELETE FROM notifications WHERE user_id = ?1",
	"DELETE FROM consents WHERE user_id = ?1",
	"DELETE FROM idempotency WHERE user_id = ?1",
	"DELETE FROM suspensions WHERE user_id = ?1", /* a blacklisted phone stays blacklisted */
};

/* Anonymises uid if its deletion is due and no other gateway did it
 * first: one transaction. 1 done, 0 not due (any more), or an error. */
static int anonymise(struct req *req, int64_t uid, int64_t now)
{
	char phone[24] = "";
	struct store_stmt *s = store_prepare(req->st, "SELECT phone FROM users WHERE id = ?");
	store_bind_int(s, 1, uid);
	if (store_step(s) == STORE_ROW && store_col_text(s, 0))
		snprintf(phone, sizeof phone, "%s", store_col_text(s, 0));
	store_done(s);
	if (store_begin(req->st))
		return -EIO;
	s = store_prepare(req->st,
		"UPDATE users SET deleted_at = ?2, deletes_at = NULL, display_name = '" DELETED_NAME "', "
		"phone = NULL, pw_hash = NULL, phone_verified_at = NULL, ip_region = NULL, "
		"consent_version = NULL, consent_at = NULL "
		"WHERE id = ?1 AND deleted_at IS NULL AND deletes_at <= ?2");
	store_bind_int(s, 1, uid);
	store_bind_int(s, 2, now);
	int64_t won = store_run(s);
	if (won != 1) {
		api_rollback(req);
		return won < 0 ? (int)won : 0;
	}
	/* Photos may show a home, a face, a door: they go with the account
	 * (its posts stay, by 已注销用户, without them). */
	char **photos = NULL;
	size_t nphotos = 0;
	int ok = help_account_gone(req, uid) == 0 && uploads_forget_user(req, uid, &photos, &nphotos) == 0;
	for (size_t i = 0; ok && i < sizeof anonymise_sql / sizeof *anonymise_sql; i++) {
		s = store_prepare(req->st, anonymise_sql[i]);
		store_bind_int(s, 1, uid);
		if (strstr(anonymise_sql[i], "?2"))
			store_bind_int(s, 2, now);
		ok = store_run(s) >= 0;
	}
	if (ok && phone[0]) {
		static const char *const by_phone[] = {
			"DELETE FROM sms_codes WHERE phone = ?", "DELETE FROM sms_pacing WHERE phone = ?",
		};
		for (size_t i = 0; ok && i < 2; i++) {
			s = store_prepare(req->st, by_phone[i]);
			store_bind_text(s, 1, phone);
			ok = store_run(s) >= 0;
		}
		char key[32];
		snprintf(key, sizeof key, "phone:%s", phone);
		s = store_prepare(req->st, "DELETE FROM login_failures WHERE key = ?");
		store_bind_text(s, 1, key);
		ok = ok && store_run(s) >= 0;
	}
	if (!ok || api_commit(req)) {
		api_rollback(req);
		for (size_t i = 0; i < nphotos; i++) /* the files stay with their rows */
			free(photos[i]);
		free(photos);
		return -EIO;
	}
	uploads_forget_files(req, photos, nphotos); /* after the commit: no row names a missing file */
	log_info("user %" PRId64 ": account deleted as asked; anonymised", uid);
	return 1;
}

/* Once a second: accounts whose deletion is due are anonymised. State is
 * in the database (users.deletes_at), so a restart picks up what is due;
 * the claim is the conditional update, so with several gateways each
 * account is anonymised once. */
void privacy_tick(struct req *req)
{
	int64_t now = util_now_ms(), ids[GONE_PER_TICK];
	int n = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM users WHERE deletes_at <= ? AND deleted_at IS NULL "
		"ORDER BY deletes_at LIMIT ?");
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, GONE_PER_TICK);
	while (store_step(s) == STORE_ROW && n < GONE_PER_TICK)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	for (int i = 0; i < n; i++)
		if (anonymise(req, ids[i], now) < 0)
			log_warn("user %" PRId64 ": could not anonymise yet; will retry", ids[i]);
}

/* The revoked sessions of anonymised accounts go once every gateway has
 * closed their sockets (an hour is many session checks). */
void privacy_housekeeping(struct req *req)
{
	struct store_stmt *s = store_prepare(req->st,
		"DELETE FROM sessions WHERE revoked_at < ? AND user_id IN "
		"(SELECT id FROM users WHERE deleted_at IS NOT NULL)");
	store_bind_int(s, 1, util_now_ms() - 3600 * 1000);
	store_run(s);
}
