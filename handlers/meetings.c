/* meetings: 议事会 and 居民代表会议, where consultations meet the
 * residents who do not use a smartphone.
 *
 * Staff call a meeting of the members or of the representatives, with an
 * agenda, a place, a quorum (a share of the invitees) and the
 * consultations it takes up. Invitees check in with the six-digit code
 * staff show on screen; the meeting is quorate once check-ins reach the
 * quorum. A vote given at the meeting by a member who did not vote online
 * is entered by staff (source "offline", in the audit log with who
 * entered it); the member's own online vote, earlier or later, wins.
 * Minutes are kept with the meeting. Members see every meeting of their
 * community (居务公开); the check-in code only staff. Each change is a
 * meeting.updated event on community:{cid}, so the screen at the front of
 * the room counts check-ins live. */
#include "routes.h"
#include "access.h"
#include "codes.h"
#include "forums.h"
#include "review.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEETING_TITLE_MAX 100
#define MEETING_AGENDA_MAX 4000
#define MEETING_PLACE_MAX 100
#define MEETING_MINUTES_MAX 20000
#define MEETING_THREADS_MAX 20
#define OFFLINE_REASON_MAX 500

/* How many are invited: every member, or the representatives. */
static int64_t invited_count(struct store *st, int64_t cid, const char *invitees)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT count(*) FROM memberships WHERE community_id = ?1 AND (?2 = 'members' OR role = 'representative')");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, invitees);
	int64_t n = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return n;
}

/* The meeting as a member sees it; staff also get the check-in code. */
static json_t *meeting_json(struct store *st, int64_t id, int staff)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, title, agenda, place, starts_at, invitees, quorum_permille, checkin_code, "
		"minutes, minutes_at, created_at FROM meetings WHERE id = ?");
	store_bind_int(s, 1, id);
	if (store_step(s) != STORE_ROW) {
		store_done(s);
		return NULL;
	}
	int64_t cid = store_col_int(s, 0), permille = store_col_int(s, 6);
	char invitees[16];
	snprintf(invitees, sizeof invitees, "%s", store_col_text(s, 5));
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s, s:f, s:I}",
		"id", (json_int_t)id, "community_id", (json_int_t)cid, "title", store_col_text(s, 1),
		"agenda", store_col_text(s, 2), "place", store_col_text(s, 3),
		"starts_at", (json_int_t)store_col_int(s, 4), "invitees", invitees,
		"quorum", (double)permille / 1000.0, "created_at", (json_int_t)store_col_int(s, 10));
	if (staff)
		json_object_set_new(j, "checkin_code", json_string(store_col_text(s, 7)));
	json_object_set_new(j, "minutes", store_col_null(s, 8) ? json_null() : json_string(store_col_text(s, 8)));
	json_object_set_new(j, "minutes_at", store_col_null(s, 9) ? json_null() : json_integer(store_col_int(s, 9)));
	store_done(s);

	json_t *attendees = json_array();
	s = store_prepare(st,
		"SELECT c.user_id, coalesce(u.display_name, ''), c.checked_in_at FROM meeting_checkins c "
		"LEFT JOIN users u ON u.id = c.user_id WHERE c.meeting_id = ? ORDER BY c.checked_in_at, c.user_id");
	store_bind_int(s, 1, id);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(attendees, json_pack("{s:I, s:s, s:I}",
			"id", (json_int_t)store_col_int(s, 0), "display_name", store_col_text(s, 1),
			"checked_in_at", (json_int_t)store_col_int(s, 2)));
	store_done(s);
	int64_t invited = invited_count(st, cid, invitees), present = (int64_t)json_array_size(attendees);
	json_object_set_new(j, "attendees", attendees);
	json_object_set_new(j, "attendee_count", json_integer(present));
	json_object_set_new(j, "invited", json_integer(invited));
	/* Quorate when present / invited reaches the quorum (in integers). */
	json_object_set_new(j, "quorate", json_boolean(invited > 0 && present * 1000 >= permille * invited));

	json_t *threads = json_array();
	s = store_prepare(st,
		"SELECT m.thread_id, t.title FROM meeting_threads m JOIN threads t ON t.id = m.thread_id "
		"WHERE m.meeting_id = ? ORDER BY m.thread_id");
	store_bind_int(s, 1, id);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(threads, json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(s, 0),
							 "title", store_col_text(s, 1)));
	store_done(s);
	json_object_set_new(j, "threads", threads);
	return j;
}

/* meeting.updated on community:{cid}, as members see it (no code). */
static int emit_meeting(struct req *req, int64_t id, int64_t cid)
{
	json_t *j = meeting_json(req->st, id, 0);
	char ch[40];
	snprintf(ch, sizeof ch, "community:%" PRId64, cid);
	int rc = j && api_emit(req, ch, "meeting.updated", j, cid) == 0 ? 0 : -EIO;
	json_decref(j);
	return rc;
}

/* POST /v1/communities/{cid}/meetings (staff)
 * {title, agenda, starts_at, place, invitees, quorum, thread_ids?} */
void meetings_create(struct req *req, struct resp *resp)
{
	int64_t cid, starts_at;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *title = api_str(body, "title", 1, MEETING_TITLE_MAX, 1, resp);
	const char *agenda = title ? api_str(body, "agenda", 1, MEETING_AGENDA_MAX, 1, resp) : NULL;
	const char *place = agenda ? api_str(body, "place", 1, MEETING_PLACE_MAX, 1, resp) : NULL;
	const char *invitees = place ? api_str(body, "invitees", 1, 16, 1, resp) : NULL;
	if (!invitees || api_int(body, "starts_at", 1, INT64_MAX, 1, 0, &starts_at, resp))
		goto out;
	if (strcmp(invitees, "members") && strcmp(invitees, "representatives")) {
		api_error(resp, 400, "bad_request", "invitees must be \"members\" or \"representatives\"", "invitees");
		goto out;
	}
	json_t *q = json_object_get(body, "quorum");
	if (!json_is_number(q) || json_number_value(q) < 0 || json_number_value(q) > 1) {
		api_error(resp, 400, "bad_request", "quorum must be a number from 0 to 1 (a share of the invitees)",
			  "quorum");
		goto out;
	}
	int64_t permille = (int64_t)(json_number_value(q) * 1000.0 + 0.5) /* 0..1000 */;
	json_t *tids = json_object_get(body, "thread_ids");
	if (tids && !json_is_null(tids) && (!json_is_array(tids) || json_array_size(tids) > MEETING_THREADS_MAX)) {
		api_error(resp, 400, "bad_request", "thread_ids must be a list of at most 20 thread ids", "thread_ids");
		goto out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(tids, i, v) {
		struct thread_row t;
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    forums_thread_load(req->st, json_integer_value(v), 0, &t) || t.community_id != cid) {
			api_error(resp, 400, "bad_request", "thread_ids must name threads of this community",
				  "thread_ids");
			goto out;
		}
	}
	char code[8];
	if (codes_digits(code)) {
		api_error(resp, 500, "internal", "no randomness", NULL);
		goto out;
	}
	if (review_text(req, resp, "meeting", "title", title, cid) ||
	    review_text(req, resp, "meeting", "agenda", agenda, cid) || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO meetings (community_id, title, agenda, place, starts_at, invitees, quorum_permille, "
		"checkin_code, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, title);
	store_bind_text(s, 3, agenda);
	store_bind_text(s, 4, place);
	store_bind_int(s, 5, starts_at);
	store_bind_text(s, 6, invitees);
	store_bind_int(s, 7, permille);
	store_bind_text(s, 8, code);
	store_bind_int(s, 9, req->who.uid);
	store_bind_int(s, 10, util_now_ms());
	int64_t id = 0;
	int ok = store_run_int(s, &id) == 0;
	json_array_foreach(tids, i, v) {
		s = store_prepare(req->st, "INSERT INTO meeting_threads (meeting_id, thread_id) VALUES (?, ?) "
				  "ON CONFLICT DO NOTHING");
		store_bind_int(s, 1, id);
		store_bind_int(s, 2, json_integer_value(v));
		ok = ok && store_run(s) >= 0;
	}
	ok = ok && emit_meeting(req, id, cid) == 0 &&
	     forums_mod_log(req, cid, "meeting.create", "meeting", id, title) > 0;
	if (api_commit_or_fail(req, resp, ok, "could not call the meeting"))
		goto out;
	api_json(resp, 201, json_pack("{s:o}", "meeting", meeting_json(req->st, id, 1)));
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/meetings ?limit=&cursor= (members): newest
 * first. */
void meetings_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 20, 100, &limit, &cursor, resp))
		return;
	int staff = req->who.is_admin || access_role(req->st, req->who.uid, cid) == ROLE_STAFF;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM meetings WHERE community_id = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not list the meetings", NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = meeting_json(req->st, ids[i], staff);
		if (j)
			json_array_append_new(items, j);
	}
	int64_t last = n ? ids[n - 1] : 0;
	free(ids);
	api_json(resp, 200, api_list(items, limit, last));
}

/* The {id} meeting's community and invitees, and the caller's role there:
 * 0, or 404 / 401 set (a meeting of another community is not found). */
static int meeting_access(struct req *req, struct resp *resp, int64_t *id, int64_t *cid, char invitees[16],
			  enum role *role)
{
	if (api_id_param(req, "id", id, resp) || api_require_user(req, resp))
		return -EPERM;
	struct store_stmt *s = store_prepare(req->st, "SELECT community_id, invitees FROM meetings WHERE id = ?");
	store_bind_int(s, 1, *id);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		*cid = store_col_int(s, 0);
		snprintf(invitees, 16, "%s", store_col_text(s, 1));
	}
	store_done(s);
	*role = found ? access_role(req->st, req->who.uid, *cid) : ROLE_NONE;
	if (!found || (*role == ROLE_NONE && !req->who.is_admin)) {
		api_error(resp, 404, "not_found", "no such meeting", NULL);
		return -ENOENT;
	}
	return 0;
}

/* GET /v1/meetings/{id} (members) */
void meetings_get(struct req *req, struct resp *resp)
{
	int64_t id, cid;
	char invitees[16];
	enum role role;
	if (meeting_access(req, resp, &id, &cid, invitees, &role))
		return;
	api_json(resp, 200, json_pack("{s:o}", "meeting",
		meeting_json(req->st, id, req->who.is_admin || role == ROLE_STAFF)));
}

/* POST /v1/meetings/{id}/checkin {code} (an invitee) */
void meetings_checkin(struct req *req, struct resp *resp)
{
	int64_t id, cid;
	char invitees[16], key[48];
	enum role role;
	if (meeting_access(req, resp, &id, &cid, invitees, &role))
		return;
	if (role == ROLE_NONE || (!strcmp(invitees, "representatives") && role != ROLE_REPRESENTATIVE)) {
		api_error_reason(resp, 403, "forbidden", !strcmp(invitees, "representatives") ?
				 "this meeting is for the community's representatives" :
				 "this meeting is for the community's members", "not_invited");
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *code = api_str(body, "code", 1, 16, 1, resp);
	if (!code)
		goto out;
	/* Guessing a six-digit code: a few tries per member and meeting. */
	snprintf(key, sizeof key, "%" PRId64 ":%" PRId64, id, req->who.uid);
	if (api_rate_limit(req, resp, "checkin", key, req->cfg->rate_checkins_per_meeting, 3600))
		goto out;
	struct store_stmt *s = store_prepare(req->st, "SELECT checkin_code FROM meetings WHERE id = ?");
	store_bind_int(s, 1, id);
	int right = store_step(s) == STORE_ROW && !strcmp(store_col_text(s, 0), code);
	store_done(s);
	if (!right) {
		api_error_field_reason(resp, 403, "forbidden", "that is not this meeting's check-in code",
				       "code", "wrong_code");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	s = store_prepare(req->st, "INSERT INTO meeting_checkins (meeting_id, user_id, checked_in_at) "
			  "VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, util_now_ms());
	int64_t n = store_run(s);
	/* Checking in twice changes nothing and tells nobody. */
	int ok = n == 0 || (n == 1 && emit_meeting(req, id, cid) == 0);
	if (api_commit_or_fail(req, resp, ok, "could not check in"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "meeting", meeting_json(req->st, id, role == ROLE_STAFF)));
out:
	json_decref(body);
}

/* POST /v1/meetings/{id}/minutes {text} (staff): kept with the meeting;
 * writing them again replaces them (the log keeps each time). */
void meetings_minutes(struct req *req, struct resp *resp)
{
	int64_t id, cid;
	char invitees[16];
	enum role role;
	if (meeting_access(req, resp, &id, &cid, invitees, &role) ||
	    access_require_role(req, role, ROLE_STAFF, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *text = api_str(body, "text", 1, MEETING_MINUTES_MAX, 1, resp);
	if (!text || review_text(req, resp, "minutes", "text", text, cid) || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE meetings SET minutes = ?, minutes_at = ? WHERE id = ?");
	store_bind_text(s, 1, text);
	store_bind_int(s, 2, util_now_ms());
	store_bind_int(s, 3, id);
	int ok = store_run(s) == 1 && emit_meeting(req, id, cid) == 0 &&
		 forums_mod_log(req, cid, "meeting.minutes", "meeting", id, "") > 0;
	if (api_commit_or_fail(req, resp, ok, "could not keep the minutes"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "meeting", meeting_json(req->st, id, 1)));
out:
	json_decref(body);
}

/* POST /v1/threads/{tid}/offline-votes {user_id, option, reason?} (staff):
 * a vote given at a meeting by a member who has not voted online. */
void meetings_offline_vote(struct req *req, struct resp *resp)
{
	struct thread_row t;
	int64_t nopt;
	if (forums_thread_access(req, resp, &t, 1) || forums_voting_open(req, &t, resp, &nopt))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	int64_t uid, opt;
	struct store_stmt *s;
	if (api_int(body, "user_id", 1, INT64_MAX, 1, 0, &uid, resp) ||
	    api_int(body, "option", 0, nopt - 1, 1, 0, &opt, resp))
		goto out;
	const char *reason = api_str(body, "reason", 0, OFFLINE_REASON_MAX, 0, resp);
	if (!reason && resp->status)
		goto out;
	if (access_role(req->st, uid, t.community_id) == ROLE_NONE) {
		api_error(resp, 404, "not_found", "not a member of this community", "user_id");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	/* An online vote stands: the update applies only to no vote or an
	 * offline one (entered again, e.g. corrected). */
	s = store_prepare(req->st,
		"INSERT INTO votes (thread_id, user_id, option_idx, reason, updated_at, source, entered_by) "
		"VALUES (?1, ?2, ?3, ?4, ?5, 'offline', ?6) "
		"ON CONFLICT (thread_id, user_id) DO UPDATE SET option_idx = ?3, reason = ?4, updated_at = ?5, "
		"entered_by = ?6 WHERE votes.source = 'offline'");
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, uid);
	store_bind_int(s, 3, opt);
	if (reason)
		store_bind_text(s, 4, reason);
	else
		store_bind_null(s, 4);
	store_bind_int(s, 5, util_now_ms());
	store_bind_int(s, 6, req->who.uid);
	int64_t n = store_run(s);
	if (n == 0) {
		api_rollback(req);
		api_error_reason(resp, 409, "conflict", "this member has voted online; their own vote stands",
				 "voted_online");
		goto out;
	}
	int ok = n == 1 && forums_emit_tally(req, &t) == 0 &&
		 communities_audit_write(req, t.community_id, "vote.offline", uid,
					 json_pack("{s:I, s:I}", "thread_id", (json_int_t)t.id,
						   "option", (json_int_t)opt)) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not record the vote"))
		goto out;
	api_json(resp, 200, json_pack("{s:{s:I, s:I, s:I, s:s?, s:s, s:I}}", "vote",
				      "thread_id", (json_int_t)t.id, "user_id", (json_int_t)uid,
				      "option", (json_int_t)opt, "reason", reason, "source", "offline",
				      "entered_by", (json_int_t)req->who.uid));
out:
	json_decref(body);
}
